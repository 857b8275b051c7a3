"""Poll-cycle speed and memory: ours against lemon24/reader, in the same run, on loopback.

Generates a corpus of feeds (RSS 2.0 and Atom, ~60 items of HTML each) whose items are
built from ../shared/data/dev/multinews-dev.jsonl documents spread over outlets, so several
feeds really report the same events and grouping and summarising do real work. A separate
server process serves it on loopback addresses 127.0.0.1-16 (16 "hosts", so per-host limits
behave as with real feeds). Then, for ours (`aggregator poll --once --all` in a fresh process)
and for reader (`update_feeds(workers=16)` in a fresh process), it prints wall seconds,
items/s, CPU seconds (incl. child processes) and peak RSS (whole process tree) for:

- cold: an empty database, every feed new;
- 304: the same feeds again, every answer 304 Not Modified;
- unchanged: the same bodies again, served without validators (no ETag/Last-Modified).

Three items in four carry a picture (`media:content`, a small JPEG served by the same
server), as real news feeds do, so the cold pass pays for the picture checks our default
(`[publish] check_pictures`) makes; reader stores them as enclosures. `--no-pictures` serves
the corpus without them (as the figures measured before this option were); `--picture-delay
S` answers each picture after S seconds, as picture hosts across a network would.

Then a growth table: one long-running process per tool polls all feeds 20 times (`run`-style
cycles), each round bringing 10 new items per feed (~3,000 at 300 feeds), all inside the
active window: cycle seconds, CPU seconds (the process's own, and those of the worker
processes that exited during the round: parse, term and summary workers), grouping items/s,
and the process tree's RSS after each round
and its peak during it (sampled every 50 ms, parse workers included; and the main process's).
Grouping is the grouping pass itself (`grouping.group_pending`: reading the new items, dedupe,
grouping, storing), timed on the writer thread in wall and thread-CPU seconds; "summarise s"
is the rest of the story job's wall (reading, summarising in process and on the workers,
saving).

Both tools run with their bytecode cached (as installed packages do) and compiled once
before anything is timed. Each pass of the pass tables starts with the disk written back
(`os.sync()` first, for both tools): in a service, passes are minutes apart, and the kernel
writes dirty pages back within 30 s; back to back, a pass's closing checkpoint would also wait
for the previous pass's writes to reach the disk (~25 ms of ours' 0.2 s every-304 pass
after the ~90 MB cold pass). `--no-sync` times them as they come, back to back.

    python bench/poll.py                       # 300 feeds, growth 20 rounds x 300 feeds
    python bench/poll.py --feeds 1000          # the 1,000-feed table
    python bench/poll.py --feeds 100 --rounds 6 --growth-feeds 100   # a quick look
    python bench/poll.py --feeds 0             # the growth table only
    python bench/poll.py --feeds 1000 --rounds 0 --passes cold --no-reader   # one cold pass

Needs `pip install -e '.[bench]'` (reader, psutil). Noise: the machine may be shared; compare
the ratios of one run, not absolute seconds across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import html
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared/data/dev/multinews-dev.jsonl"
HOSTS = 16
ITEMS_PER_FEED = 60
ITEMS_PER_ROUND = 10  # new items per feed per growth round
FEEDS_PER_EVENT = 4  # about this many feeds report each event
COLD_ROUND = 5  # the cold pass serves round 5: 60 items per feed
PASSES = ("cold", "304", "unchanged")  # the pass tables' rows, in order
_WORD = re.compile(r"[^\W\d_]{4,}")
PYCACHE = os.path.join(tempfile.gettempdir(), "aggregator-bench-pycache")

# --- the corpus ------------------------------------------------------------------------------


class Corpus:
    """Deterministic feeds built from Multi-News clusters.

    An event is (cluster, variant). Variant 0 is the cluster's own text; later variants
    relabel content words by a per-variant permutation inside bands of equal frequency, so
    every event is distinct while keeping real text's statistics (there are only 250 real
    clusters and a 60k-item history needs thousands of events).
    """

    def __init__(
        self,
        path: Path,
        feeds: int,
        seed: int = 7,
        start: datetime | None = None,
        spacing: float = 90.0,
        pictures: str = "",
    ) -> None:
        self.feeds = feeds
        self.pictures = pictures  # the picture server's port ("": items carry none)
        self.seed = seed
        self.clusters: list[list[tuple[str, list[str]]]] = []
        counts: Counter[str] = Counter()
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                docs = []
                for raw in json.loads(line)["documents"]:
                    paras = [p.strip() for p in re.split(r"\n\s*\n|\n", raw) if len(p.strip()) > 40]
                    if len(paras) < 2:
                        continue
                    title = " ".join(paras[0].split()[:14])
                    body = [p[:700] for p in paras[1:8]]
                    docs.append((title, body))
                    for p in (title, *body):
                        counts.update(w.lower() for w in _WORD.findall(p))
                if docs:
                    self.clusters.append(docs)
        ranked = [w for w, _ in counts.most_common()]
        self._bands = [ranked[i : i + 64] for i in range(200, len(ranked), 64)]  # top 200 kept
        self._rank = {w: (b, i) for b, band in enumerate(self._bands) for i, w in enumerate(band)}
        self._items: dict[tuple[int, int], dict[str, Any]] = {}
        self.start = start or datetime.now(UTC).replace(microsecond=0) - timedelta(hours=30)
        self.spacing = spacing  # seconds between a feed's items

    @functools.lru_cache(maxsize=1024)  # noqa: B019 - a bounded cache on a long-lived object
    def _offsets(self, variant: int) -> list[int]:
        rng = random.Random(variant * 7919 + self.seed)
        return [rng.randrange(1, len(band)) if len(band) > 1 else 0 for band in self._bands]

    def _text(self, text: str, variant: int) -> str:
        """Variant `variant` of a text: each content word rotated inside its frequency band."""
        if variant == 0:
            return text
        offsets = self._offsets(variant)

        def swap(m: re.Match[str]) -> str:
            word = m.group(0)
            place = self._rank.get(word.lower())
            if place is None:
                return word
            band, pos = place
            words = self._bands[band]
            new = words[(pos + offsets[band]) % len(words)]
            return new.capitalize() if word[0].isupper() else new

        return _WORD.sub(swap, text)

    def item(self, feed: int, serial: int) -> dict[str, Any]:
        key = (feed, serial)
        if key not in self._items:
            self._items[key] = self._make_item(feed, serial)
        return self._items[key]

    def _make_item(self, feed: int, serial: int) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}:{feed}:{serial}")
        per_slot = max(1, self.feeds // FEEDS_PER_EVENT)
        event = serial * per_slot + rng.randrange(per_slot)
        cluster = self.clusters[event % len(self.clusters)]
        variant = event // len(self.clusters)
        title, body = cluster[rng.randrange(len(cluster))]
        paras = body[: rng.randint(2, max(2, len(body)))]
        when = self.start + timedelta(seconds=serial * self.spacing + rng.randrange(60))
        return {
            "title": self._text(title, variant),
            "html": "".join(f"<p>{html.escape(self._text(p, variant))}</p>" for p in paras),
            "link": f"https://outlet{feed}.invalid/news/{serial}-{event}",
            "guid": f"outlet{feed}-{serial}",
            "when": when,
            "author": f"Reporter {rng.randrange(40)}",
            "picture": (
                f"http://127.0.0.{feed % HOSTS + 1}:{self.pictures}/pic/{feed}-{serial}.jpg"
                if self.pictures and serial % 4
                else ""
            ),
        }

    def body(self, feed: int, rnd: int) -> bytes:
        """Feed `feed` as served in round `rnd`: its newest ITEMS_PER_FEED items."""
        end = ITEMS_PER_ROUND * (rnd + 1)
        serials = range(end - 1, max(0, end - ITEMS_PER_FEED) - 1, -1)
        items = [self.item(feed, s) for s in serials]
        name = f"Outlet {feed} News"
        media = {
            id(i): f'<media:content url="{i["picture"]}" medium="image" type="image/jpeg"/>'
            if i["picture"]
            else ""
            for i in items
        }
        ns = ' xmlns:media="http://search.yahoo.com/mrss/"'
        if feed % 3 == 2:  # a third of the feeds are Atom
            entries = "".join(
                f"<entry><title>{html.escape(i['title'])}</title>"
                f'<link rel="alternate" href="{i["link"]}"/><id>{i["guid"]}</id>'
                f"<updated>{i['when'].isoformat()}</updated>"
                f"<author><name>{i['author']}</name></author>"
                f'<content type="html">{html.escape(i["html"])}</content>{media[id(i)]}</entry>'
                for i in items
            )
            doc = (
                '<?xml version="1.0" encoding="utf-8"?>'
                f'<feed xmlns="http://www.w3.org/2005/Atom"{ns}><title>{name}</title>'
                f'<link href="https://outlet{feed}.invalid/"/><id>urn:outlet:{feed}</id>'
                f"<updated>{items[0]['when'].isoformat()}</updated>{entries}</feed>"
            )
        else:
            entries = "".join(
                f"<item><title>{html.escape(i['title'])}</title><link>{i['link']}</link>"
                f'<guid isPermaLink="false">{i["guid"]}</guid>'
                f"<pubDate>{format_datetime(i['when'])}</pubDate>"
                f"<dc:creator>{i['author']}</dc:creator>"
                f"<description>{html.escape(i['html'])}</description>{media[id(i)]}</item>"
                for i in items
            )
            doc = (
                '<?xml version="1.0" encoding="utf-8"?>'
                f'<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"{ns}><channel>'
                f"<title>{name}</title><link>https://outlet{feed}.invalid/</link>"
                f"<description>News from outlet {feed}</description>{entries}</channel></rss>"
            )
        return doc.encode()


# --- the server (its own process) ------------------------------------------------------------


def serve(args: argparse.Namespace) -> None:
    from aiohttp import web

    corpus = Corpus(
        args.data,
        args.feeds,
        start=getattr(args, "start", None),
        spacing=getattr(args, "spacing", 90.0),
    )
    state = {"round": COLD_ROUND, "validators": True}
    bodies: dict[int, bytes] = {}
    delay = getattr(args, "picture_delay", 0.0)  # (bench/soak.py's server has no pictures)
    # A picture: a JPEG's first bytes and 6 KB more (what a check reads is its first 16 KB).
    picture = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(6 * 1024)

    def prepare() -> None:
        bodies.clear()
        for n in range(args.feeds):
            bodies[n] = corpus.body(n, state["round"])

    async def feed(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        etag = f'"{n}-{state["round"]}"'
        if state["validators"]:
            if request.headers.get("If-None-Match") == etag:
                return web.Response(status=304, headers={"ETag": etag})
            return web.Response(
                body=bodies[n], content_type="application/rss+xml", headers={"ETag": etag}
            )
        return web.Response(body=bodies[n], content_type="application/rss+xml")

    async def pic(request: web.Request) -> web.Response:
        if delay:  # (a picture host across a network, not on loopback)
            await asyncio.sleep(delay)
        return web.Response(body=picture, content_type="image/jpeg")

    async def control(request: web.Request) -> web.Response:
        state["round"] = int(request.query.get("round", state["round"]))
        state["validators"] = request.query.get("validators", "1") == "1"
        prepare()
        items = sum(len(b) for b in bodies.values())
        return web.json_response({"round": state["round"], "bytes": items})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feed/{n}.xml", feed)
        app.router.add_get("/pic/{name}", pic)
        app.router.add_get("/_control", control)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        port = 0
        for host in range(1, HOSTS + 1):
            site = web.TCPSite(runner, f"127.0.0.{host}", port)
            await site.start()
            port = port or runner.addresses[0][1]
        corpus.pictures = str(port) if getattr(args, "pictures", False) else ""
        prepare()
        print(port, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


@dataclass
class Server:
    proc: subprocess.Popen[str]
    port: int
    feeds: int

    def urls(self) -> list[str]:
        return [
            f"http://127.0.0.{n % HOSTS + 1}:{self.port}/feed/{n}.xml" for n in range(self.feeds)
        ]

    def set(self, rnd: int, validators: bool = True) -> None:
        url = f"http://127.0.0.1:{self.port}/_control?round={rnd}&validators={int(validators)}"
        with urllib.request.urlopen(url, timeout=600) as resp:
            resp.read()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def start_server(args: argparse.Namespace, feeds: int, pictures: bool = False) -> Server:
    cmd = [sys.executable, __file__, "--serve", "--feeds", str(feeds), "--data", str(args.data)]
    cmd += ["--pictures"] if pictures else []
    cmd += ["--picture-delay", str(getattr(args, "picture_delay", 0.0))]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return Server(proc, port, feeds)


# --- measuring a process ---------------------------------------------------------------------


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mb: float
    out: str
    main_mb: float = 0.0  # the peak of the main process alone (the rest: its children)
    err: str = ""


def children_rss(process: Any) -> list[int]:
    """The RSS of each of `process`'s children (recursive) that runs its own program: a child
    sampled between its start (`vfork`) and its `exec` reports its parent's whole RSS, which
    would count the parent twice (seen: a round's tree at 605 MB with the main process at 305;
    a 312 MB process starting 60 children showed 2 such samples in 474)."""
    mine = process.cmdline()
    return [c.memory_info().rss for c in process.children(recursive=True) if c.cmdline() != mine]


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Wall time (to the process's exit), CPU time (the process and its waited-for children)
    and the peak RSS of the whole process tree (sampled every 20 ms) of one command."""
    import psutil

    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    # Drain the pipes in threads: a chatty process must not block on a full pipe.
    chunks: dict[str, list[str]] = {"out": [], "err": []}
    drains = [
        threading.Thread(target=lambda s=stream, k=key: chunks[k].append(s.read()))
        for key, stream in (("out", proc.stdout), ("err", proc.stderr))
    ]
    for t in drains:
        t.start()
    peak = main = 0
    ps = psutil.Process(proc.pid)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, main
        while not done.is_set():
            try:
                own = ps.memory_info().rss
                rss = own + sum(children_rss(ps))
                peak, main = max(peak, rss), max(main, own)
            except psutil.Error:
                pass
            done.wait(0.02)

    # The wall ends when the process does: waited for here, not found by the sampling loop
    # (which polled every 20 ms and added ~10 ms on average, 7% of a 0.15 s pass).
    sampler = threading.Thread(target=sample)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in drains:
        t.join()
    out, err = "".join(chunks["out"]), "".join(chunks["err"])
    if proc.returncode:
        raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}):\n{err[-3000:]}")
    cpu = usage.ru_utime + usage.ru_stime  # includes the children it waited for
    # ru_maxrss: the biggest single process, if sampling missed a short peak.
    main = max(main, usage.ru_maxrss * 1024)
    return Run(wall, cpu, max(peak, main) / 2**20, out, main / 2**20, err)


