"""Novelty of a candidate bullet against what a summary already says. Pure, stdlib only.

A bullet's facts are approximated by its distinctive terms: content-word stems cut to a short
prefix (so "German" and "Germany", "Russia" and "Russian" meet), names and numbers included.
A term counts for more the more of the story's sources use it, because what many outlets repeat
is the story's core fact; a candidate whose weighted terms are mostly covered by the headline and
the bullets chosen so far restates them, however it is worded. A figure not said yet (a toll,
a count, a date) is a new fact on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .cjk_script import DATE_CHARS, FULL_WIDTH, has_cjk
from .cjk_terms import cjk_words
from .tokens import STOPWORDS, stem, tokens, words

__all__ = ["PREFIX", "coverage", "fact_terms", "fact_terms_of", "source_weights"]

PREFIX = 6  # characters of a stem that identify a term for coverage


def fact_terms(text: str) -> frozenset[str]:
    """The distinctive terms of a text: content-word stems, cut to `PREFIX` characters. In
    Chinese and Japanese, the terms grouping uses (`cjk_terms.cjk_words`): character pairs
    cut at function characters, without common pairs, hiragana and the numbers of dates."""
    if has_cjk(text):
        return _cjk_fact_terms(text)
    return frozenset(t[:PREFIX] for t in tokens(text))


def fact_terms_of(text: str, terms: Iterable[str]) -> frozenset[str]:
    """`fact_terms(text)`, the text's `tokens` given (any order, repeats or not)."""
    if has_cjk(text):
        return _cjk_fact_terms(text)
    return frozenset(t[:PREFIX] for t in terms)


# A figure in Chinese or Japanese text, not of a date or time ("6.1级", "8万", not "2日"). Its
# point is dropped so that it stays one term of digits ("6.1" is "61": a figure not said yet
# is a new fact, and `coverage` tells figures by their digits); "6" and "1" apart would be
# said by any "震度6弱" and "1週間".
_CJK_FIGURE = re.compile(rf"(?<![0-9A-Za-z.])[0-9]+(?:\.[0-9]+)?(?![0-9.])(?![{DATE_CHARS}])")


def _cjk_fact_terms(text: str) -> frozenset[str]:
    """`fact_terms` of a Chinese or Japanese text: its Chinese and Japanese terms as
    `cjk_terms.cjk_words` makes them, its other words stemmed and cut to `PREFIX` characters
    (without stopwords, one-letter words and bare numbers), and its figures whole."""
    text = text.translate(FULL_WIDTH)
    terms: set[str] = set()
    for term in cjk_words(words(text)):
        if term.isdigit():
            continue  # (a figure is taken whole below)
        if has_cjk(term):
            terms.add(term)
        elif term not in STOPWORDS and len(term) > 1:
            terms.add(stem(term)[:PREFIX])
    terms.update(n.replace(".", "") for n in _CJK_FIGURE.findall(text))
    return frozenset(terms)


def source_weights(per_source: Iterable[Iterable[str]]) -> dict[str, float]:
    """Each term's weight: the number of sources that use it (one source: weight 1)."""
    weights: dict[str, float] = {}
    for terms in per_source:
        for term in set(terms):
            weights[term] = weights.get(term, 0.0) + 1.0
    return weights


def coverage(terms: frozenset[str], covered: set[str], weights: Mapping[str, float]) -> float:
    """Weighted share of `terms` already in `covered`; 0.0 for a text without terms or with a
    number not yet covered."""
    if any(t.isdigit() and t not in covered for t in terms):
        return 0.0
    # (lists, not generators: the same sums in the same order, made faster)
    total = sum([weights.get(t, 1.0) for t in terms])
    if not total:
        return 0.0
    return sum([weights.get(t, 1.0) for t in terms if t in covered]) / total
