"""Push from upstream hubs (WebSub subscribing): discovery on both parse paths, the
subscriptions' plan, signatures, and a service subscribing at a loopback hub, polling a feed
the moment the hub says it changed, and unsubscribing once the feed leaves the OPML."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from test_service import fast_settings, running, wait_for
from upstream import Upstream, free_port, opml

import aggregator.push as push_module
import aggregator.request_body as request_body
from aggregator.cli import main
from aggregator.cli_status import push_line
from aggregator.config import Settings
from aggregator.fast_parse import fast_parse
from aggregator.fetch import FetchSettings
from aggregator.models import Source
from aggregator.network import Network
from aggregator.parse import feed_date, feed_urljoin, parse_feed
from aggregator.push import (
    FIRST_RETRY,
    LAST_RETRY,
    LEASE_SECONDS,
    VERIFY_WAIT,
    Pace,
    Subscription,
    discover,
    lease_end,
    link_header,
    paced,
    plan,
    poll_after_push,
    pushed_schedule,
    reachable_from_outside,
    recheck_after_push,
    retry_at,
    signature_ok,
)
from aggregator.push_job import GIVE_UP, PushJob
from aggregator.schedule import ScheduleSettings, feed_schedule
from aggregator.service import Service
from aggregator.store import Store, to_iso

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
HUB, TOPIC, FEED = (
    "https://hub.example/",
    "https://paper.example/feed.xml",
    "https://paper.example/rss",
)


def rss(hub: str | None, own: str | None, items: int = 1) -> bytes:
    links = ""
    if hub:
        links += f'<atom:link rel="hub" href="{hub}"/>'
    if own:
        links += f'<atom:link rel="self" type="application/rss+xml" href="{own}"/>'
    entries = "".join(
        f"<item><title>Harbour crane number {n} collapses in the storm</title>"
        f"<link>https://paper.example/crane-{n}</link><guid>https://paper.example/crane-{n}</guid>"
        f"<description>The crane number {n} at Corvane harbour fell on Tuesday.</description>"
        "<pubDate>Thu, 05 Mar 2026 09:00:00 GMT</pubDate></item>"
        for n in range(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Corvane Courier</title>'
        f"<link>https://paper.example/</link>{links}{entries}</channel></rss>"
    ).encode()


# --- discovery ---------------------------------------------------------------------------------


def test_both_parse_paths_read_the_hub_and_the_feeds_own_address() -> None:
    body = rss("https://hub.example/", "/feed.xml")
    assert fast_parse(body, FEED, {"content-type": "application/rss+xml"}, feed_date, feed_urljoin)
    fast, reference = parse_feed(body, FEED), parse_feed(body, FEED, fast=False)
    assert fast == reference
    assert fast.hubs == ("https://hub.example/",) and fast.self_url == TOPIC


def test_an_atom_feed_and_a_json_feed_name_their_hubs() -> None:
    atom = (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b"<title>Channel</title><id>urn:c</id><updated>2026-03-05T09:00:00Z</updated>"
        b'<link rel="hub" href="https://hub.example/"/>'
        b'<link rel="self" href="https://video.example/feeds?channel=1"/>'
        b'<link rel="alternate" href="https://video.example/channel/1"/></feed>'
    )
    fast, reference = parse_feed(atom, FEED), parse_feed(atom, FEED, fast=False)
    assert fast == reference and fast.hubs == ("https://hub.example/",)
    assert fast.self_url == "https://video.example/feeds?channel=1"
    json_feed = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", '
        b'"feed_url": "https://j.example/feed.json", "items": [], "hubs": ['
        b'{"type": "WebSub", "url": "https://hub.example/"}, {"type": "rssCloud", "url": "x"}]}'
    )
    parsed = parse_feed(json_feed, FEED)
    assert parsed.hubs == ("https://hub.example/",)
    assert parsed.self_url == "https://j.example/feed.json"


def test_a_hub_that_is_no_web_address_is_no_hub() -> None:
    parsed = parse_feed(rss("javascript:alert(1)", "ftp://paper.example/feed"), FEED)
    assert parsed.hubs == () and parsed.self_url is None
    assert discover(parsed.hubs, parsed.self_url, {}, FEED) == (None, None)


def test_the_link_header_wins_over_the_document() -> None:
    header = '<https://h1.example/>; rel="hub", <https://paper.example/self>; rel="self"'
    assert link_header(header) == (["https://h1.example/"], ["https://paper.example/self"])
    assert discover([HUB], TOPIC, {"link": header}, FEED) == (
        "https://h1.example/",
        "https://paper.example/self",
    )
    assert discover([HUB], TOPIC, {}, FEED) == (HUB, TOPIC)
    assert discover([HUB], None, {}, FEED) == (HUB, FEED)  # (no self: the address fetched)
    assert link_header('<https://a.example/>; rel="hub self"') == (
        ["https://a.example/"],
        ["https://a.example/"],
    )


def test_a_youtube_channels_feed_is_pushed_by_googles_hub_under_youtubes_topic() -> None:
    """YouTube's channel feeds name no hub; Google's hub pushes them, under the topic
    YouTube documents (https and /xml/), not the feed's own address."""
    channel = "UC" + "harbourGazette_0123456"[:22]
    own = f"http://www.youtube.com/feeds/videos.xml?channel_id={channel}"
    atom = (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:yt="http://www.youtube.com/xml/schemas/2015">'
        f'<link rel="self" href="{own}"/><id>yt:channel:{channel}</id>'
        f"<yt:channelId>{channel}</yt:channelId><title>Harbour Gazette</title>"
        f'<link rel="alternate" href="https://www.youtube.com/channel/{channel}"/>'
        "<published>2026-01-05T10:00:00+00:00</published></feed>"
    ).encode()
    parsed = parse_feed(atom, own.replace("http:", "https:"))
    assert parsed.hubs == ()
    topic = f"https://www.youtube.com/xml/feeds/videos.xml?channel_id={channel}"
    assert discover(parsed.hubs, parsed.self_url, {}, own) == (
        "https://pubsubhubbub.appspot.com/",
        topic,
    )
    assert discover((), None, {}, own.replace("http:", "https:")) == (
        "https://pubsubhubbub.appspot.com/",
        topic,
    )
    playlist = "https://www.youtube.com/feeds/videos.xml?playlist_id=PL0123"
    assert discover((), None, {}, playlist) == (None, None)  # (the hub pushes channels only)


