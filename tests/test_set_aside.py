"""A defect met on one odd item or story fails neither the pass nor the service: grouping
gives the item a story of its own, summarising leaves the story as it was published, and
`run` keeps polling and serving through a pass that fails anyway. The defects here are made
on purpose (a function that raises for one invented item)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from invented_items import T0, filler, item
from news_fixture import feeds
from upstream import Upstream, opml

from aggregator import grouping, story_window
from aggregator.config import Settings
from aggregator.features import item_features
from aggregator.fetch import FetchSettings
from aggregator.health import report
from aggregator.models import Item
from aggregator.service import Service
from aggregator.store import Store
from aggregator.story_job import StoryJob
from aggregator.summarize import ExtractiveSummarizer

ODD = "Glass harbour bridge of Varnholm closes after a crack is found"
CLOCK = T0 + timedelta(hours=2)


def _items() -> list[Item]:
    """Two outlets' reports of one event, unrelated filler, and the odd item."""
    quake = "A magnitude 6.1 earthquake shook the Ostmere valley, and the Ostmere council "
    return [
        *filler(6),
        item("q1", "Earthquake shakes Ostmere valley", quake + "opened shelters.", "one", 10),
        item("q2", "Ostmere valley earthquake: shelters open", quake + "said.", "two", 12),
        item("odd", ODD, "The bridge of Varnholm is closed. Engineers found a crack.", "", 14),
    ]


def _stories(store: Store) -> dict[str, str]:
    return dict(store.conn.execute("SELECT id, story_id FROM items").fetchall())


def _summarised(store: Store) -> set[str]:
    return {r[0] for r in store.conn.execute("SELECT story_id FROM summaries")}


def _raising_for(call: Any, name: str = "odd") -> Any:
    """`call`, raising for the item `name` (its first argument that is an Item)."""

    def odd(*args: Any, **kwargs: Any) -> Any:
        if any(isinstance(a, Item) and a.id == name for a in args):
            raise ZeroDivisionError("a defect on odd input")
        return call(*args, **kwargs)

    return odd


def _grouped(tmp_path: Path, name: str) -> Store:
    store = Store(tmp_path / f"{name}.db")
    store.insert_items(_items())
    StoryJob(store, Settings(), lambda: CLOCK).run()
    return store


@pytest.mark.parametrize("where", ["assigning", "counting", "tokenising ahead"])
def test_an_item_grouping_fails_on_gets_a_story_of_its_own_and_the_rest_is_grouped(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    where: str,
) -> None:
    reference = _stories(_grouped(tmp_path, "reference"))
    if where == "assigning":
        monkeypatch.setattr(grouping, "_group_item", _raising_for(grouping._group_item))
    else:  # (making its features: counted before any item of its run is assigned)
        monkeypatch.setattr(story_window, "item_features", _raising_for(item_features))
    if where == "tokenising ahead":  # (a big pass's helper process, here for every pass)
        monkeypatch.setattr(grouping.TermPool, "worth_it", staticmethod(lambda items: True))
        terms = grouping.TermPool.terms

        def helper_raising(pool: grouping.TermPool, items: list[Item]) -> Any:
            if any(i.id == "odd" for i in items):
                raise ZeroDivisionError("a defect on odd input, in the helper")
            return terms(pool, items)

        monkeypatch.setattr(grouping.TermPool, "terms", helper_raising)
    with caplog.at_level(logging.ERROR, logger="aggregator"):
        store = _grouped(tmp_path, "odd")
    assert _stories(store) == reference  # the others as ever; the odd one alone
    assert reference["odd"] == "odd"
    assert "item odd of https://odd.example/feed (guid 'odd') could not be grouped" in caplog.text
    assert "ZeroDivisionError" in caplog.text
    assert not store.dirty_stories()  # (its story was summarised too)
    # A later pass (another process: the window rebuilt from the store) groups a new report
    # although the odd item's features still cannot be made.
    monkeypatch.setattr(story_window, "item_features", _raising_for(item_features))
    store.insert_items(
        [
            item(
                "q3",
                "Ostmere earthquake: valley shelters full",
                "After the magnitude 6.1 earthquake in the Ostmere valley, shelters opened by "
                "the Ostmere council are full.",
                "three",
                30,
            )
        ]
    )
    StoryJob(store, Settings(), lambda: CLOCK + timedelta(minutes=30)).run()
    assert _stories(store)["q3"] == reference["q1"]
    store.close()


def test_a_story_summarising_fails_on_keeps_what_it_published_and_the_others_are_summarised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    reference = _summarised(_grouped(tmp_path, "reference"))
    assert {"odd", "q1"} <= reference
    summarize = ExtractiveSummarizer.summarize

    def odd(self: ExtractiveSummarizer, items: Any, *args: Any, **kwargs: Any) -> Any:
        if any(i.title == ODD for i in items):
            raise ZeroDivisionError("a defect on odd input")
        return summarize(self, items, *args, **kwargs)

    monkeypatch.setattr(ExtractiveSummarizer, "summarize", odd)
    with caplog.at_level(logging.ERROR, logger="aggregator"):
        store = _grouped(tmp_path, "odd")
    assert _summarised(store) == reference - {"odd"}
    assert "story odd could not be summarised; it keeps what it published" in caplog.text
    assert not store.dirty_stories()  # (summarised again when it next changes)
    monkeypatch.setattr(ExtractiveSummarizer, "summarize", summarize)
    store.insert_items([item("odd2", ODD + " again", "The Varnholm bridge stays shut.", "", 20)])
    StoryJob(store, Settings(), lambda: CLOCK + timedelta(minutes=30)).run()
    assert _stories(store)["odd2"] in _summarised(store)
    store.close()


