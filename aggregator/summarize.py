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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from .dedupe import outlet_key as url_outlet
from .models import Bullet, Item, SourceRef, Summary
from .text import clean_headline, clean_text, html_to_text, split_sentences, tokens

__all__ = [
    "DEFAULT_SETTINGS",
    "ExtractiveSummarizer",
    "Summarizer",
    "SummarySettings",
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

    def __post_init__(self) -> None:
        if not 1 <= self.min_bullets <= self.max_bullets:
            raise ValueError("need 1 <= min_bullets <= max_bullets")
        if self.max_words < 1 or self.max_bullet_words < self.min_bullet_words:
            raise ValueError("need max_words >= 1 and max_bullet_words >= min_bullet_words")
        if not (0 < self.redundancy <= 1 and 0 < self.attribution <= 1):
            raise ValueError("redundancy and attribution must be in (0, 1]")
        if self.words_per_bullet < 1:
            raise ValueError("words_per_bullet must be >= 1")


DEFAULT_SETTINGS = SummarySettings()


class Summarizer(Protocol):
    """Anything that turns a story's items into a summary (extractive, LLM, a test fake)."""

    def summarize(self, items: Sequence[Item]) -> Summary:
        """Summarise one story; `items` are its distinct (deduplicated) items, any order."""
        ...


# --- scoring weights (tuned on the Multi-News dev sample with bench/summary_eval.py) ---------

_W_CENTROID = 1.0
_W_TITLE = 0.5
_W_SUPPORT = 0.5
_W_POSITION = 0.4
_TITLE_AS_BULLET = 0.5  # a title competes with body sentences at this factor
_W_FIRST_PERSON = 0.6  # the author's voice ("we hope"), not a reported fact
_W_BARE_QUOTE = 0.8  # a quote cut from its speaker
_W_UNBALANCED = 0.5  # a quote or bracket opened and not closed
_W_SHORT = 0.7  # fewer than 10 words
_W_PRONOUN = 0.8  # starts with "he", "it", "this": leans on a sentence we may not show
_HEADLINE_CONTAINS = 0.8  # a bullet this much contained in the headline adds nothing
_SAME_FACT_COSINE = 0.8  # a source sentence this similar to a bullet states its fact
_MAX_SENTENCES = 60  # per source: leads carry the news, and this bounds the work

_PRONOUN_START = frozenset("he she it they this that these those his her its their".split())
_OPINION_LABEL = re.compile(
    r"^\s*(?:opinion|comment|commentary|analysis|editorial|column|perspective|op-ed|letters?|"
    r"review|viewpoint|explainer|quiz|podcast)\s*[:|—–-]\s*",
    re.IGNORECASE,
)
_LIVE_LABEL = re.compile(r"^\s*live\b|\blive(?:\s+updates?|\s+blog)?\s*$", re.IGNORECASE)
_TERMINAL = re.compile(r"""[.!?]["'”’)\]]*$""")
_TRUNCATED = re.compile(r"""(?:\.\.\.|…)["'”’)\]]*$""")
_CLAUSE_BREAK = re.compile(r";\s+|\s+[—–]\s+|\s+--\s+")
_URLISH = re.compile(r"https?://|www\.|\S+@\S+\.\w|(?:^|\s)@\w")
_PROMO = re.compile(
    r"\b(?:newsletters?|mailing\s+list|sign\s+up|subscribe|subscription|click\s+here|"
    r"follow\s+us|contact\s+details|cookies?\s+policy|terms\s+of\s+(?:use|service)|"
    r"privacy\s+policy|all\s+rights\s+reserved|javascript)\b",
    re.IGNORECASE,
)
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


def outlet_key(item: Item) -> str:
    """What tells outlets apart: outlet, else outlet name, else URL host, else the item id."""
    if item.outlet.strip():
        return item.outlet.strip().lower()
    if item.outlet_name.strip():
        return item.outlet_name.strip().casefold()
    for url in (item.url, item.canonical_url, item.feed_url):
        host = url_outlet(url)
        if host:
            return host
    return f"item:{item.id}"


def _source_ref(item: Item) -> SourceRef:
    outlet = (
        item.outlet_name.strip() or item.outlet.strip() or url_outlet(item.url or item.feed_url)
    )
    title = clean_headline(item.title) or item.title.strip()
    return SourceRef(
        outlet=outlet, title=title, url=item.url, published=item.published, item_id=item.id
    )


def _order(items: Sequence[Item]) -> list[Item]:
    """Sources by publication time (undated last), ties broken so the order is total."""
    return sorted(
        items,
        key=lambda it: (
            it.published is None,
            it.published.timestamp() if it.published else 0.0,
            outlet_key(it),
            it.url or "",
            it.id,
            it.title,
        ),
    )


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


# --- candidate sentences --------------------------------------------------------------------


def _word_count(text: str) -> int:
    return len(text.split())


def _balanced(text: str) -> bool:
    """Whether quotes and brackets open and close within the text."""
    return (
        text.count("“") == text.count("”")
        and text.count('"') % 2 == 0
        and text.count("(") == text.count(")")
    )


def _fit_length(sentence: str, settings: SummarySettings) -> str | None:
    """The sentence itself, or its longest fitting first clause when too long, else None."""
    if _word_count(sentence) <= settings.max_bullet_words:
        return sentence
    best: str | None = None
    for match in _CLAUSE_BREAK.finditer(sentence):
        head = sentence[: match.start()].rstrip(" ,:")
        n = _word_count(head)
        if n > settings.max_bullet_words:
            break
        if n >= max(settings.min_bullet_words, 8) and _balanced(head):
            best = head
    if best is None:
        return None
    return best if _TERMINAL.search(best) else best + "."


def _body_sentences(text: str, title: str, settings: SummarySettings) -> list[str]:
    """Candidate sentences of one source body, in order, junk and repeats of the title dropped."""
    if "<" in text and ">" in text:
        text = html_to_text(text)
    title_terms = tokens(title)
    out: list[str] = []
    for raw in split_sentences(clean_text(text)):
        sentence = raw.strip(" -—–•*·")
        if (
            not sentence
            or not any(c.islower() for c in sentence)
            or not (sentence[0].isupper() or sentence[0].isdigit() or sentence[0] in "\"“‘'(")
            or sentence.rstrip("\"'”’)").endswith("?")
            or _TRUNCATED.search(sentence)
            or _URLISH.search(sentence)
            or _PROMO.search(sentence)
            or (title_terms and tokens(sentence) == title_terms)
        ):
            continue
        n = _word_count(sentence)
        if n < settings.min_bullet_words or (n < 8 and not _TERMINAL.search(sentence)):
            continue
        fitted = _fit_length(sentence, settings)
        if fitted:
            out.append(fitted)
    return out


def _title_is_candidate(title: str, raw: str) -> bool:
    """Whether a source title may be a bullet: a statement, not a question or an opinion."""
    return (
        _word_count(title) >= 3
        and not title.rstrip("\"'”’)").endswith("?")
        and not _OPINION_LABEL.search(raw)
        and any(c.islower() for c in title)
    )


def _quality(unit: _Unit) -> float:
    """Multiplier for what makes a sentence a weak stand-alone bullet."""
    factor = 1.0
    first = unit.text.split(None, 1)[0].strip("\"“‘'(").lower() if unit.text else ""
    if first in _PRONOUN_START:
        factor *= _W_PRONOUN
    if not _balanced(unit.text):
        factor *= _W_UNBALANCED
    quoted = _QUOTES.search(unit.text) is not None
    if not quoted and _FIRST_PERSON.search(unit.text):
        factor *= _W_FIRST_PERSON
    if quoted and unit.text[0] in '"“' and not _ATTRIBUTION.search(unit.text):
        factor *= _W_BARE_QUOTE
    if unit.position >= 0 and unit.words < 10:
        factor *= _W_SHORT
    if unit.position < 0:
        factor *= _TITLE_AS_BULLET
    return factor


# --- the summarizer -------------------------------------------------------------------------


class ExtractiveSummarizer:
    """The default summarizer: sentences chosen from the sources, no model needed."""

    def __init__(self, settings: SummarySettings = DEFAULT_SETTINGS) -> None:
        self.settings = settings

    def summarize(self, items: Sequence[Item]) -> Summary:
        """Summarise one story's items; raises ValueError when there are none."""
        if not items:
            raise ValueError("cannot summarise a story without items")
        settings = self.settings
        ordered = _order(items)
        sources = tuple(_source_ref(it) for it in ordered)
        outlets = [outlet_key(it) for it in ordered]
        titles = [src.title for src in sources]

        units: list[_Unit] = []
        body_words = 0
        for index, item in enumerate(ordered):
            body = _body_sentences(item.text, titles[index], settings)[:_MAX_SENTENCES]
            body_words += sum(_word_count(s) for s in body)
            if _title_is_candidate(titles[index], item.title):
                units.append(_Unit(titles[index], index, -1, 0.0, Counter(), {}, 0))
            for pos, sentence in enumerate(body):
                units.append(_Unit(sentence, index, pos, pos / len(body), Counter(), {}, 0))

        idf = _vectorise(units)
        centroid = _centroid(units, len(ordered))
        title_centroid = _normalise(_sum_vectors(u.vector for u in units if u.position < 0))
        leads = [u.text for u in units if u.position == 0]
        headline = _headline(ordered, titles, centroid, idf) or (leads[0] if leads else "")
        _score(units, outlets, centroid, title_centroid)

        target = self._target(len(set(outlets)), body_words)
        chosen = self._select(units, target, Counter(tokens(headline)), idf)
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
        self, units: list[_Unit], target: int, headline: Counter[str], idf: dict[str, float]
    ) -> list[_Unit]:
        """Greedy pick by score, skipping repeats and what would overflow the word cap.

        The best bullet leads; the rest follow in story order (relative position in source).
        """
        ranked = sorted(units, key=lambda u: (-u.score, u.source, u.position))
        chosen: list[_Unit] = []
        words = 0
        for unit in ranked:
            if len(chosen) >= target:
                break
            if not unit.terms or words + unit.words > self.settings.max_words:
                continue
            if _containment(unit.terms, headline, idf) >= _HEADLINE_CONTAINS:
                continue
            if any(self._redundant(unit, other, idf) for other in chosen):
                continue
            chosen.append(unit)
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
        unit.words = _word_count(unit.text)
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


