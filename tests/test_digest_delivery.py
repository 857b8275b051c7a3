"""A digest that does not reach everyone at once: a send broken off midway, readers the mail
server defers, a crash before the outcome is recorded. Each later attempt goes only to those
who did not get the day's digest; nobody gets it twice. And readers who signed up on the
site whose address the server refuses, digest after digest, are unsubscribed."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from digest_fixture import NOW, Sink, add_story, settings, smtp_sink
from test_digest_job import Clock, populate, service
from upstream import free_port

from aggregator import digest_job
from aggregator.cli import main
from aggregator.config import Settings
from aggregator.digest_job import digest_command
from aggregator.digest_store import DigestBooks
from aggregator.service import Service
from aggregator.signup_store import Subscribers
from aggregator.store import Store

READERS = tuple(f"reader{n}@example.com" for n in range(5))


def _run(db: Path, category: str = "World News") -> dict[str, Any]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM digest_runs WHERE category = ?", [category]).fetchone()
        left = conn.execute("SELECT COUNT(*) FROM digest_deliveries").fetchone()[0]
    return {**dict(row), "deliveries": left}


def _received(sink: Sink) -> list[str]:
    return [address for message in sink.messages for address in message.rcpt_tos]


def test_a_send_broken_off_midway_goes_on_with_only_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(digest_job, "RECIPIENTS_PER_MESSAGE", 1)
    monkeypatch.setattr(digest_job, "MESSAGES_PER_CONNECTION", 2)
    db = tmp_path / "news.db"
    populate(db)
    port = free_port()
    clock = Clock(NOW)
    # the 4th transaction (2nd connection, 2nd message) ends the connection: reader0-2 have it
    sink = Sink(fail_data={4})
    with smtp_sink(sink, port):
        svc = service(db, settings(smtp_port=port, recipients={"World News": READERS}), clock)
        first = asyncio.run(svc.digest_job().run_due())[0]
        assert first.status == "failed" and "421" in (first.error or "")
        assert _received(sink) == list(READERS[:3])
        clock.now = NOW + timedelta(minutes=5)
        again = asyncio.run(svc.digest_job().run_due())[0]
        svc.close()
    assert again.status == "sent"
    assert _received(sink) == list(READERS)  # each once
    run = _run(db)
    assert run["status"] == "sent" and run["recipients"] == 5 and run["attempts"] == 2
    assert run["deliveries"] == 0  # (settled: a later `--send-now` goes to everyone)


def test_readers_the_server_defers_get_it_on_the_next_attempt_alone(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    populate(db)
    port = free_port()
    clock = Clock(NOW)
    sink = Sink(busy={"bob@example.net": 1})
    with smtp_sink(sink, port):
        svc = service(db, settings(smtp_port=port), clock)
        first = asyncio.run(svc.digest_job().run_due())[0]
        health = svc.store.reader().digest_health()["digests"]["World News"]
        clock.now = NOW + timedelta(minutes=5)
        again = asyncio.run(svc.digest_job().run_due())[0]
        svc.close()
    assert first.status == "failed"
    assert "deferred: bob@example.net: 450 4.2.1 Mailbox busy" in (first.error or "")
    assert health["status"] == "failed" and health["next_attempt_at"] is not None
    assert again.status == "sent" and again.error is None
    assert [m.rcpt_tos for m in sink.messages] == [["alice@example.com"], ["bob@example.net"]]
    assert _run(db)["recipients"] == 2


def test_a_reader_deferred_to_the_last_attempt_does_not_hold_back_the_day(
    tmp_path: Path,
) -> None:
    db = tmp_path / "news.db"
    populate(db)
    port = free_port()
    clock = Clock(NOW)
    sink = Sink(busy={"bob@example.net": 99})
    with smtp_sink(sink, port):
        svc = service(db, settings(smtp_port=port, max_attempts=2), clock)
        asyncio.run(svc.digest_job().run_due())
        clock.now = NOW + timedelta(minutes=5)
        last = asyncio.run(svc.digest_job().run_due())[0]
        clock.now = NOW + timedelta(hours=3)
        assert asyncio.run(svc.digest_job().run_due()) == []  # the day is done
        svc.close()
    assert last.status == "sent"
    assert "gave up on the others: deferred: bob@example.net: 450" in (last.error or "")
    assert _received(sink) == ["alice@example.com"]
    run = _run(db)
    assert run["status"] == "sent" and run["recipients"] == 1 and run["stories"] == 3


def test_a_crash_before_the_outcome_is_recorded_sends_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "news.db"
    populate(db)
    port = free_port()
    clock = Clock(NOW)
    sink = Sink()
    recorded = DigestBooks.sent

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the process died here")

    with smtp_sink(sink, port):
        svc = service(db, settings(smtp_port=port), clock)
        monkeypatch.setattr(DigestBooks, "sent", crash)
        with pytest.raises(RuntimeError):
            asyncio.run(svc.digest_job().run_due())
        svc.close()
        monkeypatch.setattr(DigestBooks, "sent", recorded)
        assert _run(db)["status"] == "sending"
        clock.now = NOW + timedelta(minutes=5)  # (a restart, after the backoff)
        svc = service(db, settings(smtp_port=port), clock)
        again = asyncio.run(svc.digest_job().run_due())[0]
        svc.close()
    assert again.status == "sent"
    assert _received(sink) == ["alice@example.com", "bob@example.net"]  # one message, once
    assert _run(db)["recipients"] == 2


def _self_service(port: int) -> Settings:
    return settings(
        smtp_port=port, recipients={"World News": ("alice@example.com",)}, self_service=True
    )


def test_a_reader_whose_address_is_refused_on_three_digests_in_a_row_is_unsubscribed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "news.db"
    store = Store(db)
    books = Subscribers(store)
    for address in ("ann@example.org", "gone@example.org"):
        books.confirm("World News", address, NOW)
    store.close()
    port = free_port()
    sink = Sink(unknown={"gone@example.org", "ann@example.org"})

    def day(n: int) -> Any:
        now = NOW + timedelta(days=n)
        store = Store(db)
        add_story(store, f"s{n}", f"Story of day {n}", at=now - timedelta(hours=1))
        store.close()
        svc = Service(Path("feeds.opml"), db, _self_service(port), clock=Clock(now))
        try:
            return asyncio.run(svc.digest_job().run_due())[0]
        finally:
            svc.close()

    caplog.set_level(logging.WARNING, logger="aggregator.digest")
    with smtp_sink(sink, port):
        first = day(0)
        sink.unknown.discard("ann@example.org")  # (her mailbox was full for a day)
        day(1)
        assert main(["subscribers", "--db", str(db)]) == 0
        listed = capsys.readouterr().out
        third = day(2)
    assert first.status == "sent" and "gone@example.org: 550 5.1.1" in (first.error or "")
    assert "gone@example.org  (refused 2× in a row: 550 5.1.1 No such user)" in listed
    assert "ann@example.org\n" in listed  # taken again: her count starts over
    assert third.status == "sent"
    with sqlite3.connect(db) as conn:
        left = conn.execute("SELECT address, refusals FROM digest_subscribers").fetchall()
    assert left == [("ann@example.org", 0)]
    assert "unsubscribed gone@example.org" in caplog.text
    assert "refused it on 3 digests in a row (last: 550 5.1.1 No such user)" in caplog.text
    assert _received(sink).count("ann@example.org") == 2
    assert _received(sink).count("alice@example.com") == 3


def test_a_readers_copy_refused_at_data_is_their_refusal_and_the_others_get_theirs(
    tmp_path: Path,
) -> None:
    """ "552 mailbox full" at DATA for one reader's copy had ended the connection: every
    reader after them went without, and the day was given up after its attempts."""
    db = tmp_path / "news.db"
    store = Store(db)
    books = Subscribers(store)
    readers = ("ann@example.org", "full@example.org", "cy@example.org", "di@example.org")
    for address in readers:
        books.confirm("World News", address, NOW)
    add_story(store, "s0", "Story of the day", at=NOW - timedelta(hours=1))
    store.close()
    port = free_port()
    sink = Sink(full={"full@example.org"})
    with smtp_sink(sink, port):
        svc = Service(Path("feeds.opml"), db, _self_service(port), clock=Clock(NOW))
        try:
            run = asyncio.run(svc.digest_job().run_due())[0]
        finally:
            svc.close()
    got = _received(sink)
    assert run.status == "sent" and "full@example.org: 552 5.2.2 Mailbox full" in (run.error or "")
    assert all(got.count(address) == 1 for address in ("ann@example.org", "cy@example.org"))
    assert "di@example.org" in got and "full@example.org" not in got
    with sqlite3.connect(db) as conn:
        counted = dict(conn.execute("SELECT address, refusals FROM digest_subscribers"))
    assert counted["full@example.org"] == 1 and counted["cy@example.org"] == 0


def _deferred_reader(
    db: Path, tries: int, attempts: int, *, between: bool = False
) -> tuple[list[Any], Sink]:
    """Four readers signed up; the server defers the second one's copy at DATA for `tries`
    tries; the service makes `attempts` attempts (5, 10, … minutes apart), then a check
    hours later (`between`: a story comes in between the first two attempts)."""
    store = Store(db)
    books = Subscribers(store)
    for address in ("ann@example.org", "ben@example.org", "cy@example.org", "di@example.org"):
        books.confirm("World News", address, NOW)
    add_story(store, "s0", "Story of the day", at=NOW - timedelta(hours=1))
    store.close()
    port = free_port()
    sink = Sink(slow={"ben@example.org": tries})
    outcomes: list[Any] = []
    with smtp_sink(sink, port):
        config = dataclasses.replace(
            _self_service(port),
            digest=dataclasses.replace(_self_service(port).digest, max_attempts=attempts),
        )
        for at in [sum(5 * 2**n for n in range(k)) for k in range(attempts)] + [180]:
            if between and at == 5:
                store = Store(db)
                add_story(store, "s9", "News between", at=NOW + timedelta(minutes=2))
                store.close()
            svc = Service(Path("feeds.opml"), db, config, clock=Clock(NOW + timedelta(minutes=at)))
            try:
                outcomes += asyncio.run(svc.digest_job().run_due())
            finally:
                svc.close()
    return outcomes, sink


def test_a_readers_copy_deferred_at_data_does_not_hold_back_the_readers_after_them(
    tmp_path: Path,
) -> None:
    """ "451 try again later" at the end of DATA for one reader's copy had ended the
    connection: the readers after them waited for the retry, and when that reader was
    deferred on every attempt, they went without the day's digest."""
    outcomes, sink = _deferred_reader(tmp_path / "news.db", tries=99, attempts=3)
    first, *_, last = outcomes
    assert [o.status for o in outcomes] == ["failed", "failed", "sent"]  # then nothing
    assert "deferred: ben@example.org: 451 4.7.1" in (first.error or "")
    got = _received(sink)
    assert got[:4] == ["alice@example.com", "ann@example.org", "cy@example.org", "di@example.org"]
    assert len(got) == 4 and sink.datas == 4 + 3  # (only the deferred copy is tried again)
    assert "gave up on the others: deferred: ben@example.org: 451" in (last.error or "")
    run = _run(tmp_path / "news.db")
    assert run["status"] == "sent" and run["recipients"] == 4 and run["attempts"] == 3


