"""`aggregator add`, `remove`, `import` and `export`: editing the OPML of sources."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from typing import TYPE_CHECKING

from .cli_support import digest_ready, settings_from
from .errors import AggregatorError, ConfigError
from .logs import logs_json
from .push import reachable_from_outside
from .site_words import LANGUAGES, has_words
from .slugs import same_address
from .url_secrets import hide_passwords
from .withheld import withheld_path
from .wording import counted, duration, feeds_named

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from .config import Settings
    from .lock import Holder
    from .models import Source


def picked_up(opml: Path, db: Path) -> str:
    """Whether a service reads an edit of `opml`: one that runs on `db` (its lock file names
    it, and the sources file it reads), said as what happens next."""
    from .lock import service_on

    holder = service_on(db)
    if holder is None and _is_dir(db):  # (the data directory given for the file in it)
        return (
            f"{db} is a directory, not a database file (check --db: name the file in it), so "
            "whether a running service reads this cannot be told"
        )
    reads = holder.opml if holder is not None else None
    exists = holder is not None or _exists(db)  # (asked only when no service is named)
    return picked_up_said(holder, reads is not None and same_file(reads, opml), opml, db, exists)


def same_file(service_reads: str, opml: Path) -> bool:
    """Whether the path a service opens (`service_reads`) leads to the file `opml` names now
    (through links as they are now: one moved since the service started leads elsewhere);
    when either is missing, whether both name one path."""
    try:
        return os.path.samefile(service_reads, opml)
    except OSError:
        return os.path.realpath(service_reads) == os.path.realpath(opml)


def _is_dir(path: Path) -> bool:
    """Whether `path` is a directory; False when that cannot be told."""
    try:
        return path.is_dir()
    except OSError:
        return False


def _exists(path: Path) -> bool:
    """Whether `path` exists; True when that cannot be told (a directory the user may not
    read: the unit's state directory without sudo), never an error after the edit."""
    try:
        return path.exists()
    except OSError:
        return True


def picked_up_said(
    holder: Holder | None, same_file: bool, opml: Path, db: Path, db_exists: bool
) -> str:
    """What `add`, `remove` and `import` end by saying: that the service running on `db`
    (`holder`) picks the edit up, only when it reads this very file (`same_file`); else
    that it reads another, or that none runs and which command reads it next."""
    if holder is None:
        where = f"no service is running on {db}" if db_exists else f"no database at {db}"
        return (
            f"{where} (--db names the service's): the next `aggregator run` or `poll` with "
            f"--opml {opml} reads this"
        )
    if holder.command == "?":  # (a lock file that cannot be read: as root, or with --db)
        return (
            f"a service may be running on {db} (its lock file cannot be read): if it reads "
            f"{opml}, it picks this up within one tick"
        )
    who = holder.describe()
    if holder.opml is None:  # (a service of a version that did not name its file)
        return f"{who} runs on {db}: if it reads {opml}, it picks this up within one tick"
    if not same_file:
        return (
            f"{who} runs on {db} with the sources {holder.opml}, not this file: it does not "
            "see this change"
        )
    return f"{who}, running on {db}, picks this up within one tick"


def _warn(text: str) -> None:
    """A command's warning on stderr ("aggregator: warning: …"), unless the log level is
    above WARNING (`--log-level ERROR`: errors only, as the log's own warnings are); with
    `--log-format json`, a warning of the log (one JSON object, as a script reads stderr)."""
    log = logging.getLogger("aggregator")
    if logs_json():
        log.warning("%s", text)
    elif log.isEnabledFor(logging.WARNING):
        print(hide_passwords(f"aggregator: warning: {text}"), file=sys.stderr)


def _refused(command: str, exc: ConfigError) -> int:
    """An edit that cannot be made (an address that is no feed, one listed or not listed, an
    unreadable OPML): said as that, not as a "configuration error"; exit 2 all the same."""
    print(hide_passwords(f"aggregator: {command}: {exc}"), file=sys.stderr)
    return 2


def cmd_add(args: argparse.Namespace) -> int:
    from .articles import HEADLINES_ONLY_SAID, gives_headlines_only
    from .own_site import site_bases
    from .sources import add

    settings = settings_from(args)
    try:
        added = asyncio.run(
            add(
                args.opml,
                args.url,
                category=args.category,
                title=args.title,
                exclude=args.exclude,
                include=args.include,
                interval=args.interval,
                user_agent=args.user_agent,
                cookie=args.cookie,
                selector=args.selector,
                remove=args.remove,
                settings=settings.fetch,
                own=site_bases(settings),
                timeout=args.timeout,
            )
        )
    except ConfigError as exc:
        return _refused("cannot add", exc)
    source = added.source
    if added.warning:
        # The poller's wording ('malformed XML at line L, column C: reason'), as in `status`.
        _warn(
            f"{source.url} parsed only in part ({added.warning}); "
            f"{added.items} items read; added all the same"
        )
    shown = hide_passwords(source.url)
    if gives_headlines_only(source.url):
        _warn(f"{shown}: {HEADLINES_ONLY_SAID}")
    print(f"added {shown} ({source.title!r}) to {source.category!r} in {args.opml}")
    print(picked_up(args.opml, args.db))
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from .sources import remove

    try:
        remove(args.opml, args.url)
    except ConfigError as exc:
        return _refused("cannot remove", exc)
    print(f"removed {hide_passwords(args.url)} from {args.opml} (its stored items stay)")
    print(picked_up(args.opml, args.db))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from .own_site import site_bases
    from .sources import import_opml

    own = site_bases(settings_from(args))
    try:
        added, skipped, warnings = import_opml(args.opml, args.file, own)
    except ConfigError as exc:
        return _refused("cannot import", exc)
    for warning in warnings:  # ("line 7: …" of the file imported, not of the sources)
        _warn(f"{args.file}: {warning}")
    for source in added:
        kept = _own_settings(source)
        also = f" with its {', '.join(kept)}" if kept else ""
        print(f"added {hide_passwords(source.url)} to {source.category!r}{also}")
    print(f"{counted(len(added), 'feed')} added, {len(skipped)} already listed, into {args.opml}")
    if added:
        print(picked_up(args.opml, args.db))
    return 0


def _own_settings(source: Source) -> list[str]:
    """The settings of its own an imported feed kept (a FreshRSS export's), by name: a
    cookie's value is never shown."""
    kept = [f"selector {source.selector!r}"] if source.selector else []
    if source.remove:
        kept.append(f"remove {source.remove!r}")
    if source.user_agent:
        kept.append(f"userAgent {source.user_agent!r}")
    if source.cookie:
        kept.append("cookie")
    if source.interval is not None:
        kept.append(f"interval {duration(source.interval)}")
    if source.paused:
        kept.append("pause (muted there)")
    return kept


def _same_file(one: Path, other: Path) -> bool:
    """Whether two paths name one file (through a link, or written otherwise)."""
    try:
        return os.path.samefile(one, other)
    except OSError:  # (one of them not there: not the same file)
        return False


def cmd_export(args: argparse.Namespace) -> int:
    from .sources import export_opml, write_atomically

    data = export_opml(args.opml)
    if args.output is not None and _same_file(args.output, args.opml):
        # (the export leaves out each feed's own settings: written over the sources, it had
        # dropped their pauses, rules, intervals, headers and selectors, and said nothing)
        raise AggregatorError(
            f"{args.output}: is the sources file itself ({args.opml}); export to another file"
        )
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        try:
            write_atomically(args.output, data, like=args.opml)
        except OSError as exc:
            raise AggregatorError(f"{args.output}: cannot write: {exc.strerror or exc}") from exc
    return 0


def _check_withheld(path: Path, db: Path | None) -> None:
    """The withheld list beside the OPML, as the service reads it at start (ConfigError, exit
    2, for a line it would stop at); what it holds is said. With a database (read only), the
    story ids it names that the database does not hold are warned of, as `run` warns."""
    from .withheld import not_held_said, read_withheld

    if not path.exists():
        return
    withheld = read_withheld(path)
    stories = counted(len(withheld.stories), "story", "stories")
    said = "".join(f"; {part}" for part in withheld.mends())
    print(f"{path}: {stories} and {counted(len(withheld.articles), 'article')} withheld{said}")
    named = withheld.named_stories()
    if db is None or not named:
        return
    from .store_db import check_existing
    from .store_read import Reader

    check_existing(db)  # (a missing or empty file is said, never created)
    missing = Reader(str(db)).stories_not_held(named)
    if missing:
        _warn(f"{path}: {not_held_said(missing, str(db))}")


def _check_database_mode(db: Path, sources: Sequence[Source]) -> None:
    """Warn when the database is readable by every local user and holds what is private:
    readers' addresses (and the key that signs their links), feeds' logins (a password, a
    token or a cookie, as `status` hides them). Said, never changed: the mode of a file that
    is there is its operator's (`private_files`)."""
    import shlex

    from .private_files import reachable_by_others, readable_by_others
    from .store_db import check_existing
    from .store_read import Reader
    from .url_secrets import hide_passwords

    check_existing(db)  # (a missing or empty file is said, never created)
    mode = db.stat().st_mode & 0o777
    if not readable_by_others(mode) or not reachable_by_others(db):
        return
    held = []
    if readers := sum(c + p for c, p in Reader(str(db)).subscribers().values()):
        held.append(f"the addresses of {counted(readers, 'subscriber')}")
    if logins := sum(1 for s in sources if s.cookie or hide_passwords(s.url) != s.url):
        held.append(f"the logins of {counted(logins, 'feed')}")
    if held:
        _warn(
            f"{db}: readable by every user of this machine (mode {mode:04o}), and it holds "
            f"{' and '.join(held)}; `chmod o-rwx {shlex.quote(str(db))}*` (its -wal, -shm, "
            "lock file and grouping snapshot too) makes them the service's own"
        )


def _digest_categories_said(
    settings: Settings, categories: Sequence[str], sources: Sequence[Source], db: Path | None
) -> list[str]:
    """What `check` says of digests filed under a category the OPML does not have, as `run`
    says it: one spelled otherwise, or renamed by an edit (one the service took, or the one
    `sources` make now, as the database tells when --db names it: read only), carries that
    category's stories; any other gets no new ones."""
    from .category_renames import renamed_categories, renamed_to, updated_aliases
    from .slugs import slugify

    aliases: dict[str, str] = {}
    if db is not None:
        from .store_db import check_existing
        from .store_read import Reader

        check_existing(db)  # (a missing or empty file is said, never created)
        reader = Reader(str(db))
        listed = {source.url: source.category for source in sources}
        renames = renamed_categories(reader.listed_categories(), listed)  # (as `run` will)
        aliases = updated_aliases(reader.category_aliases(), renames, categories)
    known = set(categories)
    said = []
    for category, addresses in settings.digest.recipients.items():
        if not (addresses or settings.digest.self_service) or category in known:
            continue
        filed = "recipients are filed under" if addresses else "sign-ups are taken for"
        spelled = same_address(category, known)
        renamed = renamed_to(slugify(category), aliases, known)
        if spelled is not None or renamed is not None:
            how = f"spells {spelled!r}" if spelled is not None else f"renamed {renamed!r}"
            said.append(
                f"[digest] {filed} {category!r}, which the OPML {how}: its digest carries "
                "that category's stories; file them under that name"
            )
            continue
        empty = "that digest gets no new stories, only those already filed under it" + (
            "" if db is not None else ", unless an edit renamed it (`check --db` tells)"
        )
        said.append(
            f"[digest] {filed} {category!r}, which the OPML does not have (its "
            f"categories: {', '.join(categories)}): {empty}"
        )
    return said


def cmd_check(args: argparse.Namespace) -> int:
    """The OPML and the settings read as `run` reads them at start: a problem is the error
    the service would stop at (exit 2); what it would only warn of is said, then what the
    file holds. Nothing is fetched, and no database is opened unless --db names one (read
    only: the withheld list's story ids are checked against it)."""
    from .articles import HEADLINES_ONLY_SAID, gives_headlines_only
    from .feed_links import known_feed
    from .opml import load_opml
    from .own_site import own_base_of, own_site_said, site_bases
    from .schedule import intervals_overruled

    settings = settings_from(args)
    opml = load_opml(args.opml)
    digest_ready(settings)  # (`run` stops there too: no public base URL, no SMTP password)
    said = list(opml.warnings)
    own = ((s.url, s.interval) for s in opml.sources)
    for why, urls in intervals_overruled(settings.schedule, own).items():
        said.append(f"{feeds_named(urls)} {why}")
    known = set(opml.categories)
    said.extend(_digest_categories_said(settings, opml.categories, opml.sources, args.db))
    bases = site_bases(settings)
    for source in opml.sources:  # (as `run` skips them: `OpmlReload`)
        if (base := own_base_of(source.url, bases)) is not None:
            said.append(f"{source.url} {own_site_said(base, bases)}; it is not polled")
    sources = opml.sources
    for source in sources:  # (a platform's page pasted as a feed: polls would fail on it)
        feed = known_feed(source.url)
        if feed is not None:
            said.append(
                f"{source.url} is a web page, not a feed: its feed is at {feed} (list that "
                "instead; `aggregator add` of the page does)"
            )
    for source in sources:  # (an operator who never sees its stories should know why)
        if gives_headlines_only(source.url):
            said.append(f"{source.url}: {HEADLINES_ONLY_SAID}")
    parts = [f"{counted(len(sources), 'feed')} in {counted(len(known), 'category', 'categories')}"]
    if opml.languages:  # (said with the categories they are of)
        parts[0] += f" ({len(opml.languages)} with a language of their own)"
    for name, language in opml.languages:
        if not has_words(language):
            said.append(
                f"category {name!r} is in {language!r}, which has no words of its own here: "
                "its pages, feeds and daily email say theirs in English"
            )
    for warning in said:
        _warn(f"{args.opml}: {warning}")
    if ruled := sum(1 for s in sources if s.exclude or s.include):
        parts.append(f"{ruled} with entry rules")
    if timed := sum(1 for s in sources if s.interval):
        parts.append(f"{timed} with a poll interval of their own")
    if headed := sum(1 for s in sources if s.user_agent or s.cookie):
        parts.append(f"{headed} with request headers of their own")
    if unpictured := sum(1 for s in sources if not s.images):
        parts.append(f"{unpictured} with pictures off")
    if selected := sum(1 for s in sources if s.selector):
        parts.append(f"{selected} with an article selector")
    if removing := sum(1 for s in sources if s.remove):
        parts.append(f"{removing} leaving out parts of their article pages")
    if paused := sum(1 for s in sources if s.paused):
        parts.append(f"{paused} paused")
    print(f"{args.opml}: {', '.join(parts)}")
    _check_withheld(withheld_path(args.opml), args.db)
    if args.db is not None:
        _check_database_mode(args.db, sources)
    where = args.config or "defaults"
    if settings.publish.hubs and not settings.publish.public_base_url:
        _warn(
            f"settings ({where}): [publish] hubs are set, but base_url is "
            f"not: the hubs are told of feeds at {settings.publish.base_url}, which they fetch "
            "from elsewhere; set base_url to the address readers use"
        )
    callback = settings.fetch.websub_callback
    if callback and not reachable_from_outside(callback):
        _warn(
            f"settings ({where}): [fetch] websub_callback {callback} is an "
            "address inside this machine or network: hubs on the internet cannot reach it, so "
            "their feeds are only polled; set the address the server is reached at from outside"
        )
    language = settings.publish.language
    if not has_words(language):
        _warn(
            f"settings ({where}): [publish] language {language!r} has no "
            "words of its own here: pages, feeds and the daily email say theirs in English "
            f"(there are words for {', '.join(LANGUAGES)})"
        )
    print(f"settings ({where}, then AGGREGATOR_* variables): ok")
    return 0
