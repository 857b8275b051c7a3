"""Items found to be a page's furniture after they were placed leave the story they joined.

A text is known to be furniture (an archive notice, a consent banner: aggregator.boilerplate)
only once its third copy arrives, and an article page can turn out to be furniture only once
it is fetched. By then the earlier copies, or the teaser, may have joined a story of real
news, where they would keep standing for it (as profile members, and in its terms) although
they say nothing of its event. `FurnitureMoves._furnish` takes such an item out: it becomes
a multi-topic item (never a profile member, never counted by story links) in a story of its
own, which nothing joins. The story it left keeps its id and its other items (the rule of a
regrouped item that leaves, see `Clusterer.regroup`); an item alone in its story stays there,
so no story empties. A restored window (`restore`) treats the items the store marked as
furniture the same way. Pure: time comes in as `now`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from .active_story import ActiveStory
from .features import Features, unpack
from .models import Item
from .story_links import StoryLinks

__all__ = ["FurnitureMoves", "moved_story_id"]


def moved_story_id(item_id: str, left: str) -> str:
    """The id of the story an item founds when it leaves story `left` (see
    `Clusterer.regroup` and `FurnitureMoves._furnish`): not the item's own id, which may be
    the id of the story it left."""
    digest = hashlib.sha1(f"{item_id}\x1f{left}".encode(), usedforsecurity=False)
    return digest.hexdigest()[:16]


class FurnitureMoves(StoryLinks):
    """Takes items found to be furniture out of the stories they joined."""

    def restore(
        self,
        items: Iterable[Item],
        terms: Mapping[str, str] | None = None,
        began: Mapping[str, datetime] | None = None,
        *,
        take: bool = False,
    ) -> None:
        """`StoryWindow.restore`, then each item the store marked as furniture, or as set
        apart, stands so in the story the store keeps it in (`_furnish_in_place`)."""
        items = list(items)
        super().restore(items, terms, began, take=take)
        for item in items:
            story = self._active_story_of(item.id) if item.furniture or item.apart else None
            if story is not None:
                self._furnish_in_place(story, item.id)

    def stand_apart(self, item_id: str, now: datetime) -> str | None:
        """The operator set an active item apart from its story (`Withheld.apart`): it
        leaves for a story of its own that nothing joins, as furniture does (`_furnish`),
        and is published there. The story it is in after; None when it is not active."""
        return self._furnish(item_id, now)

    def _furnish(self, item_id: str, now: datetime) -> str | None:
        """Make an active item furniture: a multi-topic item that stands for no story. If
        its story holds others, it leaves it for a story of its own (`moved_story_id`), which
        nothing joins; else it stays. The story it is in after, or None when the item is not
        in the active window."""
        story = self._active_story_of(item_id)
        if story is None:
            return None
        new_id = moved_story_id(item_id, story.id)
        if len(story.log) == 1 or new_id in self._stories:
            self._furnish_in_place(story, item_id)
            return story.id
        features, outlet, when, score = self._take_out(story, item_id)
        own = self._new_story(new_id, now)
        features = replace(features, multi=True)
        self._record(own, Item(id=item_id, title="", outlet=outlet), features, when, now, score)
        return own.id

    def _take_out(self, story: ActiveStory, item_id: str) -> tuple[Features, str, datetime, float]:
        """`_detach` an active item from `story`, for the caller to book into another: its
        features, outlet, publication time and score, as the story kept them."""
        _, packed, outlet, when = next(entry for entry in story.log if entry[0] == item_id)
        score = self._item_score.get(item_id, 0.0)
        self._detach(story, item_id)
        return unpack(packed), outlet, when, score

    def _active_story_of(self, item_id: str) -> ActiveStory | None:
        known = self._item_story.get(item_id)
        return self._stories.get(known) if known else None

    def _furnish_in_place(self, story: ActiveStory, item_id: str) -> None:
        """Make an item of `story` multi-topic where it is: out of its profile (made again
        from its log when it was the founder); a story of such items only is closed."""
        at = next(n for n, entry in enumerate(story.log) if entry[0] == item_id)
        _, packed, outlet, when = story.log[at]
        if packed[4]:
            return
        title, text, names, title_case, _ = packed
        story.log[at] = (item_id, (title, text, names, title_case, True), outlet, when)
        if any(m.id == item_id for m in story.profile_members()):
            self._set_aside(story, (item_id,))
            if story.founder is None:  # it was the founder: the profile is made again
                titles = {m.id: m.headline.text for m in story.recent if m.headline}
                self._rebuild_profile(story, titles)
        story.open = any(not entry[1][4] for entry in story.log)
