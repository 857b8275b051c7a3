"""An edit of the settings file `run` started with: said when seen (it waits for a restart), and
one a restart would stop at said as an error, while the running settings stay."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
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


async def _no_pause(seconds: float) -> None:
    return None


def test_each_edit_is_said_once_and_a_reload_says_one_not_applied_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "aggregator.toml"
    path.write_text(GOOD)
    watch = SettingsWatch(path, load_settings(path, {}), {}, _no_pause)
    caplog.set_level(logging.INFO, logger="aggregator")

    asyncio.run(watch.check())
    assert said(caplog) == []  # nothing edited: nothing said (and no reading)

    _edit(path, BAD, 10**18)
    asyncio.run(watch.check())
    [(level, line)] = said(caplog)
    assert level == logging.ERROR
    assert "banana" in line and "the running settings stay" in line
    assert "a restart would stop at this" in line
    asyncio.run(watch.check())
    assert said(caplog) == []  # said once
    asyncio.run(watch.check(reloading=True))
    assert [level for level, _ in said(caplog)] == [logging.ERROR]  # a reload: said again

    _edit(path, GOOD.replace("15m", "5m"), 2 * 10**18)
    asyncio.run(watch.check())
    [(level, line)] = said(caplog)
    assert level == logging.WARNING and "take effect on a restart" in line
    asyncio.run(watch.check(reloading=True))
    assert [level for level, _ in said(caplog)] == [logging.WARNING]

    _edit(path, "# the defaults\n" + GOOD, 3 * 10**18)
    asyncio.run(watch.check())
    assert said(caplog) == [
        (logging.INFO, f"settings file {path} edited; its settings are those running")
    ]
    asyncio.run(watch.check(reloading=True))
    assert said(caplog) == []  # nothing waits for a restart

    path.unlink()
    asyncio.run(watch.check())
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


def _saved_in_steps(path: Path, steps: list[Callable[[], None]]) -> SettingsWatch:
    """A watcher that checks `path` right after the first of an editor's save `steps`, its
    every pause doing the next step (a stamp of its own each: the clock's grain is coarse)."""
    watch = SettingsWatch(path, load_settings(path, {}), {})
    stamps = iter(range(10**18, 2 * 10**18, 10**15))
    todo = list(steps)

    def step() -> None:
        todo.pop(0)()
        if path.exists():
            os.utime(path, ns=(next(stamps), next(stamps)))

    async def pause(seconds: float) -> None:
        if todo:
            step()

    watch.pause = pause
    step()
    asyncio.run(watch.check())
    return watch


def _write(path: Path, text: str) -> Callable[[], None]:
    return lambda: path.write_text(text)


def _rename(path: Path, to: Path) -> Callable[[], None]:
    return lambda: path.rename(to)


def _renamed_over(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    temporary.rename(path)


EDITED = '[schedule]\ninterval = "20m"\n'


@pytest.mark.parametrize(
    "save",
    [
        "truncated, then written",
        "written in two parts",
        "renamed away, then written (vim)",
        "emptied, then written",
        "a temporary file renamed over it",
    ],
)
def test_a_save_in_steps_is_said_once_as_it_ends(
    save: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An editor's save passes through an empty, half-written or missing file: a check at that
    moment had said an error ("invalid TOML", "no settings file there") the saved file never
    had, and then the edit as saved."""
    path = tmp_path / "aggregator.toml"
    path.write_text(GOOD)
    caplog.set_level(logging.INFO, logger="aggregator")
    steps = {
        "truncated, then written": [_write(path, ""), _write(path, EDITED)],
        "written in two parts": [_write(path, EDITED[:20]), _write(path, EDITED)],
        "renamed away, then written (vim)": [
            _rename(path, tmp_path / "aggregator.toml~"),
            _write(path, EDITED[:12]),
            _write(path, EDITED),
        ],
        "emptied, then written": [_write(path, ""), _write(path, EDITED)],
        # (no half-way state: said at once, as before)
        "a temporary file renamed over it": [lambda: _renamed_over(path, EDITED)],
    }[save]
    watch = _saved_in_steps(path, steps)
    [(level, line)] = said(caplog)
    assert level == logging.WARNING and "take effect on a restart" in line
    asyncio.run(watch.check())
    assert said(caplog) == []


def test_a_bad_save_in_steps_is_said_once_as_the_error_it_ends_with(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "aggregator.toml"
    path.write_text(GOOD)
    caplog.set_level(logging.INFO, logger="aggregator")
    _saved_in_steps(path, [_write(path, ""), _write(path, BAD[:10]), _write(path, BAD)])
    [(level, line)] = said(caplog)
    assert level == logging.ERROR and "banana" in line


def test_a_file_still_being_written_is_said_at_a_later_check(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file that changes at every look (a save slower than the looks) is not read until it
    holds still: nothing said of its half-way states, the whole edit said when it is done."""
    path = tmp_path / "aggregator.toml"
    path.write_text(GOOD)
    caplog.set_level(logging.INFO, logger="aggregator")
    growing = [_write(path, BAD[: n + 1]) for n in range(12)]
    watch = _saved_in_steps(path, growing)
    assert said(caplog) == []
    path.write_text(EDITED)
    watch.pause = _no_pause
    asyncio.run(watch.check())
    [(level, _)] = said(caplog)
    assert level == logging.WARNING


def test_a_file_that_never_holds_still_is_said_once_and_read_when_it_does(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Rewritten at every look (something rewriting it without end, no editor's save), the
    file had been left to the next check at every check, its edit never said nor why: a second
    of the scheduler's loop each tick, and silence. Said once; read once it holds still."""
    path = tmp_path / "aggregator.toml"
    path.write_text(GOOD)
    caplog.set_level(logging.INFO, logger="aggregator")
    watch = SettingsWatch(path, load_settings(path, {}), {})
    stamps = iter(range(10**18, 2 * 10**18, 10**15))

    async def rewrite(seconds: float) -> None:
        _edit(path, EDITED, next(stamps))

    watch.pause = rewrite
    for _ in range(3):
        _edit(path, EDITED, next(stamps))
        asyncio.run(watch.check())
    [(level, line)] = said(caplog)
    assert level == logging.WARNING
    assert f"settings file {path} keeps changing" in line and "once it holds still" in line
    watch.pause = _no_pause
    _edit(path, EDITED, next(stamps))
    asyncio.run(watch.check())
    [(level, line)] = said(caplog)
    assert level == logging.WARNING and "take effect on a restart" in line
