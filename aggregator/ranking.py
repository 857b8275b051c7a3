"""How important a story is right now: how many outlets covered it, and how recently. Pure.

The daily digest ranks with this, and the front page can rank the same way, so a reader who
gets the email sees what the site leads with.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from .models import Story

HALF_LIFE_HOURS = 12.0  # a story's weight halves every 12 hours after its last material change


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def importance(story: Story, now: datetime) -> float:
    """Distinct outlets, halved every `HALF_LIFE_HOURS` since the story's last material change.

    A story four outlets covered a day ago weighs as much as a fresh single-outlet one; a date
    in the future counts as now.
    """
    outlets = story.summary.outlet_count if story.summary is not None else 1
    age_hours = max(0.0, (_utc(now) - _utc(story.updated)).total_seconds() / 3600)
    return max(1, outlets) * 0.5 ** (age_hours / HALF_LIFE_HOURS)


def rank(stories: Iterable[Story], now: datetime) -> list[Story]:
    """Most important first; ties go to the newer change, then the newer story, then the id."""
    return sorted(
        stories,
        key=lambda s: (
            -importance(s, now),
            -_utc(s.updated).timestamp(),
            -_utc(s.first_seen).timestamp(),
            s.id,
        ),
    )
