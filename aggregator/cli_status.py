"""`aggregator status`: one row per feed, then the digests; or everything as JSON."""

from __future__ import annotations

import argparse
import json
import shlex
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .article_settings import ArticleSettings
from .articles import gives_headlines_only
from .cli_support import open_for_reading, settings_from
from .config import Settings
from .digest_settings import DigestSettings
from .lock import polling
from .schedule import feed_schedule
from .site_holds import host_of
from .store import from_iso
from .url_secrets import hide_passwords
from .withheld import not_held_said
from .wording import counted, duration


def cmd_status(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    store, reader = open_for_reading(args.db, upgrade=False)
    now = datetime.now(UTC)
    try:
        rows = reader.status_rows()
        for r in rows:  # the OPML's rules of each feed, as lists (stored as JSON)
            r["exclude"], r["include"] = json.loads(r["exclude"]), json.loads(r["include"])
            if r["cookie"] is not None:  # (it may be a login: said to be there, never shown)
                r["cookie"] = "***"
        if not polling(args.db):  # (marks a `run` that died left: nothing is asked now)
            for r in rows:
                r["asking_since"] = None
        holds = reader.site_holds(now)
        for r in rows:  # its site asked us to wait (429 or 503): none of its feeds is asked
            until = holds.get(host_of(r["moved_to"] or r["url"]))
            r["site_held_until"] = until.isoformat(timespec="seconds") if until else None
        listed = len(rows)
        if args.attention:  # (the feeds an operator has to look at; the counts stay whole)
            rows = [r for r in rows if needs_attention(r, now)]
        if args.json:
            report = json.dumps(
                _report(reader, rows, settings, now, args.db), indent=2, default=str
            )
            print(hide_passwords(report))
            return 0
        digests = reader.digest_health()["digests"]
        signed = _signed_up(reader, settings) if settings.digest.self_service else {}
        opml_now = (reader.categories(), reader.category_aliases())
        health = reader.health()
        backups = reader.backups() if settings.backup.dir else {}
        hubs = reader.websub_hubs() if settings.publish.hubs else {}
        push = reader.push_states() if settings.fetch.websub_callback else None
        leases = reader.push_leases() if settings.fetch.websub_callback else {}
        withheld = reader.withheld()
        not_held = reader.stories_not_held(withheld.named_stories())
        pages = reader.pages()
        waiting = reader.waiting()
        pictures = reader.pictures() if settings.publish.checks_pictures else None
        digest = settings.digest
        bounces = reader.bounces(digest.listed_addresses) if digest.bounce_host else None
    finally:
        if store is not None:
            store.close()
    _print_refused(health, now)
    header = (
        "CATEGORY",
        "FEED",
        "STATUS",
        "LAST SUCCESS",
        "ITEMS",
        "ERRORS",
        "NEXT POLL",
        "ARTICLE PAGES",
    )
    table = [header]
    for r in rows:
        status = _feed_status(r)
        if asking := _asking(r, now):  # (what its last poll said follows, if it had one)
            status = f"{asking}; last poll {status}" if r["status"] else asking
        for note in (_quiet(r, now), _false_304s(r, now), _unpublished(r)):
            if note:
                status = f"{status}; {note}"
        feed = hide_passwords(r["url"] + (f" -> {r['moved_to']}" if r["moved_to"] else ""))
        status = hide_passwords(status)  # (an error may quote the address)
        due_at = r["next_poll_at"]
        hold_ends, poll_at = from_iso(r["site_held_until"]), from_iso(due_at)
        if hold_ends is not None and (poll_at is None or hold_ends > poll_at):
            due_at = r["site_held_until"]  # (none of its site's feeds is asked before then)
        due = _next_poll(due_at, now)
        if r["interval_seconds"]:  # its own (the OPML's), within the settings' bounds
            own = timedelta(seconds=r["interval_seconds"])
            due = f"{due} (every {duration(feed_schedule(settings.schedule, own).interval)})"
        lease = from_iso(leases.get(r["url"]))
        if lease is not None and lease > now:
            due = f"{due} (its hub pushes)"
        if r["paused"]:
            due = "paused (OPML)"
        elif status.startswith("gone"):
            due = "stopped (gone)"
        elif r["site_held_until"]:
            due = f"{due} (site held for {ago(r['site_held_until'], now).removeprefix('in ')})"
        table.append(
            (
                r["category"],
                feed,
                status_cell(status),
                ago(r["last_success_at"], now),
                _items(r),
                str(r["error_count"] or 0),
                due,
                _pages(r, settings.articles),
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table if rows else ():  # (no header above no feed: the line below says why)
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    if not rows and listed:
        print(f"(none of the {counted(listed, 'feed')} needs attention)")
    elif not rows:
        print("(no feeds yet: run `aggregator poll --once` or `aggregator run`)")
    _print_digests(settings, digests, now, signed, opml_now)
    if args.config is None and digests and not settings.digest.recipients:
        # (`sudo aggregator status --db …` left out the file the service reads)
        print(
            "(settings read without --config (the defaults): give the service's settings "
            "file, as --config /etc/aggregator/aggregator.toml, to see its digests as it "
            "sends them)"
        )
    print()
    print(database_line(args.db, *pages))
    if waiting["items"] or waiting["stories"]:
        print(waiting_line(waiting))
    if settings.backup.dir:
        print(backup_line(args.db, settings, backups, now))
    if settings.publish.hubs:
        print(websub_line(settings.publish.hubs, hubs, now))
    if push is not None:
        print(push_line(push, settings.schedule.max_interval))
    if pictures is not None:
        print("\n".join(picture_lines(pictures, now)))
    if bounces is not None:
        print("\n".join(bounce_lines(settings.digest, bounces, now)))
    if withheld:
        stories = counted(len(withheld.stories), "story", "stories")
        mends = "".join(f", {part}" for part in withheld.mends())
        print(
            f"WITHHELD {stories} and {counted(len(withheld.articles), 'article')}{mends} "
            "(the list beside the OPML, as the last pass put it in force)"
        )
    if not_held:
        print(f"WITHHELD {not_held_said(not_held)}")
    return 0


def websub_line(hubs: tuple[str, ...], states: dict[str, dict[str, str]], now: datetime) -> str:
    """The WebSub hubs' line of `status`: each hub, when it was last told of a changed feed,
    or since when it fails and why."""
    said = []
    for hub in hubs:
        state = states.get(hub, {})
        if "failed_at" in state:
            since = ago(state.get("failing_since"), now)
            said.append(f"{hub} failing since {since}: {state.get('error')}")
        elif "told_at" in state:
            said.append(f"{hub} told {ago(state['told_at'], now)}")
        else:
            said.append(f"{hub} not told yet")
    return "WEBSUB " + "; ".join(said)


def push_line(push: dict[str, Any], slowest: timedelta) -> str:
    """The line of `status` on this server's subscriptions at the hubs upstream feeds name
    (`push`); `slowest`: `[schedule] max_interval`, at which pushed feeds are polled."""
    states: dict[str, int] = push.get("states") or {}
    named = push.get("feeds_naming_a_hub", 0)
    active = states.get("active", 0)
    said = [
        f"{counted(active, 'feed')} pushed by {'its hub' if active == 1 else 'their hubs'}"
        + (f" (polled every {duration(slowest)} besides)" if active else "")
    ]
    if states.get("requested"):
        said.append(f"{states['requested']} awaiting the hub's check")
    failing = states.get("failed", 0) + states.get("denied", 0)
    if failing:
        said.append(f"{failing} refused (the last: {push.get('error')}), asked again later")
    if states.get("leaving"):
        said.append(f"{states['leaving']} being unsubscribed")
    said.append(f"{counted(named, 'listed feed')} naming a hub")
    return "PUSH " + "; ".join(said)


# Free pages worth giving back: this share of the file, and at least this many bytes.
_WORTH_COMPACTING = (0.10, 64 * 2**20)


def waiting_line(waiting: dict[str, int]) -> str:
    """The story job's work left in the store (`Reader.waiting`), when there is any."""
    items, stories = waiting["items"], waiting["stories"]
    return (
        f"WAITING {items:,} {'item' if items == 1 else 'items'} for a story, {stories:,} "
        f"{'story' if stories == 1 else 'stories'} for a summary: the next pass of `run` (or "
        "`poll --once`) takes them up; a pass stopped early or failed left them"
    )


def database_line(db: Path, size: int, free: int) -> str:
    """The database's line of `status`: its size and its free pages, with the command that
    gives them back when they are worth it."""
    mb = 2**20
    line = f"DATABASE {db}: {size / mb:,.0f} MB, {free / mb:,.0f} MB of it free pages"
    share, least = _WORTH_COMPACTING
    if free >= least and free >= share * size:
        line += " (reused as it grows; `aggregator compact`, the service stopped, gives them back)"
    return line


_HOSTS_SHOWN = 5  # failing picture hosts `status` names, most first


def picture_lines(found: dict[str, Any], now: datetime) -> list[str]:
    """The picture checks' lines of `status` (`Reader.pictures`): how many of the pictures
    stories were shown with load, do not (those stories show their next source's picture or
    none), or were refused our server (shown all the same); then the hosts whose pictures
    fail, most first, each with its commonest error."""
    if not found["checked"]:
        return ["PICTURES none checked yet"]
    line = (
        f"PICTURES {found['checked']:,} checked: {found['loads']:,} load, "
        f"{found['failed']:,} do not (not shown)"
    )
    if found["refused"]:
        line += f", {found['refused']:,} refused our server (shown all the same)"
    if found["to_retry"]:
        nxt = _next_poll(found["next_retry_at"], now)  # ("now" once its time has passed)
        nxt = "due now" if nxt == "now" else nxt
        line += f"; {found['to_retry']:,} asked again, the next {nxt}"
    hosts = found["failing_hosts"]
    lines = [line]
    for host in hosts[:_HOSTS_SHOWN]:
        again = f", {host['to_retry']:,} asked again" if host["to_retry"] else ""
        lines.append(f"  {host['host']}: {host['failed']:,} do not load{again} ({host['error']})")
    if len(hosts) > _HOSTS_SHOWN:
        rest = hosts[_HOSTS_SHOWN:]
        more = sum(h["failed"] for h in rest)
        lines.append(f"  and {counted(len(rest), 'more host')} ({more:,} pictures)")
    return lines


def bounce_lines(digest: DigestSettings, found: dict[str, Any], now: datetime) -> list[str]:
    """The bounce mailbox's lines of `status` (`Reader.bounces`): when it was last read, or
    since when its reads fail and why; how many addresses bounced and what became of them;
    then each address the settings still list that bounced enough to stop its mail."""
    from .bounces import DAYS_TO_UNSUBSCRIBE

    where = f"{digest.bounce_host}/{digest.bounce_folder}"
    read = f"read {ago(found['read_at'], now)}" if found["read_at"] else "not read yet"
    if found["failed"]:
        read += (
            f"; the last read failed {ago(found['failed']['at'], now)}: {found['failed']['error']}"
        )
    addresses = found["addresses"]
    gone = [a for a in addresses if a["unsubscribed"]]
    listed = [a for a in addresses if a["listed"] and a["days"] >= DAYS_TO_UNSUBSCRIBE]
    line = f"BOUNCES {where}: {read}"
    if addresses:
        line += (
            f"; {counted(len(addresses), 'address', 'addresses')} bounced for good, "
            f"{len(gone)} unsubscribed"
        )
    lines = [line]
    for a in listed:
        lines.append(
            f"  {a['address']}: bounced on {counted(a['days'], 'day')} (last {a['last_day']}: "
            f"{a['reason']}): take it out of [digest.recipients]"
        )
    return lines


def backup_line(db: Path, settings: Settings, meta: dict[str, str], now: datetime) -> str:
    """The scheduled backups' line of `status`: where they go, the last one or the failure
    that stopped the last attempt, and when the next is due."""
    from .backup_job import RETRY_AFTER, backup_dir
    from .health import backup_record

    last, failed, error = backup_record(meta)
    where = backup_dir(db, settings.backup)
    every = settings.backup.every
    if failed is not None:
        due = failed + min(RETRY_AFTER, every)
        state = f"the last attempt failed {ago(failed.isoformat(), now)}: {error}"
    else:
        due = now if last is None else last + every
        state = f"last {ago(last.isoformat(), now) if last else 'never'}"
    nxt = "at the next poll cycle" if due <= now else ago(due.isoformat(), now)
    return f"BACKUPS to {where} (keeping {settings.backup.keep}): {state}; next {nxt}"


def _report(
    reader: Any, rows: list[dict[str, Any]], settings: Settings, now: datetime, db: Path
) -> dict[str, Any]:
    """`status --json`: every key of /healthz, meaning the same (`feeds` is how many active
    feeds there are), with `reasons`, `warnings` and `digests` always present, the time of
    the check, the scheduled backups under `backup` when `[backup] dir` is set, how each
    WebSub hub last answered under `websub` when `[publish] hubs` are set, the
    database's size and free pages under `database`, the items without a story and stories
    without a summary yet under `waiting`, what the picture checks found under
    `pictures` when `[publish] check_pictures` (and `images`) is on, what the bounce
    mailbox's reads found under `bounces` when `[digest] bounce_host` is set, the readers
    signed up for each daily email under `subscribers` when `[digest] self_service` is on,
    the digests whose category left the OPML or the settings under `digests_removed`
    (`removed_report`), and one row per feed under `feed_rows`."""
    from .health import report, stale_after

    found, _ = report(reader, now, stale_after(settings), digests=True)
    backup: dict[str, Any] = {}
    if settings.backup.dir:
        from .backup_job import backup_dir
        from .health import backup_record

        last, failed, error = backup_record(reader.backups())
        backup = {
            "backup": {
                "dir": str(backup_dir(db, settings.backup)),
                "last_at": last.isoformat() if last else None,
                "failed_at": failed.isoformat() if failed else None,
                "error": error or None,
            }
        }
    size, free = reader.pages()
    withheld = reader.withheld()
    pictures = {"pictures": reader.pictures()} if settings.publish.checks_pictures else {}
    if settings.digest.bounce_host:
        pictures["bounces"] = reader.bounces(settings.digest.listed_addresses)
    hubs = reader.websub_hubs() if settings.publish.hubs else {}
    websub = {"websub": {hub: hubs.get(hub, {}) for hub in settings.publish.hubs}}
    signed = _signed_up(reader, settings) if settings.digest.self_service else {}
    names = digest_names(settings, found.get("digests", {}), signed)
    opml_now = (reader.categories(), reader.category_aliases())
    gone = removed_digests(names, settings.digest.recipients, *opml_now)
    runs = found.get("digests", {})
    digests = {}
    for name in names:  # (those `status` shows, a send stored or not, with NEXT's time)
        upcoming = next_send(name, settings, now, signed.get(name, (0, 0)), gone.get(name))
        digests[name] = {
            **(runs.get(name) or NEVER_SENT),
            "next_send_at": upcoming.isoformat(timespec="seconds") if upcoming else None,
        }
    return {
        "checked_at": now.isoformat(timespec="seconds"),
        **found,
        "digests": digests,
        "reasons": found.get("reasons", []),
        "warnings": found.get("warnings", []),
        "digests_removed": removed_report(names, settings, opml_now),
        **backup,
        **(websub if settings.publish.hubs else {}),
        **({"push": reader.push_states()} if settings.fetch.websub_callback else {}),
        "withheld": {
            "stories": sorted(withheld.stories),
            "articles": sorted(withheld.articles),
            "apart": sorted(withheld.apart),
            "joins": [list(ids) for ids in sorted(withheld.joins)],
            "not_held": reader.stories_not_held(withheld.named_stories()),
        },
        **({"subscribers": _signed(reader.subscribers())} if settings.digest.self_service else {}),
        **pictures,
        "database": {"bytes": size, "free_bytes": free},
        "waiting": reader.waiting(),
        "feed_rows": rows,
    }


def _signed(counts: dict[str, tuple[int, int]]) -> dict[str, dict[str, int]]:
    return {name: {"confirmed": c, "pending": p} for name, (c, p) in sorted(counts.items())}


STATUS_WIDTH = 120  # a feed's status in the table; the whole in `--json` and the log


def status_cell(status: str) -> str:
    """A feed's status as the table shows it: cut with "…" past `STATUS_WIDTH`, so a cut is
    seen (at 80, unmarked, "not a feed: its feed is at …" had lost most of the address)."""
    if len(status) <= STATUS_WIDTH:
        return status
    return status[: STATUS_WIDTH - 1] + "…"


def _feed_status(row: dict[str, Any]) -> str:
    """A feed's STATUS cell: "ok", "error 404: Not Found", "error: connection refused"; the
    HTTP code is said once (the error's own "HTTP 404 …" would repeat it)."""
    status, error = row["status"] or "new", row["error"] or ""
    code = row["http_status"]
    if code and status in {"error", "gone"}:
        status = f"{status} {code}"
        said = f"HTTP {code}"
        if error == said or error.startswith(said + " "):
            error = error[len(said) :].strip()
    return f"{status}: {error}" if error else status


QUIET = timedelta(days=7)  # a feed that answers but has brought nothing new for this long


# A feed's last poll went well: new, a body, or "nothing changed" (a 304, or the same body
# again; `--attention` had listed every feed that answered 304, and never one quiet so).
_ANSWERING = ("ok", "new", "not_modified", "unchanged")


def needs_attention(row: dict[str, Any], now: datetime) -> bool:
    """Whether a feed's row asks for the operator: its last poll failed (or it is gone), it
    has brought nothing new for `QUIET`, none of its items is published, or it is paused."""
    return (
        (row.get("status") or "new") not in _ANSWERING
        or bool(row.get("error_count"))
        or bool(_quiet(row, now))
        or bool(_unpublished(row))
        or bool(row.get("paused"))
    )


def _quiet(row: dict[str, Any], now: datetime) -> str:
    """ "nothing new for 12 days" for a feed that answers well but whose newest item was first
    seen `QUIET` or longer ago: a site that moved its feed and left the old one standing, a
    section that closed. Empty otherwise."""
    newest = from_iso(row.get("newest_item_at"))
    if row.get("status") not in _ANSWERING or newest is None or now - newest < QUIET:
        return ""
    return f"nothing new for {(now - newest).days} days"


UNPUBLISHED_AFTER = 3  # a feed's items in stories, none published: said from this many


def _unpublished(row: dict[str, Any]) -> str:
    """ "none of its 12 items published yet (headlines only: no text to summarise)" for a
    feed whose items are in stories none of which is published: a story needs a sentence to
    summarise (a Google News feed's headlines, said as such; a title-only feed with article
    pages off or unreadable). Empty otherwise, and for a feed with fewer than
    `UNPUBLISHED_AFTER` such items."""
    grouped = row.get("in_stories") or 0
    if grouped < UNPUBLISHED_AFTER or row.get("published"):
        return ""
    if gives_headlines_only(row.get("url") or ""):
        why = "a Google News feed: headlines only, their pages not read"
    elif row.get("with_text"):
        why = "no sentence to summarise"
    else:
        why = "headlines only"
    return f"none of its {grouped} items published yet ({why})"


def _asking(row: dict[str, Any], now: datetime) -> str:
    """ "asking for 23 s" for a feed `run` has asked and not heard from yet (a pass left it
    in flight: `PollJob._mark_asking`); empty otherwise."""
    since = from_iso(row.get("asking_since"))
    if since is None:
        return ""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 120:
        return f"asking for {seconds} s"
    if seconds < 7200:
        return f"asking for {seconds // 60} min"
    return f"asking for {seconds // 3600} h"


def _false_304s(row: dict[str, Any], now: datetime) -> str:
    """ "asked in full: its 304s hid new entries (2d ago)" for a feed whose server answered 304
    for a feed that had changed (`feed_state.check_304s`); empty otherwise."""
    found = row.get("false_304_at")
    return f"asked in full: its 304s hid new entries ({ago(found, now)})" if found else ""


def _print_refused(health: dict[str, Any], now: datetime) -> None:
    """The service's network down, and a sources edit (or a withheld list's) the service
    refused, above the feeds: the last good ones stay in force."""
    from .health import NETWORK_DOWN, OPML_REFUSED, WITHHELD_REFUSED

    down = health.get(NETWORK_DOWN)
    if isinstance(down, dict):
        span = ago(down.get("since"), now).removesuffix(" ago")
        print(f"NETWORK DOWN for {span}: no feed's host can be reached ({down.get('error')})")
        print("(feeds are not asked, nor counted failing, until one answers; see the log)")
        print()
    withheld = health.get(WITHHELD_REFUSED)
    if withheld:
        said = f"{ago(withheld.get('since'), now)}: {withheld.get('error')}"
        print(f"WITHHELD LIST EDIT REFUSED {said}")
        print("(the last good list stays in force; fix the file and the service picks it up)")
        print()
    refused = health.get(OPML_REFUSED)
    if not refused:
        return
    print(f"SOURCES EDIT REFUSED {ago(refused.get('since'), now)}: {refused.get('error')}")
    print("(the feeds below are the last good sources; fix the file and the service picks it up)")
    print()


def ago(value: str | None, now: datetime) -> str:
    when = from_iso(value)
    if when is None:
        return "never"
    seconds = int((now - when).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            text = f"{seconds // size}{unit}"
            break
    else:
        text = f"{seconds}s"
    return f"in {text}" if future else f"{text} ago"


def _next_poll(value: str | None, now: datetime) -> str:
    """A feed's NEXT POLL: "in 5m", or "now" for one due (never polled, its time passed, or
    being asked again), where a time passed had read "7s ago"."""
    when = from_iso(value)
    return "now" if when is None or (when - now).total_seconds() < 1 else ago(value, now)


def _items(row: dict[str, Any]) -> str:
    """A feed's stored items, and how many of them hold a page's furniture (never published)."""
    furniture = row.get("furniture") or 0
    return f"{row['items']} ({furniture} furniture)" if furniture else str(row["items"])


PAGES_WIDTH = 90  # a feed's ARTICLE PAGES cell in the table; the whole error in `--json`


def _pages(row: dict[str, Any], articles: ArticleSettings | None = None) -> str:
    """Article pages of a feed: how many gave text, how many failed (and of those how many
    are to be tried again) and the latest reason; "off (…)" with what turned them off: the
    feed's OPML outline, or `articles` (the settings: `enabled = false`, or the feed in
    `skip_feeds`)."""
    ok, failed = row.get("articles_ok") or 0, row.get("articles_failed") or 0
    off = _pages_off(row, articles)
    if off:
        return f"off ({off}){f', {ok} ok before' if ok else ''}"
    # entries that link a home page or one page they share: no page is theirs to fetch
    linkless = row.get("articles_linkless") or 0
    own = f", {linkless} with no page of their own" if linkless else ""
    if not ok and not failed:
        return f"none{own} (a home page, or a link the entries share)" if linkless else "-"
    text = f"{ok} ok, {failed} failed{own}"
    if retrying := row.get("articles_retrying") or 0:
        text += f", {retrying} to retry"
    if failed and row.get("article_error"):
        error = str(row["article_error"])
        room = PAGES_WIDTH - len(text) - len(" (last: )")
        if len(error) > room:  # cut with "…", the parenthesis closed: a cut is seen
            error = error[: max(room - 1, 0)] + "…"
        text += f" (last: {error})"
    return text


def _pages_off(row: dict[str, Any], articles: ArticleSettings | None) -> str | None:
    """What keeps a feed's article pages from being fetched, if anything."""
    from .articles import skipped_feed

    if row.get("articles") == 0:  # the feed's OPML outline says articles="off"
        return "OPML"
    if articles is not None and not articles.enabled:
        return "settings"
    if articles is not None and skipped_feed(row["url"], articles.skip_feeds):
        return "skip_feeds"
    return None


def _print_digests(
    settings: Settings,
    digests: dict[str, Any],
    now: datetime,
    signed: dict[str, tuple[int, int]] | None = None,
    opml_now: tuple[list[str], dict[str, str]] = ([], {}),
) -> None:
    """The digest section of `status`: each category's latest send and the next one, and
    the readers who signed up themselves (`signed`: confirmed, pending); a digest whose
    category the OPML no longer has (`opml_now`: its categories and renamed ones' aliases, as
    the service last read it), or that the settings no longer name, is shown as such with
    what became of its readers."""
    signed = signed or {}
    names = digest_names(settings, digests, signed)
    if not names:
        return
    gone = removed_digests(names, settings.digest.recipients, *opml_now)
    header = ("DIGEST", "RECIPIENTS", "LAST", "STATUS", "NEXT")
    table = [header]
    table += [
        digest_row(
            name, digests.get(name, {}), settings, now, signed.get(name, (0, 0)), gone.get(name)
        )
        for name in names
    ]
    widths = [max(shown_width(row[i]) for row in table) for i in range(len(header))]
    print()
    for row in table:
        cells = (cell + " " * (widths[i] - shown_width(cell)) for i, cell in enumerate(row))
        print(hide_passwords("  ".join(cells)).rstrip())
    for name, why in gone.items():
        confirmed, pending = signed.get(name, (0, 0))
        if confirmed or pending:
            readers = counted(confirmed + pending, "reader")
            sends = "sends nothing" if _silent(name, why, settings) else _LEFTOVERS
            print(
                f"  {name}: {why}, so its digest {sends}; its {readers} who signed up "
                "stay signed up (their unsubscribe links work) and get it again once it is "
                f"back (`aggregator subscribers --category {shlex.quote(name)}` lists them)"
            )


def digest_names(
    settings: Settings, digests: Mapping[str, Any], signed: Mapping[str, tuple[int, int]]
) -> list[str]:
    """The digests `status` shows, in order: the settings' with anyone to send to (listed or
    signed up), then those with a run stored, then those readers signed up for."""
    configured = [c for c, to in settings.digest.recipients.items() if to or c in signed]
    return list(dict.fromkeys([*configured, *digests, *signed]))


def removed_report(
    names: list[str], settings: Settings, opml_now: tuple[list[str], dict[str, str]]
) -> dict[str, dict[str, Any]]:
    """`status --json`'s `digests_removed`: per digest `removed_digests` names, `not_in`
    ("opml" or "recipients"), `reason` (the words `status` shows) and `sends_nothing`
    (`_silent`: else it carries only the stories already filed under it). Pure."""
    gone = removed_digests(names, settings.digest.recipients, *opml_now)
    return {
        name: {
            "not_in": "recipients" if why == _NOT_LISTED else "opml",
            "reason": why,
            "sends_nothing": _silent(name, why, settings),
        }
        for name, why in sorted(gone.items())
    }


# What the digest of a category gone from the OPML that the settings still name carries:
# `digest.due` keeps its schedule, and the stories stored under the category (which stay)
# that changed since its last send go out once more.
_LEFTOVERS = "carries only the stories already filed under it"


def _silent(name: str, gone: str | None, settings: Settings) -> bool:
    """Whether a digest `removed_digests` names (`gone`) sends nothing: one the settings do
    not name (`digest.due` sends theirs only); one gone from the OPML alone still sends."""
    return gone is not None and name not in settings.digest.recipients


_NOT_IN_OPML = "no such category in the OPML now (removed?)"
_NOT_LISTED = "not in [digest.recipients] now"


def removed_digests(
    names: list[str],
    recipients: Mapping[str, tuple[str, ...]],
    categories: list[str],
    aliases: Mapping[str, str],
) -> dict[str, str]:
    """Digest → why it is shown as removed (`_silent` tells whether it still sends): its
    category is not in the OPML now (nor spelled otherwise, nor renamed: `category_now`), or
    the settings do not name it (readers signed up for it before it was taken out of
    `[digest.recipients]`). Pure. With no categories known (a database no service has
    filled), none is said to be removed."""
    from .category_renames import category_now

    gone = {}
    for name in names:
        if categories and category_now(name, categories, aliases) is None:
            gone[name] = _NOT_IN_OPML
        elif name not in recipients:
            gone[name] = _NOT_LISTED
    return gone


def shown_width(text: str) -> int:
    """Columns `text` takes in a terminal (`text_wrap.columns`: a wide character, CJK and
    most emoji, two; a combining mark none: a category named with an emoji had shifted its
    row)."""
    from .text_wrap import columns

    return columns(text)


def _signed_up(reader: Any, settings: Settings) -> dict[str, tuple[int, int]]:
    """digest → (confirmed, pending) readers who signed up on the site and whom the
    settings do not list already (one copy goes to such a reader: counted twice, the
    RECIPIENTS column had said one reader more than get it), each once. Readers filed
    under a category's former name are counted with the digest they get
    (`category_renames.digest_for`); they had stood under the former name, as if its
    digest were gone."""
    from email.utils import parseaddr

    from .category_renames import digest_for

    digests = settings.digest.recipients
    listed = {
        category: {parseaddr(to)[1].lower() for to in recipients}
        for category, recipients in digests.items()
    }
    names, aliases = reader.categories(), reader.category_aliases()
    readers: dict[tuple[str, str], bool] = {}  # (digest, address) → confirmed
    for row in reader.subscriber_rows():
        digest = digest_for(row["category"], digests, names, aliases) or row["category"]
        address = row["address"].lower()
        if address not in listed.get(digest, ()):
            mine = row["state"] == "confirmed"
            readers[digest, address] = readers.get((digest, address), False) or mine
    counts: dict[str, tuple[int, int]] = {}
    for (digest, _), mine in readers.items():
        confirmed, pending = counts.get(digest, (0, 0))
        counts[digest] = (confirmed + mine, pending + (not mine))
    return counts


# A digest's `status --json` entry before its first send (`digest_health`'s keys).
NEVER_SENT: dict[str, Any] = {
    "day": None, "status": None, "attempts": 0, "sent_at": None, "next_attempt_at": None,
    "stories": None, "error": None,
}  # fmt: skip


def next_send(
    name: str,
    settings: Settings,
    now: datetime,
    signed: tuple[int, int] = (0, 0),
    gone: str | None = None,
) -> datetime | None:
    """When a digest's next scheduled send is (`digest.next_slot`); None for one that goes
    to no one (no recipient listed, no reader signed up) or sends nothing (`_silent`)."""
    from .digest import next_slot

    listed = settings.digest.recipients.get(name, ())
    if _silent(name, gone, settings) or not (listed or signed[0] > 0):
        return None
    return next_slot(name, now, settings.digest)


def digest_row(
    name: str,
    last: dict[str, Any],
    settings: Settings,
    now: datetime,
    signed: tuple[int, int] = (0, 0),
    gone: str | None = None,
) -> tuple[str, str, str, str, str]:
    """A category's digest line: its latest run (`digest_health`'s row) and what comes next,
    the pending retry of a failed send ("retry due" once its time has come: the service's
    next tick sends it) before the next scheduled send. RECIPIENTS counts the settings' and
    (`signed`) the readers' own: "2 + 5 signed up (1 to confirm)". A digest gone from the
    OPML or the settings (`gone`: why, `removed_digests`) says why; one that sends nothing
    (`_silent`) has no next send."""
    listed = settings.digest.recipients.get(name, ())
    silent = _silent(name, gone, settings)
    scheduled = next_send(name, settings, now, signed, gone)  # (None: it goes to no one)
    recipients = scheduled is not None
    status = last.get("status") or "never sent"
    retry = _retry(name, last, settings, now) if recipients else None
    if last.get("status") in ("failed", "sending"):
        status = f"failed (attempt {last['attempts']}), {retry or 'gave up for the day'}"
    if last.get("error"):
        status += f": {last['error']}"
    if silent:
        status = f"{gone}: sends nothing"
    elif gone is not None:  # (its stories stored under it go out once more: `_LEFTOVERS`)
        status = f"{gone}: {_LEFTOVERS.removeprefix('carries ')}"
    upcoming = "-"
    if retry is not None:
        upcoming = retry
    elif scheduled is not None:
        upcoming = ago(scheduled.isoformat(), now)
    day = f"{last['day']} ({ago(last['sent_at'], now)})" if last.get("sent_at") else "-"
    count = str(len(listed))
    if signed != (0, 0):
        count += f" + {signed[0]} signed up"
        count += f" ({signed[1]} to confirm)" if signed[1] else ""
    return (name, count, day, status[:100], upcoming)


def _retry(name: str, last: dict[str, Any], settings: Settings, now: datetime) -> str | None:
    """ "retry due" or "retry in 4m" while a failed send will be tried again (the rules of
    `digest.due`: the latest scheduled day's run, below max_attempts); None otherwise."""
    from .digest import latest_slot

    when = from_iso(last.get("next_attempt_at"))
    if when is None or last.get("status") not in ("failed", "sending"):
        return None
    if last.get("attempts", 0) >= settings.digest.max_attempts:
        return None
    if last.get("day") != latest_slot(name, now, settings.digest)[0].isoformat():
        return None
    return "retry due" if when <= now else f"retry {ago(last['next_attempt_at'], now)}"
