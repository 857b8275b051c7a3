"""The long-running service: live OPML edits, failing feeds, clean shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from news_fixture import feeds
from upstream import Upstream, free_port, opml

import aggregator.parse_task as parse_task_module
import aggregator.service as service_module
from aggregator.config import Settings
from aggregator.fetch import Fetcher, FetchSettings
from aggregator.service import CycleReport, Service
from aggregator.store import Store

FEEDS = feeds()


def fast_settings() -> Settings:
    settings = Settings()
    return dataclasses.replace(
        settings,
        server=dataclasses.replace(settings.server, tick=0.2, shutdown_grace=1.0),
        fetch=FetchSettings(total_timeout=1.0, connect_timeout=1.0),
        articles=dataclasses.replace(settings.articles, enabled=False),  # invented hosts
    )


def one_feed_service(up: Upstream, tmp_path: Path, db: Path | None = None) -> tuple[str, Service]:
    """A news feed served by `up` at /a.xml, listed alone in `tmp_path`/feeds.opml, and a
    service (fast settings) on that OPML and `db` (default `tmp_path`/agg.db): the feed's URL."""
    first = up.add_feed("/a.xml", FEEDS["/dailyplanet/world.xml"])
    (tmp_path / "feeds.opml").write_text(opml(first))
    service = Service(tmp_path / "feeds.opml", db or tmp_path / "agg.db", fast_settings())
    return first, service


async def wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running(service: Service, port: int | None = None) -> AsyncIterator[asyncio.Task[None]]:
    """`service.run` (with its web server on `port` when given) in the background; on exit it
    is stopped, awaited and the service closed."""
    stop = asyncio.Event()
    task = asyncio.create_task(service.run("127.0.0.1", port or 0, stop, serve=port is not None))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        service.close()


async def poll_once(
    service: Service, *, everything: bool = False, strict: bool = True
) -> CycleReport:
    """Load the OPML and run one poll pass, as `aggregator poll --once` does (`everything`:
    as `--all`; not `strict`: a broken OPML or withheld list is logged and the last good one
    holds, as a running service reads an edit)."""
    await service.load_sources(strict=strict)
    async with Fetcher(service.settings.fetch) as fetcher:
        return await service.poll_cycle(fetcher, everything=everything)


async def poll_new(
    sources: Path, db: Path, *, everything: bool = False, strict: bool = True
) -> CycleReport:
    """One poll pass (`poll_once`) of a service over `sources` and `db`, closed after."""
    service = Service(sources, db, fast_settings())
    try:
        return await poll_once(service, everything=everything, strict=strict)
    finally:
        service.close()


def test_opml_edits_apply_without_restart_and_broken_edits_keep_the_last_good(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with Upstream() as up:
            first, service = one_feed_service(up, tmp_path)
            second = up.add_feed("/b.xml", FEEDS["/metrotimes/news.rss"])
            path = tmp_path / "feeds.opml"
            async with running(service) as task:
                await wait_for(lambda: len(up.requests_for("/a.xml")) == 1)
                # add a feed: polled at the next tick, no restart
                path.write_text(opml(first, second))
                await wait_for(lambda: len(up.requests_for("/b.xml")) == 1)
                # a broken edit is logged; the last good sources stay in force
                path.write_text("<opml><body><outline text='oops'")
                await asyncio.sleep(0.6)
                assert task.done() is False
                assert [s.url for s in service.store.sources()] == [first, second]
                # removing a feed stops polling it but keeps its items
                os.utime(path)  # a no-op edit is not a change of sources
                path.write_text(opml(second))
                await wait_for(lambda: [s.url for s in service.store.sources()] == [second])
                assert service.store.db["items"].count == 3

    asyncio.run(scenario())


def test_a_hanging_feed_does_not_hold_up_the_others(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Upstream() as up:
            good = up.add_feed("/good.xml", FEEDS["/metrotimes/news.rss"])
            path = tmp_path / "feeds.opml"
            path.write_text(opml(up.url("/hang"), up.url("/trickle?interval=0.2"), good))
            service = Service(path, tmp_path / "agg.db", fast_settings())
            try:
                report = await poll_once(service)
                assert (report.feeds, report.ok, report.errors) == (3, 1, 2)
                assert report.items_new == 2
                rows = {r["url"]: r for r in service.store.status_rows()}
                assert "timed out" in rows[up.url("/hang")]["error"]
                assert rows[good]["status"] == "ok"
            finally:
                service.close()

    asyncio.run(scenario())


def test_run_serves_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    with Upstream().running_in_thread() as up:
        url = up.add_feed("/feed.xml", FEEDS["/metrotimes/news.rss"])
        (tmp_path / "feeds.opml").write_text(opml(url))
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "aggregator", "run", "--port", str(port)],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            body = b""
            while time.monotonic() < deadline and b"library" not in body.lower():
                try:
                    with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/feeds/world-news.rss", timeout=2
                    ) as resp:
                        body = resp.read()
                except OSError:
                    pass
                time.sleep(0.2)
            assert b"library" in body.lower()
        finally:
            proc.send_signal(signal.SIGTERM)
            output, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0, output
        assert "stopped" in output


