"""`/metrics`: the service's state in Prometheus' text format, for the networks allowed only."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from digest_fixture import add_story
from test_service import FEEDS, poll_new
from upstream import Upstream, opml

from aggregator import __version__
from aggregator.config import ConfigError, build_settings
from aggregator.metrics import allowed, networks, render
from aggregator.publish import PublishSettings
from aggregator.store import Store
from aggregator.web import make_app

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
SAMPLE = re.compile(r"^(aggregator_[a-z_]+)(\{[^}]*\})? (\S+)$")


def samples(text: str) -> dict[str, float]:
    """Each sample line as name{labels} → value; every metric has its HELP and TYPE."""
    found = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, line
        name = match[1]
        assert f"# TYPE {name} gauge" in text and f"# HELP {name} " in text
        found[name + (match[2] or "")] = float(match[3])
    return found


def test_the_text_says_health_counts_the_last_cycle_and_digests() -> None:
    report = {
        "status": "degraded",
        "feeds": 12,
        "feeds_failing": 7,
        "consecutive_errors": 30,
        "last_poll_at": "2026-12-06T11:58:00+00:00",
        "opml_refused": {"error": "x"},
        "digests": {
            'World "News"\\': {"sent_at": "2026-12-06T07:00:00+00:00"},
            "Business": {"sent_at": None},
        },
        "digests_failing": 1,
    }
    counts = {
        "items": 220777,
        "stories": 70880,
        "database_bytes": 815181824,
        "database_free_bytes": 4096,
        "last_cycle": {"feeds": 12, "ok": 5, "errors": 7, "items_new": 40, "seconds": 2.5},
        "last_backup_at": None,
        "waiting": {"items": 310, "stories": 42},
    }
    found = samples(render(report, counts))
    assert found[f'aggregator_info{{version="{__version__}"}}'] == 1
    assert found["aggregator_healthy"] == 0  # (degraded)
    assert (found["aggregator_feeds"], found["aggregator_feeds_failing"]) == (12, 7)
    assert found["aggregator_feed_errors_in_a_row"] == 30
    assert found["aggregator_sources_edit_refused"] == 1
    assert found["aggregator_withheld_edit_refused"] == 0  # (no refused withheld list)
    withheld = samples(render({**report, "withheld_refused": {"error": "x"}}, counts))
    assert withheld["aggregator_withheld_edit_refused"] == 1
    assert found["aggregator_last_poll_timestamp_seconds"] == NOW.timestamp() - 120
    assert found["aggregator_last_cycle_items_new"] == 40
    assert found["aggregator_last_cycle_seconds"] == 2.5
    assert "aggregator_last_cycle_stories_changed" not in found  # (not told: not made up)
    assert (found["aggregator_items"], found["aggregator_stories"]) == (220777, 70880)
    assert found["aggregator_database_bytes"] == 815181824
    assert (found["aggregator_items_waiting"], found["aggregator_stories_waiting"]) == (310, 42)
    assert found["aggregator_digests_failing"] == 1
    # a label value is escaped as the format asks; a digest never sent has no time
    sent = [name for name in found if name.startswith("aggregator_digest_sent")]
    assert sent == ['aggregator_digest_sent_timestamp_seconds{category="World \\"News\\"\\\\"}']
    assert "aggregator_backup_failing" not in found  # (no scheduled backups)
    assert not [name for name in found if "subscribers" in name]  # (no sign-ups)
    signed = samples(render(report, {**counts, "subscribers": {"World News": (41, 2)}}))
    assert signed['aggregator_digest_subscribers{category="World News",state="confirmed"}'] == 41
    assert signed['aggregator_digest_subscribers{category="World News",state="pending"}'] == 2
    quiet = samples(render({"status": "warning"}, {}))
    assert quiet["aggregator_healthy"] == 1 and "aggregator_digests_failing" not in quiet
    assert "aggregator_websub_hubs_failing" not in quiet  # (no hubs: nothing to say)
    assert samples(render({"status": "ok"}, {}, hubs=2))["aggregator_websub_hubs_failing"] == 0
    assert not [name for name in quiet if "push" in name]  # (no subscriptions at hubs)
    pushed = samples(render({"status": "ok"}, {"push": {"active": 12, "failed": 1}}))
    assert pushed['aggregator_push_subscriptions{state="active"}'] == 12
    assert pushed['aggregator_push_subscriptions{state="failed"}'] == 1
    assert pushed['aggregator_push_subscriptions{state="leaving"}'] == 0


def test_who_may_read_it() -> None:
    loopback = networks(["127.0.0.1/8", "::1"])
    assert allowed("127.0.0.1", loopback) and allowed("127.8.9.1", loopback)
    assert allowed("::1", loopback) and allowed("::ffff:127.0.0.1", loopback)
    assert not allowed("10.0.0.1", loopback) and not allowed("::2", loopback)
    assert not allowed(None, loopback) and not allowed("not an address", loopback)
    assert allowed("10.1.2.3", networks(["10.0.0.0/8"]))
    settings = build_settings({"server": {"metrics": True, "metrics_networks": ["10.0.0.0/8"]}})
    assert settings.server.metrics_networks == ("10.0.0.0/8",)
    with pytest.raises(ConfigError, match="metrics_networks: 'intranet' is no IP network"):
        build_settings({"server": {"metrics_networks": ["intranet"]}})


def test_served_to_the_networks_allowed_and_unknown_to_the_rest(tmp_path: Path) -> None:
    db = tmp_path / "agg.db"
    store = Store(db)
    add_story(store, "crane", "Harbour crane collapses", at=NOW)
    store.record_cycle(NOW.isoformat(), {"feeds": 3, "ok": 3, "errors": 0, "items_new": 9})
    settings = PublishSettings(base_url="https://news.example/")

    async def get(metrics: list[str] | None) -> tuple[int, str, str]:
        app = make_app(
            store.reader(),
            settings,
            clock=lambda: NOW,
            metrics=None if metrics is None else networks(metrics),
        )
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            response = await client.get("/metrics")
            relayed = await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
            assert relayed.status == 404  # (through a reverse proxy: from outside)
            return response.status, response.headers["Content-Type"], await response.text()
        finally:
            await client.close()

    try:
        status, kind, text = asyncio.run(get(["127.0.0.1/8", "::1"]))
        assert status == 200 and kind == "text/plain; version=0.0.4; charset=utf-8"
        found = samples(text)
        assert found["aggregator_stories"] == 1 and found["aggregator_items"] == 1
        assert found["aggregator_last_cycle_items_new"] == 9
        assert found["aggregator_database_bytes"] > 0
        for networks_allowed in (["10.0.0.0/8"], None):  # elsewhere, or off: no such page
            status, _, text = asyncio.run(get(networks_allowed))
            assert status == 404 and "aggregator_" not in text
    finally:
        store.close()


def test_a_poll_cycle_leaves_its_tally(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Upstream() as up:
            feed = up.add_feed("/a.xml", FEEDS["/dailyplanet/world.xml"])
            (tmp_path / "feeds.opml").write_text(opml(feed))
            await poll_new(tmp_path / "feeds.opml", tmp_path / "agg.db")

    asyncio.run(scenario())
    store = Store(tmp_path / "agg.db")
    try:
        counts = store.reader().metric_counts()
    finally:
        store.close()
    tally = counts["last_cycle"]
    assert (tally["feeds"], tally["ok"], tally["errors"]) == (1, 1, 0)
    assert tally["items_new"] == counts["items"] > 0 and tally["stories_changed"] >= 1
    assert tally["seconds"] > 0 and json.dumps(tally)  # (as stored: JSON)
