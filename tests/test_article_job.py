"""Article pages through the service: robots.txt, failures, never refetching, re-summarising.

All pages are served by a loopback server; the texts are invented for these tests.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import dataclasses
import itertools
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from job_loops import run_until
from upstream import Upstream

from aggregator.article_job import same_origin
from aggregator.article_pass import ArticlePass
from aggregator.config import Settings
from aggregator.fetch import Fetcher
from aggregator.service import Service

NOW = datetime.now(UTC).replace(microsecond=0)

STORIES = {
    "dam": (
        "Tisza dam breaks after storm",
        "The Tisza dam broke on Monday night after days of heavy rain.",
        [
            "The Tisza dam broke on Monday night after days of heavy rain.",
            "Rescue teams evacuated more than 2,000 residents from three villages overnight.",
            "The regional governor declared a state of emergency and asked for army support.",
            "Engineers said the structure had not been inspected since its renovation in 2009.",
        ],
    ),
    "private/budget": (
        "Parliament passes the spring budget",
        "Parliament passed the spring budget on Tuesday by a narrow margin.",
        [
            "Parliament passed the spring budget on Tuesday by a narrow margin.",
            "The opposition walked out before the final vote on the pension reform.",
        ],
    ),
    "broken": (
        "Volcano erupts on remote island",
        "A volcano erupted on a remote Pacific island on Wednesday morning.",
        [
            "A volcano erupted on a remote Pacific island on Wednesday morning.",
            "Ash clouds forced airlines to cancel flights across the region.",
        ],
    ),
}


def feed_xml(up: Upstream) -> bytes:
    items = []
    for n, (slug, (title, teaser, _)) in enumerate(STORIES.items()):
        date = format_datetime(NOW - timedelta(minutes=10 * n))
        items.append(
            f"<item><title>{escape(title)}</title><link>{up.url('/' + slug + '.html')}</link>"
            f"<guid>{slug}</guid><pubDate>{date}</pubDate>"
            f"<description>{escape(teaser)}</description></item>"
        )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Example News</title>"
        f"<link>{up.url('/')}</link>{''.join(items)}</channel></rss>"
    ).encode()


def page(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{escape(title)}</title></head><body><nav>Home | World</nav>"
        f"<article><h1>{escape(title)}</h1>{body}</article><footer>About us</footer></body></html>"
    ).encode()


def serve_site(up: Upstream, robots: bytes | None = b"User-agent: *\nDisallow: /private/\n") -> str:
    for slug, (title, _, paragraphs) in STORIES.items():
        status = 500 if slug == "broken" else 200
        up.add_feed(
            f"/{slug}.html", page(title, paragraphs), content_type="text/html", status=status
        )
    if robots is not None:
        up.add_feed("/robots.txt", robots, content_type="text/plain")
    return up.add_feed("/feed.xml", feed_xml(up))


def settings(**articles: object) -> Settings:
    base = Settings()
    values = {"enabled": True, "per_host_interval": 0.0, "interval": 0.2, **articles}
    return dataclasses.replace(base, articles=dataclasses.replace(base.articles, **values))


def write_opml(path: Path, url: str) -> Path:
    path.write_text(
        "<opml version='2.0'><body><outline text='World'>"
        f"<outline type='rss' text='Example News' xmlUrl='{url}'/></outline></body></opml>"
    )
    return path


async def poll_then_fetch_pages(
    opml: Path, config: Settings, db: Path | str = ":memory:", **options: Any
) -> tuple[ArticlePass, list[dict[str, Any]]]:
    """One poll cycle, then one pass over the due article pages, on a store at `db` (default
    in memory; `options`: the service's): the pass's totals and the feeds' status rows."""
    service = Service(opml, db, config, **options)
    try:
        await service.load_sources(strict=True)
        async with Fetcher(service.settings.fetch) as fetcher:
            await service.poll_cycle(fetcher)
            report = await service.fetch_articles(fetcher)
        return report, service.store.status_rows()
    finally:
        service.close()


def bullets_by_headline(service: Service) -> dict[str, list[str]]:
    stories = service.store.reader().stories(None, 100)
    return {s.headline: [b.text for b in s.summary.bullets] for s in stories if s.summary}


def test_article_text_fills_teasers_honours_robots_and_is_never_refetched(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Upstream() as up:
            feed = serve_site(up)
            opml = write_opml(tmp_path / "feeds.opml", feed)
            service = Service(opml, tmp_path / "agg.db", settings())
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher)
                    before = bullets_by_headline(service)
                    report = await service.fetch_articles(fetcher)
                    after = bullets_by_headline(service)
                    again = await service.fetch_articles(fetcher)
                rows = service.store.status_rows()
            finally:
                service.close()
            # The teaser alone gave one bullet; the article page gives the rest.
            assert len(before["Tisza dam breaks after storm"]) <= 1
            dam = after["Tisza dam breaks after storm"]
            assert len(dam) >= 3
            assert any("2,000 residents" in b for b in dam)
            # robots.txt: the disallowed page is never requested; its story keeps feed text.
            assert up.requests_for("/private/budget.html") == []
            assert len(up.requests_for("/robots.txt")) == 1
            assert (
                after["Parliament passes the spring budget"]
                == before["Parliament passes the spring budget"]
            )
            # A failing page falls back to the feed text and shows in status.
            assert (
                after["Volcano erupts on remote island"]
                == before["Volcano erupts on remote island"]
            )
            assert (report.ok, report.failed) == (1, 2)
            (row,) = rows
            assert row["articles_ok"] == 1 and row["articles_failed"] == 2
            assert row["article_error"] in {
                "HTTP 500 Internal Server Error",
                "disallowed by robots.txt",
            }
            # Never refetched: the second pass asked for nothing.
            assert again.fetched == 0
            assert len(up.requests_for("/dam.html")) == 1
            assert len(up.requests_for("/broken.html")) == 1
            # Pages were asked for with our User-Agent and as web pages.
            request = up.requests_for("/dam.html")[0]
            assert request.headers["user-agent"].startswith("aggregator/")
            assert request.headers["accept"].startswith("text/html")

    asyncio.run(scenario())


@pytest.mark.parametrize("status", [503, 429])
def test_robots_server_error_blocks_the_site_for_now(tmp_path: Path, status: int) -> None:
    """A robots.txt answered 5xx, or 429, means the site cannot say now: nothing is fetched.
    (Another 4xx means no rules; a 429 had been read so, and everything allowed.)"""

    async def scenario() -> None:
        async with Upstream() as up:
            feed = serve_site(up, robots=None)
            up.add_feed("/robots.txt", b"oops", content_type="text/plain", status=status)
            report, _ = await poll_then_fetch_pages(
                write_opml(tmp_path / "f.opml", feed), settings()
            )
            assert report.ok == 0 and report.failed == 3
            assert up.requests_for("/dam.html") == []

    asyncio.run(scenario())


def test_articles_off_globally_or_per_feed_fetch_nothing(tmp_path: Path) -> None:
    async def scenario(config: Settings) -> Upstream:
        async with Upstream() as up:
            feed = serve_site(up)
            await poll_then_fetch_pages(write_opml(tmp_path / "f.opml", feed), config)
            return up

    off = asyncio.run(scenario(settings(enabled=False)))
    assert off.requests_for("/dam.html") == [] and off.requests_for("/robots.txt") == []
    per_feed = asyncio.run(scenario(settings(skip_feeds=("127.0.0.1",))))
    assert per_feed.requests_for("/dam.html") == []


def test_the_running_service_fetches_in_the_background_and_resummarises(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Upstream() as up:
            feed = serve_site(up)
            config = settings()
            config = dataclasses.replace(
                config, server=dataclasses.replace(config.server, tick=0.2, shutdown_grace=1.0)
            )
            service = Service(write_opml(tmp_path / "f.opml", feed), tmp_path / "a.db", config)
            stop = asyncio.Event()
            task = asyncio.create_task(service.run("127.0.0.1", 0, stop, serve=False))
            try:
                for _ in range(200):
                    dam = bullets_by_headline(service).get("Tisza dam breaks after storm", [])
                    if any("2,000 residents" in b for b in dam):
                        break
                    await asyncio.sleep(0.05)
                else:
                    raise AssertionError("the article text never reached the summary")
            finally:
                stop.set()
                await asyncio.wait_for(task, 10)
                service.close()

    asyncio.run(scenario())


def test_pages_on_the_feeds_own_host_are_fetched_before_that_feed_is_polled(
    tmp_path: Path,
) -> None:
    """After a restart the job may run before the first poll: a page on a listed feed's host
    (here loopback) is as trusted as the feed, while other internal hosts stay refused."""

    async def scenario() -> None:
        async with Upstream() as up:
            feed = serve_site(up)
            service = Service(write_opml(tmp_path / "f.opml", feed), ":memory:", settings())
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher)
                async with Fetcher(service.settings.fetch) as fresh:  # nothing polled in it
                    report = await service.fetch_articles(fresh)
            finally:
                service.close()
            assert report.ok == 1
            assert len(up.requests_for("/dam.html")) == 1

    asyncio.run(scenario())


def test_an_opml_outline_turns_a_feeds_article_pages_off_and_status_says_so(
    tmp_path: Path,
) -> None:
    from aggregator.cli_status import _pages

    async def scenario(switch: str) -> tuple[Upstream, dict[str, object]]:
        async with Upstream() as up:
            feed = serve_site(up)
            opml = tmp_path / f"{switch}.opml"
            opml.write_text(
                "<opml version='2.0'><body><outline text='World'>"
                f"<outline type='rss' text='Example News' xmlUrl='{feed}'{switch}/>"
                "</outline></body></opml>"
            )
            _, (row,) = await poll_then_fetch_pages(opml, settings())
            return up, row

    off, row = asyncio.run(scenario(" articles='off'"))
    assert off.requests_for("/dam.html") == [] and off.requests_for("/robots.txt") == []
    assert _pages(row) == "off (OPML)"
    on, row = asyncio.run(scenario(""))
    assert len(on.requests_for("/dam.html")) == 1
    assert _pages(row).startswith("1 ok")


def test_a_robots_txt_not_fetched_says_why(tmp_path: Path) -> None:
    """A page on an internal host that is not a listed feed's is refused, robots.txt first;
    `status` had called that "robots.txt unavailable (server error)"."""
    from aggregator.cli_status import _pages

    async def scenario() -> tuple[object, dict[str, object]]:
        async with Upstream() as up:
            serve_site(up)
            elsewhere = feed_xml(up).replace(b"http://127.0.0.1:", b"http://127.0.0.2:")
            feed = up.add_feed("/elsewhere.xml", elsewhere)
            report, (row,) = await poll_then_fetch_pages(
                write_opml(tmp_path / "f.opml", feed), settings()
            )
            assert up.requests_for("/robots.txt") == [] and up.requests_for("/dam.html") == []
            return report, row

    report, row = asyncio.run(scenario())
    assert report.ok == 0  # type: ignore[attr-defined]
    shown = _pages(row)
    assert "private address refused" in shown and "server error" not in shown


def test_a_robots_txt_that_never_answers_is_unavailable_for_now_and_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A robots.txt that accepts the request and says nothing had held each `poll --once`
    for its whole budget (its fetch's timeout is the budget's), recording nothing: the next
    run waited on it again. It cannot say, for now: its pages are tried again later."""
    import aggregator.article_job as article_job

    monkeypatch.setattr(article_job, "ROBOTS_TIMEOUT", 0.5)

    async def scenario() -> None:
        async with Upstream() as up:
            feed = serve_site(up, robots=None)
            up.add_feed("/robots.txt", b"", content_type="text/plain", delay=60)
            service = Service(write_opml(tmp_path / "f.opml", feed), ":memory:", settings())
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher)
                    first = await service.fetch_articles(fetcher)
                    second = await service.fetch_articles(fetcher)
                    origin = up.url("/robots.txt")
                    saved = service.store.robots_answer(origin)
            finally:
                service.close()
            assert (first.ok, first.failed, first.retrying) == (0, 3, 3)
            assert second.fetched == 0  # (the answer is kept: not asked again at once)
            assert len(up.requests_for("/robots.txt")) == 1
            assert up.requests_for("/dam.html") == []
            assert saved is not None and saved[1:] == (None, "no answer in 0.5 s")

    asyncio.run(scenario())


def test_a_page_is_read_in_the_charset_its_content_type_names(tmp_path: Path) -> None:
    """A page served `text/html; charset=windows-1252` without a meta tag had been guessed a
    Central European code page ("Le maire inaugure la bibliothčque") and published so."""
    from aggregator.article_job import page_text

    paragraphs = [
        "Le maire a inauguré la bibliothèque du quartier, où les élèves fêteront les œuvres.",
        *(
            f"Les élèves du collège {k} ont lu des œuvres à la fête de la bibliothèque."
            for k in range(6)
        ),
    ]
    html = page("La bibliothèque", paragraphs).decode()
    cp1252 = html.encode("windows-1252")
    text = page_text(cp1252, "http://x.example/p", content_type="text/html; charset=windows-1252")
    assert text is not None and "bibliothèque" in text and "œuvres" in text
    # a byte order mark outranks the header, as browsers read it
    marked = codecs.BOM_UTF8 + html.encode()
    text = page_text(marked, "http://x.example/p", content_type="text/html; charset=iso-8859-1")
    assert text is not None and "élèves" in text and "Ã" not in text
    # a charset nobody knows is no charset: the page's own reading stands
    assert page_text(html.encode(), "http://x.example/p", content_type="text/html; charset=x-no")

    async def scenario() -> list[str]:
        async with Upstream() as up:
            up.add_feed("/v1.html", cp1252, content_type="text/html; charset=windows-1252")
            up.add_feed("/robots.txt", b"", content_type="text/plain")
            item = (
                f"<item><title>La bibliothèque du quartier</title><link>{up.url('/v1.html')}"
                f"</link><guid>v1</guid><description>{escape(paragraphs[0])}</description></item>"
            )
            feed = up.add_feed("/feed.xml", f"<rss version='2.0'><channel><title>Ville</title>"
                               f"{item}</channel></rss>".encode())  # fmt: skip
            service = Service(write_opml(tmp_path / "f.opml", feed), ":memory:", settings())
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher)
                    await service.fetch_articles(fetcher)
                rows = service.store.db.execute("SELECT text FROM articles").fetchall()
            finally:
                service.close()
            return [row[0] for row in rows]

    (stored,) = asyncio.run(scenario())
    assert "les élèves du collège 3 ont lu des œuvres" in stored.lower()


@pytest.mark.parametrize("gzip", [False, True])
def test_a_robots_txt_over_512_kib_is_read_as_far_as_that(tmp_path: Path, gzip: bool) -> None:
    """RFC 9309 asks a crawler to read at least 500 KiB of a robots.txt; a longer one had
    been "unavailable", which kept every page of the site unfetched. Its rules up to the last
    whole line within 512 KiB count: the line the limit cuts ("Disallow: /da" would bar
    /dam.html), and all after it, do not. Sent as is (its length known) and gzipped."""
    limit = 512 * 1024
    head = b"User-agent: *\nDisallow: /private/\n"
    head += b"".join(b"Disallow: /archive/%06d/\n" % n for n in range(20_000))
    head = head[: head.rfind(b"\n", 0, limit - 100) + 1]
    head += b"#" * (limit - 13 - len(head) - 1) + b"\n"  # the cut leaves "Disallow: /da"
    body = head + b"Disallow: /dam.html\n" + b"Disallow: /archive/x/\n" * 10_000

    async def scenario() -> Upstream:
        async with Upstream() as up:
            feed = serve_site(up, robots=None)
            up.add_feed("/robots.txt", body, content_type="text/plain", gzip=gzip)
            report, _ = await poll_then_fetch_pages(
                write_opml(tmp_path / "f.opml", feed), settings()
            )
            assert report.ok == 1  # the dam page; the private one is disallowed
            return up

    up = asyncio.run(scenario())
    assert len(up.requests_for("/dam.html")) == 1
    assert up.requests_for("/private/budget.html") == []


def teaser_feed(up: Upstream, name: str, slugs: list[str], host: str = "127.0.0.1") -> str:
    """A feed of teasers linking `up`'s pages /<slug>.html, each a full report of its own,
    with `up` named `host` in every address."""
    items, n = [], 0
    for n, slug in enumerate(slugs):
        title = f"{name} report {slug}: harbour crane {slug} collapses"
        text = [f"The harbour crane {slug} of {name} collapsed on Monday, officials said."] + [
            f"Witnesses at the {name} dock heard crane {slug} creak for an hour, line {k}."
            for k in range(6)
        ]
        up.add_feed(f"/{slug}.html", page(title, text), content_type="text/html")
        date = format_datetime(NOW - timedelta(minutes=n))
        items.append(
            f"<item><title>{escape(title)}</title>"
            f"<link>{up.url(f'/{slug}.html').replace('127.0.0.1', host)}</link>"
            f"<guid>{name}-{slug}</guid><pubDate>{date}</pubDate>"
            f"<description>{escape(text[0])}</description></item>"
        )
    body = f"<rss version='2.0'><channel><title>{name}</title>{''.join(items)}</channel></rss>"
    return up.add_feed("/feed.xml", body.encode()).replace("127.0.0.1", host)


def two_sites(tmp_path: Path, slow: Upstream, quick: Upstream) -> Path:
    """Sources of two sites' teaser feeds: `slow`'s three pages, and `quick`'s two, which it
    serves as "localhost" (another host for the job, so that each has its own pacing)."""
    slow_feed = teaser_feed(slow, "Slow", ["s1", "s2", "s3"])
    quick_feed = teaser_feed(quick, "Quick", ["q1", "q2"], host="localhost")
    return sources_of(tmp_path / "f.opml", {"Slow": slow_feed, "Quick": quick_feed})


def sources_of(path: Path, feeds: dict[str, str]) -> Path:
    """An OPML at `path` listing `feeds` (name → address) in one category."""
    outlines = "".join(f"<outline type='rss' text='{n}' xmlUrl='{u}'/>" for n, u in feeds.items())
    path.write_text(
        f"<opml version='2.0'><body><outline text='World'>{outlines}</outline></body></opml>"
    )
    return path


def test_a_page_that_redirects_to_another_site_is_asked_under_that_sites_robots_txt(
    tmp_path: Path,
) -> None:
    """A feed behind a redirector links pages on its own site that redirect to the outlet's:
    the outlet's robots.txt governs them (it had never been read: the fetcher followed the
    hop), and a page it disallows is not asked of it."""

    async def scenario() -> None:
        async with Upstream() as near, Upstream() as far:
            far_feed = teaser_feed(far, "Far", ["p1", "p2"], host="localhost")
            far.add_feed(
                "/robots.txt", b"User-agent: *\nDisallow: /p2.html\n", content_type="text/plain"
            )
            near.add_feed("/robots.txt", b"User-agent: *\nDisallow:\n", content_type="text/plain")
            far_base = far_feed.removesuffix("feed.xml")
            for slug in ("p1", "p2"):
                near.add_redirect(f"/r/{slug}.html", f"{far_base}{slug}.html", status=301)
            body = far.resources["/feed.xml"].body.replace(
                far_base.encode(), near.url("/r/").encode()
            )
            feed = near.add_feed("/feed.xml", body)
            opml = write_opml(tmp_path / "f.opml", feed)
            report, _ = await poll_then_fetch_pages(opml, settings())
            assert (report.ok, report.failed) == (1, 1)
            assert len(far.requests_for("/robots.txt")) == 1
            assert len(far.requests_for("/p1.html")) == 1
            assert far.requests_for("/p2.html") == []  # disallowed where it lives
            assert len(near.requests_for("/r/p2.html")) == 1  # (the redirector allows it)

    asyncio.run(scenario())


def test_a_page_bounced_between_sites_is_given_up_after_three_hops(tmp_path: Path) -> None:
    """Two sites that send a page back and forth: each hop is a page of its own (robots.txt
    asked once per site), and after three the page fails for good, its feed text kept."""

    async def scenario() -> None:
        async with Upstream() as near, Upstream() as far:
            feed = teaser_feed(near, "Near", ["p1"])
            far_url = far.url("/p1.html").replace("127.0.0.1", "localhost")
            near.add_redirect("/p1.html", far_url, status=302)
            far.add_redirect("/p1.html", near.url("/p1.html"), status=302)
            for up in (near, far):
                up.add_feed("/robots.txt", b"User-agent: *\nDisallow:\n", content_type="text/plain")
            opml = write_opml(tmp_path / "f.opml", feed)
            report, _ = await poll_then_fetch_pages(opml, settings())
            assert (report.ok, report.failed, report.retrying) == (0, 1, 0)
            assert len(near.requests_for("/p1.html")) == 2
            assert len(far.requests_for("/p1.html")) == 2
            assert len(far.requests_for("/robots.txt")) == 1

    asyncio.run(scenario())


def test_a_feed_answered_busy_holds_its_sites_article_pages(tmp_path: Path) -> None:
    """A 429 to one of a site's feeds is the site's answer: its article pages wait, due,
    until the hold ends (one table of holds for feeds and pages), then are fetched."""

    async def scenario() -> None:
        async with Upstream() as up:
            feed = teaser_feed(up, "Near", ["p1", "p2"])
            busy = up.add_feed(
                "/busy.xml", b"slow down", status=429, headers={"Retry-After": "120"}
            )
            opml = tmp_path / "f.opml"
            opml.write_text(
                "<opml version='2.0'><body><outline text='World'>"
                f"<outline type='rss' text='Near' xmlUrl='{feed}'/>"
                f"<outline type='rss' text='Busy' xmlUrl='{busy}'/>"
                "</outline></body></opml>"
            )
            clock = Clock()
            async with polled(opml, clock) as (service, fetcher):
                first = await service.fetch_articles(fetcher)
                assert (first.fetched, first.ok) == (0, 0)
                assert up.requests_for("/robots.txt") == up.requests_for("/p1.html") == []
                clock.now += timedelta(seconds=121)
                second = await service.fetch_articles(fetcher)
                assert (second.fetched, second.ok) == (2, 2)

    asyncio.run(scenario())


def test_a_sites_crawl_delay_spaces_its_pages_and_other_sites_do_not_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A robots.txt's Crawl-delay (2 s here) spaces the requests to its site; a page whose
    turn is further off than a pass may wait (3 s here) is left due for a later pass, which
    takes only as many of the site's pages as its pacing lets through. Another site's pages
    are fetched meanwhile: the wait holds none of the pass's slots (one here)."""
    import aggregator.article_job as article_job

    monkeypatch.setattr(article_job, "_PACED_SPAN", 3.0)
    caplog.set_level(logging.INFO, logger="aggregator.articles")

    async def scenario() -> tuple[Upstream, Upstream, list[object]]:
        async with Upstream() as slow, Upstream() as quick:
            slow.add_feed(
                "/robots.txt", b"User-agent: *\nCrawl-delay: 2\n", content_type="text/plain"
            )
            opml = two_sites(tmp_path, slow, quick)
            service = Service(opml, ":memory:", settings(concurrency=1))
            reports: list[object] = []
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher)
                    job = service.article_job()
                    reports.append(await job.run_pass(fetcher))
                    reports.append(await job.run_pass(fetcher))
            finally:
                service.close()
            return slow, quick, reports

    slow, quick, (first, second) = asyncio.run(scenario())
    assert (first.fetched, first.paced) == (4, 1)  # type: ignore[attr-defined]
    assert (second.fetched, second.paced) == (1, 0)  # type: ignore[attr-defined]
    asked = sorted(r.at for r in slow.requests if r.path.endswith(".html"))
    assert len(asked) == 3 and all(b - a >= 1.95 for a, b in itertools.pairwise(asked))
    quick_asked = [r.at for r in quick.requests if r.path.endswith(".html")]
    assert len(quick_asked) == 2 and max(quick_asked) < asked[1]  # not behind the slow site
    assert len(slow.requests_for("/robots.txt")) == 1
    # (the test's own directory, in the OPML's path, holds the word too)
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("articles host")]
    assert said == [
        "articles host=127.0.0.1 crawl_delay=2 (its robots.txt asks it: its pages go that many "
        "seconds apart)"
    ]


