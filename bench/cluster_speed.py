"""Grouping speed: items/s at several active-window sizes, and restore time from the database.

Synthetic news: events with their own names and terms, written up by several outlets over
three days, over a Zipf-distributed shared vocabulary (so common words are common, as in real
text). For each window size W, one process groups W items into a database as the poller does;
a fresh process restores a clusterer from it (timed: the `poll --once` start-up cost), then
assigns NEW further items and reports items/s, in wall-clock and in CPU time (the CPU figures
are steadier on a shared machine), with the clusterer's memory (RSS growth while restoring)
and that process's peak RSS. The first NEW items also pay for what a restore leaves to first
use (an outlet's term counts); "then (CPU)" is the CPU rate of NEW more items after them, the
rate of a running service. "main (CPU)" is the CPU rate of NEW more items after those, grouped
as a poll pass groups them (`aggregator.grouping`): a part of `GROUP_CHUNK` items counted
(`observe`) with terms tokenised ahead, then assigned. In a pass the tokenising is the term
worker's (`aggregator.term_pool`, another process, on a second core); here it is done before
the clock starts, and the column counts what the pass's own process pays: loading and
unpacking the worker's answers, counting and assigning (not the store's reads and writes, nor
duplicate finding). "items/s", "(CPU)" and "then (CPU)" assign items that were not observed,
tokenising each in `assign`. The restore time ends with one collection (`gc.collect()`): a
restore leaves the window it built out of the collector's passes (`gc.freeze`, see
`StoryWindow.restore`), so it finds what else the process made meanwhile; before it did, this
was a pass over every restored object (~1 s at 100k items). "gc CPU s" is what the collector
takes while the new items are assigned. Per-item cost should
stay flat as W grows; the targets are ≥ 2,000 items/s at W = 100k and a restore
of 60k items in under 1 s, within the story cap.

`--snapshot` also measures the grouping snapshot (`aggregator.grouping_snapshot`, see
docs/design.md): the restored clusterer written as `poll --once` writes it (size, dump CPU s;
the pickling adds to "peak MB"; "dump MB" is what the write allocates on top of the window at
its peak, tracemalloc's peak over a second write: the pickler's memo, a table of every object
written, and what it keeps alive), then loaded in a fresh process as a start loads it (CPU s,
RSS growth), which assigns the same NEW items ("loaded (CPU)": items/s, tokenising included,
as in "(CPU)"):
"same" says whether its assignments (story, score, merges) equal the restored clusterer's.
That process then stores those items as a pass would and assigns NEW more both itself and
after a rebuild from the store: "pass" says whether the two agree. They need not: a snapshot
stands for the process having kept running, not for a rebuild (see docs/design.md).

    .venv/bin/python bench/cluster_speed.py [--sizes 10000,60000,100000] [--new 3000] [--snapshot]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import itertools
import json
import os
import pickle
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aggregator.cluster import Clusterer, ClusterSettings  # noqa: E402
from aggregator.cluster_settings import Assignment  # noqa: E402
from aggregator.features import text_read  # noqa: E402
from aggregator.grouping import GROUP_CHUNK  # noqa: E402
from aggregator.grouping_snapshot import load as load_window  # noqa: E402
from aggregator.grouping_snapshot import save as save_window  # noqa: E402
from aggregator.grouping_snapshot import stamp_for  # noqa: E402
from aggregator.models import Item  # noqa: E402
from aggregator.store import Store  # noqa: E402
from aggregator.term_pool import TASK, _unpack  # noqa: E402
from aggregator.term_task import tokenise_in_worker  # noqa: E402

START = datetime(2024, 1, 1, tzinfo=UTC)
WINDOW = timedelta(days=3)
_SYLLABLES = (
    "ka lo mi ne ru sa ti vo de ba fi gu ha je ko lu ma no pe qui ra se to ve xa zo".split()
)


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(syllables))


class Corpus:
    """Deterministic synthetic items; about half of them report an event nobody else does."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.vocab = list(
            dict.fromkeys(_word(self.rng, self.rng.randint(2, 4)) for _ in range(30_000))
        )
        weights = [1.0 / (rank + 1) for rank in range(len(self.vocab))]
        self.cum_weights = list(itertools.accumulate(weights))  # (the same draws, summed once)
        self.outlets = [f"outlet{n}.example" for n in range(300)]
        self.events: list[tuple[list[str], list[str], int]] = []  # names, terms, size
        self.n = 0

    def _common(self, k: int) -> list[str]:
        return self.rng.choices(self.vocab, cum_weights=self.cum_weights, k=k)

    def item(self, when: datetime) -> Item:
        rng = self.rng
        if not self.events or rng.random() < 0.55:
            names = [_word(rng, 3).capitalize() for _ in range(3)]
            terms = [_word(rng, 4) for _ in range(6)]
            self.events.append((names, terms, rng.randint(1, 6)))
            self.events = self.events[-3000:]
        names, terms, _ = rng.choice(self.events[-3000:])
        title_words = [*rng.sample(names, 2), *rng.sample(terms, 2), *self._common(5)]
        rng.shuffle(title_words)
        sentences = []
        for _ in range(5):
            words = [*rng.sample(names, 1), *rng.sample(terms, 2), *self._common(10)]
            rng.shuffle(words)
            sentences.append(" ".join(words).capitalize() + ".")
        self.n += 1
        return Item(
            id=f"i{self.n:07d}",
            title=" ".join(title_words).capitalize(),
            text=" ".join(sentences),
            outlet=(outlet := rng.choice(self.outlets)),
            feed_url=f"https://{outlet}/feed.xml",
            guid=f"g{self.n}",
            published=when,
            first_seen=when,
        )

    def items(self, count: int, start: datetime, span: timedelta) -> list[Item]:
        step = span / max(count, 1)
        return [self.item(start + step * k) for k in range(count)]


