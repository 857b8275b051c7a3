"""Search over published stories: the index the triggers keep (a new, changed, withdrawn,
pruned or merged story), words folded as stories are ("zurich" finds "Zürich"), a user's
query never read as FTS5 syntax, the /search page (escaped, paged, not for crawlers), the
search box only where search is offered, and the index rebuilt by `recover`."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import re
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from aiohttp.test_utils import TestClient, TestServer
from digest_fixture import add_story
from news_fixture import feeds
from test_service import poll_new
from upstream import Upstream, free_port, opml

from aggregator.arabic_script import bare_arabic
from aggregator.cli import main
from aggregator.feeds import render_feed, search_frame
from aggregator.models import Bullet, SourceRef, Summary
from aggregator.publish import PublishSettings
from aggregator.search_index import tidy
from aggregator.search_query import match_expression, parse_query
from aggregator.store import Store
from aggregator.store_recover import recover
from aggregator.store_upkeep import prune
from aggregator.web import make_app

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
BASE = "https://news.example.org/"


@contextlib.asynccontextmanager
async def served(db: Path, settings: PublishSettings, **options: Any) -> AsyncIterator[TestClient]:
    """The site of the database `db` (`make_app`'s `options`), served on loopback, and a
    client of it."""
    store = Store(db)
    app = make_app(store.reader(), settings, clock=lambda: NOW, **options)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()
        store.close()


def found(store: Store, query: str) -> list[str]:
    store.index_search()  # (as the story job does at the end of each pass)
    count, stories = store.reader().search(query, 25)
    assert count == len(stories)
    return [s.id for s in stories]


def test_a_query_is_our_small_grammar_never_fts5_syntax() -> None:
    assert match_expression("Harbour crane") == '"Harbour"* AND "crane"*'
    assert match_expression("EU's 5G plan") == '("EU" AND "s") AND "5G" AND "plan"*'
    # FTS5's operators, columns, stars and carets are words or nothing
    said = match_expression("NEAR(y z) headline:crane* AND ^x NOT")
    assert said == (
        '("NEAR"* AND "y") AND "z" AND ("headline"* AND "crane"*) AND "AND"* AND "x" AND "NOT"*'
    )
    assert match_expression(" ?!… ") is None and match_expression("") is None
    assert match_expression(" ".join(f"w{n}" for n in range(20))).count(" AND ") == 9
    # a word is split where the index's tokenizer splits it (marks separate)
    assert match_expression("नमस्ते") == '("नमस"* AND "त")'
    # ours: "a phrase" (its words, as written), -left out (as written), OR between two
    query = parse_query('"Prime Minister" -resign -"red tape" floods OR storms')
    assert query is not None
    assert query.expression == (
        '(("Prime" AND "Minister") AND ("floods"* OR "storms"*)) NOT ("resign")'
    )
    assert (query.phrases, query.unwanted) == ((("prime", "minister"),), (("red", "tape"),))
    assert parse_query("-only -words") is None  # (nothing wanted: nothing found)
    assert match_expression("OR lone OR") == '"lone"*'  # (an OR with nothing to join: none)
    assert match_expression('"unclosed quote') == '("unclosed" AND "quote")'
    alternatives = parse_query('"prime minister" OR chancellor')
    assert alternatives is not None and alternatives.phrases == ()  # (either: by its words)


def test_a_phrase_stands_together_and_a_word_left_out_is_not_there(tmp_path: Path) -> None:
    store = Store(tmp_path / "agg.db")
    try:
        add_story(store, "pm", "Prime Minister visits Zürich flood zone", at=NOW)
        add_story(
            store, "apart", "Minister says prime time for reform", at=NOW - timedelta(hours=1)
        )
        add_story(store, "storm", "Storm closes the Zürich port", at=NOW - timedelta(hours=2))
        assert found(store, "prime minister") == ["pm", "apart"]  # every word, anywhere
        assert found(store, '"prime minister"') == ["pm"]  # together, in that order
        assert found(store, '"minister prime"') == []
        assert found(store, '"ZURICH flood"') == ["pm"]  # (folded as the index folds)
        # a letter and its accent written apart (macOS may send "ü" so): one word still
        assert found(store, "Zu\u0308rich flood") == ["pm"]
        assert found(store, "zurich -flood") == ["storm"]
        assert found(store, 'zurich -"flood zone"') == ["storm"]
        assert found(store, 'zurich -"zone flood"') == ["pm", "storm"]  # (not that phrase)
        assert found(store, "flood OR storm") == ["pm", "storm"]
        assert found(store, "reform OR port zurich") == ["storm"]
        # a phrase never spans two texts (the headline's end and a bullet's start)
        assert found(store, '"zone Prime"') == []
        count, page = store.reader().search('"the first fact"', 1, 1)  # paged as any search
        assert (count, [s.id for s in page]) == (3, ["apart"])
    finally:
        store.close()


def test_a_chinese_or_japanese_word_is_found_inside_a_sentence(tmp_path: Path) -> None:
    """The tokenizer reads an unspaced run of Han or kana as one word: only a search for a
    run's start had found it ("北京" in "北京举办…" yes, "博览会" or "開業" no). (Generated
    text.)"""
    store = Store(tmp_path / "agg.db")
    try:
        add_story(store, "zh", "北京举办国际科技博览会 吸引数千家企业参展", at=NOW)
        add_story(store, "ja", "東京都で新しい地下鉄路線が開業", at=NOW - timedelta(hours=1))
        add_story(store, "en", "Beijing hosts a science fair", at=NOW - timedelta(hours=2))
        assert found(store, "博览会") == ["zh"]
        assert found(store, "北京") == ["zh"]
        assert found(store, "開業") == ["ja"] and found(store, "地下鉄路線") == ["ja"]
        assert found(store, "下鉄") == ["ja"]  # (inside a word too: no word breaks to go by)
        assert found(store, "北京 science") == []  # (every word, as ever)
        assert found(store, "北京 OR Beijing") == ["zh", "en"]
        assert found(store, "博") == ["zh"]  # (one character: the pairs it begins)
        assert found(store, '"地下鉄路線"') == ["ja"] and found(store, '"路線地下鉄"') == []
    finally:
        store.close()


def test_an_index_made_before_pairs_is_made_anew_when_it_holds_chinese_or_japanese(
    tmp_path: Path,
) -> None:
    from aggregator.migrations import search_cjk_pairs

    store = Store(tmp_path / "agg.db")
    try:
        add_story(store, "zh", "北京举办国际科技博览会", at=NOW)
        assert found(store, "博览会") == ["zh"]
        store.db.execute("INSERT INTO story_search(story_search) VALUES ('delete-all')")
        assert found(store, "博览会") == []  # (as an index of before held it: not findable)
        search_cjk_pairs(store.db)
        assert found(store, "博览会") == ["zh"]
    finally:
        store.close()


def test_an_arabic_word_is_found_with_or_without_its_article(tmp_path: Path) -> None:
    """Arabic writes "the" and the words before it onto the word ("الزلزال", "للزلزال"): a
    search for one form had not found the others. (Invented text.)"""
    store = Store(tmp_path / "agg.db")
    try:
        add_story(store, "a1", "زلزال قوي يضرب الساحل", at=NOW)
        add_story(
            store, "a2", "فرق الإنقاذ تصل إلى المدينة بعد الزلزال", at=NOW - timedelta(hours=1)
        )
        add_story(store, "a3", "مساعدات للمتضررين من الزلزال والفيضان", at=NOW - timedelta(hours=2))
        add_story(store, "a4", "الحكومة تعلن خطة للتعليم", at=NOW - timedelta(hours=3))
        for query in ("زلزال", "الزلزال", "والزلزال", "للزلزال"):
            assert found(store, query) == ["a1", "a2", "a3"], query
        assert found(store, "الفيضان") == ["a3"] and found(store, "حكومة") == ["a4"]
        assert found(store, '"الزلزال والفيضان"') == ["a3"]  # (a phrase, read alike)
        # a word the article's letters begin, with too little after them, stays whole
        assert bare_arabic("الله والد التي بالغ") == "الله والد التي بالغ"
        marked = parse_query("الزلزال")
        assert marked is not None
        assert ("للزلزال", True) in marked.marks("مساعدات للزلزال")  # (shown where it matched)
    finally:
        store.close()


def test_an_index_made_before_is_made_anew_when_it_holds_arabic(tmp_path: Path) -> None:
    from aggregator.migrations import search_arabic_bare

    store = Store(tmp_path / "agg.db")
    try:
        add_story(store, "a1", "فرق الإنقاذ تصل إلى المدينة بعد الزلزال", at=NOW)
        assert found(store, "زلزال") == ["a1"]
        store.db.execute("INSERT INTO story_search(story_search) VALUES ('delete-all')")
        assert found(store, "زلزال") == []  # (as an index of before held it: not findable)
        search_arabic_bare(store.db)
        assert found(store, "زلزال") == ["a1"]
    finally:
        store.close()


def test_an_index_made_before_is_made_anew_when_only_a_source_is_arabic(tmp_path: Path) -> None:
    """An English story's Arabic source is indexed under its title: the index is made anew
    for it too, though no headline is Arabic. (Invented text.)"""
    from aggregator.migrations import search_arabic_bare

    store = Store(tmp_path / "agg.db")
    try:
        add_story(store, "e1", "Rescue teams reach the coastal city", at=NOW)
        (held,) = store.db.execute("SELECT sources FROM summaries WHERE story_id = 'e1'").fetchone()
        sources = json.loads(held)
        sources[0]["title"] = "فرق الإنقاذ تصل إلى المدينة بعد الزلزال"
        with store.transaction():
            store.db.execute(
                "UPDATE summaries SET sources = ? WHERE story_id = 'e1'",
                [json.dumps(sources, ensure_ascii=False)],
            )
        assert found(store, "زلزال") == ["e1"]
        store.db.execute("INSERT INTO story_search(story_search) VALUES ('delete-all')")
        assert found(store, "زلزال") == []  # (as an index of before held it: not findable)
        search_arabic_bare(store.db)
        assert found(store, "زلزال") == ["e1"]
    finally:
        store.close()


def test_the_index_follows_every_change_of_a_summary(tmp_path: Path) -> None:
    store = Store(tmp_path / "agg.db")
    try:
        add_story(store, "crane", "Harbour crane collapses in Zürich", at=NOW)
        add_story(
            store, "budget", "Parliament passes the spring budget", at=NOW - timedelta(hours=1)
        )
        assert found(store, "zurich crane") == ["crane"]  # (case and diacritics folded)
        assert found(store, "ZÜRICH") == ["crane"]
        assert found(store, "collap") == ["crane"]  # (the start of a word)
        assert found(store, "first fact") == ["crane", "budget"]  # bullets, newest first
        assert found(store, "crane budget") == []  # every word must be there
        # a new summary's text replaces the old one's
        add_story(store, "crane", "Port crane falls in Basel", at=NOW, fingerprint="v2")
        assert found(store, "zurich") == [] and found(store, "basel") == ["crane"]
        # a story withdrawn from publishing, or merged into another, is not found
        store.withdraw_summary("budget")
        assert found(store, "parliament") == []
        add_story(store, "other", "Basel port reopens", at=NOW)
        store.merge_story("other", "crane", NOW)
        assert found(store, "basel") == ["crane"]
        # a pruned story leaves the index with its summary
        report = prune(store, NOW + timedelta(days=60), NOW + timedelta(days=30), NOW, 0)
        assert report.stories >= 1
        assert found(store, "basel") == []
        rows = store.db.execute("SELECT COUNT(*) FROM story_search_rows").fetchone()
        assert rows == (0,)
    finally:
        store.close()


def flooded(db: Path, count: int, other: str) -> Path:
    """A store of `count` stories "Flood warning number N", a minute apart (the newest
    first), and one headed `other`, indexed for search."""
    store = Store(db)
    for n in range(count):
        add_story(store, f"s{n:02d}", f"Flood warning number {n}", at=NOW - timedelta(minutes=n))
    add_story(store, "x", other, at=NOW)
    store.index_search()
    store.close()
    return db


def test_a_search_page_of_many_stories(tmp_path: Path) -> None:
    db = flooded(tmp_path / "agg.db", 30, "Quiet day <b>bold</b>")
    settings = PublishSettings(base_url=BASE, page_size=25)

    async def scenario() -> None:
        async with served(db, settings) as client:
            first = await client.get("/search", params={"q": "flood warning"})
            page = await first.text()
            assert first.status == 200 and first.headers["Cache-Control"] == "max-age=60"
            assert "30 stories match “flood warning”, newest first" in page
            assert page.count("<article") == 25
            assert ">Flood</mark> <mark>warning</mark> number 0<" in page  # (the words marked)
            assert '<meta name="robots" content="noindex">' in page
            assert 'value="flood warning"' in page
            assert f'href="{BASE}search?q=flood+warning&amp;page=2">Older →' in page
            second = await (await client.get("/search?q=flood+warning&page=2")).text()
            assert second.count("<article") == 5 and "← Newer" in second
            assert (await client.get("/search?q=flood&page=3")).status == 404
            assert (await client.get("/search?q=flood&page=x")).status == 404
            # what was asked is shown escaped, and matches as words
            odd = await (await client.get("/search", params={"q": '<b>"quiet'})).text()
            assert "&lt;b&gt;&quot;quiet" in odd and "<b>" not in odd.split("<main>")[1]
            assert "1 story matches “&lt;b&gt;&quot;quiet”" in odd
            none = await (await client.get("/search", params={"q": "volcano"})).text()
            assert "No stories match “volcano”." in none
            empty = await (await client.get("/search")).text()
            assert "<h1>Search</h1>" in empty and "match" not in empty
            assert "as a phrase; -word leaves stories out; OR takes either" in empty  # (how)
            # every page's header has the box; robots.txt keeps crawlers out of results
            front = await (await client.get("/")).text()
            assert f'action="{BASE}search"' in front
            robots = await (await client.get("/robots.txt")).text()
            assert "Disallow: /search\n" in robots
            # a browser offers the site as a search engine from its OpenSearch description
            assert '<link rel="search" type="application/opensearchdescription+xml" ' in front
            answer = await client.get("/opensearch.xml")
            assert answer.headers["Content-Type"] == "application/opensearchdescription+xml"
            described = ElementTree.fromstring(await answer.read())
            ns = {"o": "http://a9.com/-/spec/opensearch/1.1/"}
            urls = {u.get("type"): u.get("template") for u in described.findall("o:Url", ns)}
            assert urls["text/html"] == f"{BASE}search?q={{searchTerms}}"
            assert urls["application/atom+xml"] == f"{BASE}search.atom?q={{searchTerms}}"
            assert described.findtext("o:ShortName", namespaces=ns) == "aggregator"

    asyncio.run(scenario())


def _form_allowed(policy: str, page_url: str, action: str) -> bool:
    """Whether a browser lets a form of a page at `page_url` go to `action` under the
    Content-Security-Policy `policy`: its `form-action` sources, matched as CSP Level 3
    matches origins (no such directive: anywhere)."""
    found = next((d.split() for d in policy.split(";") if d.split()[:1] == ["form-action"]), None)
    if found is None:
        return True
    target, page = urlsplit(action), urlsplit(page_url)
    for source in found[1:]:
        if source == "'self'" and (target.scheme, target.netloc) == (page.scheme, page.netloc):
            return True
        if source == f"{target.scheme}://{target.netloc}":
            return True
    return False


def test_a_browser_may_send_the_search_box_from_every_page(tmp_path: Path) -> None:
    """The search box's form goes to the site's own search page, which the pages' policy
    allows (a policy of `form-action 'none'` left the box dead in every browser), whether
    the site is visited at its public address or where it is served."""
    db = flooded(tmp_path / "agg.db", 3, "Quiet day")
    port = free_port()  # (for a base URL that is where it is served)
    here = f"http://127.0.0.1:{port}"

    async def scenario() -> None:
        store = Store(db)
        for base in (BASE, here + "/"):
            app = make_app(store.reader(), PublishSettings(base_url=base), clock=lambda: NOW)
            client = TestClient(TestServer(app, port=port))
            await client.start_server()
            try:
                for path in ("/", "/search?q=flood", "/all/", "/search?q=volcano"):
                    answer = await client.get(path)
                    actions = re.findall(r'<form[^>]* action="([^"]+)"', await answer.text())
                    assert actions == [f"{base}search"], path
                    policy = answer.headers["Content-Security-Policy"]
                    assert _form_allowed(policy, here + path, actions[0]), (path, policy)
                    assert not _form_allowed(policy, here + path, "https://elsewhere.example/")
                missing = await client.get("/nothing/here")  # (no form, the same policy)
                assert missing.headers["Content-Security-Policy"] == policy
            finally:
                await client.close()
        store.close()

    asyncio.run(scenario())


def test_no_search_where_it_is_turned_off_or_the_site_is_static(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "agg.db"
    store = Store(db)
    add_story(store, "crane", "Harbour crane collapses", at=NOW)
    store.close()
    off = PublishSettings(base_url=BASE, search=False)

    async def scenario() -> None:
        async with served(db, off) as client:
            assert (await client.get("/search?q=crane")).status == 404
            assert (await client.get("/opensearch.xml")).status == 404
            assert "<form" not in await (await client.get("/")).text()

    asyncio.run(scenario())
    out = tmp_path / "site"
    assert main(["publish", "--db", str(db), "--output", str(out)]) == 0
    assert not any("<form" in p.read_text() for p in out.rglob("*.html"))
    assert "Disallow" not in (out / "robots.txt").read_text()


def test_recover_makes_the_index_anew(tmp_path: Path) -> None:
    db = tmp_path / "agg.db"
    store = Store(db)
    add_story(store, "crane", "Harbour crane collapses", at=NOW)
    add_story(store, "budget", "Parliament passes the budget", at=NOW)
    store.close()
    with sqlite3.connect(db) as conn:  # an index that answers wrong: emptied behind its back
        conn.execute("INSERT INTO story_search(story_search) VALUES ('delete-all')")
    copy = tmp_path / "copy.db"
    recover(db, copy)
    store = Store(copy)
    try:
        assert found(store, "crane") == ["crane"] and found(store, "budget") == ["budget"]
        title = "Crane mended by night crews"
        source = SourceRef("Outlet 0", title, "https://o.example/1")
        summary = Summary("Harbour crane repaired", (Bullet("Repaired.", (0,)),), (source,), 1)
        store.save_summary("crane", summary, "v3", [("World News", 1.0)], NOW)
        assert found(store, "repaired") == ["crane"] and found(store, "collapses") == []
        assert found(store, "night crews") == ["crane"]  # a source's title
    finally:
        store.close()


def test_an_index_kept_across_vacuum(tmp_path: Path) -> None:
    db = tmp_path / "agg.db"
    store = Store(db)
    for n in range(5):
        add_story(store, f"s{n}", f"Story number {n} about cranes", at=NOW)
    for n in range(4):
        store.withdraw_summary(f"s{n}")  # (rows deleted: VACUUM renumbers a table's rows)
    store.close()
    assert main(["compact", "--db", str(db)]) == 0
    store = Store(db)
    try:
        assert found(store, "cranes") == ["s4"]
        add_story(store, "s9", "Story number 9 about cranes", at=NOW + timedelta(minutes=1))
        assert found(store, "cranes") == ["s9", "s4"]
    finally:
        store.close()


def test_settings_turn_search_off(tmp_path: Path) -> None:
    config = tmp_path / "agg.toml"
    config.write_text("[publish]\nsearch = false\n")
    from aggregator.config import load_settings

    assert load_settings(config, {}).publish.search is False
    assert dataclasses.replace(PublishSettings(), search=True).search


def test_former_versions_are_never_found_and_go_once_they_outnumber_the_current(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "agg.db")
    try:
        for n in range(3):
            add_story(store, f"s{n}", f"Storm number {n} nears the coast", at=NOW)
        for version in range(4):  # each rewrite leaves the one before in the index, unfound
            add_story(
                store, "s0", f"Storm v{version} makes landfall", at=NOW, fingerprint=f"{version}"
            )
        assert found(store, "nears") == ["s2", "s1"] and found(store, "v2") == []
        assert found(store, "landfall") == ["s0"]
        execute = store.db.execute
        assert tidy(execute) == 0  # (4 stale of 3 current: below the least worth a rebuild)
        assert tidy(execute, least=1) == 4
        assert tidy(execute, least=1) == 0
        assert found(store, "landfall v3") == ["s0"] and found(store, "nears") == ["s2", "s1"]
        add_story(store, "s1", "Storm number 1 passes", at=NOW, fingerprint="later")
        assert found(store, "passes") == ["s1"] and found(store, "nears") == ["s2"]
    finally:
        store.close()


def test_a_poll_makes_its_stories_searchable(tmp_path: Path) -> None:
    db, sources = tmp_path / "agg.db", tmp_path / "feeds.opml"
    news = feeds()

    async def scenario() -> None:
        async with Upstream() as up:
            urls = [up.add_feed(path, body) for path, body in news.items()]
            sources.write_text(opml(*urls))
            await poll_new(sources, db)  # (a new database: every feed is due)

    asyncio.run(scenario())
    store = Store(db)
    try:
        count, stories = store.reader().search("chile earthquake", 25)
        assert count == 1 and "earthquake" in stories[0].headline.lower()
    finally:
        store.close()


def test_a_search_followed_in_a_feed_reader(tmp_path: Path) -> None:
    db = flooded(tmp_path / "agg.db", 3, "Quiet day")
    settings = PublishSettings(base_url=BASE)

    async def scenario() -> None:
        async with served(db, settings) as client:
            page = await (await client.get("/search", params={"q": "flood"})).text()
            atom = f"{BASE}search.atom?q=flood"
            assert '<link rel="alternate" type="application/atom+xml"' in page
            assert f'Follow this search: <a href="{atom}">Atom</a>' in page
            answer = await client.get("/search.atom", params={"q": "flood  warning"})
            assert answer.status == 200
            # (with its charset, as every other feed: it had been left out)
            assert answer.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
            feed = ElementTree.fromstring(await answer.read())
            ns = {"a": "http://www.w3.org/2005/Atom"}
            # one feed however the words were spaced: its id and address are the words'
            assert feed.findtext("a:id", namespaces=ns) == f"{BASE}search?q=flood+warning"
            own = feed.find("a:link[@rel='self']", ns)
            assert own is not None and own.get("href") == f"{BASE}search.atom?q=flood+warning"
            titles = [e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns)]
            assert titles == [f"Flood warning number {n}" for n in range(3)]
            again = await client.get(
                "/search.atom",
                params={"q": "flood  warning"},
                headers={"If-None-Match": answer.headers["ETag"]},
            )
            assert again.status == 304  # (a reader's copy that is current)
            json_feed = await (await client.get("/search.json", params={"q": "flood"})).json()
            assert json_feed["feed_url"] == f"{BASE}search.json?q=flood"
            assert len(json_feed["items"]) == 3
            rss = await client.get("/search.rss", params={"q": "volcano"})  # (none yet)
            assert rss.status == 200 and b"<item>" not in await rss.read()
            assert (await client.get("/search.rss", params={"q": "?!"})).status == 404

    asyncio.run(scenario())


class _SlowSearches:
    """A reader whose searches take a while and count how many run at once."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self.running = self.most = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)

    def search(self, query: str, limit: int, offset: int = 0) -> tuple[int, list[Any]]:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.2)
        with self._lock:
            self.running -= 1
        return 0, []


