"""`aggregator subscribers`: the readers who signed up for a daily email on the site
(`[digest] self_service`), taking one off, and reading the digest's bounces once. Listing
reads only and is safe while the service runs; removing and reading bounces write, so they
need the service stopped (`run` reads the bounces itself), and removing says otherwise how
the reader's own unsubscribe link does it."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .cli_support import open_for_reading, settings_from
from .config import Settings
from .errors import StorageError
from .signup import checked_address
from .store import check_existing
from .wording import counted

if TYPE_CHECKING:
    from .bounce_store import Bounced

T = TypeVar("T")


def _filed_before(reader: Any, category: str) -> dict[str, int]:
    """The former names (an OPML edit renamed or respelled them `category`: `category_now`)
    under which readers signed up for `category`'s digest are filed → how many."""
    from .category_renames import category_now

    names, aliases = reader.categories(), reader.category_aliases()
    counts: dict[str, int] = {}
    for row in reader.subscriber_rows():
        name = row["category"]
        if name != category and category_now(name, names, aliases) == category:
            counts[name] = counts.get(name, 0) + 1
    return counts


def cmd_subscribers(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if args.remove is not None:
        return _remove(args, settings.publish.base_url)
    if args.read_bounces:
        return _read_bounces(args, settings)
    store, reader = open_for_reading(args.db, upgrade=False)
    try:
        rows = reader.subscriber_rows(args.category)
        former = _filed_before(reader, args.category) if args.category and not rows else {}
    finally:
        if store is not None:
            store.close()
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        where = f" of {args.category!r}" if args.category else ""
        filed = "".join(
            f"; {counted(readers, 'reader')} {'is' if readers == 1 else 'are'} filed under its "
            f"former name {name!r} (`aggregator subscribers --category {shlex.quote(name)}`)"
            for name, readers in former.items()
        )
        print(f"no readers signed up for a daily email{where}{filed}")
        return 0
    width = max(len(r["category"]) for r in rows)
    for r in rows:
        state = "confirmed" if r["state"] == "confirmed" else "to confirm"
        refused = f"  (refused {r['refusals']}× in a row: {r['refused']})" if r["refusals"] else ""
        if r["bounce_days"]:  # (its mail stops at `bounces.DAYS_TO_UNSUBSCRIBE` days)
            days = counted(r["bounce_days"], "day")
            refused += f"  (bounced on {days}: {r['bounced']})"
        print(
            f"{r['category'].ljust(width)}  {state:<10}  {r['since'][:16]}  {r['address']}{refused}"
        )
    if not settings.digest.self_service:
        # (an operator who left out --config reads the defaults, not the service's file)
        where = f"in {args.config}" if args.config else "without --config (the defaults)"
        print(f"([digest] self_service is off {where}: these readers get no digest until it is on)")
    return 0


def _read_bounces(args: argparse.Namespace, settings: Settings) -> int:
    """Read the bounce mailbox once, as `run` does every hour, and say what it found."""
    import asyncio
    import os
    from datetime import UTC, datetime

    from .bounce_job import BounceJob
    from .bounces import DAYS_TO_UNSUBSCRIBE
    from .config import bounce_password
    from .lock import writer_lock
    from .store import Store

    password = bounce_password(settings.digest, os.environ)
    if password is None:
        said = "no bounce mailbox: set [digest] bounce_host (see the README)"
        print(f"aggregator: error: {said}", file=sys.stderr)
        return 2
    check_existing(args.db)

    async def write(fn: Callable[..., T], *fn_args: Any) -> T:
        return fn(*fn_args)  # (this process is the writer)

    with writer_lock(args.db, "subscribers --read-bounces"):
        store = Store(args.db)
        try:
            job = BounceJob(store, write, settings.digest, password, lambda: datetime.now(UTC))
            found = asyncio.run(job.run_pass())
        finally:
            store.close()
    if found.error is not None:
        print(f"aggregator: the bounce mailbox was not read: {found.error}", file=sys.stderr)
        return 1
    print(
        f"{counted(found.looked_at, 'new message')}, {counted(found.bounces, 'bounce')}; "
        f"{counted(len(found.failed), 'address', 'addresses')} failed for good"
    )
    for address, reason in sorted(found.failed.items()):
        state = _bounce_state(found.counted.get(address), DAYS_TO_UNSUBSCRIBE)
        if address not in found.counted and address in found.unproven:
            state = f"{_UNPROVEN}: not counted"
        print(f"  {address}: {state}; {reason}")
    return 0


# (a bounce anyone could have written, or one that returns none of the message's headers)
_UNPROVEN = (
    "quotes no message the digests sent it (forged, or the bounce leaves out the message's headers)"
)


def _bounce_state(bounced: Bounced | None, limit: int) -> str:
    """What a permanent failure did to an address (`limit`: the days that end its sign-ups):
    its sign-ups on the site, and its place in the settings' list, each said, as an address
    may be in both (unsubscribed from its sign-ups, the settings' list still mails it)."""
    if bounced is None:
        return "no reader of the digests: not counted"
    days = counted(bounced.days, "day")
    if bounced.unsubscribed:
        parts = [f"unsubscribed from {', '.join(bounced.unsubscribed)}"]
    elif bounced.signed_up:
        whose = "its sign-ups' mail" if bounced.listed else "its mail"
        parts = [f"bounced on {days} ({whose} stops at {limit})"]
    else:
        parts = [] if bounced.days >= limit else [f"bounced on {days}"]
    if bounced.listed:  # (the settings' list is the operator's to mend: it goes on)
        if bounced.days >= limit:
            still = "still listed" if parts else "listed"
            went_on = ", which goes on mailing it" if parts else ""
            parts.append(f"{still} in [digest.recipients]{went_on}: take it out")
        else:
            parts.append(f"listed in [digest.recipients], to take out at {limit}")
    return "; ".join(parts)


def _remove(args: argparse.Namespace, base_url: str) -> int:
    from .lock import writer_lock
    from .signup import leave_link
    from .signup_store import Subscribers
    from .store import Store

    address = checked_address(args.remove)
    if address is None:
        print(f"aggregator: error: not an email address: {args.remove!r}", file=sys.stderr)
        return 2
    check_existing(args.db)  # (never a new database from a typo'd path)
    try:
        with writer_lock(args.db, "subscribers --remove"):
            store = Store(args.db)
            try:
                books = Subscribers(store)
                categories = [args.category] if args.category else sorted(books.all_categories())
                removed = [c for c in categories if books.remove(c, address)]
            finally:
                store.close()
    except StorageError as exc:
        held, reader = open_for_reading(args.db)
        try:
            key = reader.signup_key()
            rows = [r for r in reader.subscriber_rows(args.category) if r["address"] == address]
        finally:
            if held is not None:
                held.close()
        links = [leave_link(base_url, key, r["category"], address) for r in rows if key]
        said = "; or open its own unsubscribe link: " + " ".join(links) if links else ""
        print(f"aggregator: {exc}{said}", file=sys.stderr)
        return 1
    if not removed:
        print(f"{address} is not signed up for a daily email")
        return 1
    print(f"removed {address} from: {', '.join(removed)}")
    return 0
