"""Helpers for the digest tests: stories in a store, digest settings, a loopback SMTP sink.

The sink is aiosmtpd on 127.0.0.1; TLS certificates come from `trustme`, made at test time.
"""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from aggregator.config import Settings
from aggregator.digest import DigestSettings
from aggregator.models import Bullet, Item, SourceRef, Summary
from aggregator.publish import PublishSettings
from aggregator.store import Store

NOW = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)  # 08:00 in Europe/Berlin (CET)
BASE = "https://news.example.org/"


def digest_settings(**changes: Any) -> DigestSettings:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": 2525,
        "security": "none",
        "from_address": "News Digest <digest@news.example.org>",
        "recipients": {"World News": ("alice@example.com", "bob@example.net")},
        "send_at": "08:00",
        "timezone": "Europe/Berlin",
        "retry_initial": timedelta(minutes=5),
    }
    values.update(changes)
    return DigestSettings(**values)


def settings(**changes: Any) -> Settings:
    return dataclasses.replace(
        Settings(),
        publish=PublishSettings(base_url=BASE, site_title="Example News"),
        digest=digest_settings(**changes),
    )


def add_story(
    store: Store,
    story_id: str,
    headline: str,
    *,
    outlets: int = 2,
    at: datetime = NOW - timedelta(hours=2),
    category: str = "World News",
    fingerprint: str | None = None,
) -> None:
    """A published story with `outlets` sources, last changed `at` (a new fingerprint bumps it)."""
    item = Item(
        id=f"{story_id}-i",
        title=headline,
        feed_url=f"https://{story_id}.example/feed",
        guid=story_id,
        published=at,
        first_seen=at,
        category=category,
    )
    with store.transaction():
        if not list(store.db.query("SELECT id FROM items WHERE id = ?", [item.id])):
            store.db["items"].insert(
                {"id": item.id, "feed_url": item.feed_url, "guid": item.guid}, pk="id"
            )
        store.assign(item, story_id, None, at)
    sources = tuple(
        SourceRef(f"Outlet {n}", f"{headline} ({n})", f"https://outlet{n}.example/{story_id}")
        for n in range(outlets)
    )
    summary = Summary(
        headline=headline,
        bullets=(
            Bullet(f"{headline}: the first fact.", (0,)),
            Bullet(f"{headline}: the second fact.", tuple(range(min(outlets, 2)))),
        ),
        sources=sources,
        outlet_count=outlets,
    )
    store.save_summary(story_id, summary, fingerprint or headline, [(category, 1.0)], at)


@dataclass
class Sink:
    """An SMTP handler keeping what it accepts; `refuse` answers the next DATA with 451."""

    messages: list[Any] = field(default_factory=list)
    refuse: int = 0
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)
    tls_used: list[bool] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)  # addresses RCPT TO refuses
    peers: list[Any] = field(default_factory=list)  # each message's client (its connection)
    busy: dict[str, int] = field(default_factory=dict)  # address → RCPT TOs answered 450 first
    fail_data: set[int] = field(default_factory=set)  # which DATAs (1, 2, …) are answered 421
    full: set[str] = field(default_factory=set)  # addresses whose copy DATA answers 552
    closing: dict[str, int] = field(default_factory=dict)  # address → RCPT TOs answered 421 first
    slow: dict[str, int] = field(default_factory=dict)  # address → its DATAs answered 451 first
    datas: int = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.unknown:
            return "550 5.1.1 No such user"
        if self.closing.get(address, 0) > 0:
            self.closing[address] -= 1
            return "421 4.7.0 Too many connections, closing"
        if self.busy.get(address, 0) > 0:
            self.busy[address] -= 1
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.datas += 1
        if self.full.intersection(envelope.rcpt_tos):
            return "552 5.2.2 Mailbox full"
        for address in envelope.rcpt_tos:
            if self.slow.get(address, 0) > 0:
                self.slow[address] -= 1
                return "451 4.7.1 Please try again later"
        if self.datas in self.fail_data:  # (the server closes the connection)
            return "421 4.3.0 Service shutting down"
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        wrapped = server.transport.get_extra_info("ssl_object") is not None
        self.tls_used.append(wrapped or session.ssl is not None)
        self.messages.append(envelope)
        self.peers.append(session.peer)
        return "250 2.0.0 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            self.logins.append((auth_data.login, auth_data.password))
            ok = auth_data.password == b"s3cret"
            return AuthResult(success=ok, handled=False)
        return AuthResult(success=False, handled=False)


@dataclass
class Certificates:
    ca_file: Path
    server: ssl.SSLContext


def certificates(tmp_path: Path) -> Certificates:
    """A throwaway CA and a server certificate for 127.0.0.1, made now."""
    ca = trustme.CA()
    ca_file = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return Certificates(ca_file, context)


@contextmanager
def smtp_sink(sink: Sink, port: int, **kwargs: Any) -> Iterator[Controller]:
    """Run `sink` on 127.0.0.1:`port` (kwargs go to aiosmtpd: tls_context, ssl_context …)."""
    controller = Controller(
        sink, hostname="127.0.0.1", port=port, authenticator=sink.authenticate, **kwargs
    )
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()