# --- what is due --------------------------------------------------------------------------------


CALLBACK = "https://news.example.org/websub/"


def sub(state: str, **more: Any) -> Subscription:
    more.setdefault("callback", CALLBACK)
    return Subscription(FEED, HUB, TOPIC, "k" * 32, "s", state, **more)  # type: ignore[arg-type]


def due(subs: list[Subscription], wanted: dict[str, tuple[str, str]], now: datetime) -> list[Any]:
    return plan(subs, wanted, now, CALLBACK)


def test_a_pass_asks_each_hub_a_few_dozen_requests_at_most() -> None:
    wanted = {
        f"https://paper.example/{n}.xml": (HUB, f"https://paper.example/{n}") for n in range(50)
    }
    wanted["https://other.example/feed"] = ("https://hub2.example/", "https://other.example/")
    gone = [sub("denied")]  # (dropped: no request)
    actions = paced(due(gone, wanted, NOW), per_hub=20)
    assert [a.mode for a in actions].count("drop") == 1
    asked = [a.hub for a in actions if a.mode != "drop"]
    assert asked.count(HUB) == 20 and asked.count("https://hub2.example/") == 1


def test_a_server_that_moved_subscribes_anew_there_and_lets_the_old_address_go() -> None:
    held = sub("active", requested_at=NOW, lease_until=NOW + timedelta(days=7))
    moved = dataclasses.replace(held, callback="http://old.example/websub/")
    assert [(a.mode, a.key) for a in due([moved], {FEED: (HUB, TOPIC)}, NOW)] == [
        ("unsubscribe", held.key),
        ("subscribe", None),
    ]


