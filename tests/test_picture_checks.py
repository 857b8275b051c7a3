"""A story's picture is asked for once, and one that does not load is not shown: the verdicts
on one answer (`picture_checks.judge`), and stories polled from loopback feeds whose pictures
are served, missing, an error page, refused or down for a while."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sqlite3
import struct
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from job_loops import run_until
from news_fixture import LIBRARY, QUAKE, RATES
from upstream import Upstream, opml

from aggregator.cli import main
from aggregator.cli_status import picture_lines
from aggregator.config import Settings
from aggregator.fetch import Fetcher, FetchSettings
from aggregator.models import Fetched, FetchFailed
from aggregator.picture_checks import (
    FAILED,
    LOADS,
    REFUSED,
    failing_hosts,
    is_picture,
    judge,
    picture_type,
)
from aggregator.picture_job import by_turns
from aggregator.service import Service
from aggregator.store import Store
from aggregator.store_upkeep import prune

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def png() -> bytes:
    """A 1×1 PNG, made here."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def fetched(body: bytes, kind: str) -> Fetched:
    return Fetched("u", "u", 200, body, {"content-type": kind})


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (png(), "image/png; charset=binary"),
        (png(), "application/octet-stream"),  # (told by its first bytes)
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", ""),
        (b"\x00\x00\x00\x1cftypavif\x00\x00", "binary/octet-stream"),
        (b"GIF89a\x01\x00", "text/plain"),  # (a wrong type: the browser loads it all the same)
    ],
)
def test_a_raster_picture_loads(body: bytes, kind: str) -> None:
    assert judge(fetched(body, kind), 1, NOW).state == LOADS


