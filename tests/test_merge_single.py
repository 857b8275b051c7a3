"""A story of one item that a newcomer clearly matches joins the newcomer's story, though the
match is short of the margin that merges two grown stories: the newcomer vouches for the lone
item on its own (an early clip of an event left alone because later reports matched each other
first). Invented fixtures; the settings put `merge_margin` out of reach to isolate the rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from invented_items import filler, item

from aggregator.cluster import ClusterSettings, cluster_stream
from aggregator.models import Item

LONE = item(
    "lone",
    "Kessaria braces for more riots as its currency sinks",
    "Soldiers patrol Tarvo after a night of riots over the collapsing currency in Kessaria, "
    "with shops shuttered and banks limiting withdrawals to a few notes a day.",
    minutes=20,
)
OTHER = item(
    "other",
    "Hungry demonstrators return to the streets of Pellan",
    "Crowds in Pellan demand bread and jobs as the lockdown lifts across Kessaria, chanting "
    "outside the ministry of finance until police cleared the square at dusk.",
    minutes=40,
)
BRIDGE = item(
    "bridge",
    "Kessaria unrest: riots in Tarvo, hungry demonstrators in Pellan as currency sinks",
    "Soldiers patrol Tarvo after riots over the collapsing currency, while crowds of "
    "demonstrators in Pellan demand bread and jobs outside the ministry of finance as the "
    "lockdown lifts across Kessaria.",
    minutes=60,
)


def _stories(items: list[Item], settings: ClusterSettings) -> dict[str, str]:
    return cluster_stream([*filler(12), *items], settings)


ISOLATED = replace(ClusterSettings(), merge_margin=0.9)


def test_a_lone_item_the_newcomer_matches_joins_its_story() -> None:
    result = _stories([LONE, OTHER, BRIDGE], ISOLATED)
    assert result["lone"] == result["other"] == result["bridge"]
    off = _stories([LONE, OTHER, BRIDGE], replace(ISOLATED, merge_single_margin=0.9))
    assert off["lone"] != off["other"]  # without the rule the lone item stays alone


def test_two_grown_stories_matched_as_closely_stay_apart() -> None:
    lone_copy = replace(LONE, id="lone2", outlet="copy.example", guid="lone2")
    lone_copy = replace(
        lone_copy,
        title="Riots as Kessaria's currency sinks",
        published=LONE.published + timedelta(minutes=5),
    )
    other_copy = replace(OTHER, id="other2", outlet="copy2.example", guid="other2")
    other_copy = replace(
        other_copy,
        title="Demonstrators back on Pellan streets",
        published=OTHER.published + timedelta(minutes=5),
    )
    result = _stories([LONE, lone_copy, OTHER, other_copy, BRIDGE], ISOLATED)
    assert result["lone"] == result["lone2"] and result["other"] == result["other2"]
    assert result["lone"] != result["other"]
