"""Story summaries: a headline, fact bullets drawn from the sources, and the sources themselves.

`Summarizer` is the seam: the extractive default lives here; an LLM backend can implement the same
protocol and fall back to `ExtractiveSummarizer`. Everything here is pure and deterministic.

The extractive method: clean each source (boilerplate, datelines), split it into sentences, weigh
terms by TF-IDF over all sentences of the story, and score each sentence by its similarity to the
story's centroid and to the source titles, by how closely other outlets say the same, and by its
position (news leads first; see `sentence_scoring`). Bullets are picked greedily by score,
skipping any that repeat a picked one or the headline, and any whose count a later report
gives anew (`counted_facts`); each cites every source that contains it.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any, Protocol

from .bullets import body_sentence_facts
from .cjk_script import declared_japanese, has_cjk
from .counted_facts import counts, may_count, overtaken, overtakes
from .dedupe import outlet_key as url_outlet
from .digests import blake2b
from .headline import choose as choose_headline
from .headline import ordinary_words, shouts
from .item_kinds import item_kind, published, supplies_bullets, supplies_facts
from .lang import detect_language, quote_language, quoted, script_language
from .models import Bullet, Item, SourceRef, Summary
from .novelty import (
    PARAPHRASE_MIN,
    RESTATES_MIN,
    TELLS_MORE,
    adds_act,
    coverage,
    fact_terms,
    fact_terms_of,
    figure_terms,
    loose_terms,
    names_new,
    opposed,
    paraphrases,
    restates,
    retells,
    source_weights,
    states_figure,
    tells_more,
)
from .sentence_scoring import (
    Unit,
    contained,
    cosine,
    first_person,
    idf_total,
    normalise,
    score_units,
    story_centroid,
    sum_vectors,
    vectorise,
)
from .story_sources import distinct_names, order, outlet_keys, source_ref
from .summary_settings import SummarySettings
from .terms import with_lost_e
from .titles import cut_from_text, own_outlet
from .tokens import has_english_plurals, tokens, word_count
from .tokens import words as text_words
from .writer_voice import (
    addresses_reader,
    byline,
    in_writers_voice,
    in_writers_words,
    opens_as_we,
    speaks_as_writer,
)

__all__ = [
    "DEFAULT_SETTINGS",
    "ExtractiveSummarizer",
    "Summarizer",
    "SummarySettings",
    "make_summarizer",
    "story_language",
    "summarize",
    "summary_fingerprint",
]


DEFAULT_SETTINGS = SummarySettings()


class Summarizer(Protocol):
    """Anything that turns a story's items into a summary (extractive, LLM, a test fake)."""

    def summarize(
        self,
        items: Sequence[Item],
        previous_headline: str | None = None,
        language: str | None = None,
    ) -> Summary:
        """Summarise one story; `items` are its distinct (deduplicated) items, any order.

        `previous_headline` is the story's published headline, kept unless clearly bettered;
        `language` the one a tie of its sources' languages goes to (its category's), None:
        the readers'.
        """
        ...


# --- selection (tuned on the Multi-News dev sample with bench/summary_eval.py) ---------------

_HEADLINE_CONTAINS = 0.8  # a bullet this much contained in the headline adds nothing
_SAME_FACT_COSINE = 0.8  # a source sentence this similar to a bullet states its fact
# A figure that tells a fact apart (not a year, not a digit alone): "1,200", "3.3", "12,000".
_TELLING_FIGURE = re.compile(r"(?<![\w.,])(?:\d{1,3}(?:,\d{3})+|\d+\.\d+|\d{2,})(?![\w,]|\.\d)")


def _same_figure(a: Unit, b: Unit) -> bool:
    """Whether two sentences tell one fact in other words: the same telling figure and three
    more terms in common ("… could axe up to 1,200 jobs" and "… comments came as the airport
    announced it may have to axe up to 1,200 …": neither similar nor contained enough)."""
    figures = {f for f in _TELLING_FIGURE.findall(a.text) if not 1900 <= _number(f) <= 2100}
    if not figures or figures.isdisjoint(_TELLING_FIGURE.findall(b.text)):
        return False
    shared = [t for t in a.terms.keys() & b.terms.keys() if not t[:1].isdigit()]
    return len(shared) >= 3


def _number(figure: str) -> float:
    return float(figure.replace(",", ""))


_FIGURE_REDUNDANCY = 0.5  # the cosine at which a sentence with its title's new figure repeats
_LEAD_FROM_HEADLINE = 0.5  # the headline source's best sentence leads if it scores this share
_LEAD_NEWS_MARGIN = 0.25  # another bullet holding this much more of the headline leads instead
_OWN_TITLE_SAID = 0.5  # a retelling is left out only if this share of its own title is said
_FULLER = 2  # loose terms a paraphrase must add to take the place of the bullet it tells
_FULLER_SHARE = 0.25  # ... and this share of the bullet's


def story_language(
    languages: Sequence[str | None],
    factual: Sequence[bool],
    words: Sequence[int],
    preferred: str,
    declared: bool = False,
) -> str | None:
    """The one language a story's headline and bullets are written in, when its fact-supplying
    sources come in several (an outlet's report and its video in another language): with
    `declared` (`preferred` is the story's category's own, from the OPML), that language
    whenever a source in it has text of its own; else the language most of them are in, on a
    tie `preferred` (a tag: "es-MX" prefers "es"; the category's, else the readers'), else
    the one with more words. None when they are in one language or none is known (nothing is
    left out)."""
    count: Counter[str] = Counter()
    text: Counter[str] = Counter()
    for language, supplies, size in zip(languages, factual, words, strict=True):
        if supplies and language is not None:
            count[language] += 1
            text[language] += size
    if len(count) < 2:
        return None
    want = preferred.replace("_", "-").split("-")[0].lower()
    if declared and text[want] > 0:
        return want
    return max(count, key=lambda code: (count[code], code == want, text[code]))


