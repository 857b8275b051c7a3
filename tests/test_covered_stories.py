"""The stories several outlets covered, as the "top stories" feeds and the front page read
them: through `stories.outlets` and its partial index, the same stories the summaries say,
kept in step when a summary is rewritten, withdrawn or its story merged, and filled in for a
database made before the column."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from digest_fixture import NOW, add_story

from aggregator.models import Story
from aggregator.store import Store


def _covered(store: Store, category: str | None, least: int) -> list[str]:
    return [s.id for s in store.reader().stories(category, 50, min_outlets=least)]


def _expected(store: Store, category: str | None, least: int) -> list[str]:
    """The same list from every published story, filtered by its summary's outlet count."""
    every: list[Story] = store.reader().stories(category, 1000)
    return [s.id for s in every if s.summary is not None and s.summary.outlet_count >= least][:50]


def _stories(store: Store) -> None:
    for n in range(30):
        add_story(
            store,
            f"s{n:02d}",
            f"Story {n}",
            outlets=1 + n % 4,
            at=NOW - timedelta(minutes=90 - n),
            category="World News" if n % 3 else "Business",
        )


def test_covered_stories_are_those_the_summaries_count(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.db")
    try:
        _stories(store)
        # a rewrite with fewer outlets leaves the list; one with more joins it
        add_story(store, "s03", "Story 3", outlets=1, at=NOW, fingerprint="fewer")
        add_story(store, "s04", "Story 4", outlets=5, at=NOW, fingerprint="more")
        store.withdraw_summary("s07")  # (had 4 outlets)
        store.merge_story("s11", "s15", NOW)  # (both had 4 outlets)
        for category in (None, "World News", "Business", "Nowhere"):
            for least in (2, 3, 5):
                assert _covered(store, category, least) == _expected(store, category, least)
        listed = _covered(store, None, 2)
        assert "s04" in listed and "s03" not in listed
        assert "s07" not in listed and "s11" not in listed and "s15" in listed
        assert _covered(store, "Nowhere", 2) == []
    finally:
        store.close()


def test_a_database_made_before_the_column_gets_it_filled_in(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = Store(path)
    try:
        _stories(store)
        before = {c: _covered(store, c, 2) for c in (None, "Business")}
        assert before[None]
        # as the database stood before the migration: no column, no index, not recorded
        store.conn.execute("DROP INDEX idx_stories_covered")
        store.conn.execute("ALTER TABLE stories DROP COLUMN outlets")
        store.conn.execute(
            "DELETE FROM _sqlite_migrations WHERE name = 'history_0004_covered_stories'"
        )
    finally:
        store.close()
    store = Store(path)
    try:
        assert {c: _covered(store, c, 2) for c in (None, "Business")} == before
    finally:
        store.close()
