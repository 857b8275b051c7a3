"""Social accounts as sources: a Mastodon or Bluesky account's feed is an outlet of its own
(all accounts of one server are not one outlet), named as its feed names it, counted as the
outlet whose name it carries, and its post pages are never fetched as articles."""

from __future__ import annotations

import html
import sqlite3
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from served_pass import poll_served, published_words

from aggregator.article_settings import ArticleSettings
from aggregator.articles import due_articles, is_social_post
from aggregator.dedupe import account_outlet, item_outlet, key_name
from aggregator.models import Entry, Item, ParsedFeed, Source
from aggregator.parse import parse_feed
from aggregator.pipeline import entries_to_items
from aggregator.summarize import ExtractiveSummarizer

NOW = datetime.now(UTC)
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SERVER = "social.example"
REPORT = (
    "Engineers at the Corvane dam opened the spillway gates on Sunday after three days of "
    "heavy rain. Towns in the Lusk valley below the dam were told to prepare for flooding, "
    "and 1,200 residents were moved to shelters. The regional water authority said the "
    "reservoir stood at 98 percent of capacity."
)


def _when(minutes: int) -> str:
    return format_datetime(NOW - timedelta(minutes=minutes), usegmt=True)


def _mastodon(account: str, name: str, post: str, minutes: int, shares: bool = False) -> bytes:
    """A Mastodon account's RSS, as servers write it: no titles, the post as HTML with a
    mention and a hashtag in it (pages of its server), and the account's site's article when
    it `shares` one."""
    link = f"https://{SERVER}/@{account}/1130{minutes}"
    article = ""
    if shares:
        article = (
            f' <a href="https://www.{account.lower()}.example/corvane" rel="nofollow">'
            f'<span class="invisible">https://www.</span><span>{account.lower()}.example/'
            "corvane</span></a>"
        )
    text = html.escape(
        f'<p>{post}{article} <a href="https://{SERVER}/@editor" class="u-url mention">@'
        f'<span>editor</span></a> <a href="https://{SERVER}/tags/floods" class="mention '
        'hashtag" rel="tag">#<span>floods</span></a></p>'
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:media="http://search.yahoo.com/mrss/"><channel>'
        f"<title>{name}</title><description>Public posts from @{account}@{SERVER}"
        f"</description><link>https://{SERVER}/@{account}</link>"
        f'<item><guid isPermaLink="true">{link}</guid><link>{link}</link>'
        f"<pubDate>{_when(minutes)}</pubDate><description>{text}</description>"
        "<category>floods</category></item></channel></rss>"
    ).encode()


