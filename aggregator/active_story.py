"""What the clusterer keeps of each active story and of its profile members (see
aggregator.story_window). Pure records: a story's log holds its items' packed features
(aggregator.features); the terms a story holds, and how many of its items hold each, are
derived from its log (kept for the stories joined lately: see StoryWindow._tally)."""

from __future__ import annotations

import math
from array import array
from collections import Counter, _count_elements  # type: ignore[attr-defined]
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain, islice, repeat
from operator import mul
from struct import Struct
from sys import intern
from typing import TypeAlias

from .features import Packed
from .headline_route import Headline
from .window_counts import WHOLE_WEIGHTS, Counts, PackedVector, Vector, unit

__all__ = ["EPOCH", "ActiveStory", "ProfileMember", "index_terms", "log_tally"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True, eq=False)
class ProfileMember:
    """An item that stands for its story in the index: its founder or one of its latest."""

    id: str
    story: ActiveStory
    when: datetime
    packed: Packed  # its features without their term sets (see StoryWindow._full_features)
    outlet: str
    # its unit TF-IDF vectors of title + text and of the title alone (see `keep_vectors`;
    # None: not yet); the dicts are rebuilt for the members compared lately (see
    # StoryWindow._member_vectors)
    terms: Places | None = None
    weights: bytes | None = None  # item counts or C doubles (see `keep_vectors`)
    title_terms: Places | None = None  # None: the first of `terms` (see below)
    _indexed: tuple[str, ...] | int = ()  # see `indexed`
    _headline: Headline | str | None = None  # see `headline`
    counted: int = 0  # how many items the window held when the vectors were computed

    @property
    def headline(self) -> Headline | None:
        """Its headline, for the headline route. One without embeddings whose first term is
        its packed title's first is kept as its text alone, and made again when read (a
        `Headline` record costs 64 bytes a member)."""
        kept = self._headline
        if type(kept) is str:
            title = self.packed[0]
            return Headline(kept, title[0] if title else "", None)
        return kept  # type: ignore[return-value]

    @headline.setter
    def headline(self, headline: Headline | None) -> None:
        title = self.packed[0]
        plain = (
            headline is not None
            and headline.embedder is None
            and headline.first == (title[0] if title else "")
        )
        self._headline = headline.text if plain else headline  # type: ignore[union-attr]

    @property
    def headline_text(self) -> str:
        """Its headline's text ("" without one), without making a `Headline`."""
        kept = self._headline
        if kept is None:
            return ""
        return kept if type(kept) is str else kept.text  # type: ignore[union-attr]

    @property
    def indexed(self) -> tuple[str, ...]:
        """The terms it is filed under in the index (aggregator.profile_index, which sets
        them). Filed under its own `index_terms` (`indexed_by`), it keeps only how many
        lead terms those take, and its packed features give them again (~40 terms: ~320
        bytes a member not kept; the index reads them only to take it out)."""
        filed = self._indexed
        return index_terms(self.packed, filed) if isinstance(filed, int) else filed

    @indexed.setter
    def indexed(self, terms: tuple[str, ...]) -> None:
        self._indexed = terms

    def indexed_by(self, wanted: int) -> None:
        """Say it is filed under `index_terms(self.packed, wanted)` (given again when read)."""
        self._indexed = wanted

    def keep_vectors(
        self, vector: Vector, title: Vector, counts: tuple[Mapping[str, int], int] | None = None
    ) -> None:
        """Keep its vectors compactly: the first one's terms as their places among its own
        different title and text terms (one byte each, or two past 256 such terms). The
        title vector's terms are the first one's first terms (both list the title's terms
        first) unless the first was cut to its heaviest terms; only then are they kept too.
        (A vector's terms are its item's own: a term found nowhere in them, which no caller
        gives, is kept as it is.)

        Their weights: with `counts`, the window's item counts (`df`, `n_items`) the
        vectors were worked out with (`WindowCounts.vectors_of` on its packed title and
        text), as what gives them again to the last bit: each term's item count (2 bytes,
        4 past 65,535) and the window's (`vectors` works the weights out again: ~2 bytes
        a term, where a weight is 8). Without, the bytes of their C doubles."""
        own = self._own_terms()
        at = dict(zip(own, range(len(own)), strict=False)).__getitem__
        kind = bytes if len(own) <= 256 else _two_bytes
        terms: Places
        title_terms: Places
        try:
            terms, title_terms = kind(map(at, vector)), kind(map(at, title))
        except (KeyError, OverflowError):
            terms, title_terms = tuple(vector), tuple(title)
        shared = terms[: len(title_terms)] == title_terms
        self.terms, self.title_terms = terms, None if shared else title_terms
        if counts is None or type(terms) is tuple or len(title) > 0xFFFF:
            self.weights = array("d", [*vector.values(), *title.values()]).tobytes() + _DOUBLES
            return
        df, n = counts
        found = chain(vector, () if shared else title)
        dfs = list(map(df.get, found, repeat(0)))
        code = "H" if max(dfs, default=0) <= 0xFFFF else "I"
        tail = _TAIL.pack(n, len(title), _SHORT if code == "H" else _LONG)
        self.weights = array(code, dfs).tobytes() + tail

    def vectors(self, title_weight: float = 0.0) -> tuple[Vector, Vector]:
        """The vectors `keep_vectors` kept: equal dicts, in the same order (so sums over them
        are the same to the last bit). `title_weight`: the settings' (`ClusterSettings`),
        for weights kept as counts."""
        terms, weights = self.terms, self.weights
        assert terms is not None and weights is not None
        if weights[-1] != _DOUBLES[0]:
            return self._weighed(weights, title_weight)
        named, title_terms = self._named(None)
        rest = iter(memoryview(weights)[:-1].cast("d"))  # (`zip` stops at the end of
        # `terms` before taking a weight)
        vector = dict(zip(named, rest, strict=False))
        return vector, dict(zip(named if title_terms is None else title_terms, rest, strict=False))

    def _weighed(self, weights: bytes, title_weight: float) -> tuple[Vector, Vector]:
        """Vectors from kept item counts: the same figures `WindowCounts.vectors_of` worked
        out, by the same operations in the same order (a term's weight in the first vector
        is its title count times `title_weight` plus its text count, times its idf; in the
        title vector its title count times its idf; each vector then made unit). The
        outlet's furniture left out then is left out here too: the kept terms are those
        it kept, and a term left out was left out whole (every time the title or text
        held it)."""
        n, n_title, kind = _TAIL.unpack_from(weights, len(weights) - _TAIL.size)
        dfs = memoryview(weights)[: -_TAIL.size].cast("H" if kind == _SHORT else "I")
        top, log = n + 1, math.log
        idfs = [log(top / (d + 1)) + 1.0 for d in dfs]  # (`WindowCounts._idfs`)
        title, text = self.packed[:2]
        in_title: dict[str, int] = {}
        _count_elements(in_title, title)
        whole = int(title_weight)
        tf: list[float]
        if whole == title_weight and 1 <= whole <= WHOLE_WEIGHTS:
            # (the title counted `title_weight` times over, then the text: each term's count
            # is the whole number its title count times `title_weight` plus its text count
            # sums to, and the terms come in their own order, which the places count in)
            tf_of: dict[str, int] = {}
            _count_elements(tf_of, chain(*repeat(title, whole), text))
            terms, title_terms = self._named(tf_of)
            tf = list(map(tf_of.__getitem__, terms))
        else:
            terms, title_terms = self._named(None)
            in_text: dict[str, int] = {}
            _count_elements(in_text, text)
            title_of, text_of = in_title.get, in_text.get
            tf = [_text_sum(title_of(t, 0) * title_weight, text_of(t, 0)) for t in terms]
        vector = dict(zip(terms, map(mul, tf, idfs), strict=False))
        if title_terms is None:
            title_terms, title_idfs = terms, idfs
        else:
            title_idfs = idfs[len(terms) :]
        title_terms = title_terms[:n_title]
        heads = list(map(in_title.get, title_terms, repeat(0)))
        title_vector = dict(zip(title_terms, map(mul, heads, title_idfs), strict=False))
        return unit(vector), unit(title_vector)

    def _named(
        self, own: Mapping[str, int] | None
    ) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
        """Its kept terms and title terms (None: the first of the terms) as terms: places
        looked up among its own different terms (`own`'s keys when given: they are those
        terms, in order), terms kept as they are returned as they are."""
        terms, title_terms = self.terms, self.title_terms
        if type(terms) is tuple:
            return terms, title_terms  # type: ignore[return-value]
        at = (self._own_terms() if own is None else tuple(own)).__getitem__
        named = None if title_terms is None else tuple(map(at, title_terms))  # type: ignore[arg-type]
        return tuple(map(at, terms)), named  # type: ignore[arg-type]

    def _own_terms(self) -> tuple[str, ...]:
        """Its different title and text terms, in order: what the places of its kept vector
        terms count in."""
        return tuple(dict.fromkeys(chain(*self.packed[:2])))


