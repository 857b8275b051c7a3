"""Retention and backup: the database plateaus on a rotating upstream; published ids survive."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from unittest.mock import patch

import pytest
from digest_fixture import add_story
from upstream import Upstream

from aggregator.cli import main
from aggregator.config import Settings
from aggregator.errors import StorageError
from aggregator.fetch import Fetcher, FetchSettings
from aggregator.models import Item
from aggregator.retention import (
    RetentionJob,
    RetentionSettings,
    clock_ahead,
    cutoff,
    is_due,
    near_cutoff,
)
from aggregator.service import Service
from aggregator.signup_store import Subscribers, subscriber_counts
from aggregator.store import Store
from aggregator.store_upkeep import backup

T0 = datetime(2026, 1, 1, 6, 0, tzinfo=UTC)


# Stories quiet for a day are pruned, checked every hour: each simulated day's poll prunes.
PRUNE_DAILY = RetentionSettings(max_age=timedelta(days=1), every=timedelta(hours=1))


def daily_settings(retention: RetentionSettings, max_items: int, **changes: object) -> Settings:
    """Settings for a service simulated a poll a day: a short fetch timeout, `retention`,
    `max_items` published per feed, and any other `changes`."""
    base = Settings()
    return dataclasses.replace(
        base,
        fetch=FetchSettings(total_timeout=5.0),
        retention=retention,
        publish=dataclasses.replace(base.publish, max_items=max_items),
        **changes,  # type: ignore[arg-type]
    )


def world_opml(path: Path, **feeds: str) -> Path:
    """An OPML file of one "World" category holding `feeds` (outline text → feed URL)."""
    outlines = "".join(f'<outline type="rss" text="{k}" xmlUrl="{v}"/>' for k, v in feeds.items())
    path.write_text(
        f'<opml version="2.0"><body><outline text="World">{outlines}</outline></body></opml>'
    )
    return path


WORDS = (
    "harbour council budget river bridge school vaccine orchestra glacier tariff election "
    "satellite wildfire museum railway drought festival reactor senate vineyard"
).split()


@pytest.mark.parametrize(
    ("last", "now", "due"),
    [
        (None, T0, True),
        (T0, T0 + timedelta(hours=5), False),
        (T0, T0 + timedelta(hours=6), True),
        (T0 + timedelta(days=1), T0, True),  # a clock that went back: run, don't wait a day
    ],
)
def test_is_due(last: datetime | None, now: datetime, due: bool) -> None:
    assert is_due(last, now, RetentionSettings()) is due


def test_cutoff_never_reaches_into_the_active_window() -> None:
    settings = RetentionSettings(max_age=timedelta(days=30))
    assert cutoff(T0, settings, timedelta(days=3)) == T0 - timedelta(days=30)
    short = RetentionSettings(max_age=timedelta(days=1))
    assert cutoff(T0, short, timedelta(days=3)) == T0 - timedelta(days=4)


def test_near_copies_edge_never_reaches_into_the_active_window() -> None:
    assert near_cutoff(T0, RetentionSettings(), timedelta(days=3)) == T0 - timedelta(days=7)
    short = RetentionSettings(near_copies=timedelta(days=1))
    assert near_cutoff(T0, short, timedelta(days=3)) == T0 - timedelta(days=4)


def test_the_job_drops_near_keys_of_originals_past_near_copies(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The service's retention job keeps near keys and hashes for `near_copies` (7 days) of
    originals, and says how many originals it dropped them for; no item or story goes. It
    forgets readers' sign-ups never confirmed whose links no longer work."""
    store = Store(tmp_path / "db.sqlite")
    text = " ".join(f"{w}{n}" for n in range(6) for w in WORDS)

    def original(id_: str, days: int) -> Item:
        when = T0 - timedelta(days=days)
        return Item(id=id_, title=id_, text=f"{id_} {text}", feed_url="https://a.example/feed",
                    guid=id_, published=when, first_seen=when, outlet="a.example",
                    content_hash=id_)  # fmt: skip

    async def write(fn: object, *args: object, **kwargs: object) -> object:
        return fn(*args, **kwargs)  # type: ignore[operator]

    try:
        books = Subscribers(store)  # (sign-ups: one never confirmed, one whose link still works)
        books.ask("World News", "fresh@example.org", T0 - timedelta(hours=1))
        books.ask("World News", "stale@example.org", T0 - timedelta(days=3))
        items = [original("week-old", 8), original("days-old", 5), original("new", 1)]
        store.insert_items(items)
        for one in items:
            store.assign(one, f"s-{one.id}", None, one.first_seen)
        job = RetentionJob(store, write, RetentionSettings(), keep_per_category=5,
                           active_window=timedelta(days=3), clock=lambda: T0)  # fmt: skip
        with caplog.at_level("INFO", logger="aggregator"):
            report = asyncio.run(job.run_if_due())
        assert report is not None and (report.items, report.near_dropped) == (0, 1)
        assert "near_dropped=1" in caplog.text and "signups_forgotten=1" in caplog.text
        assert subscriber_counts(store.conn) == {"World News": (0, 1)}
        kept = store.conn.execute("SELECT item_id FROM near_hashes ORDER BY 1").fetchall()
        assert kept == [("days-old",), ("new",)]
        assert store.conn.execute(
            "SELECT COUNT(*) FROM near_keys WHERE item_id = 'week-old'"
        ).fetchone() == (0,)
        assert store.db["items"].count == 3
        # The prune's time is read back: not due again until `every` has passed.
        assert asyncio.run(job.run_if_due()) is None
        job.clock = lambda: T0 + RetentionSettings().every
        assert asyncio.run(job.run_if_due()) is not None
    finally:
        store.close()