async def _two_passes(
    tmp_path: Path, status: int, headers: dict[str, str], body: bytes
) -> tuple[Upstream, list[ArticlePass], list[dict[str, Any]]]:
    """A site whose three teasers' pages all answer `status` with `headers` and `body`: a
    poll, two passes over its pages, a poll of every feed again; the upstream, the passes'
    reports and the feeds' status rows."""
    async with Upstream() as up:
        opml = write_opml(tmp_path / "f.opml", teaser_feed(up, "Site", ["s1", "s2", "s3"]))
        for slug in ("s1", "s2", "s3"):  # (whichever is asked first)
            up.add_feed(f"/{slug}.html", body, content_type="text/html",
                        status=status, headers=headers)  # fmt: skip
        service = Service(opml, ":memory:", settings(per_host_interval=0.3))
        try:
            await service.load_sources(strict=True)
            async with Fetcher(service.settings.fetch) as fetcher:
                await service.poll_cycle(fetcher)
                job = service.article_job()
                reports = [await job.run_pass(fetcher), await job.run_pass(fetcher)]
                await service.poll_cycle(fetcher, everything=True)
            rows = service.store.status_rows()
        finally:
            service.close()
        return up, reports, rows


@pytest.mark.parametrize(("status", "retry_after", "held"), [(429, "120", 120), (503, None, 60)])
def test_a_site_that_answers_busy_is_asked_nothing_more_for_its_retry_after(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    status: int,
    retry_after: str | None,
    held: int,
) -> None:
    """A page answered 429 or 503 holds its site off for the answer's Retry-After (a minute
    without one): the site's other pages are not asked for in that pass, nor chosen by the
    next, and stay due (not failed) for when the site is ready again."""
    caplog.set_level(logging.INFO, logger="aggregator.articles")

    busy = {"Retry-After": retry_after} if retry_after else {}
    up, (first, second), _ = asyncio.run(_two_passes(tmp_path, status, busy, b"slow down"))
    assert (first.fetched, first.failed, first.retrying, first.paced) == (1, 1, 1, 2)
    assert (second.fetched, second.paced) == (0, 0)  # its pages are not even chosen
    assert len([r for r in up.requests if r.path.endswith(".html")]) == 1
    said = [m for r in caplog.records if (m := r.getMessage()).startswith("articles host")]
    assert said == [
        f"articles host=127.0.0.1 held={held} (it answered {status}: no page of it for that "
        "many seconds)"
    ]


