"""Serving speed: our web server against the same bytes served as static files, in one run.

Builds a populated database (synthetic stories through the real `Store`), starts one server
process with two listeners — the aggregator app, and a minimal aiohttp static-file app serving
the very bytes the aggregator returns — then loads each case from a separate client process
with a bounded number of keep-alive connections for a fixed time, over loopback only.

Prints requests/s, p50/p99 latency and the server's CPU time per request for each case, and
each case against the static ceiling. On a busy machine requests/s move with the load; CPU per
request is the steadier comparison.

    python bench/serve.py [--connections 64] [--seconds 5] [--repeat 1]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

CATEGORIES = ["World News", "Business", "Technology", "Science", "Sports"]
STORIES_PER_CATEGORY = 120


def populate(db_path: Path) -> str:
    """Fill a database with stories; returns one story id."""
    from aggregator.models import Bullet, FeedState, Item, Source, SourceRef, Summary
    from aggregator.store import Store

    store = Store(db_path)
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    sources = [
        Source(f"http://feeds.example/{c}/{n}", f"Outlet {n}", c)
        for c in CATEGORIES
        for n in range(3)
    ]
    store.sync_sources(sources, now)
    first = ""
    for ci, category in enumerate(CATEGORIES):
        for n in range(STORIES_PER_CATEGORY):
            when = now - timedelta(minutes=7 * n + ci)
            outlets = 1 + (n % 4)
            items = [
                Item(
                    id=f"i{ci}-{n}-{k}",
                    title=f"{category} event {n} reported by outlet {k}",
                    text="Officials said on Tuesday that the measures would continue. " * 6,
                    url=f"https://outlet{k}.example/{ci}/{n}",
                    feed_url=sources[ci * 3 + k % 3].url,
                    guid=f"g{ci}-{n}-{k}",
                    published=when - timedelta(minutes=k),
                    first_seen=when,
                    outlet=f"outlet{k}.example",
                    outlet_name=f"Outlet {k}",
                    category=category,
                    content_hash=f"h{ci}-{n}-{k}",
                )
                for k in range(outlets)
            ]
            store.save_poll(FeedState(sources[ci * 3].url), items)
            story_id = items[0].id
            first = first or story_id
            for item in items:
                store.assign(item, story_id, None, when)
            refs = tuple(SourceRef(i.outlet_name, i.title, i.url, i.published) for i in items)
            summary = Summary(
                headline=f"{category} event {n}: leaders agree on a new plan",
                bullets=tuple(
                    Bullet(f"Fact number {b} about event {n}, told at some length.", (0,))
                    for b in range(4)
                ),
                sources=refs,
                outlet_count=outlets,
            )
            store.save_summary(story_id, summary, f"fp{ci}-{n}", [(category, 1.0)], when)
    store.close()
    return first


def run_servers(
    db_path: str,
    static_dir: str,
    ready: multiprocessing.Queue,  # type: ignore[type-arg]
    max_items: int | None,
) -> None:
    """The server process: the aggregator app and a static-file app on two loopback ports."""
    from aiohttp import web

    from aggregator.publish import PublishSettings
    from aggregator.store import Reader
    from aggregator.web import make_app, start_server

    async def main() -> None:
        settings = PublishSettings(base_url="http://127.0.0.1:8080/")
        if max_items:
            settings = dataclasses.replace(settings, max_items=max_items)
        ours = await start_server(make_app(Reader(db_path), settings), "127.0.0.1", 0)
        # The ceiling: a minimal handler answering with the same bytes, read once into memory.
        files: dict[str, bytes] = {}
        tags: dict[str, str] = {}

        async def static_file(request: web.Request) -> web.Response:
            path = request.path
            if path not in files:
                files[path] = (Path(static_dir) / request.match_info["name"]).read_bytes()
                tags[path] = f'"{hash(files[path])}"'
            if request.headers.get("If-None-Match") == tags[path]:
                return web.Response(status=304, headers={"ETag": tags[path]})
            return web.Response(body=files[path], headers={"ETag": tags[path]})

        static_app = web.Application()
        static_app.router.add_get("/{name}", static_file)
        static = await start_server(static_app, "127.0.0.1", 0)
        ready.put((ours.addresses[0][1], static.addresses[0][1]))
        await asyncio.Event().wait()

    asyncio.run(main())


async def _load(
    port: int, path: str, headers: dict[str, str], connections: int, seconds: float
) -> tuple[int, list[float], int]:
    """Keep `connections` connections busy for `seconds`: (requests, latencies, errors)."""
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n".encode()
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                if status not in (200, 304):
                    errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return len(latencies), latencies, errors


def _client(port: int, path: str, headers: dict[str, str], conns: int, secs: float, out) -> None:  # type: ignore[no-untyped-def]
    count, latencies, errors = asyncio.run(_load(port, path, headers, conns, secs))
    latencies.sort()
    p50 = latencies[len(latencies) // 2] if latencies else 0.0
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    out.put((count / secs, p50 * 1000, p99 * 1000, errors))


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    server: int, port: int, path: str, headers: dict[str, str], conns: int, secs: float
) -> tuple[float, float, float, int, float]:
    """Run the load client in its own process (so it does not share our interpreter).

    Besides requests/s and latency, reports the server's CPU time per request: on a machine
    shared with other work, requests/s follow the load around; CPU per request does not.
    """
    out: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    proc = multiprocessing.Process(target=_client, args=(port, path, headers, conns, secs, out))
    cpu_before = cpu_seconds(server)
    proc.start()
    rps, p50, p99, errors = out.get(timeout=secs + 60)
    proc.join()
    cpu = cpu_seconds(server) - cpu_before
    return rps, p50, p99, errors, cpu / max(1.0, rps * secs) * 1e6


def fetch(port: int, path: str, **headers: str) -> tuple[bytes, dict[str, str]]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.read(), dict(resp.headers)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--repeat", type=int, default=1, help="runs per case; medians are printed")
    ap.add_argument("--max-items", type=int, default=None, help="stories per feed (default: ours)")
    args = ap.parse_args()
    if not 1 <= args.connections <= 256 or not 0.5 <= args.seconds <= 30:
        ap.error("keep it bounded: 1-256 connections, 0.5-30 seconds")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        story_id = populate(db)
        static = Path(tmp) / "static"
        static.mkdir()
        ready: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
        server = multiprocessing.Process(
            target=run_servers, args=(str(db), str(static), ready, args.max_items)
        )
        server.start()
        try:
            ours, theirs = ready.get(timeout=60)
            feed = "/feeds/world-news.atom"
            pages = {"feed": feed, "index": "/", "story": f"/stories/{story_id}/"}
            for name, path in pages.items():
                body, _ = fetch(ours, path, **{"Accept-Encoding": "identity"})
                (static / f"{name}.bin").write_bytes(body)
            feed_size = (static / "feed.bin").stat().st_size
            _, head = fetch(ours, feed, **{"Accept-Encoding": "identity"})
            etag = head["ETag"]
            _, shead = fetch(theirs, "/feed.bin")
            cases = [
                ("feed 200", ours, feed, {}),
                ("feed 304", ours, feed, {"If-None-Match": etag}),
                ("feed gzip", ours, feed, {"Accept-Encoding": "gzip"}),
                ("front page /", ours, "/", {}),
                ("story page", ours, pages["story"], {}),
                ("static feed 200", theirs, "/feed.bin", {}),
                (
                    "static feed 304",
                    theirs,
                    "/feed.bin",
                    {"If-None-Match": shead["ETag"]},
                ),
                ("static / 200", theirs, "/index.bin", {}),
                ("static story 200", theirs, "/story.bin", {}),
            ]
            print(
                f"{args.connections} connections, {args.seconds:g} s per case, "
                f"median of {args.repeat}; {len(CATEGORIES)} categories x "
                f"{STORIES_PER_CATEGORY} stories; feed {feed_size} bytes"
            )
            print(
                f"{'case':18} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
                f"{'server CPU µs/req':>18}"
            )
            results: dict[str, float] = {}
            costs: dict[str, float] = {}
            for name, port, path, headers in cases:
                runs = [
                    measure(server.pid or 0, port, path, headers, args.connections, args.seconds)
                    for _ in range(args.repeat)
                ]
                rps = statistics.median(r[0] for r in runs)
                p50 = statistics.median(r[1] for r in runs)
                p99 = statistics.median(r[2] for r in runs)
                errs = sum(r[3] for r in runs)
                cpu = statistics.median(r[4] for r in runs)
                results[name] = rps
                costs[name] = cpu
                print(f"{name:18} {rps:9.0f} {p50:8.2f} {p99:8.2f} {errs:7d} {cpu:18.0f}")
            ceiling = results["static feed 200"]
            print(
                f"feed 200 = {results['feed 200'] / ceiling:.0%} of static; "
                f"feed 304 = {results['feed 304'] / ceiling:.0%} of static 200; "
                f"/ = {results['front page /'] / results['static / 200']:.0%} of static; "
                f"story = {results['story page'] / results['static story 200']:.0%} of static"
            )
            print(
                "server CPU per request vs static: "
                f"feed 200 {costs['feed 200'] / costs['static feed 200']:.2f}x, "
                f"feed 304 {costs['feed 304'] / costs['static feed 304']:.2f}x, "
                f"/ {costs['front page /'] / costs['static / 200']:.2f}x, "
                f"story {costs['story page'] / costs['static story 200']:.2f}x"
            )
        finally:
            server.terminate()
            server.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
