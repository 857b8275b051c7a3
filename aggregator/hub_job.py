"""The hub job: tell the operator's WebSub hubs (`[publish] hubs`) which category feeds changed.

A pass renders each category's Atom feed (and all stories', and their "top stories"
flavours) as the server would serve it, compares its digest with what each hub was last told
(kept in the database, so a restart or a cron `poll --once` tells nothing twice), and sends
each hub one publish notification per format of each changed feed (`websub`). A hub that
fails keeps its old digests and is told again after a pause doubling from a minute to an
hour; the others are not held up. `run` checks every `interval` seconds and passes only when
the published data changed since (or a failed hub is due); `poll --once` passes once at its
end; a static `publish` tells the hubs itself, of the feed files it rewrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from .config import Settings
from .errors import StorageError
from .health import HUBS, hub_states
from .network import Network
from .site import Site
from .store import Store
from .websub import feed_key, news_for, ping_fields, retry_after, topic_digest, topics
from .wording import counted

__all__ = ["HubJob", "HubPass", "tell_hubs"]

log = logging.getLogger("aggregator")
PINGED = "websub_pinged"  # meta: {hub: {feed key: digest last told}}
TOLD_VERSION = "websub_version"  # meta: the data version every hub was told of
Write = Callable[..., Awaitable[Any]]


def _fixed() -> datetime:
    return datetime(2000, 1, 1, tzinfo=UTC)


class Poster(Protocol):
    async def post_form(self, url: str, fields: list[tuple[str, str]]) -> str | None: ...


@dataclass
class HubPass:
    """What one pass told: notifications the hubs took, and each failing hub's error."""

    told: int = 0
    failed: dict[str, str] = field(default_factory=dict)


async def tell_hubs(poster: Poster, due: Mapping[str, Iterable[str]]) -> HubPass:
    """Send each hub in `due` a notification for each of its addresses (every hub at once,
    one address after another to each); a hub stops at its first failure."""

    async def tell(hub: str, addresses: Iterable[str]) -> tuple[int, str | None]:
        sent = 0
        for address in addresses:
            error = await poster.post_form(hub, ping_fields(address))
            if error is not None:
                return sent, error
            sent += 1
        return sent, None

    hubs = list(due)
    answers = await asyncio.gather(*(tell(hub, due[hub]) for hub in hubs))
    result = HubPass()
    for hub, (sent, error) in zip(hubs, answers, strict=True):
        result.told += sent
        if error is not None:
            result.failed[hub] = error
    return result