def test_a_held_sites_many_pages_leave_room_for_other_sites_pages(tmp_path: Path) -> None:
    """A busy site's pages (newer, and more than a pass's candidates) had filled every
    pass's candidates while it was held: no other site's page was fetched, for days when it
    answered 429 again at each hold's end."""

    async def scenario() -> None:
        async with Upstream() as busy, Upstream() as quick:
            slugs = [f"b{n:02d}" for n in range(12)]
            busy_feed = teaser_feed(busy, "Busy", slugs)
            for slug in slugs:
                busy.add_feed(f"/{slug}.html", b"slow down", status=429,
                              headers={"Retry-After": "3600"})  # fmt: skip
            quick_feed = teaser_feed(quick, "Quick", ["q1", "q2"], host="localhost")
            opml = sources_of(tmp_path / "f.opml", {"Busy": busy_feed, "Quick": quick_feed})
            service = Service(opml, ":memory:", settings(per_pass=2, concurrency=1))
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher)
                    job = service.article_job()
                    passes = [await job.run_pass(fetcher) for _ in range(3)]
            finally:
                service.close()
            asked = [r.path for r in busy.requests if r.path.endswith(".html")]
            assert len(asked) == 1  # (held from its first answer on)
            assert {r.path for r in quick.requests if r.path.endswith(".html")} == {
                "/q1.html",
                "/q2.html",
            }
            assert sum(p.ok for p in passes) == 2

    asyncio.run(scenario())


