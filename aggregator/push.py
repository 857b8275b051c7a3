"""Push from upstream hubs (WebSub subscribing, https://www.w3.org/TR/websub/): which hub a
feed names, which subscriptions are due, and whether a notification is the hub's. Pure: no IO
(`push_job` asks the hubs and stores; `push_web` answers them).

A feed names its hub and its own address (its topic) in an HTTP `Link` header or in the
document (`<atom:link rel="hub">`, `rel="self"`; JSON Feed's `hubs`, `feed_url`); the header
wins, as the spec's discovery says. With `[fetch] websub_callback` set, `run` subscribes to
each listed feed's hub with a callback of its own (`/websub/<key>`: a random key per
subscription, so the address tells no one which feed it is) and a secret, renews the lease a
day before it ends, and unsubscribes from feeds no longer listed. A notification whose
signature checks makes its feed due at once: it is polled as any feed is (conditional GET,
the same parse and store), so a hub's copy is never trusted over the feed's own. While the
lease lasts the feed is also polled at the slowest pace (`pushed_schedule`), so a hub that
stops pushing costs at most that long.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal, NamedTuple
from urllib.parse import urlsplit

from .backoff import doubled_delta
from .schedule import ScheduleSettings

__all__ = [
    "LEASE_SECONDS",
    "Action",
    "Pace",
    "Subscription",
    "discover",
    "lease_end",
    "link_header",
    "paced",
    "plan",
    "poll_after_push",
    "pushed_schedule",
    "reachable_from_outside",
    "recheck_after_push",
    "retry_at",
    "signature_ok",
    "subscribe_fields",
]

LEASE_SECONDS = 7 * 86400  # the lease asked for (hubs give what they will)
RENEW_BEFORE = timedelta(days=1)  # a lease is renewed this long before it ends (or at half)
VERIFY_WAIT = timedelta(minutes=10)  # a request the hub never verified counts as failed then
FIRST_RETRY = timedelta(minutes=1)  # a failed request is asked again after this, doubling …
LAST_RETRY = timedelta(days=1)  # … up to a day
PUSH_GAP = timedelta(seconds=60)  # a pushed feed is polled at most once a minute
RECHECKS = 4  # polls after a push that found the feed unchanged (`recheck_after_push`)
PER_HUB = 20  # requests one pass makes of one hub (`paced`): the rest wait for the next
WAIT_FOR_POLL = timedelta(days=1)  # a push whose feed no pass polled since is forgotten

Mode = Literal["subscribe", "unsubscribe"]
Step = Literal["subscribe", "unsubscribe", "drop"]  # (drop: forget a row the hub never held)
# (state of a subscription) requested: asked, the hub's check awaited; active: verified,
# leased; failed: asked and refused or never verified (asked again after a pause); denied: the
# hub said no (asked again after a pause); leaving: unsubscribing (the row goes once verified)
State = Literal["requested", "active", "failed", "denied", "leaving"]

_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]*)*)")
_REL = re.compile(r";\s*rel\s*=\s*(?:\"([^\"]*)\"|([^\s;,]+))", re.IGNORECASE)
# YouTube's channel feeds name no hub, but Google's hub pushes them under another address
# (https://developers.google.com/youtube/v3/guides/push_notifications)
_YOUTUBE_CHANNEL = re.compile(
    r"https?://(?:www\.)?youtube\.com/feeds/videos\.xml\?channel_id=(UC[A-Za-z0-9_-]{22})"
)
YOUTUBE_HUB = "https://pubsubhubbub.appspot.com/"
_LINK_READ = 4096  # characters of a `Link` header read (the hub comes first in practice)
_SIGNATURE = re.compile(r"^\s*(sha1|sha256|sha384|sha512)=([0-9a-fA-F]+)\s*$")


def _http(url: str | None) -> str | None:
    url = (url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) and len(url) <= 2000 else None


def link_header(value: str | None) -> tuple[list[str], list[str]]:
    """The hubs and `self` addresses an HTTP `Link` header names (absolute http(s) only)."""
    hubs: list[str] = []
    selves: list[str] = []
    for match in _LINK.finditer((value or "")[:_LINK_READ]):
        rels: set[str] = set()
        for rel in _REL.finditer(match.group(2)):
            rels.update((rel.group(1) or rel.group(2) or "").lower().split())
        url = _http(match.group(1))
        if url is None:
            continue
        if "hub" in rels:
            hubs.append(url)
        if "self" in rels:
            selves.append(url)
    return hubs, selves


def reachable_from_outside(url: str) -> bool:
    """Whether an address may be reached from the internet by its name alone: not
    `localhost` nor an address inside the network, as the fetcher judges one (`is_internal`;
    a name is taken on trust)."""
    from .fetch import _address, is_internal

    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return False
    address = _address(host)
    return address is None or not is_internal(address)


def discover(
    hubs: Iterable[str], self_url: str | None, headers: Mapping[str, str], url: str
) -> tuple[str | None, str | None]:
    """The hub to subscribe at and the topic to subscribe to, for a feed fetched from `url`
    whose document names `hubs` and `self_url` and whose response had `headers` (lower-case
    names): the `Link` header's when it names a hub, else the document's; the topic is the
    `self` address given beside the hub, else the address fetched. A YouTube channel's feed,
    which names none, is pushed by Google's hub under the topic YouTube documents. (None,
    None): no hub."""
    header_hubs, header_selves = link_header(headers.get("link"))
    if header_hubs:
        return header_hubs[0], (header_selves or [self_url or url])[0]
    found = [hub for hub in (_http(h) for h in hubs) if hub is not None]
    if found:
        return found[0], _http(self_url) or url
    channel = _YOUTUBE_CHANNEL.fullmatch(url) or _YOUTUBE_CHANNEL.fullmatch(self_url or "")
    if channel is not None:  # (a YouTube channel's feed: Google's hub, its own topic)
        return YOUTUBE_HUB, f"https://www.youtube.com/xml/feeds/videos.xml?channel_id={channel[1]}"
    return None, None


@dataclass(frozen=True, slots=True)
class Subscription:
    """One feed's subscription as stored (`push_subscriptions`)."""

    feed_url: str
    hub: str
    topic: str
    key: str  # the callback's last part
    secret: str
    state: State
    requested_at: datetime | None = None
    lease_until: datetime | None = None
    failures: int = 0
    next_try_at: datetime | None = None
    error: str | None = None
    callback: str = ""  # the address the hub was given (the key on `[fetch] websub_callback`)


