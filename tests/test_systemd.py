"""systemd integration: sd_notify messages, the watchdog, and the shipped unit file."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from news_fixture import feeds
from upstream import Upstream, opml

from aggregator.cli import main
from aggregator.config import Settings
from aggregator.fetch import FetchSettings
from aggregator.lock import writer_lock
from aggregator.service import Service
from aggregator.store import Store
from aggregator.systemd import Notifier

FEEDS = feeds()
UNIT = Path(__file__).parent.parent / "systemd" / "aggregator.service"


class FakeSystemd:
    """A datagram socket standing in for systemd's $NOTIFY_SOCKET; records what arrives."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.setblocking(False)
        self.messages: list[tuple[float, dict[str, str]]] = []

    def drain(self) -> list[dict[str, str]]:
        while True:
            try:
                data = self.sock.recv(4096)
            except BlockingIOError:
                break
            fields = dict(line.split("=", 1) for line in data.decode().splitlines())
            self.messages.append((time.monotonic(), fields))
        return [m for _, m in self.messages]

    def close(self) -> None:
        self.sock.close()


def test_notifier_is_silent_outside_systemd() -> None:
    notifier = Notifier({})
    assert not notifier.enabled
    assert notifier.ready("x") is False
    assert notifier.watchdog_interval is None


def test_notifier_reads_the_watchdog_period_meant_for_this_process(tmp_path: Path) -> None:
    fake = FakeSystemd(tmp_path / "notify")
    try:
        env = {"NOTIFY_SOCKET": str(fake.path), "WATCHDOG_USEC": "3000000"}
        assert Notifier(env).watchdog_interval == 3.0
        assert Notifier({**env, "WATCHDOG_PID": str(os.getpid())}).watchdog_interval == 3.0
        assert Notifier({**env, "WATCHDOG_PID": "1"}).watchdog_interval is None
        notifier = Notifier(env)
        assert notifier.ready("serving")
        assert fake.drain() == [{"READY": "1", "STATUS": "serving"}]
    finally:
        fake.close()


async def _until(
    fake: FakeSystemd, done: Callable[[list[dict[str, str]]], bool], timeout: float = 20.0
) -> list[dict[str, str]]:
    """Every message so far, once `done` holds for them (a failed assertion after `timeout`)."""
    deadline = time.monotonic() + timeout
    while not done(messages := fake.drain()):
        assert time.monotonic() < deadline, messages
        await asyncio.sleep(0.02)
    return messages


def test_service_reports_ready_reloading_status_stopping_and_pings_the_watchdog(
    tmp_path: Path,
) -> None:
    fake = FakeSystemd(tmp_path / "notify")
    notifier = Notifier({"NOTIFY_SOCKET": str(fake.path), "WATCHDOG_USEC": "300000"})

    async def scenario() -> None:
        async with Upstream() as up:
            url = up.add_feed("/a.xml", FEEDS["/dailyplanet/world.xml"])
            broken = up.url("/status/500")
            path = tmp_path / "feeds.opml"
            path.write_text(opml(url, broken))
            settings = Settings()
            settings = dataclasses.replace(
                settings,
                server=dataclasses.replace(settings.server, tick=30.0),
                fetch=FetchSettings(total_timeout=1.0),
            )
            service = Service(path, tmp_path / "agg.db", settings, notifier=notifier)
            stop = asyncio.Event()

            async def drain() -> None:
                while True:
                    fake.drain()
                    await asyncio.sleep(0.02)

            drainer = asyncio.create_task(drain())
            task = asyncio.create_task(service.run("127.0.0.1", 0, stop, serve=False))

            def polled(messages: list[dict[str, str]]) -> bool:
                return any(
                    "2 feeds polled, 1 error," in m.get("STATUS", "")
                    and "1 of 2 feeds failing" in m.get("STATUS", "")
                    for m in messages
                )

            try:
                # Waited for, not slept for: a loaded machine takes longer over the first poll.
                messages = await _until(fake, polled)
                assert messages[0]["READY"] == "1"
                # Pinged every 0.1 s (a third of WatchdogSec): one each 0.3 s were too few.
                pinged = sum("WATCHDOG" in m for m in fake.drain())
                began = time.monotonic()
                await asyncio.sleep(1.0)
                pings = sum("WATCHDOG" in m for m in fake.drain()) - pinged
                assert pings >= (time.monotonic() - began) / 0.25, pings
                # A hung event loop stops the pings: systemd would kill and restart it.
                before = len(fake.drain())
                time.sleep(0.6)  # blocks the loop, as a hang would
                assert len(fake.drain()) == before
                os.kill(os.getpid(), signal.SIGHUP)

                def reloaded(messages: list[dict[str, str]]) -> bool:
                    after = messages[before:]
                    at = next((i for i, m in enumerate(after) if m.get("RELOADING") == "1"), None)
                    return at is not None and any(m.get("READY") == "1" for m in after[at:])

                after = (await _until(fake, reloaded))[before:]
                reload_at = next(i for i, m in enumerate(after) if m.get("RELOADING") == "1")
                assert "MONOTONIC_USEC" in after[reload_at]
                assert any(m.get("READY") == "1" for m in after[reload_at:])
            finally:
                drainer.cancel()
                stop.set()
                await asyncio.wait_for(task, 10)
                service.close()
        assert any(m.get("STOPPING") == "1" for m in fake.drain())

    try:
        asyncio.run(scenario())
    finally:
        fake.close()


