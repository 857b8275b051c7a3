"""Story-to-story links: two pieces of one event found by what their items hold together.

An item joins a story through one profile member at a time, so two stories that each hold
several reports of one event can stay apart when no single pair of their items shares enough
distinctive terms, although the two stories together share many terms no other active story
holds (the event's own names, places and details). When a story changes (an item joins it or
founds it, or an item's article text arrives), `StoryLinks._link` compares it with the few
stories holding `story_link_hits` of the changed item's rarest terms (in at most
`story_link_sdf` active stories, found through the profile index), and merges two when:
- they share `story_link_terms` terms that no third active story holds, each held by at
  least `story_link_share` of either story's items (what the pieces say of their event, not
  what one item of a grown story said in passing: a story does not snowball);
- at least `story_link_event_terms` of those are not names (who alone is never an event),
  and one of them stands in a headline of either story (`story_link_anchor`);
- their items' publication times lie within `max_gap` of each other;
- they are not both one and the same outlet's only (its beat, style and furniture);
- neither is a multi-topic story (live blogs, bulletins and furniture pages found stories
  that are never linked, and their items' terms are not counted).
Below `common_min_stories` active stories no term is rare, and nothing is linked. The older
story keeps its id, as for any merge. Pure: no IO; at most `story_link_candidates` stories
are compared per change.
"""

from __future__ import annotations

from collections import Counter, _count_elements  # type: ignore[attr-defined]
from datetime import datetime

from .active_story import EPOCH, ActiveStory, log_tally
from .cjk_terms import piece_count
from .features import Features
from .story_window import StoryWindow

__all__ = ["StoryLinks"]


class StoryLinks(StoryWindow):
    """Merges two active stories of one event on the terms only they hold."""

    def _link(
        self, story: ActiveStory, features: Features, new: bool = False
    ) -> tuple[ActiveStory, list[str]]:
        """Link `story`, which just took an item with `features`, to the stories of its
        event; the story that holds them all now, and the ids of the stories merged away.
        A `new` story (the item founded it) only goes into an older one: it was never
        published, so nothing may be merged into it."""
        s = self.settings
        if s.story_link_terms <= 0 or features.multi or not story.open:
            return story, []
        if self._counts.n_stories < s.common_min_stories:  # few stories: any term is rare
            return story, []
        index, sdf, most = self._index, self._counts.sdf, s.story_link_sdf
        filed = index.keys() & features.unique  # (only filed terms can find a story)
        rare = [t for t in filed if 1 < sdf[t] <= most]
        if len(rare) < s.story_link_hits:
            return story, []
        found: Counter[ActiveStory] = Counter()
        for term in rare:
            _count_elements(found, {m.story for m in index.members(term)})  # (`update`, unchecked)
        found.pop(story, None)
        candidates = sorted(
            (other for other, n in found.items() if n >= s.story_link_hits and other.open),
            key=lambda other: (-found[other], other.id),
        )
        merged: list[str] = []
        for other in candidates[: s.story_link_candidates]:
            if other.id not in self._stories or (new and _older(story, other)):
                continue
            if self._linked(story, other):
                into, gone = (story, other) if _older(story, other) else (other, story)
                new = False
                self._absorb(into, gone)
                merged.append(gone.id)
                story = into
        return story, merged

    def _linked(self, story: ActiveStory, other: ActiveStory) -> bool:
        """Whether two stories are pieces of one event (see the module's docstring)."""
        s = self.settings
        first, last = _span(story)
        other_first, other_last = _span(other)
        if other_first - last > s.max_gap or first - other_last > s.max_gap:
            return False
        if story.outlets == other.outlets and len(story.outlets) == 1:
            return False  # one outlet's beat, style and furniture
        shared = self._exclusive(story, other)
        if piece_count(shared) < s.story_link_terms:  # (one CJK word's pairs: one term)
            return False
        counts = self._counts
        events = [t for t in shared if not counts.is_name(t)]
        if piece_count(events) < s.story_link_event_terms:
            return False
        if not s.story_link_anchor:
            return True
        return any(t in entry[1][0] for st in (story, other) for entry in st.log for t in events)

    def _exclusive(self, story: ActiveStory, other: ActiveStory) -> set[str]:
        """The terms both stories hold and no other active story does, each held by at least
        `story_link_share` of either story's items (multi-topic items not counted): what the
        pieces say of their event, not what one item of a grown story said in passing."""
        sdf, share = self._counts.sdf, self.settings.story_link_share
        mine, theirs = self._plain_tally(story), self._plain_tally(other)
        least_mine = share * len(story.log)
        least_theirs = share * len(other.log)
        return {
            t
            for t in mine.keys() & theirs.keys()
            if sdf[t] <= 2 and mine[t] >= least_mine and theirs[t] >= least_theirs
        }

    def _plain_tally(self, story: ActiveStory) -> Counter[str]:
        """How many of a story's items that are not multi-topic hold each term."""
        return log_tally(story, plain=True) if _has_multi(story) else self._tally(story)


def _older(story: ActiveStory, other: ActiveStory) -> bool:
    return story.age() <= other.age()


def _span(story: ActiveStory) -> tuple[datetime, datetime]:
    """The earliest and latest publication time of a story's items."""
    times = [when for *_, when in story.log]
    return (min(times), max(times)) if times else (EPOCH, EPOCH)


def _has_multi(story: ActiveStory) -> bool:
    return any(entry[1][4] for entry in story.log)