def test_a_site_whose_page_meets_a_bot_check_is_asked_for_no_page_for_hours(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A page answered with Cloudflare's bot check fails saying so, and the site's other pages
    are not asked for (they stay due, not failed) in that pass or the next: each would meet
    the same check. Its feed is polled as before."""
    caplog.set_level(logging.INFO, logger="aggregator.articles")

    wall = {"cf-mitigated": "challenge"}
    page = b"<title>Just a moment...</title>"
    up, (first, second), rows = asyncio.run(_two_passes(tmp_path, 403, wall, page))
    assert (first.fetched, first.failed, first.paced) == (1, 1, 2)
    assert (second.fetched, second.paced) == (0, 0)  # its pages are not even chosen
    assert len([r for r in up.requests if r.path.endswith(".html")]) == 1
    assert len(up.requests_for("/feed.xml")) == 2 and rows[0]["status"] == "unchanged"
    said = [r.getMessage() for r in caplog.records if "bot check" in r.getMessage()]
    assert said == [
        "articles host=127.0.0.1 answers with a bot check: none of its pages for 6 hours"
    ]


def test_the_next_process_keeps_a_sites_robots_answer_and_its_hold(tmp_path: Path) -> None:
    """`poll --once` from cron is a process a run: what a site said (its robots.txt, a 429's
    Retry-After) is kept in the database, so the next run neither asks for its robots.txt
    again within the answer's 12 hours nor asks for a page while the site holds us off."""
    clock = Clock()

    async def run(up: Upstream, opml: Path) -> None:
        config = settings(per_host_interval=0.3)
        await poll_then_fetch_pages(opml, config, tmp_path / "agg.db", clock=clock)

    def pages(up: Upstream) -> list[str]:
        return [r.path for r in up.requests if r.path.endswith(".html")]

    async def scenario() -> None:
        async with Upstream() as up:
            up.add_feed("/robots.txt", b"User-agent: *\nDisallow: /private/\n")
            opml = write_opml(tmp_path / "f.opml", teaser_feed(up, "Site", ["s1", "s2", "s3"]))
            for slug in ("s1", "s2", "s3"):
                up.add_feed(f"/{slug}.html", b"later", content_type="text/html", status=429,
                            headers={"Retry-After": "600"})  # fmt: skip
            await run(up, opml)  # one page asked: 429, the site held for 10 minutes
            assert len(pages(up)) == 1
            clock.now += timedelta(minutes=5)
            await run(up, opml)  # the next run: nothing asked of the site
            assert len(pages(up)) == 1
            teaser_feed(up, "Site", ["s1", "s2", "s3"])  # (the pages answer again)
            clock.now += timedelta(minutes=6)
            await run(up, opml)  # the hold is over: the two pages never asked are fetched
            assert len(pages(up)) == 3
            assert len(up.requests_for("/robots.txt")) == 1  # the answer kept its 12 hours

    asyncio.run(scenario())


def test_pages_waiting_for_their_sites_robots_txt_hold_no_slot(tmp_path: Path) -> None:
    """A site slow to answer for its robots.txt (2 s here) keeps its own pages waiting, not
    another site's: only the request takes one of the pass's slots (two here)."""

    async def scenario() -> tuple[Upstream, Upstream]:
        async with Upstream() as slow, Upstream() as quick:
            slow.add_feed("/robots.txt", b"User-agent: *\nAllow: /\n", delay=2.0,
                          content_type="text/plain")  # fmt: skip
            opml = two_sites(tmp_path, slow, quick)
            service = Service(opml, ":memory:", settings(concurrency=2))
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher)
                    report = await service.article_job().run_pass(fetcher)
                    assert report.fetched == 5
            finally:
                service.close()
            return slow, quick

    slow, quick = asyncio.run(scenario())
    answered = slow.requests_for("/robots.txt")[0].at + 2.0
    assert all(r.at < answered for r in quick.requests if r.path.endswith(".html"))


