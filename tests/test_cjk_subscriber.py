"""A Chinese feed read as a subscriber reads it: the teaser's article page is fetched and
used, and the story's headline on its page and in its feed is the source's title.

All text is invented for this test (a harbour bridge closed after cracks are found) and is
served by a loopback server.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import feedparser
from upstream import Upstream

from aggregator.config import Settings
from aggregator.feeds import render_feed
from aggregator.fetch import Fetcher
from aggregator.pages import render_story_html
from aggregator.publish import PublishSettings
from aggregator.service import Service

NOW = datetime.now(UTC).replace(microsecond=0)
TITLE = "港口大桥主跨发现裂缝后封闭"
# The feed's teaser: a dateline and byline spaced from the news, as wire copy often is. It has
# more spaces than the page has paragraphs.
TEASER = "新华社 北京 3月2日电 （记者 王明 李华） 工程师在港口大桥主跨发现多处裂缝，大桥随即封闭。"
PARAGRAPHS = [
    "工程师周一在例行检查中发现港口大桥主跨出现多处裂缝，市议会随即下令对所有车辆封闭大桥。",
    "市议会表示，封闭将至少持续两周，维修费用预计超过三千万元，资金由市政府和省交通厅共同承担。",
    "这是大桥自一九六二年通车以来首次全面封闭，市议会在周一晚间发布的声明中说。",
    "交通部门已在沿线增开十二条公交线路，渡轮公司也将班次增加到每十分钟一班。",
]


def feed_xml(up: Upstream) -> bytes:
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>港口日报</title><link>{up.url('/')}</link><language>zh-cn</language>"
        f"<item><title>{TITLE}</title><link>{up.url('/bridge.html')}</link><guid>bridge</guid>"
        f"<pubDate>{format_datetime(NOW)}</pubDate>"
        f"<description>{escape(TEASER)}</description></item></channel></rss>"
    ).encode()


def page() -> bytes:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f"<html lang='zh'><head><meta charset='utf-8'><title>{TITLE}</title></head><body>"
        f"<nav>首页 | 国内</nav><article><h1>{TITLE}</h1>{body}</article>"
        "<footer>关于我们</footer></body></html>"
    ).encode()


def test_a_chinese_teasers_page_is_used_and_its_title_is_the_headline(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Upstream() as up:
            up.add_feed("/bridge.html", page(), content_type="text/html; charset=utf-8")
            up.add_feed("/robots.txt", b"User-agent: *\nAllow: /\n", content_type="text/plain")
            feed = up.add_feed("/feed.xml", feed_xml(up))
            opml = tmp_path / "feeds.opml"
            opml.write_text(
                "<opml version='2.0'><body><outline text='World'>"
                f"<outline type='rss' text='港口日报' xmlUrl='{feed}'/></outline></body></opml>"
            )
            base = Settings()
            articles = dataclasses.replace(
                base.articles, enabled=True, per_host_interval=0.0, interval=0.2
            )
            config = dataclasses.replace(base, articles=articles)
            service = Service(opml, tmp_path / "agg.db", config)
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher)
                    report = await service.fetch_articles(fetcher)
                (story,) = service.store.reader().stories(None, 10)
            finally:
                service.close()
        # The page holds more text than the teaser, counted in characters: it is used (a
        # count by spaces found the spaced teaser "longer" and kept it).
        assert (report.ok, report.failed) == (1, 0)
        assert story.summary is not None
        bullets = [b.text for b in story.summary.bullets]
        assert any("三千万元" in b for b in bullets)  # a fact only the page has
        # The headline is the title, not a body sentence.
        assert story.headline == TITLE
        settings = PublishSettings(base_url="http://127.0.0.1:8080/")
        html = render_story_html(story, settings, [])
        assert f"<h1>{TITLE}</h1>" in html
        parsed = feedparser.parse(render_feed("World", "world", [story], "atom", settings, NOW))
        assert [e.title for e in parsed.entries] == [TITLE]

    asyncio.run(scenario())
