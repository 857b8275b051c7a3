"""How the grouping snapshot pickles the window: records and counts load back exactly as they
were, and the write holds no temporary copy of each (the pickler's memo keeps every object
it saved alive until the dump ends)."""

from __future__ import annotations

import io
import os
import pickle
import random
import subprocess
import sys
from array import array
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aggregator
from aggregator.active_story import ActiveStory, ProfileMember
from aggregator.cluster import Clusterer
from aggregator.cluster_settings import ClusterSettings
from aggregator.grouping_snapshot import _Reductions
from aggregator.models import Item

T0 = datetime(2025, 3, 4, 6, 0, tzinfo=UTC)


class _Plain:
    __slots__ = ("__secret", "a", "b")

    def __init__(self, a: object) -> None:
        self.a = a

    def hide(self, value: object) -> None:
        self.__secret = value

    def secret(self) -> object:
        return self.__secret


class _Sub(_Plain):
    __slots__ = ("c",)


class _WithDict:
    def __init__(self) -> None:
        self.x = [1, 2]


def _round_trip(obj: Any, table: bool = True) -> tuple[Any, dict[int, Any]]:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    if table:
        pickler.dispatch_table = _Reductions()
    pickler.dump(obj)
    memo = {i: o for i, o in pickler.memo.copy().values()}
    return pickle.loads(buffer.getvalue()), memo


def _window(n: int) -> list[ActiveStory]:
    stories = []
    for k in range(n):
        story = ActiveStory(f"s{k}", T0 + timedelta(minutes=k))
        story.founder = ProfileMember(f"i{k}", story, T0, ("packed", k), "a.example")
        story.recent = (ProfileMember(f"j{k}", story, T0, ("packed",), "b.example"),)
        story.enter(f"i{k}", ("packed", k), "a.example", T0, T0)
        stories.append(story)
    return stories


def test_records_load_back_with_their_values_and_references() -> None:
    stories = _window(3)
    loaded, _ = _round_trip(stories)
    for before, after in zip(stories, loaded, strict=True):
        assert type(after) is ActiveStory and repr(after) == repr(before)
        assert after.founder.story is after and after.recent[0].story is after  # (cycles)
    assert loaded[0].founder.when is loaded[1].founder.when  # shared stays shared


def test_slots_left_unset_stay_unset_and_other_classes_pickle_as_before() -> None:
    plain, sub, with_dict = _Plain([1]), _Sub("x"), _WithDict()
    sub.c = plain
    sub.hide("kept")
    (p, s, w), _ = _round_trip([plain, sub, with_dict])
    assert p.a == [1] and not hasattr(p, "b") and not hasattr(p, "_Plain__secret")
    assert s.secret() == "kept"
    assert type(s) is _Sub and s.a == "x" and s.c.a == [1] and not hasattr(s, "b")
    assert type(w) is _WithDict and w.x == [1, 2]


def test_counts_and_times_load_back_equal_in_the_same_order() -> None:
    counts = Counter({"zeta": 3, "alpha": 1, "mid": 2})
    counts["alpha"] += 4
    local = timezone(timedelta(hours=2))
    times = [T0, datetime(2025, 1, 1, 1, 2, 3, 456, tzinfo=local), datetime(2025, 1, 1)]
    folded = datetime(2025, 10, 26, 2, 30, fold=1)
    (c, t, f), _ = _round_trip([counts, times, folded])
    assert type(c) is Counter and list(c.items()) == list(counts.items())
    assert t == times and [x.tzinfo for x in t] == [UTC, local, None]
    assert f == folded and f.fold == 1


def test_times_at_a_fixed_offset_load_back_to_the_microsecond() -> None:
    # (written as POSIX timestamps, floats, up to 2**32 s; times past that as their fields)
    rng = random.Random(6)
    zones = (UTC, timezone(timedelta(hours=5, minutes=45)), timezone(-timedelta(hours=8)))
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    last = epoch + timedelta(seconds=2**32, microseconds=-1)
    edges = [epoch, last, last + timedelta(microseconds=1), epoch - timedelta(microseconds=1)]
    spread = (epoch + timedelta(microseconds=rng.randrange(2**32 * 10**6)) for _ in range(20000))
    times = edges + [t.astimezone(rng.choice(zones)) for t in spread]
    loaded, memo = _round_trip(times)
    assert [(repr(t), t.utcoffset()) for t in loaded] == [(repr(t), t.utcoffset()) for t in times]
    assert loaded[0].tzinfo is UTC
    fields = [o for o in memo.values() if type(o) is tuple and len(o) == 8]
    assert len(fields) == 2  # (the two past 2**32 s: no tuple of fields kept for the rest)