def test_a_restarted_service_continues_its_stories(tmp_path: Path) -> None:
    """The clusterer is restored from the database: a later outlet joins the same story."""

    async def poll(up: Upstream, *paths: str) -> tuple[Service, int]:
        path = tmp_path / "feeds.opml"
        path.write_text(opml(*(up.url(p) for p in paths)))
        service = Service(path, tmp_path / "agg.db", fast_settings())
        return service, (await poll_once(service)).stories_changed

    async def scenario() -> None:
        async with Upstream() as up:
            for path in ("/dailyplanet/world.xml", "/globewire/world.atom", "/metrotimes/news.rss"):
                up.add_feed(path, FEEDS[path])
            service, changed = await poll(up, "/dailyplanet/world.xml", "/globewire/world.atom")
            reader = service.store.reader()
            (story,) = reader.stories(None, 10)
            assert changed == 1 and story.summary is not None
            assert story.summary.outlet_count == 2 and story.version == 1
            service.close()

            service, changed = await poll(
                up, "/dailyplanet/world.xml", "/globewire/world.atom", "/metrotimes/news.rss"
            )
            reader = service.store.reader()
            stories = {s.id: s for s in reader.stories(None, 10)}
            assert story.id in stories  # same id after the restart
            again = stories[story.id]
            assert again.summary is not None and again.summary.outlet_count == 3
            assert again.version == 2 and again.first_seen == story.first_seen
            assert len(stories) == 2  # plus the library story, on its own
            service.close()

    asyncio.run(scenario())


