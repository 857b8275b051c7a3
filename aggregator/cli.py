"""The `aggregator` command line."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import __version__
from .config import Settings, check_range, load_settings, smtp_password
from .errors import AggregatorError, ConfigError, StorageError
from .lock import writer_lock
from .logs import FORMATS, LEVELS, setup_logging
from .opml import load_opml
from .publish import PublishSettings
from .store import Reader, Store, check_existing, from_iso

log = logging.getLogger("aggregator")


def _common(
    parser: argparse.ArgumentParser, *, opml: bool = True, db: bool = True, config: bool = True
) -> None:
    """The options a command uses (a command never accepts one it would ignore)."""
    if opml:
        parser.add_argument(
            "--opml", type=Path, default=Path("feeds.opml"), help="sources (default ./feeds.opml)"
        )
    if db:
        parser.add_argument(
            "--db",
            type=Path,
            default=Path("aggregator.db"),
            help="database (default ./aggregator.db)",
        )
    if config:
        parser.add_argument("--config", type=Path, default=None, help="optional TOML settings file")
    _log_args(parser)


def _log_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-level",
        default=None,
        type=str.upper,
        choices=LEVELS,
        help="DEBUG, INFO (default), WARNING or ERROR; or set AGGREGATOR_LOG_LEVEL",
    )
    parser.add_argument(
        "--log-format",
        default=None,
        choices=FORMATS,
        help="text (default) or json (one object per line); or set AGGREGATOR_LOG_FORMAT",
    )


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    try:
        check_range("server", "port", port)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return port


def _server_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="listen address (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=None, help="listen port (default 8080)")


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
    _common(serve, opml=False)
    _server_args(serve)

    status = commands.add_parser("status", help="one row per feed: state, errors, next poll")
    _common(status, opml=False)
    status.add_argument("--json", action="store_true", help="print JSON for scripts")

    digest = commands.add_parser(
        "digest", help="a category's daily email: preview it (--dry-run) or send it now"
    )
    _common(digest)
    digest.add_argument("--category", required=True, help="category name, as in the OPML")
    mode = digest.add_mutually_exclusive_group()
    mode.add_argument("--send-now", action="store_true", help="send it now (records it as sent)")
    mode.add_argument("--dry-run", action="store_true", help="print the message; send nothing")

    publish = commands.add_parser(
        "publish", help="write every feed and page as static files (only changed ones)"
    )
    _common(publish, opml=False)
    publish.add_argument("--output", type=Path, required=True, help="directory to write into")

    add = commands.add_parser(
        "add", help="add a feed (or the feed a web page points to) to the OPML"
    )
    add.add_argument("url", help="a feed URL, or a web page whose feed is discovered")
    add.add_argument("--category", default=None, help="category outline (default Uncategorized)")
    add.add_argument("--title", default=None, help="name shown for the feed (default its title)")
    _common(add, db=False)

    remove = commands.add_parser("remove", help="remove a feed from the OPML (its items stay)")
    remove.add_argument("url", help="the feed URL, as listed (see `aggregator export`)")
    _common(remove, db=False, config=False)

    merge = commands.add_parser(
        "import", help="merge another reader's OPML export into the sources, categories kept"
    )
    merge.add_argument("file", type=Path, metavar="FILE.opml")
    _common(merge, db=False, config=False)

    export = commands.add_parser("export", help="write the sources as OPML (stdout or --output)")
    export.add_argument("--output", type=Path, default=None, help="file to write (default stdout)")
    _common(export, db=False, config=False)

    backup = commands.add_parser(
        "backup", help="an online copy of the database (safe while the service runs)"
    )
    backup.add_argument("path", type=Path, help="file to create, or a directory for a dated file")
    _common(backup, opml=False, config=False)

    cluster = commands.add_parser(
        "cluster", help="group a JSON-lines file of items into stories (no network)"
    )
    cluster.add_argument("input", type=Path, metavar="INPUT.jsonl", help="one item per line")
    cluster.add_argument("--db", type=Path, default=None, help="keep the database here")
    cluster.add_argument("--config", type=Path, default=None, help="optional TOML settings file")
    cluster.add_argument("--log-level", default="WARNING", type=str.upper, choices=LEVELS)

    batch = commands.add_parser(
        "summarize", help="summarise stories from a JSON-lines file (one story per line)"
    )
    batch.add_argument("input", type=Path, help="JSON lines: {id, items: [...]}; - for stdin")
    batch.add_argument("--max-words", type=int, default=None, help="cap on a summary's words")
    batch.add_argument("--config", type=Path, default=None, help="optional TOML settings file")
    batch.add_argument("--log-level", default="WARNING", type=str.upper, choices=LEVELS)
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
        publish = dataclasses.replace(
            settings.publish, base_url=f"http://{shown}:{port}/", listen_base_url=True
        )
        settings = dataclasses.replace(settings, publish=publish)
    return host, port, settings


def cmd_run(args: argparse.Namespace) -> int:
    from .service import Service

    settings = _settings(args)
    password = _digest_ready(settings)
    host, port, settings = _listen(args, settings)
    load_opml(args.opml)  # a bad OPML is reported before any database is created
    with writer_lock(args.db, "run"):
        service = Service(args.opml, args.db, settings, smtp_password=password)
        try:
            asyncio.run(service.run(host, port))
        finally:
            service.close()
    return 0


def _digest_ready(settings: Settings) -> str | None:
    """Before sending digests: their links need a public base URL, their login a password."""
    if any(settings.digest.recipients.values()) and not settings.publish.public_base_url:
        raise ConfigError(
            "[digest] has recipients, so set [publish] base_url to the site's public URL: "
            "digest emails link to story pages there"
        )
    return smtp_password(settings.digest, os.environ)


def cmd_poll(args: argparse.Namespace) -> int:
    settings = _settings(args)
    load_opml(args.opml)  # a bad OPML is reported before any database is created
    with writer_lock(args.db, "poll --once" if args.once else "poll"):
        return _poll(args, settings)


def _poll(args: argparse.Namespace, settings: Settings) -> int:
    from .fetch import Fetcher
    from .service import Service

    service = Service(args.opml, args.db, settings)

    async def once() -> None:
        await service.load_sources(strict=True)
        async with Fetcher(settings.fetch) as fetcher:
            report = await service.poll_cycle(fetcher, everything=args.all)
            budget = settings.articles.once_budget.total_seconds()
            pages = await service.fetch_articles(fetcher, budget=budget)
            await service.settle_summaries()  # model answers still on the way, if any
        await service.run_retention()
        statuses = " ".join(f"{k}={v}" for k, v in sorted(report.statuses.items()))
        print(
            f"polled {report.feeds} feeds ({statuses or 'none due'}): "
            f"{report.items_new} new items, {report.items_updated} updated, "
            f"{report.stories_changed} stories changed"
        )
        if pages.fetched:
            print(f"article pages: {pages.ok} with text, {pages.failed} failed or blocked")
        if pages.left:
            print(
                f"article pages: stopped after [articles] once_budget; "
                f"{pages.left} or more left for the next run"
            )

    try:
        if args.once:
            asyncio.run(once())
        else:
            asyncio.run(service.run("", 0, serve=False))
    finally:
        service.close()
    return 0


def _open_for_reading(path: Path) -> tuple[Store | None, Reader]:
    """An existing database, its schema brought up to date when it can be written; a
    read-only one is still read. Never creates a database from a typo'd path."""
    check_existing(path)
    try:
        store = Store(path)
    except StorageError as exc:
        if "read-only" not in str(exc):
            raise
        log.warning("%s; reading it as it is", exc)
        return None, Reader(str(path))
    return store, store.reader()


