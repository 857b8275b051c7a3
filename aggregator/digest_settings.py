"""`[digest]` settings and their checks, kept apart from `digest` so reading the configuration
does not import the digest's ranking and publishing code."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

__all__ = ["DEFAULT_PORTS", "IMAP_PORTS", "SECURITY", "DigestSettings", "parse_time"]

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
IMAP_PORTS = {"starttls": 143, "tls": 993, "none": 143}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def _check_address(value: str, what: str) -> None:
    from email.utils import parseaddr  # with a digest configured only

    address = parseaddr(value)[1]
    if any(ch in value for ch in "\r\n") or not _ADDRESS.match(address or ""):
        raise ValueError(f"{what}: not an email address: {value!r}")
    if not address.isascii():  # (a mail server without SMTPUTF8 refused the whole send)
        raise ValueError(
            f"{what}: {address!r} is not written in ASCII, which not every mail server takes "
            "(a domain can be written in its xn-- form)"
        )


def _load_zone(name: str) -> ZoneInfo:
    """The time zone `name`; ValueError when there is none. zoneinfo is imported here, when a
    zone is first needed: reading the settings of a process that sends no digest (most
    starts) neither imports it nor reads a zone file."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"timezone: unknown time zone {name!r}") from exc


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
    ca_file: str = ""  # CA certificates (PEM) trusted beside the system's: a private mail server
    timeout: float = 30.0  # seconds per SMTP connection step
    from_address: str = ""  # "News <news@example.org>"
    contact: str = ""  # where readers ask to subscribe or unsubscribe (default: from_address)
    recipients: dict[str, tuple[str, ...]] = field(default_factory=dict)  # category → addresses
    # Readers sign up themselves on the subscribe pages `aggregator run` serves (double
    # opt-in: `signup`), for every category listed in `recipients` (`[]`: theirs only).
    self_service: bool = False
    send_at: str = "07:00"  # local time of the daily send
    send_times: dict[str, str] = field(default_factory=dict)  # category → its own send time
    timezone: str = "UTC"
    count: int = 10  # stories per digest
    window: timedelta = timedelta(hours=24)  # stories changed this recently qualify
    catch_up: timedelta = timedelta(hours=12)  # a send missed by longer is skipped, not late
    retry_initial: timedelta = timedelta(minutes=5)
    retry_max: timedelta = timedelta(hours=1)
    max_attempts: int = 6
    # The mailbox the digest's bounces land in (its envelope sender's, `from_address`), read
    # over IMAP every hour by `run` (`bounce_job`): off while `bounce_host` is empty. The
    # login is `bounce_username` (default: `username`); its password comes from the
    # environment variable `bounce_password_env` (default: the SMTP password's).
    bounce_host: str = ""
    bounce_port: int = 0  # 0: the usual port for `bounce_security` (993, or 143)
    bounce_security: str = "tls"  # tls (implicit TLS) | starttls | none
    bounce_username: str = ""
    bounce_password_env: str = ""
    bounce_folder: str = "INBOX"

    def __post_init__(self) -> None:
        if self.ca_file:
            from .tls_trust import check_ca_file

            check_ca_file(self.ca_file, "ca_file")
        if self.security not in SECURITY:
            known = ", ".join(SECURITY)
            raise ValueError(f"security must be one of {known}, not {self.security!r}")
        for name in ("smtp_port", "bounce_port"):
            port = getattr(self, name)
            if not 0 <= port <= 65535:
                raise ValueError(f"{name} must be between 0 (the usual port) and 65535, got {port}")
        if self.bounce_security not in SECURITY:
            known = ", ".join(SECURITY)
            raise ValueError(
                f"bounce_security must be one of {known}, not {self.bounce_security!r}"
            )
        if self.bounce_host and not (self.bounce_username or self.username):
            raise ValueError("bounce_host is set, so bounce_username (or username) is required")
        if self.bounce_host and not self.recipients:
            raise ValueError(
                "bounce_host is set but no category has a digest ([digest.recipients])"
            )
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
        if self.timezone != "UTC":  # the default always exists (tzdata is a dependency)
            _load_zone(self.timezone)
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
        if self.self_service and not self.recipients:
            raise ValueError(
                "self_service is on but no category has a digest: list each category readers "
                "may sign up for in [digest.recipients] (= [] for sign-ups only)"
            )
        unknown = set(self.send_times) - set(self.recipients)
        if unknown:
            raise ValueError(f"send_times names categories without recipients: {sorted(unknown)}")

    @property
    def port(self) -> int:
        return self.smtp_port or DEFAULT_PORTS[self.security]

    @property
    def listed_addresses(self) -> frozenset[str]:
        """The addresses `recipients` lists, lower case, without display names."""
        from email.utils import parseaddr

        return frozenset(
            parseaddr(address)[1].lower()
            for addresses in self.recipients.values()
            for address in addresses
        )

    @property
    def bounce_imap_port(self) -> int:
        return self.bounce_port or IMAP_PORTS[self.bounce_security]

    @property
    def bounce_password_var(self) -> str:
        """The environment variable holding the bounce mailbox's password."""
        return self.bounce_password_env.strip() or self.password_env

    @property
    def zone(self) -> ZoneInfo:
        return _load_zone(self.timezone)

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
        from email.utils import parseaddr

        return parseaddr(self.reply_address)[1]

    def send_time(self, category: str) -> time:
        return parse_time(self.send_times.get(category, self.send_at))
