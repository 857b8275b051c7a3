"""A damaged database file (SQLite: "database disk image is malformed") is said in one line
with what to do, never a traceback: by every command, by the web server (a 503 page, and
`/healthz` degraded from then on), and once in the service's log, which goes on serving and
polling what it can."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from test_cli import polled, run_cli, upstream  # noqa: F401  (a fixture)
from test_service import fast_settings, running, wait_for
from upstream import Upstream, opml

from aggregator.cli import database_error
from aggregator.config import Settings
from aggregator.damage import ADVICE, Damage, is_damaged
from aggregator.errors import DatabaseDamaged, StorageError
from aggregator.service import Service
from aggregator.store import Reader, Store
from aggregator.store_upkeep import backup, integrity_failure
from aggregator.web import make_app, start_server


@pytest.fixture(autouse=True)
def _root_logger_kept() -> Iterator[None]:
    """`main` sets the root logger up, as the program's start does: put it back after."""
    root = logging.getLogger()
    kept = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = kept


def damage(db: str | Path, table: str) -> None:
    """Write garbage over the root page of `table` in the (closed) database `db`: reading
    that table then fails as SQLite fails on a damaged file; the other tables still read."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
    finally:
        conn.close()
    with open(db, "r+b") as handle:
        handle.seek((root - 1) * size)
        handle.write(b"\xa5" * size)


def rows_with_a_damaged_page(db: Path, rows: int = 3000) -> Path:
    """A database of one table `t` of `rows` rows (ids 1..rows), one of whose leaf pages, in the
    middle of the file, is garbage: reading past it fails, the rest reads."""
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, pad TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(n, "x" * 400) for n in range(1, rows + 1)])
    conn.commit()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with db.open("r+b") as handle:
        handle.seek((pages // 2) * size)
        handle.write(bytes(size))  # (zeros: the copy SQLite makes of it still reads)
    return db


def test_a_backup_of_a_damaged_file_is_refused_and_says_so(tmp_path: Path) -> None:
    db = rows_with_a_damaged_page(tmp_path / "rows.db")
    with pytest.raises(StorageError) as found:
        backup(db, tmp_path / "copy.db")
    said = str(found.value)
    # (SQLite's integrity check either raises, as here, or lists what it found: both are damage)
    assert said == (
        f"{db}: not backed up ({tmp_path / 'copy.db'} not written): database disk image is "
        "malformed"
    )
    assert is_damaged(found.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.db"]  # no copy, no partial
    listed = "*** in database main ***\nPage 7: btreeInitPage() returns error code 11\nPage 9: x"
    assert integrity_failure(listed) == (
        "the copy failed its integrity check (Page 7: btreeInitPage() returns error code 11, "
        "and 1 more)"
    )
    assert is_damaged(DatabaseDamaged(f"{db}: not backed up: {integrity_failure(listed)}"))


def test_damage_is_told_from_other_faults_through_the_errors_that_wrap_it() -> None:
    malformed = sqlite3.DatabaseError("database disk image is malformed")
    assert is_damaged(malformed)
    assert is_damaged(sqlite3.DatabaseError("file is not a database"))
    try:
        raise StorageError("database disk image is malformed") from malformed
    except StorageError as exc:
        assert is_damaged(exc)
    assert not is_damaged(sqlite3.OperationalError("database or disk is full"))
    assert not is_damaged(sqlite3.OperationalError("database is locked"))
    assert not is_damaged(StorageError("database is locked by another program"))
    assert not is_damaged(ValueError("database disk image is malformed"))


def test_damage_is_logged_once_and_kept(caplog: pytest.LogCaptureFixture) -> None:
    found = Damage()
    assert found.reasons() == [] and not found.damaged
    assert not found.note(sqlite3.OperationalError("database or disk is full"), "writing")
    assert not found.damaged  # a passing fault is no damage
    with caplog.at_level(logging.ERROR, logger="aggregator"):
        for where in ("serving /", "serving /feeds/all.atom"):
            assert found.note(sqlite3.DatabaseError("database disk image is malformed"), where)
    told = [r.getMessage() for r in caplog.records]
    assert len(told) == 1 and "(met while serving /)" in told[0] and ADVICE in told[0]
    assert told[0].endswith(
        "; until the service is stopped for that, what can still be read is served"
    )
    (reason,) = found.reasons()
    assert reason.startswith("database damaged since ")
    assert reason.endswith(": database disk image is malformed")


def test_commands_on_a_damaged_database_say_so_in_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    upstream: Upstream,  # noqa: F811
) -> None:
    db, _ = polled(tmp_path, capsys, upstream.url("/a.xml"))
    damage(db, "stories")
    code, _, err = run_cli("publish", "--output", str(tmp_path / "site"), "--db", db, capsys=capsys)
    assert code == 3  # (run_cli asserts that no traceback was printed)
    assert err.splitlines()[-1] == (
        f"aggregator: error: {db}: database disk image is malformed; {ADVICE}"
    )
    backups = tmp_path / "backups"
    code, _, err = run_cli("backup", f"{backups}/", "--db", db, capsys=capsys)
    assert code == 3  # a backup that exists is whole
    assert err.startswith(f"aggregator: error: {db}: not backed up ({backups}/aggregator-")
    assert err.endswith(f" not written): database disk image is malformed; {ADVICE}\n")
    assert not any(backups.iterdir())
    damage(db, "feeds")
    code, out, err = run_cli("status", "--db", db, capsys=capsys)
    assert code == 3 and not out
    assert err == f"aggregator: error: {db}: database disk image is malformed; {ADVICE}\n"
    code, _, err = run_cli("status", "--json", "--db", db, capsys=capsys)
    assert code == 3 and err.endswith(f"; {ADVICE}\n")
    opml = str(tmp_path / "feeds.opml")
    code, _, err = run_cli("poll", "--once", "--db", db, "--opml", opml, capsys=capsys)
    assert code == 3  # (no retry mends it: a cron job's mail says so, a unit is not restarted)
    said = err.splitlines()
    assert said[-1] == f"aggregator: error: {db}: database disk image is malformed; {ADVICE}"
    (logged,) = [line for line in said if "database damaged:" in line]
    assert logged.endswith(f"(met while the service read or wrote it); {ADVICE}")


def test_the_web_server_answers_503_and_healthz_stays_degraded(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    upstream: Upstream,  # noqa: F811
) -> None:
    db, _ = polled(tmp_path, capsys, upstream.url("/a.xml"))

    async def scenario(reader: Reader) -> None:
        app = make_app(reader, Settings().publish, version_ttl=0)
        runner = await start_server(app, "127.0.0.1", 0)
        root = f"http://127.0.0.1:{runner.addresses[0][1]}"
        try:
            async with aiohttp.ClientSession() as session:

                async def get(path: str) -> tuple[int, aiohttp.typedefs.LooseHeaders, str]:
                    async with session.get(root + path, allow_redirects=False) as resp:
                        return resp.status, resp.headers.copy(), await resp.text()

                status, _, body = await get("/healthz")
                assert status == 200, body  # the damaged table is not one health reads
                for path in ("/", "/feeds/all.atom", "/"):
                    status, headers, body = await get(path)
                    assert status == 503
                    assert headers["Retry-After"] == "300"
                    assert headers["Cache-Control"] == "no-store"
                    assert "cannot be read from the news database" in body
                status, _, body = await get("/healthz")
                assert status == 503
                assert '"status": "degraded"' in body
                assert "database damaged since" in body
                assert (await get("/robots.txt"))[0] == 200  # what needs no database
        finally:
            await runner.cleanup()

    damage(db, "stories")
    reader = Reader(db)
    with caplog.at_level(logging.INFO, logger="aggregator"):
        asyncio.run(scenario(reader))
    told = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(told) == 1  # three failed pages, one line
    assert (
        told[0]
        .getMessage()
        .startswith("database damaged: database disk image is malformed (met while serving /)")
    )
    assert not any(r.exc_info for r in caplog.records)


def test_the_service_says_once_that_its_database_is_damaged_and_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def messages() -> list[str]:
        return [r.getMessage() for r in caplog.records]

    def told(start: str) -> list[str]:
        return [m for m in messages() if m.startswith(start)]

    async def scenario() -> None:
        async with Upstream() as up:
            feed = up.add_feed("/a.xml", b"<rss version='2.0'><channel><title>A</title>"
                               b"<item><title>One</title><link>https://a.example/1</link>"
                               b"</item></channel></rss>")  # fmt: skip
            (tmp_path / "feeds.opml").write_text(opml(feed))
            service = Service(tmp_path / "feeds.opml", tmp_path / "agg.db", fast_settings())
            async with running(service) as task:
                await wait_for(lambda: bool(told("cycle feeds=1 ok=1")))

                def malformed(*_args: object, **_kwargs: object) -> None:
                    raise sqlite3.DatabaseError("database disk image is malformed")

                # (SQLite meets damage when it reads a damaged page: here, the feeds due)
                monkeypatch.setattr(service.store, "feeds_due", malformed)
                await wait_for(lambda: len(told("cycle status=error")) >= 2)
                assert not task.done()  # it goes on
                assert service.damage.damaged
                status = await service._status_text(None)
                assert status.startswith("database damaged (see the log); 0 of 1 feeds failing")
            assert told("cycle status=error")[0] == (
                "cycle status=error error='database disk image is malformed'; trying again in 0.2 s"
            )
            (line,) = told("database damaged:")
            assert line == (
                "database damaged: database disk image is malformed (met while the service "
                f"read or wrote it); {ADVICE}; until the service is stopped for that, polling "
                "goes on"  # (`running` serves no pages; `run` says it serves what it can)
            )
            assert not any(r.exc_info for r in caplog.records)

    with caplog.at_level(logging.INFO, logger="aggregator"):
        asyncio.run(scenario())


def test_a_command_names_the_database_a_storage_fault_is_in() -> None:
    args = argparse.Namespace(db=Path("/var/lib/aggregator/aggregator.db"))
    full = sqlite3.OperationalError("database or disk is full")
    try:
        raise StorageError("database or disk is full") from full
    except StorageError as exc:
        said = database_error(exc, str(exc), args)
    assert said == "/var/lib/aggregator/aggregator.db: database or disk is full"
    malformed = sqlite3.DatabaseError("database disk image is malformed")
    assert database_error(malformed, str(malformed), args) == (
        f"/var/lib/aggregator/aggregator.db: database disk image is malformed; {ADVICE}"
    )
    locked = StorageError("database is locked by another program (waited 90 s)")
    assert database_error(locked, str(locked), args) == str(locked)  # not the storage's fault
    named = StorageError("/var/lib/aggregator/aggregator.db: cannot open database: x")
    named.__cause__ = sqlite3.OperationalError("unable to open database file")
    assert database_error(named, str(named), args) == str(named)  # (named once)


def test_a_database_a_newer_version_wrote_is_refused_with_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A downgrade: the schema has migrations this code does not know. It is neither
    migrated nor written; every command says so."""
    db = tmp_path / "agg.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('aggregator', '0099_from_the_future', '2027-01-01')"
    )
    conn.commit()
    conn.close()
    said = (
        f"aggregator: error: {db}: written by a newer version of aggregator (its schema has "
        "0099_from_the_future, which this version does not know); run that version again, or "
        "restore a backup taken before it was installed\n"
    )
    for command in (("status",), ("publish", "--output", str(tmp_path / "site"))):
        code, _, err = run_cli(*command, "--db", str(db), capsys=capsys)
        assert (code, err.splitlines()[-1] + "\n") == (3, said)
    (tmp_path / "feeds.opml").write_text(opml("http://127.0.0.1:9/a.xml"))
    sources = str(tmp_path / "feeds.opml")
    code, _, err = run_cli("poll", "--once", "--db", str(db), "--opml", sources, capsys=capsys)
    assert (code, err.splitlines()[-1] + "\n") == (3, said)
