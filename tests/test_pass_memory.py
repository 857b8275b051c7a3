"""What a pass gives back to the operating system between its phases (aggregator.heap calls
made by the story job)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import test_grouping_snapshot as snap

from aggregator import grouping_snapshot, story_job
from aggregator.cluster import Clusterer


def _events(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the story job does, in order: the window restored (from the snapshot or the
    rows), the heap trimmed, items grouped."""
    events: list[str] = []

    def recorded(name: str, real: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            found = real(*args, **kwargs)
            events.append(name)
            return found

        return call

    monkeypatch.setattr(grouping_snapshot, "load", recorded("loaded", grouping_snapshot.load))
    monkeypatch.setattr(Clusterer, "restore", recorded("rebuilt", Clusterer.restore))
    monkeypatch.setattr(story_job, "group_pending", recorded("grouped", story_job.group_pending))
    monkeypatch.setattr(story_job, "release_free_memory", lambda: events.append("trim") or True)
    return events


@pytest.mark.parametrize("from_snapshot", [True, False])
def test_the_heap_is_trimmed_once_the_window_is_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, from_snapshot: bool
) -> None:
    path = snap._written(tmp_path)
    if not from_snapshot:
        snap.snapshot_path(path).unlink()  # type: ignore[union-attr]
    events = _events(monkeypatch)
    store = snap.Store(path)
    snap._job(store, snap.CLOCK_B).run()
    store.close()
    restored = ["loaded"] if from_snapshot else ["loaded", "rebuilt"]
    # (the load that finds no file is still asked first)
    assert events[: len(restored) + 2] == [*restored, "trim", "grouped"]
    assert events.count("trim") == 3  # (and once more after grouping, and as the round ends)


@pytest.mark.parametrize("keep_memos", [True, False])
def test_a_last_pass_empties_the_memos_once_grouping_is_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep_memos: bool
) -> None:
    path = snap._written(tmp_path)
    events = _events(monkeypatch)

    def forgot(keep: tuple[str, ...] = ()) -> int:
        events.append("forgot the round's" if keep == story_job.ROUND_MEMOS else "forgot")
        return 1

    monkeypatch.setattr(story_job, "forget_memos", forgot)
    summarise = story_job.StoryJob._summarise
    monkeypatch.setattr(
        story_job.StoryJob,
        "_summarise",
        lambda self, *args: events.append("summarised") or summarise(self, *args),
    )
    store = snap.Store(path)
    job = story_job.StoryJob(store, snap.SETTINGS, lambda: snap.CLOCK_B, keep_memos=keep_memos)
    job.run()
    store.close()
    after = events[events.index("grouped") + 1 :]
    if keep_memos:  # (a running service's: those its later rounds use are kept)
        assert "forgot" not in events
        assert after[:2] == ["forgot the round's", "trim"]  # (before it summarises)
        assert after[-2:] == ["forgot the round's", "trim"]  # (and as the round ends)
        assert "summarised" in after[2:-2]
    else:
        assert after[:2] == ["forgot", "trim"]
        assert "forgot the round's" not in events
    assert "summarised" in after


def test_poll_once_is_a_last_pass_and_run_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from aggregator import cli_service
    from aggregator.config import Settings
    from aggregator.service import Service

    made: list[bool] = []

    class Made(Exception):
        pass

    def service(*args: Any, once: bool = False, **kwargs: Any) -> None:
        made.append(once)
        raise Made

    monkeypatch.setattr(cli_service, "Service", service)
    for once in (True, False):
        args = argparse.Namespace(opml=Path("feeds.opml"), db=":memory:", once=once, all=True)
        with pytest.raises(Made):
            cli_service._poll(args, Settings())
    assert made == [True, False]
    for once in (True, False):
        real = Service(Path("feeds.opml"), ":memory:", Settings(), once=once)
        try:
            assert real.stories.keep_memos is not once
            assert real.stories.keep_window is not once
        finally:
            real.close()
    # `[server] keep_window = false`: a running service lets its window go after each pass too.
    letting_go = Settings(server=dataclasses.replace(Settings().server, keep_window=False))
    for once in (True, False):
        real = Service(Path("feeds.opml"), ":memory:", letting_go, once=once)
        try:
            assert real.stories.keep_window is False
            assert real.stories.keep_memos is not once
        finally:
            real.close()
