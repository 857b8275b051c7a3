"""The clusterer's state over the active window, kept in step as items come and stories go.

`StoryWindow` holds the active stories (aggregator.active_story), the inverted index of their
profile members (aggregator.profile_index), the window's term counts
(aggregator.window_counts) and the repeated texts (aggregator.boilerplate). It books items
into stories and profiles, merges, expires and caps stories, and rebuilds all of it from
stored items (`restore`) without tokenising. Where an item goes is decided by
`aggregator.cluster.Clusterer`, which builds on it. Pure: time comes in as `now`.
"""

from __future__ import annotations

import gc
from array import array
from collections import Counter, OrderedDict, _count_elements  # type: ignore[attr-defined]
from collections.abc import Collection, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import datetime
from itertools import chain
from math import copysign
from struct import Struct
from sys import intern
from typing import Any

from .active_story import EPOCH, ActiveStory, ProfileMember, index_terms, log_tally
from .boilerplate import RepeatedTexts
from .cluster_settings import ClusterSettings
from .embed import HeadlineEmbedder
from .features import Features, ItemTerms, Packed, decode, item_features, pack, unpack
from .headline_route import Headline
from .models import Item
from .profile_index import SMALL, ProfileIndex
from .window_counts import Vector, WindowCounts, pack_vector, unit, unpack_vector

__all__ = ["StoryWindow"]

# a profile as it was (founder, latest members) and the members set aside from it
ProfileSnapshot = tuple[ProfileMember | None, tuple[ProfileMember, ...], list[ProfileMember]]
_FULL_KEPT = 2048  # members whose full features are kept (see StoryWindow._full_features)
_VECTORS_KEPT = 2048  # members and stories whose vectors are kept as dicts (_member_vectors)
_TALLIES_KEPT = 512  # stories whose term tallies are kept (see StoryWindow._tally)
_RESTORE_BATCH = 1024  # restored items counted at a time (see StoryWindow._restore_fresh)


