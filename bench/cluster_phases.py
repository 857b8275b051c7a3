"""Grouping cost per phase after a restore, in CPU seconds and (under callgrind) instructions.

The phases of `bench/cluster_speed.py` on its synthetic window: a clusterer restored from a
database of SIZE grouped items assigns NEW items ("first": they also count the outlets they
reach, see `WindowCounts.outlet_counts`), NEW more ("then") and NEW more as a poll pass does,
their terms worked out before the clock starts ("main"). Each phase prints its CPU seconds,
items/s and a digest of its assignments (story, score, merges, stored terms: two trees that
print the same digests placed every item alike). Wall and CPU time move with the load of a
shared machine; instruction counts do not. Run under callgrind with instrumentation off at
the start, the script switches it on for each phase only (through a small helper library
built with the C compiler from valgrind's `callgrind.h`) and prints each phase's
instructions (Ir):

    valgrind --tool=callgrind --instr-atstart=no \\
        .venv/bin/python bench/cluster_phases.py --size 10000 --new 500

The database is built once (`--db`, kept; ~2 min at 100k items). Set PYTHONHASHSEED to one
value for runs to compare: string hashes move set and dict layouts, and so the counts a
little.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import hashlib
import os
import pickle
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from cluster_speed import START, WINDOW, Corpus, _fresh_items, grouped_database  # noqa: E402

from aggregator.cluster import Clusterer, ClusterSettings  # noqa: E402
from aggregator.cluster_settings import Assignment  # noqa: E402
from aggregator.features import text_read  # noqa: E402
from aggregator.grouping import GROUP_CHUNK  # noqa: E402
from aggregator.store import Store  # noqa: E402
from aggregator.term_pool import TASK, _unpack  # noqa: E402
from aggregator.term_task import tokenise_in_worker  # noqa: E402

_TOGGLE = """#include <valgrind/callgrind.h>
void cg_on(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void cg_off(const char *name) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS_AT(name); }
"""


def _callgrind() -> ctypes.CDLL | None:
    """The toggle library when running under valgrind (None otherwise, or without a compiler
    or valgrind's headers)."""
    if "valgrind" not in os.environ.get("LD_PRELOAD", ""):
        return None
    built = Path(tempfile.mkdtemp()) / "cgtoggle.so"
    source = built.with_suffix(".c")
    source.write_text(_TOGGLE)
    made = subprocess.run(["cc", "-shared", "-fPIC", "-o", built, source], capture_output=True)
    return ctypes.CDLL(str(built)) if made.returncode == 0 else None


def _dumped_ir(phase: str) -> int | None:
    """The instructions of the dump callgrind wrote for `phase` (from its output files)."""
    for path in Path.cwd().glob(f"callgrind.out.{os.getpid()}.*"):
        text = path.read_text(errors="replace")
        if f"Client Request: {phase}\n" in text:
            totals = [line for line in text.splitlines() if line.startswith("totals:")]
            return int(totals[0].split()[1]) if totals else None
    return None


def _digest(done: list[Assignment]) -> str:
    lines = (f"{a.story_id} {a.score!r} {a.merged} {a.terms}\n" for a in done)
    return hashlib.sha1("".join(lines).encode(), usedforsecurity=False).hexdigest()[:12]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="items in the active window")
    parser.add_argument("--new", type=int, default=2000, help="items assigned per phase")
    parser.add_argument("--db", type=Path, help="the window's database (built if missing)")
    args = parser.parse_args(argv)
    settings = ClusterSettings()
    db = args.db or Path(tempfile.gettempdir()) / f"cluster_phases_{args.size}.db"
    if not db.exists():
        grouped_database(db, Corpus().items(args.size, START, WINDOW), settings)
    corpus, fresh = _fresh_items(args.size, args.new)
    end = START + WINDOW
    store = Store(db)
    cpu = time.process_time()
    items, terms, began = store.grouping_state(end - settings.active_window)
    clusterer = Clusterer(settings)
    clusterer.restore(items, terms, began)
    gc.collect()
    store.close()
    del items, terms
    print(f"restore {time.process_time() - cpu:.2f} CPU s", flush=True)
    then = corpus.items(args.new, end + timedelta(hours=1), timedelta(hours=1))
    main_items = corpus.items(args.new, end + timedelta(hours=2), timedelta(hours=1))
    chars, tokens = text_read(settings.text_tokens), settings.text_tokens
    parts = [main_items[at : at + GROUP_CHUNK] for at in range(0, len(main_items), GROUP_CHUNK)]
    answers = [  # (the term worker's answers, as `bench/cluster_speed.py` makes them)
        [
            pickle.dumps(
                tokenise_in_worker([(i.id, i.title, i.text[:chars], i.language) for i in t], tokens)
            )
            for t in (part[at : at + TASK] for at in range(0, len(part), TASK))
        ]
        for part in parts
    ]
    toggle = _callgrind()
    for phase in ("first", "then", "main"):
        if toggle is not None:
            toggle.cg_on()
        cpu = time.process_time()
        if phase == "main":
            done = []
            for part, sent in zip(parts, answers, strict=True):
                unpacked = [terms for answer in sent for terms in _unpack(pickle.loads(answer))]
                clusterer.observe(part, {i.id: t for i, t in zip(part, unpacked, strict=True)})
                done += [clusterer.assign(item, item.published or end) for item in part]
        else:
            batch = fresh if phase == "first" else then
            done = [clusterer.assign(item, item.published or end) for item in batch]
        spent = time.process_time() - cpu
        if toggle is not None:
            toggle.cg_off(phase.encode())
        ir = _dumped_ir(phase) if toggle is not None else None
        line = f"{phase:>5}: {spent:.3f} CPU s, {args.new / spent:,.0f} items/s"
        if ir is not None:
            line += f", {ir / 1e6:,.1f}M Ir ({ir / args.new / 1e6:.2f}M an item)"
        print(f"{line}, digest {_digest(done)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
