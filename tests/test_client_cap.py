"""The cap on one client's connections to the web server (`client_cap`): one beyond it is
answered 503 and closed, one closed makes room, and a reverse proxy's are not counted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from aggregator.client_cap import BUSY, ClientCap, client_cap, client_key
from aggregator.config import LOOPBACK, ServerSettings
from aggregator.metrics import networks
from aggregator.web import start_server

PROXIES = networks(LOOPBACK)
REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def test_a_client_is_its_ipv4_address_or_its_ipv6_64_and_a_proxy_is_none() -> None:
    assert client_key("203.0.113.7", PROXIES) == "203.0.113.7"
    assert client_key("::ffff:203.0.113.7", PROXIES) == "203.0.113.7"
    one = client_key("2001:db8:1:2:aaaa::1", PROXIES)
    assert one == client_key("2001:db8:1:2:ffff::9", PROXIES) == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1", PROXIES) != one
    for exempt in ("127.0.0.1", "::1", "::ffff:127.0.0.1", None, "", "not an address"):
        assert client_key(exempt, PROXIES) is None
    assert client_key("127.0.0.1", ()) == "127.0.0.1"  # (no proxy in front: counted)


def test_the_cap_counts_each_clients_connections_and_logs_refusals_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    cap = ClientCap(2, (), clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="aggregator"):
        assert cap.admit("a") and cap.admit("a") and cap.admit("b")
        assert not cap.admit("a") and not cap.admit("a")
        now[0] = 61.0
        assert not cap.admit("a")
        cap.release("a")
        assert cap.admit("a") and not cap.admit("a")
    assert cap.refused == 4 and cap.open == {"a": 2, "b": 1}
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 2  # (the first refusal, then the minute's)
    assert "client a holds 2 connections" in said[0] and "; 1 more answered 503" in said[0]
    assert "; 2 more answered 503" in said[1]
    for _ in range(3):
        cap.release("a")
    cap.release("b")
    assert cap.open == {}


def test_no_cap_when_set_to_zero_and_loopback_is_a_proxy_by_default() -> None:
    assert client_cap(ServerSettings(max_client_connections=0)) is None
    cap = client_cap(ServerSettings())
    assert cap is not None and cap.limit == 100 and cap.proxies == PROXIES


@asynccontextmanager
async def serving(cap: ClientCap | None) -> AsyncIterator[int]:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = await start_server(app, "127.0.0.1", 0, 1.0, cap)
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def ask(port: int, times: int = 1) -> list[bytes]:
    """Status lines of `times` requests on one connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    said = []
    try:
        for _ in range(times):
            writer.write(REQUEST)
            said.append(await reader.readline())
            await reader.readuntil(b"ok")
    finally:
        writer.close()
    return said


def test_a_connection_beyond_a_clients_cap_is_answered_503_and_one_closed_makes_room() -> None:
    async def scenario() -> None:
        cap = ClientCap(3, ())  # (no proxy: this test's loopback client is counted)
        async with serving(cap) as port:
            held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert await asyncio.wait_for(reader.read(), 30) == BUSY  # (and closed)
            writer.close()
            assert b"Retry-After: 10\r\n" in BUSY and BUSY.startswith(b"HTTP/1.1 503 ")
            # the connections held are served, several requests each
            reader, writer = held.pop()
            for _ in range(2):
                writer.write(REQUEST)
                assert await reader.readline() == b"HTTP/1.1 200 OK\r\n"
                await reader.readuntil(b"ok")
            writer.close()
            await writer.wait_closed()
            for _ in range(100):  # (the server sees the close)
                if cap.open.get("127.0.0.1") == 2:
                    break
                await asyncio.sleep(0.02)
            assert await ask(port, 2) == [b"HTTP/1.1 200 OK\r\n"] * 2
            for _, writer in held:
                writer.close()
            assert cap.refused == 1

    asyncio.run(scenario())


def test_a_reverse_proxy_on_loopback_is_not_capped_by_default() -> None:
    """Behind a proxy every visitor's connection comes from the proxy's address."""

    async def scenario() -> None:
        cap = client_cap(ServerSettings(max_client_connections=3))
        async with serving(cap) as port:
            held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(10)]
            assert await ask(port) == [b"HTTP/1.1 200 OK\r\n"]
            for _, writer in held:
                writer.close()
            assert cap is not None and cap.refused == 0 and not cap.open

    asyncio.run(scenario())