def test_a_reader_deferred_at_data_once_gets_the_digest_on_the_next_attempt_alone(
    tmp_path: Path,
) -> None:
    outcomes, sink = _deferred_reader(tmp_path / "news.db", tries=1, attempts=3)
    assert [o.status for o in outcomes] == ["failed", "sent"]
    got = _received(sink)
    assert got[-1] == "ben@example.org" and sorted(got) == sorted(set(got))  # each once
    assert len(got) == 5 and _run(tmp_path / "news.db")["recipients"] == 5


def test_a_reader_listed_by_name_in_the_settings_and_signed_up_gets_one_copy(
    tmp_path: Path,
) -> None:
    """Listed as "Bob <bob@example.net>" and signed up as bob@example.net, he had got the
    list's message and a copy of his own."""
    db = tmp_path / "news.db"
    store = Store(db)
    Subscribers(store).confirm("World News", "bob@example.net", NOW)
    add_story(store, "s0", "Story of the day", at=NOW - timedelta(hours=1))
    store.close()
    port = free_port()
    sink = Sink()
    listed = settings(
        smtp_port=port,
        recipients={"World News": ("alice@example.com", "Bob <bob@example.net>")},
        self_service=True,
    )
    with smtp_sink(sink, port):
        svc = Service(Path("feeds.opml"), db, listed, clock=Clock(NOW))
        try:
            run = asyncio.run(svc.digest_job().run_due())[0]
        finally:
            svc.close()
    assert run.status == "sent" and _received(sink).count("bob@example.net") == 1