# An item's language (`detect_language` of its title and text), memoised by a digest of both:
# a story that gains an item is summarised again from the same items. Bounded; the texts
# themselves are not kept. A `run` service's pass reads ~5,000-9,000 items (half of them read
# in the pass before), so 4,096 entries were all evicted before their story came round again
# (5,335 of 5,345 lookups missed, 1,200 stories of a 39k store summarised twice); an entry is
# ~0.2 KB: 16,384 of them ~3 MB.
_LANGUAGES_MAX = 16384
_languages: OrderedDict[bytes, str | None] = OrderedDict()
_languages_lock = threading.Lock()  # summaries may be written on more than one thread


def item_language(item: Item) -> str | None:
    """The language an item's title and text are written in (None: not told), memoised: by
    their common words, else by their script (`script_language`: an Arabic or Chinese
    report, which no word count places, had been quoted among an English story's bullets)."""
    text = f"{item.title}\n{item.text}"
    key = blake2b(text.encode(), digest_size=16).digest()
    with _languages_lock:
        if key in _languages:
            _languages.move_to_end(key)
            return _languages[key]
    found = detect_language(text) or script_language(text)
    with _languages_lock:
        _languages[key] = found
        while len(_languages) > _LANGUAGES_MAX:
            _languages.popitem(last=False)
    return found


def _writers(
    ordered: Sequence[Item], kinds: Sequence[str], sources: Sequence[SourceRef]
) -> list[tuple[str, str] | None]:
    """Each source's writer as a bullet in their own first person names them: (byline,
    outlet) for a source that is not news (a column, essay, review), None for a report."""
    return [
        None
        if supplies_facts(kind)
        else (byline(item.author, item.title, item.text, source.outlet), source.outlet)
        for item, kind, source in zip(ordered, kinds, sources, strict=True)
    ]


def _voiced(
    units: Sequence[Unit],
    writers: Sequence[tuple[str, str] | None],
    language: str | None = None,
) -> list[str]:
    """The units' texts as bullets: a sentence of a column or essay in its writer's own first
    person ("…, I started crying.") or speaking to its reader ("…, you will miss it.") quoted
    and attributed (`writer_voice.in_writers_words`), so no reader asks whose "I" or which
    "you"; a named writer quoted above "also writes", and so does an unnamed one when no other
    source's bullet came between ("the author" then means no one else); any other as it
    stands. `language`: the bullets' one language, where known (`in_writers_voice`)."""
    texts: list[str] = []
    named: set[tuple[str, str]] = set()
    last = -1  # the source of the bullets since the last quote, while only it spoke
    for unit in units:
        writer = writers[unit.source]
        if writer is None or not in_writers_voice(unit.text, language):
            texts.append(unit.text)
            last = last if unit.source == last else -1
            continue
        again = unit.source == last or writer in named
        texts.append(in_writers_words(unit.text, *writer, again=again))
        if writer[0]:
            named.add(writer)
        last = unit.source
    return texts


def _fact_sources(
    ordered: Sequence[Item], kinds: Sequence[str], preferred: str, declared: bool = False
) -> tuple[list[bool], list[bool], list[str | None]]:
    """Which of a story's sources may supply its headline, and which its bullets: its news
    items (every source, when it has none), its personal essays for bullets too; and of those
    only the ones in the story's one language when they write in several (`story_language`):
    the others' sources are listed, not quoted. And the language of each that supplies
    bullets (`item_language`; None for the others)."""
    has_news = any(supplies_facts(k) for k in kinds)
    told = [supplies_bullets(k) or not has_news for k in kinds]
    languages = [item_language(it) if f else None for it, f in zip(ordered, told, strict=True)]
    if sum(told) > 1:  # (one source of facts writes in one language)
        words = [word_count(it.text) for it in ordered]
        language = story_language(languages, told, words, preferred, declared)
        if language is not None:
            keep = [lang in (None, language) for lang in languages]
            told = [f and k for f, k in zip(told, keep, strict=True)]
            languages = [lang if f else None for lang, f in zip(languages, told, strict=True)]
    headed = [f and (supplies_facts(k) or not has_news) for f, k in zip(told, kinds, strict=True)]
    return (headed if any(headed) else told), told, languages


