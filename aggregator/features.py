"""What the clusterer knows of an item: its grouping terms, which of them are written as
names, and whether it is a multi-topic item. Pure. Stored with the item (`encode`) so that a
restart rebuilds grouping state without tokenising again."""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter

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
    "Places",
    "as_multi",
    "decode",
    "encode",
    "first_title_term",
    "held_terms",
    "is_multi",
    "item_features",
    "item_terms",
    "own_terms",
    "pack",
    "packed_terms",
    "packed_text",
    "packed_title",
    "text_length",
    "text_read",
    "title_and_text",
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


# Features without their sets, compactly: the item's different title and text terms in the
# order they first come (`own_terms`), the places among them of its title terms, text terms
# and names (one byte each, two past 256 different terms), how many title and text terms it
# has, and its Title Case and multi-topic flags. A term an item repeats costs a byte, not an
# 8-byte reference, and a packed item holds no term sets (most of the memory of Features).
# Read it only through the functions below.
Packed = tuple[tuple[str, ...], "Places", int, int, bool, bool]
Places = bytes | array  # an array of 2-byte places past 256 different terms


def pack(features: Features, like: tuple[Features, Packed] | None = None) -> Packed:
    """The parts `unpack` rebuilds equal Features from. `like`: Features `unpack` gave and
    the packed item they came from, whose parts are taken again when `features` hold the
    same terms (an observed item is packed while it waits, unpacked, and packed again)."""
    f = features
    title, text = f.title, f.text
    if like is not None:
        was, packed = like
        if title is was.title and text is was.text and f.names is was.names:
            return (*packed[:4], f.title_case, f.multi)  # type: ignore[return-value]
    own = tuple(dict.fromkeys(chain(title, text)))
    at = dict(zip(own, range(len(own)), strict=True))
    names = [t for t in f.names if t in at]  # (names are its own terms: see `_features`)
    terms = (*title, *text, *names)
    kind = bytes if len(own) <= 256 else _two_bytes
    places = kind(itemgetter(*terms)(at) if len(terms) > 1 else map(at.__getitem__, terms))
    return (own, places, len(title), len(text), f.title_case, f.multi)


def _two_bytes(places: Iterable[int]) -> array:
    return array("H", places)


def _at(own: tuple[str, ...], places: Places) -> tuple[str, ...]:
    """The terms at `places` of `own`, in order."""
    if len(places) > 1:
        return itemgetter(*places)(own)  # type: ignore[no-any-return]
    return (own[places[0]],) if places else ()


def unpack(packed: Packed) -> Features:
    own, places, n_title, n_text, title_case, multi = packed
    end = n_title + n_text
    title, text = _at(own, places[:n_title]), _at(own, places[n_title:end])
    unique = frozenset(own)  # (its title and text terms)
    return Features(title, text, frozenset(_at(own, places[end:])), title_case, multi, unique)


def packed_title(packed: Packed) -> tuple[str, ...]:
    """A packed item's title terms."""
    return _at(packed[0], packed[1][: packed[2]])


def packed_text(packed: Packed) -> tuple[str, ...]:
    """A packed item's text terms."""
    start = packed[2]
    return _at(packed[0], packed[1][start : start + packed[3]])


def title_and_text(packed: Packed) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A packed item's title terms and text terms."""
    own, places, n_title, n_text = packed[:4]
    return _at(own, places[:n_title]), _at(own, places[n_title : n_title + n_text])


def held_terms(packed: Packed) -> frozenset[str]:
    """A packed item's title and text terms as a set (its Features' `unique`)."""
    return frozenset(packed[0])


def packed_terms(
    packed: Packed, text_terms: int | None = None
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """A packed item's title terms, text terms (its first `text_terms` only, when given) and
    names (in the order `pack` met them)."""
    own, places, n_title, n_text = packed[:4]
    end = n_title + n_text
    cut = end if text_terms is None else n_title + min(n_text, text_terms)
    return _at(own, places[:n_title]), _at(own, places[n_title:cut]), _at(own, places[end:])


def own_terms(packed: Packed) -> tuple[str, ...]:
    """A packed item's different title and text terms, in the order they first come."""
    return packed[0]


def first_title_term(packed: Packed) -> str:
    """A packed item's first title term ("" without one): the first of its own terms."""
    return packed[0][0] if packed[2] else ""


def text_length(packed: Packed) -> int:
    """How many text terms a packed item has."""
    return packed[3]


def is_multi(packed: Packed) -> bool:
    return packed[5]


def as_multi(packed: Packed) -> Packed:
    """A packed item made multi-topic."""
    return (*packed[:5], True)  # type: ignore[return-value]


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
    title, text, capitals = terms or item_terms(item.title, item.text, text_tokens, title_case)
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

    With `terms` (a table of term strings, filled as it goes), equal terms of many decoded
    items are one string object: a restored window holds each term once, not once per item.
    """
    parts = value.split("\t")
    if len(parts) != 4 or parts[3] not in ("0", "1"):
        return None
    title, text, names = parts[0].split(), parts[1].split(), parts[2].split()
    if terms is not None:
        share = terms.setdefault
        title, text, names = (list(map(share, t, t)) for t in (title, text, names))
    return _features(
        tuple(title),
        tuple(text),
        frozenset(names),
        parts[3] == "1",
        is_multi_topic(item.title, item.url),
    )
