"""A summary's sources: which outlets a story has, how they are named, counted and ordered.

Pure. Outlets are told apart by `Item.outlet` (the link's registrable host, set at ingestion),
so one outlet's several feeds count once, and its own channel on a video platform that goes
by its name is the outlet too. Display names come from the item's `outlet_name`,
which ingestion takes from the operator's OPML title first, then the feed's own title; where
that name would cover two outlets of one story, the other one is named by its host.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence

from .dedupe import PLATFORM_HOSTS, key_name
from .dedupe import outlet_key as url_outlet
from .headline import clean as clean_title
from .item_kinds import KIND_LABELS
from .models import Item, SourceRef
from .outlet_names import (
    DOMAIN_NAME,
    TITLE_PARTS,
    bare_name,
    borne_out,
    compact,
    domain_label,
    written_name,
)
from .titles import own_outlet

__all__ = [
    "distinct_names",
    "order",
    "outlet_count",
    "outlet_key",
    "outlet_keys",
    "source_ref",
]


def outlet_key(item: Item) -> str:
    """What tells outlets apart: outlet, else outlet name, else URL host, else the item id."""
    if item.outlet.strip():
        return item.outlet.strip().lower()
    if item.outlet_name.strip():
        return item.outlet_name.strip().casefold()
    for url in (item.url, item.canonical_url, item.feed_url):
        host = url_outlet(url)
        if host:
            return host
    return f"item:{item.id}"


def outlet_keys(items: Sequence[Item]) -> list[str]:
    """Each item's `outlet_key`, one feed's copies of one report counted as one outlet: items
    that one feed carried under the same title, one's text the start of the other's (a sister
    site's copy of a report, linked to the sister's host, or a shorter teaser of it), take one
    key: the feed's own host when one of them is on it, else the first in key order."""
    keys = _channels_as_their_outlet(items, [outlet_key(item) for item in items])
    copies: dict[tuple[str, str], list[int]] = {}
    for index, item in enumerate(items):
        title = " ".join(item.title.split()).casefold()
        if item.feed_url and title:
            copies.setdefault((item.feed_url, title), []).append(index)
    for (feed, _), indexes in copies.items():
        if len({keys[i] for i in indexes}) < 2:
            continue
        home = url_outlet(feed)
        texts = {i: " ".join(items[i].text.split()) for i in indexes}
        for i in indexes:
            for j in indexes:
                if keys[i] != keys[j] and texts[i].startswith(texts[j]):
                    keys[i] = keys[j] = (
                        home if home in (keys[i], keys[j]) else min(keys[i], keys[j])
                    )
    return keys


def _is_channel(key: str) -> bool:
    """Whether an outlet key is a channel or account on a platform ("youtube.com/channel/…",
    "mastodon.social/@…": `platforms.account_outlet`)."""
    host, slash, path = key.partition("/")
    return bool(slash) and (host in PLATFORM_HOSTS or path.startswith("@"))


def _channels_as_their_outlet(items: Sequence[Item], keys: list[str]) -> list[str]:
    """`keys` with a platform channel that goes by the name of exactly one other outlet of
    the story taken as that outlet: a news site's own video channel ("CNN" on YouTube beside
    "CNN" on cnn.com) is the same outlet, and one outlet with two names of its own would read
    "CNN, youtube.com/channel/…" under "2 sources"."""
    channels = [_is_channel(key) for key in keys]
    merged = list(keys)
    # its exact name first, then its name bare of what tells a channel from its site ("CNN
    # (video)", "Fox News Video", "GMA News TV" are CNN's, Fox News', GMA News' own)
    for named in (lambda n: n.strip().casefold(), bare_name):
        names = [named(item.outlet_name) for item in items]
        by_name: dict[str, set[str]] = {}
        for name, key, channel in zip(names, keys, channels, strict=True):
            if name and not channel:
                by_name.setdefault(name, set()).add(key)
        for index, (name, channel) in enumerate(zip(names, channels, strict=True)):
            owners = by_name.get(name, set())
            if channel and merged[index] == keys[index] and len(owners) == 1:
                merged[index] = next(iter(owners))
    # then a site's feed under its own title, which names the outlet in one part of it ("CNN"
    # in "CNN.com - RSS Channel - App International Edition", "GMA News" in "GMA News Online
    # / News"), or by its domain ("Fox News" of foxnews.com, "Daily Mail" of dailymail.co.uk)
    by_form: dict[str, set[str]] = {}
    borne: set[tuple[str, str]] = set()  # (a form, the site whose domain bears it out)
    for item, key, channel in zip(items, keys, channels, strict=True):
        if not channel:
            for form, sure in _site_forms(item.outlet_name, key).items():
                by_form.setdefault(form, set()).add(key)
                if sure:
                    borne.add((form, key))
    for index, (item, channel) in enumerate(zip(items, channels, strict=True)):
        if not channel or merged[index] != keys[index]:
            continue
        forms = _channel_forms(item)
        owners = set().union(*(by_form.get(form, set()) for form in forms))
        if len(owners) == 1 and any((form, *owners) in borne for form in forms):
            merged[index] = next(iter(owners))
    return merged


