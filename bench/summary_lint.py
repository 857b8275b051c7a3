"""Lint the published summaries of a real-news day as a subscriber would read them.

Serves one day's feed files (../shared/data/dev/real-news/<day>/) from a loopback server, lists
them in an OPML under the names an operator would give them, runs one poll pass through the
service with the clock at the capture time (article fetching off: the article links point at
the real outlets, and benches touch loopback only), then counts what a reader would notice.

    python bench/summary_lint.py [--day DIR ...] [--show N] [--kind KIND] [--all]

The rules here are written independently of the summarizer's own, so a zero is earned.

Stories with 0, 1 or 2 bullets are split by why: "teaser-only" stories have only feed teasers
(with article fetching on, which this lint cannot do offline, their pages would supply the
text); "full text that offers no more usable sentences" have sources saying no more than the
bullets do (by this lint's own sentence rules); only the rest are counted as defects.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import re
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import quoteattr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpus_check import serve  # noqa: E402  (bench/ is on sys.path when run as a script)

from aggregator.articles import is_teaser  # noqa: E402
from aggregator.config import Settings  # noqa: E402
from aggregator.fetch import Fetcher  # noqa: E402
from aggregator.models import Item, Story  # noqa: E402
from aggregator.service import Service  # noqa: E402
from aggregator.tokens import STOPWORDS, stem, tokens  # noqa: E402

REAL_NEWS = next(
    (
        base / "shared" / "data" / "dev" / "real-news"
        for base in (ROOT.parent, ROOT.parent.parent)
        if (base / "shared" / "data").is_dir()
    ),
    ROOT.parent / "shared" / "data" / "dev" / "real-news",
)
DAYS = {"gesab-2020-04-28": "2020-04-28T20:00:00+00:00", "gesab-2020-09-02": None}
# What an operator would write in the OPML for each file (outlet, section).
NAMES = {
    "1news-nz": "1News",
    "abscbn-news": "ABS-CBN News",
    "aljazeera-english": "Al Jazeera English",
    "bbc-news": "BBC News",
    "cnn-edition": "CNN",
    "cnn-youtube": "CNN (video)",
    "dailymail": "Daily Mail",
    "dailytelegraph-au": "The Daily Telegraph (Sydney)",
    "foxnews-latest": "Fox News",
    "foxnews-youtube": "Fox News (video)",
    "gmanews-news": "GMA News",
    "gmanews-youtube": "GMA News (video)",
    "latimes": "Los Angeles Times",
    "nytimes": "The New York Times",
    "nzherald": "NZ Herald",
    "philstar": "Philstar",
    "rnz": "RNZ",
    "smh": "The Sydney Morning Herald",
    "straitstimes": "The Straits Times",
    "wsj": "The Wall Street Journal",
}

_CLOSING = re.compile(r"""[.!?]["'”’)\]]*$""")
_TRUNCATED = re.compile(r"""(?:\.\.\.|…|\[\.\.\.\]|\[…\])["'”’)\]]*$""")
_CONTEXT_OPENING = re.compile(
    r"^[\"“‘']?(?:he|she|it|they|him|her|his|its|their|them|this|that|these|those|but|and|or|"
    r"so(?! far| much| many)|yet|also|however|meanwhile|still|instead(?! of)|then|thus|therefore|"
    r"moreover|furthermore|additionally|nevertheless|nonetheless|otherwise|besides(?! \d)|"
    r"likewise|similarly|here)\b",
    re.IGNORECASE,
)
_HEADLINE_TAGS = re.compile(
    r"(?:[-–—|:]\s*(?:in pictures|live!?|as it happened|video|watch|photos?|opinion)\s*$)|"
    r"(?:^\s*(?:live|watch|video|opinion|breaking)\s*[:|–—-])|(?:\|\s*[^|]{2,40}$)",
    re.IGNORECASE,
)


def name_for(path: Path) -> str:
    for prefix, name in NAMES.items():
        if path.name.startswith(prefix):
            return name
    return path.stem


