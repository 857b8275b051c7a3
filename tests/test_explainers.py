"""A question or explainer headline (a piece around a topic) asks its link for a margin: it
joins a story only as clearly one of its members. Invented items; each grouping test also
shows the pair joining with the margin off, so it checks the rule and not the fixture."""

from __future__ import annotations

import pytest
from invented_items import filler, item

from aggregator.cluster import ClusterSettings, cluster_stream
from aggregator.explainers import is_explainer
from aggregator.models import Item


@pytest.mark.parametrize(
    "headline",
    [
        "Does the Veltria bump have more to do with its rival?",
        "Coronavirus: Can Osmund flatten the curve?",
        "Who is the new mayor of Tavin?'",
        "What Kestrel voters think of the mayor's handling of the crisis",
        "Coronavirus: What will schools do if a pupil gets the virus?",
        "Inside Brona's race to build a vaccine",
        "Why the Pellow line keeps closing",
        "How the Aster museum saved its fossils",
        "Analysis: the mayor just handed her rivals a gift",
        "¿Qué pasa con las escuelas de Veltria?",
        "ヴェルトリアの学校はどうなる？",
    ],
)
def test_questions_and_explainers_are_recognised(headline: str) -> None:
    assert is_explainer(headline)


@pytest.mark.parametrize(
    "headline",
    [
        "Veltria schools reopen for all pupils after five months",
        "Here is what the mayor said about the Tavin line",
        "Whatever happens, the regatta goes ahead in Pellow",
        "Howard Lane wins the Brona chess title",
        "Mayor asks: 'Who pays?' as Tavin budget is cut",
        "",
    ],
)
def test_news_headlines_are_not_explainers(headline: str) -> None:
    assert not is_explainer(headline)


def together(items: list[Item], settings: ClusterSettings) -> bool:
    result = cluster_stream([*filler(12), *items], settings)
    return result[items[0].id] == result[items[1].id]


def test_an_explainer_around_the_topic_of_a_report_stays_apart() -> None:
    pair = [
        item(
            "n1",
            "Veltria schools reopen for all pupils after five months",
            "Schools across Veltria reopened for all pupils on Monday, with masks required in "
            "corridors and classes kept in bubbles, the education minister Hana Rolt said.",
            "north.example",
            0,
        ),
        item(
            "e1",
            "Coronavirus: What will schools do if a pupil gets the virus?",
            "Schools in Veltria send a whole class home when a pupil gets the virus; the class "
            "learns online for two weeks and parents get a letter.",
            "south.example",
            90,
        ),
    ]
    assert not together(pair, ClusterSettings())
    assert together(pair, ClusterSettings(explainer_margin=0.0))


def test_an_explainer_of_the_event_itself_still_joins_its_story() -> None:
    pair = [
        item(
            "k1",
            "Kestrel Airways to cut 1,200 jobs as bookings collapse",
            "Kestrel Airways will cut 1,200 jobs at its Pellow base as bookings collapse, chief "
            "executive Ida Voss told staff on Tuesday, closing two hangars by March.",
            "north.example",
            0,
        ),
        item(
            "k2",
            "Why Kestrel Airways is cutting 1,200 jobs",
            "Kestrel Airways will cut 1,200 jobs at its Pellow base, chief executive Ida Voss "
            "told staff on Tuesday: bookings collapsed and two hangars close by March.",
            "south.example",
            60,
        ),
    ]
    assert together(pair, ClusterSettings())
