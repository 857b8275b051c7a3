"""The clusterer's inverted index: term → the story profile members filed under it.

Most terms of the active window name one event, so most entries hold one or two members: an
entry is a tuple while it holds up to `SMALL` members (a set per term would cost ~200 bytes),
then a set. A member remembers the terms it is filed under (`indexed`), so it can be taken
out again. Lookups are plain `dict.get`, the clusterer's hot loop.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

__all__ = ["Indexed", "ProfileIndex"]

SMALL = 8  # an entry holds up to this many members in a tuple, then a set


class Indexed(Protocol):
    indexed: tuple[str, ...]


M = TypeVar("M", bound=Indexed)


class ProfileIndex(dict[str, tuple[M, ...] | set[M]]):
    """Term → members; `file` and `unfile` keep each member's `indexed` in step."""

    def file(self, member: M, terms: tuple[str, ...]) -> None:
        """File `member` under each of `terms` (it is then indexed under exactly those)."""
        member.indexed = terms
        for term in terms:
            posting = self.get(term)
            if posting is None:
                self[term] = (member,)
            elif type(posting) is tuple:
                if member not in posting:
                    grown = (*posting, member)
                    self[term] = grown if len(grown) <= SMALL else set(grown)
            else:
                posting.add(member)

    def unfile(self, member: M) -> None:
        """Take `member` out of every entry it is filed under."""
        for term in member.indexed:
            posting = self.get(term)
            if type(posting) is tuple:
                rest = tuple(m for m in posting if m is not member)
                if rest:
                    self[term] = rest
                else:
                    del self[term]
            elif posting is not None:
                posting.discard(member)
                if not posting:
                    del self[term]
        member.indexed = ()
