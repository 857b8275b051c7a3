"""Settings: defaults, an optional TOML file, then `AGGREGATOR_*` environment variables.

Each section of the TOML file fills one module's settings dataclass::

    [server]            host, port, tick (seconds between scheduler passes), shutdown_grace,
                        keep_window (`run` holds the grouping window between rounds),
                        stall_after (a pass without progress this long ends the process),
                        metrics, metrics_networks (`/metrics` and who may read it), proxies,
                        max_client_connections (per client address; proxies not counted)
    [fetch]             user_agent, connect_timeout, total_timeout, max_bytes, per_host,
                        concurrency, proxy, no_proxy (else the environment's: fetch_proxy),
                        ca_file (certificates trusted beside the system's: tls_trust)
    [schedule]          interval, min_interval, max_interval, error_backoff_cap (seconds or "15m")
    [cluster]           see aggregator.cluster_settings.ClusterSettings
    [summary]           min_bullets, max_bullets, max_words, language (readers' language)
    [publish]           base_url, site_title, description, max_items, page_size,
                        front_page_stories, top_min_outlets, language, max_age, search, images,
                        picture_proxy, check_pictures, timezone, hubs (WebSub hubs told of
                        changed feeds)
    [articles]          enabled, skip_feeds, per_pass, concurrency, per_host_interval,
                        once_budget (how long `poll --once` spends on article pages)
    [digest]            SMTP server, sender, per-category recipients and send time (see digest.py),
                        the bounce mailbox (bounce_host: see bounce_job.py)

An environment variable `AGGREGATOR_<SECTION>_<KEY>` (e.g. `AGGREGATOR_SERVER_PORT=9000`,
`AGGREGATOR_PUBLISH_BASE_URL=https://news.example.org/`) overrides the file.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from .article_settings import ArticleSettings
from .backup_settings import BackupSettings
from .cluster_settings import ClusterSettings
from .digest_settings import DigestSettings
from .errors import ConfigError
from .fetch_settings import FetchSettings
from .llm_settings import LLMSettings
from .publish_settings import PublishSettings
from .retention import RetentionSettings
from .schedule import ScheduleSettings
from .summary_settings import SummarySettings

ENV_PREFIX = "AGGREGATOR_"


LOOPBACK = ("127.0.0.1/8", "::1/128")  # who may read /metrics by default


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """`[server]`: where `run` and `serve` listen."""

    host: str = "127.0.0.1"
    port: int = 8080
    tick: float = 30.0  # seconds between scheduler passes (and OPML change checks)
    shutdown_grace: float = 10.0  # seconds in-flight polls get to finish on SIGTERM
    # `run` keeps the grouping window in memory between rounds; false: each round writes it
    # beside the database once grouped (`<db>.grouping`), lets it go, and loads it back for
    # the next round's grouping (less memory between rounds, a load and a write each round).
    keep_window: bool = True
    # A pass (a poll cycle and its upkeep; the whole of `poll --once`) that makes no progress
    # for this long is stuck: the process logs what it waited for and exits with status 4, so
    # systemd (or cron's next run) starts it again (`stall`).
    stall_after: float = 900.0
    # `/metrics` (Prometheus' text format: `metrics`) for clients in `metrics_networks` only;
    # off by default, and a 404 to everyone else.
    metrics: bool = False
    metrics_networks: tuple[str, ...] = LOOPBACK
    # Reverse proxies in front of the server: a request from one of these networks is from
    # the client its `X-Forwarded-For` (last) or `X-Real-IP` names (the pace of sign-ups).
    proxies: tuple[str, ...] = LOOPBACK
    # Connections one client (an IPv4 address, an IPv6 /64) may hold to the web server; one
    # more is answered 503 (`client_cap`). The `proxies`' connections are not counted. 0: no cap.
    max_client_connections: int = 100

    def __post_init__(self) -> None:
        if self.metrics or self.metrics_networks != LOOPBACK or self.proxies != LOOPBACK:
            from .metrics import networks  # (not loaded by a start that serves no metrics)

            networks(self.metrics_networks)  # (a network that is none: an error at start)
            networks(self.proxies, "proxies")


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting, by section of the TOML file."""

    server: ServerSettings = field(default_factory=ServerSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    summary: SummarySettings = field(default_factory=SummarySettings)
    publish: PublishSettings = field(default_factory=PublishSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    articles: ArticleSettings = field(default_factory=ArticleSettings)
    llm: LLMSettings = field(default_factory=LLMSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    backup: BackupSettings = field(default_factory=BackupSettings)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_LONGEST = 100 * 365.25 * 86400  # seconds: any longer duration is a typo


class DurationTooLong(ValueError):
    """A duration past `_LONGEST`: beyond any setting's range (which a caller names)."""


def parse_duration(value: object) -> timedelta:
    """Seconds as a number, or a string such as "90", "15m", "2h", "1d"."""
    if isinstance(value, bool):
        raise ValueError("expected a duration")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"expected a duration of 0 or more seconds, got {value!r}")
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"expected a duration such as 90, '15m' or '2h', got {value!r}")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds > _LONGEST:  # (past it, `timedelta` raised OverflowError, a traceback)
        raise DurationTooLong(f"expected a duration of at most 100 years, got {value!r}")
    return timedelta(seconds=seconds)


def _convert(value: object, kind: Any) -> object:
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        if value in ("", None):
            return None
        kind = options[0]
    if kind is timedelta:
        return parse_duration(value)
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"expected true or false, got {value!r}")
    if kind is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(f"expected a whole number, got {value!r}")
        try:
            return int(value)  # type: ignore[call-overload]
        except (TypeError, ValueError):  # ("abc" from the environment: not int()'s wording)
            raise ValueError(f"expected a whole number, got {value!r}") from None
    if kind is float:
        if isinstance(value, bool):
            raise ValueError(f"expected a number, got {value!r}")
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"expected a number, got {value!r}") from None
    if kind is str:
        if not isinstance(value, str | int | float):
            raise ValueError(f"expected text, got {value!r}")
        return str(value)
    if typing.get_origin(kind) is dict:
        return _convert_table(value, typing.get_args(kind)[1])
    if typing.get_origin(kind) is tuple:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple):
            raise ValueError(f"expected a list, got {value!r}")
        item = typing.get_args(kind)[0] if typing.get_args(kind) else object
        if item is str and not all(isinstance(v, str) for v in value):
            # (a number or a table among them had failed later: a traceback, or every poll)
            raise ValueError(f"expected a list of text, got {value!r}")
        return tuple(value)
    raise ValueError(f"unsupported setting type {kind!r}")


