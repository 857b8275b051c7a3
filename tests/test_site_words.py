"""The words around the stories in the site's language (`[publish] language`): every catalogue
complete, dates and counts as each language writes them, and every output in German with no
English of ours left in it."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import string
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from digest_fixture import BASE, NOW, digest_settings
from digest_fixture import settings as digest_fixture_settings
from stories import T0, ListReader, make_story

from aggregator.cli import main
from aggregator.digest import Pick
from aggregator.digest_job import DigestJob
from aggregator.digest_mail import compose
from aggregator.errors import ConfigError
from aggregator.feeds import render_feed, render_outputs_opml
from aggregator.models import Bullet, SourceRef, Story, Summary
from aggregator.opml import parse_opml
from aggregator.opml_reload import OpmlReload
from aggregator.pages import (
    opensearch_xml,
    render_category_html,
    render_index_html,
    render_search_html,
    render_sources_html,
    render_story_html,
    render_subscribe_html,
)
from aggregator.publish import ALL_SLUG, PublishSettings, all_title, headline
from aggregator.site import Site
from aggregator.site_words import _CATALOGUES, LANGUAGES, has_words, words_for
from aggregator.store import Store
from aggregator.web import not_found_response, unavailable_response

OPINION = "Der Stadtrat sollte den alten Hafen nicht schließen, denn die Fischer brauchen ihn."
GERMAN = PublishSettings(base_url=BASE, site_title="Tagesblick", language="de")

# Our English words that must not be left on a German site (upstream text aside).
ENGLISH = [
    "Summary based on",
    "Reported by",
    "source",
    "More stories",
    "More ",
    "top stories",
    "Top stories",
    "All stories",
    "Follow this",
    "Search stories",
    "Each story",
    "All feeds",
    "Untitled",
    "Updated",
    "update ",
    "Image:",
    "February",
    "Get a daily email",
    "No stories",
    "newest first",
    "Opinion",
    "daily digest",
    "Read the story",
    "unsubscribe",
    "News stories",
    "every feed",
]


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _templates(value: str | tuple[str, str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else value


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_catalogue_says_all_that_english_says_with_the_same_fields(language: str) -> None:
    english, other = _CATALOGUES["en"], _CATALOGUES[language]
    assert set(other) == set(english)
    for key, value in english.items():
        theirs = other[key]
        assert isinstance(theirs, tuple) == isinstance(value, tuple), key
        for ours, them in zip(_templates(value), _templates(theirs), strict=True):
            assert _fields(them) == _fields(ours), (language, key)
            assert them.strip() and not set(them) & set("<>&"), (language, key)


def test_a_language_is_found_by_its_primary_subtag_and_english_stands_in() -> None:
    assert words_for("de-AT").language == "de" and words_for("pt_BR").language == "pt"
    assert words_for("ja").language == "en" and words_for("").language == "en"
    assert has_words("de-CH") and has_words("en") and not has_words("ja")
    assert words_for("ja")("more_stories") == "More stories"


def test_dates_counts_and_lists_as_each_language_writes_them() -> None:
    feb = datetime(2025, 2, 12, 9, 5, tzinfo=UTC)
    first = datetime(2025, 3, 1, tzinfo=UTC)
    said = {lang: words_for(lang) for lang in LANGUAGES}
    assert said["en"].date(feb) == "February 12, 2025"
    assert said["de"].date(feb) == "12. Februar 2025"
    assert said["fr"].date(first) == "1er mars 2025"
    assert said["es"].date(feb) == "12 de febrero de 2025"
    assert said["pt"].day_month(feb) == "12 de fevereiro"
    assert said["de"].short_date(feb) == "12. Feb."
    assert said["en"].short_date(feb) == "Feb 12"
    # French counts 0 in the singular; English and German in the plural
    assert said["fr"].count("sources", 0) == "0 source"
    assert said["en"].count("sources", 0) == "0 sources"
    assert said["de"].count("sources", 1) == "1 Quelle"
    assert said["de"].count("sources", 2) == "2 Quellen"
    assert said["de"].listed(["A", "B", "C"]) == "A, B und C"
    assert said["es"].listed(["A", "B", "C", "D", "E"]) == "A, B, C y 2 más"
    assert said["fr"].quoted("x") == "«\u00a0x\u00a0»"


def _story(story_id: str, hours: int = 0, **changes: object) -> Story:
    story = make_story(story_id, f"Hafen {story_id}", hours=hours, category="Welt")
    return dataclasses.replace(story, **changes)


def _opinion(title: str = "Der Hafen muss bleiben", text: str = OPINION) -> Story:
    """A story of opinion pieces only (invented text)."""
    story = _story("op", 1)
    assert story.summary is not None
    sources = tuple(dataclasses.replace(s, label="Opinion") for s in story.summary.sources)
    summary = Summary(title, (Bullet(text, (0,)),), sources, outlet_count=2)
    return dataclasses.replace(story, headline=title, summary=summary)


def _german_outputs() -> dict[str, str]:
    """Every page and feed a German site renders, by name."""
    updated = _story("u", 2, version=3, added_sources=2)
    wire = _story("w", 3)
    assert wire.summary is not None
    copies = (
        *wire.summary.sources,
        SourceRef("Kurier", "Einigung erzielt", "https://kurier.example/copy", copy_of="x"),
    )
    wire = dataclasses.replace(
        wire, summary=dataclasses.replace(wire.summary, sources=copies, outlet_count=3)
    )
    stories = [_story("a"), updated, _opinion(), wire, _story("b", 4, summary=None)]
    now = T0 + timedelta(hours=6)
    several = dataclasses.replace(GERMAN, page_size=2)
    outputs = {
        "index": render_index_html([("Welt", "welt", stories)], GERMAN, now, digests={"Welt"}),
        "category": render_category_html("Welt", "welt", stories, several, now, page=2) or "",
        "story": render_story_html(updated, GERMAN, stories, {"Welt"}),
        "search": render_search_html("hafen", 3, stories, several),
        "no match": render_search_html("nichts", 0, [], GERMAN),
        "subscribe": render_subscribe_html(
            "Welt", "welt", GERMAN, schedule="07:00", count=10, contact="news@example.org"
        ),
        "sources": render_sources_html(
            [
                {
                    "url": "https://planet.example/feed",
                    "category": "Welt",
                    "title": "Planet",
                    "html_url": None,
                    "feed_title": None,
                    "link": None,
                    "reports": 3,
                }
            ],
            GERMAN,
        ),
        "opensearch": opensearch_xml(GERMAN),
        "404": not_found_response(BASE, GERMAN.words).text or "",
        "503": unavailable_response(GERMAN.words).text or "",
        "opml": render_outputs_opml(
            [("Welt", "welt"), (all_title(GERMAN), ALL_SLUG)], "atom", GERMAN
        ).decode(),
    }
    for fmt in ("atom", "rss", "json"):
        for top in (False, True):
            outputs[f"{fmt} top={top}"] = render_feed(
                "Welt", "welt", stories, fmt, GERMAN, now, top=top, digests={"Welt"}
            ).decode()
        outputs[f"story {fmt}"] = render_feed(
            "", "", [updated], fmt, GERMAN, now, versioned=True
        ).decode()
    return outputs


def test_a_german_site_says_every_word_of_its_own_in_german() -> None:
    outputs = _german_outputs()
    for name, text in outputs.items():
        text = text.replace(f"{GERMAN.base_url}sources/", "")  # (an address, not a word)
        for word in ENGLISH:
            assert word not in text, (name, word)
    assert "<h1>Quellen</h1>" in outputs["sources"]
    assert (
        'Planet <span class="meta">· 3 Berichte in den letzten 7 Tagen</span>'
        in (outputs["sources"])
    )
    story = outputs["story"]
    assert '<html lang="de">' in outputs["index"]
    assert "Zusammenfassung aus 2 Quellen:" in story
    assert "Aktualisiert: 2 neue Quellen" in story
    assert "12. Februar 2025, 10:00 UTC" in story and "aktualisiert: " in story
    assert "Täglich eine E-Mail mit weiteren Meldungen aus Welt" in story
    assert "Weitere Meldungen" in story and "Dieser Meldung folgen:" in story
    assert "Meinung: Der Hafen muss bleiben" in outputs["index"]  # it says what it is
    assert "(Meinung)" in outputs["atom top=False"]
    assert "gleicher Text" in outputs["index"] + outputs["category"] + outputs["rss top=False"]
    assert "Noch keine Zusammenfassung." in outputs["rss top=False"]
    assert "3 Meldungen passen zu „hafen“, die neuesten zuerst" in outputs["search"]
    assert "Keine Meldung passt zu „nichts“." in outputs["no match"]
    assert "(Aktualisierung 2)" in outputs["story atom"]
    assert "Top-Meldungen" in outputs["opml"] and "Alle Meldungen" in outputs["opml"]
    atom = ET.fromstring(outputs["atom top=False"].encode())
    subtitle = atom.find("{http://www.w3.org/2005/Atom}subtitle")
    assert subtitle is not None and subtitle.text == (
        "Welt: Nachrichten, jede aus allen Medien zusammengefasst, die darüber berichtet haben"
    )
    doc = json.loads(outputs["json top=True"])
    assert doc["title"] == "Tagesblick: Welt, Top-Meldungen"
    assert doc["description"] == "Welt: Meldungen, über die mindestens 2 Medien berichtet haben"


def test_a_headline_naming_its_kind_is_not_labelled_again() -> None:
    opinion = _opinion()
    said = dataclasses.replace(opinion, headline="Meinung: Der Hafen muss bleiben")
    assert headline(said, GERMAN.words) == "Meinung: Der Hafen muss bleiben"
    english = dataclasses.replace(opinion, headline="Opinion: the port must stay")
    assert headline(english, GERMAN.words) == "Opinion: the port must stay"
    assert headline(opinion, GERMAN.words) == "Meinung: Der Hafen muss bleiben"
    # the label is in the headline's own language, where there are words for it
    assert headline(opinion) == "Meinung: Der Hafen muss bleiben"
    live = _opinion(
        "Les marchés reculent après les chiffres de l’emploi",
        "Les bourses européennes ont ouvert en baisse mardi après la publication des chiffres.",
    )
    live = dataclasses.replace(live, summary=_labelled(live, "Live"))
    assert (
        headline(live, GERMAN.words)
        == "En direct\u00a0: Les marchés reculent après les chiffres de l’emploi"
    )
    plain = _opinion(
        "Markets fall after the jobs figures",
        "Stocks in Europe opened lower on Tuesday after the figures were published by the "
        "government, and traders said they expected the central bank to wait.",
    )
    assert headline(plain, GERMAN.words) == "Opinion: Markets fall after the jobs figures"


def _labelled(story: Story, label: str) -> Summary:
    assert story.summary is not None
    sources = tuple(dataclasses.replace(s, label=label) for s in story.summary.sources)
    return dataclasses.replace(story.summary, sources=sources)


def test_the_daily_email_speaks_the_sites_language() -> None:
    picks = [Pick(_story("a"), updated=False), Pick(_story("u", 2, version=2), updated=True)]
    msg = compose("Welt", picks, date(2026, 3, 10), NOW, digest_settings(), GERMAN)
    assert msg["Subject"] == "Welt: Hafen a und 1 weitere — 10. März 2026"
    assert msg["List-Id"].startswith('"Welt: tägliche E-Mail" <welt.digest.')
    assert "subject=abbestellen%20Welt" in msg["List-Unsubscribe"]
    text = msg.get_body(("plain",))
    page = msg.get_body(("html",))
    assert text is not None and page is not None
    for part in (text.get_content(), page.get_content()):
        for word in ENGLISH:
            assert word not in part, word
        assert "Zusammenfassung aus 2 Quellen:" in part
        assert "Zur Meldung" in part and "Aktualisiert" in part
    assert '<html lang="de">' in page.get_content()
    assert "Welt: die wichtigsten Meldungen des Tages, 10. März 2026" in text.get_content()


def test_pages_and_email_in_a_language_without_words_say_theirs_is_english() -> None:
    # (a category in Urdu, which has no catalogue: its page's words are English, not Urdu)
    urdu = PublishSettings(base_url=BASE).in_language("ur")
    story = make_story("u1", "شہر میں نیا پل کھل گیا۔", category="خبریں")
    page = render_category_html("خبریں", "khabrain", [story], urdu, NOW)
    assert page is not None and '<html lang="en">' in page and "Search stories" in page
    assert '<article lang="ur" dir="rtl">' in page  # (the story says its own)
    offer = render_subscribe_html(
        "خبریں", "khabrain", urdu, schedule="07:00", count=10, contact="e@x"
    )
    assert '<html lang="en">' in offer
    assert '<html lang="ur">' in render_story_html(story, urdu, [])
    msg = compose(
        "خبریں", [Pick(story, updated=False)], date(2026, 3, 10), NOW, digest_settings(), urdu
    )
    mail = msg.get_body(("html",))
    assert mail is not None
    body = mail.get_content()
    assert '<html lang="en">' in body and '<div lang="ur" dir="rtl"' in body
    assert '<p lang="en" dir="ltr" style="margin:8px 0 0 0"><a ' in body  # "Read the story"


def test_check_warns_of_a_language_without_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources, config = tmp_path / "feeds.opml", tmp_path / "config.toml"
    sources.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body><outline text="Welt">'
        '<outline type="rss" text="A" xmlUrl="https://a.example/feed"/>'
        "</outline></body></opml>"
    )
    config.write_text('[publish]\nlanguage = "ja"\n')
    assert main(["check", "--opml", str(sources), "--config", str(config)]) == 0
    said = capsys.readouterr().err
    assert "[publish] language 'ja' has no words of its own here" in said
    assert "de, en, es, fr, it, nl, pt" in said
    config.write_text('[publish]\nlanguage = "de-AT"\n')
    assert main(["check", "--opml", str(sources), "--config", str(config)]) == 0
    assert "language" not in capsys.readouterr().err


def test_our_words_inside_a_story_in_another_language_say_which_language_they_are() -> None:
    story = make_story("en1", "The council approved the new bridge over the river", category="Welt")
    page = render_story_html(story, GERMAN, [], {"Welt"})
    assert '<article lang="en" dir="auto">' in page
    assert '<p lang="de" dir="ltr">Zusammenfassung aus 2 Quellen:</p>' in page
    assert (
        '<p class="digest" lang="de" dir="ltr">' in page and '<footer lang="de" dir="ltr">' in page
    )
    feed = render_feed("Welt", "welt", [story], "atom", GERMAN, NOW, digests={"Welt"}).decode()
    assert 'lang="de" dir="ltr"&gt;Zusammenfassung aus 2 Quellen:' in feed
    german = make_story("de1", "Der Stadtrat hat die neue Brücke über den Fluss genehmigt")
    page = render_story_html(dataclasses.replace(german, category="Welt"), GERMAN, [])
    assert 'lang="de">Zusammenfassung' not in page and "<footer>" in page


# --- a category's own language ------------------------------------------------------------

BILINGUAL = (
    '<?xml version="1.0"?><opml version="2.0"><body>'
    '<outline text="World">'
    '<outline type="rss" text="A" xmlUrl="https://a.example/feed" language="de"/></outline>'
    '<outline text="Actualités" language="fr">'
    '<outline type="rss" text="B" xmlUrl="https://b.example/feed"/>'
    '<outline text="Régions"><outline type="rss" text="C" xmlUrl="https://c.example/feed"/>'
    "</outline></outline>"
    '<outline text="Welt" language="ja">'
    '<outline type="rss" text="D" xmlUrl="https://d.example/feed"/></outline>'
    "</body></opml>"
)


def test_a_category_outline_says_its_language_and_the_nearest_holds() -> None:
    parsed = parse_opml(BILINGUAL.encode())
    # a feed outline's own `language` (other readers write one) says nothing of its category
    assert dict(parsed.languages) == {"Actualités": "fr", "Régions": "fr", "Welt": "ja"}
    with pytest.raises(ConfigError, match=r"line 1: outline 'Welt': language='japanese!' is no"):
        parse_opml(BILINGUAL.replace('language="ja"', 'language="japanese!"').encode())
    twice = BILINGUAL.replace(
        '<outline text="Welt" language="ja">', '<outline text="Actualités" language="es">'
    )
    assert "category 'Actualités' is said to be in 'es' here and in 'fr' before; 'fr' holds" in (
        " ".join(parse_opml(twice.encode()).warnings)
    )


def test_a_categorys_pages_feeds_and_email_speak_its_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = make_story("w1", "The council approved the new bridge over the river", hours=2)
    french = make_story(
        "f1", "Le conseil municipal a approuvé le nouveau pont", hours=1, category="Actualités"
    )

    class Reader(ListReader):
        def category_languages(self) -> dict[str, str]:
            return {"Actualités": "fr"}

    site = Site(
        Reader(["World News", "Actualités"], [world, french]), PublishSettings(base_url=BASE)
    )
    front = site.index().body.decode()
    assert "Summary based on 2 sources" not in front and "More World News" in front
    assert "Plus\u00a0: Actualités" not in front  # (the front page is the site's: English)
    page = site.category("actualites")
    assert page is not None and "Flux\u00a0:" in page.body.decode()
    assert '<html lang="fr">' in page.body.decode()
    assert '<html lang="en">' in (site.category("world-news") or page).body.decode()
    story = site.story("f1")
    assert story is not None and "Résumé fondé sur 2 sources\u00a0:" in story.body.decode()
    assert "Summary based on 2 sources:" in (site.story("w1") or story).body.decode()
    feed = site.feed("actualites", "atom")
    assert feed is not None and "Résumé fondé sur 2 sources".encode() in feed.body
    assert b"Summary based on" in (site.feed("all", "atom") or feed).body

    job = DigestJob.__new__(DigestJob)  # (its settings and reader are all `publish_for` reads)
    job.reader, job.settings = Reader([], []), digest_fixture_settings()
    assert job.publish_for("Actualités").words.language == "fr"
    assert job.publish_for("World News").words.language == "en"

    sources = tmp_path / "feeds.opml"
    sources.write_text(BILINGUAL)
    assert main(["check", "--opml", str(sources)]) == 0
    out = capsys.readouterr()
    assert "4 feeds in 4 categories (3 with a language of their own)" in out.out
    assert "category 'Welt' is in 'ja', which has no words of its own here" in out.err


def test_the_opml_reload_keeps_the_category_languages_for_the_readers(tmp_path: Path) -> None:
    sources, db = tmp_path / "feeds.opml", tmp_path / "agg.db"
    sources.write_text(BILINGUAL)
    store = Store(db)

    async def write(fn: Callable[..., object], *args: object) -> object:
        return fn(*args)

    reload = OpmlReload(sources, store, write, lambda: NOW)
    try:
        assert asyncio.run(reload.load(strict=True))
        languages = {"Actualités": "fr", "Régions": "fr", "Welt": "ja"}
        assert store.reader().category_languages() == languages
        version = store.reader().version()
        sources.write_text(BILINGUAL.replace(' language="fr"', ""))
        assert asyncio.run(reload.load(strict=True))
        assert store.reader().category_languages() == {"Welt": "ja"}
        assert store.reader().version() != version  # (pages and feeds change their words)
    finally:
        store.close()
