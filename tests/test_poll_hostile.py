"""A whole poll against an upstream that misbehaves below what aiohttp's test server can send:
raw bytes on the wire, answered per path on a kept-alive connection."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from loopback_server import LoopbackServer
from upstream import opml

from aggregator.config import Settings
from aggregator.fetch import Fetcher, FetchSettings
from aggregator.models import Fetched, FetchOutcome
from aggregator.service import Service

RSS = (
    b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
    b"<item><title>A report</title><link>http://example.com/1</link><guid>g1</guid></item>"
    b"</channel></rss>"
)


def _answer(status: bytes = b"200 OK", *headers: bytes, body: bytes = RSS) -> bytes:
    head = [b"HTTP/1.1 " + status, b"Content-Type: application/rss+xml", *headers]
    head.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(head) + b"\r\n\r\n" + body


class RawUpstream(LoopbackServer):
    """Answers each request with the bytes given for its path (404 for any other)."""

    def __init__(self, answers: dict[str, bytes]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                path = head.split(b" ", 2)[1].decode("latin-1")
                self.asked.append(path)
                writer.write(self.answers.get(path, _answer(b"404 Not Found", body=b"")))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _settings() -> Settings:
    settings = Settings()
    return dataclasses.replace(
        settings,
        fetch=FetchSettings(total_timeout=5.0, connect_timeout=5.0),
        articles=dataclasses.replace(settings.articles, enabled=False),
    )


async def _polled_twice(tmp_path: Path, server: RawUpstream, *paths: str) -> dict[str, dict]:
    """Each feed's status row after two passes (a validator is sent back in the second)."""
    path = tmp_path / "feeds.opml"
    path.write_text(opml(*(server.url(p) for p in paths)))
    service = Service(path, tmp_path / "agg.db", _settings())
    try:
        await service.load_sources(strict=True)
        for _ in range(2):
            async with Fetcher(service.settings.fetch) as fetcher:
                await service.poll_cycle(fetcher, everything=True)
        rows = {str(row["url"]): dict(row) for row in service.store.status_rows()}
        return {p: rows[server.url(p)] for p in paths}
    finally:
        service.close()


LATIN_1 = {  # a byte that is not UTF-8 (é in Latin-1) in each header a poll keeps or reads
    "/etag": _answer(b"200 OK", b'ETag: "caf\xe9"'),
    "/last-modified": _answer(b"200 OK", b"Last-Modified: Mon, 07 D\xe9c 2026 10:00:00 GMT"),
    "/link": _answer(b"200 OK", b'Link: <https://hub.example/h\xe9>; rel="hub"'),
    "/charset": _answer(b"200 OK", b"Content-Type: text/xml; charset=\xe9").replace(
        b"Content-Type: application/rss+xml\r\n", b""
    ),
}


@pytest.mark.parametrize("path", sorted(LATIN_1))
def test_a_header_byte_that_is_not_utf8_fails_no_poll(path: str, tmp_path: Path) -> None:
    """aiohttp keeps such a byte as a lone surrogate, which SQLite cannot store: the feed's
    every poll had ended as "internal error: UnicodeEncodeError" (a crash logged with its
    traceback), its entries never stored."""
    server = RawUpstream(LATIN_1)

    async def scenario() -> dict[str, dict]:
        async with server:
            return await _polled_twice(tmp_path, server, path)

    row = asyncio.run(scenario())[path]
    assert row["items"] == 1
    # (a charset no codec has is feedparser's warning, said readably: "declared as é"; the
    # encoding it falls back to depends on whether chardet is installed: ascii, else utf-8)
    assert row["error"] is None or "declared as é, but parsed as " in row["error"]


def test_a_reason_phrase_that_is_not_utf8_is_said_readably(tmp_path: Path) -> None:
    server = RawUpstream({"/down": _answer(b"503 Service indisponible \xe9t\xe9", body=b"")})

    async def scenario() -> dict[str, dict]:
        async with server:
            return await _polled_twice(tmp_path, server, "/down")

    row = asyncio.run(scenario())["/down"]
    assert row["error"] == "HTTP 503 Service indisponible été"


def test_a_redirect_location_byte_that_is_not_utf8_is_followed_as_sent() -> None:
    """aiohttp keeps the byte as a lone surrogate, which yarl dropped: "Location:
    /caf\\xe9.xml" had been followed to /caf.xml (another URL, a permanent redirect's new
    address for the feed). The byte is sent on percent-encoded as it came (%E9), as curl does."""
    server = RawUpstream(
        {
            "/start": _answer(b"301 Moved Permanently", b"Location: /caf\xe9.xml?q=\xe9", body=b""),
            "/caf%E9.xml?q=%E9": _answer(b"200 OK"),
            "/caf.xml?q=": _answer(b"200 OK"),
        }
    )

    async def scenario() -> FetchOutcome:
        async with server, Fetcher(FetchSettings(total_timeout=5.0)) as fetcher:
            return await fetcher.fetch(server.url("/start"))

    outcome = asyncio.run(scenario())
    assert isinstance(outcome, Fetched) and outcome.body == RSS
    assert outcome.permanent_redirect == server.url("/caf%E9.xml?q=%E9")
    assert server.asked == ["/start", "/caf%E9.xml?q=%E9"]
