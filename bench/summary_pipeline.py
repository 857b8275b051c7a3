"""The whole pipeline on Multi-News: teaser feeds, full article pages, `poll --once --all`.

A loopback site gives every document position its own outlet (127.0.0.2, 127.0.0.3, … all on
the loopback interface): a feed whose entries carry only each document's first sentence, and an
article page per document carrying the full text. `aggregator poll --once --all` polls the
feeds, groups the items, fetches the article pages (robots.txt, pacing and all) and publishes
summaries; each cluster is then scored by the published story holding most of its documents.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from statistics import median
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aggregator.sentences import split_sentences  # noqa: E402
from aggregator.store import Store  # noqa: E402
from aggregator.text import clean_text  # noqa: E402

MAX_OUTLETS = 10  # document positions served (Multi-News clusters have 2 to 10 documents)


@dataclass
class Doc:
    cluster: str
    index: int
    title: str
    first: str
    paragraphs: list[str]


@dataclass
class Piece:
    """A published story as one cluster sees it: which of its documents the story holds,
    whether it holds other clusters' documents too, and its bullets."""

    docs: list[int]
    foreign: bool
    bullets: list[str]


@dataclass
class PipelineResult:
    summaries: dict[str, list[str]]  # cluster -> bullets of the story holding most of it
    grouped: dict[str, list[int]]  # cluster -> its document indexes in that story
    multi_source_bullets: list[int]  # bullets of every published story with 2+ outlets
    tied: dict[str, list[list[str]]]  # cluster -> bullets of each story holding as many of it
    pieces: dict[str, list[Piece]]  # cluster -> every published story holding any of it
    stories: int
    seconds: float
    output: str
    grouping: dict[str, float]  # the stored grouping against the clusters (`grouping_scores`)
    port: int  # the outlets' port: which draw of item ids this run was (see `PORT`)


def make_docs(cluster: str, docs: list[str], title_of: object) -> list[Doc]:
    out = []
    for index, raw in enumerate(docs[:MAX_OUTLETS]):
        item = title_of(cluster, index, raw)  # type: ignore[operator]
        sentences = split_sentences(clean_text(item.text))
        if not sentences:
            continue
        paragraphs = [p.strip() for p in item.text.split("\n") if p.strip()]
        title = item.title or " ".join(sentences[0].split()[:12])
        out.append(Doc(cluster, index, title, sentences[0], paragraphs))
    return out


def feed_xml(host: str, docs: list[Doc], now: datetime, full: bool = False) -> bytes:
    entries = []
    for n, doc in enumerate(docs):
        link = f"http://{host}/{doc.cluster}.html"
        date = format_datetime(now - timedelta(minutes=n % 600))
        body = "\n\n".join(doc.paragraphs) if full else doc.first
        entries.append(
            f"<item><title>{xml_escape(doc.title)}</title><link>{xml_escape(link)}</link>"
            f"<guid>{xml_escape(link)}</guid><pubDate>{date}</pubDate>"
            f"<description>{xml_escape(body)}</description></item>"
        )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>Outlet {host}</title>"
        f"<link>http://{host}/</link>{''.join(entries)}</channel></rss>"
    ).encode()


def page_html(doc: Doc) -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in doc.paragraphs)
    return (
        f"<html><head><title>{escape(doc.title)}</title></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{escape(doc.title)}</h1>{body}</article>"
        "<footer>About us. Contact. Terms.</footer></body></html>"
    ).encode()


