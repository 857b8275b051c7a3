"""What of aiohttp the fetcher uses, imported with the fetcher's first request: a pass that
fetches nothing (a cron `poll --once` with no feed due) never imports aiohttp.

aiohttp itself comes in through fetch_tls, which puts off reading the CA bundle until TLS is due.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

# First: aiohttp imported with its CA bundle reading put off until TLS is due (fetch_tls).
from aggregator.fetch_tls import cas_pending, trusting_too

# isort: split
import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.resolver import DefaultResolver
from yarl import URL

from aggregator.fetch import (
    IPAddress,
    PrivateAddressError,
    _address,
    _one_line,
    is_metadata_address,
)

__all__ = [
    "URL",
    "DefaultResolver",
    "GuardedResolver",
    "HttpProcessingError",
    "InterimCapped",
    "aiohttp",
    "cas_pending",
    "http_url",
    "trusting_too",
]


class GuardedResolver(AbstractResolver):
    """The connector's resolver: a host that resolves to an internal address is refused unless
    the operator listed a feed on it. Checked when connecting, so DNS that answers differently
    between our redirect check and the connection (rebinding) gains nothing."""

    def __init__(
        self,
        inner: AbstractResolver,
        internal: Callable[[IPAddress], bool],
        listed: set[str],
        local: set[str] | None = None,
        hops: set[str] | None = None,
    ) -> None:
        self.inner = inner
        self.internal = internal
        self.listed = listed
        # listed hosts found inside the network (a bridge on this machine): `Fetcher.is_local`
        self.local = local if local is not None else set()
        # hosts an intranet host redirected to: listed, but never answered at a link-local
        # or cloud metadata address (`Fetcher._intranet_hop`)
        self.hops = hops if hops is not None else set()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self.inner.resolve(host, port, family)
        name = host.lower()
        for result in results:  # (every answer: the connector tries the next when one fails)
            address = _address(result["host"])
            if address is None or self.internal(address):
                if name not in self.listed or (
                    name in self.hops and (address is None or is_metadata_address(address))
                ):
                    raise PrivateAddressError(f"{host} resolves to a private address ({address})")
                self.local.add(name)
        return results

    async def close(self) -> None:
        await self.inner.close()


# Interim (1xx) answers read before a response at most: a request never asks for one ("Expect:
# 100-continue"); a server may send a few of its own (103 Early Hints).
MAX_INTERIM = 8


class InterimCapped(aiohttp.ClientResponse):
    """The sessions' response: one whose server sends more than `MAX_INTERIM` interim
    answers fails. aiohttp reads interim answers in a loop that does not pause while any is
    buffered: a server sending "100 Continue" without end held the event loop ~1 s at a time
    (every other fetch, the web server) until well past the fetch's total timeout."""

    async def start(self, connection: Any) -> aiohttp.ClientResponse:
        protocol: Any = getattr(connection, "protocol", None)
        read = getattr(protocol, "read", None)
        if read is None or getattr(read, "counted", False):
            return await super().start(connection)
        interim = 0

        async def counted() -> Any:
            nonlocal interim
            message, payload = await read()
            if 100 <= message.code <= 199 and message.code != 101:
                interim += 1
                if interim > MAX_INTERIM:
                    raise HttpProcessingError(
                        message=f"more than {MAX_INTERIM} interim (1xx) answers"
                    )
            return message, payload

        counted.counted = True  # type: ignore[attr-defined]
        try:  # (aiohttp's internals: a protocol that takes no attribute is read uncounted)
            protocol.read = counted
        except (AttributeError, TypeError):
            return await super().start(connection)
        try:
            return await super().start(connection)
        finally:
            del protocol.read


def http_url(url: str) -> URL:
    """``url`` parsed; ValueError with a readable message unless it is an absolute http(s) URL."""
    try:
        parsed = URL(url.strip())
    except (ValueError, TypeError) as exc:
        raise ValueError(f"invalid URL: {_one_line(exc)}") from exc
    if not parsed.scheme:  # ("example.org/feed": had been "unsupported URL scheme 'none'")
        raise ValueError("no http:// or https:// in front of the address")
    if parsed.scheme not in ("http", "https"):
        raise ValueError(f"unsupported URL scheme '{parsed.scheme}' (only http and https)")
    if not parsed.host:
        raise ValueError("invalid URL: no host")
    return parsed