def test_a_new_feed_is_subscribed_and_an_active_one_renewed_a_day_before_its_lease_ends() -> None:
    wanted = {FEED: (HUB, TOPIC)}
    assert [a.mode for a in due([], wanted, NOW)] == ["subscribe"]
    held = sub("active", requested_at=NOW - timedelta(days=5), lease_until=NOW + timedelta(days=2))
    assert due([held], wanted, NOW) == []
    later = NOW + timedelta(days=1, minutes=1)
    (renew,) = due([held], wanted, later)
    assert (renew.mode, renew.key) == ("subscribe", held.key)
    short = sub("active", requested_at=NOW, lease_until=NOW + timedelta(hours=2))
    assert due([short], wanted, NOW + timedelta(minutes=59)) == []  # (renewed at half)
    assert len(due([short], wanted, NOW + timedelta(hours=1))) == 1


def test_a_request_the_hub_never_checked_or_refused_is_asked_again_after_its_pause() -> None:
    wanted = {FEED: (HUB, TOPIC)}
    asked = sub("requested", requested_at=NOW, next_try_at=NOW + timedelta(minutes=2))
    assert due([asked], wanted, NOW + VERIFY_WAIT - timedelta(seconds=1)) == []
    assert len(due([asked], wanted, NOW + VERIFY_WAIT)) == 1
    failed = sub("failed", failures=3, next_try_at=NOW + timedelta(minutes=4))
    assert due([failed], wanted, NOW) == []
    assert len(due([failed], wanted, NOW + timedelta(minutes=4))) == 1
    assert retry_at(1, NOW) == NOW + FIRST_RETRY
    assert retry_at(3, NOW) == NOW + 4 * FIRST_RETRY
    assert retry_at(40, NOW) == NOW + LAST_RETRY


def test_a_feed_gone_or_moved_to_another_hub_is_unsubscribed_and_a_refused_one_dropped() -> None:
    held = sub("active", requested_at=NOW, lease_until=NOW + timedelta(days=7))
    (gone,) = due([held], {}, NOW)
    assert (gone.mode, gone.key) == ("unsubscribe", held.key)
    moved = due([held], {FEED: ("https://other-hub.example/", TOPIC)}, NOW)
    assert [(a.mode, a.hub) for a in moved] == [
        ("unsubscribe", HUB),
        ("subscribe", "https://other-hub.example/"),
    ]
    assert [a.mode for a in due([sub("denied")], {}, NOW)] == ["drop"]
    leaving = sub("leaving", next_try_at=NOW + timedelta(minutes=1))
    assert due([leaving], {}, NOW) == []  # (asked, waiting for the hub's check)
    assert [a.mode for a in due([leaving], {FEED: (HUB, TOPIC)}, NOW)] == []
    assert [a.mode for a in due([leaving], {}, NOW + timedelta(minutes=1))] == ["unsubscribe"]


def test_signatures_leases_and_the_pace_of_pushed_polls() -> None:
    body = b"<rss/>"
    good = "sha256=" + hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert signature_ok("secret", good, body)
    assert signature_ok("secret", "sha1=" + hmac.new(b"secret", body, "sha1").hexdigest(), body)
    assert not signature_ok("other", good, body)
    assert not signature_ok("secret", good, body + b" ")
    assert not signature_ok("secret", None, body)
    assert not signature_ok("secret", "md5=abc", body)
    assert lease_end("3600", NOW) == NOW + timedelta(hours=1)
    assert lease_end("junk", NOW) == lease_end(None, NOW) == NOW + timedelta(seconds=LEASE_SECONDS)
    assert poll_after_push(None, NOW) == NOW
    assert poll_after_push(NOW - timedelta(seconds=20), NOW) == NOW + timedelta(seconds=40)
    assert poll_after_push(NOW - timedelta(hours=1), NOW) == NOW


def test_a_pushed_feed_is_polled_at_the_slowest_pace_while_its_lease_outlasts_it() -> None:
    settings = ScheduleSettings()
    day = NOW + timedelta(days=1)
    assert pushed_schedule(settings, day, NOW).interval == settings.max_interval
    assert pushed_schedule(settings, NOW + timedelta(hours=6), NOW) == settings
    assert pushed_schedule(settings, None, NOW) == settings
    own = feed_schedule(settings, timedelta(hours=2))
    assert pushed_schedule(own, day, NOW).interval == timedelta(hours=6)