_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|(?<!\w)[‘'][^’']*[’'](?!\w)")
# ("My" and "Me" in capitals inside a sentence are a title's: "TLC's My Feet Are Killing Me")
_FIRST_PERSON = re.compile(r"\bI\b(?![.'-])|^My\b|\b(?:me|my|myself)\b")


def writer_speaks(text: str) -> bool:
    """Whether the bullet is in the first person singular outside quotation marks: the writer
    speaking of themselves ("I was named …", "Look for me here …"), not news."""
    return _FIRST_PERSON.search(_QUOTED.sub("", text)) is not None


_TO_READER = re.compile(r"\b(?:you|your|yourself)\b|^(?:You|Your)\b")
_SOMEONE_SAYS = re.compile(r"\b(?:says?|said|told|tells|according to|asked|writes|wrote)\b")


def speaks_to_reader(text: str) -> bool:
    """Whether the bullet speaks to its reader ("If you know …", "test your knowledge")
    outside quotation marks, in words it gives to nobody: a teaser or an aside, not news."""
    if _SOMEONE_SAYS.search(text):
        return False
    return _TO_READER.search(_QUOTED.sub("", text)) is not None


def split_quote(text: str) -> bool:
    return text.count("“") != text.count("”") or text.count('"') % 2 == 1


# A bullet that is one quotation and nothing else: whose words they are is nowhere in it.
_BARE_QUOTE = re.compile(r"""^(?:“[^“”]+”|"[^"]+"|‘[^‘’]+’)$""")


def bare_quote(text: str) -> bool:
    """Whether the bullet is a quotation with no speaker: all of it inside one pair of
    quotation marks ("“We will not back down.”"), so a reader cannot tell who said it."""
    return _BARE_QUOTE.match(text.strip()) is not None


def repeats(a: str, b: str) -> bool:
    """Whether `a` says nothing beyond `b` (token containment of 80%)."""
    ta, tb = set(tokens(a)), set(tokens(b))
    return bool(ta) and len(ta & tb) / len(ta) >= 0.8


def content_words(text: str) -> set[str]:
    """A bullet's content words for `retells`: stems cut to five letters, without stopwords,
    numbers and words of one or two letters."""
    return {
        stem(w)[:5] for w in tokens(text) if w not in STOPWORDS and len(w) > 2 and not w.isdigit()
    }


def retells(a: str, b: str) -> bool:
    """Whether two bullets of one summary tell one fact twice: they share at least half of the
    smaller one's content words, and at least three (a near repeat in other words)."""
    wa, wb = content_words(a), content_words(b)
    shared = len(wa & wb)
    return bool(wa and wb) and shared >= 3 and shared >= 0.5 * min(len(wa), len(wb))


TEASER_WORDS = 120  # the article job's default: feed text this short gets its page fetched
THIN = {0: "stories with 0 bullets", 1: "stories with 1 bullet", 2: "stories with 2 bullets"}
TEASER_ONLY = "  of which teaser-only (article page would be fetched; not available offline)"
FULL_TEXT = "  of which the sources offer more usable sentences (a defect)"
SAY_LITTLE = "  of which full text that offers no more usable sentences"
_SENTENCE = re.compile(r"""[^.!?]+[.!?]["'”’)\]]*""")
_PROMO_LINE = re.compile(
    r"\b(?:subscribe|click|sign up|newsletter|visit|watch the latest|follow us|download|"
    r"abusive language|healthy debate|comments?|you can watch)\b",  # promotion, moderation
    re.IGNORECASE,
)


def usable_sentences(items: list[Item]) -> int:
    """Sentences of the sources a reader could take as bullets, by this lint's own rules:
    closing punctuation, six words or more, no question, no context-needing opening, no
    call to action, not a title."""
    titles = {tuple(tokens(i.title)) for i in items}
    found = set()
    for item in items:
        if item.duplicate_of:
            continue
        lines = item.text.splitlines()  # list items and paragraphs never share a sentence
        for match in (m for line in lines for m in _SENTENCE.finditer(line)):
            text = " ".join(match.group(0).split())
            if (
                len(text.split()) >= 6
                and not text.rstrip("\"'”’)]").endswith("?")
                and not _CONTEXT_OPENING.search(text)
                and not _PROMO_LINE.search(text)
                and text[:1].isupper()
                and tuple(tokens(text)) not in titles
            ):
                found.add(text)
    return len(found)


def teaser_only(items: list[Item]) -> bool:
    """Whether every source of a story is a teaser with a web link: with article fetching on,
    its pages would supply the text; offline, nothing more can be said."""
    originals = [i for i in items if not i.duplicate_of]
    return all(
        is_teaser(i.text, TEASER_WORDS) and (i.url or "").startswith(("http:", "https:"))
        for i in originals
    )


def lint(
    stories: list[Story], items: dict[str, list[Item]] | None = None
) -> tuple[Counter[str], list[tuple[str, Story]]]:
    counts: Counter[str] = Counter()
    examples: list[tuple[str, Story]] = []
    items = items or {}
    for story in stories:
        summary = story.summary
        if summary is None:
            continue
        counts["stories"] += 1
        bullets = summary.bullets
        counts["bullets"] += len(bullets)
        thin = THIN.get(len(bullets))
        if thin:
            counts[thin] += 1
            if teaser_only(items.get(story.id, [])):
                counts[thin + TEASER_ONLY] += 1
            elif usable_sentences(items.get(story.id, [])) > len(bullets):
                counts[thin + FULL_TEXT] += 1
                examples.append((thin + " whose sources offer more", story))
            else:
                counts[thin + SAY_LITTLE] += 1
                examples.append((thin + " from full text saying little", story))
        if summary.outlet_count > 1:
            counts["multi-outlet stories"] += 1
        titles = [s.title for s in summary.sources]
        if _HEADLINE_TAGS.search(summary.headline):
            counts["headlines with a tag (live, in pictures, | name)"] += 1
            examples.append(("headline tag", story))
        if _TRUNCATED.search(summary.headline):
            counts["headlines truncated"] += 1
        head_sources = [i for i, s in enumerate(summary.sources) if s.title == summary.headline]
        if (
            len(summary.sources) > 1
            and head_sources
            and bullets
            and not any(set(b.sources) & set(head_sources) for b in bullets)
        ):
            counts["multi-source stories whose headline item supplies no bullet"] += 1
            examples.append(("headline item supplies no bullet", story))
        for n, bullet in enumerate(bullets):
            text = bullet.text.strip()
            kinds = []
            if not _CLOSING.search(text) or _TRUNCATED.search(text):
                kinds.append("bullets without closing punctuation")
            if _TRUNCATED.search(text):
                kinds.append("bullets truncated")
            if _CONTEXT_OPENING.search(text):
                kinds.append("bullets with a context-needing opening")
            if writer_speaks(text):
                kinds.append("bullets in the writer's own first person")
            if speaks_to_reader(text):
                kinds.append("bullets speaking to the reader")
            if split_quote(text):
                kinds.append("bullets with a split quote")
            if bare_quote(text):
                kinds.append("bullets that are a bare quotation (no speaker)")
            if repeats(text, summary.headline) or (n and repeats(text, bullets[n - 1].text)):
                kinds.append("bullets repeating the headline or the bullet above")
            if any(retells(text, b.text) for b in bullets[:n]):
                kinds.append("bullets retelling a bullet above (half its content words)")
            if any(tokens(text) == tokens(t) for t in titles if t):
                kinds.append("bullets that are a source title")
            if not bullet.sources:
                kinds.append("bullets citing no source")
            for kind in kinds:
                counts[kind] += 1
                examples.append((kind, story))
    return counts, examples


def quiet_settings() -> Settings:
    """Default settings with article fetching off (the links point at real outlets)."""
    settings = Settings()
    if hasattr(settings, "articles"):
        articles = dataclasses.replace(settings.articles, enabled=False)  # type: ignore[attr-defined]
        settings = dataclasses.replace(settings, articles=articles)  # type: ignore[call-arg]
    return settings


async def publish_day(day: Path, when: datetime) -> tuple[list[Story], dict[str, list[Item]]]:
    files = sorted(p for p in day.glob("*.xml"))
    runner, port = await serve(day)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            outlines = "".join(
                f"<outline type='rss' text={quoteattr(name_for(p))} "
                f"xmlUrl={quoteattr(f'http://127.0.0.1:{port}/{p.name}')}/>"
                for p in files
            )
            opml = Path(tmp) / "feeds.opml"
            opml.write_text(
                f"<opml version='2.0'><body><outline text='News'>{outlines}</outline></body></opml>"
            )
            service = Service(opml, Path(tmp) / "agg.db", quiet_settings(), clock=lambda: when)
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher, everything=True)
                stories = service.store.reader().stories(None, 100_000)
                return stories, {s.id: service.store.story_items(s.id) for s in stories}
            finally:
                service.close()
    finally:
        await runner.cleanup()


