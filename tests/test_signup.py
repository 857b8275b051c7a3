"""Readers' own sign-ups to a daily email (`[digest] self_service`): the address check and the
signed links; then, served by `aggregator run` with a loopback SMTP sink, a sign-up that
asks for confirmation, is confirmed by a button (never by opening the link), gets its own
copy of the digest and leaves in one click; and what the form refuses (a bad address, too
many sign-ups, a stale or altered link), where it is not offered, and that it never tells
whether an address is subscribed."""

from __future__ import annotations

import asyncio
import dataclasses
import html
import json
import re
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from digest_fixture import NOW, Sink, add_story, settings, smtp_sink
from test_digest_job import Clock
from upstream import free_port

from aggregator import digest_job
from aggregator.cli import main
from aggregator.cli_support import digest_ready
from aggregator.config import Settings, build_settings
from aggregator.digest import Due, due
from aggregator.errors import ConfigError
from aggregator.lock import writer_lock
from aggregator.models import Source
from aggregator.publish import PublishSettings
from aggregator.service import Service
from aggregator.signup import (
    CONFIRM,
    CONFIRM_WITHIN,
    LEAVE,
    Pace,
    checked_address,
    confirm_link,
    pace_key,
    read_token,
    sign,
)
from aggregator.signup_store import Subscribers, subscriber_counts
from aggregator.signup_web import Signups
from aggregator.store import Store
from aggregator.web import make_app

KEY = bytes(range(32))
BASE = "https://news.example.org/"


def test_an_address_is_one_plain_address_in_lower_case() -> None:
    assert checked_address(" Ann.Lee+news@Example.ORG ") == "ann.lee+news@example.org"
    assert checked_address("a@xn--bcher-kva.example") == "a@xn--bcher-kva.example"
    for refused in (
        "",
        "ann",
        "ann@localhost",  # (no dotted domain)
        "Ann Lee <ann@example.org>",  # (a name: the form asks for an address)
        "ann@example.org, bob@example.org",
        "ann@example.org\r\nBcc: everyone@example.org",
        "ann lee@example.org",
        ".ann@example.org",
        "ann..lee@example.org",
        "ann@-example.org",
        "ann@example..org",
        "ann@10.0.0.1",
        "a" * 65 + "@example.org",
        "ann@" + "x" * 250 + ".org",
    ):
        assert checked_address(refused) is None, refused


def test_a_link_says_what_it_is_for_and_nothing_else_passes() -> None:
    until = NOW + CONFIRM_WITHIN
    token = sign(KEY, CONFIRM, "Wörld News", "ann@example.org", until)
    assert read_token(KEY, token, CONFIRM, NOW) == ("Wörld News", "ann@example.org")
    assert read_token(KEY, token, LEAVE, NOW) is None  # (a confirmation does not unsubscribe)
    assert read_token(KEY, token, CONFIRM, until + timedelta(seconds=1)) is None  # (stale)
    assert read_token(bytes(32), token, CONFIRM, NOW) is None  # (another site's key)
    data, mac = token.split(".")
    forged = sign(bytes(32), CONFIRM, "Wörld News", "eve@example.org", until).split(".")[0]
    assert read_token(KEY, f"{forged}.{mac}", CONFIRM, NOW) is None
    assert read_token(KEY, f"{data}.{mac[:-2]}", CONFIRM, NOW) is None
    for junk in ("", ".", "x.y", "%%%.&&&", token + "." + token, "a" * 5000):
        assert read_token(KEY, junk, CONFIRM, NOW) is None
    leave = sign(KEY, LEAVE, "World News", "ann@example.org")
    years = NOW + timedelta(days=3650)
    assert read_token(KEY, leave, LEAVE, years) == ("World News", "ann@example.org")


def test_the_pace_of_sign_ups_per_client_and_of_emails_in_all() -> None:
    pace = Pace(per_client=2, per_hour=3)
    assert [pace.client_may_ask("10.0.0.1", NOW) for _ in range(3)] == [True, True, False]
    assert pace.client_may_ask("10.0.0.2", NOW)  # (another client)
    assert pace.client_may_ask("10.0.0.1", NOW + timedelta(hours=1))  # (an hour on)
    assert [pace.may_mail(NOW) for _ in range(4)] == [True, True, True, False]
    assert pace.may_mail(NOW + timedelta(minutes=61))


def test_an_ipv6_client_is_paced_by_its_64_and_a_mapped_ipv4_one_as_ipv4() -> None:
    """Each address of a /64 had been a client of its own: one host could ask without end."""
    assert pace_key("2001:db8:5:7:1::9") == pace_key("2001:db8:5:7:ffff::1") == "2001:db8:5:7::/64"
    assert pace_key("2001:db8:5:8::1") == "2001:db8:5:8::/64"  # (the next /64: another client)
    assert pace_key("::ffff:192.0.2.7") == pace_key("192.0.2.7") == "192.0.2.7"
    assert pace_key("fe80::1%eth0") == "fe80::/64"
    # with the client's port, as some proxies relay it: still the one client
    assert pace_key("192.0.2.7:51234") == pace_key("192.0.2.7:51235") == "192.0.2.7"
    assert (
        pace_key("[2001:db8:5:7::1]:51234") == pace_key("[2001:db8:5:7::2]") == "2001:db8:5:7::/64"
    )
    assert pace_key("not an address") == "not an address"
    pace = Pace(per_client=2, per_hour=100)
    hosts = [pace_key(f"2001:db8:5:7::{n:x}") for n in range(3)]
    assert [pace.client_may_ask(h, NOW) for h in hosts] == [True, True, False]


