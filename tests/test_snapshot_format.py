"""The grouping snapshot's layout (FORMAT 2): terms and the stories' logs go first as tables,
and the window's pickle refers to them by number. A window loads back equal, in the same
order and with the same sharing, whatever it holds; the write's memo holds no term, tuple
of terms, log entry or time; a file of another layout is rebuilt from the store."""

from __future__ import annotations

import json
import logging
import pickle
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from aggregator import grouping_snapshot
from aggregator.active_story import ActiveStory, ProfileMember
from aggregator.cluster import Clusterer
from aggregator.cluster_settings import ClusterSettings
from aggregator.grouping_snapshot import FORMAT, Stamp, _Numbered, _Tables, load, save, stamp_for
from aggregator.models import Item
from aggregator.profile_index import Crowd

T0 = datetime(2025, 3, 4, 6, 0, tzinfo=UTC)
EVENTS = ("Harbour Bridge", "Lake Ferry", "Mill Road", "Zürich Café", "東京 Tower")


def _report(n: int, outlet: str = "", when: datetime | None = None) -> Item:
    names = EVENTS[n % len(EVENTS)]
    when = when or T0 + timedelta(minutes=20 * n)
    return Item(
        id=f"i{n}",
        title=f"{names} closed after storm damage report {n % 3}",
        text=f"Officials said {names} would stay closed. Engineers inspect the {names} "
        f"supports after the storm; naïve repairs could take weeks, the council said.",
        outlet=outlet if outlet is not None else f"outlet{n % 4}.example",
        feed_url=f"https://outlet{n % 4}.example/feed",
        guid=f"g{n}",
        published=when,
        first_seen=when,
    )


def _member(m: ProfileMember | None) -> Any:
    if m is None:
        return None
    return (
        m.id, m.story.id, m.when, repr(m.when.tzinfo), m.packed, m.outlet, m.terms,
        m.weights, m.title_terms, m._indexed, repr(m._headline), m.counted,
    )  # fmt: skip


def _story(s: ActiveStory) -> Any:
    profile = None if s.profile is None else (s.profile[0], s.profile[1].tolist())
    return (
        s.id, s.last_seen, s.last_when, s.open, _member(s.founder),
        [_member(m) for m in s.recent], s.log, [repr(e[3].tzinfo) for e in s.log],
        s._outlets, profile, s.profile_counted,
    )  # fmt: skip


def _entry(e: Any) -> Any:
    if type(e) is Crowd:
        return ("crowd", e.n)
    if type(e) is set:
        return ("set", sorted(m.id for m in e))
    if type(e) in (tuple, list):
        return (type(e).__name__, [m.id for m in e])
    return ("alone", e.id)


def _shape(w: Clusterer) -> dict[str, Any]:
    """The window as plain data (records by id), in its own orders."""
    c, r = w._counts, w._repeats
    return {
        "stories": [(k, _story(s)) for k, s in w._stories.items()],
        "index": [(t, _entry(e)) for t, e in w._index.items()],
        "filed": (w._index._crowded, w._index._listed, [m.id for m in w._index._filed]),
        "counts": [list(getattr(c, n).items()) for n in ("df", "sdf", "names", "uncased")],
        "outlet_n": list(c.outlet_n.items()),
        "n": (c.n_items, c.n_stories),
        "outlets": [(o, list(x.many.items()), x.once, x.fresh) for o, x in c.outlet_df.items()],
        "later": list(c._later.items()),
        "repeats": (r.copies, list(r._first_title.items()), r._more, r._bare),
        "items": (list(w._item_story.items()), list(w._item_score.items())),
        "pending": (dict(w._pending._items), w._pending._terms),
        "state": sorted(vars(w)),
    }


def _round_trip(window: Clusterer, tmp_path: Path) -> Clusterer:
    stamp = stamp_for("store", 1, window.settings)
    path = tmp_path / "db.grouping"
    save(path, window, stamp)
    loaded = load(path, stamp)
    assert loaded is not None
    return loaded


def _grouped(items: list[Item]) -> Clusterer:
    window = Clusterer(ClusterSettings())
    for item in items:
        window.assign(item, item.first_seen or T0)
    window.forget_memos()
    return window


def test_an_empty_window_loads_back_empty(tmp_path: Path) -> None:
    window = Clusterer(ClusterSettings())
    loaded = _round_trip(window, tmp_path)
    assert _shape(loaded) == _shape(window) and not loaded._stories and not loaded._counts.df


def test_a_window_loads_back_equal_and_groups_as_the_one_that_kept_running(
    tmp_path: Path,
) -> None:
    # Odd terms (accents, CJK), items of no outlet, a time at another offset than UTC.
    local = timezone(timedelta(hours=5, minutes=45))
    items = [_report(n, "" if n % 5 == 0 else f"outlet{n % 4}.example") for n in range(40)]
    items[7] = replace(items[7], published=items[7].published.astimezone(local))  # type: ignore[union-attr]
    running = _grouped(items[:24])
    assert any(e[3].tzinfo is local for s in running._stories.values() for e in s.log)
    loaded = _round_trip(running, tmp_path)
    assert _shape(loaded) == _shape(running)
    for item in items[24:]:
        now = item.first_seen or T0
        assert repr(loaded.assign(item, now)) == repr(running.assign(item, now))
    assert _shape(loaded) == _shape(running)


