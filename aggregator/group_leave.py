"""Items that hold each other but nothing else of their story leave it together.

A regrouped item leaves a story none of whose other members holds its article text
(`Clusterer.regroup`). That rule is per item, so two reports of one event that joined another
event's story on their teasers (two lottery jackpot reports under another winner's story, two
murder cases' reports under a third case's) never leave: once both texts are in, each holds
the other. `GroupLeave._group_apart` judges such a group as one: the members that hold the
regrouped item are its group, and the group leaves when the story's other members whose text
is final hold neither the item nor any of its group, and neither names a distinctive person,
place or organisation that an item left behind names too (`event_links.shares_a_name`). The
group follows the item to the story it moves to (`Clusterer._move_group`); the story it left
keeps its id and its other items. Pure: time comes in as `now`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from .active_story import ActiveStory, ProfileMember
from .event_links import shares_a_name
from .features import Features, unpack
from .furniture_moves import FurnitureMoves
from .models import Item

__all__ = ["GroupLeave"]


class GroupLeave(FurnitureMoves):
    """Finds the group of items a regrouped item leaves its story with, and moves each of
    them after it (`_move_along`)."""

    def _holds(
        self,
        story: ActiveStory,
        aside: Collection[str],
        features: Features,
        outlet: str,
        when: datetime,
        now: datetime,
    ) -> bool:
        """Whether `story`, matched through its profile members not in `aside`, holds an
        item with these features (`Clusterer` ranks it)."""
        raise NotImplementedError

    def _group_apart(
        self,
        story: ActiveStory,
        item_id: str,
        features: Features,
        outlet: str,
        when: datetime,
        now: datetime,
        awaited: Collection[str],
    ) -> list[ProfileMember]:
        """The members of `story` that hold the regrouped item and leave with it, or [] when
        the item stays. Judges are the profile members whose text is final (not the item,
        not those in `awaited`); the group is the judges that hold the item on their own. It
        leaves when the other judges (at least one) hold neither the item nor any of the
        group, and neither the item nor any of the group shares a distinctive name with an
        item of the story outside it (asked first of the judges: when each shares one with
        the item, some judge would stay behind sharing it, so nothing else is ranked)."""
        profile = story.profile_members()
        settled = [m for m in profile if m.id != item_id and m.id not in awaited]
        if len(settled) < 2:
            return []
        counts = self._counts
        if all(shares_a_name(features, self._full_features(m), counts) for m in settled):
            return []  # (whatever its group, an item left behind would share a name with it)
        ids = {m.id for m in settled}
        unsettled = {m.id for m in profile} - ids
        group = [
            m
            for m in settled
            if self._holds(story, (ids - {m.id}) | unsettled, features, outlet, when, now)
        ]
        rest = [m for m in settled if m not in group]
        if not group or not rest:
            return []
        aside = {item_id, *unsettled, *(m.id for m in group)}
        members = [(m.outlet, m.when, self._full_features(m)) for m in group]
        if any(
            self._holds(story, aside, f, o, w, now)
            for o, w, f in [(outlet, when, features), *members]
        ):
            return []
        going = {item_id, *(m.id for m in group)}
        staying = [unpack(packed) for other, packed, _, _ in story.log if other not in going]
        for mine in [features, *(f for _, _, f in members)]:
            if any(shares_a_name(mine, other, counts) for other in staying):
                return []
        return group

    def _move_along(
        self, story: ActiveStory, member: ProfileMember, target: ActiveStory, now: datetime
    ) -> None:
        """Move a member of `story` into `target` (where the item it holds went), as one of
        its profile; `story` keeps its id and its other items."""
        features, outlet, when, score = self._take_out(story, member.id)
        item = Item(id=member.id, title="", outlet=outlet)
        packed = self._record(target, item, features, when, now, score)
        vector, title_vector = self._counts.vectors(features, outlet)
        self._join_profile(target, item, when, packed, vector, title_vector, member.headline)
