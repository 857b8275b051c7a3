"""`names_margin` answers a link that shares a name, outside the story's own outlet, without
asking whether the headlines name others (`names_apart`): the margin it gives must be the
one the whole rule gives, for every pair, outlet and lateness. Invented fixtures."""

from __future__ import annotations

from itertools import permutations

import pytest
from invented_items import filler, item

from aggregator.cluster import ClusterSettings
from aggregator.event_links import names_apart, names_margin, stands_for_story
from aggregator.features import Features, item_features
from aggregator.models import Item
from aggregator.window_counts import WindowCounts

ITEMS = [
    item(
        "p1",
        "Mayor Ilsa Corven opens the Tavin flood barrier",
        "Mayor Ilsa Corven opened the Tavin flood barrier on Monday, two years after the river "
        "flooded the old town; Corven thanked the engineers.",
        "east.example",
        0,
    ),
    item(
        "p2",
        "Tavin flood barrier opens; Corven praises engineers",
        "The flood barrier on the Tavin river opened on Monday. Mayor Ilsa Corven praised the "
        "engineers who built it in two years.",
        "west.example",
        30,
    ),
    item(
        "p3",
        "Marrow opens its own flood barrier as Dela Marsh looks on",
        "Marrow's new flood barrier opened on Tuesday while governor Dela Marsh looked on; the "
        "river flooded the old town two years ago.",
        "east.example",
        90,
    ),
    item(
        "p4",
        "Three murder charges dropped against surgeon Orlan Vesk",
        "The judge dropped three murder charges against surgeon Orlan Vesk on Tuesday.",
        "west.example",
        120,
    ),
    item(
        "p5",
        "Murder charges filed against three men in Marrow",
        "Murder charges were filed against three men over the killing of Dela Marsh's nephew, "
        "shot outside a bar in Marrow.",
        "east.example",
        150,
    ),
    item(
        "p6",
        "Kessel council backs Dela Marsh budget",
        "The budget of governor Dela Marsh won the backing of Kessel council on Friday.",
        "west.example",
        180,
    ),
    item(
        "p7",
        "Orlan Vesk sues over the budget",
        "Surgeon Orlan Vesk sued the province over the budget of governor Dela Marsh.",
        "east.example",
        200,
    ),
]


def _full_rule(
    one: Features, other: Features, counts: WindowCounts, s: ClusterSettings, late: float, own: bool
) -> float:
    """The margin as the rule reads in full: the headlines' names always asked."""
    distinct = counts.distinct(one.unique & other.unique)
    named = bool(counts.names_among(distinct))
    apart = names_apart(one, other, counts, not named and len(distinct) <= s.min_shared_terms)
    margin = s.series_margin if apart and own else 0.0
    if not named:
        margin += s.nameless_daily_margin * late + (s.apart_margin if apart else 0.0)
    return margin


def _counted(items: list[Item], settings: ClusterSettings) -> tuple[WindowCounts, list[Features]]:
    counts = WindowCounts(settings)
    features = [item_features(i, settings.text_tokens) for i in [*filler(12), *items]]
    for f in features:
        counts.count(f)
        counts.add_story_terms(f.unique)
    counts.n_stories = len(features)
    return counts, features[12:]


@pytest.mark.parametrize("own", [False, True])
@pytest.mark.parametrize("late", [0.0, 1.5])
def test_names_margin_is_the_whole_rule(own: bool, late: float) -> None:
    settings = ClusterSettings()
    counts, features = _counted(ITEMS, settings)
    named = 0
    for one, other in permutations(features, 2):
        found = names_margin(one, other, counts, settings, late, own)
        assert found == _full_rule(one, other, counts, settings, late, own)
        shared = counts.distinct(one.unique & other.unique)  # (as ranking hands them over)
        assert names_margin(one, other, counts, settings, late, own, shared) == found
        named += bool(counts.names_among(counts.distinct(one.unique & other.unique)))
    assert 0 < named < 30  # (pairs on both sides of the shortcut)


def test_a_named_link_apart_in_its_headlines_pays_the_series_margin_in_its_own_outlet() -> None:
    """The pair the shortcut passes over outside its outlet: they share a name and their
    headlines each name someone the other never mentions (Kessel; Orlan Vesk), which the
    story's own outlet pays for (its series), and no other does."""
    settings = ClusterSettings()
    counts, features = _counted(ITEMS, settings)
    one, other = features[5], features[6]
    assert counts.names_among(counts.distinct(one.unique & other.unique))
    assert names_apart(one, other, counts)
    assert names_margin(one, other, counts, settings, 1.0, True) == settings.series_margin
    assert names_margin(one, other, counts, settings, 1.0, False) == 0.0


def test_a_member_stands_for_its_story_alike_with_its_shared_terms_handed_over() -> None:
    settings = ClusterSettings()
    counts, features = _counted(ITEMS, settings)
    answers = set()
    for one, other in permutations(features, 2):
        rest = [f for f in features if f is not one and f is not other][:2]
        shared = counts.distinct(one.unique & other.unique)
        found = stands_for_story(one, other, rest, counts)
        assert stands_for_story(one, other, rest, counts, shared) == found
        answers.add(found)
    assert answers == {True, False}
