"""A pass groups its items one run of publication time at a time: a backlog that arrives in
one poll (a first poll, `poll --once` after a pause, `aggregator cluster`) gets the stories it
would have got arriving hour by hour."""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from invented_items import FILLER_TOPICS

from aggregator import grouping
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


class _Heard:
    """A `grouping.Between` that notes what it is told, and how many items had a story
    when each run was done."""

    def __init__(self, store: Store, items: list[Item]) -> None:
        self.store, self.items = store, items
        self.parts = 0
        self.runs: list[int] = []
        self.last: list[tuple[int, int]] = []  # (parts done, items with a story) then
        self.next: list[int] = []  # runs done when told only the last run is left

    def part_done(self) -> None:
        self.parts += 1

    def run_done(self) -> None:
        self.runs.append(len(self.store.story_ids([i.id for i in self.items])))

    def last_run_next(self) -> None:
        self.next.append(len(self.runs))

    def last_run_counted(self) -> None:
        self.last.append((self.parts, len(self.store.story_ids([i.id for i in self.items]))))


@pytest.mark.parametrize("big", [True, False])
def test_between_hears_of_each_part_and_of_every_run_but_the_last(
    big: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the story job's summaries ahead hang on: a part done as it is counted and as it
    is assigned, a run done once its items have their stories and only when another follows
    (a pass of one run: never), told once before the last run when the window is big (a small
    one keeps its helper to the end: never); and the pass groups as without it."""
    if big:  # (this pass's window: 14 items)
        monkeypatch.setattr(grouping, "HELPER_ITEMS", 13)
    items = backlog()  # (twelve runs of one item, then today's two in one run)
    for chosen in (items, items[-2:]):
        heard, plain = Store(), Store()
        try:
            heard.insert_items(chosen)
            plain.insert_items(chosen)
            between = _Heard(heard, chosen)
            assert group_pending(heard, Clusterer(), NOW, chunk=1, between=between) == len(chosen)
            group_pending(plain, Clusterer(), NOW, chunk=1)
            assert between.parts == 2 * len(chosen)  # (a part an item: counted, then assigned)
            assert between.runs == list(range(1, len(chosen) - 1))
            # the last run (today's two items) counted, none of it assigned yet
            assert between.last == [(2 * len(chosen) - 2, len(chosen) - 2)]
            # told before the run before the last is done (a pass of one run: never)
            assert between.next == ([len(chosen) - 3] if big and len(chosen) > 2 else [])
            assert stories(heard, chosen) == stories(plain, chosen)
        finally:
            heard.close()
            plain.close()


class _Tracked(Item):
    """An item that can be watched (Item's slots leave no room for a weak reference)."""


def test_a_pass_holds_only_a_chunk_of_its_items_at_a_time() -> None:
    """A cold pass cuts its runs over the items' keys and reads a run's items (their texts)
    a chunk at a time, so a large backlog is never held whole beside the grouping state."""
    items = backlog()
    store = Store()
    try:
        store.insert_items(items)
        refs: dict[str, weakref.ref[Item]] = {}
        read = store.items_by_id

        def tracked_read(ids: Sequence[str]) -> list[Item]:
            out: list[Item] = [
                _Tracked(**{f: getattr(i, f) for f in Item.__dataclass_fields__}) for i in read(ids)
            ]
            refs.update((i.id, weakref.ref(i)) for i in out)
            return out

        store.items_by_id = tracked_read  # type: ignore[method-assign]
        clusterer = Clusterer()
        alive: list[list[str]] = []
        observed: list[list[str]] = []
        observe = clusterer.observe

        def watching(part: Iterable[Item]) -> None:
            part = list(part)
            observed.append([i.id for i in part])
            alive.append(sorted(k for k, ref in refs.items() if ref() is not None))
            observe(part)

        clusterer.observe = watching  # type: ignore[method-assign]
        group_pending(store, clusterer, NOW, chunk=1)
        assert observed == [[i.id] for i in items]  # oldest first, one item at a time
        assert alive == [[i.id] for i in items]  # and only that one is held with its text
        assert stories(store, items)["q2"] == "q1"
    finally:
        store.close()


PLACES = ("Keldon", "Pellow", "Oldmere", "Brona", "Tavin")


def busy_hours() -> list[Item]:
    """Items for chunked reading to get wrong: long runs of a few stories, with copies
    (the same text or URL) of items read in an earlier chunk of their run, items
    sharing a publication time (ordered by first_seen, then id), one without a date and
    one dated in the future (both clamped to the pass's clock)."""
    out: list[Item] = []
    for k in range(40):
        topic = k % 4
        published = NOW - timedelta(hours=4) + timedelta(minutes=4 * (k // 2))
        out.append(
            Item(
                id=f"i{k:02d}",
                title=f"{FILLER_TOPICS[topic]} ({PLACES[k % 5]})",
                text=f"{FILLER_TOPICS[topic]}. Witness {k} in {PLACES[k % 5]} spoke of it.",
                url=f"https://o{k % 5}.example/{k}",
                outlet=f"o{k % 5}.example",
                feed_url=f"https://o{k % 5}.example/feed",
                guid=f"g{k}",
                published=published,
                first_seen=published + timedelta(seconds=40 - k),
            )
        )
    later = timedelta(minutes=30)
    out += [
        replace(out[0], id="copy-text", url=None, guid="c1", outlet="o9.ex", feed_url="f9"),
        replace(out[3], id="copy-url", guid="c2", text="Other words.", feed_url="f8"),
        replace(out[9], id="undated", guid="c3", url=None, published=None, first_seen=None),
        replace(out[11], id="ahead", guid="c4", url=None, published=NOW + timedelta(days=1)),
    ]
    out[-4:-2] = [replace(i, published=i.published + later) for i in out[-4:-2]]
    return out


def grouping_state(store: Store) -> list[list[object]]:
    """Everything a pass writes: each item's story, original and features, the stories and
    their merges, and the near-duplicate keys."""
    queries = (
        "SELECT id, story_id, duplicate_of, furniture, terms FROM items "
        "LEFT JOIN item_terms ON item_id = id ORDER BY id",
        "SELECT * FROM stories ORDER BY id",
        "SELECT * FROM near_keys ORDER BY key, item_id",
    )
    return [[tuple(r.values()) for r in store.db.query(q)] for q in queries]


def test_a_pass_read_in_chunks_groups_as_one_read_does() -> None:
    items = busy_hours()
    states, counts = [], []
    for chunk in (None, 1, 4, 500):
        store = Store()
        try:
            store.insert_items(items)
            clusterer = Clusterer()
            whole = len(items) if chunk is None else chunk  # None: the backlog in one read
            counts.append(group_pending(store, clusterer, NOW, chunk=whole))
            states.append(grouping_state(store))
        finally:
            store.close()
    assert counts == [len(items)] * 4
    assert states[1] == states[0] and states[2] == states[0] and states[3] == states[0]
    duplicates = {row[0]: row[2] for row in states[0][0]}
    assert duplicates["copy-text"] == "i00" and duplicates["copy-url"] == "i03"
    assert duplicates["undated"] == "i09" and duplicates["ahead"] == "i11"
    assert len({row[1] for row in states[0][0]}) > 3  # clustered into stories, not one
