"""`aggregator publish` and `digest`: the site as static files, and a category's email."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from dataclasses import replace

from .cli_support import digest_ready, settings_from
from .config import Settings
from .errors import ConfigError
from .store import Store
from .wording import counted

log = logging.getLogger("aggregator")


def cmd_publish(args: argparse.Namespace) -> int:
    from .export import export_site
    from .site import Site

    settings = settings_from(args)
    if not args.db.exists():
        print(f"no database at {args.db}: run `aggregator poll --once` first", file=sys.stderr)
        return 1
    if not settings.publish.public_base_url:
        log.warning(
            "publish.base_url is not set to a public URL: links will point at %s",
            settings.publish.base_url,
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
    told = [publish.base_url + path for path in report.paths_written if path in named]
    return _tell_hubs(settings, told) if told else 0


def _tell_hubs(settings: Settings, addresses: list[str]) -> int:
    """`publish`'s WebSub notifications: each hub told of each feed file rewritten; 1 when a
    hub failed (it hears of those feeds when they change again)."""
    from .fetch import Fetcher
    from .hub_job import tell_hubs

    async def tell() -> int:
        async with Fetcher(settings.fetch) as fetcher:
            result = await tell_hubs(fetcher, dict.fromkeys(settings.publish.hubs, addresses))
        for hub in settings.publish.hubs:
            if hub in result.failed:
                print(f"websub: {hub} failed: {result.failed[hub]}", file=sys.stderr)
            else:
                print(f"websub: told {hub} of {counted(len(addresses), 'changed feed file')}")
        return 1 if result.failed else 0

    return asyncio.run(tell())


def cmd_digest(args: argparse.Namespace) -> int:
    from .digest_job import digest_command
    from .service import Service

    settings = settings_from(args)
    category = args.category
    configured = sorted(settings.digest.recipients)
    if category not in settings.digest.recipients:
        known = ", ".join(repr(c) for c in configured) or "none"
        raise ConfigError(
            f"no digest for category {category!r} in [digest] recipients (configured: {known})"
        )
    password = None
    if args.send_now:
        password = digest_ready(settings)
    elif not settings.publish.public_base_url:
        log.warning(
            "publish.base_url is not set to a public URL: links point at %s",
            settings.publish.base_url,
        )
    if not args.db.exists():
        print(f"no database at {args.db}: run `aggregator poll --once` or `aggregator run`")
        return 1
    service = Service(args.opml, args.db, settings, smtp_password=password)
    try:
        job = service.digest_job()
        return asyncio.run(
            digest_command(job, category, send_now=args.send_now, dry_run=args.dry_run)
        )
    finally:
        service.close()
