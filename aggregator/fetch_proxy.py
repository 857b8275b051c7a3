"""Which proxy, if any, a fetch goes through: `[fetch] proxy` and `no_proxy`, else the
environment's `https_proxy`, `http_proxy`, `all_proxy` and `no_proxy` as curl and Python's
urllib read them (lower case first, then upper case). Pure: the environment is passed in.

HTTP proxies (plain `http://`, or `https://` for a TLS connection to the proxy itself): an
https feed goes through a CONNECT tunnel, a plain one as an absolute-form request. SOCKS
proxies (`socks5h://`, `socks5://`, `socks4a://`, `socks4://`) with the `socks` extra (see
`fetch_socks`). A proxy URL may carry `user:password@`, sent to the proxy and never shown.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from aggregator.fetch_socks import SCHEMES as SOCKS_SCHEMES
from aggregator.url_secrets import hide_passwords

__all__ = ["DIRECT", "Proxies", "bypassed", "check_proxy", "proxies"]

DIRECT = "none"  # `[fetch] proxy = "none"`: every fetch direct, the environment ignored
_SCHEMES = ("http", "https")  # the variables' schemes (`http_proxy`, `https_proxy`)
_PROXY_SCHEMES = ("http", "https", *SOCKS_SCHEMES)


def check_proxy(url: str, where: str = "proxy") -> str:
    """`url` when it names an HTTP(S) or SOCKS proxy (scheme, host, optional port and
    credentials); ValueError naming `where` otherwise."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (a bad port raises here)
    except ValueError as exc:
        raise ValueError(f"{where}: invalid proxy URL ({exc})") from None
    if "://" not in text:  # ("proxy:3128", which had been read as a scheme "proxy")
        shown = hide_passwords(f"http://{text}")  # (its password never shown)
        raise ValueError(
            f"{where}: {shown.removeprefix('http://')!r} has no scheme: write it as "
            f"{shown!r} (or socks5h://…)"
        )
    if parts.scheme.lower() not in _PROXY_SCHEMES:
        shown = parts.scheme or "none"
        raise ValueError(
            f"{where}: proxy scheme '{shown}' is not supported (http://, https://, socks5h://, "
            "socks5://, socks4a:// or socks4:// proxies only)"
        )
    if not parts.hostname:
        raise ValueError(f"{where}: proxy URL has no host")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ValueError(f"{where}: a proxy URL is scheme, host and port only, not a path")
    return text


@dataclass(frozen=True, slots=True)
class Proxies:
    """The proxy for each URL scheme (None: direct), the hosts always reached directly, and
    where the choice came from (a setting or the variables' names), for the log."""

    http: str | None = None
    https: str | None = None
    bypass: tuple[str, ...] = ()
    origin: str = ""

    def __bool__(self) -> bool:
        return bool(self.http or self.https)

    def for_url(self, scheme: str, host: str, port: int | None) -> str | None:
        """The proxy a request to `scheme://host:port` goes through, or None (direct)."""
        proxy = self.https if scheme.lower() == "https" else self.http
        if proxy is None or bypassed(host, port, self.bypass):
            return None
        return proxy

    def describe(self) -> str:
        """One log line's worth, credentials left out."""
        if self.http == self.https:
            line = f"fetching http and https through proxy {hide_passwords(self.http or '')}"
        else:
            routes = [f"{s} via {hide_passwords(p)}" for s, p in (("http", self.http),
                      ("https", self.https)) if p]  # fmt: skip
            line = f"fetching through proxies: {', '.join(routes)}"
        line += f" (from {self.origin})" if self.origin else ""
        if self.bypass:
            line += f"; direct to {', '.join(self.bypass)}"
        return line


def _entries(text: str) -> tuple[str, ...]:
    return tuple(e.strip().lower() for e in text.replace(" ", ",").split(",") if e.strip())


def proxies(proxy: str, no_proxy: tuple[str, ...], env: Mapping[str, str]) -> Proxies:
    """The proxies of the settings `proxy` and `no_proxy`, the environment filling in what
    they leave unset. ValueError naming the setting or variable when a proxy URL is unusable
    (a SOCKS proxy, a path, no host)."""

    def variable(*names: str) -> tuple[str, str] | None:
        for name in names:
            for spelled in (name, name.upper()):
                value = env.get(spelled, "").strip()
                if value:
                    return spelled, value
        return None

    bypass = tuple(e.strip().lower() for e in no_proxy if e.strip())
    if not bypass:
        found = variable("no_proxy")
        bypass = _entries(found[1]) if found else ()
    chosen = proxy.strip()
    if chosen.lower() == DIRECT:
        return Proxies()
    if chosen:
        url = check_proxy(chosen, "[fetch] proxy")
        return Proxies(http=url, https=url, bypass=bypass, origin="[fetch] proxy")
    every = variable("all_proxy")
    by_scheme: dict[str, str | None] = {}
    origins: list[str] = []
    for scheme in _SCHEMES:
        found = variable(f"{scheme}_proxy") or every
        if found is None:
            by_scheme[scheme] = None
            continue
        name, value = found
        try:
            by_scheme[scheme] = check_proxy(_with_scheme(value), name)
        except ValueError as exc:
            raise ValueError(
                f"{exc}; set [fetch] proxy (AGGREGATOR_FETCH_PROXY) to a proxy, "
                f'or to "{DIRECT}" to fetch directly'
            ) from None
        if name not in origins:
            origins.append(name)
    if not any(by_scheme.values()):
        return Proxies()
    return Proxies(
        http=by_scheme["http"],
        https=by_scheme["https"],
        bypass=bypass,
        origin=", ".join(origins),
    )


def _with_scheme(value: str) -> str:
    """A variable's proxy as curl reads it: `proxy:3128` means `http://proxy:3128`."""
    return value if "://" in value else f"http://{value}"


def bypassed(host: str, port: int | None, entries: tuple[str, ...]) -> bool:
    """Whether `no_proxy` entries send `host` direct: `*` (every host), a name and its
    subdomains (`example.org` or `.example.org`), `name:port`, an address or a network
    (`10.0.0.0/8`, `::1`)."""
    name = host.lower().rstrip(".").strip("[]")
    address = _ip(name)
    for entry in entries:
        if entry == "*":
            return True
        wanted, want_port = entry, None
        if entry.count(":") == 1 and not entry.endswith("]"):  # name:port (not IPv6)
            head, _, tail = entry.partition(":")
            if tail.isdigit():
                wanted, want_port = head, int(tail)
        if want_port is not None and port != want_port:
            continue
        wanted = wanted.strip("[]").rstrip(".")
        if address is not None and "/" in wanted:
            try:
                if address in ipaddress.ip_network(wanted, strict=False):
                    return True
            except ValueError:
                pass
            continue
        wanted = wanted.lstrip(".")
        if wanted and (name == wanted or name.endswith("." + wanted)):
            return True
    return False


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None
