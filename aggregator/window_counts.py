"""Term counts over the clusterer's active window, and the TF-IDF weights they give. Pure.

`WindowCounts` holds how many active items and stories hold each term, how many items write
it as a name, and each outlet's own counts (what an outlet repeats across its items is its
furniture, not news). The clusterer keeps them in step as items join and stories leave; the
weights here read them.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import Counter, _count_elements  # type: ignore[attr-defined]
from collections.abc import Iterable, Sequence
from itertools import chain, repeat
from operator import mul
from typing import TYPE_CHECKING, Any, TypeAlias

from .features import Features, Packed

if TYPE_CHECKING:
    from .cluster_settings import ClusterSettings

__all__ = [
    "WHOLE_WEIGHTS",
    "Counts",
    "OutletCounts",
    "PackedVector",
    "Vector",
    "WindowCounts",
    "dot",
    "pack_vector",
    "reduce_counter",
    "unit",
    "unpack_vector",
]

Vector = dict[str, float]
# A vector kept for later: its terms in order and their weights as C doubles (a dict of 80
# terms with its float objects takes ~3.5 KB, this ~1.5 KB); `unpack_vector` gives an equal
# dict back, in the same order, so sums over it are the same to the last bit.
PackedVector: TypeAlias = "tuple[tuple[str, ...], array[float]]"


class Counts(Counter[str]):
    """A `Counter` that is pickled entry by entry: a `Counter` pickles a copy of itself (a
    dict), and the pickler keeps every object it wrote until it ends, so writing the grouping
    snapshot held a second copy of every count of the window (see
    aggregator.grouping_snapshot). Loaded, it holds the same entries in the same order."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_counter(self)


_FRESH_MIN = 64  # terms held once an outlet keeps unsorted at least (see OutletCounts)
# ... and at most this share of those sorted, as a shift: a 32nd (an eighth kept ~20 KB of
# hash table an outlet: 7.1 MB over the 60k bench window's 300 outlets, 1.3 MB at a 32nd,
# grouping CPU the same)
_FRESH_SHARE = 5


