"""The writer's sources and feeds: syncing the OPML's sources, which feeds are due, and storing
each poll's outcome and items (and items the batch command brings)."""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from .category_renames import renamed_categories, updated_aliases
from .models import FeedState, Item, Source
from .schedule import after_clock_step
from .store_db import StoreBase
from .store_grouping import near_rewritten
from .store_rows import (
    INSERT_ITEM,
    ITEM_COLUMNS,
    UPSERT_FEED,
    day_number,
    from_iso,
    item_row,
    item_values,
    to_iso,
)


@dataclass(frozen=True, slots=True)
class PollWrite:
    """What one feed's poll changed in the items table."""

    new: int
    updated: int


_NOTHING = PollWrite(0, 0)
CATEGORY_LANGUAGES = "category_languages"  # meta: the OPML's category languages (JSON)
_SOURCE_COLUMNS = (
    "url",
    "title",
    "category",
    "html_url",
    "position",
    "active",
    "added_at",
    "articles",
    "exclude_rules",
    "include_rules",
    "interval_seconds",
    "user_agent",
    "cookie",
    "images",
    "selector",
    "remove",
    "paused",
)
_RULES = slice(_SOURCE_COLUMNS.index("exclude_rules"), _SOURCE_COLUMNS.index("include_rules") + 1)
_HEADERS = slice(_SOURCE_COLUMNS.index("user_agent"), _SOURCE_COLUMNS.index("cookie") + 1)
_IMAGES = _SOURCE_COLUMNS.index("images")
_SELECTORS = slice(_SOURCE_COLUMNS.index("selector"), _SOURCE_COLUMNS.index("remove") + 1)
_PAUSED = _SOURCE_COLUMNS.index("paused")
_SOURCES = f"SELECT {', '.join(_SOURCE_COLUMNS)} FROM sources"
_ALIASES = "SELECT slug, category FROM category_aliases"
# Written out, not sqlite-utils' `upsert`: when its one-time probe for ON CONFLICT meets a
# full disk or a locked database, it falls back for good to INSERT OR IGNORE of the key alone,
# which `category NOT NULL` turns into a silent no-op (a new feed never polled).
_UPSERT_SOURCE = (
    f"INSERT INTO sources({', '.join(_SOURCE_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_SOURCE_COLUMNS))}) ON CONFLICT(url) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _SOURCE_COLUMNS[1:])
)
# A feed's state columns in `_feed_state`'s order.
_FEED_COLUMNS = (
    "f.url, f.etag, f.last_modified, f.body_hash, f.status, f.http_status, f.error, "
    "f.error_count, f.last_polled_at, f.last_success_at, f.next_poll_at, f.moved_to, f.title, "
    "f.link, f.language, f.fetched_at, f.false_304_at, f.hub, f.topic"
)
_DUE = (
    "SELECT s.url, s.title, s.category, s.html_url, s.exclude_rules, s.include_rules, "
    f"s.interval_seconds, s.user_agent, s.cookie, s.images, {_FEED_COLUMNS} "
    "FROM sources s JOIN feeds f ON f.url = s.url WHERE s.active = 1 AND s.paused = 0"
)


def _rules_text(rules: tuple[str, ...]) -> str:
    """A source's entry rules as stored: a JSON list (`[]`, most often)."""
    return json.dumps(list(rules), ensure_ascii=False) if rules else "[]"


def _rules(text: str | None) -> tuple[str, ...]:
    """A source's entry rules from their stored JSON list (`[]`, most often)."""
    return () if not text or text == "[]" else _read_rules(text)


