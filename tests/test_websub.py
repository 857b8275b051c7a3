"""WebSub: the category feeds name the operator's hubs, and the hubs are told when they change."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
from stories import T0, ListReader, make_story
from test_service import fast_settings
from upstream import Upstream

from aggregator.cli import main
from aggregator.cli_status import websub_line
from aggregator.config import ConfigError, Settings, build_settings
from aggregator.feeds import render_feed, search_frame
from aggregator.fetch import Fetcher
from aggregator.health import report as health_report
from aggregator.hub_job import PINGED
from aggregator.metrics import render as render_metrics
from aggregator.publish import PublishSettings
from aggregator.service import Service
from aggregator.site import Site
from aggregator.websub import hub_link_header, news_for, retry_after

HUBS = ("https://hub.example/", "https://hub2.example/websub")


def _now() -> datetime:
    return datetime.now(UTC)


ATOM = "{http://www.w3.org/2005/Atom}"


def _settings(**more: object) -> PublishSettings:
    return PublishSettings(base_url="https://news.example/", **more)  # type: ignore[arg-type]


def test_a_category_feed_names_its_hubs_in_every_format() -> None:
    settings = _settings(hubs=HUBS)
    stories = [make_story("s1"), make_story("s2", hours=1)]
    atom = ElementTree.fromstring(
        render_feed("World News", "world-news", stories, "atom", settings, T0)
    )
    links = [(e.get("rel"), e.get("href")) for e in atom.findall(f"{ATOM}link")]
    assert links == [
        ("hub", HUBS[0]),
        ("hub", HUBS[1]),
        ("self", "https://news.example/feeds/world-news.atom"),
        ("alternate", "https://news.example/world-news/"),
    ]
    rss = ElementTree.fromstring(
        render_feed("World News", "world-news", stories, "rss", settings, T0)
    )
    channel = rss.find("channel")
    assert channel is not None
    rss_links = [(e.get("rel"), e.get("href")) for e in channel.findall(f"{ATOM}link")]
    assert rss_links == [
        ("self", "https://news.example/feeds/world-news.rss"),
        ("hub", HUBS[0]),
        ("hub", HUBS[1]),
    ]
    assert channel.findtext("link") == "https://news.example/world-news/"  # (still the page)
    tags = [child.tag for child in channel]
    assert max(i for i, t in enumerate(tags) if t == f"{ATOM}link") < tags.index("item")
    document = json.loads(render_feed("World News", "world-news", stories, "json", settings, T0))
    assert document["hubs"] == [{"type": "WebSub", "url": hub} for hub in HUBS]


def test_without_hubs_and_in_a_search_feed_no_hub_is_named() -> None:
    stories = [make_story("s1")]
    for settings, frame in (
        (_settings(), None),
        (_settings(hubs=HUBS), search_frame("ceasefire", _settings(hubs=HUBS))),
    ):
        for fmt in ("atom", "rss"):
            body = render_feed("World News", "world-news", stories, fmt, settings, T0, frame=frame)
            assert b'rel="hub"' not in body
        body = render_feed("World News", "world-news", stories, "json", settings, T0, frame=frame)
        assert "hubs" not in json.loads(body)


def test_the_feed_is_served_with_its_hub_and_self_link_headers() -> None:
    site = Site(ListReader(["World News"], [make_story("s1")]), _settings(hubs=HUBS))
    output = site.feed("world-news", "rss", top=True)
    assert output is not None
    assert output.link == (
        f'<{HUBS[0]}>; rel="hub", <{HUBS[1]}>; rel="hub", '
        '<https://news.example/feeds/world-news/top.rss>; rel="self"'
    )
    assert Site(ListReader(["World News"], []), _settings()).feed("all", "atom").link is None
    assert hub_link_header((), "https://news.example/feeds/all.atom") is None


def test_a_hub_must_be_an_http_url_listed_once() -> None:
    assert build_settings({"publish": {"hubs": [HUBS[0]]}}).publish.hubs == (HUBS[0],)
    env = {"AGGREGATOR_PUBLISH_HUBS": f"{HUBS[0]}, {HUBS[1]}"}
    assert build_settings(None, env).publish.hubs == HUBS
    for hubs, problem in (
        (["hub.example"], r"absolute http\(s\) URL"),
        (["ftp://hub.example/"], r"absolute http\(s\) URL"),
        ([HUBS[0], HUBS[0]], "listed twice"),
    ):
        with pytest.raises(ConfigError, match=problem):
            build_settings({"publish": {"hubs": hubs}})


def test_what_each_hub_hears_and_when_it_is_asked_again() -> None:
    current = {"world-news": "b", "world-news/top": "t", "all": "c"}
    pinged = {HUBS[0]: {"world-news": "a", "world-news/top": "t", "all": "c"}}
    assert news_for(HUBS, current, pinged) == {
        HUBS[0]: ["world-news"],
        HUBS[1]: ["world-news", "world-news/top", "all"],  # a new hub hears of every feed
    }
    assert news_for(HUBS[:1], current, {HUBS[0]: current}) == {}
    assert [retry_after(n) for n in (1, 2, 3, 7, 20)] == [60, 120, 240, 3600, 3600]


def _item(title: str, host: str, n: int) -> str:
    return (
        f"<item><title>{title}</title><link>https://{host}/{n}</link><guid>{host}-{n}</guid>"
        f"<description>{title}. A report of its own about it, told at length, number {n}."
        "</description><pubDate>Sat, 05 Dec 2026 10:00:00 GMT</pubDate></item>"
    )


def _feed(*items: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://t.example/</link><description>d</description>{''.join(items)}"
        "</channel></rss>"
    ).encode()


def _opml(world: str, business: str) -> str:
    return (
        '<opml version="2.0"><body>'
        f'<outline text="World News"><outline type="rss" text="W" xmlUrl="{world}"/></outline>'
        f'<outline text="Business"><outline type="rss" text="B" xmlUrl="{business}"/></outline>'
        "</body></opml>"
    )


def _hub_settings(up: Upstream) -> Settings:
    settings = fast_settings()
    publish = PublishSettings(
        base_url="https://news.example/", hubs=(up.url("/hub/one"), up.url("/hub/two"))
    )
    return dataclasses.replace(settings, publish=publish)


def _heard(up: Upstream, name: str) -> list[str]:
    """The feed addresses hub `name` was told of, and forget them."""
    told = [form for hub, form in up.hub_forms if hub == name]
    up.hub_forms[:] = [(hub, form) for hub, form in up.hub_forms if hub != name]
    assert all(form["hub.mode"] == "publish" for form in told)
    return sorted(form["hub.url"] for form in told)


def _feeds(*keys: str) -> list[str]:
    return sorted(
        f"https://news.example/feeds/{key}.{fmt}" for key in keys for fmt in ("atom", "rss", "json")
    )


def test_the_hubs_hear_of_changed_feeds_once_and_a_failing_one_again(tmp_path: Path) -> None:
    db = tmp_path / "agg.db"
    hubs: list[str] = []

    async def scenario() -> None:
        async with Upstream() as up:
            world = up.add_feed("/w.xml", _feed(_item("Harbour reopens after the storm", "w", 1)))
            business = up.add_feed("/b.xml", _feed(_item("Mill closes its doors", "b", 1)))
            (tmp_path / "feeds.opml").write_text(_opml(world, business))
            service = Service(tmp_path / "feeds.opml", db, _hub_settings(up))
            hubs.extend(service.settings.publish.hubs)
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher, everything=True)
                    await service.tell_hubs(fetcher)
                    every = _feeds(*(f"{s}{t}" for s in ("world-news", "business", "all")
                                     for t in ("", "/top")))  # fmt: skip
                    assert _heard(up, "one") == _heard(up, "two") == every  # (new to them)

                    await service.tell_hubs(fetcher)  # nothing changed: nothing said
                    assert up.hub_forms == []

                    up.add_feed("/b.xml", _feed(
                        _item("Mill closes its doors", "b", 1),
                        _item("Brewery opens a second site in the valley", "b", 2),
                    ))  # fmt: skip
                    up.hub_status["two"] = 500
                    await service.poll_cycle(fetcher, everything=True)
                    await service.tell_hubs(fetcher)
                    assert _heard(up, "one") == _feeds("business", "all")
                    assert _heard(up, "two") == []  # it failed, and is paused
                    two = up.url("/hub/two")
                    report, code = health_report(
                        service.store.reader(), _now(), None, digests=False
                    )
                    assert code == 200 and report["status"] == "warning"  # (it still works)
                    since = report["websub_failing"][two]["failing_since"]
                    assert report["warnings"] == [
                        f"WebSub hub {two} failing since {since}: "
                        "HTTP 500 Internal Server Error; readers subscribed through it hear of new "
                        "stories at their own next poll"
                    ]
                    states = service.store.reader().websub_hubs()
                    line = websub_line(service.settings.publish.hubs, states, _now())
                    assert line.startswith(f"WEBSUB {up.url('/hub/one')} told ")
                    assert f"; {two} failing since " in line and line.endswith(
                        ": HTTP 500 Internal Server Error"
                    )
                    assert "aggregator_websub_hubs_failing 1" in render_metrics(report, {})
                    job = service.hub_job()
                    pause = job._due_at[up.url("/hub/two")]
                    assert pause > asyncio.get_running_loop().time() + 50  # (a minute)
                    await job.run_pass(fetcher)  # paused: not asked, however often we pass
                    assert up.hub_forms == []

                    up.hub_status["two"] = 204
                    job._due_at[up.url("/hub/two")] = 0.0  # (the pause is over)
                    assert job.retry_due()
                    await job.run_pass(fetcher)
                    assert _heard(up, "two") == _feeds("business", "all")  # what it missed
                    assert _heard(up, "one") == []  # nothing new for the other
                    assert not job.retry_due()
                    report, _ = health_report(service.store.reader(), _now(), None, digests=False)
                    assert report["status"] == "ok" and "websub_failing" not in report
                    assert "failing" not in websub_line(
                        service.settings.publish.hubs, service.store.reader().websub_hubs(), _now()
                    )
            finally:
                service.close()
            # A restarted service, or the next cron run, tells nothing twice, rendering nothing.
            again = Service(tmp_path / "feeds.opml", db, _hub_settings(up))
            try:
                async with Fetcher(again.settings.fetch) as fetcher:
                    rendered: list[str] = []
                    job = again.hub_job()
                    job._digests = lambda: rendered.append("x") or {}  # type: ignore[method-assign]
                    await again.tell_hubs(fetcher)
                assert up.hub_forms == [] and rendered == []
            finally:
                again.close()

    asyncio.run(scenario())
    with sqlite3.connect(db) as conn:
        (kept,) = conn.execute("SELECT value FROM meta WHERE key = ?", [PINGED]).fetchone()
    assert sorted(json.loads(kept)) == sorted(hubs)  # what each was told, kept per hub


def test_publish_tells_the_hubs_of_the_feed_files_it_rewrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "agg.db"
    with Upstream().running_in_thread() as up:
        world = up.add_feed("/w.xml", _feed(_item("Harbour reopens after the storm", "w", 1)))
        business = up.add_feed("/b.xml", _feed(_item("Mill closes its doors", "b", 1)))
        (tmp_path / "feeds.opml").write_text(_opml(world, business))
        config = tmp_path / "config.toml"
        config.write_text(
            '[publish]\nbase_url = "https://news.example/"\n'
            f'hubs = ["{up.url("/hub/one")}"]\n[articles]\nenabled = false\n'
        )
        common = ["--db", str(db), "--config", str(config)]
        every = _feeds(*(f"{s}{t}" for s in ("world-news", "business", "all")
                         for t in ("", "/top")))  # fmt: skip
        opml = str(tmp_path / "feeds.opml")
        assert main(["poll", "--once", "--all", "--opml", opml, *common]) == 0
        assert _heard(up, "one") == every  # a cron `poll --once` tells the hubs at its end
        site = tmp_path / "site"
        assert main(["publish", "--output", str(site), *common]) == 0
        assert _heard(up, "one") == every  # the static copies: every file is new
        assert main(["publish", "--output", str(site), *common]) == 0  # nothing rewritten
        assert up.hub_forms == []
        up.hub_status["one"] = 503
        (site / "feeds" / "business.atom").write_text("stale")  # a file to write again
        capsys.readouterr()
        assert main(["publish", "--output", str(site), *common]) == 1
        said = capsys.readouterr().err
        assert f"websub: {up.url('/hub/one')} failed: HTTP 503" in said
        assert "; it is told of 1 feed file at the next publish" in said
        up.hub_forms.clear()
        up.hub_status["one"] = 204  # back: the next publish tells it what it missed
        assert main(["publish", "--output", str(site), *common]) == 0  # (nothing rewritten)
        assert _heard(up, "one") == ["https://news.example/feeds/business.atom"]
        assert "(1 missed at an earlier publish)" in capsys.readouterr().out
        assert main(["publish", "--output", str(site), *common]) == 0
        assert up.hub_forms == []  # told once
    assert b'rel="hub"' in (site / "feeds" / "business.atom").read_bytes()


def test_a_notification_that_fails_says_why_and_never_raises() -> None:
    async def scenario() -> list[str | None]:
        async with Upstream() as up, Fetcher(fast_settings().fetch) as fetcher:
            up.add_redirect("/moved", "/hub/one", status=307)
            gone = up.url("/hub/one").replace(str(up.port), "1")  # (nothing listens on port 1)
            return [
                await fetcher.post_form(up.url("/hub/one"), [("hub.mode", "publish")]),
                await fetcher.post_form(up.url("/moved"), [("hub.mode", "publish")]),
                await fetcher.post_form(gone, [("hub.mode", "publish")]),
                await fetcher.post_form("hub.example", [("hub.mode", "publish")]),
            ]

    ok, moved, refused, bad = asyncio.run(scenario())
    assert ok is None
    assert moved == "HTTP 307 Temporary Redirect"  # (a form is not sent on)
    assert refused and "refused" in refused.lower()
    assert bad


def test_check_warns_of_hubs_without_a_public_base_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources, config = tmp_path / "feeds.opml", tmp_path / "config.toml"
    sources.write_text(_opml("https://a.example/feed", "https://b.example/feed"))
    config.write_text(f'[publish]\nhubs = ["{HUBS[0]}"]\n')
    assert main(["check", "--opml", str(sources), "--config", str(config)]) == 0
    said = capsys.readouterr().err
    assert "[publish] hubs are set, but base_url is not: the hubs are told of feeds at " in said
    config.write_text(f'[publish]\nhubs = ["{HUBS[0]}"]\nbase_url = "https://news.example/"\n')
    assert main(["check", "--opml", str(sources), "--config", str(config)]) == 0
    assert "hubs" not in capsys.readouterr().err
