"""What a pass gives back to the operating system between its phases (aggregator.heap calls
made by the story job)."""

from __future__ import annotations

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
    assert events.count("trim") == 2  # (and once more after grouping)