def _convert_table(value: object, kind: Any) -> dict[str, object]:
    """A TOML table, or "name=value; other=value" from an environment variable."""
    if isinstance(value, str):
        pairs = [part.partition("=") for part in value.split(";") if part.strip()]
        if any(not sep for _, sep, _ in pairs):
            raise ValueError(f"expected 'name=value; name=value', got {value!r}")
        value = {name.strip(): item.strip() for name, _, item in pairs}
    if not isinstance(value, Mapping):
        raise ValueError(f"expected a table, got {value!r}")
    return {str(name): _convert(item, kind) for name, item in value.items()}


# Allowed ranges (inclusive) of the settings a bad value would hang, crash or silently disable.
# Durations are in seconds. A setting not listed only has to be finite (numbers) and of its type.
_DAY = 86400.0
RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("server", "port"): (0, 65535),  # 0: any free port
    ("server", "tick"): (1, 3600),
    ("server", "shutdown_grace"): (0, 600),
    ("server", "stall_after"): (60, 7 * _DAY),
    ("server", "max_client_connections"): (0, 1 << 20),
    ("fetch", "connect_timeout"): (0.1, 600),
    ("fetch", "total_timeout"): (0.1, 3600),
    ("fetch", "max_bytes"): (1024, 1 << 30),
    ("fetch", "max_redirects"): (0, 20),
    ("fetch", "per_host"): (1, 64),
    ("fetch", "concurrency"): (1, 1024),
    ("schedule", "interval"): (60, 7 * _DAY),
    ("schedule", "min_interval"): (10, 7 * _DAY),
    ("schedule", "max_interval"): (60, 30 * _DAY),
    ("schedule", "error_backoff_cap"): (60, 30 * _DAY),
    ("schedule", "jitter"): (0, 0.5),
    ("publish", "max_items"): (1, 1000),
    ("publish", "max_age"): (0, _DAY),
    ("summary", "min_bullets"): (1, 50),
    ("summary", "max_bullets"): (1, 50),
    ("summary", "max_words"): (10, 5000),
    ("articles", "once_budget"): (0, _DAY),
    ("retention", "max_age"): (_DAY, 3650 * _DAY),
    ("retention", "every"): (60, 7 * _DAY),
    ("retention", "forget_after"): (_DAY, 3650 * _DAY),
    ("retention", "near_copies"): (_DAY, 3650 * _DAY),
    ("backup", "every"): (3600, 30 * _DAY),
    ("backup", "keep"): (1, 1000),
    # (upper bounds besides: a count past SQLite's integers failed every page or pass that
    # read with it; a word limit below a sentence's length published nothing, silently)
    ("publish", "page_size"): (1, 1000),
    ("publish", "front_page_stories"): (0, 1000),
    ("publish", "top_min_outlets"): (1, 1000),
    ("summary", "min_bullet_words"): (1, 100),
    ("summary", "max_bullet_words"): (10, 1000),
    ("summary", "words_per_bullet"): (1, 10000),
    ("articles", "teaser_words"): (0, 100_000),
    ("articles", "max_age"): (0, 3650 * _DAY),
    ("articles", "per_pass"): (1, 100_000),
    ("articles", "concurrency"): (1, 256),
    ("articles", "per_host_interval"): (0, _DAY),
    ("articles", "interval"): (0.1, _DAY),
    ("articles", "max_bytes"): (1024, 1 << 30),
    ("llm", "timeout"): (0.1, 3600),
    ("llm", "concurrency"): (1, 256),
    ("llm", "per_minute"): (1, 1e6),
    ("llm", "max_sources"): (1, 1000),
    ("llm", "max_source_chars"): (100, 1e7),
    ("llm", "cache_size"): (0, 1e7),
    ("digest", "timeout"): (0.1, 3600),
    ("digest", "window"): (60, 36500 * _DAY),
    ("digest", "catch_up"): (0, 30 * _DAY),
    ("digest", "retry_initial"): (1, _DAY),
    ("digest", "retry_max"): (1, 30 * _DAY),
}
# [cluster]: similarities, shares and margins are fractions, counts are counts (a threshold of
# 7 would leave every item a story of its own, without a word); the ones below say otherwise.
_CLUSTER_BOUNDS = {"float": (0.0, 1.0), "int": (0.0, 1e6), "timedelta": (0.0, 365 * _DAY)}
RANGES.update(
    {
        ("cluster", f.name): _CLUSTER_BOUNDS[str(f.type)]
        for f in dataclasses.fields(ClusterSettings)
        if str(f.type) in _CLUSTER_BOUNDS
    }
)
RANGES.update(
    {
        ("cluster", "title_weight"): (0, 10),
        ("cluster", "active_window"): (3600, 365 * _DAY),
        ("cluster", "max_span"): (3600, 365 * _DAY),
        ("cluster", "expire_every"): (60, _DAY),
        **{
            ("cluster", name): (1, 1e6)
            for name in (
                "max_active",
                "text_tokens",
                "vector_terms",
                "index_terms",
                "max_postings",
                "max_candidates",
            )
        },
    }
)


