"""The text log format: the same lines as `logging.Formatter` makes, its time made once a
second; records left without what no format shows."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import pytest

from aggregator import logs


def _record(created: float) -> logging.LogRecord:
    record = logging.LogRecord("aggregator", logging.INFO, __file__, 1, "feed=%s", ("x",), None)
    record.created = created
    record.msecs = int((created - int(created)) * 1000)
    return record


def test_text_lines_are_logging_formatters_lines() -> None:
    ours, plain = logs.TextFormatter(logs._TEXT), logging.Formatter(logs._TEXT)
    for created in (1_700_000_000.001, 1_700_000_000.999, 1_700_000_001.5, 1_700_000_000.25, 0.0):
        record = _record(created)
        assert ours.format(record) == plain.format(_record(created))
    dated = logs.TextFormatter("%(asctime)s %(message)s", datefmt="%H:%M")
    assert dated.format(_record(60.0)) == logging.Formatter(
        "%(asctime)s %(message)s", datefmt="%H:%M"
    ).format(_record(60.0))


@pytest.fixture
def set_up_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let a test call `logs.setup_logging`: the root logger's level and handlers, the
    extractor's level and the module's format are put back after it."""
    root = logging.getLogger()
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.setattr(logging.getLogger("trafilatura"), "level", logging.NOTSET)
    monkeypatch.setattr(logs, "structured", logs.structured)
    monkeypatch.setattr(logging.getLogger("aiohttp.server"), "filters", [])
    monkeypatch.setattr(logging.getLogger("asyncio"), "filters", [])
    before = list(root.handlers)
    yield
    for handler in list(root.handlers):
        if handler not in before:
            root.removeHandler(handler)
    for handler in before:
        if handler not in root.handlers:
            root.addHandler(handler)


def test_fields_are_asked_for_only_where_a_format_reads_them(
    monkeypatch: pytest.MonkeyPatch, set_up_logging: None
) -> None:
    monkeypatch.setattr(logs, "structured", True)  # as when nothing set logging up
    monkeypatch.setattr(logging, "_srcfile", logging._srcfile)  # type: ignore[attr-defined]
    for name in ("logThreads", "logProcesses", "logMultiprocessing"):
        monkeypatch.setattr(logging, name, getattr(logging, name))
    logs.setup_logging("INFO", "text")
    assert not logs.structured
    logs.setup_logging("INFO", "json")
    assert logs.structured
    server = logging.getLogger("aiohttp.server")  # (client errors as one line: test_web)
    assert sum(isinstance(f, logs.ClientErrors) for f in server.filters) == 1
    accepts = logging.getLogger("asyncio").filters  # (one line a minute: below)
    assert sum(isinstance(f, logs.AcceptFailures) for f in accepts) == 1


def test_the_extractors_notes_on_a_page_show_only_at_debug(
    capsys: pytest.CaptureFixture[str], set_up_logging: None
) -> None:
    """trafilatura's WARNING and ERROR lines about an upstream's page ("empty HTML tree") are
    not the service's errors: hidden at INFO, shown with everything else at DEBUG."""
    logs.setup_logging("INFO", "text")
    logging.getLogger("trafilatura.core").error("empty HTML tree: None")
    logging.getLogger("aggregator").error("ours")
    err = capsys.readouterr().err
    assert "ours" in err and "empty HTML tree" not in err
    logs.setup_logging("DEBUG", "text")
    logging.getLogger("trafilatura.core").error("empty HTML tree: None")
    assert "empty HTML tree" in capsys.readouterr().err


def test_failed_accepts_are_one_line_a_minute_that_counts_the_others() -> None:
    now = [100.0]
    accepts = logs.AcceptFailures(clock=lambda: now[0])

    def failed() -> logging.LogRecord:
        try:
            raise OSError(24, "Too many open files")
        except OSError:
            exc_info = sys.exc_info()
        msg = "socket.accept() out of system resource\nsocket: <socket fd=13>"
        return logging.LogRecord("asyncio", logging.ERROR, __file__, 1, msg, (), exc_info)

    kept = [r for r in (failed() for _ in range(500)) if accepts.filter(r)]
    assert len(kept) == 1
    assert kept[0].levelno == logging.WARNING and kept[0].exc_info is None
    assert kept[0].getMessage() == "the web server cannot take connections: Too many open files"
    now[0] += 61
    again = failed()
    assert accepts.filter(again)
    assert again.getMessage().endswith("(499 more since the last such line)")
    other = logging.LogRecord("asyncio", logging.ERROR, __file__, 1, "Task was destroyed", (), None)
    assert accepts.filter(other) and other.levelno == logging.ERROR
