"""Parsing in worker processes, and fetching that stays responsive while the CPU is busy."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import quoteattr

import psutil
import pytest
from upstream import Upstream

import aggregator.parse  # (loaded, as in a service that parsed a small body)
import aggregator.parse_pool as parse_pool_module
from aggregator.config import Settings
from aggregator.errors import ParseError
from aggregator.fetch import Fetcher, FetchSettings
from aggregator.models import Fetched, Item, ParsedFeed, Source
from aggregator.parse_pool import ParsePool, parse_items
from aggregator.service import Service

NOW = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)
SOURCE = Source("http://feeds.example/a.xml", "A", "World News")


def service_over(urls: list[str], tmp_path: Path, settings: Settings) -> Service:
    """A service whose OPML lists `urls` in one category."""
    outlines = "".join(f'<outline text="F" xmlUrl={quoteattr(u)}/>' for u in urls)
    path = tmp_path / "feeds.opml"
    path.write_text(f"<opml><body><outline text='News'>{outlines}</outline></body></opml>")
    return Service(path, tmp_path / "agg.db", settings)


@contextlib.asynccontextmanager
async def parsing_only(
    urls: list[str], tmp_path: Path, settings: Settings, pool: ParsePool
) -> AsyncIterator[tuple[Service, Fetcher]]:
    """A service over `urls` that parses with `pool` and neither groups nor summarises, its
    sources loaded, and a fetcher for its passes."""
    service = service_over(urls, tmp_path, settings)
    service.polls.parser = pool
    service._group_and_summarize = lambda: 0  # type: ignore[method-assign]
    try:
        await service.load_sources(strict=True)
        async with Fetcher(settings.fetch) as fetcher:
            yield service, fetcher
    finally:
        service.close()


def big_feed(n_items: int = 120, tag: str = "a") -> bytes:
    items = "".join(
        f"<item><title>Story {tag} {i} about the harbour bridge</title>"
        f"<link>http://news.example/{tag}/{i}</link><guid>{tag}-{i}</guid>"
        f"<pubDate>Tue, 05 Mar 2024 10:{i % 60:02d}:00 GMT</pubDate>"
        f"<description>&lt;p&gt;Paragraph {i} of a long report on the harbour bridge "
        f"repairs, the ferry timetable and the council vote. {'More words here. ' * 20}"
        f"&lt;/p&gt;</description></item>"
        for i in range(n_items)
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>Feed {tag}</title>"
        f"<link>http://news.example/</link>{items}</channel></rss>"
    ).encode()


def fetched(body: bytes) -> Fetched:
    return Fetched(SOURCE.url, SOURCE.url, 200, body, {"content-type": "application/rss+xml"})


def test_a_worker_process_parses_exactly_as_in_process() -> None:
    body = big_feed()
    pool = ParsePool(workers=1, inline_below=0, inline_budget=0)
    try:
        parsed, items = asyncio.run(pool.parse(SOURCE, fetched(body), NOW))
        assert pool._pool is not None  # it really went to a worker process
    finally:
        pool.close()
    here, items_here = parse_items(SOURCE, fetched(body), NOW)
    assert items == items_here and len(items) == 120
    # The feed comes back without its entries (the items carry them: not sent twice).
    assert parsed == dataclasses.replace(here, entries=()) and len(here.entries) == 120


def test_a_body_no_worker_can_start_for_parses_in_a_thread(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Under a process limit (systemd's TasksMax) every big feed failed ("internal error")."""
    import aggregator.worker_pool as worker_pool

    def refused(*args: object, **kwargs: object) -> None:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(worker_pool.subprocess, "Popen", refused)
    body = big_feed()
    pool = ParsePool(workers=1, inline_below=0, inline_budget=0)
    try:
        _, items = asyncio.run(pool.parse(SOURCE, fetched(body), NOW))
        assert pool._pool is None and pool.started == 0
    finally:
        pool.close()
    assert items == parse_items(SOURCE, fetched(body), NOW)[1] and len(items) == 120
    assert "no parse worker could start (BlockingIOError" in caplog.text


def test_a_worker_empties_its_text_memos_after_each_feed_and_parses_alike() -> None:
    """What a parse worker runs (here, in this process): the memos of cleaned texts are
    empty once each feed is parsed, so they do not grow the worker for the rest of the
    pass, and the next feeds' items are the same."""
    from aggregator import parse, pipeline

    bodies = [big_feed(40, tag) for tag in "abc"]
    expected = [parse_items(SOURCE, fetched(body), NOW)[1] for body in bodies]
    assert pipeline._clean_text.cache_info().currsize > 0  # (in process, the memos fill)
    for body, items in zip(bodies, expected, strict=True):
        assert parse_pool_module._parse_in_worker(SOURCE, fetched(body), NOW)[1] == items
        assert pipeline._clean_text.cache_info().currsize == 0
        assert parse._html_to_text.cache_info().currsize == 0
    with pytest.raises(ParseError):
        parse_pool_module._parse_in_worker(SOURCE, fetched(b"not a feed"), NOW)


