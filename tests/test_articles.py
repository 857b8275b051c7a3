"""Tests of aggregator.articles: teaser detection, what is due, robots.txt, text extraction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aggregator.articles import (
    MAX_CRAWL_DELAY,
    ArticleSettings,
    crawl_delay,
    due_articles,
    extract_text,
    gives_headlines_only,
    is_home_page,
    is_script_redirect,
    is_teaser,
    next_try,
    passing_failure,
    robots_allows,
    robots_url,
    skipped_feed,
)
from aggregator.dedupe import source_outlet
from aggregator.models import Item

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
FULL = " ".join(f"Sentence number {n} of a long report says something new." for n in range(20))
# Invented: a Chinese report of 250 characters (125 words at two characters a word), and an
# Urdu one of 140 words ("This is one sentence of a long report."), each closed by its stop.
ZH_FULL = "工程师在港口大桥主跨发现裂缝，大桥随即封闭。" * 12 + "市议会说。"
UR_FULL = " ".join("یہ ایک طویل رپورٹ کا جملہ ہے۔" for _ in range(20))


@pytest.mark.parametrize(
    ("text", "teaser"),
    [
        ("", True),
        ("The dam broke on Monday.", True),  # short
        (FULL, False),
        (FULL + " The minister said the…", True),  # cut off
        (FULL + " Read more", True),
        (FULL + " and then the", True),  # no closing punctuation
        # Chinese is measured by characters and closed by "。"; Urdu by "۔"
        (ZH_FULL, False),
        (ZH_FULL[:100], True),  # short
        (ZH_FULL + "……", True),  # cut off
        (ZH_FULL[:-1], True),  # no closing stop
        (UR_FULL, False),
    ],
)
def test_is_teaser(text: str, teaser: bool) -> None:
    assert is_teaser(text, 120) is teaser


def make(n: int, text: str = "Short teaser.", **kw: object) -> Item:
    values: dict[str, object] = {
        "id": f"i{n}",
        "title": f"Story {n}",
        "text": text,
        "url": f"https://news.example/{n}",
        "feed_url": "https://news.example/feed.xml",
        "first_seen": NOW - timedelta(minutes=n),
    }
    values.update(kw)
    return Item(**values)  # type: ignore[arg-type]


def test_due_articles_newest_first_capped_and_full_texts_set_apart() -> None:
    settings = ArticleSettings(per_pass=2)
    items = [make(3), make(1), make(2), make(4, FULL), make(5, url="ftp://x/y"), make(6, url=None)]
    fetch, enough, never = due_articles(items, settings)
    assert [i.id for i in fetch] == ["i1", "i2"]
    assert [i.id for i in enough] == ["i4"]
    assert sorted(i.id for i in never) == ["i5", "i6"]  # recorded, so never asked again


def test_due_articles_take_at_most_a_sites_share_and_fill_the_pass_with_others() -> None:
    slow = [make(n, url=f"https://slow.example/{n}") for n in range(1, 6)]  # the newest
    others = [make(n) for n in range(6, 9)]
    fetch, _, _ = due_articles(slow + others, ArticleSettings(per_pass=4), {"slow.example": 1})
    assert [i.id for i in fetch] == ["i1", "i6", "i7", "i8"]


@pytest.mark.parametrize(
    ("robots", "delay"),
    [
        ("User-agent: *\nCrawl-delay: 10\nDisallow: /private/\n", 10.0),
        ("User-agent: *\nCrawl-delay: 2.5\n", 2.5),
        ("User-agent: aggregator\nCrawl-delay: 7\n\nUser-agent: *\nCrawl-delay: 1\n", 7.0),
        ("User-agent: otherbot\nCrawl-delay: 30\n", 0.0),  # not ours
        ("User-agent: *\nDisallow: /private/\n", 0.0),
        ("User-agent: *\nCrawl-delay: soon\n", 0.0),
        ("User-agent: *\nCrawl-delay: -5\n", 0.0),
        ("User-agent: *\nCrawl-delay: nan\n", 0.0),
        ("User-agent: *\nCrawl-delay: 86400\n", MAX_CRAWL_DELAY),  # at most a minute
        ("\x00\xff garbage", 0.0),
    ],
)
def test_crawl_delay(robots: str, delay: float) -> None:
    assert crawl_delay(robots, "aggregator/0.1 (+https://example.org)") == delay


def test_skipped_feeds_and_adverts_are_never_fetched() -> None:
    settings = ArticleSettings(skip_feeds=("https://news.example/feed.xml",))
    assert due_articles([make(1)], settings) == ([], [], [make(1)])
    by_host = ArticleSettings(skip_feeds=("news.example",))
    assert due_articles([make(1)], by_host) == ([], [], [make(1)])
    advert = make(2, title="Sponsored: cheap loans")
    assert due_articles([advert], ArticleSettings()) == ([], [], [advert])
    # a video platform's page is a player, not an article (a channel's feed links each one)
    videos = [
        make(3, url="https://www.youtube.com/watch?v=abc123"),
        make(4, url="https://youtu.be/abc123"),
        make(5, url="https://vimeo.com/123456"),
        make(7, url="https://open.spotify.com/episode/4rOoJ6Egrf8K2IrywzwOMk"),
    ]
    assert due_articles(videos, ArticleSettings()) == ([], [], videos)
    # an aggregator's link that leads on only through a script (its feed names the publisher)
    google = make(8, url="https://news.google.com/rss/articles/CBMiQ2h0dHBz?oc=5")
    assert due_articles([google], ArticleSettings()) == ([], [], [google])
    lookalike = make(6, url="https://notyoutube.com/watch?v=1")
    assert due_articles([lookalike], ArticleSettings()) == ([lookalike], [], [])
    assert skipped_feed("https://a.example/f", ["b.example"]) is False


@pytest.mark.parametrize(
    ("url", "home"),
    [
        ("https://news.example", True),
        ("https://news.example/", True),
        ("https://news.example/index.html", True),
        ("https://news.example/#top-stories", True),  # (a fragment points into the page)
        ("https://news.example/en/", True),  # a language's or region's home page
        ("https://news.example/de-DE", True),
        ("https://news.example/?p=123", False),  # an article at the root, by its query
        ("https://news.example/news", False),  # a section, which may be an article's link
        ("https://news.example/2024/harbour-wall.html", False),
        ("https://news.example/en/2024/harbour-wall", False),
    ],
)
def test_a_home_page_is_no_ones_article(url: str, home: bool) -> None:
    assert is_home_page(url) is home


def test_robots() -> None:
    rules = "User-agent: *\nDisallow: /private/\n\nUser-agent: aggregator\nDisallow: /nobots/\n"
    agent = "aggregator/0.1 (+https://example.org)"
    assert robots_allows(rules, "https://n.example/world/1", agent)
    assert not robots_allows(rules, "https://n.example/nobots/1", agent)
    assert robots_allows("", "https://n.example/private/1", agent)
    assert not robots_allows("User-agent: *\nDisallow: /\n", "https://n.example/a", agent)
    assert robots_url("https://n.example:8443/a/b?c=1") == "https://n.example:8443/robots.txt"


def test_extract_text_keeps_the_article_and_drops_the_furniture() -> None:
    page = (
        b"<html><head><title>Dam breaks</title></head><body>"
        b"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        b"<article><h1>Dam breaks after storm</h1>"
        b"<p>The Tisza dam broke on Monday night after days of heavy rain, flooding three "
        b"villages in the valley below it.</p>"
        b"<p>Rescue teams evacuated more than 2,000 residents overnight, officials said on "
        b"Tuesday morning.</p></article>"
        b"<footer>Copyright News Example. Cookie settings.</footer></body></html>"
    )
    text = extract_text(page, "https://news.example/dam")
    assert "Rescue teams evacuated more than 2,000 residents overnight" in text
    assert "Cookie settings" not in text and "Home" not in text.split("\n")


def test_extract_text_of_garbage_is_empty() -> None:
    assert extract_text(b"\x00\xff\x00 not html", "https://news.example/x") == ""
    assert extract_text(b"", "https://news.example/x") == ""


def test_articles_settings_from_toml_and_environment() -> None:
    from aggregator.config import build_settings

    settings = build_settings(
        {"articles": {"skip_feeds": ["https://a.example/feed.xml"], "max_age": "1d"}},
        {"AGGREGATOR_ARTICLES_ENABLED": "false"},
    )
    assert settings.articles.enabled is False
    assert settings.articles.skip_feeds == ("https://a.example/feed.xml",)
    assert settings.articles.max_age == timedelta(days=1)
    assert build_settings().articles.enabled is True  # on by default


def test_a_page_read_many_times_gives_its_text_every_time() -> None:
    # Several outlets run the same wire copy: each page still yields the whole text.
    body = (
        b"<html><body><article><h1>Dam breaks</h1>"
        b"<p>The Tisza dam broke on Monday night after days of heavy rain in the valley.</p>"
        b"<p>Rescue teams evacuated more than 2,000 residents from three villages overnight.</p>"
        b"</article></body></html>"
    )
    texts = [extract_text(body, f"https://outlet{n}.example/dam") for n in range(6)]
    assert all("2,000 residents" in text for text in texts)
    assert len(set(texts)) == 1


@pytest.mark.parametrize(
    ("status", "error", "passing"),
    [
        (None, "DNS lookup failed for news.example", True),
        (None, "timed out after 30 s", True),
        (None, "connection refused", True),
        (None, "connection reset by peer", True),
        (503, "HTTP 503 Service Unavailable", True),
        (429, "HTTP 429 Too Many Requests", True),
        (408, "HTTP 408 Request Timeout", True),
        (404, "HTTP 404 Not Found", False),
        (410, "HTTP 410 Gone", False),
        (403, "HTTP 403 Forbidden", False),
        (200, "response larger than 4 MiB", False),
        (None, "private address refused: http://10.0.0.1/ (10.0.0.1)", False),
        (None, "refused: 10.0.0.1 is a private address", False),
        (None, "too many redirects (more than 5)", False),
        (None, "unsupported URL scheme 'ftp' (only http and https)", False),
    ],
)
def test_only_a_failure_that_may_pass_is_tried_again(
    status: int | None, error: str, passing: bool
) -> None:
    assert passing_failure(status, error) is passing


def test_a_page_is_tried_again_after_30_minutes_2_hours_and_8_hours_then_never() -> None:
    now = datetime(2026, 12, 4, 12, tzinfo=UTC)
    assert [next_try(n, now) for n in range(1, 5)] == [
        now + timedelta(minutes=30),
        now + timedelta(hours=2),
        now + timedelta(hours=8),
        None,
    ]


@pytest.mark.parametrize(
    ("host", "google_news"),
    [
        ("news.google.com", True),
        ("news.google.co.uk", True),  # old regional hosts: the same service
        ("news.google.de", True),
        ("news.google.com.au", True),
        ("NEWS.GOOGLE.FR", True),
        ("news.google.evil.example", False),  # look-alikes
        ("notnews.google.com", False),
        ("news.google.co.uk.evil.example", False),
        ("news.google.com.evil", False),
        ("evilnews.google.de", False),
        ("google.co.uk", False),
    ],
)
def test_a_google_news_feed_is_told_on_any_of_its_country_hosts(
    host: str, google_news: bool
) -> None:
    """A Google News feed on a regional host (news.google.co.uk, .de, .com.au) had been
    taken for a publisher's: its entries' pages, which lead on only through a script, were
    fetched, `status` and `check` did not say it gives headlines only, and its entries were
    not counted as the publisher each names. A look-alike host is none."""
    link = f"https://{host}/rss/articles/CBMiQ2h0dHBz?oc=5"
    assert is_script_redirect(link) is google_news
    assert gives_headlines_only(f"https://{host}/rss/search?q=dam") is google_news
    page = make(1, url=link)
    assert due_articles([page], ArticleSettings())[2] == ([page] if google_news else [])
    named = source_outlet(link, "https://www.harbourgazette.example/")
    assert named == ("harbourgazette.example" if google_news else "")


@pytest.mark.parametrize("selector", [None, "article"])
def test_an_enormous_page_is_read_as_far_as_its_first_elements(
    monkeypatch: pytest.MonkeyPatch, selector: str | None
) -> None:
    """The extractor's time grows with a page's elements, ~16 CPU s a MB of unclosed
    paragraphs, in a thread of the service's own process: a 4 MB page (`max_bytes`) of them
    held it ~65 s. A page is read up to its `MAX_PAGE_ELEMENTS`th element; the text before it
    is kept."""
    import re

    import aggregator.article_job as article_job
    import aggregator.articles as articles

    most = 2_000  # (of `MAX_PAGE_ELEMENTS`' 25,000: the test reads a smaller page)
    monkeypatch.setattr(articles, "MAX_PAGE_ELEMENTS", most)
    read: list[bytes | str] = []
    extract, select = article_job.extract_text, article_job.selected_text

    def extracting(page: bytes | str, url: str) -> str:
        read.append(page)
        return extract(page, url)

    def selecting(page: bytes | str, chosen: str) -> str | None:
        read.append(page)
        return select(page, chosen)

    monkeypatch.setattr(article_job, "extract_text", extracting)
    monkeypatch.setattr(article_job, "selected_text", selecting)
    lead = "<p>The council voted on the harbour bridge repairs late on Tuesday evening.</p>"
    page = f"<html><body><article>{lead}{'<p>word ' * (4 * most)}".encode()
    text = article_job.page_text(page, "http://news.example/a/1", selector, None, "text/html")
    assert text is not None and text.startswith("The council voted")
    (given,) = read
    tags = re.findall(rb"<[A-Za-z]", given if isinstance(given, bytes) else given.encode())
    assert most - 10 < len(tags) <= most


@pytest.mark.parametrize(
    ("shape", "content_type"),
    [
        ("gzip", "text/html"),  # the extractor unpacks a packed body itself
        ("utf-16", "text/html"),  # with its byte order mark: the extractor finds its charset
        ("utf-32", "text/html"),
        ("utf-16-le", "text/html"),  # no mark: read as UTF-8 with NULs, which it drops
        ("nul", "text/html; charset=utf-8"),  # a NUL between "<" and each tag's name
    ],
)
def test_a_page_the_extractor_reads_otherwise_is_cut_as_it_reads_it(
    monkeypatch: pytest.MonkeyPatch, shape: str, content_type: str
) -> None:
    """The elements are counted in the page as the extractor reads it: it unpacks a gzip
    body, finds a charset from a byte order mark or a guess, and drops NULs and other
    control characters before parsing. A page of unclosed paragraphs packed, in UTF-16 or
    UTF-32, or with a NUL after each "<" had not been cut at all (its 4 MB read in full)."""
    import gzip

    from trafilatura.utils import load_html

    import aggregator.article_job as article_job
    import aggregator.articles as articles

    most = 2_000
    monkeypatch.setattr(articles, "MAX_PAGE_ELEMENTS", most)
    read: list[bytes | str] = []
    extract = article_job.extract_text

    def extracting(page: bytes | str, url: str) -> str:
        read.append(page)
        return extract(page, url)

    monkeypatch.setattr(article_job, "extract_text", extracting)
    lead = "<p>The council voted on the harbour bridge repairs late on Tuesday evening.</p>"
    html = f"<html><head><title>Bridge</title></head><body><article>{lead}{'<p>word ' * (4 * most)}"
    if shape == "gzip":
        page = gzip.compress(html.encode())
    elif shape == "nul":
        page = html.replace("<p>", "<\x00p>").encode()
    else:
        page = html.encode(shape)
    text = article_job.page_text(page, "http://news.example/a/1", None, None, content_type)
    assert text is not None and text.startswith("The council voted")
    (given,) = read
    root = load_html(given)
    assert root is not None
    assert most - 10 < sum(1 for _ in root.iter()) <= most + 2  # (and html, body)
