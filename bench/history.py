"""A service with a long history: poll cycles, memory and upkeep at 30k and 300k stored items.

Only the last 3 days of items are in grouping's active window; everything older is stored
history (kept for 30 days by retention). A service's cost should depend on the window, not
on the history. This bench measures that, for each history size in the same run:

1. A seed database: one `run`-style cycle of `bench/poll.py`'s corpus (300 feeds, round 0:
   ~3,000 items grouped, summarised and stored by the service itself).
2. The history: the seed's rows (items with their grouping terms and near-duplicate keys,
   stories, categories, summaries) copied with fresh ids, guids, URLs and text hashes, their
   times moved back 4 to 28 days, until the database holds the history size. Copies are
   written with plain SQL (seconds, where polling 300k items would take an hour), but every
   row is one the poller wrote.
3. A fresh service process on that database (no grouping snapshot: the window is rebuilt
   from the rows, as after an upgrade): `--rounds` poll cycles, each bringing ~3,000 new
   items; then retention's prune, `aggregator status`'s query and a static export of every
   published file (`Site.files`), as the service runs them.

Printed per history size: the DB size, the restore time (rebuilding the window from the
store), each cycle's wall and CPU seconds (process and its parse workers), grouping items/s
(the cycle's grouping-and-summarising time less summarising), and the process tree's RSS
after and peak during each cycle (sampled every 50 ms); then the prune, status and export
seconds and the overall peak RSS.

    python bench/history.py                                # 30k and 300k stored, 3 cycles
    python bench/history.py --histories 30000 --rounds 2   # a quick look

Needs psutil (the bench extra). CPU seconds are the load-independent figure; wall seconds
depend on what else runs on the machine. Memory does not.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import poll  # (the corpus, its server and the process measurement)

HISTORY_RUN = textwrap.dedent(
    """
    import asyncio, json, os, sys, threading, time, urllib.request
    from datetime import timedelta
    from pathlib import Path
    import psutil
    from aggregator.config import load_settings
    from aggregator.fetch import Fetcher
    from aggregator.service import Service

    opml, db, port = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    first, rounds, upkeep = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6] == "1"
    me = psutil.Process()

    def tree_rss():
        try:
            return (me.memory_info().rss + sum(c.memory_info().rss
                    for c in me.children(recursive=True))) / 2**20
        except psutil.Error:
            return 0.0

    def tree_cpu():
        total = sum(me.cpu_times()[:2])
        for c in me.children(recursive=True):
            try:
                total += sum(c.cpu_times()[:2])
            except psutil.Error:
                pass
        return total

    sampled = {"peak": 0.0, "all": 0.0}
    def sample():
        while True:
            rss = tree_rss()
            sampled["peak"] = max(sampled["peak"], rss)
            sampled["all"] = max(sampled["all"], rss)
            time.sleep(0.05)
    threading.Thread(target=sample, daemon=True).start()

    def emit(**fields):
        print(json.dumps(fields), flush=True)

    async def main():
        t = time.perf_counter()
        service = Service(opml, db, load_settings(None, os.environ))
        await service.load_sources(strict=True)
        emit(kind="start", wall=time.perf_counter() - t)
        timers = {"summarize": 0.0, "group_total": 0.0, "restore": 0.0}
        job = service.stories
        def timed(owner, name, key, add=True):
            real = getattr(owner, name)
            def wrapper(*a, **k):
                t = time.perf_counter()
                try:
                    return real(*a, **k)
                finally:
                    spent = time.perf_counter() - t
                    timers[key] = timers[key] + spent if add else spent
            setattr(owner, name, wrapper)
        timed(job.summarizer, "summarize", "summarize")
        timed(job, "_restore_clusterer", "restore")
        timed(service, "_group_and_summarize", "group_total", add=False)
        async with Fetcher(service.settings.fetch) as fetcher:
            for rnd in range(first, first + rounds):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_control?round={rnd}").read()
                timers.update(summarize=0.0, group_total=0.0, restore=0.0)
                sampled["peak"] = 0.0
                cpu, t = tree_cpu(), time.perf_counter()
                report = await service.poll_cycle(fetcher, everything=True)
                wall, cpu = time.perf_counter() - t, tree_cpu() - cpu
                rss = tree_rss()
                emit(kind="cycle", round=rnd, wall=wall, cpu=cpu, new=report.items_new,
                     errors=report.errors, restore=timers["restore"],
                     group_s=timers["group_total"] - timers["summarize"] - timers["restore"],
                     summarize_s=timers["summarize"], rss=rss, peak=max(sampled["peak"], rss))
        if upkeep:
            from aggregator import store_upkeep
            from aggregator.retention import cutoff, near_cutoff, terms_cutoff
            from aggregator.site import Site
            settings = service.settings
            now = service.clock()
            edge = cutoff(now, settings.retention, settings.cluster.active_window)
            cpu, t = tree_cpu(), time.perf_counter()
            window = settings.cluster.active_window
            pruned = await service.write(store_upkeep.prune, service.store, now, edge,
                                         now - settings.retention.forget_after,
                                         settings.publish.max_items,
                                         near_before=near_cutoff(now, settings.retention, window),
                                         terms_before=terms_cutoff(now, window))
            emit(kind="prune", wall=time.perf_counter() - t, cpu=tree_cpu() - cpu,
                 stories=pruned.stories, items=pruned.items)
            reader = service.store.reader()
            cpu, t = tree_cpu(), time.perf_counter()
            rows = reader.status_rows()
            emit(kind="status", wall=time.perf_counter() - t, cpu=tree_cpu() - cpu,
                 feeds=len(rows))
            cpu, t = tree_cpu(), time.perf_counter()
            site = Site(reader, settings.publish, clock=service.clock, digest=settings.digest)
            files = sum(1 for _ in site.files())
            emit(kind="export", wall=time.perf_counter() - t, cpu=tree_cpu() - cpu,
                 files=files)
        service.close()
        emit(kind="end", peak=sampled["all"])

    asyncio.run(main())
    """
)

# Columns rewritten in a copy: ids get a suffix, times move back. Everything else is kept.
ITEM_IDS = ("guid", "url", "canonical_url", "content_hash", "story_id", "duplicate_of")
ITEM_TIMES = ("published", "updated", "first_seen")
STORY_TIMES = ("first_seen", "updated", "last_item_at")


def _shift(value: str | None, back: timedelta) -> str | None:
    if not value:
        return value
    return (datetime.fromisoformat(value) - back).isoformat()


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]


def grow(path: Path, target: int) -> int:
    """Copy the seed's rows (times moved 4 to 28 days back) until `path` holds `target`
    items; returns the number of items stored."""
    from aggregator.pipeline import item_id

    conn = sqlite3.connect(path)
    seed_items = conn.execute("SELECT * FROM items").fetchall()
    item_cols = _columns(conn, "items")
    seed = {
        table: (_columns(conn, table), conn.execute(f"SELECT * FROM {table}").fetchall())
        for table in ("stories", "story_categories", "summaries", "near_keys")
    }
    copies = max(0, -(-(target - len(seed_items)) // max(1, len(seed_items))))
    at = {c: i for i, c in enumerate(item_cols)}
    conn.execute("BEGIN")
    for k in range(1, copies + 1):
        back = timedelta(days=4 + 24 * (k - 1) / max(1, copies - 1))
        tag = f"~h{k}"
        ids: dict[str, str] = {}
        rows = []
        for row in seed_items:
            new = list(row)
            for c in ITEM_IDS:
                if new[at[c]] is not None:
                    new[at[c]] = f"{new[at[c]]}{tag}"
            for c in ITEM_TIMES:
                new[at[c]] = _shift(new[at[c]], back)
            new[at["id"]] = ids[row[at["id"]]] = item_id(row[at["feed_url"]], new[at["guid"]])
            rows.append(new)
        for table, key_times in (("stories", STORY_TIMES), ("story_categories", ())):
            cols, seed_rows = seed[table]
            out = []
            for row in seed_rows:
                new = list(row)
                for i, c in enumerate(cols):
                    if c in ("id", "story_id", "merged_into") and new[i] is not None:
                        new[i] = f"{new[i]}{tag}"
                    elif c in key_times:
                        new[i] = _shift(new[i], back)
                out.append(new)
            marks = ",".join("?" * len(cols))
            conn.executemany(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({marks})", out)
        conn.executemany(
            f"INSERT INTO items ({','.join(item_cols)}) VALUES ({','.join('?' * len(item_cols))})",
            rows,
        )
        cols, seed_rows = seed["summaries"]
        sid, created = cols.index("story_id"), cols.index("created")
        conn.executemany(
            f"INSERT INTO summaries ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
            [
                [f"{v}{tag}" if i == sid else _shift(v, back) if i == created else v
                 for i, v in enumerate(row)]
                for row in seed_rows
            ],
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO near_keys (key, item_id) VALUES (?, ?)",
            [(f"{key}{tag}", ids[item]) for key, item in seed["near_keys"][1] if item in ids],
        )
    conn.execute("COMMIT")
    stored = conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return int(stored)


def run_service(
    opml: Path, db: Path, port: int, first: int, rounds: int, upkeep: bool
) -> tuple[list[dict[str, Any]], poll.Run]:
    run = poll.measure(
        [sys.executable, "-c", HISTORY_RUN, str(opml), str(db), str(port), str(first),
         str(rounds), "1" if upkeep else "0"],
        poll.ours_env(),
    )  # fmt: skip
    return [json.loads(line) for line in run.out.splitlines() if line.startswith("{")], run


def db_mb(path: Path) -> float:
    files = [path, path.with_name(path.name + "-wal")]
    return sum(f.stat().st_size for f in files if f.exists()) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--histories", default="30000,300000", help="stored items before the cycles (comma list)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="poll cycles per history size")
    parser.add_argument("--feeds", type=int, default=300, help="feeds (10 new items each/cycle)")
    parser.add_argument("--data", type=Path, default=poll.DATA)
    parser.add_argument("--keep", type=Path, help="keep the databases in this directory")
    args = parser.parse_args()
    if not args.data.exists():
        raise SystemExit(f"{args.data}: not found (the Multi-News dev file; see --data)")
    histories = [int(h) for h in args.histories.split(",")]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    poll.warm_up(argparse.Namespace(no_reader=True))
    feeds = args.feeds
    server = poll.start_server(args, feeds)
    rows = [[
        "stored items", "DB MB", "restore s", "cycle", "new", "cycle wall s", "cycle CPU s",
        "grouping items/s", "summarise s", "RSS MB", "peak MB",
    ]]  # fmt: skip
    upkeep = [["stored items", "prune s (CPU)", "pruned", "status s (CPU)", "export s (CPU)",
               "files", "process peak MB"]]  # fmt: skip
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmpdir = args.keep or Path(tmp)
            tmpdir.mkdir(parents=True, exist_ok=True)
            opml = tmpdir / "feeds.opml"
            poll.write_opml(server.urls(), opml)
            seed = tmpdir / "seed.db"
            for f in tmpdir.glob("seed.db*"):
                f.unlink()
            run_service(opml, seed, server.port, 0, 1, False)
            for history in histories:
                db = tmpdir / f"history-{history}.db"
                for f in tmpdir.glob(f"{db.name}*"):
                    f.unlink()
                shutil.copyfile(seed, db)
                t = time.perf_counter()
                stored = grow(db, history)
                print(f"[{stored} stored: built in {time.perf_counter() - t:.0f} s]", flush=True)
                size = db_mb(db)
                events, _ = run_service(opml, db, server.port, 1, args.rounds, True)
                for e in events:
                    if e["kind"] == "cycle":
                        per_s = e["new"] / e["group_s"] if e["group_s"] > 0 else 0
                        rows.append([
                            str(stored), f"{size:.0f}", f"{e['restore']:.1f}",
                            str(e["round"]), str(e["new"]), f"{e['wall']:.1f}",
                            f"{e['cpu']:.1f}", f"{per_s:.0f}", f"{e['summarize_s']:.1f}",
                            f"{e['rss']:.0f}", f"{e['peak']:.0f}",
                        ])  # fmt: skip
                        stored += e["new"]
                got = {e["kind"]: e for e in events}
                p, s, x = got["prune"], got["status"], got["export"]
                upkeep.append([
                    str(stored), f"{p['wall']:.1f} ({p['cpu']:.1f})", str(p["items"]),
                    f"{s['wall']:.2f} ({s['cpu']:.2f})", f"{x['wall']:.1f} ({x['cpu']:.1f})",
                    str(x["files"]), f"{got['end']['peak']:.0f}",
                ])  # fmt: skip
                print(poll.table(rows), flush=True)
                print(poll.table(upkeep), flush=True)
    finally:
        server.stop()
    print(f"\n## history: {feeds} feeds, {args.rounds} cycles per size, load "
          f"{os.getloadavg()[0]:.1f}\n")  # fmt: skip
    print(poll.table(rows))
    print()
    print(poll.table(upkeep), flush=True)


if __name__ == "__main__":
    main()
