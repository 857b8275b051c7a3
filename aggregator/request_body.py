"""A request's body read to its end within a time limit, by the web routes that take one (a
sign-up's form, a hub's notification): a client that goes quiet mid-body, or hangs up, is
answered (or let go) without holding its connection or logging a traceback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

__all__ = ["BODY_TIMEOUT", "BodyFailed", "body_chunks", "whole_body"]

# Seconds a request's whole body may take to arrive: the idle limit (`web.KEEPALIVE`) ends a
# connection short of its headers, not one whose body never comes; 200 of those had each held
# a connection and a file for as long as the client liked.
BODY_TIMEOUT = 30.0
_CHUNK = 65536


class BodyFailed(Exception):
    """The body did not come whole: `status` answers it (408 too slow, 413 too large, 400
    the client hung up mid-body, when nobody reads the answer)."""

    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status

    def response(self) -> web.Response:
        """The answer, closing the connection (what is left of the body is never read)."""
        answer = web.Response(status=self.status, text=f"{self}\n")
        answer.force_close()
        return answer


async def body_chunks(
    request: web.Request, max_bytes: int, timeout: float | None = None
) -> AsyncIterator[bytes]:
    """`request`'s body as it arrives: BodyFailed past `max_bytes`, when all of it has not
    come within `timeout` seconds (`BODY_TIMEOUT`), or when the client hangs up before its
    end."""
    timeout = BODY_TIMEOUT if timeout is None else timeout
    deadline = asyncio.get_running_loop().time() + timeout
    size = 0
    while True:
        try:
            async with asyncio.timeout_at(deadline):
                chunk = await request.content.read(_CHUNK)
        except TimeoutError:
            raise BodyFailed(408, f"The request's body took over {timeout:g} s.") from None
        except ConnectionError:  # ("Connection lost": aiohttp's word for a hang-up)
            raise BodyFailed(400, "The connection closed before the body's end.") from None
        if not chunk:
            return
        size += len(chunk)
        if size > max_bytes:
            raise BodyFailed(413, "Too large.")
        yield chunk


async def whole_body(request: web.Request, max_bytes: int, timeout: float | None = None) -> bytes:
    """All of `request`'s body (`body_chunks`), not the part that came first."""
    return b"".join([chunk async for chunk in body_chunks(request, max_bytes, timeout)])
