"""A poll pass as an upstream operator sees it: what each feed's server is asked, and when
it is asked again (redirects, 410 Gone, Retry-After, validators)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from news_fixture import feeds
from upstream import Upstream, opml

from aggregator import logs
from aggregator.cli import main
from aggregator.config import Settings
from aggregator.fetch import Fetcher, FetchSettings
from aggregator.service import CycleReport, Service
from aggregator.store import to_iso

FEEDS = feeds()
BODY = FEEDS["/dailyplanet/world.xml"]


def _settings() -> Settings:
    settings = Settings()
    return dataclasses.replace(
        settings,
        fetch=FetchSettings(total_timeout=5.0, connect_timeout=5.0),
        articles=dataclasses.replace(settings.articles, enabled=False),
    )


async def _poll(service: Service, *, everything: bool = False) -> CycleReport:
    await service.load_sources(strict=True)
    async with Fetcher(service.settings.fetch) as fetcher:
        return await service.poll_cycle(fetcher, everything=everything)


def _rows(service: Service) -> dict[str, dict[str, object]]:
    return {str(row["url"]): row for row in service.store.status_rows()}


def test_an_upstream_sees_redirects_gone_and_retry_after_honoured(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Upstream() as up:
            up.add_feed("/new.xml", BODY, etag='W/"v1"')
            up.add_feed("/lm.xml", BODY, last_modified="Tue, 01 Dec 2026 10:00:00 GMT")
            moved = up.add_redirect("/old.xml", "/new.xml", status=301)
            temporary = up.add_redirect("/temp.xml", "/lm.xml", status=302)
            gone = up.url("/status/410")
            # (on another host name: its hold would keep the others of 127.0.0.1 waiting too)
            busy = up.url("/status/429?retry_after=7200").replace("127.0.0.1", "localhost")
            path = tmp_path / "feeds.opml"
            path.write_text(opml(moved, temporary, gone, busy))
            service = Service(path, tmp_path / "agg.db", _settings())
            try:
                before = datetime.now(UTC).replace(microsecond=0)  # stored to the second
                first = await _poll(service)
                assert (first.feeds, first.errors) == (4, 2)
                rows = _rows(service)
                # 301: the new address is recorded (and shown by `status`); 302: it is not.
                assert rows[moved]["moved_to"] == up.url("/new.xml")
                assert rows[temporary]["moved_to"] is None
                # 410: an error for now (backed off); it stops polling only if it persists.
                assert (rows[gone]["status"], rows[gone]["http_status"]) == ("error", 410)
                # Retry-After in seconds is not undercut by the first error's backoff.
                retry = datetime.fromisoformat(str(rows[busy]["next_poll_at"]))
                assert retry >= before + timedelta(seconds=7200)

                # Nothing is due again: no request at all reaches the upstream.
                asked = len(up.requests)
                assert (await _poll(service)).feeds == 0
                assert len(up.requests) == asked

                # Polled again (as `poll --once --all`): the moved feed is asked at its new
                # address with its weak ETag verbatim; the 302 one at the old address, and
                # its target with If-Modified-Since; both answered 304.
                again = await _poll(service, everything=True)
                assert again.items_new == 0
                assert len(up.requests_for("/old.xml")) == 1
                last_new = up.requests_for("/new.xml")[-1]
                assert last_new.headers.get("if-none-match") == 'W/"v1"'
                assert len(up.requests_for("/temp.xml")) == 2
                last_lm = up.requests_for("/lm.xml")[-1]
                assert last_lm.headers.get("if-modified-since") == "Tue, 01 Dec 2026 10:00:00 GMT"
                rows = _rows(service)
                assert rows[moved]["status"] == rows[temporary]["status"] == "not_modified"
                assert rows[gone]["status"] == "error"
                # A third 410 in a row: the feed is gone, and no longer due for a year.
                await _poll(service, everything=True)
                rows = _rows(service)
                assert rows[gone]["status"] == "gone"
                assert datetime.fromisoformat(str(rows[gone]["next_poll_at"])) > before + timedelta(
                    days=300
                )
            finally:
                service.close()

    asyncio.run(scenario())


class Clock:
    """The service's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_site_that_answers_busy_is_asked_for_no_feed_until_its_retry_after(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 429 with Retry-After to one feed is its site's answer to us: none of the site's feeds
    is asked until then (not counted as errors; each polled after the hold), another site's
    feed is, and the next process (`poll --once` from cron) keeps the hold."""
    clock = Clock()

    async def scenario() -> None:
        async with Upstream() as up:
            busy = up.add_feed(
                "/busy.xml", b"slow down", status=429, headers={"Retry-After": "600"}
            )
            same = [up.add_feed(path, FEEDS[path]) for path in list(FEEDS)[:2]]
            other = up.add_feed("/metrotimes/news.rss", FEEDS["/metrotimes/news.rss"])
            other = other.replace("127.0.0.1", "localhost")
            path = tmp_path / "feeds.opml"
            path.write_text(opml(busy, *same, other))

            def asked() -> int:
                return sum(r.path != "/metrotimes/news.rss" for r in up.requests)

            service = Service(path, tmp_path / "agg.db", _settings(), clock=clock)
            try:
                with caplog.at_level(logging.INFO, logger="aggregator"):
                    first = await _poll(service)
                    assert first.errors == 1  # the 429 (the others may have gone before it)
                    before = asked()
                    backoff = _rows(service)[busy]["next_poll_at"]  # the 429's own
                    again = await _poll(service, everything=True)
                assert (again.held, again.errors, again.ok) == (3, 0, 1)
                assert asked() == before
                assert len(up.requests_for("/metrotimes/news.rss")) == 2
                rows = _rows(service)
                assert rows[busy]["next_poll_at"] == backoff  # a hold never brings it nearer
                for url in (busy, *same):
                    when = datetime.fromisoformat(str(rows[url]["next_poll_at"]))
                    assert when >= clock.now + timedelta(seconds=600)
                said = [r.getMessage() for r in caplog.records]
                (hold,) = [m for m in said if m.startswith("host=")]
                assert hold.startswith("host=127.0.0.1 held until ")
                assert hold.endswith(f"(feed {busy} answered 429): its feeds wait until then")
                held = [m for m in said if " status=held " in m]
                assert len(held) >= 3 and all("(its site asked us to wait)" in m for m in held)
            finally:
                service.close()
            # `status` says why a feed waits: its site is held (for 600 s from the fake clock,
            # which started at the real time)
            root = logging.getLogger()
            kept = root.handlers[:], root.level  # (the command sets logging up: put it back)
            try:
                assert main(["status", "--db", str(tmp_path / "agg.db")]) == 0
            finally:
                root.handlers[:], root.level = kept
            table = capsys.readouterr().out.splitlines()
            assert sum(" (site held for " in line for line in table if "127.0.0.1" in line) == 3
            assert not any(" (site held for " in line for line in table if "localhost" in line)
            service = Service(path, tmp_path / "agg.db", _settings(), clock=clock)
            try:
                third = await _poll(service, everything=True)
                assert third.held == 3 and asked() == before
                clock.now += timedelta(seconds=601)
                up.add_feed("/busy.xml", FEEDS["/globewire/world.atom"])  # (it recovered)
                fourth = await _poll(service, everything=True)
                assert (fourth.held, fourth.ok, fourth.errors) == (0, 4, 0)
                assert asked() == before + 3
            finally:
                service.close()

    asyncio.run(scenario())


def test_every_request_identifies_the_project_and_accepts_gzip(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Upstream() as up:
            url = up.add_feed("/a.xml", BODY, gzip=True)
            path = tmp_path / "feeds.opml"
            path.write_text(opml(url))
            service = Service(path, tmp_path / "agg.db", _settings())
            try:
                report = await _poll(service)
                assert report.errors == 0 and report.items_new > 0
                (request,) = up.requests_for("/a.xml")
                agent = request.headers["user-agent"]
                assert agent.startswith("aggregator/") and "(+https://" in agent
                assert "gzip" in request.headers["accept-encoding"]
                assert "application/rss+xml" in request.headers["accept"]
            finally:
                service.close()

    asyncio.run(scenario())


def test_a_feed_queued_behind_a_hanging_one_logs_its_wait_apart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One slot per host: the second feed waits for the first to time out (about
    `total_timeout`, 1.5 s: less by the moment the second was queued after the first began,
    so the wait clears the 1 s from which a text line shows it); its log line gives that wait
    as `queued_ms`, not as its own `ms`."""

    monkeypatch.setattr(logs, "structured", True)  # lines carry their fields (as in JSON)

    async def scenario() -> None:
        async with Upstream() as up:
            hanging = up.url("/hang")
            quick = up.add_feed("/a.xml", BODY)
            path = tmp_path / "feeds.opml"
            path.write_text(opml(hanging, quick))
            settings = dataclasses.replace(
                _settings(), fetch=FetchSettings(total_timeout=1.5, connect_timeout=1.0, per_host=1)
            )
            service = Service(path, tmp_path / "agg.db", settings)
            try:
                with caplog.at_level(logging.INFO, logger="aggregator"):
                    report = await _poll(service)
                assert (report.feeds, report.errors) == (2, 1)
            finally:
                service.close()

    asyncio.run(scenario())
    feed_lines = [r for r in caplog.records if getattr(r, "fields", {}).get("event") == "feed"]
    (quick_line,) = [r for r in feed_lines if r.fields["status"] == "ok"]  # type: ignore[attr-defined]
    assert quick_line.fields["queued_ms"] >= 1000  # type: ignore[attr-defined]
    assert " queued_ms=" in quick_line.getMessage()