def _headline(
    ordered: list[Item], titles: list[str], centroid: dict[str, float], idf: dict[str, float]
) -> str:
    """The most representative clean title, avoiding questions, live and opinion labels.

    Empty when no source has a title (the caller then uses a lead sentence).
    """
    best: tuple[float, int] | None = None
    for index, title in enumerate(titles):
        if not title:
            continue
        terms = Counter(tokens(title))
        vector = _normalise({t: (1.0 + math.log(c)) * idf.get(t, 1.0) for t, c in terms.items()})
        score = _cosine(vector, centroid) + 0.05
        raw = ordered[index].title
        if title.rstrip("\"'”’").endswith("?"):
            score *= 0.5
        if _OPINION_LABEL.search(raw):
            score *= 0.5
        if _LIVE_LABEL.search(raw):
            score *= 0.7
        n = _word_count(title)
        if n < 4:
            score *= 0.7
        elif n > 20:
            score *= 0.8
        if title.isupper():
            score *= 0.7
        key = (-score, index)
        if best is None or key < best:
            best = key
    if best is not None:
        title = titles[best[1]]
        return _OPINION_LABEL.sub("", title).strip() or title
    return ""


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


def summarize(items: Sequence[Item], settings: SummarySettings = DEFAULT_SETTINGS) -> Summary:
    """Summarise one story's items with the extractive summarizer."""
    return ExtractiveSummarizer(settings).summarize(items)


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
            ]
            for s in summary.sources
        ],
        "outlet_count": summary.outlet_count,
        "method": summary.method,
    }
    blob = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
