"""The published feeds: Atom 1.0 and RSS 2.0 (the only feedgen importer), JSON Feed 1.1, and the
OPML files that list every output feed.

Each feed item is one story: its id never changes, `published` is when the story first appeared
and `updated` its last material change; the body is the summary (HTML), the RSS `description`
and Atom `summary` a plain-text excerpt, and every entry carries its story's language.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

from feedgen.feed import FeedGenerator

from aggregator import PROJECT_URL, __version__
from aggregator.models import Story
from aggregator.publish import (
    FEED_FORMATS,
    FEED_MEDIA_TYPES,
    FORMAT_LABELS,
    TAG_AUTHORITY,
    PublishSettings,
    category_url,
    clean,
    digest_line,
    excerpt,
    feed_id,
    feed_picture,
    feed_title,
    feed_url,
    flavour_name,
    headline,
    kind_label,
    ours_in,
    outlet_names,
    picture,
    search_url,
    story_feed_url,
    story_html_body,
    story_language,
    story_uri,
    story_url,
    utc,
)
from aggregator.ranking import for_feed
from aggregator.site_words import Words

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_MEDIA = "http://search.yahoo.com/mrss/"
_ATOM = "http://www.w3.org/2005/Atom"
OPML_FORMATS = {"atom": "feeds.opml", "rss": "feeds-rss.opml", "json": "feeds-json.opml"}
ENTRY_MEMO = 4096  # stories whose entry content is kept (several feeds' worth) …
ENTRY_IDLE = timedelta(hours=1)  # … while asked for within this long
# Plain-text elements of our Atom and RSS output. In them "&" and "<" are written as the
# hexadecimal references &#x26; and &#x3C; (the RSS Best Practices Profile's advice, which the
# W3C validator applies to Atom too), so a headline such as "AT&T" or "1&1 Ionos" is not
# flagged as possibly holding HTML. Same characters for every XML parser.
_PLAIN_TEXT = re.compile(
    rb"(<(title|subtitle|summary|description|category|name)(?:\s[^<>]*)?>)([^<]*)(</\2>)"
)


class _EntryLanguage:
    """A feedgen entry extension: xml:lang on an Atom <entry>, dc:language on an RSS <item>,
    and there the outlets behind the story as dc:creator (RSS's <author> must be an e-mail
    address; Atom takes them as the entry's <author>)."""

    def __init__(self) -> None:
        self.code: str | None = None
        self.creator: str = ""

    def extend_ns(self) -> dict[str, str]:
        return {"dc": "http://purl.org/dc/elements/1.1/"}

    def extend_atom(self, entry: Any) -> Any:
        if self.code:
            entry.set(_XML_LANG, self.code)
        return entry

    def extend_rss(self, item: Any) -> Any:
        if self.creator:
            element = item.makeelement("{http://purl.org/dc/elements/1.1/}creator", {})
            element.text = self.creator
            item.append(element)
        if self.code:
            element = item.makeelement("{http://purl.org/dc/elements/1.1/}language", {})
            element.text = self.code
            item.append(element)
        return item


class _FeedPictures:
    """A feedgen feed extension that declares the Media RSS namespace on the root element
    (`media:`), where a feed carries pictures; its entries then get `_EntryPicture`."""

    def extend_ns(self) -> dict[str, str]:
        return {"media": _MEDIA}

    def extend_atom(self, feed: Any) -> Any:
        return feed

    extend_rss = extend_atom


class _FeedHubs:
    """A feedgen feed extension: the feed's WebSub hubs as `<atom:link rel="hub">` in RSS
    (feedgen writes an RSS channel's self link only; Atom takes them as links)."""

    def __init__(self) -> None:
        self.urls: tuple[str, ...] = ()

    def extend_ns(self) -> dict[str, str]:
        return {"atom": _ATOM}

    def extend_atom(self, feed: Any) -> Any:
        return feed

    def extend_rss(self, feed: Any) -> Any:
        channel = feed.find("channel")
        at = next(  # after the self link, with the channel's other elements (before its items)
            (i + 1 for i, child in enumerate(channel) if child.tag == f"{{{_ATOM}}}link"), 0
        )
        for offset, url in enumerate(self.urls):
            link = channel.makeelement(f"{{{_ATOM}}}link", {"href": url, "rel": "hub"})
            channel.insert(at + offset, link)
        return feed


class _EntryPicture:
    """A feedgen entry extension: the story's picture as Media RSS (`<media:content
    medium="image">` and `<media:thumbnail>`, one address: readers take one or the other for
    the picture beside an item), in Atom and RSS alike."""

    def __init__(self) -> None:
        self.url: str | None = None

    def _extend(self, element: Any) -> Any:
        if self.url:
            attributes = {"url": self.url, "medium": "image"}
            element.append(element.makeelement(f"{{{_MEDIA}}}content", attributes))
            element.append(element.makeelement(f"{{{_MEDIA}}}thumbnail", {"url": self.url}))
        return element

    extend_atom = extend_rss = _extend


def _terms(story: Story, words: Words) -> list[str]:
    """The story's categories, then what it is when none of its sources is news ("Live",
    "Opinion", …, in the site's `words`), so a reader can filter on it as on any tag."""
    terms = [term for term in (clean(c) for c in dict.fromkeys(story.categories)) if term] or (
        [clean(story.category)] if clean(story.category) else []
    )
    label = words.kind(kind_label(story))
    return [*terms, label] if label and label not in terms else terms


@dataclass(frozen=True, slots=True)
class _Entry:
    """What every feed says of one story, in any format or flavour."""

    uri: str
    url: str
    title: str
    language: str
    terms: tuple[str, ...]
    body: str  # HTML
    summary: str  # plain text
    image: str | None = None  # the story's picture (`publish.picture`), an http(s) URL
    outlets: str = ""  # "BBC News, CNN and 2 more" (`publish.outlet_names`): its authors


class _EntryMemo:
    """The entries of the stories asked for lately, one a story: its latest version's. A
    story that changed makes a new entry, and its old one is never asked for again; a memo
    keyed by the whole story kept those old ones until they were the least lately used of
    4,096, ~8 KB each with the story they keep alive. An entry nobody asked for in `idle`
    goes too: its story left the feeds, or nobody reads them (the feeds carry a few hundred
    stories, which their readers ask for every few minutes). At most `size`."""

    def __init__(self, size: int, idle: timedelta) -> None:
        self._size, self._idle = size, idle
        self._lock = threading.Lock()  # (feeds are rendered by the web server's threads)
        # story id → (the story and what else it was made from, its entry, when last asked)
        self._kept: OrderedDict[
            str, tuple[tuple[Story, PublishSettings, str], _Entry, datetime]
        ] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, story: Story, settings: PublishSettings, digest: str, now: datetime) -> _Entry:
        """The story's entry, asked for at `now` (the feed's time)."""
        key = (story, settings, digest)
        with self._lock:
            found = self._kept.get(story.id)
            if found is not None and found[0] == key:
                self._kept[story.id] = (key, found[1], max(now, found[2]))
                self._kept.move_to_end(story.id)
                return found[1]
        entry = _make_entry(story, settings, digest)
        with self._lock:
            kept = self._kept  # least lately asked first
            kept[story.id] = (key, entry, now)
            kept.move_to_end(story.id)
            while len(kept) > self._size or now - next(iter(kept.values()))[2] > self._idle:
                kept.popitem(last=False)
        return entry

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


