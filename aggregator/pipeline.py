"""Pure decisions of a poll: parsed entries → items, a story's items → its categories (a fetch
outcome → the feed's next state is `feed_state`'s). No IO; `now` and settings come in as
arguments."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from .dedupe import (
    PLATFORM_HOSTS,
    REDIRECTOR_HOSTS,
    canonical_url,
    clean_link,
    collected_from,
    content_hash,
    item_outlet,
    key_name,
    site_aliases,
    source_outlet,
)
from .entry_images import feed_logo
from .entry_rules import Rules
from .item_kinds import is_advert, is_placeholder_title, item_kind
from .lang import language_tag
from .models import (
    Entry,
    Item,
    ParsedFeed,
    Source,
)
from .outlet_names import feed_title_name
from .platforms import account_outlet
from .text import clean_text, line_words, post_text, strip_feed_template
from .titles import (
    furniture_prefixes,
    text_labels,
    title_from_text,
    without_label,
    without_prefix,
)

MAX_TEXT_CHARS = 20_000
MAX_ENTRIES_PER_FEED = 500  # a flooding feed contributes its newest entries only
MAX_SUMMARY_INPUTS = 40  # a long-running story is summarised from this many of its items
MAX_TITLE_CHARS = 500
CATEGORY_SHARE = 0.25  # a story also appears in every category holding this share of its outlets


def item_id(feed_url: str, guid: str) -> str:
    """Stable id of an item: the same feed and guid always give the same id."""
    return hashlib.sha1(f"{feed_url}\x00{guid}".encode()).hexdigest()[:16]


def outlet_name(source: Source, parsed: ParsedFeed | None) -> str:
    """How to name the outlet: the OPML title the operator wrote, else the outlet the feed's
    own title names (`feed_title_name`: "BBC News" of "BBC News - Home"), else its host. An
    OPML title that is just the feed's URL counts as none."""
    return outlet_label(
        source.url,
        source.title,
        source.html_url,
        parsed.title if parsed else None,
        parsed.link if parsed else None,
    )


def outlet_label(
    url: str,
    opml_title: str | None,
    html_url: str | None,
    feed_title: str | None,
    link: str | None = None,
) -> str:
    """`outlet_name` of a feed at `url` from what the OPML and the feed said, `link` the
    feed's own home page (the sources page names each feed as its reports are named)."""
    title = opml_outlet_name(url, opml_title, html_url)
    if title:
        return title[:200]
    if feed_title and feed_title.strip():
        return feed_title_name(feed_title.strip(), outlet_site(url, html_url, link))[:200]
    return urlsplit(url).hostname or url


def outlet_site(url: str, html_url: str | None, link: str | None) -> str:
    """The site a feed's title is read with (`outlet_label`): the feed's own home page, else
    the OPML's `htmlUrl` (http(s) only), else the feed's address."""
    return next((u for u in (link, html_url) if u and u.startswith(("http:", "https:"))), url)


def opml_outlet_name(url: str, opml_title: str | None, html_url: str | None) -> str:
    """The outlet name the operator's OPML gives the feed at `url`: its title, "" when it has
    none or that is just the feed's or its site's address."""
    title = opml_title.strip() if opml_title else ""
    if title in {url, html_url} or title.startswith(("http:", "https:")):
        return ""
    return title


def site_names(
    sources: Iterable[tuple[str, str, str | None, str | None, str | None]],
) -> dict[str, str]:
    """Outlet → the name its own feed goes by, from the listed sources' (URL, OPML title,
    htmlUrl, feed title, feed home page) (`Store.source_sites`): the first source of a site
    names it. A site on a redirector or a platform (not a channel or account there) names
    none."""
    names: dict[str, str] = {}
    for url, title, html_url, feed_title, link in sources:
        site = link or html_url
        key = item_outlet(site, site) if site else ""
        if key and key not in REDIRECTOR_HOSTS and key not in PLATFORM_HOSTS:
            names.setdefault(key, outlet_label(url, title, html_url, feed_title, link))
    return names


def named_after_sites(items: Sequence[Item], names: Mapping[str, str]) -> list[Item]:
    """`items`, each named by its outlet's domain or handle alone (a collecting feed's entry:
    `dedupe.collected_from`) taking the name the outlet's own listed feed goes by
    (`site_names`): "The Harbour Gazette", not "harbourgazette.example"."""
    out = []
    for item in items:
        name = names.get(item.outlet) if item.outlet_name == key_name(item.outlet) else None
        out.append(dataclasses.replace(item, outlet_name=name) if name else item)
    return out


