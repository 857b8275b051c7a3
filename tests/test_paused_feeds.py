"""A paused feed (`paused="on"` on its OPML outline, or a category's): listed, its settings and
items kept, never polled (not even by `poll --once --all`), shown as paused by `status`, left
out of /healthz's counts; resumed, it is polled at the next tick. A FreshRSS export's muted
feed is imported paused. Feeds here are invented, served on loopback."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from pathlib import Path

import pytest
from test_service import FEEDS, poll_new
from upstream import Upstream

from aggregator.cli import main
from aggregator.opml import parse_opml


def _opml(first: str, second: str, paused: str = "", category: str = "") -> str:
    return (
        f'<opml version="2.0"><body><outline text="World News"{category}>'
        f'<outline type="rss" text="A" xmlUrl="{first}"{paused}/>'
        f'<outline type="rss" text="B" xmlUrl="{second}"/>'
        "</outline></body></opml>"
    )


def test_the_nearest_outlines_pause_holds() -> None:
    a, b = "https://a.example/feed", "https://b.example/feed"
    parsed = parse_opml(_opml(a, b, category=' paused="on"').encode())
    assert [s.paused for s in parsed.sources] == [True, True]
    parsed = parse_opml(_opml(a, b, ' paused="off"', ' paused="on"').encode())
    assert [s.paused for s in parsed.sources] == [False, True]
    odd = parse_opml(_opml(a, b, ' paused="maybe"').encode())
    assert [s.paused for s in odd.sources] == [False, False]
    assert 'paused=\'maybe\' is neither "on" nor "off"' in odd.warnings[0]


def test_a_paused_feed_is_listed_and_kept_but_not_polled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    sources, db = tmp_path / "feeds.opml", tmp_path / "agg.db"

    async def poll_all() -> None:
        await poll_new(sources, db, everything=True)

    async def scenario() -> None:
        async with Upstream() as up:
            first = up.add_feed("/a.xml", FEEDS["/dailyplanet/world.xml"])
            second = up.add_feed("/b.xml", FEEDS["/metrotimes/news.rss"])
            sources.write_text(_opml(first, second))
            await poll_all()
            stored = _items(db)
            assert len(up.requests_for("/a.xml")) == 1 and stored > 0
            up.add_feed("/a.xml", b"<rss><channel><title>broken", status=500)
            sources.write_text(_opml(first, second, ' paused="on"'))
            with caplog.at_level(logging.INFO, logger="aggregator"):
                await poll_all()  # (every feed, as `poll --once --all`: but not a paused one)
            assert len(up.requests_for("/a.xml")) == 1 and len(up.requests_for("/b.xml")) == 2
            assert _items(db) == stored  # its items stay
            said = [r.getMessage() for r in caplog.records]
            assert f"feed={first} paused: not polled until the OPML says otherwise" in said
            capsys.readouterr()
            assert main(["status", "--db", str(db)]) == 0
            table = capsys.readouterr().out
            row = next(line for line in table.splitlines() if first in line)
            assert "paused (OPML)" in row
            assert main(["status", "--db", str(db), "--json"]) == 0
            report = json.loads(capsys.readouterr().out)
            assert [r["paused"] for r in report["feed_rows"]] == [1, 0]
            assert report["feeds"] == 1  # (/healthz counts the feeds it polls)
            caplog.clear()
            sources.write_text(_opml(first, second))  # resumed: polled at once
            with caplog.at_level(logging.INFO, logger="aggregator"):
                await poll_all()
            assert len(up.requests_for("/a.xml")) == 2
            said = [r.getMessage() for r in caplog.records]
            assert f"feed={first} resumed: it is polled at the next tick" in said

    asyncio.run(scenario())
    assert main(["check", "--opml", str(sources)]) == 0
    sources.write_text(_opml("https://a.example/f", "https://b.example/f", ' paused="on"'))
    capsys.readouterr()
    assert main(["check", "--opml", str(sources)]) == 0
    assert "2 feeds in 1 category, 1 paused" in capsys.readouterr().out


def _items(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        (count,) = conn.execute("SELECT COUNT(*) FROM items").fetchone()
    return int(count)


def test_status_attention_lists_only_the_feeds_that_need_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources, db = tmp_path / "feeds.opml", tmp_path / "agg.db"

    async def scenario() -> None:
        async with Upstream() as up:
            good = up.add_feed("/a.xml", FEEDS["/dailyplanet/world.xml"])
            bad = up.url("/status/500")
            sources.write_text(_opml(good, bad))
            await poll_new(sources, db, everything=True)

    asyncio.run(scenario())
    capsys.readouterr()
    assert main(["status", "--db", str(db), "--attention"]) == 0
    table = capsys.readouterr().out
    assert "/status/500" in table and "/a.xml" not in table
    assert main(["status", "--db", str(db), "--attention", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["url"].rsplit("/", 1)[-1] for r in report["feed_rows"]] == ["500"]
    assert report["feeds"] == 2  # (the counts stay whole)
    with sqlite3.connect(db) as conn:  # (both answered well this time)
        conn.execute("UPDATE feeds SET status = 'ok', error_count = 0, error = NULL")
    assert main(["status", "--db", str(db), "--attention"]) == 0
    assert "(none of the 2 feeds needs attention)" in capsys.readouterr().out
