"""Giving the C heap's free memory back between a pass's phases (aggregator.heap)."""

from __future__ import annotations

import ctypes
import platform
from typing import Any

import pytest

from aggregator import heap


def test_free_memory_is_released_where_the_c_library_is_glibc() -> None:
    heap._malloc_trim.cache_clear()
    glibc = platform.libc_ver()[0] == "glibc"
    assert heap.release_free_memory() is glibc


def test_finding_malloc_trim_starts_no_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # (a child started from a big process is, for a moment, as big as it is)
    import subprocess

    def no_process(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a process was started")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    heap._malloc_trim.cache_clear()
    heap.forget_memos()  # (empties the lookup's cache as well)
    glibc = platform.libc_ver()[0] == "glibc"
    assert heap.release_free_memory() is glibc


def test_without_malloc_trim_nothing_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_library(*args: Any, **kwargs: Any) -> None:
        raise OSError("no such library")

    heap._malloc_trim.cache_clear()
    monkeypatch.setattr(ctypes, "CDLL", no_library)
    try:
        assert heap.release_free_memory() is False
    finally:
        heap._malloc_trim.cache_clear()


def test_the_projects_memos_are_emptied_and_answer_the_same_after() -> None:
    from aggregator import near_text, tokens

    text = "Officials said the bridge reopened on Tuesday after repairs to its deck"
    before = tokens.tokens(text), near_text.sorted_hashes(text)
    near_text.remember(near_text.text_key(text), before[1])
    assert tokens._memo_tokens.cache_info().currsize > 0
    assert near_text._memo
    assert heap.forget_memos() >= 2
    assert tokens._memo_tokens.cache_info().currsize == 0
    assert tokens.stem.cache_info().currsize == 0
    assert not near_text._memo
    assert (tokens.tokens(text), near_text.sorted_hashes(text)) == before


def test_the_memos_of_the_modules_named_are_kept() -> None:
    from aggregator import near_text, tokens

    text = "The council approved the budget on Monday after a long debate on schools"
    tokens.tokens(text)
    near_text.remember(near_text.text_key(text), near_text.sorted_hashes(text))
    heap.forget_memos(keep=("aggregator.near_text",))
    assert tokens._memo_tokens.cache_info().currsize == 0
    assert near_text._memo
