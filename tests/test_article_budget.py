"""`poll --once` spends at most `[articles] once_budget` on article pages; what it did not
fetch stays due (not failed) and the next run fetches it, save a page long unanswered, which
counts as timed out. Served on loopback: one feed of
teasers whose article pages answer at once, and some that hang until the test releases them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from aggregator import article_job
from aggregator.article_pass import ArticlePass
from aggregator.config import Settings
from aggregator.fetch import Fetcher
from aggregator.service import Service

NOW = datetime.now(UTC).replace(microsecond=0)
SLUGS = ["fast-1", "fast-2", "slow-1", "slow-2"]
PARAGRAPHS = [
    "The river rose above its banks on Monday after a week of heavy rain in the hills.",
    "Rescue teams moved more than two thousand residents from low villages overnight.",
    "The regional council declared an emergency and asked the army for boats and trucks.",
    "Engineers said the old levee had not been inspected since its repair ten years ago.",
]


class Site:
    """A feed and its article pages; pages named slow-* wait until `release` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.requests: list[str] = []
        self.port = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def feed(self) -> bytes:
        items = "".join(
            f"<item><title>Floods reach village {n}</title><link>{self.url(f'/{slug}.html')}"
            f"</link><guid>{slug}</guid><pubDate>{format_datetime(NOW - timedelta(minutes=n))}"
            f"</pubDate><description>Floods reach village {n}...</description></item>"
            for n, slug in enumerate(SLUGS)
        )
        return (
            "<?xml version='1.0'?><rss version='2.0'><channel><title>River News</title>"
            f"<link>{self.url('/')}</link>{items}</channel></rss>"
        ).encode()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path)
        if request.path == "/feed.xml":
            return web.Response(body=self.feed(), content_type="application/rss+xml")
        if request.path == "/robots.txt":
            return web.Response(text="User-agent: *\nAllow: /\n")
        if request.path.startswith("/slow-"):
            await self.release.wait()
        place = request.path.strip("/").removesuffix(".html")  # each page its own text
        body = "".join(f"<p>In {place}: {p}</p>" for p in PARAGRAPHS)
        html = f"<html><body><article><h1>Floods</h1>{body}</article></body></html>"
        return web.Response(text=html, content_type="text/html")


@asynccontextmanager
async def serving() -> AsyncIterator[Site]:
    site = Site()
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", site.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    site.port = runner.addresses[0][1]
    try:
        yield site
    finally:
        site.release.set()  # let hanging handlers finish so the server closes at once
        await runner.cleanup()


def settings() -> Settings:
    base = Settings()
    articles = dataclasses.replace(
        base.articles, enabled=True, per_host_interval=0.0, interval=0.2, concurrency=4
    )
    fetch = dataclasses.replace(base.fetch, per_host=8)  # hanging pages hold no fast one back
    return dataclasses.replace(base, articles=articles, fetch=fetch)


@dataclass
class Run:
    """What one `poll --once`-like run left: its pages' totals and time, the feed's status row
    and the pages not fetched with text, as (url, status, error, retry_at)."""

    report: ArticlePass
    seconds: float
    row: dict[str, Any]
    not_ok: list[tuple[str, str, str, str | None]]


async def one_run(site: Site, tmp_path: Path, budget: float, *, poll: bool = True) -> Run:
    """A run as a new process makes it: the sources loaded, a poll cycle (with `poll`), then
    the due article pages for at most `budget` seconds, on the database in `tmp_path`."""
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        "<opml version='2.0'><body><outline text='World'><outline type='rss' "
        f"text='River News' xmlUrl='{site.url('/feed.xml')}'/></outline></body></opml>"
    )
    service = Service(opml, tmp_path / "agg.db", settings())
    try:
        await service.load_sources(strict=True)
        async with Fetcher(service.settings.fetch) as fetcher:
            if poll:
                await service.poll_cycle(fetcher)
            started = time.monotonic()
            report = await service.fetch_articles(fetcher, budget=budget)
            took = time.monotonic() - started
        (row,) = service.store.status_rows()
        not_ok = service.store.db.execute(
            "SELECT url, status, error, retry_at FROM articles WHERE status != 'ok' ORDER BY url"
        ).fetchall()
    finally:
        service.close()
    return Run(report, took, row, [tuple(r) for r in not_ok])


def test_a_one_shot_pass_stops_at_its_budget_and_the_next_run_fetches_the_rest(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with serving() as site:
            first = await one_run(site, tmp_path, 5.0)
            # The slow pages never answer while the pass runs: it ends at its budget (5 s, room
            # for the first extraction on a busy machine)
            # instead of waiting for them (the bound here is loose: a busy machine is slow).
            assert first.seconds < 30
            report = first.report
            assert (report.ok, report.failed, report.left) == (2, 0, 2)
            assert first.row["articles_ok"] == 2 and first.row["articles_failed"] == 0

            # The next run (a new process in real life) fetches what was left, and only that.
            site.release.set()
            second = await one_run(site, tmp_path, 30.0, poll=False)
            again = second.report
            assert (again.ok, again.failed, again.left) == (2, 0, 0)
            assert second.row["articles_ok"] == 4 and second.row["articles_failed"] == 0
            for slug in ("fast-1", "fast-2"):
                assert site.requests.count(f"/{slug}.html") == 1
            for slug in ("slow-1", "slow-2"):
                assert site.requests.count(f"/{slug}.html") == 2  # abandoned once, then fetched

    asyncio.run(scenario())


def test_a_page_long_unanswered_when_the_budget_ends_is_tried_again_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page that has not answered `STALLED` seconds after it was asked for when the budget
    ends counts as timed out: it is tried again later (30 minutes on), so the next run does
    not spend its budget waiting on it again."""
    monkeypatch.setattr(article_job, "STALLED", 0.5)

    async def scenario() -> None:
        async with serving() as site:
            first = await one_run(site, tmp_path, 3.0)
            report = first.report
            assert (report.ok, report.failed, report.retrying, report.left) == (2, 2, 2, 0)
            assert [url.rsplit("/", 1)[1] for url, *_ in first.not_ok] == [
                "slow-1.html",
                "slow-2.html",
            ]
            for _, status, error, retry_at in first.not_ok:
                assert status == "failed"
                assert error.startswith("no answer in ")
                assert error.endswith(" s (poll --once's article budget ended)")
                assert retry_at is not None
                retry = datetime.fromisoformat(retry_at)
                assert retry - datetime.now(UTC) > timedelta(minutes=25)

            # The next run leaves them alone until then.
            second = await one_run(site, tmp_path, 3.0, poll=False)
            assert (second.report.fetched, second.report.left) == (0, 0)
            for slug in ("slow-1", "slow-2"):
                assert site.requests.count(f"/{slug}.html") == 1

    asyncio.run(scenario())
