"""The callback routes of `aggregator run`'s web server for upstream hubs (`push`): a hub's
check of a subscription request (GET, answered with its challenge when the request is ours)
and its notifications (POST, whose signature must check). Writes go through the service's
writer (`PushJob`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .request_body import BodyFailed, body_chunks

if TYPE_CHECKING:
    from .push_job import PushJob

__all__ = ["add_push_routes"]

_KEY = "{key:[A-Za-z0-9_-]{24,64}}"


def add_push_routes(app: web.Application, push: PushJob, max_bytes: int) -> None:
    """Route `/websub/<key>` to `push` (notifications of at most `max_bytes`)."""

    async def check(request: web.Request) -> web.Response:
        query = {k: v for k, v in request.query.items() if k.startswith("hub.")}
        challenge = await push.verify(request.match_info["key"], query)
        if challenge is None:
            return web.Response(status=404, text="No such subscription request.\n")
        return web.Response(text=challenge, content_type="text/plain")

    async def notified(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > max_bytes:
            return web.Response(status=413, text="Too large.\n")
        try:
            found = await push.receive(
                request.match_info["key"],
                body_chunks(request, max_bytes),
                request.headers.get("X-Hub-Signature"),
            )
        except BodyFailed as failed:
            return failed.response()
        if found is None:  # (the hub may end a subscription nobody holds)
            return web.Response(status=410, text="No such subscription.\n")
        # (a notification that failed its signature check is acknowledged all the same, as
        # the spec asks, and ignored)
        return web.Response(status=202, text="Accepted.\n")

    app.router.add_get(f"/websub/{_KEY}", check)
    app.router.add_post(f"/websub/{_KEY}", notified)
