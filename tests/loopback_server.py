"""A test server on 127.0.0.1 for `async with`: its port is known on entry; a subclass says
how it answers a connection (`_serve`). The tests' own proxies build on it."""

from __future__ import annotations

import asyncio
from typing import Self


class LoopbackServer:
    """Listens on a free loopback port between `async with` and its end."""

    port: int = 0

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError
