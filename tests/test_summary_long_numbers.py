"""A report with a number of hundreds or thousands of digits (a broken or hostile feed's) is
summarised with its story: such a run had overflowed a float, gone past the decimal context's
28 digits or Python's 4,300-digit limit, and failed the summary of the whole story, every
outlet's reports with it. Invented items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aggregator.models import Item
from aggregator.novelty import figure_terms
from aggregator.summarize import ExtractiveSummarizer
from aggregator.term_forms import canonical_forms

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


def _story(n: str) -> list[Item]:
    texts = [
        f"The storm hit the harbour town on Monday, killing {n} people. About {n} thousand "
        f"homes lost power and {n} dozen boats sank.",
        f"Officials said {n} decades of records fell. Rescuers saved {n} residents, and "
        f"${n}m was pledged. {n},000 left; {n}.5 million moved.",
        "A storm killed 12 people in the harbour town, officials said on Monday. Some 3,000 "
        "homes lost power, the power company said.",
    ]
    return [
        Item(
            id=f"i{k}",
            title="Harbour storm kills 12 people" if k == 2 else f"Harbour storm kills {n}",
            text=text,
            url=f"https://outlet{k}.example/storm",
            outlet=f"outlet{k}.example",
            outlet_name=f"Outlet {k}",
            published=NOW - timedelta(hours=k),
        )
        for k, text in enumerate(texts)
    ]


@pytest.mark.parametrize("digits", [30, 400, 5000])
def test_a_story_with_a_number_of_many_digits_is_summarised(digits: int) -> None:
    summary = ExtractiveSummarizer().summarize(_story("9" * digits))
    assert summary.bullets and all(bullet.text for bullet in summary.bullets)


def test_a_long_digit_run_is_no_figure_and_a_figure_still_is() -> None:
    long = "9" * 5000
    assert canonical_forms(f"{long} thousand homes") == f"{long} thousand homes"
    assert canonical_forms("12 thousand homes") == "12000 homes"
    figures = [t for t in figure_terms(f"Rescuers saved {long} people.") if t[0] in "=~"]
    assert figures == []
    assert "=12:people" in figure_terms("Rescuers saved 12 people.")
