"""The service's own network down: feeds are not asked, no error is counted, and polling
resumes at the first answer (`aggregator.network`)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
import socket
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from upstream import Upstream, free_port

from aggregator import network as network_module
from aggregator.cli import main
from aggregator.config import Settings
from aggregator.fetch import Fetcher, FetchSettings, IPAddress, is_internal
from aggregator.health import NETWORK_DOWN, assess
from aggregator.models import FetchFailed, FetchOutcome, NotModified
from aggregator.network import DOWN_AFTER, FIRST_TRY, LAST_TRY, PROBES, Network, pause_before_pass
from aggregator.service import Service
from aggregator.store import Store

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOSTS = [f"{name}.test" for name in "alpha bravo charlie delta echo foxtrot golf".split()]


class SwitchedResolver(AbstractResolver):
    """Every name is the test server's address while `up`; no name resolves while down."""

    def __init__(self) -> None:
        self.up = True
        self.lookups = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups += 1
        if not self.up:
            raise OSError(f"stub: no network to look up {host}")
        address = ipaddress.ip_address("127.0.0.1")
        return [
            {
                "hostname": host,
                "host": str(address),
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        pass


def outside(address: IPAddress) -> bool:
    """Internal, but for the test server's own address: its host names play sites outside."""
    return address != ipaddress.ip_address("127.0.0.1") and is_internal(address)


def _fetcher(resolver: SwitchedResolver) -> Fetcher:
    """A fetcher looking names up with `resolver`, the test server's host names outside."""
    return Fetcher(Settings().fetch, resolver=resolver, internal=outside)


def rss(name: str) -> bytes:
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>{name}</title>"
        f"<link>https://{name}.example/</link><item><title>{name} reports a harbour fire"
        f"</title><link>https://{name}.example/1</link><description>A fire broke out at the "
        "harbour of Corvane on Monday.</description></item></channel></rss>"
    ).encode()


def test_hosts_that_answered_before_unreached_with_no_answer_between_mean_the_network_is_down() -> (
    None
):
    network = Network()
    assert not network.failed("gone.test", "DNS lookup failed", NOW, answered_before=False)
    for host in HOSTS[: DOWN_AFTER - 1]:
        assert not network.failed(host, f"DNS lookup failed for {host}", NOW, answered_before=True)
    assert network.answered() is None  # (an answer between: nothing is down)
    assert network.unreached == {}
    for host in HOSTS[:DOWN_AFTER]:
        went = network.failed(host, f"DNS lookup failed for {host}", NOW, answered_before=True)
    assert went and network.down and network.down_since == NOW
    assert network.example() == f"DNS lookup failed for {HOSTS[0]}"
    assert not network.failed("more.test", "x", NOW, answered_before=True)  # (once)
    assert network.answered() == NOW  # (back)
    assert not network.down and network.try_at is None


def test_while_down_a_few_feeds_of_other_hosts_are_asked_ever_more_rarely() -> None:
    network = Network()
    for host in HOSTS[:DOWN_AFTER]:
        network.failed(host, "x", NOW, answered_before=True)
    assert network.try_at == NOW + FIRST_TRY
    hosts = ["a.test", "a.test", "b.test", "c.test", "d.test", "e.test", "f.test"]
    assert network.probes(hosts, NOW) == set()  # (not yet)
    at = NOW + FIRST_TRY
    first = network.probes(hosts, at)
    assert first == {0, 2, 3} and len(first) == PROBES  # (one feed of each host)
    assert network.try_at == at + FIRST_TRY
    assert network.probes(hosts, at + FIRST_TRY / 2) == set()
    at = network.try_at
    assert network.probes(hosts, at) == {3, 4, 5}  # (further along: other hosts)
    pauses = []
    for _ in range(8):
        at = network.try_at
        network.probes(hosts, at)
        pauses.append(network.try_at - at)
    assert pauses[0] == 4 * FIRST_TRY and pauses[-1] == LAST_TRY
    assert pauses == sorted(pauses)


def test_a_network_down_for_days_is_still_tried_every_few_minutes() -> None:
    network = Network()
    for host in HOSTS[:DOWN_AFTER]:
        network.failed(host, "x", NOW, answered_before=True)
    at = NOW
    for _ in range(3000):  # (ten days; the pause once overflowed a timedelta after 3 h 17 min)
        at = network.try_at or at
        network.probes(["a.test", "b.test", "c.test", "d.test"], at)
    assert network.try_at == at + LAST_TRY and network.tries == 3000


def test_a_failed_lookup_is_unreached_and_a_refusal_or_an_http_error_is_not() -> None:
    async def scenario() -> None:
        resolver = SwitchedResolver()
        async with Upstream() as up:
            up.add_feed("/feed.xml", rss("alpha"))
            up.add_feed("/broken.xml", b"", status=500)
            up.add_redirect("/moved.xml", f"http://nowhere.test:{up.port}/feed.xml")
            settings = FetchSettings(total_timeout=5.0, connect_timeout=2.0)
            async with Fetcher(settings, resolver=resolver, internal=outside) as fetcher:
                broken = await fetcher.fetch(f"http://alpha.test:{up.port}/broken.xml")
                assert isinstance(broken, FetchFailed) and not broken.unreached
                refused = await fetcher.fetch(f"http://alpha.test:{free_port()}/feed.xml")
                assert isinstance(refused, FetchFailed) and not refused.unreached
                resolver.up = False
                lost = await fetcher.fetch(f"http://bravo.test:{up.port}/feed.xml")
                assert isinstance(lost, FetchFailed) and lost.unreached
                assert lost.error == "DNS lookup failed for bravo.test"

    asyncio.run(scenario())


@contextlib.asynccontextmanager
async def _served(
    tmp_path: Path, clock: Callable[[], datetime] | None = None
) -> AsyncIterator[tuple[Upstream, Service]]:
    """A loaded service over a feed of each of `HOSTS`, all served here (on `clock`, when
    given)."""
    feeds = "".join(
        f"<outline type='rss' text='{host}' xmlUrl='http://{host}:{{port}}/{host}.xml'/>"
        for host in HOSTS
    )
    async with Upstream() as up:
        for host in HOSTS:
            up.add_feed(f"/{host}.xml", rss(host.split(".")[0]))
        listed = f"<opml version='2.0'><body><outline text='World'>{feeds}</outline></body></opml>"
        (tmp_path / "feeds.opml").write_text(listed.replace("{port}", str(up.port)))
        timed = {} if clock is None else {"clock": clock}
        service = Service(tmp_path / "feeds.opml", tmp_path / "agg.db", Settings(), **timed)
        try:
            await service.load_sources(strict=True)
            yield up, service
        finally:
            service.close()


def test_a_service_whose_network_goes_down_counts_no_errors_and_polls_all_once_it_is_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(network_module, "FIRST_TRY", timedelta(0))  # (feeds asked at each
    monkeypatch.setattr(network_module, "LAST_TRY", timedelta(0))  # pass while it is down)

    async def scenario() -> None:
        resolver = SwitchedResolver()
        async with _served(tmp_path) as (up, service):
            async with Fetcher(
                service.settings.fetch, resolver=resolver, internal=outside
            ) as fetcher:
                report = await service.poll_cycle(fetcher)
                assert report.ok == len(HOSTS)
            with sqlite3.connect(tmp_path / "agg.db") as conn:  # (every feed due)
                conn.execute("UPDATE feeds SET next_poll_at = ?", [NOW.isoformat()])
            # (a fetcher of its own for each phase: no connection or address kept)
            resolver.up = False
            async with Fetcher(
                service.settings.fetch, resolver=resolver, internal=outside
            ) as fetcher:
                report = await service.poll_cycle(fetcher)
                assert service.polls.network.down
                before = resolver.lookups
                for _ in range(3):  # (passes made while it is down: a few feeds asked)
                    report = await service.poll_cycle(fetcher)
                assert resolver.lookups - before == 3 * PROBES
                network = service.polls.network
                assert network.down
                # (the feeds that failed before it was known wait for their next poll)
                assert report.offline >= len(HOSTS) - DOWN_AFTER + 1 and report.errors == 0
                rows = service.store.status_rows()
                # (at most the feeds that failed before it was known: one error each)
                assert max(r["error_count"] for r in rows) <= 1
                waiting = [r["url"] for r in rows if r["error_count"] == 0]
                assert len(waiting) >= len(HOSTS) - DOWN_AFTER + 1
                health = service.store.reader().health()
                assert health[NETWORK_DOWN]["error"].startswith("DNS lookup failed for")
                (reason,) = assess(health, datetime.now(UTC), None)
                assert reason.startswith("the network is down since")
                assert main(["status", "--db", str(tmp_path / "agg.db")]) == 0
                said = capsys.readouterr().out
                assert said.startswith("NETWORK DOWN for ") and "DNS lookup failed" in said
                asked = len(up.requests)
                resolver.up = True
                report = await service.poll_cycle(fetcher)  # (a probe answers: the rest now)
                assert not network.down and report.offline == 0
                assert NETWORK_DOWN not in service.store.reader().health()
                polled = {r.path.strip("/").removesuffix(".xml") for r in up.requests[asked:]}
                assert {url.split("/")[-1].removesuffix(".xml") for url in waiting} <= polled
                await service.poll_cycle(fetcher)
                rows = service.store.status_rows()
                # (those that failed before it was known too: due once it was back)
                assert [r["error_count"] for r in rows] == [0] * len(HOSTS)

    asyncio.run(scenario())


def test_a_network_an_earlier_process_found_down_is_tried_with_a_few_feeds_first(
    tmp_path: Path,
) -> None:
    said = '{"since": "2026-03-02T09:00:00+00:00", "error": "DNS lookup failed for alpha.test"}'

    async def scenario() -> None:
        resolver = SwitchedResolver()
        async with _served(tmp_path) as (up, service):
            service.store.set_meta(NETWORK_DOWN, said)  # (a `poll --once` from cron, say)
            resolver.up = False
            async with Fetcher(
                service.settings.fetch, resolver=resolver, internal=outside
            ) as fetcher:
                report = await service.poll_cycle(fetcher)
                assert resolver.lookups == PROBES and report.offline == len(HOSTS)
                assert report.errors == 0
                with sqlite3.connect(tmp_path / "agg.db") as conn:  # (no feed due)
                    conn.execute("UPDATE feeds SET next_poll_at = '2999-01-01T00:00:00+00:00'")
                service.polls.network.try_at = datetime.now(UTC)  # (but a try is)
                report = await service.poll_cycle(fetcher)
                assert resolver.lookups == 2 * PROBES  # (a few feeds of any are asked)
            health = service.store.reader().health()
            assert health[NETWORK_DOWN]["since"] == "2026-03-02T09:00:00+00:00"
        async with _served(tmp_path) as (up, service):  # (the next run: the network is back)
            resolver.up = True
            async with Fetcher(
                service.settings.fetch, resolver=resolver, internal=outside
            ) as fetcher:
                report = await service.poll_cycle(fetcher)
            assert report.ok == len(HOSTS)  # (a probe answered: every feed asked in that pass)
            assert NETWORK_DOWN not in service.store.reader().health()
            assert len({r.path for r in up.requests}) == len(HOSTS)

    asyncio.run(scenario())


def test_article_pages_and_pictures_are_not_asked_while_the_network_is_down() -> None:
    from aggregator.article_job import ArticleJob, ArticlePass
    from aggregator.articles import ArticleSettings
    from aggregator.picture_job import PictureJob, PicturePass

    asked: list[object] = []

    class Store:  # (each of its calls named)
        def __getattr__(self, name: str) -> str:
            return name

    async def write(call: object, *args: object, **kwargs: object) -> list[object]:
        asked.append(call)  # (a pass starts by asking the store what is due)
        return []

    async def scenario() -> None:
        down = Network(down_since=NOW)
        articles = ArticleJob(Store(), write, ArticleSettings(), lambda: NOW)
        pictures = PictureJob(Store(), write, lambda: NOW)  # type: ignore[arg-type]
        articles.network = pictures.network = down
        async with Fetcher(FetchSettings()) as fetcher:
            assert await articles.run_pass(fetcher) == ArticlePass()
            assert await pictures.run_pass(fetcher) == PicturePass()
            assert asked == []
            down.answered()
            await pictures.run_pass(fetcher)
            assert asked == ["pictures_to_check"]  # (up again: what is due is asked)

    asyncio.run(scenario())


def test_while_down_the_service_waits_for_the_next_try_and_for_a_feed_not_due_yet() -> None:
    soon, later = NOW + timedelta(seconds=40), NOW + timedelta(seconds=90)
    past = NOW - timedelta(minutes=5)
    assert pause_before_pass(past, None, NOW, 600) == 1.0  # (up: feeds due, at once)
    assert pause_before_pass(later, None, NOW, 30) == 30  # (at most a tick)
    assert pause_before_pass(past, soon, NOW, 600) == 40  # (down: the next try)
    assert pause_before_pass(later, past, NOW, 600) == 90  # (a try due, no feed due yet)
    assert pause_before_pass(None, soon, NOW, 600) == 40


def test_our_own_hubs_are_not_told_while_the_network_is_down(tmp_path: Path) -> None:
    from aggregator.hub_job import HubJob, HubPass

    class Poster:
        async def post_form(self, url: str, fields: object, **_: object) -> str | None:
            raise AssertionError("a hub was asked")

    written: list[object] = []

    async def write(call: object, *args: object) -> object:
        written.append(call)
        return None

    settings = Settings()
    hubs = dataclasses.replace(settings.publish, hubs=("https://hub.example/",))
    store = Store(tmp_path / "agg.db")
    try:
        job = HubJob(store, write, dataclasses.replace(settings, publish=hubs), lambda: NOW)
        job.network = Network(down_since=NOW)
        assert asyncio.run(job.run_pass(Poster())) == HubPass()  # type: ignore[arg-type]
        assert written == []
    finally:
        store.close()


def test_a_feed_inside_the_network_neither_finds_it_down_nor_back() -> None:
    async def scenario() -> None:
        resolver = SwitchedResolver()
        async with Upstream() as up:
            up.add_feed("/feed.xml", rss("alpha"))
            async with Fetcher(FetchSettings(), resolver=resolver) as fetcher:
                bridge = f"http://bridge.test:{up.port}/feed.xml"  # (it resolves to loopback)
                assert not fetcher.is_local(bridge)  # (not looked up yet)
                await fetcher.fetch(bridge)
                assert fetcher.is_local(bridge)
                assert fetcher.is_local("http://127.0.0.1:8080/feed.xml")
                assert fetcher.is_local("http://[::1]/feed.xml")
                assert not fetcher.is_local("http://8.8.8.8/feed.xml")  # (public: never asked)
                assert not fetcher.is_local("http://news.example/feed.xml")

    asyncio.run(scenario())


def test_a_bridge_answering_from_its_cache_does_not_hide_the_network_down(
    tmp_path: Path,
) -> None:
    sites = [f"http://{host}/feed.xml" for host in HOSTS[:DOWN_AFTER]]
    bridge = "http://127.0.0.1:1200/telegram/channel/example"  # (an RSSHub on this machine)

    class Outage:  # (the feeds' sites unreached; the bridge answers from its cache)
        def is_local(self, url: str) -> bool:
            return url == bridge

        async def fetch(self, url: str, *args: object, **kwargs: object) -> FetchOutcome:
            if url == bridge:
                await asyncio.sleep(0.2)  # (asked with the others, answering after they failed)
                return NotModified(url)
            await asyncio.sleep(0.05)
            return FetchFailed(url, f"DNS lookup failed for {url}", unreached=True)

    async def scenario() -> None:
        service = Service(tmp_path / "feeds.opml", tmp_path / "agg.db", Settings())
        try:
            outlines = "".join(f"<outline type='rss' text='{u}' xmlUrl='{u}'/>" for u in sites)
            outlines += f"<outline type='rss' text='Bridge' xmlUrl='{bridge}'/>"
            (tmp_path / "feeds.opml").write_text(
                f"<opml version='2.0'><body><outline text='World'>{outlines}</outline>"
                "</body></opml>"
            )
            await service.load_sources(strict=True)
            with sqlite3.connect(tmp_path / "agg.db") as conn:  # (each answered last time)
                conn.execute(
                    "UPDATE feeds SET last_success_at = ?, error_count = 0", [NOW.isoformat()]
                )
            await service.poll_cycle(Outage(), everything=True)  # type: ignore[arg-type]
            assert service.polls.network.down
        finally:
            service.close()

    asyncio.run(scenario())


def test_a_service_rides_out_an_outage_of_days_trying_every_five_minutes(tmp_path: Path) -> None:
    now = [NOW]

    async def scenario() -> None:
        resolver = SwitchedResolver()
        async with _served(tmp_path, clock=lambda: now[0]) as (_, service):
            # (a fetcher of its own for each phase: no connection or address kept)
            async with Fetcher(service.settings.fetch, resolver=resolver, internal=outside) as f:
                assert (await service.poll_cycle(f)).ok == len(HOSTS)
            with sqlite3.connect(tmp_path / "agg.db") as conn:  # (every feed due)
                conn.execute("UPDATE feeds SET next_poll_at = ?", [NOW.isoformat()])
            resolver.up = False
            async with Fetcher(service.settings.fetch, resolver=resolver, internal=outside) as f:
                await service.poll_cycle(f)
                network = service.polls.network
                assert network.down and network.try_at is not None
                for _ in range(60):  # (past the 42nd try, where its pause overflowed)
                    now[0] = network.try_at
                    before = resolver.lookups
                    report = await service.poll_cycle(f)
                    assert report.errors == 0 and resolver.lookups - before == PROBES
                assert network.try_at == now[0] + LAST_TRY
                assert now[0] - NOW > timedelta(hours=4)
            resolver.up = True
            async with Fetcher(service.settings.fetch, resolver=resolver, internal=outside) as f:
                now[0] = network.try_at
                report = await service.poll_cycle(f)
                assert not network.down and report.offline == 0 and report.ok == len(HOSTS)

    asyncio.run(scenario())
