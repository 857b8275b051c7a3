"""A refused sources edit, as an operator sees it: `status`, `status --json` and /healthz say
what was refused, why and since when, until a good edit is picked up; /healthz stays 200."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import feedparser
import pytest
from news_fixture import feeds
from test_service import fast_settings, one_feed_service, running, wait_for
from upstream import Upstream, free_port, opml

from aggregator.cli import main
from aggregator.service import Service
from aggregator.web import VERSION_TTL

FEEDS = feeds()
BROKEN = "<opml><body><outline text='oops'"


def status(db: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    capsys.readouterr()
    assert main(["status", "--db", str(db), *extra]) == 0
    return capsys.readouterr().out


async def healthz(port: int) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/healthz") as resp,
    ):
        return resp.status, await resp.json()


def test_a_refused_edit_shows_in_status_and_healthz_until_a_good_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "agg.db"
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        async with Upstream() as up:
            first, service = one_feed_service(up, tmp_path, db)
            second = up.add_feed("/b.xml", FEEDS["/metrotimes/news.rss"])
            path = tmp_path / "feeds.opml"
            port = free_port()
            stop = asyncio.Event()
            task = asyncio.create_task(service.run("127.0.0.1", port, stop))
            try:
                await wait_for(lambda: service.store.reader().health()["last_poll_at"])
                seen["before"] = await healthz(port)
                path.write_text(BROKEN)
                await wait_for(lambda: service.store.reader().health()["opml_refused"])
                seen["refused"] = await healthz(port)
                seen["json"] = json.loads(await asyncio.to_thread(status, db, capsys, "--json"))
                seen["text"] = await asyncio.to_thread(status, db, capsys)
                # a second broken edit: the new reason, the first refusal's time
                path.write_text("\n\n" + BROKEN)
                since = seen["json"]["opml_refused"]["since"]
                await wait_for(
                    lambda: "line 3" in service.store.reader().health()["opml_refused"]["error"]
                )
                seen["again"] = service.store.reader().health()["opml_refused"]
                assert seen["again"]["since"] == since
                path.write_text(opml(first, second))
                await wait_for(lambda: service.store.reader().health()["feeds"] == 2)
                seen["fixed"] = await healthz(port)
                seen["fixed_json"] = json.loads(
                    await asyncio.to_thread(status, db, capsys, "--json")
                )
            finally:
                stop.set()
                await asyncio.wait_for(task, 10)
                service.close()

    asyncio.run(scenario())
    assert seen["before"][0] == 200 and seen["before"][1]["status"] == "ok"
    assert "warnings" not in seen["before"][1]
    code, body = seen["refused"]
    assert code == 200  # the service works: nothing should restart it
    assert body["status"] == "warning"
    refused = body["opml_refused"]
    assert refused["path"] == str(tmp_path / "feeds.opml")
    assert "not valid XML at line 1" in refused["error"]
    assert refused["since"].startswith("20")
    assert body["warnings"] == [
        f"sources edit refused since {refused['since']}: {refused['error']}; "
        "the last good sources stay in force"
    ]
    report = seen["json"]
    assert report["status"] == "warning" and report["reasons"] == []
    assert report["opml_refused"] == refused and report["warnings"] == body["warnings"]
    first_line = seen["text"].splitlines()[0]
    assert first_line.startswith("SOURCES EDIT REFUSED ")
    assert refused["error"] in first_line and " ago: " in first_line
    assert "not valid XML at line 3" in seen["again"]["error"]
    code, body = seen["fixed"]
    assert (code, body["status"], body["opml_refused"]) == (200, "ok", None)
    assert "warnings" not in body
    assert seen["fixed_json"]["status"] == "ok" and seen["fixed_json"]["warnings"] == []
    assert "REFUSED" not in status(db, capsys)


def test_a_missing_sources_file_is_refused_once_and_a_restart_clears_the_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "agg.db"
    path = tmp_path / "feeds.opml"

    async def scenario() -> None:
        async with Upstream() as up:
            first, service = one_feed_service(up, tmp_path, db)
            async with running(service):
                await wait_for(lambda: len(up.requests_for("/a.xml")) == 1)
                path.rename(f"{path}.away")
                await wait_for(lambda: service.store.reader().health()["opml_refused"])
                await asyncio.sleep(0.6)  # a few more ticks: logged once, not every tick
                # the very file back (same time and size): read again, the record cleared
                Path(f"{path}.away").rename(path)
                await wait_for(lambda: service.store.reader().health()["opml_refused"] is None)
                path.rename(f"{path}.away")
                await wait_for(lambda: service.store.reader().health()["opml_refused"])
            # stopped while refused: the record stays for `status` to show
            assert "SOURCES EDIT REFUSED" in status(db, capsys)
            path.write_text(opml(first))
            service = Service(path, db, fast_settings())
            async with running(service):
                await wait_for(lambda: service.store.reader().health()["opml_refused"] is None)

    asyncio.run(scenario())
    gone = [r for r in caplog.records if "the sources file is not there" in r.getMessage()]
    assert len(gone) == 2  # once each time
    assert "REFUSED" not in status(db, capsys)


def test_renaming_a_category_in_the_sources_keeps_its_readers_feeds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An operator renames "World News" to "International" while the service runs: the new
    addresses serve the category's stories, the former ones move there permanently, and the
    log says so."""
    db = tmp_path / "agg.db"
    seen: dict[str, Any] = {}

    async def get(port: int, path: str) -> tuple[int, str, str]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}{path}", allow_redirects=False) as resp,
        ):
            return resp.status, resp.headers.get("Location", ""), await resp.text()

    async def scenario() -> None:
        async with Upstream() as up:
            first, service = one_feed_service(up, tmp_path, db)
            port = free_port()
            stop = asyncio.Event()
            task = asyncio.create_task(service.run("127.0.0.1", port, stop))
            try:
                reader = service.store.reader()
                await wait_for(lambda: reader.stories(None, 5))
                seen["before"] = await get(port, "/feeds/world-news.atom")
                (tmp_path / "feeds.opml").write_text(opml(first, category="International"))
                await wait_for(lambda: reader.categories() == ["International"])
                # (the server trusts the data version it read for up to VERSION_TTL: what it
                # rendered before the edit may be served that long after it)
                for _ in range(int(VERSION_TTL * 20) + 20):
                    if (await get(port, "/feeds/world-news.atom"))[0] != 200:
                        break
                    await asyncio.sleep(0.1)
                for path in ("/feeds/world-news.atom", "/world-news/", "/feeds/international.atom"):
                    seen[path] = await get(port, path)
            finally:
                stop.set()
                await asyncio.wait_for(task, 10)
                service.close()

    with caplog.at_level("INFO", logger="aggregator"):
        asyncio.run(scenario())
    status, _, before = seen["before"]
    assert status == 200 and "<entry" in before
    assert seen["/feeds/world-news.atom"][:2] == (301, "international.atom")
    assert seen["/world-news/"][:2] == (301, "../international/")
    status, _, after = seen["/feeds/international.atom"]
    ids = [e.id for e in feedparser.parse(before).entries]
    assert status == 200 and ids and [e.id for e in feedparser.parse(after).entries] == ids
    assert (
        "category='International' renamed from='World News': links to /world-news/ and its "
        "feeds lead to /international/"
    ) in caplog.text


