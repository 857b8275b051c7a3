"""`aggregator compact`: the database's free pages go back to the file system, with everything
it holds (and the grouping snapshot's stamp) as it was; refused while the service runs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from test_cli import run_cli

from aggregator.cli_status import database_line
from aggregator.lock import lock_path, writer_lock
from aggregator.models import Item
from aggregator.store import Store
from aggregator.store_upkeep import compact


def _filled(db: Path) -> tuple[str, int]:
    """A database whose items were stored, then most of them deleted (as retention does):
    its file keeps the pages they took. Returns its grouping stamp and items left."""
    store = Store(db)
    try:
        text = "A long enough text of an invented report. " * 60
        items = [
            Item(
                id=f"i{n}",
                title=f"Report {n}",
                text=text,
                feed_url="https://a.example/feed",
                guid=f"g{n}",
                outlet="a.example",
            )
            for n in range(1500)
        ]
        store.insert_items(items)
        with store.transaction():
            store.conn.execute("DELETE FROM items WHERE CAST(substr(id, 2) AS INTEGER) >= 100")
        return store.grouping_stamp(), store.db["items"].count
    finally:
        store.close()


def _dump(db: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT * FROM items ORDER BY id").fetchall()
    finally:
        conn.close()


def test_compacting_gives_free_pages_back_and_keeps_everything(tmp_path: Path) -> None:
    db = tmp_path / "agg.db"
    stamp, left = _filled(db)
    rows = _dump(db)
    size = db.stat().st_size
    report = compact(db)
    assert left == 100 and len(rows) == 100
    assert report.before == size and report.after == db.stat().st_size
    assert report.after < size / 4 and 0 < report.in_use < size / 4
    assert _dump(db) == rows
    assert report.wal_left == 0  # (and no file left beside it: run by root, none is root's)
    assert not Path(f"{db}-wal").exists() and not Path(f"{db}-shm").exists()
    store = Store(db)
    try:
        assert store.grouping_stamp() == stamp  # (a grouping snapshot still stands)
        assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert store.conn.execute("PRAGMA freelist_count").fetchone() == (0,)
    finally:
        store.close()


def test_the_command_says_what_it_gave_back_and_waits_for_no_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "agg.db"
    _filled(db)
    before = db.read_bytes()
    with writer_lock(db, "run"):
        code, _, err = run_cli("compact", "--db", str(db), capsys=capsys)
    assert code == 1 and "is already running on this database; stop it first" in err
    assert db.read_bytes() == before
    code, out, _ = run_cli("compact", "--db", str(db), capsys=capsys)
    assert code == 0 and out.startswith(f"compacted {db}: ") and out.endswith(" MB\n")
    assert db.stat().st_size < len(before) / 4
    missing = tmp_path / "nothere.db"
    code, _, err = run_cli("compact", "--db", str(missing), capsys=capsys)
    assert code != 0 and "no database there" in err and not missing.exists()
    assert not lock_path(missing).exists()  # (nothing left beside a typo'd --db)


def test_a_reader_keeps_reading_and_the_file_shrinks_once_it_is_done(tmp_path: Path) -> None:
    """`serve` mid-read while compacting: it reads on, whole; the write-ahead log stays until
    the next checkpoint (here the next writer's close), which gives the pages back."""
    db = tmp_path / "agg.db"
    _filled(db)
    size = db.stat().st_size
    reader = sqlite3.connect(db)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT COUNT(*) FROM items").fetchone() == (100,)
        report = compact(db)
        assert report.wal_left > 0
        assert reader.execute("SELECT COUNT(*) FROM items").fetchone() == (100,)
        reader.execute("COMMIT")
    finally:
        reader.close()
    Store(db).close()
    assert db.stat().st_size < size / 4 and len(_dump(db)) == 100


def test_status_says_the_size_and_the_free_pages_and_when_compact_pays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "agg.db"
    _filled(db)
    code, out, _ = run_cli("status", "--db", str(db), capsys=capsys)
    assert code == 0 and f"DATABASE {db}: 6 MB, 6 MB of it free pages" in out.splitlines()
    code, out, _ = run_cli("status", "--json", "--db", str(db), capsys=capsys)
    found = json.loads(out)["database"]
    assert found["bytes"] == db.stat().st_size and found["free_bytes"] > 0.8 * found["bytes"]
    compact(db)
    code, out, _ = run_cli("status", "--json", "--db", str(db), capsys=capsys)
    assert json.loads(out)["database"] == {"bytes": db.stat().st_size, "free_bytes": 0}
    # the command is named once the free pages are a tenth of the file and 64 MB or more
    mb = 2**20
    assert database_line(db, 1000 * mb, 100 * mb).endswith(
        "1,000 MB, 100 MB of it free pages (reused as it grows; `aggregator compact`, the "
        "service stopped, gives them back)"
    )
    assert "compact" not in database_line(db, 1000 * mb, 99 * mb)
    assert "compact" not in database_line(db, 100 * mb, 63 * mb)
