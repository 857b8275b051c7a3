"""Backups on a schedule (`[backup]`): the service copies its database into a directory every
`every`, as `aggregator backup DIR/` does, and keeps the newest `keep` of those copies.

Off until `dir` is set. A relative `dir` is taken from the database's own directory (so
`dir = "backups"` under the systemd unit is `/var/lib/aggregator/backups`, which the unit may
write). Older copies are removed only after a new one passed its integrity check, and only
files with the dated names backups get: a damaged database (whose copy fails the check) never
rotates the good copies out. A pure decision (`is_due`, `surplus`) and the IO around it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .backup_settings import BackupSettings
from .errors import StorageError
from .health import BACKUP_AT, BACKUP_FAILED, backup_record, failure_record
from .private_files import make_dirs

if TYPE_CHECKING:
    from .store_upkeep import Stopping

log = logging.getLogger("aggregator")

RETRY_AFTER = timedelta(hours=1)  # a failed backup is tried again this much later (or `every`)
_DATED = re.compile(r"^aggregator-(\d{8}T\d{6}Z)(?:-(\d+))?\.db$")


def is_due(
    last: datetime | None, failed: datetime | None, now: datetime, settings: BackupSettings
) -> bool:
    """Whether a backup should be taken now: `every` after the last one, and not within
    `RETRY_AFTER` (nor `every`, when shorter) of a failed attempt. A time in the future (a
    clock set back) counts as due. Pure."""
    if not settings.dir:
        return False
    if failed is not None and now >= failed and (last is None or failed > last):
        return now - failed >= min(RETRY_AFTER, settings.every)
    return last is None or last > now or now - last >= settings.every


def surplus(names: Iterable[str], keep: int, now: datetime | None = None) -> list[str]:
    """The dated backup files beyond the newest `keep`, oldest first; a name that is not a
    dated backup's is never among them. A copy dated after `now` was taken while the clock
    ran ahead (it was set back since): it is older than any dated up to now, the copy just
    taken among them (ranked newest by its date, it had had the one just taken removed at
    once, every day). Pure."""
    stamp = None if now is None else now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    dated = []
    for name in names:
        found = _DATED.match(name)
        if found:
            ahead = stamp is not None and found.group(1) > stamp
            dated.append(((not ahead, found.group(1), int(found.group(2) or 1)), name))
    dated.sort()
    return [name for _, name in dated[: max(0, len(dated) - keep)]]


def backup_dir(db_path: Path, settings: BackupSettings) -> Path:
    """Where the copies go: `dir`, from the database's directory when relative."""
    where = Path(settings.dir).expanduser()
    return where if where.is_absolute() else db_path.parent / where


@dataclass(frozen=True, slots=True)
class BackupDone:
    path: Path
    bytes: int
    seconds: float
    removed: list[str]


class BackupJob:
    """Takes the scheduled backup when due, off the event loop; `write` runs a function on
    the service's writer thread (the meta keys)."""

    def __init__(
        self,
        store: Any,
        db_path: Path,
        write: Callable[..., Awaitable[Any]],
        settings: BackupSettings,
        clock: Callable[[], datetime],
        stopping: Stopping | None = None,
    ) -> None:
        self.store = store
        self.db_path = db_path
        self.write = write
        self.settings = settings
        self.clock = clock
        self.stopping = stopping  # (set by a stop: a copy under way ends at its next step)

    async def run_if_due(self) -> BackupDone | None:
        """The backup when due; None when not due, or stopped by `stopping` (nothing is left
        of it, and no failure recorded: the next start takes it)."""
        from .store_upkeep import CopyStopped, backup

        now = self.clock()
        last, failed, _ = backup_record(
            await self.write(self.store.meta_values, (BACKUP_AT, BACKUP_FAILED))
        )
        if not is_due(last, failed, now, self.settings):
            return None
        where = backup_dir(self.db_path, self.settings)
        started = time.monotonic()
        try:
            await asyncio.to_thread(make_dirs, where)  # (0700: `private_files`)
            report = await asyncio.to_thread(backup, self.db_path, where, now, self.stopping)
        except CopyStopped:
            log.info("backup stopped: the service stops; no copy written")
            return None
        except (StorageError, OSError) as exc:
            error = str(exc) if isinstance(exc, StorageError) else f"{where}: {exc.strerror}"
            await self.write(self.store.set_meta, BACKUP_FAILED, failure_record(now, error))
            raise StorageError(error) from exc
        removed = []
        own = self.db_path.resolve()  # (a database named as a dated copy, in that directory)
        names = (p.name for p in where.iterdir() if p.resolve() != own)
        for name in surplus(names, self.settings.keep, now):
            try:
                (where / name).unlink()
                removed.append(name)
            except OSError as exc:
                log.warning("backup: cannot remove %s: %s", where / name, exc.strerror or exc)
        await self.write(self.store.set_meta, BACKUP_AT, now.isoformat())
        done = BackupDone(report.path, report.bytes, time.monotonic() - started, removed)
        log.info(
            "backup path=%s bytes=%d seconds=%.1f removed=%d",
            done.path,
            done.bytes,
            done.seconds,
            len(removed),
            extra={
                "fields": {
                    "event": "backup",
                    "path": str(done.path),
                    "bytes": done.bytes,
                    "seconds": round(done.seconds, 1),
                    "removed": len(removed),
                }
            },
        )
        return done

    async def run_logged(self) -> None:
        """`run_if_due` as the service runs it: a failure is logged (and kept for `status`),
        and tried again an hour later."""
        try:
            await self.run_if_due()
        except StorageError as exc:
            log.error(
                "backup status=error error=%r; trying again in %s",
                str(exc),
                _hours(min(RETRY_AFTER, self.settings.every)),
            )
        except Exception:  # a bug must not end the service (it would, at every start)
            log.exception("backup status=error; trying again after the next cycle")


def _hours(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"
