"""The `aggregator` command line."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .config import Settings, load_settings
from .errors import AggregatorError, ConfigError
from .opml import load_opml
from .publish import PublishSettings
from .store import Store, from_iso

log = logging.getLogger("aggregator")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--opml", type=Path, default=Path("feeds.opml"), help="sources (default ./feeds.opml)"
    )
    parser.add_argument(
        "--db", type=Path, default=Path("aggregator.db"), help="database (default ./aggregator.db)"
    )
    parser.add_argument("--config", type=Path, default=None, help="optional TOML settings file")
    parser.add_argument(
        "--log-level",
        default=os.environ.get("AGGREGATOR_LOG_LEVEL", "INFO"),
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        type=str.upper,
    )


def _server_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="listen address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="listen port (default 8080)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aggregator",
        description="Poll news feeds, group them into stories, summarise and republish them.",
    )
    parser.add_argument("--version", action="version", version=f"aggregator {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="poll on schedule, publish and serve until stopped")
    _common(run)
    _server_args(run)

    poll = commands.add_parser("poll", help="poll feeds (on schedule, or one pass with --once)")
    _common(poll)
    poll.add_argument("--once", action="store_true", help="one pass over due feeds, then exit")
    poll.add_argument("--all", action="store_true", help="poll every feed, ignoring the schedule")

    serve = commands.add_parser("serve", help="serve what is in the database")
    _common(serve)
    _server_args(serve)

    status = commands.add_parser("status", help="one row per feed: state, errors, next poll")
    _common(status)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.config, os.environ)


def _listen(args: argparse.Namespace, settings: Settings) -> tuple[str, int, Settings]:
    """Where to listen; without a configured public base URL, links point at that address."""
    host = args.host or settings.server.host
    port = args.port if args.port is not None else settings.server.port
    if settings.publish.base_url == PublishSettings().base_url:
        shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
        shown = f"[{shown}]" if ":" in shown else shown
        publish = dataclasses.replace(settings.publish, base_url=f"http://{shown}:{port}/")
        settings = dataclasses.replace(settings, publish=publish)
    return host, port, settings


def cmd_run(args: argparse.Namespace) -> int:
    from .service import Service

    host, port, settings = _listen(args, _settings(args))
    load_opml(args.opml)  # a bad OPML is reported before any database is created
    service = Service(args.opml, args.db, settings)
    try:
        asyncio.run(service.run(host, port))
    finally:
        service.close()
    return 0


def cmd_poll(args: argparse.Namespace) -> int:
    from .fetch import Fetcher
    from .service import Service

    settings = _settings(args)
    load_opml(args.opml)  # a bad OPML is reported before any database is created
    service = Service(args.opml, args.db, settings)

    async def once() -> None:
        await service.load_sources(strict=True)
        async with Fetcher(settings.fetch) as fetcher:
            report = await service.poll_cycle(fetcher, everything=args.all)
        statuses = " ".join(f"{k}={v}" for k, v in sorted(report.statuses.items()))
        print(
            f"polled {report.feeds} feeds ({statuses or 'none due'}): "
            f"{report.items_new} new items, {report.items_updated} updated, "
            f"{report.stories_changed} stories changed"
        )

    try:
        if args.once:
            asyncio.run(once())
        else:
            asyncio.run(service.run("", 0, serve=False))
    finally:
        service.close()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .web import make_app, start_server

    host, port, settings = _listen(args, _settings(args))
    store = Store(args.db)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        runner = await start_server(make_app(store.reader(), settings.publish), host, port)
        log.info("serving http://%s:%d/", host, port)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    try:
        asyncio.run(serve())
    finally:
        store.close()
    return 0


def _ago(value: str | None, now: datetime) -> str:
    when = from_iso(value)
    if when is None:
        return "never"
    seconds = int((now - when).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            text = f"{seconds // size}{unit}"
            break
    else:
        text = f"{seconds}s"
    return f"in {text}" if future else f"{text} ago"


def cmd_status(args: argparse.Namespace) -> int:
    if not args.db.exists():
        print(f"no database at {args.db}: run `aggregator poll --once` or `aggregator run`")
        return 0
    store = Store(args.db)
    now = datetime.now(UTC)
    try:
        rows = store.status_rows()
    finally:
        store.close()
    header = ("CATEGORY", "FEED", "STATUS", "LAST SUCCESS", "ITEMS", "ERRORS", "NEXT POLL")
    table = [header]
    for r in rows:
        status = r["status"] or "new"
        if r["http_status"] and status in {"error", "gone"}:
            status = f"{status} {r['http_status']}"
        if r["error"]:
            status += f": {r['error']}"
        feed = r["url"] + (f" -> {r['moved_to']}" if r["moved_to"] else "")
        due = "now" if not r["next_poll_at"] else _ago(r["next_poll_at"], now)
        if status.startswith("gone"):
            due = "stopped (gone)"
        table.append(
            (
                r["category"],
                feed,
                status[:80],
                _ago(r["last_success_at"], now),
                str(r["items"]),
                str(r["error_count"] or 0),
                due,
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    if not rows:
        print("(no feeds yet: run `aggregator poll --once` or `aggregator run`)")
    return 0


COMMANDS = {"run": cmd_run, "poll": cmd_poll, "serve": cmd_serve, "status": cmd_status}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    try:
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        print(f"aggregator: configuration error: {exc}", file=sys.stderr)
        return 2
    except AggregatorError as exc:
        print(f"aggregator: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `aggregator status | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
