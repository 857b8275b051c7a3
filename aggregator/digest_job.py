"""The digest job's IO: SMTP delivery (smtplib in a worker thread), the scheduled loop inside
`aggregator run`, and the `aggregator digest` command.

The decisions (what is due, which stories) are `digest`'s pure functions; this module reads
what they need, carries them out and records every outcome in the database, so a restart
neither skips nor repeats a send.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import smtplib
import socket
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from .category_renames import category_now, filed_readers, renamed_to
from .config import Settings
from .digest import Due, Pick, due, next_slot, retry_delay, select, window_start
from .digest_mail import Personal, compose, readable
from .digest_store import DigestBooks
from .errors import AggregatorError, StorageError
from .mail_thread import in_mail_thread
from .network import Network
from .publish_settings import PublishSettings
from .signup import REFUSALS_TO_UNSUBSCRIBE
from .signup_store import Subscribers
from .slugs import same_address, slugify
from .store import Reader
from .tls_trust import trusting
from .wording import counted

log = logging.getLogger("aggregator.digest")
RECIPIENTS_PER_MESSAGE = 50  # RCPT TO per SMTP transaction (servers cap it, often at 100)
MESSAGES_PER_CONNECTION = 100  # transactions per connection (servers cap those, too)
FIRST_CHECK_WAIT = 300.0  # seconds the first digest check waits for the first poll cycle
Write = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Delivery:
    """What an SMTP server did with a send: the addresses it took, and those it refused at
    RCPT TO, for good (5xx) or for now (4xx: worth another attempt), address → reply."""

    accepted: tuple[str, ...] = ()
    refused: dict[str, str] = field(default_factory=dict)
    deferred: dict[str, str] = field(default_factory=dict)

    def __add__(self, other: Delivery) -> Delivery:
        return Delivery(
            self.accepted + other.accepted,
            {**self.refused, **other.refused},
            {**self.deferred, **other.deferred},
        )


class DeliveryError(AggregatorError):
    """The SMTP server could not be reached, refused us, or refused every recipient.

    `partial` is what the server took before the failure (on a connection that broke off).
    """

    def __init__(self, message: str, partial: Delivery | None = None) -> None:
        super().__init__(message)
        self.partial = partial or Delivery()


def _connect(settings: Settings, password: str | None) -> smtplib.SMTP:
    """A logged-in connection to the digest's mail server (TLS as the settings say)."""
    digest = settings.digest
    context = trusting(digest.ca_file)
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


Transaction = tuple[EmailMessage, list[str]]  # a message and its envelope recipients


def transactions(
    msg: EmailMessage | None, recipients: Sequence[str], personal: Sequence[EmailMessage] = ()
) -> list[Transaction]:
    """`msg` to `recipients` (envelope only), `RECIPIENTS_PER_MESSAGE` to a transaction
    (servers cap RCPT TO per message), then each `personal` copy to the one address in its
    `To`."""
    recipients = list(dict.fromkeys(recipients)) if msg is not None else []
    batches: list[Transaction] = [
        (msg, recipients[start : start + RECIPIENTS_PER_MESSAGE])
        for start in range(0, len(recipients), RECIPIENTS_PER_MESSAGE)
        if msg is not None
    ]
    return batches + [(copy, [_reader_of(copy)]) for copy in personal]


def _send_planned(
    plan: Sequence[Transaction | Personal],
    copy_of: Callable[[Personal], EmailMessage],
    settings: Settings,
    password: str | None,
) -> Delivery:
    """`send_over_one_connection` of `plan`, each reader's copy composed here, in the mail
    thread, first (~3 ms each). All of them had been composed before the first was sent and
    held until the last went: ~140 KiB a copy, 140 MB for a thousand readers."""
    batch = [
        entry if isinstance(entry, tuple) else (copy_of(entry), [entry.address]) for entry in plan
    ]
    return send_over_one_connection(batch, settings, password)


def _sorted_replies(replies: dict[str, tuple[int, bytes]]) -> tuple[dict[str, str], dict[str, str]]:
    """RCPT TO refusals split into lasting (5xx) and passing (4xx) ones."""
    lasting = {a: _reply(r) for a, r in replies.items() if not 400 <= r[0] < 500}
    passing = {a: _reply(r) for a, r in replies.items() if 400 <= r[0] < 500}
    return lasting, passing


