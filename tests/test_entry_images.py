"""Pictures: which one a feed gives an entry (both parse paths alike), a feed's logo left
out, and which one a story is shown with. Feeds here are invented for these tests."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_service import poll_new
from upstream import Upstream, opml

from aggregator.cli import main
from aggregator.entry_images import candidates, feed_logo, lead_image, page_picture
from aggregator.models import Bullet, FeedState, Item, Source, SourceRef, Summary
from aggregator.opml import parse_opml
from aggregator.parse import parse_feed
from aggregator.pipeline import entries_to_items
from aggregator.sources import export_opml, import_opml
from aggregator.store import Store

URL = "https://news.example/feeds/world.xml"
MEDIA = 'xmlns:media="http://search.yahoo.com/mrss/"'


def rss(*items: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {MEDIA}><channel>'
        "<title>World</title><link>https://news.example/</link>"
        + "".join(
            f"<item><title>Report {n}</title><link>https://news.example/{n}</link>{body}</item>"
            for n, body in enumerate(items)
        )
        + "</channel></rss>"
    ).encode()


def images(body: bytes, content_type: str = "application/rss+xml") -> list[list[str | None]]:
    """Each entry's picture from feedparser, then from the fast path (they must agree)."""
    headers = {"content-type": content_type}
    return [
        [e.image for e in parse_feed(body, URL, headers, fast=fast).entries]
        for fast in (False, True)
    ]


def test_media_content_is_chosen_by_width_before_thumbnails_and_enclosures() -> None:
    body = rss(
        '<enclosure url="/e.jpg" type="image/jpeg" length="1"/>'
        '<media:thumbnail url="thumb.jpg" width="240"/>'
        '<media:content url="https://cdn.example/140.jpg" width="140"/>'
        '<media:content url="https://cdn.example/460.jpg" width="460"/>'
        '<media:content url="https://cdn.example/6000.jpg" width="6000"/>'
        '<media:content url="https://cdn.example/clip.mp4" medium="video" width="1280"/>'
    )
    assert images(body) == [["https://cdn.example/460.jpg"]] * 2


def test_a_master_too_wide_is_taken_only_when_nothing_narrower_is_given() -> None:
    body = rss(
        '<media:content url="https://cdn.example/6000.jpg" width="6000"/>'
        '<media:content url="https://cdn.example/2400.jpg" width="2400"/>'
    )
    assert images(body) == [["https://cdn.example/2400.jpg"]] * 2


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # a thumbnail, relative to the feed
        (
            '<media:thumbnail url="img/t.jpg" width="240" height="135"/>',
            "https://news.example/feeds/img/t.jpg",
        ),
        # an image enclosure, after a podcast's audio
        (
            '<enclosure url="https://cdn.example/a.mp3" type="audio/mpeg" length="9"/>'
            '<enclosure url="/p/photo.png" type="image/png" length="9"/>',
            "https://news.example/p/photo.png",
        ),
        # a media:content of no medium or type, named as a picture
        (
            '<media:content url="https://cdn.example/x/photo.JPG?w=800"/>',
            "https://cdn.example/x/photo.JPG?w=800",
        ),
        # the first <img> of the text that is no tracking pixel, emoji or small icon
        (
            "<description>&lt;p&gt;Text&lt;img src='https://feeds.feedburner.com/~r/x/~4/y' "
            "height='1' width='1'&gt;&lt;img src=\"https://s.w.org/images/core/emoji/72x72/1f600"
            '.png"&gt;&lt;img src="/icons/share.png" width="16" height="16"&gt;'
            '&lt;img src="/media/harbour.jpg" alt="The harbour"&gt;&lt;/p&gt;</description>',
            "https://news.example/media/harbour.jpg",
        ),
        # attributes with empty values (an image with no text of its own, a missing src)
        (
            '<description>&lt;p&gt;Text&lt;img src="" alt=""&gt;'
            "&lt;img alt=\"\" src='/media/pier.jpg' title=''&gt;&lt;/p&gt;</description>",
            "https://news.example/media/pier.jpg",
        ),
    ],
)
def test_each_way_a_feed_gives_a_picture(body: str, expected: str) -> None:
    assert images(rss(body)) == [[expected], [expected]]