# A vector's terms as kept: their places among the member's own different terms (`bytes`,
# or an array of 2-byte places), or the terms themselves
Places: TypeAlias = "bytes | array[int] | tuple[str, ...]"


def _two_bytes(places: Iterable[int]) -> array[int]:
    return array("H", places)


def _text_sum(weight: float, occurrences: int) -> float:
    """A term's title weight with 1.0 added for each text occurrence, one at a time (as
    `WindowCounts.vectors_of` adds them)."""
    for _ in range(occurrences):
        weight += 1.0
    return weight


# How a member's weights are kept: their last byte says (see `ProfileMember.keep_vectors`)
_DOUBLES = b"\x00"  # the bytes of the weights' C doubles, then this byte
_SHORT = b"\x01"  # item counts as 2-byte numbers, then `_TAIL`
_LONG = b"\x02"  # item counts as 4-byte numbers, then `_TAIL`
_TAIL = Struct("=IHc")  # the window's item count, the title vector's length, the kind


def index_terms(packed: Packed, wanted: int) -> tuple[str, ...]:
    """What a profile member is filed under: its title terms, names and first `wanted`
    different text terms."""
    title, text, names = packed[:3]
    lead = dict.fromkeys(text[: 2 * wanted])  # the lead: who, what and where
    if len(lead) < wanted:  # (the first `wanted` different terms lie further on)
        lead = dict.fromkeys(text)
    return tuple(dict.fromkeys([*title, *names, *islice(lead, wanted)]))


