"""The digest job's IO: SMTP delivery (smtplib in a worker thread), the scheduled loop inside
`aggregator run`, and the `aggregator digest` command.

The decisions (what is due, which stories) are `digest`'s pure functions; this module reads
what they need, carries them out and records every outcome in the database, so a restart
neither skips nor repeats a send.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from .category_renames import renamed_to
from .config import Settings
from .digest import Due, Pick, due, next_slot, retry_delay, select
from .digest_mail import Personal, compose, readable
from .digest_store import DigestBooks
from .errors import AggregatorError, StorageError
from .publish_settings import PublishSettings
from .slugs import slugify
from .store import Reader
from .wording import counted

if TYPE_CHECKING:
    from .signup_store import Subscribers

log = logging.getLogger("aggregator.digest")
RECIPIENTS_PER_MESSAGE = 50  # RCPT TO per SMTP transaction (servers cap it, often at 100)
MESSAGES_PER_CONNECTION = 100  # transactions per connection (servers cap those, too)
FIRST_CHECK_WAIT = 300.0  # seconds the first digest check waits for the first poll cycle
Write = Callable[..., Awaitable[Any]]


class DeliveryError(AggregatorError):
    """The SMTP server could not be reached, refused us, or refused every recipient."""


def _connect(settings: Settings, password: str | None) -> smtplib.SMTP:
    """A logged-in connection to the digest's mail server (TLS as the settings say)."""
    digest = settings.digest
    context = ssl.create_default_context(cafile=digest.ca_file or None)
    if digest.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            digest.smtp_host, digest.port, timeout=digest.timeout, context=context
        )
    else:
        client = smtplib.SMTP(digest.smtp_host, digest.port, timeout=digest.timeout)
    try:
        client.ehlo()
        if digest.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if digest.username:
            client.login(digest.username, password or "")
    except BaseException:
        client.close()
        raise
    return client


def deliver(
    msg: EmailMessage | None,
    recipients: Sequence[str],
    settings: Settings,
    password: str | None,
    personal: Sequence[EmailMessage] = (),
) -> dict[str, str]:
    """Send `msg` to `recipients` (envelope only) over SMTP, and each `personal` copy to the
    one address in its `To`. Blocking: run it in a thread.

    Recipients go `RECIPIENTS_PER_MESSAGE` to a transaction (servers cap RCPT TO per message),
    `MESSAGES_PER_CONNECTION` transactions to a connection (servers cap those too). Returns
    the recipients the server refused while accepting others (address → reply); raises
    DeliveryError when it accepted none, or a connection failed.
    """
    digest = settings.digest
    recipients = list(dict.fromkeys(recipients)) if msg is not None else []
    copies = [(copy, parseaddr(str(copy["To"]))[1]) for copy in personal]
    batches: list[tuple[EmailMessage, list[str]]] = [
        (msg, recipients[start : start + RECIPIENTS_PER_MESSAGE])
        for start in range(0, len(recipients), RECIPIENTS_PER_MESSAGE)
        if msg is not None
    ]
    batches += [(copy, [address]) for copy, address in copies]
    refused: dict[str, tuple[int, bytes]] = {}
    sender = parseaddr(digest.from_address)[1]
    try:
        for start in range(0, max(len(batches), 1), MESSAGES_PER_CONNECTION):
            with _connect(settings, password) as client:
                for message, batch in batches[start : start + MESSAGES_PER_CONNECTION]:
                    try:
                        sent = client.send_message(message, from_addr=sender, to_addrs=batch)
                        refused.update(sent)
                    except smtplib.SMTPRecipientsRefused as exc:  # the whole batch; go on
                        refused.update(exc.recipients)
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode("utf-8", "replace") if exc.smtp_error else ""
        raise DeliveryError(f"SMTP {exc.smtp_code} {text}".strip()) from exc
    except (smtplib.SMTPException, OSError) as exc:
        where = f"{digest.smtp_host}:{digest.port}"
        raise DeliveryError(f"{where}: {type(exc).__name__}: {exc}") from exc
    every = len(recipients) + len(copies)
    if every and len(refused) == every:
        raise DeliveryError(f"every recipient refused: {_replies(refused)}")
    return {address: _reply(reply) for address, reply in refused.items()}


def _reply(reply: tuple[int, bytes]) -> str:
    return f"{reply[0]} {reply[1].decode('utf-8', 'replace')}"


