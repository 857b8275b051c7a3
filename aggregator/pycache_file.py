"""Compiled things kept in a marshal file beside the package's bytecode (`method_cache`,
`regex_cache`): read once, written at exit with what the process used, never a failure.

The file sits in this package's ``__pycache__`` (under `sys.pycache_prefix` if set), is written
only where Python writes bytecode, atomically, and is read only with the stamp it was written
with (the interpreter's, so an upgrade reads none of it).
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from importlib.util import cache_from_source
from typing import Any

__all__ = ["path_for", "read", "write"]


def path_for(name: str) -> str | None:
    """`<pycache>/<name>.<cache tag>.marshal`; None where no bytecode is cached."""
    try:
        where = os.path.dirname(cache_from_source(__file__))
    except (NotImplementedError, ValueError):  # no cache tag: no bytecode is cached either
        return None
    return os.path.join(where, f"{name}.{sys.implementation.cache_tag}.marshal")


def read(path: str | None, stamp: object) -> dict[Any, Any]:
    """The entries written at `path` with `stamp`; empty if missing, broken or another's."""
    if path is None:
        return {}
    try:
        with open(path, "rb") as handle:
            found, entries = marshal.loads(handle.read())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    if found != stamp or not isinstance(entries, dict):
        return {}
    return entries


def write(
    path: str | None, stamp: object, loaded: dict[Any, Any], used: dict[Any, Any], most: int
) -> None:
    """Write `loaded` and `used` (only `used` past `most` entries: others' piling up)."""
    if path is None or sys.dont_write_bytecode:
        return
    entries = {**loaded, **used}
    if len(entries) > most:
        entries = dict(used)
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "wb") as handle:
            handle.write(marshal.dumps((stamp, entries)))  # type: ignore[arg-type]
        os.replace(temporary, path)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            os.unlink(temporary)