class StoryWindow:
    """The active stories, their profile members, the index and the window's counts."""

    _fewer = 0  # the bounded memos keep their limits shifted right by this (`fewer_memos`)
    # The active stories readers have been shown (a version published), as the pass found
    # them before it grouped: of stories merged, the oldest keeps its profile and its items,
    # and, when it was never published, takes the oldest published one's id (`_fold`), so a
    # reader keeps the item they had, updated, not a new one with its headline.
    published: frozenset[str] = frozenset()

    def __init__(
        self,
        settings: ClusterSettings = ClusterSettings(),
        embedder: HeadlineEmbedder | None = None,
    ) -> None:
        self.settings = settings
        self._embedder = embedder  # optional headline vectors (see aggregator.embed)
        self._repeats = RepeatedTexts(settings.boilerplate_copies)  # see aggregator.boilerplate
        self._stories: dict[str, ActiveStory] = {}
        # term → profile members; a term on more members than candidates are ever taken
        # from keeps only their count (see aggregator.profile_index)
        listed = max(settings.max_postings, SMALL)
        self._index: ProfileIndex[ProfileMember] = ProfileIndex(2 * listed, listed)
        self._counts = WindowCounts(settings)
        # observed, not yet assigned: as numbers into a table of their terms, since a cold
        # pass observes tens of thousands (see `Waiting`)
        self._pending = Waiting()
        self._item_story: dict[str, str] = {}  # active item id → its story's id
        # an active item's score, when it is not 0.0 (restored items, new stories: most of
        # them); a (story, score) tuple an item cost 56 bytes
        self._item_score: dict[str, float] = {}
        # The three bounded memos below are kept least lately used first. They are ordered
        # dicts: a plain dict whose oldest entry is deleted over and over walks past the
        # entries deleted before it to find the next oldest (until it is resized), where an
        # ordered dict unlinks it (`_evict`).
        self._full: OrderedDict[ProfileMember, Features] = OrderedDict()  # compared lately
        # vectors as dicts of the members (and story profiles) compared lately
        self._unpacked: OrderedDict[ProfileMember | ActiveStory, object] = OrderedDict()
        # how many items of a story hold each term, for the stories joined lately
        self._tallies: OrderedDict[ActiveStory, Counter[str]] = OrderedDict()

    def __getstate__(self) -> dict[str, object]:
        """The window as it pickles (the grouping snapshot) without its three bounded memos:
        each entry is made again from its record when next asked, as after an eviction."""
        state = dict(vars(self))
        for memo in ("_full", "_unpacked", "_tallies"):
            state[memo] = OrderedDict()
        state.pop("_fewer", None)  # (a loaded window keeps whole memos)
        state.pop("published", None)  # (asked again by each pass)
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        """A loaded window's terms become the interpreter's strings (`sys.intern`), as a
        restore's are (`features.decode`): a new item's terms then find them by identity.
        The unpickler made one string per term, which every count, log and index entry
        shares, so interning each counted term in place covers them all."""
        vars(self).update(state)
        for term in self._counts.df:
            intern(term)

    def forget_memos(self) -> None:
        """Empty the three bounded memos (those a pickled window leaves out): each entry is
        made again from its record when next asked, as after an eviction. For a process
        whose window groups nothing more for a while (summarising, the snapshot's write).
        The outlets' terms held once lately are sorted in with the others too (the sets
        they wait in are the outlets' counts' spare room: see `OutletCounts.settle`)."""
        for memo in (self._full, self._unpacked, self._tallies):
            memo.clear()
        self._counts.settle_outlets()

    def fewer_memos(self, fewer: bool = True) -> None:
        """Keep a quarter of the bounded memos' entries from now on (`fewer`), or all again.
        For the last run of a big pass: the window is then at its largest and the memos
        full (~19 MB at 60k items on long texts), and a quarter of them are missed more
        (each entry made again from its record, as after an eviction: the same stories)."""
        self._fewer = 2 if fewer else 0
        for memo, kept in (
            (self._full, _FULL_KEPT),
            (self._unpacked, _VECTORS_KEPT),
            (self._tallies, _TALLIES_KEPT),
        ):
            while len(memo) > kept >> self._fewer:
                memo.popitem(last=False)

    def let_go(self) -> None:
        """Untie every story from its profile members (the one cycle of the state), for a
        process that drops the window: reference counts then free all of it, without the
        collector (which passes over no restored object: see `restore`). The window is
        not used afterwards."""
        for story in self._stories.values():
            _untie(story)

    # --- state ------------------------------------------------------------------------------

    @property
    def active_stories(self) -> int:
        """Number of stories still accepting items."""
        return len(self._stories)

    @property
    def active_items(self) -> int:
        """Number of items the window's stories hold."""
        return len(self._item_story)

    def story_ids(self) -> frozenset[str]:
        """The ids of the stories the window holds (what retention must leave alone)."""
        return frozenset(self._stories)

    def story_of(self, item_id: str) -> str | None:
        """The story of an item of the active window, if any."""
        return self._item_story.get(item_id)

    def _placed(self, item_id: str) -> tuple[str, float] | None:
        """An active item's story id and the score it was placed with."""
        story_id = self._item_story.get(item_id)
        return None if story_id is None else (story_id, self._item_score.get(item_id, 0.0))

    def _place_item(self, item_id: str, story_id: str, score: float) -> None:
        self._item_story[item_id] = story_id
        if score == 0.0 and copysign(1.0, score) > 0:  # (-0.0 is kept: it prints apart)
            self._item_score.pop(item_id, None)
        else:
            self._item_score[item_id] = score

    def observe(
        self,
        items: Iterable[Item],
        terms: Mapping[str, ItemTerms] | None = None,
    ) -> None:
        """Count a batch's terms per outlet before any of it is assigned, so that a term an
        outlet repeats across its items weighs nothing even for its first items. `terms`:
        items' `item_terms` already worked out, by item id (`term_pool`)."""
        terms = terms or {}
        for item in items:
            if item.id not in self._item_story and item.id not in self._pending:
                features = item_features(item, self.settings.text_tokens, terms.get(item.id))
                self._pending.put(item.id, features)
                self._counts.count_outlet(item.outlet, features.unique, 1)

    def forget(self, item: Item) -> None:
        """Drop an observed item that will not be assigned (a duplicate of a stored one)."""
        features = self._take_pending(item.id)
        if features is not None:
            self._counts.count_outlet(item.outlet, features.unique, -1)

    def _take_pending(self, item_id: str) -> Features | None:
        """An observed item's features, no longer pending (None if it was not observed)."""
        return self._pending.take(item_id)

    def restore(
        self,
        items: Iterable[Item],
        terms: Mapping[str, str] | None = None,
        began: Mapping[str, datetime] | None = None,
        *,
        take: bool = False,
    ) -> None:
        """Rebuild state from stored items that already have a story (the active window).

        `terms` maps item ids to their stored `Assignment.terms` (tokenised again when missing).
        `began`: when stories whose first items are not among `items` began (see
        `ActiveStory.began`; a story not in it began with its earliest item given).
        Items without `story_id`, or with `duplicate_of` set, are ignored. Only the newest
        `max_active` stories are kept. Counts are rebuilt at once; a profile member's vectors
        are computed when it is first compared, with the counts of that time.

        `take`: the caller hands `terms` (a dict) over, and each item's stored terms leave it
        as they are decoded: their strings (~0.6 KB an item) are then freed while the window
        is built, into the room its own records take next, instead of all at its end, between
        them (at 60k items: 34 MB less resident before the heap is trimmed).
        """
        terms = terms or {}
        if take and type(terms) is dict:
            terms = _Taken(terms)  # type: ignore[assignment]  # (only its `get` is read)
        collecting = gc.isenabled()
        gc.disable()  # millions of small objects: collecting while building them costs seconds
        gc.unfreeze()  # (what an earlier restore froze is collected again once garbage)
        try:
            self._restore(items, terms)
            for story_id, when in (began or {}).items():
                story = self._stories.get(story_id)
                if story is not None:
                    story.began = min(story.began, when)
            # The window lives as long as the process: the collector's passes over it (one
            # per generation, ~0.5 s each at 100k items) would find nothing to free, so it
            # is left out of them. Frozen objects are still freed by their reference counts;
            # the one cycle of the state, a story and its profile members, is undone when a
            # story leaves (`_untie`).
            gc.freeze()
        finally:
            if collecting:
                gc.enable()

    def _restore(self, items: Iterable[Item], terms: Mapping[str, str]) -> None:
        kept = [i for i in items if i.story_id and i.duplicate_of is None]
        kept.sort(key=_restore_order)
        if not self._stories and not self._item_story and self.settings.profile_recent > 0:
            self._restore_fresh(kept, terms)
        else:
            self._restore_each(kept, terms)

    def _restore_each(self, kept: list[Item], terms: Mapping[str, str]) -> None:
        """`_restore` item by item (into a window that holds stories already)."""
        touched: dict[str, ActiveStory] = {}
        before: dict[str, frozenset[str]] = {}
        titles = {i.id: i.title for i in kept}
        for item in kept:
            if item.id in self._item_story:
                continue
            stored = terms.get(item.id)
            features = (decode(stored, item) if stored else None) or _made_again(
                item, self.settings.text_tokens
            )  # (one string per term: the interned one, as the window's own)
            if features is None:
                continue
            seen = _seen_time(item)
            story_id = _story_id(item)
            story = self._stories.get(story_id) or self._new_story(story_id, seen)
            if story.id not in before:  # (not setdefault: that copies the terms every item)
                before[story.id] = frozenset(self._held(story))
                self._tallies.pop(story, None)  # (restore keeps no tallies)
            if self._repeats.add(features, item.id):
                features = replace(features, multi=True)  # furniture: never a profile member
                self._repeats.earlier(features)  # (furnished when grouped: as `assign` pops)
            self._counts.count(features)
            self._counts.count_outlet(item.outlet, features.unique, 1)
            self._record(story, item, features, min(item.published or seen, seen), seen, 0.0, False)
            touched[story.id] = story
        for story in touched.values():
            self._counts.add_story_terms(self._held(story) - before[story.id])
            self._rebuild_profile(story, titles)
        self._enforce_cap()

    def _restore_fresh(self, kept: list[Item], terms: Mapping[str, str]) -> None:
        """`_restore` into an empty window, in bulk: the state the item-by-item path builds
        (same counts, logs, profiles and index, in the same order), with one count update per
        kind of count and the profile members filed at once."""
        counts = self._counts
        stories = self._stories
        item_story = self._item_story
        titles = {i.id: i.title for i in kept}
        batch: list[Features] = []  # (counted a batch at a time: a window's sets are big)
        for item in kept:
            if item.id in item_story:
                continue
            stored = terms.get(item.id)
            features = (decode(stored, item) if stored else None) or _made_again(
                item, self.settings.text_tokens
            )  # (one string per term: the interned one, see features.decode)
            if features is None:
                continue
            if self._repeats.add(features, item.id):
                features = replace(features, multi=True)  # furniture: never a profile member
                self._repeats.earlier(features)  # (furnished when grouped: as `assign` pops)
            batch.append(features)
            if len(batch) == _RESTORE_BATCH:
                counts.count_many(batch)
                batch = []
            packed = pack(features)
            counts.count_outlet_later(item.outlet, packed)
            seen = _seen_time(item)
            story_id = _story_id(item)
            story = stories.get(story_id)
            if story is None:
                story = stories[story_id] = ActiveStory(id=story_id, last_seen=seen)
            story.enter(item.id, packed, item.outlet, seen, min(item.published or seen, seen))
            item_story[item.id] = story.id  # (one string a story, not one an item; score 0.0)
        counts.count_many(batch)
        counts.n_stories = len(stories)
        counts.add_story_terms(chain.from_iterable(map(self._held, stories.values())))
        filed: list[tuple[ProfileMember, tuple[str, ...]]] = []
        recent = self.settings.profile_recent
        for story in stories.values():
            pending = [entry for entry in story.log if not entry[1][4]]  # not multi-topic
            story.open = True
            if not pending:
                story.open = not story.log
                continue
            members = []
            for item_id, packed, outlet, when in pending[:1] + pending[1:][-recent:]:
                member = ProfileMember(item_id, story, when, packed, outlet)
                member.headline = self._headline(titles[item_id], packed[0])
                members.append(member)
                filed.append((member, self._index_terms(member)))
            story.founder, story.recent = members[0], tuple(members[1:])
        self._index.file_many(filed)
        for member, _ in filed:
            member.indexed_by(self.settings.index_terms)  # (its terms are not kept)
        self._enforce_cap()

    def _headline(self, title: str, terms: tuple[str, ...]) -> Headline:
        return Headline(title, terms[0] if terms else "", self._embedder)

    def _rebuild_profile(self, story: ActiveStory, titles: Mapping[str, str]) -> None:
        """Index a restored story's founder and latest members (vectors come lazily)."""
        for member in story.profile_members():
            self._unprofile(member)
        story.founder, story.recent = None, ()
        pending = [(i, f, o, w) for i, f, o, w in story.log if not f[4]]  # not multi-topic
        story.open = bool(pending) or not story.log
        if not pending:
            return
        keep = pending[:1] + pending[1:][-self.settings.profile_recent :]
        for item_id, packed, outlet, when in keep:
            member = ProfileMember(item_id, story, when, packed, outlet)
            member.headline = self._headline(titles.get(item_id, ""), packed[0])
            self._enter_profile(story, member)

    def _refeature(self, story: ActiveStory, item_id: str, features: Features) -> bool:
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
        tf = self._tally(story)
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
        for member in story.profile_members():
            if member.id == item_id:
                self._unprofile(member)
                headline = member.headline  # (kept as it was: its first term may change)
                member.packed, member.terms, member.weights = packed, None, None
                member.headline = headline
                member.title_terms = None  # (its vectors are made again from `packed`)
                self._unpacked.pop(member, None)
                self._index_member(member)
                story.profile = None
        return furniture

    def profile_ids(self, item_id: str) -> list[str]:
        """The ids of the items that stand for an active item's story (its founder and latest
        members), the item itself included when it is one."""
        found = self._item_story.get(item_id)
        story = self._stories.get(found) if found else None
        if story is None:
            return []
        return [m.id for m in story.profile_members()]

    def _set_aside(self, story: ActiveStory, ids: Collection[str]) -> ProfileSnapshot:
        """Take the profile members with these ids out of the story's profile and the index
        (`_put_back` undoes it): the story is then matched through its other members only."""
        saved = (story.founder, story.recent)
        aside = [m for m in story.profile_members() if m.id in ids]
        for member in aside:
            self._unprofile(member)
        if story.founder in aside:
            story.founder = None
        story.recent = tuple(m for m in story.recent if m not in aside)
        story.profile = None
        return saved[0], saved[1], aside

    def _put_back(self, story: ActiveStory, snapshot: ProfileSnapshot) -> None:
        """Restore a profile `_set_aside` changed."""
        story.founder, story.recent = snapshot[0], snapshot[1]
        story.profile = None
        for member in snapshot[2]:
            self._index_member(member)

    def _detach(self, story: ActiveStory, item_id: str) -> None:
        """Take an item out of a story that keeps its other items (and its id): its terms
        leave the story's tally, its entry leaves the log (the window's counts keep it: the
        item stays active, and the caller books it into another story). A story whose
        founder left is matched through its latest items."""
        at = next(n for n, entry in enumerate(story.log) if entry[0] == item_id)
        tf = self._tally(story)  # (counted while the item is still in the log)
        _, packed, _, _ = story.log.pop(at)
        old = unpack(packed)
        before = set(tf)
        tf.subtract(old.unique)
        for term in [t for t, n in tf.items() if n <= 0]:
            del tf[term]
        self._counts.remove_story_terms(before - set(tf))
        story.outlets = {outlet for _, _, outlet, _ in story.log if outlet}
        story.last_when = max((when for *_, when in story.log), default=EPOCH)
        if self._set_aside(story, (item_id,))[2] and story.founder is None:
            # its founder left: the profile is made again from the log
            titles = {m.id: m.headline.text for m in story.recent if m.headline}
            self._rebuild_profile(story, titles)
        self._item_story.pop(item_id, None)
        self._item_score.pop(item_id, None)

    def expire(self, now: datetime) -> None:
        """Drop stories quiet for longer than the active window, and those that began more
        than `max_span` ago: they accept no more items (a later report founds a new story)."""
        cutoff = now - self.settings.active_window
        began = now - self.settings.max_span
        for story in [s for s in self._stories.values() if s.last_seen < cutoff or s.began < began]:
            self._drop(story)

    # --- bookkeeping ------------------------------------------------------------------------

    def _new_story(self, story_id: str, when: datetime) -> ActiveStory:
        story = ActiveStory(id=story_id, last_seen=when)
        self._stories[story_id] = story
        self._counts.n_stories = len(self._stories)
        return story

    def _record(
        self,
        story: ActiveStory,
        item: Item,
        features: Features,
        when: datetime,
        now: datetime,
        score: float,
        count_stories: bool = True,
    ) -> Packed:
        """Book an item into a story (not its profile); its packed features. With
        `count_stories` false the caller updates the story document frequencies itself and
        keeps no tally (restore does it once per story)."""
        if count_stories:
            if story.log:
                tf = self._tally(story)
                self._counts.add_story_terms(features.unique - tf.keys())
                _count_elements(tf, features.unique)  # (`Counter.update`, without its checks)
            else:  # its first item
                self._counts.add_story_terms(features.unique)
        packed = pack(features)
        story.enter(item.id, packed, item.outlet, now, when)
        self._place_item(item.id, story.id, score)
        if features.multi and len(story.log) == 1:
            story.open = False  # a multi-topic item never vouches for others
        return packed

    def _join_profile(
        self,
        story: ActiveStory,
        item: Item,
        when: datetime,
        packed: Packed,
        vector: Vector,
        title_vector: Vector,
        headline: Headline | None = None,
    ) -> ProfileMember:
        """Make a booked item one of its story's profile members, with its vectors."""
        member = ProfileMember(item.id, story, when, packed, intern(item.outlet))
        self._set_vectors(member, vector, title_vector)
        member.headline = headline
        self._enter_profile(story, member)
        return member

    def _enter_profile(self, story: ActiveStory, member: ProfileMember) -> None:
        """Make a member one of the story's profile: its founder or one of its latest items."""
        story.open = True
        story.profile = None
        self._index_member(member)
        if story.founder is None:
            story.founder = member
            return
        story.recent = (*story.recent, member)
        if len(story.recent) > self.settings.profile_recent:
            oldest, story.recent = story.recent[0], story.recent[1:]
            self._unprofile(oldest)

    def _index_member(self, member: ProfileMember) -> None:
        """File a profile member under its title terms, names and first text terms."""
        self._index.file(member, self._index_terms(member))
        member.indexed_by(self.settings.index_terms)  # (its terms are not kept)

    def _index_terms(self, member: ProfileMember) -> tuple[str, ...]:
        """What a profile member is filed under: its title terms, names and first text
        terms."""
        return index_terms(member.packed, self.settings.index_terms)

    def _unprofile(self, member: ProfileMember) -> None:
        """Take a member out of the index (it no longer stands for its story)."""
        self._index.unfile(member)
        self._full.pop(member, None)
        self._unpacked.pop(member, None)

    def _full_features(self, member: ProfileMember) -> Features:
        """A member's features with their term sets, kept for the members compared lately
        only: the sets are most of an item's memory, and few members are compared often."""
        full = self._full.get(member)
        if full is None:
            full = unpack(member.packed)
            self._keep_full(member, full)
        else:
            self._full.move_to_end(member)
        return full

    def _keep_full(self, member: ProfileMember, features: Features) -> None:
        """Keep a member's full features as the latest compared, `_FULL_KEPT` at most."""
        _evict(self._full, member, _FULL_KEPT >> self._fewer)
        self._full[member] = features

    def _profile_vector(self, story: ActiveStory) -> Vector:
        """The normalised sum of a story's founder and latest members: what they agree on
        (bounded to a handful of items anchored on the founder, so it cannot drift far)."""
        n = self._counts.n_items
        if story.profile is None or abs(n - story.profile_counted) * 10 > n:
            # (the first member's weights are copied in whole: 0.0 plus a weight is the weight)
            members = story.profile_members()
            total = dict(self._member_vectors(members[0])[0]) if members else {}
            get = total.get
            for member in members[1:]:
                for term, value in self._member_vectors(member)[0].items():
                    total[term] = get(term, 0.0) + value
            profile = unit(total)
            story.profile, story.profile_counted = pack_vector(profile), n
        else:
            found = self._unpacked.pop(story, None)
            profile = unpack_vector(story.profile) if found is None else found  # type: ignore[assignment]
        self._keep_unpacked(story, profile)
        return profile

    def _member_vectors(self, member: ProfileMember) -> tuple[Vector, Vector]:
        """A member's vectors, recomputed once the window has changed by a tenth since. They
        are kept packed; the dicts of the members compared lately are kept beside them."""
        n = self._counts.n_items
        if member.weights is None or abs(n - member.counted) * 10 > n:
            title, text = member.packed[:2]
            vectors = self._counts.vectors_of(title, text, member.outlet)
            self._set_vectors(member, *vectors)
            return vectors
        found = self._unpacked.pop(member, None)
        if found is None:
            found = member.vectors(self.settings.title_weight)
        self._keep_unpacked(member, found)
        return found  # type: ignore[return-value]

    def _set_vectors(self, member: ProfileMember, vector: Vector, title: Vector) -> None:
        """Give a member its vectors, as computed with the window's counts of now (from its
        packed title and text: `WindowCounts.vectors_of`): it keeps the item counts that
        give them again (see `ProfileMember.keep_vectors`)."""
        counts = self._counts
        member.keep_vectors(vector, title, (counts.df, counts.n_items))
        member.counted = counts.n_items
        self._keep_unpacked(member, (vector, title))

    def _keep_unpacked(self, key: ProfileMember | ActiveStory, vectors: object) -> None:
        """Keep a member's (or a story profile's) dicts as the latest compared, a bounded few."""
        _evict(self._unpacked, key, _VECTORS_KEPT >> self._fewer)
        self._unpacked[key] = vectors

    def _held(self, story: ActiveStory) -> AbstractSet[str]:
        """The terms a story's items hold."""
        tf = self._tallies.get(story)
        if tf is not None:
            return tf.keys()
        if not story.log:
            return frozenset()
        title, text = story.log[0][1][:2]
        held = frozenset(title).union(text)
        if len(story.log) == 1:
            return held
        return held.union(*(part for entry in story.log[1:] for part in entry[1][:2]))

    def _tally(self, story: ActiveStory) -> Counter[str]:
        """How many of a story's items hold each term: kept for the `_TALLIES_KEPT` stories
        joined most lately, counted from the story's log for any other (a tally is most of
        a grown story's memory, and few stories grow at a time)."""
        tf = self._tallies.get(story)
        if tf is not None:
            self._tallies.move_to_end(story)
            return tf
        tf = log_tally(story)
        _evict(self._tallies, story, _TALLIES_KEPT >> self._fewer)
        self._tallies[story] = tf
        return tf

    def _absorb(self, into: ActiveStory, story: ActiveStory) -> None:
        for member in story.profile_members():
            self._unprofile(member)
        tf = self._tally(into)
        absorbed = self._tallies.pop(story, None)
        if absorbed is None:
            absorbed = log_tally(story)
        self._counts.remove_story_terms([t for t in absorbed if t in tf])
        tf.update(absorbed)
        for item_id in story.members:
            self._item_story[item_id] = into.id
        into.log.extend(story.log)
        into.outlets |= story.outlets
        into.last_seen = max(into.last_seen, story.last_seen)
        into.began = min(into.began, story.began)
        into.last_when = max(into.last_when, story.last_when)
        del self._stories[story.id]
        self._unpacked.pop(story, None)
        self._counts.n_stories = len(self._stories)
        _untie(story)

    def _rename(self, story: ActiveStory, story_id: str) -> None:
        """`story` goes by `story_id` from now on (one of the ids just merged into it)."""
        del self._stories[story.id]
        story.id = story_id
        self._stories[story_id] = story
        for item_id in story.members:
            self._item_story[item_id] = story_id

    def _drop(self, story: ActiveStory) -> None:
        del self._stories[story.id]
        self._unpacked.pop(story, None)
        self._counts.n_stories = len(self._stories)
        for member in story.profile_members():
            self._unprofile(member)
        _untie(story)
        self._counts.remove_story_terms(self._held(story))
        self._tallies.pop(story, None)
        for _, packed, outlet, _ in story.log:
            features = unpack(packed)
            self._repeats.remove(features)
            self._counts.count(features, -1)
            self._counts.count_outlet(outlet, features.unique, -1)
        for item_id in story.members:
            self._item_story.pop(item_id, None)
            self._item_score.pop(item_id, None)

    def _enforce_cap(self) -> None:
        excess = len(self._stories) - self.settings.max_active
        if excess <= 0:
            return
        # Drop a tenth more than needed so the sort is paid rarely.
        excess += self.settings.max_active // 10
        by_age = sorted(self._stories.values(), key=lambda s: (s.last_seen, s.id))
        for story in by_age[:excess]:
            self._drop(story)


