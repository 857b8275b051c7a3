"""The clusterer's inverted index: term → the story profile members filed under it.

Most terms of the active window name one event, so most entries hold one member: an entry
is that member itself while it is alone (no container), a tuple while it holds up to `SMALL`
members (a set per term would cost ~200 bytes), then a set. A member remembers the terms it
is filed under (`indexed`), so it can be taken out again. Lookups are plain `dict.get`, the
clusterer's hot loop (which tells a lone member from a container by its type).
"""

from __future__ import annotations

from typing import Protocol, TypeVar

__all__ = ["Indexed", "ProfileIndex"]

SMALL = 8  # an entry holds up to this many members in a tuple, then a set


class Indexed(Protocol):
    indexed: tuple[str, ...]


M = TypeVar("M", bound=Indexed)


class ProfileIndex(dict[str, M | tuple[M, ...] | set[M]]):
    """Term → members; `file` and `unfile` keep each member's `indexed` in step."""

    def file(self, member: M, terms: tuple[str, ...]) -> None:
        """File `member` under each of `terms` (it is then indexed under exactly those)."""
        member.indexed = terms
        for term in terms:
            posting = self.get(term)
            if posting is None:
                self[term] = member
            elif type(posting) is tuple:
                if member not in posting:
                    grown = (*posting, member)
                    self[term] = grown if len(grown) <= SMALL else set(grown)
            elif type(posting) is set:
                posting.add(member)
            elif posting is not member:
                self[term] = (posting, member)

    def unfile(self, member: M) -> None:
        """Take `member` out of every entry it is filed under."""
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
            elif type(posting) is set:
                posting.discard(member)
                if not posting:
                    del self[term]
            elif posting is member:
                del self[term]
        member.indexed = ()

    def members(self, term: str) -> tuple[M, ...] | set[M]:
        """The members filed under `term` (for callers outside the hot loop)."""
        posting = self.get(term)
        if posting is None:
            return ()
        return posting if type(posting) in (tuple, set) else (posting,)  # type: ignore[return-value]
