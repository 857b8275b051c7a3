"""Stories of one kind that are not one event: invented fixtures, one per failure mode.

A data page (tracker, map, list) is about a topic, not an event; two items of one kind in two
places name different places and nobody in common; one outlet's series fills the same
headline with a new name each time. Each test also shows the pair joining with the rule off,
so it checks the rule and not the fixture.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from invented_items import filler, item

from aggregator.cluster import ClusterSettings, cluster_stream
from aggregator.models import Item
from aggregator.terms import is_multi_topic


def together(items: list[Item], a: str, b: str, settings: ClusterSettings) -> bool:
    result = cluster_stream([*filler(12), *items], settings)
    return result[a] == result[b]


# --- data pages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "Measles season: tracking the outbreak across the region",
        "Tracking flu cases, hospital map updates",
        "Measles map: how many confirmed cases are there in your area?",
        "The heatwave in maps and charts",
        "The latest list of towns with measles cases",
        "Election results tracker",
    ],
)
def test_data_pages_are_multi_topic(title: str) -> None:
    assert is_multi_topic(title)


@pytest.mark.parametrize(
    "title",
    [
        "New fitness tracker counts steps and sleep",
        "Police are tracking the suspect's phone",
        "Town reports 12 new measles cases",
    ],
)
def test_news_about_tracking_or_cases_is_not_a_data_page(title: str) -> None:
    assert not is_multi_topic(title)


def test_two_outlets_data_pages_on_one_topic_stay_apart() -> None:
    text = (
        "Measles outbreak figures: confirmed measles cases, hospital admissions and "
        "vaccination rates by district, with a map of the spread updated every day."
    )
    pages = [
        item("p1", "Measles outbreak: tracking the spread", text, "one.example", 0),
        item("p2", "Measles outbreak map: measles cases by district", text, "two.example", 60),
    ]
    settings = ClusterSettings()
    assert not together(pages, "p1", "p2", settings)
    # the same two pages as news items (titles not recognised as data pages) would join
    as_news = [
        replace(pages[0], title="Measles outbreak: the spread"),
        replace(pages[1], title="Measles outbreak: measles cases by district"),
    ]
    assert together(as_news, "p1", "p2", settings)


# --- the same kind of event in two places ---------------------------------------------------

TRACING = [
    item(
        "t1",
        "Contact tracing app: Veltria opposition decries slow pace",
        "Two weeks is too long to wait for a contact tracing app, the opposition in Veltria says.",
        "north.example",
        0,
    ),
    item(
        "t2",
        "Health officials in Osmund reject the contact tracing app offered by phone makers",
        "The health service of Osmund will build its own contact tracing app instead.",
        "south.example",
        300,
    ),
]


def test_one_kind_of_event_in_two_places_stays_apart() -> None:
    assert not together(TRACING, "t1", "t2", ClusterSettings())
    assert together(TRACING, "t1", "t2", ClusterSettings(apart_margin=0.0))


def test_one_event_naming_its_place_in_both_items_still_joins() -> None:
    same = [TRACING[0], replace(TRACING[1], text=TRACING[1].text + " Veltria waits.")]
    assert together(same, "t1", "t2", ClusterSettings())


# --- one outlet's series --------------------------------------------------------------------

SERIES = [
    item(
        f"s{n}",
        f"Weekend portraits from photographer {name}",
        "A gallery for the Kestrel Gazette.",
        "gazette.example",
        n * 4,
    )
    for n, name in enumerate(["Dora Flint", "Ansel Brook", "Mira Tell"])
]


def test_one_outlets_series_with_a_new_name_each_time_stays_apart() -> None:
    result = cluster_stream([*filler(12), *SERIES], ClusterSettings())
    assert len({result[i.id] for i in SERIES}) == 3
    off = cluster_stream([*filler(12), *SERIES], ClusterSettings(series_margin=0.0))
    assert len({off[i.id] for i in SERIES}) < 3


# --- a thin link between two places ---------------------------------------------------------

SCHOOLS = [
    item(
        "h1",
        "High school reunion is helping nurses",
        "Former pupils of a high school in Tavin are making face shields for nurses.",
        "east.example",
        0,
    ),
    item(
        "h2",
        "Schools in Marrow expect a high number of pupils back after the long closure",
        "",
        "west.example",
        240,
    ),
]


def test_a_thin_link_between_items_naming_different_places_stays_apart() -> None:
    """Three shared words and no shared name: one headline names a place the other item
    never mentions, and the other item names a place of its own."""
    assert not together(SCHOOLS, "h1", "h2", ClusterSettings())
    assert together(SCHOOLS, "h1", "h2", ClusterSettings(apart_margin=0.0))


# --- a thin link whose headlines name no one ------------------------------------------------

CHARGES = [
    item(
        "c1",
        "The judge dropped three of the murder charges against the surgeon",
        "The judge dropped three murder charges against surgeon Orlan Vesk on Tuesday after "
        "hearing from the hospital's patients and nurses about the clinic.",
        "east.example",
        0,
    ),
    item(
        "c2",
        "Murder charges filed against three men after a student is shot outside a bar",
        "Murder charges were filed against three men over the killing of Dela Marsh, a "
        "student shot outside a bar near the river late on Saturday.",
        "west.example",
        120,
    ),
]


def test_a_thin_link_between_items_each_naming_someone_of_its_own_stays_apart() -> None:
    """Neither headline names anyone; the three words shared ("three", "murder",
    "charges") say what kind of event, and each item names a person the other never
    mentions: two events of one kind."""
    assert not together(CHARGES, "c1", "c2", ClusterSettings())
    assert together(CHARGES, "c1", "c2", ClusterSettings(apart_margin=0.0))


def test_a_thin_link_naming_the_same_person_still_joins() -> None:
    same = [CHARGES[0], replace(CHARGES[1], text=CHARGES[1].text + " Orlan Vesk denies it.")]
    assert together(same, "c1", "c2", ClusterSettings())
