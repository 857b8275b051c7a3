"""An operator's entry rules (`exclude`, `include` on OPML outlines): which of a feed's entries
are stored, from the outline and the category around it; a bad rule is a clear error; an
edited rule applies at the feed's next poll, which reads it whole."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_service import fast_settings
from upstream import Upstream

from aggregator.cli import main
from aggregator.entry_rules import Rules, RuleTooSlow, rule_problem
from aggregator.errors import ConfigError
from aggregator.fetch import Fetcher
from aggregator.models import Entry, ParsedFeed, Source
from aggregator.opml import parse_opml
from aggregator.parse import parse_feed
from aggregator.pipeline import entries_to_items, feed_items
from aggregator.service import Service

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def wanted(exclude: tuple[str, ...], include: tuple[str, ...], *fields: str | None) -> bool:
    title, url, author = fields
    return Rules(exclude, include).wanted(title or "", url, author)


def test_an_exclude_rule_matches_title_link_or_author_in_any_case() -> None:
    exclude = ("quiz of the week",)
    assert not wanted(exclude, (), "QUIZ of the Week: 10 questions", None, None)
    assert wanted(exclude, (), "Week of talks on a quiz show", None, None)
    sport = ("/sport/",)
    assert not wanted(sport, (), "Cup final", "https://news.example/sport/cup", None)
    assert wanted(sport, (), "Sporting chance for talks", "https://news.example/world/1", None)
    assert not wanted(("^sponsor desk$",), (), "Great offers", None, "Sponsor Desk")
    assert wanted(("(?-i:BBC)",), (), "bbc weather: rain", None, None)  # one part exact


def test_include_rules_must_each_match_and_exclude_wins() -> None:
    include = ("germany|berlin", "election")
    assert wanted((), include, "Berlin votes in state election", None, None)
    assert not wanted((), include, "Berlin zoo welcomes a panda", None, None)
    assert not wanted(("panda",), ("berlin",), "Berlin zoo welcomes a panda", None, None)
    # a match in one field is enough: the link says which section
    assert wanted((), ("/germany/",), "Vote count begins", "https://x.example/germany/1", None)


def test_a_rule_that_backtracks_without_end_gives_up_within_the_feeds_budget() -> None:
    rules = Rules(("(a|aa)+$",), (), "https://a.example/feed", budget=0.05)
    assert rules.wanted("Ordinary headline", None, None)
    with pytest.raises(RuleTooSlow) as caught:
        rules.wanted("a" * 40 + "b", None, None)
    assert caught.value.url == "https://a.example/feed"
    assert caught.value.message.startswith("exclude='(a|aa)+$' ran for more than 0.05 s")


def test_a_rule_that_is_no_regular_expression_says_why() -> None:
    problem = rule_problem("quiz(")
    assert problem is not None and problem.startswith("not a regular expression: missing )")
    assert rule_problem("quiz|poll") is None
    # flags at odds are a ValueError of the engine's, not its error: a traceback before
    for rule in ("(?V0)(?V1)x", "(?a)(?u)x"):
        said = rule_problem(rule)
        assert said is not None and said.startswith("not a regular expression: ")


OPML = """<opml version="2.0"><body>
<outline text="World News" exclude="/sport/">
  <outline type="rss" text="Daily" xmlUrl="https://a.example/feed" exclude="quiz"/>
  <outline text="Germany" include="germany|berlin">
    <outline type="rss" text="Wire" xmlUrl="https://b.example/feed" x:include="vote"/>
  </outline>
</outline>
<outline text="Science">
  <outline type="rss" text="Lab" xmlUrl="https://c.example/feed"/>