def _units(
    ordered: Sequence[Item],
    titles: list[str],
    factual: list[bool],
    writers: Sequence[tuple[str, str] | None],
    languages: Sequence[str | None],
    settings: SummarySettings,
) -> tuple[list[Unit], int]:
    """The story's candidate units, not yet vectorised: each source's title (where it has one)
    and the body sentences of each source that supplies facts; and those sentences' words
    together (`languages`: each source's, `_fact_sources`). A report's sentence that says "I"
    outside quotation marks is left out (in its source's language: Italian's "I" is its
    article): a report's "I" is someone it does not name there (an interview's questions and
    answers, a quote whose marks were lost: "I think that's why he won."), not its writer, whose
    words only a column's or essay's "I" is (`_voiced`). So is one that speaks to its reader
    ("If you know your history, …"): a teaser, a how-to or an aside, never the report's fact. So
    is one that opens with "We" or "Our": the outlet's voice ("Our correspondent says …") or a
    statement's that lost its marks; unless the story has no other sentence, where the outlet's
    "We go inside the hospice …" is all its teaser says of its piece. So is one that is mostly a
    quotation in another language than the source's own words (`quote_language`): a reader of an
    English headline gets no Tagalog quote for its bullet."""
    units: list[Unit] = []
    outlets_we: list[Unit] = []  # (kept only when no other source gives a sentence)
    body_words = 0
    for index, item in enumerate(ordered):
        declared = item.language  # (tells a kanji-only text Japanese or Chinese: `novelty`)
        if titles[index]:
            units.append(Unit(titles[index], index, -1, 0.0, Counter(), {}, 0, language=declared))
        if not factual[index]:
            continue
        body = body_sentence_facts(
            item.text, titles, settings.max_bullet_words, settings.min_bullet_words
        )
        body_words += sum(n for _, n, _ in body)
        report = writers[index] is None
        language = languages[index]  # (Italian's "I" is its article: `speaks_as_writer`)
        left_out = [report and in_writers_voice(sentence, language) for sentence, _, _ in body]
        ours = report and bool(body) and all(left_out)  # (its only sentences: the outlet's "we")
        if ours:
            left_out = [not _outlets_we(sentence, language) for sentence, _, _ in body]
        quotes = [quote_language(sentence) for sentence, _, _ in body]
        if any(quotes):  # (a quotation in another language than the report's own words)
            own = _own_words_language(item)
            other = [q is not None and own is not None and q != own for q in quotes]
            left_out = [a or b for a, b in zip(left_out, other, strict=True)]
        # (a body's candidates are kept by its text alone, their Chinese and Japanese facts read
        # by their script: read again as the source declares where it names one)
        reread = declared_japanese(declared) is not None
        for pos, (sentence, n, facts) in enumerate(body):
            if left_out[pos]:
                continue
            if reread and has_cjk(sentence):
                facts = figure_terms(sentence, language=declared)
            rel = pos / len(body)
            unit = Unit(sentence, index, pos, rel, Counter(), {}, n, facts=facts, language=declared)
            (outlets_we if ours else units).append(unit)
    if outlets_we and not any(u.position >= 0 for u in units):
        units.extend(outlets_we)
        units.sort(key=lambda u: (u.source, u.position))  # (each source's title, then body)
    return units, body_words


def _own_words_language(item: Item) -> str | None:
    """The language of a source's own words: its title and its text outside quotations."""
    return detect_language(f"{item.title}\n{quoted(item.text)[1]}")


def _outlets_we(sentence: str, language: str | None = None) -> bool:
    """Whether the sentence's only voice is a "We" or "Our" opening it (no "I", no "you"),
    read in its source's `language` where known (`opens_as_we`)."""
    return (
        opens_as_we(sentence, language)
        and not speaks_as_writer(sentence, language)
        and not addresses_reader(sentence)
    )


def _unrestated(
    chosen: list[Unit],
    facts: dict[int, frozenset[str]],
    headline: frozenset[str],
    weights: dict[str, float],
    settings: SummarySettings,
) -> list[Unit]:
    """The chosen bullets without a Chinese or Japanese one that the headline and the others
    say in full: a short sentence picked before a longer one that holds it ("震源は北岡県東部
    で、マグニチュードは6.1。" and then the sentence with the depth as well). The lowest-scored
    goes first; the lead stays."""
    kept = list(chosen)
    for unit in reversed(chosen[1:]):
        if not has_cjk(unit.text):
            continue
        others = set(headline).union(*(facts[id(u)] for u in kept if u is not unit))
        if coverage(facts[id(unit)], others, weights) >= settings.novelty:
            kept.remove(unit)
    return kept


def _news_first(chosen: list[Unit], headline: Counter[str], idf: dict[str, float]) -> Unit:
    """The bullet to lead with: the first chosen, unless another says much more of what the
    headline says (by `_LEAD_NEWS_MARGIN` of the headline's weighted terms): the lead tells the
    news, and a detail from the headline's own source ("Organisers hope the fair returns next
    year") does not lead a bullet from another that tells it ("The fair is cancelled"). A
    headline's verb is read in the report's tense too ("releases" = "released":
    `terms.with_lost_e`)."""
    total = idf_total(headline, idf)
    if len(chosen) < 2 or not total:
        return chosen[0]
    # (a headline's "releases" is a report's "released": terms read with their lost e)
    wanted: dict[str, float] = {}
    for term in headline:
        based = with_lost_e(term)
        wanted[based] = wanted.get(based, 0.0) + idf.get(term, 1.0)

    def share(unit: Unit) -> float:
        terms = {with_lost_e(t) for t in unit.terms}
        return sum([weight for term, weight in wanted.items() if term in terms]) / total

    # (a sentence in the first person leads nothing: "we're still not sure what to make of it")
    shares = [share(u) if n == 0 or not first_person(u.text) else 0.0 for n, u in enumerate(chosen)]
    best = max(range(len(chosen)), key=lambda n: (shares[n], -n))
    return chosen[best] if shares[best] >= shares[0] + _LEAD_NEWS_MARGIN else chosen[0]


def _in_story_order(
    chosen: list[Unit], headline: Counter[str], idf: dict[str, float]
) -> list[Unit]:
    """The chosen bullets as they are shown: the lead (`_news_first`), then the rest in story
    order (relative position in source). A source's bullets keep its order, so none comes
    before what introduces it ("… responded to Omenihu's post" before "… defensive end
    Charles Omenihu …"): the lead is its source's earliest bullet."""
    lead, rest = _news_first(chosen, headline, idf), chosen[1:]
    if lead is not chosen[0]:
        rest = [chosen[0], *(u for u in rest if u is not lead)]
    first = min(
        (u for u in rest if u.source == lead.source), key=lambda u: u.position, default=lead
    )
    if first.position < lead.position:
        rest[rest.index(first)] = lead
        lead = first
    rest.sort(key=lambda u: (u.rel_position, u.position, u.source))
    return [lead, *rest]


