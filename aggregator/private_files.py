"""The files the service makes that hold private data are its owner's alone, whatever the umask.

The database holds the sign-up signing key, readers' addresses and feeds' logins. The
systemd unit's `UMask=0077` kept it private, but a command run from a shell (umask 022) had
made a new one, and what lives beside it, readable by every local user. A file made here gets
its mode exactly (`fchmod`, past the umask): a new database 0600 (SQLite then gives its
-wal and -shm the database's mode), a file beside the database the database's own mode
(`beside_mode`), a directory 0700. A file or directory that is there already keeps the mode
its operator gave it. The published export is not private: `export` makes it readable by all.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

__all__ = [
    "PRIVATE",
    "PRIVATE_DIR",
    "beside_mode",
    "create_file",
    "give_to_owner_of",
    "make_dirs",
    "open_file",
    "reachable_by_others",
    "readable_by_others",
    "set_mode",
]

PRIVATE = 0o600
PRIVATE_DIR = 0o700


def set_mode(made: int | str | Path, mode: int) -> None:
    """Give the file or directory just made (a handle, or its path) exactly `mode`, past the
    umask. A file system that keeps no modes (vfat, exFAT) refuses the change (EPERM, as
    it would to no owner): what it made stays as it gives it."""
    try:
        os.chmod(made, mode)
    except OSError as exc:
        if exc.errno not in {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP}:
            raise


def readable_by_others(mode: int) -> bool:
    """Whether a file of `mode` is readable by users neither its owner nor of its group."""
    return bool(mode & stat.S_IROTH)


def reachable_by_others(path: str | Path) -> bool:
    """Whether users neither owner nor of the group of each directory above `path` (its
    links followed) may pass through them all to it: a directory closed to them (the unit's
    DynamicUser keeps its state under /var/lib/private, 0700) keeps what is in it private,
    whatever the files' own modes."""
    for directory in Path(path).resolve().parents:
        try:
            if not os.stat(directory).st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


def beside_mode(db_path: str | Path) -> int:
    """The mode of a new file beside the database (its lock file, its grouping snapshot):
    the database's own, as SQLite gives it to the -wal and -shm (a group that may read the
    database may read them); PRIVATE before there is a database."""
    try:
        return os.stat(db_path).st_mode & 0o666
    except OSError:
        return PRIVATE


def open_file(path: str | Path, flags: int, mode: int = PRIVATE) -> int:
    """`os.open(path, flags | O_CREAT)`, where a file it makes gets exactly `mode` and one
    that is there keeps its own. `flags` may hold O_NOFOLLOW (a link there then fails)."""
    for _ in range(3):  # (a file removed between the two opens is made again)
        try:
            handle = os.open(path, flags | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            try:
                return os.open(path, flags & ~os.O_CREAT)
            except FileNotFoundError:
                continue
        try:
            set_mode(handle, mode)
        except BaseException:
            os.close(handle)
            raise
        return handle
    return os.open(path, flags | os.O_CREAT, mode)


def create_file(path: str | Path, mode: int = PRIVATE) -> bool:
    """Make `path` an empty file of exactly `mode`; False, and nothing changed, when
    something has the name already (a link included, even one that leads nowhere)."""
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return False
    try:
        set_mode(handle, mode)
    finally:
        os.close(handle)
    return True


def give_to_owner_of(handle: int, like: str | Path) -> None:
    """As root, give the file just made (`handle`) to the owner of `like` (the database), as
    SQLite gives its -wal and -shm: a file of root's as private as the database is one the
    service's own user cannot read. Nothing otherwise, nor on a file system without owners."""
    if os.geteuid() != 0:
        return
    with contextlib.suppress(OSError):
        owner, made = os.stat(like), os.fstat(handle)
        if (made.st_uid, made.st_gid) != (owner.st_uid, owner.st_gid):
            os.fchown(handle, owner.st_uid, owner.st_gid)


def make_dirs(path: str | Path) -> None:
    """Make the directory `path` and those missing above it, each exactly PRIVATE_DIR; those
    there already are left as they are. FileExistsError when `path` is not a directory."""
    path = Path(path)
    missing: list[Path] = []
    above = path
    while not os.path.lexists(above):
        missing.append(above)
        if above.parent == above:
            break
        above = above.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, PRIVATE_DIR)
        except FileExistsError:
            if directory.is_dir():  # (made meanwhile by another process: left as it is)
                continue
            raise
        set_mode(directory, PRIVATE_DIR)
    if not path.is_dir():
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path))