def cmd_serve(args: argparse.Namespace) -> int:
    from .health import stale_after
    from .web import make_app, start_server

    host, port, settings = _listen(args, _settings(args))
    store, reader = _open_for_reading(args.db)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        app = make_app(
            reader, settings.publish, digest=settings.digest, stale_after=stale_after(settings)
        )
        runner = await start_server(app, host, port)
        log.info("serving http://%s:%d/", host, port)
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
    if not args.db.exists() and not args.json:
        print(f"no database at {args.db}: run `aggregator poll --once` or `aggregator run`")
        return 0
    settings = _settings(args)
    store, reader = _open_for_reading(args.db)
    now = datetime.now(UTC)
    try:
        rows = reader.status_rows()
        digests = reader.digest_health()["digests"]
        health = reader.health()
    finally:
        if store is not None:
            store.close()
    if args.json:
        from .health import assess, stale_after

        reasons = assess(health, now, stale_after(settings))
        report = {
            "checked_at": now.isoformat(timespec="seconds"),
            "status": "degraded" if reasons else "ok",
            "reasons": reasons,
            **health,
            "feeds": rows,
            "digests": digests,
        }
        print(json.dumps(report, indent=2, default=str))
        return 0
    header = (
        "CATEGORY",
        "FEED",
        "STATUS",
        "LAST SUCCESS",
        "ITEMS",
        "ERRORS",
        "NEXT POLL",
        "ARTICLE PAGES",
    )
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
                _pages(r),
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    if not rows:
        print("(no feeds yet: run `aggregator poll --once` or `aggregator run`)")
    _print_digests(settings, digests, now)
    return 0