def tool_env() -> dict[str, str]:
    """Both tools' environment: bytecode cached as in an installed package (pip compiles on
    install), in a directory of the bench's own, so neither recompiles its sources on every
    start (with PYTHONDONTWRITEBYTECODE set, compiling was most of a 304 pass's CPU)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = PYCACHE
    return env


def ours_env() -> dict[str, str]:
    """Our process's environment: article pages are not fetched (reader fetches none, and
    the corpus's links lead nowhere: `.invalid` hosts, never contacted)."""
    return {**tool_env(), "PYTHONPATH": str(ROOT), "AGGREGATOR_ARTICLES_ENABLED": "false"}


def warm_up(args: argparse.Namespace) -> None:
    """Compile both tools' modules once, before anything is timed."""
    ours = "import aggregator.cli, aggregator.cli_service, aggregator.fetch, aggregator.parse"
    subprocess.run([sys.executable, "-c", ours], env=ours_env(), cwd=ROOT, check=True)
    if not args.no_reader:
        theirs = "import reader, reader._parser"
        subprocess.run([args.reader_python, "-c", theirs], env=tool_env(), check=True)


# Each tool's items are counted after its pass, in a process of their own: not timed.
OURS_ITEMS = "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from items').fetchone()[0])"  # noqa: E501
READER_ITEMS = "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from entries').fetchone()[0])"  # noqa: E501

