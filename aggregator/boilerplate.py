"""Texts that many items repeat word for word: not articles. Pure.

Article extraction and feeds sometimes hand over a page's furniture instead of its article: an
archive notice, "Tweet with a location …", a consent banner, a paywall. Different outlets'
items then carry the same text under unrelated headlines, and that text would tie their
stories together. Copies of one article under headlines that agree are caught before grouping
(dedupe: wire copies); what reaches the clusterer with the same opening as two or more other
active items, under a headline that shares no content word with the first copy's headline, is
treated as furniture: the item founds its own story, which nothing joins. (Copies under
headlines that agree are one article — a wire brief too short for dedupe's near-duplicate
test — and group as usual.)
"""

from __future__ import annotations

from collections.abc import Sequence

from .digests import blake2b
from .features import Features

__all__ = ["RepeatedTexts", "headline_of_its_own", "opening_key", "own_headline"]

OPENING_TERMS = 30  # the opening compared: this many leading content terms of the text …
MIN_TERMS = 12  # … when the text has at least this many (shorter texts say too little) …
MIN_BARE_TERMS = 6  # … or this many under a headline that is not the item's own (the text is all)


def own_headline(features: Features) -> bool:
    """Whether an item has a headline of its own (`headline_of_its_own` on its terms)."""
    return headline_of_its_own(features.title, features.text)


def headline_of_its_own(title: Sequence[str], text: Sequence[str]) -> bool:
    """Whether a title's content terms are a headline of their own, not just the first content
    terms of a longer text (a feed without headlines: the pipeline cuts a title from the text).
    A text that only repeats the title makes the item a headline."""
    return bool(title) and (text[: len(title)] != title or len(text) == len(title))


def opening_key(terms: Sequence[str]) -> int:
    """A text's opening as a 64-bit number, the same in every process (Python's `hash` of
    strings is keyed per process): a window pickled by one process (the grouping snapshot) is
    carried on by another."""
    joined = "\x1f".join(terms).encode()
    return int.from_bytes(blake2b(joined, digest_size=8).digest(), "big")


class RepeatedTexts:
    """How many active items open their text with the same content terms."""

    def __init__(self, copies: int = 3) -> None:
        self.copies = copies  # the copy that makes a text furniture (and every later one)
        # An opening is known by a 64-bit digest of its terms (`opening_key`), not by the
        # terms: 36 bytes where a tuple of 30 terms takes 280, one per active item with a text.
        # Two openings of the window could share one (odds ~n²/2⁶⁵: ~1e-10 at 60k texts).
        self._first_title: dict[int, tuple[str, ...]] = {}  # opening → 1st headline
        # opening → its copies, for the openings of two copies or more (one copy: in
        # `_first_title` only; nearly every opening is one item's, and a second table of all
        # of them cost ~42 bytes an item)
        self._more: dict[int, int] = {}
        # opening → ids of its copies before the `copies`-th without a headline of their own:
        # furniture too once a later copy shows the text to be (see `earlier`)
        self._bare: dict[int, list[str]] = {}

    @staticmethod
    def _key(features: Features) -> int | None:
        text = features.text
        least = MIN_TERMS if own_headline(features) else MIN_BARE_TERMS
        return opening_key(text[:OPENING_TERMS]) if len(text) >= least else None

    def counts(self) -> dict[int, int]:
        """Every opening counted, with how many active items open with it."""
        more = self._more
        return {key: more.get(key, 1) for key in self._first_title}

    def add(self, features: Features, item_id: str = "") -> bool:
        """Count an item's text; True when it is at least the `copies`-th with that opening
        and its headline shares no content word with the first copy's (a headline that is not
        its item's own shares none)."""
        key = self._key(features)
        if key is None:
            return False
        own = own_headline(features)
        title = features.title if own else ()  # (a tuple: a set costs 5×)
        firsts = self._first_title
        first = firsts.get(key)
        if first is None:
            firsts[key] = first = title
            copies = 1
        else:
            copies = self._more[key] = self._more.get(key, 1) + 1
        if copies >= self.copies:
            return frozenset(title).isdisjoint(first)
        if item_id and not own:
            self._bare.setdefault(key, []).append(item_id)
        return False

    def earlier(self, features: Features) -> tuple[str, ...]:
        """The ids of the earlier copies, without a headline of their own, of a text `add`
        just found to be furniture: furniture too, known only now (each id is given once)."""
        key = self._key(features)
        return tuple(self._bare.pop(key, ())) if key is not None else ()

    def remove(self, features: Features) -> None:
        """Forget an item that left the window."""
        key = self._key(features)
        if key is None or key not in self._first_title:
            return
        left = self._more.pop(key, 1) - 1
        if left > 1:
            self._more[key] = left
        elif left < 1:
            del self._first_title[key]
            self._bare.pop(key, None)
