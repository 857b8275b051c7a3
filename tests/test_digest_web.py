"""Pages and feed items link to the daily email only for categories that have one; the
subscribe page."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import feedparser
from digest_fixture import BASE, digest_settings
from stories import T0, make_story

from aggregator.models import Story
from aggregator.publish import PublishSettings
from aggregator.ranking import outlets
from aggregator.web import make_app, start_server

SETTINGS = PublishSettings(base_url=BASE, site_title="Daily")
LINE = "Get a daily email with more World News stories"


class Reader:
    def __init__(self) -> None:
        self.items = [
            make_story("w1", "Ceasefire agreed", category="World News"),
            make_story("s1", "Comet seen", category="Science"),
        ]

    def categories(self) -> list[str]:
        return ["World News", "Science"]

    def stories(self, category: str | None, limit: int, min_outlets: int = 1) -> list[Story]:
        chosen = [s for s in self.items if category in (None, s.category)]
        return [s for s in chosen if outlets(s) >= min_outlets][:limit]

    def story(self, story_id: str) -> Story | None:
        return next((s for s in self.items if s.id == story_id), None)

    def version(self) -> str:
        return "1"


def fetch_all(paths: list[str], **app_kwargs: object) -> dict[str, tuple[int, str]]:
    async def main() -> dict[str, tuple[int, str]]:
        app = make_app(Reader(), SETTINGS, clock=lambda: T0, **app_kwargs)  # type: ignore[arg-type]
        runner = await start_server(app, "127.0.0.1", 0)
        out = {}
        try:
            port = runner.addresses[0][1]
            async with aiohttp.ClientSession() as session:
                for path in paths:
                    async with session.get(f"http://127.0.0.1:{port}{path}") as resp:
                        out[path] = (resp.status, await resp.text())
        finally:
            await runner.cleanup()
        return out

    return asyncio.run(main())


PATHS = ["/", "/world-news/", "/stories/w1/", "/stories/s1/", "/world-news/subscribe/"]


def test_pages_link_to_the_subscribe_page_of_digest_categories_only() -> None:
    digest = digest_settings(contact="editors@news.example.org", count=7)
    pages = fetch_all([*PATHS, "/science/subscribe/"], digest=digest)
    link = f'<a href="{BASE}world-news/subscribe/">{LINE}</a>'
    for path in ("/", "/world-news/", "/stories/w1/"):
        assert link in pages[path][1], path
    assert "Get a daily email" not in pages["/stories/s1/"][1]
    status, page = pages["/world-news/subscribe/"]
    assert status == 200 and f"<h1>{LINE}</h1>" in page
    assert "08:00 (Europe/Berlin)" in page and "top 7 stories" in page
    assert "mailto:editors@news.example.org?subject=subscribe%20World%20News" in page
    assert "<form" not in page and "<input" not in page
    assert pages["/science/subscribe/"][0] == 404


FEEDS = [
    f"/feeds/{slug}.{fmt}"
    for slug in ("world-news", "science", "all")
    for fmt in ("atom", "rss", "json")
]


def _item_bodies(path: str, body: str) -> dict[str, str]:
    """A feed's item bodies (HTML) by headline."""
    if path.endswith(".json"):
        return {i["title"]: i["content_html"] for i in json.loads(body)["items"]}
    parsed = feedparser.parse(body)
    assert not parsed.bozo, path
    return {e.title: e.content[0].value for e in parsed.entries}


def test_feed_items_link_to_the_subscribe_page_of_digest_categories_only() -> None:
    # As the published item reads: "… Summary based on 1 source … · Get a daily email with
    # more World News stories · More stories", in every format and in the all-stories feed.
    pages = fetch_all(FEEDS, digest=digest_settings())
    link = f'<a href="{BASE}world-news/subscribe/">{LINE}</a>'
    for path in FEEDS:
        status, body = pages[path]
        assert status == 200, path
        bodies = _item_bodies(path, body)
        if "science" not in path:
            assert link in bodies["Ceasefire agreed"], path
            assert bodies["Ceasefire agreed"].index(LINE) < bodies["Ceasefire agreed"].index(
                ">More stories<"
            )
        if "world-news" not in path:
            assert "Get a daily email" not in bodies["Comet seen"], path


