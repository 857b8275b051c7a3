"""A Chinese or Japanese text is read as its feed's declared language says where its script
cannot tell (a headline in kanji alone): grouping terms, names, dedupe's headline check, and
the declared language kept with each item from its feed to the store and back."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from invented_items import source_item

from aggregator.cjk_script import read_as_japanese
from aggregator.cjk_terms import cjk_names
from aggregator.cluster import ClusterSettings, cluster_stream
from aggregator.dedupe import duplicate_reason
from aggregator.models import Entry, FeedState, Item, ParsedFeed, Source
from aggregator.novelty import fact_terms
from aggregator.parse import parse_feed
from aggregator.pipeline import entries_to_items
from aggregator.store import Store
from aggregator.summarize import ExtractiveSummarizer
from aggregator.terms import capitalised_terms, grouping_terms

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
ELECTION = "東京都知事選挙結果発表"  # (invented headlines, kanji alone: no kana to tell)


@pytest.mark.parametrize(
    ("text", "language", "japanese"),
    [
        (ELECTION, None, False),  # no kana: read as Chinese, as before
        (ELECTION, "ja", True),
        (ELECTION, "ja-JP", True),
        (ELECTION, "jpn", True),
        (ELECTION, "jp", True),  # (the country's code for the language's: no language's own)
        (ELECTION, "jp-JP", True),
        (ELECTION, "zh-Hant-TW", False),
        ("京都府で大雪", "cn", False),  # (the country's code: no language's own either)
        (ELECTION, "x-ja", False),  # (a private tag names neither: the script decides)
        (ELECTION, "en", False),  # a language that is neither: the script decides
        ("京都府で大雪", None, True),  # kana: Japanese, as before
        ("京都府で大雪", "en-US", True),
        ("京都府で大雪", "zh-CN", False),  # a declared Chinese decides the other way
        # a short Chinese text with a Japanese brand: its script misreads it, its feed does not
        ("优衣库（ユニクロ）在上海开设新店", None, True),
        ("优衣库（ユニクロ）在上海开设新店", "zh-Hant", False),
    ],
)
def test_a_declared_japanese_or_chinese_decides_how_a_text_is_read(
    text: str, language: str | None, japanese: bool
) -> None:
    assert read_as_japanese(text, language) is japanese


def test_a_kanji_only_headline_keeps_its_japanese_words_when_its_feed_says_ja() -> None:
    """都 is a Chinese function character, where Japanese writes it inside 都知事 and 首都."""
    japanese = grouping_terms(ELECTION, "", 0, "ja")[0]
    assert japanese == ["東京", "京都", "都知", "知事", "事選", "選挙"]  # (結果, 発表: common)
    chinese = ["東京", "知事", "事選", "選挙"]  # cut at 都
    assert grouping_terms(ELECTION, "", 0)[0] == chinese  # undeclared: as before
    assert grouping_terms(ELECTION, "", 0, "zh-TW")[0] == chinese
    capital = "首都機能一部停止"
    assert {"首都", "一部"} <= set(grouping_terms(capital, "", 0, "ja-JP")[0])
    assert {"首都", "一部"}.isdisjoint(grouping_terms(capital, "", 0)[0])


def test_a_kanji_only_name_is_read_by_the_declared_language() -> None:
    """京都 before 府 is a name in Japanese; in Chinese 都 joins words and makes no name."""
    title = "京都府知事選挙結果発表"
    assert cjk_names(title, "ja") == ["京都"]
    assert cjk_names(title) == [] == cjk_names(title, "zh")
    assert "京都" in capitalised_terms(title, "", 0, language="ja")
    assert "京都" not in capitalised_terms(title, "", 0)


def _headlines(language: str | None) -> dict[str, str]:
    rows = [
        ("a", "都心一時停電 首都機能被害"),
        ("b", "首都機能一部停止 都心停電"),  # the same blackout, other words
        ("osaka", "大阪府知事選挙 新人候補当選"),
        ("hokkaido", "北海道沖地震 漁港被害調査"),
    ]
    items = [
        Item(
            id=item_id,
            title=title,
            outlet=f"{item_id}.example",
            published=T0 + timedelta(minutes=9 * k),
            language=language,
        )
        for k, (item_id, title) in enumerate(rows)
    ]
    return cluster_stream(items, ClusterSettings())


def test_kanji_only_headlines_of_one_event_join_in_a_feed_declared_japanese() -> None:
    """Cut as Chinese they share 停電 and 機能 only (首都, 都心, 一時, 一部 lost to 都 and 一)."""
    story = _headlines("ja")
    assert story["a"] == story["b"]
    assert len({story["a"], story["osaka"], story["hokkaido"]}) == 3
    for language in (None, "zh-CN"):  # undeclared or Chinese: cut as before
        story = _headlines(language)
        assert len(set(story.values())) == 4, language


def _wire(item_id: str, title: str, language: str | None) -> Item:
    text = (
        "気象庁によりますと、2日午前6時ごろ、北岡県沖を震源とする地震があり、岩見市で震度6弱"
        "の揺れを観測しました。この地震による津波の心配はありません。市内では住宅の壁が崩れる"
        "などの被害が出ていて、消防が被害の確認を進めています。新幹線は一時運転を見合わせました"
        "が、午前9時すぎに再開しました。気象庁は今後1週間ほどは同じ程度の揺れに注意するよう"
        "呼びかけています。"
    )
    return Item(
        id=item_id,
        title=title,
        text=text + ("（共同）" if item_id == "copy" else ""),
        url=f"https://{item_id}.example/news/1",
        outlet=f"{item_id}.example",
        published=T0,
        language=language,
    )


def test_a_wire_copy_under_another_kanji_only_headline_is_found_in_a_japanese_feed() -> None:
    """Dedupe asks whether the two headlines share a word: cut as Chinese, "首都機能一部停止"
    and "都庁 首都一部閉鎖" share none, so the copy was a report of its own."""
    original = _wire("original", "首都機能一部停止", "ja")
    copy = _wire("copy", "都庁 首都一部閉鎖", "ja")
    assert duplicate_reason(copy, original) == "near"
    undeclared = [replace(item, language=None) for item in (copy, original)]
    assert duplicate_reason(*undeclared) is None


def test_items_keep_their_feeds_declared_language_through_the_store(tmp_path: Path) -> None:
    source = Source("https://news.example.jp/feed.xml", "Example", "Japan")
    entry = Entry(guid="g1", title=ELECTION, text="", url="https://news.example.jp/1")
    parsed = ParsedFeed(title="Example", link=None, entries=(entry,), language="ja-jp")
    (item,) = entries_to_items(source, parsed, T0)
    assert item.language == "ja-JP"  # the feed's tag, as `lang.language_tag` writes it
    (plain,) = entries_to_items(source, replace(parsed, language=None), T0)
    assert plain.language is None

    path = tmp_path / "agg.db"
    store = Store(path)
    try:
        store.save_poll(FeedState(source.url, status="ok", language="ja-JP"), [item])
        assert store.items_by_id([item.id])[0].language == "ja-JP"
        assert store.item_texts([item.id], 100) == [(item.id, ELECTION, "", "ja-JP")]
    finally:
        store.close()
    # a database from before items kept it: each item takes its feed's declared language
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE items SET language = NULL")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'grouping_0005_item_language'")
    store = Store(path)
    try:
        assert store.items_by_id([item.id])[0].language == "ja-JP"
    finally:
        store.close()


def test_an_upgrade_gives_old_items_their_feeds_japanese_or_chinese_only(tmp_path: Path) -> None:
    """Only a declared Japanese or Chinese changes how a text is read: the items of a feed
    declaring another language, or none, are not written again on upgrade (every row of a
    large database rewritten, for nothing)."""
    feeds = {"https://a.example/ja": "ja-JP", "https://b.example/jp": "jp"}
    feeds |= {"https://c.example/zh": "zh-TW", "https://d.example/en": "en-US"}
    feeds |= {"https://e.example/none": None}
    path = tmp_path / "agg.db"
    store = Store(path)
    try:
        for n, (url, language) in enumerate(feeds.items()):
            item = Item(id=f"i{n}", title=ELECTION, feed_url=url, guid=f"g{n}", outlet="o")
            store.save_poll(FeedState(url, status="ok", language=language), [item])
    finally:
        store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE items SET language = NULL")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'grouping_0005_item_language'")
    store = Store(path)
    try:
        found = {i.feed_url: i.language for i in store.items_by_id([f"i{n}" for n in range(5)])}
    finally:
        store.close()
    assert found == feeds | {"https://d.example/en": None}


def test_a_summary_reads_a_kanji_only_headline_as_its_feed_declares() -> None:
    """Under the headline "首都機能一部停止" (kanji alone), "首都機能の一部が停止した。" tells
    nothing new: read as Japanese, the headline says 首都 and 一部 too, so the sentence is no
    bullet; cut as Chinese, they were unsaid and it was the first bullet."""
    assert {"首都", "一部"} <= fact_terms("首都機能一部停止", language="ja")
    assert {"首都", "一部"}.isdisjoint(fact_terms("首都機能一部停止"))
    assert fact_terms("首都機能一部停止", language="zh") == fact_terms("首都機能一部停止")
    repeat = "首都機能の一部が停止した。"
    story = (
        source_item(
            1,
            "首都機能一部停止",
            repeat + "都内では大規模な停電が起き、約三十万戸で電気が止まった。"
            "電力会社は変電所の火災が原因とみて調べている。"
            "復旧には少なくとも半日かかる見通しだ。",
            "asahi.example",
        ),
        source_item(
            2,
            "都心一時停電 首都機能被害",
            "都心で大規模な停電が発生し、約三十万戸が影響を受けた。"
            "変電所で火災が起きたことが原因とみられる。"
            "鉄道も一部の区間で運転を見合わせた。",
            "nhk.example",
        ),
    )
    for language, repeated in ((None, True), ("ja", False)):
        summary = ExtractiveSummarizer().summarize([replace(i, language=language) for i in story])
        assert summary.headline == "首都機能一部停止"
        assert (repeat in [b.text for b in summary.bullets]) is repeated, language
        assert len(summary.bullets) >= 4  # (the others stay)


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Example</title><link>https://news.example.cn/</link><language>zh-cn</language>
<item><title>首都機能一部停止</title><link>https://news.example.cn/1</link>
<dc:language>ja</dc:language></item>
<item><title>首都机场一度停电</title><link>https://news.example.cn/2</link></item>
</channel></rss>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title>Example</title>
<id>urn:example</id><updated>2026-03-02T06:00:00Z</updated>
<entry xml:lang="ja-JP"><title>首都機能一部停止</title><id>urn:1</id>
<link href="https://news.example/1"/><updated>2026-03-02T06:00:00Z</updated></entry>
<entry><title>Blackout in the capital</title><id>urn:2</id>
<link href="https://news.example/2"/><updated>2026-03-02T06:00:00Z</updated></entry>
</feed>"""


