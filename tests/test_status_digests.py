"""`aggregator status`'s digest lines: a failed send's pending retry, and what comes next."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from digest_fixture import NOW, settings

from aggregator.cli import main
from aggregator.cli_status import digest_row
from aggregator.models import Source
from aggregator.store import Store, to_iso

SETTINGS = settings()
TODAY = "2026-03-10"  # NOW is today's 08:00 Berlin send


def failed(attempts: int = 1, retry_at: Any = NOW + timedelta(minutes=5), day: str = TODAY) -> dict:
    return {
        "day": day,
        "status": "failed",
        "attempts": attempts,
        "next_attempt_at": to_iso(retry_at),
        "error": "451 try later",
    }


def row(last: dict, at: Any = NOW) -> tuple[str, str]:
    _, _, _, status, upcoming = digest_row("World News", last, SETTINGS, at)
    return status, upcoming


def test_a_pending_retry_is_the_next_send() -> None:
    assert row(failed()) == ("failed (attempt 1), retry in 5m: 451 try later", "retry in 5m")


def test_an_overdue_retry_is_due_not_past() -> None:
    """Waiting for the service's next tick: due now, never "retry 1s ago"."""
    later = NOW + timedelta(minutes=5, seconds=1)
    assert row(failed(), later) == ("failed (attempt 1), retry due: 451 try later", "retry due")
    assert row(failed(), NOW + timedelta(minutes=5))[1] == "retry due"


def test_no_retry_after_the_last_attempt_or_for_an_earlier_day() -> None:
    tomorrow = "in 1d"  # the next 08:00 Berlin send
    last = failed(attempts=SETTINGS.digest.max_attempts)
    assert row(last) == ("failed (attempt 6), gave up for the day: 451 try later", tomorrow)
    no_time = {**failed(), "next_attempt_at": None}
    assert row(no_time)[0].startswith("failed (attempt 1), gave up for the day")
    yesterday = failed(retry_at=NOW - timedelta(hours=20), day="2026-03-09")
    assert row(yesterday) == ("failed (attempt 1), gave up for the day: 451 try later", tomorrow)


def test_a_sent_digest_shows_the_next_scheduled_send() -> None:
    sent = {"day": TODAY, "status": "sent", "attempts": 1, "sent_at": to_iso(NOW)}
    assert digest_row("World News", sent, SETTINGS, NOW + timedelta(hours=1)) == (
        "World News",
        "2",
        f"{TODAY} (1h ago)",
        "sent",
        "in 23h",
    )


def test_status_json_shows_each_digest_status_shows_with_its_next_send(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`status --json`'s `digests` held only digests with a send stored: one configured and
    never sent yet was missing, as was every digest's next scheduled send, which the text's
    NEXT column shows. Now each digest the text shows is there, with `next_send_at` (null
    for one that goes to no one)."""
    db = tmp_path / "news.db"
    store = Store(db)
    store.sync_sources([Source("https://a.example/feed", "A", "World News")], NOW)
    store.close()
    config = tmp_path / "settings.toml"
    config.write_text(
        '[publish]\nbase_url = "https://news.example.org/"\n[digest]\n'
        'smtp_host = "127.0.0.1"\nfrom_address = "digest@news.example.org"\n'
        'send_at = "07:00"\ntimezone = "UTC"\n'
        '[digest.recipients]\n"World News" = ["ann@example.org"]\n"Science" = []\n'
    )
    assert main(["status", "--db", str(db), "--config", str(config), "--json"]) == 0
    digests = json.loads(capsys.readouterr().out)["digests"]
    assert set(digests) == {"World News"}  # (Science goes to no one: not shown)
    shown = digests["World News"]
    assert shown["status"] is None and shown["sent_at"] is None  # (never sent)
    at = datetime.fromisoformat(shown["next_send_at"])
    assert (at.hour, at.minute, at.utcoffset()) == (7, 0, timedelta(0))
    assert timedelta(0) < at - datetime.now(UTC) <= timedelta(days=1)


def test_status_without_the_settings_says_it_reads_the_defaults_of_a_service_with_digests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`sudo aggregator status --db /var/lib/aggregator/aggregator.db` with no --config read
    the defaults, and showed the service's digest as "not in [digest.recipients] now: sends
    nothing" without a word of why; it now says the settings were not read."""
    db = tmp_path / "news.db"
    store = Store(db)
    store.sync_sources([Source("https://a.example/feed", "A", "World News")], NOW)
    store.close()
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO digest_runs (category, day, status, attempts, sent_at) "
            "VALUES ('World News', ?, 'sent', 1, ?)",
            [TODAY, to_iso(NOW)],
        )
    assert main(["status", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "not in [digest.recipients] now: sends nothing" in out
    assert "read without --config (the defaults)" in out
    config = tmp_path / "settings.toml"
    config.write_text(
        '[publish]\nbase_url = "https://news.example.org/"\n[digest]\n'
        'smtp_host = "127.0.0.1"\nfrom_address = "digest@news.example.org"\n'
        '[digest.recipients]\n"World News" = ["ann@example.org"]\n'
    )
    assert main(["status", "--db", str(db), "--config", str(config)]) == 0
    assert "without --config" not in capsys.readouterr().out
