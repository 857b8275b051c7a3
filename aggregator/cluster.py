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
others can join and join one only with a clear extra margin; a link to or from a question or
explainer headline (a piece around a topic: `explainers`) and a story only the item's outlet
has covered ask a margin too. When an item clearly matches two stories, the younger is merged
into the older, which keeps its id (`Assignment.merged`). A story takes items for `max_span`
from its first (a week): an event that runs on goes on in a new story, so no story grows
into a topic, nor keeps its items in the window (and the store) for as long as it is told.

Candidates come from an inverted index (term → profile members), so an item costs what its
distinctive terms cost, not what the number of active stories costs. All counts cover the
active window only; `restore` rebuilds them from stored features without tokenising.

This module decides where an item goes (`assign`, `regroup`: ranking and merging); the state
it decides over, and the bookkeeping that keeps it in step, is `aggregator.story_window`.
"""

from __future__ import annotations

from collections import Counter, _count_elements  # type: ignore[attr-defined]
from collections.abc import Collection, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import chain, islice

from .active_story import EPOCH, ActiveStory, ProfileMember
from .cjk_terms import enough_pieces, terms_hold_cjk
from .cluster_settings import Assignment, ClusterSettings
from .embed import HeadlineEmbedder
from .event_links import (
    headlines_share_what,
    names_margin,
    names_what_happened,
    rests_on_a_name,
    several_named,
    shares_a_figure,
    shares_a_name,
    shares_own_name,
    shares_own_terms,
    stands_for_story,
)
from .explainers import is_explainer
from .features import Features, encode, item_features, pack, unpack
from .furniture_moves import moved_story_id
from .group_leave import GroupLeave
from .headline_route import Headline, headline_margin
from .models import Item
from .profile_index import Crowd
from .series import issue_key, other_issues
from .window_counts import Vector, dot

__all__ = ["Assignment", "ClusterSettings", "Clusterer", "cluster_stream", "moved_story_id"]

_HALF_DAY = timedelta(hours=12)
Link = tuple[float, float, str, bool]  # (margin, score, story id, may merge): see `_rank`


class Clusterer(GroupLeave):
    """Holds the active stories and assigns items to them, one at a time."""

    # --- decisions --------------------------------------------------------------------------

    def assign(self, item: Item, now: datetime) -> Assignment:
        """Put `item` in the best active story or found a new one (id = `item.id`).

        Idempotent: an item already placed gets the same story back.
        """
        known = self._placed(item.id)
        if known is not None:
            return Assignment(known[0], False, known[1])
        features = self._take_pending(item.id)
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
                    member = ProfileMember(item.id, story, when, packed, item.outlet)
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
        story, score, merged, new = self._place(ranked, item.id, now)
        packed = self._record(story, item, features, when, now, score)
        if not features.multi:
            member = self._join_profile(story, item, when, packed, vector, title_vector, headline)
            self._keep_full(member, features)  # (it is likely compared soon)
        linked, gone = self._link(story, features, new)
        if linked is not story:  # its story went into an older one of its event
            self._join_profile(linked, item, when, packed, vector, title_vector, headline)
            new, story = False, linked
            gone = [sid for sid in gone if sid != item.id]  # (a story never stored)
        merged = (*merged, *gone)
        for copy in reversed(earlier):  # they joined stories before the text was known
            self._furnish(copy, now)  # (latest first: of copies alone together, the first stays)
        if new or earlier:
            self._enforce_cap()
        return Assignment(story.id, new, score, merged, encoded, furniture, earlier)

    def regroup(
        self, item: Item, now: datetime, awaited: Collection[str] = ()
    ) -> Assignment | None:
        """Reconsider a placed item whose text grew (its article page arrived).

        The item's features are replaced by those of its new text everywhere the clusterer
        keeps them (counts, its story's terms, its profile entry), and it is judged as an item
        arriving with that text would be, by the other members of its story whose text is
        final (not by itself, nor by the members in `awaited`, whose page is still to come;
        with no other member to judge it, it stays):
        - if they no longer hold it (its teaser joined on words its text does not bear out)
          and it shares no distinctive name with another of its items, it leaves: it joins
          the story it now matches, or founds one of its own (id from `moved_story_id`); the
          story it left keeps its id and its other items;
        - else, if the members that hold it hold nothing else of the story
          (`GroupLeave._group_apart`), it leaves so, and they go with it (`moved_with`);
        - else, if it now matches another active story, stories are merged into the oldest,
          which keeps its id: an item alone in its story goes where an item arriving with
          its text would (`_place`): into the story it matches best, on a plain match, with
          the others it matches clearly by a link that may merge (`_merge`); an item whose
          story holds others merges it only with a story it matches by `merge_margin` (the
          rule `assign` follows for a second story).
        Returns None when the item is not in the active window, else where it is now.
        """
        known = self._placed(item.id)
        story = self._stories.get(known[0]) if known else None
        if known is None or story is None:
            return None
        features = item_features(item, self.settings.text_tokens)
        if self._refeature(story, item.id, features):  # the page held furniture, no article
            earlier = self._repeats.earlier(features)
            for copy in reversed(earlier):
                self._furnish(copy, now)
            where = self._furnish(item.id, now) or story.id  # it leaves a story of others
            return Assignment(where, False, known[1], (), encode(features), True, earlier)
        vector, title_vector = self._counts.vectors(features, item.outlet)
        when = min(item.published or now, now)
        has_text = len(features.text) >= self.settings.min_text_terms
        alone = len(story.log) == 1 and story.log[0][0] == item.id
        # Its story judges it by the members whose text is final: not by itself, nor by
        # teasers whose own page is still to come (a teaser cannot vouch for an article).
        aside = {item.id, *awaited}
        judges = any(m.id not in aside for m in story.profile_members())
        ranked = self._rank_aside(
            story, aside, vector, title_vector, when, now, item.outlet, features, has_text
        )
        others = [r for r in ranked if r[2] != story.id]
        held = alone or not judges or _held_by(story, ranked)
        if not held and not self._names_shared(story, item.id, features):
            return self._move(story, item, features, when, now, others)
        if held and not alone and judges:  # held, but maybe only by a group of its own
            group = self._group_apart(story, item.id, features, item.outlet, when, now, awaited)
            if group:
                return self._move_group(story, item, features, when, now, others, group)
        if alone:  # it goes where an item arriving with this text would (`_place`)
            clear = [others[0][2], *self._clear(others[1:])] if others and others[0][0] >= 0 else []
        else:
            need = self.settings.merge_margin
            clear = [sid for margin, _, sid, folds in others if margin >= need and folds]
        merged: list[str] = []
        if clear:
            story, folded = self._fold([story, *(self._stories[sid] for sid in clear)])
            merged.extend(folded)
            story.last_seen = max(story.last_seen, now)
            self._vouch(story, item, features, when, vector, title_vector)
        linked, gone = self._link(story, features)
        if linked is not story:
            self._vouch(linked, item, features, when, vector, title_vector)
        merged.extend(gone)
        return Assignment(linked.id, False, known[1], tuple(merged), encode(features))

    def _vouch(
        self,
        story: ActiveStory,
        item: Item,
        features: Features,
        when: datetime,
        vector: Vector,
        title_vector: Vector,
    ) -> None:
        """Make a regrouped item one of the profile of the story it is now in, as a joiner
        is, unless it is already (or a multi-topic item)."""
        profile = [m.id for m in story.profile_members()]
        if item.id not in profile and not features.multi:  # it vouches as a joiner does
            self._join_profile(story, item, when, pack(features), vector, title_vector)

    def _names_shared(self, story: ActiveStory, item_id: str, features: Features) -> bool:
        """Whether the item names a distinctive person, place or organisation that another
        item of its story names too (`event_links.shares_a_name`)."""
        return any(
            shares_a_name(features, unpack(packed), self._counts)
            for other, packed, _, _ in story.log
            if other != item_id
        )

    def _move(
        self,
        story: ActiveStory,
        item: Item,
        features: Features,
        when: datetime,
        now: datetime,
        others: list[Link],
    ) -> Assignment:
        """Take a regrouped item out of a story its text does not belong to, into the story
        it now matches (merging as `assign` does) or into a new one."""
        self._detach(story, item.id)
        vector, title_vector = self._counts.vectors(features, item.outlet)
        new_id = moved_story_id(item.id, story.id)
        target, score, merged, new = self._place(others, new_id, now)
        packed = self._record(target, item, features, when, now, score)
        headline = self._headline(item.title, features.title)
        if not features.multi:
            self._join_profile(target, item, when, packed, vector, title_vector, headline)
        linked, gone = self._link(target, features, new)
        if linked is not target:
            self._join_profile(linked, item, when, packed, vector, title_vector, headline)
            new, target = False, linked
            gone = [sid for sid in gone if sid != new_id]
        merged = (*merged, *gone)
        if new:
            self._enforce_cap()
        return Assignment(target.id, new, score, merged, encode(features))

    def _move_group(
        self,
        story: ActiveStory,
        item: Item,
        features: Features,
        when: datetime,
        now: datetime,
        others: list[Link],
        group: list[ProfileMember],
    ) -> Assignment:
        """`_move` the item, and the members of its group (`GroupLeave._group_apart`) after
        it, into the story it now belongs to."""
        moved = self._move(story, item, features, when, now, others)
        target = self._stories.get(moved.story_id)
        if (
            target is None
            or target is story
            or story.id in moved.merged
            or self._stories.get(story.id) is not story
        ):
            return moved  # (the story it left and the one it went to are one again)
        members = set(story.members)
        along = [m for m in group if m.id in members]
        for member in along:
            self._move_along(story, member, target, now)
        return replace(moved, moved_with=tuple(m.id for m in along))

    def _holds(
        self,
        story: ActiveStory,
        aside: Collection[str],
        features: Features,
        outlet: str,
        when: datetime,
        now: datetime,
    ) -> bool:
        vector, title_vector = self._counts.vectors(features, outlet)
        has_text = len(features.text) >= self.settings.min_text_terms
        ranked = self._rank_aside(
            story, aside, vector, title_vector, when, now, outlet, features, has_text
        )
        return _held_by(story, ranked)

    def _rank_aside(
        self,
        story: ActiveStory,
        aside: Collection[str],
        vector: Vector,
        title_vector: Vector,
        when: datetime,
        now: datetime,
        outlet: str,
        features: Features,
        has_text: bool,
    ) -> list[Link]:
        """`_rank` an item of `story` (no headline) with the story matched through its
        profile members not in `aside` only; its own story is not another that holds its
        terms (`_held`)."""
        own_terms = self._held(story)
        snapshot = self._set_aside(story, aside)
        ranked = self._rank(
            vector, title_vector, when, now, outlet, features, has_text, None, own_terms
        )
        self._put_back(story, snapshot)
        return ranked

    def _place(
        self, ranked: list[Link], new_id: str, now: datetime
    ) -> tuple[ActiveStory, float, tuple[str, ...], bool]:
        """Where an item goes given its ranked stories: the best clearing its margin (merged
        with the others that do, see `_merge`), else a new story `new_id`; with its score,
        the stories merged and whether the story is new."""
        if ranked and ranked[0][0] >= 0:
            _, score, best, _ = ranked[0]
            story, merged = self._merge(self._stories[best], ranked[1:])
            return story, score, merged, False
        score = max((s for _, s, _, _ in ranked), default=0.0)
        return self._new_story(new_id, now), score, (), True

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
        held: AbstractSet[str] = frozenset(),
    ) -> list[Link]:
        """(margin, score, story id, whether the link may merge the story into another) of
        each story with a matching member, best first. A link between two texts that rests
        on one name (`event_links.rests_on_a_name`) never merges, unless
        `merge_on_one_name`. `held`: the terms of the item's own story, when it has one (a
        regroup)."""
        s = self.settings
        terms = vector.keys() | title_vector.keys()
        counts = self._counts
        # Fewer shared terms suffice on the headline route (an item or member without text).
        short = min(s.min_shared_terms, s.headline_shared_terms)
        hits = self._hits(terms, short)
        candidates = [
            m
            for m, n in hits.items()
            if n >= short
            and (n >= s.min_shared_terms or not (has_text and len(m.packed[1]) >= s.min_text_terms))
        ]
        if len(candidates) > s.max_candidates:
            candidates.sort(key=lambda m: (-hits[m], m.id))
            candidates = candidates[: s.max_candidates]
        cutoff, began = now - s.active_window, now - s.max_span
        cjk = bool(candidates) and terms_hold_cjk(features)  # (its shared terms: `enough_pieces`)
        # a dated headline's template: another issue of its series is never its story
        issue = issue_key(headline.text) if headline is not None and candidates else None
        explains = headline is not None and bool(candidates) and is_explainer(headline.text)
        best: dict[str, tuple[float, float]] = {}
        # a story only the item's outlet covers: its best link without that margin, and how
        # many of its members share with the item a name only the story holds
        unowed: dict[str, tuple[float, float]] = {}
        vouching: dict[str, int] = {}
        folding: set[str] = set()  # stories a link may merge into another
        # the item's cosine with each story's profile, once a story (its profile holds
        # still while the item is ranked: ~40% of the look-ups are a story's second member)
        on_profiles: dict[str, tuple[float, Vector]] = {}
        for member in candidates:
            story = member.story
            if (
                not story.open
                or story.last_seen < cutoff
                or story.began < began
                or abs(when - member.when) > s.max_gap
            ):
                continue
            if issue is not None and other_issues(issue, member.headline_text):
                continue
            member_vector, member_title = self._member_vectors(member)
            both_text = has_text and len(member.packed[1]) >= s.min_text_terms
            margin: float | None = None
            score = 0.0
            leans = False  # the link rests on one name (then it may not merge)
            if (
                hits[member] >= s.min_shared_terms
                and (
                    not cjk
                    or enough_pieces(
                        features, self._full_features(member), counts, s.min_shared_terms
                    )
                )
            ) and (
                (
                    (
                        counts.shares_event(terms, member_vector, member_title)
                        or (
                            not both_text
                            and headlines_share_what(
                                features, self._full_features(member), counts, s.min_shared_terms
                            )
                        )
                    )
                    and (
                        names_what_happened(
                            features, self._full_features(member), counts, s.unanchored_terms
                        )
                        or shares_own_terms(features, self._full_features(member), counts, s, held)
                    )
                )
                or (
                    headline is not None
                    and member.headline is not None
                    and abs(when - member.when) <= s.separate_names_gap
                    and several_named(
                        headline.text,
                        member.headline.text,
                        features,
                        self._full_features(member),
                        counts,
                        s.separate_names,
                    )
                )
            ):
                full, matched = dot(vector, member_vector), member_vector
                if story.founder is None or abs(when - story.founder.when) <= s.max_gap:
                    # the profile holds the founder: it speaks only within the founder's time
                    found = on_profiles.get(story.id)
                    if found is None:
                        profile = self._profile_vector(story)
                        found = on_profiles[story.id] = (dot(vector, profile), profile)
                    if found[0] > full:
                        full, matched = found
                # (asked only while it can matter: a story another of its members linked
                # without leaning may merge whatever this link rests on)
                leans = both_text and not s.merge_on_one_name and story.id not in folding
                leans = leans and rests_on_a_name(
                    vector, matched, counts, s.threshold, features.title
                )
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
            theirs = self._full_features(member)
            # the distinctive terms the two share, read by two checks below
            shared = counts.distinct(features.unique & theirs.unique)
            if headline is not None and not self._stands_for(story, member, features, shared):
                continue
            if not leans:
                folding.add(story.id)
            late = max(abs(when - member.when) - _HALF_DAY, timedelta(0)) / timedelta(days=1)
            owed = 0.0  # the same-outlet margin, unless the story's own names waive it
            own = story.only_from(outlet)
            if own and not shares_a_figure(
                features, self._full_features(member), counts, s.same_outlet_figure_digits
            ):
                owed = s.same_outlet_margin + s.same_outlet_daily_margin * late
                if shares_own_name(features, self._full_features(member), counts, held):
                    vouching[story.id] = vouching.get(story.id, 0) + 1
            if features.multi:
                margin -= s.multi_topic_margin
            if explains or is_explainer(member.headline_text):  # a piece around a topic
                margin -= s.explainer_margin
            margin -= names_margin(features, theirs, counts, s, late, own, shared)
            if owed and (story.id not in unowed or (margin, score) > unowed[story.id]):
                unowed[story.id] = (margin, score)
            margin -= owed
            if story.id not in best or (margin, score) > best[story.id]:
                best[story.id] = (margin, score)
        for sid, members in vouching.items():
            if s.same_outlet_own_names and members >= s.same_outlet_own_names:
                best[sid] = max(best[sid], unowed[sid])
        ranked = [(m, sc, sid, sid in folding) for sid, (m, sc) in best.items()]
        ranked.sort(key=lambda r: (-r[0], -r[1], r[2]))
        return ranked

    def _stands_for(
        self,
        story: ActiveStory,
        member: ProfileMember,
        features: Features,
        shared: Sequence[str] | None = None,
    ) -> bool:
        """Whether a profile member may stand for its story in a link to an arriving item with
        these features: the founder always, a later member through what it shares with the
        rest of the profile (`event_links.stands_for_story`). A regroup (no headline) is not
        asked: there the item's own story judges its whole text (asked there, the pipeline
        bench's grouping lost precision)."""
        if member is story.founder:
            return True
        rest = (self._full_features(m) for m in story.profile_members() if m is not member)
        return stands_for_story(features, self._full_features(member), rest, self._counts, shared)

    def _hits(self, terms: Iterable[str], least: int) -> dict[ProfileMember, int]:
        """Profile members filed under at least `least` of `terms` → how many, counting only
        distinctive terms on at most `max_postings` members.

        Postings run long (up to `max_postings` members each) and nearly every member met shares
        one term only, so the members of each posting seen in an earlier one are found with a
        set operation (no visit of each member in Python), and only those are counted. The
        longest posting goes first (it seeds the set: no look-up of its members) and the
        shortest last (only looked up: no insertion). A `Crowd` is longer than `max_postings`
        (the window's index lists every entry of up to that many members)."""
        index, sdf = self._index, self._counts.sdf
        distinct, longest = self._counts.distinct_limit(), self.settings.max_postings
        postings: list[Collection[ProfileMember]] = []
        for term in terms:
            posting = index.get(term)
            if posting is None:
                continue
            kind = type(posting)
            if kind is ProfileMember:  # filed alone (see aggregator.profile_index)
                if sdf[term] <= distinct:
                    postings.append((posting,))  # type: ignore[arg-type]
            elif kind is not Crowd and len(posting) <= longest and sdf[term] <= distinct:  # type: ignore[arg-type]
                postings.append(posting)  # type: ignore[arg-type]
        if least < 2:
            return Counter(chain.from_iterable(postings))
        if len(postings) < 2:
            return {}
        postings.sort(key=len, reverse=True)
        seen = set(postings[0])
        again: list[ProfileMember] = []  # a member once for each posting it is in, less one
        for members in islice(postings, 1, len(postings) - 1):
            if common := seen.intersection(members):
                again.extend(common)
            seen.update(members)
        again.extend(seen.intersection(postings[-1]))
        if not again:
            return {}
        repeats: dict[ProfileMember, int] = {}  # (a plain dict: a Counter's update checks first)
        _count_elements(repeats, again)
        return {m: n + 1 for m, n in repeats.items() if n + 1 >= least}

    # --- merging ----------------------------------------------------------------------------

    def _merge(self, best: ActiveStory, others: list[Link]) -> tuple[ActiveStory, tuple[str, ...]]:
        """Fold the stories the item also matches clearly, by a link that may merge, into the
        oldest of them. A story of one item needs less: the item vouches for it on its own,
        where a grown story would bring members the item never saw."""
        clear = self._clear(others)
        if not clear:
            return best, ()
        return self._fold([best, *(self._stories[sid] for sid in clear)])

    def _clear(self, others: list[Link]) -> list[str]:
        """The stories of `others` that an item placed elsewhere matches clearly enough, by a
        link that may merge, to bring them along (`_merge`)."""
        s = self.settings
        return [
            sid
            for margin, _, sid, folds in others
            if folds
            and (
                margin >= s.merge_margin
                or (margin >= s.merge_single_margin and len(self._stories[sid].log) == 1)
            )
        ]

    def join(
        self, story_ids: Collection[str], now: datetime, titles: Mapping[str, str]
    ) -> tuple[str, tuple[str, ...]]:
        """The operator's join (`Withheld.joins`): fold the active stories of `story_ids`
        (two or more) into the oldest, as a merge of grouping's own would; its id, and the
        ids merged away. Unlike such a merge (which an item makes, and joins), each story's
        reports go on standing for the one they are now: its profile is made again from all
        of them, founder and latest in time, as a restored story's is (`titles`: its items'
        titles, by id)."""
        story, merged = self._fold([self._stories[sid] for sid in dict.fromkeys(story_ids)])
        story.last_seen = max(story.last_seen, now)
        story.log.sort(key=lambda entry: entry[3])
        self._rebuild_profile(story, titles)
        return story.id, merged

    def _fold(self, group: list[ActiveStory]) -> tuple[ActiveStory, tuple[str, ...]]:
        """Merge the stories of `group` into the oldest of them; it, and the ids merged away.
        When the oldest was never published and another was, the story goes on by the
        oldest published one's id (`published`): readers had that one."""
        oldest = min(group, key=ActiveStory.age)
        shown = [s.id for s in sorted(group, key=ActiveStory.age) if s.id in self.published]
        merged = []
        for story in group:
            if story is not oldest:
                self._absorb(oldest, story)
                merged.append(story.id)
        if shown and oldest.id not in self.published:
            merged[merged.index(shown[0])] = oldest.id
            self._rename(oldest, shown[0])
        return oldest, tuple(merged)