def test_arrays_load_back_equal_and_are_not_copied_while_writing() -> None:
    weights = [array("d", [0.5, -1.25, 3.0]), array("d"), array("q", [7, 8])]
    loaded, memo = _round_trip(weights)
    assert [(type(a), a.typecode, a.tolist()) for a in loaded] == [
        (array, w.typecode, w.tolist()) for w in weights
    ]
    assert not any(type(o) is bytes for o in memo.values())  # (by default: a copy each)


def test_the_write_keeps_no_copy_of_each_record_or_count() -> None:
    stories = _window(40)
    counts = {f"outlet{k}": Counter({f"term{j}": j for j in range(30)}) for k in range(20)}
    _, plain = _round_trip([stories, counts], table=False)
    _, ours = _round_trip([stories, counts])
    dicts = [o for o in ours.values() if type(o) is dict]
    assert dicts == [counts]  # no dict of slots per record, no dict copy per Counter
    assert sum(type(o) is dict for o in plain.values()) >= 3 * len(stories) + len(counts)
    assert len(ours) < len(plain) - 3 * len(stories)
    records = [r for s in stories for r in (s, s.founder, *s.recent)]
    held = {id(o) for o in ours.values()}
    assert all(id(r) in held for r in records)  # (each record made once, then referred to)
    founders = {id(s.founder) for s in stories}  # (held by their stories' slots only)
    assert not any(type(o) in (tuple, list) and founders & set(map(id, o)) for o in ours.values())


def test_a_record_loads_as_its_own_class_whatever_refers_to_it() -> None:
    stories = _window(3)
    one_slot = _Sub("x")
    (loaded, alone), _ = _round_trip([stories, one_slot])
    kinds = {type(r) for s in loaded for r in (s, s.founder, *s.recent)}
    assert kinds == {ActiveStory, ProfileMember} and type(alone) is _Sub
    assert alone.a == "x" and not hasattr(alone, "c")


def _dumped(obj: Any) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.dispatch_table = _Reductions()
    pickler.dump(obj)
    return buffer.getvalue()


def test_a_record_with_every_slot_set_is_filled_in_one_statement() -> None:
    whole, partial = _dumped(_window(2)), _dumped([_Plain([1])])
    assert b"_filling_whole" in whole and b"_filling_part" not in whole
    assert b"_filling_part" in partial and b"_filling_whole" not in partial
    sub = _Sub("x")
    sub.b, sub.c = 2, 3
    sub.hide("kept")
    (s,) = pickle.loads(_dumped([sub]))
    assert (s.a, s.b, s.c, s.secret()) == ("x", 2, 3, "kept")


def _report(n: int, event: int, hour: int) -> Item:
    names = ("Harbour Bridge", "Lake Ferry", "Mill Road")[event]
    return Item(
        id=f"i{n}",
        title=f"{names} closed after storm damage report {n % 3}",
        text=f"Officials said {names} would stay closed. Engineers inspect the {names} "
        f"supports after the storm; repairs could take weeks, the council said.",
        outlet=f"outlet{n % 4}.example",
        feed_url=f"https://outlet{n % 4}.example/feed",
        guid=f"g{n}",
        published=T0 + timedelta(hours=hour),
        first_seen=T0 + timedelta(hours=hour),
    )


def test_the_window_is_saved_without_its_memos_and_groups_the_same() -> None:
    reports = [_report(n, n % 3, n // 3) for n in range(24)]
    running = Clusterer(ClusterSettings())
    for item in reports[:12]:
        running.assign(item, item.first_seen or T0)
    assert running._full and running._unpacked and running._tallies  # (filled by the pass)
    loaded = pickle.loads(_dumped(running))
    assert not loaded._full and not loaded._unpacked and not loaded._tallies
    for item in reports[12:]:
        now = item.first_seen or T0
        assert repr(loaded.assign(item, now)) == repr(running.assign(item, now))


def test_a_loaded_window_holds_the_interned_term_strings(tmp_path: Path) -> None:
    # A new item's terms are the interpreter's strings (`sys.intern`): a loaded window's keys
    # must be those very strings, or every lookup compares characters. Loaded in a process of
    # its own, as a start is: this one still holds the terms it tokenised.
    reports = [_report(n, n % 3, n // 3) for n in range(9)]
    running = Clusterer(ClusterSettings())
    for item in reports:
        item = replace(item, text=f"{item.text} The {'quor' + 'vane'} gauge fell.")
        running.assign(item, item.first_seen or T0)
    (tmp_path / "window").write_bytes(_dumped(running))
    script = (
        "import pickle, sys; window = pickle.loads(open(sys.argv[1], 'rb').read()); "
        "(term,) = (t for t in window._counts.df if t.startswith('quorvan')); "
        "print(sys.intern(''.join(term)) is term)"
    )
    root = str(Path(aggregator.__file__).parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "window")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True"]
