"""Article text for teaser items: which pages are due, and the main text of a fetched page.

Pure: the decisions take settings and items and return values; `extract_text` turns page bytes
into plain text with trafilatura (the only importer of it), `selected_text` with a feed's own
CSS selector (cssselect, its only importer), and `robots_allows` reads a robots.txt with
protego. The fetching itself, pacing and bookkeeping live in `article_job`.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from itertools import islice
from typing import Any
from urllib.parse import urlsplit

from .article_settings import ArticleSettings
from .item_kinds import is_advert
from .models import Item
from .platforms import SOCIAL_HOSTS, VIDEO_HOSTS, account_outlet, is_google_news_host
from .site_holds import host_of, on_site

__all__ = [
    "MAX_CRAWL_DELAY",
    "MAX_PAGE_ELEMENTS",
    "RETRY_DELAYS",
    "ArticleSettings",
    "RobotsRules",
    "about_item",
    "crawl_delay",
    "due_articles",
    "extract_text",
    "host_of",
    "is_home_page",
    "is_teaser",
    "next_try",
    "passing_failure",
    "reads_as_article",
    "robots_allows",
    "robots_url",
    "selected_text",
    "selector_problem",
    "skipped_feed",
]

MAX_ARTICLE_CHARS = 100_000
# Elements of a page read at most: the extractor's time grows with them (~16 CPU s a MB of
# unclosed paragraphs, ~130,000 elements), in a thread of the service's own process; an
# article page has a few thousand, one with a long comment thread or a huge menu ~15,000.
MAX_PAGE_ELEMENTS = 25_000
# A start tag as the extractor reads it: it drops these control characters before parsing
# (trafilatura's INVALID_XML_CHARS), so "<", NUL, "p" is a paragraph to it.
_ELEMENT = re.compile(r"<[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]*[A-Za-z]")
_ELEMENT_BYTES = re.compile(rb"<[\x00-\x08\x0b\x0c\x0e-\x1f]*[A-Za-z]")
_CUT_OFF = re.compile(
    r"(?:\.\.\.|…|\[\s*(?:\.\.\.|…)\s*\]|\b(?:read|continue\s+reading|read\s+the\s+full|"
    r"more)\b[^.!?]{0,40})\s*$",
    re.IGNORECASE,
)
# Closed by a full stop, or by a stop of a script that has its own ("。", "۔", "।"; as in
# `sentences`): a Chinese or Urdu text ending in one is not cut off.
_CLOSED = re.compile(r"""[.!?۔؟।॥。！？]["'”’)\]」』]*\s*$""")


def is_teaser(text: str, words: int) -> bool:
    """Whether feed text is a teaser: short (in `word_count` words: Chinese and Japanese
    characters count two to a word), or cut off ("…", "Read more", no full stop)."""
    from .tokens import word_count  # (not at import: a pass of 304s loads no text code)

    text = text.strip()
    if word_count(text) < words:
        return True
    tail = text[-200:]
    return _CUT_OFF.search(tail) is not None or _CLOSED.search(tail) is None


_TEASERS = 3  # cut-off paragraphs that make a page a list of teasers...
_TEASER_SHARE = 0.5  # ...when they hold at least this share of its words


def reads_as_article(text: str) -> bool:
    """Whether a page's extracted text reads as an article rather than a section front or
    index page: a list of teasers, each cut off ("…", "More>>", "Read more"), that holds half
    of the text's words or more, is not an article (an article may end one paragraph in "…",
    or quote a cut-off line; not three that make up most of it). Such a page's text must not
    stand for the item's article: its feed text stays."""
    from .tokens import word_count  # (not at import: a pass of 304s loads no text code)

    total = cut = teasers = 0
    for line in text.splitlines():
        words = word_count(line)
        total += words
        if words and _CUT_OFF.search(line.rstrip()[-200:]):
            cut += words
            teasers += 1
    return not (teasers >= _TEASERS and cut >= _TEASER_SHARE * total)


# A page is about its item when it holds this share of the terms of the item's title, or of
# its feed text (a teaser of at least `_ABOUT_TEASER_TERMS` terms)...
_ABOUT_SHARE = 0.25
_ABOUT_TITLE_TERMS = 3  # ...judged only when the title has this many terms (fewer tell little)
_ABOUT_TEASER_TERMS = 4
_ABOUT_PAGE_TERMS = 1000  # the page's terms read (its first ~12,000 characters)
_ABOUT_TEASER_LIMIT = 60  # the teaser's terms read


