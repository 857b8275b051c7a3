"""Story summaries: a headline, fact bullets drawn from the sources, and the sources themselves.

`Summarizer` is the seam: the extractive default lives here; an LLM backend can implement the same
protocol and fall back to `ExtractiveSummarizer`. Everything here is pure and deterministic.

The extractive method: clean each source (boilerplate, datelines), split it into sentences, weigh
terms by TF-IDF over all sentences of the story, and score each sentence by its similarity to the
story's centroid and to the source titles, by how closely other outlets say the same, and by its
position (news leads first). Bullets are picked greedily by score, skipping any that repeat a
picked one or the headline; each cites every source that contains it.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .bullets import body_sentences
from .headline import choose as choose_headline
from .item_kinds import item_kind, supplies_facts
from .models import Bullet, Item, Summary
from .novelty import coverage, fact_terms, source_weights
from .story_sources import order, outlet_key, source_ref
from .text import tokens

__all__ = [
    "DEFAULT_SETTINGS",
    "ExtractiveSummarizer",
    "Summarizer",
    "SummarySettings",
    "make_summarizer",
    "outlet_key",
    "summarize",
    "summary_fingerprint",
]


@dataclass(frozen=True, slots=True)
class SummarySettings:
    """Knobs of the summary; the defaults suit a feed item read on a phone."""

    min_bullets: int = 3
    max_bullets: int = 12
    max_words: int = 250  # cap on the words of all bullets together
    max_bullet_words: int = 45  # longer sentences are cut at a clause boundary, or skipped
    min_bullet_words: int = 6  # shorter body sentences are not bullets (titles may be)
    redundancy: float = 0.35  # cosine similarity at which two bullets say the same thing
    attribution: float = 0.75  # share of a bullet's weighted terms a source must contain
    words_per_bullet: int = 60  # one more bullet wanted per this many words of source text
    novelty: float = 0.75  # share of a bullet's terms already said at which it adds nothing new

    def __post_init__(self) -> None:
        if not 1 <= self.min_bullets <= self.max_bullets:
            raise ValueError("need 1 <= min_bullets <= max_bullets")
        if self.max_words < 1 or self.max_bullet_words < self.min_bullet_words:
            raise ValueError("need max_words >= 1 and max_bullet_words >= min_bullet_words")
        if not (0 < self.redundancy <= 1 and 0 < self.attribution <= 1 and 0 < self.novelty <= 1):
            raise ValueError("redundancy, attribution and novelty must be in (0, 1]")
        if self.words_per_bullet < 1:
            raise ValueError("words_per_bullet must be >= 1")


DEFAULT_SETTINGS = SummarySettings()


class Summarizer(Protocol):
    """Anything that turns a story's items into a summary (extractive, LLM, a test fake)."""

    def summarize(self, items: Sequence[Item], previous_headline: str | None = None) -> Summary:
        """Summarise one story; `items` are its distinct (deduplicated) items, any order.

        `previous_headline` is the story's published headline, kept unless clearly bettered.
        """
        ...


# --- scoring weights (tuned on the Multi-News dev sample with bench/summary_eval.py) ---------

_W_CENTROID = 1.0
_W_TITLE = 0.5
_W_SUPPORT = 0.5
_W_POSITION = 0.4
_W_FIRST_PERSON = 0.6  # the author's voice ("we hope"), not a reported fact
_W_BARE_QUOTE = 0.8  # a quote cut from its speaker
_W_SHORT = 0.7  # fewer than 10 words
_HEADLINE_CONTAINS = 0.8  # a bullet this much contained in the headline adds nothing
_SAME_FACT_COSINE = 0.8  # a source sentence this similar to a bullet states its fact
_LEAD_FROM_HEADLINE = 0.5  # the headline source's best sentence leads if it scores this share

