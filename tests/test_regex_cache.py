"""Regular expressions' programs come from a cache beside the bytecode: the patterns are the
ones `re` makes, the cache is written only where bytecode is, a broken or foreign file only
costs the compilations, and a pattern that warns still warns from its caller's line."""

from __future__ import annotations

import marshal
import re
import sys
import textwrap
import uuid
import warnings
from pathlib import Path

import pytest
from pycache_child import cache_files, run_child

from aggregator import regex_cache

PATTERNS = [
    (r"(?P<year>\d{4})-(?P<month>\d\d)(?:-(\d\d))?", 0),
    (r"^\s*(?P<name>[a-z_][\w-]*)\s*=\s*(.*?)\s*$", re.IGNORECASE | re.MULTILINE),
    (
        r"""
        (?P<scheme>https?)://   # scheme
        (?P<host>[^/:]+)        # host
        (?::(?P<port>\d+))?     # port
     """,
        re.VERBOSE,
    ),
    (r"(a|b)*?c\1(?=d)(?<!e)[^\W\d_]+", re.ASCII | re.DOTALL),
    (rb"(?P<tag><[a-z]+>)|\x00+", 0),
    (rb"[a-z]+", re.LOCALE),
    (r"(?i:ÉTÉ)|été|\u0130", 0),
]

# Compiles PATTERNS (as `re` is asked for them) and says whether one missed the cache.
SCRIPT = textwrap.dedent(
    """
    import re, sys
    import aggregator
    from aggregator import regex_cache
    patterns = eval(sys.argv[1])
    for source, flags in patterns:
        made = re.compile(source, flags)
        own = regex_cache._compile(source, flags)
        assert made == own and made.groupindex == own.groupindex, source
        assert made.groups == own.groups and made.flags == own.flags, source
    assert all(regex_cache._key(*key) in regex_cache._used for key in patterns)
    print("compiled", regex_cache._missed)
    """
)


def _run(tmp_path: Path, *, write: bool = True) -> str:
    """Whether a pattern had to be compiled in a fresh process."""
    return run_child(tmp_path, SCRIPT, repr(PATTERNS), write=write)


def _cache_files(tmp_path: Path) -> list[Path]:
    return cache_files(tmp_path, "regex-programs")


@pytest.fixture(autouse=True)
def _new_programs_counted_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """A whole suite's run compiles more new patterns than one process stores; past that cap
    a pattern is compiled by `re` itself, unstored, which these tests would read as a fault."""
    monkeypatch.setattr(regex_cache, "_new", 0)


def test_a_second_process_takes_the_patterns_from_the_cache(tmp_path: Path) -> None:
    assert _run(tmp_path) == "True"  # the first compiles, and writes the cache at exit
    assert len(_cache_files(tmp_path)) == 1
    assert _run(tmp_path) == "False"  # the same patterns, all from the cache, equal to re's


def test_a_set_written_in_another_order_takes_the_first_orders_program(tmp_path: Path) -> None:
    # As email's header parser writes its sets: in a set's order, which the hash seed changes.
    members = list('\t "(),.:;<>@[]\\')
    first, second = [(f"[^{re.escape(''.join(order))}]+", 0) for order in (members, members[::-1])]
    assert run_child(tmp_path, SCRIPT, repr([first])) == "True"
    (cache,) = _cache_files(tmp_path)
    written = cache.read_bytes()
    assert run_child(tmp_path, SCRIPT, repr([second])) == "False"  # (and equal to re's)
    assert cache.read_bytes() == written  # nothing compiled: not written again


