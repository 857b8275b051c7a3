"""Static export: the same bytes as the server, as files; only changed files are rewritten."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from stories import T0, ListReader, make_story

from aggregator.cli import main
from aggregator.export import export_site
from aggregator.publish import PublishSettings
from aggregator.site import Site

BASE = "https://news.example.org/"
SETTINGS = PublishSettings(base_url=BASE, site_title="Daily")


def site(reader: ListReader) -> Site:
    return Site(reader, SETTINGS, clock=lambda: T0)


def reader() -> ListReader:
    return ListReader(
        ["World News", "Science"],
        [
            make_story("w1", "Ceasefire agreed", category="World News", hours=1),
            make_story("w2", "Storm warning", category="World News", hours=3),
            make_story("s1", "Comet seen", category="Science", hours=2),
        ],
    )


def test_export_writes_every_feed_and_page_with_the_served_bytes(tmp_path: Path) -> None:
    source = reader()
    report = export_site(site(source), tmp_path)
    files = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    for expected in (
        "index.html",
        "robots.txt",
        "favicon.ico",
        "favicon.svg",
        "feeds.opml",
        "feeds-rss.opml",
        "feeds-json.opml",
        "feeds/world-news.atom",
        "feeds/world-news.rss",
        "feeds/world-news.json",
        "feeds/world-news/top.atom",
        "feeds/science/top.json",
        "feeds/all.rss",
        "world-news/index.html",
        "science/index.html",
        "stories/w1/index.html",
        "stories/s1/index.html",
    ):
        assert expected in files
    assert report.written == len(files) and report.unchanged == 0
    served = site(source).feed("world-news", "atom")
    assert served is not None
    assert (tmp_path / "feeds/world-news.atom").read_bytes() == served.body


def test_a_second_export_rewrites_only_what_changed(tmp_path: Path) -> None:
    source = reader()
    export_site(site(source), tmp_path)
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    for path in stamps:
        os.utime(path, ns=(1, 1))
    again = export_site(site(source), tmp_path)
    assert again.written == 0 and again.unchanged == len(stamps)
    assert all(p.stat().st_mtime_ns == 1 for p in stamps)
    comet = source.items[2]
    source.items[2] = dataclasses.replace(comet, headline="Comet seen from Europe", version=2)
    third = export_site(site(source), tmp_path)
    changed = {str(p.relative_to(tmp_path)) for p in stamps if p.stat().st_mtime_ns != 1}
    assert "stories/s1/index.html" in changed and "feeds/science.atom" in changed
    assert "feeds/world-news.atom" not in changed and "stories/w1/index.html" not in changed
    assert third.written == len(changed)
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_cli_publish_needs_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["publish", "--db", str(tmp_path / "none.db"), "--output", str(tmp_path / "o")])
    assert code == 1
    assert "no database" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