def _shown(value: float) -> str:
    """A number as written: whole numbers in full ("315360000", not "3.1536e+08")."""
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return str(number) if math.isfinite(number) else f"{number:g}"


def check_range(section: str, key: str, value: object) -> None:
    """Raise ValueError naming the allowed range when a numeric setting is out of it."""
    if isinstance(value, timedelta):
        number, unit = value.total_seconds(), " s"
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number, unit = float(value), ""
    else:
        return
    if not math.isfinite(number):
        raise ValueError(f"must be a finite number, got {_shown(number)}")
    bounds = RANGES.get((section, key))
    if bounds is not None and not bounds[0] <= number <= bounds[1]:
        low, high = bounds
        raise ValueError(
            f"{_shown(number)}{unit} is out of range: allowed {_shown(low)}..{_shown(high)}{unit}"
        )


def _apply(obj: Any, values: Mapping[str, object], where: str, section: str = "") -> Any:
    hints = typing.get_type_hints(type(obj))
    names = {f.name for f in dataclasses.fields(obj)}
    changes: dict[str, object] = {}
    for key, value in values.items():
        if key not in names:
            known = ", ".join(sorted(names))
            raise ConfigError(f"{where}: unknown setting {key!r} (known: {known})")
        try:
            changes[key] = _convert(value, hints[key])
            check_range(section, key, changes[key])
        except DurationTooLong as exc:
            bounds = RANGES.get((section, key))
            if bounds is None:
                raise ConfigError(f"{where}: setting {key!r}: {exc}") from exc
            low, high = (_shown(bound) for bound in bounds)
            allowed = f"is out of range: allowed {low}..{high} s"
            raise ConfigError(f"{where}: setting {key!r}: {value!r} {allowed}") from exc
        except (TypeError, ValueError, OverflowError) as exc:
            raise ConfigError(f"{where}: setting {key!r}: {exc}") from exc
    try:
        return dataclasses.replace(obj, **changes)
    except (TypeError, ValueError) as exc:  # a settings class rejected the combination
        raise ConfigError(f"{where}: {exc}") from exc


