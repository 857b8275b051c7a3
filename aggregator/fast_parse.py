"""A fast path for the common, plain feed: well-formed UTF-8 RSS 2.0 or Atom 1.0.

Used only by `parse`. It reads the document with lxml and returns what feedparser would
return for the fields `parse` uses (feed title, link, language, ttl; entry ids, links,
titles, text, authors, dates, pictures, categories), as feedparser-shaped dicts, so both
paths share one normaliser. It answers only when it is sure to agree with feedparser: a
DOCTYPE, xml:base, a non-UTF-8 encoding, an element or markup it does not know, a repeated
element, anything that feedparser treats specially, and it returns None and feedparser
parses the document.
`tests/test_fast_parse.py` checks the agreement on real feed files.

It does not import feedparser (~5 MB and ~100 modules in each parse worker: its HTTP client,
`chardet`, `sgmllib`, its other date formats): the few things of feedparser's it needs are
copied here (its sanitiser's element names, its Windows-1252 table, its guess of HTML, its
link joining, its reading of the two usual date forms), each checked against feedparser's own
in the tests; a date in any other form is read by feedparser's own date parser, imported then,
and an element it does not know is weighed by feedparser's own handler names and namespaces
(`_aside`), imported when a document first holds one.
"""

from __future__ import annotations

import contextlib
import datetime
import html.entities
import re
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from itertools import islice
from typing import Any

from lxml import etree

__all__ = [
    "FEEDPARSER_ZONES",
    "MAX_ENTRIES_READ",
    "MAX_TAGS_READ",
    "fast_parse",
    "parse_date",
    "urljoin",
]

# Entries of one document read at most, in its order (the newest 500 of them are kept:
# `pipeline.feed_items`). A feed of 300,000 tiny items (16 MB) had taken 15 s and 650 MB,
# every entry built, to keep 500.
MAX_ENTRIES_READ = 5000
# Tags listed of an entry (or the feed), both parsers alike: feedparser lists a tag only when it
# is not listed yet, a search through the list each time, so 100,000 <category> elements of one
# item took minutes (20,000: 7 s); `parse` keeps the first 50 terms and labels of them.
MAX_TAGS_READ = 500

# feedparser's sanitiser's `_HTMLSanitizer.acceptable_elements` (feedparser 6).
_ACCEPTABLE_ELEMENTS = frozenset(
    "a abbr acronym address area article aside audio b big blockquote br button canvas caption "
    "center cite code col colgroup command datagrid datalist dd del details dfn dialog dir div "
    "dl dt em event-source fieldset figcaption figure font footer form h1 h2 h3 h4 h5 h6 header "
    "hr i img input ins kbd keygen label legend li m map menu meter multicol nav nextid noscript "
    "ol optgroup option output p pre progress q s samp section select small sound source spacer "
    "span strike strong sub sup table tbody td textarea tfoot th thead time tr tt u ul var "
    "video".split()
)
# feedparser's `html._cp1252`: the C1 controls that Windows-1252 gives characters to.
_CP1252 = dict(
    zip(
        [128, *range(130, 141), 142, *range(145, 157), 158, 159],
        "\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u017d"
        "\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e"
        "\u0178",
        strict=True,
    )
)
_CLOSE_TAG = re.compile(r"</(\w+)>")
_REFERENCE = re.compile(r"&#?\w+;")
_TAG_NAME = re.compile(r"</?(\w+)")
_ENTITY = re.compile(r"&(\w+);")


def _looks_like_html(value: str) -> bool:
    """feedparser's `_FeedParserMixin.looks_like_html`: a close tag or a reference, every
    tag one its sanitiser keeps and every entity a known one."""
    if not (_CLOSE_TAG.search(value) or _REFERENCE.search(value)):
        return False
    if any(t.lower() not in _ACCEPTABLE_ELEMENTS for t in _TAG_NAME.findall(value)):
        return False
    return all(e in html.entities.entitydefs for e in _ENTITY.findall(value))


_URI_FIXER = re.compile("^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")


def urljoin(base: str, uri: str) -> str:
    """feedparser's `urls._urljoin`: slashes after the scheme's are dropped, then joined;
    "" when the join fails."""
    uri = _URI_FIXER.sub(r"\1\3", uri)
    try:
        return urllib.parse.urljoin(base, uri)
    except ValueError:
        return ""


