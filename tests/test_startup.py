"""A `poll --once` that brings nothing new (cron's usual case) loads only what polling needs:
not the grouping, summarising, parsing or publishing code, which would be most of its cost."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from news_fixture import feeds
from upstream import Upstream, opml

FEEDS = feeds()
POLL_AND_LIST_MODULES = (
    "import sys\n"
    "from aggregator.cli import main\n"
    "code = main(['poll', '--once', '--all'])\n"
    "print('modules:', ' '.join(sorted(sys.modules)))\n"
    "sys.exit(code)\n"
)
NOT_NEEDED = (
    "aggregator.cluster",
    "aggregator.story_job",
    "aggregator.grouping",
    "aggregator.summarize",
    "aggregator.pipeline",
    "aggregator.text",
    "aggregator.titles",
    "aggregator.sentences",
    "aggregator.tokens",
    "aggregator.dedupe",
    "aggregator.heap",
    "aggregator.parse",
    "aggregator.publish",
    "aggregator.digest",
    "aggregator.llm",
    "aggregator.web",
    "feedparser",
    "lxml",
    "feedgen",
    "numpy",
    # the parse workers' pool is built when a body needs parsing; TOML only with --config
    "aggregator.parse_pool",
    "multiprocessing",
    "concurrent.futures.process",
    "tomllib",
    "zoneinfo",  # digest send times only: the default settings name UTC and send nothing
    "aggregator.store_upkeep",  # the prune's own code: the pass only reads when it last ran
)
# With article fetching off, the page fetching and extraction code is not loaded either, and
# an up-to-date database is read and written without sqlite-utils (nor what it imports).
NOT_NEEDED_WITHOUT_ARTICLES = (
    "aggregator.article_job",
    "aggregator.articles",
    "trafilatura",
    "sqlite_utils",
    "click",
    "pluggy",
    "dateutil",
)


def poll_once(cwd: Path, **env: str) -> tuple[str, set[str]]:
    return _run(cwd, [POLL_AND_LIST_MODULES], env)


def _run(cwd: Path, script: list[str], env: dict[str, str]) -> tuple[str, set[str]]:
    """Run a poll script (and its arguments) in a fresh interpreter: what it printed before
    "modules:", and the modules it had loaded."""
    result = subprocess.run(
        [sys.executable, "-c", *script],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report, modules = result.stdout.split("modules:")
    return report, set(modules.split())


def test_a_pass_of_304s_loads_no_grouping_summarising_or_parsing_code(tmp_path: Path) -> None:
    with Upstream().running_in_thread() as up:
        up.add_feed("/a.xml", FEEDS["/dailyplanet/world.xml"], etag='"a1"')
        up.add_feed("/b.xml", FEEDS["/metrotimes/news.rss"], etag='"b1"')
        (tmp_path / "feeds.opml").write_text(opml(up.url("/a.xml"), up.url("/b.xml")))
        first, loaded = poll_once(tmp_path)
        assert "stories changed" in first and " 0 new items" not in first
        assert {"aggregator.cluster", "aggregator.summarize"} <= loaded  # the cold pass grouped

        second, loaded = poll_once(tmp_path)

    assert "not_modified=2" in second and "0 new items" in second
    assert sorted(m for m in NOT_NEEDED if m in loaded) == []
    # ... and the pass is still recorded for every feed.
    with sqlite3.connect(tmp_path / "aggregator.db") as db:
        rows = db.execute("SELECT status, http_status FROM feeds ORDER BY url").fetchall()
    assert rows == [("not_modified", 304), ("not_modified", 304)]


def test_with_article_fetching_off_a_pass_of_304s_loads_no_article_code(tmp_path: Path) -> None:
    with Upstream().running_in_thread() as up:
        up.add_feed("/a.xml", FEEDS["/dailyplanet/world.xml"], etag='"a1"')
        (tmp_path / "feeds.opml").write_text(opml(up.url("/a.xml")))
        first, loaded = poll_once(tmp_path, AGGREGATOR_ARTICLES_ENABLED="false")
        assert " 0 new items" not in first
        assert "aggregator.parse_pool" in loaded  # the cold pass parsed its body

        second, loaded = poll_once(tmp_path, AGGREGATOR_ARTICLES_ENABLED="false")

    assert "not_modified=1" in second and "0 new items" in second
    assert "article pages" not in second
    assert sorted(m for m in (*NOT_NEEDED, *NOT_NEEDED_WITHOUT_ARTICLES) if m in loaded) == []


def test_with_every_page_read_a_pass_of_304s_loads_no_article_code(tmp_path: Path) -> None:
    # Article fetching is on by default: a pass with no page due loads none of its code
    # (it was ~50 ms of a cron pass's ~180).
    with Upstream().running_in_thread() as up:
        items = "".join(
            f"<item><title>Harbour bridge reopens after repairs, part {n}</title>"
            f"<link>{up.url(f'/story-{n}.html')}</link><guid>story-{n}</guid>"
            "<description>The harbour bridge reopened on Monday.</description></item>"
            for n in (1, 2)
        )
        feed = f"<rss version='2.0'><channel><title>Harbour News</title>{items}</channel></rss>"
        up.add_feed("/a.xml", feed.encode(), etag='"a1"')
        page = b"<html><body><article><p>The harbour bridge reopened.</p></article></body></html>"
        for n in (1, 2):
            up.add_feed(f"/story-{n}.html", page, content_type="text/html")
        (tmp_path / "feeds.opml").write_text(opml(up.url("/a.xml")))
        first, loaded = poll_once(tmp_path, AGGREGATOR_ARTICLES_ENABLED="true")
        assert "article pages: " in first and "aggregator.article_job" in loaded
        assert len(up.requests_for("/story-1.html")) == 1

        second, loaded = poll_once(tmp_path, AGGREGATOR_ARTICLES_ENABLED="true")

    assert "not_modified=1" in second and "0 new items" in second
    assert sorted(m for m in ("aggregator.article_job", "aggregator.articles") if m in loaded) == []


POLL = (
    "import sys\n"
    "from aggregator.cli import main\n"
    "code = main(['poll', '--once', *sys.argv[1:]])\n"
    "print('modules:', ' '.join(sorted(sys.modules)))\n"
    "sys.exit(code)\n"
)


def _poll(cwd: Path, *args: str) -> tuple[str, set[str]]:
    return _run(cwd, [POLL, *args], {"AGGREGATOR_ARTICLES_ENABLED": "false"})


def _stored(cwd: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows (but when a pass last ran and what it did, for health and
    /metrics), and the files the passes wrote besides the database."""
    with sqlite3.connect(cwd / "aggregator.db") as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = {t: sorted(db.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    rows["meta"] = [r for r in rows["meta"] if r[0] not in ("last_poll_at", "last_cycle")]
    skip = {"aggregator.db", "aggregator.db-wal", "aggregator.db-shm", "aggregator.db.lock"}
    files = [(str(p.relative_to(cwd)), p.read_bytes()) for p in sorted(cwd.rglob("*"))]
    rows["files"] = [f for f in files if f[0] not in skip and not Path(f[0]).is_dir()]
    return rows


def test_a_304_pass_and_a_cron_pass_with_nothing_due_leave_stories_and_outputs_alone(
    tmp_path: Path,
) -> None:
    with Upstream().running_in_thread() as up:
        up.add_feed("/a.xml", FEEDS["/dailyplanet/world.xml"], etag='"a1"')
        up.add_feed("/b.xml", FEEDS["/metrotimes/news.rss"], etag='"b1"')
        (tmp_path / "feeds.opml").write_text(opml(up.url("/a.xml"), up.url("/b.xml")))
        first, _ = _poll(tmp_path, "--all")
        assert " 0 new items" not in first
        cold = _stored(tmp_path)

        second, _ = _poll(tmp_path, "--all")
        after_304 = _stored(tmp_path)
        asked = len(up.requests)

        third, loaded = _poll(tmp_path)  # cron: every feed was just polled
        assert len(up.requests) == asked  # nothing was fetched

    assert "not_modified=2" in second and "0 new items, 0 updated, 0 stories changed" in second
    changed = sorted(t for t in after_304 if after_304[t] != cold.get(t))
    assert changed == ["feeds"], changed  # its poll times and statuses, nothing else

    assert "polled 0 feeds (none due)" in third
    assert sorted(m for m in ("aiohttp", "yarl") if m in loaded) == []  # no HTTP client
    assert "pickle" not in loaded  # (the workers' messages: no worker was started)
    assert _stored(tmp_path) == after_304
