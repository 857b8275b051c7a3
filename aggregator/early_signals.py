"""Signals that come while `run` or `poll` starts (imports, settings, the database's
migrations), before its event loop takes them over: their default actions had ended the
process mid-start (SIGTERM: exit 143, SIGHUP: 129). A SIGTERM is noted and the service
stops as soon as its loop runs (exit 0, as a later one); a SIGHUP is dropped (the sources
are read at start anyway)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["held_while_starting", "stop_asked"]

_HELD = (signal.SIGTERM, signal.SIGHUP)
_noted: set[int] = set()


def _note(signum: int, frame: FrameType | None) -> None:
    _noted.add(signum)


def stop_asked() -> bool:
    """Whether a SIGTERM came before the event loop took the signal over."""
    return signal.SIGTERM in _noted


@contextlib.contextmanager
def held_while_starting() -> Iterator[None]:
    """SIGTERM and SIGHUP noted, not acted on, until the loop takes them (its handlers replace
    these); the handlers from before are back afterwards. Only in the main thread (a command
    run on another thread, as an embedding caller may, takes no signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _noted.clear()
    before = {sig: signal.signal(sig, _note) for sig in _HELD}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
        _noted.clear()
