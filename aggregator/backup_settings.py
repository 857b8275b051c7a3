"""`[backup]` settings, kept apart from `backup_job` so reading the configuration does not
import the job (and asyncio) for every command."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class BackupSettings:
    """`[backup]`: scheduled copies of the database (off while `dir` is empty)."""

    dir: str = ""  # where the dated copies go; relative: to the database's directory
    every: timedelta = timedelta(days=1)  # how often
    keep: int = 7  # the newest this many copies are kept, older ones removed
