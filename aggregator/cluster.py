"""Incremental story grouping with stable ids. Pure: time comes in as `now`.

An item joins a story only through one of the story's *profile members*: its founding item
and its few most recent items. Every comparison is item against item (TF-IDF cosine of title
plus leading text, and separately of the titles alone, which catches paraphrased headlines),
never against a growing centroid, so a story cannot drift into a topic. A comparison counts
only when the two items were published within `max_gap` of each other and share at least
`min_shared_terms` distinctive terms (terms in at most `distinctive_share` of active items):
one shared name is never enough. Terms in more than `common_share` of active stories weigh
nothing, so function words of a language without a stop-word list count for nothing either.

Multi-topic items (live blogs, bulletins, round-ups) never found a story others can join and
join one only with a clear extra margin. A story only the item's outlet has covered asks a
margin too. When an item clearly matches two stories, the younger one is merged into the older
(`Assignment.merged`), which keeps its id.

Candidate members come from an inverted index term → profile members over distinctive terms,
so the cost of an item depends on how many items share its distinctive terms, not on how many
stories are active. Document frequencies count the active window only; `restore` rebuilds the
state from stored terms (`Assignment.terms`) without re-tokenising.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aggregator.models import Item
from aggregator.terms import grouping_terms, is_multi_topic

__all__ = ["Assignment", "ClusterSettings", "Clusterer", "cluster_stream", "encode_terms"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    """Knobs of the clusterer; defaults are tuned on the dev data (see bench/cluster_eval.py)."""

    threshold: float = 0.28  # cosine (title + text) with a profile member needed to join
    headline_threshold: float = 0.50  # cosine of the titles alone that also suffices
    min_shared_terms: int = 2  # distinctive terms shared with the member matched
    distinctive_share: float = 0.02  # a term in at most this share of stories is distinctive
    distinctive_min: int = 10  # … or in at most this many
    common_share: float = 0.05  # a term in more than this share of active stories weighs nothing …
    common_min_items: int = 100  # … once this many stories are active
    signature_terms: int = 0  # owned terms a title must hold to join on them alone (0: off)
    signature_min_size: int = 3  # a story owns terms once it has this many members …
    signature_share: float = 0.5  # … and a term is in this share of its members and of all items
    signature_margin: float = 0.02  # how a join on the signature ranks against a cosine match
    profile_recent: int = 4  # a story is matched through its founder and this many latest items
    outlet_share: float = 0.25  # a term in this share of an outlet's items is its furniture …
    outlet_min_items: int = 6  # … once the outlet has this many active items
    min_text_terms: int = 15  # with fewer text terms an item is matched on its title alone
    max_gap: timedelta = timedelta(days=2)  # items further apart in time are never compared
    same_outlet_margin: float = 0.10  # extra asked to join a story only the item's outlet covers
    multi_topic_margin: float = 0.25  # extra asked of a live blog or bulletin to join a story
    merge_margin: float = 0.15  # an item this far above threshold for two stories merges them
    active_window: timedelta = timedelta(days=3)  # a story quiet this long accepts no items
    max_active: int = 50_000  # cap on active stories; the quietest are dropped first
    title_weight: float = 2.0  # weight of a title term relative to a text term
    text_tokens: int = 120  # how many leading content terms of the text are used
    vector_terms: int = 40  # an item vector keeps its heaviest terms only
    max_postings: int = 2_000  # terms on more profile members than this find no candidates
    max_candidates: int = 40  # members compared exactly per item
    expire_every: timedelta = timedelta(hours=1)  # how often cluster_stream calls expire()


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where `assign` put an item.

    `score` is the similarity to the member matched or, for a new story, to the best member
    rejected (0.0 when there was no candidate). `merged` lists stories folded into `story_id`
    by this item. `terms` is the item's grouping terms, to store for `restore`.
    """

    story_id: str
    new_story: bool
    score: float
    merged: tuple[str, ...] = ()
    terms: str = ""


@dataclass(slots=True, eq=False)
class _Member:
    id: str
    story: _Story
    when: datetime
    vector: dict[str, float]  # unit TF-IDF of title + text
    title: dict[str, float]  # unit TF-IDF of the title alone
    has_text: bool = False
    indexed: tuple[str, ...] = ()