def _outside_sections(name: str, where: str, settings: Settings) -> str:
    """What to say of a setting `name` written before any [section] of the file (TOML reads
    it as the top level's, which had been called an unknown section)."""
    owners = [
        f"[{section.name}]"
        for section in dataclasses.fields(settings)
        if name in {f.name for f in dataclasses.fields(getattr(settings, section.name))}
    ]
    if owners:
        under = " or ".join(owners)
        return f"{where}: setting {name!r} is outside any section: write it under {under}"
    known = ", ".join(sorted(f.name for f in dataclasses.fields(settings)))
    return (
        f"{where}: setting {name!r} is outside any section, and no section has one of that "
        f"name (the sections: {known})"
    )


def build_settings(
    file_values: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
    where: str = "config",
) -> Settings:
    """Defaults, overridden by parsed TOML values, overridden by environment variables. Pure."""
    settings = Settings()
    sections = {f.name for f in dataclasses.fields(Settings)}
    file_values = file_values or {}
    for section, values in file_values.items():
        tables = isinstance(values, list) and values and all(isinstance(v, Mapping) for v in values)
        if section not in sections and not isinstance(values, Mapping) and not tables:
            # (a value before any [section]; `[[name]]`, tables, is a section's name)
            raise ConfigError(_outside_sections(section, where, settings))
        if section not in sections:
            raise ConfigError(
                f"{where}: unknown section [{section}] (known: {', '.join(sorted(sections))})"
            )
        if not isinstance(values, Mapping):
            raise ConfigError(f"{where}: [{section}] must be a table")
        if section == "digest" and ("password" in values or "bounce_password" in values):
            raise ConfigError(
                f"{where} [digest]: passwords are never read from the settings file; put the "
                "SMTP password in the environment variable named by password_env (the bounce "
                "mailbox's: bounce_password_env)"
            )
        current = getattr(settings, section)
        settings = dataclasses.replace(
            settings, **{section: _apply(current, values, f"{where} [{section}]", section)}
        )
    env = env or {}
    secrets = _secret_variables(settings, env)
    for section in sections:
        current = getattr(settings, section)
        prefix = f"{ENV_PREFIX}{section.upper()}_"
        overrides = {
            name[len(prefix) :].lower(): value
            for name, value in env.items()
            if name.startswith(prefix) and name not in secrets
        }
        if section == "digest" and (said := _password_variable(overrides, settings)):
            raise ConfigError(said)
        if overrides:
            settings = dataclasses.replace(
                settings,
                **{section: _apply(current, overrides, f"environment {prefix}*", section)},
            )
    _check_combinations(settings, where)
    return settings


def _password_variable(overrides: Mapping[str, str], settings: Settings) -> str | None:
    """What to say of `AGGREGATOR_DIGEST_PASSWORD` (or `_BOUNCE_PASSWORD`) set when another
    variable holds the password: a guess at its name, which had been said as an unknown
    setting among the section's thirty. The variables named as `build_settings` will read
    them: an `AGGREGATOR_DIGEST_PASSWORD_ENV` (or `_BOUNCE_PASSWORD_ENV`) among `overrides`
    names them over the file's."""
    digest = settings.digest
    smtp = overrides.get("password_env", "").strip() or digest.password_env
    bounce = overrides.get("bounce_password_env", "").strip() or digest.bounce_password_env
    for key, whose, named, setting in (
        ("password", "the SMTP", smtp, "password_env"),
        ("bounce_password", "the bounce mailbox's", bounce.strip() or smtp, "bounce_password_env"),
    ):
        if key in overrides:
            return (
                f"{ENV_PREFIX}DIGEST_{key.upper()} is no setting: {whose} password is read from "
                f"the variable {named} ([digest] {setting} names another)"
            )
    return None


