"""An item's grouping features live in `item_terms`, written as it is grouped and dropped by
retention once it left the active window; the rows of a database written before the table
keep theirs in `items.grouping_terms`, read where the table has none."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from invented_items import T0, item

from aggregator.cluster import Clusterer
from aggregator.grouping import group_pending
from aggregator.models import Item
from aggregator.store import Store
from aggregator.store_upkeep import drop_near, drop_terms, prune

# Invented reports: two outlets on one event, two others on events of their own.
REPORTS = [
    ("Harbour bridge closes after crack found in main span",
     "Engineers closed the Kestrel harbour bridge on Monday after inspectors found a crack in "
     "its main span; the council said repairs would take three weeks."),
    ("Kestrel harbour bridge shut for three weeks over crack",
     "The Kestrel harbour bridge was shut on Monday when inspectors found a crack in the main "
     "span, and the council expects repairs to take three weeks."),
    ("Orchestra names new conductor for its centenary season",
     "The Vellmar orchestra named Ada Quist its conductor for the centenary season, which "
     "opens in September with a new symphony."),
    ("Glacier survey finds the Ostra ice field thinning faster",
     "A survey of the Ostra ice field found it lost four metres of thickness since 2019, "
     "twice the rate its researchers measured in the decade before."),
]  # fmt: skip


def _item(n: int, hours: int) -> Item:
    title, text = REPORTS[n]
    return item(f"i{n}", title, text, minutes=hours * 60)


def _terms(store: Store) -> dict[str, str]:
    return dict(store.conn.execute("SELECT item_id, terms FROM item_terms").fetchall())


def _generation(store: Store) -> int:
    return store.grouping_stamp()[1]


def test_grouping_writes_features_beside_the_item_not_into_its_row(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.db")
    try:
        store.insert_items([_item(n, n) for n in range(3)])
        group_pending(store, Clusterer(), T0 + timedelta(hours=3))
        terms = _terms(store)
        assert sorted(terms) == ["i0", "i1", "i2"] and all(terms.values())
        old_column = store.conn.execute("SELECT COUNT(grouping_terms) FROM items").fetchone()
        assert old_column == (0,)
        items, restored, _ = store.grouping_state(T0 - timedelta(days=1))
        assert restored == terms and len(items) == 3
        # a change of an item's features changes what a rebuilt window reflects
        before = _generation(store)
        with store.transaction():
            store.save_grouping_terms([("i0", terms["i1"])])
        assert _generation(store) == before + 1
    finally:
        store.close()


def test_a_database_from_before_the_table_keeps_reading_its_rows_features(
    tmp_path: Path,
) -> None:
    """Upgraded, the rows written before keep their features in `items` (nothing is copied
    or rewritten at the first start); a window rebuilt from them is the one before, and what
    is grouped or worked out again from then on goes into the table, read first."""
    path = tmp_path / "old.db"
    store = Store(path)
    try:
        store.insert_items([_item(n, n) for n in range(3)])
        group_pending(store, Clusterer(), T0 + timedelta(hours=3))
        terms = _terms(store)
        before = Clusterer()
        before.restore(*store.grouping_state(T0 - timedelta(days=1)))
        # as a database stood before the migration: features in the items' rows, no table
        for item_id, encoded in terms.items():
            store.conn.execute(
                "UPDATE items SET grouping_terms = ? WHERE id = ?", [encoded, item_id]
            )
        for trigger in ("insert", "update"):
            store.conn.execute(f"DROP TRIGGER grouping_generation_terms_{trigger}")
        store.conn.execute("DROP TABLE item_terms")
        store.conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'grouping_0004_item_terms'")
    finally:
        store.close()
    store = Store(path)
    try:
        assert _terms(store) == {}
        items, restored, _ = store.grouping_state(T0 - timedelta(days=1))
        assert restored == terms
        after = Clusterer()
        after.restore(items, restored)
        assert {i: after.story_of(i) for i in terms} == {i: before.story_of(i) for i in terms}
        store.insert_items([_item(3, 4)])
        group_pending(store, after, T0 + timedelta(hours=5))
        with store.transaction():
            store.save_grouping_terms([("i0", terms["i2"])])
        assert sorted(_terms(store)) == ["i0", "i3"]
        assert store.grouping_state(T0 - timedelta(days=1))[1]["i0"] == terms["i2"]
        new_row = store.conn.execute("SELECT grouping_terms FROM items WHERE id = 'i3'")
        assert new_row.fetchone() == (None,)
    finally:
        store.close()


def test_retention_drops_the_features_of_items_past_the_window_only(tmp_path: Path) -> None:
    """Features of items first seen before the edge go (a prune's part, at most its limit a
    time), without changing the grouping generation (no window reads them: a snapshot still
    stands); the items, their stories and the window's features stay; a prune of the items
    themselves takes the rest."""
    store = Store(tmp_path / "a.db")
    try:
        store.insert_items([_item(0, 0), _item(1, 1), _item(2, 100), _item(3, 101)])
        group_pending(store, Clusterer(), T0 + timedelta(hours=102))
        window = store.grouping_state(T0 + timedelta(hours=50))
        generation = _generation(store)
        edge = T0 + timedelta(hours=50)
        assert drop_terms(store, edge, limit=1) == 1
        report = prune(store, T0 + timedelta(hours=102), T0 - timedelta(days=30), T0, 0,
                       terms_before=edge)  # fmt: skip
        assert (report.items, report.terms_dropped) == (0, 1)
        assert sorted(_terms(store)) == ["i2", "i3"]
        assert store.grouping_state(T0 + timedelta(hours=50)) == window
        assert _generation(store) == generation
        assert store.db["items"].count == 4 and all(i.story_id for i in store.items_by_id(["i0"]))
        prune(store, T0 + timedelta(days=90), T0 + timedelta(days=60), T0, 0)
        assert store.db["items"].count == 0 and _terms(store) == {}
        # rows of an item no longer stored (as `recover` may leave them) go at the next drop
        with store.transaction():
            store.conn.execute("INSERT INTO item_terms VALUES ('gone', 'x')")
            store.conn.execute("INSERT INTO near_hashes VALUES ('gone', x'00')")
            store.conn.execute("INSERT INTO near_keys VALUES ('k', 'gone')")
        assert (drop_terms(store, T0), drop_near(store, T0)) == (1, 1)
        assert _terms(store) == {}
        for table in ("near_hashes", "near_keys"):
            assert store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,)
    finally:
        store.close()
