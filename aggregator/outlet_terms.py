"""How many of one outlet's active items hold each term, kept compact. Pure.

The clusterer counts, for every outlet, the items of the active window holding each term (a
term an outlet repeats across its items is its furniture, see `WindowCounts.vectors_of`).
At 1,000 outlets and 60k items these are ~2.7 M (outlet, term) counts, ~85 MB as Python
dicts (two thirds of them are 1). Here an outlet's counts are two sorted numpy arrays, the
terms' hashes (int64) and their counts (int32): 12 bytes a count. Items joining or leaving
are noted as their terms' hashes and merged in batches (`_merge`) when the counts are next
read, or when enough are waiting, so a merge costs a few numpy calls whatever its size.

What grouping reads is an outlet's furniture for a limit: the hashes of the terms more than
`limit` of its items hold (`furniture`), usually a handful, so a lookup stays one set probe.
A term is known by `hash(term)` (64 bits, cached on the string): two terms of one outlet with
the same hash would share a count; the odds are about n²/2⁶⁵ for an outlet of n terms (~2e-13
at 3,000), far below anything that happens.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .features import Packed

__all__ = ["OutletTerms"]

_WAITING = 512  # hashes noted before a merge at least (a quarter of the counts' size more)
_EMPTY_KEYS = np.empty(0, dtype=np.int64)
_EMPTY_COUNTS = np.empty(0, dtype=np.int32)


class OutletTerms:
    """One outlet's term counts: sorted term hashes and their counts, with what joined or
    left since the last merge noted aside."""

    __slots__ = ("_added", "_counts", "_furniture", "_keys", "_later", "_limit", "_removed")

    def __init__(self) -> None:
        self._keys = _EMPTY_KEYS  # sorted term hashes
        self._counts = _EMPTY_COUNTS  # items holding each
        # since the last merge: the term hashes of each item that joined, and that left
        self._added: list[np.ndarray] = []
        self._removed: list[np.ndarray] = []
        self._later: list[Packed] = []  # restored items, hashed when first needed
        self._furniture: frozenset[int] | None = None  # for `_limit` (None: to work out)
        self._limit: float = 0.0

    def add(self, unique: Collection[str]) -> None:
        """An item holding these (distinct) terms joined."""
        self._added.append(_hashes(unique))
        self._noted()

    def add_later(self, packed: Packed) -> None:
        """An item joined, known by its packed features: hashed when the counts are next
        needed (a restore books a whole window, and the next items reach few outlets)."""
        self._later.append(packed)

    def remove(self, unique: Collection[str]) -> None:
        """An item holding these (distinct) terms left."""
        self._removed.append(_hashes(unique))
        self._noted()

    def _noted(self) -> None:
        self._furniture = None
        waiting = sum(h.size for h in self._added) + sum(h.size for h in self._removed)
        if waiting > _WAITING + self._keys.size // 4:
            self._merge()

    def furniture(self, limit: float) -> frozenset[int]:
        """The hashes of the terms held by more than `limit` of the outlet's items."""
        if self._added or self._removed or self._later:
            self._merge()
        found = self._furniture
        if found is None or limit != self._limit:
            over = self._counts > limit
            found = frozenset(self._keys[over].tolist()) if over.any() else frozenset()
            self._furniture, self._limit = found, limit
        return found

    def counts(self) -> dict[int, int]:
        """Every count, by term hash (for inspection and tests)."""
        self._merge()
        return dict(zip(self._keys.tolist(), self._counts.tolist(), strict=True))

    def __len__(self) -> int:
        """How many terms the outlet's items hold."""
        self._merge()
        return int(self._keys.size)

    def _merge(self) -> None:
        """Fold what joined and left since the last merge into the counts."""
        self._furniture = None
        if self._later:
            self._added.extend(_hashes(frozenset(p[0]).union(p[1])) for p in self._later)
            self._later = []
        keys, counts = self._keys, self._counts
        if self._added:
            new, many = _tally(self._added)
            self._added = []
            keys, counts = _add(keys, counts, new, many)
        if self._removed:
            old, many = _tally(self._removed)
            self._removed = []
            at = keys.searchsorted(old)
            held = keys[np.minimum(at, keys.size - 1)] == old if keys.size else at < 0
            if not held.all():  # (never: an item leaves only after it joined)
                at, many = at[held], many[held]
            counts[at] -= many
            if not counts[at].all():
                kept = counts > 0
                keys, counts = keys[kept], counts[kept]
        self._keys, self._counts = keys, counts


def _hashes(unique: Collection[str]) -> np.ndarray:
    return np.fromiter(map(hash, unique), dtype=np.int64, count=len(unique))


def _tally(hashes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct hashes of these items (sorted), and how many items hold each."""
    if len(hashes) == 1:
        alone = np.sort(hashes[0])  # (an item's terms are distinct)
        return alone, np.ones(alone.size, dtype=np.int32)
    found, many = np.unique(np.concatenate(hashes), return_counts=True)
    return found, many.astype(np.int32)


def _add(
    keys: np.ndarray, counts: np.ndarray, new: np.ndarray, many: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted `keys` and their `counts` with `many` more of each of `new` (sorted, distinct)."""
    at = keys.searchsorted(new)
    if keys.size:
        held = keys[np.minimum(at, keys.size - 1)] == new
        if held.all():
            counts[at] += many
            return keys, counts
        counts[at[held]] += many[held]
        fresh = ~held
        at, new, many = at[fresh], new[fresh], many[fresh]
    places = at + np.arange(at.size)  # where the new keys go among the old ones
    size = keys.size + new.size
    old = np.ones(size, dtype=bool)
    old[places] = False
    merged_keys = np.empty(size, dtype=np.int64)
    merged_keys[places] = new
    merged_keys[old] = keys
    merged_counts = np.empty(size, dtype=np.int32)
    merged_counts[places] = many
    merged_counts[old] = counts
    return merged_keys, merged_counts
