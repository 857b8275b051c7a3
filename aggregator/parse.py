"""Feed bytes → ParsedFeed. The only importer of feedparser; JSON Feeds are read by `json_feed`.

Pure: no network, no files, no clock. Callers run :func:`parse_feed` in a worker thread.
feedparser (and dateutil) are imported when a document first needs them: a process whose
feeds all take the lxml fast path (a parse worker, most passes) never loads them.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import html
import io
import re
from collections.abc import Callable, Mapping, Sequence, Set
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from aggregator.entry_images import MAX_URL as MAX_IMAGE_URL
from aggregator.entry_images import candidates, plausible_host
from aggregator.errors import ParseError, ParseTimedOut, StoryFeedError
from aggregator.fast_parse import FEEDPARSER_ZONES, MAX_ENTRIES_READ, MAX_TAGS_READ, fast_parse
from aggregator.fast_parse import parse_date as feed_date
from aggregator.fast_parse import urljoin as feed_urljoin
from aggregator.json_feed import looks_like_json, read_json_feed
from aggregator.lang import language_tag
from aggregator.models import STORY_ID_PREFIX, Entry, ParsedFeed
from aggregator.platforms import SOCIAL_HOSTS, VIDEO_HOSTS, account_outlet, is_google_news_host
from aggregator.site_holds import host_of, on_site
from aggregator.text import holds_markup, html_to_text
from aggregator.url_secrets import without_userinfo

__all__ = ["parse_feed"]

# Sent to feedparser when the caller has no Content-Type: makes it trust the XML declaration.
_DEFAULT_CONTENT_TYPE = "application/xml"
_HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]", re.I | re.S
)
_SPACE = re.compile(r"\s+")
_MAX_WARNING = 200
MAX_TAGS = 50  # an entry's categories kept for the OPML rules (a keyword dump gives hundreds)
MAX_TAG = 200  # characters of one
MAX_SOURCE_NAME = 200  # characters of an entry's `<source>` name
# Characters of a link (a longer one is none) and of a guid (a longer one is named by its
# hash): the longest of the dev corpus's are 233 and 193; a hostile feed's ran to megabytes.
MAX_LINK = 4096
# Two defaults that differ in every date field: a date string that parses to different
# dates under them was missing its year, month or day, and is rejected.
_DEFAULTS = (datetime(1904, 1, 1), datetime(2008, 2, 2))
# Dates before this are parse accidents (feedparser reads "Tue Mar 5 10:30:00 2024" as year 100)
# or CMS placeholders such as 0001-01-01; they fall back to dateutil, then to None.
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
# The Unix epoch's day: a date on it is a zero timestamp written out (a CMS's "no date", in
# any zone: "Thu, 01 Jan 1970 00:00:00 GMT", "Wed, 31 Dec 1969 19:00:00 -0500"), no news.
_EPOCH_DAY_END = datetime(1970, 1, 2, tzinfo=UTC)
# Zone names met in feed dates (hours east of UTC); others are read as UTC. Names that mean
# several zones (IST, AST, CST as China's) keep the reading feedparser gives them.
_ZONES: dict[str, float] = {
    **dict.fromkeys(("UTC", "GMT", "UT", "Z", "WET"), 0),
    "BST": 1, "CET": 1, "MET": 1, "MEZ": 1, "WEST": 1, "WAT": 1, "CEST": 2, "MEST": 2,
    "MESZ": 2, "EET": 2, "CAT": 2, "SAST": 2, "EEST": 3, "MSK": 3, "EAT": 3, "PKT": 5, "ICT": 7,
    "WIB": 7, "HKT": 8, "SGT": 8, "PHT": 8, "AWST": 8, "JST": 9, "KST": 9, "ACST": 9.5,
    "ACDT": 10.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13, "BRT": -3, "ART": -3,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "AKST": -9, "AKDT": -8, "HST": -10,
}  # fmt: skip


def _start_media_description(self: Any, attrs_d: dict[str, str]) -> None:
    # Media RSS's own default type is plain text (type="html" declares markup).
    self.push_content("media_description", attrs_d, "text/plain", 1)


def _end_media_description(self: Any) -> None:
    self.pop_content("media_description")


# The longest author (or publisher) string feedparser looks for an e-mail address in: its
# search takes time quadratic in the string (40,000 characters of "x@a.a.a…" or of digits
# took 5.6 s, a 16 MB one would take days), while no real byline is a tenth of this.
MAX_AUTHOR = 256


# The most XML namespaces a document may declare before feedparser's strict reading gives it
# up (`_start_prefix_mapping`): it looks each element of a namespace it does not know up in
# every one declared so far, and no real feed declares a tenth of this.
MAX_NAMESPACES = 256


def _start_prefix_mapping(self: Any, prefix: str | None, uri: str) -> None:
    if len(self.namespaces_in_use) >= MAX_NAMESPACES:
        from xml.sax import SAXException

        # (feedparser then reads the document as it reads a malformed one, and says why)
        raise SAXException(f"over {MAX_NAMESPACES} XML namespaces declared")
    _feedparser_start_prefix_mapping(self, prefix, uri)


_feedparser_start_prefix_mapping: Any = None  # feedparser's own, once mended


class _AttributesByName:
    """A SAX element's attributes whose value by qualified name is a dictionary's look-up:
    feedparser asks it of each attribute, and the standard library's searches them all for
    it (20,000 attributes on one element took 17 s)."""

    def __init__(self, attrs: Any) -> None:
        self._attrs = attrs
        self._values: dict[str, str] = {}
        for name, qname in attrs._qnames.items():
            self._values.setdefault(qname, attrs._attrs[name])

    def items(self) -> Any:
        return self._attrs.items()

    def getQNames(self) -> list[str]:
        names: list[str] = self._attrs.getQNames()
        return names

    def getValueByQName(self, name: str) -> str:
        return self._values[name]


class _GivenUp(BaseException):
    """A parse whose `give_up` said so: a BaseException, so that no `except Exception` of
    feedparser's, or ours around it, takes it for a malformed document and reads on."""


# Asked at each element a parse reads (`parse_feed`'s `give_up`; None: never given up).
_GIVE_UP: ContextVar[Callable[[], bool] | None] = ContextVar("give_up", default=None)


def _go_on() -> None:
    """Raise `_GivenUp` when this parse's `give_up` says so."""
    give_up = _GIVE_UP.get()
    if give_up is not None and give_up():
        raise _GivenUp


