"""A worker process's loop (`worker_pool`): read a task, run it, answer, until the pipe closes.

Imports nothing of the project: each task's function is imported when its task is unpickled,
so a worker loads only the modules its work needs. Its first message says which code it runs
(`code_stamp`): a worker started after the package was upgraded on disk imports code its
service did not load, and the pool does not use it (`worker_pool`).
"""

from __future__ import annotations

import os
import signal
from typing import IO

__all__ = ["serve"]

HEADER = 8  # a message's length, little-endian, before its pickle
READY = b"ready "  # a worker's first message, before its code stamp

PACKAGE = os.path.dirname(os.path.abspath(__file__))  # the package's folder
_stamp: bytes | None = None  # this process's `code_stamp`, taken once
_source: bytes | None = None  # ... and `package_source`, taken with it


def code_stamp(*, contents: bool = True) -> bytes:
    """What this process's package is, taken the first time it is asked (a service asks at
    its start, `Service`): each module file's name, size and time of change, hashed. A
    worker's differs from its service's once the files changed on disk (an upgrade with pip,
    an edited checkout), though the version may be the same. With `contents` the files'
    contents are hashed too (`code_source`): files written again as they were (a reinstall
    of the same code) change the stamp, not the code. A pass that ends its process (`poll
    --once`) leaves them out: reading ~2 MB of sources cost every cron run ~6 ms, and its
    workers after a reinstall in its seconds are only left for in-place parsing."""
    global _stamp, _source
    if _stamp is None:
        _source = package_source(PACKAGE) if contents else b""
        _stamp = package_stamp(PACKAGE)
    return _stamp


def code_source() -> bytes:
    """The hash of the package's module files' contents when `code_stamp` was taken (b"":
    not taken, so no other stamp is known to be of the same code)."""
    code_stamp()
    return _source or b""


def package_source(folder: str) -> bytes:
    """The hash of the contents of the module files in `folder` as they are now (b"": they
    cannot all be read, as in a zip archive or while pip moves them)."""
    from hashlib import blake2b

    hashed = blake2b(digest_size=16)
    try:
        with os.scandir(folder) as entries:
            paths = sorted(entry.path for entry in entries if entry.name.endswith(".py"))
        for path in paths:
            with open(path, "rb") as module:
                hashed.update(
                    b"%s %d\n"
                    % (os.path.basename(path).encode(), os.fstat(module.fileno()).st_size)
                )
                hashed.update(module.read())
    except OSError:
        return b""
    return hashed.hexdigest().encode()


def package_stamp(folder: str) -> bytes:
    """The stamp of the package in `folder` as it is on disk now (see `code_stamp`). Never
    raises: a folder that cannot be read (pip moves the old files aside before it writes the
    new ones) has a stamp of its own, and a package inside a zip archive is its archive's."""
    try:
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - a Python built without its own blake2
        from hashlib import blake2b
    files: list[tuple[str, int, int]]
    try:
        with os.scandir(folder) as entries:
            files = sorted(
                (entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
                for entry in entries
                if entry.name.endswith(".py")
            )
    except NotADirectoryError:  # (a package imported from a zip archive: the archive's own)
        files = [_archive(folder)]
    except OSError as exc:  # (gone, or going: pip moves the old files aside, then writes)
        files = [("unreadable", exc.errno or 0, 0)]
    return blake2b(repr(files).encode(), digest_size=16).hexdigest().encode()


def _archive(folder: str) -> tuple[str, int, int]:
    """The name, size and time of change of the zip archive `folder` is inside."""
    path = folder
    while not os.path.isfile(path):
        parent = os.path.dirname(path)
        if parent == path:
            return ("unreadable", 0, 0)
        path = parent
    try:
        stat = os.stat(path)
    except OSError as exc:
        return ("unreadable", exc.errno or 0, 0)
    return (path, stat.st_size, stat.st_mtime_ns)


def _read(stream: IO[bytes]) -> bytes | None:
    head = stream.read(HEADER)
    if len(head) < HEADER:
        return None  # the pool closed the pipe (or died): nothing more to do
    size = int.from_bytes(head, "little")
    data = stream.read(size)
    return data if len(data) == size else None


def write_message(stream: IO[bytes], data: bytes) -> None:
    stream.write(len(data).to_bytes(HEADER, "little"))
    stream.write(data)
    stream.flush()


def read_message(stream: IO[bytes]) -> bytes | None:
    """The next message on `stream`; None at its end."""
    return _read(stream)


def serve(tasks_fd: int, answers_fd: int) -> None:
    """Say `READY` and the code stamp on `answers_fd`, then answer each `(function, args)`
    read from `tasks_fd` with `(True, result)` or `(False, exception)`; return when the pool
    closes its end. An exception that cannot be pickled is sent as a RuntimeError naming it."""
    import pickle  # (here: a service imports this module for `code_stamp` alone)

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # (Ctrl-C stops the parent; its pipe ends us)
    with os.fdopen(tasks_fd, "rb") as tasks, os.fdopen(answers_fd, "wb") as answers:
        write_message(answers, READY + package_stamp(PACKAGE))
        while (message := _read(tasks)) is not None:
            try:
                function, args = pickle.loads(message)
                answer = pickle.dumps((True, function(*args)), pickle.HIGHEST_PROTOCOL)
            except Exception as exc:
                try:
                    answer = pickle.dumps((False, exc), pickle.HIGHEST_PROTOCOL)
                except Exception:
                    error = RuntimeError(f"{type(exc).__name__}: {exc}")
                    answer = pickle.dumps((False, error), pickle.HIGHEST_PROTOCOL)
            del message
            write_message(answers, answer)
            del answer
