"""A feed's own request headers from the OPML: a User-Agent for a site that turns ours away,
and a Cookie for one that wants a consent or session cookie. Checked here (pure), sent by
`fetch` with the feed's requests and its entries' article pages (`Fetcher.fetch`)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = [
    "MAX_COOKIE",
    "MAX_USER_AGENT",
    "cookie_for",
    "cookie_problem",
    "same_site",
    "user_agent_problem",
]

MAX_USER_AGENT = 512  # characters; browsers send about 120
MAX_COOKIE = 4096  # characters: what a browser sends a site at most, about
# Visible ASCII and spaces: a header value that cannot split a request (no CR, LF or NUL) and
# that every server reads alike (no bytes past ASCII, whose decoding differs).
_HEADER_TEXT = r"[\x20-\x7e]*"
# RFC 6265's cookie-pair: a token name, and a value without spaces, quotes inside, commas,
# semicolons or backslashes (optionally in double quotes).
_PAIR = r"""[!#$%&'*+\-.^_`|~0-9A-Za-z]+=("?)[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*\1"""
# (patterns compiled at their first use, by `re`'s cache: a poll that checks no header, as a
# 304 pass, does not pay for them)


def _header_problem(value: str, most: int) -> str | None:
    """Why `value` cannot be sent as a header of at most `most` characters; None when it can."""
    if not value:
        return "empty"
    if len(value) > most:
        return f"longer than {most} characters"
    if not re.fullmatch(_HEADER_TEXT, value):
        return "only printable ASCII characters may be sent in a header"
    return None


def user_agent_problem(value: str) -> str | None:
    """Why `value` cannot be a User-Agent header; None when it can."""
    return _header_problem(value, MAX_USER_AGENT)


def cookie_problem(value: str) -> str | None:
    """Why `value` cannot be a Cookie header (`name=value; other=value`); None when it can.
    The message never repeats the value: it may be a login."""
    if problem := _header_problem(value, MAX_COOKIE):
        return problem
    for number, pair in enumerate(value.split(";"), 1):
        if not re.fullmatch(_PAIR, pair.strip()):
            return (
                f"part {number} is not name=value (written as a browser sends them: "
                '"name=value; other=value", no commas or spaces in a value)'
            )
    return None


_DEFAULT_PORTS = {"http": 80, "https": 443}


def same_site(origin: str, target: str) -> bool:
    """Whether a request may carry on from the URL `origin` to `target` what was given for
    `origin` (a cookie, a login): the same host, scheme and port, or http to https on the
    default ports. Never another host, or down to http."""
    try:
        was, now = urlsplit(origin), urlsplit(target)
        ports = (
            was.port or _DEFAULT_PORTS.get(was.scheme.lower()),
            now.port or _DEFAULT_PORTS.get(now.scheme.lower()),
        )
    except ValueError:
        return False
    if not was.hostname or was.hostname != now.hostname:
        return False
    schemes = (was.scheme.lower(), now.scheme.lower())
    if (*schemes, *ports) == ("http", "https", 80, 443):
        return True
    return (schemes[0], ports[0]) == (schemes[1], ports[1])


def cookie_for(feed_url: str, url: str, cookie: str | None) -> str | None:
    """A feed's `cookie` when `url` (where it is polled now, after a permanent redirect; a
    page of its entries) is on the feed's own site (`same_site`), else None."""
    if cookie is None or url == feed_url or same_site(feed_url, url):
        return cookie
    return None
