"""How important a story is right now, and which stories a feed carries. Pure.

The daily digest, the front page and category pages all rank with `rank`, so a reader who gets
the email sees what the site leads with.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from .models import Story
from .publish import utc

HALF_LIFE_HOURS = 12.0  # a story's weight halves every 12 hours after its last material change


def outlets(story: Story) -> int:
    """Distinct outlets that covered the story (1 for a story without a summary yet)."""
    return max(1, story.summary.outlet_count) if story.summary is not None else 1


def importance(story: Story, now: datetime) -> float:
    """Distinct outlets, halved every `HALF_LIFE_HOURS` since the story's last material change.

    A story four outlets covered a day ago weighs as much as a fresh single-outlet one; a date
    in the future counts as now.
    """
    age_hours = max(0.0, (utc(now) - utc(story.updated)).total_seconds() / 3600)
    decay: float = 0.5 ** (age_hours / HALF_LIFE_HOURS)
    return outlets(story) * decay


def rank(stories: Iterable[Story], now: datetime) -> list[Story]:
    """Most important first; ties go to the newer change, then the newer story, then the id."""
    return sorted(
        stories,
        key=lambda s: (
            -importance(s, now),
            -utc(s.updated).timestamp(),
            -utc(s.first_seen).timestamp(),
            s.id,
        ),
    )


def newest_first(stories: Iterable[Story]) -> list[Story]:
    """Latest change first, then the newer story, then id (stable output)."""
    return sorted(
        stories,
        key=lambda s: (-utc(s.updated).timestamp(), -utc(s.first_seen).timestamp(), s.id),
    )


def for_feed(stories: Sequence[Story], limit: int, min_outlets: int = 1) -> list[Story]:
    """The stories a feed carries, newest change first.

    Stories covered by at least `min_outlets` outlets only; and when there are more than
    `limit`, stories several outlets covered are kept before single-outlet ones, so a stream
    of one-outlet items cannot push the widely covered stories out of the feed.
    """
    eligible = [s for s in newest_first(stories) if outlets(s) >= min_outlets]
    if len(eligible) > limit:
        shared = [s for s in eligible if outlets(s) >= 2]
        single = [s for s in eligible if outlets(s) < 2]
        eligible = newest_first((shared + single)[:limit])
    return eligible[:limit]
