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


def test_without_malloc_trim_nothing_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_library(*args: Any, **kwargs: Any) -> None:
        raise OSError("no such library")

    heap._malloc_trim.cache_clear()
    monkeypatch.setattr(ctypes, "CDLL", no_library)
    try:
        assert heap.release_free_memory() is False
    finally:
        heap._malloc_trim.cache_clear()
