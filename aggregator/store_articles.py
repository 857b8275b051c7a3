"""The writer's article pages: which items' pages to fetch (never tried, or due again after a
passing failure), the fetched texts, and which texts grouping has yet to reconsider."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from .models import Item
from .site_holds import MAX_PAUSE, host_of
from .store_db import KEEP_TERMS, StoreBase, chunks
from .store_rows import from_iso, item_from_row, to_iso

# `articles.regrouped`: the text is still to be regrouped; regrouped, and to be weighed once
# more against the next batch of texts; done (and so is a page without text).
REGROUP_PENDING, REGROUP_AGAIN, REGROUP_DONE = 0, 2, 1


def _wanted(since: datetime, skip_feeds: Sequence[str]) -> tuple[str, list[str]]:
    """The conditions on an item `i` whose article page may be fetched, and their parameters:
    grouped, not a duplicate, first seen since `since`, linked, of a feed whose pages are
    wanted (not turned off in the OPML, not in `skip_feeds`)."""
    skip = ",".join("?" for _ in skip_feeds)
    return (
        "i.story_id IS NOT NULL AND i.duplicate_of IS NULL "
        "AND i.first_seen >= ? AND i.url IS NOT NULL "
        "AND i.feed_url NOT IN (SELECT url FROM sources WHERE articles = 0) "
        + (f"AND i.feed_url NOT IN ({skip}) " if skip else ""),
        [to_iso(since), *skip_feeds],
    )


def _host(url: str | None) -> str:
    """`site_holds.host_of`, "" for a link it cannot read."""
    try:
        return host_of(url)
    except ValueError:  # ("http://[::1/x")
        return ""


class ArticlesStore(StoreBase):
    """Article pages fetched for items."""

    def article_candidates(
        self,
        since: datetime,
        limit: int,
        skip_feeds: Sequence[str] = (),
        caps: Mapping[str, int] | None = None,
    ) -> list[Item]:
        """Grouped, non-duplicate items first seen since `since` whose page was never tried,
        of feeds whose article pages may be fetched (`skip_feeds` and the OPML switch), newest
        first. With `caps` (host → the most pages of it a pass takes; 0: a site that asked us
        to hold off), the items of a host past its cap are passed over, not counted in
        `limit`: a held site's hundreds of pages had filled every pass's candidates, and no
        other site's page was fetched for as long as it was held (days, when it answered 429
        again at each hold's end)."""
        wanted, params = _wanted(since, skip_feeds)
        order = "ORDER BY i.first_seen DESC, i.guid, i.feed_url, i.id"
        never = (
            "FROM items i LEFT JOIN articles a ON a.item_id = i.id "
            f"WHERE a.item_id IS NULL AND {wanted}"
        )
        if not caps:
            rows = self._rows(f"SELECT i.* {never}{order} LIMIT ?", [*params, limit])
            return [item_from_row(r) for r in rows]
        chosen: list[str] = []
        taken: dict[str, int] = {}
        for item_id, url in self.conn.execute(f"SELECT i.id, i.url {never}{order}", params):
            host = _host(url)
            if host in caps:
                if taken.get(host, 0) >= caps[host]:
                    continue
                taken[host] = taken.get(host, 0) + 1
            chosen.append(item_id)
            if len(chosen) >= limit:
                break
        found = {
            r["id"]: item_from_row(r)
            for r in self._rows_in("SELECT * FROM items WHERE id IN ({marks})", chosen)
        }
        return [found[i] for i in chosen if i in found]

    def articles_waiting(
        self, now: datetime, since: datetime, skip_feeds: Sequence[str] = ()
    ) -> bool:
        """Whether any page is due: `article_candidates` or `article_retries_due` would give
        an item (asked without reading one)."""
        wanted, params = _wanted(since, skip_feeds)
        row = self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM items i LEFT JOIN articles a ON a.item_id = i.id "
            f"WHERE a.item_id IS NULL AND {wanted}) OR EXISTS (SELECT 1 FROM articles a "
            "JOIN items i ON i.id = a.item_id "
            f"WHERE a.retry_at IS NOT NULL AND a.retry_at <= ? AND {wanted})",
            [*params, to_iso(now), *params],
        ).fetchone()
        return bool(row[0])

    def shared_links(self, items: Sequence[Item]) -> set[tuple[str, str]]:
        """Of these items' links, those that items of the same feed under other titles have
        too, as (feed URL, canonical link): a home or section page the feed links every item
        to, not any one item's article (`ArticleJob.run_pass`)."""
        links = sorted({i.canonical_url for i in items if i.canonical_url})
        found: set[tuple[str, str]] = set()
        for chunk in chunks(links):
            marks = ",".join("?" for _ in chunk)
            found.update(
                (row[0], row[1])
                for row in self.conn.execute(
                    f"SELECT feed_url, canonical_url FROM items WHERE canonical_url IN ({marks}) "
                    "GROUP BY feed_url, canonical_url HAVING COUNT(DISTINCT title) > 1",
                    list(chunk),
                )
            )
        return found

    def article_retries_due(
        self, now: datetime, since: datetime, limit: int, skip_feeds: Sequence[str] = ()
    ) -> list[tuple[Item, int]]:
        """The same items whose page's next try is due by `now` (it failed for a passing
        reason), with the tries it had; oldest due first."""
        wanted, params = _wanted(since, skip_feeds)
        rows = self._rows(
            "SELECT i.*, a.attempts AS article_attempts FROM articles a "
            "JOIN items i ON i.id = a.item_id "
            f"WHERE a.retry_at IS NOT NULL AND a.retry_at <= ? AND {wanted}"
            "ORDER BY a.retry_at, a.item_id LIMIT ?",
            [to_iso(now), *params, limit],
        )
        return [(item_from_row(r), int(r["article_attempts"])) for r in rows]

    def save_articles(
        self,
        results: Sequence[tuple[str, str, str, str | None, str]],
        now: datetime,
        tries: Mapping[str, tuple[int, datetime | None]] | None = None,
        pictures: Mapping[str, str] | None = None,
    ) -> int:
        """Record (item_id, url, status, error, text) rows; an "ok" text marks its story for
        re-summarising, and so does a page read again that gave text before and now gives
        none (an edited selector's). `tries`: an item's tries so far and when the next is due
        (None: never again; an item not in it: its first, the last). `pictures`: an item's
        picture from its page, kept where its feed gave it none (`_page_picture`). Returns
        how many stories were marked."""
        marked = 0
        with self.db.atomic():
            for item_id, url, status, error, text in results:
                attempts, retry_at = (tries or {}).get(item_id, (1, None))
                had_text = (
                    status != "ok"
                    and self.db.execute(
                        "SELECT 1 FROM articles WHERE item_id = ? AND status = 'ok'", [item_id]
                    ).fetchone()
                )
                if had_text and status != "empty":  # read again, and not read: it keeps its
                    self.db.execute(  # text, and is tried again as a failed page would be
                        "UPDATE articles SET attempts = ?, retry_at = ? WHERE item_id = ?",
                        [attempts, None if retry_at is None else to_iso(retry_at), item_id],
                    )
                    continue
                lost = bool(had_text)  # (its page read: by the edited rules, no text)
                self.db.table("articles").upsert(
                    {
                        "item_id": item_id,
                        "url": url,
                        "status": status,
                        "error": error,
                        "text": text if status == "ok" else None,
                        "chars": len(text) if status == "ok" else 0,
                        "fetched_at": to_iso(now),
                        "regrouped": 0 if status == "ok" else 1,  # only text is reconsidered
                        "attempts": attempts,
                        "retry_at": None if retry_at is None else to_iso(retry_at),
                    },
                    pk="item_id",
                )
                if status == "ok" or lost:
                    if status == "ok" and pictures and item_id in pictures:
                        self._page_picture(item_id, pictures[item_id])
                    cursor = self.db.execute(
                        "UPDATE stories SET dirty = 1 WHERE id = "
                        "(SELECT story_id FROM items WHERE id = ?)",
                        [item_id],
                    )
                    marked += cursor.rowcount
        return marked

    def _page_picture(self, item_id: str, picture: str) -> None:
        """Keep an article page's picture as its item's, where the feed gave none, unless it
        is its site's default (`entry_images.SITE_PICTURE`: the picture of that many of one
        feed's items, remembered in `site_pictures`); found so, it leaves the items that had
        it, and their stories are summarised again (their picture chosen anew)."""
        from .entry_images import SITE_PICTURE  # (not at import: a pass of 304s needs none)

        found = self.db.execute("SELECT feed_url FROM items WHERE id = ?", [item_id]).fetchone()
        if found is None:
            return
        feed = found[0]
        known = "SELECT 1 FROM site_pictures WHERE feed_url = ? AND image = ?"
        if self.db.execute(known, [feed, picture]).fetchone():
            return
        (others,) = self.db.execute(
            "SELECT count(*) FROM items WHERE feed_url = ? AND image = ? AND id != ?",
            [feed, picture, item_id],
        ).fetchone()
        if others + 1 < SITE_PICTURE:
            self.db.execute(
                "UPDATE items SET image = ? WHERE id = ? AND image IS NULL", [picture, item_id]
            )
            return
        self.db.execute(
            "INSERT OR IGNORE INTO site_pictures (feed_url, image) VALUES (?, ?)", [feed, picture]
        )
        self.db.execute(
            "UPDATE stories SET dirty = 1 WHERE id IN "
            "(SELECT story_id FROM items WHERE feed_url = ? AND image = ?)",
            [feed, picture],
        )
        self.db.execute(
            "UPDATE items SET image = NULL WHERE feed_url = ? AND image = ?", [feed, picture]
        )

    def articles_to_regroup(self, limit: int = 500) -> list[Item]:
        """Grouped items whose article text grouping has not reconsidered yet, oldest first,
        with that text in place of the feed's."""
        return self._articles_in_state(REGROUP_PENDING, limit)

    def articles_to_ask_again(self, limit: int = 500) -> list[Item]:
        """Grouped items whose article text grouping reconsidered in the latest batch and is
        to weigh once more against the next batch's (`regrouped(…, again=True)`), oldest
        first, with that text in place of the feed's."""
        return self._articles_in_state(REGROUP_AGAIN, limit)

    def _articles_in_state(self, state: int, limit: int) -> list[Item]:
        rows = self._rows(
            "SELECT i.*, a.text AS article_text FROM articles a JOIN items i ON i.id = a.item_id "
            f"WHERE a.regrouped = {int(state)} AND i.story_id IS NOT NULL AND i.apart = 0 "
            "ORDER BY i.published, i.first_seen, i.guid, i.feed_url, i.id LIMIT ?",
            [limit],
        )  # Only an "ok" page is ever queued. The state is a literal and the status is not
        # asked: SQLite then reads the state's partial index, not every fetched page.
        out = []
        for row in rows:
            text = row.pop("article_text") or ""
            out.append(replace(item_from_row(row), text=text))
        return out

    def regrouped(self, item_id: str, grouping_terms: str | None, again: bool = False) -> None:
        """Record that grouping reconsidered an item with its article text (and the features
        it now groups by, so a restart restores them); `again`: it is to be weighed once more
        when the next batch of texts arrives (`articles_to_ask_again`)."""
        state = REGROUP_AGAIN if again else REGROUP_DONE
        self.db.execute("UPDATE articles SET regrouped = ? WHERE item_id = ?", [state, item_id])
        if grouping_terms:
            self.db.execute(KEEP_TERMS, [item_id, grouping_terms])

    def asked_again(self, item_ids: Sequence[str]) -> None:
        """Record that grouping weighed these items' texts against a later batch: done."""
        for chunk in chunks(list(item_ids)):
            self.db.execute(
                f"UPDATE articles SET regrouped = {REGROUP_DONE} WHERE regrouped = "
                f"{REGROUP_AGAIN} AND item_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )

    def article_texts(self, item_ids: Sequence[str]) -> dict[str, str]:
        """Extracted article text of those items that have one."""
        rows = self._rows_in(
            "SELECT item_id, text FROM articles WHERE status = 'ok' AND item_id IN ({marks})",
            item_ids,
        )
        return {row["item_id"]: row["text"] for row in rows}

    # --- what sites told the article job (`ArticleJob`), kept for its next process ----------

    def robots_answer(self, origin: str) -> tuple[datetime, str | None, str] | None:
        """The stored robots.txt answer of `origin`: when it was asked, its text (None: the
        site could not say) and why not; None when none is stored."""
        row = self.conn.execute(
            "SELECT asked_at, body, why FROM robots_answers WHERE origin = ?", [origin]
        ).fetchone()
        asked = from_iso(row[0]) if row else None
        return None if row is None or asked is None else (asked, row[1], row[2])

    def save_robots_answer(
        self, origin: str, asked_at: datetime, body: str | None, why: str
    ) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO robots_answers (origin, asked_at, body, why) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(origin) DO UPDATE SET asked_at = excluded.asked_at, "
                "body = excluded.body, why = excluded.why",
                [origin, to_iso(asked_at), body, why],
            )

    def site_holds(self, now: datetime) -> dict[str, datetime]:
        """The hosts that asked to be left alone until after `now`, and until when. A hold
        that ends more than `MAX_PAUSE` after `now` was stored by a clock that has since
        stepped back: it is cut to that, here and in the table."""
        stored = _stored_holds(self.conn.execute, now)
        latest = now + timedelta(seconds=MAX_PAUSE)
        if any(until > latest for until in stored.values()):
            with self.transaction():
                self.conn.execute(
                    "UPDATE site_holds SET until = ? WHERE until > ?", [to_iso(latest)] * 2
                )
        return _within_pause(stored, latest)

    def hold_sites(self, holds: Mapping[str, datetime]) -> None:
        """Record holds (a later one of a host replaces an earlier one, never the reverse)."""
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO site_holds (host, until) VALUES (?, ?) ON CONFLICT(host) DO "
                "UPDATE SET until = excluded.until WHERE excluded.until > site_holds.until",
                [(host, to_iso(until)) for host, until in holds.items()],
            )

    def forget_site_answers(
        self, answered_before: datetime, unread_before: datetime, now: datetime
    ) -> None:
        """Drop robots.txt answers past their time to live (a text asked before
        `answered_before`, a "could not say" before `unread_before`) and holds passed."""
        with self.transaction():
            self.conn.execute(
                "DELETE FROM robots_answers WHERE asked_at < "
                "CASE WHEN body IS NULL THEN ? ELSE ? END",
                [to_iso(unread_before), to_iso(answered_before)],
            )
            self.conn.execute("DELETE FROM site_holds WHERE until <= ?", [to_iso(now)])


def site_holds_in(
    execute: Callable[[str, Sequence[Any]], Iterable[tuple[Any, ...]]], now: datetime
) -> dict[str, datetime]:
    """`Store.site_holds` through any connection's `execute` (a reader's: only the writer's
    cuts the stored holds too)."""
    return _within_pause(_stored_holds(execute, now), now + timedelta(seconds=MAX_PAUSE))


def _stored_holds(
    execute: Callable[[str, Sequence[Any]], Iterable[tuple[Any, ...]]], now: datetime
) -> dict[str, datetime]:
    rows = execute("SELECT host, until FROM site_holds WHERE until > ?", [to_iso(now)])
    return {host: when for host, until in rows if (when := from_iso(until)) is not None}


def _within_pause(holds: Mapping[str, datetime], latest: datetime) -> dict[str, datetime]:
    """No hold longer than `MAX_PAUSE` from now (`latest`): see `Store.site_holds`."""
    return {host: min(until, latest) for host, until in holds.items()}
