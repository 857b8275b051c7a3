"""Regular expressions compiled once, not at every start.

Python's `re` parses a pattern and writes its program in Python code each time a process first
compiles it: ~100 patterns in a `poll --once` (the HTTP client's modules, `email`, `json`,
`http.cookies`, `platform` and ours, almost all at import), about a tenth of the instructions of a
pass whose feeds all answer 304. :func:`install` has `re` take a pattern's program from a marshal
file kept beside this package's bytecode (where Python keeps its ``.pyc`` files, and only when it
writes them) and hand it to `_sre.compile`, as `re` itself does. A program is stored only when
the pattern it makes equals the one `re` made (same flags and program; same groups), and the
file is only read by the interpreter that wrote it (its version and `_sre`'s), so an entry is
never stale; anything unexpected leaves `re` to compile as ever.

A pattern whose parsing warns (a `FutureWarning` of a possible nested set) is never stored: it
warns, from its caller's line, wherever it is compiled.

A pattern that is one set of ASCII characters (``[^\\]\\(<@]+``) is kept under its members in
order (:func:`_key`): `email`'s header parser writes four such sets in a set's iteration order,
which changes with the process's hash seed, so each process missed four and wrote the file again,
four entries longer. `re` writes a set of characters in three or more runs as a bitmap of 256
(`_compiler._optimize_charset`), so their order does not change the program.

Each program is kept in the file as its own marshal bytes and unpacked when its pattern is
compiled: a process uses a third of the file's programs (~110 of ~380 in a `poll --once`), and
unpacking every program's list of numbers with the file cost more than the patterns it served.
"""

from __future__ import annotations

import _sre
import atexit
import marshal
import sys
import warnings
from collections.abc import Callable
from re import _compiler, _parser  # type: ignore[attr-defined]
from types import FrameType
from typing import Any

from . import pycache_file

__all__ = ["install"]

# Several times what a `poll` or `run` compiles; more (other programs' patterns piling up):
# only the ones this process used are kept.
MAX_ENTRIES = 2000
# Programs one process adds at most: a few patterns are made from the text at hand (a
# speaker's name, a byline's surname), a new one for each name; a service adds ~100 a day at
# 30 feeds. Past this, such patterns are compiled as `re` compiles them (its own cache).
MAX_NEW = MAX_ENTRIES
_DEBUG = 128  # re.DEBUG: printed while compiling, never cached by `re` either
_QUANTIFIERS = frozenset({"", "+", "*", "?"})
# Unescaped in a set, these make ranges, nested sets, set operations or escapes: not keyed by
# members (nor is any non-ASCII character, which `re` may not fold into its map).
_SPECIAL = frozenset("[]-^\\&~|")
# The interpreter the programs are for: another (an upgrade) reads none of them.
# (And the file's layout: each program as its own marshal bytes.)
_STAMP = (sys.version, getattr(_sre, "MAGIC", 0), getattr(_sre, "CODESIZE", 0), "packed")

# (pattern, flags), or for a set of characters (its members in order, flags, "[]" or "[^]"
# and the set's quantifier).
Key = tuple[str | bytes, int] | tuple[str, int, str]
# What `_sre.compile` takes after the pattern: flags, program, groups, names, index to names.
Program = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]

# Each program as its marshal bytes (unpacked when used).
_programs: dict[Key, bytes] | None = None  # loaded at the first pattern compiled
_used: dict[Key, bytes] = {}
_missed = False
_new = 0  # programs this process added
_compile: Callable[..., Any] | None = None  # `re`'s own, once installed


def _load() -> dict[Key, bytes]:
    return pycache_file.read(pycache_file.path_for("regex-programs"), _STAMP)


def _save() -> None:
    """Write the cache if a pattern was compiled in this process (at exit; never fails)."""
    if _missed:
        path = pycache_file.path_for("regex-programs")
        pycache_file.write(path, _STAMP, _programs or {}, _used, MAX_ENTRIES)