def _make_entry(story: Story, settings: PublishSettings, digest: str = "") -> _Entry:
    """A story's entry. `digest`: the "Get a daily email" line of the story's category
    (`digest_line`), before "More stories", as on its page."""
    words = settings.words
    return _Entry(
        uri=story_uri(story),
        url=story_url(story, settings),
        title=headline(story, words),
        language=story_language(story, settings),
        terms=tuple(_terms(story, words)),
        # clean again: a last guard so one odd character can never break the whole feed
        body=clean(story_html_body(story, settings, (), digest)),
        summary=clean(excerpt(story, words=words)),
        image=feed_picture(found[0]) if (found := picture(story, settings)) else None,
        outlets=outlet_names(story, words=words),
    )


# A story's entry is made once: a category's Atom, RSS and JSON feeds, their top-stories
# flavours and the all-stories feed carry the same one (rendering it and detecting its
# language are most of a feed's cost).
_entries = _EntryMemo(ENTRY_MEMO, ENTRY_IDLE)
_entry = _entries.get


def _digest_line(story: Story, settings: PublishSettings, digests: Collection[str]) -> str:
    """The story's "Get a daily email" line (`digest_line`), in the site's `lang` inside a
    story in another language."""
    if story.category not in digests:
        return ""
    ours = ours_in(story_language(story, settings), settings)
    return digest_line(story.category, settings, digests, ours)