def _start_element_ns(
    self: Any, name: tuple[str | None, str], qname: str | None, attrs: Any
) -> None:
    _go_on()
    if hasattr(attrs, "_qnames") and hasattr(attrs, "_attrs"):  # (expat's, as feedparser uses)
        attrs = _AttributesByName(attrs)
    _feedparser_start_element_ns(self, name, qname, attrs)


_feedparser_start_element_ns: Any = None  # feedparser's own, once mended


def _sync_author_detail(self: Any, key: str = "author") -> None:
    context = self._get_context()
    value = context.get(key)
    if isinstance(value, str) and len(value) > MAX_AUTHOR:
        context[key] = value[:MAX_AUTHOR]
    _feedparser_sync_author_detail(self, key)


_feedparser_sync_author_detail: Any = None  # feedparser's own, once mended


def _add_tag(self: Any, term: str | None, scheme: str | None, label: str | None) -> None:
    tags = self._get_context().get("tags")
    if tags is not None and len(tags) >= MAX_TAGS_READ:
        return  # (its search of the list for the tag is what takes the time)
    _feedparser_add_tag(self, term, scheme, label)


_feedparser_add_tag: Any = None  # feedparser's own, once mended


def _parse_comment(self: Any, i: int, report: int = 1) -> int:
    rawdata = self.rawdata
    dashes = rawdata.find("--", i + 4)
    if dashes < 0 or rawdata.find(">", dashes + 2) < 0:
        return len(rawdata)  # unclosed: the sanitizer drops the rest, as its own search would
    end: int = _feedparser_parse_comment(self, i, report)
    return end


_feedparser_parse_comment: Any = None  # the sanitizer's own, once mended


def _parse_starttag(self: Any, i: int) -> int:
    _go_on()
    end: int = _feedparser_parse_starttag(self, i)
    return end


_feedparser_parse_starttag: Any = None  # the loose reader's and sanitizer's own, once mended


def _feedparser() -> Any:
    """feedparser, imported on first use, with two mends.

    Its reading of <media:description>: it reads one (a photo's caption, a video's
    description) as if it were the item's own <description>: into `summary`, or into
    `content` when the item's description came first. Kept apart as `media_description`, it
    can no longer stand in for the item's text.

    Searches that take time quadratic in what they search, which a feed could hold a parse
    with for hours (known upstream, unfixed): the search for an e-mail address in an author
    (one longer than `MAX_AUTHOR` is cut to that first), the sanitizer's search for the end
    of a comment that has none ("<!--" 10,000 times without a ">" took 0.24 s, 16 MB of them
    would take hours): an unclosed comment is found by two scans instead; and the search of
    an entry's tags for each new one (a tag past `MAX_TAGS_READ` is not listed); the
    strict reader's look-up of each attribute among all of its element's (`_AttributesByName`
    makes it a dictionary's) and of an element's namespace among all those declared (past
    `MAX_NAMESPACES` the document is read as a malformed one is).

    And a parse that may be given up (`parse_feed`'s `give_up`) is asked at each element.
    """
    import feedparser
    import feedparser.html
    import feedparser.mixin
    import feedparser.namespaces.mediarss
    import feedparser.parsers.strict
    import feedparser.sanitizer

    media_rss: Any = feedparser.namespaces.mediarss.Namespace
    if media_rss.__dict__.get("_start_media_description") is not _start_media_description:
        media_rss._start_media_description = _start_media_description
        media_rss._end_media_description = _end_media_description
    mixin = feedparser.mixin._FeedParserMixin
    _mend(mixin, "_sync_author_detail", _sync_author_detail, "_feedparser_sync_author_detail")
    _mend(mixin, "_add_tag", _add_tag, "_feedparser_add_tag")
    strict = feedparser.parsers.strict._StrictFeedParser
    _mend(strict, "startPrefixMapping", _start_prefix_mapping, "_feedparser_start_prefix_mapping")
    _mend(strict, "startElementNS", _start_element_ns, "_feedparser_start_element_ns")
    _mend(
        feedparser.sanitizer._HTMLSanitizer,
        "parse_comment",
        _parse_comment,
        "_feedparser_parse_comment",
    )
    html_reader = feedparser.html._BaseHTMLProcessor
    _mend(html_reader, "parse_starttag", _parse_starttag, "_feedparser_parse_starttag")
    return feedparser


def _mend(owner: Any, name: str, mended: Any, own: str) -> None:
    """Put `mended` in place of `owner`'s method `name`, the one it replaces kept as this
    module's `own`. The method is read once: two threads mending at once had each looked
    whether it was mended yet, then read it again, which could find the other's mend and
    keep it as feedparser's own (it then called itself, and every feed failed)."""
    method = getattr(owner, name)
    if method is not mended:
        globals()[own] = method  # (before the mend: another thread may call it at once)
        setattr(owner, name, mended)


_CHAR_REF = re.compile(rb"&#(?:[xX]0*([0-9a-fA-F]{1,8})|0*([0-9]{1,10}));")


def _fix_char_ref(match: re.Match[bytes]) -> bytes:
    """A character reference to a surrogate or past U+10FFFF (which makes feedparser raise
    and cost the whole feed) becomes U+FFFD; every other reference is left as it is."""
    hex_digits, decimal = match.groups()
    code = int(hex_digits, 16) if hex_digits else int(decimal)
    if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return b"&#xFFFD;"
    return match.group(0)


# An aggregator's published feed: `StoryFeedError`'s reason.
STORY_FEED = (
    "an aggregator's story feed (its items summarise other feeds' items, and would come back "
    "as one more outlet's reports)"
)
STORY_FEED_STORED = "nothing of it is stored; list the outlets' own feeds instead"


def parse_feed(
    body: bytes,
    url: str,
    headers: Mapping[str, str] | None = None,
    *,
    fast: bool = True,
    give_up: Callable[[], bool] | None = None,
) -> ParsedFeed:
    """Parse an RSS/Atom/RDF document or a JSON Feed (`json_feed`) fetched from ``url`` into
    a normalised :class:`ParsedFeed`.

    ``headers`` are the response headers (any case); Content-Type and Content-Location steer
    charset detection and relative-link resolution. Raises :class:`ParseError` when the body is
    not a feed at all, or :class:`StoryFeedError` when it is an aggregator's story feed, and
    nothing else. Plain well-formed RSS 2.0 and Atom go through the lxml fast path
    (`fast_parse`), which gives the same result as feedparser; ``fast=False`` always uses
    feedparser.

    ``give_up`` is asked at each element feedparser reads and each entry read: once it says
    so, the parse stops with :class:`ParseTimedOut` (a parse in a thread has no other end).
    """
    token = _GIVE_UP.set(give_up)
    try:
        return _parse_feed(body, url, headers, fast)
    except _GivenUp:
        raise ParseTimedOut(url, "parsing was given up: it took too long") from None
    finally:
        _GIVE_UP.reset(token)


