"""Summaries worked out while a pass still groups are used only when the story's inputs and
headline are still those they were written from; the stored stories and summaries are those
of summarising after grouping."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from invented_items import filler, item
from test_summary_pool import NOW, dump, run_story_job, stored_items

import aggregator.grouping as grouping
import aggregator.story_job as story_job
import aggregator.summary_pool as summary_pool
import aggregator.worker_pool as worker_pool
from aggregator.models import Item
from aggregator.store import Store
from aggregator.story_window import StoryWindow
from aggregator.summarize import ExtractiveSummarizer
from aggregator.summary_ahead import SummariesAhead, inputs_digest


def two_cores(monkeypatch: pytest.MonkeyPatch, min_stories: int) -> None:
    """Summary workers start from `min_stories` dirty stories, as on two cores (whatever this
    machine has)."""
    monkeypatch.setattr(summary_pool, "MIN_STORIES", min_stories)
    monkeypatch.setattr(summary_pool, "usable_cpus", lambda: 2)


def store_with(path: Path, later: str) -> None:
    """The news fixture and filler stories, with the Globe Wire quake report published an
    hour later (a later run of publication time, joining their story), and the last filler
    story published now (the last run: in a big window nothing is summarised ahead beside it)."""
    store = Store(path)
    for state, items in stored_items():
        moved = [
            dataclasses.replace(it, published=it.published + timedelta(hours=1))
            if later in it.feed_url and it.published is not None
            else it
            for it in items
        ]
        if state.url == "https://filler.example/feed":
            moved[-1] = dataclasses.replace(moved[-1], published=NOW)
        store.save_poll(state, moved)
    store.close()


def keeping_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers answer every story handed out before only the last run is left (as a
    worker that keeps up does), so which answers are taken does not hang on their speed."""
    real = SummariesAhead.last_run_next

    def last_run_next(self: SummariesAhead) -> None:
        for _, future in self._busy:
            with contextlib.suppress(Exception):
                future.result()
        real(self)

    monkeypatch.setattr(SummariesAhead, "last_run_next", last_run_next)


