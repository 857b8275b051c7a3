"""The clusterer's inverted index: term → the story profile members filed under it.

Most terms of the active window name one event, so most entries hold one member: an entry
is that member itself while it is alone (no container), a tuple while it holds up to `SMALL`
members, then an array of the members' places in the index (`slots`; 4 bytes a member, where
a set costs 40–70 and a small one ~200), both in filing order. A term filed under
more than `crowded` members (common words: the clusterer never looks further than
`max_postings`) keeps only their count, a `Crowd`; once it falls back to `listed` members they
are gathered again from the members filed (whose `indexed` says where each is filed). The two
limits are apart, so a term near them is not gathered over and over. (Without `crowded`, an
entry of more than `SMALL` members is a set.) A member remembers the terms it is filed under
(`indexed`), so it can be taken out again. Lookups are plain `dict.get`, the clusterer's hot
loop (which tells a lone member from a container by its type, and skips an entry longer than
`max_postings`: a `Crowd`'s length is its count), and `repeated` counts which members the
entries it is given share without visiting the members of the arrays (their places are
sorted as numbers: most members met share one term only).
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable
from typing import Protocol, TypeVar

__all__ = ["Crowd", "Indexed", "ProfileIndex"]

SMALL = 8  # an entry holds up to this many members in a tuple, then an array (or a set)


class Indexed(Protocol):
    indexed: tuple[str, ...]


M = TypeVar("M", bound=Indexed)


class Crowd:
    """The entry of a term filed under too many members to be a candidate's: their count."""

    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n