def _stories_in(sink: Sink) -> list[tuple[str, list[str]]]:
    """Each message's recipient and the story headlines its text part lists."""
    out = []
    for envelope in sink.messages:
        msg = message_from_bytes(envelope.content, policy=policy.default)
        text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        heads = [line.partition(". ")[2] for line in text.splitlines() if line[:1].isdigit()]
        out += [(address, heads) for address in envelope.rcpt_tos]
    return out


def test_a_later_attempt_carries_the_stories_of_the_first_and_news_since_goes_next_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A send broken off after some readers had the day's digest went on, minutes or hours
    later, with the news come in meanwhile, and recorded it all as sent: the readers who had
    the first attempt's message never got the newer stories."""
    monkeypatch.setattr(digest_job, "RECIPIENTS_PER_MESSAGE", 1)
    monkeypatch.setattr(digest_job, "MESSAGES_PER_CONNECTION", 2)
    db = tmp_path / "news.db"
    populate(db)
    port = free_port()
    clock = Clock(NOW)
    sink = Sink(fail_data={4})
    with smtp_sink(sink, port):
        svc = service(db, settings(smtp_port=port, recipients={"World News": READERS}), clock)
        try:
            asyncio.run(svc.digest_job().run_due())
            clock.now = NOW + timedelta(minutes=5)
            add_story(svc.store, "s7", "News come in between", at=clock.now - timedelta(minutes=1))
            again = asyncio.run(svc.digest_job().run_due())[0]
            first_day = _stories_in(sink)
            clock.now = NOW + timedelta(days=1)
            next_day = asyncio.run(svc.digest_job().run_due())[0]
        finally:
            svc.close()
    assert again.status == "sent" and next_day.status == "sent"
    assert [address for address, _ in first_day] == list(READERS)
    carried = {tuple(heads) for _, heads in first_day}
    assert len(carried) == 1  # everyone had the same day's digest
    assert "News come in between" not in next(iter(carried))
    assert _stories_in(sink)[len(READERS) :] == [
        (address, ["News come in between"]) for address in READERS
    ]
    with sqlite3.connect(db) as conn:  # (settled days keep no stories of their own)
        assert conn.execute("SELECT COUNT(carried) FROM digest_runs").fetchone()[0] == 0