class OutletCounts:
    """How many of one outlet's active items hold each term, in two tiers: the terms two
    items or more hold, with their counts (a `Counts`), and the terms one item holds, sorted
    in a list (8 bytes a term, not a hash table's ~24-37: most of an outlet's terms are held
    once, ~80% on the bench windows). The latest of those wait unsorted in a small set,
    sorted in when it passes a 32nd of the list (one merge, not an insert each).

    Only the counts of terms held twice or more are read by weight (see `many`): an
    outlet's furniture is a term more than `outlet_min_repeats - 1` items hold."""

    __slots__ = ("_bar", "_heavy", "_over", "fresh", "many", "once")

    def __init__(self) -> None:
        self.many: Counter[str] = Counts()  # term → its items, for terms two items hold or more
        self.once: list[str] = []  # terms one item holds, sorted
        self.fresh: set[str] = set()  # terms one item holds, not yet sorted into `once`
        # the terms more than `_bar` items hold, kept in step once `over` first asks (None:
        # not yet): the few among which the terms over a furniture limit are (see `over`)
        self._heavy: set[str] | None = None
        self._bar = 0
        # `over`'s last answer (its limit, the terms), until the counts change
        self._over: tuple[float, frozenset[str]] | None = None

    @classmethod
    def of(cls, counts: Counter[str]) -> OutletCounts:
        """The tiers of full counts (terms counted 0 or less left out)."""
        made = cls()
        made.many.update({t: n for t, n in counts.items() if n > 1})
        made.once = sorted(t for t, n in counts.items() if n == 1)
        return made

    def __bool__(self) -> bool:
        return bool(self.many or self.once or self.fresh)

    def __len__(self) -> int:
        return len(self.many) + len(self.once) + len(self.fresh)

    def get(self, term: str, default: int = 0) -> int:
        """How many of the outlet's items hold `term` (`default` when none does)."""
        found = self.many.get(term)
        if found is not None:
            return found
        return 1 if term in self.fresh or self._at(term) is not None else default

    def counts(self) -> dict[str, int]:
        """Every term held, with its count (sorted by term)."""
        held = {**self.many, **dict.fromkeys(self.once, 1), **dict.fromkeys(self.fresh, 1)}
        return dict(sorted(held.items()))

    def over(self, limit: float) -> frozenset[str]:
        """The terms more than `limit` (1 or more) of the outlet's items hold: its furniture
        at that limit. Read from the few terms more than a bar of about half the limit hold
        (`_heavy`, kept in step by `add` and `remove`; made again from the counts when the
        limit falls below its bar or passes four times it), not from every term's count."""
        last = self._over
        if last is not None and last[0] == limit:
            return last[1]
        heavy, bar = self._heavy, self._bar
        if heavy is None or limit < bar or limit >= 4 * bar + 4:
            bar = self._bar = max(1, int(limit) // 2)
            heavy = self._heavy = {t for t, n in self.many.items() if n > bar}
        many = self.many
        found = frozenset([t for t in heavy if many[t] > limit])
        self._over = (limit, found)
        return found

    def add(self, unique: frozenset[str]) -> None:
        """Count an item's terms."""
        many, fresh, once = self.many, self.fresh, self.once
        held = unique & many.keys()
        _count_elements(many, held)
        self._over = None
        heavy = self._heavy
        if heavy is not None:  # (a count rises by one: those now one over the bar join)
            past = self._bar + 1
            heavy.update([t for t in held if many[t] == past])
        rest = unique.difference(held)
        lately = rest & fresh  # (held once lately: found with set operations, not term by term)
        if lately:
            fresh -= lately
            rest -= lately
        twice = list(lately)
        new = []
        last = len(once)
        for term in rest:
            at = bisect_left(once, term)
            if at < last and once[at] == term:
                del once[at]
                last -= 1
                twice.append(term)
            else:
                new.append(term)
        dict.update(many, dict.fromkeys(twice, 2))  # (none of them is in `many`)
        if heavy is not None and self._bar < 2:
            heavy.update(twice)
        fresh.update(new)
        self._settle()

    def remove(self, unique: frozenset[str]) -> None:
        """Take an item's terms out (a term no item holds any more leaves)."""
        many, heavy, bar = self.many, self._heavy, self._bar
        self._over = None
        for term in unique:
            n = many.get(term)
            if n is None:
                self._take_once(term)
                continue
            if n > 2:
                many[term] = n - 1
            else:
                del many[term]
                self.fresh.add(term)
            if n - 1 == bar and heavy is not None:  # (down to the bar: no longer over it)
                heavy.discard(term)
        self._settle()

    def settle(self) -> None:
        """Sort every term held once lately into the list (the set they wait in costs ~40
        bytes a term where the list costs 8; same counts)."""
        if self.fresh:
            self.once.extend(sorted(self.fresh))
            self.once.sort()  # (two sorted runs: merged)
            self.fresh.clear()  # (its hash table freed too)

    def _settle(self) -> None:
        """Sort the latest terms held once into the list when they pass a 32nd of it."""
        if len(self.fresh) > max(_FRESH_MIN, len(self.once) >> _FRESH_SHARE):
            self.settle()

    def _take_once(self, term: str) -> bool:
        """Take `term` out of the terms held once; whether it was one."""
        if term in self.fresh:
            self.fresh.remove(term)
            return True
        at = self._at(term)
        if at is None:
            return False
        del self.once[at]
        return True

    def _at(self, term: str) -> int | None:
        once = self.once
        at = bisect_left(once, term)
        return at if at < len(once) and once[at] == term else None


def reduce_counter(counter: Counter[Any]) -> tuple[Any, ...]:
    """How a counter is pickled here: its class, then its entries streamed in order (no copy)."""
    return type(counter), (), None, None, iter(counter.items())


def pack_vector(vector: Vector) -> PackedVector:
    return tuple(vector), array("d", vector.values())


def unpack_vector(packed: PackedVector) -> Vector:
    return dict(zip(*packed, strict=True))


def dot(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    # (the same products summed in the same order, by `map`: no generator frame per term)
    return sum(map(mul, a.values(), map(b.get, a, repeat(0.0))))  # type: ignore[no-any-return]


def unit(vector: Vector) -> Vector:
    values = vector.values()  # (summed by `map`: the same products in the same order)
    norm = math.sqrt(sum(map(mul, values, values)))
    return {t: v / norm for t, v in vector.items()} if norm > 0 else {}


WHOLE_WEIGHTS = 16  # title weights counted as repeated titles (see `vectors_of`) up to this


class _Logs(dict[int, float]):
    """`log((n_items + 1) / (df + 1)) + 1.0` by `df`, for one window item count `top - 1`,
    worked out the first time a count is asked: the same figure `idf` gives, without a
    logarithm a term (of the 1.4M terms weighed in a 60k-stored round's ~17k member vectors,
    70% find their count's figure here)."""

    __slots__ = ("top",)

    def __init__(self, top: int) -> None:
        super().__init__()
        self.top = top

    def __missing__(self, n: int) -> float:
        found = self[n] = math.log(self.top / (n + 1)) + 1.0
        return found


_logs = _Logs(0)  # the latest window size's (any window's: the figure is the count's)


class WindowCounts:
    """Document frequencies of the active window (items, stories, names, outlets)."""

    def __init__(self, settings: ClusterSettings) -> None:
        self.settings = settings
        self.n_items = 0
        self.n_stories = 0  # kept equal to the clusterer's active stories
        self.df: Counter[str] = Counts()  # term → active items holding it
        self.sdf: Counter[str] = Counts()  # term → active stories holding it
        self.names: Counter[str] = Counts()  # term → items writing it as a name
        # term → Title Case items holding it in their headline only: their case tells nothing
        # (the items whose case shows for a term are its `df` less these)
        self.uncased: Counter[str] = Counts()
        self.outlet_df: dict[str, OutletCounts] = {}  # outlet → term → its items holding it
        self.outlet_n: Counter[str] = Counts()
        # outlets whose counts are made when first needed (see `count_outlet_later`): their
        # items' packed features, and the terms of those of their items gone since
        self._later: dict[str, tuple[list[Packed], list[frozenset[str]]]] = {}

    # --- bookkeeping ------------------------------------------------------------------------

    def count(self, features: Features, sign: int = 1) -> None:
        """Add (or with `sign` -1 remove) an item's terms."""
        self.n_items += sign
        uncased = features.unique.difference(features.text) if features.title_case else ()
        if sign > 0:  # (`Counter.update` of an iterable, without its checks)
            _count_elements(self.df, features.unique)
            _count_elements(self.names, features.names)
            _count_elements(self.uncased, uncased)
        else:
            for counter, terms in (
                (self.df, features.unique),
                (self.names, features.names),
                (self.uncased, uncased),
            ):
                counter.subtract(terms)
                for term in terms:
                    if counter[term] <= 0:
                        del counter[term]

    def count_many(self, items: Sequence[Features]) -> None:
        """`count` each of `items` (one update per count: a restore counts a whole window)."""
        self.n_items += len(items)
        self.df.update(chain.from_iterable(f.unique for f in items))
        self.names.update(chain.from_iterable(f.names for f in items))
        self.uncased.update(
            chain.from_iterable(f.unique.difference(f.text) for f in items if f.title_case)
        )

    def count_outlet_later(self, outlet: str, packed: Packed) -> None:
        """`count_outlet` an item (by its packed features), its outlet's terms counted only
        when they are first needed: a restore books a whole window, and the next items
        compared reach few of its outlets."""
        if not outlet:
            return
        if outlet in self.outlet_df:
            self.count_outlet(outlet, frozenset(packed[0]).union(packed[1]), 1)
            return
        self._later.setdefault(outlet, ([], []))[0].append(packed)
        self.outlet_n[outlet] += 1

    def outlet_counts(self, outlet: str) -> OutletCounts | None:
        """How many of an outlet's active items hold each term (None: no item holds one)."""
        later = self._later.pop(outlet, None)
        if later is not None:
            counts: Counter[str] = Counter()
            counts.update(chain.from_iterable(frozenset(p[0]).union(p[1]) for p in later[0]))
            for unique in later[1]:
                counts.subtract(unique)
            self.outlet_df[outlet] = OutletCounts.of(counts)
        return self.outlet_df.get(outlet)

    def count_outlet(self, outlet: str, unique: frozenset[str], sign: int) -> None:
        """Add (or remove) an item's terms to its outlet's counts; an outlet's terms (and the
        outlet) are forgotten when no active item holds them, so the counts stay the size of
        the window, not of the history."""
        if not outlet:
            return
        later = self._later.get(outlet)
        if later is not None:
            if sign < 0 and self.outlet_n[outlet] > 1:  # (its counts are still to be made)
                later[1].append(unique)
                self.outlet_n[outlet] += sign
                return
            self.outlet_counts(outlet)
        counts = self.outlet_df.get(outlet)
        if counts is None:
            counts = self.outlet_df[outlet] = OutletCounts()
        if sign > 0:
            counts.add(unique)
            self.outlet_n[outlet] += sign
            return
        counts.remove(unique)
        self.outlet_n[outlet] += sign
        if not self.outlet_n[outlet]:
            del self.outlet_n[outlet]
            if not counts:
                del self.outlet_df[outlet]

    def settle_outlets(self) -> None:
        """`OutletCounts.settle` every outlet's counts (the same counts, less room)."""
        for counts in self.outlet_df.values():
            counts.settle()

    def add_story_terms(self, terms: Iterable[str]) -> None:
        """Terms a story holds for the first time."""
        _count_elements(self.sdf, terms)

    def remove_story_terms(self, terms: Iterable[str]) -> None:
        """Terms a story no longer holds (it left the window)."""
        sdf = self.sdf
        for term in terms:
            sdf[term] -= 1
            if sdf[term] <= 0:
                del sdf[term]

    # --- weights ----------------------------------------------------------------------------

    def idf(self, term: str) -> float:
        s = self.settings
        stories = self.n_stories
        if stories >= s.common_min_stories and self.sdf[term] > s.common_share * stories:
            return 0.0  # spread over many stories: a function word or a topic, not an event
        return math.log((self.n_items + 1) / (self.df[term] + 1)) + 1.0

    def _idfs(self, terms: Iterable[str]) -> dict[str, float]:
        """`idf` of each of `terms` (the same figures, without a call per term). A term's
        story count is read only when its item count passes the common limit: a term is in
        no more active stories than active items (each story holding it has an item that
        does), so below it the story count is too. The logarithms come from `_Logs` (one per
        item count of the window: the same figure for the same count) once a second call
        meets the same count; the first works them out in place (an item assigned without
        being counted first changes the count every call, and a table would only cost)."""
        global _logs
        s, sdf, df = self.settings, self.sdf.get, self.df.get
        stories, top = self.n_stories, self.n_items + 1
        common = s.common_share * stories if stories >= s.common_min_stories else None
        logs = _logs
        if logs.top != top:
            _logs = _Logs(top)  # (for the next call, if the count holds)
            log = math.log
            if common is None:  # (no term is common yet: no story count read)
                return {t: log(top / (df(t, 0) + 1)) + 1.0 for t in terms}
            return {
                t: 0.0
                if (n := df(t, 0)) > common and sdf(t, 0) > common
                else log(top / (n + 1)) + 1.0
                for t in terms
            }
        if common is None:
            return {t: logs[df(t, 0)] for t in terms}
        return {
            t: 0.0 if (n := df(t, 0)) > common and sdf(t, 0) > common else logs[n] for t in terms
        }

    def distinct_limit(self) -> float:
        """A term in at most this many active stories is distinctive."""
        s = self.settings
        return max(s.distinctive_min, s.distinctive_share * self.n_stories)

    def distinctive(self, term: str) -> bool:
        return self.sdf.get(term, 0) <= self.distinct_limit()

    def is_name(self, term: str) -> bool:
        return 2 * self.names.get(term, 0) > self.df.get(term, 0) - self.uncased.get(term, 0)

    # (The three below answer `distinctive` and `is_name` for a check's terms in one call:
    # ranking asks them ~800k times a round, and a call a term, with the limit worked out
    # again in each, cost more than the reads.)

    def distinct(self, terms: Iterable[str]) -> list[str]:
        """Those of `terms` that are `distinctive`, in their order."""
        sdf, limit = self.sdf.get, self.distinct_limit()
        return [t for t in terms if sdf(t, 0) <= limit]

    def names_among(self, terms: Iterable[str]) -> list[str]:
        """Those of `terms` that are names (`is_name`), in their order."""
        names, df, uncased = self.names.get, self.df.get, self.uncased.get
        return [t for t in terms if 2 * names(t, 0) > df(t, 0) - uncased(t, 0)]

    def events_among(self, terms: Iterable[str]) -> int:
        """How many of `terms` are distinctive and not names: what happened, not who."""
        sdf, limit = self.sdf.get, self.distinct_limit()
        names, df, uncased = self.names.get, self.df.get, self.uncased.get
        return len(
            [t for t in terms if sdf(t, 0) <= limit and 2 * names(t, 0) <= df(t, 0) - uncased(t, 0)]
        )

    def vectors(self, features: Features, outlet: str) -> tuple[Vector, Vector]:
        """Unit TF-IDF vectors of an item's title + text and of its title alone, without the
        outlet's furniture."""
        return self.vectors_of(features.title, features.text, outlet)

    def vectors_of(
        self, title_terms: tuple[str, ...], text_terms: tuple[str, ...], outlet: str
    ) -> tuple[Vector, Vector]:
        """`vectors` of an item's title and text terms."""
        s = self.settings
        n_outlet = self.outlet_n.get(outlet, 0)
        furniture = self.outlet_counts(outlet) if n_outlet >= s.outlet_min_items else None
        title: Sequence[str] = title_terms
        text: Sequence[str] = text_terms
        if furniture is not None:
            limit = max(s.outlet_min_repeats - 1, s.outlet_share * n_outlet)
            if limit < 1:  # (a term one item holds is furniture too)
                title = [t for t in title_terms if furniture.get(t, 0) <= limit]
                text = [t for t in text_terms if furniture.get(t, 0) <= limit]
            elif (gone := furniture.over(limit)) and not (  # (a few terms: most items hold none)
                gone.isdisjoint(title_terms) and gone.isdisjoint(text_terms)
            ):
                title = [t for t in title_terms if t not in gone]
                text = [t for t in text_terms if t not in gone]  # (a list: no generator)
        title_tf: dict[str, int] = {}  # (a plain dict: a Counter's own update checks the input)
        _count_elements(title_tf, title)
        weight = s.title_weight
        if 1 <= weight <= WHOLE_WEIGHTS and weight == int(weight):
            # (a term's count in the title `weight` times over, plus in the text: the whole
            # number its title count times `weight` plus 1.0 a text occurrence sums to)
            tf: dict[str, float] = {}
            _count_elements(tf, chain(*repeat(title, int(weight)), text))
        else:
            tf = {t: c * weight for t, c in title_tf.items()}
            for term in text:
                tf[term] = tf.get(term, 0.0) + 1.0
        idf = self._idfs(tf)
        vector = {t: w * i for (t, w), i in zip(tf.items(), idf.values(), strict=True) if i > 0}
        if len(vector) > s.vector_terms:
            vector = dict(sorted(vector.items(), key=lambda tv: (-tv[1], tv[0]))[: s.vector_terms])
        title_vector = {t: c * idf[t] for t, c in title_tf.items() if idf[t] > 0}
        return unit(vector), unit(title_vector)

    def shares_event(self, item_terms: Iterable[str], vector: Vector, title: Vector) -> bool:
        """Enough distinctive terms in common with a member, and enough of them not names."""
        sdf, limit = self.sdf.get, self.distinct_limit()
        both = vector.keys() & item_terms  # (the terms of either vector, by set operations)
        both.update(title.keys() & item_terms)
        shared = [t for t in both if sdf(t, 0) <= limit]
        if len(shared) < self.settings.min_shared_terms:
            return False
        return len(shared) - len(self.names_among(shared)) >= self.settings.min_event_terms