def capture_time(day: Path) -> datetime:
    fixed = DAYS.get(day.name)
    if fixed:
        return datetime.fromisoformat(fixed)
    match = re.search(r"(\d{4}-\d{2}-\d{2})", day.name)
    start = datetime.fromisoformat(match.group(1)) if match else datetime(2020, 1, 1)
    return start.replace(tzinfo=UTC) + timedelta(hours=20)


def _item_order(item: Item) -> tuple[datetime, str, str]:
    return (item.published or datetime.min.replace(tzinfo=UTC), item.outlet_name, item.title)


async def run(
    days: list[Path], show: int, only: str | None = None, every: bool = False
) -> Counter[str]:
    total: Counter[str] = Counter()
    for day in days:
        stories, items = await publish_day(day, capture_time(day))
        counts, examples = lint(stories, items)
        total.update(counts)
        if every:  # (in headline order: runs of one commit print alike, and diff cleanly)
            told = [(s, s.summary) for s in stories if s.summary is not None]
            told.sort(key=lambda pair: (pair[1].headline, [b.text for b in pair[1].bullets]))
            examples.extend(("story", story) for story, _ in told)
        picked = [(k, st) for k, st in examples if only is None or only in k]
        for kind, story in picked[: len(picked) if every else show]:
            s = story.summary
            assert s is not None
            print(f"[{kind}] {s.headline}")
            for b in s.bullets:
                print(f"    - {b.text} {list(b.sources)}")
            # (oldest first, as the summary orders its sources; ties by outlet and title)
            for i in sorted(items.get(story.id, []), key=_item_order):
                print(f"    > {i.outlet_name}: {i.title!r} {len(i.text.split())} words")
    return total


