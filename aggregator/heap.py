"""Give the C heap's free memory back to the operating system between a pass's phases.

A cold pass fetches and parses hundreds of feed bodies, then groups tens of thousands of
items. The bodies and parsed texts are large C allocations; once freed, glibc's malloc keeps
most of that memory mapped for later (its heap only shrinks from the top), while the
grouping state that follows is built from Python's own arenas, mapped apart. Without a trim
the fetch phase's peak stays in the process's resident size under everything grouping adds.
`release_free_memory` asks malloc to unmap what is free (`malloc_trim`); where the C library
is not glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable

__all__ = ["release_free_memory"]


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows)
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # type: ignore[no-any-return]


def release_free_memory() -> bool:
    """Return the C heap's free pages to the OS; False where that cannot be asked."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