class Action(NamedTuple):
    """A request due to a hub: `mode` for `feed_url`'s `topic` (`key`: an existing
    subscription's, None for a new one), or a subscription to forget (`drop`)."""

    mode: Step
    feed_url: str
    hub: str
    topic: str
    key: str | None


def retry_at(failures: int, now: datetime) -> datetime:
    """When a request that failed `failures` times in a row is made again."""
    return now + doubled_delta(FIRST_RETRY, failures - 1, LAST_RETRY)


def _renew_at(sub: Subscription) -> datetime | None:
    if sub.lease_until is None or sub.requested_at is None:
        return None
    lease = sub.lease_until - sub.requested_at
    return sub.lease_until - min(RENEW_BEFORE, lease / 2)


def plan(
    subscriptions: Iterable[Subscription],
    wanted: Mapping[str, tuple[str, str]],
    now: datetime,
    callback: str,
) -> list[Action]:
    """The requests due now: `wanted` maps each listed, unpaused feed with a hub to its (hub,
    topic); `callback` is where hubs reach this server now. A wanted feed with no
    subscription to that hub and topic at that callback is subscribed; an active one is
    renewed before its lease ends; a failed, denied or never-verified one is asked again
    after its pause. A subscription nobody wants any more (its feed gone, paused, naming
    another hub or topic, or the server moved to another callback) is unsubscribed if the hub
    may hold it (asked again after a pause while the hub does not verify it), else
    dropped."""
    actions: list[Action] = []
    current: set[str] = set()
    for sub in subscriptions:
        waited = sub.next_try_at is None or sub.next_try_at <= now
        if (
            wanted.get(sub.feed_url) != (sub.hub, sub.topic)
            or sub.callback != callback
            or sub.feed_url in current
        ):
            if sub.state in ("active", "requested") or (sub.state == "leaving" and waited):
                actions.append(Action("unsubscribe", sub.feed_url, sub.hub, sub.topic, sub.key))
            elif sub.state != "leaving":
                actions.append(Action("drop", sub.feed_url, sub.hub, sub.topic, sub.key))
            continue
        current.add(sub.feed_url)
        if sub.state == "active":
            renew = _renew_at(sub)
            due = (renew is None or renew <= now) and waited
        elif sub.state == "requested":
            due = waited and (sub.requested_at is None or sub.requested_at + VERIFY_WAIT <= now)
        else:  # failed, denied, leaving (wanted again)
            due = waited
        if due:
            actions.append(Action("subscribe", sub.feed_url, sub.hub, sub.topic, sub.key))
    for feed_url, (hub, topic) in wanted.items():
        if feed_url not in current:
            actions.append(Action("subscribe", feed_url, hub, topic, None))
    return actions


