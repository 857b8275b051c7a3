"""A feed's declared language stays with its new items when a fetch's body leaves its
`<language>` out: the feed's row keeps the one it declared last, and so do they."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from dam_reports import poll_pass

from aggregator.store import Store

FIRST = ("http://planet.example/a", "東京都知事選挙結果発表", "都知事選の開票結果が発表された。")
SECOND = ("http://planet.example/b", "首都機能一部停止", "首都の機能が一部停止した。")


def feed(*reports: tuple[str, str, str], language: str | None) -> bytes:
    """An RSS feed of `reports`, declaring `language` where one is given."""
    said = f"<language>{language}</language>" if language else ""
    items = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>Mon, 30 Nov 2026 09:00:00 GMT</pubDate><description>{text}</description></item>"
        for link, title, text in reports
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Planet</title>"
        f"<link>http://planet.example/</link>{said}{items}</channel></rss>"
    ).encode()


def clock_at(when: datetime) -> Callable[[], datetime]:
    return lambda: when


async def two_passes(tmp: Path, bodies: list[bytes]) -> dict[str, str | None]:
    """Two poll passes a day apart, the feed answering each with the next of `bodies`; each
    stored item's language by its link, and the feed's row's."""
    served = iter(bodies)

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=next(served), content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/feed.xml", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/feed.xml"
    start = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    try:
        await poll_pass(tmp, [url], clock_at(start))
        await poll_pass(tmp, [url], clock_at(start + timedelta(days=1)))
    finally:
        await runner.cleanup()
    store = Store(tmp / "agg.db")
    try:
        found = dict(store.db.execute("SELECT url, language FROM items").fetchall())
        found["feed"] = store.db.execute("SELECT language FROM feeds").fetchone()[0]
    finally:
        store.close()
    return found


def test_a_fetch_without_language_gives_its_new_items_the_feeds_last_declared(
    tmp_path: Path,
) -> None:
    bodies = [feed(FIRST, language="ja"), feed(FIRST, SECOND, language=None)]
    found = asyncio.run(two_passes(tmp_path, bodies))
    assert found == {FIRST[0]: "ja", SECOND[0]: "ja", "feed": "ja"}


def test_a_feed_declaring_another_language_gives_it_to_its_new_items(tmp_path: Path) -> None:
    bodies = [feed(FIRST, language="ja"), feed(FIRST, SECOND, language="zh-CN")]
    found = asyncio.run(two_passes(tmp_path, bodies))
    assert found[SECOND[0]] == "zh-CN"
    assert found["feed"] == "zh-CN"


def test_a_feed_that_never_declared_one_leaves_its_items_without(tmp_path: Path) -> None:
    bodies = [feed(FIRST, language=None), feed(FIRST, SECOND, language=None)]
    found = asyncio.run(two_passes(tmp_path, bodies))
    assert found == {FIRST[0]: None, SECOND[0]: None, "feed": None}
