"""Managing sources without hand-editing the OPML: add (with feed discovery), remove, import,
export. The OPML file is edited in place (`opml_edit`) and replaced atomically; a running
service notices the change within one tick, as it does any edit.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

from .entry_rules import rule_problem
from .errors import ConfigError, ParseError, StoryFeedError
from .feed_links import advertised_feeds, known_feed
from .feed_request import cookie_for, cookie_problem, user_agent_problem
from .fetch import Fetcher, FetchSettings
from .models import Fetched, Source
from .opml import (
    DEFAULT_CATEGORY,
    feed_key,
    filed_under,
    freshrss_settings,
    load_opml,
    outline_label,
    parse_opml,
    read_interval,
    unreadable,
    url_problem,
    without_feed_scheme,
)
from .opml_edit import add_feed, add_feeds, remove_feed, render_opml
from .own_site import own_base_of, own_site_said
from .parse import STORY_FEED, parse_feed
from .wording import counted

log = logging.getLogger("aggregator")

# An address's scheme ("mailto:", "javascript:"), not a host's port ("localhost:8080/feed").
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:(?![0-9])", re.IGNORECASE)
# Where sites usually keep their feed, tried when a page names none.
COMMON_PATHS = (
    "/feed", "/rss", "/feed.xml", "/rss.xml", "/atom.xml", "/index.xml", "/feed/", "/feed.json"
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Found:
    """A feed that fetched and parsed."""

    url: str
    title: str | None
    home: str | None  # the site the feed belongs to (htmlUrl)
    items: int
    warning: str | None = None  # parsed only in part ("malformed XML at line L, column C: …")


@dataclass(frozen=True, slots=True)
class Added:
    """A feed added to the OPML, and what its parse said when it read only part of it."""

    source: Source
    items: int
    warning: str | None = None


def _as_feed(fetched: Fetched) -> Found | None:
    """The fetched body as a feed; None when it is not one. An aggregator's story feed is
    refused (ConfigError, saying why: "no feed found" would be wrong)."""
    try:
        parsed = parse_feed(fetched.body, fetched.final_url, fetched.headers)
    except StoryFeedError as exc:
        raise ConfigError(f"{exc.url}: {STORY_FEED}; add the outlets' own feeds instead") from exc
    except ParseError:
        return None
    return Found(fetched.final_url, parsed.title, parsed.link, len(parsed.entries), parsed.warning)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


async def discover(
    url: str,
    fetcher: Fetcher,
    user_agent: str | None = None,
    cookie: str | None = None,
    asked: list[str] | None = None,
) -> Found:
    """The feed at `url`, or the one a web page at `url` points to (a platform's feed at its
    known address first, then the page's `<link rel="alternate">`s, then common paths).
    ConfigError saying what was tried otherwise. Asked with the feed's own `user_agent` and
    `cookie` (the cookie on `url`'s site only). Each address is put on `asked` as it is asked
    for (what a caller that stops waiting names)."""
    asked = [] if asked is None else asked
    problem = url_problem(url)
    if problem:
        meant = f"https://{url}"  # ("example.org/feed", as typed; not words pasted in)
        if (
            "://" not in url
            and not url.startswith(("/", ".", "feed:"))
            and not _SCHEME.match(url)
            and url_problem(meant) is None
        ):
            problem += f" (write it as {meant!r})"
        raise ConfigError(problem)
    known = known_feed(url)  # (a YouTube channel's or playlist's: its page is not asked)
    if known is not None:
        asked.append(known)
        result = await fetcher.fetch(known, trusted=False, user_agent=user_agent)
        feed = _as_feed(result) if isinstance(result, Fetched) else None
        if feed is not None:
            return Found(feed.url, feed.title, feed.home or url, feed.items, feed.warning)
    asked.append(url)
    outcome = await fetcher.fetch(url, user_agent=user_agent, cookie=cookie)
    if not isinstance(outcome, Fetched):
        raise ConfigError(f"{url}: {getattr(outcome, 'error', 'no content')}")
    found = _as_feed(outcome)
    if found is not None:
        return found
    base = outcome.final_url
    links, page_title = advertised_feeds(outcome.body, base)
    root = f"{urlsplit(base).scheme}://{urlsplit(base).netloc}"
    candidates = links + [urljoin(root, path) for path in COMMON_PATHS]
    tried: list[str] = []
    refused: ConfigError | None = None  # an aggregator's story feed the page offers
    for candidate in dict.fromkeys(candidates):
        if url_problem(candidate):
            continue
        tried.append(candidate)
        asked.append(candidate)
        result = await fetcher.fetch(
            candidate,
            # (a feed the page names on the host the operator named is the operator's, as
            # an item's page on its own feed's host is: any port of it, inside the network too)
            trusted=_host(candidate) == _host(url),
            user_agent=user_agent,
            cookie=cookie_for(url, candidate, cookie),
        )
        if not isinstance(result, Fetched):
            continue
        try:
            feed = _as_feed(result)
        except ConfigError as exc:
            refused = refused or exc
            continue
        if feed is not None:
            if refused is not None and not feed.items:
                # (beside an aggregator's story feed, an empty one is most likely its empty
                # category's: an aggregator's front page had given its first empty category)
                continue
            home = feed.home or base
            title = feed.title or page_title or None
            return Found(feed.url, title, home, feed.items, feed.warning)
    if refused is not None:
        raise refused
    raise ConfigError(
        f"{url}: not a feed, and no feed found (tried {len(tried)} addresses: the page's "
        '<link rel="alternate"> and common paths such as /feed and /rss.xml)'
    )


def _umask() -> int:
    mask = os.umask(0o077)  # (read by setting it: a command's one thread, at once undone)
    os.umask(mask)
    return mask


def write_atomically(path: Path, data: bytes, like: Path | None = None) -> None:
    """Replace `path` with `data` in one step (a reader sees the old or the new file, never
    half of one), keeping the file's permissions. A new file takes `like`'s (an export of
    the sources is as private as the sources: they may hold feeds' logins), narrowed by the
    umask, or the umask's own. A symbolic link is written through (the sources file linked
    from a checkout stays a link, and the file it points to is what changes). A device or a
    pipe (`/dev/stdout`, a FIFO) is written into: replaced, it had become a plain file."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # (a device or a pipe: /dev/stdout)
            with open(path, "wb") as stream:  # written into, never replaced by a file
                stream.write(data)
            return
    except FileNotFoundError:
        pass
    path = Path(os.path.realpath(path))
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        try:
            base = like.stat().st_mode & 0o666 if like is not None else 0o666
        except OSError:
            base = 0o666
        mode = base & ~_umask()
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:  # (named by the file written, not by the temporary one's name)
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(unreadable(path, exc)) from exc


@contextlib.contextmanager
def _editing(path: Path) -> Iterator[None]:
    """One edit of the sources file at a time: an exclusive `flock` on the directory that
    holds it (through a symbolic link the linked file's; no lock file left beside it). Two
    `add`s at once had each written the file as it read it, the second dropping the first's
    feed while both said "added". A directory that cannot be opened is edited unlocked: the
    edit's own read or write says why it fails."""
    real = Path(os.path.realpath(path))
    try:
        handle = os.open(real.parent, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # (edits are quick: waited for)
        yield
    finally:
        os.close(handle)


def edit(path: Path, change: Callable[[bytes], bytes]) -> None:
    """Write `change` of the sources file's bytes as they are now, under `_editing`: an edit
    made meanwhile by another command is read, and kept."""
    with _editing(path):
        write_atomically(path, change(_read(path)))


async def add(
    opml_path: Path,
    url: str,
    *,
    category: str | None = None,
    title: str | None = None,
    exclude: str | None = None,
    include: str | None = None,
    interval: str | None = None,
    user_agent: str | None = None,
    cookie: str | None = None,
    selector: str | None = None,
    remove: str | None = None,
    settings: FetchSettings | None = None,
    fetcher: Fetcher | None = None,
    own: Sequence[str] = (),
    timeout: float | None = None,
) -> Added:
    """Discover the feed behind `url`, check it parses, and add it to the OPML, with its entry
    rules (`exclude`, `include`: regular expressions, `entry_rules`) and its own poll
    `interval` ("30m"), request headers (`user_agent`, `cookie`: `feed_request`, with
    which it is discovered too) and article `selector` and `remove` (CSS) on its outline. A
    feed that parses only in part (malformed XML after some items, as a cut-off download) is
    added, with the parser's warning, as the poller would keep it and report it in `status`.
    An address of the service's own site (under one of `own`: `own_site`) is refused, as is
    a feed found there, before anything is written. Discovery waits `timeout` seconds in all
    (default: the settings' `total_timeout`, a fetch's own bound), then stops with a
    ConfigError naming the address that did not answer; the OPML is then left as it was."""
    given = {
        "category": category,
        "title": title,
        "exclude": exclude,
        "include": include,
        "interval": interval,
        "user-agent": user_agent,
        "cookie": cookie,
        "selector": selector,
        "remove": remove,
    }
    if not url.strip():
        raise ConfigError("no address given (an unset variable?)")
    if not _is_text(url):
        raise ConfigError(f"{url!r}: not text (bytes that are not UTF-8)")
    for name, value in given.items():  # (a script's unset variable: never taken as "none")
        if value is not None and not value.strip():
            raise ConfigError(f"--{name} is empty")
        if value is not None and not _is_text(value):
            shown = "" if name == "cookie" else f" {value!r}"  # (a cookie may be a login)
            raise ConfigError(f"--{name}{shown}: not text (bytes that are not UTF-8)")
    for name, rule in (("exclude", exclude), ("include", include)):
        if rule and (problem := rule_problem(rule)):
            raise ConfigError(f"--{name} {rule!r}: {problem}")
    own_interval, problem = read_interval(interval) if interval is not None else (None, None)
    if problem:
        raise ConfigError(f"--interval {interval!r}: {problem}")
    if user_agent is not None and (problem := user_agent_problem(user_agent)):
        raise ConfigError(f"--user-agent {user_agent!r}: {problem}")
    from .articles import selector_problem  # (cssselect: loaded only to check one)

    if selector is not None and (problem := selector_problem(selector)):
        raise ConfigError(f"--selector {selector!r}: {problem}")
    if remove is not None and (problem := selector_problem(remove)):
        raise ConfigError(f"--remove {remove!r}: {problem}")
    if cookie is not None and (problem := cookie_problem(cookie)):
        raise ConfigError(f"--cookie: {problem}")  # (never shown: it may be a login)
    url = without_feed_scheme(url.strip())  # (a subscribe button's feed:// link)
    _not_own(url, own)  # (nothing asked of our own server)
    data = _read(opml_path)
    opml = parse_opml(data, str(opml_path))
    listed = {feed_key(s.url) for s in opml.sources}
    if feed_key(url) in listed:
        raise ConfigError(f"{opml_path}: {url} is already listed")
    found = await _discover_within(url, user_agent, cookie, settings, fetcher, timeout)
    _not_own(found.url, own)  # (a page elsewhere that points to our feed, a redirect to it)
    if feed_key(found.url) in listed:
        raise ConfigError(f"{opml_path}: {found.url} (the feed of {url}) is already listed")
    if cookie_for(url, found.url, cookie) != cookie:  # (a cookie is given for one site)
        raise ConfigError(
            f"--cookie is for {url}'s site, and its feed is on another: {found.url}; to send "
            "the cookie there, add that address with --cookie"
        )
    source = Source(
        found.url,
        outline_label(title or found.title or urlsplit(found.url).netloc),
        filed_under(outline_label(category or "") or DEFAULT_CATEGORY, opml.categories),
        found.home,
        exclude=(exclude,) if exclude else (),
        include=(include,) if include else (),
        interval=own_interval,
        user_agent=user_agent,
        cookie=cookie,
        selector=selector,
        remove=remove,
    )

    def added(now: bytes) -> bytes:  # (the file as it is once the feed was found)
        if feed_key(found.url) in {
            feed_key(s.url) for s in parse_opml(now, str(opml_path)).sources
        }:
            raise ConfigError(f"{opml_path}: {found.url} is already listed")
        return add_feed(now, source, str(opml_path))

    edit(opml_path, added)
    return Added(source, found.items, found.warning)


async def _discover_within(
    url: str,
    user_agent: str | None,
    cookie: str | None,
    settings: FetchSettings | None,
    fetcher: Fetcher | None,
    timeout: float | None,
) -> Found:
    """`discover`, waiting `timeout` seconds in all (None: the settings' `total_timeout`);
    each fetch keeps its own bound (`total_timeout`, or less when `timeout` is less), so an
    address that hangs ends there and the next is asked: a `--timeout` above it gets past a
    feed link that never answers to a common path that does. A ConfigError says which
    address did not answer in time, and what was asked before it."""
    settings = settings or FetchSettings()
    wait = settings.total_timeout if timeout is None else timeout
    asked: list[str] = []
    try:
        async with asyncio.timeout(wait):
            if fetcher is not None:
                return await discover(url, fetcher, user_agent, cookie, asked)
            bounded = replace(
                settings,
                total_timeout=min(settings.total_timeout, wait),
                connect_timeout=min(settings.connect_timeout, wait),
            )
            async with Fetcher(bounded) as client:
                return await discover(url, client, user_agent, cookie, asked)
    except TimeoutError:
        raise ConfigError(_no_answer(url, asked, wait, timeout is not None)) from None


def _no_answer(url: str, asked: Sequence[str], wait: float, given: bool) -> str:
    """What discovery that ran out of time says: the address it was waiting for, and how
    many it had asked before it."""
    bound = "--timeout" if given else "[fetch] total_timeout; --timeout SECONDS sets another"
    waiting = asked[-1] if asked else url
    if waiting == url:
        return f"{url}: no answer within {wait:g} s ({bound})"
    before = counted(len(asked) - 1, "address", "addresses")
    return (
        f"{url}: no feed found within {wait:g} s ({bound}): {waiting} did not answer in time "
        f"({before} asked before it)"
    )


def _is_text(value: str) -> bool:
    """Whether `value` can be written as UTF-8: an argument's bytes that were not UTF-8 are
    read as lone surrogates, which the sources file cannot hold (the edit had been refused
    as a fault of the file, "not valid XML at line 6")."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_own(url: str, own: Sequence[str]) -> None:
    """ConfigError when `url` is an address of the service's own site."""
    if (base := own_base_of(url, own)) is not None:
        raise ConfigError(f"{url} {own_site_said(base, own)}")


def remove(opml_path: Path, url: str) -> None:
    """Remove the feed `url` from the OPML (its stored items stay in the database)."""
    edit(opml_path, lambda data: remove_feed(data, url, str(opml_path)))


class Imported(NamedTuple):
    """What `import_opml` did: feeds added, feeds already listed, and what of the export was
    left out, and why (an empty folder, an address that cannot be polled)."""

    added: list[Source]
    listed: list[Source]
    warnings: tuple[str, ...]


# What the sources file holds for this service alone: an import takes none, an export gives none.
_OURS: dict[str, Any] = {
    "exclude": (), "include": (), "interval": None, "user_agent": None, "cookie": None,
    "images": True, "selector": None, "remove": None, "paused": False,
}  # fmt: skip


def import_opml(opml_path: Path, other: Path, own: Sequence[str] = ()) -> Imported:
    """Merge the feeds of another reader's OPML export, keeping its categories, and the
    article selectors, request headers and poll intervals of a FreshRSS export (its `frss:`
    attributes, as ours). Nothing is fetched: the export lists known feeds. A feed of the
    service's own site (under one of `own`: its published /feeds.opml) is left out, said."""
    exported = _read(other)
    export = parse_opml(exported, str(other), export=True)
    freshrss, warnings = freshrss_settings(exported, str(other))
    incoming = []
    for source in export.sources:
        if (base := own_base_of(source.url, own)) is not None:
            warnings = [*warnings, f"{source.url} {own_site_said(base, own)}; left out"]
        else:
            incoming.append(source)
    added: list[Source] = []
    skipped: list[Source] = []
    with _editing(opml_path):
        data = _read(opml_path)
        opml = parse_opml(data, str(opml_path))
        listed = {feed_key(s.url) for s in opml.sources}
        for source in incoming:
            if feed_key(source.url) in listed:
                skipped.append(source)
                continue
            # (another reader's export: entry rules, intervals or headers are not ours to
            # take, but FreshRSS's own, which say the same, are)
            category = filed_under(source.category, opml.categories)
            source = replace(source, category=category, **{**_OURS, **freshrss.get(source.url, {})})
            listed.add(feed_key(source.url))
            added.append(source)
        if added:  # (in one edit: read and checked once a category, not once a feed)
            write_atomically(opml_path, add_feeds(data, added, str(opml_path)))
    return Imported(added, skipped, (*export.warnings, *warnings))


def export_opml(opml_path: Path) -> bytes:
    """The sources as a clean OPML 2.0 document, for another reader: without the entry rules
    (`exclude`, `include`), poll intervals, request headers, the pictures switch and article
    selectors, which are this service's own (and a cookie may be a login)."""
    opml = load_opml(opml_path)
    sources = [replace(s, **_OURS) for s in opml.sources]
    return render_opml(opml.title or "aggregator sources", sources)