class HubJob:
    """The WebSub notifications of one store's published feeds."""

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
        self.clock = clock  # (when a hub was told, or failed: `status`, /healthz)
        self.hubs = settings.publish.hubs
        self.publish = settings.publish
        self.reader = store.reader()
        # (a fixed clock: an empty feed says the hour it was rendered, no news to a hub)
        self.site = Site(self.reader, settings.publish, clock=_fixed, digest=settings.digest)
        self._version: str | None = None  # the published data's version at the last pass
        self._failures: dict[str, int] = {}  # hub → failed passes in a row
        self._due_at: dict[str, float] = {}  # hub → monotonic time it may be told again
        self.network = network if network is not None else Network()  # (the poll job's: `run`)
        if self.hubs and not self.publish.public_base_url:
            log.warning(
                "websub: publish.base_url is not set, so the hubs are told of feeds at %s, "
                "which they fetch from elsewhere; set publish.base_url to the address readers use",
                self.publish.base_url,
            )

    def _digests(self) -> dict[str, str]:
        """Feed key → digest of every category feed's Atom rendering (a reading thread)."""
        digests = {}
        for _name, slug in self.site.feed_list():
            for top in (False, True):
                output = self.site.feed(slug, "atom", top)
                if output is not None:
                    digests[feed_key(slug, top)] = topic_digest(output.body)
        return digests

    def _pinged(self) -> tuple[dict[str, dict[str, str]], str | None]:
        """What each hub was last told, and the data version all were told of (writer
        thread); a damaged value reads as nothing told."""
        pinged, version, _ = self._told()
        return pinged, version

    def _told(self) -> tuple[dict[str, dict[str, str]], str | None, dict[str, dict[str, str]]]:
        """`_pinged`'s two, and how each hub last answered (`HUBS`), in one read."""
        values = self.store.meta_values([PINGED, TOLD_VERSION, HUBS])
        states = hub_states(values.get(HUBS))
        with contextlib.suppress(ValueError, TypeError):
            found = json.loads(values.get(PINGED) or "{}")
            if isinstance(found, dict):
                pinged = {h: dict(k) for h, k in found.items() if isinstance(k, dict)}
                return pinged, values.get(TOLD_VERSION), states
        return {}, None, states

    def _remember(
        self,
        told: Mapping[str, Mapping[str, str]],
        version: str | None,
        outcomes: Mapping[str, str | None],
        at: str,
    ) -> None:
        """Record what each configured hub now knows, the data version when every hub knows
        it, and how each hub asked at `at` answered (`outcomes`: None, or its error; `HUBS`)
        (writer thread); hubs no longer configured are forgotten."""
        pinged, _, states = self._told()
        pinged.update({hub: dict(digests) for hub, digests in told.items()})
        kept = {hub: pinged[hub] for hub in self.hubs if hub in pinged}
        for hub, error in outcomes.items():
            state = states.setdefault(hub, {})
            if error is None:
                states[hub] = {"told_at": at}
            else:
                state.update(failed_at=at, error=error)
                state.setdefault("failing_since", at)
        with self.store.transaction():
            self.store.set_meta(PINGED, json.dumps(kept, sort_keys=True))
            self.store.set_meta(TOLD_VERSION, version or "")
            shown = {hub: states[hub] for hub in self.hubs if hub in states}
            self.store.set_meta(HUBS, json.dumps(shown, sort_keys=True))

    def retry_due(self) -> bool:
        """Whether a hub that failed has waited its pause."""
        now = time.monotonic()
        return any(at <= now for at in self._due_at.values())

    async def run_pass(self, poster: Poster) -> HubPass:
        """Tell each hub that is not pausing after a failure of the feeds it has not heard of
        (none while the service's own network is down: each would fail, and pause)."""
        if not self.hubs or self.network.down:
            return HubPass()
        self._version = version = await asyncio.to_thread(self.reader.version)
        pinged, told_version = await self.write(self._pinged)
        if version == told_version and not self._due_at:
            return HubPass()  # (every hub heard of this data: a cron run with nothing new)
        current = await asyncio.to_thread(self._digests)
        now = time.monotonic()
        ready = [hub for hub in self.hubs if self._due_at.get(hub, 0.0) <= now]
        news = news_for(ready, current, pinged)
        due = {
            hub: [address for key in keys for address in topics(key, self.publish)]
            for hub, keys in news.items()
        }
        result = await tell_hubs(poster, due)
        told = {}
        for hub in news:
            if hub in result.failed:
                self._failures[hub] = failures = self._failures.get(hub, 0) + 1
                pause = retry_after(failures)
                self._due_at[hub] = time.monotonic() + pause
                log.warning(
                    "websub: %s failed: %s; %s not told of, trying again in %.0f s",
                    hub, result.failed[hub], counted(len(news[hub]), "changed feed"), pause,
                )  # fmt: skip
                continue
            self._failures.pop(hub, None)
            self._due_at.pop(hub, None)
            told[hub] = {**pinged.get(hub, {}), **{key: current[key] for key in news[hub]}}
            log.info("websub: told %s of %s", hub, counted(len(news[hub]), "changed feed"))
        everyone = not self._due_at  # (no hub is pausing after a failure)
        outcomes = {hub: result.failed.get(hub) for hub in news}
        if outcomes or everyone or any(hub not in self.hubs for hub in pinged):
            at = self.clock().isoformat(timespec="seconds")
            await self.write(self._remember, told, version if everyone else None, outcomes, at)
        return result

    async def changed(self) -> bool:
        """Whether the published data changed since the last pass."""
        return await asyncio.to_thread(self.reader.version) != self._version

    async def loop(self, poster: Poster, stop: asyncio.Event, interval: float) -> None:
        """Pass whenever the published data changed (checked every `interval` seconds) or a
        hub that failed is due again, until `stop` is set."""
        while not stop.is_set():
            try:
                if await self.changed() or self.retry_due():
                    await self.run_pass(poster)
            except StorageError as exc:
                log.error("websub job failed: %s; trying again in %.0f s", exc, interval)
            except Exception:  # a bug must not end the service's other jobs
                log.exception("websub job failed; trying again in %.0f s", interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