def test_only_sets_whose_order_cannot_change_the_program_share_a_key() -> None:
    orders = ["[^@<>(),;:.]+", "[^.:;,)(><@]+", r"[^\@\<\>\(\)\,\;\:\.]+"]
    keys = {regex_cache._key(source, 0) for source in orders}
    assert keys == {("(),.:;<>@", 0, "[^]+")}
    programs = {repr(regex_cache._program(source, 0)) for source in orders}
    assert len(programs) == 1  # re writes three or more runs as a bitmap: order-free
    assert regex_cache._key("[(),.:;<>@]+", 0) != regex_cache._key("[^(),.:;<>@]+", 0)
    assert regex_cache._key("[^(),.:;<>@]", 0) != regex_cache._key("[^(),.:;<>@]+", 0)
    assert regex_cache._key("[^(),.:;<>@+]", 0) != regex_cache._key("[^(),.:;<>@]+", 0)
    # Kept as written: one or two runs (re keeps their order), ranges, classes, escapes that
    # are not the character itself, non-ASCII, flags, anything around or after the set.
    for source, flags in [
        ("[ab]", 0), ("[ba]", 0), ("[abxy]", 0), ("[a-z.,]", 0), (r"[\d.,]", 0),
        (r"[\x41.,;]", 0), ("[é.,;]", 0), ("[.,;]", re.IGNORECASE), ("[.,;]x", 0),
        ("x[.,;]", 0), ("[.,;]+?", 0), ("[[.,;]", 0), ("[&&.,]", 0),
    ]:  # fmt: skip
        assert regex_cache._key(source, flags) == (source, flags)
    assert repr(regex_cache._program("[cX]", 0)) != repr(regex_cache._program("[Xc]", 0))


def test_nothing_is_written_where_bytecode_is_not(tmp_path: Path) -> None:
    assert _run(tmp_path, write=False) == "True"
    assert _cache_files(tmp_path) == []


def test_a_broken_cache_file_is_compiled_over(tmp_path: Path) -> None:
    _run(tmp_path)
    (cache,) = _cache_files(tmp_path)
    for junk in (b"", b"not a cache", cache.read_bytes()[:40]):
        cache.write_bytes(junk)
        assert _run(tmp_path) == "True"  # compiled again, the patterns as ever
        assert _run(tmp_path) == "False"  # and the file written anew


def test_another_interpreters_programs_are_not_used(tmp_path: Path) -> None:
    _run(tmp_path)
    (cache,) = _cache_files(tmp_path)
    _, programs = marshal.loads(cache.read_bytes())
    assert all(isinstance(packed, bytes) for packed in programs.values())  # unpacked when used
    cache.write_bytes(marshal.dumps((("another Python", 0, 0, "packed"), programs)))
    assert _run(tmp_path) == "True"


def test_re_compiles_through_the_cache_and_matches_as_ever() -> None:
    assert re._compiler.compile is regex_cache._compiled  # type: ignore[attr-defined]
    tag = uuid.uuid4().hex  # a pattern this process has not compiled yet
    source = rf"(?P<word>\w+)-{tag}|(\d+)"
    made = re.compile(source)
    assert (source, 0) in regex_cache._used  # stored on its first compilation
    again = regex_cache._made(source, marshal.loads(regex_cache._used[source, 0]))
    assert again == made and again.groupindex == made.groupindex == {"word": 1}
    match = again.search(f"x ab-{tag} 42")
    assert match is not None and match.group("word") == "ab"
    assert again.findall(f"7 q-{tag}") == [("", "7"), ("q", "")]


def test_a_pattern_that_warns_is_not_stored_and_warns_from_its_caller() -> None:
    source = f"[[a]{uuid.uuid4().hex}"  # a possible nested set: FutureWarning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = sys._getframe().f_lineno + 1
        pattern = re.compile(source)
    assert [w.category for w in caught] == [FutureWarning]
    assert caught[0].filename == __file__ and caught[0].lineno == line
    assert pattern.match("[x" + source[4:]) is None
    assert (source, 0) not in regex_cache._used


def test_debug_and_compiled_patterns_pass_through(capsys: pytest.CaptureFixture[str]) -> None:
    source = f"x{uuid.uuid4().hex}"
    re.compile(source, re.DEBUG)
    assert "LITERAL" in capsys.readouterr().out  # printed as re does
    assert (source, re.DEBUG) not in regex_cache._used


def test_a_process_adds_a_bounded_number_of_programs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Patterns made from text (a name each) would otherwise pile up for as long as a
    service runs: past MAX_NEW, a new pattern is compiled as `re` compiles it, not kept."""
    monkeypatch.setattr(regex_cache, "MAX_NEW", regex_cache._new + 3)
    names = [f"Name{uuid.uuid4().hex}" for _ in range(10)]
    found = [re.compile(rf"\b{name}\b").search(f"said {name}.") for name in names]
    assert all(match is not None for match in found)
    assert [(rf"\b{name}\b", 0) in regex_cache._used for name in names] == [True] * 3 + [False] * 7
