"""The article job: fetch teaser items' pages in the background and record their main text.

One pass asks the store for items whose page was never tried, lets `articles.due_articles`
decide which to fetch, honours each site's robots.txt (its Crawl-delay too), paces requests
per host and holds off a site that answers 429 or 503 for its Retry-After, fetches through
the shared `Fetcher` (same slots, timeouts, size caps, redirect policy and User-Agent as feeds),
extracts the text in a worker thread (cleaned as a feed's text is), and records every outcome,
so no page is fetched twice, but for one whose failure may pass (no answer, a timeout, a 5xx or
429, an unreachable robots.txt): that one is tried again later, up to three times
(`articles.next_try`).
A page that fails leaves the feed text in use; the failure shows in `aggregator status`.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urlsplit

from .article_pass import ArticlePass
from .articles import (
    MAX_CRAWL_DELAY,
    ArticleSettings,
    RobotsRules,
    about_item,
    due_articles,
    extract_text,
    first_elements,
    host_of,
    is_home_page,
    next_try,
    passing_failure,
    reads_as_article,
    robots_url,
    selected_text,
    without_elements,
)
from .backoff import doubled
from .errors import StorageError
from .feed_request import cookie_for
from .logs import fields
from .models import Fetched, FetchFailed, FetchOutcome, Item, Redirected
from .network import Network
from .site_holds import BUSY, SiteHolds, bot_check, busy_pause

if TYPE_CHECKING:
    from .fetch import Fetcher

__all__ = ["ArticleJob", "ArticlePass", "fetched_text", "page_text"]

log = logging.getLogger("aggregator.articles")

ROBOTS_MAX_BYTES = 512 * 1024  # a longer robots.txt is read this far (RFC 9309: ≥ 500 KiB)
_ROBOTS_TTL = 12 * 3600.0  # seconds a robots.txt answer is kept
_ROBOTS_UNAVAILABLE_TTL = 600.0  # ...and "the site could not say", so a retry asks again
_PACED_SPAN = 60.0  # seconds of a pass one site's pacing may fill; later pages wait a pass
# A site whose page answered with a firewall's bot check is asked for no page for this long
# (its pages wait, due): every page of it would meet the same check. Its feeds are polled as
# before (a firewall often lets a site's feed through and checks its pages).
BOT_CHECK_PAUSE = timedelta(hours=6)
_MAX_SITE_HOPS = 3  # redirects to another site a page may take (each one asked as its page)
STORAGE_PAUSE_MAX = 600.0  # seconds: the longest wait between passes the database fails
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")

_UNAVAILABLE = "robots.txt unavailable"  # (the site could not say: a passing failure)
# Seconds a robots.txt may take (a few hundred bytes): one that never answered had held a
# `poll --once` for its whole budget (the fetch's 30 s timeout is the budget's), and nothing
# was recorded, so each run waited on it again. Unanswered, the site cannot say, for now.
ROBOTS_TIMEOUT = 10.0
# (`about_item`: a page that is not the item's article, such as a login wall or an error page)
_NOT_ABOUT = "a page about something else (a login, consent or error page?), not the article"
# (a site that sends a removed article's address to its home page)
_HOME = "redirected to the site's home page (the article removed?), not the article"
# (a link that is no entry's own page, never fetched: counted apart in `status`)
_NO_PAGE = "no page of its own (a home page, or a link the feed's entries share)"

Write = Callable[..., Awaitable[Any]]
Result = tuple[str, str, str, str | None, str]  # item_id, url, status, error, text
Outcome = tuple[Result, bool]  # and whether its failure may pass (the page is tried again)


def page_text(
    page: bytes,
    url: str,
    selector: str | None = None,
    remove: str | None = None,
    content_type: str = "",
) -> str | None:
    """An article page's main text, cleaned as a feed entry's text is (`clean_text`: bylines,
    share lines, captions, datelines), so grouping and summaries read a page's text as they
    read a feed's: the poller cleans every entry, and the batch command every row. With its
    feed's `selector` (OPML), the text of what that picks, None when it picks nothing; with
    its `remove`, what that picks is taken out of the page first. The page is read in the
    charset its `content_type` names, as browsers read it (`page_in_charset`), up to its
    `MAX_PAGE_ELEMENTS`th element (`first_elements`)."""
    from .text import clean_text  # (not loaded by a pass that fetches no page)

    decoded = first_elements(page_in_charset(page, content_type))
    read: bytes | str = decoded if remove is None else without_elements(decoded, remove)
    if selector is None:
        return clean_text(extract_text(read, url))
    picked = selected_text(read, selector)
    return None if picked is None else clean_text(picked)


def fetched_text(page: Fetched, selector: str | None, remove: str | None) -> str | None:
    """`page_text` of a fetched page, in the charset its Content-Type names."""
    return page_text(
        page.body, page.final_url, selector, remove, page.headers.get("content-type", "")
    )


_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def page_in_charset(page: bytes, content_type: str) -> bytes | str:
    """`page` decoded in the charset its Content-Type names (HTML's order: a byte order mark
    first, then the header, then the page's own `<meta charset>`); as it came without one
    (or with one Python does not know): the extractor then reads its meta tag or guesses.
    A page served as `text/html; charset=windows-1252` with no meta tag had been guessed a
    Central European code page ("bibliothčque"), and published so."""
    said = _CHARSET.search(content_type)
    if said is None or page.startswith(_BOMS):
        return page
    try:
        return page.decode(said[1], "replace")
    except LookupError:
        return page


def robots_answer(outcome: FetchOutcome | Redirected) -> tuple[str | None, str]:
    """What a fetch of a robots.txt says: its text (one cut at `ROBOTS_MAX_BYTES` up to its
    last whole line); "" (no rules) when the site has none (a 4xx other than 429); None when
    the site can't say (5xx, 429, network failure, a private address refused), which RFC 9309
    treats as "disallow everything" for now, with the fetch's error then, for `status`."""
    if isinstance(outcome, Fetched):
        body = outcome.body
        if len(body) >= ROBOTS_MAX_BYTES:  # cut: its rules up to the last whole line
            body = body[: body.rfind(b"\n") + 1]
        return body.decode("utf-8", "replace"), ""
    if isinstance(outcome, FetchFailed) and outcome.status in BUSY:
        return None, outcome.error  # (the site is busy, not without rules)
    if isinstance(outcome, FetchFailed) and outcome.status and 400 <= outcome.status < 500:
        return "", ""
    if isinstance(outcome, FetchFailed):
        return None, outcome.error
    return None, "unexpected 304"


Failure = tuple[Result, datetime | None]  # a failed page's result and when it is tried again

# Failures are logged when a run of back-to-back passes ends (a pass that did not fill its
# quota), or this many seconds after the first one not logged yet, whichever comes first.
LOG_FAILURES_AFTER = 60.0


def _log_failures(host: str, failures: list[Failure]) -> None:
    """A host's failed pages: a line each when it is one page; else one line for the host
    (how many, how many to retry, the last reason) and a line per page at DEBUG, so a site
    down or a network cut does not flood the log with one line per page."""
    page_level = logging.INFO if len(failures) == 1 else logging.DEBUG
    for (_, url, status, error, _), retry in failures:
        when = retry.isoformat(timespec="seconds") if retry else None
        log.log(
            page_level,
            "article=%s status=%s error=%r%s",
            url,
            status,
            error,
            f" next_try={when}" if when else "",
            extra=fields(article=url, status=status, error=error, next_try=when),
        )
    if len(failures) == 1:
        return
    (_, _, status, error, _), retry = failures[-1]
    when = retry.isoformat(timespec="seconds") if retry else None
    to_retry = sum(r is not None for _, r in failures)
    log.info(
        "articles host=%s failed=%d to_retry=%d last_status=%s last_error=%r%s",
        host,
        len(failures),
        to_retry,
        status,
        error,
        f" next_try={when}" if when else "",
        extra=fields(
            host=host,
            failed=len(failures),
            to_retry=to_retry,
            last_status=status,
            last_error=error,
            next_try=when,
        ),
    )


# A page still unanswered this many seconds after it was asked for when `poll --once`'s
# budget ends has failed for a passing reason, as if its fetch had timed out: it is tried
# again later (`RETRY_DELAYS`), not first by the next run, which would spend its budget
# waiting on it again. A page asked for later than that is abandoned unrecorded (still due).
STALLED = 10.0


def _stalled(item: Item, waited: float) -> Outcome:
    error = f"no answer in {waited:.0f} s (poll --once's article budget ended)"
    return (item.id, item.url or "", "failed", error, ""), True


class ArticleJob:
    """Fetches article pages; `write` runs store calls on the service's writer thread."""

    def __init__(
        self,
        store: Any,
        write: Write,
        settings: ArticleSettings,
        clock: Callable[[], datetime],
        *,
        network: Network | None = None,
    ) -> None:
        self.store = store
        self.write = write
        self.settings = settings
        self.clock = clock
        # origin -> (time, rules, why): rules None when the site could not say, and why not
        self._robots: dict[str, tuple[float, RobotsRules | None, str]] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._delays: dict[str, float] = {}  # origin -> its robots.txt's Crawl-delay, if any
        self._next_slot: dict[str, float] = {}  # host -> monotonic time of its next request
        self._last_asked: dict[str, float] = {}  # host -> monotonic time of its last request
        self.network = network if network is not None else Network()  # (the poll job's: `run`)
        self._holds = SiteHolds()  # (on the job's clock; stored at each pass's end)
        self._checked: dict[str, datetime] = {}  # host -> until when its bot check is obeyed
        self._asked: dict[str, float] = {}  # item id -> monotonic time its page was requested
        # host -> its failed pages not logged yet, and when the first of them was kept
        self._failures: dict[str, list[Failure]] = {}
        self._failures_since: float | None = None

    async def run_pass(self, fetcher: Fetcher, deadline: float | None = None) -> ArticlePass:
        """Fetch the pages due now (at most `per_pass`) and record every outcome.

        With a `deadline` (a `time.monotonic()` value) pages still in flight then are
        abandoned: one asked for `STALLED` seconds or more before has failed for a passing
        reason (tried again later); the others are not recorded: they stay due and a later
        pass fetches them. So do the pages whose site's turn is too far off (`paced`: its
        Crawl-delay, or a Retry-After it answered). While the service's own network is down
        (`network`) no page is asked: none would be reached, and each would count a failure.
        """
        if self.network.down:
            return ArticlePass()
        s = self.settings
        now = self.clock()
        self._forget_stale(now)
        await self._recall_sites(now)
        caps = self._per_host()
        candidates: list[Item] = await self.write(
            self.store.article_candidates, now - s.max_age, s.per_pass * 4, s.skip_feeds, caps
        )
        again: list[tuple[Item, int]] = await self.write(
            self.store.article_retries_due, now, now - s.max_age, s.per_pass, s.skip_feeds
        )
        tried = {item.id: attempts for item, attempts in again}
        own_headers = await self.write(self.store.feed_headers)  # (most often none)
        selectors = await self.write(self.store.feed_selectors)  # (most often none)
        unpictured = await self.write(self.store.feeds_without_pictures)  # (most often none)
        fetch, enough, never = due_articles(candidates + [item for item, _ in again], s, caps)
        # items whose link is no page of their own: a home page, or one that several of a
        # feed's entries share (never fetched; `status` says why)
        linkless: list[Item] = []
        never, others = [], never
        for item in others:
            (linkless if is_home_page(item.url or "") else never).append(item)
        if fetch:
            shared = await self.write(self.store.shared_links, fetch)
            if shared:
                linkless += [i for i in fetch if (i.feed_url, i.canonical_url) in shared]
                fetch = [i for i in fetch if (i.feed_url, i.canonical_url) not in shared]
        report = ArticlePass(enough=len(enough) + len(never) + len(linkless))
        results: list[Result] = [(i.id, i.url or "", "feed", None, "") for i in enough]
        results += [(i.id, i.url or "", "skipped", None, "") for i in never]
        results += [(i.id, i.url or "", "skipped", _NO_PAGE, "") for i in linkless]
        never += linkless
        # an item's tries so far and its next (None: no more); a retried page not fetched
        # again (its feed text now suffices) is done
        tries: dict[str, tuple[int, datetime | None]] = {
            i.id: (tried[i.id], None) for i in (*enough, *never) if i.id in tried
        }
        slots = asyncio.Semaphore(s.concurrency)
        pictures: dict[str, str] = {}  # the pictures of pages read for items with none

        async def one(item: Item) -> Outcome | None:
            """A page's outcome; None when its site's pacing puts it past this pass. The wait
            for the site's turn holds no slot: other sites' pages go on meanwhile. A redirect
            to another site is asked as a page of that site: its hold, its robots.txt, its
            turn (the link of a feed's redirector is the outlet's page)."""
            url, came_from = item.url or "", None
            agent, cookie = own_headers.get(item.feed_url, (None, None))
            for _ in range(_MAX_SITE_HOPS + 1):
                # A page at its own feed's host and port is where the operator listed a feed:
                # trusted as the feed is, whether or not that feed was polled yet in this
                # session; another port there is another service (`same_origin`).
                host = host_of(url)
                trusted = same_origin(url, item.feed_url)
                # (a hop within the intranet only from the feed's own page: `fetch_page`)
                own = came_from is not None and same_origin(came_from, item.feed_url)
                if self._held_for(host) > 0 or host in self._checked:
                    return None  # (the site asked us to hold off: not even its robots.txt)
                allowed, why = await self._robots_allow(
                    fetcher, url, trusted, slots, came_from, own
                )
                if not allowed:
                    unavailable = why is not None and why.startswith(_UNAVAILABLE)
                    return (item.id, url, "blocked", why, ""), unavailable
                if not await self._take_turn(url, _PACED_SPAN):
                    return None
                # the feed's own User-Agent goes with every page of its entries, its cookie
                # only to its own site
                headers = agent, cookie_for(item.feed_url, url, cookie)
                async with slots:
                    if self._held_for(host) > 0 or host in self._checked:
                        return None  # (it answered another page busy while this one waited)
                    outcome = await self._article(
                        fetcher, item, trusted, url, (came_from, own), headers,
                        None if item.feed_url in unpictured else pictures,
                        selectors.get(item.feed_url, (None, None)),
                    )  # fmt: skip
                if not isinstance(outcome, Redirected):
                    return outcome
                url, came_from = outcome.location, url
            error = f"redirected to another site more than {_MAX_SITE_HOPS} times"
            return (item.id, url, "failed", error, ""), False

        tasks = [asyncio.ensure_future(one(i)) for i in fetch]
        outcomes: list[Outcome] = []
        if tasks:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            done, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            ended = time.monotonic()
            for task, item in zip(tasks, fetch, strict=True):
                asked = self._asked.pop(item.id, None)
                answer = task.result() if task in done else None
                if task in done and answer is None:
                    report.paced += 1
                elif answer is not None:
                    outcomes.append(answer)
                elif asked is not None and ended - asked >= STALLED:
                    outcomes.append(_stalled(item, ended - asked))
                else:
                    report.left += 1
        for result, passing in outcomes:
            results.append(result)
            report.fetched += 1
            status = result[2]
            report.statuses[status] = report.statuses.get(status, 0) + 1
            attempts = tried.get(result[0], 0) + 1
            retry_at = next_try(attempts, now) if passing and status != "ok" else None
            tries[result[0]] = (attempts, retry_at)
            if status == "ok":
                report.ok += 1
                continue
            report.failed += 1
            if retry_at is not None:
                report.retrying += 1
            self._failures.setdefault(host_of(result[1]), []).append((result, retry_at))
        if self._failures and self._failures_since is None:
            self._failures_since = time.monotonic()
        if results:
            report.stories_marked = await self.write(
                self.store.save_articles, results, self.clock(), tries, pictures
            )
        holds = self._holds.unsaved()
        if holds:
            await self.write(self.store.hold_sites, holds)
        return report

    def log_failures(self, *, ended: bool = True) -> None:
        """Log the failed pages kept since the last call, a host at a time (`_log_failures`).
        Called when a run of back-to-back passes `ended`, so a site down or a network cut is
        one line per host however many passes its pages took (a pass fetches `per_pass`);
        otherwise only once the first of them has waited `LOG_FAILURES_AFTER` seconds."""
        since = self._failures_since
        if since is None or (not ended and time.monotonic() - since < LOG_FAILURES_AFTER):
            return
        failures, self._failures, self._failures_since = self._failures, {}, None
        for host, pages in failures.items():
            _log_failures(host, pages)

    async def _recall_sites(self, now: datetime) -> None:
        """What sites asked of an earlier process (a `poll --once` from cron before this
        one) or the poll job: holds still running; and drop the stored answers past their
        time to live, and the holds passed."""
        await self.write(
            self.store.forget_site_answers,
            now - timedelta(seconds=_ROBOTS_TTL),
            now - timedelta(seconds=_ROBOTS_UNAVAILABLE_TTL),
            now,
        )
        self._holds.recall(await self.write(self.store.site_holds, now), now)

    async def loop(
        self,
        fetcher: Fetcher,
        stop: asyncio.Event,
        after: Callable[[], Awaitable[Any]],
    ) -> None:
        """Run passes until `stop`; `after` runs when a pass brought text (re-summarise).

        A pass that filled its quota is followed at once by the next; otherwise the job
        waits `interval` seconds. A failing pass is logged and retried after the interval;
        while the database fails them (a full disk, a damaged file), the wait doubles each
        time, up to `STORAGE_PAUSE_MAX`, as the poll cycles' does.
        """
        failed = 0  # passes in a row the database failed
        while not stop.is_set():
            busy = False
            wait = self.settings.interval
            try:
                report = await self.run_pass(fetcher)
                failed = 0
                busy = report.fetched >= self.settings.per_pass
                self.log_failures(ended=not busy)
                if report.stories_marked:
                    await after()
            except asyncio.CancelledError:
                raise
            except StorageError as exc:  # the database's fault, said by the write that met it
                failed += 1
                wait = doubled(wait, failed - 1, max(wait, STORAGE_PAUSE_MAX))
                log.error("article pass failed: %s; trying again in %g s", exc, wait)
            except Exception:
                log.exception("article pass failed; retrying later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.05 if busy else wait)
        self.log_failures()  # (a run of passes the stop cut short)

    async def _article(
        self,
        fetcher: Fetcher,
        item: Item,
        trusted: bool,
        url: str,
        came_from: tuple[str | None, bool],
        headers: tuple[str | None, str | None] = (None, None),
        pictures: dict[str, str] | None = None,
        selectors: tuple[str | None, str | None] = (None, None),
    ) -> Outcome | Redirected:
        """Fetch and read `item`'s page at `url` (its link, or where the page `came_from`
        redirected, with whether that page was the feed's own), which robots.txt allows, at
        its site's turn, with its feed's own User-Agent and Cookie (`headers`, each None for
        none); a redirect to another site is returned. An article read for an item with no
        picture puts the page's in `pictures` (`entry_images.page_picture`). Its text is what
        its feed's `selector` picks, when the feed has one (else the extractor's), less what
        its `remove` picks (`selectors`: the two, each None for none)."""

        async def admit() -> None:  # (the fetcher's slots held: the request goes next)
            await self._pace(url)
            self._asked[item.id] = time.monotonic()

        outcome = await fetcher.fetch_page(
            url,
            self.settings.max_bytes,
            trusted=trusted,
            admit=admit,
            own_site=True,
            redirected_from=came_from[0],
            from_own=came_from[1],
            user_agent=headers[0],
            cookie=headers[1],
        )
        if isinstance(outcome, Redirected):
            return outcome
        if isinstance(outcome, FetchFailed):
            self._hold_if_busy(url, outcome)
            self._pause_if_checked(url, outcome)
            passing = passing_failure(outcome.status, outcome.error)
            return (item.id, url, "failed", outcome.error, ""), passing
        if not isinstance(outcome, Fetched):
            return (item.id, url, "failed", "unexpected 304 for a page never fetched", ""), False
        kind = outcome.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind not in _HTML_TYPES:
            return (item.id, url, "failed", f"not a web page ({kind})", ""), False
        if is_home_page(outcome.final_url):  # (the link itself is none: `due_articles`)
            return (item.id, url, "empty", _HOME, ""), False
        selector, remove = selectors
        text = await asyncio.to_thread(fetched_text, outcome, selector, remove)
        if text is None:
            picked = f"its feed's selector {selector!r} picks no text on this page"
            return (item.id, url, "empty", picked, ""), False
        from .tokens import word_count  # (not loaded by a pass that fetches no page)

        if not reads_as_article(text):
            index = "a list of teasers (an index page), not an article"
            return (item.id, url, "empty", index, ""), False
        if word_count(text) <= word_count(item.text):
            return (item.id, url, "empty", "no article text beyond the feed's", ""), False
        if not await asyncio.to_thread(about_item, text, item.title, item.text, item.language):
            return (item.id, url, "empty", _NOT_ABOUT, ""), False
        if pictures is not None and item.image is None:
            from .entry_images import page_picture  # (with the page's text: as `word_count`)

            picture = page_picture(outcome.body, outcome.final_url)
            if picture is not None:
                pictures[item.id] = picture
        return (item.id, url, "ok", None, text), False

    def _forget_stale(self, now: datetime) -> None:
        """Drop robots.txt answers past their time to live (they would be asked for again)
        and pacing slots already passed. The job lives as long as the service, and items link
        to ever more sites (a link aggregator's feed brings hundreds a day): kept for good,
        their robots.txt rules (read from up to 512 KiB each) grew the service's memory month
        by month."""
        wall, slots = now.timestamp(), time.monotonic()
        for origin, (asked, rules, _) in list(self._robots.items()):
            ttl = _ROBOTS_UNAVAILABLE_TTL if rules is None else _ROBOTS_TTL
            lock = self._robots_locks.get(origin)
            if wall - asked > ttl and not (lock is not None and lock.locked()):
                del self._robots[origin]
                self._delays.pop(origin, None)
        for origin, lock in list(self._robots_locks.items()):
            if origin not in self._robots and not lock.locked():
                del self._robots_locks[origin]
        for host, slot in list(self._next_slot.items()):
            if slot <= slots:
                del self._next_slot[host]
        for host, asked in list(self._last_asked.items()):
            if asked + MAX_CRAWL_DELAY <= slots:
                del self._last_asked[host]

    def _interval(self, url: str) -> float:
        """Seconds between two requests to `url`'s host: `per_host_interval`, or the
        Crawl-delay its robots.txt asks when that is longer."""
        return max(self.settings.per_host_interval, self._delays.get(robots_url(url), 0.0))

    def _per_host(self) -> dict[str, int]:
        """How many pages a pass takes at most of each site whose Crawl-delay is longer than
        `per_host_interval`: as many as its pacing lets through in `_PACED_SPAN` seconds; none
        of a site that asked us to hold off (`_hold_if_busy`) or answered with a bot check
        (`_pause_if_checked`; a pause past its time is forgotten here)."""
        caps: dict[str, int] = {}
        for origin, delay in self._delays.items():
            if delay > self.settings.per_host_interval:
                host = host_of(origin)
                caps[host] = min(caps.get(host, 1 << 30), max(1, int(_PACED_SPAN // delay)))
        now = self.clock()
        for host in self._holds.held(now):
            caps[host] = 0
        for host, until in list(self._checked.items()):
            if until > now:
                caps[host] = 0
            else:
                del self._checked[host]
        return caps

    def _pause_if_checked(self, url: str, failed: FetchFailed) -> None:
        """A site whose page answered with a firewall's bot check is asked for no page for
        `BOT_CHECK_PAUSE` (not stored: a `poll --once` finds it out with one page)."""
        if bot_check(failed.headers) is None:
            return
        host = host_of(url)
        if host not in self._checked:
            log.info(
                "articles host=%s answers with a bot check: none of its pages for %d hours",
                host,
                BOT_CHECK_PAUSE.total_seconds() // 3600,
                extra=fields(host=host, paused=BOT_CHECK_PAUSE.total_seconds()),
            )
        self._checked[host] = self.clock() + BOT_CHECK_PAUSE

    def _held_for(self, host: str) -> float:
        """Seconds the host still asks us to hold off (0: none)."""
        now = self.clock()
        until = self._holds.until(host, now)
        return 0.0 if until is None else (until - now).total_seconds()

    def _hold_if_busy(self, url: str, failed: FetchFailed) -> None:
        """A site that answers 429 or 503 is asked nothing more for its Retry-After (a minute
        when it names none; an hour at most): its other pages wait, due, for later passes."""
        now = self.clock()
        pause = busy_pause(failed.status, failed.headers, now)
        if pause is None:
            return
        host = host_of(url)
        if self._holds.hold(host, now + timedelta(seconds=pause)):
            log.info(
                "articles host=%s held=%g (it answered %s: no page of it for that many seconds)",
                host,
                pause,
                failed.status,
                extra=fields(host=host, held=pause, status=failed.status),
            )

    async def _take_turn(self, url: str, within: float) -> bool:
        """Wait for a turn at the host, the host's requests `_interval` apart and none while
        it holds us off; False (no turn) when that turn is more than `within` seconds away,
        or the host asked us to hold off (or answered with a bot check) while the turn was
        awaited."""
        host = host_of(url)
        now = time.monotonic()
        start = max(now, self._next_slot.get(host, 0.0), now + self._held_for(host))
        if start - now > within:
            return False
        self._next_slot[host] = start + self._interval(url)
        if start > now:
            await asyncio.sleep(start - now)
        # (held meanwhile, or one of its pages met a bot check: not now)
        return self._held_for(host) <= 0 and host not in self._checked

    async def _pace(self, url: str) -> None:
        """Keep a request to the host `_interval` after the one before it, run as the fetcher
        sends it: two turns taken apart may reach the fetcher together, when its slots for the
        host were busy (a feed of the same site hanging, say)."""
        host = host_of(url)
        last = self._last_asked.get(host)
        if last is not None:
            wait = last + self._interval(url) - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        self._last_asked[host] = time.monotonic()

    async def _robots_allow(
        self,
        fetcher: Fetcher,
        url: str,
        trusted: bool,
        slots: asyncio.Semaphore,
        came_from: str | None = None,
        from_own: bool = False,
    ) -> tuple[bool, str | None]:
        """Whether robots.txt lets us fetch `url`, with the reason when not. Asking the site
        takes one of the pass's `slots`; the site's other pages wait for its answer holding
        none (a robots.txt slow to answer keeps no other site's pages waiting). A `url` that
        a page `came_from` redirected to has its robots.txt asked as that hop is."""
        origin = robots_url(url)
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            cached = self._robots.get(origin)
            unavailable = cached is not None and cached[1] is None
            ttl = _ROBOTS_UNAVAILABLE_TTL if unavailable else _ROBOTS_TTL
            now = self.clock().timestamp()  # (the job's clock: a page's next try follows it)
            if cached is None or now - cached[0] > ttl:
                stored = await self._stored_robots(origin, now)
                if stored is None:  # (asked of the site: its answer kept for the next process)
                    await self._take_turn(origin, math.inf)  # (its turn, awaited slotless)
                    async with slots:
                        fetched = await self._fetch_robots(
                            fetcher, origin, trusted, came_from, from_own
                        )
                        answer = (now, *fetched)
                    asked = datetime.fromtimestamp(now, UTC)
                    await self.write(self.store.save_robots_answer, origin, asked, *answer[1:])
                else:
                    answer = stored
                asked_at, text, why = answer
                # (read once, off the loop: each page of the site asks the rules read)
                rules = None if text is None else await asyncio.to_thread(RobotsRules, text)
                cached = (asked_at, rules, why)
                self._robots[origin] = cached
                self._keep_delay(origin, rules, fetcher.user_agent, said=stored is None)
        rules, why = cached[1], cached[2]
        if rules is None:
            return False, f"{_UNAVAILABLE} ({why}): not fetched"
        if rules.allows(url, fetcher.user_agent):
            return True, None
        return False, "disallowed by robots.txt"

    def _keep_delay(
        self, origin: str, rules: RobotsRules | None, user_agent: str, said: bool
    ) -> None:
        """Keep the Crawl-delay of `origin`'s robots.txt; the log says it when the site has
        just `said` it (not when it was read from the store) and it paces the site."""
        delay = rules.crawl_delay(user_agent) if rules is not None else 0.0
        if delay:
            self._delays[origin] = delay
        else:
            self._delays.pop(origin, None)
        if said and delay > self.settings.per_host_interval:
            host = host_of(origin)
            log.info(
                "articles host=%s crawl_delay=%g (its robots.txt asks it: its pages go that "
                "many seconds apart)",
                host,
                delay,
                extra=fields(host=host, crawl_delay=delay),
            )

    async def _stored_robots(self, origin: str, now: float) -> tuple[float, str | None, str] | None:
        """The answer an earlier process stored for `origin`, while within its time to live."""
        stored = await self.write(self.store.robots_answer, origin)
        if stored is None:
            return None
        asked, text, why = stored[0].timestamp(), stored[1], stored[2]
        ttl = _ROBOTS_UNAVAILABLE_TTL if text is None else _ROBOTS_TTL
        return (asked, text, why) if now - asked <= ttl else None

    async def _fetch_robots(
        self,
        fetcher: Fetcher,
        origin: str,
        trusted: bool,
        came_from: str | None = None,
        from_own: bool = False,
    ) -> tuple[str | None, str]:
        """The site's robots.txt, read as `robots_answer` says; a site that answers busy is
        held off (`_hold_if_busy`); one that has not answered in `ROBOTS_TIMEOUT` seconds
        cannot say."""
        wait = min(ROBOTS_TIMEOUT, fetcher.settings.total_timeout)
        try:
            async with asyncio.timeout(None) as limit:

                async def admit() -> None:  # (timed from the request: not its slots' wait)
                    await self._pace(origin)
                    limit.reschedule(asyncio.get_running_loop().time() + wait)

                outcome = await fetcher.fetch_page(
                    origin,
                    ROBOTS_MAX_BYTES,
                    trusted=trusted,
                    cut=True,
                    admit=admit,
                    redirected_from=came_from,
                    from_own=from_own,
                )
        except TimeoutError:
            return None, f"no answer in {wait:g} s"
        if isinstance(outcome, FetchFailed):
            self._hold_if_busy(origin, outcome)
        return robots_answer(outcome)


def same_origin(url: str, feed_url: str) -> bool:
    """Whether `url` is at `feed_url`'s host and port (the scheme's default when none is
    written): a feed whose owner points its name at 127.0.0.1 opens no other port there."""
    a, b = urlsplit(url), urlsplit(feed_url)
    try:
        return (a.hostname or "") == (b.hostname or "") != "" and _port(a) == _port(b)
    except ValueError:  # (a port out of range)
        return False


def _port(parts: SplitResult) -> int | None:
    return parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
