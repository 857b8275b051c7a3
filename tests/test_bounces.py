"""The digest's bounces read back from its mailbox: which messages are bounces and whom they
name (`bounces`), the days that stop an address's mail, and whole reads of a loopback IMAP
folder holding invented bounces and replies (`bounce_mail`, `bounce_job`, `subscribers
--read-bounces`, `status`)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import sqlite3
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from digest_fixture import NOW, Sink, add_story, certificates, digest_settings, settings, smtp_sink
from imap_sink import Mailbox, imap_server, today_at
from upstream import free_port, opml

from aggregator import mail_tags
from aggregator.bounces import (
    MAX_QUOTED_IDS,
    BounceRecord,
    Failures,
    failures,
    looks_like_bounce,
    tally,
)
from aggregator.cli import main
from aggregator.config import load_settings
from aggregator.digest import Pick
from aggregator.digest_mail import Personal, compose
from aggregator.mail_tags import signed_id, vouches
from aggregator.models import Story
from aggregator.publish import PublishSettings
from aggregator.service import Service
from aggregator.signup_store import SIGNUP_KEY, Subscribers
from aggregator.store import Store
from aggregator.store_upkeep import prune

GONE = "gone@reader.example"
KEY = bytes(range(32))  # the site's signing key in the tests' databases (`_signed_up`)


def sent_id(address: str, key: bytes = KEY) -> str:
    """The Message-ID of a digest's copy to `address`, as the digest signs it."""
    return signed_id(key, "20260310.world-news.0a1b2c3d4e5f", "news.example", address)


def dsn(
    recipient: str,
    status: str = "5.1.1",
    action: str = "failed",
    message_id: str | None = None,
) -> bytes:
    """A delivery status notification (RFC 3464) for one recipient of a digest, with the
    headers of the message that failed (its Message-ID: the copy sent to `recipient`,
    unless `message_id` says otherwise; "" for none)."""
    said = "User unknown" if status.startswith("5") else "Mailbox full, will retry"
    quoted = sent_id(recipient) if message_id is None else message_id
    returned = f"Message-ID: {quoted}\r\n" if quoted else ""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.news.example>\r\n"
        "To: bounces@news.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B0"\r\n'
        "\r\n"
        "--B0\r\n"
        "Content-Type: text/plain\r\n\r\n"
        "This is the mail system at host mx.news.example. Your message could not be "
        "delivered to one or more recipients.\r\n\r\n"
        "--B0\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.news.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Original-Recipient: rfc822;{recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 {status} <{recipient}>: Recipient address rejected: "
        f"{said}\r\n\r\n"
        "--B0\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        "From: Daily News <news@news.example>\r\n"
        f"To: {recipient}\r\n"
        f"{returned}"
        "Subject: World News: Harbour bridge closed and 9 more\r\n\r\n"
        "--B0--\r\n"
    ).encode()


def exim_bounce(recipient: str) -> bytes:
    """A bounce in Exim's own words, before delivery reports were a standard."""
    return (
        "From: Mail Delivery System <Mailer-Daemon@mx.other.example>\r\n"
        "To: bounces@news.example\r\n"
        "Subject: Mail delivery failed: returning message to sender\r\n"
        f"X-Failed-Recipients: {recipient}\r\n"
        "\r\n"
        "This message was created automatically by mail delivery software.\r\n\r\n"
        "A message that you sent could not be delivered to one or more of its\r\n"
        "recipients. This is a permanent error. The following address(es) failed:\r\n\r\n"
        f"  {recipient}\r\n"
        "    550 5.1.1 User unknown\r\n"
    ).encode()


REPLY = (
    b"From: A Reader <fine@reader.example>\r\nTo: bounces@news.example\r\n"
    b"Subject: Re: World News: Harbour bridge closed and 9 more\r\n\r\n"
    b"Thanks, the bridge story was useful. Could it arrive an hour earlier?\r\n"
)