def entry_to_item(
    source: Source,
    entry: Entry,
    name: str,
    now: datetime,
    text: str | None = None,
    hashed_text: str | None = None,
    site: str | None = None,
    aliases: frozenset[str] = frozenset(),
    hashed_words: Sequence[str] | None = None,
    logo: str | None = None,
    prefixes: frozenset[str] = frozenset(),
    language: str | None = None,
) -> Item:
    """Normalise one parsed entry into an item of `source`'s category.

    `text` replaces the entry's text when given (already cleaned); the content hash is taken
    over `hashed_text` when given, so that cleaning which depends on the feed's other items
    never makes an unchanged entry look edited. A missing date becomes `now`; a date in the
    future is clamped to `now`. A missing or placeholder title ("Please enable JavaScript …",
    see `item_kinds.is_placeholder_title`) is cut from the text. `aliases` are domains that
    stand for the feed's site (see `dedupe.site_aliases`); an entry whose link is a
    redirector's and which names its publisher (`Entry.source_url`, a Google News feed's) is
    that publisher's (`dedupe.source_outlet`), named as the entry names it; one whose link is
    another publisher's than the feed's site (`dedupe.collected_from`) is named by that
    publisher's domain (or handle). `hashed_words`: the words of the hashed text, when worked
    out already. `logo`: the picture the feed gives most entries (`entry_images.feed_logo`),
    never an item's. `prefixes`: the feed's furniture prefixes (`titles.furniture_prefixes`),
    left out of the title ("24 Oras: …", a programme's name); the hash takes the title whole.
    `language`: the feed's declared language tag (`lang.language_tag`), kept with the item
    unless the entry declares its own (`Entry.language`).
    """
    published = entry.published or entry.updated or now
    published = min(published, now)
    origin = source_outlet(entry.url, entry.source_url)  # (an aggregator's entry: its publisher)
    # (a collected entry's link names its publisher, by its domain: the feed's name is not it)
    foreign = "" if origin else collected_from(entry.url, site or source.html_url, aliases)
    whole = entry.title.strip()[:MAX_TITLE_CHARS]
    title = without_prefix(whole, prefixes)
    text = (entry.text if text is None else text).strip()[:MAX_TEXT_CHARS]
    if not title or (text and is_placeholder_title(title)):  # no headline: cut one from the text
        title = whole = title_from_text(text)
    return Item(
        id=item_id(source.url, entry.guid),
        title=title,
        text=text,
        url=clean_link(entry.url),
        canonical_url=canonical_url(entry.url),
        feed_url=source.url,
        guid=entry.guid,
        author=entry.author,
        published=published,
        first_seen=now,
        outlet=origin or item_outlet(entry.url, site or source.html_url, source.url, aliases),
        outlet_name=(entry.source_name or key_name(origin))
        if origin
        else key_name(foreign) or name,
        category=source.category,
        content_hash=content_hash(
            whole, text if hashed_text is None else hashed_text, hashed_words
        ),
        image=entry.image if source.images and entry.image != logo else None,
        language=entry.language or language,
    )


# A feed polled again repeats most of its entries: their text is not cleaned again.
_clean_text = functools.lru_cache(maxsize=2048)(clean_text)


def entries_to_items(source: Source, parsed: ParsedFeed, now: datetime) -> list[Item]:
    """A feed's usable entries as items (`feed_items` without the count it left out)."""
    return feed_items(source, parsed, now)[0]


def feed_items(source: Source, parsed: ParsedFeed, now: datetime) -> tuple[list[Item], int]:
    """A feed's usable entries as items, their text cleaned of boilerplate and of the feed's
    own per-item template, and how many entries the source's OPML rules left out
    (`entry_rules`; the template is found over every entry, so a rule changes no kept
    item's text; a rule that runs too long fails the feed: `entry_rules.RuleTooSlow`).
    Entries with neither title nor text, or with nothing but a placeholder title ("Tweet with
    a location", "Untitled"), are skipped; of a feed with more than MAX_ENTRIES_PER_FEED
    entries, only the newest are kept."""
    name = outlet_name(source, parsed)
    entries = list(parsed.entries)
    if len(entries) > MAX_ENTRIES_PER_FEED:
        oldest = datetime.min.replace(tzinfo=now.tzinfo)
        entries.sort(key=lambda e: e.published or e.updated or oldest, reverse=True)
        entries = entries[:MAX_ENTRIES_PER_FEED]
    site = parsed.link or source.html_url
    cleaned = [_clean_text(entry.text) for entry in entries]
    # A social account's posts (or a Mastodon hashtag feed's, whose guids are its posts')
    # read as prose: their closing links and tags left out, a tag inside a sentence its word.
    posts = bool(account_outlet(site))
    cleaned = [
        post_text(text) if posts or account_outlet(entry.guid) else text
        for entry, text in zip(entries, cleaned, strict=True)
    ]
    # Each text is split into words once: for the template check and for its content hash.
    split = [line_words(text) for text in cleaned]
    texts = strip_feed_template(cleaned, split)
    aliases = site_aliases((e.url for e in entries), site)
    logo = feed_logo([e.image for e in entries])
    prefixes = _furniture(entries, texts)
    language = language_tag(parsed.language)
    labels = _labels(texts)
    if labels:
        texts = [without_label(text, labels) for text in texts]
    items: list[Item] = []
    seen: set[str] = set()
    left_out = 0
    rules = Rules(source.exclude, source.include, source.url)
    for entry, text, own, own_lines in zip(entries, texts, cleaned, split, strict=True):
        if not (entry.title.strip() or text) or entry.guid in seen:
            continue
        if is_advert(entry.title, text, entry.url):  # adverts are never published
            continue
        if not text and is_placeholder_title(entry.title):  # nothing but a placeholder
            continue
        seen.add(entry.guid)
        if not rules.wanted(entry.title, entry.url, entry.author, entry.tags):
            left_out += 1
            continue
        own_words = list(itertools.chain.from_iterable(own_lines))  # = words(own)
        item = entry_to_item(
            source, entry, name, now, text, own, site, aliases, own_words, logo, prefixes, language
        )
        items.append(item)
    return items, left_out