class Waiting:
    """Observed items' features until they are assigned, by item id: each item's terms
    (title, text, then names) as numbers into a table of the terms they hold, in one `bytes`
    (2 bytes a term, 4 once the table passes 65,536 terms), after a head of three 4-byte
    values (flags: Title Case 1, multi-topic 2, 4-byte numbers 4; title terms; text terms).
    Packed as tuples they took ~1.1 KB an item on long texts, 8 bytes a term, and a cold
    pass holds a whole run of them (20-40k items) while it counts it; the first `_FEW`
    still wait packed. The table goes with the last item taken; `take` gives the features
    `put` was given, equal and with their terms in the same order (the same interned
    strings)."""

    __slots__ = ("_items", "_numbers", "_terms")

    def __init__(self) -> None:
        self._items: dict[str, bytes | Packed] = {}
        self._terms: list[str] = []  # number → term
        self._numbers: dict[str, int] = {}  # term → number

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def put(self, item_id: str, features: Features) -> None:
        """Keep an item's features until `take` (packed while few wait: see `_FEW`)."""
        if len(self._items) < _FEW:
            self._items[item_id] = pack(features)
            return
        terms = (*features.title, *features.text, *features.names)
        found: list[int | None] = list(map(self._numbers.get, terms))
        numbers: array[int]
        try:  # (a term new to the table is None in `found`, which no array holds)
            numbers = array("I" if len(self._terms) > 0x10000 else "H", found)  # type: ignore[arg-type]
        except TypeError:
            numbers = self._number(terms)
        flags = features.title_case | features.multi << 1 | (numbers.typecode == "I") << 2
        head = _HEAD.pack(flags, len(features.title), len(features.text))
        self._items[item_id] = head + numbers.tobytes()

    def _number(self, terms: tuple[str, ...]) -> array[int]:
        """The numbers of `terms`, those new to the table numbered first (in any order: a
        number only has to name its term; by set operations, not term by term)."""
        numbers, table = self._numbers, self._terms
        new = set(terms).difference(numbers)
        numbers.update(zip(new, range(len(table), len(table) + len(new)), strict=True))
        table.extend(new)  # (the set's order again: it has not changed)
        found = list(map(numbers.__getitem__, terms))
        return array("I" if len(table) > 0x10000 else "H", found)

    def take(self, item_id: str) -> Features | None:
        """An item's features, no longer kept (None: not kept)."""
        kept = self._items.pop(item_id, None)
        if type(kept) is not bytes:
            return None if kept is None else unpack(kept)  # type: ignore[arg-type]
        flags, n_title, n_text = _HEAD.unpack_from(kept)
        numbers = array("I" if flags & 4 else "H")  # (an array iterates faster than a view)
        numbers.frombytes(memoryview(kept)[_HEAD.size :])
        terms = tuple(map(self._terms.__getitem__, numbers))
        if not self._items:  # (the last one: a table is a run's)
            self._terms, self._numbers = [], {}
        end = n_title + n_text
        return unpack(
            (terms[:n_title], terms[n_title:end], terms[end:], bool(flags & 1), bool(flags & 2))
        )