READER_PASS = textwrap.dedent(
    """
    import json, sys
    from reader import make_reader
    reader = make_reader(sys.argv[1])
    for url in json.load(open(sys.argv[2])):
        reader.add_feed(url, exist_ok=True)
    reader.update_feeds(workers=16, scheduled=False)
    """
)


def write_opml(urls: list[str], path: Path) -> None:
    cats = ["World News", "Business", "Technology", "Science", "Sports"]
    body = "".join(
        f'<outline text="{c}">'
        + "".join(
            f'<outline type="rss" text="feed {n}" xmlUrl="{u}"/>'
            for n, u in enumerate(urls)
            if n % len(cats) == k
        )
        + "</outline>"
        for k, c in enumerate(cats)
    )
    path.write_text(f'<opml version="2.0"><body>{body}</body></opml>')


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def passes(args: argparse.Namespace, feeds: int) -> None:
    server = start_server(args, feeds, pictures=not args.no_pictures)
    settle = (lambda: None) if args.no_sync else os.sync  # (see the module's docstring)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmpdir = Path(tmp)
            urls = server.urls()
            opml = tmpdir / "feeds.opml"
            write_opml(urls, opml)
            (tmpdir / "urls.json").write_text(json.dumps(urls))
            env = ours_env()
            rows = [[
                "pass", "tool", "wall s", "items", "items/s", "CPU s", "peak RSS MB",
                "main process MB", "ratio",
            ]]  # fmt: skip
            kinds = (("cold", True), ("304", True), ("unchanged", False))
            for name, validators in [kind for kind in kinds if kind[0] in args.passes]:
                server.set(COLD_ROUND, validators)
                ours_db = tmpdir / "ours.db"
                settle()
                ours = measure(
                    [sys.executable, "-m", "aggregator", "poll", "--once", "--all",
                     "--opml", str(opml), "--db", str(ours_db)],
                    env,
                )  # fmt: skip
                ours_items = int(
                    subprocess.check_output([sys.executable, "-c", OURS_ITEMS, str(ours_db)])
                )
                theirs = None
                theirs_items = 0
                if not args.no_reader:
                    settle()
                    theirs = measure(
                        [args.reader_python, "-c", READER_PASS, str(tmpdir / "reader.sqlite"),
                         str(tmpdir / "urls.json")],
                        tool_env(),
                    )  # fmt: skip
                    theirs_items = int(
                        subprocess.check_output(
                            [sys.executable, "-c", READER_ITEMS, str(tmpdir / "reader.sqlite")]
                        )
                    )
                ratio = f"{theirs.wall / ours.wall:.1f}x" if theirs else "-"
                for tool, run, count in (
                    ("ours", ours, ours_items),
                    ("reader", theirs, theirs_items),
                ):
                    if run is None:
                        continue
                    rows.append([
                        name, tool, f"{run.wall:.1f}", str(count), f"{count / run.wall:.0f}",
                        f"{run.cpu:.1f}", f"{run.peak_mb:.0f}", f"{run.main_mb:.0f}",
                        ratio if tool == "ours" else "",
                    ])  # fmt: skip
                print(f"[{name}] ours: {ours.out.strip().splitlines()[-1]}", file=sys.stderr)
            print(f"\n## {feeds} feeds (ratio: reader wall / ours wall)\n")
            print(table(rows), flush=True)
    finally:
        server.stop()


