"""The duplicate candidates of one part of a grouping run, without a query per item. Pure.

An item's candidates are the grouped items (story set) that share its canonical URL,
content hash or guid, the first `CANDIDATES` of them by first sight and id, then the first
`CANDIDATES` of those sharing one of its near-duplicate keys, each item once: what two
statements per item read before. The store reads, once for a part, every grouped item any
of the part's keys meets, the first `CANDIDATES + 1` per key (`GroupingStore.duplicate_index`):
the first `CANDIDATES` of a union of keys are among them. The part's own items join the index
as they are assigned (`assigned`), so an item finds a copy grouped earlier in its part as it
found it in the store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from .models import Item

__all__ = ["CANDIDATES", "DuplicateIndex", "Order"]

CANDIDATES = 20  # of each kind (stored keys, near keys) per item

# Where an item stands among the candidates: its stored first sight (None before any text,
# as SQLite sorts NULL), then its id
Order = tuple[bool, str, str]


def order(first_seen: str | None, item_id: str) -> Order:
    return (first_seen is not None, first_seen or "", item_id)


# A part's item as stored: the key values the store compares (canonical URL, content hash,
# guid), its place, the near keys stored for it already (none, unless it was grouped before)
_Own = tuple[tuple[str | None, str | None, str | None], Order, Sequence[str]]

# A part's item as assigned: the item, its story, what it duplicates, whether it is furniture
_Assigned = tuple[Item, str, str | None, bool]


class DuplicateIndex:
    """Candidates for the items of one part (see the module note)."""

    def __init__(self) -> None:
        self._items: dict[str, Item] = {}
        self._order: dict[str, Order] = {}
        self._keys: tuple[dict[str, list[str]], ...] = ({}, {}, {})  # url, hash, guid
        self._near: dict[str, list[str]] = {}
        self._own: dict[str, _Own] = {}
        self._assigned: dict[str, _Assigned] = {}  # (made items when first a candidate)
        self._near_of: dict[str, list[str]] = {}

    def add_stored(self, item: Item, first_seen: str | None) -> None:
        """A grouped item some key of the part meets (its keys are given by `meets`)."""
        self._items[item.id] = item
        self._order[item.id] = order(first_seen, item.id)

    def meets(self, kind: int, value: str, item_id: str) -> None:
        """The stored item `item_id` has `value` as its key of `kind`: 0 canonical URL,
        1 content hash, 2 guid, 3 a near-duplicate key."""
        found = self._near if kind == 3 else self._keys[kind]
        found.setdefault(value, []).append(item_id)

    def add_own(
        self,
        item_id: str,
        stored: tuple[str | None, str | None, str | None],
        first_seen: str | None,
        near_stored: Sequence[str],
    ) -> None:
        """One of the part's items, as stored (`stored`: its canonical URL, content hash and
        guid columns; `near_stored`: near keys stored for it already)."""
        self._own[item_id] = (stored, order(first_seen, item_id), near_stored)

    def set_near(self, item_id: str, keys: list[str]) -> None:
        """The near-duplicate keys of a part's item (`dedupe.near_keys` of its text)."""
        self._near_of[item_id] = keys

    def near_of(self, item_id: str) -> list[str]:
        return self._near_of.get(item_id, [])

    def candidates(self, item: Item) -> list[Item]:
        """The items `item` may duplicate, in the order the store would give them."""
        strong: set[str] = set()
        for found, value in zip(
            self._keys, (item.canonical_url, item.content_hash, item.guid), strict=True
        ):
            if value is not None:
                strong.update(found.get(value, ()))
        close: set[str] = set()
        for key in self._near_of.get(item.id, ()):
            close.update(self._near.get(key, ()))
        strong.discard(item.id)
        close.discard(item.id)
        rank = self._order.__getitem__
        first = sorted(strong, key=rank)[:CANDIDATES]
        then = sorted(close, key=rank)[:CANDIDATES]
        return [self._item(i) for i in dict.fromkeys(first + then)]

    def _item(self, item_id: str) -> Item:
        found = self._items.get(item_id)
        if found is None:  # a part's item assigned since the part was read
            item, story_id, duplicate_of, furniture = self._assigned.pop(item_id)
            found = dataclasses.replace(
                item, story_id=story_id, duplicate_of=duplicate_of, furniture=furniture
            )
            self._items[item_id] = found
        return found

    def assigned(
        self, item: Item, story_id: str, duplicate_of: str | None, furniture: bool = False
    ) -> None:
        """A part's item was put into a story (as `duplicate_of`'s duplicate, or as an
        original: then its near keys were stored); later items of the part meet it."""
        own = self._own.get(item.id)
        if own is None:  # (not stored: nothing can find it)
            return
        stored, self._order[item.id], near_stored = own
        self._assigned[item.id] = (item, story_id, duplicate_of, furniture)
        for found, value in zip(self._keys, stored, strict=True):
            if value is not None:
                found.setdefault(value, []).append(item.id)
        near: Iterable[str] = near_stored
        if duplicate_of is None:
            near = dict.fromkeys([*near_stored, *self.near_of(item.id)])
        for key in near:
            self._near.setdefault(key, []).append(item.id)