_MONTHS = {m: n for n, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
# RFC 822 with its day name and a numeric or named zone ("Tue, 02 Dec 2026 01:00:00 +0000"), and
# W3C-DTF to the second ("2026-12-02T01:00:00Z", "...00.5+01:00"): what nearly every feed writes.
# feedparser tries W3C-DTF first, which reads neither form of RFC 822 here (its date would
# start with four digits), then RFC 822.
_RFC822 = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{1,2}) ([A-Z][a-z]{2}) ([0-9]{4}) "
    r"([0-9]{2}):([0-9]{2}):([0-9]{2}) (?:([+-])([0-9]{2})([0-9]{2})|([A-Z]{1,4}))"
)
# The zone names feedparser's RFC 822 reader knows (hours east of UTC); others go to it.
FEEDPARSER_ZONES = {
    **dict.fromkeys(("UT", "GMT", "Z"), 0),
    "ADT": -3, "AST": -4, "AT": -4, "EDT": -4, "EST": -5, "ET": -5, "CDT": -5, "CST": -6,
    "CT": -6, "MDT": -6, "MST": -7, "MT": -7, "PDT": -7, "PST": -8, "PT": -8,
    "A": -1, "N": 1, "M": -12, "Y": 12, "MET": 1, "MEST": 2,
}  # fmt: skip
_W3CDTF = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]{1,9})?"
    r"(?:Z|([+-])([0-9]{2}):([0-9]{2}))"
)


def parse_date(value: str) -> Any:
    """feedparser's `datetimes._parse_date` (a UTC `time.struct_time`, or None): the two
    usual forms read here as feedparser reads them, any other by feedparser itself."""
    found = _RFC822.fullmatch(value)
    month = zone_hours = None
    if found is not None:
        day, month_name, year, hour, minute, second, sign, zone_h, zone_m, name = found.groups()
        month = _MONTHS.get(month_name)
        zone_hours = 0 if sign else FEEDPARSER_ZONES.get(name)
    else:
        found = _W3CDTF.fullmatch(value)
        if found is not None:
            year, month_digits, day, hour, minute, second, sign, zone_h, zone_m = found.groups()
            month, zone_hours = int(month_digits), 0
    if month is not None and zone_hours is not None:
        hours, minutes = (int(zone_h), int(zone_m)) if sign else (zone_hours, 0)
        if sign == "-":
            hours, minutes = -hours, -minutes
        try:
            stamp = datetime.datetime(  # (a leap second, 23:59:60, as its second before)
                int(year), month, int(day), int(hour), int(minute), min(int(second), 59)
            )
            return (stamp - datetime.timedelta(minutes=minutes, hours=hours)).utctimetuple()
        except (ValueError, OverflowError):
            pass  # (feedparser's other readers may still find a date in it)
    from feedparser.datetimes import _parse_date

    return _parse_date(value)


_DC = "{http://purl.org/dc/elements/1.1/}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
_ATOM = "{http://www.w3.org/2005/Atom}"
_SY = "{http://purl.org/rss/1.0/modules/syndication/}"
_MEDIA = "{http://search.yahoo.com/mrss/}"
_FEEDBURNER = "{http://rssnamespace.org/feedburner/ext/1.0}"
_MEDIA_LEAVES = frozenset({_MEDIA + "thumbnail", _MEDIA + "content"})
# A photo's caption and credit, on the item or inside its <media:content>: `parse` reads the
# caption as `media_description`, never as the item's own description.
_MEDIA_TEXTS = frozenset({_MEDIA + "description", _MEDIA + "credit"})
_MEDIA_ITEM = _MEDIA_LEAVES | _MEDIA_TEXTS
_MEDIA_REPEATABLE = _MEDIA_LEAVES | {_MEDIA + "credit"}

