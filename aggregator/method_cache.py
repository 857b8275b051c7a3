"""Our dataclasses' generated methods compiled once, not at every start.

`dataclasses` writes a class's ``__init__``, ``__repr__``, ``__eq__``, ``__hash__`` and (frozen)
``__setattr__`` and ``__delattr__`` as source text and compiles each with ``exec`` when the
class is defined: ~180 compilations for the classes a `poll --once` loads, a sixth of the
instructions of a pass whose feeds all answer 304. :func:`install` gives `dataclasses` an
``exec`` that compiles each text of this package's classes once and keeps the code in a
marshal file beside the package's bytecode (where Python keeps its ``.pyc`` files, and only
when it writes them). A text's code is what compiling it again gives (the same file name and
flags), so an entry is never stale: a changed class has another text and misses. Other
packages' dataclasses are compiled as ever.
"""

from __future__ import annotations
import __future__

import atexit
import builtins
import contextlib
import dataclasses
import marshal
import os
import sys
from importlib.util import MAGIC_NUMBER, cache_from_source
from types import CodeType
from typing import Any

__all__ = ["install"]

PACKAGE = __name__.partition(".")[0]
# Twice what all our classes make (~50 classes, up to 6 methods each); more (edited versions
# piling up): only the ones this process used are kept. Loading costs ~20K instructions a text.
MAX_ENTRIES = 600
# Every `__future__` feature's compiler flag (distinct bits; the oldest features have none).
_FUTURE_MASK = sum(
    {getattr(__future__, name).compiler_flag for name in __future__.all_feature_names}
)
Key = tuple[str, int, str]  # file name, flags, source

_codes: dict[Key, CodeType] | None = None  # loaded at the first class defined
_used: dict[Key, CodeType] = {}
_missed = False


def _path() -> str | None:
    """The cache file, in this package's `__pycache__` (under `sys.pycache_prefix` if set)."""
    try:
        where = os.path.dirname(cache_from_source(__file__))
    except (NotImplementedError, ValueError):  # no cache tag: no bytecode is cached either
        return None
    return os.path.join(where, f"dataclass-methods.{sys.implementation.cache_tag}.marshal")


def _load() -> dict[Key, CodeType]:
    path = _path()
    if path is None:
        return {}
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        if data[: len(MAGIC_NUMBER)] != MAGIC_NUMBER:
            return {}
        codes = marshal.loads(data[len(MAGIC_NUMBER) :])
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    if not isinstance(codes, dict):
        return {}
    return {k: v for k, v in codes.items() if _is_key(k) and isinstance(v, CodeType)}


def _is_key(key: object) -> bool:
    return (
        isinstance(key, tuple)
        and len(key) == 3
        and isinstance(key[0], str)
        and isinstance(key[1], int)
        and isinstance(key[2], str)
    )


def _save() -> None:
    """Write the cache if a text was compiled in this process (at exit; never fails)."""
    path = _path()
    if not _missed or path is None or sys.dont_write_bytecode:
        return
    codes = {**(_codes or {}), **_used}
    if len(codes) > MAX_ENTRIES:
        codes = dict(_used)
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "wb") as handle:
            handle.write(MAGIC_NUMBER + marshal.dumps(codes))
        os.replace(temporary, path)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _future_flags(depth: int) -> int:
    """The `__future__` flags a builtin called from `depth` frames up would inherit."""
    return sys._getframe(depth + 1).f_code.co_flags & _FUTURE_MASK


def code_for(filename: str, flags: int, source: str) -> CodeType:
    """``compile(source, filename, "exec", flags, dont_inherit=True)``, from the cache."""
    global _codes, _missed
    if _codes is None:
        _codes = _load()
    key = (filename, flags, source)
    code = _codes.get(key)
    if code is None:
        code = compile(source, filename, "exec", flags, dont_inherit=True)
        _codes[key] = code
        if not _missed:
            _missed = True
            atexit.register(_save)
    _used[key] = code
    return code


def _exec(
    source: Any, globals: dict[str, Any] | None = None, locals: Any = None, /, **kwargs: Any
) -> None:
    """`exec` as `dataclasses` calls it: a text for one of our classes runs from the cache."""
    if globals is None:  # as the builtin does: the caller's namespaces
        frame = sys._getframe(1)
        globals, locals = frame.f_globals, frame.f_locals if locals is None else locals
    name = globals.get("__name__")
    ours = isinstance(name, str) and name.partition(".")[0] == PACKAGE
    if ours and isinstance(source, str) and not kwargs:
        source = code_for("<string>", _future_flags(1), source)
    builtins.exec(source, globals, locals, **kwargs)


def install() -> None:
    """Route `dataclasses`' compilations through the cache (once per process)."""
    dataclasses.exec = _exec  # type: ignore[attr-defined]  # shadows the builtin there