async def serve(
    by_host: dict[str, list[Doc]], now: datetime, full: bool = False, draw: int = 0
) -> tuple[web.AppRunner, int]:
    pages = {(d.index, d.cluster): d for docs in by_host.values() for d in docs}
    index_of = {host: docs[0].index for host, docs in by_host.items()}
    feeds: dict[str, bytes] = {}

    async def handler(request: web.Request) -> web.Response:
        host = request.url.host or ""
        tail = request.match_info["tail"]
        if tail == "feed.xml" and host in feeds:
            return web.Response(body=feeds[host], content_type="application/rss+xml")
        if tail == "robots.txt":
            return web.Response(text="User-agent: *\nDisallow: /private/\n")
        doc = pages.get((index_of.get(host, -1), tail.removesuffix(".html")))
        if doc is None:
            return web.Response(status=404)
        return web.Response(body=page_html(doc), content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = await _listen(runner, draw)
    feeds.update(
        {host: feed_xml(f"{host}:{port}", docs, now, full) for host, docs in by_host.items()}
    )
    return runner, port


# The port is part of every feed's and page's URL, so of every item's id, and ids break ties
# (grouping order, which pages come first): run `draw` n is served on port PORT + n, so a run
# repeated gives the same stories and two versions of the code are compared on the same draws.
# When that port is taken (another run at the same time) a free one is used: another draw.
PORT = 38170


async def _listen(runner: web.AppRunner, draw: int) -> int:
    """Serve every outlet's address on port PORT + `draw`, else on any free port."""
    for wanted in (PORT + draw, 0):
        port, sites = wanted, []
        try:
            for n in range(MAX_OUTLETS):
                site = web.TCPSite(runner, f"127.0.0.{n + 2}", port)
                await site.start()
                sites.append(site)
                port = port or int(runner.addresses[0][1])
        except OSError:
            for site in sites:
                await site.stop()
            continue
        return port
    raise SystemExit("no port to serve the loopback outlets on")


def run_pipeline(
    clusters: list[tuple[str, list[str]]],
    title_of: object,
    articles: bool = True,
    full_feeds: bool = False,
    draw: int = 0,
    max_words: int | None = None,
    max_bullets: int | None = None,
) -> PipelineResult:
    """`full_feeds`: the feeds carry the whole documents (what grouping alone costs);
    `draw`: which fixed port, so which item ids (see `PORT`); `max_words`, `max_bullets`:
    the summaries' `[summary]` settings (else the service's defaults)."""
    now = datetime.now(UTC).replace(microsecond=0)
    summary = "".join(
        f"{key} = {value}\n"
        for key, value in (("max_words", max_words), ("max_bullets", max_bullets))
        if value is not None
    )
    return asyncio.run(_run(clusters, title_of, now, articles, full_feeds, draw, summary))


async def _run(
    clusters: list[tuple[str, list[str]]],
    title_of: object,
    now: datetime,
    articles: bool,
    full_feeds: bool = False,
    draw: int = 0,
    summary: str = "",
) -> PipelineResult:
    by_host: dict[str, list[Doc]] = {}
    all_docs = [doc for cluster, docs in clusters for doc in make_docs(cluster, docs, title_of)]
    for doc in all_docs:
        by_host.setdefault(f"127.0.0.{doc.index + 2}", []).append(doc)
    runner, port = await serve(by_host, now, full_feeds, draw)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            outlines = "".join(
                f"<outline type='rss' text={quoteattr(f'Outlet {n}')} "
                f"xmlUrl={quoteattr(f'http://127.0.0.{n + 2}:{port}/feed.xml')}/>"
                for n in range(MAX_OUTLETS)
                if f"127.0.0.{n + 2}" in by_host
            )
            (base / "feeds.opml").write_text(
                f"<opml version='2.0'><body><outline text='News'>{outlines}</outline></body></opml>"
            )
            (base / "bench.toml").write_text(
                f"[articles]\nenabled = {str(articles).lower()}\nper_host_interval = 0\n"
                "per_pass = 400\n"
                "concurrency = 8\n"
                'once_budget = "1h"\n'  # every page, however loaded the machine
                f"[summary]\n{summary}"
            )
            env = {k: v for k, v in os.environ.items() if not k.startswith("AGGREGATOR_")}
            started = datetime.now(UTC)
            done = await asyncio.to_thread(
                subprocess.run,
                [
                    sys.executable,
                    "-m",
                    "aggregator",
                    "poll",
                    "--once",
                    "--all",
                    "--opml",
                    str(base / "feeds.opml"),
                    "--db",
                    str(base / "agg.db"),
                    "--config",
                    str(base / "bench.toml"),
                    "--log-level",
                    "WARNING",
                ],
                capture_output=True,
                text=True,
                cwd=ROOT,
                env=env,
            )
            seconds = (datetime.now(UTC) - started).total_seconds()
            if done.returncode:
                raise SystemExit(f"poll failed: {done.stderr[-2000:]}")
            store = Store(base / "agg.db")
            try:
                stories = store.reader().stories(None, 100_000)
                stored = [(url or "", sid) for url, sid in store.db.execute(_STORED)]
            finally:
                store.close()
    finally:
        await runner.cleanup()
    words = {(d.cluster, d.index): sum(len(p.split()) for p in d.paragraphs) for d in all_docs}
    best: dict[str, tuple[tuple[int, int], list[str], list[int]]] = {}
    tied: dict[str, tuple[int, list[list[str]]]] = {}
    multi: list[int] = []
    pieces: dict[str, list[Piece]] = {}
    # A cluster's story is the one holding most of its documents; of stories holding equally
    # many, the one holding most of its text (a cluster's report rather than the archive
    # notice, sign-up form or player page Multi-News counts among its documents), then the
    # first by id (story order, `updated`, moves with how long each step took).
    for story in sorted(stories, key=lambda s: s.id):
        if story.summary is None:
            continue
        counts: dict[str, int] = {}
        docs: dict[str, list[int]] = {}
        for source in story.summary.sources:
            cluster = (source.url or "").rsplit("/", 1)[-1].removesuffix(".html")
            counts[cluster] = counts.get(cluster, 0) + 1
            host = (source.url or "").split("/")[2].split(":")[0]
            docs.setdefault(cluster, []).append(int(host.rsplit(".", 1)[-1]) - 2)
        bullets = [b.text for b in story.summary.bullets]
        if story.summary.outlet_count > 1:
            multi.append(len(bullets))
        for cluster in counts:
            piece = Piece(sorted(set(docs[cluster])), len(counts) > 1, bullets)
            pieces.setdefault(cluster, []).append(piece)
        for cluster, n in counts.items():
            held = (n, sum(words.get((cluster, i), 0) for i in set(docs[cluster])))
            if held > best.get(cluster, ((0, 0), [], []))[0]:
                best[cluster] = (held, bullets, sorted(docs[cluster]))
            top, same = tied.get(cluster, (0, []))
            if n > top:
                tied[cluster] = (n, [bullets])
            elif n == top:
                same.append(bullets)
    return PipelineResult(
        {c: b for c, (_, b, _) in best.items()},
        {c: d for c, (_, _, d) in best.items()},
        multi,
        {c: b for c, (_, b) in tied.items()},
        pieces,
        len(stories),
        seconds,
        done.stdout.strip(),
        grouping_scores(stored),
        port,
    )


# Every stored report (duplicates too) with its story, published or not.
_STORED = "SELECT url, story_id FROM items WHERE story_id IS NOT NULL"


def grouping_scores(stored: list[tuple[str, str]]) -> dict[str, float]:
    """How the stored grouping agrees with the clusters (a report's cluster is its page's
    name): pairwise precision, recall and F1, and the share of clusters all in one story.
    Diagnostic only: what grouping recall costs the published rows above it."""
    cluster_of = [url.rsplit("/", 1)[-1].removesuffix(".html") for url, _ in stored]
    joint = Counter(zip(cluster_of, (sid for _, sid in stored), strict=True))
    in_story = Counter(sid for _, sid in stored)
    in_cluster = Counter(cluster_of)

    def pairs(n: int) -> int:
        return n * (n - 1) // 2

    same = sum(pairs(n) for n in joint.values())
    grouped = sum(pairs(n) for n in in_story.values())
    gold = sum(pairs(n) for n in in_cluster.values())
    p = same / grouped if grouped else 1.0
    r = same / gold if gold else 1.0
    whole = sum(1 for (c, _), n in joint.items() if n == in_cluster[c] and n > 1)
    several = sum(1 for n in in_cluster.values() if n > 1)
    return {
        "p": p,
        "r": r,
        "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "whole": whole / several if several else 1.0,
    }


def median_or_zero(values: list[int]) -> float:
    return float(median(values)) if values else 0.0
