"""Incremental story grouping with stable ids. Pure: time comes in as `now`.

An item joins a story only through one of the story's *profile members*: its founding item
and its few latest items. Every comparison is item against item — TF-IDF cosine of title plus
leading text, and of the titles alone (paraphrased headlines) — never against a growing
centroid, so a story cannot drift into a topic. A comparison counts only when the two items
were published within `max_gap` of each other and share `min_shared_terms` distinctive terms
(in few active stories), at least one of which is not a name: one shared word never joins two
items, and neither does a person alone (the same people are in many events).

Terms spread over many active stories (function words of any language, topics such as
"coronavirus") weigh nothing, and so do terms an outlet repeats across its items (show names,
channel furniture). Multi-topic items (live blogs, bulletins, round-ups) never found a story
others can join and join one only with a clear extra margin; a story only the item's outlet
has covered asks a margin too. When an item clearly matches two stories, the younger is merged
into the older, which keeps its id (`Assignment.merged`).

Candidates come from an inverted index (term → profile members), so an item costs what its
distinctive terms cost, not what the number of active stories costs. All counts cover the
active window only; `restore` rebuilds them from stored features without tokenising.
"""

from __future__ import annotations

import gc
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from .boilerplate import RepeatedTexts
from .cluster_settings import Assignment, ClusterSettings
from .embed import HeadlineEmbedder
from .event_links import headlines_share_what, names_margin, names_what_happened
from .features import Features, Packed, decode, encode, item_features, pack, unpack
from .headline_route import Headline, headline_margin
from .models import Item
from .profile_index import ProfileIndex
from .window_counts import Vector, WindowCounts, dot, unit