def grouped_database(path: Path, items: list[Item], settings: ClusterSettings) -> Clusterer:
    """Group `items` as the poller would and store them with their features."""
    clusterer = Clusterer(settings)
    store = Store(path)
    store.insert_items(items)
    with store.transaction():
        for item in items:
            now = item.published or START
            assignment = clusterer.assign(item, now)
            store.assign(item, assignment.story_id, None, now, assignment.terms)
    store.close()
    return clusterer


class _CollectorTime:
    """CPU seconds Python's cyclic garbage collector runs (a `gc.callbacks` entry)."""

    def __init__(self) -> None:
        self.seconds, self._started = 0.0, 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _digest(assignments: list[Assignment]) -> str:
    lines = (f"{a.story_id} {a.score!r} {a.merged}\n" for a in assignments)
    return hashlib.sha1("".join(lines).encode(), usedforsecurity=False).hexdigest()


def _fresh_items(size: int, new: int) -> tuple[Corpus, list[Item]]:
    """The corpus past the stored window's `size` items, and the NEW items after it."""
    corpus = Corpus()
    for _ in range(size):  # the same random stream as the stored items, without keeping them
        corpus.item(START)
    return corpus, corpus.items(new, START + WINDOW, timedelta(hours=1))


def load_snapshot(path: Path, size: int, new: int, db: Path) -> dict[str, float | str]:
    """Load a pickled clusterer as a start would (collector off, the state frozen), then
    assign the NEW items: the load's CPU s and RSS growth, and the assignments' digest.
    Then those items are stored as a pass would store them, and the next NEW items are
    assigned both by this clusterer and by one restored from the store: "pass" says whether
    they agree (whether a snapshot written after a pass could stand for a rebuild)."""
    corpus, fresh = _fresh_items(size, new)
    gc.collect()
    store = Store(db)
    stamp = stamp_for(*store.grouping_stamp(), ClusterSettings())
    store.close()
    before, cpu = _rss_mb(), time.process_time()
    loaded = load_window(path, stamp)  # (as a start loads it: header, checksum, collector off)
    assert loaded is not None, "the snapshot did not load"
    clusterer = loaded
    load_cpu, memory = time.process_time() - cpu, _rss_mb() - before
    cpu = time.process_time()
    done = [clusterer.assign(item, item.published or START + WINDOW) for item in fresh]
    assign_cpu = time.process_time() - cpu
    store = Store(db)
    store.insert_items(fresh)
    with store.transaction():
        for item, assignment in zip(fresh, done, strict=True):
            now = item.published or START + WINDOW
            for absorbed in assignment.merged:
                store.merge_story(absorbed, assignment.story_id, now)
            store.assign(item, assignment.story_id, None, now, assignment.terms)
    rebuilt = Clusterer(clusterer.settings)
    since = START + WINDOW - clusterer.settings.active_window
    rebuilt.restore(*store.grouping_state(since), take=True)  # (as a pass restores)
    store.close()
    later = corpus.items(new, START + WINDOW + timedelta(hours=1), timedelta(hours=1))
    running = [clusterer.assign(item, item.published or START + WINDOW) for item in later]
    restored = [rebuilt.assign(item, item.published or START + WINDOW) for item in later]
    return {
        "load_cpu_s": load_cpu,
        "load_mb": memory,
        "loaded_cpu_s": len(fresh) / assign_cpu if assign_cpu else 0.0,
        "digest": _digest(done),
        "pass": "yes" if _digest(running) == _digest(restored) else "NO",
    }


