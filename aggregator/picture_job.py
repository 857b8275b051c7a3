"""The picture job: ask once for each picture a story is shown with, so none shows as an
empty frame (`[publish] check_pictures`).

A pass takes the pictures of stored summaries never checked (or due again after a failure
that may pass), newest first: `PER_PASS` at most of the first `PER_PASS * TURNS_FROM`, the
hosts taking turns (`by_turns`). It fetches the first `SNIFF_BYTES` of each through the
shared `Fetcher` (its slots, timeouts, redirect and address policy: a host inside the network
only where the operator listed a feed), `FETCHES` at a time in `run` (all of the fetcher's in
`poll --once`, whose feeds are polled by then), and records what `picture_checks.judge`
says. A story shown with a picture that failed is marked, and the
story job chooses its picture again (`entry_images.lead_image` over the pictures not known to
fail): the next source's, or none. Its text is not summarised again: only the picture moves.
`run` passes every `interval` seconds, and at once again after a pass that found more
waiting than it may ask for (a cold start's backlog); `poll --once`, after its article pages,
passes until no story was marked and none is left waiting (`MAX_ONCE_PASSES` at most, the
newest stories' pictures first), and only when its pass changed a story or a check is due
again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .errors import StorageError
from .fetch import PICTURE_ACCEPT
from .models import FetchFailed
from .network import Network
from .picture_checks import SNIFF_BYTES, Verdict, judge

if TYPE_CHECKING:
    from .fetch import Fetcher
    from .store import Store

__all__ = ["PictureJob", "PicturePass"]

log = logging.getLogger("aggregator")

PER_PASS = 200  # pictures one pass asks for, at most
TURNS_FROM = 5  # a pass takes its pictures from this many passes' worth, hosts in turns
UNREACHABLE_FOR = 600.0  # seconds a host that gave no answer is not asked again
MAX_ONCE_PASSES = 20  # passes `poll --once` makes, at most (it stops once none waits)
FETCHES = 8  # pictures `run` asks for at once (the fetcher's per-host limit holds too)
Write = Callable[..., Awaitable[Any]]


@dataclass
class PicturePass:
    """What one pass found: pictures asked for, those that failed, stories marked, and
    whether more were waiting than it took (`more`)."""

    checked: int = 0
    failed: int = 0
    stories_marked: int = 0
    more: bool = False

    @property
    def again(self) -> bool:
        """Whether to pass again now: a story's next picture to ask for, or more waiting."""
        return bool(self.stories_marked) or self.more


def by_turns(due: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """`due` (picture, checks so far) with the hosts taking turns: each host's first, then
    each one's second, and so on. The fetcher lets two requests at a time go to one host, so
    a pass whose pictures came host by host (a batch of stories summarised at one time, in
    address order) would keep all but two of its `FETCHES` waiting on the first host."""
    hosts: dict[str, list[tuple[str, int]]] = {}
    for entry in due:
        hosts.setdefault(urlsplit(entry[0]).hostname or "", []).append(entry)
    turns = [
        (n, order, entry)
        for order, kept in enumerate(hosts.values())
        for n, entry in enumerate(kept)
    ]
    return [entry for _, _, entry in sorted(turns, key=lambda turn: turn[:2])]


def _log_failures(failed: list[tuple[str, Verdict]]) -> None:
    """One line per host whose pictures failed: how many, and the first one's error."""
    hosts: dict[str, list[tuple[str, Verdict]]] = {}
    for url, verdict in failed:
        hosts.setdefault(urlsplit(url).hostname or "", []).append((url, verdict))
    for _, found in sorted(hosts.items()):
        url, verdict = found[0]
        again = " (asked again later)" if verdict.retry else ""
        more = f" and {len(found) - 1} more of its pictures" if len(found) > 1 else ""
        log.info("pictures: %s%s do not load: %s%s", url, more, verdict.error, again)


class PictureJob:
    """The picture checks of one store, on its writer thread (`write`)."""

    def __init__(
        self,
        store: Store,
        write: Write,
        clock: Callable[[], datetime],
        proxy: str = "off",
        *,
        network: Network | None = None,
    ) -> None:
        self.store = store
        self.write = write
        self.clock = clock
        self.proxy = proxy  # `[publish] picture_proxy`: the pictures the site fetches itself
        # Hosts that gave no answer (no address, no connection, a timeout): their pictures
        # are not asked for until then (monotonic time), and fail as theirs did.
        self._unreachable: dict[str, tuple[float, FetchFailed]] = {}
        self.network = network if network is not None else Network()  # (the poll job's: `run`)

    async def run_pass(self, fetcher: Fetcher, fetches: int = FETCHES) -> PicturePass:
        """Ask for the pictures waiting, `fetches` at a time (`poll --once`, whose feeds are
        polled by then, may take all of the fetcher's; `run` leaves its polls room). None is
        asked while the service's own network is down (`network`): each would fail, and a
        picture that fails is not shown for hours."""
        if self.network.down:
            return PicturePass()
        now = self.clock()
        # (from a few passes' worth, so a pass has many hosts to take turns: the newest
        # stories' pictures may come a host at a time, in address order)
        due = await self.write(self.store.pictures_to_check, now, PER_PASS * TURNS_FROM)
        if not due:
            return PicturePass()
        more = len(due) > PER_PASS
        due = by_turns(due)[:PER_PASS]
        from .publish import is_proxied

        slots = asyncio.Semaphore(fetches)
        started = time.monotonic()
        unreachable = {
            host: failed for host, (until, failed) in self._unreachable.items() if until > started
        }
        self._unreachable = {}
        known = set(unreachable)  # (logged when they failed)

        async def check(url: str, tries: int) -> tuple[str, int, Verdict]:
            host = urlsplit(url).hostname or ""
            async with slots:
                outcome = unreachable.get(host) or await fetcher.fetch(
                    url, accept=PICTURE_ACCEPT, max_bytes=SNIFF_BYTES, trusted=False, cut=True
                )
            if isinstance(outcome, FetchFailed) and outcome.status is None:
                unreachable.setdefault(host, outcome)  # (its other pictures: not asked now)
                self._unreachable.setdefault(host, (time.monotonic() + UNREACHABLE_FOR, outcome))
            proxied = is_proxied(url, self.proxy)
            return url, tries + 1, judge(outcome, tries + 1, self.clock(), proxied=proxied)

        verdicts = await asyncio.gather(*(check(url, tries) for url, tries in due))
        marked = await self.write(self.store.record_picture_checks, verdicts, self.clock())
        failed = [(url, verdict) for url, _, verdict in verdicts if not verdict.shown]
        _log_failures([(url, v) for url, v in failed if urlsplit(url).hostname not in known])
        return PicturePass(len(verdicts), len(failed), marked, more)

    async def loop(
        self,
        fetcher: Fetcher,
        stop: asyncio.Event,
        resummarize: Callable[[], Awaitable[None]],
        interval: float,
    ) -> None:
        """Pass every `interval` seconds until `stop`, at once again while pictures wait (a
        cold start's backlog, a busy hour's); a pass that marked stories has them given their
        next picture (`resummarize`). A failing database waits for the next."""
        while not stop.is_set():
            wait = interval
            try:
                report = await self.run_pass(fetcher)
                if report.stories_marked:
                    await resummarize()
                if report.more:
                    wait = 0
            except StorageError as exc:
                log.warning("pictures: not checked now: %s", exc)
            except Exception:  # a bug must not end the checks for good (the task would)
                log.exception("pictures: the checks failed; trying again in %.0f s", interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