</outline></body></opml>"""


def test_an_outlines_rules_hold_for_every_feed_inside_it_and_add_up() -> None:
    daily, wire, lab = parse_opml(OPML.encode()).sources
    assert (daily.exclude, daily.include) == (("/sport/", "quiz"), ())
    assert (wire.exclude, wire.include) == (("/sport/",), ("germany|berlin", "vote"))
    assert (lab.exclude, lab.include) == ((), ())


def test_a_bad_rule_refuses_the_file_naming_line_and_outline() -> None:
    broken = OPML.replace('exclude="quiz"', 'exclude="quiz("')
    with pytest.raises(ConfigError) as caught:
        parse_opml(broken.encode(), "feeds.opml")
    message = str(caught.value)
    assert message.startswith("feeds.opml: line 3: outline 'Daily': exclude='quiz(': ")
    assert "not a regular expression" in message
    # another reader's export is read leniently: the rule is left out, with a warning
    lenient = parse_opml(broken.encode(), "export.opml", export=True)
    assert lenient.sources[0].exclude == ("/sport/",)
    assert any("exclude='quiz('" in w and w.endswith("; left out") for w in lenient.warnings)


def _entry(n: int, title: str, path: str = "world", author: str | None = None) -> Entry:
    text = f"Report {n} on {title.lower()} with details that differ from the others {n}."
    return Entry(f"g{n}", title, text, f"https://a.example/{path}/{n}", author, NOW)


def test_items_leave_out_what_the_rules_exclude_and_count_it() -> None:
    entries = (
        _entry(1, "Parliament passes the budget"),
        _entry(2, "Quiz of the week"),
        _entry(3, "Cup final ends in a draw", path="sport"),
        _entry(4, "Storm closes the port"),
    )
    feed = ParsedFeed("Daily", "https://a.example/", entries)
    plain = Source("https://a.example/feed", "Daily", "World News")
    ruled = Source(plain.url, plain.title, plain.category, exclude=("/sport/", "quiz"))
    items, left_out = feed_items(ruled, feed, NOW)
    assert [i.guid for i in items] == ["g1", "g4"] and left_out == 2
    # the rules change no kept item: same text and content hash as without them
    every = {i.guid: (i.text, i.content_hash) for i in entries_to_items(plain, feed, NOW)}
    assert all(every[i.guid] == (i.text, i.content_hash) for i in items)


def test_rules_match_an_entrys_categories_as_they_match_its_title() -> None:
    """A feed's own sections and kinds (`<category>`) are fields the rules read: a video or an
    opinion piece is left out by what the feed calls it, whatever its title and link say."""
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Daily</title>'
        "<link>https://a.example/</link>"
        + "".join(
            f"<item><title>{title}</title><link>https://a.example/{n}</link>{tags}"
            f"<description>Report {n} on {title.lower()}, in some detail.</description></item>"
            for n, (title, tags) in enumerate([
                ("Parliament passes the budget", "<category>Politics</category>"),
                ("Watch: the budget in 60 seconds",
                 '<category domain="https://a.example/type">video</category>'),
                ("Why the budget fails the young", "<category>Opinion</category>"),
                ("Storm closes the port", ""),
            ])
        )
        + "</channel></rss>"
    ).encode()  # fmt: skip
    for fast in (False, True):
        feed = parse_feed(body, "https://a.example/feed", {}, fast=fast)
        source = Source("https://a.example/feed", "Daily", "World News")
        excluded = dataclasses.replace(source, exclude=("^video$", "^opinion$"))
        items, left_out = feed_items(excluded, feed, NOW)
        assert [i.title for i in items] == [
            "Parliament passes the budget",
            "Storm closes the port",
        ] and left_out == 2
        only = dataclasses.replace(source, include=("^politics$",))
        assert [i.title for i in feed_items(only, feed, NOW)[0]] == ["Parliament passes the budget"]


ITEM = (
    "<item><title>{title}</title><link>{link}</link><guid>{guid}</guid>"
    "<description>{title}: a report of its own, told at length for readers {guid}."
    "</description><pubDate>Sat, 05 Dec 2026 10:00:00 GMT</pubDate></item>"
)


def _rss(base: str) -> bytes:
    items = [
        ("Harbour reopens after the storm", f"{base}/world/harbour", "n1"),
        ("Quiz of the week: the storm", f"{base}/world/quiz", "n2"),
        ("Cup final ends in a draw", f"{base}/sport/final", "n3"),
    ]
    body = "".join(ITEM.format(title=t, link=link, guid=g) for t, link, g in items)
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Daily</title>'
        f"<link>{base}/</link><description>d</description>{body}</channel></rss>"
    ).encode()


def _sources(feed: str, own: str) -> str:
    return (
        '<opml version="2.0"><body><outline text="World News" exclude="/sport/">'
        f'<outline type="rss" text="Daily" xmlUrl="{feed}"{own}/></outline></body></opml>'
    )


def test_a_poll_stores_what_the_rules_let_through_and_an_edit_applies_at_the_next(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO, logger="aggregator")
    db, sources = tmp_path / "agg.db", tmp_path / "feeds.opml"

    async def scenario() -> list[dict[str, object]]:
        async with Upstream() as up:
            feed = up.add_feed("/daily.xml", _rss(up.url("")), etag='"v1"')
            sources.write_text(_sources(feed, ' exclude="^quiz"'))
            service = Service(sources, db, fast_settings())
            try:
                await poll_all(service)
                stored = _titles(db)
                assert stored == ["Harbour reopens after the storm"]
                await poll_all(service)  # the feed unchanged: a 304
                assert up.requests_for("/daily.xml")[-1].headers.get("if-none-match") == '"v1"'
                sources.write_text(_sources(feed, ""))  # the feed's own rule taken out
                await poll_all(service)
                asked = up.requests_for("/daily.xml")
            finally:
                service.close()
        return [dict(r.headers) for r in asked]

    asked = asyncio.run(scenario())
    assert "if-none-match" not in asked[-1]  # read whole again under the new rules
    assert _titles(db) == ["Harbour reopens after the storm", "Quiz of the week: the storm"]
    lines = [r.getMessage() for r in caplog.records]
    assert any("items=1 items_excluded=2 items_new=1" in line for line in lines)
    assert any("items=2 items_excluded=1 items_new=1" in line for line in lines)
    assert any(
        line.endswith("entry rules changed: its next poll reads the feed whole") for line in lines
    )
    assert any(
        line.endswith("rules_changed=1 headers_changed=0 selectors_changed=0") for line in lines
    )
    # `status --json` gives each feed's rules, as the OPML has them now
    capsys.readouterr()
    assert main(["status", "--db", str(db), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["feed_rows"]
    assert (row["exclude"], row["include"]) == (["/sport/"], [])


async def poll_all(service: Service) -> None:
    """Load the OPML and poll every feed, as `aggregator poll --once --all` does."""
    await service.load_sources(strict=True)
    async with Fetcher(service.settings.fetch) as fetcher:
        await service.poll_cycle(fetcher, everything=True)


def _titles(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT title FROM items ORDER BY title")]


def test_add_writes_its_rules_and_interval_on_the_new_outline_and_refuses_bad_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "feeds.opml"
    sources.write_text(_sources("https://a.example/feed", ""))
    with Upstream().running_in_thread() as up:
        feed = up.add_feed("/daily.xml", _rss(up.url("")))
        refused = main(["add", feed, "--exclude", "quiz(", "--opml", str(sources)])
        assert refused == 2
        assert "--exclude 'quiz(': not a regular expression" in capsys.readouterr().err
        late = main(["add", feed, "--interval", "never", "--opml", str(sources)])
        assert late == 2 and "--interval 'never': expected a duration" in capsys.readouterr().err
        added = ["add", feed, "--category", "World News", "--include", "storm|harbour"]
        assert main([*added, "--interval", "2h", "--opml", str(sources)]) == 0
    added = parse_opml(sources.read_bytes()).sources[-1]
    assert (added.url, added.exclude, added.include) == (feed, ("/sport/",), ("storm|harbour",))
    assert added.interval == timedelta(hours=2)
    # an export for another reader carries no rules or intervals: they are this service's own
    out = tmp_path / "export.opml"
    assert main(["export", "--opml", str(sources), "--output", str(out)]) == 0
    exported = out.read_bytes()
    assert b"exclude=" not in exported and b"include=" not in exported
    assert b"interval=" not in exported


def test_a_slow_rule_fails_its_feed_with_the_rule_named_and_the_others_are_polled(
    tmp_path: Path,
) -> None:
    db, sources = tmp_path / "agg.db", tmp_path / "feeds.opml"

    async def scenario() -> None:
        async with Upstream() as up:
            slow = up.add_feed(
                "/slow.xml",
                _rss(up.url("")).replace(b"Harbour reopens after the storm", b"a" * 40 + b"b"),
            )
            plain = up.add_feed("/plain.xml", _rss(up.url("")).replace(b"/world/", b"/news/"))
            sources.write_text(
                '<opml version="2.0"><body><outline text="World News">'
                f'<outline type="rss" text="Slow" xmlUrl="{slow}" exclude="(a|aa)+$"/>'
                f'<outline type="rss" text="Plain" xmlUrl="{plain}"/>'
                "</outline></body></opml>"
            )
            service = Service(sources, db, fast_settings())
            try:
                await poll_all(service)
            finally:
                service.close()

    asyncio.run(scenario())
    with sqlite3.connect(db) as conn:
        states = dict(conn.execute("SELECT url, error FROM feeds").fetchall())
        stored = dict(conn.execute("SELECT feed_url, COUNT(*) FROM items GROUP BY 1").fetchall())
    slow_url = next(url for url in states if url.endswith("/slow.xml"))
    assert "exclude='(a|aa)+$' ran for more than 1 s" in states[slow_url]
    assert slow_url not in stored  # nothing of it: the next poll, the rule mended, stores it
    assert sum(stored.values()) == 3


def test_a_categorys_rule_edited_is_one_line_for_its_feeds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aggregator")
    sources = tmp_path / "feeds.opml"

    def write(rule: str) -> None:
        sources.write_text(
            f'<opml version="2.0"><body><outline text="World News" exclude="{rule}">'
            '<outline type="rss" text="A" xmlUrl="https://a.example/feed"/>'
            '<outline type="rss" text="B" xmlUrl="https://b.example/feed"/>'
            "</outline></body></opml>"
        )

    async def scenario() -> None:
        service = Service(sources, tmp_path / "agg.db", fast_settings())
        try:
            write("/sport/")
            await service.load_sources(strict=True)
            write("/sport/|/live/")
            service.sources.forget()  # (the same size and, maybe, second: read it again)
            await service.load_sources(strict=True)
        finally:
            service.close()

    asyncio.run(scenario())
    said = [r.getMessage() for r in caplog.records if "entry rules changed" in r.getMessage()]
    assert said == [
        "feeds=2 (https://a.example/feed, https://b.example/feed) entry rules changed: "
        "their next polls read them whole"
    ]