def measure(
    size: int, new: int, settings: ClusterSettings, cap: list[str], snapshot: bool = False
) -> dict[str, float | str]:
    """Restore and assign in this process; the window is grouped in another one, so this
    process's memory is what a restarted poller's clusterer takes."""
    corpus, fresh = _fresh_items(size, new)
    window_end = START + WINDOW
    snap: dict[str, float | str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        build = [sys.executable, __file__, "--build", str(size), "--db", str(path), *cap]
        subprocess.run(build, check=True)
        gc.collect()
        store = Store(path)
        before = _rss_mb()
        started, cpu = time.perf_counter(), time.process_time()
        items, terms, began = store.grouping_state(window_end - settings.active_window)
        read = time.perf_counter() - started
        clusterer = Clusterer(settings)
        clusterer.restore(items, terms, began, take=True)  # (as a pass restores)
        gc.collect()  # (what the collector passes over after a restore is a cost of it)
        restore, restore_cpu = time.perf_counter() - started, time.process_time() - cpu
        store.close()
        del items, terms
        memory = _rss_mb() - before
        if snapshot:
            snap = _snapshot(clusterer, Path(tmp) / "window.pickle", size, new, path)
    collecting = _CollectorTime()
    gc.callbacks.append(collecting)
    started, cpu = time.perf_counter(), time.process_time()
    done = [clusterer.assign(item, item.published or window_end) for item in fresh]
    assign, assign_cpu = time.perf_counter() - started, time.process_time() - cpu
    if snap:
        snap["same"] = "yes" if snap.pop("digest") == _digest(done) else "NO"
    gc.callbacks.remove(collecting)
    stories = clusterer.active_stories
    cpu = time.process_time()
    for item in corpus.items(new, window_end + timedelta(hours=1), timedelta(hours=1)):
        clusterer.assign(item, item.published or window_end)
    then_cpu = time.process_time() - cpu
    main_cpu = _pass_cpu(clusterer, corpus.items(new, window_end + timedelta(hours=2), _HOUR))
    return {
        "window": size,
        "stories": stories,
        "read_s": read,
        "restore_s": restore,
        "restore_cpu_s": restore_cpu,
        "items_s": new / assign,
        "items_cpu_s": new / assign_cpu,
        "then_cpu_s": new / then_cpu,
        "main_cpu_s": new / main_cpu,
        "gc_cpu_s": collecting.seconds,
        "clusterer_mb": memory,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **snap,
    }


_HOUR = timedelta(hours=1)


def _pass_cpu(clusterer: Clusterer, items: list[Item]) -> float:
    """CPU seconds this process takes to group `items` as a poll pass's process does, their
    terms worked out ahead as the term worker's answers (pickled as they arrive) before the
    clock starts: a part at a time, its answers loaded and unpacked, the part observed, then
    assigned (see `aggregator.grouping._group_run`; no store)."""
    tokens = clusterer.settings.text_tokens
    chars = text_read(tokens)
    parts = [items[start : start + GROUP_CHUNK] for start in range(0, len(items), GROUP_CHUNK)]
    answers = [
        [
            pickle.dumps(
                tokenise_in_worker(
                    [(i.id, i.title, i.text[:chars], i.language) for i in task], tokens
                )
            )
            for task in (part[start : start + TASK] for start in range(0, len(part), TASK))
        ]
        for part in parts
    ]
    cpu = time.process_time()
    for part, sent in zip(parts, answers, strict=True):
        unpacked = [terms for answer in sent for terms in _unpack(pickle.loads(answer))]
        clusterer.observe(part, {i.id: t for i, t in zip(part, unpacked, strict=True)})
        for item in part:
            clusterer.assign(item, item.published or START + WINDOW)
    return time.process_time() - cpu


def _snapshot(
    clusterer: Clusterer, path: Path, size: int, new: int, db: Path
) -> dict[str, float | str]:
    """Pickle a restored clusterer to `path` and load it in a fresh process (which then
    stores a pass into `db`: see `load_snapshot`)."""
    store = Store(db)
    stamp = stamp_for(*store.grouping_stamp(), clusterer.settings)
    store.close()
    cpu = time.process_time()
    save_window(path, clusterer, stamp)  # (as `poll --once` and `run` write it)
    dump_cpu = time.process_time() - cpu
    tracemalloc.start()  # (a second write, traced: tracing slows it)
    save_window(path, clusterer, stamp)
    dump_peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    command = [sys.executable, __file__, "--load", str(path), "--db", str(db), "--one", str(size)]
    loaded = subprocess.run([*command, "--new", str(new)], check=True, capture_output=True)
    return {
        "snap_mb": path.stat().st_size / 1e6,
        "dump_cpu_s": dump_cpu,
        "dump_mb": dump_peak,
        **json.loads(loaded.stdout),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,60000,100000", help="active-window sizes")
    parser.add_argument("--new", type=int, default=3000, help="items assigned after restore")
    parser.add_argument("--cap", type=int, default=None, help="max_active for a cap check")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one size, JSON out
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)  # group a window …
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)  # … into this database
    parser.add_argument(
        "--snapshot", action="store_true", help="also time pickling and loading the window"
    )
    parser.add_argument("--load", type=Path, help=argparse.SUPPRESS)  # load a pickled window
    args = parser.parse_args(argv)
    settings = ClusterSettings()
    cap = [] if args.cap is None else ["--cap", str(args.cap)]
    if args.cap is not None:
        settings = replace(settings, max_active=args.cap)
    if args.build is not None:
        grouped_database(args.db, Corpus().items(args.build, START, WINDOW), settings)
        return 0
    if args.load is not None:
        print(json.dumps(load_snapshot(args.load, args.one, args.new, args.db)))
        return 0
    if args.one is not None:
        print(json.dumps(measure(args.one, args.new, settings, cap, args.snapshot)))
        return 0
    snapshot = ["--snapshot"] if args.snapshot else []
    print(
        f"{'window':>8} {'stories':>8} {'db read s':>10} {'restore s':>10} {'(CPU s)':>8} "
        f"{'items/s':>8} {'(CPU)':>6} {'then (CPU)':>10} {'main (CPU)':>10} {'gc CPU s':>9} "
        f"{'clust MB':>9} {'peak MB':>8}"
        + (
            f" {'snap MB':>8} {'dump CPU s':>10} {'dump MB':>8} {'load CPU s':>10} {'load MB':>8}"
            f" {'loaded (CPU)':>12} same pass" * bool(snapshot)
        )
    )
    for size in (int(s) for s in args.sizes.split(",")):
        command = [sys.executable, __file__, "--one", str(size), "--new", str(args.new), *cap]
        run = subprocess.run([*command, *snapshot], check=True, capture_output=True)
        r = json.loads(run.stdout)
        line = (
            f"{int(r['window']):>8} {int(r['stories']):>8} {r['read_s']:>10.2f} "
            f"{r['restore_s']:>10.2f} {r['restore_cpu_s']:>8.2f} {r['items_s']:>8.0f} "
            f"{r['items_cpu_s']:>6.0f} {r['then_cpu_s']:>10.0f} {r['main_cpu_s']:>10.0f} "
            f"{r['gc_cpu_s']:>9.2f} "
            f"{r['clusterer_mb']:>9.0f} "
            f"{r['peak_mb']:>8.0f}"
        )
        if snapshot:
            line += (
                f" {r['snap_mb']:>8.1f} {r['dump_cpu_s']:>10.2f} {r['dump_mb']:>8.1f}"
                f" {r['load_cpu_s']:>10.2f} "
                f"{r['load_mb']:>8.0f} {r['loaded_cpu_s']:>12.0f} {r['same']:>4} {r['pass']:>4}"
            )
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