def test_readers_of_a_transaction_the_server_closed_at_rcpt_get_it_on_the_next_attempt(
    tmp_path: Path,
) -> None:
    """A 421 at RCPT TO closes the connection before DATA: the readers of that transaction
    whose RCPT it had taken (or never asked about) had been counted as having the day's
    digest, and no later attempt went to them."""
    db = tmp_path / "news.db"
    populate(db)
    port = free_port()
    clock = Clock(NOW)
    sink = Sink(closing={READERS[2]: 1})
    with smtp_sink(sink, port):
        svc = service(db, settings(smtp_port=port, recipients={"World News": READERS}), clock)
        try:
            first = asyncio.run(svc.digest_job().run_due())[0]
            assert _received(sink) == []
            clock.now = NOW + timedelta(minutes=5)
            again = asyncio.run(svc.digest_job().run_due())[0]
        finally:
            svc.close()
    assert first.status == "failed" and "421" in (first.error or "")
    assert again.status == "sent"
    assert sorted(_received(sink)) == sorted(READERS)  # each once
    assert _run(db)["recipients"] == len(READERS)


def test_a_later_attempt_carries_the_stories_of_the_first_its_window_has_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later attempt read the stories anew from its own window, minutes to hours on: the
    news a broken-off send left for the next day (before the last send, and a day old then)
    had fallen out of it, and the readers that day's first attempt did not reach never got
    it, though the others had."""
    monkeypatch.setattr(digest_job, "RECIPIENTS_PER_MESSAGE", 1)
    monkeypatch.setattr(digest_job, "MESSAGES_PER_CONNECTION", 2)
    db = tmp_path / "news.db"
    populate(db)
    port = free_port()
    clock = Clock(NOW)
    sink = Sink(fail_data={4, 10})  # each day's first attempt breaks off after three readers
    with smtp_sink(sink, port):
        svc = service(db, settings(smtp_port=port, recipients={"World News": READERS}), clock)
        try:
            asyncio.run(svc.digest_job().run_due())
            clock.now = NOW + timedelta(minutes=5)
            add_story(svc.store, "s7", "News come in between", at=clock.now - timedelta(minutes=1))
            asyncio.run(svc.digest_job().run_due())
            day_one = len(sink.messages)
            clock.now = NOW + timedelta(days=1)
            first = asyncio.run(svc.digest_job().run_due())[0]
            clock.now = NOW + timedelta(days=1, minutes=5)
            again = asyncio.run(svc.digest_job().run_due())[0]
        finally:
            svc.close()
    assert first.status == "failed" and again.status == "sent"
    assert _stories_in(sink)[day_one:] == [
        (address, ["News come in between"]) for address in READERS
    ]


def test_news_left_for_the_next_day_by_a_later_attempt_goes_in_it_when_that_is_late(
    tmp_path: Path,
) -> None:
    """A day's later attempt carries the first's stories and leaves the news come in since
    for the next day, whose window began at the day's last send (the later attempt's) when
    that is within `window`: a next day's send late by more than the gap (the service back
    five minutes after the digest's time) read from past that news, and nobody got it."""
    outcomes, sink = _deferred_reader(tmp_path / "news.db", tries=1, attempts=3, between=True)
    assert [o.status for o in outcomes] == ["failed", "sent"]
    db = tmp_path / "news.db"
    port = free_port()
    with smtp_sink(sink, port):
        late = NOW + timedelta(days=1, minutes=10)
        svc = Service(Path("feeds.opml"), db, _self_service(port), clock=Clock(late))
        try:
            (next_day,) = asyncio.run(svc.digest_job().run_due())
        finally:
            svc.close()
    assert next_day.status == "sent"
    assert {address for address, heads in _stories_in(sink)[5:] if heads == ["News between"]} == {
        "alice@example.com", "ann@example.org", "ben@example.org", "cy@example.org",
        "di@example.org",
    }  # fmt: skip


