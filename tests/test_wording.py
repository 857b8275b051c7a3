"""Counts in operator messages read as English: one feed, two feeds."""

from __future__ import annotations

import pytest

from aggregator.wording import counted


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, "0 stories"), (1, "1 story"), (2, "2 stories"), (1_000, "1000 stories")],
)
def test_an_irregular_plural_is_given(n: int, expected: str) -> None:
    assert counted(n, "story", "stories") == expected


def test_a_regular_plural_adds_an_s() -> None:
    assert (counted(1, "feed"), counted(3, "feed")) == ("1 feed", "3 feeds")
    assert counted(1, "new item") == "1 new item"
