"""The sources page (`/sources/`): the outlets the stories are summarised from, by category in
the OPML's order, each named as its reports are and linked to its site (an http(s) one: the
OPML's htmlUrl, else the feed's link), with its reports of the last seven days; paused feeds
and feeds' own addresses left out; linked from every page's footer and written by the static
export. Feeds are the invented fixture outlets, served on loopback."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from news_fixture import feeds
from test_service import poll_new
from upstream import Upstream

from aggregator.publish import PublishSettings
from aggregator.site import Site
from aggregator.store import Store
from aggregator.web import make_app

BASE = "https://news.example.org/"


def _opml(base: str) -> str:
    def outline(text: str, path: str, extra: str = "") -> str:
        return f'<outline type="rss" text="{text}" xmlUrl="{base}{path}"{extra}/>'

    return (
        '<?xml version="1.0"?><opml version="2.0"><body><outline text="World News">'
        + outline(
            "Daily Planet World",
            "/dailyplanet/world.xml",
            ' htmlUrl="https://dailyplanet.example/"',
        )
        + outline("Daily Planet Top", "/dailyplanet/top.xml")
        + outline("Globe Wire World", "/globewire/world.atom")
        + outline("Metro &lt;Times&gt;", "/metrotimes/news.rss", ' htmlUrl="javascript:alert(1)"')
        + '</outline><outline text="Business">'
        + outline(f"{base}/dailyplanet/business.xml", "/dailyplanet/business.xml")
        + outline("Globe Wire Business", "/globewire/business.atom", ' paused="on"')
        + "</outline></body></opml>"
    )


def test_the_sources_page_names_each_outlet_its_site_and_its_weeks_reports(
    tmp_path: Path,
) -> None:
    sources, db = tmp_path / "feeds.opml", tmp_path / "agg.db"
    settings = PublishSettings(base_url=BASE, search=False)

    async def scenario() -> tuple[str, str, int]:
        async with Upstream() as up:
            for path, body in feeds().items():
                up.add_feed(path, body)
            sources.write_text(_opml(up.url("")))
            await poll_new(sources, db, everything=True)
            store = Store(db)
            client = TestClient(TestServer(make_app(store.reader(), settings)))
            await client.start_server()
            try:
                page = await (await client.get("/sources/")).text()
                moved = await client.get("/sources", allow_redirects=False)
                assert (moved.status, moved.headers["Location"]) == (301, "sources/")
                front = await (await client.get("/")).text()
            finally:
                await client.close()
                store.close()
            return page, front, up.port

    page, front, port = asyncio.run(scenario())
    with sqlite3.connect(db) as conn:
        metro = conn.execute("SELECT COUNT(*) FROM items WHERE feed_url LIKE '%metrotimes%'")
        (metro_items,) = metro.fetchone()
    assert metro_items == 2
    main = page.split("<main>")[1].split("</main>")[0]
    assert "<h1>Sources</h1>" in main
    assert re.findall(r"<h2>(.*?)</h2>", main) == [
        f'<a href="{BASE}world-news/">World News</a>',
        f'<a href="{BASE}business/">Business</a>',
    ]
    items = re.findall(r"<li>(.*?)</li>", main)
    assert items == [
        '<a href="https://dailyplanet.example/">Daily Planet World</a> '
        '<span class="meta">· 1 report in the last 7 days</span>',
        '<a href="https://example.invalid/">Daily Planet Top</a> '
        '<span class="meta">· 1 report in the last 7 days</span>',
        'Globe Wire World <span class="meta">· 1 report in the last 7 days</span>',
        # (a name escaped; a javascript: site is no link, the feed's own is)
        '<a href="https://example.invalid/">Metro &lt;Times&gt;</a> '
        '<span class="meta">· 2 reports in the last 7 days</span>',
        # (an OPML text that is the feed's address: the feed's own title)
        '<a href="https://example.invalid/">Daily Planet - Business</a> '
        '<span class="meta">· 1 report in the last 7 days</span>',
    ]
    assert "Globe Wire Business" not in page  # (paused)
    assert f"127.0.0.1:{port}" not in page and "javascript:" not in page  # (no feed address)
    assert f'<a href="{BASE}sources/">Sources</a></footer>' in front
    store = Store(db)
    try:
        files = dict(Site(store.reader(), settings).files())
    finally:
        store.close()
    assert files["sources/index.html"].body.decode() == page