def _furniture(entries: Sequence[Entry], texts: Sequence[str]) -> frozenset[str]:
    """The feed's furniture prefixes (`titles.furniture_prefixes`) but those that tell an
    item's kind ("Opinion: …", "Review: …", "JANE DOE: …"), which the title keeps."""
    titles = [entry.title.strip() for entry in entries]
    found = furniture_prefixes(titles, texts)
    return frozenset(p for p in found if item_kind(Item(id="", title=f"{p}: x")) == "news")


# A sentence the bullets would keep whole after a label that is no kind's nor theirs.
_LABELLED = "The council approved the new harbour bridge on Tuesday night."


def _labels(texts: Sequence[str]) -> frozenset[str]:
    """The feed's text labels (`titles.text_labels`) but those that mark an item's kind or
    that the bullets read ("Credit: …", "Update: …", "Q: …"), which the text keeps."""
    found = text_labels(texts)
    if not found:
        return found
    from .bullets import stand_alone  # (few feeds label their texts: not a parse worker's load)

    return frozenset(
        label
        for label in found
        if item_kind(Item(id="", title="x", text=f"{label}: {_LABELLED}")) == "news"
        and stand_alone(f"{label}: {_LABELLED}") == f"{label}: {_LABELLED}"
    )


def story_categories(items: Sequence[Item]) -> list[tuple[str, float]]:
    """A story's categories weighted by distinct outlets, main one first.

    Every category holding at least CATEGORY_SHARE of the story's outlets is kept, so a story
    never vanishes from a category that covers it substantially. Of categories with as many
    outlets, the one with more of its items leads, then the one that had it first, then
    the name (the name alone had decided: a US story two outlets covered, one filed under
    "US" and one under "Australia", led Australia's front page).
    """
    # (imported here: a parse worker builds items with this module and never needs it, nor
    # the headline and summary code it brings)
    from .story_sources import outlet_key as outlet_of

    outlets_by_category: dict[str, set[str]] = defaultdict(set)
    count: dict[str, int] = defaultdict(int)
    first: dict[str, datetime] = {}
    for item in items:
        if item.category:
            outlets_by_category[item.category].add(outlet_of(item))
            count[item.category] += 1
            when = item.published or item.first_seen
            if when is not None and (item.category not in first or when < first[item.category]):
                first[item.category] = when
    total = sum(len(v) for v in outlets_by_category.values())
    if not total:
        return []
    latest = datetime.max.replace(tzinfo=UTC)
    ranked = sorted(
        outlets_by_category,
        key=lambda name: (
            -len(outlets_by_category[name]),
            -count[name],
            first.get(name, latest),
            name,
        ),
    )
    weighted = [(name, len(outlets_by_category[name]) / total) for name in ranked]
    return [weighted[0]] + [pair for pair in weighted[1:] if pair[1] >= CATEGORY_SHARE]


def _one_per_headline(items: Sequence[Item]) -> list[Item]:
    """One item for each outlet's headline: an outlet that files one headline twice (an
    article and the collection page that leads to it) is one source, the fuller one."""
    best: dict[tuple[str, str], Item] = {}
    for item in items:
        if not item.outlet:
            continue
        key = (item.outlet, " ".join(item.title.casefold().split()))
        kept = best.get(key)
        if kept is None or len(item.text) > len(kept.text):
            best[key] = item
    chosen = {id(i) for i in best.values()}
    return [i for i in items if not i.outlet or id(i) in chosen]


def summary_inputs(items: Sequence[Item], limit: int = MAX_SUMMARY_INPUTS) -> list[Item]:
    """The items a story's summary is written from, in their original order.

    An outlet's repeated headline counts once (its fuller item). Every outlet's first item
    comes first (so each outlet is represented and counted), then the newest others, up to
    `limit`: a story that runs for days stays cheap to re-summarise.
    """
    items = _one_per_headline(items)
    if len(items) <= limit:
        return list(items)
    firsts: dict[str, Item] = {}
    for item in items:
        firsts.setdefault(item.outlet or item.feed_url, item)
    chosen = {id(i) for i in list(firsts.values())[:limit]}
    for item in reversed(items):
        if len(chosen) >= limit:
            break
        chosen.add(id(item))
    return [i for i in items if id(i) in chosen]