@pytest.mark.parametrize(
    "body",
    [
        '<media:content url="javascript:alert(1)" medium="image"/>',
        '<media:content url="data:image/png;base64,AAAA" medium="image"/>',
        '<media:content url="https://cdn.example/clip.mp4" medium="video"/>',
        '<enclosure url="https://cdn.example/a.mp3" type="audio/mpeg" length="9"/>',
        "<description>&lt;img src='https://cdn.example/pixel.gif' width='1'&gt;</description>",
        "<description>Text &amp;lt;img src='https://cdn.example/a.jpg'&amp;gt;</description>",
        f'<media:content url="https://cdn.example/{"a" * 2100}.jpg" medium="image"/>',
    ],
)
def test_what_is_no_picture_gives_none(body: str) -> None:
    assert images(rss(body)) == [[None], [None]]


def test_atom_enclosures_and_json_feed_images() -> None:
    atom = (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b"<title>World</title><id>urn:x</id><updated>2026-12-01T10:00:00Z</updated>"
        b'<entry><title>One</title><id>urn:1</id><link href="https://news.example/1"/>'
        b'<link rel="enclosure" type="image/webp" href="/img/one.webp"/>'
        b"<updated>2026-12-01T10:00:00Z</updated></entry></feed>"
    )
    assert images(atom, "application/atom+xml") == [["https://news.example/img/one.webp"]] * 2
    json_feed = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "World", "items": ['
        b'{"id": "1", "url": "https://news.example/1", "title": "One", "content_text": "x",'
        b' "image": "https://cdn.example/1.jpg", "banner_image": "https://cdn.example/b.jpg"},'
        b'{"id": "2", "url": "https://news.example/2", "title": "Two", "content_text": "y",'
        b' "banner_image": "https://cdn.example/2b.jpg"},'
        b'{"id": "3", "url": "https://news.example/3", "title": "Three", "image": 7}]}'
    )
    parsed = parse_feed(json_feed, URL, {"content-type": "application/feed+json"})
    assert [e.image for e in parsed.entries] == [
        "https://cdn.example/1.jpg",
        "https://cdn.example/2b.jpg",
        None,
    ]


def test_a_feed_that_gives_most_entries_one_picture_gives_its_logo() -> None:
    logo = '<media:thumbnail url="https://news.example/logo.png"/>'
    own = '<media:thumbnail url="https://cdn.example/own.jpg"/>'
    parsed = parse_feed(rss(logo, logo, own, logo), URL, {"content-type": "application/rss+xml"})
    source = Source(URL, "World", "World News")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    items = entries_to_items(source, parsed, now)
    assert [i.image for i in items] == [None, None, "https://cdn.example/own.jpg", None]
    # two entries of four sharing one picture is no logo; nor is a feed of two entries
    assert feed_logo(["a", "a", "b", "c"]) is None
    assert feed_logo(["a", "a"]) is None
    assert feed_logo(["a", "a", "a", None, "b"]) == "a"


def test_candidates_read_only_what_feeds_put_there() -> None:
    raw = {"media_content": "not a list", "media_thumbnail": [None, {"url": 5}, {"url": " t "}]}
    assert list(candidates(raw, [])) == ["t"]


