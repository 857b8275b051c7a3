"""A part's duplicate candidates are read once for the part (`Store.duplicate_index`): each
item still gets the candidates the two statements per item gave, the part's own items
assigned before it among them, and a pass gives the same stories and duplicates."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from invented_items import T0, item

from aggregator import grouping
from aggregator.cluster import Clusterer
from aggregator.dedupe import content_hash, find_duplicate, near_keys
from aggregator.models import Item
from aggregator.store import Store
from aggregator.store_rows import ITEM_SELECT, item_from_values

DUPLICATE_INDEX = Store.duplicate_index
WORDS = (
    "harbour council ferry storm levy bridge tunnel grain river mayor budget school clinic "
    "strike rail union tariff drought flood forest miners vote court judge appeal museum "
    "festival bakery orchard tram airport runway police inquiry hospital nurses wages rent"
).split()


def stored_candidates(store: Store, item: Item) -> list[Item]:
    """What an item's duplicate candidates were read as before: two statements per item."""
    read = store.conn.execute
    rows = read(
        f"SELECT {ITEM_SELECT} FROM items WHERE id != ? AND story_id IS NOT NULL AND "
        "(canonical_url = ? OR content_hash = ? OR guid = ?) ORDER BY first_seen, id LIMIT 20",
        [item.id, item.canonical_url, item.content_hash, item.guid],
    ).fetchall()
    keys = near_keys(item.text)
    if keys:
        marks = ",".join("?" * len(keys))
        rows += read(
            f"SELECT {ITEM_SELECT} FROM items WHERE story_id IS NOT NULL AND id IN "
            f"(SELECT item_id FROM near_keys WHERE key IN ({marks}) AND item_id != ?) "
            "ORDER BY first_seen, id LIMIT 20",
            [*keys, item.id],
        ).fetchall()
    unique = {r[0]: r for r in rows}
    return [item_from_values(r) for r in unique.values()]


