"""The feeds a web page advertises (`<link rel="alternate" type="…" href>`) and its title,
and the feeds a platform keeps at known addresses. Pure: `sources.discover` follows them,
and the parser names them when a feed's address turns out to be a page."""

from __future__ import annotations

import contextlib
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urljoin, urlsplit

__all__ = ["FEED_ELSEWHERE", "FEED_TYPES", "advertised_feeds", "feed_elsewhere", "known_feed"]

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
FEED_ELSEWHERE = "its feed is at"  # how `feed_elsewhere`'s reason opens


def feed_elsewhere(feed: str) -> str:
    """Why a page listed as a feed is none, naming its feed (the address first: `status`
    shows a reason's first 80 characters)."""
    return (
        f"{FEED_ELSEWHERE} {feed} (this address is a web page: list that one instead; "
        "`aggregator add` finds a page's feed)"
    )


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


_YOUTUBE = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com"})
_YOUTUBE_FEED = "https://www.youtube.com/feeds/videos.xml?"
_CHANNEL = re.compile(r"/channel/(UC[\w-]{22})(?:/|$)")
_USER = re.compile(r"/user/([\w.-]{1,100})(?:/|$)")
_PLAYLIST = re.compile(r"[\w-]{10,64}")


_REDDIT = frozenset({"reddit.com", "www.reddit.com", "old.reddit.com", "new.reddit.com"})
_SUBREDDIT = re.compile(r"/(r|user|u)/([\w-]{2,50})/?$")
_BLUESKY = re.compile(r"/profile/([\w.:-]{3,253})/?")
# A Mastodon account's page on its server, or a remote one's seen from another server
# ("/@name@their.server"); the servers that speak Mastodon's addresses keep its feed beside it.
_ACCOUNT = re.compile(r"/@(\w{1,100})(?:@([\w-]+(?:\.[\w-]+)+))?/?")
_MEDIUM = frozenset({"medium.com", "www.medium.com"})
# Platforms whose "/@name" pages give no feed (YouTube's handle pages name theirs).
_NO_ACCOUNT_FEED = frozenset(
    {"threads.net", "www.threads.net", "threads.com", "www.threads.com", "tiktok.com",
     "www.tiktok.com", "x.com", "twitter.com", "www.instagram.com", "instagram.com"}
)  # fmt: skip


def known_feed(url: str) -> str | None:
    """The feed of the page `url` where its platform keeps it at a known address, or None: a
    YouTube channel's (`/channel/UC…`, `/user/NAME`) or playlist's (`/playlist?list=…`, or a
    video watched in one), a subreddit's or a Reddit user's (`/r/NAME`, `/user/NAME`), a
    Bluesky account's (`/profile/HANDLE`), a Mastodon account's (`/@name` on any server but
    a platform's; `/@name@server` on its own server) and a Medium author's. Their pages say
    so too, but YouTube's is a consent page in the EU and Reddit's often refuses programs; a
    YouTube handle's (`/@name`) is found only on its page."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = parts.hostname or ""
    if host in _REDDIT:
        found = _SUBREDDIT.match(parts.path)
        if found is None:
            return None
        kind = "r" if found[1] == "r" else "user"
        return f"https://www.reddit.com/{kind}/{found[2]}/.rss"
    if host == "bsky.app":
        profile = _BLUESKY.fullmatch(parts.path)
        return f"https://bsky.app/profile/{profile[1]}/rss" if profile else None
    if host not in _YOUTUBE:
        account = _ACCOUNT.fullmatch(parts.path)
        if account is None or host in _NO_ACCOUNT_FEED:
            return None
        if host in _MEDIUM:
            return f"https://medium.com/feed/@{account[1]}"
        server = account[2] or parts.netloc.rpartition("@")[2]
        return f"https://{server}/@{account[1]}.rss"
    if channel := _CHANNEL.match(parts.path):
        return f"{_YOUTUBE_FEED}channel_id={channel[1]}"
    if user := _USER.match(parts.path):
        return f"{_YOUTUBE_FEED}user={quote(user[1])}"
    playlist = parse_qs(parts.query).get("list", [""])[0]
    if parts.path in ("/playlist", "/watch") and _PLAYLIST.fullmatch(playlist):
        return f"{_YOUTUBE_FEED}playlist_id={playlist}"
    return None