def test_a_sites_pages_stay_apart_when_they_queued_behind_its_busy_feed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages whose turns were a Crawl-delay apart can reach the fetcher together, when its
    slot for the host is held (here a slow answer on the site, and one slot a host): they
    are still sent a delay apart, paced as the fetcher sends them, not before they queue."""
    import aggregator.article_job as article_job

    monkeypatch.setattr(article_job, "_PACED_SPAN", 5.0)

    async def scenario() -> Upstream:
        async with Upstream() as up:
            up.add_feed(
                "/robots.txt", b"User-agent: *\nCrawl-delay: 1\n", content_type="text/plain"
            )
            opml = write_opml(tmp_path / "f.opml", teaser_feed(up, "Site", ["s1", "s2", "s3"]))
            config = settings(per_pass=1)
            config = dataclasses.replace(
                config, fetch=dataclasses.replace(config.fetch, per_host=1)
            )
            service = Service(opml, ":memory:", config)
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher)
                    job = service.article_job()
                    await job.run_pass(fetcher)  # robots.txt and the first page
                    job.settings = dataclasses.replace(job.settings, per_pass=10)
                    busy = asyncio.ensure_future(fetcher.fetch(up.url("/slow?delay=3")))
                    await asyncio.sleep(0.2)  # (it holds the host's one slot for 3 s)
                    report = await job.run_pass(fetcher)
                    await busy
                    assert (report.fetched, report.paced) == (2, 0)
            finally:
                service.close()
            return up

    up = asyncio.run(scenario())
    asked = sorted(r.at for r in up.requests if r.path in ("/s2.html", "/s3.html"))
    assert len(asked) == 2 and asked[1] - asked[0] >= 0.95


class Clock:
    """The service's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@contextlib.asynccontextmanager