@pytest.mark.parametrize(
    ("peer", "headers", "client"),
    [
        ("2001:db8:5:7::1", {}, "2001:db8:5:7::/64"),
        ("::ffff:192.0.2.7", {}, "192.0.2.7"),
        ("127.0.0.1", {"X-Forwarded-For": "198.51.100.1, 2001:db8:9:9::abc"}, "2001:db8:9:9::/64"),
        ("::1", {"X-Real-IP": "2001:db8:9:9::def"}, "2001:db8:9:9::/64"),
        ("203.0.113.5", {"X-Forwarded-For": "2001:db8:9:9::1"}, "203.0.113.5"),  # (no proxy)
    ],
)
def test_the_client_a_sign_up_is_paced_as(peer: str, headers: dict[str, str], client: str) -> None:
    from unittest import mock

    from aiohttp.test_utils import make_mocked_request

    from aggregator.metrics import networks
    from aggregator.signup_web import client_of

    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        (peer, 4711) if name == "peername" else default
    )
    request = make_mocked_request("POST", "/world-news/subscribe", headers, transport=transport)
    assert client_of(request, networks(("127.0.0.1/8", "::1/128"), "proxies")) == client


def test_one_confirmation_an_address_an_hour_whatever_the_category(tmp_path: Path) -> None:
    """Paced by category and address, a form could send someone else's address as many
    confirmations an hour as the site has categories."""
    store = Store(tmp_path / "news.db")
    try:
        books = Subscribers(store)
        assert books.ask("World News", "victim@example.org", NOW)
        assert not books.ask("Business", "victim@example.org", NOW + timedelta(minutes=1))
        assert books.ask("Business", "victim@example.org", NOW + timedelta(minutes=61))
        assert books.ask("Business", "other@example.org", NOW + timedelta(minutes=1))
    finally:
        store.close()


def test_self_service_needs_a_category_that_has_a_digest() -> None:
    with pytest.raises(ValueError, match="self_service is on but no category has a digest"):
        dataclasses.replace(settings().digest, recipients={}, self_service=True)


def test_a_category_with_only_subscribers_of_its_own_is_due() -> None:
    config = settings(recipients={"World News": ()}, self_service=True).digest
    assert due(NOW, config, {}) == []
    assert [d.category for d in due(NOW, config, {}, {"World News"})] == ["World News"]


def test_a_digest_whose_last_reader_left_sends_nothing(tmp_path: Path) -> None:
    """Due while a reader was subscribed, sent after they left: the day is done, no mail
    server is asked (none listens here)."""
    db = tmp_path / "news.db"
    store = Store(db)
    add_story(store, "s1", "Harbour crane collapses")
    store.close()
    config = settings(smtp_port=free_port(), recipients={"World News": ()}, self_service=True)
    svc = Service(Path("feeds.opml"), db, config, clock=Clock(NOW))
    try:
        outcome = asyncio.run(svc.digest_job().send(Due("World News", NOW.date(), 1)))
    finally:
        svc.close()
    assert outcome.status == "empty"


def test_many_copies_go_over_several_connections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Servers cap the messages of a connection: the list's and the readers' copies go a
    few to a connection, each reader's once."""
    monkeypatch.setattr(digest_job, "MESSAGES_PER_CONNECTION", 2)
    db = tmp_path / "news.db"
    store = Store(db)
    add_story(store, "s1", "Harbour crane collapses")
    books = Subscribers(store)
    for n in range(4):
        books.confirm("World News", f"reader{n}@example.org", NOW)
    books.confirm("World News", "alice@example.com", NOW)  # (listed: the list's copy only)
    store.close()
    port = free_port()
    sink = Sink()
    with smtp_sink(sink, port):
        svc = Service(Path("feeds.opml"), db, _self_service(port), clock=Clock(NOW))
        try:
            (outcome,) = asyncio.run(svc.digest_job().run_due())
        finally:
            svc.close()
    assert outcome.status == "sent"
    sent = sorted(address for m in sink.messages for address in m.rcpt_tos)
    assert sent == ["alice@example.com", *(f"reader{n}@example.org" for n in range(4))]
    assert len(sink.peers) == 5 and len(set(sink.peers)) == 3  # (2 + 2 + 1)


