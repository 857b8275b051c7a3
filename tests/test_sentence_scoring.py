"""Tests of aggregator.sentence_scoring's quality factor: the author's voice is a weak bullet."""

from __future__ import annotations

from collections import Counter

import pytest

from aggregator.sentence_scoring import Unit, _quality


def _unit(text: str) -> Unit:
    return Unit(text, 0, 3, 0.3, Counter(), {}, len(text.split()))


@pytest.mark.parametrize(
    "text",
    [
        "We hope the veterans will come back next year for the ceremony.",
        "Our reporters counted more than two hundred boats in the harbour.",
        "On Monday I walked the length of the flooded valley with the mayor.",
    ],
)
def test_the_authors_voice_scores_lower(text: str) -> None:
    assert _quality(_unit(text)) < 1.0


@pytest.mark.parametrize(
    "text",
    [
        "World War I veterans were honoured in Paris on Monday at a ceremony.",
        "The Phase I trial of the vaccine enrolled 45 adults in Seattle.",
        "A portrait of Elizabeth I sold for four million pounds at auction.",
    ],
)
def test_a_roman_numeral_is_not_the_first_person(text: str) -> None:
    assert _quality(_unit(text)) == 1.0
