"""`aggregator backup`, `cluster` and `summarize`: a database copy, and the offline batch
commands."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
from pathlib import Path

from .cli_support import settings_from
from .errors import AggregatorError, ConfigError


def cmd_backup(args: argparse.Namespace) -> int:
    """PATH ending in a slash names a directory: made when missing, a dated file put in it
    (not a file called like the directory, which is what `Path` would read it as)."""
    from .private_files import make_dirs
    from .store import check_existing
    from .store_upkeep import backup

    if not args.path.strip():  # (an unset variable: had backed up into the current directory)
        raise ConfigError("backup: an empty path (an unset variable?)")
    dest = Path(args.path)
    if args.path.endswith(("/", os.sep)) and not dest.is_dir():
        check_existing(args.db)  # (no directory is made for a backup that cannot be taken)
        try:
            make_dirs(dest)  # (the owner's alone, as the copies in it: `private_files`)
        except OSError as exc:
            raise AggregatorError(f"{args.path}: cannot make it: {exc.strerror}") from exc
    report = backup(args.db, dest)
    print(
        f"backed up {args.db} to {report.path} ({report.bytes} bytes, integrity {report.integrity})"
    )
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    """Copy what a damaged database still holds into a new file, with the writer lock held (a
    running service must be stopped first), and say what was lost and what to do next."""
    from .lock import writer_lock
    from .store import check_existing
    from .store_recover import recover

    check_existing(args.db)  # (a typo'd --db: said before a lock file is left beside it)
    with writer_lock(args.db, "recover"):
        report = recover(Path(args.db), args.path)
    for table in report.tables:
        if table.damaged or (table.counted is not None and table.counted != table.copied):
            of = f"of {table.counted:,}" if table.counted is not None else "(its count unreadable)"
            print(f"{table.name}: {table.copied:,} rows copied {of}; the rest sat on damaged pages")
    if report.orphans:
        print(f"{report.orphans:,} rows dropped: the rows they belong to were lost")
    copied = sum(t.copied for t in report.tables)
    state = "every table read whole" if report.whole else "what could be read"
    print(f"recovered {args.db} into {report.path}: {copied:,} rows, {state}; integrity ok")
    print(
        f"next: with the service stopped, `aggregator restore {report.path} --db {args.db}` "
        "puts it in place"
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Put a backup in the place of the database, with the writer lock held (a running
    service must be stopped first; a `poll --once` is waited for), and say what it holds."""
    from datetime import UTC, datetime

    from .lock import writer_lock
    from .store_restore import restore
    from .store_rows import from_iso

    db = Path(args.db)
    with writer_lock(db, "restore"):
        report = restore(args.path, db, datetime.now(UTC))
    seen = from_iso(report.newest)
    newest = f"; its newest item was first seen {seen:%Y-%m-%d %H:%M} UTC" if seen else ""
    print(
        f"restored {db} from {report.source}: {report.items:,} items, "
        f"{report.stories:,} stories, {report.feeds:,} feeds{newest}"
    )
    if report.kept is not None:
        print(f"the database it replaced is kept as {report.kept} (delete it once all is well)")
    print("next: start the service; the feeds bring back what they still carry")
    return 0


def cmd_compact(args: argparse.Namespace) -> int:
    """Give the database's free pages back to the file system, with the writer lock held (a
    running service must be stopped first; a `poll --once` is waited for)."""
    from .lock import writer_lock
    from .store import check_existing
    from .store_upkeep import compact

    db = Path(args.db)
    check_existing(db)  # (a typo'd --db: said before a lock file is left beside it)
    with writer_lock(db, "compact"):
        report = compact(db)
    mb = 2**20
    print(f"compacted {db}: {report.before / mb:,.1f} MB -> {report.after / mb:,.1f} MB")
    if report.wal_left:
        print(
            "a reader (`serve`?) was reading the old pages: the file shrinks at the next "
            "checkpoint, once the service writes again or stops"
        )
    return 0


def cmd_cluster(args: argparse.Namespace) -> int:
    """With `--db`, the database's writer lock is held throughout, as `poll` and `run` hold
    it: run beside the service it stops at once, beside a `poll --once` it waits its turn.
    An input it cannot take (unreadable, not UTF-8, a bad line) is said as that
    ("cannot cluster: …"), not as a configuration error; exit 2 all the same."""
    from .batch import cluster_file
    from .lock import writer_lock

    settings = settings_from(args).cluster
    with writer_lock(args.db, "cluster") if args.db is not None else contextlib.nullcontext():
        try:
            grouped = cluster_file(args.input, args.db, settings)
        except ConfigError as exc:  # the input (unreadable, a bad line), not the settings
            print(f"aggregator: cannot cluster: {exc}", file=sys.stderr)
            return 2
        for item_id, story in grouped:
            line = json.dumps({"id": item_id, "story": story}, ensure_ascii=False)
            sys.stdout.write(line + "\n")
    return 0


def cmd_summarize(args: argparse.Namespace) -> int:
    from .summarize import make_summarizer
    from .summary_batch import run_batch

    settings = settings_from(args)
    if args.max_words is not None:
        if args.max_words < 1:
            raise ConfigError("--max-words must be at least 1")
        summary = dataclasses.replace(settings.summary, max_words=args.max_words)
        settings = dataclasses.replace(settings, summary=summary)
    summarizer = make_summarizer(settings)
    # An input it cannot take (missing, a directory, not UTF-8) is said as that, exit 2, as
    # `cluster` says it (it had been exit 1, or a traceback for bytes that are not UTF-8).
    try:
        if str(args.input) == "-":
            result = run_batch(sys.stdin, sys.stdout, sys.stderr, summarizer)
        else:
            with args.input.open(encoding="utf-8") as handle:
                result = run_batch(handle, sys.stdout, sys.stderr, summarizer)
    except OSError as exc:
        print(f"aggregator: cannot summarize: {args.input}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as exc:
        said = f"not UTF-8 text (byte {exc.start} of a line)"
        print(f"aggregator: cannot summarize: {args.input}: {said}", file=sys.stderr)
        return 2
    if result.failed:
        print(f"aggregator: {result.failed} line(s) skipped", file=sys.stderr)
    return 1 if result.failed else 0
