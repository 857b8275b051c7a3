"""The daily email digest per category: settings and the pure decisions. No IO.

What is due when (`due`), which stories go in (`select`) and how long to wait before retrying
a failed send (`retry_delay`) are functions of `now`, the settings and what the database says
was already sent. Composing the message is `digest_mail`; delivering it and keeping the books
is `digest_job`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parseaddr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .models import Story
from .ranking import rank

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def _check_address(value: str, what: str) -> None:
    address = parseaddr(value)[1]
    if any(ch in value for ch in "\r\n") or not _ADDRESS.match(address or ""):
        raise ValueError(f"{what}: not an email address: {value!r}")


def parse_time(value: str, what: str = "send_at") -> time:
    """ "07:00" → time(7, 0)."""
    match = _TIME.match(value.strip())
    if not match:
        raise ValueError(f"{what} must be a local time such as '07:00', got {value!r}")
    return time(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class DigestSettings:
    """The `[digest]` settings section. Digests are off until a category has recipients."""

    smtp_host: str = ""
    smtp_port: int = 0  # 0: the usual port for `security` (587, 465 or 25)
    security: str = "starttls"  # starttls | tls (implicit TLS) | none
    username: str = ""  # log in when set; the password comes from the environment
    password_env: str = "AGGREGATOR_SMTP_PASSWORD"  # the variable holding the password
    ca_file: str = ""  # extra trusted CA certificates (PEM), for a private mail server
    timeout: float = 30.0  # seconds per SMTP connection step
    from_address: str = ""  # "News <news@example.org>"
    contact: str = ""  # where readers ask to subscribe or unsubscribe (default: from_address)
    recipients: dict[str, tuple[str, ...]] = field(default_factory=dict)  # category → addresses
    send_at: str = "07:00"  # local time of the daily send
    send_times: dict[str, str] = field(default_factory=dict)  # category → its own send time
    timezone: str = "UTC"
    count: int = 10  # stories per digest
    window: timedelta = timedelta(hours=24)  # stories changed this recently qualify
    catch_up: timedelta = timedelta(hours=12)  # a send missed by longer is skipped, not late
    retry_initial: timedelta = timedelta(minutes=5)
    retry_max: timedelta = timedelta(hours=1)
    max_attempts: int = 6

    def __post_init__(self) -> None:
        if self.security not in SECURITY:
            known = ", ".join(SECURITY)
            raise ValueError(f"security must be one of {known}, not {self.security!r}")
        if not 0 <= self.smtp_port <= 65535:
            raise ValueError(f"smtp_port must be between 1 and 65535, got {self.smtp_port}")
        if not 1 <= self.count <= 100:
            raise ValueError(f"count must be between 1 and 100, got {self.count}")
        if not 1 <= self.max_attempts <= 100:
            raise ValueError(f"max_attempts must be between 1 and 100, got {self.max_attempts}")
        if not 0 < self.timeout <= 600:
            raise ValueError(f"timeout must be between 0 and 600 seconds, got {self.timeout}")
        for name in ("window", "catch_up", "retry_initial", "retry_max"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be positive")
        if not self.password_env.strip():
            raise ValueError("password_env must name an environment variable")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}") from exc
        parse_time(self.send_at)
        for category, value in self.send_times.items():
            parse_time(str(value), f"send_times[{category!r}]")
        for category, addresses in self.recipients.items():
            if not isinstance(addresses, tuple):
                raise ValueError(f"recipients[{category!r}] must be a list of addresses")
            for address in addresses:
                _check_address(address, f"recipients[{category!r}]")
        if self.from_address:
            _check_address(self.from_address, "from_address")
        if self.contact:
            _check_address(self.contact, "contact")
        if self.recipients and not (self.smtp_host and self.from_address):
            raise ValueError("recipients are set, so smtp_host and from_address are required")
        unknown = set(self.send_times) - set(self.recipients)
        if unknown:
            raise ValueError(f"send_times names categories without recipients: {sorted(unknown)}")

    @property
    def port(self) -> int:
        return self.smtp_port or DEFAULT_PORTS[self.security]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def categories(self) -> frozenset[str]:
        """Categories with a digest (their pages link to how to subscribe)."""
        return frozenset(self.recipients)

    @property
    def reply_address(self) -> str:
        """Where readers write (as configured, possibly with a display name)."""
        return self.contact or self.from_address

    @property
    def contact_email(self) -> str:
        """The bare address readers write to: "editors@example.org"."""
        return parseaddr(self.reply_address)[1]

    def send_time(self, category: str) -> time:
        return parse_time(self.send_times.get(category, self.send_at))


# --- when --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunState:
    """What the database says about one category's digest for one day."""

    category: str
    day: date
    status: str  # sending | sent | failed | empty
    attempts: int = 0
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Due:
    """A digest to send now: the category, the local day it is for, and which attempt."""

    category: str
    day: date
    scheduled: datetime  # UTC
    attempt: int