def paced(actions: Iterable[Action], per_hub: int = PER_HUB) -> list[Action]:
    """The requests one pass makes: at most `per_hub` of each hub, in order (a first pass
    over hundreds of YouTube channels asks Google's hub a few dozen a minute, not in one
    burst); dropping a row asks no hub and is never held back."""
    kept: list[Action] = []
    asked: dict[str, int] = {}
    for action in actions:
        if action.mode != "drop":
            if asked.get(action.hub, 0) >= per_hub:
                continue
            asked[action.hub] = asked.get(action.hub, 0) + 1
        kept.append(action)
    return kept


def subscribe_fields(mode: Mode, topic: str, callback: str, secret: str) -> list[tuple[str, str]]:
    """The form a subscription request sends its hub."""
    fields = [("hub.mode", mode), ("hub.topic", topic), ("hub.callback", callback)]
    if mode == "subscribe":
        fields += [("hub.lease_seconds", str(LEASE_SECONDS)), ("hub.secret", secret)]
    return fields


class Signature:
    """A notification's `X-Hub-Signature` ("sha256=<hex>", or sha1, sha384, sha512) checked
    against its body's HMAC under the subscription's secret, the body given as it arrives
    (never held whole)."""

    def __init__(self, secret: str, header: str | None) -> None:
        found = _SIGNATURE.match(header or "")
        self._given = found.group(2).lower() if found else ""
        self._mac = (
            hmac.new(secret.encode(), digestmod=getattr(hashlib, found.group(1))) if found else None
        )

    @property
    def given(self) -> bool:
        """Whether the header names a signature this can check (else none is worth reading)."""
        return self._mac is not None

    def update(self, chunk: bytes) -> None:
        if self._mac is not None:
            self._mac.update(chunk)

    def ok(self) -> bool:
        return self._mac is not None and hmac.compare_digest(self._mac.hexdigest(), self._given)


def signature_ok(secret: str, header: str | None, body: bytes) -> bool:
    """Whether `header` is `body`'s signature under `secret` (`Signature`)."""
    signature = Signature(secret, header)
    signature.update(body)
    return signature.ok()


def poll_after_push(last_polled_at: datetime | None, now: datetime) -> datetime:
    """When a feed whose hub pushed is polled: now, or a minute after its last poll (a hub
    that pushes on and on gets one poll a minute)."""
    if last_polled_at is None or last_polled_at > now:
        return now
    return max(now, last_polled_at + PUSH_GAP)


def pushed_schedule(
    settings: ScheduleSettings, lease_until: datetime | None, now: datetime
) -> ScheduleSettings:
    """The polling policy of a feed its hub pushes: polled every `max_interval`, a safety net
    (its hub makes it due when it changes), while the lease outlasts that interval; else the
    feed's own policy, so a lease that ends unrenewed never leaves it unpolled for long."""
    if lease_until is None or lease_until - now <= settings.max_interval:
        return settings
    if settings.interval >= settings.max_interval:
        return settings
    return replace(settings, interval=settings.max_interval)


