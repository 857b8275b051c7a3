"""The command line on bad input: every case is a clear message and an exit code, no traceback."""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from news_fixture import feeds
from test_health import serve_and_get
from upstream import Upstream, opml

import aggregator.store as store_module
from aggregator.cli import PARSERS, build_parser, main
from aggregator.errors import ConfigError
from aggregator.lock import lock_path, writer_lock
from aggregator.models import Item
from aggregator.store import Store

FEEDS = feeds()


def run_cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def polled(tmp_path: Path, capsys: pytest.CaptureFixture[str], *urls: str) -> tuple[str, str]:
    """`poll --once` over an OPML of `urls` into tmp_path/agg.db: (the database, its log)."""
    (tmp_path / "feeds.opml").write_text(opml(*urls))
    db = str(tmp_path / "agg.db")
    code, _, err = run_cli(
        "poll", "--once", "--db", db, "--opml", str(tmp_path / "feeds.opml"), capsys=capsys
    )
    assert code == 0
    return db, err


@pytest.fixture
def upstream() -> object:
    with Upstream().running_in_thread() as up:
        up.add_feed("/a.xml", FEEDS["/dailyplanet/world.xml"])
        up.add_feed("/b.xml", FEEDS["/metrotimes/news.rss"])
        yield up


def test_a_typo_in_an_opml_url_is_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "feeds.opml"
    path.write_text(opml("http://[::1/x"))
    code, _, err = run_cli(
        "poll", "--once", "--opml", str(path), "--db", str(tmp_path / "a.db"), capsys=capsys
    )
    assert code == 2
    assert "feeds.opml: line 1: feed 'F0': invalid URL 'http://[::1/x'" in err
    code, _, err = run_cli(
        "run", "--opml", str(path), "--db", str(tmp_path / "a.db"), capsys=capsys
    )
    assert code == 2 and "invalid URL" in err


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["serve", "--port", "99999"], {}, "99999 is out of range: allowed 0..65535"),
        (["run", "--port", "http"], {}, "not a port number: 'http'"),
        (["status"], {"AGGREGATOR_LOG_LEVEL": "verbose"}, "AGGREGATOR_LOG_LEVEL='verbose'"),
        (["status"], {"AGGREGATOR_LOG_FORMAT": "xml"}, "expected one of text, json"),
        (["poll", "--all"], {}, "aggregator poll: error: --all only applies to one pass"),
        (["status", "--opml", "x.opml"], {}, "unrecognized arguments: --opml"),
        (["serve", "--opml", "x.opml"], {}, "unrecognized arguments: --opml"),
        (["poll", "--once"], {"AGGREGATOR_FETCH_PER_HOST": "0"}, "allowed 1..64"),
    ],
)
def test_bad_options_are_clear_errors_with_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feeds.opml").write_text(opml("http://127.0.0.1:9/feed"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, _, err = run_cli(*args, capsys=capsys)
    assert code == 2
    assert message in err
    assert not (tmp_path / "aggregator.db").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["poll", "--once", "--all", "--log-level", "debug"],
        ["digest", "--category", "World", "--dry-run"],
        ["run", "--port", "8081", "--opml", "x.opml"],
        ["backup", "copy.db"],
        ["summarize", "-", "--max-words", "40"],
    ],
)
def test_a_commands_own_parser_reads_and_explains_it_as_the_whole_one_does(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert build_parser(argv[0]).parse_args(argv) == build_parser().parse_args(argv)
    helps = []
    for parser in (build_parser(argv[0]), build_parser()):
        with pytest.raises(SystemExit):
            parser.parse_args([argv[0], "--help"])
        helps.append(capsys.readouterr().out)
    assert helps[0] == helps[1] and "usage: aggregator " + argv[0] in helps[0]


@pytest.mark.parametrize("command", sorted(PARSERS))
def test_every_commands_help_explains_each_argument_it_takes(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """...and says what the command does, as `aggregator --help` lists it (a command's own
    help had shown its usage and options alone)."""
    monkeypatch.setenv("COLUMNS", "80")  # (argparse wraps to the terminal: a narrow one
    # indents an argument's help less, and may break "--dry-run" at its hyphen)
    code, out, _ = run_cli(command, "--help", capsys=capsys)
    assert code == 0
    assert PARSERS[command][0] in " ".join(out.split())
    positionals = out.split("positional arguments:\n", 1)[1:]
    for line in "".join(positionals).split("\n\n", 1)[0].splitlines():
        assert len(line.split(maxsplit=1)) == 2 or line.startswith(" " * 20), line  # (said)


def test_status_help_names_every_kind_of_feed_attention_lists(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = run_cli("status", "--help", capsys=capsys)
    said = " ".join(out.split())
    for kind in ("failing", "gone", "quiet for a week", "publishing nothing", "paused"):
        assert kind in said


@pytest.mark.parametrize("content", [None, b"", b"not a database at all, just text\n"])
def test_serve_never_turns_a_missing_or_foreign_file_into_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None
) -> None:
    path = tmp_path / "agregator.db"  # a typo
    if content is not None:
        path.write_bytes(content)
    code, _, err = run_cli("serve", "--db", str(path), "--port", "0", capsys=capsys)
    assert code == 1
    expected = {None: "no database there", b"": "empty file"}.get(content, "not an SQLite")
    assert expected in err
    assert path.exists() is (content is not None)
    if content is not None:
        assert path.read_bytes() == content


@pytest.mark.parametrize("command", ["poll", "run"])
def test_a_writing_command_given_a_directory_as_its_database_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """`--db` given the data directory (`/var/lib/aggregator`) had said SQLite's "cannot
    open database: unable to open database file"; it is said as a directory, as `status`
    says it."""
    data = tmp_path / "data"
    data.mkdir()
    sources = tmp_path / "feeds.opml"
    sources.write_text(opml("https://a.example/feed"))
    extra = ["--once"] if command == "poll" else ["--port", "0"]
    code, _, err = run_cli(
        command, "--db", str(data), "--opml", str(sources), *extra, capsys=capsys
    )
    assert code == 1
    assert f"{data}: is a directory, not a database file (check --db" in err
    assert "unable to open" not in err and sorted(p.name for p in data.iterdir()) == []


@pytest.mark.parametrize("content", [None, b"", b"not a database at all, just text\n"])
@pytest.mark.parametrize("command", ["status", "publish"])
def test_reading_commands_say_a_missing_or_foreign_file_and_make_nothing_of_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, command: str
) -> None:
    """`status` on a missing file had exited 0; `publish` had read a text file as a damaged
    database (exit 3, "restore a backup") and made an empty file a database."""
    path = tmp_path / "agregator.db"  # a typo
    if content is not None:
        path.write_bytes(content)
    extra = ["--output", str(tmp_path / "site")] if command == "publish" else []
    code, _, err = run_cli(command, "--db", str(path), *extra, capsys=capsys)
    assert code == 1
    expected = {None: "no database there", b"": "empty file"}.get(content, "not an SQLite")
    assert expected in err and "damaged" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        [path.name] if content is not None else []
    )
    if content is not None:
        assert path.read_bytes() == content


