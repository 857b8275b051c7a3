"""A one-shot pass (`poll --once`) writes the grouping window for the next process as soon as
grouping is done and lets it go before summarising; a later pass of the same process that
groups again gets it back from that file. A long-running service keeps it between passes."""

from __future__ import annotations

import dataclasses
import gc
import weakref
from pathlib import Path
from typing import Any

import pytest
import test_grouping_snapshot as snap

from aggregator import bullets, grouping_snapshot, story_job, terms, tokens
from aggregator.active_story import ActiveStory
from aggregator.cluster import Clusterer
from aggregator.store import Store
from aggregator.story_job import StoryJob

LATER = snap.CLOCK_B + snap.timedelta(minutes=30)
PASS_C = (snap.PASS_B[1], snap.PASS_B[1] + 5)


def _live_stories() -> int:
    """Active stories still in memory: freed by their reference counts, not collected."""
    gc.unfreeze()  # (frozen objects are not listed)
    return sum(isinstance(o, ActiveStory) for o in gc.get_objects())


def _forget_earlier_windows() -> None:
    """Collect the windows of earlier passes in this process (tied to their stories)."""
    gc.unfreeze()
    gc.collect()


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What the story job does, in order; at the start of summarising, whether the window
    that grouped is still alive and how many stories are in memory."""
    made: list[Any] = []
    windows: list[weakref.ref[Clusterer]] = []
    group, load, save = story_job.group_pending, grouping_snapshot.load, grouping_snapshot.save

    def grouped(store: Store, clusterer: Clusterer, *args: Any, **kwargs: Any) -> int:
        windows.append(weakref.ref(clusterer))
        made.append("grouped")
        return group(store, clusterer, *args, **kwargs)

    def loaded(*args: Any) -> Any:
        found = load(*args)
        made.append("loaded" if found is not None else "not loaded")
        return found

    def saved(*args: Any) -> int:
        made.append("written")
        return save(*args)

    def summarising(real: Any) -> Any:
        def call(self: StoryJob, *args: Any) -> Any:
            if made[-1] != "summarising":
                alive = windows[-1]() is not None
                made.extend([("window alive", alive), ("stories", _live_stories())])
                made.append("summarising")
            return real(self, *args)

        return call

    monkeypatch.setattr(story_job, "group_pending", grouped)
    monkeypatch.setattr(grouping_snapshot, "load", loaded)
    monkeypatch.setattr(grouping_snapshot, "save", saved)
    for name in ("_summarise", "_summarise_on_workers"):
        monkeypatch.setattr(StoryJob, name, summarising(getattr(StoryJob, name)))
    return made


def _job(store: Store, one_shot: bool, settings: Any = snap.SETTINGS) -> StoryJob:
    return StoryJob(
        store, settings, lambda: snap.CLOCK_B, keep_memos=not one_shot, keep_window=not one_shot
    )


def test_a_one_shot_pass_writes_the_window_and_lets_it_go_before_summarising(
    tmp_path: Path, events: list[Any]
) -> None:
    store = Store(snap._written(tmp_path))
    _forget_earlier_windows()
    events.clear()  # (pass A's, before: the snapshot written as its process stopped)
    job = _job(store, one_shot=True)
    assert job.run() > 0
    assert events == [
        "loaded",
        "grouped",
        "written",
        ("window alive", False),
        ("stories", 0),
        "summarising",
    ]
    assert not job.restored and job.clusterer.active_stories == 0
    events.clear()
    job.save_snapshot()  # (as the process stops: written already, nothing to write)
    store.close()
    assert events == []


@pytest.mark.parametrize("one_shot", [True, False])
def test_the_next_process_loads_what_a_one_shot_pass_wrote_before_summarising(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_shot: bool
) -> None:
    # Pass B then pass C, on one window kept running: the reference.
    reference = Store(snap._written(tmp_path / "reference"))
    kept = _job(reference, one_shot=False)
    kept.run()
    snap._store_pass(reference, PASS_C, LATER)
    kept.clock = lambda: LATER
    kept.run()
    # Pass B in a process that stops after it (its summaries written after the snapshot:
    # they leave the stamp alone), then pass C in the next process, from that snapshot.
    path = snap._written(tmp_path / "news")
    store = Store(path)
    job = _job(store, one_shot=one_shot)
    job.run()
    if not one_shot:
        job.save_snapshot()  # (as `run` does when it stops)
    assert store.conn.execute("SELECT count(*) FROM summaries").fetchone()[0] > 0
    assert not store.dirty_stories()
    snap._store_pass(store, PASS_C, LATER)
    store.close()
    snap._no_rebuild(monkeypatch)
    store = Store(path)
    StoryJob(store, snap.SETTINGS, lambda: LATER, keep_memos=False, keep_window=False).run()
    assert snap._rows(store) == snap._rows(reference)
    store.close()
    reference.close()


def _article_arrives(store: Store) -> None:
    """Pass B's first item gets a page whose text reports another event's story."""
    (item,) = store.items_by_id([f"r{snap.PASS_B[0]}"])
    text = " ".join(i.text for i in snap.ITEMS[snap.PASS_B[0] + 40 : snap.PASS_B[0] + 43])
    store.save_articles([(item.id, item.url or "", "ok", None, text)], snap.CLOCK_B)


def test_a_later_pass_that_regroups_gets_the_window_back(tmp_path: Path, events: list[Any]) -> None:
    reference = Store(snap._written(tmp_path / "reference"))
    kept = _job(reference, one_shot=False)
    kept.run()
    _article_arrives(reference)
    kept.run()
    store = Store(snap._written(tmp_path / "news"))
    job = _job(store, one_shot=True)
    job.run()
    assert "written" in events
    events.clear()
    _article_arrives(store)  # (the article pass of `poll --once`)
    job.run()
    assert events[:3] == ["loaded", "grouped", "written"]  # the file this process wrote
    assert ("window alive", False) in events
    assert not store.articles_to_regroup()
    assert snap._rows(store) == snap._rows(reference)
    store.close()
    reference.close()


def test_a_window_that_could_not_be_written_is_kept(tmp_path: Path, events: list[Any]) -> None:
    off = dataclasses.replace(
        snap.SETTINGS, cluster=dataclasses.replace(snap.CLUSTER, snapshot=False)
    )
    store = Store(snap._written(tmp_path))
    events.clear()
    job = _job(store, one_shot=True, settings=off)
    job.run()
    assert "written" not in events and ("window alive", True) in events
    assert job.restored and job.clusterer.active_stories > 0
    window = job.clusterer
    _article_arrives(store)
    job.run()  # (grouped on the same window: not rebuilt)
    assert job.clusterer is window and events.count("grouped") == 2
    assert not store.articles_to_regroup()
    store.close()


def test_a_running_service_keeps_its_window_between_passes(
    tmp_path: Path, events: list[Any]
) -> None:
    store = Store(snap._written(tmp_path))
    events.clear()
    job = _job(store, one_shot=False)
    job.run()
    window = job.clusterer
    snap._store_pass(store, PASS_C, LATER)
    job.run()
    assert job.clusterer is window
    assert events.count("loaded") == 1 and "written" not in events
    assert ("window alive", True) in events
    store.close()


def test_a_running_service_empties_its_windows_memos_after_grouping_and_groups_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def memos(window: Clusterer) -> int:
        return len(window._full) + len(window._unpacked) + len(window._tallies)

    reference = Store(snap._written(tmp_path / "reference"))
    kept = _job(reference, one_shot=False)
    with monkeypatch.context() as patched:  # (the reference keeps its memos between passes)
        patched.setattr(Clusterer, "forget_memos", lambda self: None)
        kept.run()
        filled = memos(kept.clusterer)
        snap._store_pass(reference, PASS_C, LATER)
        kept.clock = lambda: LATER
        kept.run()
    assert filled > 0
    store = Store(snap._written(tmp_path / "news"))
    job = _job(store, one_shot=False)
    job.run()
    window = job.clusterer
    assert memos(window) == 0
    # the round's text memos are emptied too; the summary candidates, which serve the next
    # rounds' summaries, are kept (`story_job.ROUND_MEMOS`)
    assert terms.stem.cache_info().currsize == 0 and tokens._memo_tokens.cache_info().currsize == 0
    assert bullets.memo_entries()
    snap._store_pass(store, PASS_C, LATER)
    job.clock = lambda: LATER
    job.run()
    assert job.clusterer is window and memos(window) == 0
    assert snap._rows(store) == snap._rows(reference)
    store.close()
    reference.close()


def _service_job(store: Store) -> StoryJob:
    """A `run` service's story job set not to keep its window (`[server] keep_window`)."""
    return StoryJob(store, snap.SETTINGS, lambda: snap.CLOCK_B, keep_window=False)