@dataclass(slots=True, eq=False)
class _Story:
    id: str
    last_seen: datetime
    open: bool = True  # False while only multi-topic items are in it
    last_when: datetime = _EPOCH  # newest publication time of its members
    founder: _Member | None = None
    recent: deque[_Member] = field(default_factory=deque)
    members: list[str] = field(default_factory=list)
    term_sets: list[tuple[str, ...]] = field(default_factory=list)  # for document frequencies
    outlets: set[str] = field(default_factory=set)
    tf: Counter[str] = field(default_factory=Counter)  # members holding each term
    member_outlets: list[str] = field(default_factory=list)


def encode_terms(title: list[str], text: list[str]) -> str:
    """Grouping terms as stored: title terms, a tab, text terms."""
    return " ".join(title) + "\t" + " ".join(text)


def _decode_terms(value: str) -> tuple[list[str], list[str]]:
    title, _, text = value.partition("\t")
    return title.split(), text.split()


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


class Clusterer:
    """Holds the active stories and assigns items to them, one at a time."""

    def __init__(self, settings: ClusterSettings = ClusterSettings()) -> None:
        self.settings = settings
        self._stories: dict[str, _Story] = {}
        self._index: dict[str, set[_Member]] = {}  # distinctive term → profile members
        self._df: Counter[str] = Counter()  # term → active items containing it
        self._sdf: Counter[str] = Counter()  # term → active stories containing it
        self._n_items = 0
        self._item_story: dict[str, tuple[str, float]] = {}  # active item id → (story, score)
        self._outlet_df: dict[str, Counter[str]] = {}  # outlet → term → active items
        self._outlet_n: Counter[str] = Counter()
        self._signature: dict[str, set[_Story]] = {}  # term → stories that own it
        self._pending: dict[str, tuple[list[str], list[str]]] = {}  # observed, not yet assigned

    # --- state ------------------------------------------------------------------------------

    @property
    def active_stories(self) -> int:
        """Number of stories still accepting items."""
        return len(self._stories)

    def story_of(self, item_id: str) -> str | None:
        """The story of an item of the active window, if any."""
        found = self._item_story.get(item_id)
        return found[0] if found else None

    def observe(self, items: Iterable[Item]) -> None:
        """Count a batch of new items' terms per outlet before assigning any of them.

        A term an outlet repeats across many of its items (a show name, "Express", channel
        furniture) then weighs nothing for that outlet's items, even for its first items.
        """
        for item in items:
            if item.id in self._item_story or item.id in self._pending:
                continue
            title, text = self._terms(item)
            self._pending[item.id] = (title, text)
            self._count_outlet(item.outlet, title, text, 1)

    def _count_outlet(self, outlet: str, title: list[str], text: list[str], sign: int) -> None:
        if not outlet:
            return
        counts = self._outlet_df.setdefault(outlet, Counter())
        unique = set(title).union(text)
        if sign > 0:
            counts.update(unique)
        else:
            counts.subtract(unique)
        self._outlet_n[outlet] += sign

    def _strip_outlet(
        self, outlet: str, title: list[str], text: list[str]
    ) -> tuple[list[str], list[str]]:
        """Drop the terms an outlet repeats across its items (see `observe`)."""
        s = self.settings
        n = self._outlet_n.get(outlet, 0)
        if n < s.outlet_min_items:
            return title, text
        counts = self._outlet_df[outlet]
        limit = s.outlet_share * n
        return [t for t in title if counts[t] <= limit], [t for t in text if counts[t] <= limit]

    def restore(self, items: Iterable[Item], terms: Mapping[str, str] | None = None) -> None:
        """Rebuild state from stored items that already have a story (the active window).

        `terms` maps item ids to their stored `Assignment.terms` (re-tokenised when missing).
        Items without `story_id`, or with `duplicate_of` set, are ignored. Only the newest
        `max_active` stories are kept.
        """
        terms = terms or {}
        kept = [i for i in items if i.story_id and i.duplicate_of is None]
        kept.sort(key=lambda i: (_seen_time(i), i.id))
        for item in kept:
            if item.id in self._item_story:
                continue
            stored = terms.get(item.id)
            title, text = _decode_terms(stored) if stored else self._terms(item)
            story = self._stories.get(item.story_id or item.id)
            if story is None:
                story = self._new_story(item.story_id or item.id, _seen_time(item))
            self._place(story, item, title, text, _seen_time(item), 0.0)
        self._enforce_cap()

    # --- decisions --------------------------------------------------------------------------

    def assign(self, item: Item, now: datetime) -> Assignment:
        """Put `item` in the best active story or found a new one (id = `item.id`).

        Idempotent: an item already placed gets the same story back.
        """
        known = self._item_story.get(item.id)
        if known is not None:
            return Assignment(known[0], False, known[1])
        pending = self._pending.pop(item.id, None)
        if pending is None:
            title, text = self._terms(item)
            self._count_outlet(item.outlet, title, text, 1)
        else:
            title, text = pending
        encoded = encode_terms(title, text)
        if item.story_id is not None:
            story = self._stories.get(item.story_id)
            if story is not None:  # placed before, but not seen by this clusterer: adopt it
                self._place(story, item, title, text, now, 0.0, counted=True)
            else:
                self._count_outlet(item.outlet, title, text, -1)
            return Assignment(item.story_id, False, 0.0, terms=encoded)

        self._count(title, text)
        vector, title_vector = self._vectors(*self._strip_outlet(item.outlet, title, text))
        has_text = len(text) >= self.settings.min_text_terms
        when = min(item.published or now, now)
        multi = is_multi_topic(item.title, item.url)
        stripped_title = self._strip_outlet(item.outlet, title, [])[0]
        ranked = self._rank(
            vector, title_vector, when, item.outlet, multi, has_text, stripped_title, now
        )
        if ranked and ranked[0][0] >= 0:
            _, score, best = ranked[0]
            story, merged = self._merge_others(self._stories[best], ranked[1:])
            self._add(story, item, title, text, vector, title_vector, when, now, score, multi)
            return Assignment(story.id, False, score, merged, encoded)
        score = max((s for _, s, _ in ranked), default=0.0)
        story = self._new_story(item.id, now)
        story.open = not multi
        self._add(story, item, title, text, vector, title_vector, when, now, score, multi)
        self._enforce_cap()
        return Assignment(story.id, True, score, (), encoded)

    def expire(self, now: datetime) -> None:
        """Drop stories quiet for longer than the active window; they accept no more items."""
        cutoff = now - self.settings.active_window
        for story in [s for s in self._stories.values() if s.last_seen < cutoff]:
            self._drop(story)

    # --- scoring ----------------------------------------------------------------------------

    def _terms(self, item: Item) -> tuple[list[str], list[str]]:
        return grouping_terms(item.title, item.text, self.settings.text_tokens)

    def _count(self, title: list[str], text: list[str]) -> tuple[str, ...]:
        unique = tuple(set(title).union(text))
        self._n_items += 1
        self._df.update(unique)
        return unique

    def _idf(self, term: str) -> float:
        n, df = self._n_items, self._df[term]
        s = self.settings
        stories = len(self._stories)
        if stories >= s.common_min_items and self._sdf[term] > s.common_share * stories:
            return 0.0  # spread over many stories: a function word or a topic, not an event
        return math.log((n + 1) / (df + 1)) + 1.0

    def _vectors(
        self, title: list[str], text: list[str]
    ) -> tuple[dict[str, float], dict[str, float]]:
        s = self.settings
        tf: dict[str, float] = {}
        for term in title:
            tf[term] = tf.get(term, 0.0) + s.title_weight
        for term in text:
            tf[term] = tf.get(term, 0.0) + 1.0
        idf = {t: self._idf(t) for t in tf}
        vector = {t: w * idf[t] for t, w in tf.items() if idf[t] > 0}
        if len(vector) > s.vector_terms:
            vector = dict(sorted(vector.items(), key=lambda tv: (-tv[1], tv[0]))[: s.vector_terms])
        title_tf = Counter(title)
        title_vector = {t: c * idf[t] for t, c in title_tf.items() if idf[t] > 0}
        return _unit(vector), _unit(title_vector)

    def _distinctive(self, term: str) -> bool:
        s = self.settings
        return self._sdf[term] <= max(s.distinctive_min, s.distinctive_share * len(self._stories))

    def _rank(
        self,
        vector: dict[str, float],
        title_vector: dict[str, float],
        when: datetime,
        outlet: str,
        multi: bool,
        has_text: bool,
        title: list[str],
        now: datetime,
    ) -> list[tuple[float, float, str]]:
        """(margin, score, story id) of each story with a matching member, best first."""
        s = self.settings
        hits: dict[_Member, int] = {}
        for term in vector.keys() | title_vector.keys():
            posting = self._index.get(term)
            if posting and len(posting) <= s.max_postings and self._distinctive(term):
                for member in posting:
                    hits[member] = hits.get(member, 0) + 1
        candidates = [m for m, n in hits.items() if n >= s.min_shared_terms]
        if len(candidates) > s.max_candidates:
            candidates.sort(key=lambda m: (-hits[m], m.id))
            candidates = candidates[: s.max_candidates]
        best: dict[str, tuple[float, float]] = {}
        cutoff = now - s.active_window
        for member in candidates:
            story = member.story
            if not story.open or story.last_seen < cutoff or abs(when - member.when) > s.max_gap:
                continue
            full = _dot(vector, member.vector)
            head = _dot(title_vector, member.title)
            margin = max(full - s.threshold, head - s.headline_threshold)
            if has_text and member.has_text:  # two texts must agree too, not just names
                margin = min(margin, full - s.threshold / 2)
            if outlet and story.outlets == {outlet}:
                margin -= s.same_outlet_margin
            if multi:
                margin -= s.multi_topic_margin
            score = max(full, head)
            if story.id not in best or (margin, score) > best[story.id]:
                best[story.id] = (margin, score)
        if not multi and s.signature_terms > 0:
            for sid, count in self._signature_matches(title, when).items():
                if count >= s.signature_terms:
                    margin = s.signature_margin * (count - s.signature_terms + 1)
                    if outlet and self._stories[sid].outlets == {outlet}:
                        margin -= s.same_outlet_margin
                    if sid not in best or margin > best[sid][0]:
                        best[sid] = (margin, best.get(sid, (0.0, 0.0))[1])
        ranked = [(m, sc, sid) for sid, (m, sc) in best.items()]
        ranked.sort(key=lambda r: (-r[0], -r[1], r[2]))
        return ranked

    # --- bookkeeping ------------------------------------------------------------------------

    def _new_story(self, story_id: str, when: datetime) -> _Story:
        story = _Story(id=story_id, last_seen=when)
        self._stories[story_id] = story
        return story

    def _place(
        self,
        story: _Story,
        item: Item,
        title: list[str],
        text: list[str],
        now: datetime,
        score: float,
        *,
        counted: bool = False,
    ) -> None:
        """Add a stored item to its story without deciding anything (restore, adoption)."""
        if not counted:
            self._count_outlet(item.outlet, title, text, 1)
        self._count(title, text)
        vector, title_vector = self._vectors(*self._strip_outlet(item.outlet, title, text))
        when = min(item.published or now, now)
        multi = is_multi_topic(item.title, item.url)
        if not story.members:
            story.open = not multi
        self._add(story, item, title, text, vector, title_vector, when, now, score, multi)

    def _add(
        self,
        story: _Story,
        item: Item,
        title: list[str],
        text: list[str],
        vector: dict[str, float],
        title_vector: dict[str, float],
        when: datetime,
        now: datetime,
        score: float,
        multi: bool,
    ) -> None:
        unique = tuple(set(title).union(text))
        story.term_sets.append(unique)
        for term in unique:
            if not story.tf[term]:
                self._sdf[term] += 1
        story.tf.update(unique)
        if len(story.members) + 1 >= self.settings.signature_min_size:
            for term in (
                story.tf if len(story.members) + 1 == self.settings.signature_min_size else unique
            ):
                if self._owns(story, term, len(story.members) + 1):
                    self._signature.setdefault(term, set()).add(story)
        story.member_outlets.append(item.outlet)
        story.members.append(item.id)
        if item.outlet:
            story.outlets.add(item.outlet)
        story.last_seen = max(story.last_seen, now)
        story.last_when = max(story.last_when, when)
        self._item_story[item.id] = (story.id, score)
        if multi:
            return  # a multi-topic item never vouches for others
        story.open = True
        has_text = len(text) >= self.settings.min_text_terms
        member = _Member(item.id, story, when, vector, title_vector, has_text)
        self._index_member(member)
        if story.founder is None:
            story.founder = member
            return
        story.recent.append(member)
        if len(story.recent) > self.settings.profile_recent:
            self._unindex(story.recent.popleft())

    def _owns(self, story: _Story, term: str, size: int) -> bool:
        s = self.settings
        count = story.tf[term]
        return (
            size >= s.signature_min_size
            and count >= s.signature_share * size
            and count >= s.signature_share * self._df[term]
        )

    def _signature_matches(self, title: list[str], when: datetime) -> dict[str, int]:
        """Stories whose owned terms the title holds, with how many it holds."""
        found: dict[str, int] = {}
        for term in set(title):
            for story in list(self._signature.get(term, ())):
                if story.id not in self._stories or self._stories[story.id] is not story:
                    self._signature[term].discard(story)
                    continue
                if not self._owns(story, term, len(story.members)):
                    continue
                if story.open and when - story.last_when <= self.settings.max_gap:
                    found[story.id] = found.get(story.id, 0) + 1
        return found

    def _index_member(self, member: _Member) -> None:
        terms = tuple(member.vector.keys() | member.title.keys())
        member.indexed = terms
        for term in terms:
            self._index.setdefault(term, set()).add(member)

    def _unindex(self, member: _Member) -> None:
        for term in member.indexed:
            posting = self._index.get(term)
            if posting is not None:
                posting.discard(member)
                if not posting:
                    del self._index[term]
        member.indexed = ()

    def _merge_others(
        self, best: _Story, others: list[tuple[float, float, str]]
    ) -> tuple[_Story, tuple[str, ...]]:
        """Fold the stories the item also matches clearly into the oldest of them."""
        s = self.settings
        clear = [sid for margin, _, sid in others if margin >= s.merge_margin]
        if not clear:
            return best, ()
        group = [best, *(self._stories[sid] for sid in clear)]
        oldest = min(group, key=lambda st: (st.founder.when if st.founder else _EPOCH, st.id))
        merged = []
        for story in group:
            if story is oldest:
                continue
            self._absorb(oldest, story)
            merged.append(story.id)
        return oldest, tuple(merged)

    def _absorb(self, into: _Story, story: _Story) -> None:
        for member in [story.founder, *story.recent]:
            if member is not None:
                self._unindex(member)
        for item_id in story.members:
            _, score = self._item_story[item_id]
            self._item_story[item_id] = (into.id, score)
        into.members.extend(story.members)
        into.term_sets.extend(story.term_sets)
        for term in story.tf:
            if into.tf[term]:
                self._sdf[term] -= 1
        into.tf.update(story.tf)
        into.last_when = max(into.last_when, story.last_when)
        into.member_outlets.extend(story.member_outlets)
        into.outlets |= story.outlets
        into.last_seen = max(into.last_seen, story.last_seen)
        del self._stories[story.id]

    def _drop(self, story: _Story) -> None:
        del self._stories[story.id]
        for term in story.tf:
            self._sdf[term] -= 1
            if self._sdf[term] <= 0:
                del self._sdf[term]
        for member in [story.founder, *story.recent]:
            if member is not None:
                self._unindex(member)
        for outlet, terms in zip(story.member_outlets, story.term_sets, strict=True):
            self._df.subtract(terms)
            if outlet in self._outlet_df:
                self._outlet_df[outlet].subtract(terms)
                self._outlet_n[outlet] -= 1
        for terms in story.term_sets:
            for term in terms:
                if self._df[term] <= 0:
                    self._df.pop(term, None)
        self._n_items -= len(story.members)
        for item_id in story.members:
            self._item_story.pop(item_id, None)

    def _enforce_cap(self) -> None:
        excess = len(self._stories) - self.settings.max_active
        if excess <= 0:
            return
        # Drop a tenth more than needed so the sort is paid rarely.
        excess += self.settings.max_active // 10
        by_age = sorted(self._stories.values(), key=lambda s: (s.last_seen, s.id))
        for story in by_age[:excess]:
            self._drop(story)


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {t: v / norm for t, v in vector.items()} if norm > 0 else {}


def _item_time(item: Item, default: datetime) -> datetime:
    return item.published or item.first_seen or default


def _seen_time(item: Item) -> datetime:
    return item.first_seen or item.published or _EPOCH


def cluster_stream(items: Iterable[Item], settings: ClusterSettings) -> dict[str, str]:
    """Cluster a batch the way the poller would: in `published` order, `now` = item time.

    Items with `duplicate_of` get their original's story. Returns item id → story id.
    """
    clusterer = Clusterer(settings)
    result: dict[str, str] = {}
    last_expire: datetime | None = None
    for item in sorted(items, key=lambda i: (_item_time(i, _EPOCH), i.id)):
        now = _item_time(item, _EPOCH)
        if last_expire is None or now - last_expire >= settings.expire_every:
            clusterer.expire(now)
            last_expire = now
        if item.duplicate_of is not None and item.duplicate_of in result:
            result[item.id] = result[item.duplicate_of]
            continue
        assignment = clusterer.assign(item, now)
        result[item.id] = assignment.story_id
        for old in assignment.merged:
            for key, value in result.items():
                if value == old:
                    result[key] = assignment.story_id
    return result
