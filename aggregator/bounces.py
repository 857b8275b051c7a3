"""Bounces of the daily email read back from a mailbox (pure): which messages are bounces,
which addresses they say failed for good, and when an address has bounced often enough to
stop mailing it.

A mail server that takes a digest for delivery (a relay, a smarthost) answers every
recipient "250 OK" and reports failures later, as a message to the envelope sender: a
delivery status notification (RFC 3464) or one of the many shapes mail servers wrote before
it. `bounce_job` reads the new messages of the mailbox those land in (`[digest]
bounce_host`); here they are judged. The formats are read by `flufl.bounce` (GNU Mailman's
detectors). An address counts a bounce on each day a permanent failure for it arrives; at
`DAYS_TO_UNSUBSCRIBE` days (within `FORGET_AFTER` of each other) a reader who signed up is
unsubscribed, and one the settings list is named to the operator. A temporary failure (a
full mailbox, a server down) counts nothing: the relay tries again itself.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "DAYS_TO_UNSUBSCRIBE",
    "FORGET_AFTER",
    "MAX_QUOTED_IDS",
    "BounceRecord",
    "Failures",
    "failures",
    "looks_like_bounce",
    "tally",
]

DAYS_TO_UNSUBSCRIBE = 2  # days an address bounced for good before it is no longer mailed
FORGET_AFTER = timedelta(days=30)  # a bounce older than this no longer counts
MAX_BOUNCE_BYTES = 2 * 2**20  # a bigger message is no bounce worth reading whole

# Headers that mark a message as a possible bounce: a delivery report, or a mailer daemon's
# own words (`looks_like_bounce` reads them before the whole message is fetched).
_REPORT = re.compile(r"multipart/report", re.IGNORECASE)
_DAEMON = re.compile(r"mailer-daemon|postmaster|mail delivery (?:sub)?system", re.IGNORECASE)
_SUBJECT = re.compile(
    r"undeliver|delivery (?:status|failure|has failed|notification)|returned mail|"
    r"failure notice|could not be delivered|mail delivery failed|non[- ]?delivery",
    re.IGNORECASE,
)


_DIAGNOSTIC = re.compile(rb"^Diagnostic-Code:[ \t]*(?:smtp;[ \t]*)?(.+)$", re.IGNORECASE | re.M)
_STATUS = re.compile(rb"^Status:[ \t]*([245]\.\d{1,3}\.\d{1,3})", re.IGNORECASE | re.MULTILINE)


_MESSAGE_ID = re.compile(rb"<([^<>\s@]{1,250}@[^<>\s@]{1,250})>")
# The ids of a bounce checked against the digests' (`mail_tags`), the first it quotes: a real
# one quotes a few, the returned message's own among its headers; each is an HMAC for each
# address the bounce names.
MAX_QUOTED_IDS = 100


@dataclass(frozen=True, slots=True)
class Failures:
    """The recipients a bounce says failed: for good (`permanent`), or for now; what it
    said of why (its first diagnostic, else status code, else subject); and the Message-IDs
    it quotes (of the message it returns, its headers or whole: `mail_tags` tells whether
    the digest sent it to whom it names)."""

    permanent: frozenset[str] = frozenset()
    temporary: frozenset[str] = frozenset()
    reason: str = ""
    message_ids: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class BounceRecord:
    """An address's bounces: on how many days one arrived (`days`, those within
    `FORGET_AFTER` of the last), the last day, and what the last said."""

    days: int
    last_day: date
    reason: str


def looks_like_bounce(headers: Mapping[str, str]) -> bool:
    """Whether a message with these headers (`Content-Type`, `From`, `Subject`; any case of
    name) may be a bounce, worth fetching whole."""
    said = {name.lower(): value for name, value in headers.items()}
    return bool(
        _REPORT.search(said.get("content-type", ""))
        or _DAEMON.search(said.get("from", ""))
        or _SUBJECT.search(said.get("subject", ""))
    )


def failures(raw: bytes) -> Failures:
    """The recipients the message `raw` reports as failed (none when it is no bounce, or
    one no detector reads)."""
    from flufl.bounce import all_failures  # (loaded with a bounce mailbox only)

    # (its "Running detector: …" lines, a dozen a message, are the library's own business)
    logging.getLogger("flufl.bounce").setLevel(logging.WARNING)

    try:  # (the parser too: a thousand nested multiparts exceed its recursion limit)
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
        temporary, permanent = all_failures(message)
        quoted = _quoted_ids(raw, message)
    except Exception as exc:  # a detector that trips on a malformed message: no verdict
        logging.getLogger("aggregator").info("bounces: a message not read: %s", exc)
        return Failures()
    reason = _reason(raw) or f"a bounce: {message.get('subject', '')}".strip()
    return Failures(_addresses(permanent), _addresses(temporary - permanent), reason, quoted)


def _quoted_ids(raw: bytes, message: email.message.Message) -> frozenset[str]:
    """The first `MAX_QUOTED_IDS` `<…@…>` the message holds, as sent and then in its parts
    decoded (a returned message's headers may come in base64): the Message-IDs among them
    are checked."""
    found: dict[str, None] = {}
    for text in _texts(raw, message):
        for quoted in _MESSAGE_ID.finditer(text):
            found[quoted.group(1).decode("ascii", "replace")] = None
            if len(found) == MAX_QUOTED_IDS:
                return frozenset(found)
    return frozenset(found)


def _texts(raw: bytes, message: email.message.Message) -> Iterator[bytes]:
    """`raw`, then each part's payload decoded."""
    yield raw
    for part in message.walk():
        if not part.is_multipart():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                yield payload


def _reason(raw: bytes) -> str:
    """A report's first Diagnostic-Code ("550 5.1.1 <reader@example.org>: user unknown"),
    else its first Status ("status 5.1.1"); "" when it has neither."""
    found = _DIAGNOSTIC.search(raw)
    if found:
        text = found.group(1).decode("utf-8", "replace")
    else:
        status = _STATUS.search(raw)
        text = f"status {status.group(1).decode()}" if status else ""
    # (a stranger's words, shown in a terminal: no control characters)
    return " ".join("".join(ch for ch in text if ch.isprintable() or ch.isspace()).split())[:200]


def _addresses(found: set[bytes] | frozenset[bytes]) -> frozenset[str]:
    """Detected addresses as plain lower-case text (the detectors give bytes, sometimes in
    angle brackets)."""
    out = set()
    for raw in found:
        text = raw.decode("utf-8", "replace").strip().strip("<>").strip().lower()
        if "@" in text and text.isprintable() and not any(ch.isspace() for ch in text):
            out.add(text)
    return frozenset(out)


def tally(before: BounceRecord | None, day: date, reason: str) -> BounceRecord:
    """An address's record after a permanent failure reported on `day`: a new day counts
    one more (a second report the same day counts nothing), and a count whose last bounce
    is older than `FORGET_AFTER` starts again."""
    if before is None or day - before.last_day > FORGET_AFTER:
        return BounceRecord(1, day, reason)
    if day <= before.last_day:
        return BounceRecord(before.days, before.last_day, reason)
    return BounceRecord(before.days + 1, day, reason)
