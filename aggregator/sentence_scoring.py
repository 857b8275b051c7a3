"""Candidate bullets and their scores: the extractive summarizer's sentence scoring. Pure.

Each candidate (`Unit`) is one sentence, or the title, of one source. Terms are weighted by
TF-IDF over all candidates of the story; a candidate scores by its similarity to the story's
centroid and to the source titles, by how closely other outlets say the same, and by its
position (news leads first), times a quality factor for what makes a weak stand-alone bullet.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import compress

from .tokens import tokens, word_count

__all__ = [
    "ROMAN_I",
    "Unit",
    "contained",
    "containment",
    "cosine",
    "first_person",
    "normalise",
    "score_units",
    "story_centroid",
    "sum_vectors",
    "vectorise",
]

# --- scoring weights (tuned on the Multi-News dev sample with bench/summary_eval.py) ---------

_W_CENTROID = 1.0
_W_TITLE = 0.5
_W_SUPPORT = 0.5
_W_POSITION = 0.4
_W_FIRST_PERSON = 0.6  # the author's voice ("we hope"), not a reported fact
_W_BARE_QUOTE = 0.8  # a quote cut from its speaker
_W_SPEAKER_QUOTE = 1.15  # quoted words (speech, a work's title) in a sentence that frames them
_W_SHORT = 0.7  # fewer than 10 words
_W_EXCLAIM = 0.6  # ends on "!" in its own words: a writer's aside or a promotion, not a report

_FIRST_PERSON = re.compile(r"\b(?:I|we|We|our|Our|my|My|me|us)\b")
# "I" as a Roman numeral after a name or a numbered thing ("World War I", "Phase I", "Elizabeth I").
ROMAN_I = re.compile(
    r"\b(?:War|Phase|Title|Class|Stage|Type|Part|Act|Chapter|Article|Section|Volume|Episode|"
    r"Division|Tier|Grade|Level|Category|Round|Schedule|League|Elizabeth|Henry|James|Charles|"
    r"George|Edward|Richard|William|Mary|Peter|Louis|Philip|Alexander|Nicholas|Frederick|"
    r"Wilhelm|Ferdinand|Leopold|Napoleon|Pius|Benedict)\s+I\b(?!['’])"
)
_QUOTES = re.compile(r"[\"“”]")
# A quote's speaker given only as a pronoun ('"…," he said.'): a reader may not know who.
_PRONOUN_SPEAKER = re.compile(
    r"\b(?:he|she|they|it)\s+(?:said|says|told|tells|added|wrote|writes|explained|noted|"
    r"stated|asked)\b|\b(?:said|says|added|told)\s+(?:he|she|they|it)\b",
    re.IGNORECASE,
)
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|told|tells|asked|added|wrote|writes|according|stated|explained|noted)\b"
)


@dataclass(slots=True)
class Unit:
    """A candidate bullet: one sentence (or the title) of one source."""

    text: str
    source: int  # index into the ordered sources
    position: int  # index among its source's body sentences; -1 for the title
    rel_position: float  # position / number of body sentences; 0 for the title
    terms: Counter[str]
    vector: dict[str, float]
    words: int
    score: float = 0.0
    weight: float = 0.0  # its terms' IDF total: `containment`'s denominator (`vectorise`)
    facts: frozenset[str] | None = None  # `novelty.figure_terms`, when the sentence has any
    language: str | None = None  # its source's declared language (`Item.language`)


# --- vectors --------------------------------------------------------------------------------


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    # Only shared terms add (the others add 0.0), in `a`'s order: the same sum, bit for bit.
    return sum([w * b[t] for t, w in a.items() if t in b])


def normalise(vec: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum([w * w for w in vec.values()]))  # (a list: the same sum, faster)
    return {t: w / norm for t, w in vec.items()} if norm else {}


def sum_vectors(vectors: Iterable[dict[str, float]]) -> dict[str, float]:
    total: dict[str, float] = {}
    for vec in vectors:
        for t, w in vec.items():
            total[t] = total.get(t, 0.0) + w
    return total


def containment(inner: Counter[str], outer: Counter[str], idf: dict[str, float]) -> float:
    """Share of `inner`'s IDF-weighted terms that also occur in `outer`."""
    return contained(inner, idf_total(inner, idf), outer, idf)


def idf_total(terms: Iterable[str], idf: dict[str, float]) -> float:
    """The IDF-weighted size of `terms`: `containment`'s denominator."""
    # (lists, not generators: the same sums in the same order, made faster)
    return sum([idf.get(t, 1.0) for t in terms])


def contained(
    inner: Counter[str], total: float, outer: Counter[str], idf: dict[str, float]
) -> float:
    """`containment(inner, outer, idf)`, `inner`'s `idf_total` given (a unit's `weight`)."""
    if not total:
        return 0.0
    return sum([idf.get(t, 1.0) for t in inner if t in outer]) / total


def first_person(text: str) -> bool:
    """Whether the text speaks in the first person ("we hope", "I was"; not "World War I")."""
    if "I" in text and ROMAN_I.search(text):
        text = ROMAN_I.sub("", text)
    return _FIRST_PERSON.search(text) is not None