_FIRST_PERSON = re.compile(r"\b(?:I|we|We|our|Our|my|My|me|us)\b")
_QUOTES = re.compile(r"[\"“”]")
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|told|tells|asked|added|wrote|writes|according|stated|explained|noted)\b"
)


@dataclass(slots=True)
class _Unit:
    """A candidate bullet: one sentence (or the title) of one source."""

    text: str
    source: int  # index into the ordered sources
    position: int  # index among its source's body sentences; -1 for the title
    rel_position: float  # position / number of body sentences; 0 for the title
    terms: Counter[str]
    vector: dict[str, float]
    words: int
    score: float = 0.0


# --- vectors --------------------------------------------------------------------------------


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


def _normalise(vec: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(w * w for w in vec.values()))
    return {t: w / norm for t, w in vec.items()} if norm else {}


def _sum_vectors(vectors: Iterable[dict[str, float]]) -> dict[str, float]:
    total: dict[str, float] = {}
    for vec in vectors:
        for t, w in vec.items():
            total[t] = total.get(t, 0.0) + w
    return total


def _containment(inner: Counter[str], outer: Counter[str], idf: dict[str, float]) -> float:
    """Share of `inner`'s IDF-weighted terms that also occur in `outer`."""
    total = sum(idf.get(t, 1.0) for t in inner)
    if not total:
        return 0.0
    return sum(idf.get(t, 1.0) for t in inner if t in outer) / total


def _quality(unit: _Unit) -> float:
    """Multiplier for what makes a sentence a weak stand-alone bullet."""
    factor = 1.0
    quoted = _QUOTES.search(unit.text) is not None
    if not quoted and _FIRST_PERSON.search(unit.text):
        factor *= _W_FIRST_PERSON
    if quoted and unit.text[0] in '"“' and not _ATTRIBUTION.search(unit.text):
        factor *= _W_BARE_QUOTE
    if unit.position >= 0 and unit.words < 10:
        factor *= _W_SHORT
    return factor


# --- the summarizer -------------------------------------------------------------------------


