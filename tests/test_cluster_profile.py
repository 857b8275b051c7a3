"""A long story keeps its earlier reports in reach: profile members (aggregator.cluster)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from aggregator.cluster import Clusterer, ClusterSettings
from aggregator.models import Item

T0 = datetime(2024, 2, 12, 6, 0, tzinfo=UTC)

_FOUNDER = (
    "Oroville dam spillway fails, thousands evacuated",
    "Officials in Butte County ordered thousands of residents below the Oroville dam to "
    "evacuate after its emergency spillway began to fail, the county sheriff said.",
)
# An angle of the event one early report tells, and a later report of that angle only.
_ANGLE = (
    "Engineers inspect erosion hole in Oroville dam spillway",
    "State engineers inspected a deep erosion hole in the concrete spillway of the Oroville "
    "dam, whose failing spillway forced thousands of Butte County residents to evacuate; "
    "helicopters began dropping rocks and boulders to plug it, officials said.",
)
_ANGLE_LATER = (
    "Helicopters drop boulders into Oroville spillway erosion hole",
    "Helicopters dropped rocks and boulders into the erosion hole in the concrete spillway "
    "as state engineers worked to plug the damage before more rain arrives.",
)


def _follow_up(n: int) -> tuple[str, str]:
    return (
        f"Butte County keeps evacuation order for Oroville residents, update {n}",
        "The Butte County sheriff kept the order for thousands of residents below the "
        f"Oroville dam who were evacuated; shelters in Chico took in families, update {n}.",
    )


def _item(item_id: str, minutes: int, title: str, text: str) -> Item:
    published = T0 + timedelta(minutes=minutes)
    return Item(
        id=item_id, title=title, text=text, outlet=f"{item_id}.example", published=published
    )


def _story_of_later_angle(settings: ClusterSettings, follow_ups: int) -> tuple[str, str]:
    clusterer = Clusterer(settings)
    founder = clusterer.assign(_item("founder", 0, *_FOUNDER), T0)
    angle = clusterer.assign(_item("angle", 10, *_ANGLE), T0)
    assert angle.story_id == founder.story_id
    for n in range(follow_ups):
        joined = clusterer.assign(_item(f"f{n}", 20 + 10 * n, *_follow_up(n)), T0)
        assert joined.story_id == founder.story_id
    later = clusterer.assign(_item("later", 30 + 10 * follow_ups, *_ANGLE_LATER), T0)
    return founder.story_id, later.story_id


def test_a_report_of_an_early_angle_joins_a_grown_story() -> None:
    """Eight follow-ups later, the angle's report still stands for the story: a headline on
    that angle joins, where it shares too little with the founder and the follow-ups."""
    settings = ClusterSettings()
    assert settings.profile_recent >= 9
    story, later = _story_of_later_angle(settings, 8)
    assert later == story


def test_past_the_profile_an_early_angle_no_longer_speaks_for_the_story() -> None:
    settings = replace(ClusterSettings(), profile_recent=4)
    story, later = _story_of_later_angle(settings, 8)
    assert later != story
    story, later = _story_of_later_angle(settings, 3)  # (still one of the latest four)
    assert later == story
