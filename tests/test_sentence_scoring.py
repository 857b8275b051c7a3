"""Tests of aggregator.sentence_scoring's quality factor: the author's voice and an exclamation
in the text's own words are weak bullets, a quote with its speaker a strong one."""

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


@pytest.mark.parametrize(
    "text",
    [
        '"We will rebuild the bridge before winter," Mayor Ana Kovac told reporters on Friday.',
        "Harbour master Tom Reyes called the storm “the worst in forty years.”",
        "The minister said the plan was “ready to go” and would cost 3 million euros.",
        "The author is best known for her 1998 novel “The Glass Harbour,” set in Trieste.",
    ],
)
def test_a_quote_with_its_speaker_scores_higher(text: str) -> None:
    assert _quality(_unit(text)) > 1.0


@pytest.mark.parametrize(
    "text",
    [
        '"We will rebuild the bridge before winter," she told reporters on Friday.',
        "The storm was “the worst in forty years,” he said on the radio that evening.",
        '"The bridge will be rebuilt before the first snow of the winter comes."',
    ],
)
def test_a_quote_whose_speaker_the_reader_cannot_tell_gets_no_bonus(text: str) -> None:
    assert _quality(_unit(text)) <= 1.0


def test_a_title_with_a_quote_gets_no_bonus() -> None:
    title = Unit("Mayor Kovac: “We will rebuild the bridge”", 0, -1, 0.0, Counter(), {}, 7)
    assert _quality(title) == 1.0


def test_an_exclamation_in_the_texts_own_words_scores_lower() -> None:
    aside = _unit("The next one, now in college at eleven, is already considering the law!")
    report = _unit("The next one, now in college at eleven, is already considering the law.")
    quoted = _unit('"We will rebuild the bridge!" Mayor Ana Kovac told reporters on Friday.')
    assert _quality(aside) < _quality(report) == 1.0
    assert _quality(quoted) > 1.0  # (a speaker's exclamation, in quotes, is theirs)
    title = Unit("Bridge reopens at last!", 0, -1, 0.0, Counter(), {}, 4)
    assert _quality(title) == 1.0
