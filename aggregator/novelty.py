"""Novelty of a candidate bullet against what a summary already says. Pure, stdlib only.

A bullet's facts are approximated by its distinctive terms: content-word stems cut to a short
prefix (so "German" and "Germany", "Russia" and "Russian" meet), names and numbers included.
A term counts for more the more of the story's sources use it, because what many outlets repeat
is the story's core fact; a candidate whose weighted terms are mostly covered by the headline and
the bullets chosen so far restates them, however it is worded. A figure not said yet (a toll,
a count, a date) is a new fact on its own.

Phrasing is judged apart from terms, by concepts (Gillick & Favre, 2009): pairs of adjacent
content words ("presid franc" from "the president of France"), weighted the same way. A
candidate whose concepts are mostly said already repeats a picked bullet's phrases.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import pairwise

from .text import tokens

__all__ = ["PREFIX", "concepts", "coverage", "fact_terms", "new_figure", "source_weights"]

PREFIX = 6  # characters of a stem that identify a term for coverage


def fact_terms(text: str) -> frozenset[str]:
    """The distinctive terms of a text: content-word stems, cut to `PREFIX` characters."""
    return frozenset(t[:PREFIX] for t in tokens(text))


def concepts(text: str) -> frozenset[str]:
    """The text's concepts: each pair of adjacent content-word stems, as "stem stem"."""
    terms = tokens(text)
    return frozenset(f"{a} {b}" for a, b in pairwise(terms))


def source_weights(per_source: Iterable[Iterable[str]]) -> dict[str, float]:
    """Each term's weight: the number of sources that use it (one source: weight 1)."""
    weights: dict[str, float] = {}
    for terms in per_source:
        for term in set(terms):
            weights[term] = weights.get(term, 0.0) + 1.0
    return weights


def new_figure(terms: frozenset[str], covered: set[str]) -> bool:
    """Whether `terms` hold a number not in `covered` (a toll, a count, a date: a new fact)."""
    return any(t.isdigit() and t not in covered for t in terms)


def coverage(terms: frozenset[str], covered: set[str], weights: Mapping[str, float]) -> float:
    """Weighted share of `terms` already in `covered`; 0.0 for a text without terms or with a
    number not yet covered."""
    if new_figure(terms, covered):
        return 0.0
    total = sum(weights.get(t, 1.0) for t in terms)
    if not total:
        return 0.0
    return sum(weights.get(t, 1.0) for t in terms if t in covered) / total
