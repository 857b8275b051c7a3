"""Sites that asked us to come back later: which host, and until when. Pure.

A site answering 429 (Too Many Requests) or 503 (Service Unavailable) to any of our requests,
a feed's poll or an article page, is asked nothing more until its Retry-After has passed:
its other feeds and its pages wait (`PollJob`, `ArticleJob`). Holds are stored
(`Store.hold_sites`), so the next `poll --once` from cron keeps them too."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from .schedule import parse_retry_after

BUSY = frozenset({429, 503})  # a site asking us to come back later (its Retry-After, if any)
BUSY_PAUSE, MAX_PAUSE = 60.0, 3600.0  # seconds a site is held after a busy answer: least, most

# Answers that are a bot check, not the resource, by the header their firewall writes (a
# documented one each): a browser passes the check by running its script, a feed reader
# cannot, whatever the status (Cloudflare's comes as 403, 429 or 503; AWS WAF's as 202 or 405).
_BOT_CHECKS = (
    ("cf-mitigated", ("challenge",), "Cloudflare"),
    ("x-amzn-waf-action", ("challenge", "captcha"), "AWS WAF"),
)


def bot_check(headers: Mapping[str, str]) -> str | None:
    """What to say of an answer that is a firewall's bot check (`headers` in lower case),
    or None for any other answer."""
    for name, values, firewall in _BOT_CHECKS:
        if headers.get(name, "").strip().lower() in values:
            return (
                f"{firewall}'s bot check, which browsers pass and feed readers cannot "
                "(the site may offer its feed elsewhere, or let readers in if asked)"
            )
    return None


def host_of(url: str | None) -> str:
    """A link's host name ("" for none): what pacing, holds and skipping go by."""
    return (urlsplit(url or "").hostname or "").lower()


def on_site(host: str, sites: Iterable[str]) -> bool:
    """Whether `host` is one of `sites` or a host under one ("m.youtube.com", "youtube.com")."""
    return any(host == site or host.endswith("." + site) for site in sites)


def busy_pause(status: int | None, headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds to leave a site alone after it answered `status` with `headers` (lower-case
    names): its Retry-After, at least a minute (a minute when it names none) and at most an
    hour; None when the answer does not ask us to come back later."""
    if status not in BUSY:
        return None
    until = parse_retry_after(headers.get("retry-after", ""), now)
    pause = (until - now).total_seconds() if until is not None else BUSY_PAUSE
    return min(max(pause, BUSY_PAUSE), MAX_PAUSE)


def busy_until(status: int | None, headers: Mapping[str, str], now: datetime) -> datetime | None:
    """When a site that answered `status` may be asked again (`busy_pause`), or None."""
    pause = busy_pause(status, headers, now)
    return None if pause is None else now + timedelta(seconds=pause)


class SiteHolds:
    """The hosts a job holds off and until when (aware times), with the holds the store has
    yet to get: the poll job and the article job keep one each, and share them through the
    store (`Store.site_holds`, `Store.hold_sites`)."""

    def __init__(self) -> None:
        self._until: dict[str, datetime] = {}
        self._unsaved: set[str] = set()

    def __len__(self) -> int:
        return len(self._until)

    def hold(self, host: str, until: datetime) -> bool:
        """Hold `host` until `until` unless it is held as long already; whether it was."""
        held = self._until.get(host)
        if held is not None and until <= held:
            return False
        self._until[host] = until
        self._unsaved.add(host)
        return True

    def until(self, host: str, now: datetime) -> datetime | None:
        """When `host` may be asked again, if it is held at `now`."""
        until = self._until.get(host)
        return until if until is not None and until > now else None

    def held(self, now: datetime) -> list[str]:
        """The hosts held at `now`."""
        return [host for host, until in self._until.items() if until > now]

    def recall(self, stored: Mapping[str, datetime], now: datetime) -> None:
        """Drop the holds `now` has passed; take the `stored` ones (the other job's, an earlier
        process's) that end later than this job's. No hold ends more than `MAX_PAUSE` after
        `now`: one that does was made by a clock that has since stepped back."""
        latest = now + timedelta(seconds=MAX_PAUSE)
        for host, until in list(self._until.items()):
            if until <= now:
                del self._until[host]
                self._unsaved.discard(host)
            elif until > latest:
                self._until[host] = latest
        for host, until in stored.items():
            if until > max(now, self._until.get(host, now)):
                self._until[host] = min(until, latest)

    def unsaved(self) -> dict[str, datetime]:
        """The holds made since the last call, for the store (taken: asked once)."""
        hosts, self._unsaved = self._unsaved, set()
        return {host: self._until[host] for host in hosts if host in self._until}
