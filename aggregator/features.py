"""What the clusterer knows of an item: its grouping terms, which of them are written as
names, and whether it is a multi-topic item. Pure. Stored with the item (`encode`) so that a
restart rebuilds grouping state without tokenising again."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from sys import intern
from typing import Any, overload

from .models import Item
from .terms import (
    capitalised_words,
    grouping_terms,
    is_multi_topic,
    is_title_case,
    name_set,
)

__all__ = [
    "Features",
    "ItemTerms",
    "Packed",
    "PackedText",
    "TermIds",
    "decode",
    "encode",
    "item_features",
    "item_terms",
    "pack",
    "text_read",
    "unpack",
]

_CHARS_PER_TERM = 12  # text characters looked at per content term wanted


@dataclass(frozen=True, slots=True)
class Features:
    title: tuple[str, ...]  # content terms of the title, in order
    text: tuple[str, ...]  # leading content terms of the text, in order
    names: frozenset[str]  # terms written capitalised inside a sentence
    title_case: bool  # a Title Case headline: its capitals say nothing
    multi: bool  # a live blog, bulletin or round-up
    unique: frozenset[str]  # title and text terms

    @property
    def cased(self) -> frozenset[str]:
        """Terms whose case this item shows: its text's, and its headline's unless Title Case
        (computed when asked: a second set per item would cost as much as `unique`)."""
        return frozenset(self.text) if self.title_case else self.unique


# Features without their sets: title, text, names, Title Case flag, multi-topic flag. The
# title and text are the Features' own tuples, or the text as ids into its window's term table
# (`TermIds`), so packing costs two small tuples, and a packed item no longer holds its term
# sets (most of the memory of its Features). The text reads as a tuple of its terms does
# (iterated, sliced, measured) either way.
Packed = tuple[tuple[str, ...], "tuple[str, ...] | PackedText", tuple[str, ...], bool, bool]


class _Ids(dict[str, int]):
    """Term → id; a term not held yet is given the next id."""

    __slots__ = ("terms",)

    def __init__(self, terms: list[str]) -> None:
        super().__init__(zip(terms, range(len(terms)), strict=True))
        self.terms = terms

    def __missing__(self, term: str) -> int:
        at = self[term] = len(self.terms)
        self.terms.append(term)
        return at


class TermIds:
    """A window's text terms as small ids: a text packed by it (`PackedText`) keeps 2 bytes
    a term (4 past 65,536 different terms) where a tuple keeps an 8-byte reference. A table
    only grows; `kept` moves the texts still held to a new one, without the terms of those
    gone. The text packed last reads from the tuple it was packed from (an item's text is
    read again as it joins: its vectors' places, its index terms)."""

    __slots__ = ("_ids", "_last", "terms")

    def __init__(self, terms: list[str] | None = None) -> None:
        self.terms: list[str] = terms if terms is not None else []  # id → term
        self._ids = _Ids(self.terms)
        self._last: tuple[PackedText | None, tuple[str, ...]] = (None, ())

    def __len__(self) -> int:
        return len(self.terms)

    def pack(self, text: tuple[str, ...]) -> PackedText:
        """`text` as ids (a term new to the table is given one)."""
        found = list(map(self._ids.__getitem__, text))
        packed = PackedText(self, array("H" if len(self.terms) <= 0x10000 else "I", found))
        self._last = (packed, text)
        return packed

    def kept(self, texts: Iterable[object]) -> TermIds:
        """A new table holding the terms of those of `texts` packed by this one, each of them
        moved to it (its ids given again). This table does not change: a text packed by it
        and not among `texts` reads as before."""
        new = TermIds()
        give, terms = new._ids.__getitem__, self.terms
        for text in texts:
            if type(text) is PackedText and text._table is self:
                found = list(map(give, map(terms.__getitem__, text._ids)))
                code = "H" if len(new.terms) <= 0x10000 else "I"
                text._table, text._ids = new, array(code, found)
        return new

    def __reduce__(self) -> tuple[Any, ...]:
        return TermIds, (self.terms,)


class PackedText:
    """A packed text: its terms' ids in its window's `TermIds`. Reads as the tuple of its
    terms does (and equals it)."""

    __slots__ = ("_ids", "_table")

    def __init__(self, table: TermIds, ids: array[int]) -> None:
        self._table, self._ids = table, ids

    def __iter__(self) -> Iterator[str]:
        table = self._table
        if table._last[0] is self:
            return iter(table._last[1])
        return map(table.terms.__getitem__, self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    @overload
    def __getitem__(self, at: int) -> str: ...
    @overload
    def __getitem__(self, at: slice) -> tuple[str, ...]: ...
    def __getitem__(self, at: int | slice) -> str | tuple[str, ...]:
        table = self._table
        if table._last[0] is self:
            return table._last[1][at]
        if isinstance(at, slice):
            return tuple(map(table.terms.__getitem__, self._ids[at]))
        return table.terms[self._ids[at]]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedText | tuple):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"PackedText({tuple(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return _packed_text, (self._table, self._ids)


def _packed_text(table: TermIds, ids: array[int]) -> PackedText:
    return PackedText(table, ids)


def pack(features: Features, table: TermIds | None = None) -> Packed:
    """The parts `unpack` rebuilds equal Features from; the text as ids into `table`, when
    given."""
    f = features
    text = f.text if table is None else table.pack(f.text)
    return (f.title, text, tuple(f.names), f.title_case, f.multi)


def unpack(packed: Packed) -> Features:
    title, text, names, title_case, multi = packed
    return _features(title, tuple(text), frozenset(names), title_case, multi)


def _features(
    title: tuple[str, ...],
    text: tuple[str, ...],
    names: frozenset[str],
    title_case: bool,
    multi: bool,
) -> Features:
    unique = frozenset(title).union(text)
    return Features(title, text, names & unique, title_case, multi, unique)


# An item's title terms, text terms and capitalised words (`terms.capitalised_words`): the
# costly part of its features, which reads nothing but its title and the start of its text.
ItemTerms = tuple[list[str], list[str], list[str]]


def text_read(text_tokens: int) -> int:
    """How many characters of an item's text its features read."""
    return text_tokens * _CHARS_PER_TERM


def item_terms(
    title: str, text: str, text_tokens: int, title_case: bool | None = None
) -> ItemTerms:
    """The tokenising part of `item_features` (pure: a worker process may do it)."""
    if title_case is None:
        title_case = is_title_case(title)
    title_terms, text_terms = grouping_terms(title, text, text_tokens)
    capitals = capitalised_words(title, text, text_read(text_tokens), title_case)
    return title_terms, text_terms, capitals


def item_features(item: Item, text_tokens: int, terms: ItemTerms | None = None) -> Features:
    """An item's features; `terms`, when given, are its `item_terms` worked out already
    (on another core: `term_pool`)."""
    title_case = is_title_case(item.title)
    if terms is None:  # (tokenised here: each term the interned string, as from `term_pool`)
        found = item_terms(item.title, item.text, text_tokens, title_case)
        title, text, capitals = (list(map(intern, t)) for t in found)
    else:
        title, text, capitals = terms
    return _features(
        tuple(title),
        tuple(text),
        frozenset(name_set(capitals)),
        title_case,
        is_multi_topic(item.title, item.url),
    )


def encode(features: Features) -> str:
    """One line: title terms, text terms, names, Title Case flag (tab separated)."""
    return "\t".join(
        (
            " ".join(features.title),
            " ".join(features.text),
            " ".join(sorted(features.names)),
            "1" if features.title_case else "0",
        )
    )


def decode(value: str, item: Item, terms: dict[str, str] | None = None) -> Features | None:
    """Features stored by `encode`; None if `value` is not in that form.

    Equal terms of many decoded items are one string object (a restored window holds each
    term once, not once per item): the table's with `terms` (term strings, filled as it goes),
    else the interpreter's (`sys.intern`), the one a new item's terms are too (`item_features`,
    `term_pool`): the window's counts then find them by identity, not by their characters.
    """
    parts = value.split("\t")
    if len(parts) != 4 or parts[3] not in ("0", "1"):
        return None
    title, text, names = parts[0].split(), parts[1].split(), parts[2].split()
    if terms is not None:
        share = terms.setdefault
        title, text, names = (list(map(share, t, t)) for t in (title, text, names))
    else:
        title, text, names = (list(map(intern, t)) for t in (title, text, names))
    return _features(
        tuple(title),
        tuple(text),
        frozenset(names),
        parts[3] == "1",
        is_multi_topic(item.title, item.url),
    )
