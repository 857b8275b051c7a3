"""A fetch outcome → the feed's next state: pure, always recorded whatever happened.

Apart from `pipeline` so that a poll whose feeds answer 304 or send an unchanged body decides
their next state without loading the item-building code."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime

from .lang import language_tag
from .models import FeedState, Fetched, FetchFailed, FetchOutcome, NotModified, ParsedFeed
from .schedule import ScheduleSettings, next_poll

__all__ = ["GONE_AFTER", "body_hash", "state_after"]

# A 410 Gone stops polling once it ends this many failed polls in a row, the last two of them
# answered 410: before that it is an error, backed off as any. One answer from a server that
# was misconfigured for a minute must not stop a feed for a year.
GONE_AFTER = 3


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
            http_status=304,
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
            moved_to=state.moved_to,
            title=state.title,
            link=state.link,
            language=state.language,
        )
    if isinstance(outcome, FetchFailed):
        count = state.error_count + 1
        gone = outcome.status == 410 and state.http_status == 410 and count >= GONE_AFTER
        return dataclasses.replace(
            state,
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
    validators = {
        "etag": outcome.etag,
        "last_modified": outcome.last_modified,
        "moved_to": outcome.permanent_redirect or state.moved_to,
        "http_status": outcome.status,
    }
    if parse_error is not None:
        count = state.error_count + 1
        return dataclasses.replace(
            state,
            last_polled_at=now,
            **validators,
            body_hash=None,  # so a fixed upstream is parsed again even if validators match
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
    return dataclasses.replace(
        state,
        last_polled_at=now,
        **validators,
        body_hash=new_hash,
        status="unchanged" if unchanged else "ok",
        error=(parsed.warning if parsed else None),
        error_count=0,
        last_success_at=now,
        title=(parsed.title if parsed and parsed.title else state.title),
        link=(parsed.link if parsed and parsed.link else state.link),
        language=(language_tag(parsed.language) if parsed else None) or state.language,
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
