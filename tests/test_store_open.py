"""Opening the store without sqlite-utils: the schema check, rows, transactions and the meta
write on the plain connection give what sqlite-utils gives, and migrations still run (by
sqlite-utils' runner) when some are pending."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from aggregator.migration_set import MigrationSet
from aggregator.migrations import migrations
from aggregator.store import Store
from aggregator.store_db import connect, database, open_connection


def test_a_reopened_database_has_nothing_pending_and_is_not_migrated_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.db"
    Store(path).close()
    conn = open_connection(path)
    assert migrations.pending(conn) == []
    recorded = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert recorded == migrations.names()
    conn.close()
    store = Store(path)
    assert store._database is None  # nothing needed sqlite-utils
    assert store.db.table_names()  # ... which still works on the same connection
    store.close()


def test_pending_migrations_run_in_order_and_only_once(tmp_path: Path) -> None:
    ran: list[str] = []
    steps = MigrationSet("test")

    @steps(name="one")
    def one(db: object) -> None:
        ran.append("one")

    conn = open_connection(tmp_path / "m.db")
    assert steps.pending(conn) == ["one"]  # no record table yet
    steps.apply(database(conn))
    assert steps.pending(conn) == [] and ran == ["one"]

    @steps(name="two")
    def two(db: object) -> None:
        ran.append("two")

    assert steps.pending(conn) == ["two"]
    steps.apply(database(conn))
    assert ran == ["one", "two"] and steps.pending(conn) == []
    with pytest.raises(ValueError, match="already registered"):
        steps(name="two")(two)


def test_a_record_table_of_another_shape_counts_as_pending(tmp_path: Path) -> None:
    """sqlite-utils' runner reshapes an old record table; the quick check leaves that to it."""
    steps = MigrationSet("test")
    steps(name="one")(lambda db: None)
    conn = open_connection(tmp_path / "m.db")
    conn.execute("CREATE TABLE _sqlite_migrations (migration_set TEXT, name TEXT)")
    conn.execute("INSERT INTO _sqlite_migrations VALUES ('test', 'one')")
    assert steps.pending(conn) == ["one"]


def test_rows_are_the_dictionaries_sqlite_utils_gives(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    store.set_meta("k", "v1")
    store.set_meta("k", "v2")  # replaced, as an upsert
    for sql in (
        "SELECT key, value FROM meta ORDER BY key",
        "SELECT 1 AS a, 2 AS a, 3 AS a_2",  # repeated names are made unique the same way
        "SELECT * FROM feeds",
    ):
        assert list(store._rows(sql)) == list(store.db.query(sql))
    assert {"key": "k", "value": "v2"} in list(store._rows("SELECT key, value FROM meta"))
    with pytest.raises(ValueError):
        list(store._rows("UPDATE meta SET value = 'x' WHERE 0"))
    store.close()


def test_a_failed_transaction_writes_nothing_and_a_savepoint_undoes_only_its_part(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "t.db")
    with pytest.raises(RuntimeError), store.transaction():
        store.conn.execute("INSERT INTO meta(key, value) VALUES ('a', '1')")
        raise RuntimeError("boom")
    assert not store.conn.in_transaction
    with store.transaction():
        store.conn.execute("INSERT INTO meta(key, value) VALUES ('b', '1')")
        with pytest.raises(RuntimeError), store.transaction():
            store.conn.execute("INSERT INTO meta(key, value) VALUES ('c', '1')")
            raise RuntimeError("boom")
        with store.transaction():
            store.conn.execute("INSERT INTO meta(key, value) VALUES ('d', '1')")
    keys = {r["key"] for r in store._rows("SELECT key FROM meta")}
    assert {"b", "d"} <= keys and not {"a", "c"} & keys
    store.close()


def test_the_plain_connection_is_set_up_as_sqlite_utils_sets_it(tmp_path: Path) -> None:
    conn = open_connection(tmp_path / "c.db")
    assert conn.execute("PRAGMA recursive_triggers").fetchone()[0] == 1
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.isolation_level is None
    db = connect(tmp_path / "c.db", readonly=True)
    with pytest.raises(sqlite3.OperationalError):
        db.execute("CREATE TABLE x (a)")


def test_closing_the_writer_leaves_everything_in_the_database_file(tmp_path: Path) -> None:
    """`run` serves pages through read connections that live until the process ends, so
    SQLite never emptied the write-ahead log when the writer closed: a stopped service's
    data sat in `<db>-wal`, and a cold copy of the database file alone missed it."""
    import shutil

    path = tmp_path / "a.db"
    store = Store(path)
    reader = store.reader()
    assert reader.version() == "0"  # a read connection now open, as the web server's are
    store.set_meta("version", "42")
    store.close()
    wal = tmp_path / "a.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    alone = tmp_path / "copy" / "a.db"
    alone.parent.mkdir()
    shutil.copy(path, alone)  # the file only, no -wal beside it
    copied = sqlite3.connect(alone)
    assert copied.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() == ("42",)
    copied.close()
    assert reader.version() == "42"  # the reader still works after the writer closed