@dataclass(slots=True, eq=False)
class ActiveStory:
    """A story of the active window: its items, outlets and profile."""

    id: str
    last_seen: datetime  # the latest `now` an item joined at (drives expiry)
    last_when: datetime = EPOCH  # newest publication time of its items
    # when it began: the earliest publication time of its items (None: `last_seen`); it
    # takes items for `max_span` from then (see StoryWindow.expire)
    began: datetime = None  # type: ignore[assignment]
    open: bool = True  # False while only multi-topic items are in it
    founder: ProfileMember | None = None
    # its latest members (a tuple: none cost nothing, where an empty list costs 56 bytes)
    recent: tuple[ProfileMember, ...] = ()
    # (item id, packed features, outlet, publication time) of every member, oldest first
    log: list[tuple[str, Packed, str, datetime]] = field(default_factory=list)
    # its outlets (see `outlets`): one as itself ("": none), more as a set (a set costs
    # 216 bytes however few it holds, and most stories have one outlet)
    _outlets: str | set[str] = ""
    profile: PackedVector | None = None  # see StoryWindow._profile_vector
    profile_counted: int = -1

    def __post_init__(self) -> None:
        if self.began is None:
            self.began = self.last_seen

    @property
    def members(self) -> list[str]:
        """Its items' ids, oldest first (from its log: a list of them beside it would cost
        8 bytes an item and a list a story)."""
        return [entry[0] for entry in self.log]

    @property
    def outlets(self) -> set[str]:
        """The outlets of its items (a new set: change them by giving a set)."""
        outlets = self._outlets
        if type(outlets) is str:
            return {outlets} if outlets else set()
        return set(outlets)

    @outlets.setter
    def outlets(self, outlets: set[str]) -> None:
        self._outlets = next(iter(outlets)) if len(outlets) == 1 else set(outlets) or ""

    def only_from(self, outlet: str) -> bool:
        """Whether all its items are `outlet`'s (`outlets == {outlet}`, without making the
        sets: a set is kept for two outlets or more only)."""
        return bool(outlet) and self._outlets == outlet

    def profile_members(self) -> list[ProfileMember]:
        """The members that stand for it: its founder (when it has one), then its latest."""
        return [m for m in (self.founder, *self.recent) if m is not None]

    def enter(
        self, item_id: str, packed: Packed, outlet: str, seen: datetime, when: datetime
    ) -> None:
        """Log an item as a member: its packed features and outlet, seen at `seen`, published
        at `when`. (The outlet's name is interned: items of one outlet, read from the store
        or from parse workers, each bring their own copy of it.)"""
        outlet = intern(outlet)
        self.log.append((item_id, packed, outlet, when))
        held = self._outlets
        if outlet and held != outlet:
            if not held:
                self._outlets = outlet
            elif isinstance(held, str):
                self._outlets = {held, outlet}
            else:
                held.add(outlet)
        self.last_seen = max(self.last_seen, seen)
        self.began = min(self.began, when)
        self.last_when = max(self.last_when, when)

    def age(self) -> tuple[datetime, str]:
        """Orders stories oldest first (its founder's time, then its id): of stories merged,
        the oldest keeps its id. A story of multi-topic items only (furniture, a live blog)
        has no founder: its first item's time stands in."""
        if self.founder is not None:
            return (self.founder.when, self.id)
        return (self.log[0][3] if self.log else EPOCH, self.id)


def log_tally(story: ActiveStory, plain: bool = False) -> Counter[str]:
    """How many of a story's items hold each term, counted from its log; `plain`: its
    multi-topic items not counted."""
    tf: Counter[str] = Counts()
    for _, packed, _, _ in story.log:
        if not (plain and packed[4]):
            _count_elements(tf, frozenset(packed[0]).union(packed[1]))  # (`update`, unchecked)
    return tf