def clear_memo() -> None:
    """Forget the entries made (`heap.forget_memos` calls it)."""
    _entries.clear()


def home_url(slug: str, settings: PublishSettings) -> str:
    """The web page a feed belongs to: its category's page ("all": every category's)."""
    return category_url(slug, settings)


def _subtitle(name: str, settings: PublishSettings, top: bool) -> str:
    if top:
        return settings.words.count("top_subtitle", settings.top_min_outlets, name=clean(name))
    return f"{clean(name)}: {clean(settings.site_description)}"


def _chosen(stories: Sequence[Story], settings: PublishSettings, top: bool) -> list[Story]:
    minimum = settings.top_min_outlets if top else 1
    return for_feed(stories, settings.max_items, minimum)


@dataclass(frozen=True, slots=True)
class FeedFrame:
    """What names a feed, apart from its items: its permanent id, title and description, the
    page it belongs to, and its own address in each format."""

    id: str
    title: str
    subtitle: str
    home: str
    urls: dict[str, str]
    hubs: tuple[str, ...] = ()  # WebSub hubs told when it changes (a category's feeds only)


def category_frame(name: str, slug: str, settings: PublishSettings, top: bool) -> FeedFrame:
    """A category's feed (all stories' for the slug "all"), or its "top stories" flavour."""
    return FeedFrame(
        feed_id(slug, settings, top),
        feed_title(name, settings, top),
        _subtitle(name, settings, top),
        home_url(slug, settings),
        {fmt: feed_url(slug, fmt, settings, top) for fmt in FEED_FORMATS},
        settings.hubs,
    )


def search_frame(query: str, settings: PublishSettings) -> FeedFrame:
    """The feed of a search (`/search.atom?q=…`): its id is the words asked, spaced once, so
    a reader that follows a search keeps one feed however the words were spaced."""
    words = " ".join(query.split())
    tail = f"search?{urlencode({'q': words})}"
    site = clean(settings.site_title) or "aggregator"
    return FeedFrame(
        settings.base_url + tail if settings.public_base_url else f"tag:{TAG_AUTHORITY}:{tail}",
        f"{site}: {settings.words.quoted(clean(words))}",
        settings.words("search_subtitle", query=settings.words.quoted(clean(words))),
        search_url(words, settings),
        {fmt: search_url(words, settings, fmt=fmt) for fmt in FEED_FORMATS},
    )


def story_frame(story: Story, settings: PublishSettings) -> FeedFrame:
    """The feed of one story (`/stories/<id>/updates.atom`), which follows its updates."""
    site = clean(settings.site_title) or "aggregator"
    return FeedFrame(
        f"{story_uri(story)}:updates",
        f"{site}: {headline(story, settings.words)}",
        settings.words("story_subtitle"),
        story_url(story, settings),
        {fmt: story_feed_url(story.id, fmt, settings) for fmt in FEED_FORMATS},
    )


