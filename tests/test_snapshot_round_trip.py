"""The grouping snapshot round trip: a window loads back equal, in the same order and with
the same sharing, whatever it holds and however big it is, and groups on as the window that
kept running would."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from window_shape import index_entry

from aggregator.active_story import ActiveStory, ProfileMember
from aggregator.cluster import Clusterer
from aggregator.cluster_settings import ClusterSettings
from aggregator.grouping_snapshot import load, save, stamp_for
from aggregator.models import Item

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


def _shape(w: Clusterer) -> dict[str, Any]:
    """The window as plain data (records by id), in its own orders."""
    c, r = w._counts, w._repeats
    return {
        "stories": [(k, _story(s)) for k, s in w._stories.items()],
        "index": [(t, index_entry(e)) for t, e in w._index.items()],
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


def test_a_window_of_thousands_of_items_loads_back_equal(tmp_path: Path) -> None:
    """Big enough that a layout writing its parts in pieces would write several (each piece's
    references back to what it wrote before must resolve within it): a pass's items share
    one time, some at another offset than UTC, as polled items do."""
    local = timezone(timedelta(hours=-4))
    passes = [T0 + timedelta(minutes=10 * k) for k in range(100)]
    passes = [t.astimezone(local) if k % 3 == 0 else t for k, t in enumerate(passes)]
    items = [_report(n, f"outlet{n % 7}.example", passes[n // 50]) for n in range(5000)]
    window = _grouped(items)
    assert sum(len(s.log) for s in window._stories.values()) > 4096
    loaded = _round_trip(window, tmp_path)
    assert _shape(loaded) == _shape(window)
