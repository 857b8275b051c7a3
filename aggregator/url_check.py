"""An http(s) address a setting names (`[publish] base_url`, `[llm] base_url`, `[fetch]
websub_callback`), checked as the settings are read. Pure."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["http_address_problem"]


def http_address_problem(
    value: str, *, bare: bool = True, query: bool = False, login: bool = True
) -> str | None:
    """Why `value` cannot be an absolute http(s) address with a host (and, `bare`, no query
    or fragment: links are made by appending paths to it; with `query`, a query is allowed,
    kept after the path, as a model server's `?api-version=`; without `login`, no user or
    password, never shown: it may be a key); None when it can. A space, a line break or
    another control character is refused: it had been published inside every link."""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return f"no spaces or control characters in an address, got {value!r}"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError for a port that is none: ":99999", ":x")
    except ValueError as exc:
        return f"not an address ({exc}): {value!r}"
    if not login and (parts.username is not None or parts.password is not None):
        return "no user or password in an address: a key goes in its own variable"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"an absolute http(s) address with a host is needed, got {value!r}"
    if bare and ((parts.query and not query) or parts.fragment):
        return f"an address without a query or fragment is needed, got {value!r}"
    return None