def test_a_clock_that_steps_back_does_not_stall_polling(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The service polled by a clock 10 h ahead (an RTC kept in local time), then NTP stepped
    it back: the feeds, due 15 min after polls stamped 10 h from now, are polled again 15 min
    from now (not in 10 h 15 min), and a site's hold made then ends at most an hour after it
    is next read (not in 10 h 30 min). Said once in the log; the wait after the real poll is
    never shortened."""
    clock = Clock()
    ahead = timedelta(hours=10)

    async def scenario() -> None:
        async with Upstream() as up:
            busy = up.add_feed("/busy.xml", b"later", status=429, headers={"Retry-After": "1800"})
            fine = up.add_feed("/metrotimes/news.rss", FEEDS["/metrotimes/news.rss"])
            fine = fine.replace("127.0.0.1", "localhost")
            path = tmp_path / "feeds.opml"
            path.write_text(opml(busy, fine))
            service = Service(path, tmp_path / "agg.db", _settings(), clock=clock)
            try:
                real = clock.now
                clock.now = real + ahead
                await _poll(service)
                clock.now = real + timedelta(seconds=5)  # NTP steps the clock back
                with caplog.at_level(logging.INFO, logger="aggregator"):
                    nothing = await _poll(service)
                assert nothing.feeds == 0  # each feed's wait is kept: not polled at once
                rows = _rows(service)
                when = datetime.fromisoformat(str(rows[fine]["next_poll_at"]))
                assert when == (clock.now + timedelta(minutes=15)).replace(microsecond=0)
                assert datetime.fromisoformat(str(rows[fine]["last_polled_at"])) <= clock.now
                said = [r.getMessage() for r in caplog.records]
                (step,) = [m for m in said if m.startswith("the clock went back")]
                assert step.startswith("the clock went back: 2 feeds were last polled up to 9 h")
                caplog.clear()
                with caplog.at_level(logging.INFO, logger="aggregator"):
                    await _poll(service)  # (said once: the stamps are now's)
                assert not [r for r in caplog.records if "clock went back" in r.getMessage()]
                clock.now += timedelta(minutes=16)
                before = len(up.requests_for("/metrotimes/news.rss"))
                second = await _poll(service)
                assert len(up.requests_for("/metrotimes/news.rss")) == before + 1
                assert (second.ok, second.held) == (1, 0)  # (the busy site is held, not due)
                clock.now += timedelta(minutes=61)
                up.add_feed("/busy.xml", FEEDS["/globewire/world.atom"])
                third = await _poll(service, everything=True)
                assert (third.held, third.errors) == (0, 0)
            finally:
                service.close()

    asyncio.run(scenario())


def _rss(*titles: str) -> bytes:
    items = "".join(
        f"<item><title>{t}</title><link>https://harbour.example/{n}</link><guid>{n}</guid>"
        f"<description>{t}, the council said on Monday.</description></item>"
        for n, t in enumerate(titles)
    )
    return f"<rss version='2.0'><channel><title>Harbour</title>{items}</channel></rss>".encode()


@contextlib.asynccontextmanager
async def _harbour(db: Path, clock: Clock) -> AsyncIterator[tuple[Upstream, str, Service]]:
    """A one-feed upstream whose ETag is "v1", and a service that has polled it once (one
    entry stored); the service is closed after."""
    async with Upstream() as up:
        url = up.add_feed("/h.xml", _rss("Bridge reopens"), etag='"v1"')
        path = db.parent / "feeds.opml"
        path.write_text(opml(url))
        service = Service(path, db, _settings(), clock=clock)
        try:
            assert (await _poll(service)).items_new == 1
            yield up, url, service
        finally:
            service.close()


def test_a_server_whose_304s_hide_new_entries_is_found_out_and_asked_in_full(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cache that answers 304 to its old ETag whatever the feed now holds: the entries it
    hides come with the day's one request that sends no validators; asked again with the
    ETag of the body before them, it answers 304 once more, so it is asked without one from
    then on and new entries come at once. A month later, its 304s right again (a new ETag
    with the feed's change), the ETag is sent again."""
    clock = Clock()
    start = clock.now
    db = tmp_path / "agg.db"

    async def scenario() -> None:
        async with _harbour(db, clock) as (up, url, service):
            up.add_feed("/h.xml", _rss("Bridge reopens", "Ferry resumes"), etag='"v1"')
            news = []
            for hours in (1, 12, 23, 24, 25):
                clock.now = start + timedelta(hours=hours)
                news.append((await _poll(service, everything=True)).items_new)
            three = _rss("Bridge reopens", "Ferry resumes", "Tunnel shut")
            up.add_feed("/h.xml", three, etag='"v1"')
            clock.now = start + timedelta(hours=26)
            news.append((await _poll(service, everything=True)).items_new)
            asked = [r.headers.get("if-none-match") for r in up.requests_for("/h.xml")]
            assert _rows(service)[url]["false_304_at"] == to_iso(start + timedelta(hours=24))
            assert main(["status", "--db", str(db)]) == 0
            said = capsys.readouterr().out
            assert "ok; asked in full: its 304s hid new entries (" in said
            # a month on: fixed, the server's ETag now follows its feed
            four = _rss("Bridge reopens", "Ferry resumes", "Tunnel shut", "Quay opens")
            up.add_feed("/h.xml", four, etag='"v4"')
            for hours in (31 * 24, 31 * 24 + 1):
                clock.now = start + timedelta(hours=hours)
                news.append((await _poll(service, everything=True)).items_new)
            later = [r.headers.get("if-none-match") for r in up.requests_for("/h.xml")]
            assert _rows(service)[url]["false_304_at"] is None
        # the 304s hid the new entry for a day; the day's request without validators found
        # it, and the one after it with the old ETag was answered 304: none sent since
        assert news == [0, 0, 0, 1, 0, 1, 1, 0]
        assert asked == [None, '"v1"', '"v1"', '"v1"', None, '"v1"', None, None]
        # the month's first new entry asks the ETag of the body before it again: a body
        # now, so the next poll sends the new ETag and is answered 304
        assert later[len(asked) :] == [None, '"v1"', '"v4"']

    asyncio.run(scenario())
    assert main(["status", "--db", str(db)]) == 0
    assert "its 304s" not in capsys.readouterr().out


def test_a_server_that_changed_as_its_304s_were_checked_keeps_its_validators(
    tmp_path: Path,
) -> None:
    """The day's request without validators finds an entry that came in the last hour, from
    a server whose ETag follows its feed: asked with the old ETag, it sends a body, and the
    feed's validators are sent as before."""
    clock = Clock()
    start = clock.now

    async def scenario() -> None:
        async with _harbour(tmp_path / "agg.db", clock) as (up, url, service):
            news = []
            for hours in (1, 12, 23, 24, 25):
                if hours == 24:
                    up.add_feed("/h.xml", _rss("Bridge reopens", "Ferry resumes"), etag='"v2"')
                clock.now = start + timedelta(hours=hours)
                news.append((await _poll(service, everything=True)).items_new)
            asked = [r.headers.get("if-none-match") for r in up.requests_for("/h.xml")]
            assert _rows(service)[url]["false_304_at"] is None
        assert news == [0, 0, 0, 1, 0]
        assert asked == [None, '"v1"', '"v1"', '"v1"', None, '"v1"', '"v2"']

    asyncio.run(scenario())


def test_an_empty_200_to_a_conditional_request_is_not_an_error(tmp_path: Path) -> None:
    """A server that says "not modified" with a 200 and no body: the feed stays healthy and
    keeps its entries. The day's request without validators gets the same empty body, which
    is then an error: a feed that is truly empty is not hidden."""
    clock = Clock()
    start = clock.now

    async def scenario() -> None:
        async with _harbour(tmp_path / "agg.db", clock) as (up, url, service):
            up.add_feed("/h.xml", b"")  # (whatever the request: 200, no body)
            seen = []
            for hours in (1, 12, 23, 24):
                clock.now = start + timedelta(hours=hours)
                report = await _poll(service, everything=True)
                row = _rows(service)[url]
                seen.append((report.errors, row["status"], row["http_status"], row["items"]))
        assert seen == [(0, "not_modified", 200, 1)] * 3 + [(1, "error", 200, 1)]

    asyncio.run(scenario())


@contextlib.asynccontextmanager
async def _service_of(tmp_path: Path, *urls: str) -> AsyncIterator[Service]:
    """A service polling `urls` (its database in `tmp_path`), closed after."""
    path = tmp_path / "feeds.opml"
    path.write_text(opml(*urls))
    service = Service(path, tmp_path / "agg.db", _settings())
    try:
        yield service
    finally:
        service.close()


def test_a_server_that_answers_304_to_a_plain_request_is_an_error(tmp_path: Path) -> None:
    """A 304 to a request that named no version had been "not modified", a feed polled fine
    forever with nothing ever stored."""

    async def scenario() -> tuple[int, dict[str, object]]:
        async with Upstream() as up:
            url = up.add_feed("/h.xml", b"", status=304)
            async with _service_of(tmp_path, url) as service:
                report = await _poll(service)
                return report.errors, _rows(service)[url]

    errors, row = asyncio.run(scenario())
    assert errors == 1 and (row["status"], row["http_status"]) == ("error", 304)
    assert row["error"] == "HTTP 304 (not modified) to a request that named no earlier version"


def test_a_page_that_is_no_feed_is_not_hidden_by_the_304_to_its_etag(tmp_path: Path) -> None:
    """The validators of a body that failed to parse were kept: asked with them, the server
    answered 304, and the feed read "not modified", its error gone, until the day's request
    without them."""

    async def scenario() -> tuple[list[str], list[str | None]]:
        async with Upstream() as up:
            page = b"<!doctype html><html><body><p>Down for maintenance</p></body></html>"
            url = up.add_feed("/h.xml", page, etag='"b1"', content_type="text/html")
            async with _service_of(tmp_path, url) as service:
                statuses = []
                for _ in range(3):
                    await _poll(service, everything=True)
                    statuses.append(str(_rows(service)[url]["status"]))
            return statuses, [r.headers.get("if-none-match") for r in up.requests_for("/h.xml")]

    statuses, asked = asyncio.run(scenario())
    assert statuses == ["error"] * 3 and asked == [None] * 3


def test_a_document_cut_short_keeps_the_stored_text_of_its_last_entry(tmp_path: Path) -> None:
    """A body cut inside its last item (a transfer that stopped: the length was right for
    what was sent) had replaced that item's stored text with the cut one; the next request
    asks for the whole document again."""
    whole = _rss("Bridge reopens", "Ferry resumes")
    cut = whole[: whole.index(b"Ferry resumes, the council") + len(b"Ferry")]

    async def scenario() -> tuple[dict[str, str], list[str | None], int]:
        async with Upstream() as up:
            url = up.add_feed("/h.xml", whole, etag='"v1"')
            async with _service_of(tmp_path, url) as service:
                assert (await _poll(service)).items_new == 2
                up.add_feed("/h.xml", cut, etag='"v2"')
                await _poll(service, everything=True)
                up.add_feed("/h.xml", whole, etag='"v2"')  # (the whole body, its server says)
                updated = (await _poll(service, everything=True)).items_updated
                texts = dict(service.store.db.execute("SELECT title, text FROM items"))
            return (
                texts,
                [r.headers.get("if-none-match") for r in up.requests_for("/h.xml")],
                updated,
            )

    texts, asked, updated = asyncio.run(scenario())
    assert texts["Ferry resumes"] == "Ferry resumes, the council said on Monday."
    assert asked == [None, '"v1"', None] and updated == 0


def test_a_feed_whose_new_address_goes_missing_is_asked_at_its_listed_one(
    tmp_path: Path,
) -> None:
    """A permanent redirect's target that answers 404 or 410 had been asked until the feed
    was stopped as gone, while the listed address served it again."""

    async def scenario() -> tuple[list[str], list[str]]:
        async with Upstream() as up:
            old = up.add_redirect("/old.xml", "/new.xml", status=301)
            up.add_feed("/new.xml", BODY)
            async with _service_of(tmp_path, old) as service:
                statuses = []
                await _poll(service)
                del up.resources["/new.xml"]
                up.add_feed("/old.xml", BODY)  # (the listed address serves the feed again)
                for _ in range(2):
                    await _poll(service, everything=True)
                    statuses.append(str(_rows(service)[old]["status"]))
            return statuses, [r.path for r in up.requests]

    statuses, paths = asyncio.run(scenario())
    assert paths == ["/old.xml", "/new.xml", "/new.xml", "/old.xml"]
    assert statuses == ["error", "unchanged"]


def test_a_poll_that_fails_on_a_bug_is_an_error_backed_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Unsaved, a feed whose poll raised stayed due: `run` asked it again every second."""
    from aggregator import poll_job

    def broken(*_: object) -> object:
        raise RuntimeError("odd input")

    monkeypatch.setattr(poll_job, "as_answered", broken)

    async def scenario() -> dict[str, object]:
        async with Upstream() as up:
            url = up.add_feed("/h.xml", BODY)
            async with _service_of(tmp_path, url) as service:
                assert (await _poll(service)).errors == 1
                assert (await _poll(service)).feeds == 0  # (not due again at once)
                return _rows(service)[url]

    with caplog.at_level(logging.ERROR, logger="aggregator"):
        row = asyncio.run(scenario())
    assert (row["status"], row["error"], row["error_count"]) == (
        "error",
        "internal error: RuntimeError: odd input",
        1,
    )
    assert any("status=crash" in r.getMessage() for r in caplog.records)


def test_a_permanent_redirect_answered_304_at_its_end_is_remembered(tmp_path: Path) -> None:
    """A 301 to an address that answers 304 to the feed's ETag had been asked through the
    redirect at every poll, until a day's request without validators brought a body."""

    async def scenario() -> list[str]:
        async with Upstream() as up:
            old = up.add_feed("/old.xml", BODY, etag='"m"')
            async with _service_of(tmp_path, old) as service:
                await _poll(service)
                up.add_feed("/new.xml", BODY, etag='"m"')
                up.add_redirect("/old.xml", "/new.xml", status=301)
                for _ in range(2):
                    await _poll(service, everything=True)
                assert _rows(service)[old]["status"] == "not_modified"
            return [r.path for r in up.requests]

    assert asyncio.run(scenario()) == ["/old.xml", "/old.xml", "/new.xml", "/new.xml"]


def test_an_entry_dated_at_the_unix_epoch_is_dated_when_first_seen(tmp_path: Path) -> None:
    """A CMS's zero timestamp ("Thu, 01 Jan 1970 00:00:00 GMT") had been stored as the
    entry's date: its story was shown dated January 1, 1970. It is now no date, so the
    entry is dated when first seen, as an undated one is."""
    body = _rss("Bridge reopens").replace(
        b"</guid>", b"</guid><pubDate>Thu, 01 Jan 1970 00:00:00 GMT</pubDate>"
    )

    async def scenario() -> tuple[str, str]:
        async with Upstream() as up:
            url = up.add_feed("/h.xml", body)
            async with _service_of(tmp_path, url) as service:
                assert (await _poll(service)).items_new == 1
                row = service.store.db.execute("SELECT published, first_seen FROM items").fetchone()
            return str(row[0]), str(row[1])

    published, first_seen = asyncio.run(scenario())
    assert published == first_seen and not published.startswith("1970")


def test_a_feed_listed_twice_in_two_spellings_is_asked_once_a_poll(tmp_path: Path) -> None:
    """The same feed in the OPML as written and with a fragment and an upper-case scheme had
    been two feeds: its server asked twice a poll, its items stored twice."""

    async def scenario() -> tuple[int, int, int]:
        async with Upstream() as up:
            url = up.add_feed("/h.xml", _rss("Bridge reopens", "Ferry resumes"))
            again = "HTTP" + url.removeprefix("http") + "#latest"
            async with _service_of(tmp_path, url, again) as service:
                report = await _poll(service)
                stored = service.store.db.execute("SELECT count(*) FROM items").fetchone()[0]
            return report.feeds, len(up.requests_for("/h.xml")), int(stored)

    assert asyncio.run(scenario()) == (1, 1, 2)


def test_a_number_of_thousands_of_digits_in_a_header_or_ttl_fails_no_poll(
    tmp_path: Path,
) -> None:
    """`Cache-Control: max-age=`, `Retry-After:` and `<ttl>` of 5,000 nines: Python refuses to
    read a number of over 4,300 digits, and each had failed its feed's poll as an internal
    error (its entries not stored, a traceback logged each time). They now read as the
    longest wait there is, capped as any."""
    nines = "9" * 5000
    with_ttl = _rss("Ferry resumes").replace(b"<item>", f"<ttl>{nines}</ttl><item>".encode(), 1)

    async def scenario() -> tuple[dict[str, dict[str, object]], datetime]:
        async with Upstream() as up:
            cached = up.add_feed(
                "/a.xml", _rss("Bridge reopens"), headers={"Cache-Control": f"max-age={nines}"}
            )
            lasting = up.add_feed("/b.xml", with_ttl)
            up.add_feed("/c.xml", b"busy", status=503, headers={"Retry-After": nines})
            # (on another host name: its hold would keep the others of 127.0.0.1 waiting too)
            busy = up.url("/c.xml").replace("127.0.0.1", "localhost")
            async with _service_of(tmp_path, cached, lasting, busy) as service:
                before = datetime.now(UTC).replace(microsecond=0)
                report = await _poll(service)
                assert (report.feeds, report.errors, report.items_new) == (3, 1, 2)
                return _rows(service), before

    rows, before = asyncio.run(scenario())
    assert sorted((str(row["status"]), "localhost" in url) for url, row in rows.items()) == [
        ("error", True),
        ("ok", False),
        ("ok", False),
    ]
    busy_row = next(row for url, row in rows.items() if "localhost" in url)
    assert busy_row["http_status"] == 503 and "internal error" not in str(busy_row["error"])
    assert datetime.fromisoformat(str(busy_row["next_poll_at"])) > before + timedelta(hours=1)