__all__ = ["Assignment", "ClusterSettings", "Clusterer", "cluster_stream"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HALF_DAY = timedelta(hours=12)
_FULL_KEPT = 2048  # members whose full features are kept (see Clusterer._full_features)


@dataclass(slots=True, eq=False)
class _Member:
    id: str
    story: _Story
    when: datetime
    packed: Packed  # its features without their term sets (see Clusterer._full_features)
    outlet: str
    vector: dict[str, float] | None = None  # unit TF-IDF of title + text (None: not yet)
    title: dict[str, float] | None = None  # unit TF-IDF of the title alone
    indexed: tuple[str, ...] = ()
    headline: Headline | None = None  # for the headline route
    counted: int = 0  # how many items the window held when the vectors were computed


@dataclass(slots=True, eq=False)
class _Story:
    id: str
    last_seen: datetime  # the latest `now` an item joined at (drives expiry)
    last_when: datetime = _EPOCH  # newest publication time of its items
    open: bool = True  # False while only multi-topic items are in it
    founder: _Member | None = None
    recent: deque[_Member] = field(default_factory=deque)
    members: list[str] = field(default_factory=list)
    # (item id, packed features, outlet, publication time) of every member, oldest first
    log: list[tuple[str, Packed, str, datetime]] = field(default_factory=list)
    outlets: set[str] = field(default_factory=set)
    # members holding each term; None while the story holds one item (its terms, each once)
    tf: Counter[str] | None = field(default_factory=Counter)
    profile: dict[str, float] | None = None  # see Clusterer._profile_vector
    profile_counted: int = -1


class Clusterer:
    """Holds the active stories and assigns items to them, one at a time."""

    def __init__(
        self,
        settings: ClusterSettings = ClusterSettings(),
        embedder: HeadlineEmbedder | None = None,
    ) -> None:
        self.settings = settings
        self._embedder = embedder  # optional headline vectors (see aggregator.embed)
        self._repeats = RepeatedTexts(settings.boilerplate_copies)  # see aggregator.boilerplate
        self._stories: dict[str, _Story] = {}
        self._index: ProfileIndex[_Member] = ProfileIndex()  # term → profile members
        self._counts = WindowCounts(settings)
        self._pending: dict[str, Features] = {}  # observed, not yet assigned
        self._item_story: dict[str, tuple[str, float]] = {}  # active item id → (story, score)
        self._terms: dict[str, str] = {}  # one string per restored term (see features.decode)
        self._full: dict[_Member, Features] = {}  # features of members compared lately

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
        """Count a batch's terms per outlet before any of it is assigned, so that a term an
        outlet repeats across its items weighs nothing even for its first items."""
        for item in items:
            if item.id not in self._item_story and item.id not in self._pending:
                features = item_features(item, self.settings.text_tokens)
                self._pending[item.id] = features
                self._counts.count_outlet(item.outlet, features.unique, 1)

    def forget(self, item: Item) -> None:
        """Drop an observed item that will not be assigned (a duplicate of a stored one)."""
        features = self._pending.pop(item.id, None)
        if features is not None:
            self._counts.count_outlet(item.outlet, features.unique, -1)

    def restore(self, items: Iterable[Item], terms: Mapping[str, str] | None = None) -> None:
        """Rebuild state from stored items that already have a story (the active window).

        `terms` maps item ids to their stored `Assignment.terms` (tokenised again when missing).
        Items without `story_id`, or with `duplicate_of` set, are ignored. Only the newest
        `max_active` stories are kept. Counts are rebuilt at once; a profile member's vectors
        are computed when it is first compared, with the counts of that time.
        """
        terms = terms or {}
        collecting = gc.isenabled()
        gc.disable()  # millions of small objects: collecting while building them costs seconds
        try:
            self._restore(items, terms)
        finally:
            if collecting:
                gc.enable()

    def _restore(self, items: Iterable[Item], terms: Mapping[str, str]) -> None:
        kept = [i for i in items if i.story_id and i.duplicate_of is None]
        kept.sort(key=lambda i: (_seen_time(i), i.id))
        touched: dict[str, _Story] = {}
        before: dict[str, frozenset[str]] = {}
        titles = {i.id: i.title for i in kept}
        for item in kept:
            if item.id in self._item_story:
                continue
            stored = terms.get(item.id)
            features = (decode(stored, item, self._terms) if stored else None) or item_features(
                item, self.settings.text_tokens
            )
            seen = _seen_time(item)
            story_id = item.story_id or item.id
            story = self._stories.get(story_id) or self._new_story(story_id, seen)
            if story.id not in before:  # (not setdefault: that copies tf for every item)
                before[story.id] = frozenset(_held(story))
            if self._repeats.add(features, item.id):
                features = replace(features, multi=True)  # furniture: never a profile member
            self._counts.count(features)
            self._counts.count_outlet(item.outlet, features.unique, 1)
            self._record(story, item, features, min(item.published or seen, seen), seen, 0.0, False)
            touched[story.id] = story
        for story in touched.values():
            self._counts.add_story_terms(_held(story) - before[story.id])
            self._rebuild_profile(story, titles)
        self._enforce_cap()

    def _headline(self, title: str, terms: tuple[str, ...]) -> Headline:
        return Headline(title, terms[0] if terms else "", self._embedder)

    def _rebuild_profile(self, story: _Story, titles: Mapping[str, str]) -> None:
        """Index a restored story's founder and latest members (vectors come lazily)."""
        for member in [story.founder, *story.recent]:
            if member is not None:
                self._unprofile(member)
        story.founder, story.recent = None, deque()
        pending = [(i, f, o, w) for i, f, o, w in story.log if not f[4]]  # not multi-topic
        story.open = bool(pending) or not story.log
        if not pending:
            return
        keep = pending[:1] + pending[1:][-self.settings.profile_recent :]
        for item_id, packed, outlet, when in keep:
            member = _Member(item_id, story, when, packed, outlet)
            member.headline = self._headline(titles.get(item_id, ""), packed[0])
            self._enter_profile(story, member)

    # --- decisions --------------------------------------------------------------------------

    def assign(self, item: Item, now: datetime) -> Assignment:
        """Put `item` in the best active story or found a new one (id = `item.id`).

        Idempotent: an item already placed gets the same story back.
        """
        known = self._item_story.get(item.id)
        if known is not None:
            return Assignment(known[0], False, known[1])
        features = self._pending.pop(item.id, None)
        if features is None:
            features = item_features(item, self.settings.text_tokens)
            self._counts.count_outlet(item.outlet, features.unique, 1)
        encoded = encode(features)
        if item.story_id is not None:  # placed before, but not seen by this clusterer
            story = self._stories.get(item.story_id)
            furniture = False
            if story is not None:
                furniture = self._repeats.add(features)
                if furniture:
                    features = replace(features, multi=True)
                self._counts.count(features)
                when = min(item.published or now, now)
                packed = self._record(story, item, features, when, now, 0.0)
                if not features.multi:
                    member = _Member(item.id, story, when, packed, item.outlet)
                    member.headline = self._headline(item.title, features.title)
                    self._enter_profile(story, member)
            else:
                self._counts.count_outlet(item.outlet, features.unique, -1)
            return Assignment(item.story_id, False, 0.0, terms=encoded, furniture=furniture)

        furniture = self._repeats.add(features, item.id)
        earlier = self._repeats.earlier(features) if furniture else ()
        if furniture:  # its text is a page's furniture: it founds a story nothing joins
            features = replace(features, multi=True)
        self._counts.count(features)
        vector, title_vector = self._counts.vectors(features, item.outlet)
        when = min(item.published or now, now)
        has_text = len(features.text) >= self.settings.min_text_terms
        headline = self._headline(item.title, features.title)
        ranked = (
            []
            if furniture
            else self._rank(
                vector, title_vector, when, now, item.outlet, features, has_text, headline
            )
        )
        if ranked and ranked[0][0] >= 0:
            _, score, best = ranked[0]
            story, merged = self._merge(self._stories[best], ranked[1:])
            new = False
        else:
            score, merged, new = max((s for _, s, _ in ranked), default=0.0), (), True
            story = self._new_story(item.id, now)
        packed = self._record(story, item, features, when, now, score)
        if not features.multi:
            member = _Member(item.id, story, when, packed, item.outlet, vector, title_vector)
            member.counted = self._counts.n_items
            member.headline = headline
            self._enter_profile(story, member)
            self._full[member] = features  # (it is likely compared soon)
        if new:
            self._enforce_cap()
        return Assignment(story.id, new, score, merged, encoded, furniture, earlier)

    def regroup(self, item: Item, now: datetime) -> Assignment | None:
        """Reconsider a placed item whose text grew (its article page arrived).

        The item's features are replaced by those of its new text everywhere the clusterer
        keeps them (counts, its story's terms, its profile entry). If the item now matches
        another active story, stories are merged into the oldest, which keeps its id: an item
        alone in its story joins on a plain match; an item whose story holds others merges
        it only with a story it matches by `merge_margin` (the rule `assign` follows).
        Returns None when the item is not in the active window, else where it is now.
        """
        known = self._item_story.get(item.id)
        story = self._stories.get(known[0]) if known else None
        if known is None or story is None:
            return None
        features = item_features(item, self.settings.text_tokens)
        if self._refeature(story, item.id, features):  # the page held furniture, no article
            earlier = self._repeats.earlier(features)
            return Assignment(story.id, False, known[1], (), encode(features), True, earlier)
        vector, title_vector = self._counts.vectors(features, item.outlet)
        when = min(item.published or now, now)
        has_text = len(features.text) >= self.settings.min_text_terms
        ranked = self._rank(vector, title_vector, when, now, item.outlet, features, has_text)
        others = [r for r in ranked if r[2] != story.id]
        need = 0.0 if story.members == [item.id] else self.settings.merge_margin
        clear = [sid for margin, _, sid in others if margin >= need]
        merged: list[str] = []
        if clear:
            group = [story, *(self._stories[sid] for sid in clear)]
            story = min(group, key=lambda st: (st.founder.when if st.founder else _EPOCH, st.id))
            for other in group:
                if other is not story:
                    self._absorb(story, other)
                    merged.append(other.id)
            story.last_seen = max(story.last_seen, now)
            profile = [m.id for m in [story.founder, *story.recent] if m is not None]
            if item.id not in profile and not features.multi:  # it vouches as a joiner does
                packed = pack(features)
                member = _Member(item.id, story, when, packed, item.outlet, vector, title_vector)
                member.counted = self._counts.n_items
                self._enter_profile(story, member)
        return Assignment(story.id, False, known[1], tuple(merged), encode(features))

    def _refeature(self, story: _Story, item_id: str, features: Features) -> bool:
        """Swap an item's features for new ones in every count and in its profile entry; True
        when the new text is a page's furniture (see aggregator.boilerplate)."""
        at = next((n for n, entry in enumerate(story.log) if entry[0] == item_id), None)
        if at is None:
            return False
        _, packed, outlet, when = story.log[at]
        old = unpack(packed)
        if old == features:
            return False
        counts = self._counts
        counts.count(old, -1)
        counts.count(features)
        self._repeats.remove(old)
        furniture = self._repeats.add(features, item_id)
        counts.count_outlet(outlet, old.unique, -1)
        counts.count_outlet(outlet, features.unique, 1)
        tf = _tally(story)
        before = set(tf)
        tf.subtract(old.unique)
        tf.update(features.unique)
        for term in [t for t, n in tf.items() if n <= 0]:
            del tf[term]
        after = set(tf)
        counts.add_story_terms(after - before)
        counts.remove_story_terms(before - after)
        packed = pack(features)
        story.log[at] = (item_id, packed, outlet, when)
        for member in [story.founder, *story.recent]:
            if member is not None and member.id == item_id:
                self._unprofile(member)
                member.packed, member.vector, member.title = packed, None, None
                self._index_member(member)
                story.profile = None
        return furniture

    def expire(self, now: datetime) -> None:
        """Drop stories quiet for longer than the active window; they accept no more items."""
        cutoff = now - self.settings.active_window
        for story in [s for s in self._stories.values() if s.last_seen < cutoff]:
            self._drop(story)
        df = self._counts.df
        if len(self._terms) > 2 * len(df) + 1000:  # forget terms no active item holds
            self._terms = {t: t for t in self._terms if t in df}

    # --- scoring ----------------------------------------------------------------------------

    def _rank(
        self,
        vector: Vector,
        title_vector: Vector,
        when: datetime,
        now: datetime,
        outlet: str,
        features: Features,
        has_text: bool,
        headline: Headline | None = None,
    ) -> list[tuple[float, float, str]]:
        """(margin, score, story id) of each story with a matching member, best first."""
        s = self.settings
        terms = vector.keys() | title_vector.keys()
        counts, index = self._counts, self._index
        sdf, distinct = counts.sdf, counts.distinct_limit()
        hits: dict[_Member, int] = {}
        for term in terms:
            posting = index.get(term)
            if posting is None or sdf[term] > distinct:
                continue
            if type(posting) is _Member:  # filed alone (see aggregator.profile_index)
                hits[posting] = hits.get(posting, 0) + 1
            elif len(posting) <= s.max_postings:
                for member in posting:
                    hits[member] = hits.get(member, 0) + 1
        # Fewer shared terms suffice on the headline route (an item or member without text).
        short = min(s.min_shared_terms, s.headline_shared_terms)
        candidates = [
            m
            for m, n in hits.items()
            if n >= s.min_shared_terms
            or (n >= short and not (has_text and len(m.packed[1]) >= s.min_text_terms))
        ]
        if len(candidates) > s.max_candidates:
            candidates.sort(key=lambda m: (-hits[m], m.id))
            candidates = candidates[: s.max_candidates]
        cutoff = now - s.active_window
        best: dict[str, tuple[float, float]] = {}
        for member in candidates:
            story = member.story
            if not story.open or story.last_seen < cutoff or abs(when - member.when) > s.max_gap:
                continue
            member_vector, member_title = self._member_vectors(member)
            both_text = has_text and len(member.packed[1]) >= s.min_text_terms
            margin: float | None = None
            score = 0.0
            if (
                hits[member] >= s.min_shared_terms
                and (
                    counts.shares_event(terms, member_vector, member_title)
                    or (
                        not both_text
                        and headlines_share_what(
                            features, self._full_features(member), counts, s.min_shared_terms
                        )
                    )
                )
                and names_what_happened(
                    features, self._full_features(member), counts, s.unanchored_terms
                )
            ):
                full = dot(vector, member_vector)
                if story.founder is None or abs(when - story.founder.when) <= s.max_gap:
                    # the profile holds the founder: it speaks only within the founder's time
                    full = max(full, dot(vector, self._profile_vector(story)))
                head = dot(title_vector, member_title)
                margin = max(full - s.threshold, head - s.headline_threshold)
                if both_text:
                    margin = min(margin, full - s.threshold / 2)  # two texts must agree too
                score = max(full, head)
            if not both_text:
                route = headline_margin(
                    s, counts, title_vector, member_title, headline, member.headline
                )
                if route is not None:
                    margin = route[0] if margin is None else max(margin, route[0])
                    score = max(score, route[1])
            if margin is None:
                continue
            late = max(abs(when - member.when) - _HALF_DAY, timedelta(0)) / timedelta(days=1)
            if outlet and story.outlets == {outlet}:
                margin -= s.same_outlet_margin + s.same_outlet_daily_margin * late
            if features.multi:
                margin -= s.multi_topic_margin
            own = bool(outlet) and story.outlets == {outlet}
            margin -= names_margin(features, self._full_features(member), counts, s, late, own)
            if story.id not in best or (margin, score) > best[story.id]:
                best[story.id] = (margin, score)
        ranked = [(m, sc, sid) for sid, (m, sc) in best.items()]
        ranked.sort(key=lambda r: (-r[0], -r[1], r[2]))
        return ranked

    # --- bookkeeping ------------------------------------------------------------------------

    def _new_story(self, story_id: str, when: datetime) -> _Story:
        story = _Story(id=story_id, last_seen=when)
        self._stories[story_id] = story
        self._counts.n_stories = len(self._stories)
        return story

    def _record(
        self,
        story: _Story,
        item: Item,
        features: Features,
        when: datetime,
        now: datetime,
        score: float,
        count_stories: bool = True,
    ) -> Packed:
        """Book an item into a story (not its profile); its packed features. With
        `count_stories` false the caller updates the story document frequencies itself
        (restore does it once per story)."""
        if count_stories:
            self._counts.add_story_terms(features.unique - _held(story))
        if story.log:
            _tally(story).update(features.unique)
        else:  # one item: its terms are the tally, without a Counter of them
            story.tf = None
        packed = pack(features)
        story.log.append((item.id, packed, item.outlet, when))
        story.members.append(item.id)
        if item.outlet:
            story.outlets.add(item.outlet)
        story.last_seen = max(story.last_seen, now)
        story.last_when = max(story.last_when, when)
        self._item_story[item.id] = (story.id, score)
        if features.multi and len(story.members) == 1:
            story.open = False  # a multi-topic item never vouches for others
        return packed

    def _enter_profile(self, story: _Story, member: _Member) -> None:
        """Make a member one of the story's profile: its founder or one of its latest items."""
        story.open = True
        story.profile = None
        self._index_member(member)
        if story.founder is None:
            story.founder = member
            return
        story.recent.append(member)
        if len(story.recent) > self.settings.profile_recent:
            self._unprofile(story.recent.popleft())

    def _index_member(self, member: _Member) -> None:
        """File a profile member under its title terms, names and first text terms."""
        title, text, names = member.packed[:3]
        wanted = self.settings.index_terms
        lead = dict.fromkeys(text[: 2 * wanted])  # the lead: who, what and where
        if len(lead) < wanted:  # (the first `wanted` different terms lie further on)
            lead = dict.fromkeys(text)
        terms = dict.fromkeys([*title, *names])
        terms.update((t, None) for t in list(lead)[:wanted])
        self._index.file(member, tuple(terms))

    def _unprofile(self, member: _Member) -> None:
        """Take a member out of the index (it no longer stands for its story)."""
        self._index.unfile(member)
        self._full.pop(member, None)

    def _full_features(self, member: _Member) -> Features:
        """A member's features with their term sets, kept for the members compared lately
        only: the sets are most of an item's memory, and few members are compared often."""
        full = self._full.pop(member, None)
        if full is None:
            full = unpack(member.packed)
            if len(self._full) >= _FULL_KEPT:
                del self._full[next(iter(self._full))]  # the least lately compared
        self._full[member] = full
        return full

    def _profile_vector(self, story: _Story) -> dict[str, float]:
        """The normalised sum of a story's founder and latest members: what they agree on
        (bounded to a handful of items anchored on the founder, so it cannot drift far)."""
        n = self._counts.n_items
        if story.profile is None or abs(n - story.profile_counted) * 10 > n:
            total: dict[str, float] = {}
            for member in [story.founder, *story.recent]:
                if member is not None:
                    for term, value in self._member_vectors(member)[0].items():
                        total[term] = total.get(term, 0.0) + value
            story.profile, story.profile_counted = unit(total), n
        return story.profile

    def _member_vectors(self, member: _Member) -> tuple[Vector, Vector]:
        """A member's vectors, recomputed once the window has changed by a tenth since."""
        n = self._counts.n_items
        if member.vector is None or member.title is None or abs(n - member.counted) * 10 > n:
            title, text = member.packed[:2]
            member.vector, member.title = self._counts.vectors_of(title, text, member.outlet)
            member.counted = n
        return member.vector, member.title

    def _merge(
        self, best: _Story, others: list[tuple[float, float, str]]
    ) -> tuple[_Story, tuple[str, ...]]:
        """Fold the stories the item also matches clearly into the oldest of them. A story of
        one item needs less: the item vouches for it on its own, where a grown story would
        bring members the item never saw."""
        s = self.settings
        clear = [
            sid
            for margin, _, sid in others
            if margin >= s.merge_margin
            or (margin >= s.merge_single_margin and len(self._stories[sid].members) == 1)
        ]
        if not clear:
            return best, ()
        group = [best, *(self._stories[sid] for sid in clear)]
        oldest = min(group, key=lambda st: (st.founder.when if st.founder else _EPOCH, st.id))
        merged = []
        for story in group:
            if story is not oldest:
                self._absorb(oldest, story)
                merged.append(story.id)
        return oldest, tuple(merged)

    def _absorb(self, into: _Story, story: _Story) -> None:
        for member in [story.founder, *story.recent]:
            if member is not None:
                self._unprofile(member)
        held = _held(into)
        self._counts.remove_story_terms([t for t in _held(story) if t in held])
        _tally(into).update(_held(story) if story.tf is None else story.tf)
        for item_id in story.members:
            self._item_story[item_id] = (into.id, self._item_story[item_id][1])
        into.members.extend(story.members)
        into.log.extend(story.log)
        into.outlets |= story.outlets
        into.last_seen = max(into.last_seen, story.last_seen)
        into.last_when = max(into.last_when, story.last_when)
        del self._stories[story.id]
        self._counts.n_stories = len(self._stories)

    def _drop(self, story: _Story) -> None:
        del self._stories[story.id]
        self._counts.n_stories = len(self._stories)
        for member in [story.founder, *story.recent]:
            if member is not None:
                self._unprofile(member)
        self._counts.remove_story_terms(_held(story))
        for _, packed, outlet, _ in story.log:
            features = unpack(packed)
            self._repeats.remove(features)
            self._counts.count(features, -1)
            self._counts.count_outlet(outlet, features.unique, -1)
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


def _held(story: _Story) -> AbstractSet[str]:
    """The terms a story's items hold."""
    if story.tf is None:  # one item
        title, text = story.log[0][1][:2]
        return frozenset(title).union(text)
    return story.tf.keys()


def _tally(story: _Story) -> Counter[str]:
    """A story's term counts, as a Counter from now on."""
    if story.tf is None:
        story.tf = Counter(_held(story))
    return story.tf


def _item_time(item: Item, default: datetime) -> datetime:
    return item.published or item.first_seen or default


def _seen_time(item: Item) -> datetime:
    return item.first_seen or item.published or _EPOCH


def cluster_stream(
    items: Iterable[Item],
    settings: ClusterSettings,
    embedder: HeadlineEmbedder | None = None,
) -> dict[str, str]:
    """Cluster a batch the way the poller would: in `published` order, `now` = item time.

    Items with `duplicate_of` get their original's story. Returns item id → story id.
    """
    clusterer = Clusterer(settings, embedder)
    result: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    last_expire: datetime | None = None
    for item in sorted(items, key=lambda i: (_item_time(i, _EPOCH), i.id)):
        now = _item_time(item, _EPOCH)
        if last_expire is None or now - last_expire >= settings.expire_every:
            clusterer.expire(now)
            last_expire = now
        if item.duplicate_of is not None and item.duplicate_of in result:
            story_id = result[item.duplicate_of]
        else:
            assignment = clusterer.assign(item, now)
            story_id = assignment.story_id
            for old in assignment.merged:
                for moved in members.pop(old, []):
                    result[moved] = story_id
                    members.setdefault(story_id, []).append(moved)
        result[item.id] = story_id
        members.setdefault(story_id, []).append(item.id)
    return result
