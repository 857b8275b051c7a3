"""The push job: hold subscriptions at the hubs upstream feeds name (`push`), and take their
notifications.

Every `interval` seconds a pass asks each hub what `push.plan` says is due (subscribe, renew,
unsubscribe), one request per feed, with this server's callback (`[fetch] websub_callback` +
`/websub/<key>`). The hub then checks the request by asking the callback (`verify`), and sends
notifications to it (`receive`): one whose signature checks makes its feed due, and wakes the
service's poll loop (`pushed`). A hub named by a feed is asked as a page a feed links to is: on
a host inside the network only when a listed feed is on that host.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from .config import Settings
from .errors import StorageError
from .network import Network
from .push import (
    LAST_RETRY,
    Action,
    Pace,
    Signature,
    State,
    Subscription,
    lease_end,
    paced,
    plan,
    retry_at,
    subscribe_fields,
)
from .store import Store
from .wording import counted

__all__ = ["GIVE_UP", "PushJob"]

log = logging.getLogger("aggregator")
Write = Callable[..., Awaitable[Any]]
GIVE_UP = 5  # unsubscribe requests a hub fails before the subscription is forgotten
CALLBACK_PATH = "/websub/"


class Poster(Protocol):
    async def post_form(
        self, url: str, fields: list[tuple[str, str]], *, named_by: str | None = None
    ) -> str | None: ...


class PushJob:
    """Subscriptions at upstream hubs for one store's feeds."""

    def __init__(
        self,
        store: Store,
        write: Write,
        settings: Settings,
        clock: Callable[[], datetime],
        *,
        network: Network | None = None,
    ) -> None:
        self.store = store
        self.write = write
        self.clock = clock
        self.callback = settings.fetch.websub_callback.rstrip("/") + CALLBACK_PATH
        self.pending: set[str] = set()  # feeds whose hubs pushed, not yet made due
        self.pace = Pace()  # (the poll job's: the leases kept here pace its polls)
        self.pushed = asyncio.Event()  # set when `pending` gains a feed
        self.network = network if network is not None else Network()  # (the poll job's: `run`)

    @property
    def leases(self) -> dict[str, datetime]:
        """Feed → the end of its verified lease (such feeds are polled at the slowest pace:
        `push.pushed_schedule`)."""
        return self.pace.leases

    async def catch_up(self) -> None:
        """Make every feed its hub pushes due (at start: what the hubs said while no server
        listened is lost, and such a feed is otherwise polled only at the slowest pace)."""
        try:
            held = await self.write(self.store.push_subscriptions)
            pushed = [sub.feed_url for sub in held if sub.state == "active"]
            if pushed:
                await self.write(self.store.poll_pushed, pushed, self.clock())
        except StorageError as exc:  # (their next polls come at the slow pace, as before)
            log.error("websub: the pushed feeds could not be made due at start: %s", exc)

    def take(self) -> set[str]:
        """The feeds pushed since the last call (the poll loop makes them due)."""
        taken, self.pending = self.pending, set()
        self.pushed.clear()
        return taken

    async def loop(self, poster: Poster, stop: asyncio.Event, interval: float) -> None:
        """A pass every `interval` seconds until `stop` is set."""
        while not stop.is_set():
            try:
                await self.run_pass(poster)
            except StorageError as exc:
                log.error("websub subscriptions failed: %s; trying again in %.0f s", exc, interval)
            except Exception:  # a bug must not end the service's other jobs
                log.exception("websub subscriptions failed; trying again in %.0f s", interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    async def run_pass(self, poster: Poster) -> int:
        """Make the requests due now; how many were made (none while the service's own
        network is down: each would fail, and wait longer before it is asked again)."""
        if self.network.down:
            return 0
        now = self.clock()
        wanted = await self.write(self.store.push_wanted)
        held = await self.write(self.store.push_subscriptions)
        self._lease(held, wanted)
        actions = paced(plan(held, wanted, now, self.callback))
        if not actions:
            return 0
        by_key = {sub.key: sub for sub in held}
        results = await asyncio.gather(
            *(self._ask(poster, action, by_key, now) for action in actions)
        )
        asked = sum(results)
        if asked:
            log.info("websub: %s made to hubs", counted(asked, "subscription request"))
        return asked

    def _lease(self, held: list[Subscription], wanted: Mapping[str, tuple[str, str]]) -> None:
        """Keep `leases` to the verified subscriptions of feeds still wanted at their hub, at
        this server's callback."""
        leases = {
            sub.feed_url: sub.lease_until
            for sub in held
            if sub.state == "active"
            and sub.lease_until is not None
            and wanted.get(sub.feed_url) == (sub.hub, sub.topic)
            and sub.callback == self.callback
        }
        self.pace.leases = leases

    async def _ask(
        self, poster: Poster, action: Action, by_key: Mapping[str, Subscription], now: datetime
    ) -> int:
        old = by_key.get(action.key) if action.key is not None else None
        if action.mode == "drop" or (
            action.mode == "unsubscribe" and old is not None and old.failures >= GIVE_UP
        ):  # (a hub that never held it, or never confirms letting it go)
            await self.write(self.store.push_forget, action.key)
            return 0
        if old is None:
            old = Subscription(
                action.feed_url,
                action.hub,
                action.topic,
                secrets.token_urlsafe(24),
                secrets.token_hex(24),
                "requested",
                callback=self.callback,
            )
        leaving = action.mode == "unsubscribe"
        # (a subscription let go counts its unsubscribe requests afresh: `GIVE_UP`)
        failures = 1 if leaving and old.state != "leaving" else old.failures + 1
        renewing = old.state == "active" and not leaving  # (its lease still holds)
        # Stored as asked before the request goes: a hub may check it before it answers.
        asked = dataclasses.replace(
            old,
            state="leaving" if leaving else ("active" if renewing else "requested"),
            requested_at=old.requested_at if renewing else now,
            failures=failures,
            next_try_at=retry_at(failures, now),
            error=None,
        )
        await self.write(self.store.push_asked, asked)
        fields = subscribe_fields(action.mode, action.topic, old.callback + old.key, old.secret)
        error = await poster.post_form(action.hub, fields, named_by=action.feed_url)
        if error is not None:  # (a hub that refused checks nothing)
            log.warning(
                "websub: %s refused to %s %s: %s; asked again at %s",
                action.hub,
                action.mode,
                action.feed_url,
                error,
                retry_at(failures, now).isoformat(timespec="seconds"),
            )
            failed: State = "leaving" if leaving else ("active" if renewing else "failed")
            await self.write(
                self.store.push_asked, dataclasses.replace(asked, state=failed, error=error)
            )
        return 1

    # --- the hub's requests to the callback (`push_web`) ----------------------------------

    async def verify(self, key: str, query: Mapping[str, str]) -> str | None:
        """The hub checks a request it was sent (`hub.mode` subscribe or unsubscribe, with
        `hub.topic`, `hub.challenge`, `hub.lease_seconds`) or says it refused one (`denied`,
        `hub.reason`): the challenge to echo when the request is ours, else None."""
        sub = await self.write(self.store.push_subscription, key)
        mode, topic = query.get("hub.mode", ""), query.get("hub.topic", "")
        if sub is None or topic != sub.topic:
            return None
        now = self.clock()
        if mode == "denied":
            reason = query.get("hub.reason", "")[:300] or "no reason given"
            log.warning("websub: %s denied the subscription to %s: %s", sub.hub, topic, reason)
            denied = dataclasses.replace(
                sub, state="denied", error=f"denied: {reason}", next_try_at=now + LAST_RETRY
            )
            await self.write(self.store.push_asked, denied)
            self.leases.pop(sub.feed_url, None)
            self.pending.add(sub.feed_url)  # (polled now, and at its own pace from then on)
            self.pushed.set()
            return ""
        challenge = query.get("hub.challenge", "")
        if not challenge or len(challenge) > 1024:  # (echoed as it came: kept short)
            return None
        if mode == "unsubscribe" and sub.state == "leaving":
            await self.write(self.store.push_forget, key)
            if self.leases.get(sub.feed_url) == sub.lease_until:
                self.leases.pop(sub.feed_url, None)
            log.info("websub: unsubscribed from %s at %s", topic, sub.hub)
            return challenge
        if mode != "subscribe" or sub.state == "leaving":
            return None
        lease = lease_end(query.get("hub.lease_seconds"), now)
        active = dataclasses.replace(
            sub,
            state="active",
            requested_at=now,
            lease_until=lease,
            failures=0,
            next_try_at=None,
            error=None,
        )
        await self.write(self.store.push_asked, active)
        self.leases[sub.feed_url] = lease
        if sub.state != "active":
            log.info("websub: subscribed to %s at %s until %s", topic, sub.hub, lease.date())
        return challenge

    async def receive(
        self, key: str, body: AsyncIterable[bytes], signature: str | None
    ) -> bool | None:
        """A notification from a hub: None when the key holds no subscription (the hub may
        drop it; its body is not read), False when its signature does not check (ignored),
        True when its feed is made due. The body is hashed as it arrives (what `body`
        raises, such as a size limit's error, goes through)."""
        sub = await self.write(self.store.push_subscription, key)
        if sub is None or sub.state == "leaving":
            return None
        checked = Signature(sub.secret, signature)
        if checked.given:
            async for chunk in body:
                checked.update(chunk)
        if not checked.ok():
            log.warning(
                "websub: a notification for %s failed its signature check; ignored", sub.topic
            )
            return False
        await self.write(self.store.push_pushed, key, self.clock())
        self.pending.add(sub.feed_url)
        self.pushed.set()
        log.info("websub: %s says %s changed", sub.hub, sub.feed_url)
        return True