def _own_news(title: frozenset[str] | None, said: set[str]) -> bool:
    """Whether a candidate's own source's title (its fact terms) tells news the summary has
    told (`_OWN_TITLE_SAID` of its terms said): only then may the candidate be left out as
    retelling a bullet. An outlet whose title tells another side ("<firm> leads the testing
    drive") keeps its sentence though it retells much (who runs the drive)."""
    return title is None or len(title & said) >= _OWN_TITLE_SAID * len(title)


# Languages whose stories' fact terms read English's irregular plurals: English, and Tagalog,
# which writes English's words among its own ("mga housing crises") and has none of its own
# that the rules would misread (no native word ends in -oes, -uses or -yses).
_ENGLISH_PLURALS = frozenset({"en", "tl"})


def _english(language: str | None) -> bool:
    """Whether a story's fact terms read English's irregular plurals (`novelty.fact_terms`):
    in English or Tagalog (`_ENGLISH_PLURALS`), and when its one language is not known
    (`_one_language`)."""
    return language is None or language in _ENGLISH_PLURALS


def _title_terms(units: list[Unit], english: bool = True) -> dict[int, frozenset[str]]:
    """Each source's title's fact terms (its title unit's, `english` or not, read as its
    source declares), by source."""
    return {
        u.source: fact_terms(u.text, english, language=u.language) for u in units if u.position < 0
    }


def _source_language(units: list[Unit], source: int) -> str | None:
    """The declared language of source `source` (its units'); None for none, or no source."""
    return next((u.language for u in units if u.source == source), None)


def _unit_facts(unit: Unit, english: bool = True) -> frozenset[str]:
    """A candidate's fact terms, `english` or not (`novelty.fact_terms`)."""
    if not english and has_english_plurals(unit.text):  # (its terms are English's)
        return fact_terms(unit.text, english, language=unit.language)
    # (a sentence's figures were read with its candidate: `bullets.body_sentence_facts`)
    return unit.facts if unit.facts is not None else fact_terms_of(unit.text, unit.terms)


def _facts_and_weights(
    body: list[Unit], english: bool = True
) -> tuple[dict[int, frozenset[str]], dict[str, float]]:
    """Each body candidate's fact terms (by `id`; `english` or not), and each term's weight
    (`source_weights`)."""
    facts = {id(u): _unit_facts(u, english) for u in body}
    per_source: dict[int, set[str]] = {}
    for u in body:
        per_source.setdefault(u.source, set()).update(facts[id(u)])
    return facts, source_weights(per_source.values())


def _stale(
    units: list[Unit],
    times: Sequence[datetime | None],
    headline: str,
    share: float,
    english: bool = True,
    head: int = -1,
) -> dict[int, Unit]:
    """The body candidates whose count a later-published source's sentence overtakes
    (`counted_facts.overtaken`: "two people died" once "the death toll rose to five"), each
    (by `id`) to that sentence; `headline` the story's headline, the title of source `head`
    (-1: none). Worked out once a story, so that a second pick under another headline leaves
    out the same ones."""
    if len({t for t in times if t is not None}) < 2:  # (no source later than another)
        return {}
    body = [u for u in units if u.position >= 0 and u.terms]
    if len({u.source for u in body}) < 2 or not any(may_count(u.text) for u in body):
        return {}
    facts, weights = _facts_and_weights(body, english)
    found = overtaken(
        [(u.text, facts[id(u)], times[u.source]) for u in body],
        fact_terms(headline, english, language=_source_language(units, head)),
        weights,
        share,
    )
    return {id(body[old]): body[new] for old, new in found.items()}


def _outdated_titles(
    titles: Sequence[str], times: Sequence[datetime | None], stale: dict[int, Unit]
) -> set[int]:
    """The sources whose title gives a count that an overtaking sentence of `stale` (told of
    the story's event, as `_stale` found) overtakes, from a source published later."""
    if not stale:
        return set()
    updates = [(counts(u.text), times[u.source]) for u in stale.values()]
    out: set[int] = set()
    for n, title in enumerate(titles):
        when = times[n]
        if not title or when is None or not may_count(title):
            continue
        found = counts(title)
        if found and any(
            at is not None and at > when and overtakes(newer, found) for newer, at in updates
        ):
            out.add(n)
    return out


def _up_to_date(ranked: list[Unit], stale: dict[int, Unit]) -> list[Unit]:
    """The candidates in rank order without those `stale` holds, the sentence overtaking one
    ranked where the best one it overtakes was: a subscriber reading an update reads the
    newest figure, in the place the old one had."""
    rank = {id(u): n for n, u in enumerate(ranked)}
    place = dict(rank)  # (each candidate's place: a later sentence's raised to the old one's)
    for old, new in stale.items():
        if old in rank and id(new) in rank:
            place[id(new)] = min(place[id(new)], rank[old])
    kept = [u for u in ranked if id(u) not in stale]
    kept.sort(key=lambda u: (place[id(u)], place[id(u)] != rank[id(u)]))
    return kept


def _verbatim(text: str, other: str) -> bool:
    """Whether `other` holds `text`'s words in a run ("Nash, one of <name>'s sled dogs, was
    killed" in "<kennel's name> Nash, one of …": a page's caption run into the sentence)."""
    return f" {' '.join(text_words(text))} " in f" {' '.join(text_words(other))} "