async def polled(opml: Path, clock: Clock) -> AsyncIterator[tuple[Service, Fetcher]]:
    """An in-memory service on `clock` that has polled the feeds once, and its fetcher."""
    service = Service(opml, ":memory:", settings(), clock=clock)
    try:
        await service.load_sources(strict=True)
        async with Fetcher(service.settings.fetch) as fetcher:
            await service.poll_cycle(fetcher)
            yield service, fetcher
    finally:
        service.close()


@contextlib.asynccontextmanager
async def site_polled(tmp_path: Path) -> AsyncIterator[tuple[Upstream, Service, Fetcher, Clock]]:
    """`serve_site` on loopback, and a service on a moved clock that has polled it once."""
    async with Upstream() as up:
        clock = Clock()
        async with polled(write_opml(tmp_path / "f.opml", serve_site(up)), clock) as (
            service,
            fetcher,
        ):
            yield up, service, fetcher, clock


def test_a_page_that_failed_for_a_passing_reason_is_tried_again_later(tmp_path: Path) -> None:
    """A 5xx is tried again after 30 minutes (not before), and its text then fills the story;
    a page robots.txt disallows is never asked for. `status` counts the pages to retry."""
    from aggregator.cli_status import _pages

    async def scenario() -> None:
        async with site_polled(tmp_path) as (up, service, fetcher, clock):
            first = await service.fetch_articles(fetcher)
            (row,) = service.store.status_rows()
            assert (first.ok, first.failed, first.retrying) == (1, 2, 1)
            assert _pages(row).startswith("1 ok, 2 failed, 1 to retry")
            clock.now += timedelta(minutes=29)
            assert (await service.fetch_articles(fetcher)).fetched == 0
            title, _, paragraphs = STORIES["broken"]
            up.add_feed("/broken.html", page(title, paragraphs), content_type="text/html")
            clock.now += timedelta(minutes=2)
            second = await service.fetch_articles(fetcher)
            (row,) = service.store.status_rows()
            volcano = bullets_by_headline(service)["Volcano erupts on remote island"]
            assert (second.fetched, second.ok) == (1, 1)
            assert len(up.requests_for("/broken.html")) == 2
            assert any("Ash clouds" in b for b in volcano)
            assert (row["articles_ok"], row["articles_failed"], row["articles_retrying"]) == (
                2,
                1,
                0,
            )
            assert up.requests_for("/private/budget.html") == []

    asyncio.run(scenario())