def day_feed(day: int, per_day: int, keep_days: int = 2) -> bytes:
    """A rotating upstream: each day `per_day` new entries; the feed shows `keep_days` days.
    Descriptions are longer than a feed template's line, so their text stays and each story
    has a bullet to publish."""
    items = []
    for d in range(max(0, day - keep_days + 1), day + 1):
        when = format_datetime(T0 + timedelta(days=d), usegmt=True)
        for n in range(per_day):
            a, b, c = (WORDS[(d * 7 + n * k) % len(WORDS)] for k in (1, 3, 5))
            items.append(
                f"<item><title>Day {d} story {n}: {a} {b} report</title>"
                f"<link>https://news.example/{d}/{n}</link><guid>https://news.example/{d}/{n}</guid>"
                f"<pubDate>{when}</pubDate><description>The {a} and the {b} met the {c} "
                f"on day {d}, officials said, in item {n} of the day. Residents near the {c} "
                f"were told to expect more news of the {a} later in the week, and the office "
                f"that oversees the {b} said it would publish its findings once its review of "
                "the meeting was complete.</description></item>"
            )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Rotating</title>'
        f"<link>https://news.example/</link>{''.join(items)}</channel></rss>"
    ).encode()


def simulate(tmp_path: Path, days: int, retention: RetentionSettings) -> list[tuple[int, int]]:
    """Poll a rotating upstream once per simulated day; (bytes of database pages in use,
    items) after each day. Pages a prune frees are reused, so the file follows this."""
    now = [T0]
    settings = daily_settings(retention, max_items=5)
    db = tmp_path / "agg.db"
    sizes: list[tuple[int, int]] = []

    async def scenario() -> None:
        async with Upstream() as up:
            url = up.add_feed("/feed.xml", day_feed(0, 12))
            opml = world_opml(tmp_path / "feeds.opml", R=url)
            service = Service(opml, db, settings, clock=lambda: now[0])
            try:
                await service.load_sources(strict=True)
                async with Fetcher(settings.fetch) as fetcher:
                    for day in range(days):
                        now[0] = T0 + timedelta(days=day, hours=1)
                        up.add_feed("/feed.xml", day_feed(day, 12))
                        await service.poll_cycle(fetcher, everything=True)
                        await service.run_retention()
                        items = service.store.db["items"].count
                        pages = service.store.db.execute(
                            "SELECT (SELECT page_count FROM pragma_page_count()) - "
                            "(SELECT freelist_count FROM pragma_freelist_count())"
                        ).fetchone()[0]
                        page_size = service.store.db.execute("PRAGMA page_size").fetchone()[0]
                        sizes.append((pages * page_size, items))
                published = service.store.reader().stories("World", 5)
                # every story the category feed still shows is intact, summary and all
                assert len(published) == 5
                assert all(s.summary is not None for s in published)
            finally:
                service.close()

    asyncio.run(scenario())
    return sizes