def test_readers_copies_are_made_a_connections_worth_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every reader's copy had been composed before the first was sent, and all held until
    the last went: ~140 KiB each, 140 MB for a thousand readers, on top of the service."""
    import gc
    import weakref

    monkeypatch.setattr(digest_job, "MESSAGES_PER_CONNECTION", 2)
    made: weakref.WeakSet[Any] = weakref.WeakSet()
    compose, send = digest_job.compose, digest_job.send_over_one_connection

    def composed(*args: Any, **kwargs: Any) -> Any:
        made.add(message := compose(*args, **kwargs))
        return message

    alive: list[int] = []

    def sending(batch: Any, *args: Any) -> Any:
        gc.collect()
        alive.append(len(made))
        return send(batch, *args)

    monkeypatch.setattr(digest_job, "compose", composed)
    monkeypatch.setattr(digest_job, "send_over_one_connection", sending)
    db = tmp_path / "news.db"
    store = Store(db)
    add_story(store, "s1", "Harbour crane collapses")
    books = Subscribers(store)
    for n in range(7):
        books.confirm("World News", f"reader{n}@example.org", NOW)
    store.close()
    port = free_port()
    sink = Sink()
    with smtp_sink(sink, port):
        svc = Service(Path("feeds.opml"), db, _self_service(port), clock=Clock(NOW))
        try:
            (outcome,) = asyncio.run(svc.digest_job().run_due())
        finally:
            svc.close()
    assert outcome.status == "sent"
    sent = sorted(address for m in sink.messages for address in m.rcpt_tos)
    assert sent == ["alice@example.com", *(f"reader{n}@example.org" for n in range(7))]
    assert len(alive) == 4 and max(alive) <= 3  # (the list's message and a connection's copies)


def _self_service(smtp_port: int, **changes: Any) -> Settings:
    config = settings(
        smtp_port=smtp_port, recipients={"World News": ("alice@example.com",)}, self_service=True
    )
    server = dataclasses.replace(config.server, tick=0.2)
    return dataclasses.replace(config, server=server, **changes)


def _state(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT address, state FROM digest_subscribers").fetchall())


async def _wait_for(condition: Any, what: str) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"waited in vain for {what}")


def test_a_reader_signs_up_confirms_gets_their_own_copy_and_leaves_in_one_click(
    tmp_path: Path,
) -> None:
    db, opml = tmp_path / "news.db", tmp_path / "feeds.opml"
    store = Store(db)
    add_story(store, "s1", "Harbour crane collapses", outlets=3)
    store.close()
    opml.write_text(
        '<opml version="2.0"><body><outline text="World News"><outline type="rss" text="F" '
        f'xmlUrl="http://127.0.0.1:{free_port()}/feed"/></outline></body></opml>'
    )
    smtp_port, web_port = free_port(), free_port()
    config = _self_service(smtp_port)
    sink = Sink()
    here = f"http://127.0.0.1:{web_port}/"
    clock = Clock(NOW - timedelta(hours=2))  # (the day's digest is not due yet)

    def mails_to(address: str) -> list[Any]:
        found = [message_from_bytes(m.content, policy=policy.default) for m in sink.messages]
        return [m for m in found if m["To"] == address]

    async def scenario() -> None:
        svc = Service(opml, db, config, clock=clock)
        stop = asyncio.Event()
        task = asyncio.ensure_future(svc.run("127.0.0.1", web_port, stop))
        try:
            async with aiohttp.ClientSession() as http:
                for _ in range(100):
                    try:
                        page = await (await http.get(here + "world-news/subscribe/")).text()
                        break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.1)
                form = re.search(r'<form class="signup" method="post" action="([^"]+)"', page)
                assert form and form[1] == f"{BASE}world-news/subscribe/"
                assert "Enter your email address and we will send you a link" in page
                assert 'name="email"' in page and "write to digest@" not in page

                answer = await http.post(here + "world-news/subscribe/", data={"email": "a b"})
                assert answer.status == 400
                said = await answer.text()
                assert "That is not an email address we can send to" in said
                assert 'value="a b"' in said  # (the form again, with what was typed)

                answer = await http.post(
                    here + "world-news/subscribe/", data={"email": "Reader@Example.ORG"}
                )
                said = await answer.text()
                assert answer.status == 200 and answer.headers["Cache-Control"] == "no-store"
                assert "Check your inbox" in said and "reader@example.org" in said
                await _wait_for(lambda: mails_to("reader@example.org"), "the confirmation")
                asked = mails_to("reader@example.org")[0]
                assert asked["Subject"] == "Confirm your subscription to the World News daily email"
                text = asked.get_content()
                assert "Someone, probably you, asked for the World News daily email" in text
                link = re.search(r"https://\S+/confirm\?t=\S+", text)
                assert link is not None
                assert _state(db) == {"reader@example.org": "pending"}

                # asked again within the hour (through a form that posts to the address
                # without its slash, as pages did before): the same answer, no second email
                again = await http.post(
                    here + "world-news/subscribe", data={"email": "reader@example.org"}
                )
                assert again.status == 200 and "Check your inbox" in await again.text()
                await asyncio.sleep(0.3)
                assert len(mails_to("reader@example.org")) == 1

                # opening the link (as a mail scanner does) subscribes nobody
                url = link[0].replace(BASE, here)
                opened = await http.get(url)
                shown = await opened.text()
                assert opened.status == 200 and "Send the World News daily email to" in shown
                assert '<form method="post" action="https://news.example.org/world-news/' in shown
                assert _state(db) == {"reader@example.org": "pending"}
                altered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
                refused = await http.post(altered)
                assert refused.status == 400 and "not valid" in await refused.text()
                confirmed = await http.post(url)
                assert confirmed.status == 200
                assert "from the next one on" in await confirmed.text()
                assert _state(db) == {"reader@example.org": "confirmed"}

                # the day's digest: the operator's list as before, and the reader's own copy
                clock.now = NOW
                await _wait_for(lambda: mails_to("reader@example.org")[1:], "the digest")
                await _wait_for(lambda: len(sink.messages) == 3, "the listed digest")
                own = mails_to("reader@example.org")[1]
                listed = mails_to("News Digest <digest@news.example.org>")[0]
                envelopes = sorted(m.rcpt_tos[0] for m in sink.messages)
                assert envelopes == [
                    "alice@example.com",
                    "reader@example.org",
                    "reader@example.org",
                ]
                assert own["Subject"] == listed["Subject"]
                assert own["Message-ID"] != listed["Message-ID"]
                assert "List-Unsubscribe-Post" not in listed
                assert own["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
                leave = own["List-Unsubscribe"].strip("<>")
                assert leave.startswith(f"{BASE}world-news/unsubscribe?t=")
                body = own.get_body(("plain",)).get_content()
                assert "because you subscribed to the World News daily digest" in body
                assert "Harbour crane collapses" in body and "To unsubscribe, open" in body
                assert leave in body.splitlines()  # (on a line of its own, whole)
                assert leave.replace("&", "&amp;") in own.get_body(("html",)).get_content()

                # a mail client's one-click unsubscribe (RFC 8058)
                left = await http.post(
                    leave.replace(BASE, here), data="List-Unsubscribe=One-Click",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )  # fmt: skip
                assert left.status == 200 and "gets no more World News" in await left.text()
                assert _state(db) == {}
                gone = await http.post(leave.replace(BASE, here))  # (twice: the same answer)
                assert gone.status == 200
        finally:
            stop.set()
            await task
            svc.close()

    with smtp_sink(sink, smtp_port):
        asyncio.run(scenario())


@asynccontextmanager
async def signup_site(
    tmp_path: Path,
    clock: Clock,
    sink_port: int,
    proxies: tuple[str, ...] = ("127.0.0.1/8", "::1/128"),
    **options: Any,
) -> AsyncIterator[tuple[TestClient, Store]]:
    """The site of a database with one story, with sign-ups (unless `signups=None`) behind
    the reverse `proxies`."""
    store = Store(tmp_path / "news.db")
    store.sync_sources([Source("https://a.example/feed", "A", "World News")], NOW)
    add_story(store, "s1", "Harbour crane collapses")
    config = _self_service(sink_port)
    config = dataclasses.replace(config, server=dataclasses.replace(config.server, proxies=proxies))

    async def write(fn: Any, *args: Any) -> Any:
        return fn(*args)

    signups = Signups(Subscribers(store), write, config, None, clock)
    options = {"signups": signups, **options}
    app = make_app(
        store.reader(), config.publish, clock=clock, digest=config.digest, version_ttl=0, **options
    )
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client, store
    finally:
        await client.close()
        store.close()


def test_too_many_sign_ups_stale_links_and_sites_without_sign_ups(tmp_path: Path) -> None:
    clock = Clock(NOW)
    sink = Sink()
    port = free_port()

    async def scenario() -> None:
        async with signup_site(tmp_path, clock, port) as (client, store):
            statuses = []
            for n in range(11):  # one client: ten sign-ups an hour
                answer = await client.post(
                    "/world-news/subscribe", data={"email": f"reader{n}@example.org"}
                )
                statuses.append(answer.status)
            assert statuses == [200] * 10 + [429]
            assert answer.headers["Retry-After"] == "3600"
            assert "Too many sign-ups just now" in await answer.text()
            assert subscriber_counts(store.conn) == {"World News": (0, 10)}
            # a robot fills in the field people never see: answered alike, nothing more
            robot = await client.post(
                "/world-news/subscribe",
                data={"email": "bot@example.org", "comment": "Great site! http://spam.example"},
                headers={"X-Real-IP": "192.0.2.9"},
            )
            assert robot.status == 200 and "Check your inbox" in await robot.text()
            assert subscriber_counts(store.conn) == {"World News": (0, 10)}
            # behind a reverse proxy on this host, each reader it relays is a client
            for relayed in ({"X-Forwarded-For": "198.51.100.7, 203.0.113.9"}, {"X-Real-IP": "::2"}):
                answer = await client.post(
                    "/world-news/subscribe", data={"email": "other@example.org"}, headers=relayed
                )
                assert answer.status == 200
            too_big = await client.post("/world-news/subscribe", data={"email": "x" * 5000})
            assert too_big.status == 413
            assert (
                await client.post("/nowhere/subscribe", data={"email": "a@b.org"})
            ).status == 404

            key = Subscribers(store).key()
            stale = sign(key, CONFIRM, "World News", "late@example.org", NOW - timedelta(hours=1))
            answer = await client.get("/world-news/subscribe/confirm", params={"t": stale})
            page = await answer.text()
            assert answer.status == 400 and "This link is not valid, or it has expired." in page
            assert 'href="https://news.example.org/world-news/subscribe/"' in page
            # a link of one category is not taken at another's address
            other = sign(key, CONFIRM, "World News", "a@example.org", NOW + timedelta(hours=1))
            assert (await client.post("/business/subscribe/confirm?t=" + other)).status == 400
            # confirming twice, and unsubscribing someone who never was, say the same
            ok = sign(key, CONFIRM, "World News", "a@example.org", NOW + timedelta(hours=1))
            for _ in range(2):
                answer = await client.post("/world-news/subscribe/confirm", params={"t": ok})
                assert answer.status == 200
            leave = sign(key, LEAVE, "World News", "never@example.org")
            answer = await client.post("/world-news/unsubscribe", params={"t": leave})
            assert answer.status == 200 and "never@example.org gets no more" in await answer.text()
            assert subscriber_counts(store.conn) == {"World News": (1, 11)}
            # pending sign-ups are forgotten once their links no longer work
            clock.now = NOW + CONFIRM_WITHIN + timedelta(minutes=1)
            Subscribers(store).ask("World News", "new@example.org", clock.now)
            assert subscriber_counts(store.conn) == {"World News": (1, 1)}

        # a proxy elsewhere ([server] proxies): a loopback peer's relayed address is not
        # believed, so every sign-up from it is one client's
        (tmp_path / "far").mkdir()
        async with signup_site(tmp_path / "far", clock, port, ("10.0.0.0/8",)) as (client, _):
            statuses = []
            for n in range(11):
                answer = await client.post(
                    "/world-news/subscribe",
                    data={"email": f"far{n}@example.org"},
                    headers={"X-Forwarded-For": f"198.51.100.{n}"},
                )
                statuses.append(answer.status)
            assert statuses == [200] * 10 + [429]
        with pytest.raises(ConfigError, match=r"\[server\]: proxies: 'docker' is no IP network"):
            build_settings({"server": {"proxies": ["docker"]}})

        # without sign-ups (`aggregator serve`, or self_service off): no form, nothing to post
        async with signup_site(tmp_path, clock, port, signups=None) as (client, _):
            page = await (await client.get("/world-news/subscribe")).text()
            assert 'class="signup"' not in page and "write to" in page
            answer = await client.post("/world-news/subscribe", data={"email": "a@b.org"})
            assert answer.status == 405
            assert (await client.get("/world-news/unsubscribe?t=x")).status == 404

    with smtp_sink(sink, port):
        asyncio.run(scenario())
    sent = sorted(m.rcpt_tos[0] for m in sink.messages)  # (one email an address)
    readers = [f"reader{n}@example.org" for n in range(10)] + ["other@example.org"]
    assert sent == sorted([*readers, *(f"far{n}@example.org" for n in range(10))])


async def _raw_post(port: int, head_length: int, parts: list[bytes], pause: float) -> bytes:
    """A sign-up POST saying `Content-Length: head_length`, its body sent as `parts` with
    `pause` seconds between them; what the server answered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /world-news/subscribe HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n" % head_length
    )
    for n, part in enumerate(parts):
        if n:
            await asyncio.sleep(pause)
        writer.write(part)
        await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    length = re.search(rb"Content-Length: (\d+)", head)
    body = await reader.readexactly(int(length[1])) if length else b""
    writer.close()
    return head + body


