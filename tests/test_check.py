"""`aggregator check`: the sources and settings read as the service reads them, before a
restart or a reload: the error it would stop at (exit 2), what it would warn of, and what
the file holds. No network, and no database unless --db names one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator.cli import main
from aggregator.models import Source
from aggregator.store import Store

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)

SOURCES = """<opml version="2.0"><body>
<outline text="World News" interval="1d">
  <outline type="rss" text="A" xmlUrl="https://a.example/feed" exclude="quiz"/>
  <outline type="rss" text="B" xmlUrl="https://b.example/feed"/>
</outline>
<outline text="Sport">
  <outline type="rss" text="C" xmlUrl="https://c.example/feed" interval="30m"/>
</outline></body></opml>"""

SETTINGS = """[publish]
base_url = "https://news.example.org/"

[digest]
recipients = { "Sprots" = ["reader@example.org"] }
smtp_host = "127.0.0.1"
from_address = "news@example.org"
"""


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], opml: str, *extra: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "feeds.opml"
    path.write_text(opml)
    code = main(["check", "--opml", str(path), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_check_says_what_the_sources_hold_and_what_the_service_would_warn_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS)
    code, out, err = run(tmp_path, capsys, SOURCES, "--config", str(settings))
    assert code == 0
    assert out.splitlines() == [
        f"{tmp_path / 'feeds.opml'}: 3 feeds in 2 categories, 1 with entry rules, "
        "3 with a poll interval of their own",
        f"settings ({settings}, then AGGREGATOR_* variables): ok",
    ]
    warnings = err.splitlines()
    assert len(warnings) == 2
    # the category's interval, one line for its two feeds
    assert warnings[0].endswith(
        "feeds=2 (https://a.example/feed, https://b.example/feed) interval=1d is above "
        "[schedule] max_interval: it is polled every 6h"
    )
    assert "recipients are filed under 'Sprots', which the OPML does not have" in warnings[1]


def test_check_names_the_opmls_spelling_of_a_digest_category_spelled_otherwise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "world news" has the address of the OPML's "World News": the same category, whose
    stories its digest carries, not one the OPML lacks."""
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS.replace('"Sprots"', '"world news"'))
    code, _, err = run(tmp_path, capsys, SOURCES, "--config", str(settings))
    assert code == 0
    assert (
        "[digest] recipients are filed under 'world news', which the OPML spells 'World News': "
        "its digest carries that category's stories; file them under that name"
    ) in err
    assert "does not have" not in err


def test_check_given_the_database_says_a_digest_category_the_opml_renamed_carries_its_stories(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "Sport" renamed "Sports" by an edit the service took: its digest carries the new
    name's stories (as `run` says at start), which `check --db` says; without the database
    check cannot tell a rename from a removal, and says so where it said "stays empty"."""
    db = tmp_path / "agg.db"
    store = Store(db)
    feed = "https://c.example/feed"
    store.sync_sources([Source(feed, "C", "Sport")], NOW)
    store.sync_sources([Source(feed, "C", "Sports")], NOW)  # (the edit: a rename)
    store.close()
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS.replace('"Sprots"', '"Sport"'))
    renamed = SOURCES.replace('"Sport"', '"Sports"')
    code, _, err = run(tmp_path, capsys, renamed, "--config", str(settings), "--db", str(db))
    assert code == 0
    assert (
        "[digest] recipients are filed under 'Sport', which the OPML renamed 'Sports': its "
        "digest carries that category's stories; file them under that name"
    ) in err
    assert "does not have" not in err
    code, _, err = run(tmp_path, capsys, renamed, "--config", str(settings))
    assert code == 0
    assert "which the OPML does not have" in err
    assert (
        "that digest gets no new stories, only those already filed under it, unless an edit "
        "renamed it (`check --db` tells)"
    ) in err


def test_check_given_the_database_says_a_rename_the_edit_it_checks_makes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`check --db` before the restart (or reload) that takes an edit renaming "Sport"
    "Sports": `run` records the rename as it reads the edit, then says the digest filed under
    "Sport" carries the new name's stories; check had said it stays empty."""
    db = tmp_path / "agg.db"
    store = Store(db)
    store.sync_sources([Source("https://c.example/feed", "C", "Sport")], NOW)
    store.close()
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS.replace('"Sprots"', '"Sport"'))
    renamed = SOURCES.replace('"Sport"', '"Sports"')
    code, _, err = run(tmp_path, capsys, renamed, "--config", str(settings), "--db", str(db))
    assert code == 0
    assert "[digest] recipients are filed under 'Sport', which the OPML renamed 'Sports'" in err
    assert "stays empty" not in err
    store = Store(db)  # (read only: the rename is the service's to record)
    assert store.category_aliases() == {}
    store.close()


