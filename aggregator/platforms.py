"""Platforms' addresses: the hosts whose pages are a player or an app rather than an
article, and which links are a social account's page or one of its posts. Pure, and light
(parse workers read it)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["POST_MARKS", "SOCIAL_HOSTS", "VIDEO_HOSTS", "account_outlet", "is_google_news_host"]

# Sites whose every page is a video's or a podcast's player: no article text to read there
# (the feed's description is the text), only a large page, or a consent wall, to fetch.
VIDEO_HOSTS = (
    "youtube.com", "youtu.be", "youtube-nocookie.com", "vimeo.com", "dailymotion.com",
    "dai.ly", "tiktok.com", "soundcloud.com", "spotify.com",
)  # fmt: skip
# Social platforms whose pages are an app's shell or a sign-in wall, never an article; a
# Mastodon server's account and post pages are told by their address (`account_outlet`).
SOCIAL_HOSTS = (
    "bsky.app", "threads.net", "threads.com", "twitter.com", "x.com", "facebook.com",
    "instagram.com", "t.me", "telegram.me",
)  # fmt: skip

# Google News: news.google.com and the regional hosts its old feeds still use, on Google's
# country domains: news.google.de, news.google.co.uk, news.google.com.au (nothing under them,
# nor a look-alike: news.google.evil.example, notnews.google.com).
_GOOGLE_NEWS_HOST = re.compile(r"news\.google\.(?:com|[a-z]{2}|co\.[a-z]{2}|com\.[a-z]{2})")


def is_google_news_host(host: str) -> bool:
    """Whether a (lower-case) host name is Google News's, any country's."""
    return _GOOGLE_NEWS_HOST.fullmatch(host) is not None


# A social account's page or one of its posts, on any host: Mastodon and the servers that
# speak its addresses ("/@name", "/@name/<id>", "/@name@their.server/<id>"), Threads
# ("/@name/post/<id>"). Another path under "/@name" (a blog's author page, a slug) is none.
_ACCOUNT_PATH = re.compile(r"/@([^/@\s]+)(?:@([^/\s]+))?(?:/\d+|/post/[0-9A-Za-z_-]+)?/?")
_BLUESKY_PATH = re.compile(r"/profile/([^/\s]+)(?:/.*)?")
# A Telegram channel's page or post ("/name", "/name/123", "/s/name" as its preview shows it;
# a feed of one, from RSSHub or a bridge, links each post so). Telegram's own pages are none.
_TELEGRAM_PATH = re.compile(r"/(?:s/)?([A-Za-z][A-Za-z0-9_]{3,31})(?:/\d+)?/?")
_TELEGRAM_HOSTS = frozenset({"t.me", "telegram.me"})
_TELEGRAM_PAGES = frozenset(
    {"joinchat", "addstickers", "addemoji", "addtheme", "share", "proxy", "socks", "login",
     "setlanguage", "iv", "contact", "confirmphone", "invoice", "boost"}
)  # fmt: skip
_HOST_PREFIXES = ("www.", "m.", "mobile.")
# What every account's or post's address holds ("/@name", Bluesky's, Telegram's): a link
# without one is told at once, unsplit (most links).
POST_MARKS = ("/@", "bsky.app/", "t.me/", "telegram.me/")


def _plain(host: str) -> str:
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix):
            return host[len(prefix) :]
    return host


def account_outlet(url: str | None) -> str:
    """The social account a link is the page of, or a post of, as an outlet of its own:
    "mastodon.social/@harbourgazette" (an account on another server is named by its own:
    "/@name@other.example/1" → "other.example/@name"), "bsky.app/profile/harbour.example",
    "t.me/harbourgazette" (a Telegram channel's). Empty for any other link."""
    if not url or not any(map(url.__contains__, POST_MARKS)):
        return ""
    try:
        parts = urlsplit(url.strip())
        host = _plain((parts.hostname or "").lower().rstrip("."))
    except ValueError:
        return ""
    if not host:
        return ""
    found = _ACCOUNT_PATH.fullmatch(parts.path)
    if found:
        name, server = found.group(1).lower(), (found.group(2) or "").lower().rstrip(".")
        return f"{_plain(server) if server else host}/@{name}"
    if host == "bsky.app":
        profile = _BLUESKY_PATH.fullmatch(parts.path)
        if profile:
            return f"bsky.app/profile/{profile.group(1).lower()}"
    if host in _TELEGRAM_HOSTS:
        channel = _TELEGRAM_PATH.fullmatch(parts.path)
        if channel and channel.group(1).lower() not in _TELEGRAM_PAGES:
            return f"t.me/{channel.group(1).lower()}"
    return ""