@pytest.mark.parametrize(
    ("outcome", "error"),
    [
        (fetched(b"<!doctype html><title>Not found</title>", "text/html"), "not a picture"),
        (fetched(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"), "raster"),
        (fetched(b"", "application/octet-stream"), "not a picture"),
        # a type that names a picture over what is none (browsers show no picture)
        (fetched(b"<html><p>Moved</p></html>", "image/png, text/html"), "not a picture"),
        (fetched(b"", "image/jpeg"), "not a picture"),
        (FetchFailed("u", "HTTP 404", 404), "404"),
        (FetchFailed("u", "HTTP 410", 410), "410"),
        (FetchFailed("u", "HTTP 400", 400), "400"),
    ],
)
def test_a_page_a_missing_file_or_an_svg_fails_for_good(
    outcome: Fetched | FetchFailed, error: str
) -> None:
    verdict = judge(outcome, 1, NOW)
    assert (verdict.state, verdict.retry, verdict.shown) == (FAILED, None, False)
    assert error in verdict.error


@pytest.mark.parametrize("status", [401, 403, 429, 451])
def test_a_refusal_keeps_the_picture_shown_and_is_not_asked_again(status: int) -> None:
    verdict = judge(FetchFailed("u", f"HTTP {status}", status), 1, NOW)
    assert (verdict.state, verdict.retry, verdict.shown) == (REFUSED, None, True)


@pytest.mark.parametrize(
    "outcome",
    [
        FetchFailed("u", "DNS lookup failed for img.example"),
        FetchFailed("u", "timed out after 15 s"),
        FetchFailed("u", "HTTP 503", 503),
    ],
)
def test_no_answer_hides_the_picture_for_now_and_asks_again_later(
    outcome: FetchFailed,
) -> None:
    tries = [judge(outcome, n, NOW) for n in (1, 2, 3, 4)]
    assert all(v.state == FAILED and not v.shown for v in tries)
    assert [v.retry for v in tries] == [
        NOW + timedelta(hours=1),
        NOW + timedelta(hours=6),
        NOW + timedelta(hours=24),
        None,  # (after the third: for good)
    ]


def test_a_picture_the_site_fetches_for_its_readers_is_judged_as_the_proxy_passes_it() -> None:
    # a refusal of our server is then our readers' too: it fails (429 for now)
    for status in (401, 403, 451):
        verdict = judge(FetchFailed("u", f"HTTP {status}", status=status), 1, NOW, proxied=True)
        assert verdict.state == FAILED and verdict.retry is None
        assert "the site fetches it for its readers" in verdict.error
    busy = judge(FetchFailed("u", "HTTP 429", status=429), 1, NOW, proxied=True)
    assert busy.state == FAILED and busy.retry == NOW + timedelta(hours=1)
    # more than the proxy passes on (said by its Content-Length; a check reads 16 KB)
    big = Fetched("u", "u", 200, png(), {"content-type": "image/png", "content-length": "6000000"})
    assert judge(big, 1, NOW, proxied=True).state == FAILED
    assert judge(big, 1, NOW).state == LOADS  # (the reader's browser loads it from the outlet)
    # a picture served with a generic type: the proxy names it by its first bytes
    assert judge(fetched(png(), "application/octet-stream"), 1, NOW, proxied=True).shown


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (png(), "image/png"),
        (b"GIF87a", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x1cftypavif", "image/avif"),
        (b"\x00\x00\x00\x1cftypmp42", None),  # (a video)
        (b"<!doctype html>", None),
    ],
)
def test_a_picture_is_named_by_its_first_bytes(body: bytes, kind: str | None) -> None:
    assert picture_type(body) == kind


def test_a_pass_asks_the_hosts_in_turns() -> None:
    """Two requests go to one host at a time: pictures listed host by host would keep the
    pass's other fetches waiting on the first host."""
    due = [(f"https://{host}.example/{n}.jpg", 0) for host in ("a", "b", "c") for n in range(3)]
    due.insert(1, ("https://c.example/new.jpg", 2))
    hosts = [url.split("/")[2][0] for url, _ in by_turns(due)]
    assert hosts == ["a", "c", "b", "a", "c", "b", "a", "c", "b", "c"]
    assert sorted(by_turns(due)) == sorted(due)


def test_what_starts_as_no_picture_is_none() -> None:
    for body in (b"", b"<html>", b"%PDF-1.7", b"RIFF\x00\x00\x00\x00WAVE", b"\xff\xd8"):
        assert not is_picture(body), body


# --- stories polled from loopback feeds -------------------------------------------------------


def feed(title: str, entries: list[tuple[tuple[str, str, str], str | None, int]]) -> bytes:
    """An RSS feed of fixture stories ((host, title, text), picture URL, minutes ago)."""
    items = ""
    for (host, headline, text), picture, ago in entries:
        when = datetime.now(UTC) - timedelta(minutes=ago)
        media = f"<media:content url='{escape(picture)}' medium='image'/>" if picture else ""
        slug = "-".join(headline.lower().split()[:5])
        items += (
            f"<item><guid>https://www.{host}/{escape(slug)}</guid><title>{escape(headline)}"
            f"</title><link>https://www.{host}/{escape(slug)}</link><description>"
            f"{escape(text)}</description><pubDate>{format_datetime(when)}</pubDate>{media}</item>"
        )
    return (
        "<?xml version='1.0'?><rss version='2.0' xmlns:media='http://search.yahoo.com/mrss/'>"
        f"<channel><title>{title}</title><link>https://example.invalid/</link>"
        f"<description>d</description>{items}</channel></rss>"
    ).encode()


def settings(proxy: str = "off") -> Settings:
    """Checks on; pictures linked at their outlets (`proxy` "off"), or fetched by the site."""
    base = Settings()
    return dataclasses.replace(
        base,
        fetch=FetchSettings(total_timeout=2.0, connect_timeout=2.0),
        articles=dataclasses.replace(base.articles, enabled=False),
        publish=dataclasses.replace(base.publish, check_pictures=True, picture_proxy=proxy),
    )


def summaries(db: Path) -> dict[str, str | None]:
    """The first words of each story's headline → the picture it is shown with."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT headline, image FROM summaries").fetchall()
    return {" ".join(headline.split()[:2]): image for headline, image in rows}


def test_a_story_is_shown_with_the_first_of_its_pictures_that_loads(tmp_path: Path) -> None:
    clock = [datetime.now(UTC)]

    async def scenario() -> None:
        async with Upstream() as up:
            ok, gone, page, refused, down = (
                up.url(p) for p in ("/p/ok.png", "/p/gone.jpg", "/p/page.jpg", "/p/r.jpg", "/p/d")
            )
            up.add_feed("/p/ok.png", png(), content_type="image/png")
            up.add_feed("/p/page.jpg", b"<html><body>Moved</body></html>", content_type="text/html")
            up.add_feed("/p/r.jpg", b"no", status=403, content_type="text/plain")
            up.add_feed("/p/d", b"busy", status=503, content_type="text/plain")
            first = up.add_feed(
                "/a.xml",
                feed("A", [(QUAKE[0], gone, 30), (RATES[0], refused, 20), (LIBRARY, down, 10)]),
            )
            second = up.add_feed("/b.xml", feed("B", [(QUAKE[1], page, 25)]))
            third = up.add_feed("/c.xml", feed("C", [(QUAKE[2], ok, 15)]))
            (tmp_path / "feeds.opml").write_text(opml(first, second, third))
            service = Service(
                tmp_path / "feeds.opml", tmp_path / "agg.db", settings(), clock=lambda: clock[0]
            )
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher, everything=True)
                    before = summaries(tmp_path / "agg.db")
                    assert before["Central bank"] == refused
                    assert before["City library"] == down
                    failed = await service.check_pictures(fetcher)
                    after = summaries(tmp_path / "agg.db")
                    # The quake's missing file and error page are passed over for the next
                    # source's picture, whichever its headline came from; a refusal stays shown,
                    # a picture whose host is down for now is not.
                    quake = next(k for k in after if k not in ("Central bank", "City library"))
                    assert after == {quake: ok, "Central bank": refused, "City library": None}
                    assert failed >= 1 + (before[quake] != ok)
                    asked = len(up.requests)
                    assert await service.check_pictures(fetcher) == 0  # nothing due: none asked
                    assert len(up.requests) == asked
                    assert len(up.requests_for("/p/ok.png")) == 1
                    # The host is back: asked again once the hour has passed, it is shown.
                    up.add_feed("/p/d", png(), content_type="image/png")
                    # (a pass that changed no story, as a cron `poll --once` of 304s, asks
                    # only for checks due again)
                    clock[0] += timedelta(minutes=59)
                    await service.check_pictures(fetcher, news=False)
                    assert len(up.requests_for("/p/d")) == 1
                    clock[0] += timedelta(minutes=2)
                    assert await service.check_pictures(fetcher, news=False) == 0
                    assert len(up.requests_for("/p/d")) == 2
                    assert summaries(tmp_path / "agg.db")["City library"] == down
            finally:
                service.close()
        with sqlite3.connect(tmp_path / "agg.db") as conn:
            states = dict(conn.execute("SELECT url, state FROM picture_checks"))
        # (the quake's pictures were asked for in the order it chose them, up to the one that
        # loads: the missing file and the error page, or not, by which headline it took)
        assert states == {ok: LOADS, refused: REFUSED, down: LOADS} | {
            url: FAILED for url in (gone, page) if url in states
        }

    asyncio.run(scenario())


# Stories of one report each, every one shown with a picture of its own.
SINGLES = [
    ("zoo.example", "Zoo welcomes twin panda cubs after long wait", "Keepers at the zoo said "
     "the twin panda cubs were born overnight and both were healthy."),
    ("rail.example", "Night trains return to the northern line", "The operator said sleeper "
     "carriages would run three nights a week from the spring timetable."),
    ("harbour.example", "Harbour bridge closed for cable repairs", "Engineers found worn "
     "cables on the suspension span and closed it to lorries for a month."),
    ("chess.example", "Teenager wins national chess title in final round", "The fifteen-year-"
     "old sealed the championship with a knight sacrifice in the last game."),
    ("orchard.example", "Frost damages apple blossom across valley orchards", "Growers "
     "warned of a smaller harvest after two nights of hard frost hit the blossom."),
]  # fmt: skip


def test_every_waiting_picture_is_checked_though_a_pass_asks_for_few(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More pictures than one pass asks for: `poll --once` passes until none waits (not only
    while a pass changes a story), and `run` passes again at once while some wait."""
    monkeypatch.setattr("aggregator.picture_job.PER_PASS", 2)

    async def nothing() -> None:  # (no story is marked: every picture loads)
        return None

    async def scenario(once: bool) -> list[int]:
        async with Upstream() as up:
            every = range(len(SINGLES))
            pictures = [up.url(f"/p/{n}.png") for n in every]
            for n in range(len(SINGLES)):
                up.add_feed(f"/p/{n}.png", png(), content_type="image/png")
            entries = [(s, pictures[n], 10 + n) for n, s in enumerate(SINGLES)]
            (tmp_path / "feeds.opml").write_text(opml(up.add_feed("/a.xml", feed("A", entries))))
            service = Service(tmp_path / "feeds.opml", tmp_path / f"{once}.db", settings())
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher, everything=True)
                    if once:
                        assert await service.check_pictures(fetcher) == 0
                    else:  # (the next pass would be an hour away)
                        job = service.picture_job()
                        await run_until(
                            lambda stop: job.loop(fetcher, stop, nothing, 3600),
                            lambda: all(up.requests_for(f"/p/{n}.png") for n in every),
                        )
            finally:
                service.close()
            return [n for n in range(len(SINGLES)) if up.requests_for(f"/p/{n}.png")]

    for once in (True, False):
        assert len(asyncio.run(scenario(once))) == len(SINGLES), once


