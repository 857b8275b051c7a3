"""Tests of aggregator.novelty: distinctive terms and how much of them is already said."""

from __future__ import annotations

import pytest

from aggregator.novelty import coverage, fact_terms, fact_terms_of, source_weights
from aggregator.tokens import tokens


def test_fact_terms_meet_across_word_forms() -> None:
    assert fact_terms("Germany says") & fact_terms("the German ministry") == {"german"}
    assert "russia" in fact_terms("Russian officials") & fact_terms("in Russia")


@pytest.mark.parametrize(
    "text",
    [
        "Germany says the German ministry's 2024 budget rose by 12 percent.",
        "Ça, c'est la fête: 300 élèves réunis.",
        "震源は北岡県東部で、マグニチュードは6.1。Tokyo said",
        "",
    ],
)
def test_fact_terms_from_given_tokens_are_the_texts(text: str) -> None:
    assert fact_terms_of(text, tokens(text)) == fact_terms(text)
    assert fact_terms_of(text, reversed(tokens(text))) == fact_terms(text)


def test_source_weights_count_sources_not_mentions() -> None:
    weights = source_weights([["dam", "dam", "storm"], ["dam"], ["river"]])
    assert weights == {"dam": 2.0, "storm": 1.0, "river": 1.0}


@pytest.mark.parametrize(
    ("text", "said", "expected"),
    [
        ("The dam broke in the storm.", "Storm broke the dam", 1.0),
        ("Army trucks moved villagers to schools.", "Storm breaks the dam", 0.0),
        ("The dam broke, killing 12 people.", "Storm breaks the dam; dam broke", 0.0),
        ("The dam broke, killing 12 people.", "Dam broke, 12 people killed", 1.0),
        ("", "anything", 0.0),
    ],
)
def test_coverage(text: str, said: str, expected: float) -> None:
    assert coverage(fact_terms(text), set(fact_terms(said)), {}) == pytest.approx(expected)


def test_terms_many_sources_use_weigh_more() -> None:
    terms = fact_terms("Dam broke near Kessel.")
    said = set(fact_terms("The dam broke"))
    assert coverage(terms, said, {"dam": 4.0, "broke": 4.0}) > coverage(terms, said, {})