def test_a_hub_that_missed_a_change_has_its_feed_polled_at_its_own_pace_until_it_pushes() -> None:
    settings = ScheduleSettings()
    pace = Pace({FEED: NOW + timedelta(days=5)})
    assert pace.schedule(FEED, settings, NOW, pushed=False).interval == settings.max_interval
    assert not pace.missed_news(FEED, by_push=True, new_items=3)  # (the push told of them)
    assert not pace.missed_news(FEED, by_push=False, new_items=0)
    assert not pace.missed_news(TOPIC, by_push=False, new_items=3)  # (no lease: not pushed)
    assert pace.missed_news(FEED, by_push=False, new_items=2)
    assert pace.schedule(FEED, settings, NOW, pushed=False) == settings
    assert pace.schedule(FEED, settings, NOW, pushed=True).interval == settings.max_interval
    assert pace.missed == set()


def test_a_push_whose_poll_is_put_off_makes_that_poll_a_pushed_one() -> None:
    pace, later = Pace(), NOW + timedelta(seconds=40)
    assert pace.pushed_polls({FEED}, {TOPIC}, NOW) == set()  # (polled a moment ago: waits)
    assert pace.pushed_polls(set(), {FEED, TOPIC}, later) == {FEED}
    assert pace.pushed_polls(set(), {FEED}, later) == set()  # (once)
    assert pace.pushed_polls({TOPIC}, set(), NOW) == set()
    assert pace.pushed_polls(set(), set(), NOW + timedelta(days=2)) == set()
    assert pace.waiting == {}  # (a feed no pass polled for a day: its push forgotten)


def test_a_pushed_poll_that_finds_the_feed_as_it_was_is_made_again_soon_and_later() -> None:
    later, soon = NOW + timedelta(hours=6), timedelta(minutes=5)
    assert recheck_after_push(later, "not_modified", NOW, soon) == (NOW + soon, 1)
    assert recheck_after_push(later, "unchanged", NOW, soon, 1) == (NOW + 2 * soon, 2)
    assert recheck_after_push(later, "unchanged", NOW, soon, 3) == (NOW + 8 * soon, 4)
    assert recheck_after_push(later, "unchanged", NOW, soon, 4) == (later, None)  # (enough)
    assert recheck_after_push(later, "ok", NOW, soon, 2) == (later, None)  # (the news came)
    assert recheck_after_push(later, "error", NOW, soon) == (later, None)  # (its backoff)
    sooner = NOW + timedelta(minutes=1)
    assert recheck_after_push(sooner, "unchanged", NOW, soon) == (sooner, 1)


def test_the_callback_setting_is_checked() -> None:
    assert FetchSettings(websub_callback="https://news.example.org").websub_callback
    for bad in ("news.example.org", "ftp://news.example.org", "https://news.example.org/?a=1"):
        with pytest.raises(ValueError, match="websub_callback"):
            FetchSettings(websub_callback=bad)


# --- a service and a hub on loopback ---------------------------------------------------------


class Hub:
    """A WebSub hub on loopback: takes (un)subscription requests, checks each with the
    subscriber's callback (before it answers the request when `at_once`, as some hubs do),
    and sends signed notifications."""

    def __init__(self, at_once: bool = False) -> None:
        self.at_once = at_once
        self.forms: list[dict[str, str]] = []
        self.checked: list[tuple[str, bool]] = []  # (mode, whether the challenge came back)
        self.port = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hub", self._request)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hub"

    async def _request(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.forms.append(form)
        if self.at_once:
            await self._check(form)
            return web.Response(status=204)
        task = asyncio.create_task(self._check(form))
        self._tasks.add(task)
        return web.Response(status=202)

    async def _check(self, form: dict[str, str]) -> None:
        query = {
            "hub.mode": form["hub.mode"],
            "hub.topic": form["hub.topic"],
            "hub.challenge": "c-" + str(len(self.forms)),
            "hub.lease_seconds": "86400",
        }
        async with (
            aiohttp.ClientSession() as http,
            http.get(form["hub.callback"], params=query) as resp,
        ):
            echoed = resp.status == 200 and await resp.text() == query["hub.challenge"]
        self.checked.append((form["hub.mode"], echoed))

    async def notify(self, body: bytes, secret: str | None = None) -> int:
        form = next(f for f in self.forms if f["hub.mode"] == "subscribe")
        key = (secret or form["hub.secret"]).encode()
        signature = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                form["hub.callback"], data=body, headers={"X-Hub-Signature": signature}
            ) as resp,
        ):
            return resp.status


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def _push_settings(web_port: int) -> Settings:
    settings = fast_settings()
    return dataclasses.replace(
        settings,
        fetch=dataclasses.replace(
            settings.fetch, websub_callback=f"http://127.0.0.1:{web_port}", max_bytes=64 * 1024
        ),
    )


