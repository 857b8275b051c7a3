"""Print a real-news day's multi-item stories, to read them as a subscriber would.

A day without labels (`gesab-2020-04-28`) can only be judged by reading: this runs its feed
files through `aggregator cluster` (default) or through `aggregator poll --once --all` over
the files served on loopback (`--poll`, dates moved to now), and prints every story with
several items: publication time, outlet and headline of each, oldest story first, then how
many stories hold several items and several outlets. Evaluation only: the files stay in
../shared and nothing of them is written into the repository.

    .venv/bin/python bench/read_day.py [DAY_DIR] [--poll]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster_eval import DEFAULT_DATA  # noqa: E402
from realnews import day_opml, poll_env, serve_day, shift_to_now  # noqa: E402

from aggregator.dedupe import outlet_key  # noqa: E402
from aggregator.parse import parse_feed  # noqa: E402

Row = tuple[str, str, str]  # (published ISO, outlet, headline)


def feed_rows(day: Path) -> list[dict[str, str]]:
    """The day's entries as `aggregator cluster` input (id = link, else guid)."""
    parsed = [
        (path, parse_feed(path.read_bytes(), "https://example.invalid/" + path.name, {}))
        for path in sorted(day.glob("*.xml"))
    ]
    dates = [e.published or e.updated for _, p in parsed for e in p.entries]
    fallback = max((d for d in dates if d), default=datetime.now(UTC))
    rows, seen = [], set()
    for path, feed in parsed:
        for entry in feed.entries:
            key = entry.url or entry.guid
            if not key or key in seen:
                continue
            seen.add(key)
            when = entry.published or entry.updated or fallback
            rows.append(
                {
                    "id": key,
                    "title": entry.title,
                    "text": entry.text,
                    "url": entry.url or "",
                    "publisher": feed.title or path.stem,
                    "published": when.isoformat(),
                }
            )
    return rows


def batch_stories(day: Path) -> list[list[Row]]:
    rows = feed_rows(day)
    by_id = {r["id"]: r for r in rows}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "day.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "aggregator", "cluster", str(path)],
            check=True, cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
    stories: dict[str, list[Row]] = {}
    for line in done.stdout.splitlines():
        answer = json.loads(line)
        row = by_id[answer["id"]]
        outlet = outlet_key(row["url"]) or row["publisher"]
        stories.setdefault(answer["story"], []).append((row["published"], outlet, row["title"]))
    return list(stories.values())


def poll_stories(day: Path) -> list[list[Row]]:
    rows = feed_rows(day)
    newest = max(datetime.fromisoformat(r["published"]) for r in rows)
    shift = shift_to_now(newest, datetime.now(UTC))
    with serve_day(day, shift) as (base, names), tempfile.TemporaryDirectory() as tmp:
        opml = Path(tmp) / "feeds.opml"
        opml.write_text(day_opml(base, names), encoding="utf-8")
        db = Path(tmp) / "day.db"
        subprocess.run(
            [sys.executable, "-m", "aggregator", "poll", "--once", "--all", "--opml", str(opml),
             "--db", str(db), "--log-level", "ERROR"],
            check=True, cwd=ROOT, stdout=subprocess.DEVNULL, env=poll_env(),
        )  # fmt: skip
        conn = sqlite3.connect(db)
        found = conn.execute("SELECT story_id, published, outlet, title FROM items").fetchall()
        conn.close()
    stories: dict[str, list[Row]] = {}
    for story, published, outlet, title in found:
        stories.setdefault(story, []).append((str(published or ""), outlet or "", title or ""))
    return list(stories.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("day", nargs="?", type=Path, default=None)
    parser.add_argument("--poll", action="store_true", help="through poll --once --all")
    args = parser.parse_args(argv)
    day = args.day or DEFAULT_DATA / "real-news" / "gesab-2020-04-28"
    if not day.is_dir():
        print(f"no such day: {day}", file=sys.stderr)
        return 2
    stories = poll_stories(day) if args.poll else batch_stories(day)
    multi = sorted((s for s in stories if len(s) > 1), key=lambda s: min(r[0] for r in s))
    for n, story in enumerate(multi, 1):
        print(f"\n[{n}] {len(story)} items, {len({r[1] for r in story})} outlets")
        for published, outlet, title in sorted(story):
            print(f"   {published[:16]}  {outlet[:30]:30}  {title}")
    outlets = sum(len({r[1] for r in s}) > 1 for s in multi)
    path = "poll --once --all" if args.poll else "aggregator cluster"
    print(f"\n{day.name} through {path}: {sum(len(s) for s in stories)} items, {len(stories)} "
          f"stories, {len(multi)} with several items, {outlets} with several outlets")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
