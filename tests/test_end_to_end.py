"""The whole pipeline through the real command line: OPML → poll → SQLite → stories → feeds."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from news_fixture import BASE, SOURCE_URLS, feeds, opml, rss
from upstream import Upstream, free_port


def aggregator(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aggregator", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with Upstream().running_in_thread() as up:
        for n, (path, body) in enumerate(feeds().items()):
            kind = "application/atom+xml" if path.endswith(".atom") else "application/rss+xml"
            # half the feeds send validators, half don't (so they are re-fetched in full)
            up.add_feed(path, body, content_type=kind, etag=f'"v{n}"' if n % 2 else None)
        yield up


@pytest.fixture
def workdir(tmp_path: Path, upstream: Upstream) -> Path:
    (tmp_path / "feeds.opml").write_text(opml(f"http://127.0.0.1:{upstream.port}"))
    return tmp_path


class Server:
    def __init__(self, cwd: Path) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "aggregator", "serve", "--port", str(self.port)],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    out = self.proc.stdout.read() if self.proc.stdout else "exited"
                    raise RuntimeError(out) from None
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def get(self, path: str) -> tuple[int, str, bytes]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=15)


def entries_by_title(doc: bytes) -> dict[str, feedparser.FeedParserDict]:
    parsed = feedparser.parse(doc)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return {e.title: e for e in parsed.entries}


def body_of(entry: feedparser.FeedParserDict) -> str:
    return entry.content[0].value if "content" in entry else entry.summary


def find(entries: dict[str, feedparser.FeedParserDict], *words: str) -> feedparser.FeedParserDict:
    matches = [e for t, e in entries.items() if all(w.lower() in t.lower() for w in words)]
    assert len(matches) == 1, (words, list(entries))
    return matches[0]


def test_poll_then_serve_publishes_grouped_stories(workdir: Path, upstream: Upstream) -> None:
    first = aggregator("poll", "--once", cwd=workdir)
    assert first.returncode == 0, first.stderr
    assert "polled 6 feeds" in first.stdout
    assert (workdir / "aggregator.db").exists()

    status = aggregator("status", cwd=workdir)
    assert status.returncode == 0, status.stderr
    assert status.stdout.count("http://127.0.0.1:") == 6
    assert "World News" in status.stdout and "Business" in status.stdout

    server = Server(workdir)
    try:
        code, ctype, index = server.get("/")
        assert code == 200 and ctype.startswith("text/html")
        assert b"/feeds/world-news.atom" in index and b"/feeds/business.rss" in index

        code, ctype, world = server.get("/feeds/world-news.atom")
        assert code == 200 and "atom" in ctype
        entries = entries_by_title(world)
        # three outlets covered the earthquake: one item, not three
        assert sum("earthquake" in t.lower() or "quake" in t.lower() for t in entries) == 1
        quake = find(entries, "quake")
        body = body_of(quake)
        assert body.count("<li") >= 3, body
        for url in SOURCE_URLS["quake"]:
            assert url in body, (url, body)
        # the same article in two feeds of one outlet counts once
        assert "Summary based on 3 sources" in body
        assert "utm_source" not in body
        # a single-outlet story still appears
        library = find(entries, "library")
        assert SOURCE_URLS["library"][0] in body_of(library)
        assert "Summary based on 1 source" in body_of(library)
        # links point at the server that was started, since no public base URL is configured
        story_path = f"/stories/{quake.id.rsplit(':', 1)[-1]}/"
        assert quake.link == f"http://127.0.0.1:{server.port}{story_path}"
        code, ctype, page = server.get(story_path)
        assert code == 200 and ctype.startswith("text/html")
        assert b"Summary based on 3 sources" in page

        _, _, business = server.get("/feeds/business.rss")
        rates = find(entries_by_title(business), "rate")
        for url in SOURCE_URLS["rates"]:
            assert url in body_of(rates)
        assert "Summary based on 2 sources" in body_of(rates)
    finally:
        assert server.stop() == 0

    # a second poll (every feed, whatever the schedule) duplicates nothing
    requests_before = len(upstream.requests)
    second = aggregator("poll", "--once", "--all", cwd=workdir)
    assert second.returncode == 0, second.stderr
    assert "0 new items" in second.stdout
    assert len(upstream.requests) == requests_before + 6
    conditional = [r for r in upstream.requests[requests_before:] if "if-none-match" in r.headers]
    assert len(conditional) == 3  # the feeds that sent an ETag got it back

    server = Server(workdir)
    try:
        _, _, world_again = server.get("/feeds/world-news.atom")
        again = entries_by_title(world_again)
        assert sorted(e.id for e in again.values()) == sorted(e.id for e in entries.values())
        assert [e.updated for e in again.values()] == [e.updated for e in entries.values()]
    finally:
        server.stop()


def test_nothing_is_due_right_after_a_poll(workdir: Path) -> None:
    assert aggregator("poll", "--once", cwd=workdir).returncode == 0
    again = aggregator("poll", "--once", cwd=workdir)
    assert again.returncode == 0
    assert "polled 0 feeds" in again.stdout


def test_a_broken_opml_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "feeds.opml").write_text("<opml><body><outline text='x'")
    result = aggregator("poll", "--once", cwd=tmp_path)
    assert result.returncode == 2
    assert "feeds.opml" in result.stderr and "not valid XML" in result.stderr
    assert not (tmp_path / "aggregator.db").exists()


def test_a_dead_upstream_is_recorded_not_fatal(tmp_path: Path, upstream: Upstream) -> None:
    good = f"http://127.0.0.1:{upstream.port}/metrotimes/news.rss"
    dead = f"http://127.0.0.1:{upstream.port}/status/500"
    (tmp_path / "feeds.opml").write_text(
        f'<opml version="2.0"><body><outline text="World News">'
        f'<outline type="rss" text="Good" xmlUrl="{good}"/>'
        f'<outline type="rss" text="Broken" xmlUrl="{dead}"/>'
        f'<outline type="rss" text="Not a feed" xmlUrl="http://127.0.0.1:{upstream.port}/nope"/>'
        f"</outline></body></opml>"
    )
    result = aggregator("poll", "--once", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 new items" in result.stdout
    status = aggregator("status", cwd=tmp_path).stdout
    assert "error 500" in status


def test_python_dash_m_and_console_script_agree(tmp_path: Path) -> None:
    result = aggregator("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("aggregator ")
    env = dict(os.environ)
    script = Path(sys.executable).parent / "aggregator"
    if script.exists():
        out = subprocess.run([str(script), "--version"], capture_output=True, text=True, env=env)
        assert out.stdout == result.stdout


def test_the_next_poll_carries_on_from_the_grouping_snapshot(
    workdir: Path, upstream: Upstream
) -> None:
    """`poll --once` leaves the grouping window beside the database; the next run that has
    items to group loads it instead of rebuilding it, and says so at info level."""
    first = aggregator("poll", "--once", cwd=workdir)
    assert first.returncode == 0, first.stderr
    assert "no snapshot at" in first.stderr
    assert (workdir / "aggregator.db.grouping").exists()
    later = (
        "metrotimes.example:ferry",
        "https://www.metrotimes.example/news/ferry",
        "Harbour ferry returns to service after engine repairs",
        "The harbour ferry carried its first passengers in a month on Friday after repairs.",
        BASE + timedelta(minutes=90),
    )
    upstream.add_feed("/metrotimes/news.rss", rss("Metro Times", [later]))
    second = aggregator("poll", "--once", "--all", cwd=workdir)
    assert second.returncode == 0, second.stderr
    assert "1 new item," in second.stdout
    assert "window loaded from the snapshot" in second.stderr
    assert "restoring from the database" not in second.stderr