def test_commands_that_only_look_never_upgrade_an_earlier_versions_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A newly installed version's `status` had migrated the database of the service still
    running the old version, which then refused it at its next start (exit 3)."""
    import sqlite3

    db = tmp_path / "agg.db"
    Store(db).close()
    with sqlite3.connect(db) as conn:  # (as an earlier version left it: one migration short)
        last = conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid DESC").fetchone()
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = ?", last)
    for command in (["status"], ["story", "x"], ["subscribers"]):
        code, _, err = run_cli(*command, "--db", str(db), capsys=capsys)
        assert code == 1 and "written by an earlier version" in err, (command, err)
        assert "`aggregator run` or `poll --once`" in err
    with sqlite3.connect(db) as conn:
        assert (
            conn.execute("SELECT 1 FROM _sqlite_migrations WHERE name = ?", last).fetchone() is None
        )
    Store(db).close()  # (the service's open brings it up to date)
    assert run_cli("status", "--db", str(db), capsys=capsys)[0] == 0
    # a damaged schema is said as damage (exit 3), not read as an earlier version's
    with sqlite3.connect(db) as conn:
        page = conn.execute("PRAGMA page_size").fetchone()[0]
    with db.open("r+b") as handle:
        handle.seek(100)
        handle.write(b"\xff" * (page - 100))
    for command in (["status"], ["story", "x"], ["subscribers"]):
        code, _, err = run_cli(*command, "--db", str(db), capsys=capsys)
        assert code == 3 and "the database file is damaged" in err, (command, err)


def test_a_read_only_database_is_one_clear_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    upstream: Upstream,
) -> None:
    db = tmp_path / "agg.db"
    Store(db).close()
    (tmp_path / "feeds.opml").write_text(opml(upstream.url("/a.xml")))
    # Tests run as root, where file modes don't stop writes: open it read-only instead.
    connect = store_module._connect
    monkeypatch.setattr(
        store_module, "_connect", lambda path, readonly=False: connect(path, readonly=True)
    )
    code, _, err = run_cli(
        "poll", "--once", "--db", str(db), "--opml", str(tmp_path / "feeds.opml"), capsys=capsys
    )
    assert code == 1
    assert "database is read-only" in err
    assert "status=crash" not in err
    assert upstream.requests_for("/a.xml") == []  # nothing fetched that could not be stored


def test_status_json_is_for_scripts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], upstream: Upstream
) -> None:
    db, _ = polled(tmp_path, capsys, upstream.url("/a.xml"), upstream.url("/status/500"))
    code, out, _ = run_cli("status", "--json", "--db", db, capsys=capsys)
    assert code == 0
    report = json.loads(out)
    assert report["feeds"] == 2 and report["feeds_failing"] == 1  # counts, as /healthz has them
    assert report["last_poll_at"] and report["status"] == "ok"
    store = Store(Path(db))
    try:
        [(code, _, body)] = serve_and_get(store.reader(), [("GET", "/healthz")])
    finally:
        store.close()
    healthz = json.loads(body)
    assert code == 200 and healthz["feeds"] == 2
    assert {key: report[key] for key in healthz} == healthz  # a superset, meaning the same
    by_url = {f["url"]: f for f in report["feed_rows"]}
    assert len(report["feed_rows"]) == 2
    assert by_url[upstream.url("/a.xml")]["status"] == "ok"
    assert by_url[upstream.url("/a.xml")]["items"] > 0
    assert by_url[upstream.url("/status/500")]["http_status"] == 500
    code, _, err = run_cli("status", "--json", "--db", str(tmp_path / "none.db"), capsys=capsys)
    assert code == 1 and "no database there" in err


def test_a_second_poller_is_refused_while_the_service_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "feeds.opml").write_text(opml("http://127.0.0.1:9/feed"))
    db = tmp_path / "agg.db"
    with writer_lock(db, "run"):
        code, _, err = run_cli(
            "poll", "--once", "--db", str(db), "--opml", str(tmp_path / "feeds.opml"), capsys=capsys
        )
    assert code == 1
    assert "`aggregator run`" in err and "is already running on this database" in err


def test_one_shot_pollers_queue_behind_each_other(tmp_path: Path, upstream: Upstream) -> None:
    """A second `poll --once --all` started while the first polls: both succeed, nothing is
    lost. (The second starts once the first has named itself in the lock file, so how fast
    each process starts on a busy machine does not decide whether they overlap.)"""
    (tmp_path / "feeds.opml").write_text(
        opml(upstream.url("/slow?delay=3"), upstream.url("/b.xml"))
    )
    command = [sys.executable, "-m", "aggregator", "poll", "--once", "--all"]

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    procs = [start()]
    holder = lock_path(tmp_path / "aggregator.db")
    deadline = time.monotonic() + 60
    while not (holder.exists() and holder.read_text()) and procs[0].poll() is None:
        assert time.monotonic() < deadline, "the first poller never took the lock"
        time.sleep(0.05)
    procs.append(start())
    results = [(p.wait(timeout=60), *p.communicate()) for p in procs]
    for code, out, err in results:
        assert code == 0, err
        assert "polled 2 feeds" in out
        assert "Traceback" not in err
    assert any("waiting for `aggregator poll --once`" in err for _, _, err in results)
    new = sorted(int(re.search(r"(\d+) new items?\b", out).group(1)) for _, out, _ in results)  # type: ignore[union-attr]
    assert new[0] == 0 and new[1] > 0  # the one that queued found everything stored
    with sqlite3.connect(tmp_path / "aggregator.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == new[1]


def test_writes_wait_for_another_program_holding_the_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], upstream: Upstream
) -> None:
    """Another writer (an sqlite3 shell, a backup tool) holds the write lock for a while."""
    db = tmp_path / "agg.db"
    Store(db).close()
    (tmp_path / "feeds.opml").write_text(opml(upstream.url("/b.xml")))
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(2.0, lambda: other.execute("COMMIT"))
    release.start()
    try:
        code, out, err = run_cli(
            "poll", "--once", "--db", str(db), "--opml", str(tmp_path / "feeds.opml"), capsys=capsys
        )
    finally:
        release.join()
        other.close()
    assert code == 0, err
    assert "2 new items" in out


def test_json_log_format_has_one_object_per_feed_and_per_cycle(
    tmp_path: Path, upstream: Upstream
) -> None:
    (tmp_path / "feeds.opml").write_text(opml(upstream.url("/a.xml"), upstream.url("/status/500")))
    result = subprocess.run(
        [sys.executable, "-m", "aggregator", "poll", "--once", "--log-format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    feeds = {r["feed"]: r for r in records if r.get("event") == "feed"}
    assert feeds[upstream.url("/a.xml")]["status"] == "ok"
    assert feeds[upstream.url("/a.xml")]["items_new"] > 0
    assert feeds[upstream.url("/status/500")]["http"] == 500
    assert feeds[upstream.url("/status/500")]["level"] == "WARNING"
    (cycle,) = [r for r in records if r.get("event") == "cycle"]
    assert (cycle["feeds"], cycle["errors"]) == (2, 1)
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)


def test_a_held_feeds_log_line_names_its_next_poll_as_its_json_does(
    tmp_path: Path, upstream: Upstream
) -> None:
    """The line of a feed its site holds off (a 429 to another of its feeds) names its next
    poll `next_poll_at=` in text, the field's name in JSON, as every feed line's names are
    its fields' (the text line had said `next_poll=`)."""
    busy = upstream.add_feed("/busy.xml", b"slow down", status=429, headers={"Retry-After": "600"})
    (tmp_path / "feeds.opml").write_text(opml(busy, upstream.url("/a.xml")))

    def poll(*options: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "aggregator", "poll", "--once", *options],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stderr

    poll()  # the 429: the site is held for 600 s, also for the next process
    (text,) = [line for line in poll("--all").splitlines() if " status=held " in line][:1]
    records = [json.loads(line) for line in poll("--all", "--log-format", "json").splitlines()]
    held = next(r for r in records if r.get("status") == "held")
    names = re.findall(r" (\w+)=", text.split(" feed=", 1)[1])
    assert "next_poll_at" in names and set(names) <= held.keys(), (names, sorted(held))
    assert datetime.fromisoformat(text.split("next_poll_at=")[1].split()[0]) > datetime.now(UTC)


