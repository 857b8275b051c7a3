"""Reports of one event by the people and bodies in it may share nothing but their names:
both headlines writing three separate names ("X and Y … with Z") link, where one person with
their office ("Prime Minister X Y", one name in four words) in two events does not. Invented
fixtures; each test also shows the outcome with the rule off or its guard lowered."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from invented_items import filler, item

from aggregator.cluster import ClusterSettings, cluster_stream
from aggregator.event_links import _headline_names


def _pair(first: tuple[str, str], second: tuple[str, str], settings: ClusterSettings) -> bool:
    a = item("a", first[0], first[1], minutes=20)
    b = item("b", second[0], second[1], minutes=50)
    result = cluster_stream([*filler(12), a, b], settings)
    return result["a"] == result["b"]


DEAL = (
    "Ardo Vensi and Mila Quorne to make shows with Stellflix",
    "The couple will produce documentaries for Stellflix, a spokesman for Ardo Vensi said.",
)
SIGNED = (
    "Ardo Vensi and Mila Quorne sign a production pact with Stellflix",
    "Mila Quorne and Ardo Vensi have agreed terms with the streamer Stellflix on a slate of "
    "programmes, their office confirmed.",
)


def test_three_separate_names_in_both_headlines_link() -> None:
    assert _pair(DEAL, SIGNED, ClusterSettings())
    assert not _pair(DEAL, SIGNED, replace(ClusterSettings(), separate_names=0))  # rule off


BRIDGE = (
    "Prime Minister Ardo Vensi opens the Keldon bridge",
    "On a windy morning, Prime Minister Ardo Vensi cut the ribbon on a river crossing.",
)
BUDGET = (
    "Prime Minister Ardo Vensi faces questions over farm subsidies",
    "At a town hall, Prime Minister Ardo Vensi was pressed by growers about subsidy cuts.",
)


def test_one_person_with_their_office_is_one_name() -> None:
    assert not _pair(BRIDGE, BUDGET, ClusterSettings())
    # counted as names, not as separate names, the four words would link the two events
    assert _pair(BRIDGE, BUDGET, replace(ClusterSettings(), separate_names=1))


def test_headline_names_split_at_words_marks_and_possessives() -> None:
    assert _headline_names("Ardo Vensi and Mila Quorne's Stellflix deal, says Bank of Keldon") == [
        {"ardo", "vensi"},
        {"mila", "quorne"},
        {"stellflix"},
        {"bank", "keldon"},
    ]
    # a headline with every word capitalised reads as one name
    assert len(_headline_names("Ardo Vensi And Mila Quorne Sign Stellflix Deal")) == 1


def test_the_same_names_a_day_apart_are_not_one_event() -> None:
    """Three names in both headlines say who or where; reports of the same names more than
    a day apart (a storm, then a daily count) are as often two events, so the rule holds
    within `separate_names_gap` only."""

    def joined(settings: ClusterSettings) -> bool:
        a = item("a", "Keldon, Brona and Pellow brace for storm", minutes=20)
        b = item("b", "Keldon, Brona and Pellow count infections", minutes=20 + 30 * 60)
        result = cluster_stream([*filler(12), a, b], settings)
        return result["a"] == result["b"]

    assert not joined(ClusterSettings())
    assert joined(replace(ClusterSettings(), separate_names_gap=timedelta(days=2)))
