"""Retention: items and stories nobody will see again are pruned, so the database stops
growing. A periodic job: a pure "what is due, and up to when" decision, and an IO part
(`store_upkeep.prune`) run on the service's writer thread.

A story is pruned when it has been quiet (no new item, no update) for `max_age`, and is not
among the stories a category feed (or the all-stories feed) still publishes, so no id a
reader can still see disappears, nor among the stories the grouping window holds: quiet is
measured by publication times, and a window rebuilt from rows dates its stories by when
their items were first seen (a story of months-old items polled yesterday is in it). Then
everything pruned is outside the window, and the window's snapshot still stands for the
store (`StoryJob.pruned_outside_window`). Its items go with it; their ids are remembered for
`forget_after` so an entry that lingers in its feed is not stored (and announced) again.

What an original keeps to be found by near-identical copies (its near-duplicate keys and
shingle hashes: a fifth of the database) is dropped `near_copies` after it was first seen,
so that part of the store, and the index pages a grouping pass writes, stay the size of the
last week's news; copies of older items are still found by link, guid and text hash. An
item's grouping features go once it left the active window (`terms_cutoff`): only a window
restored from the rows reads them.

Nothing is pruned while the clock is far past the newest time a feed dated an item
(`clock_ahead`): a clock set years ahead would otherwise take every story for a quiet one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from .errors import StorageError

log = logging.getLogger("aggregator")
PRUNED_AT = "retention_at"  # the meta key of the last prune's time (`store_upkeep.prune`)


@dataclass(frozen=True, slots=True)
class RetentionSettings:
    """`[retention]`: how long a quiet item or story is kept, and how often the job runs."""

    max_age: timedelta = timedelta(days=30)  # quiet this long: pruned (unless still published)
    every: timedelta = timedelta(hours=6)  # how often the job runs
    forget_after: timedelta = timedelta(days=365)  # how long pruned item ids are remembered
    near_copies: timedelta = timedelta(days=7)  # how long an original is found by near copies


def is_due(last_run: datetime | None, now: datetime, settings: RetentionSettings) -> bool:
    """Whether the job should run now. Pure."""
    return last_run is None or now - last_run >= settings.every or last_run > now


def cutoff(now: datetime, settings: RetentionSettings, active_window: timedelta) -> datetime:
    """Stories quiet since before this are pruned. Never inside the clusterer's active window
    (plus a day) by publication time; the stories the window holds are kept besides (see
    the module). Pure."""
    return _past_window(now, settings.max_age, active_window)


def near_cutoff(now: datetime, settings: RetentionSettings, active_window: timedelta) -> datetime:
    """Originals first seen before this are no longer found by near-identical copies. Never
    inside the active window (plus a day), where a copy would otherwise be grouped as a report
    of its own. Pure."""
    return _past_window(now, settings.near_copies, active_window)


def terms_cutoff(now: datetime, active_window: timedelta) -> datetime:
    """Items first seen before this keep no grouping features: a window restored from the
    rows reads those of the items first seen within `active_window` only (a day's margin for
    a clock that steps back). Pure."""
    return _past_window(now, timedelta(0), active_window)


def _past_window(now: datetime, kept: timedelta, active_window: timedelta) -> datetime:
    """`now` less `kept`, and at least the active window and a day."""
    return now - max(kept, active_window + timedelta(days=1))


def ahead_margin(settings: RetentionSettings) -> timedelta:
    """How far past the newest news the clock may be and retention still prune: a quarter of
    `max_age`, at least two days (a clock ahead by less prunes at most that much early)."""
    return max(timedelta(days=2), settings.max_age / 4)


def clock_ahead(
    now: datetime, newest_news: datetime | None, settings: RetentionSettings
) -> timedelta | None:
    """How far `now` is past `newest_news` (the newest time a feed dated an item: the
    publishers' clocks, not ours) when more than `ahead_margin`; None when it is not, or
    there is nothing to judge by. A clock that far ahead (a real-time clock wrong before NTP
    set it) would prune as quiet every story readers still see; so would one whose feeds have
    brought nothing for that long, when nothing new needs the room. Pure."""
    if newest_news is None:
        return None
    gap = now - newest_news
    return gap if gap > ahead_margin(settings) else None


def _span(gap: timedelta) -> str:
    """A gap as the log says it: "1,460 days", "7.5 days", "20 hours"."""
    days = gap / timedelta(days=1)
    if days >= 100:
        return f"{int(days):,} days"
    if days >= 2:
        return f"{days:.1f}".removesuffix(".0") + " days"
    return f"{gap / timedelta(hours=1):.0f} hours"


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What one retention pass deleted."""

    stories: int = 0
    items: int = 0
    forgotten: int = 0  # remembered ids of pruned items that expired
    near_dropped: int = 0  # originals whose near-duplicate keys and hashes went
    terms_dropped: int = 0  # items whose grouping features went
    search_stale: int = 0  # former versions dropped from the search index (`search_index.tidy`)


class Window(Protocol):
    """The grouping window a prune must leave whole (`StoryJob`), called on the writer thread."""

    def held_stories(self) -> AbstractSet[str]:
        """The stories the window holds (kept or written): never pruned."""
        ...

    def pruned_outside_window(self, before: tuple[str, int]) -> None:
        """The store changed (from the grouping stamp `before`) only where the window holds
        nothing: its snapshot may be stamped anew."""
        ...


def _forget_unconfirmed(store: Any, now: datetime) -> int:
    """Readers' sign-ups never confirmed, forgotten once their links no longer work."""
    from .signup_store import Subscribers

    return Subscribers(store).forget_unconfirmed(now)


def _prune(store: Any, window: Window | None, *args: Any, **kwargs: Any) -> PruneReport:
    """The prune on the writer thread, as one step with the window's part: no other write
    comes between the stamp read before it and the restamp after it."""
    from . import store_upkeep

    if window is None:
        return store_upkeep.prune(store, *args, **kwargs)
    before = store.grouping_stamp()
    report = store_upkeep.prune(store, *args, held=window.held_stories(), **kwargs)  # type: ignore[misc]
    window.pruned_outside_window(before)
    return report


def _newest_news(store: Any) -> datetime | None:
    from .store_upkeep import newest_news

    return newest_news(store)


def _held_off(store: Any, now: datetime) -> None:
    """A prune held off is stamped as run: looked at again after `every` (a clock set right
    meanwhile finds the stamp in its future, which is due at once: `is_due`)."""
    from .store_rows import to_iso

    store.set_meta(PRUNED_AT, to_iso(now))


def last_prune(store: Any) -> datetime | None:
    """When the prune last ran (None: never). Read here, so a pass with no prune due does not
    load the prune's own module (`store_upkeep`: ~1 ms of a cron pass's imports)."""
    from .store_rows import from_iso

    return from_iso(store.meta_values([PRUNED_AT]).get(PRUNED_AT))


class RetentionJob:
    """Runs the prune when due; `write` runs a function on the writer thread. With a
    `window`, the stories it holds are not pruned, and it is told after the prune."""

    def __init__(
        self,
        store: Any,
        write: Callable[..., Awaitable[Any]],
        settings: RetentionSettings,
        *,
        keep_per_category: int,
        top_min_outlets: int = 2,
        active_window: timedelta,
        clock: Callable[[], datetime],
        window: Window | None = None,
    ) -> None:
        self.store = store
        self.window = window
        self.write = write
        self.settings = settings
        self.keep = keep_per_category
        self.top_min_outlets = top_min_outlets
        self.active_window = active_window
        self.clock = clock

    async def run_if_due(self) -> PruneReport | None:
        now = self.clock()
        last = await self.write(last_prune, self.store)
        if not is_due(last, now, self.settings):
            return None
        newest = await self.write(_newest_news, self.store)
        if (ahead := clock_ahead(now, newest, self.settings)) is not None:
            await self.write(_held_off, self.store, now)
            log.warning(
                "retention skipped: the clock (%s) is %s past the newest time a feed dated an "
                "item (%s), more than %s: a clock set ahead would prune what readers still "
                "see; pruning goes on once items come in dated near the clock",
                f"{now.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
                _span(ahead),
                f"{newest.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if newest else "-",
                _span(ahead_margin(self.settings)),
                extra={
                    "fields": {
                        "event": "retention",
                        "status": "skipped",
                        "clock_ahead_seconds": int(ahead.total_seconds()),
                    }
                },
            )
            return None
        report: PruneReport = await self.write(
            _prune,
            self.store,
            self.window,
            now,
            cutoff(now, self.settings, self.active_window),
            now - self.settings.forget_after,
            self.keep,
            near_before=near_cutoff(now, self.settings, self.active_window),
            terms_before=terms_cutoff(now, self.active_window),
            top_min_outlets=self.top_min_outlets,
        )
        forgotten = await self.write(_forget_unconfirmed, self.store, now)
        log.info(
            "retention stories_pruned=%d items_pruned=%d ids_forgotten=%d near_dropped=%d "
            "terms_dropped=%d search_stale_dropped=%d signups_forgotten=%d",
            report.stories,
            report.items,
            report.forgotten,
            report.near_dropped,
            report.terms_dropped,
            report.search_stale,
            forgotten,
            extra={
                "fields": {
                    "event": "retention",
                    "stories_pruned": report.stories,
                    "items_pruned": report.items,
                    "ids_forgotten": report.forgotten,
                    "near_dropped": report.near_dropped,
                    "terms_dropped": report.terms_dropped,
                    "search_stale_dropped": report.search_stale,
                    "signups_forgotten": forgotten,
                }
            },
        )
        return report

    async def run_logged(self) -> None:
        """`run_if_due` as the service runs it: a database failure is logged, and the job
        runs again after the next cycle."""
        try:
            await self.run_if_due()
        except StorageError as exc:
            log.error("retention status=error error=%r; trying again later", str(exc))
        except Exception:  # a bug must not end the service (it would, every cycle)
            log.exception("retention status=error; trying again after the next cycle")
