"""Worst-case text: time the text path on pathological inputs of growing size.

An upstream controls every item's title and text (up to the size caps: a title is cut to
500 characters only when the item is built, a feed's text to 20,000 once cleaned, an article
page's to 100,000; markup is read whole), and the single writer waits for whatever reads it.
This bench feeds crafted shapes (runs of unclosed quotes, brackets, stops, spaces, capitals,
one huge word, many short sentences, deep HTML, ...; each unit alone, as one long sentence
that passes the early filters, and sprinkled through prose) and invented prose of the same
size through the public text functions (given the raw shape: the item path cleans text
first, so whitespace shapes over-report there) and through the whole item path (feed bytes
-> parse, both paths -> items -> features and summaries; a title, a date, an author, a
category, a link), and prints the CPU time per size and the growth between the last two
sizes: ~10x for 10x the text is linear, ~100x quadratic. A run past --budget seconds is
stopped (SIGALRM: the regex engine checks signals) and shown as ">budget".

    python bench/text_worst.py [--sizes 1000,10000,100000] [--stage NAME ...] [--shape NAME ...]
                               [--budget 20] [--flag 30] [--floor 0.005] [--all]

Only rows that grow more than --flag times (and take over --floor seconds) or run out of
budget are printed unless --all is given; the prose row is always printed for comparison.
"""

from __future__ import annotations

import argparse
import functools
import random
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aggregator import (
    bullets,
    captions,
    counted_facts,
    headline,
    item_kinds,
    lang,
    near_text,
    novelty,
    openings,
    quote_speakers,
    sentences,
    terms,
    text,
    titles,
    tokens,
    writer_voice,
)
from aggregator.features import item_features
from aggregator.models import Item, Source
from aggregator.parse import parse_feed
from aggregator.pipeline import feed_items
from aggregator.summarize import summarize

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)

# Invented sentences (no upstream text), shuffled into paragraphs for the realistic shape.
_PROSE = (
    "The council said on Tuesday that the new bridge over the Arden river would open in March.",
    "Work had stopped twice last year after engineers found cracks in two of its supports.",
    '"We are confident the repairs will hold," said Mara Quell, who leads the project.',
    "About 12,000 vehicles a day are expected to cross it once the tolls are settled.",
    "Residents of Northgate, where the old ferry still runs, were divided over the plan.",
    "Some welcomed the shorter trip to the hospital; others feared more traffic on Mill Lane.",
    "The state transport minister, Dario Venn, told reporters the cost had risen to $84 million.",
    "He said the extra money would come from a fund set aside for flood defences.",
    "An independent review is due in June, according to a statement from the council.",
    "Ms Quell said the team had learnt from the delays and would publish its findings.",
    '"We will open the bridge in March, as planned and within the budget," she said.',
)


def prose(n: int) -> str:
    """Invented news prose of about `n` characters, in paragraphs of 3-5 sentences."""
    rng = random.Random(n)
    out: list[str] = []
    size = 0
    while size < n:
        paragraph = " ".join(rng.sample(_PROSE, rng.randint(3, 5)))
        out.append(paragraph)
        size += len(paragraph) + 1
    return "\n".join(out)[:n]


