"""The digest job against a loopback SMTP sink: once a day, no repeats, retries, TLS, the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import smtplib
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from digest_fixture import (
    NOW,
    Sink,
    add_story,
    certificates,
    settings,
    smtp_sink,
)
from upstream import free_port

from aggregator import digest_job
from aggregator.config import Settings
from aggregator.models import Source
from aggregator.service import Service
from aggregator.store import Store, to_iso


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def populate(db: Path, count: int = 3) -> None:
    store = Store(db)
    for n in range(count):
        add_story(store, f"s{n}", f"Story number {n}", outlets=n + 1)
    store.close()


def service(db: Path, config: Settings, clock: Clock, password: str | None = None) -> Service:
    return Service(Path("feeds.opml"), db, config, clock=clock, smtp_password=password)


def received(sink: Sink, n: int = -1) -> Any:
    return message_from_bytes(sink.messages[n].content, policy=policy.default)


async def run_due(svc: Service) -> list[Any]:
    return await svc.digest_job().run_due()


def test_one_send_per_day_across_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    populate(db)
    port = free_port()
    config = settings(smtp_port=port)
    clock = Clock(NOW)
    sink = Sink()
    with smtp_sink(sink, port):
        first = service(db, config, clock)
        assert [o.status for o in asyncio.run(run_due(first))] == ["sent"]
        assert asyncio.run(run_due(first)) == []
        first.close()
        for later in (timedelta(minutes=1), timedelta(hours=5)):
            clock.now = NOW + later
            again = service(db, config, clock)  # a restart
            assert asyncio.run(run_due(again)) == []
            again.close()
    assert len(sink.messages) == 1
    envelope = sink.messages[0]
    assert envelope.mail_from == "digest@news.example.org"
    assert envelope.rcpt_tos == ["alice@example.com", "bob@example.net"]
    msg = received(sink)
    assert msg["Subject"] == "World News: Story number 2 and 2 more — March 10, 2026"
    assert msg.get_body(("plain",)) is not None and msg.get_body(("html",)) is not None


@contextlib.contextmanager
def day_one_sent(tmp_path: Path) -> Iterator[tuple[Service, Clock, Sink]]:
    """A service over three stories whose first day's digest went out (to `Sink`), on a clock
    the test moves; closed at the end."""
    db = tmp_path / "news.db"
    populate(db)
    port = free_port()
    clock = Clock(NOW)
    sink = Sink()
    with smtp_sink(sink, port):
        svc = service(db, settings(smtp_port=port), clock)
        try:
            assert [o.status for o in asyncio.run(run_due(svc))] == ["sent"]
            yield svc, clock, sink
        finally:
            svc.close()


def test_stories_already_sent_are_not_repeated_unless_changed(tmp_path: Path) -> None:
    with day_one_sent(tmp_path) as (svc, clock, sink):
        # The next day: one new story, one materially changed, one unchanged.
        clock.now = NOW + timedelta(days=1)
        add_story(svc.store, "s9", "A new story", at=clock.now - timedelta(hours=1))
        add_story(
            svc.store,
            "s1",
            "Story number 1 grows",
            outlets=2,
            at=clock.now - timedelta(hours=2),
            fingerprint="changed",
        )
        assert [o.status for o in asyncio.run(run_due(svc))] == ["sent"]
        # A third day with nothing new: no email at all.
        clock.now = NOW + timedelta(days=2)
        assert [o.status for o in asyncio.run(run_due(svc))] == ["empty"]
    assert len(sink.messages) == 2
    second = received(sink).get_body(("plain",)).get_content()
    assert "A new story" in second and "Updated: Story number 1 grows" in second
    assert "Story number 0" not in second and "Story number 2" not in second


def test_a_story_dated_before_a_send_but_come_in_after_it_goes_out_the_next_day(
    tmp_path: Path,
) -> None:
    """A story is dated by its sources: one published minutes before the day's send and
    polled after it was older than the next window's start, and went out in no digest."""
    with day_one_sent(tmp_path) as (svc, clock, sink):
        late = NOW + timedelta(minutes=10)  # (polled then; its source dated it before the send)
        add_story(svc.store, "s8", "A story come in late", at=NOW - timedelta(minutes=5))
        svc.store.db.execute("UPDATE items SET first_seen = ? WHERE id = 's8-i'", [to_iso(late)])
        clock.now = NOW + timedelta(days=1)
        assert [o.status for o in asyncio.run(run_due(svc))] == ["sent"]
        clock.now = NOW + timedelta(days=2)
        assert [o.status for o in asyncio.run(run_due(svc))] == ["empty"]  # (once, not again)
    assert "A story come in late" in received(sink).get_body(("plain",)).get_content()