def test_a_form_is_read_whole_and_a_body_that_never_comes_is_let_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Only the first piece of a form had been read: an address cut at a packet's end was
    signed up ("reader@example.o"); a body that never came held its connection for ever, and
    a client that hung up mid-body left a traceback at ERROR."""
    import aggregator.request_body as request_body

    monkeypatch.setattr(request_body, "BODY_TIMEOUT", 0.5)
    clock = Clock(NOW)

    async def scenario() -> None:
        async with signup_site(tmp_path, clock, free_port()) as (client, store):
            port = client.port
            form = b"email=reader%40example.org&comment="
            answer = await _raw_post(port, len(form), [form[:24], form[24:]], 0.2)
            assert answer.startswith(b"HTTP/1.1 200") and b"reader@example.org can" in answer
            asked = store.conn.execute("SELECT address FROM digest_subscribers").fetchall()
            assert asked == [("reader@example.org",)]
            slow = await _raw_post(port, 100, [form], 0.0)  # (its last 65 bytes never come)
            assert slow.startswith(b"HTTP/1.1 408") and b"Connection: close" in slow
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"POST /world-news/subscribe HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Length: 100\r\n\r\nemail=")  # fmt: skip
            await writer.drain()
            writer.close()  # (hung up mid-body)
            await asyncio.sleep(0.3)
            assert (await client.get("/world-news/subscribe")).status == 200

    asyncio.run(scenario())
    assert "Error handling request" not in caplog.text and "Traceback" not in caplog.text


def test_sign_ups_need_a_public_base_url() -> None:
    config = _self_service(25)
    config = dataclasses.replace(
        config,
        publish=PublishSettings(),  # (the listen address: emails would link nowhere)
        digest=dataclasses.replace(config.digest, recipients={"World News": ()}),
    )
    with pytest.raises(ConfigError, match=r"\[digest\] takes sign-ups, so set \[publish\]"):
        digest_ready(config)


def test_the_operator_lists_readers_and_takes_one_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "news.db"
    store = Store(db)
    books = Subscribers(store)
    books.confirm("World News", "ann@example.org", NOW)
    books.ask("World News", "bob@example.org", NOW)
    books.confirm("Business", "ann@example.org", NOW)
    key = books.key()
    store.close()
    config = tmp_path / "aggregator.toml"
    config.write_text('[publish]\nbase_url = "https://news.example.org/"\n')
    options = ["--db", str(db), "--config", str(config)]
    assert main(["subscribers", *options]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].split() == ["Business", "confirmed", "2026-03-10T07:00", "ann@example.org"]
    assert "to confirm" in listed[2] and listed[2].endswith("bob@example.org")
    assert listed[-1] == (
        f"([digest] self_service is off in {config}: these readers get no digest until it is on)"
    )
    assert main(["subscribers", "--db", str(db)]) == 0  # (the service's file not given)
    assert capsys.readouterr().out.splitlines()[-1] == (
        "([digest] self_service is off without --config (the defaults): these readers get no "
        "digest until it is on)"
    )
    assert main(["subscribers", *options, "--category", "World News", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["address"], r["state"]) for r in rows] == [
        ("ann@example.org", "confirmed"),
        ("bob@example.org", "pending"),
    ]
    # beside a running service: nothing written, and the reader's own links said instead
    with writer_lock(db, "run"):
        assert main(["subscribers", *options, "--remove", "Ann@Example.org"]) == 1
    said = capsys.readouterr().err
    assert "is already running on this database" in said
    link = sign(key, LEAVE, "World News", "ann@example.org")
    assert f"https://news.example.org/world-news/unsubscribe?t={link}" in said
    assert main(["subscribers", *options, "--remove", "ann@example.org"]) == 0
    assert capsys.readouterr().out == "removed ann@example.org from: Business, World News\n"
    assert main(["subscribers", *options, "--remove", "ann@example.org"]) == 1
    assert main(["subscribers", *options, "--remove", "not an address"]) == 2
    assert capsys.readouterr().err.startswith("aggregator: error: not an email address")
    typo = ["--db", str(tmp_path / "nwes.db"), "--config", str(config)]
    assert main(["subscribers", *typo, "--remove", "ann@example.org"]) != 0
    assert not (tmp_path / "nwes.db").exists()  # (no database made from a typo)
    with sqlite3.connect(db) as conn:
        assert subscriber_counts(conn) == {"World News": (0, 1)}
    # `status` counts them beside the settings' recipients
    config.write_text(
        '[publish]\nbase_url = "https://news.example.org/"\n[digest]\nself_service = true\n'
        'smtp_host = "127.0.0.1"\nfrom_address = "digest@news.example.org"\n'
        '[digest.recipients]\n"World News" = ["alice@example.com"]\n'
    )
    assert main(["status", *options]) == 0
    digest = [line for line in capsys.readouterr().out.splitlines() if "World News" in line]
    assert digest and "1 + 0 signed up (1 to confirm)" in digest[0]
    # a reader both listed and signed up gets one copy: counted once (they had been two)
    config.write_text(
        config.read_text().replace('["alice@example.com"]', '["Bob <BOB@example.org>"]')
    )
    assert main(["status", *options]) == 0
    digest = [line for line in capsys.readouterr().out.splitlines() if "World News" in line]
    assert digest and digest[0].split()[2] == "1" and "signed up" not in digest[0]
    assert main(["status", *options, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["subscribers"] == {"World News": {"confirmed": 0, "pending": 1}}


def test_a_second_category_asked_within_the_hour_is_offered_on_the_confirmation(
    tmp_path: Path,
) -> None:
    """One confirmation an address an hour: a reader who signed up for two categories in a
    row was told a link was on its way for the second, and none came. The second is kept,
    and the page of the first's confirmation offers it, one button that posts."""
    clock = Clock(NOW)
    store = Store(tmp_path / "news.db")
    books = Subscribers(store)
    assert books.ask("World News", "reader@example.org", NOW)
    assert not books.ask("Business", "reader@example.org", NOW + timedelta(minutes=1))
    assert books.also_asked("reader@example.org", "World News", NOW) == ["Business"]
    assert books.also_asked("reader@example.org", "World News", NOW + CONFIRM_WITHIN * 2) == []
    store.sync_sources(
        [
            Source("https://a.example/feed", "A", "World News"),
            Source("https://b.example/feed", "B", "Business"),
        ],
        NOW,
    )
    config = _self_service(free_port())
    recipients = {"World News": ("alice@example.com",), "Business": ()}
    config = dataclasses.replace(
        config, digest=dataclasses.replace(config.digest, recipients=recipients)
    )

    async def write(fn: Any, *args: Any) -> Any:
        return fn(*args)

    async def scenario() -> None:
        signups = Signups(books, write, config, None, clock)
        app = make_app(
            store.reader(), config.publish, clock=clock, digest=config.digest, version_ttl=0,
            signups=signups,
        )  # fmt: skip
        async with TestClient(TestServer(app)) as client:
            link = confirm_link(BASE, await signups.key(), "World News", "reader@example.org", NOW)
            done = await client.post(link.replace(BASE, "/"))
            page = await done.text()
            assert done.status == 200 and "from the next one on" in page
            assert "Send the Business daily email to reader@example.org?" in page
            offered = re.search(r'<form method="post" action="([^"]+/business/[^"]+)"', page)
            assert offered is not None
            assert books.also_asked("reader@example.org", "World News", NOW) == ["Business"]
            again = await client.post(html.unescape(offered[1]).replace(BASE, "/"))
            assert again.status == 200 and "Send the" not in await again.text()

    try:
        asyncio.run(scenario())
        states = store.conn.execute(
            "SELECT category, state FROM digest_subscribers ORDER BY category"
        ).fetchall()
        assert states == [("Business", "confirmed"), ("World News", "confirmed")]
    finally:
        store.close()


