"""The service's own site, which is never a source: its feeds carry its own summaries, which
polled would come back as one more outlet's reports, summarised again, in a loop.

The site is at the addresses its links are made from (`[publish] base_url`, when configured)
and at the address the server listens on (`[server] host` and `port`, or `run`'s `--host` and
`--port`): an address under either is the site's. A listening address that is loopback or
every interface is reached at any loopback name (`localhost`, `127.0.0.1`, `[::1]`) on its
port, but one loopback address (`127.0.0.1`) not at another (`[::1]`, `127.0.0.2`); http and
https on their default ports are one site. Pure: nothing is asked of the
network (a name that resolves to this machine otherwise is not known here).
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit

if TYPE_CHECKING:
    from .config import Settings

__all__ = ["OWN_SITE", "own_base_of", "own_bases", "own_site_said", "site_bases"]

# Why an address of the site is refused (`add`, `import`) or skipped (the OPML's reload).
# It names where the address is the site's from: a local upstream (an RSS-Bridge) on the port
# of `[server]` that only `poll` runs beside is refused, and is let in by another port there.
OWN_SITE = (
    "is this service's own site ({base}, {whence}): its feeds carry its own summaries, which "
    "polled would come back as one more outlet's reports, in a loop; list the outlets' own feeds"
)
_BY_BASE_URL = "by [publish] base_url"
_BY_LISTENING = (
    "where it listens: [server] host and port; for a local upstream on that port, set another "
    "port there: `run --port` moves only that run's server"
)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_EVERY_INTERFACE = ("", "0.0.0.0", "::")


def own_bases(base_url: str, public: bool, host: str, port: int) -> tuple[str, ...]:
    """The base addresses of the site: where the server listens (`host`, `port`) and, when
    `public` (configured, not the default), `base_url`."""
    shown = "0.0.0.0" if host in _EVERY_INTERFACE else host
    listen = f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"
    return tuple(dict.fromkeys([base_url, listen] if public else [listen]))


def site_bases(settings: Settings) -> tuple[str, ...]:
    """`own_bases` of `settings` (`run` puts the address it listens at in `[server]`)."""
    publish, server = settings.publish, settings.server
    return own_bases(publish.base_url, publish.public_base_url, server.host, server.port)


def own_base_of(url: str, bases: Sequence[str]) -> str | None:
    """The base of `bases` that `url` is under (the site's own address), else None."""
    place = _split(url)
    if place is None:
        return None
    host = None  # (`_host` of `place`, made when a base's port matches)
    for base, site, own in _sites(tuple(bases)):
        if not _same_port(place, site):
            continue
        host = _host(place) if host is None else host
        if _same_host(host, own):
            path = place.path or "/"
            prefix = site.path or "/"
            if not prefix.endswith("/"):
                prefix += "/"
            if path.startswith(prefix) or f"{path}/" == prefix:
                return base
    return None


@functools.lru_cache(maxsize=8)
def _sites(bases: tuple[str, ...]) -> tuple[tuple[str, SplitResult, str], ...]:
    """Each base of `bases` that is a site's address, split, with its `_host` (made once:
    the OPML's reload asks for every feed against the same bases)."""
    return tuple((base, site, _host(site)) for base in bases if (site := _split(base)) is not None)


def own_site_said(base: str, bases: Sequence[str]) -> str:
    """`OWN_SITE` for `base`, one of `bases` (`own_bases`: the listening address last), naming
    where that address is the site's from: the operator's way around it differs (a local
    upstream on the listening port is let in by another port in `[server]`)."""
    listening = bool(bases) and base == bases[-1]
    return OWN_SITE.format(base=base, whence=_BY_LISTENING if listening else _BY_BASE_URL)


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (a port that is no number raises here)
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return parts


def _host(parts: SplitResult) -> str:
    """The host in one spelling: a name in lower case without the root's dot; an address as
    `ipaddress` writes it (`[0:0::1]` as `::1`, an IPv4 one in IPv6, `[::ffff:127.0.0.1]`, and
    one written short, `127.1`, as the IPv4 address a client connects to)."""
    name = (parts.hostname or "").lower().rstrip(".")
    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        if not name or name.strip("0123456789.") or name.count(".") > 3:
            return name
        try:  # (as the resolver reads it: no request)
            address = ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return name
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def _loopback(host: str) -> bool:
    """Whether `host` (`_host`'s) is this machine's: a loopback name or address, or an
    unspecified one (`0.0.0.0`, `::`), which a client's connection takes for loopback."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _same_host(host: str, own: str) -> bool:
    """Whether a URL at `host` reaches a site at `own` (both `_host`'s)."""
    if host == own:
        return True
    if not _loopback(host) or not (own in _EVERY_INTERFACE or _loopback(own)):
        return False
    # (a server on loopback or every interface is reached at any loopback name; one on one
    # loopback address is not at another, `127.0.0.2` or `[::1]`, where a local upstream may
    # listen on the same port)
    here, there = _address(host), _address(own)
    if here is None or there is None or there.is_unspecified:
        return True
    if here.is_unspecified:  # (a connection to 0.0.0.0 goes to 127.0.0.1; to [::], [::1])
        here = ipaddress.ip_address("127.0.0.1" if here.version == 4 else "::1")
    return here == there


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _same_port(place: SplitResult, site: SplitResult) -> bool:
    here, there = _port(place), _port(site)
    if here == _default_port(place) and there == _default_port(site):
        return True  # (http and https, each on its default port, written or not: one site)
    return here == there


def _default_port(parts: SplitResult) -> int:
    return _DEFAULT_PORTS[parts.scheme.lower()]


def _port(parts: SplitResult) -> int:
    return parts.port or _default_port(parts)