# Elements whose meaning the fast path knows; anything else sends the document to feedparser.
_RSS_CHANNEL = (
    frozenset(
        "title link description language ttl lastBuildDate pubDate generator copyright "
        "managingEditor webMaster docs category image item".split()
    )
    | {_ATOM + "link", _SY + "updatePeriod", _SY + "updateFrequency", _SY + "updateBase"}
    | {_DC + "date", _DC + "rights", _DC + "publisher", _DC + "creator"}
)
_RSS_IMAGE = frozenset("url title link width height description".split())
_RSS_ITEM = (
    frozenset("title link description guid pubDate author category comments".split())
    | {
        _CONTENT + "encoded",
        _DC + "creator",
        _DC + "date",
        "enclosure",
    }
    | _MEDIA_ITEM
    | {_ATOM + "link", _FEEDBURNER + "origLink", _MEDIA + "group"}
)
_RSS_REPEATABLE = frozenset({"category", "enclosure", _ATOM + "link"}) | _MEDIA_REPEATABLE
# An item's `<atom:link>` of another kind (The New York Times' rel="standout"): feedparser
# lists it in the entry's `links`, which `parse` does not read; an alternate or enclosure one
# would be its link or a picture.
_ITEM_LINKS_ASIDE = frozenset({"standout", "related", "self", "replies", "via"})
_ATOM_FEED_NAMES = "title link id updated subtitle rights generator icon logo entry category author"
_ATOM_FEED = frozenset(_ATOM + n for n in _ATOM_FEED_NAMES.split())
_ATOM_ENTRY = (
    frozenset(
        _ATOM + n for n in "title link id updated published summary content author category".split()
    )
    | _MEDIA_ITEM
)
_ATOM_REPEATABLE = frozenset({_ATOM + "category", _ATOM + "link"}) | _MEDIA_REPEATABLE
_ATOM_PERSON = frozenset({_ATOM + "name", _ATOM + "email", _ATOM + "uri"})

_CONTAINERS = frozenset(
    {"image", "item", _ATOM + "entry", _ATOM + "author", _MEDIA + "content", _MEDIA + "group"}
)
_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_LINK_REF = re.compile("&([A-Za-z0-9_]+);")

# Markup whose visible text is the same whether or not feedparser's sanitiser ran over it:
# elements it keeps, less those whose content `text.html_to_text` skips.
_SAFE_TAGS = _ACCEPTABLE_ELEMENTS - frozenset(
    "script style noscript template iframe object embed svg math head title applet".split()
)
_C1 = re.compile("[\x80-\x9f]")  # the characters `_cp1252` maps (C1 controls)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)(?:\s[^<>]*)?/?>")
_COMMENT = re.compile(r"<!--(?:(?!--).)*-->", re.S)
_ENTITY_NAMES = frozenset(html.entities.entitydefs)
# Every "&" must start a known entity or a numeric reference, or stand before a space.
_AMP = re.compile(r"&(?:#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|([A-Za-z][A-Za-z0-9]{0,31});|(?=\s))")
_XML_TYPES = frozenset(
    "application/xml application/rss+xml application/atom+xml application/rdf+xml".split()
)
_DECLARATION = re.compile(rb"^<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")


class _Decline(Exception):
    """The document is outside what the fast path is sure about."""


def _safe_markup(value: str) -> bool:
    """True when `value` holds only plain tags, comments and entities (no CDATA, scripts)."""
    if "<!--" in value:
        value = _COMMENT.sub("", value)
    if "<" in value:
        for match in _TAG.finditer(value):
            if match.group(2).lower() not in _SAFE_TAGS:
                return False
        if "<" in _TAG.sub("", value):
            return False
    if "&" not in value:
        return True
    matches = 0
    for match in _AMP.finditer(value):
        if match.group(1) is not None and match.group(1) not in _ENTITY_NAMES:
            return False
        matches += 1
    return matches == value.count("&")


def _plain(value: str) -> bool:
    """Text that reads the same as text and as HTML (feedparser guesses the type of some)."""
    return "<" not in value and "&" not in value