def _parse_feed(body: bytes, url: str, headers: Mapping[str, str] | None, fast: bool) -> ParsedFeed:
    if not body.strip():
        raise ParseError(url, "not a feed: empty body")
    base, response_headers = _response_headers(url, headers)
    response_headers["content-type"] = _mend_charset(response_headers["content-type"], body)
    result: Mapping[str, Any] | None = None
    if looks_like_json(body):
        try:
            result = read_json_feed(body)
        except ValueError as exc:
            raise ParseError(url, f"not a feed: {exc}") from None
    else:
        body = _CHAR_REF.sub(_fix_char_ref, _declaration_first(body))
    if fast and result is None:
        result = fast_parse(body, base, response_headers, feed_date, feed_urljoin)
    if result is None:
        feedparser = _feedparser()
        try:
            # A BytesIO, never bytes: feedparser would treat a bare string as a path or URL.
            result = feedparser.parse(io.BytesIO(body), response_headers=response_headers)
        except Exception as exc:  # feedparser is not supposed to raise; keep our contract
            raise ParseError(url, f"not a feed: parser failed ({_one_line(exc)})") from exc

    feed = result.get("feed") or {}
    raw_entries = (result.get("entries") or [])[:MAX_ENTRIES_READ]
    problem = result.get("bozo_exception") if result.get("bozo") else None
    link = _http_url(_str(feed, "link"), base)
    # (an outlet's name, cut as a `<source>`'s and as the items' `outlet_name` are: a
    # megabyte one was stored whole as the feed's title)
    title = _account_title(_title(feed), link)[:MAX_SOURCE_NAME].strip() or None
    # Feed-like: it has entries, a title or a home link, or it is a well-formed (empty) feed.
    if not (raw_entries or title or link or (result.get("version") and problem is None)):
        raise ParseError(url, f"not a feed: {_why_not(body, problem, base)}")

    # A document that ends before its root element does (a body cut in transfer: a gzip
    # stream that stopped, a proxy's limit) may end inside its last entry: that one is left
    # out, as its text or title may be cut (stored, it had replaced the whole one's).
    cut_short = problem is not None and bool(raw_entries) and _ends_early(body)
    if cut_short:
        raw_entries = raw_entries[:-1]
    read: list[Entry] = []
    skipped = 0
    # (an entry's text takes its feed's language, or the response's, where it has none)
    inherited = {language_tag(_str(feed, "language")), _header_language(response_headers)}
    for raw in raw_entries:
        _go_on()
        try:
            entry = _entry(raw, base, inherited)
        except Exception:  # one odd entry must not cost the whole feed; counted in the warning
            skipped += 1
            continue
        if entry is not None:
            read.append(entry)
    entries = _once_each(read)
    if entries and all(e.guid.startswith(STORY_ID_PREFIX) for e in entries):
        raise StoryFeedError(url, f"{STORY_FEED}: {STORY_FEED_STORED}")

    warning_parts = []
    if problem is not None:
        warning_parts.append(_problem(problem, body))
    if skipped:
        warning_parts.append(f"skipped {skipped} unreadable entries")
    if too_long := _too_long(raw_entries):
        warning_parts.append(
            f"{too_long} {'entry' if too_long == 1 else 'entries'} with a link or guid over "
            f"{MAX_LINK} characters (links left out, guids hashed)"
        )
    return ParsedFeed(
        title=title,
        link=link,
        entries=tuple(entries),
        language=_str(feed, "language") or None,
        ttl_minutes=_ttl(_str(feed, "ttl")),
        warning="; ".join(warning_parts)[:_MAX_WARNING] or None,
        cut_short=cut_short,
        **_push_links(feed, base),
    )


# The end tag of an RSS, Atom or RDF document's root element, and an entry's.
_ROOT_END = re.compile(rb"</(?:[\w.-]+:)?(?:rss|feed|RDF)\s*>")
_ENTRY_START = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)(?:\s[^<>]*)?>")
_ENTRY_END = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>")


def _ends_early(body: bytes) -> bool:
    """Whether an XML document stops inside its last entry: before its root element's end tag
    (in its last 16 KB; junk after the tag, such as a PHP warning, leaves it whole) and
    before the end tag of the entry begun last."""
    if _ROOT_END.search(body, max(len(body) - 16384, 0)) is not None:
        return False
    begun = -1  # (the last whole start tag: a cut one began no entry the parser gives)
    for begun_at in _ENTRY_START.finditer(body):  # (a rare document: read whole)
        begun = begun_at.end()
    return begun >= 0 and _ENTRY_END.search(body, begun) is None


def _push_links(feed: Mapping[str, Any], base: str) -> dict[str, Any]:
    """The WebSub hubs a feed names (`rel="hub"`, at most three, once each) and the address it
    names as its own (its first `rel="self"`): ParsedFeed's `hubs` and `self_url`."""
    links = feed.get("links")
    if not links or not isinstance(links, list):
        return {}
    hubs: list[str] = []
    own = None
    for link in links:
        if not isinstance(link, Mapping) or link.get("rel") not in ("hub", "self"):
            continue
        href = _http_url(str(link.get("href") or ""), base)
        if href is None:
            continue
        if link["rel"] == "self":
            own = own or href
        elif href not in hubs and len(hubs) < 3:
            hubs.append(href)
    return {"hubs": tuple(hubs), "self_url": own}


def _response_headers(url: str, headers: Mapping[str, str] | None) -> tuple[str, dict[str, str]]:
    """Lower-cased headers for feedparser, with an absolute Content-Location as the base URL
    (a private feed's `user:password@` left out: relative links must not take it along)."""
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    url = base = without_userinfo(url)
    location = lowered.get("content-location", "").strip()
    if location:
        try:
            base = urljoin(url, location)
        except ValueError:
            base = url
    lowered["content-location"] = base
    if not lowered.get("content-type", "").strip():
        lowered["content-type"] = _DEFAULT_CONTENT_TYPE
    return base, lowered


