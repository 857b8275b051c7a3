"""A pass groups its items one run of publication time at a time: a backlog that arrives in
one poll (a first poll, `poll --once` after a pause, `aggregator cluster`) gets the stories it
would have got arriving hour by hour."""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from aggregator.cluster import Clusterer
from aggregator.grouping import group_pending, publication_runs
from aggregator.models import Item
from aggregator.store import Store

NOW = datetime(2024, 6, 20, 12, 0, tzinfo=UTC)
QUAKE = (
    "A magnitude {m} earthquake struck off the coast of Norvale near the port of Ikaru, and "
    "the Norvale disaster agency ordered a tsunami evacuation of the coast."
)


def item(item_id: str, title: str, text: str, outlet: str, published: datetime) -> Item:
    return Item(
        id=item_id,
        title=title,
        text=text,
        outlet=outlet,
        feed_url=f"https://{outlet}/feed",
        guid=item_id,
        published=published,
        first_seen=published,
    )


def backlog() -> list[Item]:
    """An outlet's archive of earlier Norvale quakes, one every three days (each its own
    story, long out of the active window by today), and today's two reports of a new one."""
    earlier = [
        item(
            f"old{k}",
            f"Earthquake of magnitude 5.{k} off Norvale, Ikaru port checks for tsunami",
            f"Quake log {k}: " + QUAKE.format(m=f"5.{k}"),
            "archive.example",
            NOW - timedelta(days=40 - 3 * k),
        )
        for k in range(12)
    ]
    today = [
        item(
            "q1",
            "Strong earthquake strikes off Norvale, tsunami evacuation ordered",
            QUAKE.format(m="7.4"),
            "one.example",
            NOW - timedelta(hours=3),
        ),
        item(
            "q2",
            "Norvale earthquake: magnitude 7.4 quake near Ikaru, coast evacuated",
            "Officials said " + QUAKE.format(m="7.4"),
            "two.example",
            NOW - timedelta(hours=2, minutes=30),
        ),
    ]
    return earlier + today


def stories(store: Store, items: list[Item]) -> dict[str, str]:
    found = store.story_ids([i.id for i in items])
    return {i.id: found[i.id] for i in items}


def test_runs_are_an_hour_of_publication_time_each_clocked_at_its_newest_item() -> None:
    items = [
        item("c", "c", "", "x.example", NOW - timedelta(minutes=20)),
        item("a", "a", "", "x.example", NOW - timedelta(hours=2)),
        item("b", "b", "", "x.example", NOW - timedelta(hours=1, minutes=5)),
        item("d", "d", "", "x.example", NOW + timedelta(hours=5)),  # a clock ahead of ours
    ]
    runs = publication_runs(items, NOW, timedelta(hours=1))
    assert [[i.id for i in run] for _, run in runs] == [["a", "b"], ["c", "d"]]
    assert [clock for clock, _ in runs] == [NOW - timedelta(hours=1, minutes=5), NOW]


def test_a_backlog_in_one_pass_is_grouped_as_arriving_hour_by_hour() -> None:
    items = backlog()
    at_once, by_hour = Store(), Store()
    try:
        at_once.insert_items(items)
        group_pending(at_once, Clusterer(), NOW)
        clusterer = Clusterer()
        for one in items:
            by_hour.insert_items([one])
            group_pending(by_hour, clusterer, one.published or NOW)
        assert stories(at_once, items) == stories(by_hour, items)
        grouped = stories(at_once, items)
        # The earlier quakes left the window before today's: they weigh nothing on today's
        # pair, which is one story; each earlier quake stays its own.
        assert grouped["q1"] == grouped["q2"] == "q1"
        assert len({grouped[i.id] for i in items[:12]}) == 12
    finally:
        at_once.close()
        by_hour.close()


class _Tracked(Item):
    """An item that can be watched (Item's slots leave no room for a weak reference)."""


def test_a_pass_lets_each_run_of_items_go_once_it_is_grouped() -> None:
    """A cold pass reads every new item at once; each run's items (their texts) are let go
    once the run is grouped, so they do not stay alive beside the grouping state."""
    items = backlog()
    store = Store()
    try:
        store.insert_items(items)
        refs: dict[str, weakref.ref[Item]] = {}
        read = store.unassigned_items

        def tracked_read() -> list[Item]:
            out: list[Item] = [
                _Tracked(**{f: getattr(i, f) for f in Item.__dataclass_fields__}) for i in read()
            ]
            refs.update((i.id, weakref.ref(i)) for i in out)
            return out

        store.unassigned_items = tracked_read  # type: ignore[method-assign]
        clusterer = Clusterer()
        alive: list[list[str]] = []
        observe = clusterer.observe

        def watching(run: Iterable[Item]) -> None:
            alive.append(sorted(k for k, ref in refs.items() if ref() is not None))
            observe(run)

        clusterer.observe = watching  # type: ignore[method-assign]
        group_pending(store, clusterer, NOW)
        assert len(alive) == 13  # twelve earlier quakes, then today's pair
        assert alive[0] == sorted(i.id for i in items)  # the pass starts with all of them
        assert alive[-1] == ["q1", "q2"]  # by today's run, the earlier runs are let go
        assert stories(store, items)["q2"] == "q1"
    finally:
        store.close()