@pytest.mark.parametrize(
    ("body", "feed", "entries", "items"),
    [
        (RSS, "zh-cn", ["ja", None], ["ja", "zh-CN"]),  # an item's <dc:language>
        (ATOM, "en", ["ja-JP", None], ["ja-JP", "en"]),  # an entry's xml:lang
    ],
)
def test_an_entry_declaring_its_own_language_is_read_in_it(
    body: str, feed: str, entries: list[str | None], items: list[str | None]
) -> None:
    parsed = parse_feed(body.encode(), "https://news.example/feed.xml")
    assert parsed.language == feed
    assert [e.language for e in parsed.entries] == entries
    source = Source("https://news.example/feed.xml", "Example", "News")
    assert [i.language for i in entries_to_items(source, parsed, T0)] == items


def test_a_responses_content_language_is_no_entrys_own() -> None:
    """feedparser gives the response's Content-Language to an entry's text written without
    one: it is not the entry's declaration (the feed's <language> stands), on either path."""
    plain = RSS.replace("<dc:language>ja</dc:language>", "")
    headers = {"content-type": "application/rss+xml", "content-language": "ja"}
    for fast in (True, False):
        parsed = parse_feed(plain.encode(), "https://news.example/feed.xml", headers, fast=fast)
        assert [e.language for e in parsed.entries] == [None, None], fast