def test_a_picture_the_site_fetches_is_not_shown_when_its_outlet_refuses_the_site(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def scenario(proxy: str) -> str | None:
        async with Upstream() as up:
            up.add_feed("/p/r.jpg", b"no", status=403, content_type="text/plain")
            first = up.add_feed("/a.xml", feed("A", [(LIBRARY, up.url("/p/r.jpg"), 10)]))
            (tmp_path / "feeds.opml").write_text(opml(first))
            db = tmp_path / f"{proxy}.db"
            service = Service(tmp_path / "feeds.opml", db, settings(proxy))
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher, everything=True)
                    await service.check_pictures(fetcher)
            finally:
                service.close()
            return summaries(db)["City library"]

    # linked at the outlet, readers' browsers may load what our server is refused; fetched
    # by the site for them ("http": a plain-http picture, as this one), they may not
    assert asyncio.run(scenario("off")) is not None
    assert asyncio.run(scenario("http")) is None
    # `aggregator story` says which picture a story shows, and what its check found
    for proxy in ("off", "http"):
        db = tmp_path / f"{proxy}.db"
        with sqlite3.connect(db) as conn:
            (story,) = conn.execute("SELECT story_id FROM summaries").fetchone()
        capsys.readouterr()
        assert main(["story", story, "--db", str(db)]) == 0
        out = capsys.readouterr().out
        shown = next(line for line in out.splitlines() if line.startswith("picture "))
        item = next(line for line in out.splitlines() if line.startswith("     picture "))
        if proxy == "off":
            assert "/p/r.jpg (refused our server, shown all the same: HTTP 403" in shown
            assert "/p/r.jpg (refused our server" in item
        else:
            assert shown == "picture    none"
            assert "/p/r.jpg (does not load: HTTP 403" in item
            assert item.endswith("(the site fetches it for its readers))")