class ProfileIndex(dict[str, M | tuple[M, ...] | array | set[M] | Crowd]):  # type: ignore[type-arg]
    """Term → members; `file` and `unfile` keep each member's `indexed` in step.

    With `crowded`, a term on more members than that keeps their count only, until it is
    back to `listed` members (`listed` < `crowded`; a caller that reads entries of up to
    `listed` members sees every entry of that size whole)."""

    def __init__(self, crowded: int | None = None, listed: int = 0) -> None:
        super().__init__()
        if crowded is not None and not SMALL <= listed < crowded:
            raise ValueError("need SMALL <= listed < crowded")
        self._crowded = crowded
        self._listed = listed
        # every member filed, in filing order (to gather a crowd's members) → its slot
        self._filed: dict[M, int] = {}
        self._slots: list[M | None] = []  # slot → the member filed there (arrays hold slots)
        self._free: list[int] = []  # slots of members unfiled, to be given again

    def _slot(self, member: M) -> int:
        """Give a member being filed its slot."""
        if self._free:
            slot = self._free.pop()
            self._slots[slot] = member
        else:
            slot = len(self._slots)
            self._slots.append(member)
        self._filed[member] = slot
        return slot

    def file(self, member: M, terms: tuple[str, ...]) -> None:
        """File `member` under each of `terms` (it is then indexed under exactly those)."""
        if member in self._filed:
            self.unfile(member)
        member.indexed = terms
        slot = self._slot(member)
        crowded = self._crowded
        for term in terms:
            posting = self.get(term)
            if posting is None:
                self[term] = member
            elif type(posting) is tuple:
                grown = (*posting, member)
                if len(grown) <= SMALL:
                    self[term] = grown
                elif crowded is None:
                    self[term] = set(grown)
                else:
                    self[term] = array("i", map(self._filed.__getitem__, grown))
            elif type(posting) is array:
                posting.append(slot)
                if len(posting) > crowded:  # type: ignore[operator]
                    self[term] = Crowd(len(posting))
            elif type(posting) is set:
                posting.add(member)
                if crowded is not None and len(posting) > crowded:
                    self[term] = Crowd(len(posting))
            elif type(posting) is Crowd:
                posting.n += 1
            else:
                self[term] = (posting, member)

    def file_many(self, filings: list[tuple[M, tuple[str, ...]]]) -> None:
        """`file` each (member, terms) in turn, in bulk when the index is empty (a restore):
        the same entries, in the same order, as filing them one by one."""
        if self or self._filed:
            for member, terms in filings:
                self.file(member, terms)
            return
        postings: dict[str, list[M]] = {}
        get = postings.get
        for member, terms in filings:
            member.indexed = terms
            self._slot(member)
            for term in terms:
                posting = get(term)
                if posting is None:
                    postings[term] = [member]
                else:
                    posting.append(member)
        crowded = self._crowded
        for term, members in postings.items():
            n = len(members)
            if n == 1:
                self[term] = members[0]
            elif n <= SMALL:
                self[term] = tuple(members)
            elif crowded is None:
                self[term] = set(members)
            else:
                self[term] = (
                    array("i", map(self._filed.__getitem__, members)) if n <= crowded else Crowd(n)
                )

    def unfile(self, member: M) -> None:
        """Take `member` out of every entry it is filed under."""
        slot = self._filed.pop(member, None)
        if slot is not None:
            self._slots[slot] = None
            self._free.append(slot)
        for term in member.indexed:
            posting = self.get(term)
            if type(posting) is tuple:
                rest = tuple(m for m in posting if m is not member)
                if len(rest) > 1:
                    self[term] = rest
                elif rest:
                    self[term] = rest[0]
                else:
                    del self[term]
            elif type(posting) is array:
                if slot is None:
                    continue
                try:
                    posting.remove(slot)
                except ValueError:
                    continue
                if len(posting) == 1:
                    self[term] = self._slots[posting[0]]  # type: ignore[assignment]
            elif type(posting) is set:
                posting.discard(member)
                if not posting:
                    del self[term]
            elif type(posting) is Crowd:
                posting.n -= 1
                if posting.n <= self._listed:
                    self[term] = self._gather(term)
            elif posting is member:
                del self[term]
        member.indexed = ()

    def _gather(self, term: str) -> array[int]:
        """The slots of the members filed under `term`, in filing order, found through what
        each is filed under."""
        return array("i", (slot for m, slot in self._filed.items() if term in m.indexed))

    def members(self, term: str) -> tuple[M, ...] | list[M] | set[M]:
        """The members filed under `term` (for callers outside the hot loop)."""
        posting = self.get(term)
        if posting is None:
            return ()
        if type(posting) is Crowd:
            posting = self._gather(term)
        if type(posting) is array:
            return [self._slots[slot] for slot in posting]  # type: ignore[misc]
        return posting if type(posting) in (tuple, set) else (posting,)  # type: ignore[return-value]

    def repeated(
        self, entries: Iterable[M | tuple[M, ...] | array[int] | set[M]], least: int
    ) -> dict[M, int]:
        """The members in at least `least` of `entries` (entries of this index, no crowd) →
        in how many. The arrays' slots are sorted as numbers, so their members are never
        visited; only the few that repeat are looked up."""
        import numpy as np  # (only once a clusterer ranks: ~10 MB and ~60 ms when first imported)

        filed, slots = self._filed, self._slots
        parts: list[array[int]] = []
        loose: list[M] = []  # members of the entries that are not arrays
        for entry in entries:
            if type(entry) is array:
                parts.append(entry)
            elif type(entry) is tuple or type(entry) is set:
                loose.extend(entry)  # type: ignore[arg-type]
            else:
                loose.append(entry)  # type: ignore[arg-type]
        if loose:
            parts.append(array("i", map(filed.__getitem__, loose)))
        found = np.sort(np.frombuffer(b"".join(parts), dtype=np.intc))
        if least < 2:
            counted = Counter(found.tolist())
            return {slots[s]: n for s, n in counted.items()}  # type: ignore[misc]
        again = found[1:][found[1:] == found[:-1]]  # a slot once for each entry it is in, less one
        if not len(again):
            return {}
        counted = Counter(again.tolist())
        return {slots[s]: n + 1 for s, n in counted.items() if n + 1 >= least}  # type: ignore[misc]