def about_item(text: str, title: str, teaser: str, language: str | None = None) -> bool:
    """Whether a page's extracted text is about the item whose link led to it: it holds a
    quarter or more of the terms of the item's title, or of its feed text.

    A site may answer an article's address with another page: a login or subscription wall,
    a cookie-consent or robot check, "page not found", its home page. Their text shares a
    word or two with the item at most ("latest", "news"), and must not stand for the
    article: its sentences would be the story's bullets. An article holds most of its
    headline's terms. A title of fewer than `_ABOUT_TITLE_TERMS` terms ("Quote #17230")
    tells too little: its page is taken. Each side's terms are worked out together with the
    page's (`grouping_terms`), so both are read in the same language: the item's declared
    `language` where it names one.
    """
    from .terms import grouping_terms  # (not at import: a pass of 304s loads no text code)

    title_terms, page_terms = grouping_terms(title, text, _ABOUT_PAGE_TERMS, language)
    wanted = set(title_terms)
    if len(wanted) < _ABOUT_TITLE_TERMS:
        return True
    held = set(page_terms)
    if len(wanted & held) >= _ABOUT_SHARE * len(wanted):
        return True
    teaser_words = grouping_terms(teaser, text, _ABOUT_PAGE_TERMS, language)[0]
    teaser_terms = set(teaser_words[:_ABOUT_TEASER_LIMIT])
    if len(teaser_terms) < _ABOUT_TEASER_TERMS:
        return False
    return len(teaser_terms & held) >= _ABOUT_SHARE * len(teaser_terms)


def skipped_feed(feed_url: str, skip: Iterable[str]) -> bool:
    """Whether a feed is configured out of article fetching, by URL or by host."""
    host = host_of(feed_url)
    for entry in skip:
        entry = entry.strip()
        if entry and (entry == feed_url or entry.lower() == host):
            return True
    return False


def _http(url: str | None) -> bool:
    return bool(url) and urlsplit(url or "").scheme in ("http", "https")


_HOME_PATHS = frozenset({"", "/", "/index.html", "/index.htm", "/index.php"})
# A home page in a language or for a region: "/en/", "/de-de", "/uk"
_EDITION = re.compile(r"/[a-z]{2}(?:[-_][a-z]{2})?/?", re.IGNORECASE)


def is_home_page(url: str) -> bool:
    """Whether a link is a site's home page (its root or a language's, no query; a fragment
    points into it): what a feed that has no page per item links each item to, and where a
    site sends a removed article's address; never one item's article."""
    parts = urlsplit(url)
    if parts.query:
        return False
    return parts.path in _HOME_PATHS or _EDITION.fullmatch(parts.path) is not None


def is_video_page(url: str) -> bool:
    """Whether a link is a video or audio platform's page (a YouTube channel's feed links
    each video's), which holds no article."""
    return on_site(host_of(url), VIDEO_HOSTS)


def is_social_post(url: str) -> bool:
    """Whether a link is a social account's page or one of its posts (a Mastodon or Bluesky
    account's feed links each post's), whose text the feed gave already."""
    return on_site(host_of(url), SOCIAL_HOSTS) or bool(account_outlet(url))


def is_script_redirect(url: str) -> bool:
    """Whether a link is an aggregator's page that leads to the article only through a
    script (the entry's `<source>` names its publisher: `dedupe.source_outlet`): Google News's
    `/rss/articles/…`, on any of its country hosts. The page fetched would be the aggregator's,
    and asking it once for every entry would have the feed's own host hold us off."""
    return is_google_news_host(host_of(url))


def gives_headlines_only(feed_url: str) -> bool:
    """Whether a feed is an aggregator's whose entries are headlines only, linked to pages
    that lead on through a script (a Google News topic or search feed: `is_script_redirect`):
    nothing of it is summarised, so a story no other source reports is never published."""
    return is_script_redirect(feed_url)


HEADLINES_ONLY_SAID = (
    "a Google News feed gives headlines only (its entries' pages lead on through a script and "
    "are not read): a story only it reports has no sentence to summarise and is not published"
)