def test_status_says_a_feed_whose_next_poll_has_passed_is_due_now_and_lists_none_unasked(
    tmp_path: Path, upstream: Upstream, capsys: pytest.CaptureFixture[str]
) -> None:
    """NEXT POLL reads "now" for a feed whose time has passed (one being asked again, one
    due while the service is stopped), as for one never polled, where it read "7s ago"; and
    `--attention` with no feed to show prints no table header, only why."""
    due, later = upstream.url("/a.xml"), upstream.url("/b.xml")
    (tmp_path / "feeds.opml").write_text(opml(due, later))
    db = str(tmp_path / "agg.db")
    poll = ("poll", "--once", "--opml", str(tmp_path / "feeds.opml"), "--db", db)
    assert run_cli(*poll, capsys=capsys)[0] == 0
    passed = (datetime.now(UTC) - timedelta(seconds=7)).isoformat(timespec="seconds")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE feeds SET next_poll_at = ? WHERE url = ?", [passed, due])
    code, out, _ = run_cli("status", "--db", db, capsys=capsys)
    assert code == 0
    lines = {
        feed: line for line in out.splitlines() for feed in (due, later) if f" {feed} " in line
    }
    next_poll = {feed: re.split(r" {2,}", line)[6] for feed, line in lines.items()}
    assert next_poll[due] == "now" and re.fullmatch(r"in \d+m", next_poll[later]), next_poll
    code, out, _ = run_cli("status", "--attention", "--db", db, capsys=capsys)
    assert code == 0
    assert "NEXT POLL" not in out and "(none of the 2 feeds needs attention)" in out