def test_a_body_that_is_no_feed_raises_parse_error_from_the_worker() -> None:
    page = b"<!doctype html><html><body>" + b"<p>not a feed</p>" * 4000 + b"</body></html>"
    pool = ParsePool(workers=1, inline_below=0, inline_budget=0)

    async def scenario() -> None:
        with pytest.raises(ParseError) as caught:
            await pool.parse(SOURCE, fetched(page), NOW)
        assert caught.value.url == SOURCE.url and "HTML page" in caught.value.message
        _, items = await pool.parse(SOURCE, fetched(big_feed(3)), NOW)  # the pool still works
        assert len(items) == 3

    try:
        asyncio.run(scenario())
    finally:
        pool.close()


def test_a_worker_killed_by_another_costs_no_feed() -> None:
    pool = ParsePool(workers=1, inline_below=0, inline_budget=0)

    async def scenario() -> None:
        await pool.parse(SOURCE, fetched(big_feed()), NOW)
        executor = pool._executor()
        for pid in executor.pids:  # the worker is killed (the OOM killer, an operator)
            os.kill(pid, signal.SIGKILL)
        for _ in range(5):  # the feeds it held, or sent it next, are parsed in a new pool
            _, items = await pool.parse(SOURCE, fetched(big_feed()), NOW)
            assert len(items) == 120
            await asyncio.sleep(0.05)
        assert pool._pool is not executor and pool.started == 2

    try:
        asyncio.run(scenario())
    finally:
        pool.close()


def stalling_pool(monkeypatch: pytest.MonkeyPatch, timeout: float) -> ParsePool:
    """A one-worker pool whose workers stall on "<!-- slow -->" and die on "<!-- die -->"."""
    import slow_parse

    monkeypatch.setattr(parse_pool_module, "_parse_in_worker", slow_parse.parse_or_stall)
    return ParsePool(workers=1, inline_below=0, inline_budget=0, timeout=timeout)


def parse_beside(pool: ParsePool, body: Fetched) -> list[object]:
    """What parsing `body` and three ordinary feeds at once in `pool` gives (or raises)."""

    async def scenario() -> list[object]:
        return await asyncio.gather(
            pool.parse(SOURCE, body, NOW),
            *(pool.parse(SOURCE, fetched(big_feed(4, tag)), NOW) for tag in "abc"),
            return_exceptions=True,
        )

    return asyncio.run(scenario())