# Items that wait packed before the next wait as numbers: a pass's parts and a service's
# rounds wait in the hundreds, where numbering and reading back ~20 us an item would cost
# ~4-10% of grouping; a big pass's runs wait in the tens of thousands
_FEW = 4096
_HEAD = Struct("=III")  # an item's head in `Waiting`


class _Taken:
    """Stored terms handed over to a restore (the `get` it reads them with): an item's
    leave the caller's dict as they are read."""

    __slots__ = ("_terms",)

    def __init__(self, terms: dict[str, str]) -> None:
        self._terms = terms

    def get(self, item_id: str) -> str | None:
        return self._terms.pop(item_id, None)


def _evict(memo: OrderedDict[Any, Any], key: object, kept: int) -> None:
    """Make room for `key` as the latest entry of a memo of at most `kept` entries: it leaves
    where it is, or else the least lately used entry leaves when the memo is full."""
    if memo.pop(key, _ABSENT) is _ABSENT and len(memo) >= kept:
        memo.popitem(last=False)


_ABSENT = object()


def _untie(story: ActiveStory) -> None:
    """Let go of a story that left the window and its profile members, which point at each
    other: their reference counts then free them, without the collector (which passes over
    no restored object: see `StoryWindow.restore`)."""
    story.founder, story.recent = None, ()


def _story_id(item: Item) -> str:
    """A restored item's story id; its own id's string when they are equal (the founder's:
    the stored row brought a copy, which a story first seen through its founder would
    keep, ~90 bytes a story)."""
    story_id = item.story_id
    return item.id if not story_id or story_id == item.id else story_id


def _seen_time(item: Item) -> datetime:
    return item.first_seen or item.published or EPOCH


def _made_again(item: Item, text_tokens: int) -> Features | None:
    """A restored item's features made again from its text (none were stored); None when
    making them raises: an item a pass set aside for that (`grouping.SetAside`), left out of
    the window as it was when grouped."""
    try:
        return item_features(item, text_tokens)
    except MemoryError:
        raise
    except Exception:
        return None


def _restore_order(item: Item) -> tuple[datetime, datetime, str, str, str]:
    """The order a restore books items in: a poll's, in the order its pass grouped them
    (`grouping.publication_runs`: publication time, never later than the pass, then guid
    and feed), so a story's log, founder and latest members are the ones the running
    process booked, not those of an id order."""
    seen = _seen_time(item)
    return (seen, min(item.published or seen, seen), item.guid, item.feed_url, item.id)