class ExtractiveSummarizer:
    """The default summarizer: sentences chosen from the sources, no model needed."""

    def __init__(self, settings: SummarySettings = DEFAULT_SETTINGS) -> None:
        self.settings = settings

    def summarize(self, items: Sequence[Item], previous_headline: str | None = None) -> Summary:
        """Summarise one story's items; raises ValueError when there are none.

        Adverts are left out; opinion, reviews, live blogs and round-ups are listed as sources
        (labelled) but supply no facts when the story has news items. `previous_headline` is
        kept unless a clearly better one has arrived.
        """
        kinds_by_id = {item.id: item_kind(item) for item in items}
        kept = [it for it in items if kinds_by_id[it.id] != "advert"] or list(items)
        if not kept:
            raise ValueError("cannot summarise a story without items")
        settings = self.settings
        ordered = order(kept)
        kinds = [kinds_by_id[it.id] for it in ordered]
        sources = tuple(source_ref(it, kind) for it, kind in zip(ordered, kinds, strict=True))
        outlets = [outlet_key(it) for it in ordered]
        has_news = any(supplies_facts(k) for k in kinds)
        factual = [supplies_facts(k) or not has_news for k in kinds]
        titles = [src.title for src in sources]

        units: list[_Unit] = []
        body_words = 0
        for index, item in enumerate(ordered):
            if titles[index]:
                units.append(_Unit(titles[index], index, -1, 0.0, Counter(), {}, 0))
            if not factual[index]:
                continue
            body = body_sentences(
                item.text, titles, settings.max_bullet_words, settings.min_bullet_words
            )
            body_words += sum(len(s.split()) for s in body)
            for pos, sentence in enumerate(body):
                units.append(_Unit(sentence, index, pos, pos / len(body), Counter(), {}, 0))

        idf = _vectorise(units)
        centroid = _centroid(units, len(ordered))
        title_centroid = _normalise(_sum_vectors(u.vector for u in units if u.position < 0))
        has_body = [False] * len(ordered)
        for unit in units:
            if unit.position >= 0:
                has_body[unit.source] = True
        choice = choose_headline(
            [it.title for it in ordered], factual, centroid, idf, previous_headline, has_body
        )
        headline = choice.text or next((u.text for u in units if u.position == 0), "")
        _score(units, outlets, centroid, title_centroid)

        fact_outlets = len({o for o, f in zip(outlets, factual, strict=True) if f})
        target = self._target(fact_outlets, body_words)
        chosen = self._select(units, target, Counter(tokens(headline)), idf, choice.index, headline)
        bullets = tuple(Bullet(text=u.text, sources=self._cite(u, units, idf)) for u in chosen)
        return Summary(
            headline=headline,
            bullets=bullets,
            sources=sources,
            outlet_count=len(set(outlets)),
            method="extractive",
        )

    def _target(self, outlet_count: int, body_words: int) -> int:
        """How many bullets the story deserves: more outlets and more text, more bullets."""
        s = self.settings
        wanted = s.min_bullets + (outlet_count - 1) + body_words // s.words_per_bullet
        return max(s.min_bullets, min(s.max_bullets, wanted))

    def _select(
        self,
        units: list[_Unit],
        target: int,
        headline: Counter[str],
        idf: dict[str, float],
        headline_source: int,
        headline_text: str = "",
    ) -> list[_Unit]:
        """Greedy pick by score, skipping titles, repeats and what would overflow the word cap.

        The lead is the best sentence of the headline's own source when it scores at least
        half the best overall (so bullets agree with the headline), else the best; the rest
        follow in story order (relative position in source).
        """
        body = [u for u in units if u.position >= 0 and u.terms]
        ranked = sorted(body, key=lambda u: (-u.score, u.source, u.position))
        if ranked and headline_source >= 0:
            own = [u for u in ranked if u.source == headline_source]
            own = [u for u in own if _containment(u.terms, headline, idf) < _HEADLINE_CONTAINS]
            if own and own[0].score >= _LEAD_FROM_HEADLINE * ranked[0].score:
                ranked.remove(own[0])
                ranked.insert(0, own[0])
        facts = {id(u): fact_terms(u.text) for u in body}
        per_source: dict[int, set[str]] = {}
        for u in body:
            per_source.setdefault(u.source, set()).update(facts[id(u)])
        weights = source_weights(per_source.values())
        said = set(fact_terms(headline_text))
        chosen: list[_Unit] = []
        words = 0
        for unit in ranked:
            if len(chosen) >= target:
                break
            if words + unit.words > self.settings.max_words:
                continue
            if _containment(unit.terms, headline, idf) >= _HEADLINE_CONTAINS:
                continue
            if any(self._redundant(unit, other, idf) for other in chosen):
                continue
            if chosen and coverage(facts[id(unit)], said, weights) >= self.settings.novelty:
                continue
            chosen.append(unit)
            said.update(facts[id(unit)])
            words += unit.words
        if not chosen:
            return []
        lead, rest = chosen[0], chosen[1:]
        rest.sort(key=lambda u: (u.rel_position, u.position, u.source))
        return [lead, *rest]

    def _redundant(self, a: _Unit, b: _Unit, idf: dict[str, float]) -> bool:
        """Whether two candidates say the same thing (similar, or one contains the other)."""
        if _cosine(a.vector, b.vector) >= self.settings.redundancy:
            return True
        limit = max(self.settings.attribution, 0.7)
        return (
            _containment(a.terms, b.terms, idf) >= limit
            or _containment(b.terms, a.terms, idf) >= limit
        )

    def _cite(self, unit: _Unit, units: list[_Unit], idf: dict[str, float]) -> tuple[int, ...]:
        """Every source with a sentence (or title) that states the bullet's fact."""
        cited = {unit.source}
        for other in units:
            if other.source not in cited and (
                _containment(unit.terms, other.terms, idf) >= self.settings.attribution
                or _cosine(unit.vector, other.vector) >= _SAME_FACT_COSINE
            ):
                cited.add(other.source)
        return tuple(sorted(cited))