def test_run_under_a_notify_socket_reports_ready(tmp_path: Path) -> None:
    """The real command, as systemd starts it with Type=notify."""
    fake = FakeSystemd(tmp_path / "notify")
    try:
        with Upstream().running_in_thread() as up:
            url = up.add_feed("/a.xml", FEEDS["/dailyplanet/world.xml"])
            (tmp_path / "feeds.opml").write_text(opml(url))
            env = {**os.environ, "NOTIFY_SOCKET": str(fake.path)}
            proc = subprocess.Popen(
                [sys.executable, "-m", "aggregator", "run", "--port", "0"],
                cwd=tmp_path,
                env=env,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                deadline = time.monotonic() + 30
                while not any(m.get("READY") == "1" for m in fake.drain()):
                    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                    assert time.monotonic() < deadline, "no READY=1"
                    time.sleep(0.05)
            finally:
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(timeout=20) == 0
        assert any(m.get("STOPPING") == "1" for m in fake.drain())
    finally:
        fake.close()


def test_unit_file_declares_notify_watchdog_reload_and_directories() -> None:
    text = UNIT.read_text()
    settings = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), value.strip())
    assert settings["Type"] == "notify"
    assert settings["WatchdogSec"]
    assert settings["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert settings["StateDirectory"] == "aggregator"
    assert settings["ConfigurationDirectory"] == "aggregator"
    start = settings["ExecStart"]
    assert "--config /etc/aggregator/aggregator.toml" in start
    assert "--opml /etc/aggregator/feeds.opml" in start
    assert "--db /var/lib/aggregator/aggregator.db" in start


def test_unit_file_does_not_restart_on_the_status_of_a_configuration_error(
    tmp_path: Path,
) -> None:
    """A bad OPML at start, and a database file that cannot be used as it is (damaged, or a
    newer version's), exit with the statuses the unit names in RestartPreventExitStatus, so
    systemd leaves it failed instead of restarting into the same error every few seconds; a
    passing fault (another program holding the database) is still restarted."""
    settings = dict(
        line.split("=", 1) for line in UNIT.read_text().splitlines() if line.startswith("Restart")
    )
    assert settings["Restart"] == "on-failure"
    kept = settings["RestartPreventExitStatus"].split()
    sources = tmp_path / "feeds.opml"
    sources.write_text('<opml version="2.0"><body><outline xmlUrl="http://[::1/x"/></body></opml>')
    db = tmp_path / "a.db"
    run = ["run", "--opml", str(sources), "--db", str(db), "--port", "0"]
    status = main(run)
    assert status != 0 and str(status) in kept
    sources.write_text(
        '<opml version="2.0"><body><outline text="News">'
        '<outline type="rss" text="A" xmlUrl="http://127.0.0.1:9/a.xml"/></outline></body></opml>'
    )
    Store(db).close()
    with db.open("r+b") as handle:  # the file's header and schema page overwritten
        handle.write(b"\xa5" * 2048)
    damaged = main(run)
    assert damaged not in (0, status) and str(damaged) in kept
    db.unlink()
    with writer_lock(db, "run"):  # another service on the database, which may stop
        held = main(run)
    assert held != 0 and str(held) not in kept
    assert sorted(kept) == sorted({str(status), str(damaged)})


def test_unit_waits_for_the_four_graces_a_stop_takes_in_turn() -> None:
    """In-flight polls, the answers queued to be stored, web requests (digests beside them),
    then a sign-up's confirmation email each get `shutdown_grace` one after the other: systemd
    must not SIGKILL the service before they end."""
    line = next(x for x in UNIT.read_text().splitlines() if x.startswith("TimeoutStopSec="))
    stop_after = int(line.split("=", 1)[1].removesuffix("s"))
    assert stop_after > 4 * Settings().server.shutdown_grace


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_unit_file_passes_systemd_analyze(tmp_path: Path) -> None:
    """The same check CI runs (.ci/check-unit), with ExecStart pointed at this install."""
    installed = Path(sys.executable).parent / "aggregator"
    if not installed.exists():
        pytest.skip(f"no installed aggregator script beside {sys.executable}")
    check = Path(__file__).parent.parent / ".ci" / "check-unit"
    result = subprocess.run(
        ["bash", str(check), str(installed)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_shipped_settings_file_shows_the_real_defaults() -> None:
    """systemd/aggregator.toml says its commented-out values are the defaults: each one,
    read as a setting, equals what the program uses without it (it once showed max_items = 50
    where the default is 100)."""
    import re
    import tomllib

    from aggregator.config import build_settings

    shipped = UNIT.with_name("aggregator.toml").read_text(encoding="utf-8")
    section, checked = "", 0
    for line in shipped.splitlines():
        if header := re.fullmatch(r"\[(\w+)\]\s*", line):
            section = header[1]
            continue
        shown = re.fullmatch(r"# (\w+) = (\S+)\s*(#.*)?", line)
        if not shown or "e.g." in (shown[3] or ""):
            continue
        key = shown[1]
        value = tomllib.loads(f"{key} = {shown[2]}")[key]
        default = getattr(getattr(Settings(), section), key)
        assert getattr(getattr(build_settings({section: {key: value}}), section), key) == default
        checked += 1
    assert checked >= 6