def repeated(unit: str) -> Callable[[int], str]:
    """`unit` repeated to `n` characters."""
    return lambda n: (unit * (n // len(unit) + 1))[:n]


def nested(n: int) -> str:
    """Deeply nested markup closing at the end: `<div><p><b>` ... text ... closers."""
    depth = n // 22
    return "<div><p><b>" * depth + "x" + "</b></p></div>" * depth


# Units repeated to make a shape: each alone, as one long sentence ("The ‘a ‘a … end."), and
# sprinkled between the words of prose (every sentence ordinary, the text full of them).
UNITS: dict[str, str] = {
    "open-single-quotes": "‘a ",
    "open-double-curly": "“a ",
    "open-straight-double": '"a ',
    "open-straight-single": " 'a",
    "close-single-quotes": "a’ ",
    "open-parens": "(a ",
    "open-brackets": "[a ",
    "open-angles": "<a ",
    "dots": ".",
    "dotted-word": "a.",
    "initials": "A.",
    "space-newlines": " \n",
    "tabs": "\t",
    "newlines": "\n",
    "capitals": "A ",
    "capital-words": "Aa ",
    "capital-run": "A",
    "huge-word": "a",
    "hyphens": "a-",
    "digits": "1",
    "digit-groups": ",000",
    "short-sentences": "A a. ",
    "colons": "A: ",
    "commas": ", ",
    "han": "日",
    "hashtags": "#a ",
    "mentions": "@a ",
    "at-signs": "a@",
    "pipes": " | ",
    "dashes": " — ",
    "html-open-tags": "<b>",
    "html-attrs": '<a href="x" ',
    "entities": "&amp;",
    "apostrophe-words": "'a-",
    "single-quote-words": "‘a-",
}


def as_sentence(unit: str) -> Callable[[int], str]:
    """One sentence of `n` characters made of `unit` between a few words that steer it past
    the early filters (a capital first, "my", "you", a figure, a full stop last)."""
    head, tail = "My council told you on Tuesday that 12 ", " would open in March."
    return lambda n: head + repeated(unit)(max(n - len(head) - len(tail), 1)) + tail


def sprinkled(unit: str) -> Callable[[int], str]:
    """Prose of `n` characters with `unit` before every third word."""

    def make(n: int) -> str:
        words = prose(n).split(" ")
        return " ".join(unit + w if i % 3 == 0 else w for i, w in enumerate(words))[:n]

    return make


SHAPES: dict[str, Callable[[int], str]] = {
    "prose": prose,
    "spaces": lambda n: "a" + " " * (n - 2) + "a",
    "html-nested": nested,
    "img-word": lambda n: "<p>The bridge opens.</p><img " + "a" * n + ">",
    "em-spaces": lambda n: "The a" + "\u2003" * n + " end.",
    **{name: repeated(unit) for name, unit in UNITS.items()},
    **{f"{name}/sentence": as_sentence(unit) for name, unit in UNITS.items()},
    **{f"{name}/prose": sprinkled(unit) for name, unit in UNITS.items()},
}


def _item(title: str, body: str) -> Item:
    return Item(
        id=f"i{len(title)}-{len(body)}",
        title=title,
        text=body,
        url="https://news.example/a/1",
        feed_url="https://news.example/feed",
        outlet="news.example",
        outlet_name="News Example",
        published=NOW,
        first_seen=NOW,
    )


_OTHER = _item("Bridge over the Arden to open in March", prose(1500))


def _rss(title: str, body: str, link: str = "https://news.example/a/1", **fields: str) -> bytes:
    """A one-item RSS document; `fields` are more elements of the item (escaped here)."""
    more = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields.items())
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>News Example</title><link>https://news.example/</link>"
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
        f"<guid>https://news.example/a/1</guid><description>{escape(body)}</description>"
        + (more or "<pubDate>Thu, 01 Jan 2026 10:00:00 +0000</pubDate>")
        + "</item></channel></rss>"
    ).encode()


_SOURCE = Source(url="https://news.example/feed", title="News Example", category="News")


def feed_path(title: str, body: str, fast: bool = True, **fields: str) -> None:
    """The whole item path: feed bytes -> parse -> items -> features and a summary."""
    parsed = parse_feed(_rss(title, body, **fields), _SOURCE.url, fast=fast)
    items, _ = feed_items(_SOURCE, parsed, NOW)
    for item in items:
        item_features(item, 400)
        summarize([item])
        summarize([item, _OTHER])


_TITLE = "Bridge to open in March"
_BODY = prose(800)


STAGES: dict[str, Callable[[str], object]] = {
    "html_to_text": text.html_to_text,
    "clean_text": text.clean_text,
    "post_text": text.post_text,
    "split_sentences": sentences.split_sentences,
    "detect_language": lang.detect_language,
    "quoted": lang.quoted,
    "quote_language": lang.quote_language,
    "headline.clean": headline.clean,
    "headline.shortened": headline.shortened,
    "clean_headline": titles.clean_headline,
    "title_from_text": titles.title_from_text,
    "item_kind(title)": lambda s: item_kinds.item_kind(_item(s, "")),
    "item_kind(text)": lambda s: item_kinds.item_kind(_item("A title", s)),
    "is_advert": lambda s: item_kinds.is_advert(s, s),
    "stand_alone": bullets.stand_alone,
    "needs_context": bullets.needs_context,
    "balanced": bullets.balanced,
    "without_end_marks": bullets.without_end_marks,
    "speaker_of": quote_speakers.speaker_of,
    "attribute": lambda s: quote_speakers.attribute([s], s),
    "is_noun_phrase": captions.is_noun_phrase,
    "first_word": openings.first_word,
    "unnamed_speaker": openings.unnamed_speaker,
    "leans_back": openings.leans_back,
    "writers_voice": writer_voice.in_writers_voice,
    "opens_first_person": writer_voice.opens_in_first_person,
    "counts": counted_facts.counts,
    "fact_terms": novelty.fact_terms,
    "inner_names": novelty.inner_names,
    "with_figures": novelty.with_figures,
    "grouping_terms": lambda s: terms.grouping_terms(s, s, 10**6),
    "capitalised_words": lambda s: terms.capitalised_words(s, s, 10**6, False),
    "is_multi_topic": lambda s: terms.is_multi_topic(s, None, s),
    "tokens": tokens.tokens,
    "near_keys": near_text.near_keys,
    "item_features": lambda s: item_features(_item(s[:500], s), 10**6),
    "summary(article)": lambda s: summarize([_item(_TITLE, s), _OTHER]),
    "feed(text)": lambda s: feed_path(_TITLE, s),
    "feedparser(text)": lambda s: feed_path(_TITLE, s, fast=False),
    "feed(title)": lambda s: feed_path(s, _BODY),
    "feed(date)": lambda s: feed_path(_TITLE, _BODY, pubDate=s),
    "feed(author)": lambda s: feed_path(_TITLE, _BODY, author=s),
    "feed(category)": lambda s: feed_path(_TITLE, _BODY, category=s),
    "feed(link)": lambda s: feed_path(_TITLE, _BODY, link="https://x.example/" + s),
}


