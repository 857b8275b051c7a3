"""`aggregator restore BACKUP`: a backup put in the place of the database in one command, the
database it replaces kept whole (with its write-ahead log), and nothing changed when the backup
cannot be restored or the service still runs."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import polled, run_cli, upstream  # noqa: F401  (a fixture)
from test_damage import _root_logger_kept, damage  # noqa: F401  (autouse)
from upstream import Upstream

from aggregator.damage import ADVICE
from aggregator.lock import writer_lock
from aggregator.store import Store


def count(db: Path, table: str = "items") -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def backed_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], up: Upstream
) -> tuple[Path, Path]:
    """A polled database and a backup of it, then one more feed's items polled into the
    database only: (the database, the backup)."""
    db, _ = polled(tmp_path, capsys, up.url("/a.xml"))
    copy = tmp_path / "backup.db"
    assert run_cli("backup", str(copy), "--db", db, capsys=capsys)[0] == 0
    (tmp_path / "feeds.opml").write_text(
        (tmp_path / "feeds.opml")
        .read_text()
        .replace(
            "</outline>", f'<outline type="rss" text="B" xmlUrl="{up.url("/b.xml")}"/></outline>'
        )
    )
    code, _, _ = run_cli(
        "poll", "--once", "--db", db, "--opml", str(tmp_path / "feeds.opml"), capsys=capsys
    )
    assert code == 0 and count(Path(db)) > count(copy)
    return Path(db), copy


def test_a_backup_takes_the_databases_place_and_the_old_one_is_kept_whole(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    upstream: Upstream,  # noqa: F811
) -> None:
    db, copy = backed_up(tmp_path, capsys, upstream)
    later = count(db)
    writer = sqlite3.connect(db)  # a last write still in the write-ahead log, not checkpointed
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("CREATE TABLE last_write (x)")
    writer.execute("INSERT INTO last_write VALUES (1)")
    writer.commit()
    assert Path(f"{db}-wal").stat().st_size > 0
    snapshot = Path(f"{db}.grouping")
    snapshot.write_bytes(b"the replaced database's grouping state")
    os.chmod(db, 0o640)
    code, out, err = run_cli("restore", str(copy), "--db", str(db), capsys=capsys)
    writer.close()
    assert code == 0, err
    said = out.splitlines()
    assert said[0].startswith(f"restored {db} from {copy}: {count(copy)} items, ")
    assert said[0].endswith(" UTC")  # when its newest item was first seen
    (kept,) = tmp_path.glob("agg.db.replaced-*Z")
    assert said[1] == f"the database it replaced is kept as {kept} (delete it once all is well)"
    assert count(db) == count(copy) and not Path(f"{db}-wal").exists()
    assert not snapshot.exists()
    assert db.stat().st_mode & 0o777 == 0o640  # the old file's permissions
    assert count(kept) == later and count(kept, "last_write") == 1  # with its log
    assert run_cli("status", "--db", str(db), capsys=capsys)[0] == 0
    code, out, _ = run_cli(
        "poll", "--once", "--db", str(db), "--opml", str(tmp_path / "feeds.opml"), capsys=capsys
    )
    assert code == 0 and count(db) == later  # the feeds bring back what they still carry


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_the_restored_file_belongs_to_the_user_the_old_one_belonged_to(tmp_path: Path) -> None:
    """Run as root for a service with its own user (systemd's DynamicUser), the restored file
    is that user's, as the one it replaces was: else the service could not write it."""
    db, copy = tmp_path / "agg.db", tmp_path / "backup.db"
    Store(db).close()
    Store(copy).close()
    os.chown(db, 61234, 61234)
    from aggregator.cli import main

    assert main(["restore", str(copy), "--db", str(db)]) == 0
    assert (db.stat().st_uid, db.stat().st_gid) == (61234, 61234)
    state = tmp_path / "state"  # no database yet: the directory's owner
    state.mkdir()
    os.chown(state, 61235, 61235)
    assert main(["restore", str(copy), "--db", str(state / "agg.db")]) == 0
    made = (state / "agg.db").stat()
    assert (made.st_uid, made.st_mode & 0o777) == (61235, 0o600)


def test_a_database_another_process_reads_is_not_restored_under_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`serve` takes no writer lock: a restore beside it went ahead, and it served pages of
    the database replaced until restarted."""
    db = tmp_path / "agg.db"
    Store(db).close()
    before = db.read_bytes()
    copy = tmp_path / "backup.db"
    Store(copy).close()
    reader = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); "
         "c.execute('SELECT 1 FROM meta').fetchall(); print('open', flush=True); time.sleep(60)",
         str(db)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert reader.stdout is not None and reader.stdout.readline() == "open\n"
        code, _, err = run_cli("restore", str(copy), "--db", str(db), capsys=capsys)
    finally:
        reader.kill()
        reader.wait()
    assert code == 1 and f"not restored: process {reader.pid} (" in err
    assert "has it open (stop it first" in err and db.read_bytes() == before
    assert run_cli("restore", str(copy), "--db", str(db), capsys=capsys)[0] == 0


def test_nothing_changes_when_the_service_runs_or_the_backup_cannot_be_restored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "agg.db"
    Store(db).close()
    before = db.read_bytes()
    copy = tmp_path / "backup.db"
    Store(copy).close()
    with writer_lock(db, "run"):
        code, _, err = run_cli("restore", str(copy), "--db", str(db), capsys=capsys)
    assert code == 1 and "is already running on this database; stop it first" in err
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(copy.read_bytes())
    damage(damaged, "items")
    code, _, err = run_cli("restore", str(damaged), "--db", str(db), capsys=capsys)
    assert code == 1 and ADVICE not in err  # (the database is fine: the backup is damaged)
    assert err.startswith(f"aggregator: error: {damaged}: not restored: the file is damaged (")
    assert err.endswith(
        "restore an older backup, or copy what it holds into a new file with "
        "`aggregator recover` and restore that\n"
    )
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    code, _, err = run_cli("restore", str(other), "--db", str(db), capsys=capsys)
    assert err == f"aggregator: error: {other}: not restored: not an aggregator database\n"
    # a table dropped by hand: restored, every page and feed had failed "no such table"
    lacking = tmp_path / "lacking.db"
    lacking.write_bytes(copy.read_bytes())
    with sqlite3.connect(lacking) as conn:
        conn.execute("DROP TABLE summaries")
    code, _, err = run_cli("restore", str(lacking), "--db", str(db), capsys=capsys)
    assert code == 1 and err == (
        f"aggregator: error: {lacking}: not restored: its schema is this version's but it "
        "lacks summaries\n"
    )
    newer = sqlite3.connect(copy)
    newer.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('aggregator', '0099_from_the_future', '2027-01-01')"
    )
    newer.commit()
    newer.close()
    code, _, err = run_cli("restore", str(copy), "--db", str(db), capsys=capsys)
    assert code == 3 and "written by a newer version of aggregator" in err
    for missing, why in ((tmp_path / "nothere.db", "no database there"), (db, "is the database")):
        code, _, err = run_cli("restore", str(missing), "--db", str(db), capsys=capsys)
        assert code == 1 and err.startswith(f"aggregator: error: {missing}: ") and why in err
    assert db.read_bytes() == before and not list(tmp_path.glob("*.replaced-*"))
    assert not list(tmp_path.glob(".*.restoring"))
