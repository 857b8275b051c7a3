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
    assert exit_.value.code == expected and frozen == [True, True]  # after start-up, at exit


def test_an_argument_error_exits_as_before_without_freezing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    with pytest.raises(SystemExit) as exit_:
        cli.run(["no-such-command"])
    assert exit_.value.code == 2 and frozen == []


def test_start_up_runs_without_the_collector_and_the_command_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[str, bool]] = []
    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(gc.isenabled()))

    def handler(args: object) -> int:
        seen.append(("command runs", gc.isenabled()))
        return 0

    def command(name: str) -> object:
        seen.append(("command loads", gc.isenabled()))
        return handler

    monkeypatch.setattr(cli, "command", command)
    with pytest.raises(SystemExit) as exit_:
        cli.run(["export"])
    assert exit_.value.code == 0
    assert seen == [("command loads", False), ("command runs", True)]
    # what start-up built is frozen before the collector resumes; again at exit
    assert frozen == [False, True]
    assert gc.isenabled()


def test_main_called_in_process_leaves_the_collector_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli, "command", lambda name: lambda args: int(not gc.isenabled()))
    assert cli.main(["export"]) == 0
    gc.disable()
    try:
        assert cli.main(["export"]) == 1  # a caller's choice stays: off
    finally:
        gc.enable()


def test_an_argument_error_leaves_the_collector_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gc, "freeze", lambda: None)
    with pytest.raises(SystemExit):
        cli.run(["poll", "--no-such-option"])
    assert gc.isenabled()