def _pages(row: dict[str, Any]) -> str:
    """Article pages of a feed: how many gave text, how many failed and the latest reason."""
    ok, failed = row.get("articles_ok") or 0, row.get("articles_failed") or 0
    if not ok and not failed:
        return "-"
    text = f"{ok} ok, {failed} failed"
    if failed and row.get("article_error"):
        text += f" (last: {row['article_error']})"
    return text[:90]


def _print_digests(settings: Settings, digests: dict[str, Any], now: datetime) -> None:
    """The digest section of `status`: each category's latest send and the next one."""
    from .digest import next_slot

    configured = [c for c, to in settings.digest.recipients.items() if to]
    names = list(dict.fromkeys([*configured, *digests]))
    if not names:
        return
    header = ("DIGEST", "RECIPIENTS", "LAST", "STATUS", "NEXT")
    table = [header]
    for name in names:
        last = digests.get(name, {})
        status = last.get("status") or "never sent"
        if last.get("status") in ("failed", "sending"):
            status = f"failed (attempt {last['attempts']})"
            if last.get("next_attempt_at"):
                status += f", retry {_ago(last['next_attempt_at'], now)}"
            else:
                status += ", gave up for the day"
        if last.get("error"):
            status += f": {last['error']}"
        upcoming = "-"
        if name in configured:
            upcoming = _ago(next_slot(name, now, settings.digest).isoformat(), now)
        recipients = len(settings.digest.recipients.get(name, ()))
        day = f"{last['day']} ({_ago(last['sent_at'], now)})" if last.get("sent_at") else "-"
        table.append((name, str(recipients), day, status[:100], upcoming))
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    print()
    for row in table:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())


def cmd_digest(args: argparse.Namespace) -> int:
    from .digest_job import digest_command
    from .service import Service

    settings = _settings(args)
    category = args.category
    configured = sorted(settings.digest.recipients)
    if category not in settings.digest.recipients:
        known = ", ".join(repr(c) for c in configured) or "none"
        raise ConfigError(
            f"no digest for category {category!r} in [digest] recipients (configured: {known})"
        )
    password = None
    if args.send_now:
        password = _digest_ready(settings)
    elif not settings.publish.public_base_url:
        log.warning("publish.base_url is not set: links point at %s", settings.publish.base_url)
    if not args.db.exists():
        print(f"no database at {args.db}: run `aggregator poll --once` or `aggregator run`")
        return 1
    service = Service(args.opml, args.db, settings, smtp_password=password)
    try:
        job = service.digest_job()
        return asyncio.run(
            digest_command(job, category, send_now=args.send_now, dry_run=args.dry_run)
        )
    finally:
        service.close()


def cmd_publish(args: argparse.Namespace) -> int:
    from .export import export_site
    from .site import Site

    settings = _settings(args)
    if not args.db.exists():
        print(f"no database at {args.db}: run `aggregator poll --once` first", file=sys.stderr)
        return 1
    if not settings.publish.public_base_url:
        log.warning(
            "publish.base_url is not set: links will point at %s", settings.publish.base_url
        )
    store = Store(args.db)
    try:
        site = Site(store.reader(), settings.publish, digest=settings.digest)
        report = export_site(site, args.output)
    finally:
        store.close()
    print(f"{args.output}: {report.written} files written, {report.unchanged} unchanged")
    return 0


