"""An outlet named by its feed's own title, without the section the title adds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from aggregator.outlet_names import domain_label, feed_title_name
from aggregator.store import Store


@pytest.mark.parametrize(
    ("title", "site", "name"),
    [
        # the part the site's domain bears out
        ("Harbour Gazette - Home", "https://www.harbourgazette.example/news/", "Harbour Gazette"),
        ("Articles | Valley Online", "https://www.dailyvalley.example/", "Valley Online"),
        ("Breaking News | Coast Courier", "https://www.coastcourier.example", "Coast Courier"),
        ("WXY.com: World News", "http://online.wxy.example/page/1.html", "WXY.com"),
        ("Ridge News Online / News", "https://www.ridgenetwork.example/", "Ridge News Online"),
        ("HGZ > U.S. News", "https://www.hgztimes.example/section/us", "HGZ"),
        # its initials
        ("Northern Morning Post - Latest News", "https://nmp.example/", "Northern Morning Post"),
        # of several parts the site bears out, the shortest
        (
            "Coast Courier – News and Video from Coast Courier",
            "https://coastcourier.example",
            "Coast Courier",
        ),
        # one that holds the domain's label whole before one the label holds
        (
            "Business News - Business Standard",
            "https://business-standard.example/",
            "Business Standard",
        ),
        ("Money | This is Money", "https://www.thisismoney.example/", "This is Money"),
        ("Harbour - Harbour Gazette", "https://harbourgazette.example/", "Harbour Gazette"),
        # no part borne out: the one that is more than section words
        ("Lakeland Herald - Top Stories", "https://www.lkherald.example/", "Lakeland Herald"),
        ("Lakeland Herald - Top Stories", "http://127.0.0.1:8080/feed.xml", "Lakeland Herald"),
        ("Valley.example - RSS Channel - App International Edition", "", "Valley.example"),
        # without the words after the outlet's own that name what the feed lists
        ("HBR Topics: News", "https://www.hbr.example/rss/rss.php", "HBR"),
        ("Metro Evening Headlines", "https://www.metro.example/", "Metro"),
        ("The Coast Courier Valley News", "https://www.coastcourier.example/", "The Coast Courier"),
        ("Northern Morning Post Latest News", "https://nmp.example/", "Northern Morning Post"),
        ("Coast Courier Latest", "https://www.coastcourier.example/", "Coast Courier"),
        # (not the outlet's own words: a name's "News", a qualifier in lower case)
        ("Harbour News", "https://www.harbour.example/", "Harbour News"),
        ("Harbour News - Home", "https://www.harbour.example/", "Harbour News"),
        ("Harbour News Latest", "https://www.harbour.example/", "Harbour News"),
        ("Harbour News Top Stories", "https://www.harbour.example/", "Harbour News"),
        ("Harbour online News", "https://www.harbour.example/", "Harbour online News"),
        ("Harbour Headlines", "http://127.0.0.1:8080/feed.xml", "Harbour Headlines"),
        # a title that names a section of the site only: the site's domain
        ("Lakeland", "https://www.valleytimes.example/lakeland/rss2.0.xml", "valleytimes.example"),
        ("Lakeland", "https://www.valleytimes.example/sections/lakeland/", "valleytimes.example"),
        ("Top Stories", "https://www.valleytimes.example/", "valleytimes.example"),
        ("Lakeland - Valley Gazette", "https://www.vgazette.example/lakeland/", "Valley Gazette"),
        # (not on a platform, where each channel is a publisher, nor without a domain)
        ("Lakeland", "https://medium.com/lakeland", "Lakeland"),
        ("Lakeland", "http://127.0.0.1:8080/lakeland/feed.xml", "Lakeland"),
        ("Lakeland", "https://www.valleytimes.example/", "Lakeland"),
        ("Lakeland", "https://www.forum.example/r/lakeland/", "Lakeland"),
        # (nor a social account's page, whose first step is the account: it is the outlet)
        ("Lakeland", "https://social.example/@lakeland", "Lakeland"),
        ("Lakeland", "https://t.me/lakeland", "Lakeland"),
        # (nor a redirector, nor a title that names the site: a feed without a home page is
        # read by its own address, whose path names the feed)
        ("Lakeland Herald", "https://feeds.feedburner.com/LakelandHerald", "Lakeland Herald"),
        (
            "Lakeland Herald",
            "https://feeds.lakelandherald.example/lakelandherald/",
            "Lakeland Herald",
        ),
        # else the title whole
        ("Politics: A Blog - Home", "", "Politics: A Blog - Home"),
        ("Politics: A Blog - Home", "https://politics.example/", "Politics"),
        ("Coast - Coast", "https://coast.example/", "Coast - Coast"),
        ("Weather - Top Stories", "https://www.metro.example/", "Weather - Top Stories"),
    ],
)
def test_a_feed_title_names_its_outlet_without_its_section(
    title: str, site: str, name: str
) -> None:
    assert feed_title_name(title, site) == name


def test_items_stored_under_their_feeds_whole_title_take_the_outlets_name(
    tmp_path: Path,
) -> None:
    """A story would read "Harbour Gazette - Home, Harbour Gazette and Wire Co" under
    "Summary based on 2 sources" with an item stored before and one after the upgrade."""
    path = tmp_path / "a.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    home = "https://harbourgazette.example/"
    conn.executemany(
        "INSERT INTO sources (url, title, category, html_url) VALUES (?, ?, 'World', ?)",
        [("https://harbourgazette.example/rss", "", home), ("https://ridge.example/rss", "", "")],
    )
    conn.execute(  # (a source the operator names keeps the name)
        "INSERT INTO sources (url, title, category) VALUES "
        "('https://valley.example/rss', 'Valley - World', 'World')"
    )
    conn.executemany(
        "INSERT INTO feeds (url, title, link) VALUES (?, ?, ?)",
        [
            ("https://harbourgazette.example/rss", "Harbour Gazette - Home", home),
            ("https://ridge.example/rss", "Ridge Post", "https://ridge.example/"),
            ("https://valley.example/rss", "Valley - Home", "https://valley.example/"),
        ],
    )
    conn.executemany(
        "INSERT INTO items (id, feed_url, guid, outlet_name) VALUES (?, ?, ?, ?)",
        [
            ("a", "https://harbourgazette.example/rss", "a", "Harbour Gazette - Home"),
            ("b", "https://harbourgazette.example/rss", "b", "Wire Co"),  # (its publisher's)
            ("c", "https://ridge.example/rss", "c", "Ridge Post"),
            ("d", "https://valley.example/rss", "d", "Valley - World"),
        ],
    )
    name = "sources_0008_outlet_names_without_sections"
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = ?", [name])
    conn.commit()
    conn.close()
    Store(path).close()
    conn = sqlite3.connect(path)
    names = dict(conn.execute("SELECT id, outlet_name FROM items ORDER BY id"))
    ran = conn.execute("SELECT COUNT(*) FROM _sqlite_migrations WHERE name = ?", [name])
    assert ran.fetchone() == (1,)
    conn.close()
    assert names == {
        "a": "Harbour Gazette",
        "b": "Wire Co",
        "c": "Ridge Post",
        "d": "Valley - World",
    }


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("harbourgazette.example", "harbourgazette"),
        ("www.business-standard.example", "businessstandard"),
        ("nzh.co.example", "nzh"),
        ("10.0.0.1", ""),  # (an address)
        ("localhost", ""),
        ("youtube.com/channel/UC123", ""),  # (a channel: its name is its own)
        ("harbour gazette", ""),  # (an outlet known by its name only)
    ],
)
def test_a_domains_label_is_written_as_a_name_is(key: str, label: str) -> None:
    assert domain_label(key) == label


def test_items_stored_under_a_former_name_take_the_outlets_name(tmp_path: Path) -> None:
    """Items stored before the listing words and a section's title were left out read
    "HBR Topics" and "Lakeland" beside the feed's new items' "HBR" and "valleytimes.example"."""
    path = tmp_path / "a.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    feeds = [
        ("https://hbr.example/rss", "", "HBR Topics: News", "https://www.hbr.example/"),
        (
            "https://valleytimes.example/lakeland.xml",
            "",
            "Lakeland",
            "https://www.valleytimes.example/lakeland/",
        ),
        (
            "https://ridge.example/rss",
            "Ridge Topics",
            "Ridge Topics: News",
            "https://ridge.example/",
        ),
    ]
    conn.executemany(
        "INSERT INTO sources (url, title, category, html_url) VALUES (?, ?, 'World', ?)",
        [(url, title, link) for url, title, _, link in feeds],
    )
    conn.executemany(
        "INSERT INTO feeds (url, title, link) VALUES (?, ?, ?)",
        [(url, feed_title, link) for url, _, feed_title, link in feeds],
    )
    conn.executemany(
        "INSERT INTO items (id, feed_url, guid, outlet_name) VALUES (?, ?, ?, ?)",
        [
            ("a", "https://hbr.example/rss", "a", "HBR Topics"),
            ("b", "https://hbr.example/rss", "b", "HBR Topics: News"),
            ("c", "https://hbr.example/rss", "c", "Wire Co"),  # (its publisher's)
            ("d", "https://valleytimes.example/lakeland.xml", "d", "Lakeland"),
            ("e", "https://ridge.example/rss", "e", "Ridge Topics"),  # (the operator's)
        ],
    )
    name = "sources_0009_outlet_names_without_listing_words"
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = ?", [name])
    conn.commit()
    conn.close()
    Store(path).close()
    conn = sqlite3.connect(path)
    names = dict(conn.execute("SELECT id, outlet_name FROM items ORDER BY id"))
    conn.close()
    assert names == {
        "a": "HBR",
        "b": "HBR",
        "c": "Wire Co",
        "d": "valleytimes.example",
        "e": "Ridge Topics",
    }


def test_items_naming_their_publisher_keep_it_though_the_feeds_title_holds_it(
    tmp_path: Path,
) -> None:
    """A collecting feed's title may hold a publisher's name as a part its outlet's name never
    was ("Wire Co - Valley Digest", as a news service titles a publisher's page): that
    publisher's items are not renamed "Valley Digest"."""
    path = tmp_path / "a.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    url, link = "https://valleydigest.example/rss", "https://www.valleydigest.example/"
    conn.execute(
        "INSERT INTO sources (url, title, category, html_url) VALUES (?, '', 'World', ?)",
        [url, link],
    )
    conn.execute(
        "INSERT INTO feeds (url, title, link) VALUES (?, ?, ?)",
        [url, "Wire Co - Valley Digest Latest", link],
    )
    conn.executemany(
        "INSERT INTO items (id, feed_url, guid, outlet_name) VALUES (?, ?, ?, ?)",
        [
            ("a", url, "a", "Wire Co"),  # (its publisher's)
            ("b", url, "b", "Valley Digest Latest"),  # (the name before)
        ],
    )
    name = "sources_0009_outlet_names_without_listing_words"
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = ?", [name])
    conn.commit()
    conn.close()
    Store(path).close()
    conn = sqlite3.connect(path)
    names = dict(conn.execute("SELECT id, outlet_name FROM items ORDER BY id"))
    conn.close()
    assert names == {"a": "Wire Co", "b": "Valley Digest"}
