"""An edit of the settings file `run` started with: said when seen (it waits for a restart), and
one a restart would stop at said as an error, while the running settings stay."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import pytest
from test_service import one_feed_service, running, wait_for
from upstream import Upstream

from aggregator.config import load_settings
from aggregator.settings_watch import SettingsWatch

GOOD = '[schedule]\ninterval = "15m"\n'
BAD = '[schedule]\ninterval = "banana"\n'


def said(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    """The settings file's lines logged since the last call."""
    found = [
        (r.levelno, r.getMessage()) for r in caplog.records if "settings file" in r.getMessage()
    ]
    caplog.clear()
    return found


def _edit(path: Path, text: str, stamp: int) -> None:
    """Write `text` with its own modification time (an edit within the clock's grain is one)."""
    path.write_text(text)
    os.utime(path, ns=(stamp, stamp))


def test_each_edit_is_said_once_and_a_reload_says_one_not_applied_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "aggregator.toml"
    path.write_text(GOOD)
    watch = SettingsWatch(path, load_settings(path, {}), {})
    caplog.set_level(logging.INFO, logger="aggregator")

    watch.check()
    assert said(caplog) == []  # nothing edited: nothing said (and no reading)

    _edit(path, BAD, 10**18)
    watch.check()
    [(level, line)] = said(caplog)
    assert level == logging.ERROR
    assert "banana" in line and "the running settings stay" in line
    assert "a restart would stop at this" in line
    watch.check()
    assert said(caplog) == []  # said once
    watch.check(reloading=True)
    assert [level for level, _ in said(caplog)] == [logging.ERROR]  # a reload: said again

    _edit(path, GOOD.replace("15m", "5m"), 2 * 10**18)
    watch.check()
    [(level, line)] = said(caplog)
    assert level == logging.WARNING and "take effect on a restart" in line
    watch.check(reloading=True)
    assert [level for level, _ in said(caplog)] == [logging.WARNING]

    _edit(path, "# the defaults\n" + GOOD, 3 * 10**18)
    watch.check()
    assert said(caplog) == [
        (logging.INFO, f"settings file {path} edited; its settings are those running")
    ]
    watch.check(reloading=True)
    assert said(caplog) == []  # nothing waits for a restart

    path.unlink()
    watch.check()
    [(level, line)] = said(caplog)
    assert level == logging.ERROR and "no settings file there" in line


def test_a_running_service_says_a_bad_edit_and_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Run with a settings file edited to a bad value: `run` had said nothing (its settings are
    read at start), and the next restart stopped at it."""
    path = tmp_path / "aggregator.toml"
    path.write_text(GOOD)
    caplog.set_level(logging.INFO, logger="aggregator")

    async def scenario() -> bool:
        async with Upstream() as up:
            _, service = one_feed_service(up, tmp_path)
            service.settings_watch = SettingsWatch(path, load_settings(path, {}), {})
            async with running(service) as task:
                await wait_for(lambda: service.store.reader().health()["last_poll_at"])
                _edit(path, BAD, 10**18)
                await wait_for(lambda: any(r.levelno == logging.ERROR for r in caplog.records))
                await asyncio.sleep(0.5)  # (two more ticks)
                return task.done()

    assert asyncio.run(scenario()) is False  # still running, on the settings it started with
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "banana" in errors[0] and "restart would stop" in errors[0]