def _in_english(languages: Sequence[str | None]) -> bool:
    """Whether the sources supplying a story's bullets (`languages`: theirs, None for one not
    known or supplying none) write in English: the paraphrases `novelty.paraphrases` reads
    are English's (its synonyms, verbs, days and "not")."""
    return "en" in languages and all(lang in ("en", None) for lang in languages)


def _one_language(languages: Sequence[str | None]) -> str | None:
    """The one language the sources supplying a story's bullets write in (`languages`: theirs,
    None for one not known or supplying none); None when they write in several or none is
    known."""
    known = set(filter(None, languages))
    return known.pop() if len(known) == 1 else None


def _one_source(units: list[Unit]) -> bool:
    """Whether every candidate comes from one source (a one-item story)."""
    return len({u.source for u in units}) <= 1


# --- the summarizer -------------------------------------------------------------------------


class ExtractiveSummarizer:
    """The default summarizer: sentences chosen from the sources, no model needed."""

    def __init__(self, settings: SummarySettings = DEFAULT_SETTINGS) -> None:
        self.settings = settings

    def summarize(
        self,
        items: Sequence[Item],
        previous_headline: str | None = None,
        language: str | None = None,
    ) -> Summary:
        """Summarise one story's items; raises ValueError when there are none.

        Adverts and page furniture are left out; opinion, reviews, live blogs and round-ups
        are listed as sources (labelled) but supply no facts when the story has news items.
        `previous_headline` is kept unless a clearly better one has arrived. Sources in
        several languages are written from `language`'s (the story's category's, where the
        OPML gives it one) when one in it has text, else from the majority's, a tie going to
        the readers' (`settings.language`); when its sources in `language` give no sentence
        (a video's one-line description), from the majority's too: a story without a bullet
        is not published.
        """
        summary = self._written(items, previous_headline, language, language is not None)
        if language is None or summary.bullets:
            return summary
        if len({item_language(it) for it in items} - {None}) < 2:  # (nothing outweighed)
            return summary
        return self._written(items, previous_headline, language, False)

    def _written(
        self,
        items: Sequence[Item],
        previous_headline: str | None,
        language: str | None,
        declared: bool,
    ) -> Summary:
        """`summarize`, the category's `language` outweighing a majority when `declared`."""
        kinds_by_id = {item.id: item_kind(item) for item in items}
        kept = [it for it in items if published(kinds_by_id[it.id])] or list(items)
        if not kept:
            raise ValueError("cannot summarise a story without items")
        settings = self.settings
        ordered = order(kept)
        kinds = [kinds_by_id[it.id] for it in ordered]
        outlets = outlet_keys(ordered)  # (one feed's copies of one report: one outlet)
        sources = tuple(
            distinct_names(
                [source_ref(it, kind) for it, kind in zip(ordered, kinds, strict=True)],
                outlets,
                [url_outlet(it.feed_url) or "" for it in ordered],
            )
        )
        preferred = language or settings.language or "en"
        factual, told, languages = _fact_sources(ordered, kinds, preferred, declared)
        loosely = _in_english(languages)
        written_in = _one_language(languages)  # (None: several, or none known)
        # A title cut from its own text (a feed without headlines) is no headline: it would
        # drop the sentence it was cut from as restating a title, and lead as a fragment.
        titles = [
            "" if cut_from_text(it.title, it.text) else src.title
            for it, src in zip(ordered, sources, strict=True)
        ]
        writers = _writers(ordered, kinds, sources)
        units, body_words = _units(ordered, titles, told, writers, languages, settings)

        idf = vectorise(units)
        centroid = story_centroid(units, len(ordered))
        title_centroid = normalise(sum_vectors(u.vector for u in units if u.position < 0))
        has_body = [False] * len(ordered)
        for unit in units:
            if unit.position >= 0:
                has_body[unit.source] = True
        raw_titles = [it.title if t else "" for it, t in zip(ordered, titles, strict=True)]
        ordinary = (
            ordinary_words(raw_titles, [it.text for it in ordered])
            if shouts(raw_titles)
            else frozenset()  # (no title writes a word in capitals: nothing to calm)
        )
        # (each source's outlet: the one outlet a dash suffix of its title may name)
        names = [own_outlet(it.outlet_name, it.outlet) for it in ordered]
        # (live blogs only: a title's "Updates LIVE: …" keeps the tag that the "Live" label
        # would put back before it, `headline.clean`)
        live = all(kind == "live" for kind in kinds)
        choice = choose_headline(
            raw_titles, factual, centroid, idf, previous_headline, has_body, ordinary, names, live
        )
        # (with no title and no lead sentence fit to head it, one left unstopped or too long,
        # the cut title heads the story with its "…", rather than no headline at all)
        cut_titles = (it.title.strip() for it, t in zip(ordered, titles, strict=True) if not t)
        headline = (
            choice.text
            or next((u.text for u in units if u.position == 0), "")
            or next((c for c in cut_titles if c), "")
        )
        score_units(units, outlets, centroid, title_centroid)

        fact_outlets = len({o for o, f in zip(outlets, told, strict=True) if f})
        target = self._target(fact_outlets, body_words)
        times = [it.published for it in ordered]
        stale = _stale(units, times, headline, settings.novelty, _english(written_in), choice.index)
        outdated = _outdated_titles(raw_titles, times, stale)
        if choice.index in outdated:
            # The headline gives a count a later report has overtaken ("Two dead in flood"
            # under "the death toll rose to five"): a title still up to date leads instead,
            # one giving the newer count if there is one.
            current = [f and n not in outdated for n, f in enumerate(factual)]
            early = counts(raw_titles[choice.index])
            newer = [
                f and overtakes(counts(t), early) for f, t in zip(current, raw_titles, strict=True)
            ]
            other = choose_headline(
                raw_titles,
                newer if any(newer) else current,
                centroid,
                idf,
                None,
                has_body,
                ordinary,
                names,
                live,
            )
            if other.index >= 0:
                choice, headline = other, other.text
                stale = _stale(
                    units, times, headline, settings.novelty, _english(written_in), choice.index
                )
        bullets = self._bullets(
            units, target, idf, choice.index, headline, writers, stale, loosely, written_in
        )
        cited = {n for b in bullets for n in b.sources}
        if bullets and choice.index not in cited and headline != previous_headline:
            # The headline's own source supplies no bullet: the best title of a source that
            # does leads instead, if that source then still supplies one.
            supplying = [f and n in cited and n not in outdated for n, f in enumerate(factual)]
            other = choose_headline(
                raw_titles, supplying, centroid, idf, None, has_body, ordinary, names, live
            )
            if other.index >= 0 and other.text != headline:
                again = self._bullets(
                    units, target, idf, other.index, other.text, writers, stale, loosely, written_in
                )
                if any(other.index in b.sources for b in again):
                    headline, bullets = other.text, again
        return Summary(
            headline=headline,
            bullets=bullets,
            sources=sources,
            outlet_count=len(set(outlets)),
            method="extractive",
        )

    def _bullets(
        self,
        units: list[Unit],
        target: int,
        idf: dict[str, float],
        head: int,
        headline: str,
        writers: Sequence[tuple[str, str] | None],
        stale: dict[int, Unit] | None = None,
        loosely: bool = True,
        language: str | None = None,
    ) -> tuple[Bullet, ...]:
        """The bullets under `headline` (the title of source `head`), each with its citations;
        one in its writer's first person is given as their words (`_voiced`); `stale`,
        `loosely` and `language` as `_select` reads them."""
        told: dict[int, set[int]] = {}  # (a bullet that took another's place: its sources)
        chosen = self._select(units, target, idf, head, headline, told, stale, loosely, language)
        voiced = zip(chosen, _voiced(chosen, writers, language), strict=True)
        if _one_source(units):  # nothing else to cite: the general path's answer, for free
            return tuple(Bullet(text=text, sources=(u.source,)) for u, text in voiced)
        return tuple(
            Bullet(text=text, sources=self._cite(u, units, idf, told.get(id(u), ())))
            for u, text in voiced
        )

    def _target(self, outlet_count: int, body_words: int) -> int:
        """How many bullets the story deserves: more outlets and more text, more bullets."""
        s = self.settings
        wanted = s.min_bullets + (outlet_count - 1) + body_words // s.words_per_bullet
        return max(s.min_bullets, min(s.max_bullets, wanted))

    def _select(
        self,
        units: list[Unit],
        target: int,
        idf: dict[str, float],
        headline_source: int,
        headline_text: str,
        told_by: dict[int, set[int]],
        stale: dict[int, Unit] | None = None,
        loosely: bool = True,
        language: str | None = None,
    ) -> list[Unit]:
        """Greedy pick by score, skipping titles, repeats and what would overflow the word cap,
        in the order `_in_story_order` gives them; without the candidates `stale` holds (by
        `id`: a count a later source's sentence overtakes), that sentence in their place.
        `loosely`: a story in English, whose paraphrases (`novelty.paraphrases`, its synonyms,
        verbs, days and "not" English words) are told once. `language`: the story's, when its
        bullets' sources write in one (`_one_language`), in which repeats read "not" and
        fact terms plurals (English's irregular ones in English only: `_english`).

        The best sentence of the headline's own source is tried first when it scores at least
        half the best overall (so bullets agree with the headline), else the best. `told_by`
        gets the sources of the bullets a chosen one took the place of, and of the sentences
        left out as telling its fact again (by `id`): the bullet cites them.
        """
        headline = Counter(tokens(headline_text))
        body = [u for u in units if u.position >= 0 and u.terms]
        ranked = sorted(body, key=lambda u: (-u.score, u.source, u.position))
        if stale:
            ranked = _up_to_date(ranked, stale)
        if ranked and headline_source >= 0:
            # (the best of the headline's source that the headline does not contain)
            best = next(
                (
                    u
                    for u in ranked
                    if u.source == headline_source
                    and contained(u.terms, u.weight, headline, idf) < _HEADLINE_CONTAINS
                ),
                None,
            )
            if best is not None and best.score >= _LEAD_FROM_HEADLINE * ranked[0].score:
                ranked.remove(best)
                ranked.insert(0, best)
        english = _english(language)  # (its fact terms read English's irregular plurals)
        facts, weights = _facts_and_weights(body, english)
        top = max(weights.values(), default=1.0)  # (the heaviest term's weight)
        titled = fact_terms(
            headline_text, english, language=_source_language(units, headline_source)
        )
        said = set(titled)
        news: list[tuple[str, frozenset[str]]] | None = None
        own: dict[int, frozenset[str]] | None = None  # (each source's title's fact terms)
        chosen: list[Unit] = []
        told: list[frozenset[str]] = []  # (the chosen bullets' fact terms)
        loose: list[frozenset[str]] = []  # (and their `loose_terms`)
        words = 0
        for unit in ranked:
            if len(chosen) >= target:
                break
            mine = facts[id(unit)]
            # (the chosen bullets sharing `RESTATES_MIN` terms with it, the only ones it may
            # retell or tell more of: most often none)
            near = [n for n, other in enumerate(told) if len(mine & other) >= RESTATES_MIN]
            mine_loose = loose_terms(mine) if loosely else frozenset()
            # (those sharing `PARAPHRASE_MIN` loose terms: the only ones it may paraphrase)
            alike = [
                n for n, other in enumerate(loose) if len(mine_loose & other) >= PARAPHRASE_MIN
            ]
            fits = words + unit.words <= self.settings.max_words
            if not (fits or near or alike):
                continue
            if contained(unit.terms, unit.weight, headline, idf) >= _HEADLINE_CONTAINS:
                continue
            replaced = (
                self._replaces(unit, mine, near, chosen, told, titled, weights, top, idf, language)
                if near
                else None
            )
            if replaced is None and alike:
                replaced = self._fuller(
                    unit, mine, mine_loose, alike, chosen, told, loose, titled, idf
                )
            if replaced is not None:
                if loosely:
                    loose[:] = [loose_terms(t) for t in told]
                # (the bullet tells the replaced one's fact: its sources told it too)
                told_by.setdefault(id(unit), set()).update(
                    told_by.get(id(replaced), ()), (replaced.source,)
                )
                said = set(titled).union(*told)
                words = sum(u.words for u in chosen)
                continue
            if not fits:
                continue
            figure = False  # (it states a figure not said yet that its own title gives)
            if states_figure(mine, said):
                own = own if own is not None else _title_terms(units, english)
                titled_too = own.get(unit.source, frozenset()) & mine
                figure = any(t.isdigit() and t not in said for t in titled_too)
            if any(self._redundant(unit, other, idf, figure) for other in chosen):
                continue
            if (
                chosen
                and coverage(mine, said, weights) >= self.settings.novelty
                and not any(opposed(unit.text, chosen[n].text) for n in near)
            ):
                continue
            if any(
                restates(unit.text, mine, told[n], said, other_text=chosen[n].text) for n in near
            ):
                continue
            again = None  # (the bullet whose fact it tells in words of its own)
            if near:
                own = own if own is not None else _title_terms(units, english)
                if news is None:  # (the story's titles, each telling its news: once a story)
                    news = [(headline_text, titled)] + [
                        (u.text, own[u.source]) for u in units if u.position < 0
                    ]
                if _own_news(own.get(unit.source), said):
                    again = next(
                        (
                            n
                            for n in near
                            if retells(
                                unit.text,
                                mine,
                                chosen[n].text,
                                told[n],
                                titled,
                                news,
                                language=language,
                            )
                        ),
                        None,
                    )
            if again is None:
                again = next(
                    (
                        n
                        for n in alike
                        if paraphrases(
                            unit.text, mine, mine_loose, chosen[n].text, told[n], loose[n], said
                        )
                    ),
                    None,
                )
            if again is not None:  # (its source told the bullet's fact: the bullet cites it)
                told_by.setdefault(id(chosen[again]), set()).add(unit.source)
                continue
            chosen.append(unit)
            told.append(mine)
            loose.append(mine_loose)
            said.update(mine)
            words += unit.words
        if not chosen:
            return []
        if not all(u.text.isascii() for u in chosen):
            chosen = _unrestated(chosen, facts, titled, weights, self.settings)
        return _in_story_order(chosen, headline, idf)

    def _replaces(
        self,
        unit: Unit,
        mine: frozenset[str],
        near: list[int],
        chosen: list[Unit],
        told: list[frozenset[str]],
        titled: frozenset[str],
        weights: dict[str, float],
        top: float,
        idf: dict[str, float],
        language: str | None = None,
    ) -> Unit | None:
        """Put `unit` (its fact terms `mine`) in the place of the first chosen bullet of `near`
        (those sharing `RESTATES_MIN` terms with it) whose fact it tells with more
        (`novelty.tells_more`: who, or a figure), when the summary still fits the word cap
        and `unit` repeats none of the others; the bullet it replaced, or None. "Three
        players tested positive" is chosen, then "<striker> is one of three players who
        tested positive … after a holiday in <island>": the second says the first's fact and
        who, so it is the bullet, not a repeat left out nor a second one."""
        # (a term weighs 1 to `top`: when even the shared ones all weighing `top` cannot make
        # `TELLS_MORE` of the bullet's weight, it is not told, and `tells_more` need not ask)
        for n in near:
            other = told[n]
            shared = len(mine & other)
            rest = sum(1 for t in other - mine if t[0] not in "=~")
            if rest * TELLS_MORE > (1.0 - TELLS_MORE) * top * shared:
                continue
            if not tells_more(
                unit.text, mine, chosen[n].text, told[n], set(titled), weights, language=language
            ):
                continue
            if not self._fits_in_place(unit, n, chosen, idf):
                return None
            said = set(titled).union(*(t for m, t in enumerate(told) if m != n))
            if any(
                restates(unit.text, mine, told[m], said, other_text=chosen[m].text)
                for m in near
                if m != n
            ):
                return None
            return _put_in_place(unit, mine, n, chosen, told)
        return None

    def _fuller(
        self,
        unit: Unit,
        mine: frozenset[str],
        mine_loose: frozenset[str],
        alike: list[int],
        chosen: list[Unit],
        told: list[frozenset[str]],
        loose: list[frozenset[str]],
        titled: frozenset[str],
        idf: dict[str, float],
    ) -> Unit | None:
        """Put `unit` in the place of the first chosen bullet of `alike` (those sharing
        `PARAPHRASE_MIN` of its `loose_terms` `mine_loose`) that it tells in other words and
        more (`novelty.paraphrases`, the bullet read against `unit`; `unit` has `_FULLER`
        loose terms the bullet lacks, and `_FULLER_SHARE` of its count, and names no one
        new nor any act the bullet lacks: `novelty.adds_act`), when the summary still fits
        the word cap and `unit` repeats none of the others; the bullet it replaced, or None.
        "The minister resigned on Tuesday" is chosen, then "On Tuesday the minister stepped
        down following the audit report's publication": one fact, and the second says more;
        not "… refused to resign on Tuesday despite the audit report", another fact."""
        for n in alike:
            more = len(mine_loose - loose[n])
            if more < _FULLER or more < _FULLER_SHARE * len(loose[n]):
                continue  # (a word or two more is another wording, not more told)
            if len(loose[n] - mine_loose) > 1:
                continue  # (it does not hold the bullet: `paraphrases` would say so, dearer)
            if adds_act(unit.text, mine_loose, loose[n]):
                continue  # (an act of its own: "refused to resign", "lost" for "added")
            said = set(titled).union(mine, *(t for m, t in enumerate(told) if m != n))
            if not paraphrases(
                chosen[n].text, told[n], loose[n], unit.text, mine, mine_loose, said
            ):
                continue
            if _verbatim(chosen[n].text, unit.text):
                continue  # (the bullet's own words and more: the same report, not another's)
            if names_new(unit.text, set(titled).union(*told)):
                continue  # (who it adds: `tells_more` weighs that; a page's name is no news)
            if not self._fits_in_place(unit, n, chosen, idf):
                return None
            if any(
                paraphrases(unit.text, mine, mine_loose, chosen[m].text, told[m], loose[m], said)
                for m in alike
                if m != n
            ):
                return None
            return _put_in_place(unit, mine, n, chosen, told)
        return None

    def _fits_in_place(self, unit: Unit, n: int, chosen: list[Unit], idf: dict[str, float]) -> bool:
        """Whether `unit` in the place of chosen bullet `n` keeps the summary within its word
        cap and repeats none of the other bullets."""
        words = sum(u.words for u in chosen) - chosen[n].words + unit.words
        if words > self.settings.max_words:
            return False
        return not any(self._redundant(unit, u, idf) for m, u in enumerate(chosen) if m != n)

    def _redundant(self, a: Unit, b: Unit, idf: dict[str, float], figure: bool = False) -> bool:
        """Whether two candidates say the same thing (similar, or one contains the other).
        `figure`: `a` states a figure not said yet that its own source's title gives, the
        news it reports, so it repeats `b` only when it is as similar as `_FIGURE_REDUNDANCY`
        ("At least 12 people died when the dam burst …", titled "death toll rises to 12",
        after "A dam burst …, forcing 3,000 people from their homes")."""
        if a.terms.keys().isdisjoint(b.terms):  # both measures 0: below their positive limits
            return False
        similar = self.settings.redundancy
        if figure:
            similar = max(similar, _FIGURE_REDUNDANCY)
        limit = max(self.settings.attribution, 0.7)
        alike = (
            cosine(a.vector, b.vector) >= similar
            or contained(a.terms, a.weight, b.terms, idf) >= limit
            or contained(b.terms, b.weight, a.terms, idf) >= limit
            or _same_figure(a, b)
        )
        return alike and not opposed(a.text, b.text)  # ("rose 5%" does not repeat "fell 5%")

    def _cite(
        self,
        unit: Unit,
        units: list[Unit],
        idf: dict[str, float],
        told: Collection[int] = (),
    ) -> tuple[int, ...]:
        """Every source with a sentence (or title) that states the bullet's fact, and `told`
        (the sources of a bullet whose fact it tells, which it took the place of)."""
        cited = {unit.source, *told}
        terms = unit.terms.keys()
        for other in units:
            if other.source in cited or terms.isdisjoint(other.terms):
                continue  # (sharing no term, both measures are 0: below their positive limits)
            if (
                contained(unit.terms, unit.weight, other.terms, idf) >= self.settings.attribution
                or cosine(unit.vector, other.vector) >= _SAME_FACT_COSINE
            ):
                cited.add(other.source)
        return tuple(sorted(cited))


