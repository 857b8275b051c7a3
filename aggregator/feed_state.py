"""A fetch outcome → the feed's next state: pure, always recorded whatever happened.

Apart from `pipeline` so that a poll whose feeds answer 304 or send an unchanged body decides
their next state without loading the item-building code."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from .lang import language_tag
from .models import (
    FeedState,
    Fetched,
    FetchFailed,
    FetchOutcome,
    Item,
    NotModified,
    ParsedFeed,
)
from .schedule import ScheduleSettings, next_poll

__all__ = [
    "BLANK_AT_MOST",
    "CHECK_VALIDATORS_AFTER",
    "CHECK_VALIDATORS_POLLS",
    "GONE_AFTER",
    "NO_VALIDATORS_304",
    "RECHECK_304S_AFTER",
    "after_304_check",
    "as_answered",
    "body_hash",
    "check_304s",
    "items_in_feed_language",
    "state_after",
    "validators",
]

# A 410 Gone stops polling once it ends this many failed polls in a row, the last two of them
# answered 410: before that it is an error, backed off as any. One answer from a server that
# was misconfigured for a minute must not stop a feed for a year.
GONE_AFTER = 3
# A feed that has answered only 304 for this long is asked once without its validators: a
# server whose ETag or Last-Modified does not follow its content (a cache or plugin that
# answers 304 to everything) would otherwise hide its new entries for good. An unchanged body
# is told by its hash and not parsed again. A feed polled less often waits as many of its
# polls (the time since its last one, times this many), so that a daily feed's every request
# is not one without validators.
CHECK_VALIDATORS_AFTER = timedelta(days=1)
CHECK_VALIDATORS_POLLS = 4
# A feed whose server answered 304 to the validators of a body it had since changed is asked
# without them (`false_304_at`). After this long, the next new entries it brings are checked
# the same way again, and its validators are sent again once its server answers that right.
RECHECK_304S_AFTER = timedelta(days=30)
# A Last-Modified later than this past the response is kept as none: a server's clock or a
# date written into its configuration (one from 2041 is seen) would make every If-Modified-Since
# a 304. RFC 9110 forbids a Last-Modified later than the response's own Date.
LAST_MODIFIED_AHEAD = timedelta(days=1)
# A body longer than this is never read as empty (`as_answered`: no copy of a feed's bytes).
BLANK_AT_MOST = 1024
# The error of a 304 in reply to a request that sent no validators (`as_answered`).
NO_VALIDATORS_304 = "HTTP 304 (not modified) to a request that named no earlier version"


def validators(state: FeedState, now: datetime) -> tuple[str | None, str | None]:
    """The ETag and Last-Modified to send with the feed's next request: its stored ones, but
    none when it last sent a body `CHECK_VALIDATORS_AFTER` ago or more, and
    `CHECK_VALIDATORS_POLLS` of its polls (or never did, as far as the store knows: a state
    from before this was kept), and none while its server's 304s are known to hide new
    entries (`false_304_at`)."""
    if (state.etag is None and state.last_modified is None) or state.false_304_at is not None:
        return None, None
    if state.fetched_at is None:
        return None, None
    polls = CHECK_VALIDATORS_POLLS * (now - (state.last_polled_at or now))
    if now - state.fetched_at >= max(CHECK_VALIDATORS_AFTER, polls):
        return None, None
    return state.etag, state.last_modified


def as_answered(outcome: FetchOutcome, sent: tuple[str | None, str | None]) -> FetchOutcome:
    """`outcome` as its server meant it: an empty body (a 200 with `Content-Length: 0`, a 204)
    in reply to a request that sent validators is a "not modified" (PHP sites behind some
    caches answer so), not a feed that is no feed; without validators it stays a body, which
    parsing refuses ("not a feed: empty body"). A 304 to a request that sent none is a
    failure (`NO_VALIDATORS_304`)."""
    if (
        isinstance(outcome, Fetched)
        and len(outcome.body) <= BLANK_AT_MOST
        and not outcome.body.strip()
        and sent != (None, None)
    ):
        return NotModified(outcome.url, outcome.headers, outcome.status)
    if isinstance(outcome, NotModified) and sent == (None, None):
        # (nothing was named to be unmodified: a server that always says 304 had been a feed
        # polled fine forever, with no item ever)
        return FetchFailed(outcome.url, NO_VALIDATORS_304, 304, outcome.headers)
    return outcome


def check_304s(before: FeedState, sent: tuple[str | None, str | None], now: datetime) -> bool:
    """Whether a poll that brought new entries asks again with the validators of the body
    before them, `before`'s (a 304 to those is false: the feed has changed since): when
    they were not sent because the feed had answered 304 and nothing else for
    `CHECK_VALIDATORS_AFTER` (not the first poll of a state whose bodies' time is unknown),
    or because its 304s were found false `RECHECK_304S_AFTER` ago or more."""
    if sent != (None, None) or (before.etag is None and before.last_modified is None):
        return False
    if before.false_304_at is not None:
        return now - before.false_304_at >= RECHECK_304S_AFTER
    return before.status == "not_modified" and before.fetched_at is not None


def after_304_check(state: FeedState, outcome: FetchOutcome, now: datetime) -> FeedState:
    """`state` once `check_304s`'s request is answered: a 304 is false (its validators are
    not sent from now on), a body is right (they are sent again); a failure tells nothing."""
    if isinstance(outcome, NotModified):
        return dataclasses.replace(state, false_304_at=now)
    if isinstance(outcome, Fetched):
        return dataclasses.replace(state, false_304_at=None)
    return state


def _possible(last_modified: str | None, now: datetime) -> str | None:
    """A response's Last-Modified as it came, or None when it is a date later than
    `LAST_MODIFIED_AHEAD` past `now` (a value that is no date is kept: sent back verbatim,
    a server that wrote it can read it)."""
    if last_modified is None:
        return None
    try:
        when = parsedate_to_datetime(last_modified)
    except (TypeError, ValueError, IndexError):
        return last_modified
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return None if when - now > LAST_MODIFIED_AHEAD else last_modified


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def state_after(
    state: FeedState,
    outcome: FetchOutcome,
    now: datetime,
    settings: ScheduleSettings,
    *,
    parsed: ParsedFeed | None = None,
    parse_error: str | None = None,
    rand: float = 0.5,
) -> FeedState:
    """The feed's state after one poll: always recorded, whatever happened."""
    if isinstance(outcome, NotModified):
        # Every field named (what `dataclasses.replace` would keep, without its walk over
        # the fields: the most common outcome of a pass).
        return FeedState(
            url=state.url,
            etag=state.etag,
            last_modified=state.last_modified,
            body_hash=state.body_hash,
            status="not_modified",
            http_status=outcome.status,
            error=None,
            error_count=0,
            last_polled_at=now,
            last_success_at=now,
            next_poll_at=next_poll(
                now,
                outcome="not_modified",
                error_count=0,
                settings=settings,
                headers=outcome.headers,
                rand=rand,
            ),
            moved_to=outcome.permanent_redirect or state.moved_to,
            title=state.title,
            link=state.link,
            language=state.language,
            fetched_at=state.fetched_at,
            false_304_at=state.false_304_at,
            hub=state.hub,
            topic=state.topic,
        )
    if isinstance(outcome, FetchFailed):
        count = state.error_count + 1
        gone = outcome.status == 410 and state.http_status == 410 and count >= GONE_AFTER
        # The address a permanent redirect gave that is missing (404, 410) is left: the next
        # poll asks the listed one again (it may serve the feed itself, or redirect anew)
        lost = state.moved_to is not None and outcome.status in (404, 410)
        return dataclasses.replace(
            state,
            moved_to=None if lost else state.moved_to,
            last_polled_at=now,
            status="gone" if gone else "error",
            http_status=outcome.status,
            error=outcome.error,
            error_count=count,
            next_poll_at=next_poll(
                now,
                outcome="gone" if gone else "error",
                error_count=count,
                settings=settings,
                headers=outcome.headers,
                rand=rand,
            ),
        )
    assert isinstance(outcome, Fetched)
    new_hash = body_hash(outcome.body)
    answered: dict[str, Any] = {  # what the response says of itself
        "etag": outcome.etag,
        "last_modified": _possible(outcome.last_modified, now),
        "moved_to": outcome.permanent_redirect or state.moved_to,
        "http_status": outcome.status,
        "fetched_at": now,
    }
    if parse_error is not None or (parsed is not None and parsed.cut_short):
        # A body that cannot be read, or is cut short, is asked for whole next time: its
        # validators are not kept (a 304 to them had hidden a parse error as "not modified")
        answered["etag"] = answered["last_modified"] = None
    if parse_error is not None:
        count = state.error_count + 1
        return dataclasses.replace(
            state,
            last_polled_at=now,
            **answered,
            body_hash=None,  # so a fixed upstream is parsed again
            status="error",
            error=parse_error,
            error_count=count,
            next_poll_at=next_poll(
                now,
                outcome="error",
                error_count=count,
                settings=settings,
                headers=outcome.headers,
                rand=rand,
            ),
        )
    unchanged = parsed is None and new_hash == state.body_hash
    hub, topic = state.hub, state.topic
    if parsed is not None:  # (what the document and the response name now)
        from .push import discover  # (a pass whose feeds all answer 304 never loads it)

        hub, topic = discover(parsed.hubs, parsed.self_url, outcome.headers, outcome.final_url)
    return dataclasses.replace(
        state,
        last_polled_at=now,
        **answered,
        body_hash=new_hash,
        status="unchanged" if unchanged else "ok",
        # (the same body read no better: a feed parsed only in part says so until mended; its
        # warning had gone at its next poll, the body unchanged and unread)
        error=(
            parsed.warning
            if parsed
            else state.error
            if unchanged and state.status in ("ok", "unchanged")
            else None
        ),
        error_count=0,
        last_success_at=now,
        title=(parsed.title if parsed and parsed.title else state.title),
        link=(parsed.link if parsed and parsed.link else state.link),
        language=(language_tag(parsed.language) if parsed else None) or state.language,
        hub=hub,
        topic=topic,
        next_poll_at=next_poll(
            now,
            outcome="unchanged" if unchanged else "ok",
            error_count=0,
            settings=settings,
            headers=outcome.headers,
            ttl_minutes=parsed.ttl_minutes if parsed else None,
            rand=rand,
        ),
    )


def items_in_feed_language(items: list[Item], state: FeedState) -> list[Item]:
    """A fetch's items, those that declare no language (neither their entry nor the body's
    `<language>`) in the one the feed declared last, as its next `state` keeps it: a body
    that leaves its `<language>` out for a fetch had given its new items none, so a kanji-only
    Japanese headline was read by the kana rule, while the feed's row still said "ja"."""
    if state.language is None or all(item.language for item in items):
        return items
    return [
        item if item.language else dataclasses.replace(item, language=state.language)
        for item in items
    ]
