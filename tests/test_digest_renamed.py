"""Readers who signed up for a category's daily email before an OPML edit renamed it, and
the operator moved the settings' digest to the new name: they keep getting it, their
unsubscribe links keep working, and `status` counts them under the digest they get."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from digest_fixture import BASE, NOW, Sink, add_story, settings, smtp_sink
from test_digest_job import Clock
from upstream import free_port

from aggregator.cli import main
from aggregator.models import Source
from aggregator.service import Service
from aggregator.signup_store import Subscribers
from aggregator.signup_web import Signups
from aggregator.store import Store
from aggregator.web import make_app

FEED = "https://a.example/feed"


def _renamed(db: Path) -> None:
    """ "World" renamed "World News" in the OPML; ann signed up under the former name, bob
    under the new one, cy under both."""
    store = Store(db)
    store.sync_sources([Source(FEED, "A", "World")], NOW)
    books = Subscribers(store)
    books.confirm("World", "ann@example.org", NOW)
    books.confirm("World", "cy@example.org", NOW)
    store.sync_sources([Source(FEED, "A", "World News")], NOW)
    books.confirm("World News", "bob@example.org", NOW)
    books.confirm("World News", "cy@example.org", NOW)
    add_story(store, "s1", "Harbour crane collapses", at=NOW - timedelta(hours=1))
    store.close()


def _rows(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT category, address FROM digest_subscribers ORDER BY category, address"
        ).fetchall()


def test_readers_filed_under_a_former_name_get_its_digest_once_and_can_leave(
    tmp_path: Path,
) -> None:
    db = tmp_path / "news.db"
    _renamed(db)
    port = free_port()
    sink = Sink()
    config = settings(smtp_port=port, recipients={"World News": ()}, self_service=True)
    with smtp_sink(sink, port):
        svc = Service(Path("feeds.opml"), db, config, clock=Clock(NOW))
        try:
            (run,) = asyncio.run(svc.digest_job().run_due())
        finally:
            svc.close()
    assert run.status == "sent"
    got = sorted(address for m in sink.messages for address in m.rcpt_tos)
    assert got == ["ann@example.org", "bob@example.org", "cy@example.org"]  # each once
    copies = {
        m.rcpt_tos[0]: message_from_bytes(m.content, policy=policy.default) for m in sink.messages
    }
    ann = copies["ann@example.org"]
    assert ann["Subject"] == "World News: Harbour crane collapses — March 10, 2026"
    leave = ann["List-Unsubscribe"].strip("<>")
    assert leave.startswith(f"{BASE}world/unsubscribe?t=")  # (her link names her list)
    assert copies["bob@example.org"]["List-Unsubscribe"].startswith(f"<{BASE}world-news/")

    async def one_click() -> int:
        store = Store(db)

        async def write(fn: object, *args: object) -> object:
            return fn(*args)  # type: ignore[operator]

        signups = Signups(Subscribers(store), write, config, None, Clock(NOW))
        app = make_app(
            store.reader(), config.publish, clock=Clock(NOW), digest=config.digest,
            version_ttl=0, signups=signups,
        )  # fmt: skip
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            answer = await client.post(
                leave.removeprefix(BASE.rstrip("/")), data="List-Unsubscribe=One-Click",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )  # fmt: skip
            return answer.status
        finally:
            await client.close()
            store.close()

    assert asyncio.run(one_click()) == 200
    assert _rows(db) == [
        ("World", "cy@example.org"),
        ("World News", "bob@example.org"),
        ("World News", "cy@example.org"),
    ]


def test_status_counts_readers_filed_under_a_former_name_with_the_digest_they_get(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "news.db"
    _renamed(db)
    config = tmp_path / "settings.toml"
    config.write_text(
        '[publish]\nbase_url = "https://news.example.org/"\n[digest]\nself_service = true\n'
        'smtp_host = "127.0.0.1"\nfrom_address = "digest@news.example.org"\n'
        '[digest.recipients]\n"World News" = []\n'
    )
    assert main(["status", "--db", str(db), "--config", str(config)]) == 0
    shown = capsys.readouterr().out
    lines = shown.splitlines()
    (world,) = [line for line in lines if line.startswith("World News ") and "signed" in line]
    assert "0 + 3 signed up" in world and "never sent" in world  # (cy once)
    assert not [line for line in lines if line.startswith("World  ")]  # (no digest of its own)
    assert "not in [digest.recipients]" not in shown
    assert main(["status", "--db", str(db), "--config", str(config), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["digests_removed"] == {}
    assert report["digests"]["World News"]["next_send_at"] is not None
