"""Plain, frozen value types shared by every module. No behaviour, no IO.

All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import NamedTuple

# Each published story's permanent id in feeds (Atom id, RSS guid, JSON Feed id) starts so.
STORY_ID_PREFIX = "urn:aggregator:story:"


@dataclass(frozen=True, slots=True)
class Source:
    """A feed listed in the OPML, with the category outline it sits in."""

    url: str
    title: str
    category: str
    html_url: str | None = None
    articles: bool = True  # whether teaser items' article pages may be fetched (OPML `articles`)
    # The OPML's entry rules (`entry_rules`), the enclosing category outlines' first:
    exclude: tuple[str, ...] = ()  # an entry any of these matches is not stored
    include: tuple[str, ...] = ()  # one that any of these misses is not stored
    interval: timedelta | None = None  # its own poll interval (the OPML's); None: the settings'
    # Its own request headers (the OPML's `userAgent` and `cookie`, `feed_request`); None: ours
    # (the settings' User-Agent) and no cookie.
    user_agent: str | None = None
    cookie: str | None = None
    images: bool = True  # whether its items' pictures are kept (OPML `images`, `entry_images`)
    # The CSS selector of its article pages' text (OPML `selector`, `articles.selected_text`);
    # None: the extractor finds it.
    selector: str | None = None
    # The CSS selector of what its article pages' text leaves out (OPML `remove`: "Read more"
    # boxes, related links; `articles.without_elements`), by the selector or the extractor.
    remove: str | None = None
    paused: bool = False  # listed but not polled (OPML `paused="on"`): its items stay


@dataclass(frozen=True, slots=True)
class FeedState:
    """What we remember about polling one feed URL."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None  # sha256 of the last 200 body, to skip re-parsing it
    status: str | None = None  # ok | not_modified | unchanged | error | gone
    http_status: int | None = None
    error: str | None = None
    error_count: int = 0
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    next_poll_at: datetime | None = None
    moved_to: str | None = None  # target of a permanent redirect
    title: str | None = None  # the feed's own title
    link: str | None = None  # the feed's own home page
    language: str | None = None  # the feed's declared language tag (BCP 47), when valid
    fetched_at: datetime | None = None  # when it last sent a body (a 200): validators checked
    false_304_at: datetime | None = None  # when its 304s were last found hiding new entries
    hub: str | None = None  # the WebSub hub it names, and the topic to subscribe to (`push`)
    topic: str | None = None


# --- fetching -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fetched:
    """A 200 response with its (decompressed, size-capped) body."""

    url: str
    final_url: str
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    etag: str | None = None
    last_modified: str | None = None
    permanent_redirect: str | None = None


@dataclass(frozen=True, slots=True)
class NotModified:
    """A 304 (or an empty body in reply to validators, `feed_state.as_answered`): nothing to
    parse, nothing to store but the feed's state."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    status: int = 304  # the HTTP status it came with
    permanent_redirect: str | None = None  # where permanent redirects led first (as Fetched)


@dataclass(frozen=True, slots=True)
class FetchFailed:
    """Any failure: network, timeout, HTTP error status, oversize body."""

    url: str
    error: str  # readable words, one line
    status: int | None = None  # HTTP status when there was a response
    headers: Mapping[str, str] = field(default_factory=dict)
    # no connection was made to the host (a failed name lookup, a connect timed out or with
    # no route): the service's own network may be down (`network`)
    unreached: bool = False


FetchOutcome = Fetched | NotModified | FetchFailed


@dataclass(frozen=True, slots=True)
class Redirected:
    """A redirect to another site (scheme, host or port), not followed: a page fetched with
    `own_site` (`Fetcher.fetch_page`) is asked at its new site as a page of that site, after
    that site's robots.txt and at its turn."""

    url: str
    location: str  # absolute
    status: int