# What README's "Commands" section says each command takes.
README_OPTIONS = {
    "--db": {"run", "poll", "serve", "status", "digest", "publish", "backup", "recover"}
    | {"restore", "compact", "story", "subscribers"}
    | {"cluster", "check"}
    | {"add", "remove", "import"},
    "--opml": {"run", "poll", "digest", "add", "remove", "import", "export", "check"},
    "--config": {"run", "poll", "serve", "status", "digest", "publish", "add", "import"}
    | {"cluster"}
    | {"subscribers"}
    | {"summarize", "check", "article"},
    "--log-level": set(PARSERS),
    "--log-format": set(PARSERS),
}


@pytest.mark.parametrize("option", sorted(README_OPTIONS))
def test_the_commands_take_the_options_the_readme_says(option: str) -> None:
    taking = set()
    for name in PARSERS:
        commands = next(
            a for a in build_parser(name)._actions if isinstance(a, argparse._SubParsersAction)
        )
        if option in commands.choices[name]._option_string_actions:
            taking.add(name)
    assert taking == README_OPTIONS[option]


@pytest.mark.parametrize(
    ("argv", "level", "json"),
    [
        (["--log-level", "error", "status"], "ERROR", False),
        (["--log-format", "json", "status", "--log-level", "debug"], "DEBUG", True),
        (["--log-level", "error", "status", "--log-level", "debug"], "DEBUG", False),  # its own
        (["--log-level", "info", "cluster"], "INFO", False),  # over its quiet default
    ],
)
def test_the_log_options_may_come_before_the_command(
    argv: list[str], level: str, json: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging

    from aggregator.logs import JsonFormatter

    lines = tmp_path / "in.jsonl"
    lines.write_text("", encoding="utf-8")
    Store(tmp_path / "agg.db").close()
    place = ["--db", str(tmp_path / "agg.db")] if "status" in argv else [str(lines)]
    root = logging.getLogger()
    kept = root.handlers[:], root.level
    try:
        code, _, err = run_cli(*argv, *place, capsys=capsys)
        assert code == 0, err
        assert logging.getLevelName(root.level) == level
        assert any(isinstance(h.formatter, JsonFormatter) for h in root.handlers) == json
    finally:
        root.handlers[:], root.level = kept


@pytest.mark.parametrize("name", ["cluster", "summarize"])
def test_the_batch_commands_log_json_when_asked(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging

    from aggregator.logs import JsonFormatter

    lines = tmp_path / "in.jsonl"
    lines.write_text("", encoding="utf-8")
    root = logging.getLogger()
    kept = root.handlers[:], root.level
    try:
        code, _, _ = run_cli(name, str(lines), "--log-format", "json", capsys=capsys)
        assert code == 0
        assert any(isinstance(h.formatter, JsonFormatter) for h in root.handlers)
        assert root.level == logging.WARNING
    finally:
        root.handlers[:], root.level = kept


def test_backup_to_a_path_ending_in_a_slash_makes_that_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`aggregator backup backups/` had written a file called "backups"."""
    db = tmp_path / "aggregator.db"
    Store(db).close()
    target = tmp_path / "backups" / "daily"
    code, out, _ = run_cli("backup", "--db", str(db), f"{target}/", capsys=capsys)
    assert code == 0
    copies = list(target.iterdir())
    assert target.is_dir() and len(copies) == 1 and copies[0].name.startswith("aggregator-")
    assert str(copies[0]) in out
    # A missing database makes no directory.
    code, _, err = run_cli(
        "backup", "--db", str(tmp_path / "none.db"), f"{tmp_path}/other/", capsys=capsys
    )
    assert code == 1 and "no database there" in err and not (tmp_path / "other").exists()
    # an empty path (an unset variable) had put a backup in the current directory
    code, _, err = run_cli("backup", "--db", str(db), "", capsys=capsys)
    assert code == 2 and "backup: an empty path" in err


def test_port_0_is_one_free_port_that_the_links_and_the_log_name(tmp_path: Path) -> None:
    """`--port 0` ("any free port") had served on the kernel's choice of port while the log
    said ":0" and every published link pointed at port 0."""
    import socket

    from aggregator.cli_support import listen_on
    from aggregator.config import Settings

    args = build_parser("run").parse_args(["run", "--port", "0"])
    host, port, settings = listen_on(args, Settings())
    assert host == "127.0.0.1" and port > 0
    assert settings.publish.base_url == f"http://127.0.0.1:{port}/"
    with socket.socket() as server:  # the port is free to listen on
        server.bind((host, port))
    args = build_parser("run").parse_args(["run", "--port", "0", "--host", "192.0.2.1"])
    with pytest.raises(ConfigError, match=r"cannot listen on 192\.0\.2\.1:0"):
        listen_on(args, Settings())


def test_run_on_a_port_another_server_holds_stops_before_its_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new operator's `run` beside another server on 8080 had made a database and synced
    the sources into it (a local upstream on that port dropped as the site's own) before its
    server met the port taken; it now stops first, exit 2, with the same words."""
    import socket

    sources = tmp_path / "feeds.opml"
    sources.write_text(opml("http://127.0.0.1:1/feed.xml"))
    db = tmp_path / "agg.db"
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        args = ["run", "--opml", str(sources), "--db", str(db), "--port", str(port)]
        assert main(args) == 2
    _, err = capsys.readouterr()
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use: another server" in err
    assert not db.exists() and not lock_path(db).exists()


def test_an_ipv6_host_beside_an_ipv4_server_on_its_port_is_not_refused() -> None:
    """Every IPv6 address written another way than "::" ("::0") is bound for IPv6 alone, as
    the server binds it: an IPv4 server on the port had been taken for one that holds it."""
    import socket

    from aggregator.cli_support import no_server_there

    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind(("0.0.0.0", 0))
        other.listen()
        port = other.getsockname()[1]
        no_server_there("::0", port)
        no_server_there("0:0:0:0:0:0:0:0", port)
        with pytest.raises(ConfigError, match="another server listens there"):
            no_server_there("::", port)
        with pytest.raises(ConfigError, match="another server listens there"):
            no_server_there("127.0.0.1", port)


@pytest.mark.parametrize(
    ("options", "warned"),
    [
        (["--host", "0.0.0.0"], True),
        (["--host", "::"], True),
        (["--host", "127.0.0.1"], False),
        (["--host", "::1"], False),
        (["--host", "0.0.0.0", "--config", "public.toml"], False),
    ],
)
def test_listening_on_every_interface_without_a_base_url_says_links_open_only_here(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    options: list[str],
    warned: bool,
) -> None:
    """Links were made from 127.0.0.1 for a server other machines read, and nothing said so."""
    from aggregator.cli_support import listen_on, settings_from

    monkeypatch.chdir(tmp_path)
    (tmp_path / "public.toml").write_text('[publish]\nbase_url = "https://news.example.org/"\n')
    args = build_parser("run").parse_args(["run", "--port", "8080", *options])
    with caplog.at_level("WARNING", logger="aggregator"):
        _, _, settings = listen_on(args, settings_from(args))
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    if warned:
        assert settings.publish.base_url == "http://127.0.0.1:8080/"
        assert warnings == [
            "listening on every interface, but publish.base_url is not set: published links "
            "point at http://127.0.0.1:8080/, which opens only on this machine; set "
            "publish.base_url (or AGGREGATOR_PUBLISH_BASE_URL) to the address readers use"
        ]
    else:
        assert warnings == []


def test_publish_says_the_default_base_url_is_not_public_even_when_written_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """base_url set to the default (http://127.0.0.1:8080/) had drawn "is not set"."""
    db = tmp_path / "aggregator.db"
    Store(db).close()
    config = tmp_path / "settings.toml"
    config.write_text('[publish]\nbase_url = "http://127.0.0.1:8080/"\n', encoding="utf-8")
    code, _, _ = run_cli(
        "publish", "--db", str(db), "--config", str(config), "--output", str(tmp_path / "out"),
        capsys=capsys,
    )  # fmt: skip
    assert code == 0
    assert (
        "base_url is not set to a public URL: links will point at http://127.0.0.1:8080/; set "
        "[publish] base_url in the settings file (or AGGREGATOR_PUBLISH_BASE_URL) to the address "
        "readers use"
    ) in caplog.text


def test_publish_never_writes_over_the_sources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--output .` (or an unset variable's "") in the service's directory had replaced
    ./feeds.opml, the sources, with the site's own feeds, and said it had written the site."""
    db = tmp_path / "aggregator.db"
    Store(db).close()
    sources = tmp_path / "feeds.opml"
    sources.write_text(opml("https://harbour.example/rss"))
    before = sources.read_bytes()
    code, _, err = run_cli("publish", "--db", str(db), "--output", str(tmp_path), capsys=capsys)
    assert code == 1 and sources.read_bytes() == before
    assert "its feeds.opml lists other feeds than a published site's own" in err
    code, _, err = run_cli("publish", "--db", str(db), "--output", "", capsys=capsys)
    assert code == 2 and "--output: an empty path" in err
    # a directory the site was published into before is written again
    out = tmp_path / "site"
    for _ in range(2):
        assert run_cli("publish", "--db", str(db), "--output", str(out), capsys=capsys)[0] == 0
    assert b"/feeds/all.atom" in (out / "feeds.opml").read_bytes()


def test_status_says_where_a_feed_breaks_its_xml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], upstream: Upstream
) -> None:
    items = [
        f"<item><title>Report {n}</title><link>https://example.org/{n}</link></item>"
        for n in range(4)
    ]
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0"><channel><title>T</title>',
    ]
    whole = "\n".join([*lines, *items, "</channel></rss>"]).encode()
    upstream.add_feed("/cut.xml", whole[: whole.index(b"<item><title>Report 3") + 5])
    broken = "malformed XML at line 6, column 1: unclosed token"  # the "<item" that starts line 6
    no_declaration = b'<rss version="2.0"><channel><title>T</title>\n<item><title>a & b'
    upstream.add_feed("/bare.xml", no_declaration + b"</title></item></channel></rss>")
    db, err = polled(tmp_path, capsys, upstream.url("/cut.xml"), upstream.url("/bare.xml"))
    assert f"error='{broken}'" in err
    code, out, _ = run_cli("status", "--json", "--db", db, capsys=capsys)
    assert code == 0
    by_url = {f["url"]: f for f in json.loads(out)["feed_rows"]}
    cut, bare = by_url[upstream.url("/cut.xml")], by_url[upstream.url("/bare.xml")]
    assert cut["status"] == "ok" and cut["items"] > 0  # what came before the break is kept
    assert cut["error"] == broken
    # feedparser adds a line above a body with no XML declaration: not counted
    assert bare["error"] == "malformed XML at line 2, column 17: not well-formed (invalid token)"
    assert "SAXParseException" not in out and "<unknown>" not in out


def test_status_says_what_turned_a_feeds_article_pages_off() -> None:
    from aggregator.article_settings import ArticleSettings
    from aggregator.cli_status import _pages

    row = {"url": "https://paper.example/feed.xml", "articles": 1, "articles_ok": 3}
    row |= {"articles_failed": 0}
    assert _pages(row, ArticleSettings()) == "3 ok, 0 failed"
    assert _pages(row, ArticleSettings(enabled=False)) == "off (settings), 3 ok before"
    skipped = ArticleSettings(skip_feeds=("paper.example",))
    assert _pages(row, skipped) == "off (skip_feeds), 3 ok before"
    assert _pages({**row, "articles": 0}, ArticleSettings()) == "off (OPML), 3 ok before"
    assert _pages({**row, "articles_ok": 0}, ArticleSettings(enabled=False)) == "off (settings)"


def test_status_says_a_feeds_http_code_once() -> None:
    from aggregator.cli_status import _feed_status

    row = {"status": "error", "http_status": 404, "error": "HTTP 404 File not found"}
    assert _feed_status(row) == "error 404: File not found"
    assert _feed_status({**row, "error": "HTTP 404"}) == "error 404"
    assert _feed_status(
        {**row, "status": "gone", "http_status": 410, "error": "HTTP 410 Gone"}
    ) == ("gone 410: Gone")
    refused = {"status": "error", "http_status": None, "error": "connection refused"}
    assert _feed_status(refused) == "error: connection refused"
    moved = {**row, "error": "HTTP 404 redirect target: HTTP 4040"}  # only the leading code goes
    assert _feed_status(moved) == "error 404: redirect target: HTTP 4040"
    assert _feed_status({"status": None, "http_status": None, "error": None}) == "new"
    assert _feed_status({"status": "ok", "http_status": 200, "error": None}) == "ok"


def test_status_shows_the_feed_a_page_points_to_and_marks_a_cut() -> None:
    from aggregator.cli_status import _feed_status, status_cell

    page = {"status": "error", "http_status": 200}
    feed = "https://www.theguardian.com/uk/business/rss"
    said = (
        f"not a feed: its feed is at {feed} (this address is a web page: list that one "
        "instead; `aggregator add` finds a page's feed)"
    )
    cell = status_cell(_feed_status({**page, "error": said}))
    assert cell.startswith(f"error 200: not a feed: its feed is at {feed} (")
    assert len(cell) == 120 and cell.endswith("…")
    assert status_cell("error: connection refused") == "error: connection refused"


def test_status_cuts_a_long_article_error_visibly() -> None:
    """An ARTICLE PAGES cell past its width is cut inside its "(last: …)" with "…" and the
    parenthesis closed: it had been cut at 90 characters mid-word, unmarked and unclosed."""
    from aggregator.cli_status import PAGES_WIDTH, _pages

    said = "robots.txt unavailable (DNS lookup failed for www.theguardian.com): not fetched"
    row = {"articles_ok": 0, "articles_failed": 44, "articles_retrying": 44}
    cell = _pages({**row, "article_error": said})
    assert cell.startswith("0 ok, 44 failed, 44 to retry (last: robots.txt unavailable (DNS")
    assert len(cell) == PAGES_WIDTH and cell.endswith("…)")
    short = _pages({**row, "article_error": "HTTP 404"})
    assert short == "0 ok, 44 failed, 44 to retry (last: HTTP 404)"


def test_status_gives_a_held_sites_feeds_their_next_poll_after_the_hold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], upstream: Upstream
) -> None:
    db, _ = polled(tmp_path, capsys, upstream.url("/a.xml"), upstream.url("/b.xml"))
    now = datetime.now(UTC)
    with sqlite3.connect(db) as conn:  # /a.xml due in 30 s, /b.xml in 2 h; the site held 45 m
        for path, due in (("/a.xml", timedelta(seconds=30)), ("/b.xml", timedelta(hours=2.01))):
            at = (now + due).isoformat(timespec="seconds")
            conn.execute(
                "UPDATE feeds SET next_poll_at = ? WHERE url = ?", [at, upstream.url(path)]
            )
        until = (now + timedelta(minutes=45, seconds=30)).isoformat(timespec="seconds")
        conn.execute("INSERT INTO site_holds (host, until) VALUES ('127.0.0.1', ?)", [until])
    code, out, _ = run_cli("status", "--db", db, capsys=capsys)
    assert code == 0
    [a_row] = [line for line in out.splitlines() if upstream.url("/a.xml") + " " in line]
    [b_row] = [line for line in out.splitlines() if upstream.url("/b.xml") + " " in line]
    assert "in 45m (site held for 45m)" in a_row  # (it read "in 30s (site held for 45m)")
    assert "in 2h (site held for 45m)" in b_row


def test_status_says_when_a_feed_that_answers_has_brought_nothing_new_for_a_week(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], upstream: Upstream
) -> None:
    db, _ = polled(tmp_path, capsys, upstream.url("/a.xml"), upstream.url("/b.xml"))
    with sqlite3.connect(db) as conn:  # /a.xml's items were all first seen 12 days ago
        conn.execute(
            "UPDATE items SET first_seen = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-12 days',"
            " '-1 hour') WHERE feed_url = ?",
            [upstream.url("/a.xml")],
        )
    code, out, _ = run_cli("status", "--db", db, capsys=capsys)
    assert code == 0
    [a_row] = [line for line in out.splitlines() if upstream.url("/a.xml") + " " in line]
    [b_row] = [line for line in out.splitlines() if upstream.url("/b.xml") + " " in line]
    assert "ok; nothing new for 12 days" in a_row and "nothing new" not in b_row
    # answered 304 (or the same body) since, as a quiet feed does: quiet all the same, and
    # the feed that answers 304 but brought news lately needs no look
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE feeds SET status = 'not_modified'")
    code, out, _ = run_cli("status", "--attention", "--db", db, capsys=capsys)
    assert code == 0
    assert "not_modified; nothing new for 12 days" in out and upstream.url("/b.xml") not in out
    code, out, _ = run_cli("status", "--json", "--db", db, capsys=capsys)
    assert code == 0
    newest = {r["url"]: r["newest_item_at"] for r in json.loads(out)["feed_rows"]}
    assert newest[upstream.url("/a.xml")] < newest[upstream.url("/b.xml")]


HEADLINES_ONLY = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Headlines</title><link>https://headlines.example/</link>
<description>Headlines</description>
<item><title>Harbour bridge reopens after storm repairs</title><guid>h1</guid>
<link>{base}/h1</link></item>
<item><title>City council approves new tram line budget</title><guid>h2</guid>
<link>{base}/h2</link></item>
<item><title>Museum returns stolen painting to Dutch owners</title><guid>h3</guid>
<link>{base}/h3</link></item>
</channel></rss>"""


def test_status_says_when_none_of_a_feeds_items_is_published(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], upstream: Upstream
) -> None:
    # A feed of headlines alone (pages failing) gives no story a sentence to summarise: its
    # items are stored and grouped, and nothing of it is published. `status` said "ok".
    upstream.add_feed("/headlines.xml", HEADLINES_ONLY.format(base=upstream.url("")))
    db, _ = polled(tmp_path, capsys, upstream.url("/a.xml"), upstream.url("/headlines.xml"))
    code, out, _ = run_cli("status", "--attention", "--db", db, capsys=capsys)
    assert code == 0
    [row] = [line for line in out.splitlines() if upstream.url("/headlines.xml") in line]
    assert "ok; none of its 3 items published yet (headlines only)" in row
    assert upstream.url("/a.xml") + " " not in out  # (its stories are published)
    code, out, _ = run_cli("status", "--json", "--db", db, capsys=capsys)
    rows = {r["url"]: r for r in json.loads(out)["feed_rows"]}
    assert rows[upstream.url("/headlines.xml")]["published"] == 0
    assert rows[upstream.url("/a.xml")]["published"] >= 1


def test_status_says_a_google_news_feed_gives_headlines_only() -> None:
    from aggregator.cli_status import _unpublished

    row = {"in_stories": 4, "with_text": 4, "published": 0}
    google = {**row, "url": "https://news.google.com/rss/topics/CAAqJgg?hl=en-GB"}
    assert _unpublished(google) == (
        "none of its 4 items published yet (a Google News feed: headlines only, their pages "
        "not read)"
    )
    other = {**row, "url": "https://headlines.example/feed"}
    assert _unpublished(other) == "none of its 4 items published yet (no sentence to summarise)"
    assert _unpublished({**google, "published": 1}) == ""


def test_an_output_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    """`status > /dev/full` had ended in a traceback (an OSError in a print)."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    db = tmp_path / "aggregator.db"
    Store(db).close()
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "aggregator", "status", "--db", str(db)],
            stdout=full, stderr=subprocess.PIPE, text=True, check=False,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr == "aggregator: error: cannot write its output: No space left on device\n"


def test_status_and_story_read_beside_a_write_under_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], upstream: Upstream
) -> None:
    """They opened the database for writing: beside a service in the middle of a write they
    waited 30 s for it, then failed "database is locked"."""
    db, _ = polled(tmp_path, capsys, upstream.url("/a.xml"))
    writer = sqlite3.connect(db, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE feeds SET error_count = error_count")
        code, out, _ = run_cli("status", "--db", db, capsys=capsys)
        assert code == 0 and upstream.url("/a.xml") in out
        (story_id,) = writer.execute("SELECT id FROM stories LIMIT 1").fetchone()
        code, out, _ = run_cli("story", story_id, "--db", db, capsys=capsys)
        assert code == 0 and f"STORY {story_id}" in out
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_feed_asked_and_not_answered_says_for_how_long() -> None:
    from aggregator.cli_status import _asking

    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    row = {"asking_since": "2026-11-27T11:59:37+00:00"}
    assert _asking(row, now) == "asking for 23 s"
    assert _asking({"asking_since": "2026-11-27T11:55:00+00:00"}, now) == "asking for 5 min"
    assert _asking({"asking_since": "2026-11-27T09:00:00+00:00"}, now) == "asking for 3 h"
    assert _asking({"asking_since": None}, now) == _asking({}, now) == ""


def test_status_says_asking_only_while_a_run_may_be_asking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A feed's mark (`asking_since`) is `run`'s: one a process that died left (killed, a
    stop that timed out, and not started again, which clears them) is not shown as asked."""
    import os

    from aggregator.models import FeedState, Source

    db = tmp_path / "agg.db"
    store = Store(db)
    feed = "https://a.example/feed"
    polled = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    store.sync_sources([Source(feed, "A", "News")], polled)
    store.save_polls([(FeedState(feed, status="ok", last_polled_at=polled), [])])
    store.mark_asking([(feed, datetime.now(UTC), polled)])
    store.close()

    def said() -> tuple[str, object]:
        code, out, _ = run_cli("status", "--db", str(db), capsys=capsys)
        assert code == 0
        code, report, _ = run_cli("status", "--json", "--db", str(db), capsys=capsys)
        (row,) = json.loads(report)["feed_rows"]
        return next(line for line in out.splitlines() if feed in line), row["asking_since"]

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    for holder, asked in [
        ({"pid": os.getpid(), "command": "run"}, True),  # (a running one)
        ({"pid": int(dead.stdout), "command": "run"}, False),  # (one that died)
        (None, False),  # (let go: the name cleared)
        ({"pid": os.getpid(), "command": "poll --once"}, False),  # (leaves no feed)
    ]:
        lock_path(db).write_text("" if holder is None else json.dumps(holder))
        line, since = said()
        assert ("asking for" in line) is asked, (holder, line)
        assert (since is not None) is asked


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--opml", ""],
        ["check", "--opml", "feeds.opml", "--config", " "],
        ["status", "--db", ""],
        ["import", ""],
        ["cluster", ""],
        ["restore", "", "--db", "agg.db"],
    ],
)
def test_an_empty_path_is_refused_as_such(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty path (a script's unset variable) had been read as the current directory:
    "./: cannot read OPML: Is a directory"."""
    code, _, err = run_cli(*argv, capsys=capsys)
    assert code == 2
    assert "an empty path (an unset variable?)" in err
    assert "directory" not in err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["staus"], "aggregator: error: no command 'staus': did you mean 'status'?"),
        (
            ["--log-level", "INFO", "subscriber"],
            "no command 'subscriber': did you mean 'subscribers'?",
        ),
        (["zzz"], "argument COMMAND: invalid choice: 'zzz' (choose from"),  # (none close)
    ],
)
def test_a_mistyped_command_is_answered_with_the_one_meant(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo had been answered with the list of all twenty commands to read through."""
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert said in capsys.readouterr().err


def test_story_json_names_the_category_the_text_shows_before_publication(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A story not yet published is filed under no feed's category, yet it has its own
    (its items' feeds'): the text and `--json` both say it."""
    db = tmp_path / "agg.db"
    store = Store(db)
    try:
        when = datetime(2026, 12, 1, 8, tzinfo=UTC)
        item = Item(id="i1", title="Harbour bridge reopens", feed_url="https://a.example/feed",
                    guid="i1", published=when, first_seen=when, outlet="a.example",
                    category="World News", content_hash="h1")  # fmt: skip
        store.insert_items([item])
        store.assign(item, "5a1e5a1e5a1e5a1e", None, when)
    finally:
        store.close()
    code, out, _ = run_cli("story", "5a1e5a1e5a1e5a1e", "--db", str(db), capsys=capsys)
    assert code == 0 and "STORY 5a1e5a1e5a1e5a1e: not published" in out
    assert "categories World News\n" in out
    code, out, _ = run_cli("story", "5a1e5a1e5a1e5a1e", "--db", str(db), "--json", capsys=capsys)
    record = json.loads(out)
    assert code == 0 and record["version"] == 0
    assert record["categories"] == ["World News"]