def test_sighup_rereads_the_opml(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Upstream() as up:
            first = up.add_feed("/a.xml", FEEDS["/dailyplanet/world.xml"])
            path = tmp_path / "feeds.opml"
            path.write_text(opml(first))
            settings = fast_settings()
            slow = dataclasses.replace(settings.server, tick=30.0)
            service = Service(path, tmp_path / "agg.db", dataclasses.replace(settings, server=slow))
            async with running(service):
                await wait_for(lambda: len(up.requests_for("/a.xml")) == 1)
                second = up.add_feed("/b.xml", FEEDS["/metrotimes/news.rss"])
                path.write_text(opml(first, second))
                await asyncio.sleep(0.3)
                assert up.requests_for("/b.xml") == []  # the 30 s tick has not come
                os.kill(os.getpid(), signal.SIGHUP)
                await wait_for(lambda: len(up.requests_for("/b.xml")) == 1, timeout=20)

    asyncio.run(scenario())


def test_an_article_filed_under_two_categories_appears_in_both(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Upstream() as up:
            world = up.add_feed("/world.xml", FEEDS["/dailyplanet/world.xml"])
            top = up.add_feed("/business.xml", FEEDS["/dailyplanet/top.xml"])
            path = tmp_path / "feeds.opml"
            path.write_text(
                '<opml version="2.0"><body>'
                f'<outline text="World News"><outline text="W" xmlUrl="{world}"/></outline>'
                f'<outline text="Business"><outline text="B" xmlUrl="{top}"/></outline>'
                "</body></opml>"
            )
            service = Service(path, tmp_path / "agg.db", fast_settings())
            try:
                await poll_once(service)
                reader = service.store.reader()
                world_ids = [s.id for s in reader.stories("World News", 10)]
                business_ids = [s.id for s in reader.stories("Business", 10)]
                assert len(world_ids) == 1 and world_ids == business_ids
                (story,) = reader.stories(None, 10)
                assert story.summary is not None and len(story.summary.sources) == 1
            finally:
                service.close()

    asyncio.run(scenario())


def test_an_unexpected_parser_failure_is_recorded_with_backoff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(parse_task_module, "parse_feed", broken)

    async def scenario() -> None:
        async with Upstream() as up:
            url = up.add_feed("/a.xml", FEEDS["/dailyplanet/world.xml"])
            path = tmp_path / "feeds.opml"
            path.write_text(opml(url))
            service = Service(path, tmp_path / "agg.db", fast_settings())
            try:
                report = await poll_once(service)
                assert (report.feeds, report.errors) == (1, 1)
                (row,) = service.store.status_rows()
                assert row["status"] == "error" and "KeyError" in row["error"]
                assert row["next_poll_at"] is not None
                again = await poll_once(service)
                assert again.feeds == 0  # backed off, not retried at once
            finally:
                service.close()

    asyncio.run(scenario())


def test_renaming_a_category_moves_its_stories(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        async with Upstream() as up:
            url = up.add_feed("/a.xml", FEEDS["/metrotimes/news.rss"])
            path = tmp_path / "feeds.opml"
            path.write_text(opml(url, category="World News"))
            service = Service(path, tmp_path / "agg.db", fast_settings())
            try:
                await poll_once(service)
                reader = service.store.reader()
                assert len(reader.stories("World News", 10)) == 2
                path.write_text(opml(url, category="World"))
                os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
                caplog.clear()
                with caplog.at_level("INFO", logger="aggregator"):
                    await poll_once(service)
                lines = [r.getMessage() for r in caplog.records]
                assert (
                    "category='World' renamed from='World News': links to /world-news/ and its "
                    "feeds lead to /world/"
                ) in lines
                assert not any(line.startswith(f"feed={url} moved") for line in lines)
                counts = "moved=1 rules_changed=0 headers_changed=0 selectors_changed=0"
                assert any(line.endswith(counts) for line in lines)
                assert reader.categories() == ["World"]
                assert len(reader.stories("World", 10)) == 2
                assert reader.stories("World News", 10) == []
            finally:
                service.close()

    asyncio.run(scenario())


class CountingSummarizer:
    """The default summariser, counting the stories it is asked to summarise."""

    def __init__(self) -> None:
        from aggregator.summarize import ExtractiveSummarizer

        self.inner = ExtractiveSummarizer()
        self.settings = self.inner.settings
        self.calls = 0

    def summarize(self, items, previous_headline=None, language=None):  # type: ignore[no-untyped-def]
        self.calls += 1
        return self.inner.summarize(items, previous_headline, language)


def test_a_story_whose_summary_inputs_did_not_change_is_not_summarised_again(
    tmp_path: Path,
) -> None:
    def rss(title: str) -> bytes:
        return (
            f"<rss version='2.0'><channel><title>{title}</title><item>"
            "<title>Harbour bridge closes for repairs after council vote</title>"
            "<link>https://news.example/bridge</link><guid>bridge-1</guid>"
            "<description>The harbour bridge closes for six weeks of repairs after the city "
            "council voted on Tuesday; ferries will run every ten minutes meanwhile.</description>"
            "</item></channel></rss>"
        ).encode()

    async def scenario() -> None:
        async with Upstream() as up:
            first = up.add_feed("/a.xml", rss("Outlet A"))
            copy = up.add_feed("/b.xml", rss("Outlet A, business desk"))
            path = tmp_path / "feeds.opml"
            path.write_text(opml(first))
            counting = CountingSummarizer()
            service = Service(path, tmp_path / "agg.db", fast_settings(), summarizer=counting)
            try:
                await poll_once(service)
                assert counting.calls == 1
                path.write_text(
                    '<opml version="2.0"><body>'
                    f'<outline text="World News"><outline text="A" xmlUrl="{first}"/></outline>'
                    f'<outline text="Business"><outline text="B" xmlUrl="{copy}"/></outline>'
                    "</body></opml>"
                )
                report = await poll_once(service)
                assert report.items_new == 1  # the same article from a second feed: a duplicate
                assert counting.calls == 1  # its story is re-filed, not re-summarised
                (story,) = service.store.reader().stories(None, 10)
                assert set(story.categories) == {"World News", "Business"}
                assert story.version == 1
            finally:
                service.close()

    asyncio.run(scenario())


def test_a_feed_that_makes_new_guids_at_each_poll_stores_each_entry_once(
    tmp_path: Path,
) -> None:
    # (a feed whose guids carry the request's time: every poll gives every entry "anew")
    reports = [
        ("harbour-bridge", "Harbour bridge closes for repairs after council vote"),
        ("rail-strike", "Rail workers vote to strike over pay in the spring"),
        ("museum", "City museum reopens its east wing after a two-year rebuild"),
    ]

    def item(poll: int, slug: str, title: str) -> str:
        if slug == "museum":  # its guid is its link, with a tracking parameter counting polls
            link = f"https://news.example/museum?utm_source=rss&amp;utm_content={poll}"
            return f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid></item>"
        return (
            f"<item><title>{title}</title><link>https://news.example/{slug}</link>"
            f"<guid isPermaLink='false'>{slug}-{poll}</guid><description>{title}, the "
            "city said on Tuesday; the work and its costs were set out in a report to the "
            "council, which takes the matter up again next month.</description></item>"
        )

    def rss(poll: int, entries: list[tuple[str, str]]) -> bytes:
        items = "".join(item(poll, slug, title) for slug, title in entries)
        return f"<rss version='2.0'><channel><title>A</title>{items}</channel></rss>".encode()

    async def scenario() -> None:
        async with Upstream() as up:
            url = up.add_feed("/a.xml", rss(1, reports))
            (tmp_path / "feeds.opml").write_text(opml(url))
            service = Service(tmp_path / "feeds.opml", tmp_path / "agg.db", fast_settings())
            try:
                assert (await poll_once(service, everything=True)).items_new == 3
                stories = {s.id: s.version for s in service.store.reader().stories(None, 10)}
                up.add_feed("/a.xml", rss(2, reports))
                report = await poll_once(service, everything=True)
                assert (report.items_new, report.items_updated) == (0, 0)
                assert service.store.db["items"].count == 3
                again = {s.id: s.version for s in service.store.reader().stories(None, 10)}
                assert again == stories
                newer = [("ferry", "Ferry timetable changes as the bridge closes"), *reports]
                up.add_feed("/a.xml", rss(3, newer))
                assert (await poll_once(service, everything=True)).items_new == 1
            finally:
                service.close()

    asyncio.run(scenario())


def test_a_typo_url_in_a_live_opml_edit_keeps_the_service_running(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Upstream() as up:
            first, service = one_feed_service(up, tmp_path)
            path = tmp_path / "feeds.opml"
            async with running(service) as task:
                await wait_for(lambda: len(up.requests_for("/a.xml")) == 1)
                path.write_text(opml(first, "http://[::1/x"))
                await asyncio.sleep(1.6)  # past the scheduler's next pass (at least 1 s away)
                assert not task.done()
                assert [s.url for s in service.store.sources()] == [first]

    asyncio.run(scenario())


def test_a_feed_whose_poll_cannot_be_saved_stays_due_and_the_others_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database stays locked past every retry for one feed's write (and any feeds
    committed with it): those are logged as not saved (no traceback) and stay due, and the
    cycle completes."""
    import sqlite3

    monkeypatch.setattr(service_module, "WRITE_ATTEMPTS", 2)

    async def scenario() -> None:
        async with Upstream() as up:
            good = up.add_feed("/a.xml", FEEDS["/dailyplanet/world.xml"])
            stuck = up.add_feed("/b.xml", FEEDS["/metrotimes/news.rss"])
            path = tmp_path / "feeds.opml"
            path.write_text(opml(good, stuck))
            service = Service(path, tmp_path / "agg.db", fast_settings())
            save = service.store.save_polls

            def locked_for_b(polls):  # type: ignore[no-untyped-def]
                if any(state.url == stuck for state, _ in polls):
                    raise sqlite3.OperationalError("database is locked")
                return save(polls)

            service.store.save_polls = locked_for_b  # type: ignore[method-assign]
            try:
                report = await poll_once(service)
                assert report.feeds == 2 and report.errors >= 1
                due = [s.url for s, _ in service.store.feeds_due(service.clock())]
                assert stuck in due  # not saved: polled again next time
                assert len(due) == 2 - report.ok
            finally:
                service.close()

    asyncio.run(scenario())


def test_stopping_run_ends_the_grouping_pass_under_way_and_keeps_what_it_grouped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SIGTERM does not wait for a long grouping pass: it ends at its next run of
    publication time; what it grouped is committed and the rest waits for the next pass."""
    from datetime import UTC, datetime, timedelta

    from news_fixture import rss

    from aggregator import grouping

    start = datetime.now(UTC) - timedelta(hours=13)
    entries = [  # (one an hour: a run of publication time each)
        (
            f"harbour-{n}",
            f"https://www.portgazette.example/news/{n}",
            f"Harbour report number {n}: ferry timetable {n} changes at Ostmere",
            f"The Ostmere harbour office published timetable {n} for the island ferries.",
            start + timedelta(hours=n),
        )
        for n in range(12)
    ]
    grouping_began = threading.Event()
    group_item = grouping._group_item

    def slow(*args: Any, **kwargs: Any) -> None:
        grouping_began.set()
        time.sleep(0.2)  # (an item of a big pass: the whole pass outlasts the test's patience)
        group_item(*args, **kwargs)

    monkeypatch.setattr(grouping, "_group_item", slow)

    async def scenario() -> int:
        async with Upstream() as up:
            url = up.add_feed("/harbour.xml", rss("Port Gazette", entries))
            (tmp_path / "feeds.opml").write_text(opml(url))
            service = Service(tmp_path / "feeds.opml", tmp_path / "agg.db", fast_settings())
            async with running(service):
                await asyncio.to_thread(grouping_began.wait, 30)
            assert service.stopping.is_set()
        store = Store(tmp_path / "agg.db")
        try:
            return store.conn.execute(
                "SELECT count(*) FROM items WHERE story_id IS NULL"
            ).fetchone()[0]
        finally:
            store.close()

    left = asyncio.run(scenario())
    assert 0 < left < len(entries)


def _stored_items(db: Path) -> int:
    """Items stored in `db` so far (0 before it is made), read beside its writer."""
    if not db.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            return int(conn.execute("SELECT count(*) FROM items").fetchone()[0])
    except sqlite3.OperationalError:  # (not made yet, or its tables not yet)
        return 0


def test_poll_once_stops_on_sigterm_after_its_grace_keeping_what_it_stored(
    tmp_path: Path,
) -> None:
    """A one-shot pass stopped by SIGTERM (a timer unit stopped, a cron job killed politely)
    gives its fetches `shutdown_grace`, keeps what it stored and exits 0."""
    # (a server that takes connections and never answers: its feed holds the pass)
    with Upstream().running_in_thread() as up, socket.create_server(("127.0.0.1", 0)) as hang:
        good = up.add_feed("/feed.xml", FEEDS["/metrotimes/news.rss"])
        hanging = f"http://127.0.0.1:{hang.getsockname()[1]}/feed.xml"
        (tmp_path / "feeds.opml").write_text(opml(good, hanging))
        env = dict(
            os.environ,
            AGGREGATOR_SERVER_SHUTDOWN_GRACE="1",
            AGGREGATOR_FETCH_TOTAL_TIMEOUT="600",  # (the hanging feed outlasts the test)
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "aggregator", "poll", "--once"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not up.requests_for("/feed.xml"):
                time.sleep(0.05)
            assert up.requests_for("/feed.xml")
            # the answering feed is stored meanwhile (on a loaded machine, seconds after)
            while time.monotonic() < deadline and not _stored_items(tmp_path / "aggregator.db"):
                time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                _, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
    assert proc.returncode == 0, err
    assert "stopping: letting in-flight polls finish" in err
    assert "stopped before the pass ended" in err
    store = Store(tmp_path / "aggregator.db")
    try:
        stored = store.conn.execute("SELECT count(*) FROM items").fetchone()[0]
    finally:
        store.close()
    assert stored > 0