# --- the growth table ------------------------------------------------------------------------

OURS_GROWTH = textwrap.dedent(
    """
    import asyncio, json, os, resource, sys, time, urllib.request
    from pathlib import Path
    from aggregator.config import load_settings
    from aggregator.fetch import Fetcher
    from aggregator.service import Service

    opml, db, port, rounds = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])

    import psutil, threading
    me = psutil.Process()
    mine = me.cmdline()
    def tree_rss():
        try:  # (a child not yet running its own program is this process: see children_rss)
            return (me.memory_info().rss + sum(c.memory_info().rss
                    for c in me.children(recursive=True) if c.cmdline() != mine)) / 2**20
        except psutil.Error:  # a worker exited while being read
            return 0.0

    sampled = {"peak": 0.0, "main": 0.0}
    def sample():  # the tree's peak within a round (parse workers included), and main's
        while True:
            sampled["peak"] = max(sampled["peak"], tree_rss())
            sampled["main"] = max(sampled["main"], me.memory_info().rss / 2**20)
            time.sleep(0.05)
    threading.Thread(target=sample, daemon=True).start()

    import aggregator.story_job as story_job
    timers = {"group": 0.0, "group_cpu": 0.0, "group_total": 0.0}
    real_pending = story_job.group_pending
    def timed_pending(*args, **kwargs):  # (the writer thread: its CPU is the pass's own)
        t, cpu = time.perf_counter(), time.thread_time()
        try:
            return real_pending(*args, **kwargs)
        finally:
            timers["group"] += time.perf_counter() - t
            timers["group_cpu"] += time.thread_time() - cpu
    story_job.group_pending = timed_pending

    async def main():
        service = Service(opml, db, load_settings(None, os.environ))
        real_group = service._group_and_summarize
        def timed_group():
            t = time.perf_counter()
            try:
                return real_group()
            finally:
                timers["group_total"] = time.perf_counter() - t
        service._group_and_summarize = timed_group
        await service.load_sources(strict=True)
        async with Fetcher(service.settings.fetch) as fetcher:
            for rnd in range(rounds):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_control?round={rnd}").read()
                timers.update(group=0.0, group_cpu=0.0, group_total=0.0)
                sampled.update(peak=0.0, main=0.0)
                t = time.perf_counter()
                own0 = resource.getrusage(resource.RUSAGE_SELF)
                kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                report = await service.poll_cycle(fetcher, everything=True)
                wall = time.perf_counter() - t
                own1 = resource.getrusage(resource.RUSAGE_SELF)
                kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = own1.ru_utime + own1.ru_stime - own0.ru_utime - own0.ru_stime
                kids = kids1.ru_utime + kids1.ru_stime - kids0.ru_utime - kids0.ru_stime
                rss = tree_rss()
                peak = max(sampled["peak"], rss)
                main_peak = max(sampled["main"], me.memory_info().rss / 2**20)
                print(json.dumps({"round": rnd, "wall": wall, "new": report.items_new,
                    "cpu": cpu, "workers_cpu": kids,
                    "errors": report.errors, "group_s": timers["group"],
                    "group_cpu": timers["group_cpu"],
                    "summarize_s": timers["group_total"] - timers["group"],
                    "rss": rss, "peak": peak,
                    "main_peak": main_peak}), flush=True)
        service.close()

    asyncio.run(main())
    """
)

