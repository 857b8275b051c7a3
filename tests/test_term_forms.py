"""One written form for quantities and dotted initials, so that two reports of one event that
write its figure differently ("$6 billion", "$6bn") share it as a grouping term. Invented
fixtures only."""

from __future__ import annotations

import pytest
from invented_items import filler, item

from aggregator import terms
from aggregator.cluster import ClusterSettings, cluster_stream
from aggregator.term_forms import canonical_forms
from aggregator.terms import grouping_terms


@pytest.mark.parametrize(
    ("written", "form"),
    [
        ("cases top one million", "cases top 1 million"),
        ("more than 1 million cases", "more than 1 million cases"),
        ("a $1m prize", "a $1 million prize"),
        ("a £1m prize", "a £1 million prize"),
        ("1mn cases", "1 million cases"),
        ("1,000,000 cases", "1 million cases"),
        ("a $6bn city", "a $6 billion city"),
        ("a $4-million scam", "a $4 million scam"),
        ("US$3.3tn deficit", "US$3.3 trillion deficit"),
        ("1,500,000 doses", "1.5 million doses"),
        ("12 thousand jobs", "12000 jobs"),
        ("$12k each", "$12000 each"),
        ("Two-million doses", "2 million doses"),
    ],
)
def test_a_figure_is_written_one_way(written: str, form: str) -> None:
    assert canonical_forms(written) == form
    assert grouping_terms(written, "", 0)[0] == grouping_terms(form, "", 0)[0]


def test_the_common_form_is_left_as_it_is() -> None:
    for written in ("7 billion years", "17 billion light years", "3.3 trillion", "12000"):
        assert canonical_forms(written) == written
    for written in ("the 100m final", "a 5k run", "1m tall"):  # metres, not millions
        assert canonical_forms(written) == written


@pytest.mark.parametrize(
    "written",
    ["1,234,567 votes", "1,030 cases", "one of the ten", "the 2.5 mark", "millions of people"],
)
def test_exact_counts_and_loose_words_are_kept_as_written(written: str) -> None:
    assert canonical_forms(written) == written


def test_dotted_initials_are_one_term_and_a_name() -> None:
    title, text = grouping_terms("Talks in the U.K. stall", "Officials in L.A. said so.", 50)
    assert "uk" in title and "la" in text
    assert "uk" in terms.capitalised_terms("x", "Ministers of the U.K. met today.", 500)
    # "U.S." reads as "US", which stays out like the pronoun (see aggregator.term_forms)
    assert grouping_terms("Talks in the U.S. stall", "", 0)[0] == ["talk", "stall"]


def _stream() -> dict[str, str]:
    first = item(
        "a",
        "Singer Velor Anzu is building a futuristic city worth $6 billion in Marovia",
        "The singer Velor Anzu told a radio host that builders started digging near the coast "
        "of Marovia last month, with schools, clinics, solar farms and a stadium promised by 2030.",
        minutes=20,
    )
    second = item(
        "b",
        "Velor Anzu reveals futuristic $6bn plan modelled on Zarandel",
        "Rapper Velor Anzu posted sketches of gleaming towers, domed arenas and tram lines over a "
        "Marovia bay, saying investors from three continents have signed up already.",
        minutes=50,
    )
    return cluster_stream([*filler(12), first, second], ClusterSettings())


def test_two_reports_writing_one_figure_differently_join(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _stream()["a"] == _stream()["b"]
    monkeypatch.setattr(terms, "canonical_forms", lambda text: text)
    result = _stream()
    assert result["a"] != result["b"]  # with figures as written, the pair stays apart
