"""What grows with stored history: the reads a poll cycle, a restart and the published pages
make must find their rows through an index, never by reading every stored item or story
(their cost then follows the active window or the page, not the history)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from aggregator.store import Store

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@contextmanager
def plans(store: Store) -> Iterator[list[str]]:
    """The query plan of every SELECT run on the store's connection meanwhile, one line
    joined per statement."""
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    found: list[str] = []
    try:
        yield found
    finally:
        store.conn.set_trace_callback(None)
    for sql in statements:
        if sql.lstrip().upper().startswith("SELECT"):
            rows = store.conn.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
            found.append(" | ".join(r[3] for r in rows))


def plans_of(call: Callable[[Store], object]) -> list[str]:
    store = Store()
    with plans(store) as found:
        call(store)
    assert found, "the call ran no SELECT"
    return found


def test_restoring_the_window_reads_only_the_window() -> None:
    found = plans_of(lambda s: s.grouping_state(NOW))
    assert all("SCAN items" not in plan for plan in found), found
    assert any("idx_items_first_seen" in plan for plan in found), found


def test_the_newest_published_stories_are_read_in_order() -> None:
    """Read through the index in the order listed, stopping at the limit: no sort of every
    stored story."""
    from aggregator import store_upkeep

    def a_category(store: Store) -> None:
        store.conn.execute("INSERT INTO stories (id) VALUES ('s1')")
        store.conn.execute("INSERT INTO story_categories VALUES ('s1', 'World', 1.0)")
        store_upkeep._kept(store, 50)

    for call, index in (
        (lambda s: s.reader().stories(None, 50), "idx_stories_published"),
        (lambda s: s.reader().stories("World", 50), "idx_stories_published"),
        # several outlets': only the stories several outlets covered are walked
        (lambda s: s.reader().stories(None, 50, min_outlets=2), "idx_stories_covered"),
        (lambda s: s.reader().stories("World", 50, min_outlets=3), "idx_stories_covered"),
        (a_category, "idx_stories_published"),
    ):
        found = plans_of(call)
        newest = [p for p in found if "SCAN s" in p and index in p]
        assert newest and all("TEMP B-TREE" not in p for p in newest), found
        assert all("(category=?)" not in p for p in found), found


def test_status_reads_each_feeds_own_items_and_pages() -> None:
    """`aggregator status`: per feed, its items through the feed's index and its pages by
    item id; never every stored article page once per feed."""
    found = plans_of(lambda s: s.status_rows())
    plan = found[0]
    assert "idx_articles_status" not in plan, plan
    assert "idx_items_feed_furniture" in plan, plan
    # (pages with text, failed, to retry, with no page of their own; the last failure's reason)
    assert plan.count("SEARCH a USING INDEX sqlite_autoindex_articles_1 (item_id=?)") == 5, plan


def test_the_pages_due_again_are_read_from_the_few_to_retry() -> None:
    """An article pass asks for pages due again: through the partial index of the pages to
    retry, never by reading every stored page."""
    found = plans_of(lambda s: s.article_retries_due(NOW, NOW, 30))
    assert "idx_articles_retry" in found[0], found
    assert "SCAN a" not in found[0], found


def test_status_reads_no_text_of_a_feed_whose_stories_are_published() -> None:
    """Whether a feed's items are published stops at its first published one; its items'
    texts are weighed only for a feed none of whose items is (they had been read whole for
    every feed: the status query then read the whole database)."""
    store = Store()
    db = store.conn
    for feed, version in (("https://a.example/feed", 1), ("https://b.example/feed", 0)):
        db.execute("INSERT INTO feeds (url, status) VALUES (?, 'ok')", (feed,))
        db.execute(
            "INSERT INTO sources (url, category, title, active, position) "
            "VALUES (?, 'World', 't', 1, 0)",
            (feed,),
        )
        db.execute("INSERT INTO stories (id, version) VALUES (?, ?)", (feed, version))
        for n in range(5):
            db.execute(
                "INSERT INTO items (id, feed_url, guid, title, text, story_id) "
                "VALUES (?, ?, ?, 'A title', ?, ?)",
                (f"{feed}#{n}", feed, str(n), "A sentence of text. " * 10, feed),
            )
    weighed: list[str] = []

    def length(value: object) -> int | None:
        weighed.append(str(value))
        return None if value is None else len(str(value))

    db.create_function("length", 1, length)  # (in place of SQLite's own, to see what it reads)
    rows = {r["url"]: r for r in store.status_rows()}
    assert rows["https://a.example/feed"]["published"]
    assert not rows["https://b.example/feed"]["published"]
    assert rows["https://b.example/feed"]["in_stories"] == 5
    assert rows["https://b.example/feed"]["with_text"] == 5
    assert sum(text.startswith("A sentence") for text in weighed) == 5, weighed