@pytest.mark.parametrize("at_once", [False, True], ids=["checked-later", "checked-at-once"])
def test_a_service_subscribes_polls_at_once_when_the_hub_says_so_and_unsubscribes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    at_once: bool,
) -> None:
    db, web_port = tmp_path / "agg.db", free_port()
    monkeypatch.setattr(push_module, "PUSH_GAP", timedelta(0))  # (polled seconds before)

    async def scenario() -> None:
        hub = Hub(at_once)
        await hub.start()
        async with Upstream() as up:
            url = up.url("/a.xml")
            up.add_feed("/a.xml", rss(hub.url, url, items=1))
            other = up.add_feed("/b.xml", rss(None, None, items=1))
            (tmp_path / "feeds.opml").write_text(opml(url, other))
            try:
                service = Service(tmp_path / "feeds.opml", db, _push_settings(web_port))
                async with running(service, web_port):
                    await wait_for(lambda: ("subscribe", True) in hub.checked)
                    (form,) = hub.forms
                    assert form["hub.topic"] == url and form["hub.mode"] == "subscribe"
                    callback = form["hub.callback"]
                    assert callback.startswith(f"http://127.0.0.1:{web_port}/websub/")
                    assert url not in callback  # (the address tells no one which feed it is)
                    await wait_for(
                        lambda: _rows(db, "SELECT state FROM push_subscriptions") == [("active",)]
                    )
                    reader = service.store.reader()
                    assert reader.metric_counts()["push"] == {"active": 1}
                    assert list(reader.push_leases()) == [url]
                    states = reader.push_states()
                    assert states["states"] == {"active": 1} and states["feeds_naming_a_hub"] == 1
                    assert push_line(states, timedelta(hours=6)) == (
                        "PUSH 1 feed pushed by its hub (polled every 6h besides); "
                        "1 listed feed naming a hub"
                    )
                    callback_setting = f"http://127.0.0.1:{web_port}"
                    monkeypatch.setenv("AGGREGATOR_FETCH_WEBSUB_CALLBACK", callback_setting)
                    assert main(["status", "--db", str(db)]) == 0
                    said = capsys.readouterr().out
                    assert "(its hub pushes)" in said and "PUSH 1 feed pushed by its hub" in said
                    (lease,) = _rows(db, "SELECT requested_at, lease_until FROM push_subscriptions")
                    asked = datetime.fromisoformat(lease[0])
                    assert datetime.fromisoformat(lease[1]) - asked == timedelta(days=1)

                    # a notification whose signature does not check is acknowledged and ignored
                    polls = len(up.requests_for("/a.xml"))
                    assert await hub.notify(rss(hub.url, url, items=2), secret="wrong") == 202
                    await asyncio.sleep(1.0)
                    assert len(up.requests_for("/a.xml")) == polls
                    assert _rows(db, "SELECT pushes FROM push_subscriptions") == [(0,)]

                    # a signed one has the feed polled now; when the feed is as it was (its
                    # origin behind the hub) it is asked again soon, not at its next schedule
                    assert await hub.notify(rss(hub.url, url, items=2)) == 202
                    await wait_for(lambda: len(up.requests_for("/a.xml")) == polls + 1)
                    due = f"SELECT next_poll_at FROM feeds WHERE url = '{url}'"
                    await wait_for(
                        lambda: (
                            datetime.fromisoformat(_rows(db, due)[0][0])
                            < datetime.now(UTC) + timedelta(minutes=6)
                        )
                    )
                    up.add_feed("/a.xml", rss(hub.url, url, items=2))
                    assert await hub.notify(rss(hub.url, url, items=2)) == 202
                    await wait_for(
                        lambda: (
                            _rows(db, "SELECT COUNT(*) FROM items WHERE feed_url = '" + url + "'")
                            == [(2,)]
                        ),
                        timeout=10,
                    )
                    assert _rows(db, "SELECT pushes FROM push_subscriptions") == [(2,)]
                    (next_poll,) = _rows(db, f"SELECT next_poll_at FROM feeds WHERE url = '{url}'")
                    # (its hub pushes for a day: it is polled at the slowest pace, 6 hours)
                    assert datetime.fromisoformat(next_poll[0]) > datetime.now(UTC) + timedelta(
                        hours=5
                    )

                    # its hub misses a change that the slow-paced poll finds: the feed goes
                    # back to its own pace (15 minutes) until the hub pushes again
                    up.add_feed("/a.xml", rss(hub.url, url, items=3))
                    with sqlite3.connect(db) as conn:
                        conn.execute(
                            "UPDATE feeds SET next_poll_at = ? WHERE url = ?",
                            [datetime.now(UTC).isoformat(), url],
                        )
                    count = f"SELECT COUNT(*) FROM items WHERE feed_url = '{url}'"
                    await wait_for(lambda: _rows(db, count) == [(3,)], timeout=10)
                    await wait_for(lambda: "its hub did not tell of" in caplog.text, timeout=5)
                    soon = datetime.now(UTC) + timedelta(minutes=16)
                    await wait_for(lambda: datetime.fromisoformat(_rows(db, due)[0][0]) < soon)

                    # a push a moment after a poll has its poll put off (`PUSH_GAP`), and that
                    # poll is still the push's: finding the feed as it was, it is made again
                    # soon (not at the feed's own pace, 15 minutes)
                    monkeypatch.setattr(push_module, "PUSH_GAP", timedelta(seconds=5))
                    polls = len(up.requests_for("/a.xml"))
                    assert await hub.notify(rss(hub.url, url, items=3)) == 202
                    await asyncio.sleep(0.3)
                    assert len(up.requests_for("/a.xml")) == polls  # (put off)
                    await wait_for(lambda: len(up.requests_for("/a.xml")) == polls + 1, timeout=10)
                    soon = datetime.now(UTC) + timedelta(minutes=6)
                    await wait_for(lambda: datetime.fromisoformat(_rows(db, due)[0][0]) < soon)
                    monkeypatch.setattr(push_module, "PUSH_GAP", timedelta(0))

                    # no subscription behind a key, or another topic: the hub is told so
                    async with aiohttp.ClientSession() as http:
                        unknown = callback.rsplit("/", 1)[0] + "/" + "x" * 32
                        async with http.post(unknown, data=b"<rss/>") as resp:
                            assert resp.status == 410
                        check = {"hub.mode": "subscribe", "hub.topic": other, "hub.challenge": "z"}
                        async with http.get(callback, params=check) as resp:
                            assert resp.status == 404
                        # (no challenge, an unknown mode, a body over `max_bytes`)
                        for odd in ({"hub.mode": "subscribe", "hub.topic": url}, {"a": "b"}):
                            async with http.get(callback, params=odd) as resp:
                                assert resp.status == 404
                        async with http.post(callback, data=b"x" * (65 * 1024)) as resp:
                            assert resp.status == 413

                        async def chunks() -> AsyncIterator[bytes]:  # (no length given)
                            for _ in range(20):
                                yield b"x" * 4096

                        signed = {"X-Hub-Signature": "sha256=" + "0" * 64}  # (read: checked)
                        async with http.post(callback, data=chunks(), headers=signed) as resp:
                            assert resp.status == 413
                        # (a body that cannot be checked, no signature given, is not read)
                        async with http.post(callback, data=chunks()) as resp:
                            assert resp.status == 202
                        # a signed body that stops coming is let go (it held its connection)
                        monkeypatch.setattr(request_body, "BODY_TIMEOUT", 0.3)

                        async def stalls() -> AsyncIterator[bytes]:
                            yield b"x" * 4096
                            await asyncio.sleep(3)

                        async with http.post(callback, data=stalls(), headers=signed) as resp:
                            assert resp.status == 408
                    assert _rows(db, "SELECT pushes FROM push_subscriptions") == [(3,)]

                    # the feed leaves the OPML: the hub is asked to let it go, and checks that
                    (tmp_path / "feeds.opml").write_text(opml(other))
                    await wait_for(lambda: ("unsubscribe", True) in hub.checked)
                    assert hub.forms[-1]["hub.mode"] == "unsubscribe"
                    assert hub.forms[-1]["hub.callback"] == callback
                    await wait_for(lambda: _rows(db, "SELECT * FROM push_subscriptions") == [])
            finally:
                await hub.close()

    asyncio.run(scenario())


