"""A worker process's loop (`worker_pool`): read a task, run it, answer, until the pipe closes.

Imports nothing of the project: each task's function is imported when its task is unpickled,
so a worker loads only the modules its work needs.
"""

from __future__ import annotations

import os
import pickle
import signal
from typing import IO

__all__ = ["serve"]

HEADER = 8  # a message's length, little-endian, before its pickle


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
    """Answer each `(function, args)` read from `tasks_fd` with `(True, result)` or
    `(False, exception)` on `answers_fd`; return when the pool closes its end. An exception
    that cannot be pickled is sent as a RuntimeError naming it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # (Ctrl-C stops the parent; its pipe ends us)
    with os.fdopen(tasks_fd, "rb") as tasks, os.fdopen(answers_fd, "wb") as answers:
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