def test_a_delivery_report_names_who_failed_for_good_and_why() -> None:
    found = failures(dsn(GONE))
    assert found.permanent == {GONE} and not found.temporary
    assert found.reason == f"550 5.1.1 <{GONE}>: Recipient address rejected: User unknown"
    later = failures(dsn("full@reader.example", "4.2.2", "delayed"))
    assert later.temporary == {"full@reader.example"} and not later.permanent
    assert failures(exim_bounce("old@reader.example")).permanent == {"old@reader.example"}
    # a stranger's words reach a terminal: no control characters
    sly = dsn(GONE).replace(b"Recipient address rejected", b"\x1b]2;owned\x07rejected")
    assert failures(sly).reason == f"550 5.1.1 <{GONE}>: ]2;ownedrejected: User unknown"
    # a reader's reply in the same mailbox is no bounce, and is not fetched whole
    assert failures(REPLY).permanent == frozenset()
    assert not looks_like_bounce({"From": "A Reader <fine@reader.example>", "Subject": "Re: x"})
    assert looks_like_bounce({"Content-Type": "multipart/report; report-type=delivery-status"})
    assert looks_like_bounce({"from": "MAILER-DAEMON@mx.example", "subject": "x"})
    assert looks_like_bounce({"Subject": "Delivery Status Notification (Failure)"})


def test_an_address_counts_a_day_of_bounces_once_and_old_ones_are_forgotten() -> None:
    first = tally(None, date(2026, 3, 2), "550 user unknown")
    assert first == BounceRecord(1, date(2026, 3, 2), "550 user unknown")
    assert tally(first, date(2026, 3, 2), "again").days == 1  # (two digests, one day)
    assert tally(first, date(2026, 3, 3), "550").days == 2
    assert tally(first, date(2026, 4, 1), "550").days == 2  # 30 days later: still counts
    assert tally(first, date(2026, 4, 2), "550").days == 1  # 31: the count starts again


def _settings_env(monkeypatch: pytest.MonkeyPatch, port: int, box: Mailbox) -> None:
    for name, value in {
        "AGGREGATOR_DIGEST_SMTP_HOST": "127.0.0.1",
        "AGGREGATOR_DIGEST_FROM_ADDRESS": "Daily News <news@news.example>",
        "AGGREGATOR_DIGEST_RECIPIENTS": "World News=listed@reader.example",
        "AGGREGATOR_DIGEST_BOUNCE_HOST": "127.0.0.1",
        "AGGREGATOR_DIGEST_BOUNCE_PORT": str(port),
        "AGGREGATOR_DIGEST_BOUNCE_SECURITY": "none",
        "AGGREGATOR_DIGEST_BOUNCE_USERNAME": box.user,
        "AGGREGATOR_DIGEST_BOUNCE_PASSWORD_ENV": "TEST_BOUNCE_PASSWORD",
        "TEST_BOUNCE_PASSWORD": box.password,
    }.items():
        monkeypatch.setenv(name, value)


def _signed_up(db: Path) -> None:
    store = Store(db)
    store.set_meta(SIGNUP_KEY, KEY.hex())
    readers = Subscribers(store)
    now = datetime.now(UTC) - timedelta(days=20)
    for category, address in (
        ("World News", GONE),
        ("Sport", GONE),
        ("Sport", "fine@reader.example"),
    ):
        readers.confirm(category, address, now)
    store.close()


@contextmanager
def reading(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    box: Mailbox,
    tls: ssl.SSLContext | None = None,
) -> Iterator[Path]:
    """A database with three readers signed up (yielded), and `box` served on loopback as
    the settings' bounce mailbox."""
    db = tmp_path / "agg.db"
    _signed_up(db)
    with imap_server(box, tls) as port:
        _settings_env(monkeypatch, port, box)
        yield db