def fast_parse(
    body: bytes,
    base: str,
    headers: Mapping[str, str],
    parse_date: Callable[[str], Any],
    urljoin: Callable[[str, str], str],
) -> dict[str, Any] | None:
    """feedparser's result for `body` (only the keys `parse` reads), or None to decline."""
    content_type = headers.get("content-type", "").lower()
    kind, _, params = content_type.partition(";")
    if kind.strip() not in _XML_TYPES or (params.strip() and params.strip() != "charset=utf-8"):
        return None
    head = body[:200].lstrip()
    if body.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or not head.startswith(b"<"):
        return None
    declared = _DECLARATION.match(head)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        return None
    if b"<!DOCTYPE" in body[:4096] or b"<!doctype" in body[:4096]:
        return None
    if b"xml:base" in body:
        return None
    try:
        body.decode("utf-8")
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
        )
        root = etree.fromstring(body, parser)
        if b"xml:lang" in body and root.xpath("count(//*[@xml:lang])") != (
            1 if root.get(_LANG) is not None else 0
        ):
            return None  # xml:lang below the root element
        if root.tag == "rss" and root.get("version") == "2.0":
            return _rss(root, base, parse_date, urljoin)
        if root.tag == _ATOM + "feed":
            return _atom(root, base, parse_date, urljoin)
    except (_Decline, etree.XMLSyntaxError, UnicodeDecodeError, ValueError):
        return None
    return None


def _text(el: Any) -> str:
    """An element's text as feedparser hands it on: stripped, UTF-8 read as Latin-1 undone,
    Windows-1252 characters in the C1 range mapped to theirs."""
    if len(el):  # child elements where text is expected
        raise _Decline
    return _repair((el.text or "").strip())


def _repair(value: str) -> str:
    if value.isascii():  # (nothing to repair: the usual case, without copying it twice)
        return value
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        value = value.encode("iso-8859-1").decode("utf-8")
    return value.translate(_CP1252) if _C1.search(value) else value


def _guessed(out: dict[str, Any], key: str, value: str) -> None:
    """An RSS text whose type feedparser guesses: HTML if it looks like HTML, else text."""
    if _looks_like_html(value):
        _html(out, key, value)
    else:
        out[key] = value
        out[f"{key}_detail"] = {"type": "text/plain"}


def _children(
    el: Any, known: frozenset[str], repeatable: frozenset[str], *, aside: bool = False
) -> dict[str, Any]:
    """`el`'s child elements by tag (the first of each); with `aside`, an element of its own
    that feedparser keeps under a key `parse` never reads is passed over (`_aside`)."""
    found: dict[str, Any] = {}
    for child in el:
        if not isinstance(child.tag, str):  # comments, processing instructions
            continue
        if child.tag not in known:
            if aside and _aside(child, el):
                continue
            raise _Decline
        if child.tag in found and child.tag not in repeatable:
            raise _Decline
        if len(child) and child.tag not in _CONTAINERS:  # e.g. an <image> inside <category>
            raise _Decline
        found.setdefault(child.tag, child)
    return found


# What `parse` reads of feedparser's feed and entries (and their `_detail`, `_parsed` forms).
_READ = frozenset(
    "author content enclosures feedburner_origlink href id image language link links "
    "media_content media_description media_thumbnail published source summary tags title "
    "ttl updated".split()
)
_ASIDE: dict[tuple[str, str | None], bool] = {}  # (tag, declared prefix) -> `_aside`'s answer


def _aside(child: Any, parent: Any) -> bool:
    """Whether feedparser keeps `child`, an element the fast path does not know, under a key
    that `parse` never reads and nothing else: a text or empty element (no children; no
    namespace declared on it but its own, as FeedBurner declares its on `<feedburner:info>`)
    with no handler of feedparser's (`_start_…`, `_end_…`) under its key (the namespace's
    prefix as feedparser names it, "_", its name in lower case), that key not one `parse`
    reads. A site's own fields (`<nid>`,
    `dowjones:articletype`, `yt:channelId`, `feedburner:info`) no longer send a whole document
    to feedparser."""
    if len(child):
        return False
    if child.nsmap != parent.nsmap:  # (its own namespace declared on it, and nothing else)
        own = {k: v for k, v in child.nsmap.items() if parent.nsmap.get(k) != v}
        if child.prefix in parent.nsmap or own != {child.prefix: etree.QName(child).namespace}:
            return False
    found = _ASIDE.get((child.tag, child.prefix))
    if found is None:
        found = _ASIDE[child.tag, child.prefix] = _kept_aside(child.tag, child.prefix)
    return found


