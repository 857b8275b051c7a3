"""A pass that makes no progress for long is stalled: logged with what it waits for, and the
process stops with exit status 4 (`aggregator.stall`, `Service.guarded`, `Service.run`)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
import types
from pathlib import Path
from typing import Any

import pytest
from news_fixture import feeds
from upstream import Upstream, opml

import aggregator.cli_service as cli_service
import aggregator.service as service_module
from aggregator.cli import main
from aggregator.config import Settings
from aggregator.fetch import Fetcher, FetchSettings
from aggregator.llm_settings import LLMSettings
from aggregator.parse_pool import PARSE_TIMEOUT
from aggregator.service import Service
from aggregator.stall import (
    _PARSE_DEADLINE,
    STALLED,
    Stalled,
    StallGuard,
    stall_limit,
    task_names,
    thread_cpu,
)
from aggregator.store import Store

FEEDS = feeds()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.cpu = 5.0


def test_a_guard_counts_the_time_since_a_job_was_done_or_the_writer_worked() -> None:
    clock = Clock()
    guard = StallGuard(100.0, lambda: clock.cpu, lambda: clock.now)
    assert guard.every == 10.0
    clock.now += 60
    assert guard.idle() == 60 and not guard.stalled()
    guard.mark()  # a job done
    clock.now += 99
    assert not guard.stalled()
    clock.now += 1
    assert guard.stalled()
    clock.cpu += 0.5  # a blocked thread spends next to nothing: not progress
    clock.now += 10
    assert guard.idle() == 110
    clock.cpu += 0.5  # a hundredth of the limit since the last counted look: progress
    assert guard.idle() == 0 and not guard.stalled()
    clock.now += 30
    assert guard.idle() == 30


def test_the_limit_never_undercuts_a_slow_feed_or_a_model_answer() -> None:
    settings = Settings()
    assert stall_limit(settings) == 900.0  # `[server] stall_after`
    assert _PARSE_DEADLINE == PARSE_TIMEOUT  # (kept apart so a pass of 304s loads no parser)
    slow = dataclasses.replace(settings, fetch=FetchSettings(total_timeout=3000.0))
    assert stall_limit(slow) == 3000.0 + PARSE_TIMEOUT + 60
    model = dataclasses.replace(settings, llm=LLMSettings(timeout=2000.0))
    assert stall_limit(model) == 2060.0
    server = dataclasses.replace(settings.server, stall_after=60)
    short = dataclasses.replace(settings, server=server)
    assert stall_limit(short) == 30.0 + PARSE_TIMEOUT + 60


def test_a_threads_cpu_clock_is_read_from_another_thread() -> None:
    started, go, spun, end = (threading.Event() for _ in range(4))
    ident: list[int] = []

    def work() -> None:
        ident.append(threading.get_ident())
        started.set()
        go.wait(10)
        until = time.thread_time() + 0.3  # (its own CPU: a loaded machine gives it less wall)
        while time.thread_time() < until:
            pass
        spun.set()
        end.wait(10)

    thread = threading.Thread(target=work)
    thread.start()
    started.wait(10)
    cpu = thread_cpu(ident[0])
    before = cpu()
    time.sleep(0.2)  # the thread waits: its clock stands still
    waited = cpu()
    assert waited - before < 0.05
    go.set()
    spun.wait(10)
    worked = cpu()
    assert worked - waited >= 0.2
    end.set()
    thread.join()
    time.sleep(0.2)  # (the thread is gone: its clock with it; the last reading stays)
    ended = cpu()
    assert ended - worked < 0.05 and cpu() == ended


def settings() -> Settings:
    base = Settings()
    return dataclasses.replace(
        base,
        server=dataclasses.replace(base.server, tick=0.2, shutdown_grace=0.5),
        fetch=FetchSettings(total_timeout=2.0, connect_timeout=1.0),
        articles=dataclasses.replace(base.articles, enabled=False),
    )


class Blocked:
    """Stands in for `Store.save_polls`: blocks the writer thread until released (then does
    what it stands for), or works the CPU for `spin` seconds first."""

    def __init__(self, save: Any, spin: float = 0.0) -> None:
        self.save = save
        self.spin = spin
        self.release = threading.Event()
        self.entered = 0

    def __call__(self, polls: Any) -> Any:
        self.entered += 1
        if self.spin:
            end = time.thread_time() + self.spin
            while time.thread_time() < end:
                pass
        else:
            self.release.wait(60)
        return self.save(polls)


def blocking(service: Service, limit: float, spin: float = 0.0) -> Blocked:
    """`service` with a guard of `limit` seconds, its `save_polls` a `Blocked` (returned)."""
    service.guard.limit = limit
    save_polls = Blocked(service.store.save_polls, spin)
    service.store.save_polls = save_polls  # type: ignore[method-assign]
    return save_polls


def one_feed(up: Upstream, tmp_path: Path) -> Path:
    path = tmp_path / "feeds.opml"
    path.write_text(opml(up.add_feed("/a.xml", FEEDS["/dailyplanet/world.xml"])))
    return path


async def poll(service: Service) -> int:
    await service.load_sources(strict=True)
    async with Fetcher(service.settings.fetch) as fetcher:
        report = await service.poll_cycle(fetcher)
    return report.items_new


def test_run_stops_when_its_writer_is_blocked_for_good_and_says_where(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The event loop turns (the systemd watchdog would be pinged), but the pass waits for a
    writer job that never ends: the service logs the stall, calls `on_stall` and stops."""
    calls: list[bool] = []

    async def scenario() -> None:
        async with Upstream() as up:
            path = one_feed(up, tmp_path)
            service = Service(
                path, tmp_path / "agg.db", settings(), on_stall=lambda: calls.append(True)
            )
            save_polls = blocking(service, 1.0)
            stop = asyncio.Event()
            task = asyncio.create_task(service.run("127.0.0.1", 0, stop, serve=False))
            try:
                await asyncio.wait_for(asyncio.shield(task), 20)  # it stops by itself
            finally:
                stop.set()
                save_polls.release.set()
                await asyncio.wait_for(task, 10)
                service.close()
            assert service.stalled and calls == [True]
            assert save_polls.entered == 1

    with caplog.at_level(logging.INFO, logger="aggregator"):
        asyncio.run(scenario())
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(
        "stalled: no progress for" in m and "the writer thread has been in Blocked" in m
        for m in errors
    ), errors
    stacks = next(m for m in errors if "where the other threads are" in m)
    assert "db-writer" in stacks and "release.wait" in stacks