class PerItem:
    """The per-item reads, in `DuplicateIndex`'s place."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def candidates(self, item: Item) -> list[Item]:
        return stored_candidates(self.store, item)

    def assigned(self, *args: Any) -> None:
        pass


def stream(seed: int) -> list[Item]:
    """Reports of eight wire stories: exact copies under their own headlines, near copies,
    copies sharing only a link or a guid (one link shared by more items than a read
    takes), some without a first sight, spread over three hours, with unrelated items between."""
    rng = random.Random(seed)
    wires = [" ".join(rng.choice(WORDS) for _ in range(70)) + "." for _ in range(8)]
    heads = [f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} report {n}" for n in range(8)]
    found: list[Item] = []
    for n in range(160):
        wire = rng.randrange(8)
        kind = rng.choice(["exact", "near", "url", "guid", "other", "shared"])
        text, title = wires[wire], heads[wire]
        url = f"https://wire.example/story/{wire}"
        guid = f"n{n}"
        if kind == "near":
            words = text.split()
            words[rng.randrange(len(words))] = rng.choice(WORDS)
            text, title = " ".join(words), title + " update"
        elif kind == "url":
            text = " ".join(rng.choice(WORDS) for _ in range(50))
        elif kind == "guid":
            text, url = " ".join(rng.choice(WORDS) for _ in range(50)), ""
            guid = f"urn:wire:{wire}"
        elif kind == "other":
            text, url = " ".join(rng.choice(WORDS) for _ in range(60)), ""
            title = f"Other news {n}"
        elif kind == "shared":
            url = "https://wire.example/story/shared"
            text = " ".join(rng.choice(WORDS) for _ in range(30))
        made = item(f"i{n:03d}", title, text, f"o{n % 11}", rng.randrange(0, 180), url)
        seen = None if n % 17 == 0 else made.first_seen
        found.append(
            replace(
                made,
                guid=guid,
                canonical_url=url or None,
                content_hash=content_hash(title, text),
                first_seen=seen,
            )
        )
    return found


def grouped(items: list[Item], chunk: int, per_item: bool, monkeypatch: Any) -> list[Any]:
    """Group `items` in two passes (the first half stored before the second arrives); each
    item's candidates are checked against the per-item reads. The items' stories and
    duplicates, and how many items had an item of their own part among their candidates."""
    store = Store()
    own_part = 0

    def checked(item: Item, candidates: list[Item]) -> Item | None:
        nonlocal own_part
        got, want = list(candidates), stored_candidates(store, item)

        def plain(c: Item) -> Item:  # (the story and furniture are read afresh when used)
            return replace(c, story_id=None, furniture=False)

        assert [plain(c) for c in got] == [plain(c) for c in want]
        if any(c.id in part_ids for c in got):
            own_part += 1
        return find_duplicate(item, got)

    part_ids: set[str] = set()

    def index(self: Store, part: list[Item]) -> Any:
        part_ids.clear()
        part_ids.update(i.id for i in part)
        return PerItem(self) if per_item else DUPLICATE_INDEX(self, part)

    monkeypatch.setattr(grouping, "find_duplicate", checked)
    monkeypatch.setattr(Store, "duplicate_index", index)
    try:
        clusterer = Clusterer()
        half = len(items) // 2
        store.insert_items(items[:half])
        grouping.group_pending(store, clusterer, T0 + timedelta(hours=12), chunk)
        store.insert_items(items[half:])
        grouping.group_pending(store, clusterer, T0 + timedelta(days=1), chunk)
        rows = store.conn.execute(
            "SELECT id, story_id, duplicate_of, furniture FROM items ORDER BY id"
        ).fetchall()
        return [rows, own_part]
    finally:
        store.close()


@pytest.mark.parametrize("chunk", [7, 500])
@pytest.mark.parametrize("seed", [1, 2])
def test_each_item_gets_the_candidates_the_store_held(
    chunk: int, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = stream(seed)
    shared = [i for i in items if i.canonical_url == "https://wire.example/story/shared"]
    assert len(shared) > 20  # (more than a read takes share a link)
    rows, own_part = grouped(items, chunk, False, monkeypatch)
    want, _ = grouped(items, chunk, True, monkeypatch)
    assert rows == want
    assert sum(r[2] is not None for r in rows) > 40  # (copies were found ...)
    assert own_part > 15  # (... and many items had one of their own part among candidates)


def test_a_copy_assigned_earlier_in_the_part_is_found() -> None:
    text = " ".join(WORDS) + " " + " ".join(reversed(WORDS))
    head = "Harbour council votes on ferry levy"
    first = item("a1", head, text, "one", 0, "https://one.example/levy")
    exact = replace(item("a2", head, text, "two", 5), content_hash=content_hash(head, text))
    first = replace(first, content_hash=exact.content_hash, canonical_url=first.url)
    linked = replace(item("a3", "Ferry levy", "Short.", "three", 9), canonical_url=first.url)
    near = item("a4", "Ferry levy vote at harbour council", text + " More later.", "four", 12)
    store = Store()
    try:
        store.insert_items([first, exact, linked, near])
        grouping.group_pending(store, Clusterer(), T0 + timedelta(hours=1))
        rows = store.conn.execute("SELECT id, story_id, duplicate_of FROM items ORDER BY id")
        found = {i: (s, d) for i, s, d in rows}
    finally:
        store.close()
    story = found["a1"][0]
    assert found["a1"] == (story, None)
    assert found["a2"] == found["a3"] == found["a4"] == (story, "a1")


def test_the_index_holds_stored_items_and_the_part_as_it_is_assigned() -> None:
    store = Store()
    try:
        old = item("s1", "Ferry levy", "Short.", "one", 0, "https://one.example/levy")
        store.insert_items([replace(old, canonical_url=old.url)])
        store.assign(old, "story-1", None, T0)
        new = replace(item("n1", "Levy", "Brief.", "two", 5), canonical_url=old.url)
        later = replace(item("n2", "Levy!", "Brief!", "three", 6), canonical_url=old.url)
        store.insert_items([new, later])
        index = store.duplicate_index([new, later])
        assert [c.id for c in index.candidates(new)] == ["s1"]
        store.assign(new, "story-1", "s1", T0)
        index.assigned(new, "story-1", "s1")
        assert [(c.id, c.duplicate_of) for c in index.candidates(later)] == [
            ("s1", None),
            ("n1", "s1"),
        ]
        unrelated = replace(item("n3", "Other", "Other.", "four", 7), content_hash="h3")
        assert store.duplicate_index([unrelated]).candidates(unrelated) == []
    finally:
        store.close()