def _quality(unit: Unit) -> float:
    """Multiplier for what makes a sentence a weak stand-alone bullet."""
    factor = 1.0
    quoted = _QUOTES.search(unit.text) is not None
    if not quoted and first_person(unit.text):
        factor *= _W_FIRST_PERSON
    if quoted and unit.text[0] in '"“' and not _ATTRIBUTION.search(unit.text):
        factor *= _W_BARE_QUOTE
    elif quoted and unit.position >= 0 and not _PRONOUN_SPEAKER.search(unit.text):
        # What someone said, in a sentence that says who, or a work's title ("his 1966
        # bestseller “Rush to Judgment”"): news summaries quote (Multi-News references use 15
        # reference bigrams per 100 words of such sentences, 11 of others), yet centrality and
        # support score them like any other sentence.
        factor *= _W_SPEAKER_QUOTE
    if unit.position >= 0 and unit.words < 10:
        factor *= _W_SHORT
    if unit.position >= 0 and unit.text.endswith("!"):
        factor *= _W_EXCLAIM
    return factor


_TF = [0.0, *(1.0 + math.log(c) for c in range(1, 16))]  # a term's count → its weight's factor


def vectorise(units: list[Unit]) -> dict[str, float]:
    """Fill in each unit's terms, word count (unless known: not 0) and TF-IDF vector; return
    the IDF table."""
    df: Counter[str] = Counter()
    for unit in units:
        unit.terms = Counter(tokens(unit.text))
        if not unit.words:
            unit.words = word_count(unit.text)
        df.update(unit.terms.keys())
    n = len(units)
    idf = {t: math.log((n + 1) / (d + 1)) + 1.0 for t, d in df.items()}
    for unit in units:
        terms = unit.terms
        if max(terms.values(), default=1) < len(_TF):  # (the same weights, looked up)
            weights = {t: _TF[c] * idf[t] for t, c in terms.items()}
        else:
            weights = {t: (1.0 + math.log(c)) * idf[t] for t, c in terms.items()}
        unit.vector = normalise(weights)
        unit.weight = idf_total(unit.terms, idf)
    return idf


def story_centroid(units: list[Unit], n_sources: int) -> dict[str, float]:
    """The story's centre: each source's normalised sum of sentences, sources weighted alike."""
    per_source: list[dict[str, float]] = [{} for _ in range(n_sources)]
    for unit in units:
        acc = per_source[unit.source]
        for t, w in unit.vector.items():
            acc[t] = acc.get(t, 0.0) + w
    return normalise(sum_vectors(normalise(v) for v in per_source))


def _similarities(units: list[Unit], outlet_of: list[int]) -> list[dict[int, float]]:
    """Each unit's cosine with every unit of another outlet it shares a term with (by index),
    bit for bit `cosine`'s: summed over the shared terms in the order of the vector with fewer
    terms (the first's on a tie). Worked out from the terms' postings, so a pair costs its
    shared terms, not a pass over one vector's terms, and pairs sharing none cost nothing."""
    sizes = [len(unit.vector) for unit in units]
    similar: list[dict[int, float]] = [{} for _ in units]
    # The units largest first: a unit's dot products are with the units no smaller than it,
    # which are those ranked before it or tied with it, and the only ones in the postings
    # when its size is reached. Each sum runs in this unit's term order, as `cosine`'s.
    ranked = sorted(range(len(units)), key=sizes.__getitem__, reverse=True)
    postings: dict[str, list[tuple[int, float, int]]] = {}
    start = 0
    while start < len(ranked):
        size = sizes[ranked[start]]
        end = start
        while end < len(ranked) and sizes[ranked[end]] == size:
            end += 1
        for rank in range(start, end):
            index = ranked[rank]
            for term, weight in units[index].vector.items():
                postings.setdefault(term, []).append((rank, weight, outlet_of[index]))
        for rank in range(start, end):
            index = ranked[rank]
            own = outlet_of[index]
            dots = [0.0] * end  # by rank (a shared term adds > 0: weights are positive)
            for term, weight in units[index].vector.items():
                for other, other_weight, outlet in postings[term]:
                    if outlet != own:
                        dots[other] += weight * other_weight
            mine = similar[index]
            for other_rank in compress(range(end), dots):  # (the ranks whose dot is not 0.0)
                dot = dots[other_rank]
                other = ranked[other_rank]
                mine[other] = dot
                if sizes[other] > size:  # (on a tie the other's own pass counts)
                    similar[other][index] = dot
        start = end
    return similar


def score_units(
    units: list[Unit],
    outlets: list[str],
    centroid: dict[str, float],
    title_centroid: dict[str, float],
) -> None:
    """Centrality, title likeness, support from other outlets and lead position, by quality."""
    order: dict[str, int] = {}  # the outlets in order of their first unit
    for unit in units:
        order.setdefault(outlets[unit.source], len(order))
    outlet_of = [order[outlets[unit.source]] for unit in units]
    others = len(order) - 1
    similar = _similarities(units, outlet_of) if others else []
    for index, unit in enumerate(units):
        support = 0.0
        if others:
            # Each other outlet's closest unit; one sharing no term has cosine 0.
            best = [0.0] * len(order)
            for other, similarity in similar[index].items():
                if similarity > best[outlet_of[other]]:
                    best[outlet_of[other]] = similarity
            own = outlet_of[index]
            for outlet, closest in enumerate(best):
                if outlet != own:
                    support += closest
            support /= others
        position = 1.0 if unit.position < 0 else 1.0 / math.sqrt(1.0 + unit.position)
        unit.score = _quality(unit) * (
            _W_CENTROID * cosine(unit.vector, centroid)
            + _W_TITLE * cosine(unit.vector, title_centroid)
            + _W_SUPPORT * support
            + _W_POSITION * position
        )
