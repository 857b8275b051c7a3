"""Feeds whose entry times are not real times: every entry stamped at one time of day. Pure.

Some feeds date each entry by its day, or by the edition it went out in, at one fixed time:
Philstar's "00:00:00 +0800" (its zone's midnight) on every entry, the Straits Times'
"05:00:00 +0800" (its morning edition's hour). Read as times, a report filed that evening is
up to a day old when first seen: it ranks low on the front page and in readers, and grouping
compares it across the wrong gaps. The day is right; the time is not. Such a stamp says the
entry went out in the 24 hours after it (its day, its edition). A new entry of a feed read
before went out since that read: when the read came after its stamp (so the stamp is not
when it went out) and it is first seen within its stamp's day, it is dated when first seen,
as an undated one is (`redated`). On a feed's first poll nothing tells when its entries went
out, and stamps stand; so do those of entries stamped after the last read (a true 06:00
issue read at 05:00 and next at 09:00, or a day's reports after days unread: paused,
failing, the service stopped), and of one first seen a day or more after its stamp (an
earlier day's report).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta

from .models import Item

__all__ = ["FIXED_TIME_LEAST", "fixed_clock", "redated"]

FIXED_TIME_LEAST = 3  # dated entries of a feed at one time of day for it to be no entry's own
_DAY = timedelta(days=1)


def fixed_clock(dates: Iterable[datetime]) -> time | None:
    """The one time of day (UTC) every one of a feed's entry dates is at, when there are at
    least `FIXED_TIME_LEAST` of them and it is a whole quarter hour (a zone's midnight or an
    edition's hour, in any zone); else None. Two entries at midnight may be two reports filed
    then; a time to the second is a moment, not a day."""
    clocks: set[time] = set()
    count = 0
    for when in dates:
        clocks.add(when.astimezone(UTC).time())
        count += 1
        if len(clocks) > 1:
            return None
    if count < FIXED_TIME_LEAST:
        return None
    (clock,) = clocks
    whole = clock.second == clock.microsecond == 0 and clock.minute % 15 == 0
    return clock if whole else None


def redated(items: Sequence[Item], clock: time | None, now: datetime, read: datetime) -> list[Item]:
    """A polled feed's items, first seen `now`, with those dated at its fixed `clock`
    (`fixed_clock`) within the day before `now`, and at or before the feed's last successful
    read `read`, dated `now`. Only for a feed read before: its new items went out since (its
    known ones keep their stored date); one stamped after that read may have gone out at its
    stamp, which stands."""
    if clock is None:
        return list(items)
    return [
        dataclasses.replace(item, published=now) if _stamped_today(item, clock, now, read) else item
        for item in items
    ]


def _stamped_today(item: Item, clock: time, now: datetime, read: datetime) -> bool:
    stamp = item.published
    if stamp is None or not stamp <= read or not stamp <= now < stamp + _DAY:
        return False
    return stamp.astimezone(UTC).time() == clock