# `AGGREGATOR_*` variables that are no `AGGREGATOR_<SECTION>_<KEY>` setting (`cli` reads them)
OTHER_VARIABLES = frozenset({f"{ENV_PREFIX}LOG_LEVEL", f"{ENV_PREFIX}LOG_FORMAT"})


def unread_variables(settings: Settings, env: Mapping[str, str]) -> list[str]:
    """The `AGGREGATOR_*` variables of `env` no setting reads: a section misspelled
    (`AGGREGATOR_SERVR_PORT`), which would be ignored. Pure."""
    sections = tuple(f"{ENV_PREFIX}{f.name.upper()}_" for f in dataclasses.fields(Settings))
    known = OTHER_VARIABLES | _secret_variables(settings, env)
    return sorted(
        name
        for name in env
        if name.startswith(ENV_PREFIX) and not name.startswith(sections) and name not in known
    )


def _secret_variables(settings: Settings, env: Mapping[str, str]) -> set[str]:
    """The variables holding the LLM key and the SMTP password, which are no settings:
    `AGGREGATOR_LLM_API_KEY`, the default key variable, is under `[llm]`'s prefix (read as
    a setting, it had stopped every command with "unknown setting 'api_key'"). Each name as
    the defaults, the file and the environment give it."""
    names = {LLMSettings().api_key_env, DigestSettings().password_env}
    names |= {settings.llm.api_key_env, settings.digest.password_env}
    names |= {settings.digest.bounce_password_var}
    for section, key in (
        ("llm", "api_key_env"),
        ("digest", "password_env"),
        ("digest", "bounce_password_env"),
    ):
        named = env.get(f"{ENV_PREFIX}{section.upper()}_{key.upper()}", "").strip()
        if named:
            names.add(named)
    return names


def _check_combinations(settings: Settings, where: str) -> None:
    """Settings that are each in range but contradict each other."""
    s = settings.schedule
    if not s.min_interval <= s.interval <= s.max_interval:
        raise ConfigError(
            f"{where} [schedule]: need min_interval <= interval <= max_interval, got "
            f"{_shown(s.min_interval.total_seconds())} s, {_shown(s.interval.total_seconds())} s, "
            f"{_shown(s.max_interval.total_seconds())} s"
        )
    if settings.summary.min_bullets > settings.summary.max_bullets:
        raise ConfigError(f"{where} [summary]: min_bullets is larger than max_bullets")


def load_settings(path: Path | None, env: Mapping[str, str]) -> Settings:
    """Read the optional TOML file at `path` and apply `env` on top."""
    values: dict[str, object] = {}
    if path is not None:
        import tomllib  # only with a settings file (most cron runs have none)

        try:
            # (utf-8-sig: a byte order mark, which Windows editors write, is no TOML error)
            values = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError as exc:  # (a mistyped --config: what to do, said)
            raise ConfigError(
                f"{path}: no settings file there (check --config; it is optional, and "
                "systemd/aggregator.toml is one to start from)"
            ) from exc
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    return build_settings(values, env, str(path) if path else "config")


def bounce_password(settings: DigestSettings, env: Mapping[str, str]) -> str | None:
    """The bounce mailbox's password from the environment, when a bounce mailbox is read
    (`bounce_host`). Pure; a configuration error when its variable is not set."""
    if not settings.bounce_host:
        return None
    password = env.get(settings.bounce_password_var)
    if password is None:
        raise ConfigError(
            f"[digest] bounce_host is set but the environment variable "
            f"{settings.bounce_password_var} holding the bounce mailbox's password is not set"
        )
    return password


def smtp_password(settings: DigestSettings, env: Mapping[str, str]) -> str | None:
    """The SMTP password from the environment, when digests log in. Pure.

    Checked when a command that sends starts: a login without its password variable is a
    configuration error then, not a failed send at the first scheduled digest.
    """
    if not settings.recipients or not settings.username:
        return None
    password = env.get(settings.password_env)
    if password is None:
        raise ConfigError(
            f"[digest] username is set but the environment variable {settings.password_env} "
            "(password_env) holding the SMTP password is not set"
        )
    return password
