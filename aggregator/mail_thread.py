"""Blocking mail conversations (SMTP sends, the bounce mailbox's IMAP read) run off the event
loop in threads the process does not wait for at exit.

`asyncio.to_thread` runs a call in the loop's default executor, and `asyncio.run` joins that
executor's threads before it returns, so a conversation with a server that has stopped
answering holds the exit of `run` for up to the mail timeout a step (30 s by default): well past
`shutdown_grace`, and past what systemd is told to wait. A cancelled wait here returns at once
and the process exits without the thread. That loses nothing: the bounce mailbox is read
read-only and what a read found is recorded only after it returns; an SMTP conversation cut
short leaves no message (a server keeps one only at the end of its DATA), and a digest's
delivery is recorded only after the send returns, so the next run sends what was not recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

__all__ = ["in_mail_thread"]

P = ParamSpec("P")
T = TypeVar("T")


async def in_mail_thread(call: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`call(*args, **kwargs)` in a daemon thread of its own; its result or its exception.
    Cancelling the wait leaves the thread to finish or be dropped at the process's exit."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if answer.done():  # (a cancelled wait: nobody reads it)
            return
        if error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(result)  # type: ignore[arg-type]

    context = contextvars.copy_context()  # (as `asyncio.to_thread` gives it)

    def converse() -> None:
        result: T | None = None
        error: BaseException | None = None
        try:
            result = context.run(call, *args, **kwargs)
        except BaseException as exc:  # (handed to the waiting task, as to_thread would)
            error = exc
        with contextlib.suppress(RuntimeError):  # (the loop closed meanwhile)
            loop.call_soon_threadsafe(settle, result, error)

    name = f"mail-{getattr(call, '__name__', 'call')}"
    threading.Thread(target=converse, name=name, daemon=True).start()
    return await answer