def test_run_keeps_polling_and_serving_through_a_pass_that_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    failures = [RuntimeError("a defect no item or story was blamed for")]
    run = StoryJob.run

    def failing_once(self: StoryJob) -> int:
        if failures:
            raise failures.pop()
        return run(self)

    monkeypatch.setattr(StoryJob, "run", failing_once)

    warned: list[str] = []

    def grouped(service: Service) -> bool:  # (the failed pass's items, by the next cycle)
        found, _ = report(service.store.reader(), datetime.now(UTC), None, digests=False)
        warned.extend(w for w in found.get("warnings", []) if w not in warned)
        query = "SELECT count(*) FROM items WHERE story_id IS NOT NULL"
        return bool(service.store.conn.execute(query).fetchone()[0])

    with caplog.at_level(logging.ERROR, logger="aggregator"):
        assert asyncio.run(_run_until(tmp_path, _settings(), grouped))
    assert "stories: the pass failed (RuntimeError: a defect no item" in caplog.text
    # /healthz warned while it failed; the pass that then succeeded took the warning back
    assert any(
        w.startswith("the story pass failed at ") and "RuntimeError: a defect no item" in w
        for w in warned
    )
    store = Store(tmp_path / "agg.db")
    found, _ = report(store.reader(), datetime.now(UTC), None, digests=False)
    store.close()
    assert "warnings" not in found and found["status"] == "ok"


def test_a_defect_in_an_upkeep_job_is_logged_and_the_service_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Retention, the scheduled backup, re-reading the sources and the picture checks each
    log a bug they meet and are tried again; none ends `run` (the picture checks' task
    would have ended for good, silently)."""

    from aggregator.backup_job import BackupJob
    from aggregator.opml_reload import OpmlReload
    from aggregator.picture_job import PictureJob
    from aggregator.retention import RetentionJob

    def defect(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a defect in an upkeep job")

    load = OpmlReload.load

    async def load_once(self: OpmlReload, *, strict: bool) -> bool:
        if not strict:  # (the service's start reads them as ever; its ticks meet the bug)
            raise RuntimeError("a defect in an upkeep job")
        return await load(self, strict=strict)

    for job, name in ((RetentionJob, "run_if_due"), (BackupJob, "run_if_due")):
        monkeypatch.setattr(job, name, defect)
    monkeypatch.setattr(OpmlReload, "load", load_once)
    passes: list[int] = []

    async def checks(self: PictureJob, fetcher: Any) -> Any:
        passes.append(1)
        raise RuntimeError("a defect in an upkeep job")

    monkeypatch.setattr(PictureJob, "run_pass", checks)
    settings = _settings(tick=0.1)
    settings = dataclasses.replace(
        settings,
        backup=dataclasses.replace(settings.backup, dir=str(tmp_path / "backups")),
        publish=dataclasses.replace(settings.publish, check_pictures=True),
    )

    def met_twice(service: Service) -> bool:  # (each tick meets them again)
        return caplog.text.count("retention status=error") >= 2

    with caplog.at_level(logging.ERROR, logger="aggregator"):
        assert asyncio.run(_run_until(tmp_path, settings, met_twice))
    for said in ("retention status=error", "backup status=error", "not applied; the last good"):
        assert said in caplog.text
    assert passes and "pictures: the checks failed" in caplog.text


def _settings(tick: float = 0.2) -> Settings:
    settings = Settings()
    return dataclasses.replace(
        settings,
        server=dataclasses.replace(settings.server, tick=tick, shutdown_grace=1.0),
        fetch=FetchSettings(total_timeout=2.0, connect_timeout=2.0),
        articles=dataclasses.replace(settings.articles, enabled=False),
    )


async def _run_until(tmp_path: Path, settings: Settings, done: Callable[[Service], bool]) -> bool:
    """`run` (not serving) on one loopback news feed until `done` (True), or for 10 s (False);
    it fails the test when `run` ended by itself meanwhile."""
    async with Upstream() as up:
        url = up.add_feed("/news.rss", feeds()["/metrotimes/news.rss"])
        (tmp_path / "feeds.opml").write_text(opml(url))
        service = Service(tmp_path / "feeds.opml", tmp_path / "agg.db", settings)
        stop = asyncio.Event()
        task = asyncio.ensure_future(service.run("127.0.0.1", 0, stop, serve=False))
        try:
            reached = False
            for _ in range(200):
                if task.done():
                    break
                if reached := done(service):
                    break
                await asyncio.sleep(0.05)
            assert not task.done(), task.exception() if task.done() else None
            return reached
        finally:
            stop.set()
            await task
            service.close()