def test_each_cron_pass_finds_the_pages_due_again_and_only_those(tmp_path: Path) -> None:
    """`poll --once` from cron is a new service each time: its first look for due pages is
    the store's, and a retry comes due in a later process as it does in one that runs on."""
    db = tmp_path / "news.db"

    async def pass_at(clock: Clock, opml: Path) -> ArticlePass:
        service = Service(opml, db, settings(), clock=clock)
        try:
            await service.load_sources(strict=True)
            async with Fetcher(service.settings.fetch) as fetcher:
                await service.poll_cycle(fetcher)
                return await service.fetch_articles(fetcher)
        finally:
            service.close()

    async def scenario() -> None:
        async with Upstream() as up:
            opml = write_opml(tmp_path / "f.opml", serve_site(up))
            clock = Clock()
            first = await pass_at(clock, opml)
            assert (first.fetched, first.ok, first.retrying) == (3, 1, 1)
            clock.now += timedelta(minutes=29)
            assert (await pass_at(clock, opml)).fetched == 0
            clock.now += timedelta(minutes=2)
            second = await pass_at(clock, opml)
            assert (second.fetched, second.failed) == (1, 1)
            assert len(up.requests_for("/broken.html")) == 2
            assert len(up.requests_for("/dam.html")) == 1

    asyncio.run(scenario())


def test_a_page_is_tried_four_times_at_most_and_a_lasting_answer_once(tmp_path: Path) -> None:
    """A site down all along is asked four times (30 min, 2 h and 8 h apart), then left to
    its feed text; a 404 is a lasting answer, asked once. An unreachable robots.txt is a
    passing failure too: asked again when the pages' next try comes."""
    from aggregator.articles import RETRY_DELAYS

    async def scenario() -> None:
        async with Upstream() as up:
            feed = serve_site(up, robots=None)
            up.add_feed("/robots.txt", b"oops", content_type="text/plain", status=500)
            title, _, paragraphs = STORIES["dam"]
            up.add_feed("/dam.html", page(title, paragraphs), content_type="text/html", status=404)
            clock = Clock()
            async with polled(write_opml(tmp_path / "f.opml", feed), clock) as (service, fetcher):
                blocked = await service.fetch_articles(fetcher)
                assert (blocked.failed, blocked.retrying) == (3, 3)
                assert up.requests_for("/dam.html") == []
                up.add_feed("/robots.txt", b"User-agent: *\nDisallow:\n")
                tries = []
                for delay in (*RETRY_DELAYS, timedelta(days=1)):
                    clock.now += delay
                    tries.append(await service.fetch_articles(fetcher))
                (row,) = service.store.status_rows()
            assert len(up.requests_for("/robots.txt")) == 2
            # The robots answer came on the first retry: the 404 was asked once and is done,
            # the 500 three times (its fourth try in all, the third fetch, was the last); the
            # private page, allowed now, once, and it gave its text.
            assert len(up.requests_for("/dam.html")) == 1
            assert len(up.requests_for("/private/budget.html")) == 1
            assert len(up.requests_for("/broken.html")) == 3
            assert [t.fetched for t in tries] == [3, 1, 1, 0]
            assert tries[-2].retrying == 0
            assert (row["articles_ok"], row["articles_failed"], row["articles_retrying"]) == (
                1,
                2,
                0,
            )

    asyncio.run(scenario())


def test_a_hosts_failed_pages_are_one_log_line_each_page_at_debug(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A site down or a network cut must not flood the log with a line per page: a host's
    failures in one pass are one INFO line (how many, how many to retry, the last reason),
    each page at DEBUG; a host's single failure is its own INFO line."""

    def lines(level: int) -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelno == level]

    async def scenario() -> None:
        async with site_polled(tmp_path) as (_, service, fetcher, clock):
            with caplog.at_level(logging.DEBUG, logger="aggregator.articles"):
                await service.fetch_articles(fetcher)
                (summary,) = [m for m in lines(logging.INFO) if m.startswith("articles ")]
                assert summary.startswith("articles host=127.0.0.1 failed=2 to_retry=1 ")
                assert not any(m.startswith("article=") for m in lines(logging.INFO))
                pages = [m for m in lines(logging.DEBUG) if m.startswith("article=")]
                assert len(pages) == 2
                assert any("/broken.html status=failed" in m and "next_try=" in m for m in pages)
                caplog.clear()
                clock.now += timedelta(minutes=31)
                await service.fetch_articles(fetcher)
                (again,) = [m for m in lines(logging.INFO) if m.startswith("article")]
                assert again.startswith("article=") and "/broken.html" in again
                assert "error='HTTP 500 Internal Server Error' next_try=" in again

    asyncio.run(scenario())


@pytest.mark.parametrize("path", ["poll --once", "run"])
def test_a_sites_pages_failing_over_many_passes_are_one_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    """A site that cannot be reached has more pages due than one pass fetches (`per_pass`):
    passes follow back to back, and the site is still one INFO line, with every page counted
    (it was a line per pass: ~126 lines for 19 hosts on a day's feeds with DNS down)."""

    async def nothing() -> None:
        pass

    async def scenario() -> None:
        async with Upstream() as up:
            feed = teaser_feed(up, "Far", [f"p{n}" for n in range(7)])
            up.add_feed("/robots.txt", b"oops", content_type="text/plain", status=500)
            opml = write_opml(tmp_path / "f.opml", feed)
            service = Service(opml, ":memory:", settings(per_pass=2, interval=30.0))
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher)
                    with caplog.at_level(logging.INFO, logger="aggregator.articles"):
                        if path == "poll --once":
                            report = await service.fetch_articles(fetcher)
                            assert report.failed == 7
                        else:
                            job = service.article_job()
                            await run_until(  # the burst ends: then a 30 s wait
                                lambda stop: job.loop(fetcher, stop, nothing),
                                lambda: any(
                                    r.getMessage().startswith("article") for r in caplog.records
                                ),
                                tries=200,
                            )
            finally:
                service.close()
        lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("article")]
        assert len(lines) == 1 and lines[0].startswith("articles host=127.0.0.1 failed=7 "), lines

    asyncio.run(scenario())


