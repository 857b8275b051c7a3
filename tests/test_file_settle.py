"""The operator's files saved in steps by an editor (emptied, half written, renamed away for a
moment): the OPML and the withheld list beside it are read once the file holds still, so such a
moment is neither refused (an error, a refusal in `status`) nor put in force (an empty list)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_service import fast_settings
from upstream import opml

from aggregator.file_settle import LOOKS, held_still
from aggregator.service import Service
from aggregator.withheld import Withheld

Step = Callable[[], None]
A, B, C = "https://a.example/feed", "https://b.example/feed", "https://c.example/feed"
ARTICLE = "https://news.example.org/2026/12/07/a-report-taken-down"


def _stepper(path: Path, steps: list[Step]) -> tuple[Step, Callable[[float], Any]]:
    """The first step of a save, and a pause doing each next one (each file a stamp of its own:
    the clock's grain is coarser than a test's writes)."""
    stamps = iter(range(10**18, 2 * 10**18, 10**15))
    todo = list(steps)

    def step() -> None:
        todo.pop(0)()
        if path.exists():
            stamp = next(stamps)
            os.utime(path, ns=(stamp, stamp))

    async def pause(seconds: float) -> None:
        if todo:
            step()

    return step, pause


def _vim_save(path: Path, text: str) -> list[Step]:
    """vim's save with a backup: the file renamed away, then written anew (here in two parts)."""
    return [
        lambda: path.rename(path.with_name(path.name + "~")),
        lambda: path.write_text(text[: len(text) // 2]),
        lambda: path.write_text(text),
    ]


def _truncating_save(path: Path, text: str) -> list[Step]:
    return [lambda: path.write_text(""), lambda: path.write_text(text)]


@pytest.mark.parametrize("save", [_vim_save, _truncating_save])
def test_an_opml_saved_in_steps_is_read_whole_and_never_refused(
    save: Callable[[Path, str], list[Step]],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A tick between the steps had refused the OPML ("No such file", "not valid XML"): an
    ERROR, a refusal in `status` and /healthz, for a file the operator never saved so."""
    path = tmp_path / "feeds.opml"
    path.write_text(opml(A, B))

    async def scenario() -> tuple[Any, int]:
        service = Service(path, tmp_path / "agg.db", fast_settings())
        try:
            assert await service.load_sources(strict=True)
            first, service.sources.pause = _stepper(path, save(path, opml(A, B, C)))
            first()
            assert await service.load_sources(strict=False)
            health = service.store.reader().health()
            return health["opml_refused"], health["feeds"]
        finally:
            service.close()

    with caplog.at_level(logging.INFO, logger="aggregator"):
        refused, feeds = asyncio.run(scenario())
    assert refused is None and feeds == 3
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("save", [_vim_save, _truncating_save])
def test_a_withheld_list_saved_in_steps_never_puts_a_shorter_list_in_force(
    save: Callable[[Path, str], list[Step]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list is a takedown: a tick between the steps had put an empty list (no file, an
    empty one) or half of one in force, and the next pass published what it withholds."""
    path = tmp_path / "feeds.opml"
    path.write_text(opml(A))
    withheld = tmp_path / "withheld.txt"
    withheld.write_text(f"# a legal request\n{ARTICLE}\n")
    in_force: list[Withheld] = []

    async def scenario() -> None:
        service = Service(path, tmp_path / "agg.db", fast_settings())
        try:
            store = service.store
            setter = store.set_withheld
            monkeypatch.setattr(store, "set_withheld", lambda w: in_force.append(w) or setter(w))
            assert await service.load_sources(strict=True)
            reload = service.sources.withheld
            edited = f"# a legal request\n{ARTICLE}\n# and another\n{ARTICLE}-too\n"
            first, reload.pause = _stepper(withheld, save(withheld, edited))
            first()
            await service.load_sources(strict=False)  # (the OPML unchanged: False)
        finally:
            service.close()

    asyncio.run(scenario())
    assert [sorted(w.articles) for w in in_force] == [[ARTICLE], [ARTICLE, f"{ARTICLE}-too"]]


def test_a_file_that_keeps_changing_is_left_to_a_later_check() -> None:
    """Still changing after LOOKS pauses: not read now (the next tick looks again)."""
    looks = iter(range(100))
    paused: list[float] = []

    async def pause(seconds: float) -> None:
        paused.append(seconds)

    assert not asyncio.run(held_still(lambda: next(looks), -1, pause, 0.2))
    assert paused == [0.2] * LOOKS
    assert asyncio.run(held_still(lambda: 7, 7, pause))


@pytest.mark.parametrize("which", ["opml", "withheld"])
def test_a_file_that_never_holds_still_is_said_once_and_left_as_it_was(
    which: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Rewritten at every look, the OPML or withheld list had been passed over at every tick,
    nothing said: the operator's edit never in force and no word why."""
    path = tmp_path / "feeds.opml"
    path.write_text(opml(A, B))
    withheld = tmp_path / "withheld.txt"
    withheld.write_text(f"{ARTICLE}\n")
    changing = path if which == "opml" else withheld
    text = opml(A, B, C) if which == "opml" else f"{ARTICLE}\n{ARTICLE}-too\n"
    stamps = iter(range(10**18, 2 * 10**18, 10**15))

    def rewrite() -> None:
        changing.write_text(text)
        stamp = next(stamps)
        os.utime(changing, ns=(stamp, stamp))

    async def pause(seconds: float) -> None:
        rewrite()

    async def scenario() -> tuple[int, frozenset[str]]:
        service = Service(path, tmp_path / "agg.db", fast_settings())
        try:
            assert await service.load_sources(strict=True)
            service.sources.pause = service.sources.withheld.pause = pause
            for _ in range(3):
                rewrite()
                await service.load_sources(strict=False)
            return service.store.reader().health()["feeds"], service.store.withheld().articles
        finally:
            service.close()

    with caplog.at_level(logging.INFO, logger="aggregator"):
        feeds, articles = asyncio.run(scenario())
    assert (feeds, articles) == (2, frozenset({ARTICLE}))  # the last good ones
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warned) == 1, warned
    assert f"{changing} keeps changing" in warned[0] and "once it holds still" in warned[0]
