"""What the clusterer knows of an item: its grouping terms, which of them are written as
names, and whether it is a multi-topic item. Pure. Stored with the item (`encode`) so that a
restart rebuilds grouping state without tokenising again."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Item
from .terms import capitalised_terms, grouping_terms, is_multi_topic, is_title_case

__all__ = ["Features", "decode", "encode", "item_features"]

_CHARS_PER_TERM = 12  # text characters looked at per content term wanted


@dataclass(frozen=True, slots=True)
class Features:
    title: tuple[str, ...]  # content terms of the title, in order
    text: tuple[str, ...]  # leading content terms of the text, in order
    names: frozenset[str]  # terms written capitalised inside a sentence
    title_case: bool  # a Title Case headline: its capitals say nothing
    multi: bool  # a live blog, bulletin or round-up
    unique: frozenset[str]  # title and text terms
    cased: frozenset[str]  # terms whose case this item shows (text; a headline not Title Case)


def _features(
    title: tuple[str, ...],
    text: tuple[str, ...],
    names: frozenset[str],
    title_case: bool,
    multi: bool,
) -> Features:
    unique = frozenset(title).union(text)
    cased = frozenset(text) if title_case else unique
    return Features(title, text, names & unique, title_case, multi, unique, cased)


def item_features(item: Item, text_tokens: int) -> Features:
    title, text = grouping_terms(item.title, item.text, text_tokens)
    names = capitalised_terms(item.title, item.text, text_tokens * _CHARS_PER_TERM)
    return _features(
        tuple(title),
        tuple(text),
        frozenset(names),
        is_title_case(item.title),
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


def decode(value: str, item: Item) -> Features | None:
    """Features stored by `encode`; None if `value` is not in that form."""
    parts = value.split("\t")
    if len(parts) != 4 or parts[3] not in ("0", "1"):
        return None
    return _features(
        tuple(parts[0].split()),
        tuple(parts[1].split()),
        frozenset(parts[2].split()),
        parts[3] == "1",
        is_multi_topic(item.title, item.url),
    )