def test_with_checks_off_no_picture_is_asked_for(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Upstream() as up:
            first = up.add_feed("/a.xml", feed("A", [(QUAKE[0], up.url("/p/gone.jpg"), 30)]))
            (tmp_path / "feeds.opml").write_text(opml(first))
            off = settings()
            off = dataclasses.replace(
                off, publish=dataclasses.replace(off.publish, check_pictures=False)
            )
            service = Service(tmp_path / "feeds.opml", tmp_path / "agg.db", off)
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher, everything=True)
                    assert await service.check_pictures(fetcher) == 0
            finally:
                service.close()
            assert up.requests_for("/p/gone.jpg") == []
            assert list(summaries(tmp_path / "agg.db").values()) == [up.url("/p/gone.jpg")]

    asyncio.run(scenario())


def test_only_pictures_of_recent_summaries_are_asked_for() -> None:
    """A database from before the checks (or after a long stop) has its recent stories'
    pictures asked for, not every old one's."""
    store = Store(":memory:")
    now = datetime(2026, 3, 2, tzinfo=UTC)
    for story, days, picture in (
        ("s1", 1, "new.jpg"),
        ("s2", 6, "week.jpg"),
        ("s3", 40, "old.jpg"),
    ):
        when = (now - timedelta(days=days)).isoformat()
        store.conn.execute(
            "INSERT INTO stories (id, last_item_at, updated) VALUES (?, ?, ?)", [story, when, when]
        )
        store.conn.execute(
            "INSERT INTO summaries (story_id, version, headline, bullets, sources, outlet_count, "
            "method, created, image) VALUES (?, 1, 'h', '[]', '[]', 1, 'm', ?, ?)",
            [story, when, f"https://img.example/{picture}"],
        )
    store.conn.commit()
    due = store.pictures_to_check(now, 10)
    assert due == [("https://img.example/new.jpg", 0), ("https://img.example/week.jpg", 0)]
    store.close()


