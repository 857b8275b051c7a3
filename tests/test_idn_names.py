"""A domain shown as a reader reads it (`idn_names.shown_domain`): in Unicode where it cannot
pass for another, in its ASCII (IDNA) form where it could: a byline "pаypal.com" with a
Cyrillic "а" named an entry's publisher as PayPal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aggregator.dedupe import key_name
from aggregator.idn_names import shown_domain
from aggregator.models import Entry, ParsedFeed, Source
from aggregator.pipeline import entries_to_items


@pytest.mark.parametrize(
    ("domain", "shown"),
    [
        ("harbourgazette.example", "harbourgazette.example"),
        ("xn--bcher-kva.example", "bücher.example"),  # one script: as it reads
        ("bücher.example", "bücher.example"),
        ("правда.рф", "правда.рф"),  # Cyrillic under a Cyrillic top-level domain
        ("новости.com", "новости.com"),  # Cyrillic letters that do not read as Latin
        ("中国新闻.cn", "中国新闻.cn"),
        ("日本のニュース.jp", "日本のニュース.jp"),  # Han, Hiragana and Katakana together
        ("한국뉴스.kr", "한국뉴스.kr"),
        ("ελληνικά.gr", "ελληνικά.gr"),
        # Latin and Cyrillic mixed in one label ("pаypal", Cyrillic а)
        ("p\u0430ypal.com", "xn--pypal-4ve.com"),
        ("bb\u0441.co.uk", "xn--bb-pmc.co.uk"),
        # wholly Cyrillic, every letter one a Latin letter's look-alike, under .com
        ("\u0440\u0430\u0443\u0440\u0430\u04cf.com", "xn--80aa0cbo65f.com"),
        ("\u0430\u0440\u0440\u04cf\u0435.com", "xn--80ak6aa92e.com"),
        # wholly Greek look-alikes ("ονοκο")
        ("\u03bf\u03bd\u03bf\u03ba\u03bf.com", "xn--vxaffbb.com"),
        ("news.xn--80ak6aa92e.com", "news.xn--80ak6aa92e.com"),  # its ASCII form stays so
        # a country's own script under its own top-level domain reads as written, however
        # Latin its letters look ("пресса", "ερτ")
        ("\u043f\u0440\u0435\u0441\u0441\u0430.ru", "\u043f\u0440\u0435\u0441\u0441\u0430.ru"),
        ("www.\u043f\u0440\u0435\u0441.bg", "www.\u043f\u0440\u0435\u0441.bg"),
        ("\u0435\u0440\u0441.ua", "\u0435\u0440\u0441.ua"),
        ("\u03b5\u03c1\u03c4.gr", "\u03b5\u03c1\u03c4.gr"),
        ("\u03c4\u03b1\u03bd\u03b5\u03b1.com.cy", "\u03c4\u03b1\u03bd\u03b5\u03b1.com.cy"),
        # ... not under another's: Cyrillic look-alikes under .gr, Greek ones under .ru
        ("\u0435\u0440\u0441.gr", "xn--e1awd.gr"),
        ("\u03b5\u03c1\u03c4.ru", "xn--qxayj.ru"),
        # a label's letters as written, not as IDNA 2003 mapped them (ß to "ss", a final
        # sigma to σ): "strasse.de" is another domain than "straße.de"
        ("stra\u00dfe.de", "stra\u00dfe.de"),
        ("\u03ba\u03b1\u03b9\u03c1\u03bf\u03c2.gr", "\u03ba\u03b1\u03b9\u03c1\u03bf\u03c2.gr"),
        ("xn--strae-oqa.de", "stra\u00dfe.de"),
        ("p\u0430ypal-stra\u00dfe.com", "xn--pypal-strae-46a141i.com"),
        # a character that reads as nothing or as another: ASCII; IDNA's middle dots not
        ("pay\u200dpal.com", "xn--paypal-rf0c.com"),
        ("pay\u00adpal.com", "xn--paypal-dja.com"),
        ("ex\u2024ample.com", "xn--example-r56c.com"),
        ("col\u00b7legi.cat", "col\u00b7legi.cat"),
        ("ニュース・速報.jp", "ニュース・速報.jp"),  # (U+30FB)
        ("not a domain", "not a domain"),
    ],
)
def test_shown_domain(domain: str, shown: str) -> None:
    assert shown_domain(domain) == shown


def test_a_handle_and_a_plain_domain_read_as_before() -> None:
    assert key_name("mastodon.social/@harbour") == "@harbour@mastodon.social"
    assert key_name("p\u0430ypal.com") == "xn--pypal-4ve.com"


def test_a_collected_entrys_publisher_is_never_named_by_a_look_alike_domain() -> None:
    """An entry of a feed that collects other publishers' links is named by its link's
    domain: one that reads as another's is named in its ASCII form."""
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    source = Source("https://links.example/feed.xml", "Links", "World News")
    entry = Entry(
        guid="g1",
        title="Bank accounts frozen",
        text="Accounts were frozen on Monday.",
        url="https://www.p\u0430ypal.com/news/frozen",
        published=now,
    )
    feed = ParsedFeed(title="Links", link="https://links.example/", entries=(entry,))
    (item,) = entries_to_items(source, feed, now)
    assert item.outlet_name == "xn--pypal-4ve.com"
