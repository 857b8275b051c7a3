"""A shared figure vouches for one outlet's follow-up of its own report (same-outlet margin)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from aggregator.cluster import Clusterer, ClusterSettings
from aggregator.models import Item

T0 = datetime(2024, 3, 10, 8, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=30)

REPORT = (
    "Harbour operator to cut 1,450 dock jobs as shipping slumps",
    "The harbour operator said it would cut 1,450 dock jobs over the coming year, blaming a "
    "slump in container shipping since 2019 and the loss of two contracts with freight lines.",
)
FOLLOW_UP = (
    "Dock unions vow strike as harbour job cuts loom",
    "Unions representing dock workers said they would ballot for a strike after the harbour "
    "operator confirmed 1,450 jobs would go, calling the cuts a betrayal of loyal staff.",
)
# The same follow-up without the report's figure: only the year of the slump is shared.
NO_FIGURE = (
    FOLLOW_UP[0],
    FOLLOW_UP[1].replace("1,450 jobs would go", "jobs would go, the first since 2019"),
)


def _joined(follow_up: tuple[str, str], outlet: str, settings: ClusterSettings) -> bool:
    clusterer = Clusterer(settings)
    first = clusterer.assign(
        Item(id="a", title=REPORT[0], text=REPORT[1], outlet="paper.example", published=T0), T0
    )
    title, text = follow_up
    second = clusterer.assign(
        Item(id="b", title=title, text=text, outlet=outlet, published=LATER), LATER
    )
    return second.story_id == first.story_id


@pytest.mark.parametrize(
    ("follow_up", "digits", "joined"),
    [
        (FOLLOW_UP, 3, True),  # the figure vouches: the outlet's margin is not asked
        (FOLLOW_UP, 0, False),  # rule off: the margin keeps the outlet's two pieces apart
        (NO_FIGURE, 3, False),  # a shared year is no figure of the event
    ],
)
def test_a_shared_figure_waives_the_same_outlet_margin(
    follow_up: tuple[str, str], digits: int, joined: bool
) -> None:
    settings = replace(ClusterSettings(), same_outlet_figure_digits=digits)
    assert _joined(follow_up, "paper.example", settings) is joined


def test_another_outlets_report_joins_with_or_without_the_figure() -> None:
    # (the fixtures are one event: only the outlet's own margin tells the cases apart)
    assert _joined(FOLLOW_UP, "wire.example", ClusterSettings())
    assert _joined(NO_FIGURE, "wire.example", ClusterSettings())