def test_retention_forgets_old_checks_of_pictures_no_story_shows() -> None:
    store = Store(":memory:")
    now = datetime(2026, 3, 2, tzinfo=UTC)
    recent, old = (now - timedelta(hours=1)).isoformat(), (now - timedelta(days=40)).isoformat()
    store.conn.execute(
        "INSERT INTO stories (id, last_item_at, updated) VALUES ('s1', ?, ?)", [recent, recent]
    )
    store.conn.execute(
        "INSERT INTO summaries (story_id, version, headline, bullets, sources, outlet_count, "
        "method, created, image) VALUES ('s1', 1, 'h', '[]', '[]', 1, 'm', ?, ?)",
        [recent, "https://img.example/shown.jpg"],
    )
    rows = [
        ("https://img.example/shown.jpg", old),  # an old check of a picture shown: kept
        ("https://img.example/gone.jpg", old),  # no story shows it, checked long ago: forgotten
        ("https://img.example/new.jpg", recent),  # checked lately: kept
    ]
    store.conn.executemany(
        "INSERT INTO picture_checks (url, state, tries, checked) VALUES (?, 'loads', 1, ?)", rows
    )
    store.conn.commit()
    prune(store, now, now - timedelta(days=30), now - timedelta(days=90), 0)
    kept = {url for (url,) in store.conn.execute("SELECT url FROM picture_checks")}
    assert kept == {"https://img.example/shown.jpg", "https://img.example/new.jpg"}
    store.close()