def test_a_kept_category_asked_again_is_kept_as_long_as_its_new_link(tmp_path: Path) -> None:
    """A category kept unasked within the hour, asked again after it, is mailed its link and
    kept as long as that link works: it had kept the time of its first asking, was forgotten
    a day or two early (with the time its email went), and a third sign-up within the hour of
    that email sent another."""
    store = Store(tmp_path / "news.db")
    books = Subscribers(store)
    address = "reader@example.org"
    assert books.ask("World News", address, NOW)
    assert not books.ask("Business", address, NOW + timedelta(minutes=1))
    mailed = NOW + CONFIRM_WITHIN - timedelta(minutes=30)
    assert books.ask("Business", address, mailed)
    assert not books.ask("Business", address, NOW + CONFIRM_WITHIN + timedelta(minutes=2))
    later = mailed + CONFIRM_WITHIN - timedelta(minutes=1)
    assert books.also_asked(address, "World News", later) == ["Business"]


def test_status_shows_a_digest_whose_category_was_removed_as_such_and_keeps_its_readers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A digest whose category the operator took out of the OPML had stood in `status` as if
    it went on ("in 5h"), while it could carry nothing. It is shown as removed, with no next
    send, and its readers who signed up are counted and kept (never dropped: the category
    may come back); a renamed category's digest is not removed (it carries the new name's)."""
    db = tmp_path / "news.db"
    store = Store(db)
    feeds = [("https://a.example/feed", "World News"), ("https://b.example/feed", "Science")]
    store.sync_sources([Source(url, url[8], category) for url, category in feeds], NOW)
    readers = Subscribers(store)
    for address in ("ann@example.org", "bob@example.org"):
        readers.confirm("Science", address, NOW)
    readers.confirm("World News", "cy@example.org", NOW)
    store.sync_sources([Source(feeds[0][0], "a", "World News")], NOW)  # Science removed
    store.close()
    config = tmp_path / "settings.toml"
    config.write_text(
        '[publish]\nbase_url = "https://news.example.org/"\n[digest]\nself_service = true\n'
        'smtp_host = "127.0.0.1"\nfrom_address = "digest@news.example.org"\n'
        '[digest.recipients]\n"World News" = []\n"Science" = []\n'
    )
    assert main(["status", "--db", str(db), "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    (science,) = [line for line in lines if line.startswith("Science ") and "signed" in line]
    assert "0 + 2 signed up" in science
    assert science.split("  ")[-1].strip() != "-"  # (listed: its schedule goes on)
    assert (
        "no such category in the OPML now (removed?): only the stories already filed under it"
    ) in science
    (world,) = [line for line in lines if line.startswith("World News ") and "signed" in line]
    assert "0 + 1 signed up" in world and "removed" not in world and "never sent" in world
    assert (
        "  Science: no such category in the OPML now (removed?), so its digest carries only "
        "the stories already filed under it; its 2 readers who signed up stay signed up"
    ) in "\n".join(lines)
    with sqlite3.connect(db) as conn:
        assert subscriber_counts(conn)["Science"] == (2, 0)  # (kept)


def test_status_json_names_the_digests_removed_from_the_opml_or_the_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`status --json` had no field for a digest `status` shows as removed: one whose category
    left the OPML (the settings still list it: it carries the stories filed under it) and one
    readers signed up for that the settings no longer name (it sends nothing). Both are under
    `digests_removed`, with why and whether it sends; a live digest is not."""
    db = tmp_path / "news.db"
    store = Store(db)
    feeds = [
        ("https://a.example/feed", "World News"),
        ("https://b.example/feed", "Science"),
        ("https://c.example/feed", "Business"),
    ]
    store.sync_sources([Source(url, url[8], category) for url, category in feeds], NOW)
    readers = Subscribers(store)
    for category in ("World News", "Science", "Business"):
        readers.confirm(category, "ann@example.org", NOW)
    store.sync_sources([Source(url, url[8], c) for url, c in feeds if c != "Science"], NOW)
    store.close()
    config = tmp_path / "settings.toml"
    config.write_text(
        '[publish]\nbase_url = "https://news.example.org/"\n[digest]\nself_service = true\n'
        'smtp_host = "127.0.0.1"\nfrom_address = "digest@news.example.org"\n'
        '[digest.recipients]\n"World News" = []\n"Science" = []\n'
    )
    assert main(["status", "--db", str(db), "--config", str(config), "--json"]) == 0
    removed = json.loads(capsys.readouterr().out)["digests_removed"]
    assert removed == {
        "Business": {
            "not_in": "recipients",
            "reason": "not in [digest.recipients] now",
            "sends_nothing": True,
        },
        "Science": {
            "not_in": "opml",
            "reason": "no such category in the OPML now (removed?)",
            "sends_nothing": False,
        },
    }