def test_check_names_the_feed_of_a_platforms_page_listed_as_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = SOURCES.replace("https://b.example/feed", "https://social.example/@HarbourNews")
    pages = pages.replace("https://c.example/feed", "https://www.reddit.com/r/worldnews/")
    code, _, err = run(tmp_path, capsys, pages)
    assert code == 0
    told = [line for line in err.splitlines() if "is a web page" in line]
    assert [line.partition("feeds.opml: ")[2] for line in told] == [
        "https://social.example/@HarbourNews is a web page, not a feed: its feed is at "
        "https://social.example/@HarbourNews.rss (list that instead; `aggregator add` of the "
        "page does)",
        "https://www.reddit.com/r/worldnews/ is a web page, not a feed: its feed is at "
        "https://www.reddit.com/r/worldnews/.rss (list that instead; `aggregator add` of the "
        "page does)",
    ]
    _, _, err = run(tmp_path, capsys, SOURCES)
    assert "is a web page" not in err


def test_check_stops_where_the_service_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = SOURCES.replace('exclude="quiz"', 'exclude="quiz("')
    code, out, err = run(tmp_path, capsys, broken)
    assert (code, out) == (2, "")
    assert "line 3: outline 'A': exclude='quiz(': not a regular expression" in err
    settings = tmp_path / "bad.toml"
    settings.write_text("[schedule]\ninterval = 'soon'\n")
    code, out, err = run(tmp_path, capsys, SOURCES, "--config", str(settings))
    assert (code, out) == (2, "")
    assert "interval" in err and "bad.toml" in err
    # a digest with nowhere to link, or a login without its password, stops `run` at start
    settings.write_text(SETTINGS.split("\n\n", 1)[1])
    code, out, err = run(tmp_path, capsys, SOURCES, "--config", str(settings))
    assert (code, out) == (2, "")
    assert "[digest] has recipients, so set [publish] base_url" in err
    settings.write_text(SETTINGS + 'username = "news"\npassword_env = "NO_SUCH_VARIABLE_HERE"\n')
    code, out, err = run(tmp_path, capsys, SOURCES, "--config", str(settings))
    assert (code, out) == (2, "")
    assert "NO_SUCH_VARIABLE_HERE" in err


@pytest.mark.parametrize(
    ("before", "after", "warned"),
    [
        ([], ["--log-level", "error"], False),
        (["--log-level", "error"], [], False),  # the program's option, before the command
        (["--log-level", "error"], ["--log-level", "warning"], True),  # its own wins
        ([], ["--log-level", "debug"], True),
    ],
)
def test_check_says_its_warnings_only_where_the_log_level_shows_warnings(
    before: list[str],
    after: list[str],
    warned: bool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--log-level ERROR` asks for errors only: the warnings `check` prints go as the log's
    own do; what the file holds is still said (stdout), and an error still stops it."""
    import logging

    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS)
    path = tmp_path / "feeds.opml"
    path.write_text(SOURCES)
    root = logging.getLogger()
    kept = root.handlers[:], root.level
    try:
        code = main([*before, "check", "--opml", str(path), "--config", str(settings), *after])
    finally:
        root.handlers[:], root.level = kept
    out, err = capsys.readouterr()
    assert code == 0
    assert "3 feeds in 2 categories" in out
    assert ("aggregator: warning:" in err) is warned
    if warned:
        assert "which the OPML does not have" in err


def test_check_says_its_warnings_as_json_lines_with_log_format_json(tmp_path: Path) -> None:
    """A script that reads stderr as JSON lines (`--log-format json`) had met check's
    "aggregator: warning: …" lines among them."""
    import json
    import subprocess
    import sys

    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS)
    (tmp_path / "feeds.opml").write_text(SOURCES)
    argv = ["check", "--config", str(settings), "--log-format", "json"]
    done = subprocess.run(
        [sys.executable, "-m", "aggregator", *argv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines()]
    assert [r["level"] for r in records] == ["WARNING", "WARNING"]
    assert "which the OPML does not have" in records[1]["message"]


def test_check_and_add_say_that_a_google_news_feeds_stories_alone_are_not_published(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its entries are headlines whose pages lead on through a script: nothing to summarise,
    # so an operator who lists one and sees none of its stories was not told why.
    topic = "https://news.google.com/rss/search?q=corvane+dam&hl=en-GB"
    listed = SOURCES.replace("https://b.example/feed", topic.replace("&", "&amp;"))
    code, _, err = run(tmp_path, capsys, listed)
    assert code == 0
    told = [line for line in err.splitlines() if "Google News" in line]
    assert len(told) == 1 and told[0].partition("feeds.opml: ")[2].startswith(
        f"{topic}: a Google News feed gives headlines only"
    )
    assert "not published" in told[0]
    _, _, err = run(tmp_path, capsys, SOURCES)
    assert "Google News" not in err

    from aggregator import sources
    from aggregator.models import Source

    async def added(opml: Path, url: str, **_: object) -> sources.Added:
        return sources.Added(Source(url, "Corvane dam - Google News", "World News"), 12)

    monkeypatch.setattr(sources, "add", added)
    for url, said in ((topic, True), ("https://a.example/feed", False)):
        assert main(["add", "--opml", str(tmp_path / "feeds.opml"), url]) == 0
        _, err = capsys.readouterr()
        assert ("a Google News feed gives headlines only" in err) is said