@functools.lru_cache(maxsize=64)
def _read_rules(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


def _interval(seconds: float | None) -> timedelta | None:
    """A source's own poll interval from its stored seconds (NULL: none)."""
    return None if seconds is None else timedelta(seconds=seconds)


def _feed_values(state: FeedState) -> tuple[Any, ...]:
    """A feed state's row, in `FEED_COLUMNS` order (`UPSERT_FEED`'s parameters)."""
    return (
        state.url,
        state.etag,
        state.last_modified,
        state.body_hash,
        state.status,
        state.http_status,
        state.error,
        state.error_count,
        to_iso(state.last_polled_at),
        to_iso(state.last_success_at),
        to_iso(state.next_poll_at),
        state.moved_to,
        state.title,
        state.link,
        state.language,
        to_iso(state.fetched_at),
        to_iso(state.false_304_at),
        state.hub,
        state.topic,
    )


def _feed_state(
    url: str,
    etag: str | None,
    last_modified: str | None,
    body_hash: str | None,
    status: str | None,
    http_status: int | None,
    error: str | None,
    error_count: int | None,
    last_polled_at: str | None,
    last_success_at: str | None,
    next_poll_at: str | None,
    moved_to: str | None,
    title: str | None,
    link: str | None,
    language: str | None,
    fetched_at: str | None,
    false_304_at: str | None,
    hub: str | None,
    topic: str | None,
) -> FeedState:
    """A feed state from its row's values (`_DUE`'s feed columns, times as stored)."""
    return FeedState(
        url,
        etag,
        last_modified,
        body_hash,
        status,
        http_status,
        error,
        error_count or 0,
        from_iso(last_polled_at),
        from_iso(last_success_at),
        from_iso(next_poll_at),
        moved_to,
        title,
        link,
        language,
        from_iso(fetched_at),
        from_iso(false_304_at),
        hub,
        topic,
    )


class ClockStep(NamedTuple):
    """Feeds found polled later than now (the clock stepped back): how many, and by how much
    the latest of those polls is ahead of now."""

    feeds: int
    ahead: timedelta


class SourceChanges(NamedTuple):
    """What `FeedsStore.sync_sources` changed: feeds added (or added back), feeds removed,
    each kept feed moved to another category as (url, old category, new category), and each
    category renamed as (old name, new name) (`category_renames`)."""

    added: int
    removed: int
    moved: list[tuple[str, str, str]]
    renamed: tuple[tuple[str, str], ...] = ()
    rules_changed: tuple[str, ...] = ()  # feeds whose entry rules changed (read whole again)
    headers_changed: tuple[str, ...] = ()  # feeds whose own request headers changed (due now)
    selectors_changed: tuple[str, ...] = ()  # feeds whose article selector or remove changed
    paused: tuple[str, ...] = ()  # feeds an edit paused (no longer polled; their items stay)
    resumed: tuple[str, ...] = ()  # feeds an edit resumed (due at once)


class FeedsStore(StoreBase):
    """Sources, feed poll state and the items polls bring."""

    _older_pruned = True  # `pruned_items` may hold ids (looked at when asked: `older_pruned`)

    def set_category_languages(self, languages: dict[str, str]) -> bool:
        """Keep the OPML's category languages (category → language tag) for the pages, feeds
        and digests that read them (`Reader.category_languages`); True when they changed.
        The stories of a category whose language changed are summarised again (a tie of
        their sources' languages goes to it)."""
        value = json.dumps(languages, sort_keys=True, ensure_ascii=False)
        before = self.category_languages()
        if json.dumps(before, sort_keys=True, ensure_ascii=False) == value:
            return False
        changed = sorted(c for c in {*before, *languages} if before.get(c) != languages.get(c))
        with self.transaction():
            self.set_meta(CATEGORY_LANGUAGES, value)
            self._bump_version()  # (published pages and feeds change their words)
            for category in changed:
                self.db.execute(
                    "UPDATE stories SET dirty = 1 WHERE category = ? AND merged_into IS NULL",
                    [category],
                )
        return True

    def category_languages(self) -> dict[str, str]:
        """The categories with a language of their own, as `set_category_languages` kept them
        (a story's summary breaks a tie of its sources' languages with its category's)."""
        found = self.meta_values([CATEGORY_LANGUAGES]).get(CATEGORY_LANGUAGES)
        languages = json.loads(found) if found else {}
        return languages if isinstance(languages, dict) else {}

    def sync_sources(self, sources: Sequence[Source], now: datetime) -> SourceChanges:
        """Make the sources table match the OPML; returns what changed.

        Removed sources are marked inactive (never polled again); their items stay. A source
        added (or added back) is due at once, whatever its old schedule or backoff. A source
        moved to another category takes its items along, and their stories are re-filed. A
        category renamed leaves its former slug to lead to its new name (`category_aliases`).
        A source whose entry rules changed forgets its validators and last body, so its next
        poll reads the feed whole (entries the old rules left out are stored now, if wanted;
        what was stored stays). One whose own request headers (User-Agent, Cookie) changed is
        due at once: the edit is most often the cure for a site that turned its polls away.
        """
        with self.transaction():
            # Rows as plain tuples of `_SOURCE_COLUMNS`, compared whole with what the OPML says.
            before = {r[0]: r for r in self.conn.execute(_SOURCES)}
            wanted = {s.url for s in sources}
            added = 0
            moved: list[tuple[str, str, str]] = []
            rules_changed: list[str] = []
            headers_changed: list[str] = []
            selectors_changed: list[str] = []
            paused: list[str] = []
            resumed: list[str] = []
            changed = False
            for position, source in enumerate(sources):
                old = before.get(source.url)
                values = (
                    source.url,
                    source.title,
                    source.category,
                    source.html_url,
                    position,
                    1,
                    old[6] if old else to_iso(now),
                    int(source.articles),
                    _rules_text(source.exclude),
                    _rules_text(source.include),
                    source.interval.total_seconds() if source.interval else None,
                    source.user_agent,
                    source.cookie,
                    int(source.images),
                    source.selector,
                    source.remove,
                    int(source.paused),
                )
                if old != values:
                    self.conn.execute(_UPSERT_SOURCE, values)
                    changed = True
                if old is not None and old[_RULES] != values[_RULES]:
                    # Entries the old rules left out were never stored: read whole on its next
                    # poll, under the new rules.
                    self._forget_validators(source.url)
                    rules_changed.append(source.url)
                if old is not None and old[5] and old[_HEADERS] != values[_HEADERS]:
                    self.conn.execute(
                        "UPDATE feeds SET next_poll_at = NULL WHERE url = ?", [source.url]
                    )
                    headers_changed.append(source.url)
                if old is not None and old[5] and old[_PAUSED] != values[_PAUSED]:
                    (paused if source.paused else resumed).append(source.url)
                    if not source.paused:  # (due at once, as a feed added back)
                        self.conn.execute(
                            "UPDATE feeds SET next_poll_at = NULL WHERE url = ?", [source.url]
                        )
                if old is not None and old[_SELECTORS] != values[_SELECTORS]:
                    self._read_pages_again(source.url)
                    selectors_changed.append(source.url)
                if old is not None and old[_IMAGES] and not source.images:
                    self._drop_pictures(source.url)
                if old is not None and not old[_IMAGES] and source.images:
                    # Its stored items lost their pictures: it is read whole on its next poll,
                    # and the entries it still carries give theirs back (`_save_items`).
                    self._forget_validators(source.url)
                if old is None or not old[5]:
                    added += 1
                    self.conn.execute(
                        "INSERT INTO feeds(url) VALUES (?) ON CONFLICT(url) DO UPDATE SET "
                        "next_poll_at = NULL, error_count = 0, status = NULL, error = NULL",
                        [source.url],
                    )
                if old is not None and old[2] != source.category:
                    self._move_items(source.url, source.category)
                    if old[5]:  # (a feed added back in another category is an addition)
                        moved.append((source.url, old[2], source.category))
            removed = [u for u, r in before.items() if r[5] and u not in wanted]
            for url in removed:
                self.conn.execute("UPDATE sources SET active = 0 WHERE url = ?", [url])
            renamed = self._rename_categories(
                {url: r[2] for url, r in before.items() if r[5]},
                {s.url: s.category for s in sources},
            )
            if changed or removed:
                self._bump_version()
        return SourceChanges(
            added,
            len(removed),
            moved,
            renamed,
            tuple(rules_changed),
            tuple(headers_changed),
            tuple(selectors_changed),
            tuple(paused),
            tuple(resumed),
        )

    def _rename_categories(
        self, before: dict[str, str], after: dict[str, str]
    ) -> tuple[tuple[str, str], ...]:
        """Record the categories an edit renamed as former slugs leading to their new names."""
        renames = renamed_categories(before, after)
        aliases = self.category_aliases()
        if not renames and not aliases:
            return ()
        for old, new in renames.items():  # the items of its feeds removed before go too
            self._refile_removed(old, new)
        updated = updated_aliases(aliases, renames, after.values())
        if updated != aliases:
            self.conn.execute("DELETE FROM category_aliases")
            self.conn.executemany(
                "INSERT INTO category_aliases(slug, category) VALUES (?, ?)", updated.items()
            )
        return tuple(renames.items())

    def _refile_removed(self, old: str, new: str) -> None:
        """Category `old` was renamed `new`: the items of its feeds no longer listed (their
        feeds are not moved: `_move_items`) are filed under `new` too, and their stories
        summarised again; a story of both had shown both names, the former one leading to
        the new one's pages."""
        gone = "feed_url IN (SELECT url FROM sources WHERE active = 0)"
        self.db.execute(
            "UPDATE stories SET dirty = 1 WHERE id IN (SELECT story_id FROM items "
            f"WHERE category = ? AND {gone} AND story_id IS NOT NULL)",
            [old],
        )
        self.db.execute(f"UPDATE items SET category = ? WHERE category = ? AND {gone}", [new, old])
        self.db.execute(
            "UPDATE sources SET category = ? WHERE category = ? AND active = 0", [new, old]
        )

    def _forget_validators(self, feed_url: str) -> None:
        """Its validators would answer 304, or its unchanged body go unparsed, until the feed
        changes: forgotten, so that its next poll reads it whole."""
        self.conn.execute(
            "UPDATE feeds SET etag = NULL, last_modified = NULL, body_hash = NULL WHERE url = ?",
            [feed_url],
        )

    def _read_pages_again(self, feed_url: str) -> None:
        """A feed whose article selector changed: its pages are read again at the article
        job's next pass, with the new one: those that gave no text (or failed for good), and
        those that gave text, which may be the wrong text the edit is meant to mend. Only the
        pages the job still fetches (`[articles] max_age`: their stories are current) are
        asked for again (`article_retries_due`)."""
        self.conn.execute(
            "UPDATE articles SET retry_at = fetched_at WHERE status IN ('ok', 'empty', 'failed') "
            "AND retry_at IS NULL AND item_id IN (SELECT id FROM items WHERE feed_url = ?)",
            [feed_url],
        )

    def _drop_pictures(self, feed_url: str) -> None:
        """A feed whose pictures were turned off: its items keep none, and the stories that
        showed one are summarised again (their picture chosen anew, from other sources)."""
        self.db.execute(
            "UPDATE stories SET dirty = 1 WHERE id IN (SELECT story_id FROM items "
            "WHERE feed_url = ? AND image IS NOT NULL AND story_id IS NOT NULL)",
            [feed_url],
        )
        self.db.execute(
            "UPDATE items SET image = NULL WHERE feed_url = ? AND image IS NOT NULL", [feed_url]
        )

    def _move_items(self, feed_url: str, category: str) -> None:
        self.db.execute("UPDATE items SET category = ? WHERE feed_url = ?", [category, feed_url])
        self.db.execute(
            "UPDATE stories SET dirty = 1 WHERE id IN "
            "(SELECT story_id FROM items WHERE feed_url = ? AND story_id IS NOT NULL)",
            [feed_url],
        )

    def category_aliases(self) -> dict[str, str]:
        """A renamed category's former slugs → the category each leads to now."""
        return {r[0]: r[1] for r in self.conn.execute(_ALIASES)}

    def sources(self) -> list[Source]:
        rows = self._rows("SELECT * FROM sources WHERE active = 1 ORDER BY position")
        return [
            Source(
                r["url"],
                r["title"] or "",
                r["category"],
                r["html_url"],
                bool(r["articles"]),
                _rules(r["exclude_rules"]),
                _rules(r["include_rules"]),
                _interval(r["interval_seconds"]),
                r["user_agent"],
                r["cookie"],
                bool(r["images"]),
                r["selector"],
                r["remove"],
                bool(r["paused"]),
            )
            for r in rows
        ]

    def feeds_without_pictures(self) -> set[str]:
        """The active feeds whose pictures are off (OPML `images="off"`)."""
        rows = self.conn.execute("SELECT url FROM sources WHERE active = 1 AND images = 0")
        return {url for (url,) in rows}

    def feed_selectors(self) -> dict[str, tuple[str | None, str | None]]:
        """The active feeds that have article selectors of their own (OPML `selector`,
        `remove`): url → (the CSS selector of their pages' text, that of what it leaves out),
        each None for none."""
        rows = self.conn.execute(
            "SELECT url, selector, remove FROM sources "
            "WHERE active = 1 AND (selector IS NOT NULL OR remove IS NOT NULL)"
        )
        return {url: (selector, remove) for url, selector, remove in rows}

    def feed_headers(self) -> dict[str, tuple[str | None, str | None]]:
        """The active feeds that have request headers of their own: url → (User-Agent,
        Cookie), for their entries' article pages."""
        return {
            url: (agent, cookie)
            for url, agent, cookie in self.conn.execute(
                "SELECT url, user_agent, cookie FROM sources WHERE active = 1 "
                "AND (user_agent IS NOT NULL OR cookie IS NOT NULL)"
            )
        }

    def reschedule_after_clock_step(self, now: datetime) -> ClockStep | None:
        """Feeds last polled later than `now` were polled by a clock that has since stepped
        back: their next poll is counted from `now` (`schedule.after_clock_step`), and their
        times of polling are taken back to `now`, so this happens once. None: no such feed."""
        rows = self.conn.execute(
            "SELECT url, last_polled_at, next_poll_at FROM feeds WHERE last_polled_at > ?",
            [to_iso(now)],
        ).fetchall()
        if not rows:
            return None
        stamp, ahead = to_iso(now), timedelta(0)
        with self.transaction():
            for url, polled, next_at in rows:
                last = from_iso(polled)
                assert last is not None
                ahead = max(ahead, last - now)
                self.conn.execute(
                    "UPDATE feeds SET last_polled_at = ?, last_success_at = MIN(last_success_at, "
                    "?), next_poll_at = ? WHERE url = ?",
                    [stamp, stamp, to_iso(after_clock_step(last, from_iso(next_at), now)), url],
                )
        return ClockStep(len(rows), ahead)

    def source_sites(self) -> list[tuple[str, str, str | None, str | None, str | None]]:
        """Each listed source's (URL, OPML title, OPML htmlUrl, the feed's own title, the
        feed's own home page), in the sources' order: what names an outlet after its feed
        (`pipeline.site_names`). Paused sources count: their outlets keep their names."""
        sql = (
            "SELECT s.url, s.title, s.html_url, f.title, f.link FROM sources s "
            "LEFT JOIN feeds f ON f.url = s.url WHERE s.active = 1 ORDER BY s.position"
        )
        return [(r[0], r[1] or "", r[2], r[3], r[4]) for r in self.conn.execute(sql)]

    def feeds_due(
        self, now: datetime, *, everything: bool = False
    ) -> list[tuple[Source, FeedState]]:
        """Active sources, not paused, whose next poll time has come (all of them with
        `everything`)."""
        sql = _DUE
        params: list[Any] = []
        if not everything:
            sql += " AND (f.next_poll_at IS NULL OR f.next_poll_at <= ?)"
            params.append(to_iso(now))
        sql += " ORDER BY s.position"
        # Plain tuples, each state built from its columns in place: no dict per row.
        return [
            (
                Source(
                    row[0],
                    row[1] or "",
                    row[2],
                    row[3],
                    exclude=_rules(row[4]),
                    include=_rules(row[5]),
                    interval=_interval(row[6]),
                    user_agent=row[7],
                    cookie=row[8],
                    images=bool(row[9]),
                ),
                _feed_state(*row[10:]),
            )
            for row in self.conn.execute(sql, params)
        ]

    def next_due(self, skip: Collection[str] = ()) -> datetime | None:
        """When the next active feed is due (the epoch for a never-polled one), those in
        `skip` (polls in flight) left out; None: no other feeds."""
        due = "COALESCE(f.next_poll_at, '1970-01-01T00:00:00+00:00')"
        feeds = "FROM feeds f JOIN sources s ON s.url = f.url WHERE s.active = 1 AND s.paused = 0"
        if not skip:
            row = next(self._rows(f"SELECT MIN({due}) AS due {feeds}"))
            return from_iso(row["due"])
        rows = self.conn.execute(f"SELECT f.url, {due} {feeds} ORDER BY 2 LIMIT ?", [len(skip) + 1])
        return next((from_iso(when) for url, when in rows if url not in skip), None)

    def mark_asking(
        self, asked: Sequence[tuple[str, datetime, datetime | None]], done: Collection[str] = ()
    ) -> None:
        """Record the feeds a pass of `run` left in flight (`asked`: each one's address, since
        when it is asked, and its last poll as the pass read it) and clear the marks of those
        in `done` (polls ended without storing an answer); one transaction. A stored answer
        clears its feed's mark itself (`UPSERT_FEED`); one stored before this write came
        changed the feed's last poll, and its feed is left unmarked."""
        with self.transaction():  # (cleared first: a feed in `done` may be asked again)
            self.conn.executemany(
                "UPDATE feeds SET asking_since = NULL WHERE url = ?", [(url,) for url in done]
            )
            self.conn.executemany(
                "UPDATE feeds SET asking_since = ? WHERE url = ? AND last_polled_at IS ?",
                [(to_iso(since), url, to_iso(last)) for url, since, last in asked],
            )

    def clear_asking(self) -> int:
        """Clear every feed's in-flight mark (`mark_asking`): at `run`'s start (a service that
        crashed left its marks) and stop. Returns how many were cleared."""
        with self.transaction():
            sql = "UPDATE feeds SET asking_since = NULL WHERE asking_since IS NOT NULL"
            return max(self.conn.execute(sql).rowcount, 0)

    def poll_pushed(self, feed_urls: Iterable[str], now: datetime) -> int:
        """Make feeds whose hubs pushed due (`push.poll_after_push`); how many were found."""
        from .push import poll_after_push

        due: dict[str, datetime] = {}
        with self.transaction():
            for url in dict.fromkeys(feed_urls):
                row = self.conn.execute(
                    "SELECT last_polled_at FROM feeds WHERE url = ?", [url]
                ).fetchone()
                if row is not None:
                    due[url] = poll_after_push(from_iso(row[0]), now)
            self.make_due(due)
        return len(due)

    def make_due(self, due: Mapping[str, datetime]) -> None:
        """Bring feeds' next polls forward: each to its time in `due` (feed → when), unless
        it comes sooner already."""
        with self.transaction():
            for url, when in due.items():
                self.conn.execute(
                    "UPDATE feeds SET next_poll_at = ? WHERE url = ? "
                    "AND (next_poll_at IS NULL OR next_poll_at > ?)",
                    [to_iso(when), url, to_iso(when)],
                )

    def feed_state(self, url: str) -> FeedState:
        """A feed's stored state, read as `feeds_due` reads it (a new state if none is stored)."""
        sql = f"SELECT {_FEED_COLUMNS} FROM feeds f WHERE f.url = ?"
        row = self.conn.execute(sql, [url]).fetchone()
        return FeedState(url) if row is None else _feed_state(*row)

    def save_poll(self, state: FeedState, items: Sequence[Item]) -> PollWrite:
        """Record a poll's outcome and its items in one transaction.

        A new (feed, guid) is inserted, unless the feed gave the same entry (link, title and
        text) under another guid (`_given_again`); a known one whose content changed is updated
        and its story marked for re-summarising; an unchanged one is left alone, but for a
        picture it now gives that its item lacks (`_picture_back`).
        """
        return self.save_polls([(state, items)])[0]

    def save_polls(self, polls: Sequence[tuple[FeedState, Sequence[Item]]]) -> list[PollWrite]:
        """`save_poll` for many feeds in one transaction (one commit for a whole batch). Each
        feed's items are written first, then every feed's state in one `executemany` (each
        state after its own items, as before; a poll that brought no items, a 304, writes its
        state alone)."""
        with self.transaction():
            polls, removed = self._filed(polls)
            written = [
                self._save_items(items) if items and state.url not in removed else _NOTHING
                for state, items in polls
            ]
            self.conn.executemany(
                UPSERT_FEED, [_feed_values(state) for state, _ in polls if state.url not in removed]
            )
            return written

    def _filed(
        self, polls: Sequence[tuple[FeedState, Sequence[Item]]]
    ) -> tuple[Sequence[tuple[FeedState, Sequence[Item]]], set[str]]:
        """The polls' items filed under their feeds' categories as listed now, and the feeds
        no longer listed (their answers are not stored: a feed removed is not polled, and one
        added back is due at once, read whole). A poll `run` left in flight answers as its
        feed was listed when asked: an edit meanwhile had moved its stored items to another
        category, or removed it, and the answer had filed new ones under the old category,
        or published a removed feed's."""
        sql = "SELECT url, category, active FROM sources WHERE url IN ({marks})"
        rows = list(self._rows_in(sql, [state.url for state, _ in polls]))
        listed = {row["url"]: row["category"] for row in rows}
        removed = {row["url"] for row in rows if not row["active"]}
        filed = [
            (state, [replace(item, category=listed[state.url]) for item in items])
            if any(item.category != listed.get(state.url, item.category) for item in items)
            else (state, items)
            for state, items in polls
        ]
        return filed, removed

    def _pruned(self, ids: Sequence[str]) -> set[str]:
        """Which of `ids` retention has pruned (see `store_upkeep.prune`): in `pruned_ids`, or
        in `pruned_items`, where ids pruned before `retention_0002_pruned_ids_by_day` wait to
        be forgotten (asked only while it holds any)."""
        sql = "SELECT id FROM pruned_ids WHERE id IN ({marks})"
        found = {r["id"] for r in self._rows_in(sql, ids)}
        rest = [i for i in ids if i not in found]
        if rest and self.older_pruned():
            sql = "SELECT id FROM pruned_items WHERE id IN ({marks})"
            found.update(r["id"] for r in self._rows_in(sql, rest))
        return found

    def older_pruned(self) -> bool:
        """Whether `pruned_items` still holds ids (nothing adds to it: once empty, it stays)."""
        if self._older_pruned:
            row = self.conn.execute("SELECT 1 FROM pruned_items LIMIT 1").fetchone()
            self._older_pruned = row is not None
        return self._older_pruned

    def remember_pruned(self, ids: Sequence[str], when: datetime) -> None:
        """Remember that retention pruned the items `ids` at `when` (by its day)."""
        day = day_number(when)
        self.conn.executemany(
            "INSERT OR IGNORE INTO pruned_ids(id, day) VALUES (?, ?)", [(i, day) for i in ids]
        )

    def forget_pruned(self, before: datetime) -> int:
        """Forget the ids pruned before `before`'s day (`pruned_items`': before `before`);
        returns how many."""
        day = day_number(before)
        forgotten = self.conn.execute("DELETE FROM pruned_ids WHERE day < ?", [day]).rowcount
        if self.older_pruned():
            forgotten += self.conn.execute(
                "DELETE FROM pruned_items WHERE pruned_at < ?", [to_iso(before)]
            ).rowcount
        return max(forgotten, 0)

    def _save_items(self, items: Sequence[Item]) -> PollWrite:
        """A poll's items: new ones inserted, changed ones updated (their story marked)."""
        ids = list(dict.fromkeys(item.id for item in items))
        existing: dict[str, dict[str, Any]] = {
            r["id"]: r
            for r in self._rows_in(
                "SELECT id, content_hash, story_id, duplicate_of, image IS NULL AS pictureless "
                "FROM items WHERE id IN ({marks})",
                ids,
            )
        }
        pruned = self._pruned([i for i in ids if i not in existing])
        fresh: dict[str, Item] = {}
        updated = 0
        for item in items:
            old = existing.get(item.id)
            if old is None:
                if item.id not in pruned:  # retention deleted it: not stored (announced) again
                    fresh.setdefault(item.id, item)
                continue
            if old["content_hash"] == item.content_hash:
                if item.image and old["pictureless"]:
                    self._picture_back(item, old["story_id"])
                    old["pictureless"] = 0
                continue
            old["content_hash"] = item.content_hash  # the same id twice in one batch
            row = item_row(item)
            for keep in ("first_seen", "story_id", "duplicate_of", "published"):
                row.pop(keep)
            if item.image is None:  # (an edited entry that gives none keeps its page's picture)
                row.pop("image")
            # A grouped original keeps its text's near keys and hashes (`assign`): they follow
            # a rewritten text (an edit of the title alone leaves them).
            rehash = old["story_id"] is not None and old["duplicate_of"] is None
            if rehash:
                (before,) = self.conn.execute(
                    "SELECT text FROM items WHERE id = ?", [item.id]
                ).fetchone()
                rehash = before != item.text
            self.db.table("items").update(item.id, row)
            if rehash:
                near_rewritten(self.conn, item.id, item.text)
            updated += 1
            if old["story_id"]:
                self.conn.execute("UPDATE stories SET dirty = 1 WHERE id = ?", [old["story_id"]])
        if fresh:
            for item_id in self._given_again(list(fresh.values())):
                del fresh[item_id]
        if fresh:
            self.conn.executemany(INSERT_ITEM, [item_values(i) for i in fresh.values()])
        return PollWrite(len(fresh), updated)

    def _given_again(self, items: Sequence[Item]) -> list[str]:
        """Which of `items` (new guids) their feed gave already under another guid: an item of
        the same feed, stored or earlier in `items`, has the same link and the same title and
        text (a feed that makes its guids per request or per fetch time gives every entry
        again at each poll). They are not stored: the entry's first guid stands for it."""
        sql = "SELECT feed_url, content_hash, url FROM items WHERE content_hash IN ({marks})"
        hashes = list({item.content_hash for item in items if item.url})
        known = {(r["feed_url"], r["content_hash"], r["url"]) for r in self._rows_in(sql, hashes)}
        again: list[str] = []
        for item in items:
            if item.url is None:
                continue
            key = (item.feed_url, item.content_hash, item.url)
            if key in known:
                again.append(item.id)
            else:
                known.add(key)
        return again

    def _picture_back(self, item: Item, story_id: str | None) -> None:
        """An unchanged entry now gives a picture its item lacks (its feed's pictures turned
        on again, or a picture added since): kept, and its story's picture chosen anew,
        unless it is its site's default (`site_pictures`, taken from items that had it). The
        item's text is not touched: it counts as no update, and its summary stays as it is
        (`story_job` writes a new picture alone)."""
        written = self.conn.execute(
            "UPDATE items SET image = ? WHERE id = ? AND image IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM site_pictures WHERE feed_url = ? AND image = ?)",
            [item.image, item.id, item.feed_url, item.image],
        ).rowcount
        if written and story_id:
            self.conn.execute("UPDATE stories SET dirty = 1 WHERE id = ?", [story_id])

    def insert_items(self, items: Sequence[Item]) -> int:
        """Store items that have no feed poll behind them (the batch command); known ids are
        left as they are. Returns how many were new."""
        new = 0
        with self.db.atomic():
            for item in items:
                row = item_row(item)
                cursor = self.db.execute(
                    f"INSERT OR IGNORE INTO items({', '.join(ITEM_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(ITEM_COLUMNS))})",
                    [row[c] for c in ITEM_COLUMNS],
                )
                new += cursor.rowcount
        return new