def test_the_job_forgets_robots_answers_and_pacing_past_their_time(tmp_path: Path) -> None:
    """The article job lives as long as the service while items link to ever more sites: a
    robots.txt answer past its time to live (it would be asked for again) and a pacing slot
    already passed are dropped at the next pass, so what it keeps follows the sites of the
    last hours, not every site since the start."""
    clock = [NOW]

    async def scenario() -> None:
        async with Upstream() as up:
            serve_site(up)
            service = Service(
                write_opml(tmp_path / "feeds.opml", up.url("/feed.xml")),
                ":memory:",
                settings(),
                clock=lambda: clock[0],
            )
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher)
                    await service.fetch_articles(fetcher)
                    job = service.article_job()
                    site = up.url("/robots.txt")
                    assert list(job._robots) == [site]
                    stale = NOW.timestamp() - 13 * 3600
                    for n in range(3):  # other sites' answers, asked for 13 hours ago
                        job._robots[f"https://site{n}.example/robots.txt"] = (stale, "", "")
                        job._robots_locks[f"https://site{n}.example/robots.txt"] = asyncio.Lock()
                        job._next_slot[f"site{n}.example"] = 0.0  # long passed
                    clock[0] = NOW + timedelta(hours=1)
                    await service.fetch_articles(fetcher)
                    assert list(job._robots) == [site]  # (this site's answer is an hour old)
                    assert list(job._robots_locks) == [site]
                    assert not any(h.startswith("site") for h in job._next_slot)
                    # 13 hours on, the site's answer is past its 12 and dropped: asked for
                    # again only because a failed page of it is due for its next try
                    clock[0] = NOW + timedelta(hours=13)
                    await service.fetch_articles(fetcher)
                    later = clock[0].timestamp()
                    assert {o: at for o, (at, _, _) in job._robots.items()} == {site: later}
                    assert len(up.requests_for("/robots.txt")) == 2
            finally:
                service.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("pictures", ["on", "off"])
def test_a_teaser_with_no_picture_takes_its_article_pages(tmp_path: Path, pictures: str) -> None:
    """The page read for its text names its picture (`og:image`): the story is shown with it,
    unless the feed's outline turned its pictures off."""

    async def scenario() -> None:
        async with Upstream() as up:
            feed = serve_site(up)
            title, _, paragraphs = STORIES["dam"]
            pictured = page(title, paragraphs).replace(
                b"</title>",
                b'</title><meta property="og:image" content="/photos/dam.jpg?w=1200&amp;q=80">',
            )
            up.add_feed("/dam.html", pictured, content_type="text/html")
            opml = write_opml(tmp_path / "feeds.opml", feed)
            outline = f"<outline images='{pictures}' type="
            opml.write_text(opml.read_text().replace("<outline type=", outline))
            service = Service(opml, tmp_path / "a.db", settings())
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher)
                    await service.fetch_articles(fetcher)  # (and summarises again)
                stories = {s.headline: s for s in service.store.reader().stories(None, 100)}
            finally:
                service.close()
            dam = stories["Tisza dam breaks after storm"].summary
            assert dam is not None and len(dam.bullets) >= 3  # (its page was read)
            wanted = up.url("/photos/dam.jpg?w=1200&q=80") if pictures == "on" else None
            assert dam.image == wanted
            volcano = stories["Volcano erupts on remote island"].summary
            assert volcano is not None and volcano.image is None

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("url", "feed", "same"),
    [
        ("http://news.example/a.html", "http://news.example/feed.xml", True),
        ("http://NEWS.example:80/a", "http://news.example/feed.xml", True),
        ("https://news.example/a", "https://news.example:443/feed.xml", True),
        # the feed's owner pointed its name at 127.0.0.1: its other ports are other services
        ("http://news.example:6379/", "http://news.example/feed.xml", False),
        ("http://127.0.0.1:6379/", "http://127.0.0.1:1200/feed.xml", False),
        ("https://news.example/a", "http://news.example/feed.xml", False),
        ("http://other.example/a", "http://news.example/feed.xml", False),
        ("http://news.example:99999/a", "http://news.example/feed.xml", False),
    ],
)
def test_a_page_is_trusted_as_its_feed_at_the_feeds_host_and_port_only(
    url: str, feed: str, same: bool
) -> None:
    assert same_origin(url, feed) is same


def test_an_intranet_page_another_feed_names_leads_the_pass_to_no_other_port_there(
    tmp_path: Path,
) -> None:
    """A bridge listed at 127.0.0.1:port with an open redirect (/go): another feed's link
    there had led the pass to another service on the host (asked as that site's page, its
    hop taken for the bridge's own). The bridge's own page may still move within the
    intranet."""

    async def scenario() -> None:
        async with Upstream() as bridge, Upstream() as other, Upstream() as moved, Upstream() as b:
            bridge_feed = teaser_feed(bridge, "Bridge", ["own"])
            teaser_feed(other, "Service", ["secret"])
            teaser_feed(moved, "Moved", ["own"])
            bridge.add_redirect("/own.html", moved.url("/own.html"), status=302)
            bridge.add_redirect("/go/s.html", other.url("/secret.html"), status=302)
            b_feed = teaser_feed(b, "Other", ["s"], host="localhost")
            link = f"http://localhost:{b.port}/s.html".encode()
            b.add_feed(
                "/feed.xml",
                b.resources["/feed.xml"].body.replace(link, bridge.url("/go/s.html").encode()),
            )
            opml = tmp_path / "f.opml"
            opml.write_text(
                "<opml version='2.0'><body><outline text='World'>"
                f"<outline type='rss' text='Bridge' xmlUrl='{bridge_feed}'/>"
                f"<outline type='rss' text='Other' xmlUrl='{b_feed}'/></outline></body></opml>"
            )
            await poll_then_fetch_pages(opml, settings())
            assert len(bridge.requests_for("/go/s.html")) == 1
            assert other.requests_for("/secret.html") == []
            assert len(moved.requests_for("/own.html")) == 1

    asyncio.run(scenario())
