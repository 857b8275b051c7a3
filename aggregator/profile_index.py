"""The clusterer's inverted index: term → the story profile members filed under it.

Most terms of the active window name one event, so most entries hold one member: an entry
is that member itself while it is alone (no container), a tuple while it holds up to `SMALL`
members, then a list, both in filing order (8 bytes a member, where a set costs 40–70 and a
small one ~200; a list takes a member in place, where a tuple is copied). A term filed under
more than `crowded` members (common words: the clusterer never looks further than
`max_postings`) keeps only their count, a `Crowd`; once it falls back to `listed` members they
are gathered again from the members filed (whose `indexed` says where each is filed). The two
limits are apart, so a term near them is not gathered over and over. (Without `crowded`, an
entry of more than `SMALL` members is a set.) A member remembers the terms it is filed under
(`indexed`), so it can be taken out again. Lookups are plain `dict.get`, the clusterer's hot
loop (which tells a lone member from a container by its type, and skips an entry longer than
`max_postings`: a `Crowd`'s length is its count).
"""

from __future__ import annotations

from typing import Protocol, TypeVar

__all__ = ["Crowd", "Indexed", "ProfileIndex"]

SMALL = 8  # an entry holds up to this many members in a tuple, then a set


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


class ProfileIndex(dict[str, M | tuple[M, ...] | list[M] | set[M] | Crowd]):
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
        # every member filed, in filing order (to gather a crowd's members)
        self._filed: dict[M, None] = {}

    def file(self, member: M, terms: tuple[str, ...]) -> None:
        """File `member` under each of `terms` (it is then indexed under exactly those)."""
        if member in self._filed:
            self.unfile(member)
        member.indexed = terms
        self._filed[member] = None
        crowded = self._crowded
        setdefault = self.setdefault
        for term in terms:
            posting = setdefault(term, member)  # (a term of no other member: filed alone)
            if posting is member:
                continue
            if type(posting) is tuple:
                grown = (*posting, member)
                if len(grown) <= SMALL:
                    self[term] = grown
                else:
                    self[term] = set(grown) if crowded is None else list(grown)
            elif type(posting) is list:
                posting.append(member)
                if len(posting) > crowded:  # type: ignore[operator]
                    self[term] = Crowd(len(posting))
            elif type(posting) is set:
                posting.add(member)
                if crowded is not None and len(posting) > crowded:
                    self[term] = Crowd(len(posting))
            elif type(posting) is Crowd:
                posting.n += 1
            else:  # (one member: `type() is` narrows nothing for mypy)
                self[term] = (posting, member)  # type: ignore[assignment]

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
            self._filed[member] = None
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
                self[term] = members if n <= crowded else Crowd(n)

    def unfile(self, member: M) -> None:
        """Take `member` out of every entry it is filed under."""
        self._filed.pop(member, None)
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
            elif type(posting) is list:
                try:
                    posting.remove(member)  # (members compare by identity)
                except ValueError:
                    continue
                if len(posting) == 1:
                    self[term] = posting[0]
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

    def _gather(self, term: str) -> list[M]:
        """The members filed under `term`, in filing order, found through what each is filed
        under."""
        return [m for m in self._filed if term in m.indexed]

    def members(self, term: str) -> tuple[M, ...] | list[M] | set[M]:
        """The members filed under `term` (for callers outside the hot loop)."""
        posting = self.get(term)
        if posting is None:
            return ()
        if type(posting) is Crowd:
            return self._gather(term)
        return posting if type(posting) in (tuple, list, set) else (posting,)  # type: ignore[return-value]