def test_a_hub_a_feed_names_inside_the_network_off_its_hosts_is_never_asked(
    tmp_path: Path,
) -> None:
    """A feed may name any address as its hub: one that resolves inside the network is asked
    only when a listed feed is on that host (a form posted to an intranet service would
    otherwise be the feed's to aim)."""
    db, web_port = tmp_path / "agg.db", free_port()

    async def scenario() -> None:
        hub = Hub()
        await hub.start()
        async with Upstream() as up:
            url = up.url("/a.xml")
            up.add_feed("/a.xml", rss(f"http://localhost:{hub.port}/hub", url))
            (tmp_path / "feeds.opml").write_text(opml(url))
            try:
                service = Service(tmp_path / "feeds.opml", db, _push_settings(web_port))
                async with running(service, web_port):
                    state = "SELECT state FROM push_subscriptions"
                    await wait_for(lambda: _rows(db, state) == [("failed",)])
                ((error,),) = _rows(db, "SELECT error FROM push_subscriptions")
                assert "private address refused" in error
                assert hub.forms == []
            finally:
                await hub.close()

    asyncio.run(scenario())


def test_check_warns_of_a_callback_no_hub_outside_could_reach(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources, config = tmp_path / "feeds.opml", tmp_path / "config.toml"
    sources.write_text(opml("https://a.example/feed"))
    config.write_text('[fetch]\nwebsub_callback = "http://127.0.0.1:8080"\n')
    assert main(["check", "--opml", str(sources), "--config", str(config)]) == 0
    said = capsys.readouterr().err
    assert "[fetch] websub_callback http://127.0.0.1:8080 is an address inside" in said
    for inside in ("http://localhost:8080", "http://10.1.2.3", "http://[::1]:8080"):
        assert not reachable_from_outside(inside)
    config.write_text('[fetch]\nwebsub_callback = "https://news.example.org"\n')
    assert main(["check", "--opml", str(sources), "--config", str(config)]) == 0
    assert "websub_callback" not in capsys.readouterr().err


class Poster:
    """A hub's answers, scripted: None (2xx) or an error, one per request, in order."""

    def __init__(self, *answers: str | None) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, dict[str, str]]] = []

    async def post_form(
        self, url: str, fields: list[tuple[str, str]], *, named_by: str | None = None
    ) -> str | None:
        assert named_by == FEED  # (a hub a feed named)
        self.sent.append((url, dict(fields)))
        return self.answers.pop(0)


