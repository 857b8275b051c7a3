"""Incremental story clustering with stable ids. Pure: time comes in as `now`.

Single pass: each item becomes a TF-IDF vector of its title and the first tokens of its text
(optionally title tokens and title bigrams weighted up; kept to its heaviest terms) and joins the
active story whose centroid is most cosine-similar, if that similarity clears a threshold;
otherwise it founds a new story whose id is the item's id. Headline-only items have a lower
threshold of their own (short vectors score lower), and young stories ask a little more
(`young_margin / size`), so early drift can't glue two events together.

Document frequencies are counted over the items of the active window only, so the state after
`restore()` of the active window matches the state of a process that never stopped, and cost and
memory grow with the active window, never with total history. Candidate stories come from an
inverted index token → stories; tokens with huge posting lists only re-score candidates found
through rarer tokens, so one common word can't make an item scan every story.

Seam for later: merging two stories (keep the older id, record the merge) belongs here, on top of
`_Story`; ids returned by `assign` must keep working after a merge.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aggregator.models import Item
from aggregator.text import tokens

__all__ = ["Assignment", "ClusterSettings", "Clusterer", "cluster_stream", "item_features"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    """Knobs of the clusterer; defaults are tuned on the dev data (see bench/cluster_eval.py)."""

    threshold: float = 0.25  # minimum cosine (after decay) to join a story, items with text
    headline_threshold: float = 0.08  # the same for headline-only items (short vectors)
    young_margin: float = 0.05  # a story of n items asks threshold + young_margin / n
    min_shared_terms: int = 2  # an item with text shares at least this many terms with its story
    same_outlet_margin: float = 0.10  # extra asked to join a story only the item's outlet covers
    active_window: timedelta = timedelta(days=3)  # a story quiet this long accepts no items
    max_active: int = 50_000  # cap on active stories; the quietest are dropped first
    title_weight: float = 1.0  # weight of a title token relative to a text token
    bigram_weight: float = 0.0  # weight of a title bigram ("ban_bossy")
    text_tokens: int = 250  # how many leading tokens of the text are used
    min_text_words: int = 15  # items with less text than this are treated as headline-only
    decay_half_life: timedelta | None = None  # halve a story's score per this much quiet time
    vector_terms: int = 40  # an item vector keeps its heaviest terms only
    centroid_terms: int = 150  # a story centroid keeps its heaviest terms (pruned at twice this)
    max_postings: int = 2_000  # terms in more stories than this find no candidates
    expire_every: timedelta = timedelta(hours=1)  # how often cluster_stream calls expire()


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where `assign` put an item.

    `score` is the similarity to the story joined or, for a new story, to the best story
    rejected (0.0 when there was no candidate).
    """

    story_id: str
    new_story: bool
    score: float


@dataclass(slots=True)
class _Story:
    id: str
    last_seen: datetime
    centroid: dict[str, float] = field(default_factory=dict)  # sum of unit item vectors
    norm2: float = 0.0  # squared length of centroid
    df: Counter[str] = field(default_factory=Counter)  # members containing each term
    members: list[str] = field(default_factory=list)
    outlets: set[str] = field(default_factory=set)


def item_features(item: Item, settings: ClusterSettings) -> dict[str, float]:
    """Raw term weights of an item: title tokens and bigrams weighted up, leading text tokens."""
    features: dict[str, float] = {}
    title = tokens(item.title)
    for tok in title:
        features[tok] = features.get(tok, 0.0) + settings.title_weight
    if settings.bigram_weight > 0:
        for left, right in itertools.pairwise(title):
            key = f"{left}_{right}"
            features[key] = features.get(key, 0.0) + settings.bigram_weight
    if settings.text_tokens > 0 and item.text:
        # Cut the text before tokenising all of it: ~12 characters per content token.
        head = item.text[: settings.text_tokens * 12]
        for tok in tokens(head)[: settings.text_tokens]:
            features[tok] = features.get(tok, 0.0) + 1.0
    return features