def test_a_service_that_does_not_keep_its_window_loads_it_each_pass_and_groups_the_same(
    tmp_path: Path, events: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = Store(snap._written(tmp_path / "reference"))
    store = Store(snap._written(tmp_path / "news"))
    snap._no_rebuild(monkeypatch)
    _forget_earlier_windows()
    events.clear()
    job = _service_job(store)
    job.run()
    assert job.window_written and not job.restored
    snap._store_pass(store, PASS_C, LATER)
    job.clock = lambda: LATER
    job.run()
    passes = ["loaded", "grouped", "written", ("window alive", False), ("stories", 0)]
    assert events == [*passes, "summarising", *passes, "summarising"]
    kept = _job(reference, one_shot=False)  # (the same passes on a window kept running)
    kept.run()
    snap._store_pass(reference, PASS_C, LATER)
    kept.clock = lambda: LATER
    kept.run()
    assert snap._rows(store) == snap._rows(reference)
    store.close()
    reference.close()


def _prune_early_stories(store: Store) -> int:
    """Retention's prune, its cutoff past pass A's quiet stories (none is published to keep)."""
    from aggregator.store_upkeep import prune

    cutoff = snap.CLOCK_A + snap.timedelta(minutes=1)
    return prune(store, LATER, cutoff, snap.T0, 0).stories


def test_a_window_let_go_is_stamped_anew_after_retention_and_loaded_as_kept(
    tmp_path: Path, events: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = Store(snap._written(tmp_path / "reference"))
    kept = _job(reference, one_shot=False)
    kept.run()
    assert _prune_early_stories(reference) > 0
    snap._store_pass(reference, PASS_C, LATER)
    kept.clock = lambda: LATER
    kept.run()
    store = Store(snap._written(tmp_path / "news"))
    snap._no_rebuild(monkeypatch)
    job = _service_job(store)
    job.run()
    before = store.grouping_stamp()
    assert _prune_early_stories(store) > 0
    assert store.grouping_stamp() != before  # (the prune bumped the generation)
    job.pruned_outside_window(before)
    snap._store_pass(store, PASS_C, LATER)
    job.clock = lambda: LATER
    events.clear()
    job.run()
    assert events[:2] == ["loaded", "grouped"]  # not rebuilt
    assert snap._rows(store) == snap._rows(reference)
    store.close()
    reference.close()


def test_a_window_let_go_is_not_stamped_anew_when_another_write_came_first(
    tmp_path: Path, events: list[Any]
) -> None:
    store = Store(snap._written(tmp_path))
    job = _service_job(store)
    job.run()
    snap._move_an_item(store)  # (another command, before retention ran)
    before = store.grouping_stamp()
    assert _prune_early_stories(store) > 0
    job.pruned_outside_window(before)
    snap._store_pass(store, PASS_C, LATER)
    job.clock = lambda: LATER
    events.clear()
    job.run()
    assert events[:2] == ["not loaded", "grouped"]  # stale: rebuilt, as in a new process
    store.close()


def test_restamp_rewrites_only_a_file_stamped_as_expected(tmp_path: Path) -> None:
    path = snap._written(tmp_path)
    file = grouping_snapshot.snapshot_path(path)
    assert file is not None
    store = Store(path)
    stamp = grouping_snapshot.stamp_for(*store.grouping_stamp(), snap.CLUSTER)
    store.close()
    later = dataclasses.replace(stamp, generation=stamp.generation + 1)
    other = dataclasses.replace(stamp, store="another")
    body = file.read_bytes()[grouping_snapshot._HEADER_MAX :]
    assert not grouping_snapshot.restamp(file, other, later)
    assert grouping_snapshot.load(file, stamp) is not None  # (left alone)
    assert grouping_snapshot.restamp(file, stamp, later)
    assert file.read_bytes()[grouping_snapshot._HEADER_MAX :] == body
    assert grouping_snapshot.load(file, later) is not None
    assert grouping_snapshot.load(file, stamp) is None  # (and a stale file is removed)


def test_a_service_stamps_its_window_anew_around_retention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from aggregator import store_upkeep
    from aggregator.config import Settings
    from aggregator.retention import PruneReport
    from aggregator.service import Service

    letting_go = Settings(server=dataclasses.replace(Settings().server, keep_window=False))
    service = Service(tmp_path / "feeds.opml", tmp_path / "news.db", letting_go)
    told: list[Any] = []

    class Stories:
        def held_stories(self) -> frozenset[str]:
            return frozenset({"held"})

        def pruned_outside_window(self, before: Any) -> None:
            told.append((before, service.store.grouping_stamp()))

        def save_snapshot(self) -> None:
            pass

        def close(self) -> None:
            pass

    def prune(
        store: Store, *args: Any, held: frozenset[str] = frozenset(), **_: Any
    ) -> PruneReport:
        told.append(held)  # (a prune that deleted a grouped item)
        with store.transaction():
            store.conn.execute(
                "UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                "WHERE key = 'grouping_generation'"
            )
        return PruneReport(1, 1, 0)

    service._stories = Stories()  # type: ignore[assignment]
    monkeypatch.setattr(store_upkeep, "prune", prune)
    try:
        asyncio.run(service.run_retention())
    finally:
        service.close()
    held, (before, after) = told
    assert held == {"held"}  # (the window's stories are never pruned)
    assert before[0] == after[0] and after[1] == before[1] + 1