# --- parsing --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One feed entry, normalised: absolute http(s) link, plain text, UTC dates."""

    guid: str
    title: str
    text: str
    url: str | None = None
    author: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    image: str | None = None  # absolute http(s): its picture (`entry_images`)
    tags: tuple[str, ...] = ()  # its categories' terms and labels (the OPML rules match them)
    # The publisher an aggregator's entry names as its origin (RSS `<source url>`, Atom
    # `<source>`): its page or feed (absolute http(s)) and its name.
    source_url: str | None = None
    source_name: str | None = None
    # Its own declared language (BCP 47), where it differs from its feed's: an RSS item's
    # `<dc:language>`, an Atom entry's `xml:lang`.
    language: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A feed document parsed: its own fields and its entries."""

    title: str | None
    link: str | None
    entries: tuple[Entry, ...]
    language: str | None = None
    ttl_minutes: int | None = None
    warning: str | None = None  # set when the parse was best-effort (malformed XML …)
    left_out: int = 0  # entries the OPML's rules did not store (set as items are built)
    hubs: tuple[str, ...] = ()  # the WebSub hubs it names (`push`)
    self_url: str | None = None  # the address it names as its own (`rel="self"`)
    cut_short: bool = False  # the document ended inside its entries (its last one left out)
    # the one time of day it stamps every entry at (`fixed_times.fixed_clock`; set as items
    # are built)
    fixed_clock: time | None = None


# --- stored items and stories ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """A stored item as the decision modules (dedupe, cluster, summarize) see it."""

    id: str  # stable: derived from feed URL + guid
    title: str
    text: str = ""
    url: str | None = None
    canonical_url: str | None = None
    feed_url: str = ""
    guid: str = ""
    author: str | None = None
    published: datetime | None = None  # upstream date, or first_seen when missing
    first_seen: datetime | None = None
    outlet: str = ""  # outlet key (normalised host); distinct outlets = distinct keys
    outlet_name: str = ""  # outlet for display
    category: str = ""
    content_hash: str = ""
    story_id: str | None = None
    duplicate_of: str | None = None
    furniture: bool = False  # grouping found its text to be a page's furniture, not an article
    apart: bool = False  # the operator set it apart from its story (`Withheld.apart`)
    image: str | None = None  # its picture, absolute http(s) (`entry_images`)
    # The language its entry, else its feed, declared (BCP 47, `lang.language_tag`), if any:
    # tells a Chinese or Japanese text apart where its script cannot (`read_as_japanese`).
    language: str | None = None


class ItemKey(NamedTuple):
    """What ordering a stored item by publication needs, without its text (see
    `grouping.publication_runs`)."""

    id: str
    published: datetime | None
    first_seen: datetime | None
    guid: str = ""
    feed_url: str = ""


@dataclass(frozen=True, slots=True)
class SourceRef:
    """One source item of a summary, as shown to readers."""

    outlet: str
    title: str
    url: str | None
    published: datetime | None = None
    item_id: str | None = None
    label: str = ""  # "Opinion", "Live", "Review", "Round-up" for sources that aren't news
    copy_of: str = ""  # a wire copy: the id of the item whose text it carries (`wire_copies`)


@dataclass(frozen=True, slots=True)
class Bullet:
    """One sentence of a summary and the sources it comes from."""

    text: str
    sources: tuple[int, ...]  # indexes into Summary.sources


@dataclass(frozen=True, slots=True)
class Summary:
    """A story's summary: its headline, bullets and sources."""

    headline: str
    bullets: tuple[Bullet, ...]
    sources: tuple[SourceRef, ...]
    outlet_count: int  # distinct outlets: the N of "Summary based on N sources"
    method: str = "extractive"
    image: str | None = None  # the story's picture (`entry_images.lead_image`): not summarised
    image_source: int = -1  # the index in `sources` of the source whose picture it is


@dataclass(frozen=True, slots=True)
class Story:
    """A published story: what feeds and pages are built from."""

    id: str
    category: str  # main category
    headline: str
    first_seen: datetime  # as its listed sources date it (`first_reported`)
    updated: datetime  # last material change
    version: int
    summary: Summary | None = None
    categories: tuple[str, ...] = ()
    added_sources: int = 0  # outlets its latest material update added ("Updated: 2 new sources")
    # The language its sources declare (`lang.agreed_language`: "en-GB" where they all say
    # so, "en" where they differ on the region), and its main category's own (the OPML's).
    declared_language: str | None = None
    category_language: str | None = None


def first_reported(first_seen: datetime, updated: datetime, summary: Summary | None) -> datetime:
    """When a story was first reported as its readers can check it: the earliest date of the
    sources its summary lists, no later than `updated`; `first_seen` when none is dated.

    `first_seen` is the earliest of all its items, and some are not listed: an outlet's
    collection page under an article's headline (the fuller one stands for both), an item
    since moved to another story. A page had read "13:10 · updated 14:31" above one source
    dated 14:31."""
    dates = [ref.published for ref in summary.sources if ref.published] if summary else []
    return min(min(dates), updated) if dates else first_seen
