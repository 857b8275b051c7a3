"""The text log format: the same lines as `logging.Formatter` makes, its time made once a
second; records left without what no format shows."""

from __future__ import annotations

import logging

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
