"""One writing process per database: an exclusive lock file beside it (`<db>.lock`).

SQLite serialises single writes, but two pollers on one database would interleave whole poll
cycles, fight over the write lock and poll every feed twice. So the commands that write (`run`,
`poll`, `cluster --db`) take this lock first. A one-shot command (`poll --once`,
`cluster --db`) queues behind another one-shot holder; anything started while a long-running
`run`/`poll` holds the lock stops at once with a clear message.
The lock is an `flock`, so the kernel releases it when its holder dies: a crash or SIGKILL
leaves no stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .early_signals import StoppedStarting, stop_asked
from .errors import StorageError
from .private_files import beside_mode, open_file

log = logging.getLogger("aggregator")

DEFAULT_WAIT = 600.0  # seconds a one-shot command queues behind another before giving up
UNNAMED_GRACE = 1.0  # seconds to wait for a new holder to write its name before announcing it


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds the lock, as it wrote itself into the lock file."""

    pid: int | None
    command: str  # e.g. "run", "poll", "poll --once"
    opml: str | None = None  # the sources file a service reads (absolute, as given); None: unsaid

    @property
    def long_running(self) -> bool:
        return self.command in {"run", "poll"}

    def describe(self) -> str:
        pid = f"pid {self.pid}" if self.pid else "unknown pid"
        return f"`aggregator {self.command}` ({pid})"


def lock_path(db_path: Path | str) -> Path:
    return Path(f"{db_path}.lock")


def _stop_first(command: str) -> str:
    """What to do when a service holds the lock: a poll may leave the polling to it; the
    other commands (`restore`, `compact`, …) need it stopped, which under systemd is a unit's."""
    if command.split()[0] in {"run", "poll"}:
        return "stop it first (or let it do the polling)"
    return "stop it first (under systemd: `sudo systemctl stop aggregator`), then run this again"


def _read_holder(handle: int) -> Holder:
    try:
        os.lseek(handle, 0, os.SEEK_SET)
        data = json.loads(os.read(handle, 4096) or b"{}")
        return _holder(data)
    except (OSError, ValueError, AttributeError):
        return Holder(None, "?")


def _holder(data: dict[str, object]) -> Holder:
    """The holder a lock file's JSON names."""
    pid, opml = data.get("pid"), data.get("opml")
    return Holder(
        pid if isinstance(pid, int) else None,
        str(data.get("command") or "?"),
        opml if isinstance(opml, str) else None,
    )


@contextlib.contextmanager
def writer_lock(
    db_path: Path | str,
    command: str,
    *,
    wait: float = DEFAULT_WAIT,
    sleep: Callable[[float], None] = time.sleep,
    opml: Path | str | None = None,
) -> Iterator[None]:
    """Hold the database's writer lock for the block; raise StorageError when it can't be had,
    and StoppedStarting when a service that waits for it is asked to stop. A service names
    the sources file it reads (`opml`), for `add` and `remove` to tell whether it sees their
    edits (`service_on`)."""
    if str(db_path) == ":memory:":
        yield
        return
    path = lock_path(db_path)
    try:
        # (never through a link: whoever owns the directory could point one at any file,
        # which a root command would then truncate and give away: `_give_to_owner`; a new
        # one as readable as the database, whatever the umask: `private_files`)
        handle = open_file(path, os.O_RDWR | os.O_NOFOLLOW, beside_mode(db_path))
    except OSError as exc:
        folder = path.parent
        if path.is_symlink():
            raise StorageError(
                f"{path}: is a symbolic link, not a lock file of its own (remove it)"
            ) from exc
        if isinstance(exc, FileNotFoundError) and not folder.is_dir():
            # (a typo'd --db, or a directory not made yet: said as that, not as a lock file)
            raise StorageError(
                f"{db_path}: no directory {folder} (check --db, or make it)"
            ) from exc
        raise StorageError(f"{path}: cannot create lock file: {exc.strerror or exc}") from exc
    _give_to_owner(handle, Path(db_path))
    try:
        started = time.monotonic()
        deadline = started + wait
        announced = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _read_holder(handle)
                if holder.long_running:
                    raise StorageError(
                        f"{db_path}: {holder.describe()} is already running on this database; "
                        f"{_stop_first(command)}"
                    ) from None
                if stop_asked():  # (a service's start held a SIGTERM: `early_signals`)
                    raise StoppedStarting(
                        f"stopping: SIGTERM while waiting for {holder.describe()} to finish "
                        f"with {db_path}"
                    ) from None
                if time.monotonic() >= deadline:
                    raise StorageError(
                        f"{db_path}: still in use by {holder.describe()} after {wait:g} s"
                    ) from None
                # A holder that has not written its name yet is between taking the lock and
                # saying who it is: name it once it has (or after a second, unnamed).
                known = holder.command != "?" or time.monotonic() - started >= UNNAMED_GRACE
                if known and not announced:
                    log.info("waiting for %s to finish with %s", holder.describe(), db_path)
                    announced = True
                sleep(0.2)
        os.ftruncate(handle, 0)
        os.lseek(handle, 0, os.SEEK_SET)
        named: dict[str, object] = {"pid": os.getpid(), "command": command}
        if opml is not None:
            # (as given, made absolute, not resolved: the service opens this path each tick,
            # so a link to it moved since leads to what it reads now: `same_file`)
            named["opml"] = os.path.abspath(opml)
        os.write(handle, json.dumps(named).encode())
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(handle, 0)
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


def _give_to_owner(handle: int, db_path: Path) -> None:
    """As root (`sudo aggregator compact`, `restore`, …), leave the lock file to the owner of
    the database (of its directory, before there is one), as SQLite leaves its -wal and -shm
    files: a lock file of root's is one the service's own user cannot open, and the service
    would not start."""
    if os.geteuid() != 0:
        return
    try:
        owner = db_path.stat() if db_path.exists() else db_path.resolve().parent.stat()
        made = os.fstat(handle)
        if not stat.S_ISREG(made.st_mode) or made.st_nlink != 1:
            return  # (a file with other names, a hard link to one not ours: never given away)
        if (made.st_uid, made.st_gid) != (owner.st_uid, owner.st_gid):
            os.fchown(handle, owner.st_uid, owner.st_gid)
    except OSError:  # (a file system without owners: the lock works all the same)
        pass


def polling(db_path: Path | str) -> bool:
    """Whether a long-running `run` (or `poll`) may hold the database's writer lock now, as
    its lock file says: a holder's name is cleared when it lets go, and one that died (a
    crash, SIGKILL, a stop that timed out) left the process id of a process gone. True when
    it cannot be told (a lock file that cannot be read, a holder not named)."""
    return service_on(db_path) is not None


def service_on(db_path: Path | str) -> Holder | None:
    """The long-running `run` (or `poll`) that holds the database's writer lock now, as its
    lock file names it (see `polling`); None when none does. A holder of unknown command
    (`Holder(None, "?")`) when it cannot be told."""
    try:
        data = json.loads(lock_path(db_path).read_bytes() or b"{}")
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return Holder(None, "?")
    if not isinstance(data, dict):
        return Holder(None, "?")
    if data.get("command") not in {"run", "poll"}:
        return None
    holder = _holder(data)
    if holder.pid is None or holder.pid <= 0:
        return Holder(None, "?")
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return None
    except OSError:  # (another user's process: alive)
        return holder
    return holder
