"""A feed's article selector (`selector` on its OPML outline or a category's): the CSS
selector of its article pages' text, in place of the extractor's guess. Read with the nearest
outline's winning, refused when it is no CSS selector, a page it picks nothing on said so in
`status`, an edit trying those pages again; `add --selector` writes it, `export` leaves it out.
Sites and pages here are invented, served on loopback."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from pathlib import Path

import pytest
from test_article_job import poll_then_fetch_pages, settings, teaser_feed
from upstream import Upstream

from aggregator.articles import selected_text, selector_problem, without_elements
from aggregator.cli import main
from aggregator.errors import ConfigError
from aggregator.opml import parse_opml
from aggregator.sources import export_opml

OPML = """<opml version="2.0"><body>
<outline text="World News" selector="article .story-body">
  <outline type="rss" text="Wire" xmlUrl="https://a.example/feed"/>
  <outline type="rss" text="Daily" xmlUrl="https://b.example/feed" selector="#content > p"/>
</outline>
<outline text="Science">
  <outline type="rss" text="Lab" xmlUrl="https://c.example/feed"/>
</outline></body></opml>"""


def test_the_nearest_outlines_selector_holds_and_a_bad_one_refuses_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parsed = parse_opml(OPML.encode(), "feeds.opml")
    assert {s.title: s.selector for s in parsed.sources} == {
        "Wire": "article .story-body",
        "Daily": "#content > p",
        "Lab": None,
    }
    broken = OPML.replace("#content > p", "div[")
    with pytest.raises(ConfigError, match=r"line 4: outline 'Daily': selector='div\[': not a CSS"):
        parse_opml(broken.encode(), "feeds.opml")
    assert selector_problem("p::text") == "not a CSS selector: Pseudo-elements are not supported."
    assert selector_problem("p" * 501) == "longer than 500 characters"
    sources = tmp_path / "feeds.opml"
    sources.write_text(OPML)
    assert main(["check", "--opml", str(sources)]) == 0
    assert "3 feeds in 2 categories, 2 with an article selector" in capsys.readouterr().out
    assert b"selector" not in export_opml(sources)  # (for another reader: not its own)


def test_what_a_selector_picks() -> None:
    page = (
        "<html><head><meta charset='windows-1252'><title>T</title><script>x()</script></head>"
        "<body><nav>Home | World</nav><article><h1>Crane falls</h1><div class='story-body'>"
        "<p>The crane fell on Monday \u201cat dawn\u201d.</p><p>Nobody was <b>hurt</b>.</p>"
        "<script>track()</script></div><div class='related'>Related: more cranes</div>"
        "</article></body></html>"
    ).encode("cp1252")
    body = "The crane fell on Monday “at dawn”.\nNobody was hurt."
    assert selected_text(page, "article .story-body") == body
    # an element inside another that is picked counts once; several are read in order
    assert (
        selected_text(page, "article, .story-body") == f"Crane falls\n{body}\nRelated: more cranes"
    )
    assert selected_text(page, ".story-body p:first-child") == "The crane fell on Monday “at dawn”."
    assert selected_text(page, ".comments") is None
    assert selected_text(b"", "p") is None


STORY = (
    "<html><head><title>{title}</title></head><body><nav>Home | World | Sport</nav><article>"
    "<h1>{title}</h1><div class='story'>{paragraphs}</div><div class='related'><h2>Read more"
    "</h2><p>Harbour cranes across the region are inspected every spring, as the port's"
    " rules ask of every operator, and several older cranes were replaced last year.</p>"
    "</div></article><footer>About us</footer></body></html>"
)


def _pages(db: Path) -> list[tuple[str, str | None, str | None]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT status, error, text FROM articles ORDER BY item_id"))


def test_a_feeds_pages_are_read_by_its_selector_and_an_edit_reads_them_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sources, db = tmp_path / "feeds.opml", tmp_path / "agg.db"

    def listing(feed: str, selector: str, remove: str) -> str:
        leave_out = f" remove='{remove}'" if remove else ""
        return (
            "<opml version='2.0'><body><outline text='World'><outline type='rss' text='Near' "
            f"xmlUrl='{feed}' selector='{selector}'{leave_out}/></outline></body></opml>"
        )

    async def pass_with(feed: str, selector: str, remove: str = "") -> None:
        sources.write_text(listing(feed, selector, remove))
        await poll_then_fetch_pages(sources, settings(), db)

    async def scenario() -> None:
        async with Upstream() as up:
            feed = teaser_feed(up, "Near", ["p1"])
            paragraphs = [
                "The harbour crane p1 of Near collapsed on Monday, officials said.",
                *(f"Witnesses at the Near dock heard crane p1 creak, line {k}." for k in range(6)),
            ]
            title = "Near report p1: harbour crane p1 collapses"
            html = STORY.format(title=title, paragraphs="".join(f"<p>{p}</p>" for p in paragraphs))
            up.add_feed("/p1.html", html.encode(), content_type="text/html")
            up.add_feed("/robots.txt", b"User-agent: *\nDisallow:\n", content_type="text/plain")
            # a selector that picks nothing: no text, and `status` says why
            await pass_with(feed, ".story-text")
            ((status, error, text),) = _pages(db)
            assert status == "empty" and text is None
            assert error == "its feed's selector '.story-text' picks no text on this page"
            # mended: that page is read again with it, and gives what it picks, and only that
            caplog.clear()
            with caplog.at_level(logging.INFO, logger="aggregator"):
                await pass_with(feed, "article .story")
            said = f"feed={feed} article selector changed: its pages are read again at the next"
            assert any(r.getMessage().startswith(said) for r in caplog.records)
            assert any(r.getMessage().endswith(" selectors_changed=1") for r in caplog.records)
            ((status, error, text),) = _pages(db)
            assert status == "ok" and text == "\n".join(paragraphs)
            assert len(up.requests_for("/p1.html")) == 2
            assert any("Witnesses at the Near dock" in b for b in _bullets(db))
            # edited again: the page that gave text is read again, and gives what it picks now
            await pass_with(feed, "article .story p:nth-child(-n+3)")
            ((status, error, text),) = _pages(db)
            assert status == "ok" and text == "\n".join(paragraphs[:3])
            assert len(up.requests_for("/p1.html")) == 3
            assert not any(f"line {k}" in b for b in _bullets(db) for k in range(2, 6))
            # a page gone from the site keeps the text it gave; one that gives none by the
            # edited selector gives it up, and its story is summarised without it
            up.add_feed("/p1.html", b"gone", status=404, content_type="text/plain")
            await pass_with(feed, "article .story p")
            assert _pages(db)[0][:1] == ("ok",) and len(up.requests_for("/p1.html")) == 4
            up.add_feed("/p1.html", html.encode(), content_type="text/html")
            await pass_with(feed, ".story-text")
            assert _pages(db)[0][:1] == ("empty",)
            assert not any("Witnesses at the Near dock" in b for b in _bullets(db))
            # an edited `remove` reads them again too: what it picks is left out
            await pass_with(feed, "article .story p", "p:nth-child(n+3)")
            assert _pages(db)[0][::2] == ("ok", "\n".join(paragraphs[:2]))

    asyncio.run(scenario())


def _bullets(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        (bullets,) = conn.execute("SELECT bullets FROM summaries").fetchone()
    return [b["text"] for b in json.loads(bullets)]


def test_what_remove_leaves_out() -> None:
    page = (
        "<html><head><meta charset='windows-1252'><title>T</title></head><body><article>"
        "<div class='story'><p>The crane fell on Monday “at dawn”.</p>"
        "<aside class='ad'>Buy cranes</aside><p>Nobody was hurt.</p></div>"
        "<div class='related'><p>Read more: other cranes</p></div></article></body></html>"
    ).encode("cp1252")
    left = without_elements(page, ".related, .ad")
    assert isinstance(left, str) and "Buy cranes" not in left and "other cranes" not in left
    assert selected_text(left, "article") == "The crane fell on Monday “at dawn”.\nNobody was hurt."
    assert without_elements(b"", "p") == b""  # (nothing to read: the page as it was)
    parsed = parse_opml(OPML.replace('selector="#content > p"', 'remove=".ad"').encode())
    assert {s.title: (s.selector, s.remove) for s in parsed.sources} == {
        "Wire": ("article .story-body", None),
        "Daily": ("article .story-body", ".ad"),  # (the category's selector, its own remove)
        "Lab": (None, None),
    }
    with pytest.raises(ConfigError, match=r"outline 'Daily': remove='div\[': not a CSS"):
        parse_opml(OPML.replace('selector="#content > p"', 'remove="div["').encode(), "feeds.opml")


def test_add_writes_the_selector_and_refuses_a_bad_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "feeds.opml"
    sources.write_text(OPML)
    with Upstream().running_in_thread() as up:
        feed = teaser_feed(up, "New", ["n1"])
        opml = ["--opml", str(sources)]
        added = ["add", feed, "--category", "Science", "--selector", "main p"]
        assert main([*added, "--remove", ".related", *opml]) == 0
        assert main(["add", feed + "?2", "--selector", "p[", *opml]) == 2
        assert main(["add", feed + "?3", "--remove", "a[", *opml]) == 2
    said = capsys.readouterr().err
    assert "--selector 'p[': not a CSS selector" in said and "--remove 'a[': not a CSS" in said
    found = [s for s in parse_opml(sources.read_bytes()).sources if s.url == feed]
    assert [(s.category, s.selector, s.remove) for s in found] == [
        ("Science", "main p", ".related")
    ]
    assert main(["check", "--opml", str(sources)]) == 0
    assert "3 with an article selector, 1 leaving out parts of their article pages" in (
        capsys.readouterr().out
    )
    assert b"remove=" not in export_opml(sources)


def test_article_shows_what_a_page_gives_before_the_selector_is_written(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = [
        f"The crane fell into the harbour at dawn on Monday, port officials said, line {n}."
        for n in "1234"
    ]
    paragraphs = "".join(f"<p>{line}</p>" for line in lines)
    html = STORY.format(title="Crane falls", paragraphs=paragraphs).replace(
        "<head>", "<head><meta property='og:image' content='https://cdn.example/crane.jpg'>"
    )
    with Upstream().running_in_thread() as up:
        page = up.add_feed("/news/crane.html", html.encode(), content_type="text/html")
        hidden = up.add_feed("/private/crane.html", html.encode(), content_type="text/html")
        up.add_feed(
            "/robots.txt", b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"
        )
        assert main(["article", page]) == 0
        by_extractor = capsys.readouterr().out
        assert main(["article", page, "--selector", "article .story"]) == 0
        by_selector = capsys.readouterr().out
        assert main(["article", page, "--selector", ".nothing"]) == 1
        nothing = capsys.readouterr().out
        assert main(["article", hidden, "--selector", ".story"]) == 0
        disallowed = capsys.readouterr().out
        assert main(["article", up.url("/gone.html")]) == 2
        gone = capsys.readouterr().err
        assert main(["article", page, "--selector", "p["]) == 2
        refused = capsys.readouterr().err
        assert main(["article", page, "--remove", ".story p:nth-child(2)"]) == 0
        removed = capsys.readouterr().out
    assert by_extractor.startswith(f"{page} (200, text/html, ")
    assert "robots.txt: allows it\npicture: https://cdn.example/crane.jpg\n" in by_extractor
    assert "by the extractor" in by_extractor
    assert "text (60 words, by the selector 'article .story'):\n\n" in by_selector
    assert by_selector.endswith("\n".join(lines) + "\n")
    assert "inspected every spring" not in by_selector
    assert nothing.endswith("text: none found by the selector '.nothing'\n")
    assert "robots.txt: disallows it: the service does not fetch this page" in disallowed
    assert "gone.html: HTTP 404" in gone
    assert "--selector 'p[': not a CSS selector" in refused
    assert lines[1] in by_extractor
    assert "by the extractor, less what '.story p:nth-child(2)' picks):" in removed
    kept = [line for n, line in enumerate(lines) if n != 1]
    assert lines[1] not in removed and removed.endswith("\n".join(kept) + "\n")


def test_article_of_an_address_without_its_scheme_says_what_to_write(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["article", "news.example.org/2026/crane.html"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "aggregator: article: news.example.org/2026/crane.html: "
        "no http:// or https:// in front of the address\n"
    )