class _OutOfTime(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _OutOfTime


def cpu_time(stage: Callable[[str], object], value: str, budget: float) -> float | None:
    """CPU seconds of one call (the best of up to three while cheap), None past `budget`."""
    signal.signal(signal.SIGALRM, _alarm)
    best: float | None = None
    for _ in range(3):
        _clear_memos()
        signal.setitimer(signal.ITIMER_REAL, budget)
        start = time.process_time()
        try:
            stage(value)
        except _OutOfTime:
            return None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        spent = time.process_time() - start
        best = spent if best is None else min(best, spent)
        if spent > 0.05:
            break
    return best


def _clear_memos() -> None:
    """Empty the memos of text (not the word lists loaded once): each call works afresh."""
    for clear in _MEMO_CLEARERS:
        clear()


def _memo_clearers() -> list[Callable[[], object]]:
    out: list[Callable[[], object]] = []
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith("aggregator."):
            continue
        for value in list(vars(module).values()):
            if (
                isinstance(value, functools._lru_cache_wrapper)
                and getattr(value, "__module__", None) == name
                and value.cache_info().maxsize is not None
            ):
                out.append(value.cache_clear)
        clear = vars(module).get("clear_memo")
        if callable(clear):
            out.append(clear)
    return out


_MEMO_CLEARERS: list[Callable[[], object]] = []


def row(
    stage: Callable[[str], object], shape: Callable[[int], str], sizes: list[int], budget: float
) -> list[float | None]:
    """Times at each size; once one passes the budget the larger ones are not tried."""
    out: list[float | None] = []
    for size in sizes:
        if out and out[-1] is None:
            out.append(None)
            continue
        value = shape(size)
        out.append(cpu_time(stage, value, budget))
    return out


def _show(value: float | None, budget: float) -> str:
    return f">{budget:g}s" if value is None else f"{value * 1000:.1f}ms"


def _ratio(times: list[float | None]) -> float | None:
    """Growth between the last two sizes measured (None when one ran out of time)."""
    a, b = times[-2], times[-1]
    if a is None or b is None:
        return None
    return b / max(a, 1e-5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--stage", action="append", help="stage names (default: all)")
    parser.add_argument("--shape", action="append", help="shape names (default: all)")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per run")
    parser.add_argument("--flag", type=float, default=30.0, help="show rows growing this much")
    parser.add_argument("--floor", type=float, default=0.005, help="...and taking this long (s)")
    parser.add_argument("--all", action="store_true", help="show every row")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    feed_path("A title", prose(2000))  # (loads every module the path uses, with its memos)
    _MEMO_CLEARERS.extend(_memo_clearers())
    stages = args.stage or list(STAGES)
    shapes = args.shape or list(SHAPES)
    print("stage\tshape\t" + "\t".join(f"{s:,}" for s in sizes) + "\tratio", flush=True)
    for stage_name in stages:
        for shape_name in shapes:
            times = row(STAGES[stage_name], SHAPES[shape_name], sizes, args.budget)
            ratio = _ratio(times) if len(times) > 1 else None
            slow = ratio is None or (ratio > args.flag and (times[-1] or 0) > args.floor)
            if args.all or slow or shape_name == "prose":
                cells = "\t".join(_show(t, args.budget) for t in times)
                shown = "-" if ratio is None else f"{ratio:.0f}x"
                print(f"{stage_name}\t{shape_name}\t{cells}\t{shown}", flush=True)


if __name__ == "__main__":
    main()
