"""A story's wire copies as sources: the same text another outlet carried.

Dedupe joins an item whose text is another's (exact or near-identical) to that original's
story with `duplicate_of` set, and summaries are written from originals only: a copy adds no
fact and would repeat the original's bullets. But an outlet that ran the text covered the
story: each copy from an outlet none of the story's originals is from is listed as a source
(its own title and link, marked `copy_of` its original) and counts in "Summary based on N
sources". A copy from an outlet already counted adds nothing; a copy of furniture or an
advert (an original the story does not publish) is never listed. Pure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from .dedupe import outlet_key as url_outlet
from .item_kinds import item_kind
from .models import Item, SourceRef, Summary
from .story_sources import distinct_names, outlet_keys, source_ref

__all__ = ["copy_sources", "with_copies"]


def copy_sources(originals: Sequence[Item], copies: Sequence[Item]) -> list[SourceRef]:
    """The sources `copies` add to a story published from `originals`: of the copies whose
    original is one of `originals` (`duplicate_of`), the first (in the given order) of each
    outlet that no original is from, named as its outlet is among the story's
    (`distinct_names`). Outlets are told apart as the count tells them (`outlet_keys`, over
    originals and copies together)."""
    published = {item.id for item in originals}
    kept = [c for c in copies if c.duplicate_of in published and c.id not in published]
    if not kept:
        return []
    everyone = [*originals, *kept]
    keys = outlet_keys(everyone)
    counted = set(keys[: len(originals)])
    added: list[int] = []
    for index in range(len(originals), len(everyone)):
        if keys[index] not in counted:
            counted.add(keys[index])
            added.append(index)
    if not added:
        return []
    refs = [source_ref(item, item_kind(item)) for item in everyone]
    named = distinct_names(refs, keys, [url_outlet(item.feed_url) or "" for item in everyone])
    return [dataclasses.replace(named[i], copy_of=everyone[i].duplicate_of or "") for i in added]


def with_copies(summary: Summary, copies: Sequence[SourceRef], outlets: int) -> Summary:
    """`summary` listing `copies` after its own sources (in place of any copies it listed
    before: a stored summary reused as it stands), counting `outlets`. Bullets cite its own
    sources, which keep their numbers."""
    own = tuple(source for source in summary.sources if not source.copy_of)
    return dataclasses.replace(summary, sources=(*own, *copies), outlet_count=outlets)