def test_a_story_shows_its_first_news_sources_picture() -> None:
    sources = (
        SourceRef("Column Daily", "A view", None, item_id="c", label="Opinion"),
        SourceRef("Wire", "Report", None, item_id="w"),
        SourceRef("Globe", "Report", None, item_id="g"),
    )
    assert lead_image(sources, {"c": "https://x/c.jpg", "g": "https://x/g.jpg"}) == (
        "https://x/g.jpg",
        2,
    )
    assert lead_image(sources, {"c": "https://x/c.jpg"}) == ("https://x/c.jpg", 0)
    assert lead_image(sources, {}) is None
    # the picture of the report whose title gave the headline, when it has one
    titled = (*sources[:2], SourceRef("Globe", "Talks end - Globe", None, item_id="t"))
    both = {"w": "https://x/w.jpg", "t": "https://x/t.jpg"}
    assert lead_image(titled, both, "Talks  end") == ("https://x/t.jpg", 2)
    assert lead_image(titled, both, "Other words") == ("https://x/w.jpg", 1)
    assert lead_image(titled, {"w": "https://x/w.jpg"}, "Talks end") == ("https://x/w.jpg", 1)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            '<meta name="twitter:image" content="https://cdn.example/tw.jpg">'
            "<meta content='/img/lead.jpg?a=1&amp;b=2' property='og:image'>",
            "https://news.example/img/lead.jpg?a=1&b=2",
        ),
        (
            '<META NAME="twitter:image:src" CONTENT="//cdn.example/t.png">',
            "https://cdn.example/t.png",
        ),
        ('<meta property="og:image" content="javascript:alert(1)">', None),
        ('<meta property="og:image" content="https://s.w.org/images/core/emoji/1.png">', None),
        ('<meta property="og:title" content="https://cdn.example/not-a-picture.jpg">', None),
        ("", None),
    ],
)
def test_an_article_pages_picture(head: str, expected: str | None) -> None:
    page = f"<html><head><title>T</title>{head}</head><body><p>Text</p></body></html>"
    assert page_picture(page.encode(), "https://news.example/world/story.html") == expected


def test_a_picture_that_cannot_be_read_never_costs_its_entry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(raw: object, texts: object) -> Iterator[str]:
        raise RuntimeError("an odd value")
        yield ""  # (a generator, as the real one)

    monkeypatch.setattr("aggregator.parse.candidates", broken)
    body = rss('<media:content url="https://cdn.example/a.jpg" medium="image"/>', "")
    for fast in (False, True):
        parsed = parse_feed(body, URL, {"content-type": "application/rss+xml"}, fast=fast)
        assert [e.image for e in parsed.entries] == [None, None]
        assert parsed.warning is None


PICTURED = """<?xml version="1.0"?><opml version="2.0"><body>
<outline text="Video" images="off">
  <outline type="rss" text="Clips" xmlUrl="https://clips.example/feed"/>
  <outline type="rss" text="Stills" xmlUrl="https://stills.example/feed" images="on"/>
</outline>
<outline text="World">
  <outline type="rss" text="Wire" xmlUrl="https://wire.example/feed" images="OFF"/>
  <outline type="rss" text="Daily" xmlUrl="https://daily.example/feed" images="maybe"/>
</outline></body></opml>"""


def test_an_outline_turns_its_feeds_pictures_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parsed = parse_opml(PICTURED.encode(), "feeds.opml")
    assert {s.title: s.images for s in parsed.sources} == {
        "Clips": False,  # its category's
        "Stills": True,  # its own, nearer
        "Wire": False,
        "Daily": True,  # neither on nor off: a warning, the one around it holds
    }
    assert any("images='maybe' is neither" in w for w in parsed.warnings)
    (tmp_path / "feeds.opml").write_text(PICTURED)
    assert main(["check", "--opml", str(tmp_path / "feeds.opml")]) == 0
    assert "4 feeds in 2 categories, 2 with pictures off" in capsys.readouterr().out
    # a feed with pictures off keeps none of its entries'
    body = rss('<media:content url="https://cdn.example/a.jpg" medium="image"/>')
    feed = parse_feed(body, URL, {"content-type": "application/rss+xml"})
    now = datetime(2026, 12, 1, tzinfo=UTC)
    off = Source(URL, "World", "World News", images=False)
    assert [i.image for i in entries_to_items(off, feed, now)] == [None]
    on = Source(URL, "World", "World News")
    assert [i.image for i in entries_to_items(on, feed, now)] == ["https://cdn.example/a.jpg"]


def test_turning_a_feeds_pictures_off_takes_them_from_its_stored_items() -> None:
    store = Store()
    feed = Source("https://a.example/feed", "A", "World News")
    other = Source("https://b.example/feed", "B", "World News")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    store.sync_sources([feed, other], now)
    stored = [
        Item(id=f"{s.url}#1", title="T", feed_url=s.url, guid="1", image=f"{s.url}.jpg",
             published=now, first_seen=now, content_hash=s.url)
        for s in (feed, other)
    ]  # fmt: skip
    for item in stored:
        store.save_poll(FeedState(item.feed_url), [item])
        with store.transaction():
            store.assign(item, f"story-{item.feed_url}", None, now)
    for item in stored:
        store.save_summary(f"story-{item.feed_url}", _summary(item), "fp", [], now)
    assert store.dirty_stories() == []
    store.sync_sources([dataclasses.replace(feed, images=False), other], now)
    images = {i.feed_url: i.image for i in (store.story_items(f"story-{u}")[0] for u in
              (feed.url, other.url))}  # fmt: skip
    assert images == {feed.url: None, other.url: f"{other.url}.jpg"}
    assert store.dirty_stories() == [f"story-{feed.url}"]  # its picture chosen anew
    assert store.feeds_without_pictures() == {feed.url}