def test_a_digest_the_settings_file_under_a_renamed_categorys_former_name_keeps_its_page(
    tmp_path: Path,
) -> None:
    """The OPML renamed "World" to "World News" and the settings still file the digest's
    recipients under "World" (its digest carries "World News"'s stories, and `run`'s start
    says to refile them): the daily email's link to `/world/subscribe/` and its
    List-Unsubscribe had led to a 404. They lead to the renamed category's subscribe page,
    which says the digest's own time, its pages link it, and a sign-up there joins the
    digest that is sent ("World")."""
    clock = Clock(NOW)
    store = Store(tmp_path / "news.db")
    feed = "https://a.example/feed"
    store.sync_sources([Source(feed, "A", "World")], NOW)
    store.sync_sources([Source(feed, "A", "World News")], NOW)
    add_story(store, "s1", "Harbour crane collapses")
    port = free_port()
    config = _self_service(port)
    digest = dataclasses.replace(
        config.digest, recipients={"World": ("alice@example.com",)}, send_times={"World": "06:30"}
    )
    config = dataclasses.replace(config, digest=digest)
    sink = Sink()

    async def write(fn: Any, *args: Any) -> Any:
        return fn(*args)

    signups = Signups(Subscribers(store), write, config, None, clock)
    app = make_app(store.reader(), config.publish, clock=clock, digest=digest, signups=signups)

    async def scenario() -> None:
        async with TestClient(TestServer(app)) as client:
            answer = await client.get("/world/subscribe/")
            page = await answer.text()
            assert answer.status == 200 and str(answer.url).endswith("/world-news/subscribe/")
            assert 'class="signup"' in page and "06:30" in page
            category = await (await client.get("/world-news/")).text()
            assert f'href="{BASE}world-news/subscribe/"' in category
            answer = await client.post("/world-news/subscribe/", data={"email": "c@example.org"})
            assert answer.status == 200
            await _wait_for(lambda: sink.messages, "the confirmation")
            text = message_from_bytes(sink.messages[0].content, policy=policy.default)
            link = re.search(r"https://\S+/confirm\?t=\S+", text.get_content())
            assert link is not None
            assert (await client.post(link[0].replace(BASE, "/"))).status == 200
            assert subscriber_counts(store.conn) == {"World": (1, 0)}

    try:
        with smtp_sink(sink, port):
            asyncio.run(scenario())
    finally:
        store.close()