def _held_by(story: ActiveStory, ranked: list[Link]) -> bool:
    """Whether `story` holds the item these links rank (matches it with no negative margin)."""
    return any(sid == story.id and margin >= 0 for margin, _, sid, _ in ranked)


def _item_time(item: Item, default: datetime) -> datetime:
    return item.published or item.first_seen or default


def cluster_stream(
    items: Iterable[Item],
    settings: ClusterSettings,
    embedder: HeadlineEmbedder | None = None,
) -> dict[str, str]:
    """Cluster a batch the way the poller would: in `published` order, `now` = item time.

    Items with `duplicate_of` get their original's story, and follow it when it moves (an
    earlier copy found to be furniture leaves its story). Returns item id → story id.
    """
    clusterer = Clusterer(settings, embedder)
    result: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    copies: dict[str, list[str]] = {}  # original → its duplicates
    last_expire: datetime | None = None
    for item in sorted(items, key=lambda i: (_item_time(i, EPOCH), i.id)):
        now = _item_time(item, EPOCH)
        if last_expire is None or now - last_expire >= settings.expire_every:
            clusterer.expire(now)
            last_expire = now
        if item.duplicate_of is not None and item.duplicate_of in result:
            story_id = result[item.duplicate_of]
            copies.setdefault(item.duplicate_of, []).append(item.id)
        else:
            assignment = clusterer.assign(item, now)
            story_id = assignment.story_id
            for old in assignment.merged:
                for moved in members.pop(old, []):
                    result[moved] = story_id
                    members.setdefault(story_id, []).append(moved)
            for copy in assignment.earlier_furniture:
                moved_to = clusterer.story_of(copy)
                left = result.get(copy)
                if moved_to is None or left is None or moved_to == left:
                    continue
                going = {copy, *copies.get(copy, ())}
                members[left] = [i for i in members[left] if i not in going]
                for moved in sorted(going):
                    result[moved] = moved_to
                    members.setdefault(moved_to, []).append(moved)
        result[item.id] = story_id
        members.setdefault(story_id, []).append(item.id)
    return result