def _summary(item: Item) -> Summary:
    return Summary(
        "T", (Bullet("A fact.", (0,)),), (SourceRef("A", "T", None, item_id=item.id),), 1
    )


def test_export_leaves_the_pictures_switch_out_and_import_takes_none(tmp_path: Path) -> None:
    ours = tmp_path / "feeds.opml"
    ours.write_text(PICTURED)
    exported = export_opml(ours)
    assert b"images" not in exported
    assert all(s.images for s in parse_opml(exported).sources)
    theirs = tmp_path / "theirs.opml"
    theirs.write_text(PICTURED.replace("clips.example", "clips2.example"))
    mine = tmp_path / "mine.opml"
    mine.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body><outline text="World">'
        '<outline type="rss" text="Own" xmlUrl="https://own.example/feed"/></outline></body></opml>'
    )
    imported = import_opml(mine, theirs)
    assert "https://clips2.example/feed" in {s.url for s in imported.added}
    assert all(s.images for s in parse_opml(mine.read_bytes()).sources)


@pytest.mark.parametrize(
    ("src", "kept"),
    [
        ("https://cdn.example/2024/pixel-8-pro-review.jpg", True),  # a phone's photo
        ("https://cdn.example/blank-check-ruling.jpg", True),
        ("https://t.example/pixel.gif", False),
        ("https://t.example/i/spacer.gif?x=1", False),
        ("https://t.example/pixel?id=3", False),
        ("https://t.example/1x1.png", False),
        ("https://www.gravatar.com/avatar/ab12?s=96", False),
    ],
)
def test_counters_are_no_photos_but_photos_named_like_them_are(src: str, kept: bool) -> None:
    assert list(candidates({}, [f'<p><img src="{src}"></p>'])) == ([src] if kept else [])


@pytest.mark.parametrize(
    ("src", "kept"),
    [
        ("https://media.example/2024/harbour_70x70.jpg?media_subtype_id=16", False),
        ("https://blog.example/wp-content/uploads/2024/03/harbour-150x50.png", False),
        ("https://blog.example/wp-content/uploads/2024/03/harbour-1024x683.jpg", True),
        ("https://media.example/70x70/harbour.jpg", True),  # (a folder's name says nothing)
        ("https://media.example/harbour.jpg?size=70x70", True),
    ],
)
def test_a_picture_whose_file_name_says_it_is_a_thumbnail_is_none(src: str, kept: bool) -> None:
    # (an enclosure says no size: a feed's 70-pixel thumbnails led their stories)
    body = rss(f'<enclosure url="{src}" type="image/jpeg" length="20000"/>')
    assert images(body) == [[src if kept else None]] * 2


def test_a_thumbnail_named_small_gives_way_to_a_picture_given_after_it() -> None:
    body = rss(
        '<media:thumbnail url="https://media.example/harbour_70x70.jpg"/>'
        '<enclosure url="https://media.example/harbour.jpg" type="image/jpeg" length="9"/>'
    )
    assert images(body) == [["https://media.example/harbour.jpg"]] * 2