_WIDE_CHARSET = re.compile(r";\s*charset\s*=\s*[\"']?utf-?(?:16|32)[^;]*", re.I)
_CHARSET = re.compile(r";\s*charset\s*=[^;]*", re.I)
# What a UTF-16/32 body opens with (a BOM, else "<?" or "<"), and its encoding: the first
# that matches tells (UTF-32's little-endian BOM opens as UTF-16's does)
_WIDE_STARTS = (
    (b"\x00\x00\xfe\xff", "utf-32be"),
    (b"\xff\xfe\x00\x00", "utf-32le"),
    (b"\xfe\xff", "utf-16be"),
    (b"\xff\xfe", "utf-16le"),
    (b"<\x00?\x00", "utf-16le"),
    (b"\x00<\x00?", "utf-16be"),
    (b"<\x00\x00\x00", "utf-32le"),
    (b"\x00\x00\x00<", "utf-32be"),
)


def _mend_charset(content_type: str, body: bytes) -> str:
    """The Content-Type with the charset the body plainly is in. A server's charset decides
    a body's encoding before its BOM or declaration do (RFC 3023, which feedparser follows),
    and misconfigurations lost whole feeds. A UTF-16/32 body under another charset (a server's
    default ISO-8859-1, the other byte order) or under `text/xml` with none (read as US-ASCII)
    gets the one its BOM or opening "<" shows (RFC 7303: a BOM decides); a UTF-16/32 charset
    over a body with no NUL byte in its start is dropped, so its declaration decides."""
    wide = next((name for start, name in _WIDE_STARTS if body.startswith(start)), None)
    if wide is not None:
        return f"{_CHARSET.sub('', content_type)}; charset={wide}"
    if _WIDE_CHARSET.search(content_type) and b"\x00" not in body[:256]:
        return _WIDE_CHARSET.sub("", content_type)
    return content_type


_UTF8_BOM = b"\xef\xbb\xbf"


def _declaration_first(body: bytes) -> bytes:
    """The body without the blank lines or spaces before its XML declaration (a template's or
    a plugin's stray newlines, common in WordPress feeds): the declaration must open the
    document, and the fast path's parser refuses it otherwise (feedparser read it, warning
    "XML or text declaration not at start")."""
    bom = _UTF8_BOM if body.startswith(_UTF8_BOM) else b""
    if body[len(bom) : len(bom) + 1] not in (b" ", b"\t", b"\r", b"\n"):
        return body
    rest = body[len(bom) :].lstrip(b" \t\r\n")
    return bom + rest if rest.startswith(b"<?xml") else body


def _pictures_only(raw: Mapping[str, Any]) -> bool:
    """Whether the entry's media are all pictures (its media description is a caption)."""
    media = raw.get("media_content") or ()
    return bool(media) and all(isinstance(m, Mapping) and _picture(m) for m in media)


_PICTURE_PATH = re.compile(r"\.(?:jpe?g|png|gif|webp|avif)$", re.IGNORECASE)


def _picture(media: Mapping[str, Any]) -> bool:
    """Whether a <media:content> is a picture: by its medium, its type, else its address."""
    medium = str(media.get("medium") or "").lower()
    kind = str(media.get("type") or "").lower()
    if medium or kind:
        return medium == "image" or kind.startswith("image/")
    return bool(_PICTURE_PATH.search(urlsplit(str(media.get("url") or "")).path))


def _entry(
    raw: Mapping[str, Any], base: str, inherited: Set[str | None] = frozenset()
) -> Entry | None:
    """One feedparser entry → Entry, or None when it carries nothing worth keeping;
    `inherited`: the language tags its text takes from its feed (`_own_language`)."""
    title = _title(raw)
    texts = [_to_text(c.get("value"), c.get("type")) for c in raw.get("content") or ()]
    texts.append(_detail_text(raw, "summary"))
    # The item's own content or description; a media description (a video's) only when the
    # item has no text of its own, as Miniflux does; never a picture's (its caption: "Vote-
    # by-mail ballots in sorting trays at an election office …" had become a story's bullet).
    text = max(texts, key=len) or (
        "" if _pictures_only(raw) else _detail_text(raw, "media_description")
    )
    raw_link = _str(raw, "link")
    link = _http_url(raw_link, base)
    if not (title or text or link):
        return None
    published_raw = _str(raw, "published")
    updated = _date(raw, "updated")
    # Entries with only an update date (Atom <updated>, RSS dc:date) use it as publication date.
    published = _date(raw, "published") or updated
    # (a link written with spaces, read since, keeps the guid it had: the link as written)
    guid = _bounded_guid(
        _str(raw, "id")
        or (raw_link if " " in raw_link else link)
        or raw_link
        or _content_id(title, published_raw, text)
    )
    author = html_to_text(_str(raw, "author"))[:MAX_AUTHOR] or None
    # FeedBurner's link is its redirector's; the article's own is `feedburner:origLink`. The
    # guid stays as it was.
    original = _http_url(_str(raw, "feedburner_origlink"), base)
    return Entry(
        guid=guid,
        title=title,
        text=text,
        url=original
        or _unwrapped(link)
        or _submitted(link, raw, base)
        or _shared(link, raw, base)
        or link,
        author=author,
        published=published,
        updated=updated,
        image=_image(raw, base),
        tags=_tags(raw),
        **_source(raw, base),
        language=_own_language(raw, inherited),
    )


def _own_language(raw: Mapping[str, Any], inherited: Set[str | None]) -> str | None:
    """An entry's own declared language tag, where it is none of the `inherited` ones (its
    feed's, the response's Content-Language): its `<dc:language>`, else the `xml:lang` its
    title, text or content is written under (feedparser's `_detail` forms, which otherwise
    take the feed's or the response's; the fast path, which declines an `xml:lang` below the
    root, gives none)."""
    said = _str(raw, "language")
    if not said:
        details = [raw.get("title_detail"), raw.get("summary_detail"), *(raw.get("content") or ())]
        said = next((str(d["language"]) for d in details if _told_language(d)), "")
    own = language_tag(said)
    return None if own in inherited else own


def _header_language(headers: Mapping[str, str]) -> str | None:
    """The response's Content-Language as a tag (feedparser gives it to text without one)."""
    return language_tag(headers.get("content-language"))


def _told_language(detail: Any) -> bool:
    return isinstance(detail, Mapping) and bool(detail.get("language"))


# Redirectors that write the article's address into their link's query (host, path, the
# parameters that may hold it): Bing News's feeds link every entry so, as Google's own do.
# (hosts without "www."; Google News's country hosts are read as news.google.com)
_WRAPPERS: dict[tuple[str, str], tuple[str, ...]] = {
    ("bing.com", "/news/apiclick.aspx"): ("url",),
    ("google.com", "/url"): ("url", "q"),
    ("news.google.com", "/news/url"): ("url",),
}