def summarize(
    items: Sequence[Item],
    settings: SummarySettings = DEFAULT_SETTINGS,
    previous_headline: str | None = None,
    language: str | None = None,
) -> Summary:
    """Summarise one story's items with the extractive summarizer."""
    return ExtractiveSummarizer(settings).summarize(items, previous_headline, language)


def make_summarizer(
    settings: Any, *, background: bool = False, on_answer: Callable[[], None] | None = None
) -> Summarizer:
    """The summarizer the settings ask for (the service and the batch command share it):
    the LLM backend when `[llm]` is enabled, falling back to the extractive one. With
    `background` (the service), model requests don't hold up the caller (see `llm`)."""
    summary = settings.summary
    publish = getattr(settings, "publish", None)
    if not summary.language and publish is not None:  # the language our feeds declare
        summary = dataclasses.replace(summary, language=publish.language)
    extractive = ExtractiveSummarizer(summary)
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
                *([{"copy_of": s.copy_of}] if s.copy_of else []),
            ]
            for s in summary.sources
        ],
        "outlet_count": summary.outlet_count,
        "method": summary.method,
    }
    blob = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    import hashlib  # (OpenSSL's: the caller's, not a summary worker's: `digests`)

    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _put_in_place(
    unit: Unit, mine: frozenset[str], n: int, chosen: list[Unit], told: list[frozenset[str]]
) -> Unit:
    """Put `unit` (its fact terms `mine`) in the place of chosen bullet `n`; the one replaced."""
    replaced = chosen[n]
    chosen[n] = unit
    told[n] = mine
    return replaced
