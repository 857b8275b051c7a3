"""Items found in one poll pass are first seen at the pass's start: the same feeds give the
same stories whichever feed answers first."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from dam_reports import REPORTS as DAM_REPORTS
from dam_reports import poll_pass, rss

from aggregator.store import Store

REPORTS = {f"/{name}": DAM_REPORTS[name] for name in ("planet.xml", "metro.xml")}


def ticking_clock() -> Callable[[], datetime]:
    """A clock that moves on a second at every reading, as a slow pass would."""
    start = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    ticks = itertools.count()
    return lambda: start + timedelta(seconds=next(ticks))


async def poll(tmp: Path, slow: str) -> dict[str, tuple[str, str]]:
    """One pass over both feeds, `slow` answering 0.3 s after the other; each report's
    (story id, first seen)."""

    async def handler(request: web.Request) -> web.Response:
        if request.path == slow:
            await asyncio.sleep(0.3)
        return web.Response(body=rss(*REPORTS[request.path]), content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/{name}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", PORT[0])
    await site.start()
    PORT[0] = int(runner.addresses[0][1])  # the same URLs, so item ids, in every pass
    try:
        urls = [f"http://127.0.0.1:{PORT[0]}{path}" for path in REPORTS]
        await poll_pass(tmp, urls, ticking_clock())
    finally:
        await runner.cleanup()
    store = Store(tmp / "agg.db")
    try:
        rows = store.db.execute("SELECT url, story_id, first_seen FROM items").fetchall()
    finally:
        store.close()
    return {url: (story, seen) for url, story, seen in rows}


PORT = [0]


def test_which_feed_answers_first_does_not_change_the_stories(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    PORT[0] = 0
    planet_late = asyncio.run(poll(tmp_path / "a", "/planet.xml"))
    metro_late = asyncio.run(poll(tmp_path / "b", "/metro.xml"))
    assert len(planet_late) == 2
    # one event, one story, whichever report came in first
    assert len({story for story, _ in planet_late.values()}) == 1
    # the same story id (its first report's) whichever feed was slow
    assert {u: s for u, (s, _) in planet_late.items()} == {u: s for u, (s, _) in metro_late.items()}
    # every report of the pass is first seen at its start, not when its feed answered
    assert len({seen for _, seen in planet_late.values()}) == 1
    assert planet_late == metro_late