READER_GROWTH = textwrap.dedent(
    """
    import json, resource, sys, time, urllib.request
    from reader import make_reader
    reader = make_reader(sys.argv[1])
    port, rounds = sys.argv[3], int(sys.argv[4])
    for url in json.load(open(sys.argv[2])):
        reader.add_feed(url, exist_ok=True)
    for rnd in range(rounds):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/_control?round={rnd}").read()
        t = time.perf_counter()
        reader.update_feeds(workers=16, scheduled=False)
        wall = time.perf_counter() - t
        print(json.dumps({"round": rnd, "wall": wall,
            "items": reader.get_entry_counts().total,
            "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
    """
)


def growth(args: argparse.Namespace) -> None:
    feeds = args.growth_feeds
    server = start_server(args, feeds)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmpdir = Path(tmp)
            urls = server.urls()
            opml = tmpdir / "feeds.opml"
            write_opml(urls, opml)
            (tmpdir / "urls.json").write_text(json.dumps(urls))
            env = ours_env()
            ours = measure(
                [sys.executable, "-c", OURS_GROWTH, str(opml), str(tmpdir / "g.db"),
                 str(server.port), str(args.rounds)],
                env,
            )  # fmt: skip
            reader_rounds: list[dict[str, Any]] = []
            if not args.no_reader:
                theirs = measure(
                    [args.reader_python, "-c", READER_GROWTH, str(tmpdir / "g.sqlite"),
                     str(tmpdir / "urls.json"), str(server.port), str(args.rounds)],
                    tool_env(),
                )  # fmt: skip
                reader_rounds = [json.loads(line) for line in theirs.out.splitlines()]
            rows = [[
                "round", "stored items", "cycle s", "CPU s (main / workers)", "new items",
                "grouping items/s",
                "grouping CPU s", "summarise s", "RSS MB", "peak MB (tree / main)", "fetch errors",
                "reader cycle s", "reader peak MB",
            ]]  # fmt: skip
            stored = 0
            for line in ours.out.splitlines():
                r = json.loads(line)
                stored += r["new"]
                other = reader_rounds[r["round"]] if reader_rounds else None
                rows.append([
                    str(r["round"] + 1), str(stored), f"{r['wall']:.1f}",
                    f"{r['cpu']:.1f} / {r['workers_cpu']:.1f}", str(r["new"]),
                    f"{r['new'] / r['group_s']:.0f}" if r["group_s"] > 0 else "-",
                    f"{r['group_cpu']:.1f}",
                    f"{r['summarize_s']:.1f}", f"{r['rss']:.0f}",
                    f"{r['peak']:.0f} / {r['main_peak']:.0f}", str(r["errors"]),
                    f"{other['wall']:.1f}" if other else "-",
                    f"{other['peak']:.0f}" if other else "-",
                ])  # fmt: skip
            print(f"\n## growth: {feeds} feeds, {args.rounds} rounds, one process each\n")
            print(table(rows), flush=True)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, nargs="+", default=[300])
    parser.add_argument("--growth-feeds", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=20, help="growth rounds (0: none)")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--no-reader", action="store_true", help="measure ours only")
    parser.add_argument(
        "--passes",
        nargs="+",
        choices=PASSES,
        default=list(PASSES),
        help="the pass tables' passes to run (304 and unchanged poll what the passes before left)",
    )
    parser.add_argument("--reader-python", default=sys.executable)
    parser.add_argument(
        "--no-sync",
        action="store_true",
        help="time each pass right after the one before, its writes not yet on the disk",
    )
    parser.add_argument(
        "--no-pictures",
        action="store_true",
        help="the pass tables' items carry no pictures (none checked; the growth table never has)",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pictures", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--picture-delay",
        type=float,
        default=0.0,
        metavar="S",
        help="seconds each picture takes to answer (a network's round trips; default 0)",
    )
    args = parser.parse_args()
    if args.serve:
        args.feeds = args.feeds[0]
        serve(args)
        return
    if not args.data.exists():
        raise SystemExit(f"{args.data}: not found (the Multi-News dev file; see --data)")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    warm_up(args)
    for feeds in args.feeds:
        if feeds:  # --feeds 0: the growth table only
            passes(args, feeds)
    if args.rounds:
        growth(args)


if __name__ == "__main__":
    main()