def _job(tmp_path: Path, clock: list[datetime]) -> tuple[Store, PushJob]:
    """A store listing FEED, whose last body named HUB and TOPIC, and a push job over it
    (writes made in place, its clock `clock[0]`, its callback on port 8080)."""
    store = Store(tmp_path / "agg.db")
    store.sync_sources([Source(FEED, "Courier", "World News")], NOW)
    store.conn.execute(
        "INSERT INTO feeds (url, hub, topic) VALUES (?, ?, ?) "
        "ON CONFLICT(url) DO UPDATE SET hub = excluded.hub, topic = excluded.topic",
        [FEED, HUB, TOPIC],
    )

    async def write(fn: Any, *args: Any) -> Any:
        return fn(*args)

    return store, PushJob(store, write, _push_settings(8080), lambda: clock[0])


def test_a_server_whose_callback_moved_lets_the_old_one_go_and_subscribes_at_the_new(
    tmp_path: Path,
) -> None:
    clock = [NOW]
    store, job = _job(tmp_path, clock)

    async def scenario() -> None:
        assert await job.run_pass(Poster(None)) == 1
        (first,) = store.push_subscriptions()
        challenge = {"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.challenge": "c"}
        assert await job.verify(first.key, challenge) == "c"
        job.callback = "https://moved.example/websub/"  # (the setting changed, and `run` again)
        moving = Poster(None, None)
        assert await job.run_pass(moving) == 2
        said = [(form["hub.mode"], form["hub.callback"]) for _, form in moving.sent]
        (new,) = [s for s in store.push_subscriptions() if s.key != first.key]
        assert said == [
            ("unsubscribe", "http://127.0.0.1:8080/websub/" + first.key),
            ("subscribe", "https://moved.example/websub/" + new.key),
        ]
        assert store.push_subscription(first.key).state == "leaving"  # type: ignore[union-attr]

        # a start polls every feed its hub pushes (what hubs said meanwhile is lost)
        store.conn.execute("UPDATE push_subscriptions SET state = 'active'")
        store.conn.execute("UPDATE feeds SET next_poll_at = ?", [to_iso(NOW + timedelta(hours=6))])
        clock[0] = NOW + timedelta(hours=1)
        await job.catch_up()
        assert store.feed_state(FEED).next_poll_at == clock[0]

    try:
        asyncio.run(scenario())
    finally:
        store.close()