def _replies(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address}: {_reply(reply)}" for address, reply in refused.items())


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one digest attempt did."""

    category: str
    day: date
    status: str  # sent | empty | failed
    stories: int = 0
    error: str | None = None


class DigestJob:
    """Sends each category's digest when due. Writes go through `write` (the writer thread)."""

    def __init__(
        self,
        books: DigestBooks,
        reader: Reader,
        settings: Settings,
        write: Write,
        password: str | None,
        clock: Callable[[], datetime],
        subscribers: Subscribers | None = None,
    ) -> None:
        self.books = books
        self.reader = reader
        self.settings = settings
        self.write = write
        self.password = password
        self.clock = clock
        # readers who signed up on the site (`[digest] self_service`): a copy each
        self.subscribers = subscribers if settings.digest.self_service else None

    async def run_due(self) -> list[Outcome]:
        """Send every digest that is due now (one at a time)."""
        now = self.clock()
        since = (now - timedelta(days=2)).date() - timedelta(days=1)
        runs = await self.write(self.books.runs, since)
        subscribed: set[str] = set()
        if self.subscribers is not None:
            subscribed = await self.write(self.subscribers.categories)
        return [await self.send(d) for d in due(now, self.settings.digest, runs, subscribed)]

    def named_now(self, category: str) -> str:
        """The name the OPML gives the digest's category now: itself, or the category an OPML
        edit renamed it to (`category_renames`), so that its recipients keep their news as its
        feeds' readers do."""
        names = self.reader.categories()
        if category in names:
            return category
        aliases = self.reader.category_aliases()
        return renamed_to(slugify(category), aliases, names) or category

    def publish_for(self, category: str) -> PublishSettings:
        """The publish settings a category's digest is written with: in the category's own
        language where the OPML gives it one, else the site's."""
        language = self.reader.category_languages().get(category)
        publish = self.settings.publish
        return publish.in_language(language) if language else publish

    async def picks(self, category: str, now: datetime, name: str | None = None) -> list[Pick]:
        """The stories the category's digest would carry now (`name`: the category's name now,
        `named_now`)."""
        if name is None:
            name = await asyncio.to_thread(self.named_now, category)
        versions = await self.write(self.books.sent_versions, category)
        since = now - self.settings.digest.window
        stories = await asyncio.to_thread(self.reader.stories_since, name, since)
        return select(stories, versions, now, self.settings.digest)

    async def send(self, job: Due) -> Outcome:
        """One attempt at a digest; the outcome is recorded whatever happens."""
        digest = self.settings.digest
        now = self.clock()
        name = await asyncio.to_thread(self.named_now, job.category)
        picks = await self.picks(job.category, now, name)
        attempt = await self.write(
            self.books.begin, job.category, job.day, now, now + retry_delay(job.attempt, digest)
        )
        if not picks:
            await self.write(self.books.empty, job.category, job.day, now)
            log.info("digest=%r day=%s status=empty (no new stories)", job.category, job.day)
            return Outcome(job.category, job.day, "empty")
        publish = await asyncio.to_thread(self.publish_for, name)
        msg = compose(name, picks, job.day, now, digest, publish)
        recipients = list(dict.fromkeys(digest.recipients[job.category]))
        copies = await self.personal(job.category, name, picks, job.day, now, publish)
        known = {address.lower() for address in recipients}  # (listed there: one copy)
        copies = [copy for copy in copies if str(copy["To"]).lower() not in known]
        if not recipients and not copies:  # (its last reader left since it fell due)
            await self.write(self.books.empty, job.category, job.day, now)
            log.info("digest=%r day=%s status=empty (no recipients)", job.category, job.day)
            return Outcome(job.category, job.day, "empty")
        try:
            refused = await asyncio.to_thread(
                deliver, msg if recipients else None, recipients, self.settings, self.password,
                copies,
            )  # fmt: skip
        except DeliveryError as exc:
            final = attempt >= digest.max_attempts
            retry_at = None if final else now + retry_delay(attempt, digest)
            await self.write(self.books.failed, job.category, job.day, str(exc), retry_at)
            log.warning(
                "digest=%r day=%s status=failed attempt=%d error=%r %s",
                job.category,
                job.day,
                attempt,
                str(exc),
                "giving up for today" if final else f"retry_at={retry_at:%Y-%m-%dT%H:%M:%SZ}",
            )
            return Outcome(job.category, job.day, "failed", len(picks), str(exc))
        note = f"refused: {'; '.join(f'{a}: {r}' for a, r in refused.items())}" if refused else None
        await self.write(
            self.books.sent,
            job.category,
            job.day,
            self.clock(),
            msg["Message-ID"],
            picks,
            len(recipients) + len(copies) - len(refused),
            note,
        )
        log.info(
            "digest=%r day=%s status=sent stories=%d recipients=%d%s",
            job.category,
            job.day,
            len(picks),
            len(recipients) + len(copies) - len(refused),
            f" {note}" if note else "",
        )
        return Outcome(job.category, job.day, "sent", len(picks), note)

    async def personal(
        self,
        category: str,
        name: str,
        picks: Sequence[Pick],
        day: date,
        now: datetime,
        publish: PublishSettings,
    ) -> list[EmailMessage]:
        """A copy of `category`'s digest (`name`: the category's name now) for each reader who
        signed up on the site, with their own link to unsubscribe."""
        if self.subscribers is None:
            return []
        from .signup import leave_link

        addresses = await self.write(self.subscribers.confirmed, category)
        if not addresses:
            return []
        key = await self.write(self.subscribers.key)
        copies = []
        for address in addresses:
            reader = Personal(address, leave_link(publish.base_url, key, category, address))
            copies.append(compose(name, picks, day, now, self.settings.digest, publish, reader))
        return copies

    async def warn_unknown_categories(self) -> None:
        """Log recipients filed under a category the OPML does not have (a typo, or renamed)."""
        sources = await self.write(self.books.store.sources)
        aliases = await self.write(self.books.store.category_aliases)
        known = {source.category for source in sources}
        for category, addresses in self.settings.digest.recipients.items():
            if not addresses or category in known:
                continue
            renamed = renamed_to(slugify(category), aliases, known)
            if renamed is not None:
                log.warning(
                    "digest=%r: the OPML renamed that category %r; its digest carries %r's "
                    "stories: file its recipients under the new name in the settings",
                    category,
                    renamed,
                    renamed,
                )
                continue
            log.warning(
                "digest=%r has recipients but no such category in the OPML (known: %s); "
                "its digest stays empty",
                category,
                ", ".join(sorted(known)) or "none",
            )

    async def loop(
        self, stop: asyncio.Event, interval: float, after: asyncio.Event | None = None
    ) -> None:
        """Check for due digests every `interval` seconds until `stop` is set.

        The first check waits for `after` (the service's first poll cycle, so a digest missed
        while the service was down carries today's news), for at most `FIRST_CHECK_WAIT`
        seconds. A send in progress is finished before the loop returns (the caller bounds the
        wait).
        """
        await self.warn_unknown_categories()
        if after is not None:
            waiters = {asyncio.ensure_future(after.wait()), asyncio.ensure_future(stop.wait())}
            await asyncio.wait(
                waiters, timeout=FIRST_CHECK_WAIT, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in waiters:
                waiter.cancel()
        while not stop.is_set():
            try:
                await self.run_due()
            except StorageError as exc:  # the database's fault, said by the write that met it
                log.error("digest job failed: %s; trying again in %.0f s", exc, interval)
            except Exception:  # a bug must not end the service's other jobs
                log.exception("digest job failed; trying again in %.0f s", interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)


async def digest_command(job: DigestJob, category: str, *, send_now: bool, dry_run: bool) -> int:
    """`aggregator digest --category NAME [--send-now] [--dry-run]`. Returns the exit status."""
    digest = job.settings.digest
    now = job.clock()
    day = now.astimezone(digest.zone).date()
    name = await asyncio.to_thread(job.named_now, category)
    picks = await job.picks(category, now, name)
    if not picks:
        print(f"{category}: no new stories for a digest now; nothing to send")
        return 0
    if dry_run or not send_now:
        if dry_run:
            msg = compose(name, picks, day, now, digest, job.publish_for(name))
            print(readable(msg), end="")
            return 0
        print(f"{category}: {counted(len(picks), 'story', 'stories')} would go out now:")
        for pick in picks:
            print(f"  {'(updated) ' if pick.updated else ''}{pick.story.headline}")
        upcoming = next_slot(category, now, digest).astimezone(digest.zone)
        print(f"next scheduled send: {upcoming:%Y-%m-%d %H:%M %Z}")
        return 0
    runs = await job.write(job.books.runs, day)
    previous = runs.get((category, day))
    outcome = await job.send(Due(category, day, (previous.attempts if previous else 0) + 1))
    if outcome.status == "sent":
        print(f"{category}: sent {counted(outcome.stories, 'story', 'stories')}")
        return 0
    print(f"{category}: sending failed: {outcome.error}")
    return 1