def test_status_says_how_many_pictures_load_and_whose_do_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "agg.db"
    store = Store(db)
    now = datetime.now(UTC)
    later = (now + timedelta(minutes=50)).isoformat()
    soon = (now + timedelta(minutes=20, seconds=30)).isoformat()
    rows = [
        ("https://img.example/a.jpg", LOADS, None, None),
        ("https://img.example/b.jpg", LOADS, None, None),
        ("https://cdn.gone.example/1.jpg", FAILED, "DNS lookup failed for cdn.gone.example", later),
        ("https://cdn.gone.example/2.jpg", FAILED, "DNS lookup failed for cdn.gone.example", soon),
        ("https://cdn.gone.example/3.jpg", FAILED, "HTTP 404: Not Found", None),
        ("https://img.example/c.jpg", FAILED, "not a picture: text/html", None),
        ("https://walled.example/w.jpg", REFUSED, "HTTP 403: Forbidden", None),
    ]
    store.conn.executemany(
        "INSERT INTO picture_checks (url, state, error, tries, checked, retry) "
        "VALUES (?, ?, ?, 1, ?, ?)",
        [(url, state, error, now.isoformat(), retry) for url, state, error, retry in rows],
    )
    store.conn.commit()
    store.close()
    capsys.readouterr()
    assert main(["status", "--db", str(db)]) == 0  # (checks off: the tests' default)
    assert "PICTURES" not in capsys.readouterr().out
    monkeypatch.setenv("AGGREGATOR_PUBLISH_CHECK_PICTURES", "true")
    monkeypatch.setenv("AGGREGATOR_PUBLISH_IMAGES", "false")  # (no picture shown: none checked)
    assert main(["status", "--db", str(db)]) == 0
    assert "PICTURES" not in capsys.readouterr().out
    monkeypatch.delenv("AGGREGATOR_PUBLISH_IMAGES")
    monkeypatch.setenv("AGGREGATOR_PUBLISH_CHECK_PICTURES", "true")
    assert main(["status", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    lines = out[out.index("PICTURES") :].splitlines()
    assert lines[0] == (
        "PICTURES 7 checked: 2 load, 4 do not (not shown), 1 refused our server (shown all the "
        "same); 2 asked again, the next in 20m"
    )
    # the hosts whose pictures fail, most first, each with the error most of them gave
    assert lines[1] == (
        "  cdn.gone.example: 3 do not load, 2 asked again (DNS lookup failed for cdn.gone.example)"
    )
    assert lines[2] == "  img.example: 1 do not load (not a picture: text/html)"
    assert main(["status", "--json", "--db", str(db)]) == 0
    found = json.loads(capsys.readouterr().out)["pictures"]
    assert {k: found[k] for k in ("checked", "loads", "failed", "refused", "to_retry")} == {
        "checked": 7, "loads": 2, "failed": 4, "refused": 1, "to_retry": 2
    }  # fmt: skip
    assert found["next_retry_at"] == soon
    assert [h["host"] for h in found["failing_hosts"]] == ["cdn.gone.example", "img.example"]


def test_status_names_the_few_hosts_with_most_failing_pictures() -> None:
    failed = [
        (f"https://h{n}.example/{i}.jpg", "HTTP 410: Gone", None)
        for n in range(8)
        for i in range(n + 1)
    ]
    lines = picture_lines(
        {"checked": 36, "loads": 0, "failed": 36, "refused": 0, "to_retry": 0,
         "next_retry_at": None, "failing_hosts": failing_hosts(failed)},
        NOW,
    )  # fmt: skip
    assert lines[0] == "PICTURES 36 checked: 0 load, 36 do not (not shown)"
    assert [line.split(":")[0] for line in lines[1:6]] == [
        f"  h{n}.example" for n in (7, 6, 5, 4, 3)
    ]
    assert lines[6] == "  and 3 more hosts (6 pictures)"
    assert picture_lines({"checked": 0}, NOW) == ["PICTURES none checked yet"]


def test_status_says_a_picture_retry_whose_time_has_passed_is_due_now() -> None:
    """A retry the service has not made yet (stopped, or between passes) reads "due now", as
    a feed's NEXT POLL reads "now", where it read "the next 7s ago"."""
    from aggregator.cli_status import picture_lines

    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    found = {
        "checked": 3, "loads": 1, "failed": 2, "refused": 0, "to_retry": 2,
        "next_retry_at": (now - timedelta(seconds=7)).isoformat(), "failing_hosts": [],
    }  # fmt: skip
    assert picture_lines(found, now)[0].endswith("; 2 asked again, the next due now")
    found["next_retry_at"] = (now + timedelta(minutes=20)).isoformat()
    assert picture_lines(found, now)[0].endswith("; 2 asked again, the next in 20m")