def due_articles(
    candidates: Sequence[Item],
    settings: ArticleSettings,
    per_host: Mapping[str, int] | None = None,
) -> tuple[list[Item], list[Item], list[Item]]:
    """Split never-tried candidates into (pages to fetch now, items whose feed text suffices,
    items never to fetch: skipped feeds, adverts, no http(s) link, a link to a home page, to
    a video platform's page, a social post or through a script's redirect).

    Pages are taken newest first, at most `per_pass`, and at most `per_host[host]` of a host
    (a site whose robots.txt asks a long Crawl-delay, so that its pages do not fill a pass
    that other sites' pages then wait for); the rest wait for the next pass.
    """
    fetch: list[Item] = []
    enough: list[Item] = []
    never: list[Item] = []
    taken: dict[str, int] = {}
    for item in sorted(candidates, key=lambda i: (i.first_seen or i.published, i.id), reverse=True):
        if (
            not _http(item.url)
            or is_home_page(item.url or "")
            or is_video_page(item.url or "")
            or is_social_post(item.url or "")
            or is_script_redirect(item.url or "")
            or skipped_feed(item.feed_url, settings.skip_feeds)
            or is_advert(item.title, item.text, item.url)
        ):
            never.append(item)
        elif not is_teaser(item.text, settings.teaser_words):
            enough.append(item)
        elif len(fetch) < settings.per_pass:
            if per_host:
                host = host_of(item.url)
                if host in per_host and taken.get(host, 0) >= per_host[host]:
                    continue
                taken[host] = taken.get(host, 0) + 1
            fetch.append(item)
    return fetch, enough, never


# After a page's 1st, 2nd and 3rd failed try for a passing reason, the next try waits this
# long; a 4th failure is the last. (About 10.5 hours in all, well inside the 2 days an item's
# page is wanted: a site down for a night, a network cut, a DNS outage at boot.)
RETRY_DELAYS = (timedelta(minutes=30), timedelta(hours=2), timedelta(hours=8))
_PASSING_STATUSES = frozenset({408, 425, 429})  # timeout, too early, too many requests
# Failures without an HTTP status that the same request would meet again: our own refusal of
# a private address, a redirect chain, a link that is no http(s) URL.
_LASTING = ("refused:", "private address refused", "redirect to a private address refused",
            "too many redirects", "invalid URL", "unsupported URL")  # fmt: skip


def passing_failure(status: int | None, error: str) -> bool:
    """Whether a failed fetch may well succeed later: no answer at all (DNS, connect, reset,
    timeout) unless we refused it ourselves, a 5xx, 408, 425 or 429. A 404, 410 or 403, a
    page too large or not HTML, a robots.txt that disallows it are lasting answers."""
    if status is not None:
        return status in _PASSING_STATUSES or 500 <= status < 600
    return not error.startswith(_LASTING)


def next_try(attempts: int, now: datetime) -> datetime | None:
    """When a page whose `attempts`-th try failed for a passing reason is tried again: after
    `RETRY_DELAYS[attempts - 1]`, or never once they are spent."""
    if 1 <= attempts <= len(RETRY_DELAYS):
        return now + RETRY_DELAYS[attempts - 1]
    return None