@pytest.mark.parametrize("big", [True, False])
def test_summaries_ahead_are_used_only_while_their_inputs_hold(
    big: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Handed out until only the last run is left (a big window), or to the end (a small
    one, whose helper is kept through the last run): the same stories either way."""
    if big:
        monkeypatch.setattr(grouping, "HELPER_ITEMS", 0)
    ungrouped = tmp_path / "ungrouped.db"
    store_with(ungrouped, "globewire/world")
    in_place, ahead = tmp_path / "in_place.db", tmp_path / "ahead.db"
    shutil.copy(ungrouped, in_place)
    shutil.copy(ungrouped, ahead)
    changed = run_story_job(in_place)  # (one core's worth of stories: all in place)
    two_cores(monkeypatch, min_stories=1)
    keeping_up(monkeypatch)

    taken: list[tuple[bool, bool]] = []  # (handed ahead, its summary used)
    real_take = SummariesAhead.take

    def take(self: SummariesAhead, story_id: str, story: tuple[Sequence[Item], str | None]):  # type: ignore[no-untyped-def]
        handed = story_id in self._asked
        future = real_take(self, story_id, story)
        taken.append((handed, future is not None))
        return future

    unchanged: list[bool] = []  # taken unread, as the store marks it unchanged: its answer
    real_unchanged = SummariesAhead.take_unchanged

    def take_unchanged(self: SummariesAhead, story_id: str):  # type: ignore[no-untyped-def]
        future = real_unchanged(self, story_id)
        unchanged.append(future is not None)
        return future

    read: list[str] = []
    real_prepare = story_job.StoryJob._prepare

    def prepare(self: story_job.StoryJob, story_id: str):  # type: ignore[no-untyped-def]
        read.append(story_id)
        return real_prepare(self, story_id)

    monkeypatch.setattr(SummariesAhead, "take", take)
    monkeypatch.setattr(SummariesAhead, "take_unchanged", take_unchanged)
    monkeypatch.setattr(story_job.StoryJob, "_prepare", prepare)
    assert run_story_job(ahead) == changed >= 3  # (the filler stories have no bullet: unpublished)
    assert dump(ahead) == dump(in_place)
    # The stories the later run left alone: their summaries ahead, each story read once.
    assert unchanged and all(unchanged)
    again = [h for h, _ in taken if h]  # read ahead, then read again (it changed)
    assert len(read) - len(set(read)) == len(again) >= 1
    assert (True, False) in taken  # the quake story grew: read again and summarised again


def stories(n: int) -> dict[str, tuple[list[Item], str | None, str | None]]:
    return {it.id: ([it], None, None) for it in filler(n)}


def handed_out(
    monkeypatch: pytest.MonkeyPatch,
    dirty: dict[str, tuple[list[Item], str | None, str | None]],
    read: Callable[[str], tuple[list[Item], str | None, str | None] | None] | None = None,
) -> SummariesAhead:
    """Summaries ahead on two cores, after a run that left `dirty` dirty: each story read (by
    `read`, else from `dirty`) and handed to the workers."""
    two_cores(monkeypatch, min_stories=1)
    ahead = SummariesAhead(ExtractiveSummarizer(), lambda: sorted(dirty), read or dirty.get)
    ahead.run_done()
    ahead.part_done()
    return ahead


def test_nothing_is_read_or_started_for_few_stories_or_one_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    two_cores(monkeypatch, min_stories=3)
    dirty = stories(5)
    read: list[str] = []

    def reader(story_id: str) -> tuple[list[Item], str | None, str | None]:
        read.append(story_id)
        return dirty[story_id]

    ahead = SummariesAhead(ExtractiveSummarizer(), lambda: sorted(dirty)[:2], reader)
    ahead.part_done()  # (the first run: nothing grouped yet)
    ahead.run_done()
    ahead.part_done()
    assert ahead.pool is None and read == [] and ahead.handed == 0
    monkeypatch.setattr(summary_pool, "usable_cpus", lambda: 1)
    assert not SummariesAhead.possible(ExtractiveSummarizer())


def test_a_changed_story_or_headline_is_not_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dirty = stories(6)
    first, second, third, empty, *rest = sorted(dirty)
    ahead = handed_out(monkeypatch, dirty, lambda s: None if s == empty else dirty[s])
    here, pool = ahead.summarizer, ahead.pool
    assert pool is not None
    try:
        assert ahead.handed == 5  # every story but the one with nothing to summarise
        grown = ([*dirty[first][0], item("late", "A later report", minutes=90)], None, None)
        assert ahead.take(first, grown) is None
        assert ahead.take(second, (dirty[second][0], "Its published headline")) is None
        assert ahead.take(empty, dirty[first]) is None  # (never handed)
        future = ahead.take(third, dirty[third])
        assert future is not None
        assert pool.result(future) == here.summarize(*dirty[third])
        for story_id in rest:
            future = ahead.take(story_id, dirty[story_id])
            assert future is not None and pool.result(future) == here.summarize(*dirty[story_id])
        assert ahead.used == 3
    finally:
        pool.close()


def test_answers_in_wait_as_their_bytes_and_are_taken_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dirty = stories(6)
    ahead = handed_out(monkeypatch, dirty)
    here, pool = ahead.summarizer, ahead.pool
    assert pool is not None and ahead.handed == 6
    try:
        for _, future in list(ahead._busy):
            future.result(timeout=60)
        ahead.part_done()  # (nothing more to hand: the answers in are kept as bytes)
        assert ahead._busy == []
        assert all(isinstance(answer, bytes) for _, answer in ahead._asked.values())
        for story_id in sorted(dirty):
            answer = ahead.take(story_id, dirty[story_id])
            assert isinstance(answer, bytes)
            assert pool.result(answer) == here.summarize(*dirty[story_id])
        assert ahead.used == 6
    finally:
        pool.close()


def test_the_digest_names_every_field_and_the_headline() -> None:
    story = filler(1)[0]
    base = inputs_digest(([story], None, None))
    assert inputs_digest(([story], None, None)) == base
    assert inputs_digest(([story], "")) != base
    assert inputs_digest(([dataclasses.replace(story, outlet_name="Other")], None, None)) != base
    later = story.published + timedelta(seconds=1)  # (not in the content hash)
    assert inputs_digest(([dataclasses.replace(story, published=later)], None, None)) != base


def test_once_the_workers_are_lost_nothing_more_is_read_ahead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    two_cores(monkeypatch, min_stories=1)
    dirty = stories(3)
    read: list[str] = []
    ahead = SummariesAhead(
        ExtractiveSummarizer(), lambda: sorted(dirty), lambda s: read.append(s) or dirty[s]
    )
    ahead.run_done()
    assert ahead.pool is not None
    ahead.pool._broken()  # (a worker died: the pass summarises in place)
    ahead.part_done()
    ahead.part_done()
    assert ahead.handed == 0 and read == []
    assert all(ahead.take(s, dirty[s]) is None for s in dirty)


def test_the_workers_started_ahead_stop_when_the_pass_fails_after_grouping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "news.db"
    store_with(path, "globewire/world")
    two_cores(monkeypatch, min_stories=1)
    started: list[summary_pool.SummaryPool] = []
    real_init = summary_pool.SummaryPool.__init__

    def init(self: summary_pool.SummaryPool, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        started.append(self)

    def fail() -> None:
        if started:  # (the trim after grouping; the one after the restore comes first)
            raise OSError("disk I/O error")

    monkeypatch.setattr(summary_pool.SummaryPool, "__init__", init)
    monkeypatch.setattr(story_job, "release_free_memory", fail)
    with pytest.raises(OSError, match="disk I/O error"):
        run_story_job(path)
    assert len(started) == 1  # (started ahead, after the first run)
    assert not started[0].alive


def test_answers_lost_with_their_worker_are_summarised_in_place_when_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dirty = stories(12)
    ahead = handed_out(monkeypatch, dirty)
    here, pool = ahead.summarizer, ahead.pool
    assert pool is not None and pool._pool is not None and ahead.handed == 12
    try:
        for pid in pool._pool.pids:  # the worker is killed (OOM killer, say)
            os.kill(pid, signal.SIGKILL)
        for story_id in sorted(dirty):
            future = ahead.take(story_id, dirty[story_id])
            assert future is not None and pool.result(future) == here.summarize(*dirty[story_id])
        assert not pool.alive
    finally:
        ahead.close()


def wait_for(path: str) -> None:
    """A task that holds its worker until `path` exists."""
    while not os.path.exists(path):
        time.sleep(0.01)


def test_with_only_the_last_run_left_the_stories_no_worker_started_are_given_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    two_cores(monkeypatch, min_stories=1)
    here = ExtractiveSummarizer()
    dirty = stories(40)
    read: list[str] = []
    gate = tmp_path / "open"
    held = worker_pool.helpers()  # (the helper process the summaries ahead share)
    try:
        holding = held.submit(wait_for, str(gate), urgent=True)  # the worker is busy
        ahead = SummariesAhead(here, lambda: sorted(dirty), lambda s: read.append(s) or dirty[s])
        ahead.run_done()
        ahead.part_done()
        worker = ahead.pool
        assert worker is not None and ahead.handed == 40
        ahead.last_run_next()
        assert ahead.pool is None and not worker.alive
        # one task of 4 stories at most waits in the worker's pipe behind the one it holds
        # (started: it is answered); every other story is given back
        assert ahead.handed in (0, summary_pool.CHUNK)
        gate.touch()
        holding.result(timeout=120)
    finally:
        gate.touch()
        held.shutdown()
    dirty.update(stories(49))  # (9 stories the last run made dirty: read when summarising)
    ahead.run_done()
    ahead.part_done()
    assert ahead.handed in (0, 4) and len(read) == 40  # nothing more read or handed out
    after = summary_pool.SummaryPool(here)  # (the pass's summarising starts a pool again)
    try:
        taken = 0
        for story_id in sorted(dirty):
            answer = ahead.take(story_id, dirty[story_id])
            if answer is not None:  # (a story given back is summarised as never read ahead)
                taken += 1
                assert after.result(answer) == here.summarize(*dirty[story_id])
        assert taken == ahead.used == ahead.handed
    finally:
        after.close()
        ahead.close()


def test_the_windows_memos_are_emptied_as_a_run_ends_and_filled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (they serve assigning: the next run's counting walk, beside the helper, reuses their
    # room; the stories are those of a pass that keeps them, as the first test shows)
    path = tmp_path / "ahead.db"
    store_with(path, "globewire/world")
    two_cores(monkeypatch, min_stories=1)
    events: list[tuple[str, int]] = []
    windows: list[StoryWindow] = []
    real_forget, real_run_done = StoryWindow.forget_memos, SummariesAhead.run_done

    def held(window: StoryWindow) -> int:
        return len(window._full) + len(window._unpacked) + len(window._tallies)

    def forget(self: StoryWindow) -> None:
        windows.append(self)
        events.append(("forget", held(self)))
        real_forget(self)

    def run_done(self: SummariesAhead) -> None:
        events.append(("run done", held(windows[-1])))
        real_run_done(self)

    monkeypatch.setattr(StoryWindow, "forget_memos", forget)
    monkeypatch.setattr(SummariesAhead, "run_done", run_done)
    run_story_job(path)
    assert events[:2] == [("forget", events[0][1]), ("run done", 0)]
    assert events[0][1] > 0  # (the first run's assigning filled them)
