"""Passwords in URLs (a private feed's `https://user:password@host/feed` or `?token=…`, a
proxy's) kept out of what is shown: log lines, `aggregator status`, `add`/`import`/`remove`,
a refused sources edit on /healthz; and logins kept out of links. Pure."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["hide_passwords", "without_userinfo"]

# scheme://user:password@ — the user stays (it says which account), the password goes; a
# lone `token@` goes whole (services put their tokens there). The user information runs to
# the authority's last "@", as a browser reads it: a password written with an "@" in it
# ("p@ss") had shown what came after that "@".
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^\s/?#]*)@")


def _hidden(match: re.Match[str]) -> str:
    scheme, info = match.group(1, 2)
    user, colon, _ = info.partition(":")
    return f"{scheme}{user}:***@" if colon else f"{scheme}***@"


# A query parameter that holds a secret by its name (a private feed's `?token=…`, `&apikey=…`):
# its value goes, the name stays (it says which parameter).
_SECRET_PARAMETER = re.compile(
    r"(?i)([?&;](?:[a-z0-9_.-]*[_.-])?(?:token|key|apikey|secret|password|passwd|pwd|pass|auth|"
    r"sig|signature|session|sessionid|sid|hash)=)[^&;#\s\"'<>]+"
)


def hide_passwords(text: str) -> str:
    """`text` with the password (or lone token) of every URL in it replaced by `***`, and
    the value of every query parameter named for a secret (`?token=`, `&api_key=`)."""
    if "@" in text:
        text = _USERINFO.sub(_hidden, text)
    if "=" in text:
        text = _SECRET_PARAMETER.sub(r"\1***", text)
    return text


def without_userinfo(url: str) -> str:
    """`url` without `user:password@`: what a link resolved against a private feed's address,
    or published from upstream, may carry (`https://www.bbc.co.uk@evil.example/` is a link to
    evil.example, shown as such)."""
    if "@" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
