"""A poll reuses its connections as a polite client does: a loopback upstream on several
addresses counts the connections opened and the requests in flight per host."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict

from aiohttp import web

from aggregator.fetch import Fetcher, FetchSettings
from aggregator.models import Fetched, FetchFailed, NotModified

PAGE = b"<html><body>" + b"x" * (128 * 1024) + b"</body></html>"  # arrives in many reads


class CountingUpstream:
    """One app on 127.0.0.1..N (one "host" each, same port) that counts per host the
    connections it accepted and the most requests it served at once."""

    def __init__(self, hosts: int) -> None:
        self.hosts = hosts
        self.transports: defaultdict[str, set[object]] = defaultdict(set)
        self.requests: Counter[str] = Counter()
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        self.port = 0
        self._runner: web.AppRunner | None = None

    def url(self, host: int, path: str) -> str:
        return f"http://127.0.0.{host}:{self.port}{path}"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        host = request.host.split(":")[0]
        self.transports[host].add(request.transport)  # kept: a closed one's id is not reused
        self.requests[host] += 1
        self.in_flight[host] += 1
        self.max_in_flight[host] = max(self.max_in_flight[host], self.in_flight[host])
        try:
            await asyncio.sleep(0.01)
            kind = request.match_info["kind"]
            if kind == "moved":  # a redirect with a page of its own, as many servers send
                return web.Response(
                    status=301, body=PAGE, headers={"Location": request.query["to"]}
                )
            if kind == "gone":
                return web.Response(status=404, body=PAGE, content_type="text/html")
            if kind == "same" and request.headers.get("If-None-Match") == '"v1"':
                return web.Response(status=304, headers={"ETag": '"v1"'})
            return web.Response(body=b"<rss version='2.0'/>", headers={"ETag": '"v1"'})
        finally:
            self.in_flight[host] -= 1

    def connections(self) -> dict[str, int]:
        return {host: len(seen) for host, seen in self.transports.items()}

    async def __aenter__(self) -> CountingUpstream:
        app = web.Application()
        app.router.add_get("/{kind}/{n}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        for host in range(1, self.hosts + 1):
            site = web.TCPSite(self._runner, f"127.0.0.{host}", self.port)
            await site.start()
            self.port = self.port or int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


SETTINGS = FetchSettings(total_timeout=10.0, connect_timeout=5.0, per_host=2, concurrency=16)


def test_a_pass_of_304s_keeps_to_per_host_connections_on_every_host() -> None:
    async def main() -> None:
        async with CountingUpstream(4) as up, Fetcher(SETTINGS) as f:
            urls = [up.url(n % 4 + 1, f"/same/{n}") for n in range(60)]
            first = await asyncio.gather(*(f.fetch(u) for u in urls))
            again = await asyncio.gather(*(f.fetch(u, '"v1"') for u in urls))
        assert all(isinstance(r, Fetched) for r in first)
        assert all(isinstance(r, NotModified) for r in again)
        assert sum(up.requests.values()) == 120
        assert all(n <= 2 for n in up.connections().values()), up.connections()
        assert all(n <= 2 for n in up.max_in_flight.values())

    asyncio.run(main())


def test_connections_are_reused_after_redirects_and_error_pages_with_bodies() -> None:
    """A redirect's or an error's body left unread closes its connection: every such answer
    cost the host a new connection (46 for 80 requests on 4 hosts before)."""

    async def main() -> None:
        async with CountingUpstream(4) as up, Fetcher(SETTINGS) as f:
            urls = []
            for n in range(60):
                host = n % 4 + 1
                if n % 3 == 0:
                    urls.append(up.url(host, f"/moved/{n}?to=/same/{n}"))
                elif n % 3 == 1:
                    urls.append(up.url(host, f"/gone/{n}"))
                else:
                    urls.append(up.url(host, f"/same/{n}"))
            results = await asyncio.gather(*(f.fetch(u) for u in urls))
        assert sum(isinstance(r, Fetched) for r in results) == 40
        failed = [r for r in results if isinstance(r, FetchFailed)]
        assert len(failed) == 20 and all(r.status == 404 for r in failed)
        assert sum(up.requests.values()) == 80
        assert all(n <= 2 for n in up.connections().values()), up.connections()

    asyncio.run(main())


def test_redirects_from_many_hosts_onto_one_never_pass_its_per_host_limit() -> None:
    """Host slots bound a fetch's first request only; the hop onto another host is bounded
    by the connection pool's per-host limit."""

    async def main() -> None:
        async with CountingUpstream(5) as up, Fetcher(SETTINGS) as f:
            target = up.url(5, "/same/0")
            urls = [up.url(n % 4 + 1, f"/moved/{n}?to={target}") for n in range(40)]
            results = await asyncio.gather(*(f.fetch(u) for u in urls))
        assert all(isinstance(r, Fetched) for r in results)
        assert up.requests["127.0.0.5"] == 40
        assert up.max_in_flight["127.0.0.5"] <= 2, up.max_in_flight
        assert up.connections()["127.0.0.5"] <= 2

    asyncio.run(main())
