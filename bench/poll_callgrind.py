"""Instructions of one every-304 `poll --once --all`, counted by callgrind: a figure that holds
still on a busy machine, where wall and CPU seconds of a sub-second pass do not.

Serves `bench/poll.py`'s corpus on loopback and runs one cold pass into a database in `--work`
(a few minutes, at every invocation: the feeds' URLs name the server's port). Then, for each
run, it copies that database and counts a whole `python -m aggregator poll --once --all`
against the copy under `valgrind --tool=callgrind`, every feed answering 304. Bytecode is
cached as the bench caches it, and two uncounted passes first fill the method and pattern
caches kept beside it.

    python bench/poll_callgrind.py                    # 300 feeds, 3 counted runs
    python bench/poll_callgrind.py --feeds 1000 --runs 2
    python bench/poll_callgrind.py --keep             # keep the files for callgrind_annotate

Needs valgrind and the `bench` extra. It counts this tree (the one the script is in).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import poll  # the corpus server and OPML writer of bench/poll.py

WORK = Path(tempfile.gettempdir()) / "aggregator-bench-callgrind"
_COLLECTED = re.compile(r"Collected : (\d+)")


def environment(pycache: Path) -> dict[str, str]:
    """bench/poll.py's environment for our process, with bytecode cached in `pycache`."""
    return {**poll.ours_env(), "PYTHONPYCACHEPREFIX": str(pycache)}


def command(opml: Path, db: Path) -> list[str]:
    once = ["poll", "--once", "--all", "--opml", str(opml), "--db", str(db)]
    return [sys.executable, "-m", "aggregator", *once]


def remove(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--data", type=Path, default=poll.DATA)
    parser.add_argument("--keep", action="store_true", help="keep the callgrind.out files")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    args.work.mkdir(parents=True, exist_ok=True)
    env = environment(args.work / "pycache")
    server = poll.start_server(args, args.feeds)
    try:
        opml = args.work / f"feeds{args.feeds}.opml"
        poll.write_opml(server.urls(), opml)
        cold = args.work / f"cold{args.feeds}.db"
        remove(cold)
        print(f"cold pass over {args.feeds} feeds ...", file=sys.stderr, flush=True)
        subprocess.run(command(opml, cold), env=env, check=True, capture_output=True)
        db = args.work / "pass.db"
        for _ in range(2):  # uncounted: bytecode, method and pattern caches filled
            remove(db)
            shutil.copyfile(cold, db)
            subprocess.run(command(opml, db), env=env, check=True, capture_output=True)
        counts = []
        for run in range(args.runs):
            remove(db)
            shutil.copyfile(cold, db)
            out = args.work / f"callgrind.out.{args.feeds}.{run}"
            valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
            done = subprocess.run(
                [*valgrind, *command(opml, db)], env=env, capture_output=True, text=True
            )
            found = _COLLECTED.search(done.stderr)
            if done.returncode or found is None:
                raise SystemExit(f"the pass failed ({done.returncode}):\n{done.stderr[-3000:]}")
            if f"not_modified={args.feeds})" not in done.stdout:
                raise SystemExit(f"not a pass of 304s only: {done.stdout.strip()}")
            counts.append(int(found[1]))
            print(f"run {run + 1}: {counts[-1] / 1e6:.1f}M instructions", flush=True)
            if not args.keep:
                out.unlink(missing_ok=True)
        print(f"{args.feeds} feeds, every answer 304: min {min(counts) / 1e6:.1f}M instructions")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
