"""/healthz: degraded (HTTP 503) when most feeds fail or polling has stalled; headers on all."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from upstream import free_port

from aggregator.config import Settings
from aggregator.health import assess, stale_after, verdict, warnings
from aggregator.models import Story
from aggregator.publish import PublishSettings
from aggregator.web import make_app, start_server

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
STALE = timedelta(minutes=20)


@pytest.mark.parametrize(
    ("health", "reasons"),
    [
        ({"feeds": 27, "feeds_failing": 0, "last_poll_at": "2026-03-01T11:59:00+00:00"}, []),
        ({"feeds": 27, "feeds_failing": 13, "last_poll_at": "2026-03-01T11:59:00+00:00"}, []),
        (
            {"feeds": 27, "feeds_failing": 27, "last_poll_at": "2026-03-01T11:59:00+00:00"},
            ["27 of 27 feeds failing"],
        ),
        (
            {"feeds": 27, "feeds_failing": 0, "last_poll_at": "2026-03-01T10:00:00+00:00"},
            ["last poll cycle finished 120 min ago"],
        ),
        (
            {"feeds": 3, "feeds_failing": 0, "last_poll_at": None},
            ["no poll cycle has completed yet"],
        ),
        ({"feeds": 0, "feeds_failing": 0, "last_poll_at": None}, []),
    ],
)
def test_assess(health: dict[str, Any], reasons: list[str]) -> None:
    assert assess(health, NOW, STALE) == reasons


def test_stale_after_grows_with_the_tick_and_interval() -> None:
    default = stale_after(Settings())
    assert timedelta(minutes=15) <= default <= timedelta(hours=1)


class Reader:
    def __init__(self, health: dict[str, Any]) -> None:
        self._health = health

    def categories(self) -> list[str]:
        return ["World"]

    def stories(self, category: str | None, limit: int, min_outlets: int = 1) -> list[Story]:
        return []

    def story(self, story_id: str) -> Story | None:
        return None

    def version(self) -> str:
        return "1"

    def health(self) -> dict[str, Any]:
        return dict(self._health)


def serve_and_get(
    reader: Reader, requests: list[tuple[str, str]]
) -> list[tuple[int, dict[str, str], bytes]]:
    async def main() -> list[tuple[int, dict[str, str], bytes]]:
        port = free_port()
        app = make_app(reader, PublishSettings(), clock=lambda: NOW, stale_after=STALE)
        runner = await start_server(app, "127.0.0.1", port)
        out = []
        try:
            async with aiohttp.ClientSession() as session:
                for method, path in requests:
                    async with session.request(
                        method, f"http://127.0.0.1:{port}{path}", allow_redirects=False
                    ) as resp:
                        out.append((resp.status, dict(resp.headers), await resp.read()))
        finally:
            await runner.cleanup()
        return out

    return asyncio.run(main())


def test_healthz_is_503_degraded_when_every_feed_fails() -> None:
    reader = Reader({"feeds": 27, "feeds_failing": 27, "last_poll_at": NOW.isoformat()})
    [(status, _, body)] = serve_and_get(reader, [("GET", "/healthz")])
    assert status == 503
    assert b'"status": "degraded"' in body and b"27 of 27 feeds failing" in body


def test_healthz_is_200_ok_when_polling_is_healthy() -> None:
    reader = Reader({"feeds": 27, "feeds_failing": 2, "last_poll_at": NOW.isoformat()})
    [(status, _, body)] = serve_and_get(reader, [("GET", "/healthz")])
    assert status == 200 and b'"status": "ok"' in body


REFUSED = {
    "path": "/etc/aggregator/feeds.opml",
    "error": "/etc/aggregator/feeds.opml: not valid XML at line 25, column 3: mismatched tag",
    "since": "2026-03-01T11:00:00+00:00",
}


def test_a_refused_sources_edit_is_a_warning_not_a_failure() -> None:
    refused = {"feeds": 27, "feeds_failing": 0, "last_poll_at": NOW.isoformat()}
    assert warnings({**refused, "opml_refused": None}) == []
    warned = warnings({**refused, "opml_refused": REFUSED})
    assert warned == [
        "sources edit refused since 2026-03-01T11:00:00+00:00: /etc/aggregator/feeds.opml: "
        "not valid XML at line 25, column 3: mismatched tag; the last good sources stay in force"
    ]
    assert verdict([], []) == ("ok", 200)
    assert verdict([], warned) == ("warning", 200)
    assert verdict(["27 of 27 feeds failing"], warned) == ("degraded", 503)


def test_healthz_stays_200_with_a_refused_edit_and_says_so() -> None:
    health = {"feeds": 27, "feeds_failing": 0, "last_poll_at": NOW.isoformat()}
    [(status, _, body)] = serve_and_get(
        Reader({**health, "opml_refused": REFUSED}), [("GET", "/healthz")]
    )
    assert status == 200
    assert b'"status": "warning"' in body and b"line 25, column 3" in body
    failing = {**health, "feeds_failing": 27, "opml_refused": REFUSED}
    [(status, _, body)] = serve_and_get(Reader(failing), [("GET", "/healthz")])
    assert status == 503
    assert b'"status": "degraded"' in body and b"sources edit refused since" in body


def test_security_headers_on_every_response() -> None:
    reader = Reader({"feeds": 1, "feeds_failing": 0, "last_poll_at": NOW.isoformat()})
    results = serve_and_get(
        reader,
        [("GET", "/healthz"), ("GET", "/world"), ("POST", "/"), ("GET", "/nothing/here")],
    )
    assert [status for status, _, _ in results] == [200, 301, 405, 404]
    for _, headers, _ in results:
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["Referrer-Policy"]
