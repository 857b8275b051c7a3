"""`/metrics`: the service's state in Prometheus' text format, for the clients allowed.

Pure: `render` turns what /healthz reports (`health.report`) and the store's counts
(`Reader.metric_counts`) into exposition text (version 0.0.4); `allowed` says whether a client
address is in `[server] metrics_networks`. Every value is a gauge read from the database at
the scrape, so `serve` beside a `poll --once` cron answers as `run` does, and a restart
resets nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aggregator import __version__

if TYPE_CHECKING:
    from aggregator.config import ServerSettings

__all__ = ["CONTENT_TYPE", "RELAY_HEADERS", "allowed", "metric_networks", "networks", "render"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# headers a reverse proxy adds to what it relays: such a request is from outside, whatever
# the address it came from (the proxy's own, loopback most often)
RELAY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# name, help, the last cycle's key (`Store.record_cycle`)
_CYCLE = (
    ("feeds", "Feeds the last poll cycle asked for", "feeds"),
    ("feeds_ok", "Feeds of the last poll cycle that answered", "ok"),
    ("feed_errors", "Feeds of the last poll cycle that failed", "errors"),
    ("items_new", "New items the last poll cycle stored", "items_new"),
    ("items_updated", "Items the last poll cycle found changed", "items_updated"),
    ("stories_changed", "Stories the last poll cycle's grouping and summaries changed",
     "stories_changed"),
    ("seconds", "How long the last poll cycle took", "seconds"),
    ("feeds_in_flight", "Feeds still being asked at the last poll cycle's end, left by their "
     "passes (`run`)", "in_flight"),
)  # fmt: skip


def networks(written: Iterable[str], key: str = "metrics_networks") -> tuple[Network, ...]:
    """The networks of `[server] metrics_networks` (or `proxies`: `key`): "127.0.0.1/8",
    "::1", "10.0.0.0/8"; ValueError naming the one that is none."""
    found = []
    for text in written:
        try:
            found.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{key}: {text!r} is no IP network") from None
    return tuple(found)


def metric_networks(server: ServerSettings) -> tuple[Network, ...] | None:
    """Who may read /metrics under `server`'s settings; None while it is off."""
    return networks(server.metrics_networks) if server.metrics else None


def allowed(remote: str | None, within: Sequence[Network]) -> bool:
    """Whether a client at `remote` (an IP address, as the server saw it) is in one of the
    networks `within` (may read /metrics; is a reverse proxy); an IPv4 address written as
    IPv6 (`::ffff:10.0.0.1`) counts as the IPv4 one."""
    if not remote:
        return False
    try:
        address = ipaddress.ip_address(remote.split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in within)


def _label(value: str) -> str:
    """A label value as the text format writes one (backslash, quote and newline escaped)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _seconds(value: str | None) -> float | None:
    """An ISO time as seconds since the epoch; None for none or an unreadable one."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


class _Text:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def gauge(self, name: str, help_text: str, samples: Iterable[tuple[str, float]]) -> None:
        """One metric (`aggregator_<name>`) and its samples (labels written out, value)."""
        full = f"aggregator_{name}"
        self.lines += [f"# HELP {full} {help_text}.", f"# TYPE {full} gauge"]
        for labels, value in samples:
            shown = repr(float(value)) if isinstance(value, float) else str(int(value))
            self.lines.append(f"{full}{labels} {shown}")