def test_what_the_logs_share_stays_shared(tmp_path: Path) -> None:
    loaded = _round_trip(_grouped([_report(n) for n in range(30)]), tmp_path)
    entries = {e[0]: e for s in loaded._stories.values() for e in s.log}
    members = [m for s in loaded._stories.values() for m in s.profile_members()]
    assert members
    for m in members:  # (a member's packed features, id and time are its log entry's)
        entry = entries[m.id]
        assert m.packed is entry[1] and m.id is entry[0] and m.when is entry[3]
    for item_id in loaded._item_story:
        assert item_id is entries[item_id][0]
    titles = {id(e[1][0]) for e in entries.values()}
    assert all(id(t) in titles for t in loaded._repeats._first_title.values() if t)
    df = {t: t for t in loaded._counts.df}
    assert all(t is df[t] for t in loaded._index)
    assert all(t is df[t] for e in entries.values() for t in (*e[1][0], *e[1][1]))


def test_what_the_tables_do_not_hold_is_written_as_it_is(tmp_path: Path) -> None:
    # Terms no item of the window holds, a member whose packed features are no log entry's,
    # outlets with no counts or counted later, counts of items gone: all load back equal.
    window = _grouped([_report(n, f"outlet{n % 3}.example") for n in range(24)])
    story = next(iter(window._stories.values()))
    member = story.founder
    assert member is not None
    member.packed = tuple(member.packed)  # type: ignore[assignment]  # (equal, not the log's)
    member.packed = (*member.packed[:2], ("odd\x00name", "line\nbreak"), *member.packed[3:])  # type: ignore[assignment]
    member.indexed = ("a term no item holds", "\U0001f600")
    window._repeats._first_title[12345] = ("first", "héadline", "")
    window._counts.outlet_df["quiet.example"] = type(
        next(iter(window._counts.outlet_df.values()))
    )()
    window._counts._later["later.example"] = ([story.log[0][1]], [frozenset({"gone", "tërm"})])
    window._counts.df["\x00"] = 1
    window._item_score["i1"] = 0.25
    loaded = _round_trip(window, tmp_path)
    assert _shape(loaded) == _shape(window)
    (held,), (gone,) = loaded._counts._later["later.example"]
    assert held is loaded._stories[story.id].log[0][1] and gone == {"gone", "tërm"}


def _memo(window: Clusterer) -> list[Any]:
    class Discard:
        def write(self, data: Any) -> int:
            return memoryview(data).nbytes

    tables = _Tables(window)
    tables.write(Discard())  # type: ignore[arg-type]
    pickler = pickle.Pickler(Discard(), protocol=5)
    pickler.dispatch_table = _Numbered(tables)
    pickler.dump(window)
    return [o for _, o in pickler.memo.copy().values()]


def test_the_window_pickle_holds_no_term_log_entry_or_time() -> None:
    window = _grouped([_report(n) for n in range(40)])
    memo = _memo(window)
    terms = set(window._counts.df)
    assert not [o for o in memo if type(o) is str and o in terms]
    assert not [o for o in memo if type(o) is tuple and o and type(o[0]) is str and o[0] in terms]
    assert not [o for o in memo if type(o) is tuple and len(o) == 4 and type(o[1]) is tuple]
    assert not [o for o in memo if type(o) is datetime]
    records = [o for o in memo if type(o) in (ActiveStory, ProfileMember)]
    assert len(records) == len(window._stories) + len(window._index._filed)


def test_a_snapshot_of_another_layout_is_not_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    window = _grouped([_report(n) for n in range(6)])
    stamp = stamp_for("store", 1, window.settings)
    path = tmp_path / "db.grouping"
    save(path, window, stamp)
    raw = path.read_bytes()
    header = json.loads(raw[: grouping_snapshot._HEADER_MAX].decode())
    old = json.dumps({**header, "format": FORMAT - 1}).encode()
    path.write_bytes(
        old.ljust(grouping_snapshot._HEADER_MAX - 1) + b"\n" + raw[grouping_snapshot._HEADER_MAX :]
    )
    with caplog.at_level(logging.INFO, logger="aggregator"):
        assert load(path, stamp) is None
    assert "another file format" in caplog.text and not path.exists()
    assert Stamp("store", 1, stamp.settings, stamp.code).format == FORMAT == 2


def test_a_broken_table_is_a_stale_snapshot_not_a_crash(tmp_path: Path) -> None:
    window = _grouped([_report(n) for n in range(6)])
    stamp = stamp_for("store", 1, window.settings)
    path = tmp_path / "db.grouping"
    save(path, window, stamp)
    raw = bytearray(path.read_bytes())
    raw[grouping_snapshot._HEADER_MAX + 40] ^= 0xFF  # (in the tables' pickle)
    path.write_bytes(bytes(raw))
    assert load(path, stamp) is None
    assert grouping_snapshot._LOADING.entries == [] and grouping_snapshot._LOADING.terms == []
    save(path, window, stamp)
    assert load(path, stamp) is not None
    assert grouping_snapshot._LOADING.logs == []  # (nothing of a load is kept after it)