def _unwrapped(link: str | None) -> str | None:
    """The article's own address a redirector's `link` carries in its query (`_WRAPPERS`),
    or None: the entry then links to it, so its outlet, page and duplicates are the
    article's. The guid stays the link as written."""
    if not link or "?" not in link or not ("bing.com" in link or "google." in link):
        return None  # (most links, told without splitting them)
    parts = urlsplit(link)
    host = (parts.hostname or "").lower().removeprefix("www.")
    if is_google_news_host(host):
        host = "news.google.com"
    names = _WRAPPERS.get((host, parts.path.lower()))
    if not names:
        return None
    query = parse_qs(parts.query)
    for name in names:
        for value in query.get(name, ()):
            target = _http_url(value, link)
            if target and urlsplit(target).hostname != parts.hostname:
                return target
    return None


# A Reddit post's own page, and the "[link]" its description gives to what was submitted.
_REDDIT_HOSTS = ("reddit.com", "redd.it")
_SUBMITTED_HREF = re.compile(r"""href=["']([^"']+)["']""", re.I)
_LINK_CLOSES = re.compile(r"\s*</a>", re.I)
# Hosts of pictures and clips, whose pages hold no article: their posts keep Reddit's link.
_MEDIA_HOSTS = ("imgur.com", "gfycat.com", "redgifs.com", "streamable.com")


def _submitted(link: str | None, raw: Mapping[str, Any], base: str) -> str | None:
    """The article a Reddit post submitted, for a post linked to its Reddit page: the
    "[link]" of its description when it leads off Reddit (not to a picture or clip host), so
    that a news subreddit's post is the article's, its page fetched and its duplicates found.
    None otherwise (a text post, a picture)."""
    if not link or "redd" not in link:
        return None  # (most links, told without splitting them)
    if not on_site(host_of(link), _REDDIT_HOSTS):
        return None
    for value in _markups(raw):
        found = _submitted_href(value) if "[link]" in value else None
        if found is None:
            continue
        target = _http_url(html.unescape(found), base)
        host = host_of(target)
        if target and not on_site(host, _REDDIT_HOSTS) and not on_site(host, _MEDIA_HOSTS):
            return target
        return None
    return None


def _submitted_href(value: str) -> str | None:
    """The address of the first `<a … href="…">[link]</a>` in `value` (a Reddit post's
    description). Each "[link]" is read back to the tag before it, no further than the one
    before it: linear in hostile markup, where a pattern for the whole anchor backtracked
    (26 KB of `<a href="x" ` took 10 s)."""
    low = value.lower()
    done = 0
    at = low.find("[link]")
    while at >= 0:
        start = low.rfind("<a", done, at)
        close = low.find(">", start, at) if start >= 0 else -1
        if (
            close >= 0
            and low[start + 2 : start + 3].isspace()
            and not low[close + 1 : at].strip()
            and _LINK_CLOSES.match(low, at + 6)
        ):
            found = _SUBMITTED_HREF.search(value, start, close)
            if found is not None:
                return found.group(1)
        done = at + 6
        at = low.find("[link]", done)
    return None


# A link's address in markup, and one written out in text (each tried where it can start, its
# run bounded: linear in hostile markup, "href=\"" over and over with no quote closing it).
_HREF = re.compile(r"""\shref=["']([^"'\s<>]{1,2048})["']""", re.I)
_WRITTEN_LINK = re.compile(r"https?://[^\s<>\"']+")
# Hosts whose pages are no article a post shares: pictures and clips, videos, social posts.
_NO_ARTICLE_HOSTS = _MEDIA_HOSTS + VIDEO_HOSTS + SOCIAL_HOSTS


def _shared(link: str | None, raw: Mapping[str, Any], base: str) -> str | None:
    """The one article a social post shares, for a post linked to its own page (a Mastodon
    or Bluesky account's feed, a Telegram channel's): the only link in its text that leads
    off its server to no account, platform, picture or clip, so that the post is the
    article's, its page fetched and its duplicates found, as a Reddit post's "[link]" is.
    None when it links none, or several (its mentions and hashtags are its server's pages
    and count for nothing)."""
    if not link or not account_outlet(link):  # (most links: told without splitting them)
        return None
    own = host_of(link)
    found: set[str] = set()
    for value in _markups(raw):
        if "<a" in value:
            hrefs = [html.unescape(href) for href in _HREF.findall(value)]
        else:  # (a link written out in plain text ends before the sentence's stop)
            hrefs = [href.rstrip(".,;:!?)") for href in _WRITTEN_LINK.findall(value)]
        for href in hrefs:
            target = _http_url(href, base)
            host = host_of(target) if target else ""
            if target is None or "." not in host or host == own or account_outlet(target):
                continue
            if not on_site(host, _NO_ARTICLE_HOSTS):
                found.add(target)
    return found.pop() if len(found) == 1 else None


def _markups(raw: Mapping[str, Any]) -> list[str]:
    """An entry's description and contents, as written (markup or text)."""
    markup = [str(raw.get("summary") or "")]
    for content in raw.get("content") or ():
        if isinstance(content, Mapping):
            markup.append(str(content.get("value") or ""))
    return markup


def _source(raw: Mapping[str, Any], base: str) -> dict[str, str]:
    """The entry's `source_url` and `source_name`, where it names a publisher as its origin
    (RSS `<source url="…">Name</source>`, Atom `<source>` with its page and title): what a
    Google News feed says of each entry, whose own link is Google's."""
    found = raw.get("source")
    if not isinstance(found, Mapping):
        return {}
    out = {}
    url = _http_url(str(found.get("href") or found.get("link") or ""), base)
    if url:
        out["source_url"] = url
    name = html_to_text(str(found.get("title") or "")).strip()[:MAX_SOURCE_NAME]
    if name:
        out["source_name"] = name
    return out


