"""The bounce mailbox over IMAP (`[digest] bounce_host`): its messages new since the last
read, those that may be bounces fetched whole. The only `imaplib` user. Blocking: run it in a
thread.

The folder is opened read-only, so no message is marked, moved or deleted: the mailbox may
be the one the operator reads too. What was read is remembered as the folder's UIDVALIDITY
and the highest UID seen (`MailboxMark`); a first read, or one after the server renumbered
the folder, looks at the messages of the last `FIRST_READ` days (and marks the older ones
read). Only messages whose
headers may be a bounce's (`bounces.looks_like_bounce`) and of at most
`bounces.MAX_BOUNCE_BYTES` are fetched whole, `PER_READ` at most a read.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import imaplib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from .bounces import MAX_BOUNCE_BYTES, looks_like_bounce
from .digest_settings import DigestSettings
from .tls_trust import trusting

__all__ = ["FIRST_READ", "MailboxMark", "MailboxRead", "read_new"]

FIRST_READ = timedelta(days=7)  # how far back a first read looks
PER_READ = 500  # messages looked at in one read, at most (the rest wait for the next)
_FETCHED = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class MailboxError(Exception):
    """The mailbox could not be read (no connection, a refused login, an unknown folder)."""


@dataclass(frozen=True, slots=True)
class MailboxMark:
    """How far the folder was read: its UIDVALIDITY and the highest UID seen."""

    validity: int
    last_uid: int

    def text(self) -> str:
        return f"{self.validity}:{self.last_uid}"

    @classmethod
    def read(cls, value: str | None) -> MailboxMark | None:
        try:
            validity, last = (int(part) for part in (value or "").split(":"))
        except ValueError:
            return None
        return cls(validity, last)


@dataclass
class MailboxRead:
    """What one read found: the mark to remember, how many new messages it looked at, and
    the whole bytes of those that may be bounces (with each one's day of arrival)."""

    mark: MailboxMark
    looked_at: int = 0
    bounces: list[tuple[date, bytes]] = field(default_factory=list)


def _connect(settings: DigestSettings) -> imaplib.IMAP4:
    host, port, security = settings.bounce_host, settings.bounce_imap_port, settings.bounce_security
    context = None
    if security != "none":
        context = trusting(settings.ca_file)
    if security == "tls":
        return imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=settings.timeout)
    client = imaplib.IMAP4(host, port, timeout=settings.timeout)
    if security == "starttls":
        try:
            client.starttls(ssl_context=context)
        except BaseException:
            client.shutdown()  # (the caller gets no client to log out of)
            raise
    return client


def _ok(answer: tuple[str, Sequence[Any]], what: str) -> list[Any]:
    status, data = answer
    if status != "OK":
        said = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise MailboxError(f"{what}: {said or status}")
    return list(data)


def read_new(settings: DigestSettings, password: str, mark: MailboxMark | None) -> MailboxRead:
    """The messages of the bounce folder new since `mark` (the last `FIRST_READ` days' when
    there is none or the folder was renumbered), those that may be bounces fetched whole.
    Raises MailboxError when the mailbox cannot be read."""
    try:
        client = _connect(settings)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(f"{settings.bounce_host}:{settings.bounce_imap_port}: {exc}") from exc
    try:
        return _read(client, settings, password, mark)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(f"{settings.bounce_host}: {_said(exc)}") from exc
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()


def _read(
    client: imaplib.IMAP4, settings: DigestSettings, password: str, mark: MailboxMark | None
) -> MailboxRead:
    user = settings.bounce_username or settings.username
    try:
        client.login(user, password)
    except imaplib.IMAP4.error as exc:  # (a refusal, said by the server)
        raise MailboxError(f"login as {user} refused: {_said(exc)}") from exc
    _ok(client.select(_quoted(settings.bounce_folder), readonly=True), settings.bounce_folder)
    _, said = client.response("UIDVALIDITY")
    validity = int(said[0]) if said and said[0] else 0
    _, said = client.response("UIDNEXT")
    newest = int(said[0]) - 1 if said and said[0] else 0  # (the folder's highest UID)
    if mark is not None and mark.validity == validity:
        (found,) = _ok(client.uid("SEARCH", f"UID {mark.last_uid + 1}:*"), "search")
        last = mark.last_uid
    else:
        since = (date.today() - FIRST_READ).strftime("%d-%b-%Y")
        (found,) = _ok(client.uid("SEARCH", f"SINCE {since}"), "search")
        last = 0
    # ("n:*" names the last message even when its UID is below n)
    every = sorted(u for u in (int(x) for x in (found or b"").split()) if u > last)
    uids = every[:PER_READ]
    # Read up to the newest message, older ones a first read passed over included; or, when
    # more wait than a read takes, up to the last one taken.
    seen = max([last, *uids, newest if len(every) <= PER_READ else 0])
    read = MailboxRead(MailboxMark(validity, seen), len(uids))
    if not uids:
        return read
    fields = "(UID RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (FROM SUBJECT CONTENT-TYPE)])"
    wanted: list[tuple[int, date]] = []
    for part in _ok(client.uid("FETCH", ",".join(map(str, uids)), fields), "fetch"):
        if not isinstance(part, tuple):
            continue
        meta, header_bytes = part
        numbered, size = _FETCHED.search(meta), _SIZE.search(meta)
        if numbered is None or (size is not None and int(size.group(1)) > MAX_BOUNCE_BYTES):
            continue
        headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(
            header_bytes
        )
        if looks_like_bounce({k: str(v) for k, v in headers.items()}):
            arrived = imaplib.Internaldate2tuple(meta)
            day = date(*arrived[:3]) if arrived else date.today()
            wanted.append((int(numbered.group(1)), day))
    for uid, day in wanted:
        for part in _ok(client.uid("FETCH", str(uid), "(BODY.PEEK[])"), "fetch"):
            if isinstance(part, tuple):
                read.bounces.append((day, part[1]))
                break
    return read


def _said(exc: Exception) -> str:
    """An imaplib error's words (it carries the server's reply as bytes)."""
    said = exc.args[0] if exc.args else exc
    return said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)


def _quoted(folder: str) -> str:
    """A folder name as IMAP wants it: quoted when it holds a space or a quote."""
    if folder and not re.search(r'[\s"\\]', folder):
        return folder
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
