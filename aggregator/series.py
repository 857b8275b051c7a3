"""Issues of a series: headlines that are one template with a date in it ("Your Daily
Horoscope for Thursday, September 3", "Covid-19: What happened in New Zealand on 2
September", "Horóscopo de hoy, jueves 3 de septiembre", "Corona-Zahlen am 3. September").
Two issues with different dates report different days, however alike their words: they are
never one story. Pure."""

from __future__ import annotations

from .terms import dates_apart

__all__ = ["IssueKey", "issue_key", "other_issues"]

_MIN_WORDS = 2  # a template of fewer words ("Thursday", "Friday, May 1") says too little

IssueKey = tuple[tuple[str, ...], frozenset[str]]  # the template's words, the dates


def issue_key(headline: str) -> IssueKey | None:
    """A dated headline's template words (dates and stray numbers out) and its dates; None
    for a headline without a date or with too few words besides it."""
    rest, dates = dates_apart(headline)
    if not dates:
        return None
    words = tuple(w for w in rest if not w.isdigit())
    if len(words) < _MIN_WORDS:
        return None
    return words, frozenset(dates)


def other_issues(key: IssueKey | None, headline: str) -> bool:
    """Whether `headline` is another issue of the series `key` stands for: the same words
    around a different date."""
    if key is None:
        return False
    other = issue_key(headline)
    return other is not None and other[0] == key[0] and other[1] != key[1]
