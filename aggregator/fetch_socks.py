"""Fetching through a SOCKS proxy (`socks5h://`, `socks5://`, `socks4a://`, `socks4://`), with
the optional `socks` extra (aiohttp-socks). Imported only when such a proxy is configured.

aiohttp speaks to HTTP proxies per request; a SOCKS proxy is a connector of its own, so the
fetcher keeps one session per SOCKS proxy beside its direct one and picks it per hop (a
`no_proxy` host still goes direct). As curl reads the schemes, `socks5h` and `socks4a` have
the proxy resolve names (a Tor or remote network's names), `socks5` and `socks4` resolve them
here (python-socks, when connecting). The address guard is the one an HTTP proxy has: an
article page or a redirect hop whose name resolves here to an internal address is refused
before the request (`Fetcher._check_hop`).
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    import aiohttp

__all__ = ["EXTRA_NEEDED", "SCHEMES", "describe", "errors", "is_socks", "session"]

SCHEMES = ("socks5h", "socks5", "socks4a", "socks4")
_DEFAULT_PORT = 1080
# SOCKS5 replies for a connection the proxy tried: general failure, not allowed, network or
# host unreachable, refused by the host, TTL expired (RFC 1928 §6)
_REPLY_CODES = frozenset(range(1, 7))
EXTRA_NEEDED = (
    "a SOCKS proxy needs the socks extra (aiohttp-socks): pip install 'aggregator[socks]' "
    "(in a checkout: pip install '.[socks]')"
)


def is_socks(proxy: str | None) -> bool:
    """Whether `proxy` is a SOCKS proxy URL."""
    return proxy is not None and urlsplit(proxy).scheme.lower() in SCHEMES


def available() -> bool:
    """Whether the socks extra is installed."""
    try:
        import aiohttp_socks  # noqa: F401
    except ImportError:
        return False
    return True


def session(
    proxy: str, limit: int, limit_per_host: int, tls: Any = True, **options: Any
) -> aiohttp.ClientSession:
    """A client session whose every connection goes through the SOCKS proxy `proxy`, with the
    direct connector's limits and TLS context (`tls`: True for aiohttp's own); `options`: the
    session's settings, as for the direct one."""
    import aiohttp
    from aiohttp_socks import ProxyConnector, ProxyType

    parts = urlsplit(proxy)
    scheme = parts.scheme.lower()
    remote = scheme in ("socks5h", "socks4a")
    connector = ProxyConnector(
        host=parts.hostname or "",
        port=parts.port or _DEFAULT_PORT,
        proxy_type=ProxyType.SOCKS5 if scheme.startswith("socks5") else ProxyType.SOCKS4,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        rdns=remote,
        limit=limit,
        limit_per_host=limit_per_host,
        ssl=tls,
    )
    return aiohttp.ClientSession(connector=connector, **options)


def errors() -> tuple[type[BaseException], ...]:
    """What a connection through a SOCKS proxy raises besides aiohttp's own errors."""
    from aiohttp_socks import ProxyConnectionError, ProxyError, ProxyTimeoutError

    return (ProxyConnectionError, ProxyError, ProxyTimeoutError)


def describe(exc: BaseException, proxy: str) -> str | None:
    """One readable line for a SOCKS failure (None: not one), the proxy's address in it."""
    from aiohttp_socks import ProxyConnectionError, ProxyError, ProxyTimeoutError

    parts = urlsplit(proxy)
    at = f"{parts.hostname}:{parts.port or _DEFAULT_PORT}"
    message = " ".join(str(exc).split())
    if isinstance(exc, ProxyConnectionError):
        cause = exc.__cause__  # python-socks' error, an OSError
        refused = getattr(cause, "errno", None) == errno.ECONNREFUSED or "refused" in message
        return f"cannot connect to the proxy {at}: {'connection refused' if refused else message}"
    if isinstance(exc, ProxyTimeoutError):
        return f"the proxy {at} timed out"
    if isinstance(exc, ProxyError):
        if exc.error_code in _REPLY_CODES:  # the proxy took the request but could not connect
            return f"the proxy {at} could not connect: {message}"
        return f"the proxy {at} refused: {message}"  # (a login refused, a protocol error)
    return None