def robots_url(url: str) -> str:
    """The robots.txt governing `url`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


MAX_CRAWL_DELAY = 60.0  # seconds: a longer Crawl-delay is read as this


class RobotsRules:
    """A robots.txt read once (protego: RFC 9309 and wildcards), asked for each page of its
    site: reading one of 512 KiB takes ~70 ms, asking it a path a few microseconds. One that
    protego cannot read restricts nothing and asks no delay (RFC 9309 §2.2.1)."""

    __slots__ = ("_parsed",)

    def __init__(self, robots_txt: str) -> None:
        from protego import Protego

        try:
            self._parsed: Any = Protego.parse(robots_txt)
        except Exception:
            self._parsed = None

    def allows(self, url: str, user_agent: str) -> bool:
        """Whether `user_agent` may fetch `url`."""
        try:
            return self._parsed is None or bool(self._parsed.can_fetch(url, _token(user_agent)))
        except Exception:
            return True

    def crawl_delay(self, user_agent: str) -> float:
        """The seconds asked between two requests of `user_agent`: its Crawl-delay, which RFC
        9309 leaves out but many sites write, at most `MAX_CRAWL_DELAY`; 0 when none."""
        try:
            delay = None if self._parsed is None else self._parsed.crawl_delay(_token(user_agent))
        except Exception:
            return 0.0
        if delay is None or not delay > 0:  # (also NaN)
            return 0.0
        return min(float(delay), MAX_CRAWL_DELAY)


def _token(user_agent: str) -> str:
    """The product token of a User-Agent, which robots.txt groups name ("aggregator")."""
    return user_agent.split("/", 1)[0].strip() or "*"


def crawl_delay(robots_txt: str, user_agent: str) -> float:
    """`RobotsRules.crawl_delay` of a robots.txt read for this question alone."""
    return RobotsRules(robots_txt).crawl_delay(user_agent)


def robots_allows(robots_txt: str, url: str, user_agent: str) -> bool:
    """`RobotsRules.allows` of a robots.txt read for this question alone."""
    return RobotsRules(robots_txt).allows(url, user_agent)


MAX_SELECTOR = 500  # characters of an OPML `selector`


@functools.lru_cache(maxsize=128)
def _selector_xpath(selector: str) -> str:
    from cssselect import GenericTranslator  # (loaded only for a feed that has a selector)

    return str(GenericTranslator().css_to_xpath(selector))


def selector_problem(selector: str) -> str | None:
    """Why `selector` cannot pick a page's text (not a CSS selector: the parser's reason), or
    None."""
    from cssselect import SelectorError

    if len(selector) > MAX_SELECTOR:
        return f"longer than {MAX_SELECTOR} characters"
    try:
        _selector_xpath(selector)
    except SelectorError as exc:
        return f"not a CSS selector: {exc}"
    return None


def without_elements(page: bytes | str, selector: str) -> bytes | str:
    """An HTML page without the elements `selector` (a CSS selector, the feed's OPML `remove`)
    picks (their text and all inside them; the text after each stays), as text, for
    `selected_text` or `extract_text` to read; the page as it was when it cannot be read."""
    import lxml.html
    from trafilatura.utils import load_html

    try:
        root = load_html(page)
        if root is None:
            return page
        for element in root.xpath(_selector_xpath(selector)):
            if isinstance(element, lxml.html.HtmlElement) and element.getparent() is not None:
                element.drop_tree()
        return str(lxml.html.tostring(root, encoding="unicode"))
    except Exception:  # (a page lxml cannot read, or a selector it cannot run)
        return page


def selected_text(page: bytes | str, selector: str) -> str | None:
    """The text of the elements of an HTML page that `selector` (a CSS selector, the feed's
    OPML `selector`) picks, each on its own lines, an element inside another picked once; None
    when it picks none or they hold no text."""
    import lxml.html
    from trafilatura.utils import load_html  # (its reading of a page's encoding, as `extract_text`)

    from .text import html_to_text

    try:
        root = load_html(page)
        found = [] if root is None else root.xpath(_selector_xpath(selector))
    except Exception:  # (a page lxml cannot read, or a selector it cannot run)
        return None
    elements = [e for e in found if isinstance(e, lxml.html.HtmlElement)]
    picked = set(elements)
    outermost = [e for e in elements if not any(a in picked for a in e.iterancestors())]
    texts = [html_to_text(lxml.html.tostring(e, encoding="unicode")) for e in outermost]
    text = "\n".join(t for t in texts if t.strip()).strip()
    return text[:MAX_ARTICLE_CHARS] or None


def first_elements(page: bytes | str, most: int | None = None) -> bytes | str:
    """`page` up to its `most`th element's start tag (`MAX_PAGE_ELEMENTS`), the rest left
    out: a page crafted or broken into hundreds of thousands of elements held the extractor
    for a minute. A page of bytes is first decoded as the extractor decodes it (unpacked
    when gzip'd, its charset from a byte order mark or a guess): counted in its bytes, a
    packed page, or one in UTF-16 or UTF-32, was never cut. Kept as bytes only when that
    decoding fails (then the extractor's own fails too)."""
    from trafilatura.utils import decode_file  # (the extractor's reading of page bytes)

    most = MAX_PAGE_ELEMENTS if most is None else most
    if isinstance(page, bytes):
        with contextlib.suppress(Exception):  # (as `extract_text`: its bugs cost this page)
            page = decode_file(page)
    if isinstance(page, bytes):
        starts = [m.start() for m in islice(_ELEMENT_BYTES.finditer(page), most + 1)]
    else:
        starts = [m.start() for m in islice(_ELEMENT.finditer(page), most + 1)]
    return page[: starts[most]] if len(starts) > most else page


def extract_text(page: bytes | str, url: str) -> str:
    """The main text of an HTML page (paragraphs on their own lines), or "" when none."""
    import trafilatura

    try:
        text = trafilatura.extract(
            page,
            url=url,
            include_comments=False,
            include_tables=False,
            include_images=False,
            include_links=False,
            favor_precision=True,
            # trafilatura's deduplication remembers paragraphs across calls in this process:
            # the third outlet running the same wire copy would get no text at all
            deduplicate=False,
        )
    except Exception:  # extractor bugs on odd markup cost only this page
        return ""
    return (text or "").strip()[:MAX_ARTICLE_CHARS]
