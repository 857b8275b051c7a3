"""`[publish]` settings, kept apart from `publish` so reading the configuration does not import
the publishing code."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .site_words import Words

__all__ = ["DEFAULT_BASE_URL", "PublishSettings"]

DEFAULT_BASE_URL = "http://127.0.0.1:8080/"
DEFAULT_DESCRIPTION = "News stories, each summarised from all the outlets that covered it"
PICTURE_PROXY_MODES = ("off", "http", "all")  # (`picture_proxy.MODES`)


@functools.cache
def display_zone(name: str) -> tzinfo:
    """The time zone `name`; ValueError when there is none. zoneinfo is imported only for a
    zone other than UTC (most starts read no zone file)."""
    if name == "UTC":
        return UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"timezone: unknown time zone {name!r}") from exc


@functools.lru_cache(maxsize=64)
def _in_language(settings: PublishSettings, language: str) -> PublishSettings:
    return dataclasses.replace(settings, language=language)


FRONT_PAGE_LEAST = 5  # top stories a category shows on the front page, at least, by default


@dataclass(frozen=True)
class PublishSettings:
    """How published feeds and pages look and where they live."""

    base_url: str = DEFAULT_BASE_URL  # public base URL; every absolute link starts here
    site_title: str = "aggregator"
    # (left as it is, said in the site's language: `site_words`' "site_description")
    description: str = DEFAULT_DESCRIPTION
    max_items: int = 100  # stories per feed
    page_size: int = 25  # stories per category page
    # Top stories per category on the front page; 0: as many as fill a category page
    # (`page_size`) shared over the categories, `FRONT_PAGE_LEAST` at least (`front_page_share`).
    front_page_stories: int = 0
    top_min_outlets: int = 2  # the "top stories" feeds: stories at least this many outlets covered
    # The feeds' and pages' language: a story's when detection is unsure, and the words put
    # around the stories ("Summary based on 3 sources", dates), where `site_words` has them.
    language: str = "en"
    max_age: int = 300  # Cache-Control max-age (seconds) for served pages and feeds
    timezone: str = "UTC"  # the zone the pages show times in ("Europe/London"; an IANA name)
    # Served pages offer search (/search, with a box in every page's header) where the
    # database has its index (`search_index`); a static export never does.
    search: bool = True
    # Stories are shown with a source's picture (`entry_images`): pages, Media RSS in the
    # feeds, JSON Feed's `image`. Linked, never fetched or copied: a reader's browser loads
    # it from the outlet. False: no picture anywhere.
    images: bool = True
    # Which pictures the pages and feeds name through this site's /pictures/ rather than at
    # the outlet (`picture_proxy`): "off", "http" (plain-http ones, which an https page would
    # block) or "all" (no reader's browser asks an outlet for anything). A static export
    # has no server to ask: it names every picture at its outlet.
    picture_proxy: str = "http"
    # Whether the server asks for each picture a story is shown with, once (its first 16 KB:
    # `picture_checks`), so that a story whose picture does not load (a 404, a page, a host
    # gone) is shown with its next source's, or none, rather than an empty frame.
    check_pictures: bool = True
    # WebSub hubs (https://www.w3.org/TR/websub/) the category feeds name, and which are told
    # when one of them changes (`hub_job`), so a reader subscribed through a hub hears of a
    # story at once instead of at its next poll. None by default: a hub must reach base_url.
    hubs: tuple[str, ...] = ()
    # True when base_url was derived from the listen address rather than configured: then
    # feed ids are tag URIs, so they don't change with the host or port.
    listen_base_url: bool = False

    def __post_init__(self) -> None:
        from .url_check import http_address_problem

        object.__setattr__(self, "base_url", self.base_url.strip())
        if problem := http_address_problem(self.base_url):
            raise ValueError(f"base_url: {problem}")
        if not self.base_url.endswith("/"):
            object.__setattr__(self, "base_url", self.base_url + "/")
        for name in ("max_items", "page_size", "top_min_outlets"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.front_page_stories < 0:
            raise ValueError("front_page_stories must be at least 0 (0: fill a page)")
        self.zone()  # (an unknown zone is a configuration error at start, not at a page)
        for hub in self.hubs:
            parts = urlsplit(hub)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"hubs: a hub must be an absolute http(s) URL, got {hub!r}")
        if len(set(self.hubs)) < len(self.hubs):
            raise ValueError("hubs: a hub is listed twice")
        if self.picture_proxy not in PICTURE_PROXY_MODES:
            allowed = ", ".join(repr(m) for m in PICTURE_PROXY_MODES)
            raise ValueError(f"picture_proxy must be one of {allowed}, got {self.picture_proxy!r}")

    @property
    def site_description(self) -> str:
        """`description`; left as it is, said in the site's language."""
        if self.description == DEFAULT_DESCRIPTION:
            return self.words("site_description")
        return self.description

    def in_language(self, language: str) -> PublishSettings:
        """These settings for pages and feeds in `language` (a category's own: the OPML's)."""
        return self if language == self.language else _in_language(self, language)

    @property
    def words(self) -> Words:
        """The words pages, feeds and the daily email put around the stories, in `language`
        (English where `site_words` has none for it)."""
        from .site_words import words_for  # (reading the settings loads no catalogue)

        return words_for(self.language)

    def zone(self) -> tzinfo:
        """The zone the pages show times in."""
        return display_zone(self.timezone)

    @property
    def checks_pictures(self) -> bool:
        """Whether the pictures stories are shown with are checked: pictures shown at all
        (`images`) and `check_pictures`."""
        return self.images and self.check_pictures

    def front_page_share(self, categories: int) -> int:
        """Top stories each of `categories` shows on the front page: `front_page_stories`, or
        by default a category page's length shared over them, `FRONT_PAGE_LEAST` at least (a
        site of one category fills its front page; one of six shows five each)."""
        if self.front_page_stories:
            return self.front_page_stories
        return max(FRONT_PAGE_LEAST, self.page_size // max(1, categories))

    @property
    def public_base_url(self) -> bool:
        """Whether base_url is the operator's public URL (not a default or listen address)."""
        return not self.listen_base_url and self.base_url != DEFAULT_BASE_URL