ORDER = [
    "stories",
    "multi-outlet stories",
    "bullets",
    *(
        f"{thin}{part}"
        for thin in THIN.values()
        for part in ("", TEASER_ONLY, SAY_LITTLE, FULL_TEXT)
    ),
    "bullets without closing punctuation",
    "bullets with a context-needing opening",
    "bullets truncated",
    "bullets repeating the headline or the bullet above",
    "bullets retelling a bullet above (half its content words)",
    "bullets that are a source title",
    "bullets with a split quote",
    "bullets that are a bare quotation (no speaker)",
    "bullets in the writer's own first person",
    "bullets speaking to the reader",
    "bullets citing no source",
    "headlines with a tag (live, in pictures, | name)",
    "headlines truncated",
    "multi-source stories whose headline item supplies no bullet",
]


def table(counts: Counter[str]) -> str:
    rows = ["| count | what |", "|------:|------|"]
    rows += [f"| {counts.get(k, 0):5d} | {k} |" for k in ORDER]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--day", type=Path, action="append", help="a real-news day folder")
    parser.add_argument("--show", type=int, default=0, help="print N flagged stories")
    parser.add_argument("--kind", help="print only flagged stories whose kind contains this")
    parser.add_argument(
        "--all", action="store_true", help="print every published story (kind 'story')"
    )
    args = parser.parse_args(argv)
    days = args.day or sorted(p for p in REAL_NEWS.iterdir() if p.is_dir())
    counts = asyncio.run(run(days, args.show, args.kind, args.all))
    print(f"real-news lint over {', '.join(d.name for d in days)}")
    print(table(counts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
