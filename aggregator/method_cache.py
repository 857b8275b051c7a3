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

:func:`attrs_cached` does the same for the attrs classes made while it is entered (aiohttp's,
~20 texts, most of them in its tracing module; attrs' own ~30, when attrs is imported inside).
attrs writes a hashable class's hash of its name into its ``__hash__`` text, and that hash
differs in every process: the text is kept with a placeholder in its place and the code gets
the process's value back (:func:`_attrs_code`).
"""

from __future__ import annotations
import __future__

import atexit
import builtins
import contextlib
import dataclasses
import importlib.machinery
import re
import sys
from collections.abc import Iterator
from importlib.util import MAGIC_NUMBER
from types import CodeType
from typing import Any

from . import pycache_file

__all__ = ["attrs_cached", "install"]

PACKAGE = __name__.partition(".")[0]
# Twice what all our classes make (~50 classes, up to 6 methods each); more (edited versions
# piling up): only the ones this process used are kept. Loading costs ~20K instructions a text.
MAX_ENTRIES = 600
# Every `__future__` feature's compiler flag (distinct bits; the oldest features have none).
_FUTURE_MASK = sum(
    {getattr(__future__, name).compiler_flag for name in __future__.all_feature_names}
)
Key = tuple[str, int, str]  # file name, flags, source

# attrs' type hash in a `__hash__` text: `hash((` and, on the next line, the number.
_TYPE_HASH = re.compile(r"(hash\(\(\n[ \t]*)(-?\d+),")
# What the number is kept as: wider than any hash, so never a real one.
_PLACEHOLDER = 2**70 + 1

_codes: dict[Key, CodeType] | None = None  # loaded at the first class defined
_used: dict[Key, CodeType] = {}
_missed = False


def _load() -> dict[Key, CodeType]:
    codes = pycache_file.read(pycache_file.path_for("dataclass-methods"), MAGIC_NUMBER)
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
    if _missed:
        path = pycache_file.path_for("dataclass-methods")
        pycache_file.write(path, MAGIC_NUMBER, _codes or {}, _used, MAX_ENTRIES)


def _future_flags(depth: int) -> int:
    """The `__future__` flags a builtin called from `depth` frames up would inherit."""
    flags: int = sys._getframe(depth + 1).f_code.co_flags & _FUTURE_MASK
    return flags


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


def _replaced(value: Any, old: int, new: int) -> Any:
    """`value` (a code object's constant) with the int `old` in it made `new`."""
    if type(value) is int and value == old:
        return new
    if isinstance(value, CodeType):
        return value.replace(co_consts=tuple(_replaced(c, old, new) for c in value.co_consts))
    if type(value) is tuple:
        return tuple(_replaced(v, old, new) for v in value)
    return value


def _attrs_code(source: str, filename: str, flags: int) -> CodeType:
    """What compiling attrs' `source` gives, from the cache; its type hash put back."""
    found = {int(m.group(2)) for m in _TYPE_HASH.finditer(source)}
    if len(found) > 1 or str(_PLACEHOLDER) in source:
        code: CodeType = compile(source, filename, "exec", flags, dont_inherit=True)
        return code
    if not found:
        return code_for(filename, flags, source)
    (number,) = found
    kept = _TYPE_HASH.sub(lambda m: f"{m.group(1)}{_PLACEHOLDER},", source)
    replaced: CodeType = _replaced(code_for(filename, flags, kept), _PLACEHOLDER, number)
    return replaced


def _attrs_compile(
    source: Any,
    filename: Any,
    mode: str,
    flags: int = 0,
    dont_inherit: bool = False,
    optimize: int = -1,
) -> Any:
    """`compile` as attrs calls it (`compile(script, filename, "exec")`), from the cache."""
    flags |= 0 if dont_inherit else _future_flags(1)
    if isinstance(source, str) and isinstance(filename, str) and mode == "exec" and optimize == -1:
        return _attrs_code(source, filename, flags)
    return compile(source, filename, mode, flags, dont_inherit=True, optimize=optimize)


_ATTRS_MAKE = "attr._make"  # the module whose `compile` attrs calls


class _AttrsFinder:
    """Finds `attr._make` as the path finder does and gives the module our `compile` before its
    code runs: attrs' own classes (its validators, made while attrs imports) are cached too."""

    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> Any:
        if name != _ATTRS_MAKE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        loader = spec.loader if spec is not None else None
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module

        def exec_module(module: Any) -> None:
            module.compile = _attrs_compile  # shadows the builtin there
            run(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


@contextlib.contextmanager
def attrs_cached() -> Iterator[None]:
    """attrs classes made inside (attrs' own too, when it is imported inside) have their
    methods' code from the cache."""
    make = sys.modules.get(_ATTRS_MAKE)
    own = None
    if make is None:
        sys.meta_path.insert(0, _AttrsFinder)
    else:
        own = vars(make).get("compile")
        make.compile = _attrs_compile  # type: ignore[attr-defined]
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(_AttrsFinder)
        make = sys.modules.get(_ATTRS_MAKE)
        if make is not None and vars(make).get("compile") is _attrs_compile:
            if own is None:
                del make.compile
            else:
                make.compile = own  # type: ignore[attr-defined]
