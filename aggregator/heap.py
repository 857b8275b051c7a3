"""Give the C heap's free memory back to the operating system between a pass's phases.

A cold pass fetches and parses hundreds of feed bodies, then groups tens of thousands of
items. The bodies and parsed texts are large C allocations; once freed, glibc's malloc keeps
most of that memory mapped for later (its heap only shrinks from the top), while the
grouping state that follows is built from Python's own arenas, mapped apart. Without a trim
the fetch phase's peak stays in the process's resident size under everything grouping adds.
`release_free_memory` asks malloc to unmap what is free (`malloc_trim`); where the C library
is not glibc it does nothing. `forget_memos` empties the project's bounded memos (words,
stems, shingles, ...) before a last big allocation (the grouping snapshot's write): they only
serve a process that goes on working.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Collection

__all__ = ["forget_memos", "release_free_memory"]


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    # Looked up among the symbols the process has loaded already (the C library's among
    # them): `ctypes.util.find_library` would run `ldconfig` in a child process, a fork of
    # the whole process at each lookup (and `forget_memos` empties this cache too).
    import ctypes  # (here: a worker, which never trims, does not load it)

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc (musl, macOS); Windows
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_free_memory() -> bool:
    """Return the C heap's free pages to the OS; False where that cannot be asked."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def forget_memos(package: str = "aggregator", keep: Collection[str] = ()) -> int:
    """Empty the memos of `package`'s loaded modules: every `functools.lru_cache` a module
    defines and its `clear_memo()`, when it has one; those of the modules named in `keep`
    are left. They are caches of pure functions, so nothing computed later changes;
    returns how many were emptied."""
    clearers = [clear for name, clear in _clearers(package) if name not in keep]
    for clear in clearers:
        clear()
    return len(clearers)


_found: dict[str, tuple[int, list[tuple[str, Callable[[], object]]]]] = {}


def _clearers(package: str) -> list[tuple[str, Callable[[], object]]]:
    """What empties `package`'s memos, by module name, looked for again whenever a module
    was loaded since (a worker empties them after each of its tasks: see
    `forget_memos_after`)."""
    found = _found.get(package)
    if found is not None and found[0] == len(sys.modules):
        return found[1]
    clearers: list[tuple[str, Callable[[], object]]] = []
    for name, module in list(sys.modules.items()):
        if module is None or not (name == package or name.startswith(package + ".")):
            continue
        for value in list(vars(module).values()):
            if (
                isinstance(value, functools._lru_cache_wrapper)
                and getattr(value, "__module__", None) == name
            ):
                clearers.append((name, value.cache_clear))
        clear = vars(module).get("clear_memo")
        if callable(clear):
            clearers.append((name, clear))
    _found[package] = (len(sys.modules), clearers)
    return clearers
