"""Readers' own subscriptions to a category's daily email (`[digest] self_service`): the
address check, the signed links of the confirmation and unsubscribe emails, and the pace of
sign-ups. Pure: the key, `now` and the clients come from the caller.

A sign-up is double opt-in: the form only sends a link to the address, and the address is
subscribed once that link is followed, so nobody can sign up an address that is not theirs.
The links carry what they are for, the category, the address and (a confirmation) an expiry,
signed with the site's own key (`signup_store`), so nothing about a pending sign-up has to
be looked up to check one, and an unsubscribe link in an old digest keeps working.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections import deque
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from .client_cap import address_key
from .slugs import slugify

__all__ = [
    "ASK_AGAIN_AFTER",
    "CONFIRM_WITHIN",
    "REFUSALS_TO_UNSUBSCRIBE",
    "Pace",
    "checked_address",
    "confirm_link",
    "leave_link",
    "pace_key",
    "read_token",
    "sign",
]

CONFIRM_WITHIN = timedelta(hours=48)  # how long a confirmation link works
ASK_AGAIN_AFTER = timedelta(hours=1)  # one confirmation email per address and category an hour
REFUSALS_TO_UNSUBSCRIBE = 3  # digests in a row the mail server refused an address for good
PER_CLIENT = 10  # sign-ups one client may ask for in an hour
PER_HOUR = 100  # confirmation emails the site sends in an hour, every client together
MAX_ADDRESS = 254  # characters of an address (RFC 5321's path limit, less its brackets)
_HOUR = timedelta(hours=1)
_BRACKETED = re.compile(r"\[([^\]]*)\](?::\d*)?\Z")  # an IPv6 address in brackets, a port after
_CLIENTS = 10_000  # clients remembered at most (the oldest are forgotten first)
# A plain address: dot-atom local part (RFC 5322's atext) at a dotted domain of LDH labels.
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_MAC_BYTES = 18  # 144 bits of HMAC-SHA256: 24 characters in the link

CONFIRM = "confirm"
LEAVE = "leave"


def checked_address(value: str) -> str | None:
    """The address as a subscription keeps it, in lower case (mail systems take "Ann@" and
    "ann@" for one mailbox, and so does a subscription), or None when it is not one plain
    address: no name, no list, no spaces or line breaks, a dotted domain."""
    address = value.strip()
    if not address or len(address) > MAX_ADDRESS:
        return None
    local, _, domain = address.lower().rpartition("@")
    labels = domain.split(".")
    if len(local) > 64 or not _LOCAL.match(local) or len(labels) < 2:
        return None
    if not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        return None
    return f"{local}@{domain}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]


def sign(
    key: bytes, purpose: str, category: str, address: str, expires: datetime | None = None
) -> str:
    """A link's token: `purpose` (CONFIRM or LEAVE), the category and the address, and when
    it stops working (None: never), signed with `key`."""
    until = int(expires.timestamp()) if expires is not None else 0
    payload = json.dumps([purpose, category, address, until], ensure_ascii=False).encode()
    return f"{_b64(payload)}.{_b64(_mac(key, payload))}"


def read_token(key: bytes, token: str, purpose: str, now: datetime) -> tuple[str, str] | None:
    """(category, address) of a token `sign` made for `purpose` with `key`, unexpired at
    `now`; None for anything else (altered, cut short, for another purpose, expired)."""
    data, dot, mac = token.strip().partition(".")
    if not dot or len(token) > 2048:
        return None
    try:
        payload, given = _unb64(data), _unb64(mac)
    except (binascii.Error, ValueError):
        return None
    if not hmac.compare_digest(_mac(key, payload), given):
        return None
    try:
        said, category, address, until = json.loads(payload)
    except (ValueError, TypeError):
        return None
    if said != purpose or not isinstance(category, str) or not isinstance(address, str):
        return None
    if not isinstance(until, int) or (until and now > datetime.fromtimestamp(until, UTC)):
        return None
    return category, address


def leave_link(base_url: str, key: bytes, category: str, address: str) -> str:
    """An address's own link to unsubscribe from `category`'s digest (it never expires)."""
    token = sign(key, LEAVE, category, address)
    return f"{base_url}{slugify(category)}/unsubscribe?t={quote(token)}"


def confirm_link(base_url: str, key: bytes, category: str, address: str, now: datetime) -> str:
    """The link that subscribes `address` to `category`'s digest, for `CONFIRM_WITHIN`."""
    token = sign(key, CONFIRM, category, address, now + CONFIRM_WITHIN)
    return f"{base_url}{slugify(category)}/subscribe/confirm?t={quote(token)}"


def pace_key(client: str) -> str:
    """Who a client is for the pace of sign-ups: an IPv6 address by its /64 (a home or a
    server is given a /64 and picks any address in it, so one per address would let it ask
    without end, and push every other client out of `Pace`'s memory), an IPv4 address seen
    through an IPv6 socket (``::ffff:192.0.2.1``) as that IPv4 address, with or without the
    port some proxies write after it (``192.0.2.1:4711``, ``[2001:db8::1]:4711``: the
    client's own port, another each connection); anything else as it is."""
    written = client.strip()
    bracketed = _BRACKETED.match(written)
    if bracketed:
        written = bracketed[1]
    elif written.count(":") == 1:  # (an IPv4 address and a port; IPv6 has two colons or more)
        written = written.partition(":")[0]
    return address_key(written) or client


class Pace:
    """How many sign-ups are asked for: at most `per_client` an hour from one client, and at
    most `per_hour` confirmation emails an hour from the site, so the form cannot be made to
    flood mailboxes or the mail server. Kept in memory (a restart forgets it)."""

    def __init__(self, per_client: int = PER_CLIENT, per_hour: int = PER_HOUR) -> None:
        self.per_client = per_client
        self.per_hour = per_hour
        self._clients: dict[str, deque[datetime]] = {}
        self._mails: deque[datetime] = deque()

    @staticmethod
    def _recent(times: deque[datetime], now: datetime) -> deque[datetime]:
        while times and now - times[0] >= _HOUR:
            times.popleft()
        return times

    def client_may_ask(self, client: str, now: datetime) -> bool:
        """Count a sign-up `client` asks for; False when it asked for too many this hour."""
        times = self._recent(self._clients.pop(client, deque()), now)
        if len(self._clients) >= _CLIENTS:  # forget the client heard from least lately
            del self._clients[next(iter(self._clients))]
        self._clients[client] = times
        if len(times) >= self.per_client:
            return False
        times.append(now)
        return True

    def may_mail(self, now: datetime) -> bool:
        """Count a confirmation email about to go; False when the hour's are all sent."""
        if len(self._recent(self._mails, now)) >= self.per_hour:
            return False
        self._mails.append(now)
        return True
