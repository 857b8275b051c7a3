"""Is the service's own network down? A pure judgement over a poll pass's fetches.

When the machine loses its network (a router restarting, a resolver down, a cable out), every
feed fails at once: a name lookup fails, a connect times out. Counted as each feed's error,
that outage would back every feed off (its interval doubling up to a day) and leave it stale
for hours after the network is back. Instead, once hosts that answered before cannot be
reached and no host answers in between, the network counts as down: feeds are not asked and
no error is counted, a few feeds of different hosts are asked now and then (30 s after, the
pause doubling to 5 minutes) to find when it is back, and the first answer ends it: the feeds
waiting are due, and polled at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .backoff import doubled_delta

__all__ = ["DOWN_AFTER", "FIRST_TRY", "LAST_TRY", "PROBES", "Network", "pause_before_pass"]

DOWN_AFTER = 3  # hosts that answered before, unreached with no answer between: the network down
PROBES = 3  # feeds (each of another host) asked in a pass while the network is down
FIRST_TRY = timedelta(seconds=30)  # the pause before the first such pass, doubling ...
LAST_TRY = timedelta(minutes=5)  # ... to this


@dataclass
class Network:
    """What a poll job knows of its own network: the hosts unreached since any host last
    answered (host → the failure), and since when the network has been down, if it is."""

    unreached: dict[str, str] = field(default_factory=dict)
    down_since: datetime | None = None
    tries: int = 0  # passes that asked feeds while down
    try_at: datetime | None = None  # while down, when feeds are asked next
    said: str = ""  # while down, a failure that made it so

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def answered(self) -> datetime | None:
        """A host answered (any HTTP response): the network works. When it was down, since
        when (it is back now); else None."""
        self.unreached.clear()
        was, self.down_since, self.tries, self.try_at = self.down_since, None, 0, None
        self.said = ""
        return was

    def failed(self, host: str, error: str, now: datetime, *, answered_before: bool) -> bool:
        """A fetch failed before reaching `host` (a name lookup, a connect: `FetchFailed.
        unreached`); whether that makes the network down now. Only a host whose feed
        answered at its last poll counts (`answered_before`): a site gone for good fails
        as fast as a lost network, and must not look like one."""
        if self.down or not answered_before:
            return False
        self.unreached[host] = error
        if len(self.unreached) < DOWN_AFTER:
            return False
        self.down_since, self.try_at = now, now + FIRST_TRY
        self.said = next(iter(self.unreached.values()))
        return True

    def resume(self, since: datetime, said: str, now: datetime) -> None:
        """Down since `since`, as an earlier process found it (`said`, its failure): a few
        feeds are asked first, now, rather than all of them failing again."""
        self.down_since, self.said, self.try_at, self.tries = since, said, now, 0

    def probes(self, hosts: Sequence[str], now: datetime) -> set[int]:
        """Which of a pass's due feeds (their hosts, in order) it asks while the network is
        down: none before `try_at`; then up to `PROBES`, each of another host, taken further
        along the list each time (a host down on its own is not asked every time), and the
        next try is set `FIRST_TRY` later, doubling to `LAST_TRY`."""
        if self.try_at is not None and now < self.try_at:
            return set()
        chosen: set[int] = set()
        seen: set[str] = set()
        count = len(hosts)
        start = (self.tries * PROBES) % count if count else 0
        for step in range(count):
            index = (start + step) % count
            if hosts[index] in seen:
                continue
            seen.add(hosts[index])
            chosen.add(index)
            if len(chosen) == PROBES:
                break
        self.try_at = now + doubled_delta(FIRST_TRY, self.tries, LAST_TRY)
        self.tries += 1
        return chosen

    def example(self) -> str:
        """One failure that made the network down, for the log and `/healthz`."""
        return self.said or next(iter(self.unreached.values()), "")


def pause_before_pass(
    next_due: datetime | None, try_at: datetime | None, now: datetime, tick: float
) -> float:
    """Seconds the service waits before its next poll pass: until the next feed is due, at
    most `tick` (the OPML is read again each pass), at least a second. While the network is
    down (`try_at`: `Network.try_at`), feeds already due wait for the next try, and one not
    due yet for its time."""
    if try_at is not None:
        next_due = try_at if next_due is None else max(try_at, next_due)
    if next_due is None:
        return tick
    return max(1.0, min(tick, (next_due - now) / timedelta(seconds=1)))
