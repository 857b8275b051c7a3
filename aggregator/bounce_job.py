"""The bounce job: read the digest's bounces from its mailbox and stop mailing addresses that
fail for good (`[digest] bounce_host`).

A pass reads the folder's messages new since the last pass (`bounce_mail`, in a thread),
judges those that may be bounces (`bounces.failures`), and counts the permanent failures of
the addresses the digests mail (`bounce_store`): a reader who signed up on the site is
unsubscribed at `bounces.DAYS_TO_UNSUBSCRIBE` days of bounces, and an address the settings
list is named in a warning for the operator to take out. `run` passes every
`BOUNCE_CHECK` seconds, none while the service's own network is down (`network`: the
mailbox would fail to be read, and be said failing, for what is no fault of its own);
`aggregator subscribers --read-bounces` passes once, as asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .bounce_store import BounceBook, Bounced
from .bounces import DAYS_TO_UNSUBSCRIBE, Failures, failures
from .errors import StorageError
from .mail_tags import vouches
from .mail_thread import in_mail_thread
from .network import Network
from .signup_store import Subscribers
from .wording import counted

if TYPE_CHECKING:
    from .digest_settings import DigestSettings
    from .store import Store

__all__ = ["BOUNCE_CHECK", "BounceJob", "BouncePass"]

log = logging.getLogger("aggregator")

BOUNCE_CHECK = 3600.0  # seconds between reads of the bounce mailbox in `run`
Write = Callable[..., Awaitable[Any]]


@dataclass
class BouncePass:
    """What one pass found: messages looked at, bounces read, the addresses they say failed
    for good (each with its reason), those of them the digests mail (`counted`: their days
    of bounces; those at `DAYS_TO_UNSUBSCRIBE` no longer get a digest when they signed up),
    and the mailbox's error when it could not be read."""

    looked_at: int = 0
    bounces: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    counted: dict[str, Bounced] = field(default_factory=dict)
    error: str | None = None
    unproven: set[str] = field(default_factory=set)  # quoting no message sent to them


def _read_bounce(
    raw: bytes, key: bytes, listed: Collection[str]
) -> tuple[Failures, set[str], set[str]]:
    """What a bounce says failed; those of its addresses it quotes a digest sent to
    (`mail_tags.vouches`), and of those, the ones it quotes their own copy for (the list's
    message is anyone's who has it). Blocking, a second and more for a big one naming
    thousands: run it in a thread (it had run on the event loop, the site's pages waiting)."""
    said = failures(raw)
    own = {address for address in said.permanent if vouches(key, said.message_ids, address)}
    shared = {
        address
        for address in said.permanent - own
        if address in listed and vouches(key, said.message_ids, address, shared=True)
    }
    return said, own | shared, own


class BounceJob:
    """The bounce mailbox of one store's digests, written through `write` (the writer)."""

    def __init__(
        self,
        store: Store,
        write: Write,
        settings: DigestSettings,
        password: str,
        clock: Callable[[], datetime],
        *,
        network: Network | None = None,
    ) -> None:
        self.book = BounceBook(store)
        self.write = write
        self.settings = settings
        self.password = password
        self.clock = clock
        self.network = network if network is not None else Network()  # (the poll job's: `run`)

    async def run_pass(self) -> BouncePass:
        from .bounce_mail import MailboxError, MailboxMark, read_new

        mark = MailboxMark.read(await self.write(self.book.mark))
        try:
            read = await in_mail_thread(read_new, self.settings, self.password, mark)
        except MailboxError as exc:
            await self.write(self.book.read_failed, str(exc), self.clock())
            log.warning("bounces: mailbox not read: %s", exc)
            return BouncePass(error=str(exc))
        found = BouncePass(read.looked_at, len(read.bounces))
        reports: list[tuple[str, Any, str]] = []
        mine: set[str] = set()  # (addresses a bounce quoted their own copy for)
        listed = self.settings.listed_addresses
        key = await self.write(Subscribers(self.book.store).key)
        for day, raw in read.bounces:
            said, proven, own = await asyncio.to_thread(_read_bounce, raw, key, listed)
            mine |= own
            for address in sorted(said.permanent):
                found.failed[address] = said.reason
                if address in proven:
                    reports.append((address, day, said.reason))
                    continue
                found.unproven.add(address)
                log.info(
                    "bounces: %s not counted: the bounce quotes no message the digests sent "
                    "it (forged, or it leaves out the message's headers)",
                    address,
                )
        list_only = {address for address, _, _ in reports} - mine
        found.counted = await self.write(self.book.record, reports, listed, self.clock(), list_only)
        await self.write(self.book.read_done, read.mark.text(), self.clock())
        for address, bounced in sorted(found.counted.items()):
            if bounced.days < DAYS_TO_UNSUBSCRIBE:
                continue
            if bounced.unsubscribed:
                log.warning(
                    "bounces: unsubscribed %s from %s: its mail bounced on %d days (last: %s)",
                    address,
                    ", ".join(bounced.unsubscribed),
                    bounced.days,
                    bounced.reason,
                )
            if bounced.listed:
                log.warning(
                    "bounces: %s bounced on %d days (last: %s): take it out of [digest.recipients]",
                    address,
                    bounced.days,
                    bounced.reason,
                )
        if found.bounces:
            log.info(
                "bounces: %s, %s, %s failed for good, %d of them the digests'",
                counted(found.looked_at, "new message"),
                counted(found.bounces, "bounce"),
                counted(len(found.failed), "address", "addresses"),
                len(found.counted),
            )
        return found

    async def loop(self, stop: asyncio.Event, interval: float = BOUNCE_CHECK) -> None:
        """Pass every `interval` seconds until `stop`; a failing database waits for the
        next."""
        while not stop.is_set():
            try:
                if not self.network.down:
                    await self.run_pass()
            except StorageError as exc:
                log.warning("bounces: not recorded now: %s", exc)
            except Exception:  # a bug must not end the reads for good (the task would)
                log.exception("bounces: the read failed; trying again in %.0f s", interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