def _subscribed(db: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return set(conn.execute("SELECT category, address FROM digest_subscribers"))


def test_readers_whose_mail_bounces_on_two_days_are_unsubscribed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    box = Mailbox()
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    box.add(today_at(7, yesterday) - timedelta(days=30), dsn(GONE))  # older than a first read
    box.add(today_at(7, yesterday), dsn(GONE))
    box.add(today_at(7, yesterday), dsn("listed@reader.example"))
    box.add(today_at(7, yesterday), dsn("stranger@elsewhere.example"))  # not one of ours
    box.add(today_at(8, yesterday), REPLY)
    with reading(tmp_path, monkeypatch, box) as db:
        capsys.readouterr()
        assert main(["subscribers", "--read-bounces", "--db", str(db)]) == 0
        out = capsys.readouterr().out
        assert out.startswith("4 new messages, 3 bounces; 3 addresses failed for good")
        assert f"  {GONE}: bounced on 1 day (its mail stops at 2); 550 5.1.1" in out
        # (a listed address's mail goes on: the operator is told to take it out at two)
        listed = "  listed@reader.example: bounced on 1 day; listed in [digest.recipients], "
        assert f"{listed}to take out at 2; 550 5.1.1" in out
        assert "  stranger@elsewhere.example: no reader of the digests: not counted;" in out
        # `subscribers` shows the reader on the way out, and how far
        assert main(["subscribers", "--db", str(db)]) == 0
        lines = [line for line in capsys.readouterr().out.splitlines() if GONE in line]
        assert len(lines) == 2 and all("(bounced on 1 day: 550 5.1.1" in x for x in lines)
        assert main(["subscribers", "--json", "--db", str(db)]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert {r["address"]: r["bounce_days"] for r in rows} == {GONE: 1, "fine@reader.example": 0}
        assert _subscribed(db) == {
            ("World News", GONE),
            ("Sport", GONE),
            ("Sport", "fine@reader.example"),
        }
        # read only: the folder is examined, nothing in it marked, moved or deleted; the
        # reply was read by its headers only
        assert not any(c.split()[0] in ("SELECT", "STORE", "EXPUNGE", "COPY") for c in box.commands)
        assert box.commands.count("UID FETCH 5 (BODY.PEEK[])") == 0
        # the next read asks only for what came since; nothing new, nothing counted twice
        box.commands.clear()
        assert main(["subscribers", "--read-bounces", "--db", str(db)]) == 0
        assert capsys.readouterr().out.startswith("0 new messages, 0 bounces")
        assert "UID SEARCH UID 6:*" in box.commands
        # a second day's bounce: the reader is unsubscribed from every category
        box.add(today_at(7), dsn(GONE))
        box.add(today_at(7), dsn("listed@reader.example"))
        assert main(["subscribers", "--read-bounces", "--db", str(db)]) == 0
        out = capsys.readouterr().out
        assert f"  {GONE}: unsubscribed from Sport, World News" in out
        assert "  listed@reader.example: listed in [digest.recipients]: take it out" in out
        assert _subscribed(db) == {("Sport", "fine@reader.example")}
        # the server renumbered the folder: the last week is read again, no day counts twice
        box.validity = 8
        assert main(["subscribers", "--read-bounces", "--db", str(db)]) == 0
        assert capsys.readouterr().out.startswith("6 new messages, 5 bounces")
        with sqlite3.connect(db) as conn:
            days = dict(conn.execute("SELECT address, days FROM digest_bounces"))
        assert days == {GONE: 2, "listed@reader.example": 2}
        # status says when the mailbox was read and which listed address to take out
        assert main(["status", "--db", str(db)]) == 0
        lines = capsys.readouterr().out.splitlines()
        bounces = lines.index(next(line for line in lines if line.startswith("BOUNCES ")))
        assert lines[bounces].startswith("BOUNCES 127.0.0.1/INBOX: read ")
        assert lines[bounces].endswith("; 2 addresses bounced for good, 1 unsubscribed")
        assert lines[bounces + 1].startswith("  listed@reader.example: bounced on 2 days (last ")
        assert main(["status", "--json", "--db", str(db)]) == 0
        report = json.loads(capsys.readouterr().out)["bounces"]
        assert [(a["address"], a["unsubscribed"], a["listed"]) for a in report["addresses"]] == [
            (GONE, True, False),
            ("listed@reader.example", False, True),
        ]


def test_a_mailbox_that_refuses_the_login_is_said_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    box = Mailbox()
    box.add(today_at(7), dsn(GONE))
    with reading(tmp_path, monkeypatch, box) as db:
        monkeypatch.setenv("TEST_BOUNCE_PASSWORD", "wrong")
        capsys.readouterr()
        assert main(["subscribers", "--read-bounces", "--db", str(db)]) == 1
        said = (
            "the bounce mailbox was not read: login as bounces@news.example refused: login refused"
        )
        assert said in capsys.readouterr().err
        assert main(["status", "--db", str(db)]) == 0
        line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("BOUNCES"))
        assert "not read yet; the last read failed " in line and "login refused" in line
        # /healthz and status --json warn (the service works; dead addresses get mail)
        assert main(["status", "--json", "--db", str(db)]) == 0
        warned = json.loads(capsys.readouterr().out)["warnings"]
        assert any(w.startswith("the digest's bounce mailbox was not read at ") for w in warned)
        # a read that works again ends the warning
        monkeypatch.setenv("TEST_BOUNCE_PASSWORD", box.password)
        assert main(["subscribers", "--read-bounces", "--db", str(db)]) == 0
        capsys.readouterr()
        assert main(["status", "--json", "--db", str(db)]) == 0
        assert json.loads(capsys.readouterr().out)["warnings"] == []
    assert len(_subscribed(db)) == 3
    # no password variable: a configuration error before anything is read
    monkeypatch.delenv("TEST_BOUNCE_PASSWORD")
    assert main(["subscribers", "--read-bounces", "--db", str(db)]) == 2
    assert "TEST_BOUNCE_PASSWORD" in capsys.readouterr().err


def test_retention_forgets_bounces_long_past() -> None:
    store = Store(":memory:")
    now = datetime(2026, 3, 2, tzinfo=UTC)
    store.conn.executemany(
        "INSERT INTO digest_bounces (address, days, last_day, reason, updated) "
        "VALUES (?, 1, ?, 'r', ?)",
        [
            ("recent@reader.example", "2026-02-20", now.isoformat()),
            ("old@reader.example", "2025-11-01", now.isoformat()),
        ],
    )
    store.conn.commit()
    prune(store, now, now - timedelta(days=30), now - timedelta(days=90), 0)
    kept = {row[0] for row in store.conn.execute("SELECT address FROM digest_bounces")}
    assert kept == {"recent@reader.example"}
    store.close()


def test_run_reads_the_bounce_mailbox_only_with_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    box = Mailbox()
    _settings_env(monkeypatch, 1, box)
    settings = load_settings(None, dict(os.environ))
    (tmp_path / "feeds.opml").write_text(opml("https://feeds.news.example/world.xml"))
    service = Service(tmp_path / "feeds.opml", tmp_path / "a.db", settings, bounce_password="x")
    try:
        assert service.bounce_job() is not None
    finally:
        service.close()
    service = Service(tmp_path / "feeds.opml", tmp_path / "b.db", settings)
    try:
        assert service.bounce_job() is None
    finally:
        service.close()
    # `check` (as `run` at its start) stops at a bounce mailbox without its password
    monkeypatch.setenv("AGGREGATOR_PUBLISH_BASE_URL", "https://news.example/")
    monkeypatch.delenv("TEST_BOUNCE_PASSWORD")
    assert main(["check", "--opml", str(tmp_path / "feeds.opml")]) == 2
    assert "TEST_BOUNCE_PASSWORD" in capsys.readouterr().err


def test_the_mailbox_is_read_over_tls_trusting_the_settings_ca(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    box = Mailbox()
    box.add(today_at(7), dsn(GONE))
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    trusted, stranger = certificates(tmp_path / "a"), certificates(tmp_path / "b")
    with reading(tmp_path, monkeypatch, box, trusted.server) as db:
        monkeypatch.setenv("AGGREGATOR_DIGEST_BOUNCE_SECURITY", "tls")
        monkeypatch.setenv("AGGREGATOR_DIGEST_CA_FILE", str(stranger.ca_file))
        capsys.readouterr()
        assert main(["subscribers", "--read-bounces", "--db", str(db)]) == 1
        assert "CERTIFICATE_VERIFY_FAILED" in capsys.readouterr().err
        monkeypatch.setenv("AGGREGATOR_DIGEST_CA_FILE", str(trusted.ca_file))
        assert main(["subscribers", "--read-bounces", "--db", str(db)]) == 0
        assert capsys.readouterr().out.startswith("1 new message, 1 bounce;")


def test_a_first_read_passes_over_older_mail_for_good(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    box = Mailbox()
    long_ago = today_at(7) - timedelta(days=40)
    for _ in range(3):  # a mailbox's old mail, bounces among it, before the digests were read
        box.add(long_ago, dsn(GONE))
    with reading(tmp_path, monkeypatch, box) as db:
        capsys.readouterr()
        for _ in range(2):  # the first read and the next: neither reads the old mail
            assert main(["subscribers", "--read-bounces", "--db", str(db)]) == 0
            assert capsys.readouterr().out.startswith("0 new messages, 0 bounces")
        assert "UID SEARCH UID 4:*" in box.commands
    assert len(_subscribed(db)) == 3


def test_run_reads_no_bounces_while_its_network_is_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = Mailbox()
    box.add(today_at(7), dsn(GONE))
    with reading(tmp_path, monkeypatch, box) as db:
        settings = load_settings(None, dict(os.environ))
        (tmp_path / "feeds.opml").write_text(opml("https://feeds.news.example/world.xml"))
        service = Service(tmp_path / "feeds.opml", db, settings, bounce_password=box.password)
        try:
            job = service.bounce_job()
            assert job is not None and job.network is service.polls.network
            service.polls.network.down_since = datetime.now(UTC)  # (no feed's host answers)

            async def one_pass() -> None:
                stop = asyncio.Event()
                task = asyncio.ensure_future(job.loop(stop, interval=0.05))
                await asyncio.sleep(0.2)
                stop.set()
                await task

            asyncio.run(one_pass())
            assert box.commands == []  # not even a login: no failed read is said
            service.polls.network.answered()
            asyncio.run(one_pass())
            assert any(c.startswith("LOGIN") for c in box.commands)
        finally:
            service.close()


def test_an_address_both_listed_and_signed_up_is_reported_as_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An address the settings list that also signed up on the site: its sign-ups end at
    the days that stop a reader's mail, while the settings' list goes on mailing it; the
    report says both, never "unsubscribed" alone (which read as if its mail had stopped)."""
    box = Mailbox()
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    box.add(today_at(7, yesterday), dsn("listed@reader.example"))
    with reading(tmp_path, monkeypatch, box) as db:
        store = Store(db)
        Subscribers(store).confirm("Sport", "listed@reader.example", datetime.now(UTC))
        store.close()
        capsys.readouterr()
        assert main(["subscribers", "--read-bounces", "--db", str(db)]) == 0
        out = capsys.readouterr().out
        assert (
            "  listed@reader.example: bounced on 1 day (its sign-ups' mail stops at 2); "
            "listed in [digest.recipients], to take out at 2; 550 5.1.1"
        ) in out
        box.add(today_at(7), dsn("listed@reader.example"))
        assert main(["subscribers", "--read-bounces", "--db", str(db)]) == 0
        out = capsys.readouterr().out
        assert (
            "  listed@reader.example: unsubscribed from Sport; still listed in "
            "[digest.recipients], which goes on mailing it: take it out; 550 5.1.1"
        ) in out
        assert ("Sport", "listed@reader.example") not in _subscribed(db)


def test_a_bounce_counts_only_for_a_message_the_digest_signed_for_that_address() -> None:
    """The digest signs each copy's Message-ID with the site's key and the address it went
    to; a bounce is a reader's only when it quotes one made for them (`vouches`)."""
    quoted = failures(dsn(GONE)).message_ids
    assert sent_id(GONE).strip("<>") in quoted
    assert vouches(KEY, quoted, GONE) and vouches(KEY, quoted, GONE.upper())
    assert not vouches(KEY, quoted, "fine@reader.example")  # (made for someone else)
    assert not vouches(b"another site" * 3, quoted, GONE)
    assert not vouches(KEY, failures(dsn(GONE, message_id="")).message_ids, GONE)
    tampered = sent_id(GONE).replace("20260310", "20260311")
    assert not vouches(KEY, failures(dsn(GONE, message_id=tampered)).message_ids, GONE)
    # the list's own message names no reader: it vouches for the settings' addresses only
    shared = {sent_id("").strip("<>")}
    assert vouches(KEY, shared, "listed@reader.example", shared=True)
    assert not vouches(KEY, shared, "listed@reader.example")
    # a whole message returned, its headers encoded in base64 (as some servers send them)
    encoded = (
        b"From: postmaster@mx.example\r\nSubject: Undeliverable\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="Z"\r\n\r\n--Z\r\n'
        b"Content-Type: text/plain\r\n\r\nDelivery has failed.\r\n--Z\r\n"
        b"Content-Type: text/rfc822-headers\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(f"Message-ID: {sent_id(GONE)}\r\n".encode())
        + b"\r\n--Z--\r\n"
    )
    assert vouches(KEY, failures(encoded).message_ids, GONE)


def test_a_digest_copy_a_reader_was_sent_is_what_their_bounce_is_matched_with() -> None:
    story = Story("s1", "World News", "Harbour crane collapses", NOW, NOW, 1)
    publish = PublishSettings(base_url="https://news.example.org/", site_title="News")
    mine = Personal(GONE, "https://news.example.org/world-news/unsubscribe?t=x")
    msg = compose("World News", [Pick(story)], NOW.date(), NOW, digest_settings(), publish,
                  mine, key=KEY)  # fmt: skip
    quoted = failures(dsn(GONE, message_id=msg["Message-ID"])).message_ids
    assert vouches(KEY, quoted, GONE) and not vouches(KEY, quoted, "fine@reader.example")
    shared = compose("World News", [Pick(story)], NOW.date(), NOW, digest_settings(), publish,
                     key=KEY)  # fmt: skip
    quoted = failures(dsn("listed@reader.example", message_id=shared["Message-ID"])).message_ids
    assert vouches(KEY, quoted, "listed@reader.example", shared=True)


def test_forged_bounces_naming_a_reader_count_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Anyone may mail the bounce mailbox: two bounces naming a reader, on two days, had
    unsubscribed them, whoever wrote them. Now a bounce counts only when it quotes a
    message the digest sent that reader."""
    box = Mailbox()
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    box.add(today_at(7, yesterday), dsn(GONE, message_id=""))  # quoting no message
    box.add(today_at(7, yesterday), dsn(GONE, message_id=sent_id("fine@reader.example")))
    box.add(today_at(7), dsn(GONE, message_id=sent_id(GONE, b"not this site's key")))
    box.add(today_at(7), dsn(GONE, message_id=sent_id(GONE).replace("world", "sport")))
    caplog.set_level(logging.INFO, logger="aggregator")
    with reading(tmp_path, monkeypatch, box) as db:
        capsys.readouterr()
        assert main(["subscribers", "--read-bounces", "--db", str(db)]) == 0
        out = capsys.readouterr().out
    assert out.startswith("4 new messages, 4 bounces; 1 address failed for good")
    assert (
        f"  {GONE}: quotes no message the digests sent it (forged, or the bounce leaves "
        "out the message's headers): not counted; 550 5.1.1"
    ) in out
    assert (
        f"bounces: {GONE} not counted: the bounce quotes no message the digests sent it"
    ) in caplog.text
    assert len(_subscribed(db)) == 3
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM digest_bounces").fetchone()[0] == 0


def test_bounces_quoting_the_digests_sent_count_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The digests the job sends are signed with the key the bounce job checks: a bounce
    returning a reader's own copy counts for them, one returning the list's message for an
    address the settings list."""
    box = Mailbox()
    port = free_port()
    sink = Sink()
    with reading(tmp_path, monkeypatch, box) as db, smtp_sink(sink, port):
        store = Store(db)
        add_story(store, "s1", "Harbour crane collapses", at=NOW - timedelta(hours=1))
        store.close()
        config = settings(
            smtp_port=port,
            recipients={"World News": ("listed@reader.example",)},
            self_service=True,
        )
        service = Service(Path("feeds.opml"), db, config, clock=lambda: NOW)
        try:
            assert [o.status for o in asyncio.run(service.digest_job().run_due())] == ["sent"]
        finally:
            service.close()
        sent = {
            m.rcpt_tos[0]: message_from_bytes(m.content, policy=policy.default)["Message-ID"]
            for m in sink.messages
        }
        assert set(sent) == {"listed@reader.example", GONE}
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        for when in (today_at(7, yesterday), today_at(7)):
            box.add(when, dsn(GONE, message_id=sent[GONE]))
        box.add(today_at(7), dsn("listed@reader.example", message_id=sent["listed@reader.example"]))
        capsys.readouterr()
        assert main(["subscribers", "--read-bounces", "--db", str(db)]) == 0
        out = capsys.readouterr().out
    assert f"  {GONE}: unsubscribed from Sport, World News" in out
    assert "  listed@reader.example: bounced on 1 day; listed in [digest.recipients]" in out
    assert _subscribed(db) == {("Sport", "fine@reader.example")}


def test_a_bounce_quoting_an_id_with_bytes_not_ascii_in_its_tag_stops_no_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Message-ID whose tag is 16 bytes outside ASCII (read as 16 replacement characters)
    had raised TypeError in `hmac.compare_digest`: the read failed before it was marked done,
    so every later pass met the same message and failed too, and no bounce counted again."""
    hostile = sent_id(GONE).encode()
    hostile = hostile[: hostile.index(b"@") - 16] + b"\xe9" * 16 + hostile[hostile.index(b"@") :]
    assert not vouches(KEY, failures(dsn(GONE, message_id="<x@y>").replace(
        b"<x@y>", hostile)).message_ids, GONE)  # fmt: skip
    box = Mailbox()
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    box.add(today_at(7, yesterday), dsn(GONE, message_id="<x@y>").replace(b"<x@y>", hostile))
    box.add(today_at(8, yesterday), dsn(GONE))
    with reading(tmp_path, monkeypatch, box) as db:
        capsys.readouterr()
        assert main(["subscribers", "--read-bounces", "--db", str(db)]) == 0
        out = capsys.readouterr().out
    assert out.startswith("2 new messages, 2 bounces; 1 address failed for good")
    assert f"  {GONE}: bounced on 1 day" in out


def _nested(raw: bytes, depth: int) -> bytes:
    """`raw`'s report inside `depth` multipart/mixed parts, each in the one before."""
    report = raw[raw.index(b"Content-Type: multipart/report") :]
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="n%d"\r\n\r\n--n%d\r\n' % (i, i)
        for i in range(depth)
    )
    closing = b"".join(b"\r\n--n%d--\r\n" % i for i in reversed(range(depth)))
    head = b"From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\n"
    return head + opening + report + closing


def test_a_bounce_nested_too_deep_to_parse_is_no_verdict_and_stops_no_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A message of a thousand multiparts, each in the one before (70 KB), had raised
    RecursionError in the email parser, outside the guard around the detectors: the read
    stopped before it was marked done, and every later read met it again."""
    assert failures(_nested(dsn(GONE), 20)).permanent == {GONE}  # (nesting is read)
    assert failures(_nested(dsn(GONE), 1000)) == Failures()  # (no verdict)
    box = Mailbox()
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    box.add(today_at(7, yesterday), _nested(dsn(GONE), 1000))
    box.add(today_at(8, yesterday), dsn(GONE))
    with reading(tmp_path, monkeypatch, box) as db:
        capsys.readouterr()
        assert main(["subscribers", "--read-bounces", "--db", str(db)]) == 0
        out = capsys.readouterr().out
    assert out.startswith("2 new messages, 2 bounces; 1 address failed for good")
    assert f"  {GONE}: bounced on 1 day" in out


def _many(recipients: int, ids: int) -> bytes:
    """A report naming `recipients` addresses that quotes `ids` Message-IDs shaped as the
    digest's, none of them signed."""
    named = "".join(
        f"Final-Recipient: rfc822; r{i}@reader.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        for i in range(recipients)
    )
    quoted = "".join(f"<{i:08d}.world.0a1b2c3d4e5f.0123456789abcdef@x>\r\n" for i in range(ids))
    return (
        "From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        f"{named}--B\r\nContent-Type: text/rfc822-headers\r\n\r\n{quoted}\r\n--B--\r\n"
    ).encode()


def test_a_bounce_quoting_thousands_of_ids_for_many_addresses_is_checked_in_bounded_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each address a bounce names was checked against every Message-ID it quotes, on the
    service's event loop: one bounce of 2 MiB (the most fetched) naming 8,000 addresses and
    quoting 30,000 ids was an hour of HMACs, with the site's pages and polls waiting. A
    bounce's first `MAX_QUOTED_IDS` ids are checked (a real one quotes a few, the message's
    own among its returned headers), in a worker thread."""
    assert len(failures(_many(2, 5000)).message_ids) == MAX_QUOTED_IDS
    made: list[bool] = []
    real_tag = mail_tags._tag

    def counted_tag(key: bytes, local: str, address: str) -> str:
        made.append(threading.current_thread() is threading.main_thread())
        return real_tag(key, local, address)

    box = Mailbox()
    box.add(today_at(7), _many(40, 5000))
    box.add(today_at(7), dsn(GONE, message_id=f"<{'x' * 40}@y> <a@b> {sent_id(GONE)}"))
    monkeypatch.setattr(mail_tags, "_tag", counted_tag)
    with reading(tmp_path, monkeypatch, box) as db:
        capsys.readouterr()
        assert main(["subscribers", "--read-bounces", "--db", str(db)]) == 0
        out = capsys.readouterr().out
    assert f"  {GONE}: bounced on 1 day" in out  # (its copy's id, after others, still read)
    assert 0 < len(made) <= 41 * MAX_QUOTED_IDS and not any(made)


def test_bounces_quoting_the_lists_message_end_no_sign_ups_of_a_listed_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The list's message is signed for no address: anyone who has it (each listed
    recipient, whoever they forwarded it to) can quote it in a bounce naming any listed
    address. Two such, on two days, had also ended that address's sign-ups on the site; they
    now only name it to the operator, as the design says. Its own copy's bounces still end
    them (`test_an_address_both_listed_and_signed_up_is_reported_as_both`)."""
    box = Mailbox()
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    for when in (today_at(7, yesterday), today_at(7)):
        box.add(when, dsn("listed@reader.example", message_id=sent_id("")))
    with reading(tmp_path, monkeypatch, box) as db:
        store = Store(db)
        Subscribers(store).confirm("Sport", "listed@reader.example", datetime.now(UTC))
        store.close()
        capsys.readouterr()
        assert main(["subscribers", "--read-bounces", "--db", str(db)]) == 0
        out = capsys.readouterr().out
    assert ("Sport", "listed@reader.example") in _subscribed(db)
    assert ("  listed@reader.example: listed in [digest.recipients]: take it out; 550 5.1.1") in out