_PICKED_UP = "a running service picks this up within one tick (or: systemctl reload aggregator)"


def cmd_add(args: argparse.Namespace) -> int:
    from .sources import add

    settings = _settings(args)
    source = asyncio.run(
        add(args.opml, args.url, category=args.category, title=args.title, settings=settings.fetch)
    )
    print(f"added {source.url} ({source.title!r}) to {source.category!r} in {args.opml}")
    print(_PICKED_UP)
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from .sources import remove

    remove(args.opml, args.url)
    print(f"removed {args.url} from {args.opml} (its stored items stay)")
    print(_PICKED_UP)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from .sources import import_opml

    added, skipped = import_opml(args.opml, args.file)
    for source in added:
        print(f"added {source.url} to {source.category!r}")
    print(f"{len(added)} feeds added, {len(skipped)} already listed, into {args.opml}")
    if added:
        print(_PICKED_UP)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .sources import export_opml, write_atomically

    data = export_opml(args.opml)
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        try:
            write_atomically(args.output, data)
        except OSError as exc:
            raise AggregatorError(f"{args.output}: cannot write: {exc.strerror or exc}") from exc
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from .store_upkeep import backup

    report = backup(args.db, args.path)
    print(
        f"backed up {args.db} to {report.path} ({report.bytes} bytes, integrity {report.integrity})"
    )
    return 0


def cmd_cluster(args: argparse.Namespace) -> int:
    from .batch import cluster_file

    for item_id, story in cluster_file(args.input, args.db, _settings(args).cluster):
        sys.stdout.write(json.dumps({"id": item_id, "story": story}, ensure_ascii=False) + "\n")
    return 0


def cmd_summarize(args: argparse.Namespace) -> int:
    from .summarize import make_summarizer
    from .summary_batch import run_batch

    settings = _settings(args)
    if args.max_words is not None:
        if args.max_words < 1:
            raise ConfigError("--max-words must be at least 1")
        summary = dataclasses.replace(settings.summary, max_words=args.max_words)
        settings = dataclasses.replace(settings, summary=summary)
    summarizer = make_summarizer(settings)
    if str(args.input) == "-":
        result = run_batch(sys.stdin, sys.stdout, sys.stderr, summarizer)
    else:
        try:
            with args.input.open(encoding="utf-8") as handle:
                result = run_batch(handle, sys.stdout, sys.stderr, summarizer)
        except OSError as exc:
            raise AggregatorError(f"{args.input}: {exc.strerror or exc}") from exc
    if result.failed:
        print(f"aggregator: {result.failed} line(s) skipped", file=sys.stderr)
    return 1 if result.failed else 0


COMMANDS = {
    "summarize": cmd_summarize,
    "run": cmd_run,
    "poll": cmd_poll,
    "serve": cmd_serve,
    "status": cmd_status,
    "digest": cmd_digest,
    "publish": cmd_publish,
    "cluster": cmd_cluster,
    "add": cmd_add,
    "remove": cmd_remove,
    "import": cmd_import,
    "export": cmd_export,
    "backup": cmd_backup,
}


def _log_option(value: str | None, env_name: str, default: str, allowed: Sequence[str]) -> str:
    if value is not None:
        return value
    found = os.environ.get(env_name, "").strip()
    if not found:
        return default
    for option in allowed:
        if found.lower() == option.lower():
            return option
    raise ConfigError(f"{env_name}={found!r}: expected one of {', '.join(allowed)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "poll" and args.all and not args.once:
        parser.error("poll: --all only applies to one pass: use `poll --once --all`")
    try:
        setup_logging(
            _log_option(args.log_level, "AGGREGATOR_LOG_LEVEL", "INFO", LEVELS),
            _log_option(
                getattr(args, "log_format", None), "AGGREGATOR_LOG_FORMAT", "text", FORMATS
            ),
        )
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
