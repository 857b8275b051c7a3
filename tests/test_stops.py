"""`run` stops at once while a mail server it talks to has stopped answering: the bounce
mailbox's read, a digest's send and a sign-up's confirmation email are left behind, not
waited for (`mail_thread`); and its web server's requests in flight get `shutdown_grace`.

The servers here accept a connection on loopback and then say nothing for as long as the
test runs; the mail timeout is set far beyond the test's patience, so a process that waited
for the conversation would not stop within it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from digest_fixture import add_story
from upstream import free_port, opml

from aggregator.store import Store
from aggregator.web import start_server

PATIENCE = 60.0  # seconds a stop may take here; the mail timeout is ten times that


def _python(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -c` run with `argv` (a script and its arguments), its output captured."""
    return subprocess.run(
        [sys.executable, "-c", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=False,
    )


MAIL_TIMEOUT = "600"


@contextmanager
def silent_server() -> Iterator[tuple[int, threading.Event]]:
    """A port whose server accepts connections and never says a word; the event is set at
    the first connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # (closed: the test is over)
                return
            held.append(conn)
            accepted.set()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        listener.close()
        for conn in held:
            conn.close()


def stopped(proc: subprocess.Popen[str]) -> str:
    """SIGTERM, then what the process wrote; it fails the test (and is killed) when it has not
    exited within `PATIENCE`."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.communicate(timeout=PATIENCE)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        output = proc.communicate()[0]
        raise AssertionError(f"still running {PATIENCE:g} s after SIGTERM:\n{output}") from None


def stops_cleanly(
    proc: subprocess.Popen[str],
    asked: threading.Event,
    never: str,
    first: Callable[[], object] = lambda: None,
) -> None:
    """`first()`, then wait until the silent server was asked (else fail with `never`), then
    SIGTERM `proc`, which must exit 0 within `PATIENCE`, saying "stopped"."""
    try:
        first()
        assert asked.wait(PATIENCE), never
    finally:
        output = stopped(proc)
    assert proc.returncode == 0, output
    assert "stopped" in output


def run_with(tmp_path: Path, port: int = 0, **settings: str) -> subprocess.Popen[str]:
    """`aggregator run` in `tmp_path` (an OPML of one unreachable feed) with digests sent
    through 127.0.0.1, the mail timeout far beyond the test's patience, and `settings` as
    `AGGREGATOR_<NAME>` variables."""
    (tmp_path / "feeds.opml").write_text(opml(f"http://127.0.0.1:{free_port()}/world.xml"))
    env = dict(
        os.environ,
        AGGREGATOR_PUBLISH_BASE_URL="https://news.example/",
        AGGREGATOR_DIGEST_SMTP_HOST="127.0.0.1",
        AGGREGATOR_DIGEST_FROM_ADDRESS="Daily News <news@news.example>",
        AGGREGATOR_DIGEST_TIMEOUT=MAIL_TIMEOUT,
        AGGREGATOR_DIGEST_TIMEZONE="UTC",
        **{f"AGGREGATOR_{name}": value for name, value in settings.items()},
    )
    return subprocess.Popen(
        [sys.executable, "-m", "aggregator", "run", "--port", str(port or free_port())],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_run_stops_at_once_while_the_bounce_mailbox_says_nothing(tmp_path: Path) -> None:
    with silent_server() as (imap_port, accepted):
        proc = run_with(
            tmp_path,
            DIGEST_RECIPIENTS="World News=reader@reader.example",
            DIGEST_BOUNCE_HOST="127.0.0.1",
            DIGEST_BOUNCE_PORT=str(imap_port),
            DIGEST_BOUNCE_SECURITY="none",
            DIGEST_BOUNCE_USERNAME="bounces@news.example",
            DIGEST_BOUNCE_PASSWORD_ENV="AGGREGATOR_TEST_BOUNCE_PASSWORD",
            TEST_BOUNCE_PASSWORD="mailbox-secret",
        )
        stops_cleanly(proc, accepted, "the bounce mailbox was never asked")


def test_run_stops_after_its_grace_while_a_digest_send_hangs(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    store = Store(tmp_path / "aggregator.db")
    add_story(store, "s0", "Harbour bridge closed for repairs", at=now - timedelta(hours=1))
    store.close()
    with silent_server() as (smtp_port, accepted):
        proc = run_with(
            tmp_path,
            SERVER_SHUTDOWN_GRACE="1",
            DIGEST_SMTP_PORT=str(smtp_port),
            DIGEST_SECURITY="none",
            DIGEST_RECIPIENTS="World News=reader@reader.example",
            # (due since a minute ago: sent at the first check)
            DIGEST_SEND_AT=(now - timedelta(minutes=1)).strftime("%H:%M"),
        )
        stops_cleanly(proc, accepted, "the digest was never sent")


def test_run_stops_after_its_grace_while_a_confirmation_email_hangs(tmp_path: Path) -> None:
    port = free_port()
    later = (datetime.now(UTC) + timedelta(hours=2)).strftime("%H:%M")  # (no digest due)
    with silent_server() as (smtp_port, accepted):
        proc = run_with(
            tmp_path,
            port,
            SERVER_SHUTDOWN_GRACE="1",
            DIGEST_SMTP_PORT=str(smtp_port),
            DIGEST_SECURITY="none",
            DIGEST_RECIPIENTS="World News=listed@reader.example",
            DIGEST_SELF_SERVICE="true",
            DIGEST_SEND_AT=later,
        )

        def sign_up() -> None:
            form = urllib.parse.urlencode({"email": "reader@reader.example"}).encode()
            for _ in range(int(PATIENCE * 10)):
                try:
                    url = f"http://127.0.0.1:{port}/world-news/subscribe"
                    with urllib.request.urlopen(url, data=form, timeout=5) as answer:
                        assert b"Check your inbox" in answer.read()
                    break
                except urllib.error.URLError:  # (not listening yet)
                    time.sleep(0.1)

        stops_cleanly(proc, accepted, "the confirmation email was never sent", sign_up)


def test_the_web_server_gives_requests_in_flight_the_grace_not_a_minute() -> None:
    async def scenario() -> bool:
        began, cancelled = asyncio.Event(), asyncio.Event()

        async def slow(request: web.Request) -> web.Response:
            began.set()
            try:
                await asyncio.sleep(10 * PATIENCE)  # (a proxied picture on a slow host)
            except asyncio.CancelledError:
                cancelled.set()
                raise
            return web.Response(text="late")

        app = web.Application()
        app.router.add_get("/slow", slow)
        port = free_port()
        runner = await start_server(app, "127.0.0.1", port, shutdown_timeout=0.5)
        url = f"http://127.0.0.1:{port}/slow"
        request = asyncio.ensure_future(asyncio.to_thread(_get, url))
        await asyncio.wait_for(began.wait(), PATIENCE)
        await asyncio.wait_for(runner.cleanup(), PATIENCE / 2)  # (aiohttp's default: 60 s)
        await asyncio.gather(request, return_exceptions=True)
        return cancelled.is_set()

    assert asyncio.run(scenario())


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=PATIENCE) as answer:
        return bytes(answer.read())


def test_a_second_signal_while_the_service_writes_its_last_is_held_off() -> None:
    """The loop's handlers are gone once `run` stops: a second SIGTERM while the service
    wrote its grouping snapshot and closed the database had ended the process 143, that
    undone. Held off there, and the handlers before put back after."""
    script = (
        "import os, signal\n"
        "from aggregator.cli_service import _stops_held\n"
        "said = []\n"
        "signal.signal(signal.SIGTERM, lambda *_: said.append('term'))\n"
        "with _stops_held():\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    print('closed')\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "print(said)\n"
    )
    done = _python(script)
    assert (done.returncode, done.stdout.split()) == (0, ["closed", "['term']"])


def test_a_sigterm_while_run_starts_stops_it_cleanly_once_its_loop_runs(tmp_path: Path) -> None:
    """A SIGTERM (and a SIGHUP) that came while `run` started, before its event loop took the
    signals (here: while the database opens), had ended the process 143 (129)."""
    (tmp_path / "feeds.opml").write_text(opml(f"http://127.0.0.1:{free_port()}/world.xml"))
    script = (
        "import os, signal, sys\n"
        "import aggregator.cli_service as cli_service\n"
        "from aggregator.cli import main\n"
        "real = cli_service.Service\n"
        "def opening(*args, **kwargs):\n"
        "    os.kill(os.getpid(), signal.SIGHUP)\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return real(*args, **kwargs)\n"
        "cli_service.Service = opening\n"
        "code = main(sys.argv[1:])\n"
        "print('handler after:', signal.getsignal(signal.SIGTERM) == signal.SIG_DFL)\n"
        "sys.exit(code)\n"
    )
    for command in (["run", "--port", str(free_port())], ["poll"]):
        done = _python(script, *command, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "stopping: SIGTERM while starting" in done.stderr
        assert "cycle feeds=" not in done.stderr  # (stopped before its first poll)
        assert "handler after: True" in done.stdout


@pytest.mark.parametrize(
    ("argv", "orig_argv", "held"),
    [
        (["/opt/venv/bin/aggregator", "run"], [], True),
        (["aggregator", "--log-level", "debug", "poll", "--once"], [], True),
        (["aggregator", "--log-format", "json", "serve"], [], True),
        (["aggregator", "--log-l", "debug", "run"], [], True),  # (argparse's prefix)
        (["aggregator", "--log-form", "json", "poll"], [], True),
        (["aggregator", "--log-format=json", "poll"], [], True),
        (["-m", "run", "--port", "0"], ["python3", "-m", "aggregator", "run"], True),
        (["aggregator", "status"], [], False),  # (a one-shot command: a SIGTERM ends it)
        (["aggregator", "--log-level", "run"], [], False),  # ("run" is the level's value)
        (["aggregator"], [], False),
        (["-m", "run"], ["python3", "-m", "other"], False),  # (another program's `-m`)
        (["/usr/bin/pytest", "run"], [], False),  # (a program that imports the package)
        ([], [], False),
    ],
)
def test_the_signals_are_held_from_the_start_only_for_the_programs_services(
    argv: list[str], orig_argv: list[str], held: bool
) -> None:
    from aggregator.early_signals import service_command

    assert service_command(argv, orig_argv) is held


def _started(tmp_path: Path, command: list[str]) -> subprocess.CompletedProcess[str]:
    """The program started with `command` and a SIGTERM and a SIGHUP sent to it right after
    its package was imported, while it imports the modules of its command (before `cli.main`
    ran, which the hold came from until now)."""
    (tmp_path / "feeds.opml").write_text(opml(f"http://127.0.0.1:{free_port()}/world.xml"))
    script = (
        "import os, signal, sys\n"
        f"sys.argv = ['/opt/venv/bin/aggregator', *{command!r}]\n"
        "import aggregator\n"
        "os.kill(os.getpid(), signal.SIGHUP)\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "from aggregator.cli import run\n"
        "run()\n"
    )
    return _python(script, cwd=tmp_path)


def test_a_sigterm_before_the_command_line_is_read_stops_a_service_cleanly(
    tmp_path: Path,
) -> None:
    """A stop in the program's first tens of milliseconds (its imports, before `cli.main`)
    had ended it 143: the hold now comes from the package's first line."""
    for command in (["run", "--port", str(free_port())], ["poll"]):
        done = _started(tmp_path, command)
        assert done.returncode == 0, done.stderr
        assert "stopping: SIGTERM while starting" in done.stderr
        assert "cycle feeds=" not in done.stderr  # (stopped before its first poll)


def test_a_sigterm_at_the_start_of_another_command_ends_it_as_before(tmp_path: Path) -> None:
    """Only a service holds the signals: any other command, and a program that imports the
    package, keep the interpreter's defaults."""
    done = _started(tmp_path, ["status"])
    assert done.returncode == -signal.SIGHUP  # (the first signal sent ends it)
    script = (
        "import signal, sys\n"
        "sys.argv = ['embedder.py', 'run']\n"
        "import aggregator\n"
        "print(signal.getsignal(signal.SIGTERM) == signal.SIG_DFL)\n"
    )
    embedded = _python(script)
    assert embedded.stdout.split() == ["True"]
    # (SIGINT ignored too: a service started in the background)
    for sigint in ("signal.default_int_handler", "signal.SIG_IGN"):
        on_a_thread = (  # (the package first imported on another thread: signals are not its)
            "import signal, sys, threading\n"
            f"signal.signal(signal.SIGINT, {sigint})\n"
            "sys.argv = ['/opt/venv/bin/aggregator', 'run']\n"
            "thread = threading.Thread(target=lambda: print(__import__('aggregator').__name__))\n"
            "thread.start()\n"
            "thread.join()\n"
        )
        embedded = _python(on_a_thread)
        assert embedded.stdout.split() == ["aggregator"], (sigint, embedded.stderr)


def test_a_ctrl_c_while_the_program_loads_ends_it_130_without_a_traceback(
    tmp_path: Path,
) -> None:
    """A SIGINT while the program imports its modules (before `cli.main`) had printed a
    KeyboardInterrupt's traceback out of whatever import ran: it now ends the program at once,
    130 and nothing said, any command; from `main` on it is the KeyboardInterrupt `main` turns
    into 130 (its handler the interpreter's again)."""
    (tmp_path / "feeds.opml").write_text(opml(f"http://127.0.0.1:{free_port()}/world.xml"))
    for command in (["run", "--port", str(free_port())], ["poll", "--once"], ["status"]):
        script = (
            "import os, signal, sys\n"
            f"sys.argv = ['/opt/venv/bin/aggregator', *{command!r}]\n"
            "import aggregator\n"
            "os.kill(os.getpid(), signal.SIGINT)\n"
            "from aggregator.cli import run\n"
            "run()\n"
        )
        done = _python(script, cwd=tmp_path)
        assert (done.returncode, done.stderr, done.stdout) == (130, "", ""), command
    script = (
        "import signal, sys\n"
        "sys.argv = ['/opt/venv/bin/aggregator', 'status', '--db', 'none.db']\n"
        "import aggregator\n"
        "from aggregator.cli import main\n"
        "main()\n"
        "print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)\n"
    )
    done = _python(script, cwd=tmp_path)
    assert done.stdout.split()[-1:] == ["True"], done.stderr


def test_a_ctrl_c_is_left_as_it_was_outside_the_program_and_in_the_background() -> None:
    """A program that imports the package keeps Python's KeyboardInterrupt; a program started
    with SIGINT ignored (a job a script sent to the background) keeps ignoring it."""
    script = (
        "import signal, sys\n"
        "sys.argv = [sys.argv[1], 'run']\n"
        "if sys.argv[0] == 'aggregator':\n"
        "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "import aggregator\n"
        "ignored = sys.argv[0] == 'aggregator'\n"
        "kept = signal.SIG_IGN if ignored else signal.default_int_handler\n"
        "print(signal.getsignal(signal.SIGINT) is kept)\n"
    )
    for program in ("embedder.py", "aggregator"):
        done = _python(script, program)
        assert done.stdout.split() == ["True"], done.stderr


def test_a_sigterm_after_a_services_command_ended_ends_the_process_as_before(
    tmp_path: Path,
) -> None:
    """The hold from the package's first line ends with the command's: a SIGTERM once the
    command returned (the interpreter's exit, a flush to a stalled pipe) ends the process by
    the signal, as it did before the hold came first; it had been noted, for nothing."""
    script = (
        "import os, signal, sys, time\n"
        "sys.argv = ['/opt/venv/bin/aggregator', 'poll', '--once', '--opml', 'none.opml']\n"
        "import aggregator\n"
        "from aggregator.cli import main\n"
        "print(main(), signal.getsignal(signal.SIGHUP) == signal.SIG_DFL, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "time.sleep(5)\n"
        "print('still running', flush=True)\n"
    )
    done = _python(script, cwd=tmp_path)
    assert done.stdout.split() == ["2", "True"], done.stderr  # (no sources file: exit 2)
    assert done.returncode == -signal.SIGTERM


def test_a_sigterm_while_a_service_waits_for_the_writer_lock_stops_it_at_once(
    tmp_path: Path,
) -> None:
    """`run` (or `poll --once`) started while a one-shot command (`compact`, say) holds the
    database's writer lock waits for it, up to ten minutes; a SIGTERM then was noted and not
    heeded until the lock came (systemd's SIGKILL came first). It now stops at once, exit 0."""
    import fcntl
    import json

    from aggregator.lock import lock_path

    (tmp_path / "feeds.opml").write_text(opml(f"http://127.0.0.1:{free_port()}/world.xml"))
    db = tmp_path / "agg.db"
    handle = os.open(lock_path(db), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(handle, json.dumps({"pid": os.getpid(), "command": "compact"}).encode())
        for command in (["run", "--port", str(free_port())], ["poll", "--once"]):
            script = (
                "import sys\n"
                f"sys.argv = ['/opt/venv/bin/aggregator', *{command!r}, '--db', {str(db)!r}]\n"
                "from aggregator.cli import run\n"
                "run()\n"
            )
            process = subprocess.Popen(
                [sys.executable, "-c", script],
                cwd=tmp_path,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                assert process.stderr is not None
                said = process.stderr.readline()
                assert "waiting for `aggregator compact`" in said, said
                process.send_signal(signal.SIGTERM)
                code = process.wait(timeout=10)  # (the lock is not let go meanwhile)
                rest = process.stderr.read()
            finally:
                process.kill()
                process.wait()
            assert code == 0, rest
            assert "stopping: SIGTERM while waiting for `aggregator compact`" in rest
    finally:
        os.close(handle)
