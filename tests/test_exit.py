"""The program's exit: the status `main` returns, after freezing what is still alive (so the
interpreter's final cycle searches skip it)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from aggregator import cli


@pytest.mark.parametrize("argv", [["export", "--opml", "missing.opml"], ["export"]])
def test_run_exits_with_mains_status_after_freezing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "feeds.opml").write_text(
        '<opml version="2.0"><body><outline text="News">'
        '<outline type="rss" text="A" xmlUrl="http://127.0.0.1:9/a.xml"/>'
        "</outline></body></opml>"
    )
    expected = cli.main(argv)
    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))  # not this test process
    with pytest.raises(SystemExit) as exit_:
        cli.run(argv)
    assert exit_.value.code == expected and frozen == [True]


def test_an_argument_error_exits_as_before_without_freezing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    with pytest.raises(SystemExit) as exit_:
        cli.run(["no-such-command"])
    assert exit_.value.code == 2 and frozen == []
