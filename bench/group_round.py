"""A `run` round's grouping at a given stored size, replayed from a held database.

`bench/poll.py`'s growth table times `group_pending` inside a long-lived service, one run per
tree. This bench holds the rounds instead, so a change can be weighed on the same round:

1. `--hold DIR --at 10,20`: a service in this process polls `bench/poll.py`'s corpus
   (`--feeds` feeds, ~3,000 new items a round) round after round; just before grouping round
   N (for each N in `--at`) the database is copied to `DIR/round-N.db`, its new items stored
   and not yet grouped (~30k and ~60k stored for 10 and 20 at 300 feeds). Each round's
   `group_pending` writer-thread CPU is printed (the service's own, its memos warm); with
   `--split`, also its member vectors in the kept window (thread CPU; a replay rebuilds its
   window, whose members and profiles all start without vectors): those recomputed for the
   ranking and inside story profiles, those given from the kept ones, decodes, and the story
   profiles summed anew (a member joined or left, or the window drifted). With `--window`,
   the service's window as it stands before round N is written beside it too
   (`DIR/round-N.grouping`, a `grouping_snapshot` file); with `--profile K`, round N's
   `group_pending` runs under cProfile (its top K printed, all kept in `DIR/round-N.prof`).
2. `--replay DIR/round-N.db`: in a fresh process (the window rebuilt from the rows, as after
   a restart without a snapshot; with `--window`, the held window beside it loaded instead:
   the kept window a service groups the round with, its members' vectors kept from earlier
   rounds, only its memos empty), a copy of it groups that round once: printed are the
   writer thread's CPU seconds of `group_pending`, the candidate rows read, the texts hashed
   for the near check, `vectors_of` calls, and a digest of the result (every item's story and
   original), equal between two trees that group alike. `--profile N` prints cProfile's top N;
   `--bare` leaves the phase wrappers out (they add ~8% to the round's CPU at 60k stored).

    python bench/group_round.py --hold /tmp/held --at 10,20          # ~10 min
    python bench/group_round.py --replay /tmp/held/round-10.db --repeat 3
    python bench/group_round.py --hold /tmp/held --at 20 --window     # + round-20.grouping
    python bench/group_round.py --replay /tmp/held/round-20.db --window  # a service's round
    PYTHONPATH=/other/tree python bench/group_round.py --replay ...   # the same round, A/B

Grouping's clock is the held database's newest first-seen time, so a replay groups alike
whenever it runs. CPU seconds are the load-independent figure (2 shared cores: alternate A/B).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import os
import pstats
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import poll  # noqa: E402  (the corpus and its server)


def hold(args: argparse.Namespace) -> None:
    from aggregator import story_job
    from aggregator.config import load_settings
    from aggregator.fetch import Fetcher
    from aggregator.service import Service

    out = Path(args.hold)
    out.mkdir(parents=True, exist_ok=True)
    at = {int(n) for n in args.at.split(",")}
    server = poll.start_server(args, args.feeds)
    state = {"round": 0}
    real = story_job.group_pending

    def held(store, *rest, **kw):  # type: ignore[no-untyped-def]
        if state["round"] in at:
            dest = out / f"round-{state['round']}.db"
            dest.unlink(missing_ok=True)
            with sqlite3.connect(store.path) as src, sqlite3.connect(dest) as to:
                src.backup(to)
            print(f"held {dest}", flush=True)
            if args.window:
                _hold_window(rest[0], dest.with_suffix(".grouping"))
        prof = cProfile.Profile() if args.profile and state["round"] in at else None
        cpu = time.thread_time()
        if prof is not None:
            prof.enable()
        try:
            return real(store, *rest, **kw)
        finally:
            if prof is not None:
                prof.disable()
            print(f"  group_pending CPU {time.thread_time() - cpu:.2f} s", flush=True)
            if prof is not None:
                prof.dump_stats(out / f"round-{state['round']}.prof")
                pstats.Stats(prof).sort_stats("cumulative").print_stats(args.profile)

    story_job.group_pending = held
    if args.split:
        _split_rounds()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            opml = Path(tmp) / "feeds.opml"
            poll.write_opml(server.urls(), opml)
            env = {**os.environ, "AGGREGATOR_ARTICLES_ENABLED": "false"}

            async def main() -> None:
                service = Service(opml, Path(tmp) / "g.db", load_settings(None, env))
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    for rnd in range(max(at) + 1):
                        state["round"] = rnd
                        server.set(rnd)
                        t = time.perf_counter()
                        report = await service.poll_cycle(fetcher, everything=True)
                        print(
                            f"round {rnd}: {report.items_new} new, {time.perf_counter() - t:.1f} s",
                            flush=True,
                        )
                service.close()

            asyncio.run(main())
    finally:
        server.stop()


def _hold_window(clusterer: Any, path: Path) -> None:
    """Write the service's window as it stands before the held round (`--window`): a
    replay of the round then groups with it, as the service does (its memos start empty)."""
    from aggregator import grouping_snapshot

    stamp = grouping_snapshot.Stamp("held", 0, "", "", grouping_snapshot.FORMAT)
    grouping_snapshot.save(path, clusterer, stamp)
    print(f"held {path}", flush=True)


def _load_window(path: Path) -> Any:
    """The window `_hold_window` wrote, whatever code or store it was written by."""
    from aggregator import grouping_snapshot

    with open(path, "rb") as raw:
        header = grouping_snapshot._header(raw)
        assert header is not None, f"{path}: no snapshot header"
        raw.seek(0)
        why, clusterer = grouping_snapshot._read(raw, header[0])
    assert clusterer is not None, f"{path}: {why}"
    return clusterer


def _split_rounds() -> None:
    """Make each round's `group_pending` print its member vectors' split (`--split`)."""
    from aggregator import story_job, story_window
    from aggregator.active_story import ProfileMember

    window = story_window.StoryWindow
    counts: dict[str, float] = {}
    inside = [False]  # (within `_profile_vector`)

    def add(key: str, value: float = 1) -> None:
        counts[key] = counts.get(key, 0) + value

    real_member, real_profile, real_decode = (
        window._member_vectors,
        window._profile_vector,
        ProfileMember.vectors,
    )

    def member_vectors(self, member):  # type: ignore[no-untyped-def]
        n = self._counts.n_items
        anew = member.weights is None or abs(n - member.counted) * 10 > n
        key = ("profile " if inside[0] else "rank ") + ("recomputed" if anew else "kept")
        t = time.thread_time()
        found = real_member(self, member)
        add(key)
        add(key + " s", time.thread_time() - t)
        return found

    def profile_vector(self, story):  # type: ignore[no-untyped-def]
        n = self._counts.n_items
        if story.profile is None:
            add("profiles summed (member joined or left)")
        elif abs(n - story.profile_counted) * 10 > n:
            add("profiles summed (drift)")
        inside[0] = True
        t = time.thread_time()
        try:
            return real_profile(self, story)
        finally:
            inside[0] = False
            add("profile vectors s", time.thread_time() - t)

    def decode(self, title_weight=0.0):  # type: ignore[no-untyped-def]
        t = time.thread_time()
        found = real_decode(self, title_weight)
        add("decodes")
        add("decodes s", time.thread_time() - t)
        return found

    window._member_vectors, window._profile_vector = member_vectors, profile_vector
    ProfileMember.vectors = decode  # type: ignore[method-assign]
    real = story_job.group_pending

    def split(*a, **kw):  # type: ignore[no-untyped-def]
        counts.clear()
        try:
            return real(*a, **kw)
        finally:
            shown = (
                f"{k} {v:.2f}" if k.endswith(" s") else f"{k} {v:.0f}" for k, v in counts.items()
            )
            print("  member vectors: " + ", ".join(shown), flush=True)

    story_job.group_pending = split


def _replay_once(path: Path, profile: int, bare: bool = False) -> None:
    import aggregator.near_text as near_text
    import aggregator.story_window as story_window
    from aggregator.config import load_settings
    from aggregator.grouping import group_pending
    from aggregator.store import Store
    from aggregator.story_job import StoryJob

    with sqlite3.connect(path) as conn:
        (newest,) = conn.execute("SELECT MAX(first_seen) FROM items").fetchone()
        (stored,) = conn.execute("SELECT COUNT(*) FROM items").fetchone()
        (new,) = conn.execute("SELECT COUNT(*) FROM items WHERE story_id IS NULL").fetchone()
    now = datetime.fromisoformat(newest)
    env = {**os.environ, "AGGREGATOR_ARTICLES_ENABLED": "false"}
    settings = load_settings(None, env)
    store = Store(path)
    kept = _keep_hashes(store)
    job = StoryJob(store, settings, lambda: now)
    t0 = time.thread_time()
    window = path.with_suffix(".grouping")
    if window.exists():  # (the service's window, held with the round: `--window`)
        job.clusterer = _load_window(window)
    else:
        job._restore_clusterer()
    restore = time.thread_time() - t0

    counts = {"rows": 0, "hashed": 0, "vectors": 0}
    spent: dict[str, float] = {}

    def timed(owner: object, name: str, label: str, count: str | None = None) -> None:
        """Wrap `owner.name` to add its thread CPU to `spent[label]` (and count calls or,
        for the candidates, rows); an inner call of a wrapped function is counted in both."""
        real = getattr(owner, name)

        def wrapper(*a, **kw):  # type: ignore[no-untyped-def]
            t = time.thread_time()
            try:
                found = real(*a, **kw)
            finally:
                spent[label] = spent.get(label, 0.0) + time.thread_time() - t
            if count == "rows":
                counts["rows"] += len(found[0] if isinstance(found, tuple) else found)
            elif count is not None:
                counts[count] += 1
            return found

        setattr(owner, name, wrapper)

    import aggregator.dedupe as dedupe
    import aggregator.grouping as grouping
    from aggregator.cluster import Clusterer

    if not bare:  # (`--bare`: no wrapper's own cost in the round's figure)
        name = "duplicate_candidates"
        if hasattr(store, "duplicate_candidates_hashed"):  # (items, kept hashes)
            name = "duplicate_candidates_hashed"
        timed(type(store), name, "candidate statements", "rows")
        timed(grouping, "find_duplicate", "duplicate comparisons")
        timed(near_text, "sorted_hashes", "texts hashed", "hashed")
        timed(dedupe, "near", "near checks")
        timed(Clusterer, "assign", "Clusterer.assign")
        timed(Clusterer, "observe", "Clusterer.observe")
        timed(story_window.StoryWindow, "_member_vectors", "member vectors", "vectors")
        timed(type(store), "assign", "Store.assign")

    prof = cProfile.Profile() if profile else None
    t, cpu = time.perf_counter(), time.thread_time()
    if prof is not None:
        prof.enable()
    group_pending(store, job.clusterer, now)
    if prof is not None:
        prof.disable()
    cpu = time.thread_time() - cpu
    wall = time.perf_counter() - t
    rows = store.conn.execute("SELECT id, story_id, duplicate_of FROM items ORDER BY id").fetchall()
    digest = hashlib.sha256(repr(rows).encode()).hexdigest()[:16]
    shown = (
        ""
        if bare
        else f"candidate rows {counts['rows']}, texts hashed {counts['hashed']}, "
        f"member vectors {counts['vectors']}, "
    )
    print(
        f"stored {stored}, new {new}: group_pending CPU {cpu:.2f} s (wall {wall:.1f}), "
        f"restore {restore:.2f} s, {shown}result {digest}"
        f"{f' (hashes kept for {kept} held items)' if kept else ''}",
        flush=True,
    )
    if not bare:
        print("  thread CPU s: " + ", ".join(f"{k} {v:.2f}" for k, v in spent.items()), flush=True)
    if prof is not None:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(profile)
    store.close()


def _keep_hashes(store: Any) -> int:
    """A database held by a tree that kept no shingle hashes, as a tree that keeps them would
    have left it: the hashes of every grouped original with near keys (before timing)."""
    conn = store.conn
    try:
        import aggregator.near_text as near_text

        pack = near_text.pack_hashes
        if conn.execute("SELECT 1 FROM near_hashes LIMIT 1").fetchone():
            return 0
    except (AttributeError, sqlite3.OperationalError):  # (a tree without them)
        return 0
    rows = conn.execute(
        "SELECT id, text FROM items WHERE id IN (SELECT item_id FROM near_keys)"
    ).fetchall()
    with conn:
        conn.executemany(
            "INSERT INTO near_hashes(item_id, hashes) VALUES (?, ?)",
            [(i, pack(near_text.sorted_hashes(text, once=True))) for i, text in rows],
        )
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hold", help="directory for the held databases")
    parser.add_argument("--at", default="10,20", help="rounds held before grouping")
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--data", type=Path, default=poll.DATA)
    parser.add_argument("--split", action="store_true", help="--hold: member vectors' split")
    parser.add_argument(
        "--window",
        action="store_true",
        help="--hold: also write the service's window before the held round (round-N.grouping); "
        "--replay: group with the held window beside the database, where there is one",
    )
    parser.add_argument("--replay", type=Path, help="a held database (it is copied)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--profile", type=int, default=0, help="cProfile's top N functions")
    parser.add_argument(
        "--bare",
        action="store_true",
        help="--replay: no per-phase wrappers (their ~1-2 us a call left out of the CPU figure)",
    )
    args = parser.parse_args()
    if args.hold:
        hold(args)
    if args.replay and args.repeat == 0:  # (one replay, in this process)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "round.db"
            shutil.copy(args.replay, path)
            if (window := args.replay.with_suffix(".grouping")).exists() and args.window:
                shutil.copy(window, path.with_suffix(".grouping"))
            _replay_once(path, args.profile, args.bare)
    elif args.replay:  # each replay a fresh process: no memo carried from the one before
        for _ in range(args.repeat):
            cmd = [sys.executable, __file__, "--replay", str(args.replay), "--repeat", "0"]
            cmd += ["--window"] if args.window else []
            cmd += ["--bare"] if args.bare else []
            subprocess.run([*cmd, "--profile", str(args.profile)], check=True)


if __name__ == "__main__":
    main()
