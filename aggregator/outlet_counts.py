"""How many of one outlet's active items hold each term, kept small. Pure.

What an outlet repeats across its items is its furniture (see `WindowCounts.vectors_of`): a
term more than `limit` of its active items hold, where `limit` is at least `floor` (the
settings' `outlet_min_repeats` − 1) and grows with the outlet. At 1,000 outlets and 60k items
the counts are ~2.7 M, most of them 1 or 2: ~85 MB as one `Counter` an outlet.

An outlet keeps them compact once it has `COMPACT_ITEMS` active items and as many have joined
it one by one:
- all its counts, as of the last merge, as two sorted numpy arrays: the terms' 64-bit `hash`
  (cached on the string) and how many items hold each, 12 bytes a count;
- `top`, a small `Counter` of the exact counts of the terms more than `floor` items held at the
  last merge, kept in step with every item that joins or leaves (a few dict operations on the
  item's terms, never the outlet's);
- the terms of the items that joined or left since, noted as tuples.
A term outside `top` was held by at most `floor` items at the last merge and has gained at most
one an item joined since, so while `floor` + joined ≤ `limit` no term outside `top` is
furniture and `top` answers exactly. A read that finds more joined merges first; so does a
note that makes `_WAITING` of them. Merges are rare (every `limit` − `floor` items at most,
~13 at an outlet of 60) and cost numpy calls on the noted terms plus one copy of the arrays.
A smaller outlet keeps every count in `top` (a merge would come at almost every item), and so
does a restored one until that many items joined it: it is counted when first needed, and
making it compact then (~half the cost of counting it again) would slow the first items after
a restore; after as many joins it costs about one merge more.

Two terms of one outlet with the same 64-bit hash would share a count in the arrays: the odds
are about n²/2⁶⁵ for an outlet of n terms (~6e-12 at 15,000), far below anything that happens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from itertools import chain, compress
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .features import Packed

__all__ = ["COMPACT_ITEMS", "OutletCounts"]

COMPACT_ITEMS = 32  # active items from which an outlet's counts are kept compact
_WAITING = 64  # items noted (joined or left) at most before a merge
_NO_COUNTS = np.empty(0, dtype=np.int32)


class OutletCounts:
    """One outlet's term counts (see the module's docstring)."""

    __slots__ = ("_added", "_counts", "_joined", "_keys", "_later", "_left", "floor", "n", "top")

    def __init__(self, floor: int) -> None:
        self.floor = floor  # no term held by this many items or fewer is furniture
        self.n = 0  # active items
        self._added = 0  # items joined one by one (not restored) while small
        # every count (small), or the exact counts of the terms over `floor` (compact)
        self.top: Counter[str] = Counter()
        self._keys: np.ndarray | None = None  # compact: sorted term hashes (last merge)
        self._counts: np.ndarray = _NO_COUNTS  # compact: items holding each (int32)
        self._joined: list[Collection[str]] = []  # terms of the items joined since
        self._left: list[Collection[str]] = []  # terms of the items gone since
        self._later: list[Packed] = []  # restored items, counted when first needed

    @property
    def compact(self) -> bool:
        return self._keys is not None

    def add(self, unique: Collection[str]) -> None:
        """An item holding these (distinct) terms joined."""
        self.n += 1
        if self._later:
            self._count_later()
        top = self.top
        if self._keys is None:
            top.update(unique)
            self._added += 1
            return
        top.update(top.keys() & unique)
        self._joined.append(tuple(unique))
        if len(self._joined) + len(self._left) >= _WAITING:
            self._merge()

    def add_later(self, packed: Packed) -> None:
        """An item joined, known by its packed features: its terms are counted when the
        counts are next needed (a restore books a whole window; the next items reach few
        outlets)."""
        self.n += 1
        self._later.append(packed)

    def remove(self, unique: Collection[str]) -> None:
        """An item holding these (distinct) terms left."""
        self.n -= 1
        top = self.top
        if self._keys is None:
            if self._later:  # (its counts are still to be made: taken out then)
                self._left.append(unique)
                return
            top.subtract(unique)
            for term in unique:
                if not top[term]:
                    del top[term]
            return
        top.subtract(top.keys() & unique)
        self._left.append(tuple(unique))
        if len(self._joined) + len(self._left) >= _WAITING:
            self._merge()

    def furniture(self, limit: float) -> Counter[str]:
        """Counts that tell the outlet's furniture for `limit` (≥ `floor`): a term is held
        by more than `limit` of its items exactly when its count here is over `limit`."""
        if self._later:
            self._count_later()
        if self._keys is None:
            if self.n >= COMPACT_ITEMS and self._added >= COMPACT_ITEMS:
                self._compact()
        elif self.floor + len(self._joined) > limit:
            self._merge()
        return self.top

    def by_hash(self) -> dict[int, int]:
        """Every count, by the term's hash (for checks: the same whatever the layout)."""
        if self._later:
            self._count_later()
        if self._keys is None:
            return {hash(t): c for t, c in self.top.items() if c}
        self._merge()
        return dict(zip(self._keys.tolist(), self._counts.tolist(), strict=True))

    # --- layout -----------------------------------------------------------------------------

    def _count_later(self) -> None:
        """Count the restored items (and take out those of them gone since)."""
        later, self._later = self._later, []
        unique = [frozenset(p[0]).union(p[1]) for p in later]
        top = self.top
        if self._keys is None:
            left, self._left = self._left, []
            top.update(chain.from_iterable(unique))
            for gone in left:
                top.subtract(gone)
            for term in chain.from_iterable(left):
                if not top.get(term, 1):
                    del top[term]
            return
        for terms in unique:
            top.update(top.keys() & terms)
        self._joined.extend(unique)
        self._merge()

    def _compact(self) -> None:
        """Move every count into the arrays; `top` keeps those over `floor`."""
        top, size = self.top, len(self.top)
        keys = _hashes(top, size)
        counts = np.fromiter(top.values(), dtype=np.int32, count=size)
        over = counts > self.floor
        kept = zip(compress(top, over.tolist()), counts[over].tolist(), strict=True)
        self.top = Counter(dict(kept))
        order = keys.argsort()
        self._keys, self._counts = keys[order], counts[order]

    def _merge(self) -> None:
        """Fold the noted items into the arrays and make `top` the terms over `floor` again
        (those of the old `top` still over it, and those of the joined items now over it)."""
        joined, left = self._joined, self._left
        self._joined, self._left = [], []
        keys, counts, floor = self._keys, self._counts, self.floor
        assert keys is not None
        terms: list[str] = list(chain.from_iterable(joined))
        if terms:
            hashes, inverse, added = np.unique(
                _hashes(terms, len(terms)), return_inverse=True, return_counts=True
            )
            added = added.astype(np.int32)
            at = keys.searchsorted(hashes)
            found = at < keys.size
            found[found] = keys[at[found]] == hashes[found]
            counts[at[found]] += added[found]
            new = ~found
            if new.any():
                keys = np.insert(keys, at[new], hashes[new])
                counts = np.insert(counts, at[new], added[new])
        gone_at = None
        if left:
            size = sum(map(len, left))
            gone, removed = np.unique(_hashes(chain.from_iterable(left), size), return_counts=True)
            gone_at = keys.searchsorted(gone)
            counts[gone_at] -= removed.astype(np.int32)
        top = Counter({t: c for t, c in self.top.items() if c > floor})
        if terms:
            now = counts[keys.searchsorted(hashes)][inverse]  # (each joined term's count)
            over = now > floor
            if over.any():  # (exact: set, not added)
                fresh = zip(compress(terms, over.tolist()), now[over].tolist(), strict=True)
                dict.update(top, fresh)
        if gone_at is not None and not counts[gone_at].all():
            kept = counts != 0
            keys, counts = keys[kept], counts[kept]
        self._keys, self._counts, self.top = keys, counts, top


def _hashes(terms: Iterable[str], size: int) -> np.ndarray:
    return np.fromiter(map(hash, terms), dtype=np.int64, count=size)