def _kept_aside(tag: str, prefix: str | None) -> bool:
    from feedparser.api import StrictFeedParser

    namespace, _, local = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
    if "backend.userland.com/rss" in namespace.lower():
        return False
    known = {uri.lower(): name for uri, name in StrictFeedParser.namespaces.items()}
    named = known.get(namespace.lower(), prefix or "") if namespace else ""
    key = f"{named.lower()}_{local.lower()}" if named else local.lower()
    if key in _READ or key.endswith(("_detail", "_parsed")):
        return False
    return not any(hasattr(StrictFeedParser, f"{way}{key}") for way in ("_start_", "_end_"))


def _dated(out: dict[str, Any], key: str, el: Any, parse_date: Callable[[str], Any]) -> None:
    if el is not None:
        value = _text(el)
        out[key] = value
        out[f"{key}_parsed"] = parse_date(value) if value else None


def _html(out: dict[str, Any], key: str, value: str) -> None:
    if not _safe_markup(value):
        raise _Decline
    out[key] = value
    out[f"{key}_detail"] = {"type": "text/html"}


def _rss(root: Any, base: str, parse_date: Any, urljoin: Any) -> dict[str, Any]:
    channels = [c for c in root if c.tag == "channel"]
    if len(channels) != 1 or len(root) != 1:
        raise _Decline
    found = _children(
        channels[0], _RSS_CHANNEL, frozenset({"category", "item", _ATOM + "link"}), aside=True
    )
    feed = _root_language(root)
    links = []
    for link in channels[0].iterchildren(_ATOM + "link"):
        rel, href = link.get("rel"), link.get("href")
        if rel not in ("self", "hub") or not href:  # (a WebSub hub's: FeedBurner's, WordPress's)
            raise _Decline
        links.append({"rel": rel, "href": urljoin(base, href)})
    if links:
        feed["links"] = links
    if "image" in found:
        _children(found["image"], _RSS_IMAGE, frozenset())
    if "title" in found:
        _guessed(feed, "title", _text(found["title"]))
    if "link" in found:
        feed["link"] = _LINK_REF.sub(r"&\g<1>", urljoin(base, _text(found["link"])))
    for key in ("language", "ttl"):
        if key in found:
            feed[key] = _text(found[key]).strip()
    items = islice(channels[0].iterchildren("item"), MAX_ENTRIES_READ)
    entries = [_rss_item(item, base, parse_date, urljoin) for item in items]
    return {"feed": feed, "entries": entries, "version": "rss20", "bozo": 0}


def _rss_item(item: Any, base: str, parse_date: Any, urljoin: Any) -> dict[str, Any]:
    found = _children(item, _RSS_ITEM, _RSS_REPEATABLE, aside=True)
    for link in item.iterchildren(_ATOM + "link"):
        if (
            link.get("rel") not in _ITEM_LINKS_ASIDE
            or not link.get("href")
            or link.attrib.get("type") not in (None, "text/html", "application/atom+xml")
        ):
            raise _Decline
    out: dict[str, Any] = {}
    if "title" in found:
        _guessed(out, "title", _text(found["title"]))
    if "description" in found:
        _html(out, "summary", _text(found["description"]))
    if _CONTENT + "encoded" in found:
        content: dict[str, Any] = {}
        _html(content, "value", _text(found[_CONTENT + "encoded"]))
        out["content"] = [{"value": content["value"], "type": "text/html"}]
    link = None
    if "link" in found:
        written = _text(found["link"])
        # (an empty one is "", as feedparser has it: joined, it would be the feed's address)
        link = _LINK_REF.sub(r"&\g<1>", urljoin(base, written.replace("&amp;", "&")))
        link = link if written.strip() else ""
    if "guid" in found:
        guid = _text(found["guid"])
        attrs = {k.lower(): v for k, v in found["guid"].attrib.items()}
        permalink = attrs.get("ispermalink", "true") == "true"
        out["id"] = urljoin(base, guid) if permalink and guid else guid
        if permalink and link is None:
            link = out["id"]
    if link is not None:
        out["link"] = link
    authors = [found[k] for k in ("author", _DC + "creator") if k in found]
    if len(authors) > 1:
        raise _Decline
    if authors:
        author = _text(authors[0])
        if not _plain(author) or "@" in author or "(" in author:
            raise _Decline  # feedparser splits "email (name)" forms
        out["author"] = author
    _dated(out, "published", found.get("pubDate"), parse_date)
    _dated(out, "updated", found.get(_DC + "date"), parse_date)
    if _FEEDBURNER + "origLink" in found:  # (the article's own link: `parse` reads it)
        out["feedburner_origlink"] = _text(found[_FEEDBURNER + "origLink"])
    _media_description(out, item, guess=True)
    enclosures = []
    for enclosure in item.iterchildren("enclosure"):
        attributes = _attributes(enclosure)
        href = attributes.get("url", attributes.get("uri", attributes.get("href")))
        enclosures.append({"href": href, "type": attributes.get("type")})
    _pictures(out, item, enclosures)
    _tags(out, item.iterchildren("category"))
    return out


