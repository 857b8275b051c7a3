"""Signals that come while `run` or `poll` starts (imports, settings, the database's
migrations), before its event loop takes them over: their default actions had ended the
process mid-start (SIGTERM: exit 143, SIGHUP: 129). A SIGTERM is noted and the service
stops as soon as its loop runs (exit 0, as a later one); a SIGHUP is dropped (the sources
are read at start anyway). A Ctrl-C (SIGINT) while the program loads ends it at once, 130,
without the traceback of a KeyboardInterrupt raised inside an import (`_interrupted`); from
`cli.main` on it raises KeyboardInterrupt again, which `main` turns into 130.

They are held from the first line of the package when the process is the `aggregator`
program running a service (`hold_from_start`, called by `aggregator/__init__`), and by
`cli.main` for the command it runs (`held_while_starting`). This module imports only what
the interpreter has already loaded, so the hold comes before any of the start's imports.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # (`signal` without its enums: loaded already)
import itertools
import sys

TYPE_CHECKING = False  # (as `typing`'s, which this module does not load)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType, TracebackType
    from typing import Any

__all__ = [
    "SERVICES",
    "StoppedStarting",
    "held_while_starting",
    "hold_from_start",
    "interrupt_as_usual",
    "program_command",
    "service_command",
    "stop_asked",
]

# The long-running commands (and `poll --once`, a timer's service): a SIGTERM while they start
# stops them once their loop runs.
SERVICES = ("run", "poll", "serve")
_HELD = (_signal.SIGTERM, _signal.SIGHUP)
# The program's own options that take a value, which may come before the command (or any
# prefix of one, as argparse reads them).
_VALUED = ("--log-level", "--log-format")
_noted: set[int] = set()
# The handlers `hold_from_start` replaced (the interpreter's defaults), put back when the
# command's own hold ends (`held_while_starting`): a SIGTERM after it (the process's exit, a
# flush to a stalled pipe) ends the process as it did before the hold.
_from_start: dict[int, Any] = {}


def _note(signum: int, frame: FrameType | None) -> None:
    _noted.add(signum)


class StoppedStarting(Exception):  # (a stop, not a fault: the program exits 0)
    """A service's start that waits (for the database's writer lock) ends so on a SIGTERM
    noted meanwhile, rather than waiting on with the stop unheeded: its message is logged."""


def stop_asked() -> bool:
    """Whether a SIGTERM came before the event loop took the signal over."""
    return _signal.SIGTERM in _noted


def program_command(argv: Sequence[str], orig_argv: Sequence[str]) -> bool:
    """Whether the process's command line (`sys.argv`, `sys.orig_argv`) is the `aggregator`
    program's (its script, or `python -m aggregator`), whatever its command."""
    program = argv[0].rsplit("/", 1)[-1] if argv else ""
    as_module = any(a == "-m" and b == "aggregator" for a, b in itertools.pairwise(orig_argv))
    return program == "aggregator" or (program == "-m" and as_module)


def service_command(argv: Sequence[str], orig_argv: Sequence[str]) -> bool:
    """Whether the process's command line (`sys.argv`, `sys.orig_argv`) is the `aggregator`
    program (its script, or `python -m aggregator`) running one of `SERVICES`."""
    if not program_command(argv, orig_argv):
        return False
    words = iter(argv[1:])
    for word in words:
        if word.startswith("--log-") and any(v.startswith(word) for v in _VALUED):
            next(words, None)  # (argparse takes a prefix: `--log-l debug`)
        elif not word.startswith("-"):
            return word in SERVICES
    return False


def _interrupted(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C while the program loads, before `cli.main`: the interpreter's KeyboardInterrupt
    came out of whatever import ran, a traceback of it; the program now ends at once, 130
    (as `main` returns for one), saying nothing. Nothing is written yet to lose."""
    raise SystemExit(130)


def hold_from_start() -> None:
    """When this process is the program (an embedding program, or a test, that imports the
    package is left alone): a Ctrl-C ends it quietly (`_interrupted`) until `cli.main`
    (`interrupt_as_usual`), unless SIGINT was ignored (a job started in the background), and
    when it starts a service, SIGTERM is noted and SIGHUP dropped from now on. Only the
    interpreter's own start comes before this; a SIGTERM then ends the process as a signal
    does, which systemd counts as a clean stop of a service."""
    argv, orig_argv = sys.argv, getattr(sys, "orig_argv", ())
    if not program_command(argv, orig_argv):
        return
    # (Imported on another thread, the first handler set raises ValueError, signals being the
    # main thread's: the package loads, holding nothing. With SIGINT ignored, that first one
    # is SIGTERM's.)
    try:
        if _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:
            _signal.signal(_signal.SIGINT, _interrupted)
        if not service_command(argv, orig_argv):
            return
        for sig in _HELD:
            before = _signal.signal(sig, _note)
            if before is not _note:
                _from_start[sig] = before
    except ValueError:
        return


def interrupt_as_usual() -> None:
    """The program's command begins (`cli.main`): a Ctrl-C raises KeyboardInterrupt again, the
    interpreter's default, for `main` to turn into 130 and a service's loop to take over."""
    if _signal.getsignal(_signal.SIGINT) is _interrupted:
        try:  # noqa: SIM105 (`contextlib` is not loaded yet when the package starts)
            _signal.signal(_signal.SIGINT, _signal.default_int_handler)
        except ValueError:  # (`main` run on another thread: the main thread's handler stays)
            pass


class held_while_starting:  # (named as the function it was: `with held_while_starting():`)
    """SIGTERM and SIGHUP noted, not acted on, until the loop takes them (its handlers replace
    these); the handlers from before are back afterwards, those from before the program's own
    hold (`hold_from_start`) when it held them. A SIGTERM noted since the program began stays
    noted. Only in the main thread (a command run on another thread, as an embedding caller
    may, takes no signals)."""

    def __init__(self) -> None:
        self.before: dict[int, Any] = {}

    def __enter__(self) -> None:
        held = all(_signal.getsignal(sig) is _note for sig in _HELD)
        try:
            before = {sig: _signal.signal(sig, _note) for sig in _HELD}
        except ValueError:  # (not the main thread)
            return
        # (the program's hold from its first line ends with the command's: the defaults back)
        self.before = {
            sig: _from_start.pop(sig, handler) if handler is _note else handler
            for sig, handler in before.items()
        }
        if not held:
            _noted.clear()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for sig, handler in self.before.items():
            _signal.signal(sig, handler)
        _noted.clear()
