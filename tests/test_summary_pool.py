"""Summaries computed in worker processes are the summaries computed in place, stored the same
way; a worker that dies costs nothing but time."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sqlite3
from collections.abc import Sequence
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from invented_items import filler
from news_fixture import feeds

import aggregator.story_job as story_job
import aggregator.summary_pool as summary_pool
import aggregator.summary_task as summary_task
from aggregator.config import Settings
from aggregator.models import FeedState, Fetched, Item, Source, Summary
from aggregator.parse_pool import parse_items
from aggregator.store import Store
from aggregator.summarize import ExtractiveSummarizer
from aggregator.summary_ahead import SummariesAhead
from aggregator.summary_pool import SummaryPool
from aggregator.worker_pool import WorkerPool

NOW = datetime.now(UTC).replace(microsecond=0)


def stored_items() -> list[tuple[FeedState, list[Item]]]:
    """The news fixture's feeds as parsed items, plus filler stories of their own."""
    polls = []
    for path, body in sorted(feeds().items()):
        url = f"https://fixture.example{path}"
        fetched = Fetched(url, url, 200, body)
        _, items = parse_items(Source(url, path, "World News"), fetched, NOW)
        polls.append((FeedState(url), items))
    url = "https://filler.example/feed"
    extra = [
        Item(**{**vars_of(it), "feed_url": url, "first_seen": NOW - timedelta(hours=1)})
        for it in filler(30)
    ]
    polls.append((FeedState(url), extra))
    return polls


def vars_of(item: Item) -> dict[str, object]:
    return {name: getattr(item, name) for name in item.__slots__}  # type: ignore[attr-defined]


def dump(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        rows: list[tuple[object, ...]] = []
        for query in (
            "SELECT id, headline, version, dirty, fingerprint, summary_inputs FROM stories",
            "SELECT story_id, version, headline, bullets, sources, outlet_count, method "
            "FROM summaries",
            "SELECT * FROM story_categories",
        ):
            rows += sorted(db.execute(query).fetchall(), key=repr)
        return rows


def run_story_job(path: Path) -> int:
    store = Store(path)
    try:
        return story_job.StoryJob(store, Settings(), lambda: NOW).run()
    finally:
        store.close()


def in_place_then_on_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path, int]:
    """Two copies of one database of ungrouped polls: the first grouped and summarised in
    place here (how many stories changed is returned), the second left for a story job that
    then summarises on workers (set up here: batches of 3 in flight, in order, none
    summarised while grouping)."""
    ungrouped = tmp_path / "ungrouped.db"
    store = Store(ungrouped)
    for state, items in stored_items():
        store.save_poll(state, items)
    store.close()
    in_place, on_workers = tmp_path / "in_place.db", tmp_path / "on_workers.db"
    shutil.copy(ungrouped, in_place)
    shutil.copy(ungrouped, on_workers)
    changed = run_story_job(in_place)
    monkeypatch.setattr(summary_pool, "MIN_STORIES", 1)
    monkeypatch.setattr(summary_pool, "usable_cpus", lambda: 2)  # (whatever this machine has)
    monkeypatch.setattr(story_job, "SAVE_BATCH", 3)
    # (none summarised while grouping: test_summary_ahead.py)
    monkeypatch.setattr(SummariesAhead, "possible", staticmethod(lambda summarizer: False))
    return in_place, on_workers, changed


def test_stories_summarised_on_workers_are_stored_exactly_as_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_place, on_workers, changed = in_place_then_on_workers(tmp_path, monkeypatch)
    calls: list[int] = []
    real_submit = SummaryPool.submit
    monkeypatch.setattr(
        SummaryPool, "submit", lambda self, s: calls.append(len(s)) or real_submit(self, s)
    )

    # (the filler stories have no bullet: summarised, not published)
    assert run_story_job(on_workers) == changed >= 3
    assert sum(calls) >= 8 and len(calls) >= 3  # the workers did summarise them
    assert dump(on_workers) == dump(in_place)


def test_a_dead_worker_costs_only_time(tmp_path: Path) -> None:
    polls = stored_items()
    stories = [([it], None, None) for _, items in polls for it in items]
    here = ExtractiveSummarizer()
    expected = [here.summarize(*story) for story in stories]
    pool = SummaryPool(here, workers=1)
    try:
        futures = pool.submit(stories)
        executor = pool._pool
        assert executor is not None
        for pid in executor.pids:  # the worker is killed (OOM killer, say)
            os.kill(pid, signal.SIGKILL)
        assert [pool.result(f) for f in futures] == expected
        later = pool.submit(stories[:3])
        assert [pool.result(f) for f in later] == expected[:3]
    finally:
        pool.close()