def test_pictures_turned_on_again_come_back_without_a_change_of_the_feed(
    tmp_path: Path,
) -> None:
    """Turned off, a feed's items lose their pictures; turned on again, the feed is read whole
    on its next poll (its validators would answer 304) and its unchanged entries give theirs
    back: the story shows its picture again, its summary and version untouched."""
    sources, db = tmp_path / "feeds.opml", tmp_path / "agg.db"
    body = rss(
        "<description>Floods cut the coast road north of the city on Tuesday, and 300 "
        "families were moved to the school hall overnight, the council said.</description>"
        '<media:content url="https://cdn.example/floods.jpg" medium="image" width="800"/>'
    )

    def listing(url: str, switch: str) -> str:
        return opml(url).replace('type="rss"', f'type="rss" images="{switch}"')

    def story() -> tuple[str | None, int, list[str | None]]:
        store = Store(db)
        try:
            row = store.db.execute(
                "SELECT s.image, st.version FROM summaries s JOIN stories st ON st.id = s.story_id"
            ).fetchone()
            items = [r[0] for r in store.db.execute("SELECT image FROM items")]
            return row[0], row[1], items
        finally:
            store.close()

    async def poll() -> None:
        await poll_new(sources, db, everything=True)

    async def scenario() -> None:
        async with Upstream() as up:
            url = up.add_feed("/world.xml", body, etag='"v1"')
            sources.write_text(listing(url, "on"))
            await poll()
            picture, version, items = story()
            assert picture == "https://cdn.example/floods.jpg" and items == [picture]
            sources.write_text(listing(url, "off"))
            await poll()
            assert story() == (None, version, [None])
            assert up.requests_for("/world.xml")[-1].headers.get("if-none-match") == '"v1"'
            sources.write_text(listing(url, "on"))
            await poll()
            # asked without its validators, answered whole: the picture is back
            assert "if-none-match" not in up.requests_for("/world.xml")[-1].headers
            assert story() == (picture, version, [picture])
            await poll()  # and the feed is asked as before
            assert up.requests_for("/world.xml")[-1].headers.get("if-none-match") == '"v1"'

    asyncio.run(scenario())


def test_a_stored_items_picture_is_filled_once_and_kept_through_edits() -> None:
    store = Store()
    feed = Source("https://a.example/feed", "A", "World News")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    store.sync_sources([feed], now)

    def item(n: int, digest: str, image: str | None) -> Item:
        return Item(id=f"a#{n}", title=f"T{n}", feed_url=feed.url, guid=str(n), image=image,
                    published=now, first_seen=now, content_hash=digest)  # fmt: skip

    def pictures() -> list[str | None]:
        return [r[0] for r in store.db.execute("SELECT image FROM items ORDER BY id")]

    store.save_poll(FeedState(feed.url), [item(1, "h1", None), item(2, "h2", None)])
    store.db.execute("INSERT INTO site_pictures VALUES (?, 'https://a.example/default.jpg')",
                     [feed.url])  # fmt: skip
    # unchanged entries that now give a picture: kept, unless it is the site's default
    write = store.save_poll(
        FeedState(feed.url),
        [item(1, "h1", "https://a.example/1.jpg"), item(2, "h2", "https://a.example/default.jpg")],
    )
    assert pictures() == ["https://a.example/1.jpg", None] and write.updated == 0
    # a picture is filled, never replaced; an edit that gives none keeps the one it had
    store.save_poll(FeedState(feed.url), [item(1, "h1", "https://a.example/other.jpg")])
    assert pictures()[0] == "https://a.example/1.jpg"
    write = store.save_poll(FeedState(feed.url), [item(1, "h1-edited", None)])
    assert pictures()[0] == "https://a.example/1.jpg" and write.updated == 1


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("http://a57.foxnews.com60/60/NFL-photo.jpg", False),  # the slash before a path lost
        ("https://cdn.example.org/a.jpg", True),
        ("https://cdn.example.org./a.jpg", True),
        ("https://cdn.xn--p1ai/a.jpg", True),  # (an internationalised top-level domain)
        ("http://intranet/a.jpg", True),
        ("http://10.0.0.7/a.jpg", True),
        ("http://[2001:db8::7]/a.jpg", True),
    ],
)
def test_a_picture_on_a_host_that_cannot_be_is_none(url: str, kept: bool) -> None:
    body = rss(
        f'<media:content url="{url}" medium="image"/>'
        '<media:thumbnail url="https://cdn.example.org/thumb.jpg"/>'
    )
    fallback = "https://cdn.example.org/thumb.jpg"
    assert images(body) == [[url if kept else fallback]] * 2
    page = f'<html><head><meta property="og:image" content="{url}"></head></html>'
    assert page_picture(page.encode(), "https://news.example/a.html") == (url if kept else None)