def render_feed(
    name: str,
    slug: str,
    stories: Sequence[Story],
    fmt: str,
    settings: PublishSettings,
    now: datetime,
    *,
    top: bool = False,
    digests: Collection[str] = frozenset(),
    frame: FeedFrame | None = None,
    versioned: bool = False,
) -> bytes:
    """One feed as bytes: Atom, RSS or JSON Feed; `top` keeps widely covered stories only.

    `stories` are candidates (newest first is fine); which of them the feed carries is
    `ranking.for_feed`'s decision. Item bodies link the category page rather than other
    headlines, so an item's content changes only when its own story does; a story of a
    category in `digests` (those with a daily email) also links its subscribe page. The feed
    is category `name`'s (slug `slug`), unless another `frame` names it (a search's, a
    story's). `versioned` (a story's own feed): each version of a story is an item of its own,
    published when the story was last updated and, from the second, titled as an update, so
    a reader shows each update as news.
    """
    if fmt not in FEED_FORMATS:
        raise ValueError(f"unknown feed format {fmt!r}")
    frame = frame or category_frame(name, slug, settings, top)
    chosen = _chosen(stories, settings, top)
    entries = [_entry(s, settings, _digest_line(s, settings, digests), now) for s in chosen]
    if versioned:  # (a later version says so in its title: a reader lists them all)
        entries = [
            dataclasses.replace(
                e,
                uri=f"{e.uri}:v{s.version}",
                title=e.title
                if s.version <= 1
                else settings.words("story_update", title=e.title, n=s.version - 1),
            )
            for s, e in zip(chosen, entries, strict=True)
        ]
    if fmt == "json":
        return _json_feed(frame, chosen, entries, settings, versioned)
    fg = FeedGenerator()
    fg.id(frame.id)
    fg.title(frame.title)
    fg.subtitle(frame.subtitle)
    fg.author({"name": clean(settings.site_title) or "aggregator"})
    for hub in frame.hubs:  # (before the alternate link: feedgen's RSS <link> is the last)
        fg.link(href=hub, rel="hub")
    if frame.hubs and fmt == "rss":
        fg.register_extension("hubs", _FeedHubs, atom=False, rss=True)
        fg.hubs.urls = frame.hubs
    fg.link(href=frame.urls[fmt], rel="self", type=FEED_MEDIA_TYPES[fmt])
    fg.link(href=frame.home, rel="alternate", type="text/html")
    fg.language(settings.language)
    fg.generator("aggregator", version=__version__, uri=PROJECT_URL)
    # An empty feed (a search that matches nothing yet) says the hour: its bytes, and so its
    # ETag, stay the same for an hour, and a reader following it is answered 304.
    empty = utc(now).replace(minute=0, second=0, microsecond=0)
    fg.updated(max(utc(s.updated) for s in chosen) if chosen else empty)
    if fmt == "rss":
        fg.ttl(max(1, settings.max_age // 60))
    if any(entry.image for entry in entries):  # (each entry added then has `picture`)
        fg.register_extension("picture", _FeedPictures, _EntryPicture, atom=True, rss=True)
    for story, entry in zip(chosen, entries, strict=True):
        fe = fg.add_entry(order="append")
        fe.register_extension("language", _EntryLanguage, atom=True, rss=True)
        fe.language.code = entry.language
        fe.language.creator = entry.outlets
        if entry.outlets and fmt == "atom":  # (readers show it under the headline)
            fe.author({"name": entry.outlets})
        if entry.image:
            fe.picture.url = entry.image
        fe.id(entry.uri)
        fe.guid(entry.uri, permalink=False)
        fe.title(entry.title)
        fe.link(href=entry.url, rel="alternate", type="text/html")
        fe.published(utc(story.updated if versioned else story.first_seen))
        fe.updated(utc(story.updated))
        if entry.terms:
            fe.category([{"term": term} for term in entry.terms])
        fe.content(entry.body, type="html")
        # After content: the plain excerpt becomes Atom <summary> (type text) and RSS
        # <description>, and the HTML moves to RSS <content:encoded>. Readers treat an RSS
        # description as HTML, so there the text is escaped once more ("S&P" → "S&amp;P").
        summary = entry.summary
        fe.description(html.escape(summary, quote=False) if fmt == "rss" else summary, True)
    if fmt == "atom":
        return _hex_references(fg.atom_str(pretty=True, encoding="UTF-8"))
    return _hex_references(fg.rss_str(pretty=True, encoding="UTF-8"))


def _hex_references(xml: bytes) -> bytes:
    """`xml` with "&" and "<" in its plain-text elements as &#x26; and &#x3C; (see _PLAIN_TEXT)."""
    if b"&amp;" not in xml and b"&lt;" not in xml:
        return xml

    def plain(match: re.Match[bytes]) -> bytes:
        text = match[3].replace(b"&amp;", b"&#x26;").replace(b"&lt;", b"&#x3C;")
        return match[1] + text + match[4]

    return _PLAIN_TEXT.sub(plain, xml)


def _json_feed(
    frame: FeedFrame,
    chosen: Sequence[Story],
    entries: Sequence[_Entry],
    settings: PublishSettings,
    versioned: bool = False,
) -> bytes:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""
    items = []
    for story, entry in zip(chosen, entries, strict=True):
        item: dict[str, Any] = {
            "id": entry.uri,
            "url": entry.url,
            "title": entry.title,
            "content_html": entry.body,
            "summary": entry.summary,
            "date_published": utc(story.updated if versioned else story.first_seen).isoformat(),
            "date_modified": utc(story.updated).isoformat(),
            "language": entry.language,
        }
        if entry.image:
            item["image"] = entry.image
        if entry.outlets:
            item["authors"] = [{"name": entry.outlets}]
        if entry.terms:
            item["tags"] = list(entry.terms)
        items.append(item)
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": frame.title,
        "home_page_url": frame.home,
        "feed_url": frame.urls["json"],
        "description": frame.subtitle,
        "language": settings.language,
        "authors": [{"name": clean(settings.site_title) or "aggregator"}],
        **({"hubs": [{"type": "WebSub", "url": hub} for hub in frame.hubs]} if frame.hubs else {}),
        "items": items,
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode()


def render_outputs_opml(
    categories: Sequence[tuple[str, str]], fmt: str, settings: PublishSettings
) -> bytes:
    """OPML 2.0 listing every output feed of one format, grouped by category, ready to import.

    One file per format (feeds.opml: Atom; feeds-rss.opml; feeds-json.opml), so importing one
    subscribes to each feed once. Each category holds its feed and its "top stories" feed.
    """
    if fmt not in OPML_FORMATS:
        raise ValueError(f"unknown feed format {fmt!r}")
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    site = clean(settings.site_title) or "aggregator"
    every = settings.words("every_feed", site=site, format=FORMAT_LABELS[fmt])
    ElementTree.SubElement(head, "title").text = every
    body = ElementTree.SubElement(root, "body")
    for name, slug in categories:
        label = clean(name) or slug
        group = ElementTree.SubElement(body, "outline", text=label)  # a folder: text only
        for top in (False, True):
            title = flavour_name(label, top, settings.words)
            ElementTree.SubElement(
                group,
                "outline",
                type="rss",
                text=title,
                title=title,
                xmlUrl=feed_url(slug, fmt, settings, top),
                htmlUrl=home_url(slug, settings),
                category=f"/{label}",
            )
    ElementTree.indent(root)
    written: bytes = ElementTree.tostring(root, encoding="UTF-8", xml_declaration=True)
    return written + b"\n"
