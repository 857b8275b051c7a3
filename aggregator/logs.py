"""Logging set-up: readable `key=value` lines by default, or one JSON object per line.

Call sites pass their structured fields once, as ``extra=fields(feed=..., status=...)``, next to
the human-readable `key=value` message; the JSON formatter emits those fields as typed values
(for journald's `-o json`, Loki, Elasticsearch …) instead of parsing text.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .url_secrets import hide_passwords

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMATS = ("text", "json")
_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Whether a record's `fields` are read: by the JSON format, or by handlers we did not set up
# (`setup_logging` not called: a program embedding ours, tests). A call made once per feed
# builds them only then; the text format shows the message alone.
structured = True


def fields(**values: Any) -> dict[str, Any]:
    """`extra=` for a log call: structured fields for the JSON format."""
    return {"fields": values}


class TextFormatter(logging.Formatter):
    """The text format; a line's time is made once a second (its local time and `strftime`
    were a third of what a line cost), with the milliseconds as `logging.Formatter` adds them.
    A URL's password (a private feed's, a proxy's) is shown as `***`, in both formats."""

    _second: tuple[int, str] = (-1, "")  # the last second formatted: (epoch second, text)

    def format(self, record: logging.LogRecord) -> str:
        return hide_passwords(super().format(record))

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        cached, text = self._second
        if second != cached:
            text = time.strftime(self.default_time_format, self.converter(second))
            self._second = (second, text)  # one assignment: threads see a whole pair
        msec = self.default_msec_format  # (as `logging.Formatter.formatTime` reads it)
        return msec % (text, record.msecs) if msec else text


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, then the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            for key, value in extra.items():
                out.setdefault(key, value)
        if record.exc_info:
            out["traceback"] = self.formatException(record.exc_info)
        return hide_passwords(json.dumps(out, ensure_ascii=False, default=str))


_QUOTED_BYTES = re.compile(r"(?:bytearray\()?b['\"]")


class ClientErrors(logging.Filter):
    """aiohttp's server logs a request it cannot parse (a header past 8 KB, a malformed
    request line: the client's fault, which anyone on the internet can send) at ERROR with a
    traceback, save a bad method. On its logger (`aiohttp.server`) this makes such a record
    one INFO line, `bad request from ADDRESS refused (400: REASON)`, kept only where INFO is
    shown; the server's own errors (5xx, a handler's bug) stay as they are."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        code = getattr(exc, "code", None)
        if (
            exc is None
            or not isinstance(code, int)
            or not 400 <= code < 500
            or not any(kind.__name__ == "HttpProcessingError" for kind in type(exc).__mro__)
        ):
            return True
        said = " ".join(str(getattr(exc, "message", "") or type(exc).__name__).split())
        # the request's own bytes aiohttp quotes (an oversized header's value: a reader's
        # Cookie or Authorization for another site behind the same proxy) are not kept
        said = _QUOTED_BYTES.split(said, maxsplit=1)[0].rstrip(" :") or type(exc).__name__
        remote = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        _one_line(
            record, logging.INFO, "bad request from %s refused (%d: %s)", remote, code, said[:200]
        )
        return logging.getLogger().isEnabledFor(logging.INFO)


class AcceptFailures(logging.Filter):
    """asyncio logs a failed `accept` of the web server's socket (out of open files) at ERROR
    with a traceback, and on Python 3.11 retries a hundred times at once: a client holding
    too many connections made thousands of such records a second. On its logger (`asyncio`)
    this lets one through a minute, as a line without traceback that counts the others."""

    EVERY = 60.0  # seconds between two such lines

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.clock = clock
        self.said_at: float | None = None
        self.unsaid = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("socket.accept() out of system resource"):
            return True
        now = self.clock()
        if self.said_at is not None and now - self.said_at < self.EVERY:
            self.unsaid += 1
            return False
        exc = record.exc_info[1] if record.exc_info else None
        why = (exc.strerror if isinstance(exc, OSError) else None) or "out of system resource"
        more = f" ({self.unsaid} more since the last such line)" if self.unsaid else ""
        _one_line(
            record, logging.WARNING, "the web server cannot take connections: %s%s", why, more
        )
        self.said_at, self.unsaid = now, 0
        return True


def _one_line(record: logging.LogRecord, level: int, msg: str, *args: object) -> None:
    """Make `record` say `msg % args` at `level`, without its traceback."""
    record.msg, record.args = msg, args
    record.levelno, record.levelname = level, logging.getLevelName(level)
    record.exc_info = record.exc_text = None


def _install(logger: logging.Logger, wanted: logging.Filter) -> None:
    """`wanted` on `logger`, in place of one of its class set by an earlier call."""
    for old in list(logger.filters):
        if type(old) is type(wanted):
            logger.removeFilter(old)
    logger.addFilter(wanted)


def logs_json() -> bool:
    """Whether `setup_logging` set the log to JSON lines (`--log-format json`)."""
    return any(
        h.get_name() == "aggregator" and isinstance(h.formatter, JsonFormatter)
        for h in logging.getLogger().handlers
    )


def setup_logging(level: str, fmt: str) -> None:
    """Log to stderr (journald under systemd) at `level` in `fmt` ("text" or "json").

    Records skip what neither format shows (the logging HOWTO's "Optimization"): the calling
    function's file and line (a walk up the stack), the thread's and process's names and ids.
    """
    global structured
    structured = fmt == "json"
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter(_TEXT))
    handler.set_name("aggregator")
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == "aggregator":  # ours from an earlier call; leave others alone
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    _install(logging.getLogger("aiohttp.server"), ClientErrors())
    _install(logging.getLogger("asyncio"), AcceptFailures())
    # The article extractor's own notes on a page it reads ("discarding data: URL", "empty HTML
    # tree") come at WARNING and ERROR for what is the upstream's page, not our fault: the
    # article's line says what came of it. Shown with everything else at DEBUG.
    extractor = logging.getLogger("trafilatura")
    extractor.setLevel(logging.DEBUG if root.level <= logging.DEBUG else logging.CRITICAL)
