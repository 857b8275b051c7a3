"""A cap on the connections one client holds to the web server (`[server]
max_client_connections`).

Each connection is an open file, and a client may open thousands (one address has ~28,000
ports to reach one port) and hold them for the keep-alive's 75 s: the service's own fetches
then fail "Too many open files". A connection beyond the cap is answered at once with a 503
that says to retry, and closed: its file is given back as soon as it is taken. A client is
an IPv4 address, or an IPv6 /64 (one host is given a whole /64 to choose addresses from).
Connections from the reverse proxies in front (`[server] proxies`, loopback by default) are
not counted: behind a proxy every visitor comes from its address, and limiting them is the
proxy's to do.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .metrics import Network, allowed, networks

if TYPE_CHECKING:
    from .config import ServerSettings

__all__ = ["BUSY", "ClientCap", "address_key", "client_cap", "client_key"]

log = logging.getLogger("aggregator")

RETRY_AFTER = 10  # seconds a refused client is asked to wait
_SAID = (
    b"This server holds too many connections from your address; "
    b"close some, or try again in a moment.\n"
)
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Retry-After: %d\r\n"
    b"Connection: close\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (RETRY_AFTER, len(_SAID), _SAID)
)
LOG_EVERY = 60.0  # seconds between log lines about refused connections


def client_cap(server: ServerSettings) -> ClientCap | None:
    """The cap `server`'s settings ask for (None: `max_client_connections = 0`, no cap)."""
    if not server.max_client_connections:
        return None
    return ClientCap(server.max_client_connections, networks(server.proxies, "proxies"))


def client_key(peer: str | None, proxies: Sequence[Network]) -> str | None:
    """Whose a connection from `peer` is (`address_key`); None for one not counted (a
    reverse proxy's, or no IP address)."""
    if not peer or allowed(peer, proxies):
        return None
    return address_key(peer)


def address_key(written: str) -> str | None:
    """Who an IP address is as a client: an IPv4 address (also written as IPv6:
    ``::ffff:192.0.2.1``) as itself, an IPv6 address by its /64 (a home or a server is given
    a /64 and picks any address in it); None for what is no IP address."""
    try:
        address = ipaddress.ip_address(written.split("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class ClientCap:
    """Counts each client's open connections and says whether one more may open."""

    def __init__(
        self,
        limit: int,
        proxies: Sequence[Network],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.proxies = proxies
        self.clock = clock
        self.open: dict[str, int] = {}  # client → its connections open now
        self.refused = 0  # connections refused, all told
        self._unsaid = 0  # refused since the last log line
        self._said_at: float | None = None

    def admit(self, key: str) -> bool:
        """Count a new connection of `key`, unless it holds `limit` already (then False, and
        the refusal is logged: the first at once, then one line a minute at most)."""
        held = self.open.get(key, 0)
        if held < self.limit:
            self.open[key] = held + 1
            return True
        self.refused += 1
        self._unsaid += 1
        now = self.clock()
        if self._said_at is None or now - self._said_at >= LOG_EVERY:
            log.warning(
                "client %s holds %d connections, its most ([server] max_client_connections); "
                "%d more answered 503 since the last such line (a reverse proxy not on "
                "loopback is to be listed in [server] proxies)",
                key,
                held,
                self._unsaid,
            )
            self._said_at, self._unsaid = now, 0
        return False

    def release(self, key: str) -> None:
        """One of `key`'s connections closed."""
        held = self.open.get(key, 0) - 1
        if held > 0:
            self.open[key] = held
        else:
            self.open.pop(key, None)

    def protocol(self, inner: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        """A protocol factory for the listening socket: each connection is counted, and
        handed to a protocol from `inner` (the web server's) unless its client is over."""
        return lambda: _Gate(self, inner)


class _Gate(asyncio.Protocol):
    """One connection: refused with `BUSY`, or passed through to the web server's protocol
    (every call handed on), and its client's count given back when it closes."""

    __slots__ = ("_cap", "_client", "_inner", "_make")

    def __init__(self, cap: ClientCap, make: Callable[[], asyncio.Protocol]) -> None:
        self._cap = cap
        self._make = make
        self._client: str | None = None
        self._inner: asyncio.Protocol | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        key = client_key(peer[0] if isinstance(peer, tuple) and peer else None, self._cap.proxies)
        if key is not None and not self._cap.admit(key):
            if isinstance(transport, asyncio.WriteTransport):
                transport.write(BUSY)
            transport.close()  # (the file goes as soon as the answer is handed to the system)
            return
        self._client = key
        self._inner = self._make()
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._client is not None:
            self._cap.release(self._client)
            self._client = None
        if self._inner is not None:
            inner, self._inner = self._inner, None
            inner.connection_lost(exc)