def test_the_database_plateaus_on_a_rotating_upstream(tmp_path: Path) -> None:
    days = 26
    sizes = simulate(tmp_path, days, RetentionSettings(max_age=timedelta(days=2)))
    # Items in the database stop growing once retention starts (cutoff: 4 days)...
    items = [n for _, n in sizes]
    assert max(items[10:]) <= max(items[6:10]) + 12
    assert items[-1] < 12 * 7
    # ...and so does the database (what still grows slowly is the list of pruned ids, which
    # are forgotten after a year).
    assert sizes[-1][0] <= sizes[days // 2][0] * 1.15
    # The entries still in the upstream feed after pruning were not stored again.
    with sqlite3.connect(tmp_path / "agg.db") as conn:
        titles = [r[0] for r in conn.execute("SELECT title FROM items")]
    assert len(titles) == len(set(titles))
    assert not any(t.startswith("Day 0 ") for t in titles)


def test_without_retention_it_keeps_growing(tmp_path: Path) -> None:
    """The same run, retention out of reach: the contrast the plateau is measured against."""
    sizes = simulate(tmp_path, 12, RetentionSettings(max_age=timedelta(days=3650)))
    items = [n for _, n in sizes]
    assert items[-1] == 12 * 12
    assert sizes[-1][0] > sizes[5][0] * 1.3


def test_a_quiet_category_keeps_its_published_stories(tmp_path: Path) -> None:
    sizes = simulate(tmp_path, 10, RetentionSettings(max_age=timedelta(days=1)))
    assert sizes[-1][1] >= 5  # the five stories the feed shows are never pruned


def test_backup_is_online_complete_and_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    simulate(tmp_path, 3, RetentionSettings())
    db = tmp_path / "agg.db"
    target = tmp_path / "backups"
    target.mkdir()
    # another connection holds a write transaction: the backup still goes through (WAL)
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        report = backup(db, target)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert report.path.parent == target and report.integrity == "ok"
    with sqlite3.connect(report.path) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 36
    with pytest.raises(StorageError, match="already exists"):
        backup(db, report.path)
    # two backups into a directory in one second: each a file of its own
    moment = datetime(2026, 12, 4, 20, 35, 35, tzinfo=UTC)
    names = [backup(db, target, moment).path.name for _ in range(3)]
    assert names == [f"aggregator-20261204T203535Z{n}.db" for n in ("", "-2", "-3")]
    assert main(["backup", "--db", str(db), str(tmp_path / "copy.db")]) == 0
    assert "integrity ok" in capsys.readouterr().out
    assert main(["backup", "--db", str(tmp_path / "nope.db"), str(tmp_path / "x.db")]) == 1
    assert "no database there" in capsys.readouterr().err


def test_a_backup_never_replaces_a_file_that_took_its_name_meanwhile(tmp_path: Path) -> None:
    simulate(tmp_path, 1, RetentionSettings())
    db = tmp_path / "agg.db"
    dest = tmp_path / "copy.db"
    real_connect = sqlite3.connect

    def connect(path: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        if str(path).endswith(".partial"):
            dest.write_bytes(b"another backup's copy")  # finished while this one ran
        return real_connect(path, *args, **kwargs)  # type: ignore[arg-type]

    with (
        patch("aggregator.store_upkeep.sqlite3.connect", connect),
        pytest.raises(StorageError, match="already exists"),
    ):
        backup(db, dest)
    assert dest.read_bytes() == b"another backup's copy"
    assert not (tmp_path / ".copy.db.partial").exists()


def test_a_backup_is_never_more_readable_than_its_database(tmp_path: Path) -> None:
    """Under the unit's UMask=0077 the database is 0600 (it holds private feeds' logins); a
    backup taken from a shell with umask 022 had been 0644, readable by every local user."""
    simulate(tmp_path, 1, RetentionSettings())
    db = tmp_path / "agg.db"
    db.chmod(0o600)
    (tmp_path / ".copy.db.partial").write_bytes(b"left by a killed backup")
    old = os.umask(0o022)
    try:
        report = backup(db, tmp_path / "copy.db")
    finally:
        os.umask(old)
    assert stat.S_IMODE(report.path.stat().st_mode) == 0o600
    assert not (tmp_path / ".copy.db.partial").exists()
    db.chmod(0o640)
    os.umask(0o077)
    try:
        narrowed = backup(db, tmp_path / "copy2.db")
    finally:
        os.umask(old)
    assert stat.S_IMODE(narrowed.path.stat().st_mode) == 0o600  # the umask narrows it further


OLD = T0 - timedelta(days=90)


def old_feed() -> bytes:
    """Entries published months ago, first polled late in the run: stories quiet by their
    publication times (retention's measure) but in the grouping window (first seen now)."""
    feed = day_feed(3, 4, keep_days=1).decode()
    when = format_datetime(T0 + timedelta(days=3), usegmt=True)
    return (
        feed.replace(when, format_datetime(OLD, usegmt=True))
        .replace("news.example", "old.example")
        .replace("Day 3 story", "Archive")
    ).encode()


async def grouped_over_days(
    up: Upstream, tmp_path: Path, days: int, stop_after: int | None
) -> list[object]:
    """A service polling a rotating upstream (and, from day 3, an archive feed) once a
    simulated day, pruning after each cycle as `run` does; with `stop_after` it stops after
    that day (writing its grouping snapshot, as `run` does when it stops) and a new process
    carries on, which must load that snapshot (never rebuild). Everything grouping and
    summarising stored at the end."""
    import test_grouping_snapshot as snap

    from aggregator import grouping_snapshot

    now = [T0]
    settings = daily_settings(PRUNE_DAILY, max_items=5)
    assert settings.server.keep_window  # (the default: a kept window)
    tmp_path.mkdir()
    db = tmp_path / "agg.db"
    pruned: list[int] = []

    # (one upstream for both runs: item ids hold the feed's URL)
    url = up.add_feed("/feed.xml", day_feed(0, 12))
    old = up.add_feed("/old.xml", old_feed())
    opml = world_opml(tmp_path / "feeds.opml", R=url)
    service = Service(opml, db, settings, clock=lambda: now[0])
    try:
        await service.load_sources(strict=True)
        async with Fetcher(settings.fetch) as fetcher:
            for day in range(days):
                if day == stop_after:
                    service.close()  # (as `run` stops: the snapshot is written)
                    assert grouping_snapshot.snapshot_path(db).exists()
                    service = Service(opml, db, settings, clock=lambda: now[0])
                    await service.load_sources(strict=True)
                if day == 3:
                    opml.write_text(
                        opml.read_text().replace(
                            "</outline></body>",
                            f'<outline type="rss" text="A" xmlUrl="{old}"/></outline></body>',
                        )
                    )
                    service.sources.forget()
                    await service.sources.load_logged()
                now[0] = T0 + timedelta(days=day, hours=1)
                up.add_feed("/feed.xml", day_feed(day, 12))
                if day == stop_after:  # the new process loads the window
                    with pytest.MonkeyPatch.context() as patch:
                        snap._no_rebuild(patch)
                        await service.poll_cycle(fetcher, everything=True)
                else:
                    await service.poll_cycle(fetcher, everything=True)
                before = service.store.db["stories"].count
                await service.run_retention()
                pruned.append(before - service.store.db["stories"].count)
                # retention left every story of the window whole
                held = service.stories.held_stories()
                stored = {r[0] for r in service.store.conn.execute("SELECT id FROM stories")}
                assert held and held <= stored
    finally:
        service.close()

    assert sum(pruned[: stop_after or days]) > 0  # (pruned before the stop)
    store = Store(db)
    try:
        return snap._rows(store)
    finally:
        store.close()


def test_a_service_that_pruned_leaves_a_snapshot_that_carries_on_as_it_would(
    tmp_path: Path,
) -> None:
    async def both() -> tuple[list[object], list[object]]:
        async with Upstream() as up:
            kept_running = await grouped_over_days(up, tmp_path / "running", 8, None)
            restarted = await grouped_over_days(up, tmp_path / "restarted", 8, 6)
        return kept_running, restarted

    kept_running, restarted = asyncio.run(both())
    assert restarted == kept_running


def test_retention_prunes_no_story_a_rebuilt_window_holds(tmp_path: Path) -> None:
    """A window rebuilt from rows dates its stories' quiet by when their items were first
    seen; retention dates them by publication: a story of months-old items polled yesterday
    is quiet to retention, but in the rebuilt window while it may still take items (here for
    a year: `max_span`, a week by default, would end it at the window's first expiry). It is
    kept while the window holds it."""
    now = [T0]
    cluster = dataclasses.replace(
        Settings().cluster, snapshot=False, max_span=timedelta(days=365)
    )  # (rebuilt from rows)
    settings = daily_settings(PRUNE_DAILY, max_items=1, cluster=cluster)
    db = tmp_path / "agg.db"

    async def scenario() -> None:
        async with Upstream() as up:
            url = up.add_feed("/feed.xml", day_feed(0, 12))
            old = up.add_feed("/old.xml", old_feed())
            opml = world_opml(tmp_path / "feeds.opml", R=url, A=old)
            async with Fetcher(settings.fetch) as fetcher:
                for day in range(2):  # a process a day
                    now[0] = T0 + timedelta(days=day, hours=1)
                    up.add_feed("/feed.xml", day_feed(day, 12))
                    service = Service(opml, db, settings, clock=lambda: now[0])
                    try:
                        await service.load_sources(strict=True)
                        await service.poll_cycle(fetcher, everything=True)
                        archive = {
                            r[0]
                            for r in service.store.conn.execute(
                                "SELECT story_id FROM items WHERE title LIKE 'Archive%'"
                            )
                        }
                        if day == 0:  # (it holds them no more: grouped by publication)
                            continue
                        await service.run_retention()
                        held = service.stories.held_stories()
                        stored = {
                            r[0] for r in service.store.conn.execute("SELECT id FROM stories")
                        }
                    finally:
                        service.close()
                assert archive and archive <= held  # (the rebuilt window holds them)
                assert held <= stored

    asyncio.run(scenario())


def test_pruned_ids_are_kept_by_day_and_forgotten_after_forget_after(tmp_path: Path) -> None:
    from aggregator.store_rows import day_number
    from aggregator.store_upkeep import prune

    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    store = Store(tmp_path / "agg.db")
    try:
        old, recent = day_number(now - timedelta(days=400)), day_number(now - timedelta(days=10))
        store.conn.executemany(
            "INSERT INTO pruned_ids (id, day) VALUES (?, ?)", [("old", old), ("recent", recent)]
        )
        assert day_number(now) - recent == 10 and day_number(datetime(1970, 1, 2, tzinfo=UTC)) == 1
        report = prune(store, now, now - timedelta(days=30), now - timedelta(days=365), 5)
        assert report.forgotten == 1
        assert store._pruned(["old", "recent", "never"]) == {"recent"}
    finally:
        store.close()


def test_ids_pruned_before_they_were_kept_by_day_count_until_forgotten(tmp_path: Path) -> None:
    """`retention_0002_pruned_ids_by_day` copies nothing (millions of ids would hold the first
    start after an upgrade): ids already in `pruned_items` are found there, and forgotten by
    their time as before; new ones go to `pruned_ids`."""
    from aggregator.store_upkeep import prune

    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    store = Store(tmp_path / "agg.db")
    try:
        assert not store.older_pruned()
        store.conn.executemany(
            "INSERT INTO pruned_items VALUES (?, ?)",
            [("a", "2025-11-01T23:59:59+00:00"), ("b", "2026-11-01T00:00:00+00:00")],
        )
        store._older_pruned = True  # (as a store opened on such a database starts)
        assert store._pruned(["a", "b", "c"]) == {"a", "b"}
        report = prune(store, now, now - timedelta(days=30), now - timedelta(days=365), 5)
        assert report.forgotten == 1 and store._pruned(["a", "b"]) == {"b"}
        store.conn.execute("DELETE FROM pruned_items")
        prune(store, now, now - timedelta(days=30), now - timedelta(days=365), 5)
        assert not store.older_pruned()  # (emptied: never asked again)
    finally:
        store.close()


def _story_row(store: Store, story_id: str, updated: datetime, into: str | None = None) -> None:
    """A story row, its only item published a day before `updated`; `into`: merged into it."""
    stamp = (updated - timedelta(days=1)).isoformat()
    store.conn.execute(
        "INSERT INTO stories (id, category, headline, first_seen, updated, last_item_at, "
        "version, dirty, merged_into) VALUES (?, 'World', 'A headline', ?, ?, ?, 0, 0, ?)",
        [story_id, stamp, updated.isoformat(), stamp, into],
    )


def test_a_merged_story_goes_with_the_story_it_joined(tmp_path: Path) -> None:
    """A story absorbed after the one it joined was last updated (its own `updated` newer,
    so not quiet yet when its target is) goes with it: its redirect is left pointing nowhere
    otherwise, and is never pruned (its target is no longer among the quiet stories)."""
    from aggregator.store_upkeep import prune

    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    store = Store(tmp_path / "agg.db")
    try:
        _story_row(store, "joined", now - timedelta(days=40))
        _story_row(store, "absorbed", now - timedelta(days=29), into="joined")
        _story_row(store, "live", now - timedelta(days=2))
        _story_row(store, "into-live", now - timedelta(days=35), into="live")
        report = prune(store, now, now - timedelta(days=30), now - timedelta(days=365), 5)
        left = {r[0] for r in store.conn.execute("SELECT id FROM stories")}
        assert left == {"live", "into-live"} and report.stories == 2
    finally:
        store.close()


def test_a_redirect_whose_story_is_gone_is_pruned(tmp_path: Path) -> None:
    """A merged story whose target an earlier prune took (before merged stories went with
    their targets) is pruned: it redirects nowhere."""
    from aggregator.store_upkeep import prune

    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    store = Store(tmp_path / "agg.db")
    try:
        _story_row(store, "dangling", now - timedelta(days=3), into="pruned-long-ago")
        _story_row(store, "live", now - timedelta(days=2))
        prune(store, now, now - timedelta(days=30), now - timedelta(days=365), 5)
        assert {r[0] for r in store.conn.execute("SELECT id FROM stories")} == {"live"}
    finally:
        store.close()


def test_a_chain_of_merges_goes_whole_with_the_story_at_its_end(tmp_path: Path) -> None:
    """A merge points the stories merged into the absorbed one at its new story, but an older
    database may hold a chain (A into B, B into C): all of it goes with C in one prune, as it
    did while they were all quiet, not A a prune later (redirecting to a 404 meanwhile)."""
    from aggregator.store_upkeep import prune

    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    store = Store(tmp_path / "agg.db")
    try:
        _story_row(store, "end", now - timedelta(days=40))
        _story_row(store, "middle", now - timedelta(days=39), into="end")
        _story_row(store, "start", now - timedelta(days=29), into="middle")
        _story_row(store, "live", now - timedelta(days=2))
        _story_row(store, "to-live", now - timedelta(days=35), into="live")
        _story_row(store, "via-to-live", now - timedelta(days=35), into="to-live")
        prune(store, now, now - timedelta(days=30), now - timedelta(days=365), 5)
        left = {r[0] for r in store.conn.execute("SELECT id FROM stories")}
        assert left == {"live", "to-live", "via-to-live"}
    finally:
        store.close()


@pytest.mark.parametrize("top_min_outlets", [2, 3])
def test_a_story_a_feed_keeps_ahead_of_newer_single_outlet_ones_is_not_pruned(
    tmp_path: Path, top_min_outlets: int
) -> None:
    """A feed carries the stories several outlets covered before newer single-outlet ones,
    and its "top stories" flavour the newest widely covered however far back: such a story,
    quiet for the retention age but still in those feeds, had been pruned (only each feed's
    newest `max_items` stories were kept), its entry then a 404 in readers' feed readers."""
    from aggregator.publish import PublishSettings
    from aggregator.site import Site
    from aggregator.store_upkeep import prune

    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    store = Store(tmp_path / "agg.db")
    try:
        add_story(store, "wide", "Covered by three outlets", outlets=3, at=now - timedelta(days=40))
        for n in range(8):
            at = now - timedelta(days=2, hours=n)
            add_story(store, f"single{n}", f"One outlet's story {n}", outlets=1, at=at)
        publish = PublishSettings(
            base_url="https://news.example.org/", max_items=5, top_min_outlets=top_min_outlets
        )
        site = Site(store.reader(), publish, clock=lambda: now)

        def carried() -> set[str]:
            feeds = [site.feed("all", "json", top) for top in (False, True)]
            found = [json.loads(feed.body)["items"] for feed in feeds if feed is not None]
            return {entry["url"].split("/")[-2] for entries in found for entry in entries}

        before = carried()
        assert "wide" in before
        prune(
            store, now, now - timedelta(days=30), now - timedelta(days=365), 5,
            top_min_outlets=top_min_outlets,
        )  # fmt: skip
        left = {r[0] for r in store.conn.execute("SELECT id FROM stories")}
        assert before <= left and carried() == before
    finally:
        store.close()


def test_the_ids_of_pruned_stories_are_kept_until_forget_after(tmp_path: Path) -> None:
    """A pruned story's id is remembered (its page answers 410, `web`) for `forget_after`."""
    from aggregator.store_upkeep import prune

    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    store = Store(tmp_path / "agg.db")
    try:
        _story_row(store, "old", now - timedelta(days=40))
        _story_row(store, "live", now - timedelta(days=2))
        prune(store, now, now - timedelta(days=30), now - timedelta(days=365), 5)
        reader = store.reader()
        assert reader.was_pruned("old") and not reader.was_pruned("live")
        assert not reader.was_pruned("never-stored")
        later = now + timedelta(days=366)
        prune(store, later, later - timedelta(days=30), later - timedelta(days=365), 5)
        assert not reader.was_pruned("old")
    finally:
        store.close()


def test_the_top_feeds_story_behind_newer_two_outlet_ones_is_not_pruned(tmp_path: Path) -> None:
    """With `top_min_outlets` above 2 the top feed lists its widely covered stories however
    many two-outlet ones came since: the newest of those keeps none of them."""
    from aggregator.publish import PublishSettings
    from aggregator.site import Site
    from aggregator.store_upkeep import prune

    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    store = Store(tmp_path / "agg.db")
    try:
        add_story(store, "wide", "Covered by three outlets", outlets=3, at=now - timedelta(days=40))
        for n in range(6):
            at = now - timedelta(days=2, hours=n)
            add_story(store, f"pair{n}", f"Two outlets' story {n}", outlets=2, at=at)
        publish = PublishSettings(
            base_url="https://news.example.org/", max_items=5, top_min_outlets=3
        )
        top = Site(store.reader(), publish, clock=lambda: now).feed("all", "json", True)
        assert top is not None and "/wide/" in json.loads(top.body)["items"][-1]["url"]
        prune(
            store, now, now - timedelta(days=30), now - timedelta(days=365), 5, top_min_outlets=3
        )  # fmt: skip
        assert store.conn.execute("SELECT 1 FROM stories WHERE id = 'wide'").fetchone()
    finally:
        store.close()


YEAR = timedelta(days=365)


@pytest.mark.parametrize(
    ("newest", "now", "max_age", "ahead"),
    [
        (T0 - timedelta(hours=1), T0, 30, None),  # the feeds' news an hour old: sane
        (T0 - timedelta(days=7), T0, 30, None),  # a quiet week: within a quarter of max_age
        (T0 - timedelta(days=8), T0, 30, timedelta(days=8)),
        (T0 - timedelta(days=3), T0, 1, timedelta(days=3)),  # at least two days' margin
        (T0 - timedelta(days=2), T0, 1, None),
        (T0, T0 + 4 * YEAR, 30, 4 * YEAR),  # a clock set years ahead
        (T0 + YEAR, T0, 30, None),  # a clock stepped back behind the data: prunes less
        (None, T0, 30, None),  # nothing stored: nothing to judge by (nor to prune)
    ],
)
def test_clock_ahead_of_the_newest_news(
    newest: datetime | None, now: datetime, max_age: int, ahead: timedelta | None
) -> None:
    settings = RetentionSettings(max_age=timedelta(days=max_age))
    assert clock_ahead(now, newest, settings) == ahead


def _dated(store: Store, id_: str, published: datetime, seen: datetime | None = None) -> None:
    """An item a feed dated `published`, first seen at `seen` (its own date when undated),
    alone in a story of its own."""
    item = Item(id=id_, title=id_, text=f"{id_} {' '.join(WORDS)}",
                feed_url="https://a.example/feed", guid=id_, published=published,
                first_seen=seen or published, outlet="a.example", category="World",
                content_hash=id_)  # fmt: skip
    store.insert_items([item])
    store.assign(item, f"s-{id_}", None, item.first_seen or published)


def test_a_clock_far_ahead_prunes_nothing_until_it_is_set_right(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Started with the clock years ahead (a real-time clock wrong before NTP sets it), the
    pass polled under it stamps its own items with that clock, yet the feeds date their
    news by theirs: nothing is pruned (it would all be "quiet for years"), the log says why,
    and once the clock is right the old news is pruned as usual."""
    store = Store(tmp_path / "db.sqlite")
    wrong = T0 + 4 * YEAR
    now = [wrong]

    async def write(fn: object, *args: object, **kwargs: object) -> object:
        return fn(*args, **kwargs)  # type: ignore[operator]

    try:
        _dated(store, "old", T0 - timedelta(days=40), T0 - timedelta(days=40, minutes=-5))
        _dated(store, "recent", T0 - timedelta(days=2), T0 - timedelta(days=2, minutes=-5))
        _dated(store, "polled-ahead", T0 - timedelta(hours=1), wrong)  # dated by its feed
        _dated(store, "undated", wrong)  # no date of its own: the wrong clock's
        job = RetentionJob(store, write, RetentionSettings(), keep_per_category=0,
                           active_window=timedelta(days=3), clock=lambda: now[0])  # fmt: skip
        with caplog.at_level("INFO", logger="aggregator"):
            assert asyncio.run(job.run_if_due()) is None
        assert store.db["items"].count == 4 and store.db["stories"].count == 4
        said = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert said == [
            "retention skipped: the clock (2029-12-31 06:00 UTC) is 1,460 days past the newest "
            "time a feed dated an item (2026-01-01 05:00 UTC), more than 7.5 days: a clock set "
            "ahead would prune what readers still see; pruning goes on once items come in "
            "dated near the clock"
        ]
        assert asyncio.run(job.run_if_due()) is None  # (not said again before `every`)
        assert len([r for r in caplog.records if r.levelname == "WARNING"]) == 1
        now[0] = T0  # set right: due at once, and the old news goes
        report = asyncio.run(job.run_if_due())
        assert report is not None and (report.stories, report.items) == (1, 1)
        left = {r[0] for r in store.conn.execute("SELECT id FROM items")}
        assert left == {"recent", "polled-ahead", "undated"}
    finally:
        store.close()


def test_a_clock_stepped_back_prunes_nothing_it_stamped_ahead(tmp_path: Path) -> None:
    """The clock ran a year ahead while items were polled, then was set back: the stories it
    stamped ahead are not taken for quiet ones, and the prune runs at once (its last run is
    in the future), taking only what is old by the clock now."""
    store = Store(tmp_path / "db.sqlite")
    ahead = T0 + YEAR

    async def write(fn: object, *args: object, **kwargs: object) -> object:
        return fn(*args, **kwargs)  # type: ignore[operator]

    try:
        _dated(store, "old", T0 - timedelta(days=40), T0 - timedelta(days=40, minutes=-5))
        _dated(store, "dated", T0 - timedelta(hours=2), ahead)
        _dated(store, "undated", ahead)
        store.set_meta("retention_at", "2027-01-01T06:00:00+00:00")  # (pruned while ahead)
        job = RetentionJob(store, write, RetentionSettings(), keep_per_category=0,
                           active_window=timedelta(days=3), clock=lambda: T0)  # fmt: skip
        report = asyncio.run(job.run_if_due())
        assert report is not None and (report.stories, report.items) == (1, 1)
        left = {r[0] for r in store.conn.execute("SELECT id FROM items")}
        assert left == {"dated", "undated"}
    finally:
        store.close()