def _bluesky(handle: str, name: str, post: str, minutes: int) -> bytes:
    """A Bluesky account's RSS: "@handle - Name" for a title, plain-text posts."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<description>{name}</description><link>https://bsky.app/profile/{handle}</link>"
        f"<title>@{handle} - {name}</title><item>"
        f"<link>https://bsky.app/profile/{handle}/post/3lcorvane</link>"
        f"<description>{post}</description><pubDate>{_when(minutes)}</pubDate>"
        f'<guid isPermaLink="false">at://did:plc:harbour/app.bsky.feed.post/3lcorvane</guid>'
        "</item></channel></rss>"
    ).encode()


def _site(name: str, site: str) -> bytes:
    return (
        f"<rss version='2.0'><channel><title>{name}</title><link>{site}/</link><item>"
        "<title>Corvane dam spillway opened after heavy rain</title>"
        f"<link>{site}/corvane</link><pubDate>{_when(5)}</pubDate>"
        f"<description>{REPORT}</description></item></channel></rss>"
    ).encode()


def _opml(urls: list[str]) -> str:
    """The sources, each outline's text its address (no name of the operator's)."""
    outlines = "".join(f'<outline type="rss" text="{u}" xmlUrl="{u}"/>' for u in urls)
    return (
        f'<opml version="2.0"><body><outline text="World News">{outlines}</outline></body></opml>'
    )


def test_social_accounts_are_outlets_of_their_own_in_a_published_story(tmp_path: Path) -> None:
    feeds = {
        "/harbour.xml": _site("Harbour Gazette", "https://www.harbourgazette.example"),
        "/harbour-bsky.xml": _bluesky(
            "harbourgazette.example",
            "Harbour Gazette",
            "The Corvane dam spillway gates were opened on Sunday after heavy rain, and "
            "1,200 residents of the Lusk valley were moved to shelters.",
            3,
        ),
        "/marrow.xml": _mastodon(
            "MarrowTimes",
            "Marrow Times",
            "Engineers opened the Corvane dam spillway gates on Sunday after three days of "
            "heavy rain, and towns in the Lusk valley were told to prepare for flooding.",
            2,
        ),
        "/pellow.xml": _mastodon(
            "PellowPost",
            "Pellow Post",
            "The Corvane dam reservoir stood at 98 percent of capacity when engineers opened "
            "the spillway gates on Sunday after heavy rain in the Lusk valley.",
            1,
        ),
    }

    db = poll_served(tmp_path, feeds, _opml)
    with sqlite3.connect(db) as conn:
        outlets = {row[0] for row in conn.execute("SELECT outlet FROM items")}
    assert outlets == {
        "harbourgazette.example",
        "bsky.app/profile/harbourgazette.example",
        f"{SERVER}/@marrowtimes",
        f"{SERVER}/@pellowpost",
    }
    words = published_words(db, tmp_path)
    # the Bluesky account is the Gazette's own (same name); the two Mastodon accounts of one
    # server are two outlets, each named as its feed names it
    assert "Summary based on 3 sources (4 reports):" in words
    assert "Harbour Gazette — The Corvane dam spillway gates were opened on Sunday" in words
    assert "Marrow Times — Engineers opened the Corvane dam spillway gates" in words
    assert "Pellow Post — The Corvane dam reservoir stood at 98 percent" in words
    assert "@harbourgazette.example" not in words and SERVER not in words


def test_an_accounts_page_or_post_is_the_account() -> None:
    cases = {
        f"https://{SERVER}/@MarrowTimes/113012": f"{SERVER}/@marrowtimes",
        f"https://{SERVER}/@MarrowTimes": f"{SERVER}/@marrowtimes",
        f"https://{SERVER}/@marrow@other.example/113": "other.example/@marrow",
        "https://www.threads.net/@harbour/post/C4xYz9": "threads.net/@harbour",
        "https://bsky.app/profile/harbour.example/post/3lc": "bsky.app/profile/harbour.example",
        "https://bsky.app/profile/harbour.example": "bsky.app/profile/harbour.example",
        "https://t.me/HarbourGazette/123": "t.me/harbourgazette",  # (a Telegram channel's)
        "https://t.me/s/HarbourGazette": "t.me/harbourgazette",
        "https://t.me/joinchat/AbCdEf": "",  # (Telegram's own pages: none)
        # a site's author page under a story's slug, a hashtag page, an article: no account
        "https://www.harbourgazette.example/@reporter/corvane-dam-opened": "",
        f"https://{SERVER}/tags/floods": "",
        "https://www.harbourgazette.example/corvane": "",
    }
    assert {url: account_outlet(url) for url in cases} == cases
    assert key_name(f"{SERVER}/@marrowtimes") == f"@marrowtimes@{SERVER}"
    assert key_name("bsky.app/profile/harbour.example") == "@harbour.example"
    assert key_name("t.me/harbourgazette") == "@harbourgazette"
    assert key_name("harbourgazette.example") == "harbourgazette.example"
    # two accounts of one server are two outlets, whatever the feed's site
    assert item_outlet(f"https://{SERVER}/@a/1", f"https://{SERVER}/@a") == f"{SERVER}/@a"
    assert item_outlet(f"https://{SERVER}/@b/2", f"https://{SERVER}/@a") == f"{SERVER}/@b"


def _items(site: str, links: list[str], title: str = "Feed") -> list[tuple[str, str]]:
    source = Source(url="https://feeds.example/x.xml", title="", category="News")
    entries = tuple(
        Entry(guid=f"g{k}", title="", text=f"Post {k} about the dam.", url=u)
        for k, u in enumerate(links)
    )
    parsed = ParsedFeed(title, site, entries)
    return [(i.outlet, i.outlet_name) for i in entries_to_items(source, parsed, T0)]


def test_an_accounts_feed_is_the_account_and_a_hashtags_feed_names_each_poster() -> None:
    posts = [f"https://{SERVER}/@MarrowTimes/1", f"https://{SERVER}/@MarrowTimes/2"]
    account = f"{SERVER}/@marrowtimes"
    assert _items(f"https://{SERVER}/@MarrowTimes", posts, "Marrow Times") == [
        (account, "Marrow Times"),
        (account, "Marrow Times"),
    ]
    # an account's entries linking one site's articles (3 or more) are that site's, under
    # the account's name (an outlet's own account); fewer are named by the site's domain
    shared = [f"https://www.harbourgazette.example/{k}" for k in range(3)]
    hg = "harbourgazette.example"
    assert set(_items(f"https://{SERVER}/@MarrowTimes", shared)) == {(hg, "Feed")}
    assert set(_items(f"https://{SERVER}/@MarrowTimes", shared[:2])) == {(hg, hg)}
    # a Telegram channel's feed (RSSHub's: the channel's preview page for its link)
    telegram = ["https://t.me/HarbourGazette/10", "https://t.me/HarbourGazette/11"]
    assert set(_items("https://t.me/s/HarbourGazette", telegram, "Harbour Gazette")) == {
        ("t.me/harbourgazette", "Harbour Gazette")
    }
    mixed = [posts[0], f"https://{SERVER}/@PellowPost/3"]
    assert _items(f"https://{SERVER}/tags/floods", mixed, "#floods") == [
        (account, f"@marrowtimes@{SERVER}"),
        (f"{SERVER}/@pellowpost", f"@pellowpost@{SERVER}"),
    ]


def test_a_bluesky_feeds_title_is_the_accounts_name() -> None:
    body = _bluesky("harbourgazette.example", "Harbour Gazette", "A post.", 1)
    assert parse_feed(body, "https://bsky.app/x/rss").title == "Harbour Gazette"
    # the same shape of title elsewhere is a title
    other = body.replace(b"https://bsky.app/profile/", b"https://www.example.com/")
    assert parse_feed(other, "https://www.example.com/rss").title == (
        "@harbourgazette.example - Harbour Gazette"
    )


def test_a_social_post_is_never_fetched_as_an_article() -> None:
    posts = [
        f"https://{SERVER}/@MarrowTimes/113012",
        "https://bsky.app/profile/harbour.example/post/3lcorvane",
        "https://x.com/harbour/status/1",
        "https://www.facebook.com/harbour/posts/1",
        "https://t.me/HarbourGazette/10",
    ]
    assert all(is_social_post(url) for url in posts)
    assert not is_social_post("https://www.harbourgazette.example/corvane")
    items = [
        Item(id=f"i{k}", title="Dam", text="Short post.", url=url, first_seen=T0)
        for k, url in enumerate([*posts, "https://www.harbourgazette.example/corvane"])
    ]
    fetch, _, never = due_articles(items, ArticleSettings())
    assert [i.url for i in fetch] == ["https://www.harbourgazette.example/corvane"]
    assert sorted(i.url for i in never) == sorted(posts)


def test_posts_alone_make_a_summary_without_their_links_and_hashtags() -> None:
    """Two accounts' posts, each ending with a mention and a hashtag, one with a hashtag in
    a sentence (no title, as Mastodon writes them): the story has a headline and a bullet,
    neither with a tag: the closing ones are left out, the other is read as its word."""
    posts = [
        (
            "MarrowTimes",
            "Marrow Times",
            "Engineers opened the Corvane dam spillway gates on Sunday after three days of "
            "heavy rain, and towns in the Lusk valley were told to prepare for flooding.",
        ),
        (
            "PellowPost",
            "Pellow Post",
            "The Corvane dam reservoir stood at 98 percent of capacity when engineers opened "
            "the spillway gates on Sunday after heavy rain in the #Lusk valley.",
        ),
    ]
    items: list[Item] = []
    for account, name, post in posts:
        url = f"https://feeds.example/{account}.rss"
        parsed = parse_feed(_mastodon(account, name, post, 2), url)
        items += entries_to_items(Source(url=url, title="", category="World News"), parsed, NOW)
    summary = ExtractiveSummarizer().summarize(items)
    assert summary.outlet_count == 2
    assert summary.headline.startswith("Engineers opened the Corvane dam spillway gates")
    assert [b.text for b in summary.bullets] == [posts[1][2].replace("#Lusk", "Lusk")]
    assert not any("#" in i.text or "@" in i.text or "#" in i.title for i in items)


def test_a_post_sharing_one_article_is_the_articles() -> None:
    """Its link is the article's (fetched for text, a duplicate of the article from the
    outlet's own feed), its guid the post's; a post linking none or several, or sharing a
    video or another post, keeps its own link."""
    post = _mastodon("MarrowTimes", "Marrow Times", "The Corvane dam opened.", 2, shares=True)
    (entry,) = parse_feed(post, "https://feeds.example/m.rss").entries
    assert entry.url == "https://www.marrowtimes.example/corvane"
    assert entry.guid == f"https://{SERVER}/@MarrowTimes/11302"
    alone = _mastodon("MarrowTimes", "Marrow Times", "The Corvane dam opened.", 2)
    assert parse_feed(alone, "https://feeds.example/m.rss").entries[0].url == entry.guid
    mention = html.escape(f'<a href="https://{SERVER}/@editor"').encode()
    assert mention in alone
    for links in (
        '<a href="https://www.youtube.com/watch?v=x1">video</a>',
        '<a href="https://other.example/@someone/1">a post</a>',
        '<a href="https://a.example/1">one</a> <a href="https://b.example/2">two</a>',
    ):
        body = alone.replace(mention, html.escape(links + " ").encode() + mention)
        assert parse_feed(body, "https://feeds.example/m.rss").entries[0].url == entry.guid
    # a Telegram channel's post (RSSHub's) shares its article as a Mastodon post does
    said = html.escape('<p>The dam opened. <a href="https://m.example/dam">m.example/dam</a></p>')
    channel = (
        "<rss version='2.0'><channel><title>Marrow Times</title>"
        "<link>https://t.me/s/MarrowTimes</link><item><link>https://t.me/MarrowTimes/10</link>"
        f"<description>{said}</description></item></channel></rss>"
    ).encode()
    assert parse_feed(channel, "https://rsshub.example/t").entries[0].url == "https://m.example/dam"
    # a Bluesky post writes its link out; an article's own entry is left as it is
    written = _bluesky("h.example", "Harbour", "Dam opened. https://www.h.example/dam.", 1)
    assert parse_feed(written, "https://x/rss").entries[0].url == "https://www.h.example/dam"
    site = _site("Harbour Gazette", "https://www.harbourgazette.example").replace(
        b"98 percent", b"98 percent (https://other.example/chart)"
    )
    own = parse_feed(site, "https://feeds.example/hg.xml").entries[0]
    assert own.url == "https://www.harbourgazette.example/corvane"


def test_an_outlets_post_sharing_its_article_is_one_report_with_it(tmp_path: Path) -> None:
    feeds = {
        "/harbour.xml": _site("Harbour Gazette", "https://www.harbourgazette.example"),
        "/harbour-posts.xml": _mastodon(
            "HarbourGazette", "Harbour Gazette", "Spillway gates opened at Corvane.", 3, True
        ),
        "/marrow-posts.xml": _mastodon(
            "MarrowTimes",
            "Marrow Times",
            "Engineers opened the Corvane dam spillway gates on Sunday after three days of "
            "heavy rain, and towns in the Lusk valley were told to prepare for flooding.",
            2,
            True,
        ),
    }
    db = poll_served(tmp_path, feeds, _opml)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT url, outlet, duplicate_of IS NOT NULL FROM items").fetchall()
    assert sorted(rows) == [
        ("https://www.harbourgazette.example/corvane", "harbourgazette.example", 0),
        ("https://www.harbourgazette.example/corvane", "harbourgazette.example", 1),
        ("https://www.marrowtimes.example/corvane", "marrowtimes.example", 0),
    ]
    words = published_words(db, tmp_path)
    assert "Summary based on 2 sources" in words
    assert "marrowtimes.example — Engineers opened the Corvane dam spillway gates" in words