def test_the_preview_of_a_day_some_readers_have_lists_what_a_later_attempt_sends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest --category` read the stories anew from its window while the day's digest had
    reached some readers and a later attempt was due: it listed the news come in since, which
    that attempt leaves for the next day, and not the stories it carries to the others."""
    monkeypatch.setattr(digest_job, "RECIPIENTS_PER_MESSAGE", 1)
    monkeypatch.setattr(digest_job, "MESSAGES_PER_CONNECTION", 2)
    db = tmp_path / "news.db"
    populate(db)
    port = free_port()
    clock = Clock(NOW)
    sink = Sink(fail_data={4})
    with smtp_sink(sink, port):
        svc = service(db, settings(smtp_port=port, recipients={"World News": READERS}), clock)
        try:
            asyncio.run(svc.digest_job().run_due())
            capsys.readouterr()
            clock.now = NOW + timedelta(minutes=5)
            add_story(svc.store, "s7", "News come in between", at=clock.now - timedelta(minutes=1))
            job = svc.digest_job()
            status = asyncio.run(digest_command(job, "World News", send_now=False, dry_run=False))
            said = capsys.readouterr().out
            assert len(sink.messages) == 3  # (a preview sends nothing)
            again = asyncio.run(job.run_due())[0]
        finally:
            svc.close()
    assert status == 0 and again.status == "sent"
    listed = [line.strip() for line in said.splitlines() if line.startswith("  ")]
    assert (
        listed == _stories_in(sink)[-1][1] == ["Story number 2", "Story number 1", "Story number 0"]
    )
    assert "News come in between" not in said
    assert "reached 3 readers" in said
    assert "next attempt at today's: 2026-03-10 08:05 CET" in said


def test_a_day_whose_stories_all_left_before_its_later_attempt_is_sent_to_those_who_have_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A day's digest reached three readers; before the later attempt every story it carried
    was merged into another (or withheld, or pruned). That attempt recorded the day "empty",
    as if nobody had it, and the digest's last send stayed at the day before."""
    monkeypatch.setattr(digest_job, "RECIPIENTS_PER_MESSAGE", 1)
    monkeypatch.setattr(digest_job, "MESSAGES_PER_CONNECTION", 2)
    db = tmp_path / "news.db"
    populate(db)
    port = free_port()
    clock = Clock(NOW)
    sink = Sink(fail_data={4})
    with smtp_sink(sink, port):
        svc = service(db, settings(smtp_port=port, recipients={"World News": READERS}), clock)
        try:
            asyncio.run(svc.digest_job().run_due())
            clock.now = NOW + timedelta(minutes=5)
            add_story(svc.store, "s7", "News come in between", at=clock.now - timedelta(minutes=1))
            with svc.store.transaction():
                svc.store.db.execute("UPDATE stories SET merged_into = 's7' WHERE id != 's7'")
            job = svc.digest_job()
            capsys.readouterr()
            asyncio.run(digest_command(job, "World News", send_now=False, dry_run=False))
            said = capsys.readouterr().out
            again = asyncio.run(job.run_due())[0]
            last = job.books.last_sent("World News")
        finally:
            svc.close()
    assert "nothing to send" not in said and "reached 3 readers" in said
    assert len(sink.messages) == 3  # (the others get nothing for the day)
    assert again.status == "sent" and "reached 3 readers" in (again.error or "")
    run = _run(db)
    assert (run["status"], run["recipients"], run["stories"], run["deliveries"]) == (
        "sent", 3, 3, 0,
    )  # fmt: skip
    assert last == NOW  # (the next day's window begins where the day's stories were chosen)
    with sqlite3.connect(db) as conn:  # (the three readers are not sent them again)
        sent = conn.execute("SELECT story_id FROM digest_stories ORDER BY story_id").fetchall()
    assert sent == [("s0",), ("s1",), ("s2",)]
