"""A feed's own poll interval from the OPML (`interval` on its outline or a category's): read
with the nearest outline's winning, refused when it is no duration, kept within the settings'
bounds (with a warning), and used for the feed's next poll and its backoff."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from news_fixture import feeds
from test_service import poll_new
from upstream import Upstream

from aggregator.cli import main
from aggregator.errors import ConfigError
from aggregator.opml import parse_opml
from aggregator.schedule import ScheduleSettings, feed_schedule, next_poll
from aggregator.wording import duration

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
OPML = """<opml version="2.0"><body>
<outline text="World News" interval="2h">
  <outline type="rss" text="Slow" xmlUrl="https://a.example/feed"/>
  <outline type="rss" text="Breaking" xmlUrl="https://b.example/feed" interval="5m"/>
</outline>
<outline text="Science">
  <outline type="rss" text="Lab" xmlUrl="https://c.example/feed"/>
</outline></body></opml>"""


def test_the_nearest_outlines_interval_holds() -> None:
    slow, breaking, lab = parse_opml(OPML.encode()).sources
    assert slow.interval == timedelta(hours=2)
    assert breaking.interval == timedelta(minutes=5)
    assert lab.interval is None  # the settings' [schedule] interval


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("fast", "expected a duration such as 90, '15m' or '2h', got 'fast'"),
        ("30s", "expected a duration from 1 minute to 7 days"),
        ("8d", "expected a duration from 1 minute to 7 days"),
        ("99999999999d", "expected a duration from 1 minute to 7 days"),  # (not "100 years")
    ],
)
def test_an_interval_that_is_no_duration_refuses_the_file(value: str, why: str) -> None:
    broken = OPML.replace('interval="5m"', f'interval="{value}"')
    with pytest.raises(ConfigError) as caught:
        parse_opml(broken.encode(), "feeds.opml")
    assert str(caught.value) == f"feeds.opml: line 4: outline 'Breaking': interval={value!r}: {why}"
    # another reader's export: left out, so the category's holds
    lenient = parse_opml(broken.encode(), "export.opml", export=True)
    assert lenient.sources[1].interval == timedelta(hours=2)
    assert lenient.warnings[0].endswith(f"{why}; left out")


def test_a_feeds_interval_sets_its_next_poll_and_its_backoff_within_the_bounds() -> None:
    settings = ScheduleSettings()  # 15m, within 5m..6h
    hourly = feed_schedule(settings, timedelta(hours=1))
    assert next_poll(NOW, outcome="ok", error_count=0, settings=hourly) == NOW + timedelta(hours=1)
    # backoff doubles from the feed's own interval, up to the cap
    after_two = next_poll(NOW, outcome="error", error_count=2, settings=hourly)
    assert after_two == NOW + timedelta(hours=2)
    # a cache hint still stretches it, never shortens it
    hinted = next_poll(
        NOW, outcome="ok", error_count=0, settings=hourly, headers={"Cache-Control": "max-age=60"}
    )
    assert hinted == NOW + timedelta(hours=1)
    assert feed_schedule(settings, timedelta(days=1)).interval == timedelta(hours=6)
    assert feed_schedule(settings, timedelta(minutes=1)).interval == timedelta(minutes=5)
    assert feed_schedule(settings, None) is settings


def test_durations_are_worded_in_their_largest_whole_unit() -> None:
    spans = [timedelta(days=1), timedelta(hours=6), timedelta(minutes=90), timedelta(seconds=90)]
    assert [duration(s) for s in spans] == ["1d", "6h", "90m", "90s"]


def test_a_poll_schedules_each_feed_by_its_own_interval_and_says_when_bounds_overrule(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO, logger="aggregator")
    db, sources = tmp_path / "agg.db", tmp_path / "feeds.opml"
    news = feeds()

    async def scenario() -> None:
        async with Upstream() as up:
            own = up.add_feed("/own.xml", news["/dailyplanet/world.xml"])
            plain = up.add_feed("/plain.xml", news["/metrotimes/news.rss"])
            daily = up.add_feed("/daily.xml", news["/globewire/world.atom"])
            sources.write_text(
                '<opml version="2.0"><body><outline text="World News">'
                f'<outline type="rss" text="Own" xmlUrl="{own}" interval="2h"/>'
                f'<outline type="rss" text="Plain" xmlUrl="{plain}"/>'
                f'<outline type="rss" text="Daily" xmlUrl="{daily}" interval="1d"/>'
                "</outline></body></opml>"
            )
            await poll_new(sources, db)  # (a new database: every feed is due)

    asyncio.run(scenario())
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT url, last_polled_at, next_poll_at FROM feeds").fetchall()
    waits = {
        url.rsplit("/", 1)[1]: datetime.fromisoformat(then) - datetime.fromisoformat(polled)
        for url, polled, then in rows
    }
    assert waits == {
        "own.xml": timedelta(hours=2),
        "plain.xml": timedelta(minutes=15),
        "daily.xml": timedelta(hours=6),  # [schedule] max_interval
    }
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        line.endswith("/daily.xml interval=1d is above [schedule] max_interval: it is polled "
                      "every 6h")
        for line in lines
    )  # fmt: skip
    # `status` shows a feed's own interval beside its next poll
    capsys.readouterr()
    assert main(["status", "--db", str(db)]) == 0
    names = ("own.xml", "plain.xml", "daily.xml")
    shown = capsys.readouterr().out.splitlines()
    rows = {name: line for line in shown for name in names if f"/{name} " in line}
    assert "(every 2h)" in rows["own.xml"] and "(every 6h)" in rows["daily.xml"]  # the bound
    assert "(every" not in rows["plain.xml"]


@pytest.mark.parametrize("interval", ["-5m", "-1e3", "-0.5h"])
def test_a_negative_interval_after_a_space_is_refused_as_a_duration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], interval: str
) -> None:
    """argparse read `-5m` after `--interval` as an option of its own ("expected one
    argument"); written with `=` it reached the duration's check. Both now say the same."""
    sources = tmp_path / "feeds.opml"
    sources.write_text(OPML)
    said = []
    for given in (["--interval", interval], [f"--interval={interval}"]):
        argv = ["add", "https://d.example/feed", *given, "--opml", str(sources)]
        assert main(argv) == 2
        said.append(capsys.readouterr().err)
    assert said[0] == said[1]
    assert said[0].startswith(f"aggregator: cannot add: --interval '{interval}': expected")
    assert sources.read_text() == OPML