def test_without_digests_there_is_no_line_and_no_subscribe_page() -> None:
    pages = fetch_all([*PATHS, *FEEDS])
    assert all("Get a daily email" not in body for _, body in pages.values())
    assert pages["/world-news/subscribe/"][0] == 404


def test_the_subscribe_page_accepts_no_writes() -> None:
    async def main() -> list[int]:
        app = make_app(Reader(), SETTINGS, digest=digest_settings())
        runner = await start_server(app, "127.0.0.1", 0)
        statuses = []
        try:
            port = runner.addresses[0][1]
            async with aiohttp.ClientSession() as session:
                for path in ("/world-news/subscribe/", "/world-news/subscribe"):
                    url = f"http://127.0.0.1:{port}{path}"
                    async with session.post(url, data={"email": "x@example.com"}) as resp:
                        statuses.append(resp.status)
        finally:
            await runner.cleanup()
        return statuses

    assert asyncio.run(main()) == [405, 405]


def test_the_subscribe_page_names_the_bare_contact_address() -> None:
    # No `contact`: readers write to the sender, configured with a display name.
    page = fetch_all(["/world-news/subscribe/"], digest=digest_settings())["/world-news/subscribe/"]
    assert 'href="mailto:digest@news.example.org?subject=subscribe%20World%20News"' in page[1]
    assert "&lt;" not in page[1]


def test_the_subscribe_page_without_its_trailing_slash_is_the_page() -> None:
    """The subscribe page is `/world-news/subscribe/`, as a static export's server answers it;
    `/world-news/subscribe`, which pages and emails linked before, is the page too (not a
    redirect: the release before redirected the other way, and browsers keep that); a
    category without a digest still has none."""

    async def main() -> dict[str, tuple[int, str | None]]:
        app = make_app(Reader(), SETTINGS, digest=digest_settings())
        runner = await start_server(app, "127.0.0.1", 0)
        out = {}
        try:
            port = runner.addresses[0][1]
            async with aiohttp.ClientSession() as session:
                for path in SLASHED:
                    url = f"http://127.0.0.1:{port}{path}"
                    async with session.get(url, allow_redirects=False) as resp:
                        out[path] = (resp.status, resp.headers.get("Location"))
        finally:
            await runner.cleanup()
        return out

    assert asyncio.run(main()) == SLASHED
    followed = fetch_all(["/world-news/subscribe"], digest=digest_settings())
    status, page = followed["/world-news/subscribe"]
    assert status == 200 and f"<h1>{LINE}</h1>" in page
    assert fetch_all(["/world-news/subscribe"])["/world-news/subscribe"][0] == 404


SLASHED: dict[str, tuple[int, str | None]] = {
    "/world-news/subscribe": (200, None),
    "/science/subscribe": (404, None),
    "/nowhere/subscribe": (404, None),
    "/world-news/subscribe/x": (404, None),
    "/world-news/subscribe//": (404, None),
}


def test_a_sign_up_page_also_tells_the_readers_the_operator_listed_how_to_leave() -> None:
    """The emails of readers the settings list say "write to …; details:" and link the
    subscribe page; with sign-ups on, it told only of the link their copy does not have."""
    from aggregator.pages import render_subscribe_html

    settings = PublishSettings(base_url=BASE)
    page = render_subscribe_html(
        "World News", "world-news", settings, schedule="07:00 (UTC)", count=10,
        contact="news@news.example", form=True,
    )  # fmt: skip
    assert "Every digest ends with a link that unsubscribes you at once" in page
    assert (
        "If the site’s operator added you to the list, write to "
        '<a href="mailto:news@news.example?subject=unsubscribe%20World%20News">'
        "news@news.example</a> and you will be removed."
    ) in page