def render(report: Mapping[str, Any], counts: Mapping[str, Any], hubs: int = 0) -> str:
    """The exposition text of one scrape: `report` is /healthz's (`health.report`), `counts`
    the store's (`Reader.metric_counts`), `hubs` how many WebSub hubs the site names."""
    out = _Text()
    out.gauge("info", "The running version", [(f'{{version="{_label(__version__)}"}}', 1)])
    out.gauge(
        "healthy",
        "1 while /healthz answers ok or warning, 0 while it answers degraded",
        [("", int(report.get("status") in ("ok", "warning")))],
    )
    out.gauge("feeds", "Feeds polled (listed, not paused)", [("", report.get("feeds") or 0)])
    out.gauge(
        "feeds_failing",
        "Feeds whose last poll failed",
        [("", report.get("feeds_failing") or 0)],
    )
    out.gauge(
        "feed_errors_in_a_row",
        "Failed polls in a row, summed over the feeds",
        [("", report.get("consecutive_errors") or 0)],
    )
    out.gauge(
        "sources_edit_refused",
        "1 while a live edit of the sources file is refused",
        [("", int(bool(report.get("opml_refused"))))],
    )
    out.gauge(
        "withheld_edit_refused",
        "1 while a live edit of the withheld list is refused",
        [("", int(bool(report.get("withheld_refused"))))],
    )
    polled = _seconds(report.get("last_poll_at"))
    if polled is not None:
        out.gauge("last_poll_timestamp_seconds", "When the last poll cycle ended", [("", polled)])
    cycle = counts.get("last_cycle") or {}
    for name, help_text, key in _CYCLE:
        if key in cycle:
            out.gauge(f"last_cycle_{name}", help_text, [("", cycle[key])])
    out.gauge("items", "Items stored", [("", counts.get("items", 0))])
    out.gauge("stories", "Stories published", [("", counts.get("stories", 0))])
    waiting = counts.get("waiting") or {}
    out.gauge(
        "items_waiting",
        "Items stored without a story yet (0 between passes)",
        [("", waiting.get("items", 0))],
    )
    out.gauge(
        "stories_waiting",
        "Stories whose summary is not written yet (0 between passes)",
        [("", waiting.get("stories", 0))],
    )
    out.gauge("database_bytes", "The database's size", [("", counts.get("database_bytes", 0))])
    out.gauge(
        "database_free_bytes",
        "Of the database, free pages (`aggregator compact` gives them back)",
        [("", counts.get("database_free_bytes", 0))],
    )
    backup = _seconds(counts.get("last_backup_at"))
    if backup is not None:
        out.gauge(
            "last_backup_timestamp_seconds", "When the last scheduled backup ended", [("", backup)]
        )
    if "backup_failing" in report or backup is not None:
        out.gauge(
            "backup_failing",
            "1 while the scheduled backup fails",
            [("", int("backup_failing" in report))],
        )
    failing = report.get("websub_failing")
    if hubs or isinstance(failing, Mapping):
        out.gauge(
            "websub_hubs_failing",
            "WebSub hubs whose last notification failed",
            [("", len(failing) if isinstance(failing, Mapping) else 0)],
        )
    digests = report.get("digests")
    if isinstance(digests, Mapping):
        out.gauge(
            "digests_failing",
            "Categories whose latest daily email failed",
            [("", report.get("digests_failing") or 0)],
        )
        sent = [
            (f'{{category="{_label(str(category))}"}}', at)
            for category, digest in sorted(digests.items())
            if (at := _seconds((digest or {}).get("sent_at"))) is not None
        ]
        if sent:
            out.gauge(
                "digest_sent_timestamp_seconds", "When a category's latest daily email went", sent
            )
    pushing = counts.get("push") or {}
    if pushing:  # (a server that subscribes at the hubs upstream feeds name: `push`)
        out.gauge(
            "push_subscriptions",
            "Subscriptions at the WebSub hubs upstream feeds name, by state",
            [
                (f'{{state="{state}"}}', pushing.get(state, 0))
                for state in ("active", "requested", "failed", "denied", "leaving")
            ],
        )
    signed = counts.get("subscribers") or {}
    if signed:
        out.gauge(
            "digest_subscribers",
            "Readers who signed up for a category's daily email on the site, by state",
            [
                (f'{{category="{_label(str(category))}",state="{state}"}}', n)
                for category, (confirmed, pending) in sorted(signed.items())
                for state, n in (("confirmed", confirmed), ("pending", pending))
            ],
        )
    return "\n".join(out.lines) + "\n"
