"""Weeks of a running service in minutes: does anything grow that should stay flat?

One service process (`Service`, as `run` drives it) polls a loopback upstream round after round
while its clock moves on `--step-hours` a round: each feed brings 10 new items a round, dated
on that clock, so a round stands for hours of news. Retention (30 days), the grouping window
(3 days) and the publisher all run on that clock. The corpus is `bench/poll.py`'s (Multi-News
documents spread over outlets, so several feeds report each event), served by a separate
process.

Printed once a simulated day: the day, the items and stories stored, pruned ids remembered,
the grouping window's items, the database and its write-ahead log (MB), the service's RSS
(MB; the main process after the day's last round, and the day's peak of the whole process
tree, its parse, term and summary workers included), its open file descriptors and threads,
and the mean wall and CPU seconds of the day's rounds (the process and its workers), and
how long one export of every published file takes (`Site.files`, what the web server
renders). After the retention age the stored items, stories, database and memory should
level off; file descriptors and threads should not grow at all.

    python bench/soak.py                                  # 60 feeds, 2-hour rounds, 45 days
    python bench/soak.py --feeds 30 --days 6              # a quick look

Needs psutil (the bench extra). Article pages are not fetched (the corpus's links lead
nowhere).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import poll  # (the corpus, its server and the OPML)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The simulated clock starts here (a fixed day, so runs agree), a round's items dated up to it.
START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


def serve(args: argparse.Namespace) -> None:
    """The upstream (its own process): `poll.serve`'s feeds, their items `step` apart."""
    args.start = START
    args.spacing = args.step_hours * 3600 / poll.ITEMS_PER_ROUND
    poll.serve(args)


def start_server(args: argparse.Namespace) -> poll.Server:
    import subprocess

    cmd = [
        sys.executable, __file__, "--serve", "--feeds", str(args.feeds),
        "--step-hours", str(args.step_hours), "--data", str(args.data),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return poll.Server(proc, int(proc.stdout.readline()), args.feeds)


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return int(conn.execute(sql).fetchone()[0])


def mb(path: Path) -> float:
    return path.stat().st_size / 2**20 if path.exists() else 0.0


def soak(args: argparse.Namespace) -> None:
    import psutil

    os.environ["AGGREGATOR_ARTICLES_ENABLED"] = "false"
    from aggregator.config import load_settings
    from aggregator.fetch import Fetcher
    from aggregator.service import Service
    from aggregator.site import Site

    me = psutil.Process()
    mine = me.cmdline()
    server = start_server(args)

    def tree_rss() -> float:
        """The service's RSS and its workers' (not the upstream's, a child too)."""
        try:
            kids = [
                c
                for c in me.children(recursive=True)
                if c.pid != server.proc.pid and c.cmdline() != mine
            ]
            return (me.memory_info().rss + sum(c.memory_info().rss for c in kids)) / 2**20
        except psutil.Error:  # a worker exited while being read
            return 0.0

    peak = {"tree": 0.0}

    def sample() -> None:
        while True:
            peak["tree"] = max(peak["tree"], tree_rss())
            time.sleep(0.05)

    threading.Thread(target=sample, daemon=True).start()
    rounds_a_day = round(24 / args.step_hours)
    now = {"t": START}
    with tempfile.TemporaryDirectory() as tmp:
        opml, db = Path(tmp) / "feeds.opml", args.db or Path(tmp) / "soak.db"
        poll.write_opml(server.urls(), opml)
        wal = Path(f"{db}-wal")

        async def main() -> None:
            settings = load_settings(None, os.environ)
            service = Service(opml, db, settings, clock=lambda: now["t"])
            await service.load_sources(strict=True)
            reader = service.store.reader()
            header = (
                "| day | items | stories | pruned ids | window items | DB MB | WAL MB | RSS MB "
                "(main / day's tree peak) | fds | threads | round wall s | round CPU s | "
                "export s |"
            )
            print(header)
            print("|" + "---|" * (header.count("|") - 1))
            async with Fetcher(settings.fetch) as fetcher:
                walls: list[float] = []
                cpus: list[float] = []
                for rnd in range(args.days * rounds_a_day):
                    now["t"] = START + timedelta(hours=args.step_hours * (rnd + 1))
                    with urllib.request.urlopen(
                        f"http://127.0.0.1:{server.port}/_control?round={rnd}"
                    ) as resp:
                        resp.read()
                    t, cpu = time.perf_counter(), cpu_seconds(me, server.proc.pid)
                    await service.poll_cycle(fetcher, everything=True)
                    await service.run_retention()
                    walls.append(time.perf_counter() - t)
                    cpus.append(cpu_seconds(me, server.proc.pid) - cpu)
                    if (rnd + 1) % rounds_a_day:
                        continue
                    t = time.perf_counter()
                    site = Site(reader, settings.publish, clock=service.clock)
                    files = sum(1 for _ in site.files())
                    export = time.perf_counter() - t
                    window = service.stories.clusterer.active_items
                    row: list[Any] = [
                        (rnd + 1) // rounds_a_day,
                        count(db, "SELECT count(*) FROM items"),
                        count(db, "SELECT count(*) FROM stories"),
                        count(db, "SELECT count(*) FROM pruned_ids"),
                        window,
                        f"{mb(db):.0f}",
                        f"{mb(wal):.0f}",
                        f"{me.memory_info().rss / 2**20:.0f} / {peak['tree']:.0f}",
                        me.num_fds(),
                        me.num_threads(),
                        f"{sum(walls) / len(walls):.1f}",
                        f"{sum(cpus) / len(cpus):.1f}",
                        f"{export:.2f} ({files} files)",
                    ]
                    print("| " + " | ".join(str(c) for c in row) + " |", flush=True)
                    walls.clear()
                    cpus.clear()
                    peak["tree"] = 0.0
            service.close()

        try:
            asyncio.run(main())
        finally:
            server.stop()


def cpu_seconds(process: Any, upstream: int) -> float:
    """CPU seconds of the process and of its workers, living and exited (not those of the
    `upstream` server's process)."""
    times = process.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in process.children(recursive=True):
        if child.pid == upstream:
            continue
        try:
            child_times = child.cpu_times()
            total += child_times.user + child_times.system
        except Exception:  # (a worker exited while being read)
            pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=60)
    parser.add_argument("--step-hours", type=float, default=2.0, help="simulated hours a round")
    parser.add_argument("--days", type=int, default=45, help="simulated days")
    parser.add_argument("--data", type=Path, default=poll.DATA)
    parser.add_argument("--db", type=Path, help="keep the database here (a new file)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if 24 % args.step_hours:
        raise SystemExit("--step-hours must divide a day")
    if args.serve:
        serve(args)
        return
    if args.db is not None and args.db.exists():
        raise SystemExit(f"{args.db}: exists (--db takes a new file)")
    if not args.data.exists():
        raise SystemExit(f"{args.data}: not found (the Multi-News dev file; see --data)")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    rounds = f"a round every {args.step_hours:g} simulated hours"
    print(f"{args.feeds} feeds, {rounds}, {args.days} days")
    soak(args)


if __name__ == "__main__":
    main()
