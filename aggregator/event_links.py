"""What a link between two items says: whether it names what happened, not only who, and
whether it names anyone at all. Pure.

Two reports of one event nearly always put what happened in a headline — "poisoned",
"recession", "vigil" — and the other report mentions it too. Two items that share only who
is involved (a person with their office: "Prime Minister Boris Johnson", "Democratic nominee
Joe Biden") are most often two events of that person. So a link between two items counts only
when a distinctive term that is not a name appears in one item's headline and anywhere in the
other item, or, failing that, when the two texts share many such terms (long reports of one
event written with different headlines). A link that shares no name at all is asked more the
further apart the two items are (`shares_a_name`).
"""

from __future__ import annotations

from .features import Features
from .window_counts import WindowCounts

__all__ = ["names_what_happened", "shares_a_name"]


def _event_term(term: str, counts: WindowCounts) -> bool:
    return counts.distinctive(term) and not counts.is_name(term)


def _anchored(headline: Features, other: Features, counts: WindowCounts) -> bool:
    return any(t in other.unique and _event_term(t, counts) for t in headline.title)


def names_what_happened(
    item: Features, member: Features, counts: WindowCounts, unanchored_terms: int
) -> bool:
    """True when a headline of the two anchors a shared event term, or the two share at
    least `unanchored_terms` distinctive terms that are not names."""
    if _anchored(item, member, counts) or _anchored(member, item, counts):
        return True
    shared = item.unique & member.unique
    return sum(_event_term(t, counts) for t in shared) >= unanchored_terms


def shares_a_name(item: Features, member: Features, counts: WindowCounts) -> bool:
    """Whether the two items name one distinctive person, place or organisation. Without one,
    two items a day apart are as often the same kind of event in two places (two fires, two
    countries' tracing apps) as one event."""
    return any(counts.is_name(t) and counts.distinctive(t) for t in item.unique & member.unique)