def test_a_refused_send_is_retried_with_backoff_and_visible(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    populate(db)
    port = free_port()
    clock = Clock(NOW)
    sink = Sink(refuse=1)
    with smtp_sink(sink, port):
        svc = service(db, settings(smtp_port=port), clock)
        outcome = asyncio.run(run_due(svc))[0]
        assert outcome.status == "failed" and "451" in (outcome.error or "")
        health = svc.store.reader().digest_health()
        assert health["digests_failing"] == 1
        assert health["digests"]["World News"]["status"] == "failed"
        assert health["digests"]["World News"]["next_attempt_at"] == "2026-03-10T07:05:00+00:00"
        clock.now = NOW + timedelta(minutes=3)
        assert asyncio.run(run_due(svc)) == []  # backing off
        clock.now = NOW + timedelta(minutes=5)
        assert [o.status for o in asyncio.run(run_due(svc))] == ["sent"]
        health = svc.store.reader().digest_health()
        assert health["digests_failing"] == 0
        assert health["digests"]["World News"]["attempts"] == 2
        svc.close()
    assert len(sink.messages) == 1


def test_unreachable_server_gives_up_after_max_attempts(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    populate(db)
    clock = Clock(NOW)
    port = free_port()
    svc = service(db, settings(smtp_port=port, max_attempts=2, timeout=2.0), clock)
    first = asyncio.run(run_due(svc))[0]
    assert first.status == "failed"  # (said in words, with what to look at)
    assert (first.error or "").endswith(
        f":{port}: connection refused; check [digest] smtp_host, smtp_port and security"
    )
    clock.now = NOW + timedelta(minutes=5)
    assert [o.status for o in asyncio.run(run_due(svc))] == ["failed"]
    clock.now = NOW + timedelta(hours=3)
    assert asyncio.run(run_due(svc)) == []  # gave up for today
    state = svc.store.reader().digest_health()["digests"]["World News"]
    assert state["status"] == "failed" and state["next_attempt_at"] is None
    svc.close()


def test_a_server_that_never_greets_is_said_to_give_no_answer(tmp_path: Path) -> None:
    """A server that takes the connection and says nothing (a TLS port asked in plain text)
    had read "SMTPServerDisconnected: Connection unexpectedly closed: timed out"."""
    db = tmp_path / "news.db"
    populate(db)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # (the system completes the connection; nobody ever answers)
        port = silent.getsockname()[1]
        svc = service(db, settings(smtp_port=port, timeout=0.5), Clock(NOW))
        (first,) = asyncio.run(run_due(svc))
        svc.close()
    assert first.status == "failed"
    assert (first.error or "").endswith(
        f":{port}: connected, then no answer in time; "
        "check [digest] smtp_host, smtp_port and security"
    )


def test_starttls_with_a_self_signed_certificate_and_login(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    populate(db)
    certs = certificates(tmp_path)
    port = free_port()
    sink = Sink()
    config = settings(
        smtp_port=port,
        security="starttls",
        ca_file=str(certs.ca_file),
        username="digest",
    )
    tls = {"tls_context": certs.server, "require_starttls": True, "auth_require_tls": True}
    with smtp_sink(sink, port, **tls):
        svc = service(db, config, Clock(NOW), password="s3cret")
        assert [o.status for o in asyncio.run(run_due(svc))] == ["sent"]
        svc.close()
        # Without the test CA the certificate is not trusted: a clear failure, nothing sent.
        untrusted = dataclasses.replace(
            config, digest=dataclasses.replace(config.digest, ca_file="")
        )
        other = service(tmp_path / "other.db", untrusted, Clock(NOW), password="s3cret")
        add_story(other.store, "x", "Another story")
        outcome = asyncio.run(run_due(other))[0]
        other.close()
    assert outcome.status == "failed" and "CERTIFICATE_VERIFY_FAILED" in (outcome.error or "")
    assert sink.logins == [(b"digest", b"s3cret")]
    assert sink.tls_used == [True]
    assert len(sink.messages) == 1


def test_implicit_tls(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    populate(db, 1)
    certs = certificates(tmp_path)
    port = free_port()
    sink = Sink()
    config = settings(smtp_port=port, security="tls", ca_file=str(certs.ca_file))
    with smtp_sink(sink, port, ssl_context=certs.server):
        svc = service(db, config, Clock(NOW))
        assert [o.status for o in asyncio.run(run_due(svc))] == ["sent"]
        svc.close()
    assert sink.tls_used == [True]


def test_the_service_sends_digests_and_serves_the_subscribe_page(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    populate(db)
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<opml version="2.0"><body><outline text="World News"><outline type="rss" text="F" '
        f'xmlUrl="http://127.0.0.1:{free_port()}/feed"/></outline></body></opml>'
    )
    smtp_port, web_port = free_port(), free_port()
    config = settings(smtp_port=smtp_port)
    config = dataclasses.replace(config, server=dataclasses.replace(config.server, tick=0.2))
    sink = Sink()

    def get(path: str) -> str:
        url = f"http://127.0.0.1:{web_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return str(resp.read().decode())
        except urllib.error.HTTPError as exc:  # /healthz: 503, its one feed is unreachable
            return str(exc.read().decode())

    async def scenario() -> tuple[str, str, str]:
        svc = Service(opml, db, config, clock=Clock(NOW))
        stop = asyncio.Event()
        task = asyncio.ensure_future(svc.run("127.0.0.1", web_port, stop))
        try:
            for _ in range(100):  # the message arrives, then its outcome is recorded
                try:
                    health = await asyncio.to_thread(get, "/healthz")
                except OSError:  # not listening yet
                    health = ""
                if sink.messages and '"status": "sent"' in health:
                    break
                await asyncio.sleep(0.1)
            pages = await asyncio.gather(
                *(asyncio.to_thread(get, p) for p in ("/world-news/subscribe/", "/", "/healthz"))
            )
        finally:
            stop.set()
            await task
            svc.close()
        return pages[0], pages[1], pages[2]

    with smtp_sink(sink, smtp_port):
        subscribe, front, health = asyncio.run(scenario())
    assert len(sink.messages) == 1
    assert "Get a daily email with more World News stories" in subscribe
    assert "digest@news.example.org" in subscribe and "08:00 (Europe/Berlin)" in subscribe
    assert "<form" not in subscribe.replace('<form class="search"', "")  # no sign-up form
    assert 'href="https://news.example.org/world-news/subscribe/"' in front
    assert '"digests_failing": 0' in health and '"status": "sent"' in health


# --- the command line -----------------------------------------------------------------------


def aggregator(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "aggregator", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def write_config(tmp_path: Path, port: int, extra: str = "") -> Path:
    path = tmp_path / "aggregator.toml"
    path.write_text(
        f"""
[publish]
base_url = "https://news.example.org/"

[digest]
smtp_host = "127.0.0.1"
smtp_port = {port}
security = "none"
from_address = "News Digest <digest@news.example.org>"
send_at = "07:00"
timezone = "Europe/London"
{extra}

[digest.recipients]
"World News" = ["alice@example.com"]
"""
    )
    return path


def test_cli_dry_run_prints_both_parts_and_sends_nothing(tmp_path: Path) -> None:
    populate(tmp_path / "aggregator.db")
    config = write_config(tmp_path, free_port())
    # The stories were made at a fixed time; widen the window so they are "today's".
    config.write_text(config.read_text().replace("timezone =", 'window = "36500d"\ntimezone ='))
    done = aggregator(
        "digest", "--category", "World News", "--dry-run", "--config", str(config), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Subject: World News: Story number 2 and 2 more — " in out
    assert "----- text/plain -----" in out and "----- text/html -----" in out
    assert "https://news.example.org/stories/s2/" in out
    listing = aggregator(
        "digest", "--category", "World News", "--config", str(config), cwd=tmp_path
    )
    assert "World News: 3 stories would go out now:" in listing.stdout
    assert "  Story number 2\n" in listing.stdout and "next scheduled send: " in listing.stdout
    config.write_text(config.read_text().replace("timezone =", "count = 1\ntimezone ="))
    one = aggregator("digest", "--category", "World News", "--config", str(config), cwd=tmp_path)
    assert "World News: 1 story would go out now:" in one.stdout, one.stderr
    unknown = aggregator(
        "digest", "--category", "Nope", "--dry-run", "--config", str(config), cwd=tmp_path
    )
    assert unknown.returncode == 2 and "no digest for category 'Nope'" in unknown.stderr


def test_cli_digest_of_a_category_with_none_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from aggregator.cli import main

    config = write_config(tmp_path, free_port())
    db = str(tmp_path / "aggregator.db")
    assert main(["digest", "--category", "Nope", "--db", db, "--config", str(config)]) == 2
    assert capsys.readouterr().err == (
        "aggregator: configuration error: no digest for category 'Nope' in [digest.recipients] "
        f'(configured: \'World News\'); list it in {config} (`"Nope" = ["reader@…"]`)\n'
    )
    assert main(["digest", "--category", "World News", "--db", db]) == 2  # (no --config)
    assert capsys.readouterr().err.endswith(
        "(configured: none); give --config the settings file that lists it\n"
    )


def test_cli_digest_of_a_renamed_category_names_the_digest_that_carries_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The OPML renamed "World News" "International", and the settings file its digest under
    the former name: asked for "International", the command names that digest ("list it"
    had led to a second digest of the same stories)."""
    from aggregator.cli import main

    config = write_config(tmp_path, free_port())
    db = tmp_path / "aggregator.db"
    store = Store(db)
    store.sync_sources([Source("https://a.example/feed", "A", "World News")], NOW)
    store.sync_sources([Source("https://a.example/feed", "A", "International")], NOW)
    store.close()
    options = ["--db", str(db), "--config", str(config)]
    assert main(["digest", "--category", "International", *options]) == 2
    assert capsys.readouterr().err == (
        "aggregator: configuration error: no digest for category 'International' in "
        "[digest.recipients] (configured: 'World News'); the one filed under 'World News' "
        "carries its stories (the OPML renamed that category 'International'): "
        "--category 'World News'\n"
    )


def test_cli_digest_of_a_category_the_settings_spell_otherwise_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The settings file the digest under "World news", the OPML spells it "World News": the
    hint had said the OPML renamed that category, though nobody renamed anything."""
    from aggregator.cli import main

    config = write_config(tmp_path, free_port())
    config.write_text(config.read_text().replace('"World News" =', '"World news" ='))
    db = tmp_path / "aggregator.db"
    store = Store(db)
    store.sync_sources([Source("https://a.example/feed", "A", "World News")], NOW)
    store.close()
    options = ["--db", str(db), "--config", str(config)]
    assert main(["digest", "--category", "World News", *options]) == 2
    err = capsys.readouterr().err
    assert "renamed" not in err
    assert err.endswith(
        "the one filed under 'World news' carries its stories (the settings spell that "
        "category 'World news', the OPML 'World News'): --category 'World news'\n"
    )


def test_cli_send_now_sends_and_records_it(tmp_path: Path) -> None:
    populate(tmp_path / "aggregator.db")
    port = free_port()
    config = write_config(tmp_path, port)
    config.write_text(config.read_text().replace("timezone =", 'window = "36500d"\ntimezone ='))
    sink = Sink()
    args = ("digest", "--category", "World News", "--send-now", "--config", str(config))
    with smtp_sink(sink, port):
        first = aggregator(*args, cwd=tmp_path)
        second = aggregator(*args, cwd=tmp_path)
    assert first.returncode == 0 and "sent 3 stories" in first.stdout, first.stderr
    assert second.returncode == 0 and "no new stories" in second.stdout
    assert len(sink.messages) == 1
    status = aggregator("status", "--config", str(config), cwd=tmp_path)
    assert "DIGEST" in status.stdout and "sent" in status.stdout


def test_missing_password_variable_is_reported_at_start(tmp_path: Path) -> None:
    (tmp_path / "feeds.opml").write_text(
        '<opml version="2.0"><body><outline text="World News"><outline type="rss" text="F" '
        'xmlUrl="http://127.0.0.1:9/feed"/></outline></body></opml>'
    )
    config = write_config(
        tmp_path, free_port(), 'username = "digest"\npassword_env = "TEST_SMTP_PASSWORD"'
    )
    env = {k: v for k, v in os.environ.items() if k != "TEST_SMTP_PASSWORD"}
    port = str(free_port())
    done = aggregator("run", "--port", port, "--config", str(config), cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert "configuration error" in done.stderr and "TEST_SMTP_PASSWORD" in done.stderr
    assert not (tmp_path / "aggregator.db").exists()


def test_digest_recipients_need_a_public_base_url(tmp_path: Path) -> None:
    (tmp_path / "feeds.opml").write_text('<opml version="2.0"><body/></opml>')
    config = write_config(tmp_path, free_port())
    config.write_text(config.read_text().replace('base_url = "https://news.example.org/"', ""))
    done = aggregator("run", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 2 and "base_url" in done.stderr


@pytest.fixture(autouse=True)
def _no_stray_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGGREGATOR_SMTP_PASSWORD", raising=False)


def test_a_send_missed_while_down_goes_out_once_when_back(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    populate(db)
    port = free_port()
    config = settings(smtp_port=port)
    sink = Sink()
    with smtp_sink(sink, port):
        for late in (timedelta(hours=2), timedelta(hours=2, minutes=30), timedelta(hours=6)):
            svc = service(db, config, Clock(NOW + late))  # started after 08:00 local
            asyncio.run(run_due(svc))
            svc.close()
    assert len(sink.messages) == 1
    assert received(sink)["Date"] == "Tue, 10 Mar 2026 10:00:00 +0100"


def test_recipients_of_a_category_missing_from_the_opml_are_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    svc = service(tmp_path / "news.db", settings(), Clock(NOW))
    svc.store.sync_sources([Source("https://a.example/feed", "A", "Science")], NOW)
    with caplog.at_level("WARNING", logger="aggregator.digest"):
        asyncio.run(svc.digest_job().warn_unknown_categories())
    svc.close()
    assert "digest='World News' has recipients but no such category" in caplog.text
    assert "known: Science" in caplog.text
    # (it had said "stays empty": the stories filed under it within the window still go)
    assert "its digest gets no new stories, only those already filed under it" in caplog.text


def test_readers_signed_up_for_a_category_missing_from_the_opml_are_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A digest the settings give no address of their own, whose readers signed up on the
    site, had not been warned of when its category left the OPML: they got nothing, and the
    log said nothing."""
    from aggregator.signup_store import Subscribers

    config = settings(recipients={"World News": (), "Sport": ()}, self_service=True)
    svc = service(tmp_path / "news.db", config, Clock(NOW))
    svc.store.sync_sources([Source("https://a.example/feed", "A", "Science")], NOW)
    Subscribers(svc.store).confirm("World News", "ann@example.org", NOW)
    with caplog.at_level("WARNING", logger="aggregator.digest"):
        asyncio.run(svc.digest_job().warn_unknown_categories())
    svc.close()
    assert "digest='World News' has recipients but no such category" in caplog.text
    assert "Sport" not in caplog.text  # (no reader, no address: nothing is lost)


def test_the_digest_of_a_category_spelled_otherwise_in_the_settings_carries_its_stories(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Recipients filed under "world news" get the OPML's "World News" (one address, one
    category), and the operator is told the OPML's spelling, not that no such category is."""
    db = tmp_path / "news.db"
    port = free_port()
    sink = Sink()
    config = settings(smtp_port=port)
    recipients = {"world news": config.digest.recipients["World News"]}
    config = dataclasses.replace(
        config, digest=dataclasses.replace(config.digest, recipients=recipients)
    )
    with smtp_sink(sink, port):
        svc = service(db, config, Clock(NOW))
        svc.store.sync_sources([Source("https://a.example/feed", "A", "World News")], NOW)
        add_story(svc.store, "s1", "Ceasefire agreed")
        with caplog.at_level("WARNING", logger="aggregator.digest"):
            asyncio.run(svc.digest_job().warn_unknown_categories())
        assert [o.status for o in asyncio.run(run_due(svc))] == ["sent"]
        svc.close()
    assert (
        "digest='world news': the OPML spells that category 'World News'; its digest carries "
        "its stories: file its recipients under that name"
    ) in caplog.text
    assert "no such category" not in caplog.text
    assert received(sink)["Subject"] == "World News: Ceasefire agreed — March 10, 2026"


def test_the_digest_of_a_category_the_opml_renamed_carries_its_new_names_stories(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Recipients filed under "World News" keep their news when the OPML renames it
    "International", as its feeds' readers do; the operator is told to file them anew."""
    db = tmp_path / "news.db"
    port = free_port()
    sink = Sink()
    with smtp_sink(sink, port):
        svc = service(db, settings(smtp_port=port), Clock(NOW))
        svc.store.sync_sources([Source("https://a.example/feed", "A", "World News")], NOW)
        svc.store.sync_sources([Source("https://a.example/feed", "A", "International")], NOW)
        add_story(svc.store, "s1", "Ceasefire agreed", category="International")
        with caplog.at_level("WARNING", logger="aggregator.digest"):
            asyncio.run(svc.digest_job().warn_unknown_categories())
        assert [o.status for o in asyncio.run(run_due(svc))] == ["sent"]
        svc.close()
    assert (
        "digest='World News': the OPML renamed that category 'International'; its digest "
        "carries 'International''s stories: file its recipients under the new name"
    ) in caplog.text
    assert "no such category" not in caplog.text
    msg = received(sink)
    assert msg["Subject"] == "International: Ceasefire agreed — March 10, 2026"
    assert "news.example.org/international/" in msg.get_body(("plain",)).get_content()


def test_a_refused_recipient_does_not_hold_back_the_others(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    populate(db)
    port = free_port()
    sink = Sink(unknown={"bob@example.net"})
    with smtp_sink(sink, port):
        svc = service(db, settings(smtp_port=port), Clock(NOW))
        outcome = asyncio.run(run_due(svc))[0]
        again = asyncio.run(run_due(svc))
        state = svc.store.reader().digest_health()["digests"]["World News"]
        svc.close()
    assert outcome.status == "sent" and again == []  # no resend to those who got it
    assert "bob@example.net: 550 5.1.1 No such user" in (outcome.error or "")
    assert [m.rcpt_tos for m in sink.messages] == [["alice@example.com"]]
    assert state["status"] == "sent" and "bob@example.net" in state["error"]


def test_every_recipient_refused_is_a_failed_send(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    populate(db)
    port = free_port()
    sink = Sink(unknown={"alice@example.com", "bob@example.net"})
    with smtp_sink(sink, port):
        svc = service(db, settings(smtp_port=port), Clock(NOW))
        outcome = asyncio.run(run_due(svc))[0]
        svc.close()
    assert outcome.status == "failed" and "every recipient refused" in (outcome.error or "")
    assert sink.messages == []


def test_the_first_check_waits_for_the_first_poll_cycle(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    populate(db)
    port = free_port()
    sink = Sink()

    async def scenario(svc: Service) -> tuple[int, int]:
        stop, polled = asyncio.Event(), asyncio.Event()
        task = asyncio.ensure_future(svc.digest_job().loop(stop, 0.05, after=polled))
        await asyncio.sleep(0.5)
        before = len(sink.messages)
        polled.set()
        for _ in range(50):
            if sink.messages:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await task
        return before, len(sink.messages)

    with smtp_sink(sink, port):
        svc = service(db, settings(smtp_port=port), Clock(NOW))
        assert asyncio.run(scenario(svc)) == (0, 1)
        svc.close()


def test_recipients_go_in_batches_over_one_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(digest_job, "RECIPIENTS_PER_MESSAGE", 2)
    db = tmp_path / "news.db"
    populate(db, 1)
    port = free_port()
    addresses = tuple(f"reader{n}@example.com" for n in range(5))
    sink = Sink(unknown={"reader2@example.com", "reader3@example.com"})  # one whole batch
    recipients = {"World News": (*addresses, "reader0@example.com")}  # a duplicate, once
    with smtp_sink(sink, port):
        svc = service(db, settings(smtp_port=port, recipients=recipients), Clock(NOW))
        outcome = asyncio.run(run_due(svc))[0]
        svc.close()
    assert outcome.status == "sent"
    assert [m.rcpt_tos for m in sink.messages] == [
        ["reader0@example.com", "reader1@example.com"],
        ["reader4@example.com"],
    ]
    assert "reader2@example.com: 550" in (outcome.error or "")


def test_no_digest_is_tried_while_the_services_network_is_down(tmp_path: Path) -> None:
    db, port, sink = tmp_path / "news.db", free_port(), Sink()
    populate(db)
    with smtp_sink(sink, port):
        svc = service(db, settings(smtp_port=port), Clock(NOW))
        svc.polls.network.down_since = NOW  # (no feed's host could be reached)
        assert asyncio.run(run_due(svc)) == []  # (not tried: no attempt spent)
        assert sink.messages == []
        svc.polls.network.answered()
        assert [o.status for o in asyncio.run(run_due(svc))] == ["sent"]
        svc.close()
    assert len(sink.messages) == 1


@pytest.mark.parametrize(
    ("reply", "said"),
    [(b"4.3.2 Try again later", "SMTP 421 4.3.2 Try again later"), ("closing", "SMTP 421 closing")],
)
def test_a_servers_error_reply_is_reported_as_bytes_or_as_text(
    monkeypatch: pytest.MonkeyPatch, reply: bytes | str, said: str
) -> None:
    class Refusing:
        def __enter__(self) -> Refusing:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def send_message(self, *args: object, **kwargs: object) -> dict[str, Any]:
            raise smtplib.SMTPResponseException(421, reply)

    monkeypatch.setattr(digest_job, "_connect", lambda *args: Refusing())
    message = EmailMessage()
    with pytest.raises(digest_job.DeliveryError) as failed:
        digest_job.send_over_one_connection([(message, ["reader@example.com"])], settings(), None)
    assert str(failed.value) == said


def test_the_digest_command_does_not_read_its_package_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A digest run from cron ends with its process and starts no worker: it stamps its
    module files, as `poll --once` does, without reading their ~2 MB (`code_source`)."""
    from aggregator import worker_main
    from aggregator.cli import main

    read: list[str] = []
    monkeypatch.setattr(worker_main, "_stamp", None)
    monkeypatch.setattr(worker_main, "_source", None)
    monkeypatch.setattr(worker_main, "package_source", lambda folder: read.append(folder) or b"")
    populate(tmp_path / "aggregator.db")
    config = write_config(tmp_path, free_port())
    monkeypatch.chdir(tmp_path)
    assert main(["digest", "--category", "World News", "--dry-run", "--config", str(config)]) == 0
    assert "World News" in capsys.readouterr().out
    assert worker_main._stamp is not None and read == []


def test_status_of_a_digest_whose_category_left_the_opml_says_what_it_still_sends(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A category taken out of the OPML that the settings still name keeps its schedule, and
    its stories stored under it that changed since its last send go out: `status` had said
    "sends nothing", with no next send, while the next tick sent them; one the settings no
    longer name sends nothing indeed."""
    from aggregator.cli_status import _print_digests

    db = tmp_path / "news.db"
    store = Store(db)
    wire, lab = (
        Source("https://a.example/feed", "A", "World News"),
        Source("https://b.example/feed", "B", "Science"),
    )
    store.sync_sources([wire, lab], NOW)
    store.close()
    populate(db)  # (three stories under World News)
    store = Store(db)
    store.sync_sources([lab], NOW)  # World News taken out of the OPML
    store.close()
    port = free_port()
    config = settings(smtp_port=port)
    _print_digests(config, {}, NOW, {}, (["Science"], {}))
    (row,) = [line for line in capsys.readouterr().out.splitlines() if "World News" in line]
    assert "(removed?)" in row and "sends nothing" not in row
    assert row.split("  ")[-1].strip() != "-"  # (a next send)
    sink = Sink()
    with smtp_sink(sink, port):
        svc = service(db, config, Clock(NOW))
        assert [(o.category, o.status) for o in asyncio.run(run_due(svc))] == [
            ("World News", "sent")
        ]
        svc.close()
    assert "Story number 2" in received(sink)["Subject"]
    unlisted = dataclasses.replace(
        config, digest=dataclasses.replace(config.digest, recipients={"Science": ("a@b.example",)})
    )
    _print_digests(unlisted, {"World News": {}}, NOW, {}, (["Science"], {}))
    (row,) = [line for line in capsys.readouterr().out.splitlines() if "World News" in line]
    assert "sends nothing" in row and row.split("  ")[-1].strip() == "-"