def scheduled_at(category: str, day: date, settings: DigestSettings) -> datetime:
    """The UTC moment of `day`'s send (a local time skipped by a DST change moves forward)."""
    local = datetime.combine(day, settings.send_time(category), tzinfo=settings.zone)
    # Round-trip through UTC so a non-existent local time lands on a real instant.
    return local.astimezone(UTC)


def latest_slot(category: str, now: datetime, settings: DigestSettings) -> tuple[date, datetime]:
    """The most recent scheduled send at or before `now`: (local day, UTC moment)."""
    today = now.astimezone(settings.zone).date()
    for day in (today, today - timedelta(days=1), today - timedelta(days=2)):
        moment = scheduled_at(category, day, settings)
        if moment <= now:
            return day, moment
    raise AssertionError("unreachable: a send time exists every day")  # pragma: no cover


def next_slot(category: str, now: datetime, settings: DigestSettings) -> datetime:
    """The next scheduled send strictly after `now` (UTC)."""
    today = now.astimezone(settings.zone).date()
    for offset in range(3):
        moment = scheduled_at(category, today + timedelta(days=offset), settings)
        if moment > now:
            return moment
    raise AssertionError("unreachable")  # pragma: no cover


def retry_delay(attempts: int, settings: DigestSettings) -> timedelta:
    """Wait after the `attempts`-th failed try: doubling from retry_initial up to retry_max."""
    delay = settings.retry_initial * (2 ** max(0, attempts - 1))
    return min(delay, settings.retry_max)


def due(
    now: datetime, settings: DigestSettings, runs: Mapping[tuple[str, date], RunState]
) -> list[Due]:
    """Digests to send now, given each category's runs keyed by (category, local day).

    Only the latest scheduled send counts, so a service that was down for days sends once
    when it comes back, and not at all when that send is more than `catch_up` old (the next
    one is closer). A run already sent (or with nothing to send) is done for the day; a
    failed or interrupted one is retried with backoff until `max_attempts`.
    """
    out = []
    for category, addresses in settings.recipients.items():
        if not addresses:
            continue
        day, moment = latest_slot(category, now, settings)
        run = runs.get((category, day))
        if run is None:
            if now - moment <= settings.catch_up:
                out.append(Due(category, day, moment, 1))
            continue
        if run.status in ("sent", "empty") or run.attempts >= settings.max_attempts:
            continue
        if run.next_attempt_at is None or run.next_attempt_at <= now:
            out.append(Due(category, day, moment, run.attempts + 1))
    return out


# --- what --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pick:
    """A story going into a digest; `updated` when an earlier digest had an older version."""

    story: Story
    updated: bool = False


def select(
    stories: Iterable[Story],
    sent_versions: Mapping[str, int],
    now: datetime,
    settings: DigestSettings,
) -> list[Pick]:
    """The top `count` summarised stories changed within `window` before `now`, ranked as on
    the front page.

    A story an earlier digest of this category carried comes back only when it has materially
    changed since (a higher version), marked as updated.
    """
    since = now - settings.window
    fresh = [
        s
        for s in stories
        if s.version > 0
        and s.summary is not None
        and since <= s.updated <= now
        and sent_versions.get(s.id, 0) < s.version
    ]
    return [Pick(s, s.id in sent_versions) for s in rank(fresh, now)[: settings.count]]
