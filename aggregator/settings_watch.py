"""The settings file `run` started with, followed: its settings take effect only on a restart,
so an edit is said when seen (at each tick, a reload's included) as waiting for one, and an edit
a restart would stop at (a bad value, a deleted file) is said as an error as soon as it is
saved, while the running settings stay in force. A file seen changed is read once it holds still
(`file_settle`): an editor's save in steps is not said as the error its half-way state reads as."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from .config import Settings, load_settings
from .errors import ConfigError
from .file_settle import Pause, Settling

__all__ = ["SettingsWatch", "edit_said"]

log = logging.getLogger("aggregator")

Stamp = tuple[int, int, int] | None  # the file's (inode, size, mtime_ns); None: no file


def edit_said(path: Path, started: Settings, edited: Settings | ConfigError) -> tuple[int, str]:
    """The log level and line for an edit of the settings file `path` that `run` started with
    (`started`, as read then): `edited` is the file's settings now, or why they cannot be read."""
    if isinstance(edited, ConfigError):
        return logging.ERROR, (
            f"settings file edited: {edited}; the running settings stay, but a restart would "
            "stop at this (exit 2): mend it before one (`aggregator check` says when it reads)"
        )
    if edited == started:
        return logging.INFO, f"settings file {path} edited; its settings are those running"
    return logging.WARNING, (
        f"settings file {path} edited; its new settings take effect on a restart "
        "(`systemctl restart aggregator`), not on a reload"
    )


class SettingsWatch:
    """Says each edit of the settings file `path` once, as `edit_said` words it; `pause` waits
    between looks at a changed file (`held_still`; tests pass one that saves the next step)."""

    def __init__(
        self,
        path: Path | None,
        started: Settings,
        env: Mapping[str, str],
        pause: Pause = asyncio.sleep,
    ) -> None:
        self.path, self.started, self.env, self.pause = path, started, env, pause
        self._settling = Settling(f"settings file {path}")
        self._seen = self._stamp()

    async def check(self, *, reloading: bool = False) -> None:
        """Log an edit made since the last check (a stat when there is none), once the file
        holds still; `reloading` (SIGHUP: the operator expects the edit to apply) says one not
        yet applied again."""
        if self.path is None:
            return
        stamp = self._stamp()
        changed = stamp != self._seen
        if not (changed or reloading):
            return
        if changed and not await self._settling.held_still(self._stamp, stamp, self.pause):
            return  # still being written: said whole at a later check
        self._seen = self._stamp()
        try:
            edited: Settings | ConfigError = load_settings(self.path, self.env)
        except ConfigError as exc:
            edited = exc
        level, line = edit_said(self.path, self.started, edited)
        if changed or level > logging.INFO:
            log.log(level, "%s", line)

    def _stamp(self) -> Stamp:
        if self.path is None:
            return None
        try:
            found = os.stat(self.path)
        except OSError:
            return None
        return found.st_ino, found.st_size, found.st_mtime_ns
