"""A feed's own request headers from the OPML (`userAgent`, `cookie` on its outline or a
category's): read with the nearest outline's winning, refused when they cannot be sent (a
cookie's value never repeated), sent with the feed's requests (the cookie to its own site
only, never past a redirect to another) and with its entries' article pages, a changed one
making the feed due at once, never shown in `status`, written by `add`, left out by `export`."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_article_job import page, poll_then_fetch_pages, settings, teaser_feed
from test_service import fast_settings
from upstream import Upstream

from aggregator.cli import main
from aggregator.errors import ConfigError
from aggregator.feed_request import cookie_for, cookie_problem, same_site, user_agent_problem
from aggregator.fetch import Fetcher
from aggregator.models import Fetched, Source
from aggregator.opml import parse_opml
from aggregator.service import Service
from aggregator.sources import add, export_opml, import_opml
from aggregator.store import Store
from aggregator.store_read import Reader

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SECRET = "session=s3cr3t-t0ken"
COOKIE = f"consent=yes; {SECRET}"
OPML = f"""<opml version="2.0"><body>
<outline text="World News" userAgent="{AGENT}">
  <outline type="rss" text="Wire" xmlUrl="https://a.example/feed" cookie="{COOKIE}"/>
  <outline type="rss" text="Plain" xmlUrl="https://b.example/feed" useragent="Reader/2"/>
</outline>
<outline text="Science">
  <outline type="rss" text="Lab" xmlUrl="https://c.example/feed"/>