def send_over_one_connection(
    batch: Sequence[Transaction], settings: Settings, password: str | None
) -> Delivery:
    """Send each transaction of `batch` over one connection. Blocking: run it in a thread.

    Raises DeliveryError when the connection or a transaction fails, carrying what the
    server took before (`partial`).
    """
    digest = settings.digest
    sender = parseaddr(digest.from_address)[1]
    accepted: list[str] = []
    replies: dict[str, tuple[int, bytes]] = {}
    try:
        with _connect(settings, password) as client:
            for message, addresses in batch:
                try:
                    refused = client.send_message(message, from_addr=sender, to_addrs=addresses)
                except smtplib.SMTPRecipientsRefused as exc:  # the whole transaction; go on
                    _closed_at_rcpt(exc)
                    refused = exc.recipients
                except smtplib.SMTPDataError as exc:
                    refused = _refused_at_data(exc, addresses)
                replies.update(refused)
                accepted += [address for address in addresses if address not in refused]
    except (smtplib.SMTPException, OSError) as exc:
        if isinstance(exc, smtplib.SMTPResponseException):
            said_bytes = exc.smtp_error  # (a server's reply, as bytes; or a message as text)
            text = (
                said_bytes.decode("utf-8", "replace")
                if isinstance(said_bytes, bytes)
                else str(said_bytes or "")
            )
            said = f"SMTP {exc.smtp_code} {text}".strip()
        else:
            said = f"{digest.smtp_host}:{digest.port}: {_unreached(exc)}"
        raise DeliveryError(said, Delivery(tuple(accepted), *_sorted_replies(replies))) from exc
    return Delivery(tuple(accepted), *_sorted_replies(replies))


def _closed_at_rcpt(exc: smtplib.SMTPRecipientsRefused) -> None:
    """Raise the server's 421 when it closed the connection at RCPT TO (smtplib then stops
    asking and sends no DATA): none of the transaction's readers has the message. Its
    refusal had been read as that reader's alone, and the others as having the day's
    digest, so that no later attempt went to them."""
    for code, reply in exc.recipients.values():
        if code == 421:
            raise smtplib.SMTPResponseException(code, reply) from exc


def _refused_at_data(
    exc: smtplib.SMTPDataError, addresses: Sequence[str]
) -> dict[str, tuple[int, bytes]]:
    """The transaction's addresses as the server left them at the end of DATA, the
    connection going on; raises `exc` again when it is the connection's end (421) or a
    lasting refusal of a message to several readers.

    A 4xx defers them ("451 try again later": the server took nothing, and the
    connection is still good): they are tried again at the next attempt, alone. It had
    ended the connection, so the readers after them waited for the retry, and went without
    when that reader's copy was deferred on every attempt. A one-reader copy refused for
    good ("552 mailbox full") is that reader's refusal, as at RCPT TO."""
    code = exc.smtp_code
    if code == 421 or not 400 <= code < 600 or (code >= 500 and len(addresses) != 1):
        raise exc
    reply = exc.smtp_error
    reply = reply if isinstance(reply, bytes) else str(reply).encode()
    return dict.fromkeys(addresses, (code, reply))


# (a mail server not reached, in words, and what to look at: it had read
# "ConnectionRefusedError: [Errno 111] Connection refused")
_CHECK_SERVER = "check [digest] smtp_host, smtp_port and security"


def _unreached(exc: BaseException) -> str:
    """Why the mail server was not reached or dropped us, as an operator reads it."""
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused; {_CHECK_SERVER}"
    if isinstance(exc, socket.gaierror):
        return f"the host name does not resolve ({exc.strerror or exc}); {_CHECK_SERVER}"
    if isinstance(exc, TimeoutError):
        return f"no answer in time; {_CHECK_SERVER}"
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(
        exc.__context__, TimeoutError
    ):  # (smtplib's wording of a reply that never came: "Connection unexpectedly closed")
        return f"connected, then no answer in time; {_CHECK_SERVER}"
    return f"{type(exc).__name__}: {exc}"


def deliver(
    msg: EmailMessage, recipients: Sequence[str], settings: Settings, password: str | None
) -> Delivery:
    """Send `msg` to `recipients` (a confirmation email: one message, one connection).
    Blocking: run it in a thread. Raises DeliveryError when the connection failed, or the
    server took none of them."""
    sent = send_over_one_connection(transactions(msg, recipients), settings, password)
    if not sent.accepted:
        raise DeliveryError(f"every recipient refused: {_replies(sent)}", sent)
    return sent


def _reader_of(copy: EmailMessage) -> str:
    """The one address a reader's personal copy goes to."""
    return parseaddr(str(copy["To"]))[1]


def _reply(reply: tuple[int, bytes]) -> str:
    return f"{reply[0]} {reply[1].decode('utf-8', 'replace')}"