def test_workers_that_cannot_start_leave_the_summaries_to_the_calling_thread(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Under a process limit the pass had failed (a traceback every tick, nothing summarised)."""
    import aggregator.worker_pool as worker_pool

    polls = stored_items()
    stories = [([it], None, None) for _, items in polls for it in items]
    here = ExtractiveSummarizer()
    expected = [here.summarize(*story) for story in stories]

    def refused(*args: object, **kwargs: object) -> None:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(worker_pool.subprocess, "Popen", refused)
    for workers in (1, None):  # (a pool of its own, and a share of the helpers)
        pool = SummaryPool(here, workers=workers)
        try:
            assert [pool.result(f) for f in pool.submit(stories)] == expected
            assert pool.submit_to_workers(stories) is None
        finally:
            pool.close()
    assert caplog.text.count("no summary worker could start (BlockingIOError") == 2


def memo_bodies() -> int:
    """How many bodies the summariser's memo holds in this process (run in a worker)."""
    from aggregator import bullets

    return len(bullets.memo_entries())


SETTINGS = ExtractiveSummarizer().settings


def test_a_worker_summarises_as_in_place_without_keeping_bodies() -> None:
    from aggregator import bullets
    from aggregator.worker_pool import WorkerPool

    stories = [([it], None, None) for _, items in stored_items() for it in items]
    here = ExtractiveSummarizer()
    bullets.clear_memo()
    expected = [here.summarize(*story) for story in stories]
    assert any(summary.bullets for summary in expected)
    assert bullets.memo_entries()  # (here, the memo serves a later pass of the same process)
    kept = bullets.memo_entries()
    pool = WorkerPool(1)
    try:
        work = summary_task.summarise_in_worker
        summaries, made = pool.submit(work, here.settings, stories, {}).result()
        assert summaries == expected
        assert made == kept  # (the bodies' candidates, for the calling process to keep)
        assert pool.submit(memo_bodies).result() == 0  # (a worker lives for one pass)
        # Lent every body's candidates, the worker works none out and writes the same.
        assert pool.submit(work, here.settings, stories, kept).result() == (expected, {})
    finally:
        pool.shutdown()


def test_a_worker_lent_candidates_from_another_story_writes_the_same_summaries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aggregator import bullets

    monkeypatch.setattr(bullets, "MEMO_ITEMS", bullets.MEMO_ITEMS)  # (a worker's setting)
    monkeypatch.setattr(summary_task, "_summarizer", None)

    # Stories that gain items: a worker lent the bodies the calling process summarised
    # before (one story at a time, as a `run` service's passes) writes what it would unlent.
    items = [it for _, group in stored_items() for it in group]
    grown = [(items[: n + 1], None, None) for n in range(len(items))]
    bullets.clear_memo()
    plain = [summary_task.summarise_in_worker(SETTINGS, [story], {})[0][0] for story in grown]
    bullets.clear_memo()
    kept: dict[tuple[bytes, int, int], bytes] = {}
    for story, expected in zip(grown, plain, strict=True):
        texts = [it.text for it in story[0]]
        lent = {k: v for k, v in kept.items() if k in {bullets.memo_key(t) for t in texts}}
        summaries, made = summary_task.summarise_in_worker(SETTINGS, [story], lent)
        assert summaries == [expected]
        assert len(made) <= 1  # (only the new body is worked out)
        kept.update(made)
    assert not bullets.memo_entries()  # (lent: the worker's own memo is not used)


def test_few_stories_one_core_or_a_model_are_summarised_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    summarizer = ExtractiveSummarizer()
    monkeypatch.setattr(summary_pool, "usable_cpus", lambda: 2)
    assert SummaryPool.worth_it(summarizer, summary_pool.MIN_STORIES)
    assert not SummaryPool.worth_it(summarizer, summary_pool.MIN_STORIES - 1)
    monkeypatch.setattr(summary_pool, "usable_cpus", lambda: 1)
    assert not SummaryPool.worth_it(summarizer, 10 * summary_pool.MIN_STORIES)
    monkeypatch.setattr(summary_pool, "usable_cpus", lambda: 2)

    class Model(ExtractiveSummarizer):  # the LLM backend answers on its own threads
        pass

    assert not SummaryPool.worth_it(Model(), 10 * summary_pool.MIN_STORIES)


def test_a_batch_in_flight_keeps_no_inputs_and_a_dead_worker_still_gets_them_summarised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_place, on_workers, changed = in_place_then_on_workers(tmp_path, monkeypatch)

    monkeypatch.setattr(summary_pool, "helpers", lambda: WorkerPool(1))  # (its own, to kill)
    real_submit = SummaryPool.submit
    killed: list[int] = []

    def submit_then_kill(
        self: SummaryPool, stories: Sequence[tuple[Sequence[Item], str | None]]
    ) -> list[Future[Summary]]:
        futures = real_submit(self, stories)
        if not killed and self._pool is not None and len(stories) > 1:
            for pid in self._pool.pids:  # the worker dies holding this batch's share
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        return futures

    monkeypatch.setattr(SummaryPool, "submit", submit_then_kill)
    finished: list[bool] = []
    real_finish = story_job.StoryJob._finish

    def finish(self: story_job.StoryJob, prepared: story_job._Prepared, now: datetime) -> int:
        finished.append(prepared.inputs is None)  # handed off: the batch holds none
        return real_finish(self, prepared, now)

    monkeypatch.setattr(story_job.StoryJob, "_finish", finish)

    assert run_story_job(on_workers) == changed >= 3
    assert killed and len(finished) >= 8 and all(finished)
    assert dump(on_workers) == dump(in_place)


def test_summarising_on_workers_gives_the_heap_back_after_each_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_place, on_workers, changed = in_place_then_on_workers(tmp_path, monkeypatch)
    events: list[str] = []
    monkeypatch.setattr(story_job, "release_free_memory", lambda: events.append("t") or True)
    real_finish = story_job.StoryJob._finish

    def finish(self: story_job.StoryJob, prepared: story_job._Prepared, now: datetime) -> int:
        events.append("s")  # a story saved
        return real_finish(self, prepared, now)

    monkeypatch.setattr(story_job.StoryJob, "_finish", finish)

    assert run_story_job(on_workers) == changed >= 3
    assert dump(on_workers) == dump(in_place)
    # The heap is trimmed before summarising, after each batch's saves, and as the round ends.
    batches = [saves for saves in "".join(events).split("t") if saves]
    assert len(batches) >= 3 and all(len(saves) <= story_job.SAVE_BATCH for saves in batches)


def test_helpers_running_other_code_are_given_up_once_until_the_files_are_the_services_again(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """After an upgrade on disk a helper worker runs other code than its service: it had been
    a death each pass ("worker died; doing the rest of this pass in place"), a worker started
    and refused every pass until a restart. Now the first pass says once to restart, later
    passes start no helper and summarise in place, and files that hold the service's code
    again (the same version installed back) give the helpers back."""
    import aggregator.term_pool as term_pool
    import aggregator.worker_pool as worker_pool
    from aggregator.term_pool import TermPool

    workers_stamp = worker_pool.package_stamp(worker_pool.PACKAGE)  # what a worker says
    disk = {"stamp": b"the new version's files", "source": b"the new version"}
    monkeypatch.setattr(worker_pool, "code_stamp", lambda: b"the service's files at start")
    monkeypatch.setattr(worker_pool, "code_source", lambda: b"the service's code")
    monkeypatch.setattr(worker_pool, "package_stamp", lambda folder: disk["stamp"])
    monkeypatch.setattr(worker_pool, "package_source", lambda folder: disk["source"])
    monkeypatch.setattr(worker_pool, "_same", set())
    monkeypatch.setattr(worker_pool, "_refused", None)
    for module in (worker_pool, summary_pool, term_pool):
        monkeypatch.setattr(module, "usable_cpus", lambda: 2)
    started: list[int] = []
    real_command = worker_pool._command
    monkeypatch.setattr(
        worker_pool, "_command", lambda *pipes: started.append(1) or real_command(*pipes)
    )
    polls = stored_items()
    stories = [([it], None, None) for _, items in polls for it in items][:40]
    here = ExtractiveSummarizer()
    expected = [here.summarize(*story) for story in stories]

    def one_pass() -> bool:
        """A pass's summaries, as in place; whether the helpers were still in use after."""
        pool = SummaryPool(here)
        try:
            assert [pool.result(f) for f in pool.submit(stories)] == expected
            return pool.alive
        finally:
            pool.close()

    with caplog.at_level(logging.INFO, logger="aggregator"):
        assert [one_pass() for _ in range(3)] == [False, False, False]
        assert len(started) == 1  # (none after the first pass)
        assert not SummaryPool.worth_it(here, 10_000) and not TermPool.worth_it(10_000)
        disk.update(stamp=b"another version's files", source=b"another version")
        assert not one_pass() and len(started) == 1
        said = [(r.levelname, r.getMessage()) for r in caplog.records]
        assert len(said) == 1 and said[0][0] == "ERROR", said
        assert said[0][1].startswith("helper workers are not used any more: the package's")
        assert "restart" in said[0][1]

        # the service's version installed back: its files written anew, as they were
        disk.update(stamp=workers_stamp, source=b"the service's code")
        assert one_pass() and len(started) == 2
        assert SummaryPool.worth_it(here, 10_000) and TermPool.worth_it(10_000)
    assert [r.getMessage() for r in caplog.records][1:] == [worker_pool.HELPERS_BACK]
