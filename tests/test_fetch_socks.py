"""Fetching through a SOCKS proxy (the `socks` extra): `socks5h://` has the proxy resolve names,
`socks5://` resolves them here, a login goes to the proxy, `no_proxy` hosts go direct, and a
proxy that is down, refuses the login or is configured without the extra fails every fetch
with the reason, never silently direct.

A loopback SOCKS5 server (RFC 1928, with RFC 1929's login) stands in for the operator's (or
Tor's): it records what each CONNECT asked for and connects every request to the test's own
upstream, so the feeds' `.invalid` hosts are never resolved.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import struct
from dataclasses import dataclass, field

import pytest
from loopback_server import LoopbackServer
from test_fetch_guard import StubResolver
from test_fetch_proxy import fetcher
from upstream import Upstream, free_port

from aggregator import fetch_socks
from aggregator.config import ConfigError, build_settings
from aggregator.models import Fetched, FetchFailed, FetchOutcome

pytest.importorskip("aiohttp_socks")

RSS = b"<?xml version='1.0'?><rss version='2.0'><channel><title>via socks</title></channel></rss>"


@dataclass
class Socks5(LoopbackServer):
    """A minimal SOCKS5 proxy on loopback: CONNECT only, every request sent to `upstream`'s
    port on 127.0.0.1. `seen`: (what was asked for: name or address, its kind, its port)."""

    upstream: int
    login: tuple[str, str] | None = None
    seen: list[tuple[str, str, int]] = field(default_factory=list)
    port: int = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            _, count = await reader.readexactly(2)
            methods = await reader.readexactly(count)
            wanted = 2 if self.login else 0
            if wanted not in methods:
                writer.write(b"\x05\xff")
                return
            writer.write(bytes([5, wanted]))
            if self.login:
                _, size = await reader.readexactly(2)
                user = (await reader.readexactly(size)).decode()
                (size,) = await reader.readexactly(1)
                password = (await reader.readexactly(size)).decode()
                ok = (user, password) == self.login
                writer.write(b"\x01\x00" if ok else b"\x01\x01")
                if not ok:
                    return
            _, command, _, kind = await reader.readexactly(4)
            if kind == 3:
                (size,) = await reader.readexactly(1)
                asked, what = (await reader.readexactly(size)).decode(), "name"
            else:
                raw = await reader.readexactly(4 if kind == 1 else 16)
                asked, what = str(ipaddress.ip_address(raw)), "address"
            (port,) = struct.unpack("!H", await reader.readexactly(2))
            if command != 1:  # CONNECT only
                writer.write(b"\x05\x07\x00\x01" + bytes(6))
                return
            if asked.startswith("unreachable."):  # a host the proxy cannot reach
                writer.write(b"\x05\x04\x00\x01" + bytes(6))
                return
            self.seen.append((asked, what, port))
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
            writer.write(b"\x05\x00\x00\x01" + bytes(4) + b"\x00\x00")
            await writer.drain()
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


def test_socks5h_sends_the_name_to_the_proxy_with_the_login(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> tuple[FetchOutcome, FetchOutcome, Socks5, Upstream]:
        async with Upstream() as up:
            up.add_feed("/feed.xml", RSS)
            async with Socks5(up.port, ("reader", "s3cret")) as socks:
                url = f"socks5h://reader:s3cret@127.0.0.1:{socks.port}"
                async with fetcher({"ALL_PROXY": url}) as f:
                    first = await f.fetch("http://news.invalid/feed.xml")
                    page = await f.fetch_page("http://other.invalid:8080/feed.xml")
                return first, page, socks, up

    with caplog.at_level(logging.INFO, logger="aggregator"):
        first, page, socks, up = asyncio.run(main())
    assert isinstance(first, Fetched) and first.body == RSS
    assert isinstance(page, Fetched)  # a page whose host does not resolve here: the proxy's
    assert socks.seen == [("news.invalid", "name", 80), ("other.invalid", "name", 8080)]
    assert [r.headers.get("host") for r in up.requests] == ["news.invalid", "other.invalid:8080"]
    assert "through proxy socks5h://reader:***@127.0.0.1" in caplog.text
    assert "s3cret" not in caplog.text


def test_socks5_resolves_names_here_and_no_proxy_hosts_go_direct() -> None:
    async def main() -> tuple[FetchOutcome, FetchOutcome, Socks5, int]:
        async with Upstream() as up:
            up.add_feed("/feed.xml", RSS)
            async with Socks5(up.port) as socks:
                proxy = f"socks5://127.0.0.1:{socks.port}"
                names = StubResolver({"direct.localhost": ["127.0.0.1"]})  # resolved direct
                async with fetcher(
                    resolver=names, proxy=proxy, no_proxy=("direct.localhost",)
                ) as f:
                    via = await f.fetch(f"http://localhost:{up.port}/feed.xml")
                    direct = await f.fetch(f"http://direct.localhost:{up.port}/feed.xml")
                return via, direct, socks, up.port

    via, direct, socks, port = asyncio.run(main())
    assert isinstance(via, Fetched) and isinstance(direct, Fetched)
    # resolved here: the proxy was handed an address, and only for the proxied feed
    assert [(what, p) for _, what, p in socks.seen] == [("address", port)]
    assert ipaddress.ip_address(socks.seen[0][0]).is_loopback


def test_socks5_says_a_name_that_does_not_resolve_here_as_a_dns_failure() -> None:
    """It had read "network error: Name or service not known" (python-socks' own lookup)."""

    async def main() -> tuple[FetchOutcome, Socks5]:
        proxy = "socks5://127.0.0.1:{}"
        async with (
            Upstream() as up,
            Socks5(up.port) as socks,
            fetcher(proxy=proxy.format(socks.port)) as f,
        ):
            return await f.fetch("http://news.invalid/feed.xml"), socks

    got, socks = asyncio.run(main())
    assert isinstance(got, FetchFailed)
    assert got.error == "DNS lookup failed for news.invalid"
    assert socks.seen == []


def test_a_socks_proxy_that_is_down_or_refuses_the_login_fails_clearly() -> None:
    down = free_port()

    async def main() -> tuple[FetchOutcome, FetchOutcome, FetchOutcome, Upstream, int]:
        async with Upstream() as up:
            up.add_feed("/feed.xml", RSS)
            async with Socks5(up.port, ("reader", "right")) as socks:
                wrong = f"socks5h://reader:wrong@127.0.0.1:{socks.port}"
                async with fetcher(proxy=wrong) as f:
                    refused = await f.fetch("http://news.invalid/feed.xml")
                async with fetcher(proxy=f"socks5h://reader:right@127.0.0.1:{socks.port}") as f:
                    unreachable = await f.fetch_page("http://unreachable.invalid/page")
                    at = socks.port
            async with fetcher(proxy=f"socks5h://127.0.0.1:{down}") as f:
                gone = await f.fetch("http://news.invalid/feed.xml")
            return refused, unreachable, gone, up, at

    refused, unreachable, gone, up, at = asyncio.run(main())
    assert isinstance(refused, FetchFailed)
    assert refused.error.startswith(f"the proxy 127.0.0.1:{at} refused: ")
    assert "wrong" not in refused.error
    assert isinstance(unreachable, FetchFailed)  # the proxy's own reply, not a refusal
    assert unreachable.error == f"the proxy 127.0.0.1:{at} could not connect: Host unreachable"
    assert isinstance(gone, FetchFailed)
    assert gone.error == f"cannot connect to the proxy 127.0.0.1:{down}: connection refused"
    assert up.requests == []


def test_socks_proxies_are_accepted_in_settings_and_need_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = build_settings({"fetch": {"proxy": "socks5h://127.0.0.1:9050"}})
    assert settings.fetch.proxy == "socks5h://127.0.0.1:9050"
    with pytest.raises(ConfigError, match="proxy scheme 'ftp' is not supported"):
        build_settings({"fetch": {"proxy": "ftp://proxy.corp:21"}})

    monkeypatch.setattr(fetch_socks, "available", lambda: False)  # the extra not installed
    with pytest.raises(ConfigError, match=r"needs the socks extra .*aggregator\[socks\]"):
        build_settings({"fetch": {"proxy": "socks5h://127.0.0.1:9050"}})

    async def main() -> tuple[FetchOutcome, Upstream]:
        async with Upstream() as up:
            up.add_feed("/feed.xml", RSS)
            async with fetcher({"all_proxy": "socks5h://127.0.0.1:9050"}) as f:
                return await f.fetch(f"http://127.0.0.1:{up.port}/feed.xml"), up

    got, up = asyncio.run(main())  # from the environment: every fetch fails, none goes direct
    assert isinstance(got, FetchFailed) and up.requests == []
    assert got.error == f"all_proxy: {fetch_socks.EXTRA_NEEDED}"
