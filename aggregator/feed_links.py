"""The feeds a web page advertises (`<link rel="alternate" type="…" href>`) and its title.
Pure: `sources.discover` follows them, and the parser names them when a feed's address turns
out to be a page."""

from __future__ import annotations

import contextlib
from html.parser import HTMLParser
from urllib.parse import urljoin

__all__ = ["FEED_TYPES", "advertised_feeds"]

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "application/feed+json",  # JSON Feed
        "application/json",  # (JSON Feed 1.0's advice)
    }
)
_READ = 2 << 20  # the first 2 MiB of a page: its <head> is long done by then


class _Alternates(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k.lower(): (v or "") for k, v in attrs}
        if tag == "link":
            rel = found.get("rel", "").lower().split()
            kind = found.get("type", "").lower().split(";")[0].strip()
            if "alternate" in rel and kind in FEED_TYPES and found.get("href"):
                self.links.append(found["href"].strip())
        elif tag == "title" and not self.title:
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def advertised_feeds(page: bytes, base: str) -> tuple[list[str], str]:
    """The feed addresses `page` (fetched from `base`) advertises, absolute, in its order, and
    its <title>. Broken HTML gives fewer links, never an error."""
    parser = _Alternates()
    with contextlib.suppress(Exception):
        parser.feed(page[:_READ].decode("utf-8", "replace"))
    links: list[str] = []
    for href in parser.links:
        with contextlib.suppress(ValueError):
            links.append(urljoin(base, href))
    return list(dict.fromkeys(links)), parser.title.strip()
