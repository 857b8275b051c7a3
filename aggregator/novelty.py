"""Novelty of a candidate bullet against what a summary already says. Pure, stdlib only.

A bullet's facts are approximated by its distinctive terms: content-word stems cut to a short
prefix (so "German" and "Germany", "Russia" and "Russian" meet), names and numbers included.
A term counts for more the more of the story's sources use it, because what many outlets repeat
is the story's core fact; a candidate whose weighted terms are mostly covered by the headline and
the bullets chosen so far restates them, however it is worded. A figure not said yet (a toll,
a count, a date) is a new fact on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .tokens import tokens

__all__ = ["PREFIX", "coverage", "fact_terms", "source_weights"]

PREFIX = 6  # characters of a stem that identify a term for coverage


def fact_terms(text: str) -> frozenset[str]:
    """The distinctive terms of a text: content-word stems, cut to `PREFIX` characters."""
    return frozenset(t[:PREFIX] for t in tokens(text))


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
    total = sum(weights.get(t, 1.0) for t in terms)
    if not total:
        return 0.0
    return sum(weights.get(t, 1.0) for t in terms if t in covered) / total
