"""Our dataclasses' generated methods come from a compiled cache beside the bytecode: the
classes behave as `dataclasses` makes them, the cache is written only where bytecode is, and
a broken or foreign cache file only costs a compilation."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pycache_child import cache_files, run_child

from aggregator import method_cache
from aggregator.models import FeedState, Source

# Defines a frozen dataclass in a module of our package, uses every generated method, and
# says how many texts were compiled rather than taken from the cache file.
SCRIPT = textwrap.dedent(
    """
    import sys, types
    import aggregator
    from aggregator import method_cache
    import dataclasses
    module = types.ModuleType("aggregator._probe")
    sys.modules[module.__name__] = module
    exec(
        "from dataclasses import dataclass, field\\n"
        "@dataclass(frozen=True, slots=True)\\n"
        "class Probe:\\n"
        "    name: str\\n"
        "    tags: tuple = ()\\n"
        "    seen: list = field(default_factory=list)\\n",
        module.__dict__,
    )
    Probe = module.Probe
    a, b = Probe("x", ("t",)), Probe("x", ("t",))
    assert a == b and a is not b and a != Probe("y")
    assert repr(a) == "Probe(name='x', tags=('t',), seen=[])", repr(a)
    try:
        hash(a)
    except TypeError:
        pass  # a list field: unhashable, as dataclasses makes it
    try:
        a.name = "z"
        raise SystemExit("not frozen")
    except dataclasses.FrozenInstanceError:
        pass
    assert dataclasses.replace(a, name="z").name == "z"
    # __init__, __repr__, __eq__, __hash__, __setattr__ and __delattr__: through the cache
    assert len(method_cache._used) == 6, list(method_cache._used)
    print("compiled", method_cache._missed)
    """
)


def _run(tmp_path: Path, *, write: bool = True) -> str:
    """Whether a text had to be compiled in a fresh process."""
    return run_child(tmp_path, SCRIPT, write=write)


def _cache_files(tmp_path: Path) -> list[Path]:
    return cache_files(tmp_path, "dataclass-methods")


def test_a_second_process_compiles_nothing(tmp_path: Path) -> None:
    assert _run(tmp_path) == "True"  # the first compiles, and writes the cache at exit
    assert len(_cache_files(tmp_path)) == 1
    assert _run(tmp_path) == "False"  # the same classes, all from the cache


def test_nothing_is_written_where_bytecode_is_not(tmp_path: Path) -> None:
    assert _run(tmp_path, write=False) == "True"
    assert _cache_files(tmp_path) == []


def test_a_broken_cache_file_is_compiled_over(tmp_path: Path) -> None:
    _run(tmp_path)
    (cache,) = _cache_files(tmp_path)
    for junk in (b"", b"not a cache", cache.read_bytes()[:4] + b"\x00garbage"):
        cache.write_bytes(junk)
        assert _run(tmp_path) == "True"  # compiled again, the classes as ever
        assert _run(tmp_path) == "False"  # and the file written anew


def test_our_classes_behave_as_dataclasses_make_them() -> None:
    source = Source("http://a.example/feed", "A", "World", None)
    assert source == Source("http://a.example/feed", "A", "World", None)
    assert hash(source) == hash(Source("http://a.example/feed", "A", "World", None))
    assert repr(source).startswith("Source(url='http://a.example/feed', title='A'")
    with pytest.raises(dataclasses.FrozenInstanceError):
        source.title = "B"  # type: ignore[misc]
    state = dataclasses.replace(FeedState("http://a.example/feed"), etag='"1"')
    assert state.etag == '"1"' and state.error_count == 0


def test_the_cached_code_is_what_compiling_gives() -> None:
    text = "def __create_fn__():\n def f(self):\n  return self\n return f"
    code = method_cache.code_for("<string>", 0, text)
    assert method_cache.code_for("<string>", 0, text) is code
    assert code == compile(text, "<string>", "exec", dont_inherit=True)


def test_other_packages_dataclasses_are_compiled_as_ever(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []
    real = method_cache.code_for
    monkeypatch.setattr(method_cache, "code_for", lambda *args: seen.append(args[2]) or real(*args))

    @dataclasses.dataclass(frozen=True)
    class Elsewhere:  # defined in this test module: not the package's
        x: int

    assert Elsewhere(1) == Elsewhere(1) and seen == []


def test_past_the_cap_only_the_texts_in_use_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    code = compile("x = 1", "<string>", "exec")
    old = {("<string>", 0, f"y = {n}"): code for n in range(method_cache.MAX_ENTRIES)}
    used = {("<string>", 0, "x = 1"): code}
    monkeypatch.setattr(method_cache, "_codes", {**old, **used})
    monkeypatch.setattr(method_cache, "_used", used)
    monkeypatch.setattr(method_cache, "_missed", True)
    method_cache._save()
    assert method_cache._load() == used
    monkeypatch.setattr(method_cache, "_codes", dict(list(old.items())[:10]))
    method_cache._save()  # under the cap: what was loaded is kept beside what was used
    assert len(method_cache._load()) == 11


# aiohttp's attrs classes through the cache (a second process takes them all from the file):
# hashes, equality and reprs as attrs makes them in a process with the same hash seed.
ATTRS_SCRIPT = textwrap.dedent(
    """
    import sys
    if sys.argv[1] == "cached":
        from aggregator import fetch_client, method_cache  # aiohttp through fetch_tls
        attrs_texts = [k[0] for k in method_cache._used if k[0].startswith("<attrs generated")]
        assert any(" aiohttp.tracing." in name for name in attrs_texts), attrs_texts
        assert any(" attr.validators." in name for name in attrs_texts), attrs_texts  # attrs' own
        import attr._make
        assert "compile" not in vars(attr._make)  # only while aiohttp imports
        assert method_cache._AttrsFinder not in sys.meta_path
    else:
        import aiohttp
    from aiohttp import ClientTimeout
    from aiohttp.tracing import TraceRequestEndParams
    t = ClientTimeout(total=1, connect=2, sock_read=3, sock_connect=4, ceil_threshold=5)
    assert t == ClientTimeout(1, 2, 3, 4, 5) and t != ClientTimeout(1, 2, 3, 4, 6)
    e = TraceRequestEndParams("GET", "u", "h", "r")
    print(hash(t), repr(t), hash(e), repr(e))
    print(method_cache._missed if sys.argv[1] == "cached" else "-")
    """
)


def test_aiohttps_attrs_classes_come_from_the_cache_with_this_process_hash(
    tmp_path: Path,
) -> None:
    def run(mode: str, seed: str) -> list[str]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pycache")
        env["PYTHONHASHSEED"] = seed
        result = subprocess.run(
            [sys.executable, "-c", ATTRS_SCRIPT, mode],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()

    first = run("cached", "1")
    assert first[1] == "True"  # compiled, and written at exit
    again = run("cached", "1")
    assert again == [first[0], "False"]  # all from the file, the same classes
    assert again[0] == run("plain", "1")[0]  # as attrs makes them
    other = run("cached", "2")  # another seed: attrs' type hash is the process's own
    assert other[0] == run("plain", "2")[0] != first[0]


def test_a_type_hash_is_put_back_wherever_the_code_keeps_it() -> None:
    text = "def __hash__(self):\n    return hash((\n        -12345,\n        self.a,\n    ))\n"
    namespace: dict[str, object] = {}
    exec(method_cache._attrs_code(text, "<attrs generated methods t.T>", 0), namespace)
    fn = namespace["__hash__"]

    class T:
        a = 7

    assert fn(T()) == hash((-12345, 7))  # type: ignore[operator]
    alone = "def __hash__(self):\n    return hash((\n        99,\n    ))\n"  # a folded tuple
    exec(method_cache._attrs_code(alone, "<attrs generated methods t.U>", 0), namespace)
    assert namespace["__hash__"](T()) == hash((99,))  # type: ignore[operator]