def test_an_edit_the_reader_fails_on_is_refused_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Not a ConfigError (a bug on an odd edit): logged with its traceback at every tick and
    never said as refused, so `status` and /healthz showed nothing."""
    from aggregator import opml_reload
    from aggregator.errors import ConfigError

    path = tmp_path / "feeds.opml"
    path.write_text(opml("https://a.example/feed"))

    def odd(*_: object, **__: object) -> None:
        raise RuntimeError("odd edit")

    async def scenario() -> dict[str, Any]:
        service = Service(path, tmp_path / "agg.db", fast_settings())
        try:
            assert await service.load_sources(strict=True)
            monkeypatch.setattr(opml_reload, "load_opml", odd)
            path.write_text(opml("https://b.example/feed"))
            for _ in range(3):
                assert not await service.load_sources(strict=False)
            refused: dict[str, Any] = service.store.reader().health()["opml_refused"]
            path.write_text(opml("https://c.example/feed"))
            with pytest.raises(ConfigError, match="cannot be read: RuntimeError: odd edit"):
                await service.load_sources(strict=True)
            return refused
        finally:
            service.close()

    with caplog.at_level("ERROR", logger="aggregator"):
        refused = asyncio.run(scenario())
    assert refused["error"] == f"{path}: cannot be read: RuntimeError: odd edit"
    said = [r for r in caplog.records if "odd edit" in r.getMessage()]
    assert len(said) == 2  # (once for the three ticks, once for the strict load)


def test_a_sources_file_gone_is_said_by_its_path_with_what_to_do(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The file moved away under a running service: one error line naming it, what to do and
    what goes on meanwhile (not Python's "[Errno 2] No such file or directory: …"); the feeds
    it had stay in force."""
    from datetime import UTC, datetime

    from aggregator.opml_reload import OpmlReload
    from aggregator.store import Store

    path = tmp_path / "feeds.opml"
    path.write_text(opml("https://a.example/feed.xml", "https://b.example/feed.xml"))
    store = Store(tmp_path / "agg.db")

    async def write(fn: Any, *args: Any) -> Any:
        return fn(*args)

    async def scenario() -> None:
        reload = OpmlReload(path, store, write, lambda: datetime(2026, 12, 1, tzinfo=UTC))
        assert await reload.load(strict=True)
        path.rename(tmp_path / "moved.opml")
        with caplog.at_level("INFO", logger="aggregator"):
            for _ in range(3):
                assert not await reload.load(strict=False)

    try:
        asyncio.run(scenario())
        assert len(store.sources()) == 2
        health = store.reader().health()["opml_refused"]
    finally:
        store.close()
    said = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert said == [
        f"{path}: the sources file is not there (moved or removed?): put it back, or restart "
        "the service with --opml naming where it is now; polling goes on with the 2 feeds it "
        "had until then"
    ]
    assert "Errno" not in health["error"] and str(path) in health["error"]