def _tags(out: dict[str, Any], categories: Iterator[Any]) -> None:
    """The entry's categories as feedparser lists them (`_start_category`, `_end_category`,
    `_add_tag`): each element's attributes make a tag, and its text is that tag's term when
    it has none, else a tag of its own; a tag equal to one listed is not listed again, nor any
    past `MAX_TAGS_READ` (as `parse` mends feedparser's)."""
    tags: list[dict[str, str | None]] = []

    def add(term: str | None, scheme: str | None, label: str | None) -> None:
        if len(tags) >= MAX_TAGS_READ:
            return
        tag = {"term": term, "scheme": scheme, "label": label}
        if (term or scheme or label) and tag not in tags:
            tags.append(tag)

    for category in categories:
        attributes = _attributes(category)
        scheme = attributes.get("scheme", attributes.get("domain"))
        add(attributes.get("term"), scheme, attributes.get("label"))
        value = _text(category)
        if not value:
            continue
        if tags and not tags[-1]["term"]:
            tags[-1]["term"] = value
        else:
            add(value, None, None)
    if tags:
        out["tags"] = tags


def _attributes(el: Any) -> dict[str, str]:
    """An element's attributes as feedparser keeps them: names in lower case, the last of
    names that differ only in case winning (namespaced ones are named apart: never read)."""
    return {name.lower(): value for name, value in el.attrib.items() if name[0] != "{"}


def _pictures(out: dict[str, Any], el: Any, enclosures: list[dict[str, Any]]) -> None:
    """The entry's Media RSS pictures and enclosures, as feedparser gives them (the keys
    `entry_images` reads)."""
    for key in ("content", "thumbnail"):
        # (in document order, an item's own and its <media:group>'s: feedparser reads the
        # group as if its pictures were the item's)
        found = [m for m in el.iter(_MEDIA + key) if m.getparent().tag != _MEDIA + "content"]
        if found:
            if key == "thumbnail" and any((t.text or "").strip() for t in found):
                raise _Decline  # (feedparser reads the text as the address, made absolute)
            out[f"media_{key}"] = [_attributes(media) for media in found]
    if enclosures:
        out["enclosures"] = enclosures


def _media_description(out: dict[str, Any], item: Any, *, guess: bool) -> None:
    """The item's one Media RSS description as `parse` has feedparser keep it: plain text
    unless typed html (RSS, not Atom, guesses HTML from the text as for a title)."""
    for group in item.iterchildren(_MEDIA + "group"):  # (pictures only: CNN's, Fox News')
        _children(group, _MEDIA_LEAVES, _MEDIA_LEAVES)
    for media in item.iter(_MEDIA + "content"):
        _children(media, _MEDIA_TEXTS, frozenset({_MEDIA + "credit"}))
    found = list(item.iter(_MEDIA + "description"))
    if not found:
        return
    if len(found) > 1:  # feedparser keeps the shallowest one's text but the last one's type
        raise _Decline
    if set(found[0].attrib) - {"type"}:  # e.g. mode="base64"
        raise _Decline
    kind = found[0].get("type", "plain").lower()
    value = _text(found[0])
    if kind in ("html", "text/html"):
        _html(out, "media_description", value)
    elif kind not in ("plain", "text", "text/plain"):
        raise _Decline
    elif guess:
        _guessed(out, "media_description", value)
    else:
        out["media_description"] = value
        out["media_description_detail"] = {"type": "text/plain"}


