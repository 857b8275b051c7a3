"""WebSub (https://www.w3.org/TR/websub/) for the published feeds: what they name and when a
hub is told. Pure: no IO (`hub_job` renders, asks and stores).

A category's feeds (and all stories', and their "top stories" flavours) name the operator's
hubs in the document and in an HTTP `Link` header, with their own address as `self`; a
search's feed names none (no one could tell a hub when it changes). When a feed's bytes
change, each hub is sent a publish notification for each of its three formats
(`hub.mode=publish`, `hub.url=<feed>`, as hubs in use take it: Google's, Superfeedr,
WebSub.rocks), and the hub fetches the feed and sends its subscribers what is new.

Whether a feed changed is read from its Atom rendering: the three formats carry the same
stories, so one digest stands for all three. What each hub was last told is kept per hub
(`pinged`), so a hub that failed is told again without telling the others twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

from aggregator.publish import FEED_FORMATS, feed_url
from aggregator.publish_settings import PublishSettings

from .backoff import doubled

__all__ = [
    "FIRST_RETRY",
    "LAST_RETRY",
    "feed_key",
    "hub_link_header",
    "news_for",
    "ping_fields",
    "retry_after",
    "topic_digest",
    "topics",
]

FIRST_RETRY = 60.0  # seconds before a hub that failed is told again; doubling
LAST_RETRY = 3600.0  # … up to an hour


def hub_link_header(hubs: Sequence[str], self_url: str) -> str | None:
    """The `Link` header a feed is served with (WebSub discovery): each hub, then the feed's
    own address; None without hubs."""
    if not hubs:
        return None
    return ", ".join([*(f'<{hub}>; rel="hub"' for hub in hubs), f'<{self_url}>; rel="self"'])


def feed_key(slug: str, top: bool) -> str:
    """A feed's name in what was pinged: its slug, and "/top" for the flavour."""
    return f"{slug}/top" if top else slug


def topics(key: str, settings: PublishSettings) -> list[str]:
    """The addresses (one per format) of the feed named `key` (`feed_key`)."""
    slug, _, flavour = key.partition("/")
    return [feed_url(slug, fmt, settings, top=flavour == "top") for fmt in FEED_FORMATS]


def topic_digest(body: bytes) -> str:
    """What a feed's rendering is remembered by."""
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def news_for(
    hubs: Iterable[str],
    current: Mapping[str, str],
    pinged: Mapping[str, Mapping[str, str]],
) -> dict[str, list[str]]:
    """Per hub, the feeds (keys of `current`, feed key → digest) whose digest is not the one
    that hub was last told of (`pinged`: hub → feed key → digest); hubs with none left out."""
    due: dict[str, list[str]] = {}
    for hub in hubs:
        told = pinged.get(hub, {})
        keys = [key for key, digest in current.items() if told.get(key) != digest]
        if keys:
            due[hub] = keys
    return due


def ping_fields(topic: str) -> list[tuple[str, str]]:
    """The form a hub is sent for one changed feed address."""
    return [("hub.mode", "publish"), ("hub.url", topic)]


def retry_after(failures: int) -> float:
    """Seconds before a hub that failed `failures` times in a row is told again."""
    return doubled(FIRST_RETRY, failures - 1, LAST_RETRY)