def test_a_refusing_or_denying_hub_is_asked_again_later_and_one_never_letting_go_is_forgotten(
    tmp_path: Path,
) -> None:
    clock = [NOW]
    store, job = _job(tmp_path, clock)

    async def scenario() -> None:
        refusing = Poster("HTTP 400 Bad Request")
        assert await job.run_pass(refusing) == 1
        (failed,) = store.push_subscriptions()
        assert (failed.state, failed.error) == ("failed", "HTTP 400 Bad Request")
        assert failed.next_try_at == NOW + FIRST_RETRY
        assert await job.run_pass(refusing) == 0  # (its pause)
        clock[0] = NOW + FIRST_RETRY
        accepting = Poster(None)
        assert await job.run_pass(accepting) == 1
        ((hub, form),) = accepting.sent
        assert hub == HUB and form["hub.mode"] == "subscribe" and form["hub.topic"] == TOPIC
        assert form["hub.callback"] == "http://127.0.0.1:8080/websub/" + failed.key
        assert form["hub.secret"] == failed.secret and len(failed.secret) < 200
        assert store.push_subscription(failed.key).state == "requested"  # type: ignore[union-attr]
        denial = {"hub.mode": "denied", "hub.topic": TOPIC, "hub.reason": "no such topic"}
        assert await job.verify(failed.key, denial) == ""
        denied = store.push_subscription(failed.key)
        assert denied is not None and denied.state == "denied"
        assert denied.error == "denied: no such topic"
        assert denied.next_try_at == clock[0] + LAST_RETRY
        assert job.take() == {FEED} and FEED not in job.leases  # (polled at its own pace)
        assert await job.verify("x" * 32, denial) is None  # (no such key)

        # the feed leaves: a hub that accepts the request but never checks it is asked
        # again, and after `GIVE_UP` requests the subscription is forgotten
        store.conn.execute(
            "UPDATE push_subscriptions SET state = 'active', failures = 0, next_try_at = NULL"
        )
        store.sync_sources([], clock[0])
        silent = Poster(*[None] * GIVE_UP)
        for n in range(GIVE_UP):
            assert await job.run_pass(silent) == 1
            (leaving,) = store.push_subscriptions()
            assert leaving.state == "leaving" and leaving.failures == n + 1
            clock[0] = leaving.next_try_at  # type: ignore[assignment]
        assert [form["hub.mode"] for _, form in silent.sent] == ["unsubscribe"] * GIVE_UP
        assert await job.run_pass(silent) == 0
        assert store.push_subscriptions() == []

    try:
        asyncio.run(scenario())
    finally:
        store.close()


def test_no_hub_is_asked_while_the_services_network_is_down(tmp_path: Path) -> None:
    clock = [NOW]
    _, job = _job(tmp_path, clock)
    network = job.network = Network(down_since=NOW)

    async def scenario() -> None:
        poster = Poster(None)
        assert await job.run_pass(poster) == 0 and poster.sent == []
        network.answered()
        assert await job.run_pass(poster) == 1  # (the subscription asked once it is back)

    asyncio.run(scenario())
