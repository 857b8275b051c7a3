"""Fetcher against a real loopback server (tests/upstream.py) that misbehaves on purpose."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from upstream import Upstream, free_port, gzip_bomb

import aggregator.fetch as fetch_module
from aggregator.fetch import DEFAULT_USER_AGENT, Fetcher, FetchSettings
from aggregator.models import Fetched, FetchFailed, FetchOutcome, NotModified

T = TypeVar("T")
MiB = 1 << 20
RSS = (
    b"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>T</title>"
    b"<item><title>One</title><link>http://example.com/1</link></item></channel></rss>"
)
FAST = FetchSettings(total_timeout=5.0, connect_timeout=2.0, max_bytes=MiB)


def run(scenario: Callable[[Upstream, Fetcher], Awaitable[T]], settings: FetchSettings = FAST) -> T:
    """Run ``scenario(upstream, fetcher)`` on a fresh event loop."""

    async def main() -> T:
        async with Upstream() as up, Fetcher(settings) as fetcher:
            return await scenario(up, fetcher)

    return asyncio.run(main())


def test_200_then_conditional_304_sends_validators_back_verbatim() -> None:
    etag = 'W/"a;b, c=1"'
    modified = "Wed, 21 Oct 2015 07:28:00 GMT"

    async def scenario(up: Upstream, f: Fetcher) -> None:
        url = up.add_feed("/feed.xml", RSS, etag=etag, last_modified=modified)
        first = await f.fetch(url)
        assert isinstance(first, Fetched)
        assert (first.status, first.body, first.url, first.final_url) == (200, RSS, url, url)
        assert (first.etag, first.last_modified) == (etag, modified)
        assert first.permanent_redirect is None
        assert first.headers["content-type"].startswith("application/rss+xml")
        assert all(name == name.lower() for name in first.headers)

        second = await f.fetch(url, etag=first.etag, last_modified=first.last_modified)
        assert isinstance(second, NotModified)
        assert second.url == url

        sent_first, sent_second = (r.headers for r in up.requests_for("/feed.xml"))
        assert "if-none-match" not in sent_first and "if-modified-since" not in sent_first
        assert sent_second["if-none-match"] == etag
        assert sent_second["if-modified-since"] == modified
        assert sent_second["user-agent"] == DEFAULT_USER_AGENT
        assert "gzip" in sent_second["accept-encoding"]
        assert "application/rss+xml" in sent_second["accept"]

    run(scenario)


def test_last_modified_alone_gives_304() -> None:
    modified = "Thu, 01 Jan 2026 00:00:00 GMT"

    async def scenario(up: Upstream, f: Fetcher) -> None:
        url = up.add_feed("/lm.xml", RSS, last_modified=modified)
        assert isinstance(
            await f.fetch(url, last_modified="Mon, 01 Jan 2024 00:00:00 GMT"), Fetched
        )
        assert isinstance(await f.fetch(url, last_modified=modified), NotModified)

    run(scenario)


def test_gzip_body_is_decompressed() -> None:
    async def scenario(up: Upstream, f: Fetcher) -> None:
        result = await f.fetch(up.add_feed("/gz.xml", RSS * 50, gzip=True))
        assert isinstance(result, Fetched)
        assert result.headers["content-encoding"] == "gzip"
        assert result.body == RSS * 50

    run(scenario)


@pytest.mark.parametrize(
    ("chain", "recorded"),
    [
        ([301], True),
        ([308], True),
        ([302], False),
        ([307], False),
        ([303], False),
        ([301, 308], True),
        ([301, 302], False),
        ([302, 301], False),
    ],
)
def test_redirects_record_only_all_permanent_chains(chain: list[int], recorded: bool) -> None:
    async def scenario(up: Upstream, f: Fetcher) -> None:
        final = up.add_feed("/final.xml", RSS)
        for i, status in enumerate(chain):
            target = f"/hop{i + 1}" if i + 1 < len(chain) else "/final.xml"
            up.add_redirect(f"/hop{i}", target, status)
        result = await f.fetch(up.url("/hop0"))
        assert isinstance(result, Fetched)
        assert result.url == up.url("/hop0")
        assert result.final_url == final
        assert result.body == RSS
        assert result.permanent_redirect == (final if recorded else None)

    run(scenario)


def test_redirect_with_relative_location_and_validators_kept() -> None:
    async def scenario(up: Upstream, f: Fetcher) -> None:
        up.add_feed("/dir/feed.xml", RSS, etag='"e1"')
        up.add_redirect("/dir/old", "feed.xml", 301)
        result = await f.fetch(up.url("/dir/old"), etag='"e1"')
        assert isinstance(result, NotModified)
        assert up.requests_for("/dir/feed.xml")[0].headers["if-none-match"] == '"e1"'

    run(scenario)


def test_redirect_loop_fails() -> None:
    async def scenario(up: Upstream, f: Fetcher) -> None:
        up.add_redirect("/a", "/b", 302)
        up.add_redirect("/b", "/a", 302)
        result = await f.fetch(up.url("/a"))
        assert isinstance(result, FetchFailed)
        assert "redirect loop" in result.error
        assert len(up.requests) == 2  # stopped at the first repeat

    run(scenario)


def test_redirect_chain_longer_than_max_fails() -> None:
    settings = FetchSettings(total_timeout=5.0, max_redirects=3)

    async def scenario(up: Upstream, f: Fetcher) -> tuple[object, object]:
        up.add_feed("/end", RSS)
        for i in range(4):
            up.add_redirect(f"/r{i}", f"/r{i + 1}" if i < 3 else "/end", 301)
        return await f.fetch(up.url("/r0")), await f.fetch(up.url("/r1"))

    too_long, just_enough = run(scenario, settings)
    assert isinstance(too_long, FetchFailed)
    assert too_long.error == "too many redirects (more than 3)"
    assert isinstance(just_enough, Fetched)  # exactly max_redirects hops is fine


def test_redirect_to_non_http_scheme_fails() -> None:
    async def scenario(up: Upstream, f: Fetcher) -> None:
        up.add_redirect("/ftp", "ftp://example.com/feed.xml", 301)
        result = await f.fetch(up.url("/ftp"))
        assert isinstance(result, FetchFailed)
        assert "unsupported URL scheme 'ftp'" in result.error
        # an article page's (asked site by site) too: it had read "URL should be absolute"
        for target in ("file:///etc/passwd", "javascript:alert(1)"):
            up.add_redirect("/page", target, 302)
            page = await f.fetch_page(up.url("/page"), own_site=True)
            assert isinstance(page, FetchFailed)
            scheme = target.split(":")[0]
            assert (
                page.error == f"redirect to unsupported URL scheme '{scheme}' (only http and https)"
            )

    run(scenario)


@pytest.mark.parametrize(
    ("path", "status", "error", "retry_after"),
    [
        ("/status/404", 404, "HTTP 404 Not Found", None),
        ("/status/410", 410, "HTTP 410 Gone", None),
        ("/status/500", 500, "HTTP 500 Internal Server Error", None),
        ("/status/429?retry_after=120", 429, "HTTP 429 Too Many Requests", "120"),
        (
            "/status/503?retry_after=Wed,%2021%20Oct%202037%2007:28:00%20GMT",
            503,
            "HTTP 503 Service Unavailable",
            "Wed, 21 Oct 2037 07:28:00 GMT",
        ),
    ],
)
def test_http_errors_become_fetch_failed(
    path: str, status: int, error: str, retry_after: str | None
) -> None:
    async def scenario(up: Upstream, f: Fetcher) -> None:
        result = await f.fetch(up.url(path))
        assert isinstance(result, FetchFailed)
        assert (result.status, result.error) == (status, error)
        assert result.headers.get("retry-after") == retry_after

    run(scenario)


def test_connection_refused() -> None:
    async def scenario(up: Upstream, f: Fetcher) -> None:
        url = f"http://127.0.0.1:{free_port()}/feed.xml"
        result = await f.fetch(url)
        assert isinstance(result, FetchFailed)
        assert (result.url, result.error, result.status) == (url, "connection refused", None)

    run(scenario)


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("ftp://example.com/feed", "unsupported URL scheme 'ftp' (only http and https)"),
        ("file:///etc/passwd", "unsupported URL scheme 'file' (only http and https)"),
        ("feed.xml", "no http:// or https:// in front of the address"),
        ("example.org/feed.xml", "no http:// or https:// in front of the address"),
        ("http:///nohost", "invalid URL: no host"),
    ],
)
def test_only_http_urls_are_fetched(url: str, error: str) -> None:
    async def scenario(up: Upstream, f: Fetcher) -> None:
        result = await f.fetch(url)
        assert isinstance(result, FetchFailed)
        assert result.error == error
        assert up.requests == []

    run(scenario)


@pytest.mark.parametrize("declared_length", ["0", "1"])
def test_oversize_body_is_cut_off(declared_length: str) -> None:
    async def scenario(up: Upstream, f: Fetcher) -> None:
        result = await f.fetch(up.url(f"/big?bytes={3 * MiB}&length={declared_length}"))
        assert isinstance(result, FetchFailed)
        assert result.error == "response larger than 1 MiB"
        assert result.status == 200

    run(scenario)


def test_body_exactly_at_the_limit_is_accepted() -> None:
    async def scenario(up: Upstream, f: Fetcher) -> None:
        result = await f.fetch(up.url(f"/big?bytes={MiB}"))
        assert isinstance(result, Fetched)
        assert len(result.body) == MiB

    run(scenario)


@pytest.mark.parametrize("declared", [False, True])
def test_a_body_still_gzipped_after_its_declared_decoding_is_decompressed(declared: bool) -> None:
    # (a feed file stored compressed and served without Content-Encoding; or, declared,
    # compressed twice)
    async def scenario(up: Upstream, f: Fetcher) -> None:
        result = await f.fetch(up.add_feed("/f.xml", gzip.compress(RSS * 50), gzip=declared))
        assert isinstance(result, Fetched)
        assert result.body == RSS * 50

    run(scenario)


def test_a_body_compressed_twice_as_declared_is_read_and_one_not_asked_for_is_named() -> None:
    """ "gzip, gzip" (aiohttp decodes neither) had been "malformed XML" after one layer; a
    body sent as zstd, never in our Accept-Encoding, read "Please install backports.zstd"."""

    async def scenario(up: Upstream, f: Fetcher) -> None:
        twice = up.add_feed(
            "/twice.xml",
            gzip.compress(gzip.compress(RSS * 50)),
            headers={"Content-Encoding": "gzip, gzip"},
        )
        result = await f.fetch(twice)
        assert isinstance(result, Fetched) and result.body == RSS * 50
        from aiohttp import compression_utils

        if getattr(compression_utils, "HAS_ZSTD", True):
            return  # (this aiohttp decodes zstd: nothing to name)
        zstd = up.add_feed("/zstd.xml", RSS, headers={"Content-Encoding": "zstd"})
        failed = await f.fetch(zstd)
        assert isinstance(failed, FetchFailed)
        assert failed.error.startswith("compressed as zstandard (zstd), which the request did")
        assert "install" not in failed.error

    run(scenario)


def test_an_undeclared_gzip_bomb_is_cut_off_and_broken_gzip_left_to_the_parser() -> None:
    async def scenario(up: Upstream, f: Fetcher) -> None:
        bomb = await f.fetch(up.add_feed("/bomb.xml", gzip_bomb(64 * MiB)))
        assert isinstance(bomb, FetchFailed)
        assert bomb.error == "response larger than 1 MiB"
        cut = gzip.compress(RSS * 50)[:-20]  # (no end: not whole gzip data)
        broken = await f.fetch(up.add_feed("/cut.xml", cut))
        assert isinstance(broken, Fetched) and broken.body == cut

    run(scenario)


def test_gzip_bomb_is_cut_off_after_decompression() -> None:
    async def scenario(up: Upstream, f: Fetcher) -> None:
        # ~64 KiB on the wire, 64 MiB inflated: only the decompressed count can catch it.
        result = await f.fetch(up.url(f"/bomb?bytes={64 * MiB}"))
        assert isinstance(result, FetchFailed)
        assert result.error == "response larger than 1 MiB"

    run(scenario)


def test_corrupt_gzip_is_a_readable_failure() -> None:
    async def scenario(up: Upstream, f: Fetcher) -> None:
        result = await f.fetch(up.url("/bad-gzip"))
        assert isinstance(result, FetchFailed)
        assert result.error == "bad content encoding in response body"

    run(scenario)


@pytest.mark.parametrize("path", ["/trickle?interval=0.05", "/hang"])
def test_total_timeout_bounds_slow_servers(path: str) -> None:
    settings = FetchSettings(total_timeout=0.5, connect_timeout=0.5)

    async def scenario(up: Upstream, f: Fetcher) -> None:
        result = await f.fetch(up.url(path))
        assert isinstance(result, FetchFailed)
        assert result.error == "timed out after 0.5 s"

    run(scenario, settings)


def _answered_with(answer: bytes) -> FetchOutcome:
    """A fetch from a loopback server that reads the request, sends `answer` and hangs up."""
    from loopback_server import LoopbackServer

    class Raw(LoopbackServer):
        async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(answer)
            await writer.drain()
            writer.close()

    async def scenario() -> FetchOutcome:
        async with Raw() as server, Fetcher(FAST) as fetcher:
            return await fetcher.fetch(f"http://127.0.0.1:{server.port}/feed.xml")

    return asyncio.run(scenario())


def test_a_chunked_body_cut_short_is_an_incomplete_response() -> None:
    """A chunked body that stops before its last chunk had been "bad content encoding" (the
    name of aiohttp's TransferEncodingError)."""
    result = _answered_with(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n"
        b"<rss version='2'\r\n"  # (one chunk of 16 bytes, then nothing)
    )
    assert isinstance(result, FetchFailed)
    assert result.error == "connection closed mid-body (incomplete response)"


def test_a_garbage_answer_is_said_in_a_line_of_bounded_length() -> None:
    """aiohttp quotes the bytes it could not read: ~8 KB of an HTTP/0.9 or TLS answer had
    been stored and shown as the feed's error."""
    result = _answered_with(b"\x16\x03\x01" + b"garbage " * 1000 + b"\r\n\r\n")
    assert isinstance(result, FetchFailed)
    assert result.error.startswith("invalid HTTP response: ") and len(result.error) <= 330


def test_a_flood_of_interim_answers_fails_at_once_and_holds_no_loop() -> None:
    """A server that answers "100 Continue" without end (we never ask for one) had aiohttp
    read each at once, without a pause while any was buffered: the event loop was held
    ~1 s at a time (every other fetch and the web server with it) until well past the
    total timeout (3 s: 4.7 s, 20 s: 22 s). Past a few interim answers the fetch fails."""
    from loopback_server import LoopbackServer

    class Flood(LoopbackServer):
        async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            with contextlib.suppress(OSError):
                for _ in range(2000):
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n" * 1000)
                    await writer.drain()
            writer.close()

    async def scenario() -> tuple[FetchOutcome, float, float]:
        held = 0.0

        async def ticks() -> None:
            nonlocal held
            while True:
                started = time.monotonic()
                await asyncio.sleep(0.01)
                held = max(held, time.monotonic() - started)

        async with Flood() as server, Fetcher(FAST) as fetcher:
            ticking = asyncio.ensure_future(ticks())
            started = time.monotonic()
            result = await fetcher.fetch(f"http://127.0.0.1:{server.port}/feed.xml")
            ticking.cancel()
            return result, time.monotonic() - started, held

    result, took, held = asyncio.run(scenario())
    assert isinstance(result, FetchFailed)
    assert result.error == "invalid HTTP response: more than 8 interim (1xx) answers"
    assert took < 2.0 and held < 1.0


def test_a_connection_whose_reads_cannot_be_counted_fetches_as_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Interim answers are counted by wrapping the read of aiohttp's protocol object, an
    internal of aiohttp's (pyproject allows any version from 3.10.10): one whose protocol
    takes no attribute of ours (a class given `__slots__`, as aiohttp has given others) had
    failed every fetch with an AttributeError. The fetch goes on, its interim answers
    uncounted as before the cap."""
    from aiohttp.client_proto import ResponseHandler

    def no_attribute(self: ResponseHandler, name: str, value: object) -> None:
        if name == "read":
            raise AttributeError(f"'ResponseHandler' object attribute '{name}' is read-only")
        object.__setattr__(self, name, value)

    monkeypatch.setattr(ResponseHandler, "__setattr__", no_attribute)

    async def scenario(up: Upstream, f: Fetcher) -> FetchOutcome:
        return await f.fetch(up.add_feed("/feed.xml", RSS))

    result = run(scenario)
    assert isinstance(result, Fetched) and result.body == RSS


def test_connection_closed_mid_body() -> None:
    async def scenario(up: Upstream, f: Fetcher) -> None:
        result = await f.fetch(up.url("/reset"))
        assert isinstance(result, FetchFailed)
        assert result.error == "connection closed mid-body (incomplete response)"

    run(scenario)


def test_connection_reset_mid_body() -> None:
    async def scenario(up: Upstream, f: Fetcher) -> None:
        result = await f.fetch(up.url("/reset?rst=1"))
        assert isinstance(result, FetchFailed)
        assert result.error  # wording depends on when the RST lands; it must not raise
        assert "\n" not in result.error

    run(scenario)


def test_per_host_limit_caps_concurrent_requests() -> None:
    settings = FetchSettings(total_timeout=10.0, per_host=2)

    async def scenario(up: Upstream, f: Fetcher) -> None:
        urls = [up.url(f"/slow?delay=0.2&n={i}") for i in range(6)]
        results = await asyncio.gather(*(f.fetch(u) for u in urls))
        assert all(isinstance(r, Fetched) for r in results)
        assert up.max_in_flight == 2
        # A host's slots are kept while fetches hold or wait for them, then let go: the
        # hosts of article pages, ever more over months, are not kept for good.
        assert f._host_slots == {}
        again = await asyncio.gather(*(f.fetch(u) for u in urls[:3]))
        assert all(isinstance(r, Fetched) for r in again) and f._host_slots == {}
        assert up.max_in_flight == 2

    run(scenario, settings)


def test_fetch_outside_context_is_a_programming_error() -> None:
    with pytest.raises(RuntimeError):
        asyncio.run(Fetcher().fetch("http://127.0.0.1/"))


def test_upstream_can_serve_from_a_background_thread() -> None:
    # The pattern an end-to-end test uses: server in a thread, code under test in asyncio.run.
    with Upstream().running_in_thread() as up:
        url = up.add_feed("/t.xml", RSS, etag='"t"')

        async def main() -> object:
            async with Fetcher(FAST) as fetcher:
                return await fetcher.fetch(url, etag='"t"')

        assert isinstance(asyncio.run(main()), NotModified)
        assert up.requests_for("/t.xml")[0].headers["if-none-match"] == '"t"'


@pytest.mark.parametrize(
    ("host", "internal"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("192.168.0.10", True),
        ("169.254.169.254", True),
        ("[::1]", True),
        ("0.0.0.0", True),
        ("93.184.216.34", False),
        ("localhost", None),  # a name, resolved (and then checked) when fetched
        ("feeds.example.org", None),
        (None, None),
    ],
)
def test_literal_hosts_are_recognised(host: str | None, internal: bool | None) -> None:
    address = fetch_module._address(host)
    assert (None if address is None else fetch_module.is_internal(address)) is internal


def test_a_firewalls_bot_check_is_said_as_one_whatever_its_status() -> None:
    """Cloudflare's challenge (403, or 429 that is no rate limit) and AWS WAF's (202: a 2xx
    whose body is a script page, once "not a feed") fail saying what they are; the same
    statuses without the header stay what they were."""
    page = b"<!DOCTYPE html><title>Just a moment...</title>"

    async def scenario(up: Upstream, f: Fetcher) -> None:
        checks = [
            ("/cf.xml", 403, {"cf-mitigated": "challenge", "Server": "cloudflare"}),
            ("/cf429.xml", 429, {"cf-mitigated": "challenge"}),
            ("/aws.xml", 202, {"x-amzn-waf-action": "challenge"}),
            ("/captcha.xml", 405, {"x-amzn-waf-action": "captcha"}),
        ]
        for path, status, headers in checks:
            url = up.add_feed(path, page, status=status, headers=headers)
            got = await f.fetch(url)
            assert isinstance(got, FetchFailed) and got.status == status, path
            firewall = "Cloudflare" if path.startswith("/cf") else "AWS WAF"
            assert f"{firewall}'s bot check, which browsers pass and feed readers" in got.error
            assert got.error.startswith(f"HTTP {status} ")
        plain = await f.fetch(up.add_feed("/plain.xml", page, status=403))
        assert isinstance(plain, FetchFailed) and plain.error == "HTTP 403 Forbidden"
        accepted = await f.fetch(up.add_feed("/accepted.xml", RSS, status=202))
        assert isinstance(accepted, Fetched) and accepted.body == RSS

    run(scenario)
