"""The cyclic collector's thresholds while a grouping pass runs (`grouping._fewer_collections`)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from aggregator import grouping
from aggregator.cluster import Clusterer

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*before)


class FakeStore:
    """What `group_pending` asks of a store holding nothing to group; it notes the
    collector's thresholds as the pass reads its items, and fails when told to."""

    def __init__(self, fail: bool = False) -> None:
        self.seen: list[tuple[int, int, int]] = []
        self.fail = fail

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield

    def unassigned_keys(self) -> list[Any]:
        self.seen.append(gc.get_threshold())
        if self.fail:
            raise RuntimeError("the store went away")
        return []


def test_a_pass_collects_the_young_less_often_and_puts_the_thresholds_back() -> None:
    store = FakeStore()
    grouping.group_pending(store, Clusterer(), NOW)  # type: ignore[arg-type]
    assert store.seen == [(grouping.YOUNG_OBJECTS, 10, 10)]
    assert gc.get_threshold() == (700, 10, 10)


def test_a_failing_pass_puts_the_thresholds_back() -> None:
    with pytest.raises(RuntimeError):
        grouping.group_pending(FakeStore(fail=True), Clusterer(), NOW)  # type: ignore[arg-type]
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_passes_put_them_back_once_the_last_ends() -> None:
    first, second = grouping._fewer_collections(), grouping._fewer_collections()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # (the first to start ends first)
    assert gc.get_threshold()[0] == grouping.YOUNG_OBJECTS
    second.__exit__(None, None, None)
    assert gc.get_threshold() == (700, 10, 10)


def test_a_process_that_turned_the_collector_off_keeps_it_off() -> None:
    gc.set_threshold(0, 10, 10)
    store = FakeStore()
    grouping.group_pending(store, Clusterer(), NOW)  # type: ignore[arg-type]
    assert store.seen == [(0, 10, 10)]
    assert gc.get_threshold() == (0, 10, 10)