def _root_language(root: Any) -> dict[str, Any]:
    lang = root.get(_LANG)
    return {"language": lang.replace("_", "-")} if lang else {}


def _atom(root: Any, base: str, parse_date: Any, urljoin: Any) -> dict[str, Any]:
    found = _children(root, _ATOM_FEED, _ATOM_REPEATABLE | {_ATOM + "entry"}, aside=True)
    feed = _root_language(root)
    title = found.get(_ATOM + "title")
    if title is not None:
        _atom_text(feed, "title", title)
    _atom_id_and_link(feed, found, root, base, urljoin)
    links = [
        {"rel": link.get("rel"), "href": urljoin(base, link.get("href"))}
        for link in root.iterchildren(_ATOM + "link")
        if link.get("rel") in ("self", "hub")
    ]
    if links:
        feed["links"] = links
    entries = [
        _atom_entry(e, base, parse_date, urljoin)
        for e in islice(root.iterchildren(_ATOM + "entry"), MAX_ENTRIES_READ)
    ]
    return {"feed": feed, "entries": entries, "version": "atom10", "bozo": 0}


def _atom_text(out: dict[str, Any], key: str, el: Any) -> None:
    kind = el.get("type", "text")
    value = _text(el)
    if kind == "text":
        out[key] = value
        out[f"{key}_detail"] = {"type": "text/plain"}
    elif kind == "html":
        _html(out, key, value)
    else:
        raise _Decline


def _atom_link(el: Any, base: str, urljoin: Any) -> str | None:
    links = list(el.iterchildren(_ATOM + "link"))
    if any(not link.get("href") for link in links):
        raise _Decline
    alternates = [link for link in links if link.get("rel", "alternate") == "alternate"]
    if not alternates:
        return None
    if len(alternates) > 1 or alternates[0].get("type", "text/html") != "text/html":
        raise _Decline
    href = alternates[0].get("href")
    if not href:
        raise _Decline
    return str(urljoin(base, href))


def _atom_id_and_link(
    out: dict[str, Any], found: dict[str, Any], el: Any, base: str, urljoin: Any
) -> None:
    """An Atom id is resolved like a link and, as a permalink guid, is the link if none."""
    if _ATOM + "id" in found:
        out["id"] = urljoin(base, _text(found[_ATOM + "id"]))
    link = _atom_link(el, base, urljoin)
    if link is not None:
        out["link"] = link
    elif out.get("id"):
        out["link"] = out["id"]


def _atom_entry(entry: Any, base: str, parse_date: Any, urljoin: Any) -> dict[str, Any]:
    found = _children(entry, _ATOM_ENTRY, _ATOM_REPEATABLE, aside=True)
    out: dict[str, Any] = {}
    if _ATOM + "title" in found:
        _atom_text(out, "title", found[_ATOM + "title"])
    if _ATOM + "summary" in found:
        _atom_text(out, "summary", found[_ATOM + "summary"])
    if _ATOM + "content" in found:
        content = found[_ATOM + "content"]
        if content.get("src"):
            raise _Decline
        value: dict[str, Any] = {}
        _atom_text(value, "value", content)
        out["content"] = [{"value": value["value"], "type": value["value_detail"]["type"]}]
    _atom_id_and_link(out, found, entry, base, urljoin)
    if _ATOM + "author" in found:
        person = _children(found[_ATOM + "author"], _ATOM_PERSON, frozenset())
        name = person.get(_ATOM + "name")
        if name is None or _ATOM + "email" in person:
            raise _Decline
        author = _text(name)
        if not _plain(author):
            raise _Decline
        out["author"] = author
    _dated(out, "published", found.get(_ATOM + "published"), parse_date)
    _dated(out, "updated", found.get(_ATOM + "updated"), parse_date)
    _media_description(out, entry, guess=False)
    enclosures = [
        {"href": urljoin(base, link.get("href")), "type": link.get("type")}
        for link in entry.iterchildren(_ATOM + "link")
        if link.get("rel") == "enclosure"
    ]
    _pictures(out, entry, enclosures)
    _tags(out, entry.iterchildren(_ATOM + "category"))
    return out