class Clusterer:
    """Holds the active stories and assigns items to them, one at a time."""

    def __init__(self, settings: ClusterSettings = ClusterSettings()) -> None:
        self.settings = settings
        self._stories: dict[str, _Story] = {}
        self._index: dict[str, set[str]] = {}  # term → ids of active stories holding it
        self._df: Counter[str] = Counter()  # term → active items containing it
        self._n_items = 0
        self._item_story: dict[str, tuple[str, float]] = {}  # active item id → (story, score)

    # --- state ------------------------------------------------------------------------------

    @property
    def active_stories(self) -> int:
        """Number of stories still accepting items."""
        return len(self._stories)

    def story_of(self, item_id: str) -> str | None:
        """The story of an item of the active window, if any."""
        found = self._item_story.get(item_id)
        return found[0] if found else None

    def restore(self, items: Iterable[Item]) -> None:
        """Rebuild state from stored items that already have a story (the active window).

        Items without `story_id`, or with `duplicate_of` set, are ignored.
        """
        kept = [i for i in items if i.story_id and i.duplicate_of is None]
        # first_seen first: it is the `now` the poller passed when it assigned the item.
        for item in sorted(kept, key=lambda i: (_seen_time(i), i.id)):
            if item.id in self._item_story:
                continue
            story_id = item.story_id or item.id
            features = item_features(item, self.settings)
            self._count(features)
            vector = self._vector(features)
            story = self._stories.get(story_id)
            when = _seen_time(item)
            if story is None:
                story = self._new_story(story_id, when)
            score = self._cosine(vector, story)
            self._add(story, item.id, features, vector, when, score, item.outlet)

    # --- decisions --------------------------------------------------------------------------

    def assign(self, item: Item, now: datetime) -> Assignment:
        """Put `item` in the best active story or found a new one (id = `item.id`).

        Idempotent: an item already placed gets the same story back.
        """
        known = self._item_story.get(item.id)
        if known is not None:
            return Assignment(known[0], False, known[1])
        if item.story_id is not None:
            story = self._stories.get(item.story_id)
            if story is not None:  # placed before, but not seen by this clusterer: adopt it
                features = item_features(item, self.settings)
                self._count(features)
                vector = self._vector(features)
                score = self._cosine(vector, story)
                self._add(story, item.id, features, vector, now, score, item.outlet)
                return Assignment(story.id, False, score)
            return Assignment(item.story_id, False, 0.0)

        features = item_features(item, self.settings)
        self._count(features)
        vector = self._vector(features)
        s = self.settings
        text_len = len(item.text[: s.min_text_words * 20].split())
        has_text = text_len >= s.min_text_words
        threshold = s.threshold if has_text else s.headline_threshold
        min_shared = s.min_shared_terms if has_text else 1
        best, score = self._best_story(vector, now, threshold, item.outlet, min_shared)
        if best is not None:
            self._add(best, item.id, features, vector, now, score, item.outlet)
            return Assignment(best.id, False, score)
        story = self._new_story(item.id, now)
        self._add(story, item.id, features, vector, now, score, item.outlet)
        self._enforce_cap()
        return Assignment(story.id, True, score)

    def expire(self, now: datetime) -> None:
        """Drop stories quiet for longer than the active window; they accept no more items."""
        cutoff = now - self.settings.active_window
        for story in [s for s in self._stories.values() if s.last_seen < cutoff]:
            self._drop(story)

    # --- internals --------------------------------------------------------------------------

    def _count(self, features: dict[str, float]) -> None:
        self._n_items += 1
        self._df.update(features.keys())

    def _vector(self, features: dict[str, float]) -> dict[str, float]:
        n = self._n_items
        df = self._df
        vector = {t: w * (math.log((n + 1) / (df[t] + 1)) + 1.0) for t, w in features.items()}
        if len(vector) > self.settings.vector_terms:
            top = sorted(vector.items(), key=lambda tv: (-tv[1], tv[0]))
            vector = dict(top[: self.settings.vector_terms])
        norm = math.sqrt(sum(v * v for v in vector.values()))
        return {t: v / norm for t, v in vector.items()} if norm > 0 else {}

    @staticmethod
    def _cosine(vector: dict[str, float], story: _Story) -> float:
        if story.norm2 <= 0:
            return 0.0
        centroid = story.centroid
        dot = sum(v * centroid.get(t, 0.0) for t, v in vector.items())
        return dot / math.sqrt(story.norm2)

    def _best_story(
        self,
        vector: dict[str, float],
        now: datetime,
        threshold: float,
        outlet: str = "",
        min_shared: int = 1,
    ) -> tuple[_Story | None, float]:
        stories, index, cap = self._stories, self._index, self.settings.max_postings
        dots: dict[str, float] = {}
        shared: dict[str, int] = {}
        common: list[tuple[str, float]] = []
        for term, weight in vector.items():
            posting = index.get(term)
            if not posting:
                continue
            if len(posting) > cap:  # too common to find candidates; still counts for them
                common.append((term, weight))
                continue
            for sid in posting:
                dots[sid] = dots.get(sid, 0.0) + weight * stories[sid].centroid[term]
                shared[sid] = shared.get(sid, 0) + 1
        for term, weight in common:
            for sid in dots:
                value = stories[sid].centroid.get(term, 0.0)
                if value:
                    dots[sid] += weight * value
                    shared[sid] += 1

        cutoff = now - self.settings.active_window
        half_life = self.settings.decay_half_life
        young = self.settings.young_margin
        best: _Story | None = None
        best_score = best_margin = -math.inf
        for sid in sorted(dots):  # sorted: ties resolve the same way on every run
            story = stories[sid]
            if story.last_seen < cutoff or shared[sid] < min_shared:
                continue
            score = dots[sid] / math.sqrt(story.norm2)
            if half_life is not None and now > story.last_seen:
                score *= 0.5 ** ((now - story.last_seen) / half_life)
            margin = score - (threshold + young / len(story.members))
            if outlet and story.outlets == {outlet}:
                margin -= self.settings.same_outlet_margin
            if margin > best_margin:
                best, best_score, best_margin = story, score, margin
        if best is None or best_margin < 0:
            return None, max(best_score, 0.0)
        return best, best_score

    def _new_story(self, story_id: str, when: datetime) -> _Story:
        story = _Story(id=story_id, last_seen=when)
        self._stories[story_id] = story
        return story

    def _add(
        self,
        story: _Story,
        item_id: str,
        features: dict[str, float],
        vector: dict[str, float],
        when: datetime,
        score: float,
        outlet: str = "",
    ) -> None:
        centroid = story.centroid
        dot = 0.0
        for term, value in vector.items():
            old = centroid.get(term)
            if old is None:
                centroid[term] = value
                self._index.setdefault(term, set()).add(story.id)
            else:
                dot += old * value
                centroid[term] = old + value
        story.norm2 += 2.0 * dot + sum(v * v for v in vector.values())
        if len(centroid) > 2 * self.settings.centroid_terms:
            self._prune(story)
        story.df.update(features.keys())
        story.members.append(item_id)
        if outlet:
            story.outlets.add(outlet)
        story.last_seen = max(story.last_seen, when)
        self._item_story[item_id] = (story.id, score)

    def _prune(self, story: _Story) -> None:
        """Keep a centroid's heaviest terms: bounds postings and scoring cost per story."""
        ranked = sorted(story.centroid.items(), key=lambda tv: (-tv[1], tv[0]))
        for term, _ in ranked[self.settings.centroid_terms :]:
            posting = self._index[term]
            posting.discard(story.id)
            if not posting:
                del self._index[term]
        story.centroid = dict(ranked[: self.settings.centroid_terms])
        story.norm2 = sum(v * v for v in story.centroid.values())

    def _drop(self, story: _Story) -> None:
        del self._stories[story.id]
        for term in story.centroid:
            posting = self._index.get(term)
            if posting is not None:
                posting.discard(story.id)
                if not posting:
                    del self._index[term]
        self._df.subtract(story.df)
        for term in story.df:
            if self._df[term] <= 0:
                del self._df[term]
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
        result[item.id] = clusterer.assign(item, now).story_id
    return result
