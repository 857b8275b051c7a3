"""Fixture feeds for the end-to-end test: three invented outlets covering the same events.

Written for this project (no third-party text); the outlets and hosts are fictional.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from upstream import Upstream

# Relative to now, so the items are always inside the story grouping window.
BASE = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)

QUAKE = [
    (
        "dailyplanet.example",
        "Powerful 7.1 magnitude earthquake strikes off the coast of Chile",
        "A powerful 7.1 magnitude earthquake struck off the coast of central Chile on Thursday "
        "morning, shaking buildings in Santiago and Valparaiso. The national disaster agency "
        "ordered a precautionary tsunami evacuation of coastal areas. No deaths had been reported "
        "by midday, officials said.",
    ),
    (
        "globewire.example",
        "Chile earthquake: 7.1 magnitude quake shakes Santiago, tsunami evacuation ordered",
        "A 7.1 magnitude earthquake shook central Chile, according to the US Geological Survey. "
        "Authorities ordered residents of low-lying coastal areas near Valparaiso to move to "
        "higher ground as a precaution against a tsunami. Power cuts affected about 200,000 homes.",
    ),
    (
        "metrotimes.example",
        "Strong earthquake hits central Chile as coastal towns evacuate",
        "Residents fled into the streets of Santiago after a strong 7.1 magnitude earthquake hit "
        "central Chile. Coastal towns were cleared after a tsunami warning. The president said "
        "emergency teams were assessing damage to roads and bridges.",
    ),
]

RATES = [
    (
        "globewire.example",
        "Central bank raises interest rates to 4.5% to fight inflation",
        "The central bank raised its main interest rate by a quarter point to 4.5% on Thursday, "
        "its third increase this year, saying inflation remained too high. Mortgage lenders are "
        "expected to pass the rise on to borrowers.",
    ),
    (
        "dailyplanet.example",
        "Interest rates rise to 4.5% as central bank battles inflation",
        "Interest rates rose to 4.5% after the central bank voted to increase borrowing costs "
        "again to fight stubborn inflation. Economists said the bank signalled further increases "
        "were possible if price growth did not slow.",
    ),
]

LIBRARY = (
    "metrotimes.example",
    "City library reopens after two-year renovation",
    "The central city library reopened its doors on Thursday after a two-year renovation that "
    "added a rooftop reading garden and a children's wing.",
)


def _link(host: str, title: str, query: str = "") -> str:
    slug = "-".join(title.lower().replace(":", "").replace("%", "").replace(",", "").split()[:6])
    return f"https://www.{host}/news/{slug}{query}"


# Pictures some entries carry (by the start of their title); their files are never fetched.
PICTURES = {
    "Powerful 7.1": "https://img.dailyplanet.example/2026/quake-santiago.jpg",
    "Chile earthquake": "https://img.globewire.example/photos/valparaiso.webp",
}


def _picture(title: str, kind: str) -> str:
    url = next((u for start, u in PICTURES.items() if title.startswith(start)), None)
    if url is None:
        return ""
    if kind == "rss":
        return f"<media:content url='{escape(url)}' medium='image' width='960'/>"
    return f"<link rel='enclosure' type='image/webp' length='48213' href='{escape(url)}'/>"


def rss(title: str, entries: list[tuple[str, str, str, str, datetime]]) -> bytes:
    """An RSS 2.0 document; entries are (guid, link, title, text, published)."""
    items = "".join(
        f"<item><guid isPermaLink='false'>{escape(guid)}</guid><link>{escape(link)}</link>"
        f"<title>{escape(t)}</title><description>{escape('<p>' + text + '</p>')}</description>"
        f"<pubDate>{format_datetime(when)}</pubDate>{_picture(t, 'rss')}</item>"
        for guid, link, t, text, when in entries
    )
    return (
        f"<?xml version='1.0' encoding='UTF-8'?><rss version='2.0' "
        f"xmlns:media='http://search.yahoo.com/mrss/'><channel>"
        f"<title>{escape(title)}</title><link>https://example.invalid/</link>"
        f"<description>fixture</description>{items}</channel></rss>"
    ).encode()


def atom(title: str, entries: list[tuple[str, str, str, str, datetime]]) -> bytes:
    body = "".join(
        f"<entry><id>{escape(guid)}</id><link rel='alternate' href='{escape(link)}'/>"
        f"<title>{escape(t)}</title><summary type='html'>{escape('<p>' + text + '</p>')}</summary>"
        f"<updated>{when.isoformat()}</updated>{_picture(t, 'atom')}</entry>"
        for guid, link, t, text, when in entries
    )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        f"<title>{escape(title)}</title><id>urn:fixture:{escape(title)}</id>"
        f"<updated>{BASE.isoformat()}</updated>{body}</feed>"
    ).encode()


def _entry(host: str, title: str, text: str, minutes: int, query: str = "") -> tuple:
    link = _link(host, title, query)
    return (f"{host}:{title[:20]}", link, title, text, BASE + timedelta(minutes=minutes))


def feeds() -> dict[str, bytes]:
    """Path on the upstream server → feed document."""
    q, r = QUAKE, RATES
    return {
        "/dailyplanet/world.xml": rss("Daily Planet - World", [_entry(*q[0], 5)]),
        "/dailyplanet/top.xml": rss(
            "Daily Planet - Top Stories",
            # the same article as in the world feed, with a tracking parameter on its link
            [_entry(*q[0], 5, query="?utm_source=rss&utm_medium=feed")],
        ),
        "/dailyplanet/business.xml": rss("Daily Planet - Business", [_entry(*r[1], 40)]),
        "/globewire/world.atom": atom("Globe Wire World", [_entry(*q[1], 12)]),
        "/globewire/business.atom": atom("Globe Wire Business", [_entry(*r[0], 30)]),
        "/metrotimes/news.rss": rss("Metro Times", [_entry(*q[2], 20), _entry(*LIBRARY, 50)]),
    }


SOURCE_URLS = {
    "quake": [_link(h, t) for h, t, _ in QUAKE],
    "rates": [_link(h, t) for h, t, _ in RATES],
    "library": [_link(LIBRARY[0], LIBRARY[1])],
}


def opml(base_url: str) -> str:
    def outline(name: str, path: str) -> str:
        return f'<outline type="rss" text="{name}" xmlUrl="{base_url}{path}"/>'

    return (
        '<?xml version="1.0"?><opml version="2.0"><head><title>fixture</title></head><body>'
        '<outline text="World News">'
        + outline("Daily Planet World", "/dailyplanet/world.xml")
        + outline("Daily Planet Top", "/dailyplanet/top.xml")
        + outline("Globe Wire World", "/globewire/world.atom")
        + outline("Metro Times", "/metrotimes/news.rss")
        + '</outline><outline text="Business">'
        + outline("Daily Planet Business", "/dailyplanet/business.xml")
        + outline("Globe Wire Business", "/globewire/business.atom")
        + "</outline></body></opml>"
    )


def serve_feeds(up: Upstream, sources: Path) -> None:
    """Every fixture feed on the upstream `up`, and at `sources` the OPML that lists them."""
    for path, body in feeds().items():
        up.add_feed(path, body)
    sources.write_text(opml(up.url("")))