def _tags(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """The entry's categories (RSS `<category>`, Atom `<category term label>`, Dublin Core
    subjects, Media RSS keywords, JSON Feed `tags`), as feedparser lists them: each term and
    label, its spaces collapsed, once, at most `MAX_TAGS` of at most `MAX_TAG` characters."""
    found: dict[str, None] = {}
    for tag in raw.get("tags") or ():
        if not isinstance(tag, Mapping):
            continue
        for key in ("term", "label"):
            value = tag.get(key)
            if isinstance(value, str) and (value := " ".join(value.split())[:MAX_TAG]):
                found[value] = None
        if len(found) >= MAX_TAGS:
            break
    return tuple(found)[:MAX_TAGS]


def _image(raw: Mapping[str, Any], base: str) -> str | None:
    """The entry's picture (`entry_images.candidates`): the first that is an http(s) URL
    other than the feed's own (an empty `src`, which feedparser resolves to it), on a host
    that could be reached (`plausible_host`). A picture that cannot be read is none: it never
    costs the entry (`parse_feed` skips an entry that raises)."""
    markup = [c.get("value") for c in raw.get("content") or () if _html_typed(c.get("type"))]
    if _html_typed(_declared_type(raw, "summary")):
        markup.append(raw.get("summary"))
    try:
        for candidate in candidates(raw, [m for m in markup if isinstance(m, str)]):
            url = _http_url(candidate, base)
            if url is None or url == base or len(url) > MAX_IMAGE_URL:
                continue
            if plausible_host(url):
                return url
    except Exception:  # (an odd value the readers above did not foresee)
        return None
    return None


def _html_typed(kind: object) -> bool:
    """A text construct read as HTML: typed so, or of no declared type (`_to_text`)."""
    return kind != "text/plain"


def _once_each(entries: list[Entry]) -> list[Entry]:
    """Each entry once, by its guid. Some feeds give all their entries one guid (the site's
    address, "1"): a guid that several entries with other links or titles share names none
    of them, and each is known by its link (when no other of them has it), else by its
    content, as an entry with neither. An entry listed twice (same guid, link and title) is
    kept once."""
    shared: dict[str, set[tuple[str | None, str]]] = {}
    for entry in entries:
        shared.setdefault(entry.guid, set()).add((entry.url, entry.title))
    links: dict[str | None, int] = {}
    for entry in entries:
        if len(shared[entry.guid]) > 1:
            links[entry.url] = links.get(entry.url, 0) + 1
    kept: list[Entry] = []
    seen: set[str] = set()
    for entry in entries:
        if len(shared[entry.guid]) > 1:
            when = entry.published.isoformat() if entry.published else ""
            own = entry.url if entry.url and links[entry.url] == 1 else None
            guid = own or _content_id(entry.title, when, entry.text)
            entry = dataclasses.replace(entry, guid=guid)
        if entry.guid not in seen:
            seen.add(entry.guid)
            kept.append(entry)
    return kept


def _bounded_guid(guid: str) -> str:
    """``guid``, or one longer than `MAX_LINK` named by its hash ("sha1:…", as a content id
    is): the same guid gives the same name at every poll, so the item keeps its id."""
    if len(guid) <= MAX_LINK:
        return guid
    digest = hashlib.sha1(guid.encode(errors="surrogatepass"), usedforsecurity=False)
    return f"sha1:{digest.hexdigest()}"


def _too_long(raw_entries: Sequence[Mapping[str, Any]]) -> int:
    """How many entries have a link or a guid longer than `MAX_LINK` (said in the feed's
    warning: the link is left out, the guid named by its hash)."""
    return sum(
        1
        for raw in raw_entries
        if isinstance(raw, Mapping)
        and (_stored_length(_str(raw, "link")) > MAX_LINK or len(_str(raw, "id")) > MAX_LINK)
    )


def _stored_length(link: str) -> int:
    """A link's length as `_http_url` stores it: each space read as "%20" (`_as_browsers_read`)."""
    return len(link) + 2 * link.count(" ")


def _content_id(title: str, published: str, text: str) -> str:
    """A stable guid for entries with neither id nor link."""
    digest = hashlib.sha1(f"{title}\x1f{published}\x1f{text}".encode(), usedforsecurity=False)
    return f"sha1:{digest.hexdigest()}"


def _str(mapping: Mapping[str, Any], key: str) -> str:
    """A stripped string value, or "" (no feedparser key fallbacks such as updated→published)."""
    value = dict.get(mapping, key) if isinstance(mapping, dict) else mapping.get(key)
    return value.strip() if isinstance(value, str) else ""


def _declared_type(mapping: Mapping[str, Any], key: str) -> str | None:
    """The type feedparser declares for a text construct ("text/html", "text/plain"), if any."""
    detail = mapping.get(f"{key}_detail")
    return detail.get("type") if isinstance(detail, Mapping) else None


def _detail_text(mapping: Mapping[str, Any], key: str) -> str:
    """Plain text of a feedparser text construct, honouring its declared type."""
    return _to_text(mapping.get(key), _declared_type(mapping, key))


def _title(mapping: Mapping[str, Any]) -> str:
    """Plain text of a feed's or entry's title: one taken as plain text (an Atom text title, an
    RSS title feedparser did not guess to be HTML) that holds markup ("&lt;b&gt;Tesla&lt;/b&gt;"
    in the XML) is read as HTML, so its tags go and its entities are decoded, once; an HTML
    title was decoded as HTML already, so what looks like a tag in its text is words."""
    kind = _declared_type(mapping, "title")
    value = mapping.get("title")
    if kind == "text/plain" and isinstance(value, str) and holds_markup(value):
        kind = "text/html"
    return _to_text(value, kind)


def _account_title(title: str, link: str | None) -> str:
    """A Bluesky account's feed title ("@harbour.example - Harbour Gazette") as its display
    name, which names the account as the outlet's own feed names the outlet."""
    if link and title.startswith("@") and urlsplit(link).hostname == "bsky.app":
        handle, dash, name = title.partition(" - ")
        if dash and name.strip() and " " not in handle:
            return name.strip()
    return title


# A feed polled again repeats most of its entries: their text is not extracted again.
_html_to_text = functools.lru_cache(maxsize=2048)(html_to_text)


def _to_text(value: object, kind: object) -> str:
    if not isinstance(value, str):
        return ""
    if kind == "text/plain":  # literal text: "<div>" is words, not a tag
        return _html_to_text(html.escape(value, quote=False))
    return _html_to_text(value)


# Characters XML cannot carry: a link holding one could never be republished.
_NOT_IN_URLS = frozenset("\x7f\ufffe\uffff") | {chr(c) for c in range(0xD800, 0xE000)}


def _http_url(value: str, base: str) -> str | None:
    """An absolute http(s) URL resolved against ``base``, or None (javascript:, data:, junk,
    one longer than `MAX_LINK`)."""
    if not value or len(value) > MAX_LINK:
        return None
    try:
        absolute = urljoin(base, value.strip())
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    # (ASCII that is printable, space aside, holds none of them: most links, told in C)
    if not (absolute.isascii() and absolute.isprintable() and " " not in absolute):
        absolute = _as_browsers_read(absolute, parts.netloc)
        if any(c.isspace() or c in _NOT_IN_URLS or ord(c) < 32 for c in absolute):
            return None
    # (measured as stored: its spaces as "%20")
    return absolute if len(absolute) <= MAX_LINK else None


def _as_browsers_read(url: str, netloc: str) -> str:
    """``url`` with a space after its host as "%20", as a browser reads it ("/2024/Annual
    report.pdf", a CMS's file name; `urlsplit` has dropped tabs and line breaks, as the
    WHATWG URL parser does)."""
    if " " in netloc:
        return url  # (no host has one: refused)
    after_host = url.find(netloc, url.find("//") + 2) + len(netloc)
    return url[:after_host] + url[after_host:].replace(" ", "%20")


# Forms feedparser reads as another date: "2024/03/05 10:00" (as 1 December 2024), Unix
# time in seconds or milliseconds ("1709632800" as 6 April 2017) and W3C-DTF with a
# half-hour offset written without its colon ("...10:30:00+0530" as +05:00).
_MISREAD = re.compile(
    r"\d{4}/\d{1,2}/\d{1,2}(?!\d)|\d{10}(?:\d{3})?$|"
    r"\d{4}-\d\d-\d\d[T ][\d:.]+ ?[+-]\d\d(?!00)\d\d$|"
    r"\d{4}-?W\d\d"  # an ISO week date ("2024-W10-2": feedparser had read December 1)
)
_WEEK_DATE = re.compile(r"\d{4}-?W\d\d")
_LEAP_SECOND = re.compile(r"(\d\d:\d\d):60(?!\d)")


def _date(raw: Mapping[str, Any], key: str) -> datetime | None:
    """``key``'s date as aware UTC, None for none or the Unix epoch's day (a placeholder)."""
    found = _read_date(raw, key)
    return None if found is None or found < _EPOCH_DAY_END else found


def _read_date(raw: Mapping[str, Any], key: str) -> datetime | None:
    """``key``'s date as aware UTC: feedparser's parse first, then dateutil on the raw string
    (first, for the forms feedparser misreads)."""
    written = _str(raw, key)
    if _MISREAD.match(written):
        return _parse_date_string(written)
    offset = _with_offset(written)
    if offset is not None and (found := _parse_date_string(offset)) is not None:
        return found
    parsed = dict.get(raw, f"{key}_parsed") if isinstance(raw, dict) else raw.get(f"{key}_parsed")
    if isinstance(parsed, tuple) and len(parsed) >= 6:
        try:
            year, month, day, hour, minute, second = (int(x) for x in parsed[:6])
            found = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
        except (ValueError, TypeError, OverflowError):
            pass
        else:
            if found >= _EARLIEST:
                if hour == minute == second == 0 and _clock_lost(written):
                    return _parse_date_string(written) or found
                return found
    return _parse_date_string(written)


# A zone at a date's end, or before its year (Java's `Date.toString()`: "Tue Mar 05 10:30:00
# CET 2024"): an offset from GMT or UTC ("GMT+1", "UTC-05:00"; feedparser reads no date or
# UTC, dateutil reads the sign the POSIX way, reversed) or a name.
_ZONE_TAIL = re.compile(
    r"(?<![^\W\d_])(?:(?:GMT|UTC?)\s*([+-])(\d{1,2})(?::?(\d\d))?|([A-Z]{3,5}))"
    r"(\s+\d{4})?\s*$",
    re.I,
)
# A time of day: "10:30", or ISO 8601's basic form ("20240305T103000Z")
_CLOCK = re.compile(r"(?<![\d:])(\d{1,2}):(\d\d)|\dT(\d\d)(\d\d)")


def _with_offset(value: str) -> str | None:
    """``value`` with its zone written as a numeric offset ("... 10:00 CET" → "... 10:00
    +0100"), when feedparser would misread the zone; None when it would not."""
    tail = _ZONE_TAIL.search(value)
    if tail is None:
        return None
    sign, hours, minutes, name, year = tail.groups()
    if name is None:
        east = (int(hours) * 60 + int(minutes or 0)) * (-1 if sign == "-" else 1)
        if abs(east) > 14 * 60:
            return None
    else:
        name = name.upper()
        east = round(_ZONES.get(name, 0) * 60)
        if east == 0 or name in FEEDPARSER_ZONES:  # (it reads any name it does not know as UTC)
            return None
    written = f"{'-' if east < 0 else '+'}{abs(east) // 60:02}{abs(east) % 60:02}"
    return f"{value[: tail.start()].rstrip()} {written}{year or ''}"


def _clock_lost(value: str) -> bool:
    """Whether ``value`` writes a time of day other than midnight (feedparser reads
    "2024-03-05 10:30:00 UTC", a Rails time's form, as midnight)."""
    clock = _CLOCK.search(value)
    return clock is not None and any(int(part) for part in clock.groups() if part)


_PADDED_YEAR = re.compile(r"(?<![\d+\-:])0\d{3}(?!\d)")


def _parse_date_string(value: str) -> datetime | None:
    """dateutil's reading of a date feedparser could not parse (its weekday and month names
    in English, when they were not: `_in_english`); None unless a full date."""
    if not value or len(value) > 100:
        return None
    if _PADDED_YEAR.search(value):  # "0001": a placeholder that dateutil would read as 2001
        return None
    if value.isdigit() and len(value) in (10, 13):  # Unix time (`_MISREAD`)
        return datetime.fromtimestamp(int(value[:10]), UTC)
    if _WEEK_DATE.match(value):
        from dateutil import parser as date_parser

        try:
            week: datetime = date_parser.isoparse(value)
        except (ValueError, OverflowError):
            return None
        return week.replace(tzinfo=UTC) if week.tzinfo is None else week.astimezone(UTC)
    value = _LEAP_SECOND.sub(r"\1:59", value)  # (23:59:60, a leap second: its second before)
    found = _dateutil_date(value)
    if found is None:
        english = _in_english(value)
        if english != value:
            found = _dateutil_date(english)
    return found


# A date written day first with dots ("06.12.2026", "Mo, 06.12.2026 10:00"), as in German,
# Russian or Polish; dateutil would read its month first.
_DOTTED = re.compile(r"\s*(?:[^\W\d_]+\.?,?\s*)?\d{1,2}\.\d{1,2}\.\d{2,4}(?!\d)")


def _dateutil_date(value: str) -> datetime | None:
    """dateutil's reading as aware UTC, when it is a full date (the same day whatever the
    default) on or after 1970."""
    from dateutil import parser as date_parser

    dayfirst = _DOTTED.match(value) is not None
    results = []
    for default in _DEFAULTS:
        try:
            results.append(
                date_parser.parse(value, default=default, tzinfos=_tzinfo, dayfirst=dayfirst)
            )
        except (ValueError, OverflowError, TypeError):
            return None
    first, second = results
    if first.date() != second.date():
        return None
    try:
        found = first.replace(tzinfo=UTC) if first.tzinfo is None else first.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return found if found >= _EARLIEST else None


# Month names (and their usual abbreviations) of feeds that write RFC 822 dates in their own
# language ("Seg, 24 Set 2018 19:22:00 -0300", "mar., 05 mars 2024"): Portuguese, Spanish,
# French, German, Italian and Dutch. No name means two months across them.
_MONTH_NAMES = {
    name: month
    for month, names in enumerate(
        (
            "jan janeiro ene enero janv janvier januar jän jänner gen gennaio januari",
            "fev fevereiro feb febrero févr fevr février fevrier februar febbraio februari",
            "mar março marco marzo mars mär märz mrz mrt maart",
            "abr abril avr avril apr aprile",
            "mai maio may mayo mag maggio mei",
            "jun junho junio juin juni giu giugno",
            "jul julho julio juil juillet juli lug luglio",
            "ago agosto août aout aug august augustus",
            "set setembro sep sept septiembre setiembre septembre september settembre",
            "out outubro oct octubre octobre okt oktober ott ottobre",
            "nov novembro noviembre novembre november",
            "dez dezembro dic diciembre déc dec décembre decembre dezember dicembre december",
        ),
        start=1,
    )
    for name in names.split()
}
_ENGLISH_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_WEEKDAY = re.compile(r"\s*[^\W\d_]+(?:-[^\W\d_]+)?\.?,\s*")  # a leading day name, its comma
# Day names written without a comma ("di 05 mrt 2024", "mardi 5 mars 2024"), in the same
# languages: a leading word is dropped only when it is one of them.
_DAY_NAMES = frozenset(
    """seg ter qua qui sex sáb sab dom segunda terça terca quarta quinta sexta sábado sabado
    domingo lun mar mié mie jue vie lunes martes miércoles miercoles jueves viernes mer jeu
    ven sam dim lundi mardi mercredi jeudi vendredi samedi dimanche mo di mi do fr sa so
    montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag gio lunedì lunedi
    martedì martedi mercoledì mercoledi giovedì giovedi venerdì venerdi sabato domenica ma wo
    vr za zo maandag dinsdag woensdag donderdag vrijdag zaterdag zondag""".split()
)
_LEADING_WORD = re.compile(r"\s*([^\W\d_]+)(?:-[^\W\d_]+)?\.?\s+(?=\d)")
# Words around the time ("um 10:00 Uhr", "às 10:00", "a las 10:00", "alle 10:00", "à 10h30")
_CLOCK_WORDS = frozenset("uhr um om às as à a las alle ore h".split())
_FRENCH_CLOCK = re.compile(r"\b(\d{1,2})h(\d\d)\b")  # "10h30"
_WORD = re.compile(r"[^\W\d_]+\.?")


def _in_english(value: str) -> str:
    """A date written with another language's day and month names, with the day name
    dropped, the month's in English and Spanish and Portuguese "de" left out ("martes, 05 de
    marzo de 2024 10:00" → "05 Mar 2024 10:00"), and the words around its time too ("um
    10:00 Uhr", "à 10h30" → "10:30"); any other word left as it is."""
    weekday = _WEEKDAY.match(value) or _LEADING_WORD.match(value)
    if weekday is not None and (weekday.re is _WEEKDAY or weekday[1].lower() in _DAY_NAMES):
        value = value[weekday.end() :]
    value = _FRENCH_CLOCK.sub(r"\1:\2", value)

    def english(word: re.Match[str]) -> str:
        name = word[0].rstrip(".").lower()
        if name in ("de", "del") or name in _CLOCK_WORDS:
            return ""
        month = _MONTH_NAMES.get(name)
        return _ENGLISH_MONTHS[month - 1] if month else word[0]

    return " ".join(_WORD.sub(english, value).split())


def _tzinfo(name: str | None, offset: int | None) -> tzinfo | None:
    """dateutil's zone lookup: numeric offsets, a few common names; unknown names mean UTC.

    Passing this keeps dateutil from consulting the machine's local zone (and from warning).
    """
    if offset is not None:
        return timezone(timedelta(seconds=offset))
    hours = _ZONES.get((name or "").upper())
    return None if hours is None else timezone(timedelta(hours=hours))


_LONGEST_TTL = 10**9  # minutes: a longer `<ttl>` is this (the schedule caps it far below)


def _ttl(value: str) -> int | None:
    """An RSS `<ttl>` in minutes; None for none, 0 or no number. One of more digits than
    `_LONGEST_TTL` is that, unread: Python refuses a number of over 4,300 digits, which had
    failed the whole feed."""
    digits = value.strip().lstrip("0")
    if not (digits.isascii() and digits.isdigit()):
        return None
    return _LONGEST_TTL if len(digits) > len(str(_LONGEST_TTL)) else int(digits)


def _why_not(body: bytes, problem: object, base: str) -> str:
    """Readable reason a body is not a feed; for a web page that advertises a feed, which."""
    head = body[:2048]
    if _HTML_START.match(head):
        from aggregator.feed_links import advertised_feeds, feed_elsewhere

        links = (_http_url(link, base) for link in advertised_feeds(body, base)[0])
        feeds = [link for link in links if link and link != base and len(link) <= 300]
        if feeds:
            return feed_elsewhere(feeds[0])
        return "looks like an HTML page"
    if head.lstrip()[:1] in (b"{", b"["):  # (an object is read as a JSON Feed, if it is one)
        return "looks like JSON, not RSS, Atom or a JSON Feed"
    if problem is not None:
        reason = _problem(problem, body)
        return reason if reason.startswith("malformed XML") else f"malformed XML ({reason})"
    return "no RSS, Atom or RDF elements found"


def _one_line(exc: object) -> str:
    text = _SPACE.sub(" ", str(exc)).strip()
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


def _problem(exc: object, body: bytes) -> str:
    """The parser's complaint as one line; an XML error says where it is, as the OPML's do.

    feedparser puts an XML declaration on a line of its own before a body that opens without
    one, so its line numbers are one too many there."""
    get_line, get_column = (
        getattr(exc, "getLineNumber", None),
        getattr(exc, "getColumnNumber", None),
    )
    if not (callable(get_line) and callable(get_column)):  # a SAXParseException has both
        return _one_line(exc)
    line = get_line() - (0 if body.lstrip(b"\xef\xbb\xbf").startswith(b"<?xml") else 1)
    message = _SPACE.sub(" ", str(exc.getMessage())).strip()  # type: ignore[attr-defined]
    return f"malformed XML at line {max(line, 1)}, column {get_column() + 1}: {message}"
