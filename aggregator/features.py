"""What the clusterer knows of an item: its grouping terms, which of them are written as
names, and whether it is a multi-topic item. Pure. Stored with the item (`encode`) so that a
restart rebuilds grouping state without tokenising again."""

from __future__ import annotations

from dataclasses import dataclass
from sys import intern

from .models import Item
from .terms import (
    capitalised_words,
    grouping_terms,
    is_multi_topic,
    is_title_case,
    name_set,
)

__all__ = [
    "TERMS_VERSION",
    "Features",
    "ItemTerms",
    "Packed",
    "decode",
    "encode",
    "item_features",
    "item_terms",
    "pack",
    "text_read",
    "unpack",
]

_CHARS_PER_TERM = 12  # text characters looked at per content term wanted

# What `item_features` makes of a text, as a version: change it with any change to the terms,
# names or flags an item gets (`tests/test_terms_version.py` pins them). Stored features another
# version made are worked out again before a window is rebuilt from them (`reterm_window`).
TERMS_VERSION = "5"


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
# title and text tuples are the Features' own, so packing costs two small tuples, and a packed
# item no longer holds its term sets (most of the memory of its Features).
Packed = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], bool, bool]


def pack(features: Features) -> Packed:
    """The parts `unpack` rebuilds equal Features from."""
    f = features
    return (f.title, f.text, tuple(f.names), f.title_case, f.multi)


def unpack(packed: Packed) -> Features:
    title, text, names, title_case, multi = packed
    return _features(title, text, frozenset(names), title_case, multi)


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
    title: str,
    text: str,
    text_tokens: int,
    title_case: bool | None = None,
    language: str | None = None,
) -> ItemTerms:
    """The tokenising part of `item_features` (pure: a worker process may do it);
    `language`: the item's declared one (`Item.language`)."""
    if title_case is None:
        title_case = is_title_case(title)
    title_terms, text_terms = grouping_terms(title, text, text_tokens, language)
    capitals = capitalised_words(title, text, text_read(text_tokens), title_case, language)
    return title_terms, text_terms, capitals


def item_features(item: Item, text_tokens: int, terms: ItemTerms | None = None) -> Features:
    """An item's features; `terms`, when given, are its `item_terms` worked out already
    (on another core: `term_pool`)."""
    title_case = is_title_case(item.title)
    if terms is None:  # (tokenised here: each term the interned string, as from `term_pool`)
        found = item_terms(item.title, item.text, text_tokens, title_case, item.language)
        title, text, capitals = (list(map(intern, t)) for t in found)
    else:
        title, text, capitals = terms
    return _features(
        tuple(title),
        tuple(text),
        frozenset(name_set(capitals)),
        title_case,
        is_multi_topic(item.title, item.url, item.text),
    )


def encode(features: Features) -> str:
    """One line: title terms, text terms, names, Title Case flag (tab separated), and "\t1"
    for a multi-topic item (a restore reads no text, which may be what says so)."""
    return "\t".join(
        (
            " ".join(features.title),
            " ".join(features.text),
            " ".join(sorted(features.names)),
            "1" if features.title_case else "0",
            *(("1",) if features.multi else ()),
        )
    )


def decode(value: str, item: Item) -> Features | None:
    """Features stored by `encode`; None if `value` is not in that form.

    Equal terms of many decoded items are one string object, the interpreter's (`sys.intern`):
    a restored window holds each term once, not once per item, and it is the string a new
    item's terms are too (`item_features`, `term_pool`), so the window's counts find them by
    identity, not by their characters.
    """
    parts = value.split("\t")
    if len(parts) not in (4, 5) or parts[3] not in ("0", "1") or parts[4:] not in ([], ["1"]):
        return None
    title, text, names = parts[0].split(), parts[1].split(), parts[2].split()
    title, text, names = (list(map(intern, t)) for t in (title, text, names))
    return _features(
        tuple(title),
        tuple(text),
        frozenset(names),
        parts[3] == "1",
        len(parts) == 5 or is_multi_topic(item.title, item.url, item.text),
    )