def test_a_body_parsed_for_too_long_fails_its_feed_alone(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A worker on one body past the timeout is killed: that feed fails with a parse error
    saying so, the feeds queued behind it in the same worker are parsed in a new one, and the
    pass goes on (without the timeout it would wait two minutes, for ever on a real stall)."""
    pool = stalling_pool(monkeypatch, timeout=3.0)
    slow = fetched(big_feed(3).replace(b"<channel>", b"<channel><!-- slow -->"))
    try:
        stalled, *others = parse_beside(pool, slow)
        assert isinstance(stalled, ParseError)
        assert "parsing took longer than 3 s" in stalled.message
        assert [len(items) for _, items in others] == [4, 4, 4]  # type: ignore[misc]
        _, items = asyncio.run(pool.parse(SOURCE, fetched(big_feed(2)), NOW))
        assert len(items) == 2
    finally:
        pool.close()
    assert "parsing took longer than 3 s: its worker was stopped" in caplog.text


def test_a_body_parsed_for_long_does_not_hold_the_feeds_queued_behind_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pool's one worker (two cores) on a slow body held every body queued behind it
    until the deadline killed it (300 s in service): once a body is parsed for longer than
    `slow_after`, another worker starts and takes the queue; only the body already in the
    slow worker's pipe waits for the deadline."""
    import slow_parse

    monkeypatch.setattr(parse_pool_module, "_parse_in_worker", slow_parse.parse_or_stall)
    # (a body still queued at a look is looked at again 5 s on: found slow at 5 s, not 1 s,
    # the worker beside it had 3 s to start and parse three bodies on a loaded machine)
    monkeypatch.setattr(parse_pool_module, "_TIMEOUT_CHECK", 0.1)
    pool = ParsePool(workers=1, inline_below=0, inline_budget=0, timeout=8.0, slow_after=1.0)
    slow = fetched(big_feed(3).replace(b"<channel>", b"<channel><!-- slow -->"))
    answered: list[object] = []

    async def scenario() -> None:
        async def parse(body: Fetched) -> None:
            try:
                answered.append(await pool.parse(SOURCE, body, NOW))
            except ParseError as failed:
                answered.append(failed)

        stalled = asyncio.ensure_future(parse(slow))
        await asyncio.sleep(0.5)  # (the slow body is handed out first)
        await asyncio.gather(*(parse(fetched(big_feed(4, tag))) for tag in "abcd"), stalled)

    try:
        asyncio.run(scenario())
    finally:
        pool.close()
    stalled_at = next(n for n, a in enumerate(answered) if isinstance(a, ParseError))
    assert stalled_at >= 3  # (three bodies answered while the slow one was parsed)
    assert [len(a[1]) for a in answered if not isinstance(a, ParseError)] == [4, 4, 4, 4]  # type: ignore[index]
    assert pool.started == 3  # (the one, the one beside it, the one after the kill)


def test_many_slow_bodies_start_no_more_than_twice_the_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each worker that took a slow body had another started beside it, which took the next
    slow body in turn: a pass of many hostile feeds started a process (~30 MB) for each.
    The workers started beside slow ones are at most as many as the pool's own."""
    import slow_parse

    monkeypatch.setattr(parse_pool_module, "_parse_in_worker", slow_parse.parse_or_stall)
    monkeypatch.setattr(parse_pool_module, "_TIMEOUT_CHECK", 0.1)  # (a queued body's looks)
    pool = ParsePool(workers=1, inline_below=0, inline_budget=0, timeout=2.5, slow_after=0.3)
    slow = [
        fetched(big_feed(1, tag).replace(b"<channel>", b"<channel><!-- slow -->"))
        for tag in "abcdef"
    ]
    most = 0

    async def scenario() -> None:
        nonlocal most
        parsing = asyncio.gather(
            *(pool.parse(SOURCE, body, NOW) for body in slow), return_exceptions=True
        )
        while not parsing.done():
            if pool._pool is not None:
                most = max(most, len(pool._pool.pids))
            await asyncio.sleep(0.05)
        assert all(isinstance(answer, ParseError) for answer in parsing.result())

    try:
        asyncio.run(scenario())
    finally:
        pool.close()
    assert most == 2


def test_a_slow_body_left_in_a_broken_pool_starts_no_worker_in_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A slow body's worker was counted against every pool: once another slow body's worker
    was killed and its pool replaced, the first slow body, still parsed in the old pool,
    made the new pool start a second worker for the next ordinary body, with nothing slow
    in it (three processes on two cores, where `_most_workers` allows two)."""
    import slow_parse

    monkeypatch.setattr(parse_pool_module, "_parse_in_worker", slow_parse.parse_or_stall)
    monkeypatch.setattr(parse_pool_module, "_TIMEOUT_CHECK", 0.1)
    # (a body's time counts from when it is sent, its worker's start included: a new pool's
    # worker on a loaded machine took ~4 s to start and parse the ordinary body)
    pool = ParsePool(workers=1, inline_below=0, inline_budget=0, timeout=8.0, slow_after=0.3)

    def slow(tag: str) -> Fetched:
        return fetched(big_feed(1, tag).replace(b"<channel>", b"<channel><!-- slow -->"))

    async def scenario() -> tuple[int, int, bool]:
        first = asyncio.ensure_future(pool.parse(SOURCE, slow("a"), NOW))
        await asyncio.sleep(0.2)  # (the first is handed out first, and is killed first)
        second = asyncio.ensure_future(pool.parse(SOURCE, slow("b"), NOW))  # (in its pipe)
        third = asyncio.ensure_future(pool.parse(SOURCE, slow("c"), NOW))  # (beside it)
        with pytest.raises(ParseError):
            await first
        still_slow = not third.done()  # (the third's worker, of the old pool, goes on)
        ordinary = asyncio.ensure_future(pool.parse(SOURCE, fetched(big_feed(2)), NOW))
        await asyncio.sleep(0)  # (the ordinary body is handed to the new pool)
        assert pool._pool is not None
        workers = len(pool._pool.pids)
        _, items = await ordinary
        await asyncio.gather(second, third, return_exceptions=True)  # (killed in turn)
        return workers, len(items), still_slow

    try:
        workers, items, still_slow = asyncio.run(scenario())
    finally:
        pool.close()
    assert still_slow and items == 2
    assert workers == 1


def unclosed(size: int) -> Fetched:
    """A body of `size` bytes of elements never closed: seconds of feedparser's time."""
    return fetched(big_feed(1).replace(b"<description>", b"<description>" + b"<x>" * (size // 3)))


def test_a_body_slow_in_a_thread_is_handed_to_a_worker(caplog: pytest.LogCaptureFixture) -> None:
    """Small bodies, and a pass's first big ones, parse in a thread of the service's process,
    which cannot be killed: a hostile one took ~23 s of it. Past `in_thread_for` the
    thread's parse gives itself up and a worker (which has the deadline) parses the body."""
    caplog.set_level(logging.WARNING, "aggregator")
    pool = ParsePool(workers=1, inline_below=2**30, in_thread_for=0.05)
    try:
        _, items = asyncio.run(pool.parse(SOURCE, unclosed(48 * 1024), NOW))
    finally:
        pool.close()
    assert len(items) == 1
    assert pool.started == 1
    assert "took over 0 s; a parse worker takes it over" in caplog.text


def test_a_body_slow_in_a_thread_without_workers_fails_at_the_deadline() -> None:
    """With the workers given up (`in_place`) a body parses in a thread: it is given up at
    `timeout`, as a worker would be killed, not read for as long as it takes."""
    pool = ParsePool(workers=1, inline_below=0, timeout=1.0)
    pool.in_place = "no worker could start"
    started = time.monotonic()
    with pytest.raises(ParseError, match="parsing took longer than 1 s"):
        asyncio.run(pool.parse(SOURCE, unclosed(256 * 1024), NOW))
    assert time.monotonic() - started < 5.0  # (read in full: ~20 s)
    assert pool.started == 0


def test_a_workers_start_is_not_counted_as_its_first_bodys_parse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A body's time was counted from when it was sent to its worker, the worker's start
    included (a fresh interpreter: ~4 s on a loaded machine, where a test's ordinary body was
    killed at a 4 s deadline). It counts from when the worker said it is ready."""
    import slow_parse

    import aggregator.worker_pool as worker_pool

    command = worker_pool._command

    def slow_to_start(tasks: int, answers: int) -> list[str]:
        *start, code = command(tasks, answers)
        return [*start, "import time; time.sleep(2.5); " + code]

    monkeypatch.setattr(worker_pool, "_command", slow_to_start)
    monkeypatch.setattr(parse_pool_module, "_parse_in_worker", slow_parse.parse_or_stall)
    monkeypatch.setattr(parse_pool_module, "_TIMEOUT_CHECK", 0.1)  # (a queued body's looks)
    pool = ParsePool(workers=1, inline_below=0, inline_budget=0, timeout=3.0)
    body = fetched(big_feed(2).replace(b"<channel>", b"<channel><!-- a while -->"))
    try:
        _, items = asyncio.run(pool.parse(SOURCE, body, NOW))
    finally:
        pool.close()
    assert len(items) == 2


def test_a_body_that_kills_its_worker_twice_fails_its_feed_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool = stalling_pool(monkeypatch, timeout=60.0)
    deadly = fetched(big_feed(3).replace(b"<channel>", b"<channel><!-- die -->"))
    try:
        died, *others = parse_beside(pool, deadly)
        assert isinstance(died, BrokenProcessPool)
        assert [len(items) for _, items in others] == [4, 4, 4]  # type: ignore[misc]
    finally:
        pool.close()


@pytest.mark.parametrize("round_size", ["small", "large"])
def test_no_fetch_fails_because_our_own_work_delays_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, round_size: str
) -> None:
    """Many slow feeds, few fetch slots, a short connect timeout, big feeds parsed in worker
    processes (a large round: two of them) or in threads (a small one: none), and threads
    hogging the CPU in the service process: every feed that answered in time is recorded as
    a success (waiting for a slot is not a connect timeout), and no body is parsed on the
    event loop's thread.

    The big feeds come first, so their parsing (and the worker processes' start) overlaps
    the slow fetches. The 24 slow feeds queue ~4.8 s for the 4 slots, well past the 3 s
    connect timeout. The timeouts leave room for the hogs' hold on the GIL: the upstream
    answers from this process's loop too, and two hogging threads slow every switch back to
    it (1 s connect and 10 s total limits ran out on a quiet 2-core machine). The hogs stop
    when every feed is recorded: grouping runs after the fetches, so hogging it would prove
    nothing and only slow the test down."""
    settings = Settings()
    settings = dataclasses.replace(
        settings,
        fetch=FetchSettings(total_timeout=60.0, connect_timeout=3.0, per_host=64, concurrency=4),
    )
    stop = threading.Event()
    hogged = [0, 0]

    def hog(k: int) -> None:
        while not stop.is_set():
            sum(i * i for i in range(20_000))
            hogged[k] += 1

    parsed_on: list[int] = []  # threads of this process that parsed a body
    in_process = parse_pool_module.parse_items

    def recording(*args: object, **kwargs: object) -> tuple[ParsedFeed, list[Item]]:
        parsed_on.append(threading.get_ident())
        return in_process(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parse_pool_module, "parse_items", recording)

    async def scenario() -> None:
        async with Upstream() as up:
            urls = [up.add_feed(f"/big{n}.xml", big_feed(60, tag=str(n))) for n in range(6)]
            urls += [up.url(f"/slow?delay=0.8&n={n}") for n in range(24)]
            service = service_over(urls, tmp_path, settings)
            if round_size == "large":  # any big body goes to a worker, and both start
                pool = ParsePool(workers=2, inline_below=16 * 1024, inline_budget=0, spread_above=0)
            else:  # the big bodies fit the pass's budget for threads
                pool = ParsePool(workers=2, inline_below=16 * 1024, inline_budget=2**30)
            service.polls.parser = pool
            hogs = [threading.Thread(target=hog, args=(k,)) for k in range(2)]
            group = service._group_and_summarize

            def stop_hogs_then_group() -> int:
                stop.set()
                return group()

            service._group_and_summarize = stop_hogs_then_group  # type: ignore[method-assign]
            for thread in hogs:
                thread.start()
            try:
                await service.load_sources(strict=True)
                async with Fetcher(settings.fetch) as fetcher:
                    report = await service.poll_cycle(fetcher)
            finally:
                stop.set()
                for thread in hogs:
                    thread.join()
                service.close()
            assert report.feeds == 30
            assert report.errors == 0, report.statuses
            assert up.max_in_flight <= 4
            assert report.items_new == 6 * 60
            assert all(hogged), "the hogs ran while feeds were fetched"
            assert threading.get_ident() not in parsed_on, "a body was parsed on the loop"
            if round_size == "large":  # the small bodies in threads, the big ones in workers
                assert len(parsed_on) == 24 and pool.started == 2
            else:
                assert len(parsed_on) == 30 and pool.started == 0

    asyncio.run(scenario())


def test_bodies_waiting_for_the_parser_are_bounded_and_every_feed_is_stored(
    tmp_path: Path,
) -> None:
    """On loopback fetching outruns parsing: without a bound, a pass's bodies all waited in
    the service's process for the worker. Fetches start only while fewer than `backlog`
    bodies wait, so at most `backlog` + the fetcher's concurrency wait at once; every feed
    is still fetched once, parsed and stored, and no fetch fails for the wait."""
    settings = dataclasses.replace(
        Settings(), fetch=FetchSettings(total_timeout=60.0, per_host=64, concurrency=3)
    )
    pool = ParsePool(workers=1, inline_below=0, inline_budget=0, backlog=2)

    async def scenario() -> None:
        async with Upstream() as up:
            urls = [up.add_feed(f"/f{n}.xml", big_feed(60, tag=f"f{n}")) for n in range(30)]
            async with parsing_only(urls, tmp_path, settings, pool) as (service, fetcher):
                report = await service.poll_cycle(fetcher)
            assert report.feeds == 30 and report.errors == 0, report.statuses
            assert report.items_new == 30 * 60
            assert sorted(r.path for r in up.requests) == sorted(f"/f{n}.xml" for n in range(30))

    asyncio.run(scenario())
    # The worker takes a while to start while loopback fetches take milliseconds: the
    # backlog fills up to its bound, never past it.
    assert 2 <= pool.backlog_peak <= 2 + 3
    assert pool.backlog == 0 and not pool._room


def test_fetches_waiting_for_room_all_go_once_the_backlog_falls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three fetches wait while a body is parsed; when it is answered, all three go on,
    though none of them brings a body (a 304): each answer let one fetch go, and a fetch
    with no body gives no answer to let the next one go, so the others waited for ever (a
    `run` stopped polling, its event loop idle, with a round of 304s and changed feeds)."""
    release = threading.Event()

    def slow_parse(
        source: Source, fetched: Fetched, now: datetime, give_up: object = None
    ) -> tuple[ParsedFeed, list[Item]]:
        release.wait(10)
        return ParsedFeed(title="A", link=None, entries=()), []

    monkeypatch.setattr(parse_pool_module, "parse_items", slow_parse)
    pool = ParsePool(workers=1, backlog=1)

    async def scenario() -> None:
        body = Fetched(url=SOURCE.url, final_url=SOURCE.url, status=200, body=b"<rss/>")
        parsing = asyncio.create_task(pool.parse(SOURCE, body, NOW))
        await asyncio.sleep(0.01)
        assert pool.backlog == 1
        waiting = [asyncio.create_task(pool.room()) for _ in range(3)]
        await asyncio.sleep(0.01)
        assert not any(task.done() for task in waiting) and len(pool._room) == 3
        release.set()
        await parsing
        await asyncio.wait_for(asyncio.gather(*waiting), 5)
        assert pool.backlog == 0 and not pool._room

    asyncio.run(scenario())


def test_a_pass_of_changed_feeds_and_304s_behind_a_full_backlog_ends(tmp_path: Path) -> None:
    """The same through a whole pass: changed feeds fill a backlog of one while feeds whose
    answer is 304 wait behind them; every feed is polled and the pass ends."""
    settings = dataclasses.replace(
        Settings(), fetch=FetchSettings(total_timeout=60.0, per_host=64, concurrency=4)
    )
    pool = ParsePool(workers=1, inline_below=0, inline_budget=0, backlog=1)

    async def scenario() -> None:
        async with Upstream() as up:
            urls = [up.add_feed(f"/f{n}.xml", big_feed(60, tag=f"f{n}")) for n in range(24)]
            async with parsing_only(urls, tmp_path, settings, pool) as (service, fetcher):
                await service.poll_cycle(fetcher, everything=True)
                for n in range(0, 24, 3):  # a third of them changed since
                    up.add_feed(f"/f{n}.xml", big_feed(60, tag=f"g{n}"))
                report = await asyncio.wait_for(service.poll_cycle(fetcher, everything=True), 30)
            assert (report.feeds, report.errors, report.items_new) == (24, 0, 8 * 60)

    asyncio.run(scenario())


def test_parse_workers_exit_before_grouping_and_return_for_the_next_pass(tmp_path: Path) -> None:
    """The workers' memory is not added to grouping's: they exit when the feeds are stored,
    and the next pass that has a big body to parse starts new ones."""
    workers_while_grouping: list[int] = []

    async def scenario() -> None:
        async with Upstream() as up:
            url = up.add_feed("/big.xml", big_feed(tag="a"))
            service = service_over([url], tmp_path, Settings())
            service.polls.parser = ParsePool(workers=1, inline_below=0, inline_budget=0)
            group = service._group_safely

            def counting_group() -> int:
                # (the workers are fresh interpreters, not multiprocessing's: children of ours)
                workers_while_grouping.append(len(psutil.Process().children()))
                return group()

            service._group_safely = counting_group  # type: ignore[method-assign]
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    first = await service.poll_cycle(fetcher, everything=True)
                    up.add_feed("/big.xml", big_feed(tag="b"))
                    second = await service.poll_cycle(fetcher, everything=True)
            finally:
                service.close()
            assert (first.items_new, second.items_new) == (120, 120)
            assert (first.errors, second.errors) == (0, 0)
            assert service.polls.parser.started == 2  # one worker a pass

    asyncio.run(scenario())
    assert workers_while_grouping == [0, 0]


def test_the_pool_is_sized_to_each_pass_s_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One service, four passes over the same pool: 14 big bodies start two workers (more
    waits for them than `spread_above`), then 2 changed feeds parse in threads within the
    pass's budget (no worker), then 5 changed feeds start one worker, and 2 changed feeds
    start one when the parser is not loaded in the service's process; every item is stored."""
    size = len(big_feed(60, tag="a00"))
    pool = ParsePool(
        workers=2, inline_below=16 * 1024, inline_budget=2 * size + 100, spread_above=6 * size
    )
    started: list[int] = []

    async def scenario() -> None:
        async with Upstream() as up:
            urls = [up.add_feed(f"/f{n}.xml", big_feed(60, tag=f"a{n:02d}")) for n in range(14)]
            service = service_over(urls, tmp_path, Settings())
            service.polls.parser = pool
            service._group_and_summarize = lambda: 0  # type: ignore[method-assign]
            reports = []
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    for changed, tag in ((14, "a"), (2, "b"), (5, "c"), (2, "d")):
                        if tag == "d":
                            monkeypatch.setattr(parse_pool_module, "parser_loaded", lambda: False)
                        for n in range(changed):
                            up.add_feed(f"/f{n}.xml", big_feed(60, tag=f"{tag}{n:02d}"))
                        before = pool.started
                        reports.append(await service.poll_cycle(fetcher, everything=True))
                        started.append(pool.started - before)
            finally:
                service.close()
            assert [r.items_new for r in reports] == [14 * 60, 2 * 60, 5 * 60, 2 * 60]
            assert [r.errors for r in reports] == [0, 0, 0, 0]

    asyncio.run(scenario())
    assert started == [2, 0, 1, 1]


@pytest.mark.parametrize(("cpus", "workers"), [(1, 1), (2, 1), (4, 3)])
def test_the_pool_leaves_a_core_to_the_service(
    monkeypatch: pytest.MonkeyPatch, cpus: int, workers: int
) -> None:
    """At most one worker per usable CPU but one (at least one): the service's own process
    keeps a core busy while bodies arrive."""
    monkeypatch.setattr(parse_pool_module, "usable_cpus", lambda: cpus)
    assert ParsePool().workers == workers
    assert ParsePool(workers=2).workers == 2  # (asked for: as many)


def in_a_copy(
    tmp_path: Path, script: str, *args: str, new_times: bool = False
) -> subprocess.CompletedProcess[str]:
    """`script` run in a fresh interpreter that imports a copy of the package
    (`tmp_path/site/aggregator`, its path the script's last argument, after `args`), from
    `tmp_path` (not the checkout: `-c` puts the working directory first on the path);
    `new_times`: the copy's files get the time of the copy, not the checkout's."""
    copy = tmp_path / "site" / "aggregator"
    package = Path(aggregator.parse.__file__).parent
    shutil.copytree(
        package,
        copy,
        ignore=shutil.ignore_patterns("__pycache__"),
        copy_function=shutil.copy if new_times else shutil.copy2,
    )
    return subprocess.run(
        [sys.executable, "-c", script, *args, str(copy)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(copy.parent)},
        cwd=tmp_path,
        timeout=120,
    )


UPGRADE_SCRIPT = """
import asyncio, json, logging, pathlib, sys
from datetime import UTC, datetime

import aggregator
from aggregator.models import Fetched, Source
from aggregator.parse_pool import ParsePool
from aggregator.worker_main import code_stamp

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
code_stamp()  # (as a service does at its start)
source = Source("http://feeds.example/a.xml", "A", "World News")
items = "".join(
    f"<item><title>Story {i} about the harbour bridge</title><guid>g{i}</guid>"
    f"<link>http://news.example/{i}</link><description>Paragraph {i}.</description></item>"
    for i in range(40)
)
body = f"<?xml version='1.0'?><rss version='2.0'><channel><title>A</title>{items}</channel></rss>"
fetched = Fetched(source.url, source.url, 200, body.encode(), {})
now = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


async def main() -> None:
    pool = ParsePool(inline_below=0, inline_budget=0)
    before = (await pool.parse(source, fetched, now))[1]
    pool.close()  # (the pass ends: the next one starts new workers)
    package = pathlib.Path(aggregator.__file__).parent
    assert package == pathlib.Path(sys.argv[2]), package  # (the copy, never the checkout)
    for name, text in json.loads(sys.argv[1]).items():  # the upgrade, on disk
        with open(package / name, "a") as module:
            module.write(text)
    outcomes = []
    for _ in range(3):  # three passes after the upgrade
        answers = await asyncio.gather(
            *(pool.parse(source, fetched, now) for _ in range(4)), return_exceptions=True
        )
        outcomes += [repr(a) if isinstance(a, BaseException) or a[1] != before else "ok"
                     for a in answers]
        pool.close()
    print(json.dumps({"outcomes": outcomes, "in_place": pool.in_place}))


asyncio.run(main())
"""


@pytest.mark.parametrize(
    "upgrade",
    [
        # a module a worker imports, half written as pip replaced it
        {"worker_main.py": "\nraise ImportError('half-installed')\n"},
        # a new version whose task no longer fits what this process sends it
        {"parse_task.py": "\ndef parse_in_worker(*args):\n    raise TypeError('new code')\n"},
        # an edit that changes nothing a worker does: still other code than the service's
        {"parse_task.py": "\n# a comment\n"},
    ],
    ids=["worker-dies-on-import", "incompatible-task", "harmless-edit"],
)
def test_an_upgrade_on_disk_while_the_service_runs_costs_no_feed(
    tmp_path: Path, upgrade: dict[str, str]
) -> None:
    """The parse workers start for each pass, as fresh interpreters that import the package
    from disk: after `pip install` of another version they ran code other than the
    service's, or died importing it, and the service's feeds failed until a restart. A copy
    of the package is upgraded between two passes: every body still parses (in the service's
    own process from then on), and the log says once to restart."""
    import json

    run = in_a_copy(tmp_path, UPGRADE_SCRIPT, json.dumps(upgrade))
    assert run.returncode == 0, run.stderr
    said = json.loads(run.stdout)
    assert said["outcomes"] == ["ok"] * 12
    assert said["in_place"]
    restart = [line for line in run.stderr.splitlines() if "restart" in line]
    assert len(restart) == 1 and restart[0].startswith("ERROR parse workers are not used")


def test_a_worker_that_ends_as_it_starts_is_replaced_and_then_given_up(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The package unchanged, a worker that ends before it is ready (the system killed it,
    a broken interpreter) is replaced; when the next one ends so too, bodies parse in this
    process from then on, said once. No feed fails for it."""
    import sys

    import aggregator.worker_pool as worker_pool

    real = worker_pool._command
    failing = [2]  # workers that end as they start, before the real ones

    def command(tasks: int, answers: int) -> list[str]:
        if failing[0]:
            failing[0] -= 1
            return [sys.executable, "-c", "raise SystemExit(3)"]
        return real(tasks, answers)

    monkeypatch.setattr(worker_pool, "_command", command)
    body = big_feed(40)
    expected = parse_items(SOURCE, fetched(body), NOW)[1]

    async def parse_twice(failures: int) -> tuple[ParsePool, list[list[Item]]]:
        failing[0] = failures
        pool = ParsePool(inline_below=0, inline_budget=0)
        try:
            answers = [(await pool.parse(SOURCE, fetched(body), NOW))[1] for _ in range(2)]
            return pool, answers
        finally:
            pool.close()

    with caplog.at_level(logging.WARNING, logger="aggregator"):
        pool, answers = asyncio.run(parse_twice(1))
    assert answers == [expected, expected] and pool.in_place is None and pool.started == 2
    said = [r.getMessage() for r in caplog.records]
    assert said == ["a parse worker could not start (a worker process ended as it started); "
                    "starting another"]  # fmt: skip
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="aggregator"):
        pool, answers = asyncio.run(parse_twice(2))
    assert answers == [expected, expected] and pool.started == 2  # (none after the second)
    assert pool.in_place == "a worker process ended as it started"
    assert [r.levelname for r in caplog.records] == ["WARNING", "ERROR"]
    assert "restart" in caplog.records[-1].getMessage()


MOVED_ASIDE_SCRIPT = """
import asyncio, json, os, pathlib, sys
from datetime import UTC, datetime

import aggregator
from aggregator.models import Fetched, Source
from aggregator.parse_pool import ParsePool, parse_items
from aggregator.worker_main import code_stamp

code_stamp()  # (as a service does at its start)
source = Source("http://feeds.example/a.xml", "A", "World News")
items = "".join(
    f"<item><title>Story {i}</title><guid>g{i}</guid><link>http://news.example/{i}</link></item>"
    for i in range(40)
)
body = f"<?xml version='1.0'?><rss version='2.0'><channel><title>A</title>{items}</channel></rss>"
fetched = Fetched(source.url, source.url, 200, body.encode(), {})
now = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


async def main() -> None:
    parse_items(source, fetched, now)  # (as a service that parsed a small body in place)
    pool = ParsePool(inline_below=0, inline_budget=0)
    before = (await pool.parse(source, fetched, now))[1]
    pool.close()
    package = pathlib.Path(aggregator.__file__).parent
    assert package == pathlib.Path(sys.argv[1]), package  # (the copy, never the checkout)
    os.rename(package, f"{package}.stash")  # (pip's uninstall step, before it writes anew)
    answers = await asyncio.gather(
        *(pool.parse(source, fetched, now) for _ in range(4)), return_exceptions=True
    )
    pool.close()
    outcomes = [repr(a) if isinstance(a, BaseException) or a[1] != before else "ok"
                for a in answers]
    print(json.dumps({"outcomes": outcomes, "in_place": pool.in_place}))


asyncio.run(main())
"""


def test_a_pass_while_pip_has_moved_the_package_aside_costs_no_feed(tmp_path: Path) -> None:
    """pip's upgrade first moves the installed package's files aside: a worker started then
    cannot import it and ends, and the package's folder cannot be read. That is a change of
    the files too (each feed had failed as a worker that died twice)."""
    import json

    # (files of new times: where the checkout is installed too (editable, as CI's), a worker
    # that cannot import the moved copy imports the checkout, which must not stamp as it)
    run = in_a_copy(tmp_path, MOVED_ASIDE_SCRIPT, new_times=True)
    assert run.returncode == 0, run.stderr
    said = json.loads(run.stdout)
    assert said["outcomes"] == ["ok"] * 4
    assert said["in_place"] and "changed" in said["in_place"]


def test_a_package_in_a_zip_archive_is_stamped_by_its_archive(tmp_path: Path) -> None:
    """A service that imports the package from a zip (a zipapp) starts: its stamp is the
    archive's, which another archive in its place changes."""
    import zipfile

    from aggregator.worker_main import package_stamp

    archive = tmp_path / "app.pyz"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("aggregator/__init__.py", "")
    stamp = package_stamp(str(archive / "aggregator"))
    assert stamp == package_stamp(str(archive / "aggregator"))
    with zipfile.ZipFile(archive, "a") as zipped:
        zipped.writestr("aggregator/worker_main.py", "# a new version")
    assert package_stamp(str(archive / "aggregator")) != stamp
    assert package_stamp(str(tmp_path / "gone" / "aggregator")) != stamp


# A service's start in a copy of the package (argv[1]), one feed's body to parse in workers.
COPY_SCRIPT_HEAD = """
import asyncio, json, logging, os, pathlib, sys
from datetime import UTC, datetime

import aggregator
from aggregator.models import Fetched, Source
from aggregator.parse_pool import ParsePool
from aggregator.worker_main import code_stamp

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
code_stamp()  # (as a service does at its start)
source = Source("http://feeds.example/a.xml", "A", "World News")
items = "".join(
    f"<item><title>Story {i}</title><guid>g{i}</guid><link>http://news.example/{i}</link></item>"
    for i in range(40)
)
body = f"<?xml version='1.0'?><rss version='2.0'><channel><title>A</title>{items}</channel></rss>"
fetched = Fetched(source.url, source.url, 200, body.encode(), {})
now = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)
"""

REINSTALLED_SCRIPT = (
    COPY_SCRIPT_HEAD
    + """

async def main() -> None:
    pool = ParsePool(inline_below=0, inline_budget=0)
    before = (await pool.parse(source, fetched, now))[1]
    pool.close()
    package = pathlib.Path(aggregator.__file__).parent
    assert package == pathlib.Path(sys.argv[1]), package  # (the copy, never the checkout)
    for module in package.glob("*.py"):  # the same files written again, later
        module.write_bytes(module.read_bytes())
        os.utime(module, ns=(module.stat().st_atime_ns, module.stat().st_mtime_ns + 10**9))
    outcomes = []
    for _ in range(2):  # two passes after it
        answers = await asyncio.gather(
            *(pool.parse(source, fetched, now) for _ in range(4)), return_exceptions=True
        )
        outcomes += [repr(a) if isinstance(a, BaseException) or a[1] != before else "ok"
                     for a in answers]
        pool.close()
    print(json.dumps({"outcomes": outcomes, "in_place": pool.in_place}))


asyncio.run(main())
"""
)


def test_the_same_files_written_again_keep_the_parse_workers(tmp_path: Path) -> None:
    """A reinstall of the same code (`pip install .` of an unchanged checkout, run by a
    deploy script or configuration management without a restart) writes every file again:
    their times change, the code does not, and the workers are still used."""
    import json

    run = in_a_copy(tmp_path, REINSTALLED_SCRIPT)
    assert run.returncode == 0, run.stderr
    said = json.loads(run.stdout)
    assert said["outcomes"] == ["ok"] * 8
    assert said["in_place"] is None, said
    assert "restart" not in run.stderr


ROLLED_BACK_SCRIPT = (
    COPY_SCRIPT_HEAD
    + """

async def a_pass(pool, before):
    answers = await asyncio.gather(
        *(pool.parse(source, fetched, now) for _ in range(4)), return_exceptions=True
    )
    pool.close()
    return [repr(a) if isinstance(a, BaseException) or a[1] != before else "ok" for a in answers]


async def main() -> None:
    pool = ParsePool(inline_below=0, inline_budget=0)
    before = (await pool.parse(source, fetched, now))[1]
    pool.close()
    package = pathlib.Path(aggregator.__file__).parent
    assert package == pathlib.Path(sys.argv[1]), package  # (the copy, never the checkout)
    module = package / "parse_task.py"
    original = module.read_bytes()
    module.write_bytes(original + b"\\n# a new version\\n")  # the upgrade
    outcomes = await a_pass(pool, before)
    upgraded = {"in_place": pool.in_place, "started": pool.started}
    module.write_bytes(original)  # rolled back: the files as at start, at a later time
    mtime = module.stat().st_mtime_ns + 10**9
    os.utime(module, ns=(mtime, mtime))
    for _ in range(2):  # two passes after it
        outcomes += await a_pass(pool, before)
    print(json.dumps({"outcomes": outcomes, "upgraded": upgraded, "in_place": pool.in_place,
                      "started": pool.started}))


asyncio.run(main())
"""
)


def test_parse_workers_come_back_once_an_upgrade_is_rolled_back(tmp_path: Path) -> None:
    """Given up while the package's files held other code than the service's, the parse
    workers are used again, without a restart, once the files hold the service's code again
    (the upgrade rolled back: the old files written back, at new times)."""
    import json

    run = in_a_copy(tmp_path, ROLLED_BACK_SCRIPT)
    assert run.returncode == 0, run.stderr
    said = json.loads(run.stdout)
    assert said["outcomes"] == ["ok"] * 12
    assert said["upgraded"]["in_place"] and "changed" in said["upgraded"]["in_place"]
    assert said["in_place"] is None, said
    assert said["started"] == said["upgraded"]["started"] + 2  # (a pool each pass after)
    back = [line for line in run.stderr.splitlines() if "used again" in line]
    assert back == [
        "INFO the package's files hold the service's code again: parse workers are used again"
    ]
