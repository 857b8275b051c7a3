"""`aggregator subscribers`: the readers who signed up for a daily email on the site
(`[digest] self_service`), and taking one off. Listing reads only and is safe while the
service runs; removing writes, so it needs the service stopped, and says otherwise how the
reader's own unsubscribe link does it."""

from __future__ import annotations

import argparse
import json
import sys

from .cli_support import open_for_reading, settings_from
from .errors import StorageError
from .signup import checked_address
from .store import check_existing


def cmd_subscribers(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if args.remove is not None:
        return _remove(args, settings.publish.base_url)
    store, reader = open_for_reading(args.db)
    try:
        rows = reader.subscriber_rows(args.category)
    finally:
        if store is not None:
            store.close()
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        where = f" of {args.category!r}" if args.category else ""
        print(f"no readers signed up for a daily email{where}")
        return 0
    width = max(len(r["category"]) for r in rows)
    for r in rows:
        state = "confirmed" if r["state"] == "confirmed" else "to confirm"
        refused = f"  (refused {r['refusals']}× in a row: {r['refused']})" if r["refusals"] else ""
        print(
            f"{r['category'].ljust(width)}  {state:<10}  {r['since'][:16]}  {r['address']}{refused}"
        )
    if not settings.digest.self_service:
        print("([digest] self_service is off: these readers get no digest until it is on)")
    return 0


def _remove(args: argparse.Namespace, base_url: str) -> int:
    from .lock import writer_lock
    from .signup import leave_link
    from .signup_store import Subscribers
    from .store import Store

    address = checked_address(args.remove)
    if address is None:
        print(f"not an email address: {args.remove!r}", file=sys.stderr)
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
