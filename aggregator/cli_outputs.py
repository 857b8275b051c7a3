"""`aggregator publish` and `digest`: the site as static files, and a category's email."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sqlite3
import sys
from dataclasses import replace
from pathlib import Path

from .cli_support import digest_ready, settings_from
from .config import Settings
from .errors import ConfigError, StorageError
from .slugs import same_address
from .store import Store, check_existing
from .wording import counted

log = logging.getLogger("aggregator")

# (what to do, where a command warns that its links point at this machine)
SET_BASE_URL = (
    "set [publish] base_url in the settings file (or AGGREGATOR_PUBLISH_BASE_URL) to the "
    "address readers use"
)


def cmd_publish(args: argparse.Namespace) -> int:
    from .export import export_site
    from .site import Site

    settings = settings_from(args)
    check_existing(args.db)  # (a missing, empty or foreign file is said, never made one)
    if not settings.publish.public_base_url:
        log.warning(
            "publish.base_url is not set to a public URL: links will point at %s; %s",
            settings.publish.base_url,
            SET_BASE_URL,
        )
    store = Store(args.db)
    try:
        # (a static site has no server to search with, nor to fetch pictures: its pages offer
        # no search, and name every picture at its outlet)
        publish = replace(settings.publish, search=False, picture_proxy="off")
        site = Site(store.reader(), publish, digest=settings.digest)
        report = export_site(site, args.output)
        # the feeds that name the hubs, at their own addresses (not a renamed one's former)
        named = set(site.hub_feed_paths()) if publish.hubs else set()
        pending = _pending(store) if publish.hubs else {}
    finally:
        store.close()
    removed = (
        f", the files of {counted(report.withdrawn, 'story', 'stories')} no longer published "
        "removed"
        if report.withdrawn
        else ""
    )
    print(
        f"{args.output}: {counted(report.written, 'file')} written, {report.unchanged} unchanged"
        + removed
    )
    for name in report.kept:
        log.info(
            "%s: left as it is: not written by an export (the directory's own); remove it "
            "for the site's own file there",
            args.output / name,
        )
    if not publish.hubs:
        return 0
    feeds = {publish.base_url + path for path in named}
    changed = [publish.base_url + path for path in report.paths_written if path in named]
    due = {  # (what a hub missed at an earlier publish first, while it is still a feed)
        hub: list(dict.fromkeys([*(a for a in pending.get(hub, ()) if a in feeds), *changed]))
        for hub in publish.hubs
    }
    due = {hub: addresses for hub, addresses in due.items() if addresses}
    if not due and not pending:
        return 0
    code, still = _tell_hubs(settings, due, set(changed)) if due else (0, {})
    if still != pending:
        store = Store(args.db)
        try:
            store.set_meta(STATIC_PENDING, json.dumps(still, sort_keys=True))
        finally:
            store.close()
    return code


# meta: hub → the feed addresses a static publish could not tell it of (told at the next one)
STATIC_PENDING = "websub_static_pending"


def _pending(store: Store) -> dict[str, list[str]]:
    """What earlier static publishes could not tell each hub (`STATIC_PENDING`)."""
    found = store.meta_values([STATIC_PENDING]).get(STATIC_PENDING)
    pending = json.loads(found) if found else {}
    return pending if isinstance(pending, dict) else {}


def _tell_hubs(
    settings: Settings, due: dict[str, list[str]], changed: set[str]
) -> tuple[int, dict[str, list[str]]]:
    """`publish`'s WebSub notifications: each hub told of each feed file rewritten, and of
    those it missed at an earlier publish; 1 when a hub failed, and what each failed hub is
    still to hear of (told at the next publish)."""
    from .fetch import Fetcher
    from .hub_job import tell_hubs

    async def tell() -> tuple[int, dict[str, list[str]]]:
        async with Fetcher(settings.fetch) as fetcher:
            result = await tell_hubs(fetcher, due)
        still: dict[str, list[str]] = {}
        for hub, addresses in due.items():
            if hub in result.failed:
                still[hub] = addresses
                print(
                    f"websub: {hub} failed: {result.failed[hub]}; it is told of "
                    f"{counted(len(addresses), 'feed file')} at the next publish",
                    file=sys.stderr,
                )
                continue
            earlier = sum(1 for address in addresses if address not in changed)
            said = f" ({earlier} missed at an earlier publish)" if earlier else ""
            told = counted(len(addresses), "changed feed file")
            print(f"websub: told {hub} of {told}{said}")
        return (1 if result.failed else 0), still

    return asyncio.run(tell())


def _digest_carrying(db: Path, category: str, digests: list[str]) -> str | None:
    """The digest of `digests` (the settings' names) that carries `category`'s stories
    because an OPML edit renamed or respelled its category so (`category_now`), as the
    database at `db` has the sources; None for none, or no database to tell."""
    from .category_renames import category_now
    from .store_read import Reader

    if not digests or not db.is_file():
        return None
    reader = Reader(str(db))
    try:
        names, aliases = reader.categories(), reader.category_aliases()
    except (sqlite3.Error, StorageError):  # (a file that is no database of ours: said later)
        return None
    if category not in names:
        return None
    return next((d for d in digests if category_now(d, names, aliases) == category), None)


def cmd_digest(args: argparse.Namespace) -> int:
    from .digest_job import digest_command
    from .service import Service

    settings = settings_from(args)
    category = args.category
    configured = sorted(settings.digest.recipients)
    if category not in settings.digest.recipients:
        known = ", ".join(repr(c) for c in configured) or "none"
        # (what to do: name the file that lists it, or list it there)
        if (carrier := _digest_carrying(args.db, category, configured)) is not None:
            # (only respelled, "World news" for "World News": nothing was renamed)
            why = (
                f"the settings spell that category {carrier!r}, the OPML {category!r}"
                if same_address(carrier, [category]) is not None
                else f"the OPML renamed that category {category!r}"
            )
            todo = (
                f"the one filed under {carrier!r} carries its stories ({why}): "
                f"--category {carrier!r}"
            )
        elif args.config is None:
            todo = "give --config the settings file that lists it"
        else:
            todo = f'list it in {args.config} (`"{category}" = ["reader@…"]`)'
        raise ConfigError(
            f"no digest for category {category!r} in [digest.recipients] (configured: {known}); "
            f"{todo}"
        )
    password = None
    if args.send_now:
        password = digest_ready(settings)
    elif not settings.publish.public_base_url:
        log.warning(
            "publish.base_url is not set to a public URL: links point at %s; %s",
            settings.publish.base_url,
            SET_BASE_URL,
        )
    check_existing(args.db)
    service = Service(args.opml, args.db, settings, smtp_password=password, lasting=False)
    try:
        job = service.digest_job()
        return asyncio.run(
            digest_command(job, category, send_now=args.send_now, dry_run=args.dry_run)
        )
    finally:
        service.close()
