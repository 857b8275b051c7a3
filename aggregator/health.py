"""Is the service healthy? A pure decision over the store's counts, for /healthz and `status`.

Two kinds of finding: a *reason* (the service is degraded: /healthz answers 503, which
monitors act on) and a *warning* (the service works, but something needs the operator: a
refused sources edit; /healthz answers 200 with status "warning", so nothing restarts a service
that a restart would not mend).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from .config import Settings
from .store_rows import to_iso
from .url_secrets import hide_passwords


def stale_after(settings: Settings) -> timedelta:
    """How old the last poll cycle may be before the service counts as degraded: three times
    the longer of the scheduler tick and the shortest poll interval, plus room for a cycle
    held up by a few slow feeds."""
    tick = timedelta(seconds=settings.server.tick)
    fetch = timedelta(seconds=settings.fetch.total_timeout)
    return 3 * max(tick, settings.schedule.min_interval) + 4 * fetch


def parse_time(value: object) -> datetime | None:
    """An ISO time as stored (UTC when it names no zone); None for anything else."""
    if not isinstance(value, str) or not value:
        return None
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def assess(health: dict[str, Any], now: datetime, stale: timedelta | None) -> list[str]:
    """Reasons the service is degraded (empty: healthy).

    Degraded when most feeds (more than half) are failing, when the service's own network is
    down (no feed's host can be reached: feeds are then not asked, and not counted failing), or
    when `stale` is given and no poll cycle has finished within it.
    """
    reasons: list[str] = []
    down = health.get(NETWORK_DOWN)
    if isinstance(down, dict):
        since = down.get("since") or "?"
        error = down.get("error") or "no host reached"
        reasons.append(
            f"the network is down since {since}: no feed's host can be reached ({error})"
        )
    feeds = int(health.get("feeds") or 0)
    failing = int(health.get("feeds_failing") or 0)
    if feeds and failing * 2 > feeds:
        reasons.append(f"{failing} of {feeds} feeds failing")
    if stale is not None and feeds:
        last = parse_time(health.get("last_poll_at"))
        if last is None:
            reasons.append("no poll cycle has completed yet")
        elif now - last > stale:
            minutes = int((now - last).total_seconds() // 60)
            reasons.append(f"last poll cycle finished {minutes} min ago")
    return reasons


OPML_REFUSED = "opml_refused"  # the meta key: the sources edit the service refused, as JSON
WITHHELD_REFUSED = "withheld_refused"  # the same for an edit of the withheld list


def refused_record(path: str, error: str, since: str) -> str:
    """The stored form of a refused sources edit: which file, why (a feed address's password
    hidden: /healthz shows it), and since when."""
    shown = hide_passwords(error)
    return json.dumps({"path": path, "error": shown, "since": since}, ensure_ascii=False)


def read_refused(value: str | None) -> dict[str, str] | None:
    """A stored refused edit (None when the file in force is the file on disk)."""
    if not value:
        return None
    try:
        found = json.loads(value)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


LAST_CYCLE = "last_cycle"  # meta key: the last poll cycle's tally (JSON: `Store.record_cycle`)
BACKUP_AT = "backup_at"  # meta key: when the last scheduled backup was written (`backup_job`)
BACKUP_FAILED = "backup_failed"  # meta key: when the last one failed, and why (JSON)


def failure_record(now: datetime, error: str) -> str:
    """The stored form of a job's failed attempt (a scheduled backup, a read of the bounce
    mailbox, a story pass): when (to the second, as every stored time), and why."""
    return json.dumps({"at": to_iso(now), "error": error}, ensure_ascii=False)


def backup_record(meta: Mapping[str, str]) -> tuple[datetime | None, datetime | None, str]:
    """(when the last backup was written, when the last attempt failed, its error) from the
    meta keys `BACKUP_AT` and `BACKUP_FAILED`; a failure older than the last backup is over.
    Pure."""
    last = parse_time(meta.get(BACKUP_AT))
    try:
        failure = json.loads(meta.get(BACKUP_FAILED) or "{}")
    except ValueError:
        failure = {}
    failed = parse_time(failure.get("at")) if isinstance(failure, dict) else None
    if failed is None or (last is not None and last >= failed):
        return last, None, ""
    return last, failed, str(failure.get("error") or "")


BACKUP_FAILING = "backup_failing"  # /healthz key: the scheduled backup's failure, if failing
WEBSUB_FAILING = "websub_failing"  # /healthz key: the WebSub hubs failing, each since when
HUBS = "websub_hubs"  # meta: {hub: {told_at} or {failing_since, failed_at, error}} (`hub_job`)
BOUNCE_FAILED = "bounce_failed"  # meta: {"at", "error"} of the bounce mailbox's last failed read
BOUNCES_FAILING = "bounces_failing"  # /healthz key: that failure, while it is recent
STORIES_FAILED = "stories_failed"  # meta: {"at", "error"} of a story pass that failed
STORIES_FAILING = "stories_failing"  # /healthz key: that failure, until a pass succeeds
# meta and /healthz key: {"since", "error"} while the service's own network is down (`network`)
NETWORK_DOWN = "network_down"


def hub_states(value: str | None) -> dict[str, dict[str, str]]:
    """How each WebSub hub last answered (the `HUBS` meta value): when it was last told, or
    since when it fails, when it last failed and why; a damaged value reads as nothing known."""
    try:
        found = json.loads(value or "{}")
    except ValueError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {
        str(hub): {str(k): str(v) for k, v in state.items() if v is not None}
        for hub, state in found.items()
        if isinstance(state, dict)
    }


BACKUP_FAILURE_SHOWN = timedelta(hours=25)  # a failure this old says nothing of today


def warnings(health: dict[str, Any], now: datetime | None = None) -> list[str]:
    """What needs the operator while the service still works (empty: nothing): a refused
    sources edit; a scheduled backup whose last attempt failed (and none succeeded since),
    within `BACKUP_FAILURE_SHOWN` of `now` (a failing backup is tried hourly; backups turned
    off leave their last failure behind, which stops warning by itself); a bounce mailbox
    whose last read failed, likewise; failing WebSub hubs; a story pass that failed (no pass
    succeeded since)."""
    found: list[str] = []
    refused = health.get(OPML_REFUSED)
    if isinstance(refused, dict) and refused.get("error"):
        found.append(
            f"sources edit refused since {refused.get('since') or '?'}: {refused['error']}; "
            "the last good sources stay in force"
        )
    refused = health.get(WITHHELD_REFUSED)
    if isinstance(refused, dict) and refused.get("error"):
        found.append(
            f"withheld list edit refused since {refused.get('since') or '?'}: "
            f"{refused['error']}; the last good list stays in force"
        )
    failed = backup_failing(health, now)
    if failed is not None:
        error = health[BACKUP_FAILING].get("error")
        found.append(f"scheduled backup failed at {failed.isoformat()}: {error}")
    failing = bounces_failing(health, now)
    if failing is not None:
        found.append(
            f"the digest's bounce mailbox was not read at {failing['at']}: {failing['error']}; "
            "addresses that bounce keep getting the daily email"
        )
    failing = stories_failing(health, now)
    if failing is not None:
        found.append(
            f"the story pass failed at {failing['at']}: {failing['error']}; stories are not "
            "updated until one succeeds (see the log)"
        )
    for hub, state in websub_failing(health, now).items():
        found.append(
            f"WebSub hub {hub} failing since {state.get('failing_since')}: {state.get('error')}; "
            "readers subscribed through it hear of new stories at their own next poll"
        )
    return found


def websub_failing(health: dict[str, Any], now: datetime | None) -> dict[str, dict[str, str]]:
    """The WebSub hubs failing still (`hub_job`): those whose last failure is within
    `BACKUP_FAILURE_SHOWN` of `now` (a failing hub is asked at least hourly; one no longer
    asked, hubs turned off, stops warning by itself)."""
    failing = health.get(WEBSUB_FAILING)
    if not isinstance(failing, dict):
        return {}
    found = {}
    for hub, state in failing.items():
        at = parse_time(state.get("failed_at")) if isinstance(state, dict) else None
        if at is not None and (now is None or now - at <= BACKUP_FAILURE_SHOWN):
            found[hub] = state
    return found


def stories_failing(health: dict[str, Any], now: datetime | None) -> dict[str, str] | None:
    """The story pass's last failure (`Service._group_safely`), if no pass succeeded since
    (which removes it) and it is recent (a service stopped for good stops warning by itself)."""
    return _recent_failure(health, STORIES_FAILING, now)


def bounces_failing(health: dict[str, Any], now: datetime | None) -> dict[str, str] | None:
    """The bounce mailbox's last failed read (`bounce_job`), if no read succeeded since and
    it is within `BACKUP_FAILURE_SHOWN` of `now` (reads are hourly; a mailbox no longer
    read stops warning by itself)."""
    return _recent_failure(health, BOUNCES_FAILING, now)


def backup_failing(health: dict[str, Any], now: datetime | None) -> datetime | None:
    """When the scheduled backup last failed, if it is failing still: no copy since, and
    within `BACKUP_FAILURE_SHOWN` of `now`."""
    failing = _recent_failure(health, BACKUP_FAILING, now)
    return None if failing is None else parse_time(failing["at"])


def _recent_failure(
    health: dict[str, Any], key: str, now: datetime | None
) -> dict[str, str] | None:
    """The failure record (`failure_record`: {"at", "error"}) under `key`, when its time is
    within `BACKUP_FAILURE_SHOWN` of `now` (any time, without `now`)."""
    failing = health.get(key)
    at = parse_time(failing.get("at")) if isinstance(failing, dict) else None
    if at is None or (now is not None and now - at > BACKUP_FAILURE_SHOWN):
        return None
    return failing


def report(
    reader: Any,
    now: datetime,
    stale: timedelta | None,
    *,
    digests: bool,
    faults: Sequence[str] = (),
) -> tuple[dict[str, Any], int]:
    """Fill in and judge what /healthz answers; `status --json` prints the same keys (and more).

    Reads `reader`'s data `version` and, where it offers them, its `health()` (`last_poll_at`,
    `feeds`: how many active feeds, `feeds_failing`, `consecutive_errors`, `opml_refused`) and,
    with `digests`, its `digest_health()` (`digests`, `digests_failing`). `faults` are reasons
    the process found itself (a damaged database file, see aggregator.damage). Returns the report
    (with `status`, and `reasons` and `warnings` when there are any) and its HTTP code.
    """
    found: dict[str, Any] = {"status": "ok", "version": reader.version()}
    extra = getattr(reader, "health", None)
    if callable(extra):
        found.update(extra())
    if failing := websub_failing(found, now):  # (only hubs failing still)
        found[WEBSUB_FAILING] = failing
    else:
        found.pop(WEBSUB_FAILING, None)
    if bounces_failing(found, now) is None:  # (only a recent failure)
        found.pop(BOUNCES_FAILING, None)
    if stories_failing(found, now) is None:  # (likewise)
        found.pop(STORIES_FAILING, None)
    mailed = getattr(reader, "digest_health", None)
    if digests and callable(mailed):
        found.update(mailed())
    reasons, warned = [*faults, *assess(found, now, stale)], warnings(found, now)
    found["status"], code = verdict(reasons, warned)
    if reasons:
        found["reasons"] = reasons
    if warned:
        found["warnings"] = warned
    return found, code


def verdict(reasons: list[str], warned: list[str]) -> tuple[str, int]:
    """The status word and HTTP code of /healthz (and `status --json`): degraded is 503;
    a warning alone stays 200, so a monitor that restarts on failure leaves a working service
    be (restarting with a broken sources file would stop it at start)."""
    if reasons:
        return "degraded", 503
    return ("warning", 200) if warned else ("ok", 200)
