"""`aggregator recover`: what a damaged database still holds, copied into a new file that the
service takes as its database; the next poll brings back the lost items the feeds still carry."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from test_cli import polled, run_cli, upstream  # noqa: F401  (a fixture)
from test_damage import _root_logger_kept, damage, rows_with_a_damaged_page  # noqa: F401
from upstream import Upstream

from aggregator.errors import StorageError
from aggregator.lock import lock_path, writer_lock
from aggregator.store_recover import recover


def count(db: str | Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def test_rows_past_a_damaged_page_are_still_copied(tmp_path: Path) -> None:
    db = rows_with_a_damaged_page(tmp_path / "rows.db")
    with pytest.raises(sqlite3.DatabaseError):
        count(db, "SELECT sum(length(pad)) FROM t")
    report = recover(db, tmp_path / "out.db")
    (table,) = report.tables
    assert table.damaged and not report.whole
    copied = {row[0] for row in sqlite3.connect(tmp_path / "out.db").execute("SELECT id FROM t")}
    assert table.copied == len(copied)
    assert 2900 <= len(copied) < 3000  # a page holds a handful of these rows
    assert {1, 2, 3000} <= copied  # rows before and after the damage
    missing = sorted(set(range(1, 3001)) - copied)
    assert missing == list(range(missing[0], missing[-1] + 1))  # one page's run of rows
    assert count(tmp_path / "out.db", "SELECT count(*) FROM t") == len(copied)


def test_a_recovered_database_is_the_service_s_again_and_the_lost_items_come_back(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    upstream: Upstream,  # noqa: F811
) -> None:
    db, _ = polled(tmp_path, capsys, upstream.url("/a.xml"), upstream.url("/b.xml"))
    items = count(db, "SELECT count(*) FROM items")
    stories = count(db, "SELECT count(*) FROM stories")
    store_id = count(db, "SELECT count(*) FROM meta WHERE key = 'store_id'")
    damage(db, "stories")  # every item belongs to a story: those are lost with it
    out = tmp_path / "recovered.db"
    code, said, _ = run_cli("recover", str(out), "--db", db, capsys=capsys)
    assert code == 0
    lines = said.splitlines()
    # (the count is read from the table's index, which is whole)
    assert lines[0] == f"stories: 0 rows copied of {stories}; the rest sat on damaged pages"
    assert any(line.endswith("rows dropped: the rows they belong to were lost") for line in lines)
    assert lines[-2].startswith(f"recovered {db} into {out}: ")
    assert lines[-2].endswith(", what could be read; integrity ok")
    assert count(out, "SELECT count(*) FROM items") == 0
    assert count(out, "SELECT count(*) FROM feeds WHERE etag IS NOT NULL") == 0
    assert count(out, "SELECT count(*) FROM meta WHERE key = 'store_id'") == store_id
    old = sqlite3.connect(db).execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()
    new = sqlite3.connect(out).execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()
    assert old != new  # no grouping snapshot of the damaged file is taken for this one
    # what it says to do next, done: the copy takes the damaged file's place (which is kept
    # aside), and the next poll brings the items back
    assert lines[-1] == (
        f"next: with the service stopped, `aggregator restore {out} --db {db}` puts it in place"
    )
    code, said, err = run_cli("restore", str(out), "--db", db, capsys=capsys)
    assert code == 0, err
    assert len(list(tmp_path.glob("agg.db.replaced-*Z"))) == 1
    opml = str(tmp_path / "feeds.opml")
    code, said, _ = run_cli("poll", "--once", "--db", db, "--opml", opml, capsys=capsys)
    assert code == 0
    assert count(db, "SELECT count(*) FROM items") == items
    code, said, _ = run_cli("status", "--db", db, capsys=capsys)
    assert code == 0 and upstream.url("/a.xml") in said


def test_recover_keeps_a_whole_database_whole_and_never_overwrites(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    upstream: Upstream,  # noqa: F811
) -> None:
    db, _ = polled(tmp_path, capsys, upstream.url("/a.xml"))
    out = tmp_path / "copy.db"
    code, said, _ = run_cli("recover", str(out), "--db", db, capsys=capsys)
    assert code == 0
    assert said.splitlines()[0].endswith(", every table read whole; integrity ok")
    for table in ("items", "stories", "summaries", "feeds", "near_keys"):
        assert count(out, f"SELECT count(*) FROM {table}") == count(
            db, f"SELECT count(*) FROM {table}"
        )
    assert count(out, "SELECT count(*) FROM feeds WHERE etag IS NULL") == count(
        db, "SELECT count(*) FROM feeds WHERE etag IS NULL"
    )  # nothing was lost: the validators stay
    code, _, err = run_cli("recover", str(out), "--db", db, capsys=capsys)
    assert code == 1
    assert (
        err
        == f"aggregator: error: {out}: already exists; give a new name (recover never overwrites)\n"
    )
    with writer_lock(Path(db), "run"):  # a service running on it is stopped first
        code, _, err = run_cli("recover", str(tmp_path / "other.db"), "--db", db, capsys=capsys)
    assert code == 1 and "already running" in err
    assert not (tmp_path / "other.db").exists()
    missing = tmp_path / "nothere.db"  # (a typo'd --db: said, and nothing left beside it)
    code, _, err = run_cli(
        "recover", str(tmp_path / "other.db"), "--db", str(missing), capsys=capsys
    )
    assert code == 1 and "no database there" in err
    assert not lock_path(missing).exists() and not (tmp_path / "other.db").exists()


def test_a_file_whose_list_of_tables_is_damaged_cannot_be_recovered(tmp_path: Path) -> None:
    db = tmp_path / "gone.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    with db.open("r+b") as handle:  # page 1 past its 100-byte header: the schema's own page
        handle.seek(100)
        handle.write(b"\xa5" * 400)
    with pytest.raises(StorageError, match="nothing can be recovered"):
        recover(db, tmp_path / "out.db")
    assert not (tmp_path / "out.db").exists()
    assert not list(tmp_path.glob(".out.db.partial"))