def test_unsubscribe_links_sent_before_a_restore_or_a_recovery_keep_working(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The links are signed with a key kept in the database: a backup restored, or what
    `recover` copied out of a damaged file, keeps it, so the link in a digest sent before
    still unsubscribes its reader (a new key had made every such link "not valid")."""
    db = tmp_path / "news.db"
    store = Store(db)
    books = Subscribers(store)
    for address in ("ann@example.org", "bob@example.org"):
        books.confirm("World News", address, NOW)
    key = books.key()
    store.close()
    leave = {a: sign(key, LEAVE, "World News", a) for a in ("ann@example.org", "bob@example.org")}
    assert main(["backup", "--db", str(db), str(tmp_path / "copy.db")]) == 0
    assert main(["recover", "--db", str(db), str(tmp_path / "recovered.db")]) == 0
    clock = Clock(NOW + timedelta(days=30))

    async def leaves(address: str) -> None:
        async with signup_site(tmp_path, clock, free_port()) as (client, store):
            answer = await client.post("/world-news/unsubscribe", params={"t": leave[address]})
            assert answer.status == 200 and f"{address} gets no more" in await answer.text()
            assert address not in [r["address"] for r in store.reader().subscriber_rows()]

    for copy, address in (("copy.db", "ann@example.org"), ("recovered.db", "bob@example.org")):
        assert main(["restore", "--db", str(db), str(tmp_path / copy)]) == 0
        asyncio.run(leaves(address))
    capsys.readouterr()


def test_subscribers_of_a_renamed_category_name_those_filed_under_its_former_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Readers who signed up before the OPML renamed "World" "World News" are filed under
    "World": asked for "World News", the list had said no one signed up."""
    db = tmp_path / "news.db"
    store = Store(db)
    feed = "https://a.example/feed"
    store.sync_sources([Source(feed, "A", "World")], NOW)
    store.sync_sources([Source(feed, "A", "World News")], NOW)
    Subscribers(store).confirm("World", "ann@example.org", NOW)
    store.close()
    assert main(["subscribers", "--db", str(db), "--category", "World News"]) == 0
    assert capsys.readouterr().out == (
        "no readers signed up for a daily email of 'World News'; 1 reader is filed under its "
        "former name 'World' (`aggregator subscribers --category World`)\n"
    )


def test_a_sign_up_posted_from_a_subscribe_page_of_before_a_rename_joins_its_digest(
    tmp_path: Path,
) -> None:
    """A reader who had `/world/subscribe/` open when an OPML edit renamed "World" to "World
    News" posts its form to the former address: it had answered 404 (the page itself is
    sent on with a 301, which a form's POST does not follow as a POST). The sign-up joins the
    digest the renamed category is sent as; an address no category ever had is still 404."""
    clock = Clock(NOW)
    store = Store(tmp_path / "news.db")
    feed = "https://a.example/feed"
    store.sync_sources([Source(feed, "A", "World")], NOW)
    store.sync_sources([Source(feed, "A", "World News")], NOW)
    add_story(store, "s1", "Harbour crane collapses")
    port = free_port()
    config = _self_service(port)
    digest = dataclasses.replace(config.digest, recipients={"World": ("alice@example.com",)})
    config = dataclasses.replace(config, digest=digest)

    async def write(fn: Any, *args: Any) -> Any:
        return fn(*args)

    signups = Signups(Subscribers(store), write, config, None, clock)
    app = make_app(store.reader(), config.publish, clock=clock, digest=digest, signups=signups)

    async def scenario() -> None:
        async with TestClient(TestServer(app)) as client:
            answer = await client.post("/world/subscribe/", data={"email": "c@example.org"})
            assert answer.status == 200 and "c@example.org" in await answer.text()
            unknown = await client.post("/sport/subscribe/", data={"email": "d@example.org"})
            assert unknown.status == 404
            await _wait_for(lambda: sink.messages, "the confirmation")
            assert subscriber_counts(store.conn) == {"World": (0, 1)}

    sink = Sink()
    try:
        with smtp_sink(sink, port):
            asyncio.run(scenario())
    finally:
        store.close()


class _Watched:
    """A reader that notes the thread each `categories()` call runs on."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self.threads: list[int] = []

    def categories(self) -> list[str]:
        self.threads.append(threading.get_ident())
        return self._reader.categories()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


def test_a_confirmation_reads_the_digests_once_off_the_event_loop_and_anew_after_a_reload(
    tmp_path: Path,
) -> None:
    """The digests the site offers were read from the database on the event loop, once for
    the link and once for each other category the address asked for. They are read once a
    request, in a worker thread, and an OPML reload shows at the next request."""
    clock = Clock(NOW)
    store = Store(tmp_path / "news.db")
    books = Subscribers(store)
    others = ["Business", "Science", "Sport"]
    assert books.ask("World News", "reader@example.org", NOW)
    for n, other in enumerate(others, 1):
        assert not books.ask(other, "reader@example.org", NOW + timedelta(minutes=n))
    sources = [Source(f"https://{n}.example/feed", "A", name) for n, name in enumerate(others)]
    store.sync_sources([Source("https://w.example/feed", "W", "World News"), *sources], NOW)
    config = _self_service(free_port())
    recipients = {name: () for name in ["World News", *others]}
    config = dataclasses.replace(
        config, digest=dataclasses.replace(config.digest, recipients=recipients)
    )

    async def write(fn: Any, *args: Any) -> Any:
        return fn(*args)

    async def scenario() -> None:
        loop = threading.get_ident()
        reader = _Watched(store.reader())
        signups = Signups(books, write, config, None, clock)
        app = make_app(
            reader, config.publish, clock=clock, digest=config.digest, version_ttl=0,
            signups=signups,
        )  # fmt: skip
        async with TestClient(TestServer(app)) as client:
            key = await signups.key()
            link = confirm_link(BASE, key, "World News", "reader@example.org", NOW)
            reader.threads.clear()
            page = await (await client.post(link.replace(BASE, "/"))).text()
            assert all(f"Send the {other} daily email" in page for other in others)
            assert len(reader.threads) == 1 and loop not in reader.threads
            # an invalid link's page offers the digest, read off the loop too
            reader.threads.clear()
            answer = await client.get("/business/subscribe/confirm", params={"t": "x"})
            assert answer.status == 400 and "/business/subscribe/" in await answer.text()
            assert loop not in reader.threads
            # the OPML renames "Science" "Research": the next request offers its digest there
            renamed = Source("https://1.example/feed", "A", "Research")
            world = Source("https://w.example/feed", "W", "World News")
            store.sync_sources([world, sources[0], renamed, sources[2]], NOW)
            answer = await client.get("/research/subscribe/confirm", params={"t": "x"})
            assert 'href="https://news.example.org/research/subscribe/"' in await answer.text()

    try:
        asyncio.run(scenario())
    finally:
        store.close()