def _vectorise(units: list[_Unit]) -> dict[str, float]:
    """Fill in each unit's terms, word count and TF-IDF vector; return the IDF table."""
    df: Counter[str] = Counter()
    for unit in units:
        unit.terms = Counter(tokens(unit.text))
        unit.words = len(unit.text.split())
        df.update(unit.terms.keys())
    n = len(units)
    idf = {t: math.log((n + 1) / (d + 1)) + 1.0 for t, d in df.items()}
    for unit in units:
        unit.vector = _normalise({t: (1.0 + math.log(c)) * idf[t] for t, c in unit.terms.items()})
    return idf


def _centroid(units: list[_Unit], n_sources: int) -> dict[str, float]:
    """The story's centre: each source's normalised sum of sentences, sources weighted alike."""
    per_source: list[dict[str, float]] = [{} for _ in range(n_sources)]
    for unit in units:
        acc = per_source[unit.source]
        for t, w in unit.vector.items():
            acc[t] = acc.get(t, 0.0) + w
    return _normalise(_sum_vectors(_normalise(v) for v in per_source))


def _score(
    units: list[_Unit],
    outlets: list[str],
    centroid: dict[str, float],
    title_centroid: dict[str, float],
) -> None:
    """Centrality, title likeness, support from other outlets and lead position, by quality."""
    by_outlet: dict[str, list[_Unit]] = {}
    for unit in units:
        by_outlet.setdefault(outlets[unit.source], []).append(unit)
    others = len(by_outlet) - 1
    for unit in units:
        support = 0.0
        if others:
            own = outlets[unit.source]
            for outlet, group in by_outlet.items():
                if outlet != own:
                    support += max(_cosine(unit.vector, v.vector) for v in group)
            support /= others
        position = 1.0 if unit.position < 0 else 1.0 / math.sqrt(1.0 + unit.position)
        unit.score = _quality(unit) * (
            _W_CENTROID * _cosine(unit.vector, centroid)
            + _W_TITLE * _cosine(unit.vector, title_centroid)
            + _W_SUPPORT * support
            + _W_POSITION * position
        )


def summarize(
    items: Sequence[Item],
    settings: SummarySettings = DEFAULT_SETTINGS,
    previous_headline: str | None = None,
) -> Summary:
    """Summarise one story's items with the extractive summarizer."""
    return ExtractiveSummarizer(settings).summarize(items, previous_headline)


def make_summarizer(
    settings: Any, *, background: bool = False, on_answer: Callable[[], None] | None = None
) -> Summarizer:
    """The summarizer the settings ask for (the service and the batch command share it):
    the LLM backend when `[llm]` is enabled, falling back to the extractive one. With
    `background` (the service), model requests don't hold up the caller (see `llm`)."""
    extractive = ExtractiveSummarizer(settings.summary)
    llm = getattr(settings, "llm", None)
    if llm is not None and llm.enabled:
        from .llm import LLMSummarizer

        return LLMSummarizer(llm, extractive, background=background, on_answer=on_answer)
    return extractive


def summary_fingerprint(summary: Summary) -> str:
    """A stable hash (hex sha256) of headline, bullets with citations, sources and outlet count.

    Equal summaries hash equal across runs and machines: bump a story's version when it changes.
    """
    payload = {
        "headline": summary.headline,
        "bullets": [[b.text, list(b.sources)] for b in summary.bullets],
        "sources": [
            [
                s.outlet,
                s.title,
                s.url,
                s.item_id,
                s.published.isoformat() if s.published else None,
                *([s.label] if s.label else []),
            ]
            for s in summary.sources
        ],
        "outlet_count": summary.outlet_count,
        "method": summary.method,
    }
    blob = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