</outline></body></opml>"""


def test_the_nearest_outlines_headers_hold() -> None:
    wire, plain, lab = parse_opml(OPML.encode()).sources
    assert (wire.user_agent, wire.cookie) == (AGENT, COOKIE)
    assert (plain.user_agent, plain.cookie) == ("Reader/2", None)  # (any case of the name)
    assert (lab.user_agent, lab.cookie) == (None, None)  # ours, and no cookie


@pytest.mark.parametrize(
    ("attribute", "why"),
    [
        ('userAgent="Bot&#10;X-Evil: 1"', "only printable ASCII characters may be sent"),
        ('userAgent="Bötchen/1"', "only printable ASCII characters may be sent"),
        ('userAgent="' + "x" * 513 + '"', "longer than 512 characters"),
        (f'cookie="{SECRET}, other=1"', "part 1 is not name=value"),
        (f'cookie="{SECRET}; other"', "part 2 is not name=value"),
        (f'cookie="{SECRET}&#13;&#10;Host: evil"', "only printable ASCII characters may be sent"),
    ],
)
def test_a_header_that_cannot_be_sent_refuses_the_file(attribute: str, why: str) -> None:
    broken = OPML.replace('useragent="Reader/2"', attribute)
    with pytest.raises(ConfigError) as caught:
        parse_opml(broken.encode(), "feeds.opml")
    said = str(caught.value)
    assert said.startswith("feeds.opml: line 4: outline 'Plain': ") and why in said
    assert "s3cr3t" not in said  # a cookie may be a login: never repeated
    # another reader's export: left out, so the category's holds
    lenient = parse_opml(broken.encode(), "export.opml", export=True)
    assert lenient.sources[1].user_agent == AGENT and lenient.sources[1].cookie is None
    assert lenient.warnings[0].endswith("; left out")


def test_header_values_and_sites() -> None:
    assert user_agent_problem(AGENT) is None and cookie_problem(COOKIE) is None
    assert cookie_problem('token="quoted value"') is not None  # (a space, even in quotes)
    assert cookie_problem('token="quoted"; a=') is None
    assert same_site("http://a.example/feed", "https://a.example/other")  # (upgraded)
    assert not same_site("https://a.example/feed", "http://a.example/feed")  # (down)
    assert not same_site("https://a.example/feed", "https://www.a.example/feed")
    assert not same_site("https://a.example/feed", "https://a.example:8443/feed")
    # where a feed moved to (a permanent redirect) or a page of its entries lives
    assert cookie_for("https://a.example/f", "https://a.example/p.html", COOKIE) == COOKIE
    assert cookie_for("https://a.example/f", "https://b.example/f", COOKIE) is None


def test_the_feeds_requests_send_its_headers_and_its_cookie_only_on_its_own_site() -> None:
    async def scenario() -> None:
        async with Upstream() as up:
            feed = up.add_feed("/feed.xml", b"<rss version='2.0'><channel/></rss>")
            up.add_redirect("/moved.xml", "/feed.xml")  # (the same site)
            other = feed.replace("127.0.0.1", "localhost")
            up.add_redirect("/away.xml", other)  # (another host)
            async with Fetcher(fast_settings().fetch) as fetcher:
                for path in ("/feed.xml", "/moved.xml", "/away.xml"):
                    got = await fetcher.fetch(up.url(path), user_agent=AGENT, cookie=COOKIE)
                    assert isinstance(got, Fetched)
                plain = await fetcher.fetch(feed)
                assert isinstance(plain, Fetched)
            sent = [
                (r.path, r.headers.get("user-agent"), r.headers.get("cookie")) for r in up.requests
            ]
            assert sent[:5] == [
                ("/feed.xml", AGENT, COOKIE),
                ("/moved.xml", AGENT, COOKIE),
                ("/feed.xml", AGENT, COOKIE),
                ("/away.xml", AGENT, COOKIE),
                ("/feed.xml", AGENT, None),  # (localhost: not the feed's site)
            ]
            assert sent[5][1].startswith("aggregator/") and sent[5][2] is None

    asyncio.run(scenario())


def test_a_poll_sends_them_and_an_edit_of_them_makes_the_feed_due_at_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO, logger="aggregator")
    db, sources = tmp_path / "agg.db", tmp_path / "feeds.opml"

    def write(agent: str) -> None:
        sources.write_text(
            f'<opml version="2.0"><body><outline text="World News" userAgent="{agent}">'
            f'<outline type="rss" text="Own" xmlUrl="{own}" cookie="{COOKIE}"/>'
            f'<outline type="rss" text="Plain" xmlUrl="{plain}" userAgent=""/>'
            "</outline></body></opml>"
        )

    async def scenario() -> None:
        nonlocal own, plain
        async with Upstream() as up:
            body = b"<rss version='2.0'><channel><title>T</title></channel></rss>"
            own, plain = up.add_feed("/own.xml", body), up.add_feed("/plain.xml", body)
            write(AGENT)
            service = Service(sources, db, fast_settings())
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher, everything=True)
                    sent = {r.path: r.headers for r in up.requests}
                    assert sent["/own.xml"]["user-agent"] == AGENT
                    assert sent["/own.xml"]["cookie"] == COOKIE
                    # an empty attribute is none: the category's holds, and no cookie
                    assert sent["/plain.xml"]["user-agent"] == AGENT
                    assert "cookie" not in sent["/plain.xml"]
                    with sqlite3.connect(db) as conn:  # (both polled: not due for a while)
                        waiting = conn.execute("SELECT COUNT(*) FROM feeds WHERE next_poll_at "
                                               "IS NOT NULL").fetchone()  # fmt: skip
                    assert waiting == (2,)
                    write("Reader/3")
                    await service.sources.load(strict=True)
                    assert sorted(s.url for s, _ in service.store.feeds_due(service.clock())) == [
                        own,
                        plain,
                    ]
                    up.requests.clear()
                    await service.poll_cycle(fetcher)
                    assert {r.headers["user-agent"] for r in up.requests} == {"Reader/3"}
            finally:
                service.close()

    own = plain = ""
    asyncio.run(scenario())
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.endswith("request headers changed: they are polled at the next tick")
               for line in lines)  # fmt: skip
    assert any(
        line.endswith("rules_changed=0 headers_changed=2 selectors_changed=0") for line in lines
    )
    assert not any("s3cr3t" in line for line in lines)
    # `status --json` says a feed has a cookie, never what it is
    capsys.readouterr()
    assert main(["status", "--db", str(db), "--json"]) == 0
    shown = capsys.readouterr().out
    rows = {r["url"]: r for r in json.loads(shown)["feed_rows"]}
    assert (rows[own]["user_agent"], rows[own]["cookie"]) == ("Reader/3", "***")
    assert (rows[plain]["user_agent"], rows[plain]["cookie"]) == ("Reader/3", None)
    assert "s3cr3t" not in shown
    assert main(["status", "--db", str(db)]) == 0
    assert "s3cr3t" not in capsys.readouterr().out


def test_article_pages_take_the_feeds_agent_and_its_cookie_on_its_own_site(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with Upstream() as up:
            feed = teaser_feed(up, "Near", ["p1", "p2"])
            # p2's link redirects to the same server named "localhost": another site
            away = up.url("/p2.html").replace("127.0.0.1", "localhost")
            up.add_redirect("/r/p2.html", away)
            body = up.resources["/feed.xml"].body
            up.add_feed("/feed.xml", body.replace(b"/p2.html", b"/r/p2.html"))
            up.add_feed("/robots.txt", b"User-agent: *\nDisallow:\n", content_type="text/plain")
            opml = tmp_path / "f.opml"
            opml.write_text(
                "<opml version='2.0'><body><outline text='World'>"
                f"<outline type='rss' text='Near' xmlUrl='{feed}' userAgent='{AGENT}' "
                f"cookie='{COOKIE}'/></outline></body></opml>"
            )
            report, _ = await poll_then_fetch_pages(opml, settings())
            assert report.ok == 2
            pages = {r.path: r.headers for r in up.requests if r.path.endswith(".html")}
            assert pages["/p1.html"]["user-agent"] == AGENT
            assert pages["/p1.html"]["cookie"] == COOKIE
            assert pages["/r/p2.html"]["cookie"] == COOKIE  # (its own site: the redirector)
            assert pages["/p2.html"]["user-agent"] == AGENT
            assert "cookie" not in pages["/p2.html"]
            # robots.txt is asked for as ourselves: its rules are for our crawler
            robots = [r.headers for r in up.requests if r.path == "/robots.txt"]
            assert robots and all(h["user-agent"].startswith("aggregator/") for h in robots)
            assert not any("cookie" in h for h in robots)

    asyncio.run(scenario())


def advertising(feed: str) -> bytes:
    """A web page whose head names its feed."""
    link = f'<link rel="alternate" type="application/rss+xml" href="{feed}">'
    return page("Wire", ["A wire's front page."]).replace(b"<head>", f"<head>{link}".encode())


def test_add_discovers_with_them_writes_them_and_export_leaves_them_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "feeds.opml"
    sources.write_text(
        '<opml version="2.0"><body><outline text="World News">'
        '<outline type="rss" text="Z" xmlUrl="https://z.example/feed"/></outline></body></opml>'
    )
    feed = ""

    async def scenario() -> None:
        nonlocal feed
        async with Upstream() as up:
            feed = teaser_feed(up, "Wire", ["w1"])
            page_url = up.add_feed("/", advertising(feed), content_type="text/html")
            added = await add(
                sources, page_url, category="World News", user_agent=AGENT, cookie=COOKIE
            )
            assert added.source.url == feed
            assert {
                (r.path, r.headers["user-agent"], r.headers.get("cookie")) for r in up.requests
            } == {
                ("/", AGENT, COOKIE),
                ("/feed.xml", AGENT, COOKIE),
            }
            # a cookie given for one site is not carried to a feed found on another
            elsewhere = feed.replace("127.0.0.1", "localhost").replace("/feed.xml", "/other.xml")
            up.add_feed("/other.xml", up.resources["/feed.xml"].body)
            up.add_feed("/list.html", advertising(elsewhere), content_type="text/html")
            # (loopback taken as a public site here, so the page's feed may live there)
            async with Fetcher(internal=lambda _: False) as public:
                with pytest.raises(ConfigError, match=r"--cookie is for .* on another: http"):
                    await add(sources, up.url("/list.html"), cookie=COOKIE, fetcher=public)

    asyncio.run(scenario())
    written = sources.read_text()
    assert f'userAgent="{AGENT}"' in written and f'cookie="{COOKIE}"' in written
    listed = {s.url: s for s in parse_opml(sources.read_bytes()).sources}
    assert (listed[feed].user_agent, listed[feed].cookie) == (AGENT, COOKIE)
    exported = export_opml(sources).decode()
    assert "userAgent" not in exported and "s3cr3t" not in exported
    # an import takes none from another reader's file
    other = tmp_path / "other.opml"
    other.write_text(OPML.replace("https://a.example/feed", "https://d.example/feed"))
    import_opml(sources, other)
    imported = parse_opml(sources.read_bytes()).sources[2:]
    assert len(imported) == 3
    assert all(s.cookie is None and s.user_agent is None for s in imported)
    # `add` refuses a cookie it could not send, without repeating it
    assert main(["add", "https://e.example/feed", "--opml", str(sources),
                 "--cookie", f"{SECRET}, x"]) == 2  # fmt: skip
    said = capsys.readouterr().err
    assert "--cookie: part 1 is not name=value" in said and "s3cr3t" not in said


def test_a_feed_moved_to_another_site_is_polled_there_without_its_cookie(tmp_path: Path) -> None:
    db, sources = tmp_path / "agg.db", tmp_path / "feeds.opml"

    async def scenario() -> None:
        async with Upstream() as up:
            body = b"<rss version='2.0'><channel><title>T</title></channel></rss>"
            new = up.add_feed("/new.xml", body).replace("127.0.0.1", "localhost")
            old = up.add_redirect("/old.xml", new, status=301)
            sources.write_text(
                '<opml version="2.0"><body><outline text="World News">'
                f'<outline type="rss" text="Own" xmlUrl="{old}" cookie="{COOKIE}"/>'
                "</outline></body></opml>"
            )
            service = Service(sources, db, fast_settings())
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    for _ in range(2):  # the redirect, then where it moved (stored)
                        await service.poll_cycle(fetcher, everything=True)
            finally:
                service.close()
            sent = [(r.path, r.headers.get("cookie")) for r in up.requests]
            assert sent == [("/old.xml", COOKIE), ("/new.xml", None), ("/new.xml", None)]

    asyncio.run(scenario())


def test_check_counts_the_feeds_with_headers_of_their_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "feeds.opml"
    sources.write_text(OPML)
    assert main(["check", "--opml", str(sources)]) == 0
    said = capsys.readouterr()
    assert "3 feeds in 2 categories, 2 with request headers of their own" in said.out
    assert "s3cr3t" not in said.out + said.err


def test_status_reads_a_database_not_migrated_yet(tmp_path: Path) -> None:
    """A database the service has not migrated (read-only to whoever asks, after an upgrade)
    lacks the sources' and feeds' later columns: `status` reads them as their defaults."""
    db = tmp_path / "agg.db"
    store = Store(db)
    store.sync_sources([Source("https://a.example/feed", "A", "World News")], NOW)
    store.close()
    with sqlite3.connect(db) as conn:
        for column in ("cookie", "user_agent", "interval_seconds", "exclude_rules", "selector"):
            conn.execute(f"ALTER TABLE sources DROP COLUMN {column}")
        conn.execute("ALTER TABLE feeds DROP COLUMN false_304_at")
        conn.execute("ALTER TABLE feeds DROP COLUMN asking_since")
    (row,) = Reader(str(db)).status_rows()
    assert row["url"] == "https://a.example/feed"
    assert (row["user_agent"], row["cookie"], row["interval_seconds"]) == (None, None, None)
    assert row["selector"] is None and row["false_304_at"] is None
    assert row["asking_since"] is None
    assert (row["exclude"], row["include"]) == ("[]", "[]")
