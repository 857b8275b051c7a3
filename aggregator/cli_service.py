"""`aggregator run`, `poll` and `serve`: the service, one poll pass, and serving a database."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Coroutine, Iterator
from typing import Any

from .article_pass import ArticlePass
from .cli_support import (
    digest_ready,
    listen_on,
    no_server_there,
    open_for_reading,
    settings_from,
)
from .config import Settings, bounce_password
from .early_signals import stop_asked
from .fetch import Fetcher
from .lock import writer_lock
from .open_files import raise_open_files_limit
from .opml import load_opml
from .service import Service
from .stall import STALLED, Stalled, exit_after
from .wording import counted

log = logging.getLogger("aggregator")
# Seconds a stalled process gets beyond `shutdown_grace` to stop by itself (its grouping
# window written, its database closed) before it is ended (`stall.exit_after`).
STALLED_CLOSE = 30.0


def _on_stall(settings: Settings) -> None:
    exit_after(settings.server.shutdown_grace + STALLED_CLOSE)


def cmd_run(args: argparse.Namespace) -> int:
    from .settings_watch import SettingsWatch

    settings = settings_from(args)
    watch = SettingsWatch(args.config, settings, os.environ)
    password = digest_ready(settings)
    bounces = bounce_password(settings.digest, os.environ)
    host, port, settings = listen_on(args, settings)
    load_opml(args.opml)  # a bad OPML is reported before any database is created
    no_server_there(host, port)  # and a port another server holds
    raise_open_files_limit()
    with writer_lock(args.db, "run", opml=args.opml):
        service = Service(
            args.opml,
            args.db,
            settings,
            smtp_password=password,
            bounce_password=bounces,
            on_stall=lambda: _on_stall(settings),
            settings_watch=watch,
        )
        try:
            asyncio.run(_until_stopped(service, host, port))
        finally:
            with _stops_held():
                service.close()
    return STALLED if service.stalled else 0


async def _until_stopped(service: Service, host: str, port: int, *, serve: bool = True) -> None:
    """`service.run`, stopped at once by a SIGTERM that came while the process started."""
    stop = asyncio.Event()
    with contextlib.suppress(RuntimeError):  # (not the main thread: no signals to take)
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    if stop_asked():
        log.info("stopping: SIGTERM while starting")
        stop.set()
    await service.run(host, port, stop, serve=serve)


@contextlib.contextmanager
def _stops_held() -> Iterator[None]:
    """SIGTERM and SIGINT held off while the stopping service writes its last (the grouping
    window's snapshot, the database's close): the loop's handlers are gone by then, and a
    second signal had ended the process 143 (or 130) with that undone. A stop that hangs is
    still ended by systemd's SIGKILL (TimeoutStopSec)."""
    held = (signal.SIGTERM, signal.SIGINT)
    before = {sig: signal.signal(sig, signal.SIG_IGN) for sig in held}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def cmd_poll(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    load_opml(args.opml)  # a bad OPML is reported before any database is created
    raise_open_files_limit()
    with writer_lock(args.db, "poll --once" if args.once else "poll", opml=args.opml):
        return _poll(args, settings)


def _poll(args: argparse.Namespace, settings: Settings) -> int:
    service = Service(
        args.opml, args.db, settings, once=args.once, on_stall=lambda: _on_stall(settings)
    )

    async def once() -> None:
        await service.load_sources(strict=True)
        pages = ArticlePass()
        async with Fetcher(settings.fetch) as fetcher:
            report = await service.poll_cycle(fetcher, everything=args.all)
            if not service.stopping.is_set():
                budget = settings.articles.once_budget.total_seconds()
                pages = await service.fetch_articles(fetcher, budget=budget)
                await service.settle_summaries()  # model answers still on the way, if any
                await service.check_pictures(
                    fetcher, news=bool(report.stories_changed or pages.stories_marked)
                )
                await service.tell_hubs(fetcher)
        if not service.stopping.is_set():
            await service.run_retention()
            await service.run_backup()
        statuses = " ".join(f"{k}={v}" for k, v in sorted(report.statuses.items()))
        print(
            f"polled {counted(report.feeds, 'feed')} ({statuses or 'none due'}): "
            f"{counted(report.items_new, 'new item')}, {report.items_updated} updated, "
            f"{counted(report.stories_changed, 'story', 'stories')} changed"
        )
        if pages.fetched:
            again = f" ({pages.retrying} to try again later)" if pages.retrying else ""
            print(f"article pages: {pages.ok} with text, {pages.failed} failed or blocked{again}")
        if pages.left or pages.paced:
            print(
                f"article pages: stopped after [articles] once_budget; "
                f"{pages.left + pages.paced} or more left for the next run"
                + (" (their sites ask for a Crawl-delay)" if pages.paced else "")
            )

    try:
        if args.once:
            asyncio.run(_stoppable(service, service.guarded(once())))
        else:
            asyncio.run(_until_stopped(service, "", 0, serve=False))
    except Stalled:
        pass  # (logged, with what it waited for)
    except asyncio.CancelledError:  # (stopped: `_stoppable`)
        log.info("stopped before the pass ended; the next pass does the rest")
    finally:
        service.close()
    return STALLED if service.stalled else 0


async def _stoppable(service: Service, work: Coroutine[Any, Any, None]) -> None:
    """`work`, a one-shot pass, stopped by SIGTERM or SIGINT as `run` is: its grouping or
    summarising ends at its next boundary and it skips what comes after them (article pages,
    pictures, upkeep: `service.stopping`); fetches in flight get `shutdown_grace`, after
    which the pass is cancelled (raising CancelledError). What it stored stays stored."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(work)
    grace = service.settings.server.shutdown_grace

    def stop() -> None:
        if service.stopping.is_set():
            return
        log.info("stopping: letting in-flight polls finish (up to %g s)", grace)
        service.stopping.set()
        loop.call_later(grace, task.cancel)

    signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT)
    try:
        for sig in signals:
            loop.add_signal_handler(sig, stop)
    except RuntimeError:  # (not the main thread: a caller that embeds the command)
        signals = ()
    if stop_asked():
        stop()
    try:
        await task
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


def cmd_serve(args: argparse.Namespace) -> int:
    from .client_cap import client_cap
    from .health import stale_after
    from .metrics import metric_networks
    from .web import make_app, start_server

    host, port, settings = listen_on(args, settings_from(args))
    store, reader = open_for_reading(args.db)
    raise_open_files_limit()

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        if stop_asked():
            return
        app = make_app(
            reader,
            settings.publish,
            digest=settings.digest,
            stale_after=stale_after(settings),
            fetch=settings.fetch,
            metrics=metric_networks(settings.server),
        )
        cap = client_cap(settings.server)
        runner = await start_server(app, host, port, settings.server.shutdown_grace, cap)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    try:
        asyncio.run(serve())
    finally:
        if store is not None:
            store.close()
    return 0