def recheck_after_push(
    next_poll_at: datetime | None,
    status: str | None,
    now: datetime,
    soon: timedelta,
    tries: int = 0,
) -> tuple[datetime | None, int | None]:
    """When a feed polled because its hub pushed is polled next, and how many rechecks that
    makes (None: no more). A hub pushes when the feed changed, so a poll that finds it as it
    was (a 304 or the same body: the origin, or its cache, behind the hub) is made again
    `soon` later, then twice, four and eight times that (`RECHECKS` in all: 75 minutes at
    five), until one finds the change; any other outcome keeps its schedule (news came, or
    an error has its backoff). `tries`: the rechecks made since the push."""
    if status not in ("not_modified", "unchanged") or tries >= RECHECKS:
        return next_poll_at, None
    again = now + soon * 2**tries
    if next_poll_at is not None and next_poll_at < again:
        again = next_poll_at
    return again, tries + 1


@dataclass
class Pace:
    """How the poll job paces the feeds hubs push (`run`'s only, `PushJob.pace`): the leases
    (feed → the end of its verified lease, kept by the push job), the rechecks made since a
    push found its feed unchanged, and the feeds whose hubs missed a change, polled at their
    own pace until their hub pushes again, and the pushes whose polls are still to come."""

    leases: dict[str, datetime] = field(default_factory=dict)
    behind: dict[str, int] = field(default_factory=dict)
    missed: set[str] = field(default_factory=set)
    waiting: dict[str, datetime] = field(default_factory=dict)  # feed → when its hub pushed

    def pushed_polls(
        self, pushed: AbstractSet[str], due: AbstractSet[str], now: datetime
    ) -> set[str]:
        """Which of a pass's `due` feeds it polls because their hubs pushed: pushed since the
        last pass, or before it when a poll a moment earlier put their polls off
        (`poll_after_push`); a pushed feed not due yet waits for the pass that polls it, so
        that poll is a push's too (rechecked when it finds the feed as it was)."""
        for url in pushed:
            self.waiting[url] = now
        polled = {url for url in due if url in self.waiting}
        for url in polled:
            del self.waiting[url]
        for url, at in list(self.waiting.items()):  # (a feed removed, or its site held long)
            if now - at > WAIT_FOR_POLL:
                del self.waiting[url]
        return polled

    def schedule(
        self, url: str, settings: ScheduleSettings, now: datetime, pushed: bool
    ) -> ScheduleSettings:
        """The policy of a poll of `url` (`pushed`: one its hub's push made due)."""
        if pushed:
            self.missed.discard(url)  # (its hub pushes again)
        if url in self.missed:
            return settings
        return pushed_schedule(settings, self.leases.get(url), now)

    def next_poll(
        self,
        url: str,
        next_poll_at: datetime | None,
        status: str | None,
        now: datetime,
        soon: timedelta,
        pushed: bool,
    ) -> datetime | None:
        """A poll's next poll, as the rechecks after a push have it (`recheck_after_push`)."""
        tries = 0 if pushed else self.behind.get(url)
        if tries is None:
            return next_poll_at
        again, tries = recheck_after_push(next_poll_at, status, now, soon, tries)
        if tries is None:
            self.behind.pop(url, None)
        else:
            self.behind[url] = tries
        return again

    def missed_news(self, url: str, by_push: bool, new_items: int) -> bool:
        """Whether a poll shows that `url`'s hub missed a change: one at the slow pace (not
        made by a push or its rechecks: `by_push`) that brought new items. Such a feed is
        polled at its own pace from then on, until its hub pushes."""
        if by_push or not new_items or url not in self.leases or url in self.missed:
            return False
        self.missed.add(url)
        return True


def lease_end(lease_seconds: str | None, now: datetime) -> datetime:
    """When a verified lease ends: the hub's `hub.lease_seconds` from now (ours asked for when
    it gives none or nonsense; at most a year)."""
    try:
        seconds = int(lease_seconds or "")
    except ValueError:
        seconds = LEASE_SECONDS
    if seconds <= 0:
        seconds = LEASE_SECONDS
    return now + timedelta(seconds=min(seconds, 366 * 86400))