def _key(pattern: str | bytes, flags: int) -> Key:
    """The cache's key for a pattern: (pattern, flags), or for one set of literal ASCII
    characters, optionally negated and repeated, with no flags, its members in order."""
    if flags or type(pattern) is not str or not pattern.startswith("["):
        return pattern, flags
    end = pattern.rfind("]")
    if end < 2 or pattern[end + 1 :] not in _QUANTIFIERS:
        return pattern, flags
    body = pattern[1:end]
    negated = body.startswith("^")
    members: set[str] = set()
    at = 1 if negated else 0
    while at < len(body):
        char = body[at]
        if char == "\\":
            char = body[at + 1 : at + 2]
            if not char or char.isalnum() or not char.isascii():  # \d, \n, \x41...: not itself
                return pattern, flags
            at += 2
        elif char in _SPECIAL or not char.isascii():
            return pattern, flags
        else:
            at += 1
        members.add(char)
    codes = {ord(char) for char in members}
    runs = len(codes - {code + 1 for code in codes})  # the codes that start a run
    if runs < 3:  # (`re` keeps a set of one or two runs as written when no shorter)
        return pattern, flags
    return (
        "".join(map(chr, sorted(codes))),
        flags,
        f"[{'^' if negated else ''}]{pattern[end + 1 :]}",
    )


def _program(pattern: str | bytes, flags: int) -> Program:
    """What `re._compiler.compile` hands `_sre.compile` for `pattern` (its steps, in order)."""
    parsed = _parser.parse(pattern, flags)
    code = [int(op) for op in _compiler._code(parsed, flags)]  # its opcodes: named ints
    names = dict(parsed.state.groupdict)
    index: list[str | None] = [None] * parsed.state.groups
    for name, number in names.items():
        index[number] = name
    return flags | parsed.state.flags, code, parsed.state.groups - 1, names, tuple(index)


def _made(pattern: str | bytes, program: Program) -> Any:
    flags, code, groups, names, index = program
    return _sre.compile(pattern, flags, code, groups, dict(names), index)


def _compiled(pattern: Any, flags: int = 0) -> Any:
    """`re._compiler.compile` as `re` calls it: a pattern's program from the cache."""
    global _programs, _missed, _new
    assert _compile is not None
    if type(pattern) not in (str, bytes) or type(flags) is not int or flags & _DEBUG:
        return _compile(pattern, flags)
    if _programs is None:
        _programs = _load()
    key = _key(pattern, flags)
    packed = _programs.get(key)
    if packed is not None:
        _used[key] = packed
        return _made(pattern, marshal.loads(packed))
    if _new >= MAX_NEW:
        return _compile(pattern, flags)
    program: Program | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        made = _compile(pattern, flags)
        warned = len(caught)
        if not warned:
            try:
                program = _program(pattern, flags)
                again = _made(pattern, program)
            except Exception:  # another `re` inside: it compiles as ever
                program = again = None
    for found in caught[:warned]:
        _warn_again(found)
    if program is None or len(caught) > warned or not _same(made, again):
        return made
    _programs[key] = _used[key] = marshal.dumps(program)
    _new += 1
    if not _missed:
        _missed = True
        atexit.register(_save)
    return made


def _same(made: Any, again: Any) -> bool:
    return bool(
        again == made and again.groups == made.groups and again.groupindex == made.groupindex
    )


def _warn_again(found: warnings.WarningMessage) -> None:
    """Issue a warning caught while `re` compiled, from the line it would have come from had
    this function not been between `re` and its compiler: the frame above the one caught."""
    frame: FrameType | None = sys._getframe(2)  # `_compiled`'s caller
    level = 3
    while frame is not None:
        if frame.f_code.co_filename == found.filename and frame.f_lineno == found.lineno:
            warnings.warn(found.message, found.category, stacklevel=level + 1)
            return
        frame = frame.f_back
        level += 1
    warnings.warn_explicit(found.message, found.category, found.filename, found.lineno)


def install() -> None:
    """Route `re`'s compilations through the cache (once per process)."""
    global _compile
    if _compile is None and callable(getattr(_compiler, "compile", None)):
        _compile = _compiler.compile
        _compiler.compile = _compiled
