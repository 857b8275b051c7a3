"""A late import in the program runs with the collector paused, and what it made is frozen;
code called in process (tests) leaves the collector alone."""

from __future__ import annotations

import gc

import pytest

from aggregator import collector


def test_lasting_pauses_and_freezes_only_in_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    assert gc.isenabled()
    before = gc.get_freeze_count()
    with collector.lasting():
        assert gc.isenabled()  # not the program: as it was
    assert gc.get_freeze_count() == before
    monkeypatch.setattr(collector, "program", True)
    try:
        with collector.lasting():
            assert not gc.isenabled()
            made = [[] for _ in range(100)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= before + len(made)
        gc.disable()
        with collector.lasting():  # a collector someone turned off stays off, nothing frozen
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()
