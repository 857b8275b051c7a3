"""The labelled real-news day, run through the real pipeline and through the batch command.

`poll_day` serves the day's feed files on loopback with every date moved by one common shift
of whole quarter hours (so the capture looks recent, and a feed's fixed time of day stays
one), runs `aggregator poll --once --all` on them, and reads back the stored stories;
`batch_day` writes the same entries as JSON lines and runs `aggregator cluster` on them.
Both return gold key → predicted story. Evaluation only: the files stay in ../shared and
nothing of them is written into the repository.
"""

from __future__ import annotations

import email.utils
import functools
import http.server
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aggregator.dedupe import canonical_url  # noqa: E402
from aggregator.parse import parse_feed  # noqa: E402

Gold = dict[str, str]

_RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s*)?\d{1,2}\s+"
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"\s*(?:[+-]\d{4}|[A-Z]{1,4})?"
)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})")


def _shift_rfc822(match: re.Match[str], shift: timedelta) -> str:
    try:
        when = email.utils.parsedate_to_datetime(match.group(0))
    except (TypeError, ValueError):
        return match.group(0)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return email.utils.format_datetime((when + shift).astimezone(UTC))


def _shift_iso(match: re.Match[str], shift: timedelta) -> str:
    try:
        when = datetime.fromisoformat(match.group(0).replace("Z", "+00:00"))
    except ValueError:
        return match.group(0)
    return (when + shift).astimezone(UTC).isoformat()


def shift_dates(body: bytes, shift: timedelta) -> bytes:
    """Every RFC 822 and ISO-8601 date in a feed document moved by `shift`."""
    text = body.decode("utf-8", errors="surrogateescape")
    text = _RFC822.sub(lambda m: _shift_rfc822(m, shift), text)
    text = _ISO.sub(lambda m: _shift_iso(m, shift), text)
    return text.encode("utf-8", errors="surrogateescape")


def shift_to_now(newest: datetime, now: datetime) -> timedelta:
    """The shift that puts a day's `newest` date 10 to 25 minutes before `now`: a whole number
    of quarter hours, so a feed stamping every entry at one quarter hour of the day
    (`aggregator.fixed_times`) still does once moved."""
    quarter = timedelta(minutes=15)
    return (now - timedelta(minutes=10) - newest) // quarter * quarter


def load_gold(day: Path) -> tuple[list[dict[str, str]], Gold]:
    rows = [json.loads(line) for line in (day / "gold.jsonl").open(encoding="utf-8")]
    return rows, {r["key"]: r["story"] for r in rows}


def capture_time(day: Path) -> datetime:
    """The newest gold date: a stand-in for the capture time."""
    rows, _ = load_gold(day)
    return max(datetime.fromisoformat(r["published"]) for r in rows if r.get("published"))


@contextmanager
def serve_day(day: Path, shift: timedelta) -> Iterator[tuple[str, list[str]]]:
    """Serve the day's shifted feed files on loopback; yields (base URL, file names)."""
    with tempfile.TemporaryDirectory() as tmp:
        names = sorted(p.name for p in day.glob("*.xml"))
        for name in names:
            (Path(tmp) / name).write_bytes(shift_dates((day / name).read_bytes(), shift))
        handler = functools.partial(_QuietHandler, directory=tmp)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/", names
        finally:
            server.shutdown()
            server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def poll_env() -> dict[str, str]:
    """The environment of a bench's `poll --once` over the day: the pictures' checks off (the
    day's pictures are on the outlets' hosts, which the bench does not reach: offline, each
    host's failed lookup cost ~5 s of a pass that measures grouping)."""
    return {**os.environ, "AGGREGATOR_PUBLISH_CHECK_PICTURES": "false"}


def day_opml(base: str, names: list[str]) -> str:
    outlines = "\n".join(
        f'<outline type="rss" text="{n}" title="{n}" xmlUrl="{base}{n}"/>' for n in names
    )
    return (
        '<?xml version="1.0"?><opml version="2.0"><head><title>day</title></head><body>'
        f'<outline text="News" title="News">{outlines}</outline></body></opml>'
    )


def _gold_lookup(gold: Gold) -> dict[str, str]:
    """Stored link or guid → gold key (links compared in canonical form)."""
    lookup = {}
    for key in gold:
        lookup[key] = key
        canon = canonical_url(key)
        if canon:
            lookup.setdefault(canon, key)
    return lookup


