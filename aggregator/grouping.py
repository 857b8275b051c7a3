"""One grouping pass over stored items: dedupe, then story assignment, then merges.

The poller (`Service`) and the batch command (`aggregator cluster`) both call `group_pending`,
so a labelled file grouped in batch gets the stories the poller would give it. A pass cuts
its items into runs of publication time (`publication_runs`), so how items are grouped does
not depend on how many polls they arrived in.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from .cluster import Clusterer, moved_story_id
from .dedupe import find_duplicate
from .errors import NOT_THE_INPUT
from .features import TERMS_VERSION, ItemTerms, encode, item_features
from .models import Item
from .store import Store
from .store_grouping import GROUPING_TERMS_VERSION
from .term_pool import TermPool

__all__ = [
    "GROUP_CHUNK",
    "Between",
    "Halt",
    "SetAside",
    "group_pending",
    "join_stories",
    "publication_runs",
    "regroup_articles",
    "set_apart",
]

GROUP_CHUNK = 500  # items of a run held at once with their texts (see `group_pending`)
# A pass whose window holds at most this many items once its own are in keeps its helper
# process (tokenising, shingles and summaries ahead) through its last run; a bigger one lets
# it go before the last run, where the window grows to its largest (see `group_pending`).
HELPER_ITEMS = 30_000
# Objects allocated between the collector's passes over the youngest generation while a pass
# groups (the interpreter's default is 700: see `_fewer_collections`)
YOUNG_OBJECTS = 20_000

log = logging.getLogger("aggregator")


@dataclass
class Halt:
    """A pass that may be told to end early (a service stopping). `group_pending` asks
    `wanted()` before each run and before each part of a run's assignments; once it answers
    True the pass ends there and commits what it grouped, and the rest waits, unassigned, for
    the next pass. `halted`: it ended early; `inside_run`: it ended between a run's counting
    and the end of its assignments, so the clusterer counted items it did not assign (its
    window no longer stands for the store: restore it from the store before grouping again)."""

    wanted: Callable[[], bool]
    halted: bool = False
    inside_run: bool = False

    def now(self, inside_run: bool = False) -> bool:
        """Whether to end here (recording that it did, and where)."""
        if self.halted or not self.wanted():
            return self.halted
        self.halted, self.inside_run = True, inside_run
        return True


@dataclass
class SetAside:
    """Items a pass could not group: grouping raised on them (a defect met on odd input, logged
    with its traceback), so each was given a story of its own instead, and the pass went on.
    `window_touched`: one failed while being assigned, when the window may already hold part
    of it (restore the window from the store before grouping again)."""

    items: list[str] = field(default_factory=list)
    window_touched: bool = False

    def alone(self, store: Store, item: Item, now: datetime, exc: Exception) -> None:
        """Give `item` a story of its own (no near-duplicate keys: its text may be the odd
        input) and say why."""
        log.error(
            "grouping: item %s of %s (guid %r) could not be grouped; it has a story of its own "
            "(%s: %s)",
            item.id,
            item.feed_url,
            item.guid,
            type(exc).__name__,
            exc,
            exc_info=exc,
        )
        store.assign(item, item.id, None, now, near=False)
        self.items.append(item.id)


class Dated(Protocol):
    """What `publication_runs` orders by: an `Item`, or an `ItemKey` without the text."""

    @property
    def id(self) -> str: ...
    @property
    def published(self) -> datetime | None: ...
    @property
    def first_seen(self) -> datetime | None: ...
    @property
    def guid(self) -> str: ...
    @property
    def feed_url(self) -> str: ...


D = TypeVar("D", bound=Dated)


class Between(Protocol):
    """What is done between the parts a pass groups (the story job's summaries ahead)."""

    def part_done(self) -> None:
        """A part of a run was counted or assigned."""

    def run_done(self) -> None:
        """A run was grouped and another follows."""

    def last_run_next(self) -> None:
        """Only the last run is left to group (told before `run_done`, so nothing is started
        for it): the window is at its largest in that run."""

    def last_run_counted(self) -> None:
        """The last run's items are counted: only assigning them is left."""


def publication_runs(
    items: Sequence[D], now: datetime, length: timedelta
) -> list[tuple[datetime, list[D]]]:
    """`items` in publication order (ties: first seen, guid, feed URL), cut into runs: each
    starts at its oldest item and holds the items published less than `length` after it.
    Each run comes with the clock grouping reads for it: its newest publication time, never
    later than `now`. Pure."""

    def when(item: D) -> datetime:
        return min(item.published or now, now)

    def order(item: D) -> tuple[datetime, datetime, str, str, str]:
        # Ties go by guid and feed, not by id: an id hashes the feed's whole address (its
        # host and port too), so it would order the same reports otherwise at another one.
        return (when(item), item.first_seen or now, item.guid, item.feed_url, item.id)

    runs: list[list[D]] = []
    for item in sorted(items, key=order):
        if runs and when(item) < when(runs[-1][0]) + length:
            runs[-1].append(item)
        else:
            runs.append([item])
    return [(when(run[-1]), run) for run in runs]


def group_pending(
    store: Store,
    clusterer: Clusterer,
    now: datetime,
    chunk: int = GROUP_CHUNK,
    between: Between | None = None,
    halt: Halt | None = None,
    set_aside: SetAside | None = None,
) -> int:
    """Assign every stored item without a story, oldest first; returns how many were assigned.

    An item that is the same article as a stored one (same URL, guid or text, or a wire copy)
    joins the original's story as its duplicate; any other goes through the clusterer. The
    clusterer takes the items one run of publication time at a time (`publication_runs`,
    `expire_every` long), as a poller polling that often would have: its window expires and
    its per-outlet counts grow run by run, at the run's clock. So a day's backlog arriving in
    one poll is grouped as the same day arriving hour by hour, and as `aggregator cluster`
    groups it; the store records `now`.

    The runs are cut over the items' keys (`Store.unassigned_keys`) and a run's items are
    read `chunk` at a time, twice (counted, then assigned), so a large backlog never holds
    more than `chunk` texts; the pass groups as one read of them would. `between`, when
    given, is told of each part and run grouped (it must not change the store). `halt`, when
    given, may end the pass early (see `Halt`); the window is then not expired to `now`, so
    the next pass takes up the remaining runs where this one left them. `set_aside`, when
    given, takes the items grouping raises on (see `SetAside`); without it the error ends the
    pass.
    """
    count = 0
    with _fewer_collections(), store.transaction():
        keys = store.unassigned_keys()
        runs = publication_runs(keys, now, clusterer.settings.expire_every)
        # A small window keeps the helper busy to the end; a big one lets it go before the
        # last run (`Between.last_run_next`), where the pass's memory peaks.
        big = clusterer.active_items + len(keys) > HELPER_ITEMS
        terms = None
        if TermPool.worth_it(len(keys)):  # tokenising runs ahead on another core
            parts = [_parts([key.id for key in run], chunk) for _, run in runs]
            # (in a big pass the last run of several is tokenised here, and every last run's
            # shingles are hashed here: see `TermPool.for_runs`)
            terms = TermPool.for_runs(
                parts,
                store.item_texts,
                clusterer.settings.text_tokens,
                last_shingles=not big,
                last_terms=not big or len(runs) == 1,
            )
        try:
            for index, (clock, run) in enumerate(runs):
                if halt is not None and halt.now():
                    break
                ids = [key.id for key in run]
                last = index == len(runs) - 1
                count += _group_run(
                    store, clusterer, clock, ids, chunk, now, terms, between, last, halt, set_aside
                )
                if halt is not None and halt.halted:
                    break
                if between is not None and not last:
                    if big and index == len(runs) - 2:
                        between.last_run_next()
                    between.run_done()
        finally:
            if terms is not None:
                terms.close()
        if halt is None or not halt.halted:
            clusterer.expire(now)
    return count


_collecting_lock = threading.Lock()
_collecting = 0  # grouping passes running (threads)
_thresholds_before = gc.get_threshold()  # the collector's, as the first of them started


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """The collector passes over its youngest generation every `YOUNG_OBJECTS` allocations
    while a pass groups, not every 700: an item's features, vectors and tallies are
    containers of hundreds of terms that live on in the window, and each pass over the young
    (and, counted from them, over the older generations, whose objects of the window grow
    round after round in a service) walks them again to find next to no garbage (a round's
    items make a few dozen cyclic objects). Nothing is freed later but those: what is not in
    a cycle is freed by its reference count as before. Several passes at once (threads)
    put the thresholds back once the last ends."""
    global _collecting, _thresholds_before
    with _collecting_lock:
        if not _collecting:
            _thresholds_before = before = gc.get_threshold()
            if before[0]:  # (0: the process keeps the collector off)
                gc.set_threshold(max(before[0], YOUNG_OBJECTS), *before[1:])
        _collecting += 1
    try:
        yield
    finally:
        with _collecting_lock:
            _collecting -= 1
            if not _collecting:
                gc.set_threshold(*_thresholds_before)


def _parts(ids: list[str], chunk: int) -> list[list[str]]:
    return [ids[start : start + chunk] for start in range(0, len(ids), chunk)]


def _group_run(
    store: Store,
    clusterer: Clusterer,
    clock: datetime,
    ids: list[str],
    chunk: int,
    now: datetime,
    terms: TermPool | None,
    between: Between | None,
    last: bool,
    halt: Halt | None = None,
    set_aside: SetAside | None = None,
) -> int:
    """Group one run of publication time (see `group_pending`); returns how many of its items
    were assigned (all, unless `halt` ended it between parts).

    Its items are read `chunk` at a time and walked twice: all are counted (`observe`) before
    any is assigned. Between the walks, and while assigning, the store changes only the rows
    of items already grouped (theirs, their stories', and earlier items found to be
    furniture), so the second walk reads what the first did. `terms`, when given, has the
    grouping terms of each part as it is counted. Once the `last` run is counted, `between`
    is told: the window is at its largest as that run's items are assigned (in a big pass
    the helper has left by then: see `group_pending`)."""

    def parts() -> Iterator[list[Item]]:
        for start in range(0, len(ids), chunk):
            yield store.items_by_id(ids[start : start + chunk])

    clusterer.expire(clock)
    alone: set[str] = set()  # (items set aside while counted: not assigned below)
    for part in parts():
        given = None
        try:
            given = None if terms is None else terms.terms(part)
        except Exception as exc:  # (the helper's tokenising raised: tokenised here instead)
            if set_aside is None or isinstance(exc, NOT_THE_INPUT):
                raise
        alone |= _count(store, clusterer, part, given, now, set_aside)
        if between is not None:
            between.part_done()
    if last and between is not None:
        between.last_run_counted()
    assigned = 0
    for part in parts():
        if halt is not None and halt.now(inside_run=True):
            break
        try:
            if terms is not None:
                terms.near(part)  # (the part's near-duplicate shingles, worked out ahead)
        except Exception as exc:  # (hashed as compared instead, item by item below)
            if set_aside is None or isinstance(exc, NOT_THE_INPUT):
                raise
        for item in part:
            if item.id in alone:
                continue
            try:
                _group_item(store, clusterer, clock, item, now)
            except Exception as exc:
                if set_aside is None or isinstance(exc, NOT_THE_INPUT):
                    raise
                set_aside.window_touched = True
                set_aside.alone(store, item, now, exc)
        assigned += len(part)
        if between is not None:
            between.part_done()
    return assigned


def _count(
    store: Store,
    clusterer: Clusterer,
    part: list[Item],
    given: dict[str, ItemTerms] | None,
    now: datetime,
    set_aside: SetAside | None,
) -> set[str]:
    """Count `part` (`observe`, with its terms when `given`); the ids of the items set aside
    because counting them raised (see `SetAside`). On such an error the part is counted again
    item by item, to find which: an item's counts are taken only once its features are made,
    so those counted before it stand."""
    try:
        if given is None:
            clusterer.observe(part)
        else:
            clusterer.observe(part, given)
        return set()
    except Exception as exc:
        if set_aside is None or isinstance(exc, NOT_THE_INPUT):
            raise
    alone = set()
    for item in part:
        try:
            clusterer.observe([item], given)
        except Exception as exc:
            if isinstance(exc, NOT_THE_INPUT):
                raise
            set_aside.alone(store, item, now, exc)
            alone.add(item.id)
    return alone


def _group_item(
    store: Store, clusterer: Clusterer, clock: datetime, item: Item, now: datetime
) -> None:
    """Put one item of a run into a story: an original's, as its duplicate, or the
    clusterer's."""
    candidates, hashes = store.duplicate_candidates_hashed(item)
    original = find_duplicate(item, candidates, hashes=hashes)
    if original is not None and original.story_id:
        clusterer.forget(item)
        story_id = clusterer.story_of(original.id) or original.story_id
        store.assign(item, story_id, original.duplicate_of or original.id, now)
    else:
        assignment = clusterer.assign(item, clock)
        for absorbed in assignment.merged:
            store.merge_story(absorbed, assignment.story_id, now)
        store.assign(item, assignment.story_id, None, now, assignment.terms, assignment.furniture)
        _furniture_found(store, clusterer, assignment.earlier_furniture, now)


def _furniture_found(
    store: Store, clusterer: Clusterer, item_ids: Sequence[str], now: datetime
) -> None:
    """Mark earlier items that an item showed to be furniture; those the clusterer took out
    of the story they had joined move to the story it gave them (`Store.move_item`)."""
    if not item_ids:
        return
    for copy in store.items_by_id(item_ids):
        story = clusterer.story_of(copy.id)
        if story is not None and story != copy.story_id:
            store.move_item(copy, story, now)
    store.mark_furniture(item_ids)


def set_apart(store: Store, clusterer: Clusterer, items: Sequence[Item], now: datetime) -> int:
    """Set apart the items the operator named (`Withheld.apart`, read by
    `Store.items_to_set_apart`): each leaves its story, with its copies, for a story of its
    own that nothing joins (`Clusterer.stand_apart`; outside the active window, the store's
    alone moves it: the window holds none of its story); one alone in its story stays. The
    story it left keeps its id and is summarised again. How many moved."""
    moved = 0
    with store.transaction():
        for item in items:
            left = clusterer.story_of(item.id) or item.story_id
            if left is None:
                continue
            where = clusterer.stand_apart(item.id, now)
            if where is None and store.story_size(left) > 1:  # (not active: the store's move)
                where = moved_story_id(item.id, left)
            if where is not None and where != left:
                store.move_item(item, where, now)
                moved += 1
            store.mark_apart(item.id)
    return moved


def join_stories(
    store: Store, clusterer: Clusterer, groups: Sequence[tuple[str, ...]], now: datetime
) -> int:
    """Make one story of each group of stories the operator joined (`Withheld.joins`, each
    story by the id it goes by now: `Store.stories_to_join`). The active ones are folded
    into the oldest of them (`Clusterer.join`), and the others (no longer taking items, their
    items outside the window) go into it in the store alone; with none active, all go into
    the oldest. Every merge is recorded, so the pages of the stories merged away lead to the
    one kept. How many stories were merged away."""
    merged = 0
    active = clusterer.story_ids()
    with store.transaction():
        for ids in store.stories_to_join(groups):  # (as they are now: this pass grouped)
            live = [sid for sid in ids if sid in active]
            if len(live) > 1:
                kept, folded = clusterer.join(live, now, store.titles_in(live))
            else:
                kept, folded = (live[0] if live else store.oldest_story(ids)), ()
            for story_id in (*folded, *(sid for sid in ids if sid not in live and sid != kept)):
                store.merge_story(story_id, kept, now)
                merged += 1
    return merged


def reterm_window(store: Store, text_tokens: int, since: datetime) -> int | None:
    """Work out again, and store, the grouping features of the active window's items (first
    seen since `since`) when another `TERMS_VERSION`, or another `text_tokens` setting, made
    them: a window rebuilt from them would compare this code's terms of new items with the
    old code's of stored ones (after an upgrade, "jok" against "joke", names read apart). How
    many items; None when the stored features are what this code makes already."""
    version = f"{TERMS_VERSION} text_tokens={text_tokens}"
    if store.grouping_terms_version() == version:
        return None
    count = 0
    for items in store.window_texts(since):
        terms = [(item.id, encode(item_features(item, text_tokens))) for item in items]
        with store.transaction():
            store.save_grouping_terms(terms)
        count += len(terms)
    store.set_meta(GROUPING_TERMS_VERSION, version)
    return count


def regroup_articles(store: Store, clusterer: Clusterer, now: datetime) -> int:
    """Let grouping reconsider items whose article text arrived (`Clusterer.regroup`): a
    teaser grouped on its first sentence joins, or merges its story with, the story its full
    text matches, or leaves a story its full text does not belong to (`Store.move_item`),
    with the items that hold it but nothing else of that story (`Assignment.moved_with`).
    Merges keep the older id and are recorded; returns how many were merged.
    An item whose page turns out to be a page's furniture is marked so.

    Pages arrive in batches, and an item is judged against the others as they stand: its
    batch-mates judged after it were still teasers to it, and so were the pages of later
    batches. So once a batch's texts are all in, each of its items is judged once more
    against them, and so is each item of the batch before (`Store.articles_to_ask_again`,
    kept in the store: a restart loses nothing); the regroup of an unchanged text ranks it
    again and changes nothing else. A pair of one batch, or of two batches in a row, is then
    weighed both ways, as it would be whichever page came first. An item is judged at most
    three times, and what is carried from one batch to the next is that batch's ids."""
    merges = 0
    while batch := store.articles_to_regroup():
        with store.transaction():
            earlier = store.articles_to_ask_again()
            looked = [_regroup_item(store, clusterer, item, now, True) for item in batch]
            merges += sum(n for n, _ in looked)
            again = [i for i, (_, f) in zip(batch, looked, strict=True) if not f]
            if len(again) > 1 or earlier:
                merges += sum(_regroup_item(store, clusterer, i, now)[0] for i in earlier)
                merges += sum(_regroup_item(store, clusterer, i, now, True)[0] for i in again)
            store.asked_again([i.id for i in earlier])
    return merges


def _regroup_item(
    store: Store, clusterer: Clusterer, item: Item, now: datetime, later: bool = False
) -> tuple[int, bool]:
    """Regroup one item with its article text (see `regroup_articles`); how many stories
    were merged, and whether its page turned out to be furniture. `later`: it is to be
    judged once more when the next batch arrives (unless it is furniture, or not active)."""
    before = clusterer.story_of(item.id)
    others = [i for i in clusterer.profile_ids(item.id) if i != item.id]
    awaited = store.pages_awaited(others) if others else set()
    assignment = clusterer.regroup(item, now, awaited)
    if assignment is None:
        store.regrouped(item.id, None)
        return 0, False
    if (
        before is not None and assignment.story_id != before and before not in assignment.merged
    ):  # it left a story its text does not belong to
        store.move_item(item, assignment.story_id, now)
        for along in store.items_by_id(assignment.moved_with):  # its group went with it
            store.move_item(along, assignment.story_id, now)
    for absorbed in assignment.merged:
        store.merge_story(absorbed, assignment.story_id, now)
    store.regrouped(item.id, assignment.terms, later and not assignment.furniture)
    if assignment.furniture:
        store.mark_furniture((item.id,))
        _furniture_found(store, clusterer, assignment.earlier_furniture, now)
    return len(assignment.merged), assignment.furniture