def _site_forms(name: str, key: str) -> dict[str, bool]:
    """What a site's feed title and outlet may name the site by, to match its channel's name,
    each with whether the site's domain bears it out: for an outlet that is a domain, its
    first label after a dot (`domain_label`; ".foxnews": a channel's whole name only,
    `_channel_forms`, is matched with it), and the title's first and last parts bare
    (`bare_name`; `written_name`: "CNN.com" by its first label), borne out where that label holds
    them or they hold it (`borne_out`). A section's name sits first or last as often as the
    outlet's ("BBC News - Home", "Breaking News | Daily Telegraph", "WSJ.com: World News"):
    a part not borne out names no channel ("World News" is not the site's), but still makes
    a name two sites could own."""
    label = domain_label(key)
    # (a label that is a channel's word only, "news" of news.com.au, names no channel "News")
    forms = {f".{label}": True} if bare_name(label) else {}
    parts = TITLE_PARTS.split(name)
    for part in {parts[0], parts[-1]}:
        bare = bare_name(written_name(part.strip()))
        if bare:
            forms[bare] = forms.get(bare, False) or borne_out(bare, label)
    return forms


def _channel_forms(item: Item) -> set[str]:
    """A channel's name bare (`bare_name`) and written as a domain's label would ("Fox News":
    "fox", "foxnews"), and that after a dot, the one a domain's label is matched with
    (".foxnews": "ABC News" is not abc.es's, nor "Fox News" fox.com's)."""
    written = compact(item.outlet_name)
    return {bare_name(item.outlet_name), written, f".{written}"} - {"", "."}


def outlet_count(items: Iterable[Item]) -> int:
    """Distinct outlets among `items`: the N of "Summary based on N sources" (no cap; one
    feed's copies of one report count once, as `outlet_keys` tells)."""
    return len(set(outlet_keys(list(items))))


def source_ref(item: Item, kind: str = "news") -> SourceRef:
    """One source as readers see it: outlet name, clean title, link, date, kind label."""
    outlet = (
        item.outlet_name.strip() or item.outlet.strip() or url_outlet(item.url or item.feed_url)
    )
    return SourceRef(
        outlet=outlet,
        title=clean_title(item.title, own_outlet(item.outlet_name, item.outlet))
        or item.title.strip(),
        url=item.url,
        published=item.published,
        item_id=item.id,
        label=KIND_LABELS.get(kind, ""),
    )


def distinct_names(
    sources: Sequence[SourceRef], outlets: Sequence[str], homes: Sequence[str] = ()
) -> list[SourceRef]:
    """Sources named so that the outlets they count as are told apart: a feed that carries a
    sister site's report names it after itself ("Example Times" on a link to
    examplepost.com), and "Summary based on 2 sources" would list one name twice. Where one
    name covers several outlets (`outlets`, one key a source, as `outlet_key` gives), the
    outlet with most sources under that name keeps it (on a tie the one its feed is on, by
    `homes`, the hosts of the sources' feeds; then the first listed), and the others are
    named by their outlet's host. A source named by its outlet's domain alone (a collecting
    feed's entry, `dedupe.collected_from`) takes the name the outlet's own feed gives it in
    the story ("BBC News", not "bbc.co.uk")."""
    sources = _own_names(sources, outlets)
    keys: dict[str, Counter[str]] = {}
    home: dict[str, set[str]] = {}
    for index, (source, key) in enumerate(zip(sources, outlets, strict=True)):
        keys.setdefault(source.outlet, Counter())[key] += 1
        if index < len(homes) and homes[index] == key:
            home.setdefault(source.outlet, set()).add(key)
    if all(len(counted) == 1 for counted in keys.values()):
        return list(sources)
    owner = {}
    for name, counted in keys.items():
        ranked = list(counted)  # (first listed first)
        owner[name] = max(ranked, key=lambda k: (counted[k], k in home.get(name, ())))
    return [
        source
        if owner[source.outlet] == key or key.startswith("item:")
        else dataclasses.replace(source, outlet=key)
        for source, key in zip(sources, outlets, strict=True)
    ]


def _own_names(sources: Sequence[SourceRef], outlets: Sequence[str]) -> Sequence[SourceRef]:
    """`sources`, each named by its domain alone taking the first other name its outlet has
    (not another outlet's domain: a sister site's report that a feed carries, counted as the
    feed's outlet, names no report on the feed's own site)."""
    bare = [
        source.outlet.casefold() in (key, key_name(key))
        for source, key in zip(sources, outlets, strict=True)
    ]
    if not any(bare):
        return sources
    names: dict[str, str] = {}
    for source, key, domain in zip(sources, outlets, bare, strict=True):
        if not domain and not _other_domain(source.outlet, key):
            names.setdefault(key, source.outlet)
    return [
        dataclasses.replace(source, outlet=names[key]) if domain and key in names else source
        for source, key, domain in zip(sources, outlets, bare, strict=True)
    ]


def _other_domain(name: str, key: str) -> bool:
    """Whether a source's name is a domain of another outlet than its own (`key`)."""
    return bool(DOMAIN_NAME.fullmatch(name.strip())) and url_outlet(name) != key


def order(items: Sequence[Item]) -> list[Item]:
    """Sources by publication time (undated last), ties broken so the order is total."""
    return sorted(
        items,
        key=lambda it: (
            it.published is None,
            it.published.timestamp() if it.published else 0.0,
            outlet_key(it),
            it.url or "",
            it.id,
            it.title,
        ),
    )