def poll_day(day: Path, python: str = sys.executable) -> tuple[Gold, float]:
    """`aggregator poll --once --all` over the served day; gold key → story, and seconds."""
    _, gold = load_gold(day)
    shift = shift_to_now(capture_time(day), datetime.now(UTC))
    with serve_day(day, shift) as (base, names), tempfile.TemporaryDirectory() as tmp:
        opml = Path(tmp) / "feeds.opml"
        opml.write_text(day_opml(base, names), encoding="utf-8")
        db = Path(tmp) / "day.db"
        started = datetime.now(UTC)
        subprocess.run(
            [python, "-m", "aggregator", "poll", "--once", "--all", "--opml", str(opml),
             "--db", str(db), "--log-level", "WARNING"],
            check=True, cwd=ROOT, stdout=subprocess.DEVNULL, env=poll_env(),
        )  # fmt: skip
        seconds = (datetime.now(UTC) - started).total_seconds()
        conn = sqlite3.connect(db)
        rows = conn.execute("SELECT url, canonical_url, guid, story_id FROM items").fetchall()
        conn.close()
    lookup = _gold_lookup(gold)
    pred: Gold = {}
    for url, canon, guid, story in rows:
        for candidate in (url, canon, guid):
            key = lookup.get(candidate or "")
            if key is not None and key not in pred:
                pred[key] = story
                break
    return pred, seconds


def day_rows(day: Path) -> list[dict[str, str]]:
    """The day's entries as `aggregator cluster` input, keyed by the gold key."""
    _, gold = load_gold(day)
    lookup = _gold_lookup(gold)
    fallback = capture_time(day)
    out = []
    for path in sorted(day.glob("*.xml")):
        parsed = parse_feed(path.read_bytes(), "https://example.invalid/" + path.name, {})
        seen: set[str] = set()
        for entry in parsed.entries:
            key = lookup.get(entry.url or "") or lookup.get(canonical_url(entry.url) or "")
            key = key or lookup.get(entry.guid)
            if key is None or key in seen:
                continue
            seen.add(key)
            out.append(
                {
                    "id": key,
                    "title": entry.title,
                    "text": entry.text,
                    "url": entry.url or "",
                    "publisher": parsed.title or path.stem,
                    "published": (entry.published or entry.updated or fallback).isoformat(),
                    "category": "News",
                }
            )
    return out


def batch_day(day: Path, python: str = sys.executable) -> tuple[Gold, float]:
    """`aggregator cluster` over the day's entries; gold key → story, and seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "day.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for row in day_rows(day):
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        started = datetime.now(UTC)
        done = subprocess.run(
            [python, "-m", "aggregator", "cluster", str(path)],
            check=True, cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        seconds = (datetime.now(UTC) - started).total_seconds()
    pred = {}
    for line in done.stdout.splitlines():
        row = json.loads(line)
        pred[row["id"]] = row["story"]
    return pred, seconds


def purity(pred: Gold, gold: Gold) -> tuple[int, int]:
    """(pure multi-item predicted stories, all multi-item predicted stories)."""
    members: dict[str, list[str]] = {}
    for key, story in pred.items():
        if key in gold:
            members.setdefault(story, []).append(gold[key])
    multi = [m for m in members.values() if len(m) > 1]
    return sum(len(set(m)) == 1 for m in multi), len(multi)


def agreement(a: Gold, b: Gold) -> float:
    """Share of item pairs on which two groupings agree (Rand index over common keys)."""
    keys = sorted(set(a) & set(b))
    same_a = Counter(a[k] for k in keys)
    same_b = Counter(b[k] for k in keys)
    joint = Counter((a[k], b[k]) for k in keys)
    pairs = len(keys) * (len(keys) - 1) // 2
    agree_same = sum(n * (n - 1) // 2 for n in joint.values())
    only_a = sum(n * (n - 1) // 2 for n in same_a.values()) - agree_same
    only_b = sum(n * (n - 1) // 2 for n in same_b.values()) - agree_same
    return 1.0 - (only_a + only_b) / pairs if pairs else 1.0


def disagreeing_pairs(a: Gold, b: Gold) -> int:
    keys = sorted(set(a) & set(b))
    same_a = Counter(a[k] for k in keys)
    joint = Counter((a[k], b[k]) for k in keys)
    same_b = Counter(b[k] for k in keys)
    agree_same = sum(n * (n - 1) // 2 for n in joint.values())
    return (
        sum(n * (n - 1) // 2 for n in same_a.values())
        + sum(n * (n - 1) // 2 for n in same_b.values())
        - 2 * agree_same
    )
