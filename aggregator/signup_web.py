"""The sign-up routes of `aggregator run`'s web server (`[digest] self_service`): a reader's
address posted from a subscribe page, the confirmation link, and the unsubscribe link of
each digest (RFC 8058's one-click POST included).

A link's page asks before it acts, with one button that posts: mail scanners open links,
and must neither subscribe nor unsubscribe anyone. Whatever is asked, the answer never says
whether an address is subscribed. Writes go through the service's writer; the confirmation
email goes from a worker thread after the answer (`Signups`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote

from aiohttp import web

from .config import Settings
from .digest_mail import confirmation
from .mail_thread import in_mail_thread
from .metrics import Network, allowed, networks
from .pages import HONEYPOT, button_form, render_signup_html, signup_form
from .publish import esc, subscribe_url
from .publish_settings import PublishSettings
from .request_body import BodyFailed, whole_body
from .signup import (
    CONFIRM,
    LEAVE,
    Pace,
    checked_address,
    confirm_link,
    leave_link,
    pace_key,
    read_token,
)
from .signup_store import Subscribers
from .site import Site
from .slugs import SLUG_PATTERN, slugify

log = logging.getLogger("aggregator.digest")
MAX_FORM = 4096  # bytes of a sign-up form read (an address and a few fields)
BUSY_RETRY = 3600  # seconds a client told "too many sign-ups" is asked to wait
Write = Callable[..., Awaitable[Any]]


class Signups:
    """What the sign-up routes need of the service: its writer and books, and its mail."""

    def __init__(
        self,
        books: Subscribers,
        write: Write,
        settings: Settings,
        password: str | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.books = books
        self.write = write
        self.settings = settings
        self.password = password
        self.clock = clock
        self.pace = Pace()
        self.proxies = networks(settings.server.proxies, "proxies")
        self._key: bytes | None = None
        self._sending: set[asyncio.Task[None]] = set()

    async def key(self) -> bytes:
        if self._key is None:
            self._key = await self.write(self.books.key)
        return self._key

    def mail_confirmation(
        self, category: str, address: str, url: str, publish: PublishSettings
    ) -> None:
        """Send the confirmation email after the answer; a failed send is logged, and the
        address may ask again at once."""
        from .digest_job import DeliveryError, deliver

        msg = confirmation(category, address, url, self.clock(), self.settings.digest, publish)

        async def send() -> None:
            try:
                await in_mail_thread(deliver, msg, [address], self.settings, self.password)
            except DeliveryError as exc:
                log.warning("signup=%r: the confirmation email failed: %s", category, exc)
                await self.write(self.books.not_asked, category, address)
            else:
                log.info("signup=%r: confirmation email sent", category)

        task = asyncio.ensure_future(send())
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def close(self) -> None:
        """Let confirmation emails on their way go, for at most `shutdown_grace` seconds (one
        cut short counts as sent: its address may ask again after the hour)."""
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=self.settings.server.shutdown_grace)
            for task in set(self._sending):
                task.cancel()


def _page(
    status: int, title: str, paragraphs: list[str], publish: PublishSettings, category: str
) -> web.Response:
    page = render_signup_html(title, paragraphs, publish, slug=slugify(category), name=category)
    headers = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
    if status == 429:
        headers["Retry-After"] = str(BUSY_RETRY)
    return web.Response(
        status=status, text=page, content_type="text/html", charset="utf-8", headers=headers
    )


def client_of(request: web.Request, proxies: Sequence[Network]) -> str:
    """Who asks, for the pace of sign-ups (`signup.pace_key` of an address): the peer's
    address; from a reverse proxy (a peer in `[server] proxies`: loopback by default), the
    address the proxy relays (`X-Forwarded-For`'s last, which the proxy itself added, or
    `X-Real-IP`), else every reader would be one client."""
    peer = request.remote or ""
    if allowed(peer, proxies):
        relayed = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
        return pace_key(relayed or request.headers.get("X-Real-IP", "").strip() or peer)
    return pace_key(peer)


async def _form(request: web.Request) -> dict[str, str]:
    """The posted form's fields (the first value of each), read whole: BodyFailed when it
    is too large, too slow or cut off (the first piece alone had been read: an address cut
    at a packet's end was signed up)."""
    body = await whole_body(request, MAX_FORM)
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def add_signup_routes(
    app: web.Application,
    site: Site,
    signups: Signups,
    not_found: Callable[[], web.Response],
) -> None:
    """The sign-up routes, on the subscribe pages of the categories that have a digest."""

    async def category_of(request: web.Request) -> tuple[str, str, PublishSettings] | None:
        """The digest a subscribe page's form joins (as the settings name it: the page's
        category, or the former name of it they file its digest under), the category, and
        its settings."""

        def found() -> tuple[str, str, PublishSettings] | None:
            slug = request.match_info["slug"]
            name = site.category_named(slug)
            if name is None and (moved := site.moved_slug(slug)) is not None:
                name = site.category_named(moved)  # (a form on a page of before a rename)
            digest = site.digest_of(name)
            if name is None or digest is None:
                return None
            return digest, name, site.settings_for(name)

        return await asyncio.to_thread(found)

    async def subscribe(request: web.Request) -> web.StreamResponse:
        found = await category_of(request)
        if found is None:
            return not_found()
        digest, name, publish = found
        words = publish.words
        try:
            form = await _form(request)
        except BodyFailed as failed:
            return failed.response()
        given = form.get("email", "")
        address = checked_address(given)
        action = subscribe_url(slugify(name), publish)
        if address is None:
            again = [f"<p>{words('signup_invalid')}</p>", signup_form(action, publish, given)]
            return _page(400, words("subscribe"), again, publish, name)
        now = signups.clock()
        busy = [f"<p>{words('signup_busy')}</p>"]
        if not signups.pace.client_may_ask(client_of(request, signups.proxies), now):
            return _page(429, words("subscribe"), busy, publish, name)
        robot = bool(form.get(HONEYPOT, "").strip())  # (told what anyone is, and no more)
        if not robot and await signups.write(signups.books.ask, digest, address, now):
            if not signups.pace.may_mail(now):
                await signups.write(signups.books.not_asked, digest, address)
                return _page(429, words("subscribe"), busy, publish, name)
            key = await signups.key()
            link = confirm_link(publish.base_url, key, digest, address, now)
            signups.mail_confirmation(digest, address, link, publish)
        sent = words("signup_sent", address=esc(address), name=esc(name))
        return _page(200, words("signup_sent_title"), [f"<p>{sent}</p>"], publish, name)

    async def digests() -> frozenset[str]:
        """The categories that have a digest now (`Site.digests`: a query of the OPML's
        categories), read in a worker thread, once a request that needs them: anew each
        request, so an OPML or settings reload shows at the next."""
        return await asyncio.to_thread(lambda: site.digests)

    async def linked(
        request: web.Request, purpose: str
    ) -> tuple[str, str, PublishSettings, frozenset[str]] | web.Response:
        """The category and address of the request's link, the page's settings, and the
        categories with a digest (read for a confirmation only), or the page saying the link
        is not valid. An unsubscribe link works even for a category that has no digest now."""
        token = request.query.get("t", "")
        found = read_token(await signups.key(), token, purpose, signups.clock())
        slug = request.match_info["slug"]
        if found is None or slugify(found[0]) != slug:
            category = await asyncio.to_thread(site.category_named, slug)
            publish = await asyncio.to_thread(site.settings_for, category)
            words = publish.words
            offer = [f"<p>{words('link_invalid')}</p>"]
            if category is not None and category in await digests():
                offer.append(
                    f'<p><a href="{esc(subscribe_url(slug, publish))}">'
                    f"{words('digest_offer', name=esc(category))}</a></p>"
                )
            return _page(400, words("link_invalid_title"), offer, publish, category or slug)
        category, address = found
        mailed = await digests() if purpose == CONFIRM else frozenset()
        if purpose == CONFIRM and category not in mailed:
            return not_found()
        return category, address, await asyncio.to_thread(site.settings_for, category), mailed

    async def confirm(request: web.Request) -> web.StreamResponse:
        found = await linked(request, CONFIRM)
        if isinstance(found, web.Response):
            return found
        category, address, publish, mailed = found
        token = request.query.get("t", "")
        words, shown = publish.words, {"address": esc(address), "name": esc(category)}
        if request.method == "POST":
            now = signups.clock()
            if await signups.write(signups.books.confirm, category, address, now):
                log.info("signup=%r: subscribed", category)
            said = [f"<p>{words('confirmed', **shown)}</p>"]
            said += await also_asked(category, address, now, mailed)
            return _page(200, words("confirmed_title"), said, publish, category)
        action = f"{subscribe_url(slugify(category), publish)}confirm?t={quote(token)}"
        ask = [f"<p>{words('confirm_ask', **shown)}</p>"]
        ask.append(button_form(action, words("confirm_button")))
        return _page(200, words("confirm_title"), ask, publish, category)

    async def also_asked(
        category: str, address: str, now: datetime, mailed: frozenset[str]
    ) -> list[str]:
        """A button to confirm each other category the address asked for within the hour
        of this one's email (which went alone: one an address an hour), of those with a
        digest (`mailed`). Only who holds the address's link sees them, and each subscribes
        nobody until pressed."""
        offers = []
        others = await signups.write(signups.books.also_asked, address, category, now)
        for other in others:
            if other not in mailed:
                continue
            publish = await asyncio.to_thread(site.settings_for, other)
            link = confirm_link(publish.base_url, await signups.key(), other, address, now)
            ask = publish.words("confirm_ask", address=esc(address), name=esc(other))
            offers += [f"<p>{ask}</p>", button_form(link, publish.words("confirm_button"))]
        return offers

    async def unsubscribe(request: web.Request) -> web.StreamResponse:
        found = await linked(request, LEAVE)
        if isinstance(found, web.Response):
            return found
        category, address, publish, _ = found
        words, shown = publish.words, {"address": esc(address), "name": esc(category)}
        if request.method == "POST":  # (a mail client's one-click request too: RFC 8058)
            if await signups.write(signups.books.remove, category, address):
                log.info("signup=%r: unsubscribed", category)
            said = f"<p>{words('left', **shown)}</p>"
            return _page(200, words("left_title"), [said], publish, category)
        action = leave_link(publish.base_url, await signups.key(), category, address)
        ask = [f"<p>{words('leave_ask', **shown)}</p>"]
        ask.append(button_form(action, words("unsubscribe")))
        return _page(200, words("unsubscribe"), ask, publish, category)

    slug = f"{{slug:{SLUG_PATTERN}}}"
    app.router.add_post(f"/{slug}/subscribe/", subscribe)
    app.router.add_post(f"/{slug}/subscribe", subscribe)  # (a form on a page of before)
    app.router.add_get(f"/{slug}/subscribe/confirm", confirm)
    app.router.add_post(f"/{slug}/subscribe/confirm", confirm)
    app.router.add_get(f"/{slug}/unsubscribe", unsubscribe)
    app.router.add_post(f"/{slug}/unsubscribe", unsubscribe)