def _replies(sent: Delivery) -> str:
    said = {**sent.refused, **sent.deferred}
    return "; ".join(f"{address}: {reply}" for address, reply in said.items())


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one digest attempt did."""

    category: str
    day: date
    status: str  # sent | empty | failed
    stories: int = 0
    error: str | None = None


def gone_note(reached: int) -> str:
    """What became of a day's digest that reached `reached` readers when every story it
    carried was merged, withheld or pruned before a later attempt."""
    return (
        f"reached {counted(reached, 'reader')}; the stories it carried were merged, withheld "
        "or pruned since: the others get none today"
    )


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
        *,
        network: Network | None = None,
    ) -> None:
        self.books = books
        self.reader = reader
        self.settings = settings
        self.write = write
        self.password = password
        self.clock = clock
        # readers who signed up on the site (`[digest] self_service`): a copy each
        self.subscribers = subscribers if settings.digest.self_service else None
        self.network = network if network is not None else Network()  # (the poll job's: `run`)

    async def run_due(self) -> list[Outcome]:
        """Send every digest that is due now (one at a time). None is tried while the
        service's own network is down: its attempts would fail and run out (the day's digest
        given up), and it would carry no news the outage let in; it goes once it is back."""
        if self.network.down:
            return []
        now = self.clock()
        since = (now - timedelta(days=2)).date() - timedelta(days=1)
        runs = await self.write(self.books.runs, since)
        subscribed = await self.filed()
        return [await self.send(d) for d in due(now, self.settings.digest, runs, subscribed)]

    async def filed(self) -> dict[str, list[str]]:
        """Digest → the categories its readers who signed up on the site are filed under: its
        own, and each former name an OPML edit renamed to it (`category_renames.digest_for`):
        readers who signed up before a rename keep their digest when the operator files it
        under the new name."""
        if self.subscribers is None:
            return {}
        categories = await self.write(self.subscribers.categories)

        def opml_now() -> tuple[list[str], dict[str, str]]:
            return self.reader.categories(), self.reader.category_aliases()

        names, aliases = await asyncio.to_thread(opml_now)
        return filed_readers(categories, self.settings.digest.recipients, names, aliases)

    def named_now(self, category: str) -> str:
        """The name the OPML gives the digest's category now: itself, or the category an OPML
        edit renamed it to (`category_renames`), so that its recipients keep their news as its
        feeds' readers do."""
        names = self.reader.categories()
        if category in names:
            return category
        return category_now(category, names, self.reader.category_aliases()) or category

    def publish_for(self, category: str) -> PublishSettings:
        """The publish settings a category's digest is written with: in the category's own
        language where the OPML gives it one, else the site's."""
        language = self.reader.category_languages().get(category)
        publish = self.settings.publish
        return publish.in_language(language) if language else publish

    async def picks(
        self,
        category: str,
        now: datetime,
        name: str | None = None,
        only: Collection[str] | None = None,
    ) -> list[Pick]:
        """The stories the category's digest would carry now (`name`: the category's name now,
        `named_now`); when `only` is given, those of them still published, read by id
        (what the day's digest carried to the readers who have it, some perhaps changed
        before this attempt's window)."""
        if name is None:
            name = await asyncio.to_thread(self.named_now, category)
        versions = await self.write(self.books.sent_versions, category)
        last = await self.write(self.books.last_sent, category)
        since = window_start(now, last, self.settings.digest)
        if only is None:
            stories = await asyncio.to_thread(self.reader.stories_since, name, since)
        else:  # (by id: this attempt's window may have moved on past some of them)
            stories = await asyncio.to_thread(self.reader.published, only)
        # (each is one changed since, or whose newest report came in since: `stories_since`)
        known = {s.id for s in stories}
        return select(stories, versions, now, self.settings.digest, since, known=known)

    async def send(self, job: Due) -> Outcome:
        """One attempt at a digest; the outcome is recorded whatever happens.

        Who took the day's digest, and whom the server refused for good, is recorded as each
        connection ends: a later attempt (after a connection broke off, the server deferred
        some readers, or a crash) goes only to the others.
        """
        digest = self.settings.digest
        now = self.clock()
        name = await asyncio.to_thread(self.named_now, job.category)
        # (a later attempt at a day some readers have: the stories they had, not the news
        # come in since, which the next day's digest carries to everyone)
        carried = await self.write(self.books.carried, job.category, job.day)
        picks = await self.picks(job.category, now, name, carried)
        attempt = await self.write(
            self.books.begin, job.category, job.day, now, now + retry_delay(job.attempt, digest)
        )
        if not picks and carried:  # (the day is theirs who have it: `DigestBooks.empty`)
            reached = await self.write(self.books.reached, job.category, job.day)
            note = gone_note(reached)
            await self.write(self.books.empty, job.category, job.day, now, note)
            log.info("digest=%r day=%s status=sent %s", job.category, job.day, note)
            return Outcome(job.category, job.day, "sent", len(carried), note)
        if not picks:
            await self.write(self.books.empty, job.category, job.day, now)
            log.info("digest=%r day=%s status=empty (no new stories)", job.category, job.day)
            return Outcome(job.category, job.day, "empty")
        publish = await asyncio.to_thread(self.publish_for, name)
        key = await self.write(Subscribers(self.books.store).key)  # (signs the Message-IDs)
        msg = compose(name, picks, job.day, now, digest, publish, key=key)
        recipients = list(dict.fromkeys(digest.recipients[job.category]))
        filed = (await self.filed()).get(job.category, [])
        readers = await self.personal(filed, publish, key)
        # (listed there, also as "Bob <bob@example.net>": one copy, not a second of its own)
        known = {parseaddr(address)[1].lower() for address in recipients}
        readers = [reader for reader in readers if reader.address.lower() not in known]
        done = await self.write(self.books.delivered, job.category, job.day)
        if not recipients and not readers and not done:  # (its last reader left since it fell due)
            await self.write(self.books.empty, job.category, job.day, now)
            log.info("digest=%r day=%s status=empty (no recipients)", job.category, job.day)
            return Outcome(job.category, job.day, "empty")
        recipients = [address for address in recipients if address.lower() not in done]
        readers = [reader for reader in readers if reader.address.lower() not in done]
        copy_of = functools.partial(compose, name, picks, job.day, now, digest, publish, key=key)
        shared = msg if recipients else None
        sent, error = await self._deliver(
            job, shared, recipients, readers, copy_of, picks, filed, now
        )
        earlier = Delivery(
            tuple(a for a, reply in done.items() if reply is None),
            {a: reply for a, reply in done.items() if reply is not None},
        )
        return await self._record(job, attempt, now, msg, picks, earlier + sent, error, carried)

    async def _deliver(
        self,
        job: Due,
        msg: EmailMessage | None,
        recipients: Sequence[str],
        readers: Sequence[Personal],
        copy_of: Callable[[Personal], EmailMessage],
        picks: Sequence[Pick] = (),
        filed: Sequence[str] = (),
        chosen_at: datetime | None = None,
    ) -> tuple[Delivery, str | None]:
        """Send over as many connections as it takes, recording each one's replies; what the
        server did, and why it stopped short (None: it did not). Each reader's copy (`copy_of`)
        is composed as its connection comes (`_send_planned`). The readers' refusals are
        counted under each category they are `filed` under."""
        sent, error = Delivery(), None
        plan: list[Transaction | Personal] = [*transactions(msg, recipients), *readers]
        for start in range(0, len(plan), MESSAGES_PER_CONNECTION):
            chunk = plan[start : start + MESSAGES_PER_CONNECTION]
            try:
                part = await in_mail_thread(
                    _send_planned, chunk, copy_of, self.settings, self.password
                )
            except DeliveryError as exc:
                part, error = exc.partial, str(exc)
            if part.accepted or part.refused:
                await self.write(
                    self.books.delivered_to, job.category, job.day, part, picks, chosen_at
                )
            sent += part
            if error is not None:
                break
        if self.subscribers is None or not (sent.accepted or sent.refused):
            return sent, error
        for category in filed:
            dropped = await self.write(
                self.subscribers.answered, category, sent.accepted, sent.refused
            )
            for address, reply in dropped.items():
                log.warning(
                    "signup=%r: unsubscribed %s: the mail server refused it on %d digests "
                    "in a row (last: %s)",
                    category,
                    address,
                    REFUSALS_TO_UNSUBSCRIBE,
                    reply,
                )
        return sent, error

    async def _record(
        self,
        job: Due,
        attempt: int,
        now: datetime,
        msg: EmailMessage,
        picks: Sequence[Pick],
        sent: Delivery,
        error: str | None,
        carried: dict[str, int] | None = None,
    ) -> Outcome:
        """Record and log an attempt's outcome: sent once anyone has the day's digest and no
        further attempt is due; failed (and retried, while attempts are left) otherwise."""
        digest = self.settings.digest
        if error is None and sent.deferred:
            error = f"deferred: {_replies(Delivery(deferred=sent.deferred))}"
        elif error is None and not sent.accepted:
            error = f"every recipient refused: {_replies(sent)}"
        final = attempt >= digest.max_attempts
        if error is not None and not (final and sent.accepted):
            retry_at = None if final else now + retry_delay(attempt, digest)
            await self.write(self.books.failed, job.category, job.day, error, retry_at)
            log.warning(
                "digest=%r day=%s status=failed attempt=%d error=%r %s",
                job.category,
                job.day,
                attempt,
                error,
                "giving up for today" if final else f"retry_at={retry_at:%Y-%m-%dT%H:%M:%SZ}",
            )
            return Outcome(job.category, job.day, "failed", len(picks), error)
        notes = [f"refused: {_replies(Delivery(refused=sent.refused))}"] if sent.refused else []
        if error is not None:
            notes.append(f"gave up on the others: {error}")
        note = "; ".join(notes) or None
        await self.write(
            self.books.sent,
            job.category,
            job.day,
            self.clock(),
            msg["Message-ID"],
            picks,
            len(sent.accepted),
            note,
            carried,
        )
        log.info(
            "digest=%r day=%s status=sent stories=%d recipients=%d%s",
            job.category,
            job.day,
            len(picks),
            len(sent.accepted),
            f" {note}" if note else "",
        )
        return Outcome(job.category, job.day, "sent", len(picks), note)

    async def personal(
        self, filed: Sequence[str], publish: PublishSettings, key: bytes
    ) -> list[Personal]:
        """Each reader who signed up on the site under a category of `filed` (its own and
        former names), with their own link to unsubscribe from the list they are on (`key`:
        the site's): a copy each, one a reader, composed as its connection comes
        (`_send_planned`)."""
        if self.subscribers is None:
            return []
        from .signup import leave_link

        readers: dict[str, tuple[str, str]] = {}  # lower case → (category, address)
        for category in filed:
            for address in await self.write(self.subscribers.confirmed, category):
                readers.setdefault(address.lower(), (category, address))
        if not readers:
            return []
        return [
            Personal(address, leave_link(publish.base_url, key, category, address))
            for category, address in readers.values()
        ]

    async def warn_unknown_categories(self) -> None:
        """Log recipients filed under a category the OPML does not have (a typo, renamed, or
        removed); readers who signed up on the site count as recipients."""
        sources = await self.write(self.books.store.sources)
        aliases = await self.write(self.books.store.category_aliases)
        known = {source.category for source in sources}
        signed: set[str] = set()
        if self.subscribers is not None:
            signed = await self.write(self.subscribers.categories)
        for category, addresses in self.settings.digest.recipients.items():
            if not (addresses or category in signed) or category in known:
                continue
            spelled = same_address(category, known)
            if spelled is not None:
                log.warning(
                    "digest=%r: the OPML spells that category %r; its digest carries its "
                    "stories: file its recipients under that name in the settings",
                    category,
                    spelled,
                )
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
                "its digest gets no new stories, only those already filed under it",
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
    # (today's digest reached some readers: a later attempt carries its stories to the others)
    carried = await job.write(job.books.carried, category, day)
    picks = await job.picks(category, now, name, carried)
    reached = await job.write(job.books.reached, category, day) if carried else 0
    if not picks and not carried:
        print(f"{category}: no new stories for a digest now; nothing to send")
        return 0
    if not picks:
        print(f"{category}: today's digest {gone_note(reached)}")
        if not send_now:
            return 0
    elif dry_run or not send_now:
        if dry_run:
            msg = compose(name, picks, day, now, digest, job.publish_for(name))
            print(readable(msg), end="")
            return 0
        if carried:
            print(
                f"{category}: today's digest reached {counted(reached, 'reader')}; the others "
                "get its stories, the news come in since goes in the next day's"
            )
        print(f"{category}: {counted(len(picks), 'story', 'stories')} would go out now:")
        for pick in picks:
            print(f"  {'(updated) ' if pick.updated else ''}{pick.story.headline}")
        runs = await job.write(job.books.runs, day)
        retry = runs[(category, day)].next_attempt_at if carried else None
        if retry is not None:
            print(f"next attempt at today's: {retry.astimezone(digest.zone):%Y-%m-%d %H:%M %Z}")
        upcoming = next_slot(category, now, digest).astimezone(digest.zone)
        print(f"next scheduled send: {upcoming:%Y-%m-%d %H:%M %Z}")
        return 0
    runs = await job.write(job.books.runs, day)
    previous = runs.get((category, day))
    outcome = await job.send(Due(category, day, (previous.attempts if previous else 0) + 1))
    if outcome.status == "sent" and not picks:
        print(f"{category}: recorded as sent to those it reached")
        return 0
    if outcome.status == "sent":
        print(f"{category}: sent {counted(outcome.stories, 'story', 'stories')}")
        return 0
    print(f"{category}: sending failed: {outcome.error}")
    return 1
