"""One grouping pass over stored items: dedupe, then story assignment, then merges.

The poller (`Service`) and the batch command (`aggregator cluster`) both call `group_pending`,
so a labelled file grouped in batch gets the stories the poller would give it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from .cluster import Clusterer
from .dedupe import find_duplicate
from .models import Item
from .store import Store

__all__ = ["group_pending", "regroup_articles"]


def group_pending(
    store: Store, clusterer: Clusterer, now: datetime, pending: Sequence[Item] | None = None
) -> int:
    """Assign every stored item without a story (`pending`, when the caller already read
    them), oldest first; returns how many were assigned.

    An item that is the same article as a stored one (same URL, guid or text, or a wire copy)
    joins the original's story as its duplicate; any other goes through the clusterer.
    """
    clusterer.expire(now)
    count = 0
    with store.transaction():
        if pending is None:
            pending = store.unassigned_items()
        clusterer.observe(pending)
        for item in pending:
            original = find_duplicate(item, store.duplicate_candidates(item))
            if original is not None and original.story_id:
                clusterer.forget(item)
                story_id = clusterer.story_of(original.id) or original.story_id
                store.assign(item, story_id, original.duplicate_of or original.id, now)
            else:
                assignment = clusterer.assign(item, now)
                for absorbed in assignment.merged:
                    store.merge_story(absorbed, assignment.story_id, now)
                store.assign(item, assignment.story_id, None, now, assignment.terms)
            count += 1
    return count


def regroup_articles(store: Store, clusterer: Clusterer, now: datetime) -> int:
    """Let grouping reconsider items whose article text arrived (`Clusterer.regroup`): a
    teaser grouped on its first sentence joins, or merges its story with, the story its full
    text matches. Merges keep the older id and are recorded; returns how many were merged."""
    merges = 0
    while batch := store.articles_to_regroup():
        with store.transaction():
            for item in batch:
                assignment = clusterer.regroup(item, now)
                for absorbed in assignment.merged if assignment else ():
                    store.merge_story(absorbed, assignment.story_id, now)
                    merges += 1
                store.regrouped(item.id, assignment.terms if assignment else None)
    return merges