def test_a_pass_stuck_off_the_writer_is_found_though_other_jobs_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The cycle waits for a parse that never answers; a job beside it (as the article job
    does) writes all the while. Its writes are not the pass's progress."""
    from aggregator.parse_pool import ParsePool

    async def never(*args: Any) -> Any:
        await asyncio.Event().wait()

    monkeypatch.setattr(ParsePool, "parse", never)
    writes: list[int] = []

    async def scenario() -> None:
        async with Upstream() as up:
            path = one_feed(up, tmp_path)
            service = Service(path, tmp_path / "agg.db", settings())
            service.guard.limit = 1.0

            async def beside() -> None:
                while True:
                    writes.append(await service.write(lambda: 1))
                    await asyncio.sleep(0.05)

            other = asyncio.create_task(beside())
            stop = asyncio.Event()
            task = asyncio.create_task(service.run("127.0.0.1", 0, stop, serve=False))
            try:
                await asyncio.wait_for(asyncio.shield(task), 20)
            finally:
                stop.set()
                other.cancel()
                await asyncio.wait_for(task, 10)
                service.close()
            assert service.stalled and len(writes) > 20

    with caplog.at_level(logging.INFO, logger="aggregator"):
        asyncio.run(scenario())
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("the writer thread is idle" in m and "PollJob._poll_feed" in m for m in errors), (
        errors
    )


def test_a_long_job_the_writer_works_at_is_not_a_stall(tmp_path: Path) -> None:
    """A grouping pass is one writer job: its CPU time is its progress."""

    async def scenario() -> None:
        async with Upstream() as up:
            service = Service(one_feed(up, tmp_path), tmp_path / "agg.db", settings())
            blocking(service, 0.5, spin=2.0)  # 4x the limit
            try:
                new = await service.guarded(poll(service))
                assert new > 0 and service.store.db["items"].count == new
                assert not service.stalled
            finally:
                service.close()

    asyncio.run(scenario())


def test_a_one_shot_pass_that_stalls_is_cancelled_and_says_so(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Upstream() as up:
            service = Service(one_feed(up, tmp_path), tmp_path / "agg.db", settings())
            save_polls = blocking(service, 0.5)
            try:
                with pytest.raises(Stalled):
                    await asyncio.wait_for(service.guarded(poll(service)), 20)
                assert service.stalled
            finally:
                save_polls.release.set()
                service.close()

    asyncio.run(scenario())


def test_poll_once_that_stalls_exits_with_status_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cron `poll --once` that stalls ends (so the writer lock goes with it) with status 4,
    after arming the exit that ends a process whose threads would not let it stop."""
    armed: list[float] = []
    blocked: list[Blocked] = []
    real_save = Store.save_polls

    def save_polls(self: Store, polls: Any) -> Any:
        if not blocked:
            blocked.append(Blocked(lambda p: real_save(self, p)))
        return blocked[0](polls)

    def exit_after(seconds: float) -> None:
        armed.append(seconds)
        blocked[0].release.set()  # (the real one ends the process; here it lets it stop)

    monkeypatch.setattr(Store, "save_polls", save_polls)
    monkeypatch.setattr(service_module, "stall_limit", lambda settings: 0.5)
    monkeypatch.setattr(cli_service, "exit_after", exit_after)

    async def scenario() -> int:
        async with Upstream() as up:
            path = one_feed(up, tmp_path)
            args = ["poll", "--once", "--opml", str(path), "--db", str(tmp_path / "agg.db")]
            return await asyncio.to_thread(main, args)

    assert asyncio.run(scenario()) == STALLED == 4
    assert armed == [Settings().server.shutdown_grace + cli_service.STALLED_CLOSE]


def test_a_stall_names_every_kind_of_waiting_task() -> None:
    """The stuck one among them: the message named eight kinds at most, so with a ninth (the
    picture checks' loop) the stuck feed's could be left out, by the tasks' set order."""

    def waiting(name: str) -> Any:  # (a task as `task_names` reads one)
        coro = types.SimpleNamespace(__qualname__=name)
        return types.SimpleNamespace(done=lambda: False, get_coro=lambda: coro, get_name=str)

    tasks = [waiting(f"Job.kind_{n}") for n in range(12)]  # twelve kinds, the feed's last
    tasks += [waiting("PollJob._poll_feed")] * 3
    said = task_names(tasks)
    assert said.startswith("PollJob._poll_feed ×3, Job.kind_0, Job.kind_1, Job.kind_10, ")
    assert said.count("Job.kind_") == 12
    assert task_names([waiting(f"Job.kind_{n:02}") for n in range(20)]).endswith(
        "Job.kind_15, and 4 more"
    )