def test_a_flood_of_searches_is_read_two_at_a_time(tmp_path: Path) -> None:
    db = flooded(tmp_path / "agg.db", 1, "Quiet day")

    async def scenario() -> None:
        store = Store(db)
        slow = _SlowSearches(store.reader())
        app = make_app(slow, PublishSettings(base_url=BASE), clock=lambda: NOW)
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            asked = [client.get("/search", params={"q": f"flood {n}"}) for n in range(4)]
            asked += [client.get("/search.atom", params={"q": f"flood {n}"}) for n in range(2)]
            answers = await asyncio.gather(*asked)
            assert [a.status for a in answers] == [200] * 6
            assert slow.most == 2  # the others waited their turn
        finally:
            await client.close()
            store.close()

    asyncio.run(scenario())


def test_a_search_that_finds_nothing_keeps_its_bytes_for_the_hour() -> None:
    """Its feed is made for each request: an empty one that said the second would never be
    answered 304 by ETag."""
    settings = PublishSettings(base_url=BASE)
    frame = search_frame("volcano", settings)
    hour = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)

    def empty(at: datetime, fmt: str) -> bytes:
        return render_feed("", "", [], fmt, settings, at, frame=frame)

    for fmt in ("atom", "rss", "json"):
        assert empty(hour + timedelta(minutes=1), fmt) == empty(hour + timedelta(minutes=59), fmt)
    assert empty(hour, "atom") != empty(hour + timedelta(hours=1), "atom")


def test_a_result_shows_the_bullet_that_matched_with_the_words_marked() -> None:
    from stories import make_story

    from aggregator.pages import render_search_html

    settings = PublishSettings(base_url=BASE)
    story = make_story("s1", 'Ceasefire <b>"agreed"</b> in Zürich')
    page = render_search_html("third zurich", 1, [story], settings)
    lead = page.split('<p class="lead" dir="auto">')[1].split("</p>")[0]
    # the third bullet, not the first: it holds a word asked for; the words are marked
    assert lead == (
        "Ceasefire &lt;b&gt;&quot;agreed&quot;&lt;/b&gt; in <mark>Zürich</mark>: "
        "<mark>third</mark> fact"
    )
    title = page.split("<h2>")[1].split("</h2>")[0]
    assert title.endswith("in <mark>Zürich</mark></a>") and "<b>" not in title
    # no bullet holds one (a source's title did): the lead bullet, as elsewhere
    page = render_search_html("talks", 1, [story], settings)
    assert '<p class="lead" dir="auto">Ceasefire &lt;b&gt;' in page and "<mark>" not in page
    # category pages mark nothing
    assert "<mark>" not in render_search_html("", 0, [], settings)
