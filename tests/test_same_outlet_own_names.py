"""The event's own names, shared with two of a story's members, vouch for one outlet's
follow-up of its own reports (same-outlet margin)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from aggregator.cluster import Clusterer, ClusterSettings
from aggregator.models import Item

T0 = datetime(2024, 5, 6, 7, 0, tzinfo=UTC)
PAPER = "valleypost.example"

FIRST = (
    "Deputies fatally shoot cyclist in Marlowe Flats, sparking protests",
    "Sheriff's deputies shot and killed a man riding a bicycle in Marlowe Flats on Sunday "
    "afternoon. Relatives named him as Teodor Quillan, 29. Dozens of neighbours gathered at "
    "the corner where he died, and the department offered a reward of $25,000 for witnesses.",
)
SECOND = (
    "Family of Teodor Quillan demand answers over deputies' shooting",
    "The family of Teodor Quillan, the cyclist shot dead by sheriff's deputies in Marlowe "
    "Flats, demanded the footage on Monday. The department repeated its reward of $25,000 "
    "for anyone who saw the shooting and said the deputies had been placed on leave.",
)
FOLLOW_UP = (
    "'We are angry': Killing of cyclist by deputies sparks outrage",
    "Hundreds marched through Marlowe Flats on Tuesday evening, angry at the killing of "
    "Teodor Quillan by sheriff's deputies. Organisers said the cyclist had been stopped for "
    "a minor violation before the deputies opened fire.",
)
# Another outlet's report that writes the same place and person in another event: then
# neither name is the story's own.
ELSEWHERE = (
    "Library reopens after flood repairs",
    "The library in Marlowe Flats reopened on Monday after months of flood repairs, with a new "
    "reading room named after the late teacher Teodor Quillan, a local historian.",
)


def _items(with_second: bool) -> list[Item]:
    items = [Item(id="a", title=FIRST[0], text=FIRST[1], outlet=PAPER, published=T0)]
    if with_second:
        items.append(
            Item(
                id="b",
                title=SECOND[0],
                text=SECOND[1],
                outlet=PAPER,
                published=T0 + timedelta(hours=20),
            )
        )
    return items


def _story_of_follow_up(
    settings: ClusterSettings, with_second: bool = True, elsewhere: bool = False
) -> tuple[str, dict[str, str]]:
    clusterer = Clusterer(settings)
    placed: dict[str, str] = {}
    items = _items(with_second)
    if elsewhere:
        title, text = ELSEWHERE
        items.append(Item(id="x", title=title, text=text, outlet="towncrier.example", published=T0))
    for item in sorted(items, key=lambda i: (i.published, i.id)):
        assert item.published is not None
        placed[item.id] = clusterer.assign(item, item.published).story_id
    when = T0 + timedelta(hours=40)
    title, text = FOLLOW_UP
    item = Item(id="c", title=title, text=text, outlet=PAPER, published=when)
    return clusterer.assign(item, when).story_id, placed


def test_two_reports_sharing_the_events_names_vouch_for_the_outlets_follow_up() -> None:
    story, placed = _story_of_follow_up(ClusterSettings())
    assert placed["a"] == placed["b"]  # (the two reports share the reward's figure)
    assert story == placed["a"]


@pytest.mark.parametrize(
    ("own_names", "with_second", "elsewhere"),
    [
        (0, True, False),  # rule off: the outlet's margin keeps its follow-up apart
        (2, False, False),  # one member sharing the names is not enough (a channel's hosts)
        (2, True, True),  # names other stories hold too are no event's own
    ],
)
def test_without_two_members_naming_the_event_the_margin_holds(
    own_names: int, with_second: bool, elsewhere: bool
) -> None:
    settings = replace(ClusterSettings(), same_outlet_own_names=own_names)
    story, placed = _story_of_follow_up(settings, with_second, elsewhere)
    assert story not in (placed["a"], placed.get("b"))


def test_another_outlets_report_joins_with_or_without_the_rule() -> None:
    for own_names in (0, 2):
        settings = replace(ClusterSettings(), same_outlet_own_names=own_names)
        clusterer = Clusterer(settings)
        for item in _items(True):
            assert item.published is not None
            first = clusterer.assign(item, item.published).story_id
        when = T0 + timedelta(hours=40)
        title, text = FOLLOW_UP
        item = Item(id="c", title=title, text=text, outlet="wire.example", published=when)
        assert clusterer.assign(item, when).story_id == first
