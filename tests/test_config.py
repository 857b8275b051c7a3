from datetime import timedelta
from pathlib import Path

import pytest

from aggregator.config import (
    RANGES,
    Settings,
    build_settings,
    check_range,
    load_settings,
    parse_duration,
    unread_variables,
)
from aggregator.errors import ConfigError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (90, timedelta(seconds=90)),
        (1.5, timedelta(seconds=1.5)),
        ("90", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        (" 30s ", timedelta(seconds=30)),
    ],
)
def test_durations(value: object, expected: timedelta) -> None:
    assert parse_duration(value) == expected


@pytest.mark.parametrize(
    "value", ["soon", "15 minutes", "-5m", True, "99999999999d", 1e300, "36600d"]
)  # (the long ones raised OverflowError, a traceback where a setting's error belongs)
def test_bad_durations(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


def test_defaults() -> None:
    settings = build_settings()
    assert settings == Settings()
    assert (settings.server.host, settings.server.port) == ("127.0.0.1", 8080)


def test_file_values_then_environment_override() -> None:
    settings = build_settings(
        {
            "server": {"port": 9000, "host": "0.0.0.0"},
            "schedule": {"interval": "30m"},
            "publish": {"base_url": "https://news.example.org/"},
        },
        {
            "AGGREGATOR_SERVER_PORT": "9100",
            "AGGREGATOR_FETCH_TOTAL_TIMEOUT": "12.5",
            "UNRELATED": "x",
        },
    )
    assert settings.server.port == 9100  # the environment wins over the file
    assert settings.server.host == "0.0.0.0"
    assert settings.schedule.interval == timedelta(minutes=30)
    assert settings.fetch.total_timeout == 12.5
    assert settings.publish.base_url == "https://news.example.org/"


def test_the_variables_holding_secrets_are_no_settings() -> None:
    """`AGGREGATOR_LLM_API_KEY`, the default variable for the model's key, is under `[llm]`'s
    prefix: read as a setting it had stopped every command ("unknown setting 'api_key'")."""
    settings = build_settings(env={"AGGREGATOR_LLM_API_KEY": "sk-1", "AGGREGATOR_LLM_MODEL": "m"})
    assert settings.llm.model == "m"
    renamed = build_settings(
        {"digest": {"password_env": "AGGREGATOR_DIGEST_PASSWORD"}},
        {"AGGREGATOR_DIGEST_PASSWORD": "pw", "AGGREGATOR_LLM_API_KEY_ENV": "AGGREGATOR_LLM_TOKEN",
         "AGGREGATOR_LLM_TOKEN": "sk-2"},
    )  # fmt: skip
    assert renamed.llm.api_key_env == "AGGREGATOR_LLM_TOKEN"
    assert renamed.digest.password_env == "AGGREGATOR_DIGEST_PASSWORD"
    with pytest.raises(ConfigError, match="unknown setting 'modle'"):
        build_settings(env={"AGGREGATOR_LLM_API_KEY": "sk-1", "AGGREGATOR_LLM_MODLE": "m"})


@pytest.mark.parametrize(
    ("values", "env", "message"),
    [
        ({"nope": {}}, {}, "unknown section [nope]"),
        ({"server": {"prot": 1}}, {}, "unknown setting 'prot'"),
        ({"server": {"port": "eighty"}}, {}, "setting 'port'"),
        ({"server": {"port": 80.5}}, {}, "whole number"),
        ({"server": 5}, {}, "must be a table"),
        # a guess at the password's variable, said as one (it had been an unknown setting)
        (
            {},
            {"AGGREGATOR_DIGEST_PASSWORD": "pw"},
            "AGGREGATOR_DIGEST_PASSWORD is no setting: the SMTP password is read from the "
            "variable AGGREGATOR_SMTP_PASSWORD",
        ),
        ({}, {"AGGREGATOR_DIGEST_BOUNCE_PASSWORD": "pw"}, "the bounce mailbox's password is"),
        # (the variable named as it is read: by the environment's password_env, when set)
        (
            {},
            {"AGGREGATOR_DIGEST_PASSWORD": "pw", "AGGREGATOR_DIGEST_PASSWORD_ENV": "SMTP_KEY"},
            "the SMTP password is read from the variable SMTP_KEY ",
        ),
        (
            {"digest": {"password_env": "FILE_KEY"}},
            {
                "AGGREGATOR_DIGEST_BOUNCE_PASSWORD": "pw",
                "AGGREGATOR_DIGEST_PASSWORD_ENV": "ENV_KEY",
            },
            "the bounce mailbox's password is read from the variable ENV_KEY ",
        ),
        (
            {},
            {
                "AGGREGATOR_DIGEST_BOUNCE_PASSWORD": "pw",
                "AGGREGATOR_DIGEST_BOUNCE_PASSWORD_ENV": "B",
            },
            "the bounce mailbox's password is read from the variable B ",
        ),
        # a setting written before any [section]: TOML's top level, not an unknown section
        ({"port": 5}, {}, "setting 'port' is outside any section: write it under [server]"),
        ({"nosuch": 5}, {}, "'nosuch' is outside any section, and no section has one of that"),
        ({"feeds": [{"url": "x"}]}, {}, "unknown section [feeds]"),  # (`[[feeds]]`)
        ({"ports": [8080]}, {}, "'ports' is outside any section"),
        ({}, {"AGGREGATOR_SERVER_PORT": "x"}, "environment AGGREGATOR_SERVER_*"),
        ({"publish": {"base_url": "ftp://x"}}, {}, "[publish]"),
        # Python's own wording ("invalid literal for int() with base 10") is not shown.
        ({}, {"AGGREGATOR_SERVER_PORT": "abc"}, "'port': expected a whole number, got 'abc'"),
        ({"server": {"tick": "soon"}}, {}, "'tick': expected a number, got 'soon'"),
        ({"fetch": {"per_host": [2]}}, {}, "'per_host': expected a whole number, got [2]"),
        # a list's items are text: a number among them had been a traceback (hubs, networks),
        # or, in no_proxy, every feed's crash at every poll
        ({"publish": {"hubs": [1]}}, {}, "'hubs': expected a list of text, got [1]"),
        ({"server": {"metrics_networks": [1]}}, {}, "'metrics_networks': expected a list of"),
        ({"server": {"proxies": [{}]}}, {}, "'proxies': expected a list of text"),
        ({"fetch": {"no_proxy": [1]}}, {}, "'no_proxy': expected a list of text"),
        ({"articles": {"skip_feeds": [1]}}, {}, "'skip_feeds': expected a list of text"),
        # a mail server without SMTPUTF8 had refused the whole send for one such address
        (
            {"digest": {"recipients": {"World": ["ann@example.org", "jörg@example.org"]}}},
            {},
            "'jörg@example.org' is not written in ASCII",
        ),
        # checked as an outline's userAgent is (a line break had failed every feed's poll)
        ({"fetch": {"user_agent": "a\nb"}}, {}, "user_agent: only printable ASCII characters"),
        ({"fetch": {"user_agent": ""}}, {}, "user_agent: empty"),
        # an address every link is made from: a space, a query or a bad port had been
        # published inside every link
        ({"publish": {"base_url": "https://exa mple.org/"}}, {}, "base_url: no spaces"),
        ({"publish": {"base_url": "https://news.example/?a=1"}}, {}, "without a query"),
        ({"publish": {"base_url": "https://news.example:99999/"}}, {}, "Port out of range"),
        ({"fetch": {"websub_callback": "https://x.example:99999/"}}, {}, "websub_callback"),
        (
            {"llm": {"enabled": True, "base_url": "http://[::1", "model": "m"}},
            {},
            "base_url: not an address (Invalid IPv6 URL)",
        ),
        ({"digest": {"recipients": {"World": [1]}}}, {}, "'recipients': expected a list of"),
    ],
)
def test_bad_settings_are_config_errors(
    values: dict[str, object], env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        build_settings(values, env, "settings.toml")
    assert message in str(info.value)


def test_load_settings_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[server]\nport = 8181\n")
    assert load_settings(path, {}).server.port == 8181
    path.write_text("[server\nport = ")
    with pytest.raises(ConfigError, match=r"settings.toml: invalid TOML"):
        load_settings(path, {})
    path.write_bytes(b"\xef\xbb\xbf[server]\nport = 8282\n")  # (a Windows editor's BOM)
    assert load_settings(path, {}).server.port == 8282
    with pytest.raises(
        ConfigError, match=r"missing.toml: no settings file there \(check --config;"
    ):
        load_settings(tmp_path / "missing.toml", {})
    with pytest.raises(ConfigError, match="cannot read config: Is a directory"):
        load_settings(tmp_path, {})
    assert load_settings(None, {}) == Settings()


@pytest.mark.parametrize(
    ("values", "env", "message"),
    [
        # 0 used to hang `poll --once` forever, -1 crashed every feed.
        ({"fetch": {"per_host": 0}}, {}, "'per_host': 0 is out of range: allowed 1..64"),
        ({}, {"AGGREGATOR_FETCH_PER_HOST": "-1"}, "'per_host': -1 is out of range"),
        # inf switched the slow-server timeout off.
        ({"fetch": {"total_timeout": float("inf")}}, {}, "'total_timeout': must be a finite"),
        ({}, {"AGGREGATOR_FETCH_TOTAL_TIMEOUT": "nan"}, "'total_timeout': must be a finite"),
        ({"fetch": {"total_timeout": 0}}, {}, "allowed 0.1..3600"),
        ({"server": {"port": 99999}}, {}, "'port': 99999 is out of range: allowed 0..65535"),
        ({"server": {"tick": 0}}, {}, "'tick': 0 is out of range"),
        ({"fetch": {"max_bytes": 10**30}}, {}, "'max_bytes'"),
        ({"schedule": {"interval": "1s"}}, {}, "'interval': 1 s is out of range: allowed 60.."),
        ({"schedule": {"interval": float("inf")}}, {}, "'interval'"),
        ({"schedule": {"interval": 1e30}}, {}, "'interval'"),
        # past a century: its range, not "at most 100 years", which the range is far below
        (
            {"schedule": {"interval": "99999d"}},
            {},
            "'interval': '99999d' is out of range: allowed 60..604800 s",
        ),
        ({"backup": {"every": 10**12}}, {}, "'every': 1000000000000 is out of range: allowed"),
        ({"schedule": {"min_interval": "2h"}}, {}, "min_interval <= interval <= max_interval"),
        ({"publish": {"max_items": 0}}, {}, "'max_items': 0 is out of range"),
        ({"articles": {"once_budget": "2d"}}, {}, "'once_budget': 172800 s is out of range"),
        ({}, {"AGGREGATOR_ARTICLES_ONCE_BUDGET": "soon"}, "'once_budget'"),
        # a threshold of 7 left every item a story of its own, silently
        ({"cluster": {"threshold": 7}}, {}, "'threshold': 7 is out of range: allowed 0..1"),
        ({"cluster": {"merge_margin": -0.1}}, {}, "'merge_margin': -0.1 is out of range"),
        ({"cluster": {"max_candidates": 0}}, {}, "'max_candidates': 0 is out of range"),
        ({"cluster": {"active_window": "5m"}}, {}, "'active_window': 300 s is out of range"),
        ({}, {"AGGREGATOR_CLUSTER_TITLE_WEIGHT": "50"}, "'title_weight': 50 is out of range"),
        # large bounds in full, where they read "3.1536e+08" (and 2**30 lost its last digits)
        (
            {"retention": {"max_age": "1h"}},
            {},
            "3600 s is out of range: allowed 86400..315360000 s",
        ),
        ({"fetch": {"max_bytes": 5}}, {}, "allowed 1024..1073741824"),
        ({"cluster": {"max_active": 0}}, {}, "allowed 1..1000000"),
        # past SQLite's integers: every category page and search had answered 500
        (
            {"publish": {"page_size": 10**20}},
            {},
            "'page_size': 1e+20 is out of range: allowed 1..1000",
        ),
        ({"articles": {"per_pass": 10**20}}, {}, "'per_pass'"),
        ({"llm": {"cache_size": -5}}, {}, "'cache_size': -5 is out of range"),
        # a bullet's words capped below a sentence's: nothing published, silently
        ({"summary": {"max_bullet_words": 3, "min_bullet_words": 3}}, {}, "'max_bullet_words'"),
        (
            {"schedule": {"max_interval": "30d", "min_interval": "6d"}},
            {},
            "got 518400 s, 900 s, 2592000 s",
        ),
    ],
)
def test_out_of_range_settings_name_the_allowed_range(
    values: dict[str, object], env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        build_settings(values, env, "settings.toml")
    assert message in str(info.value)


def test_a_base_url_written_with_space_around_it_is_read_without() -> None:
    settings = build_settings(env={"AGGREGATOR_PUBLISH_BASE_URL": " https://news.example.org\n"})
    assert settings.publish.base_url == "https://news.example.org/"


def test_every_default_is_within_its_range() -> None:
    defaults = Settings()
    for section, key in RANGES:
        check_range(section, key, getattr(getattr(defaults, section), key))


def test_settings_at_the_edges_of_their_ranges_are_accepted() -> None:
    settings = build_settings(
        {"fetch": {"per_host": 1, "total_timeout": 3600}, "server": {"port": 65535}}, {}
    )
    assert (settings.fetch.per_host, settings.server.port) == (1, 65535)


def test_the_one_shot_article_budget_reads_as_a_duration() -> None:
    assert Settings().articles.once_budget == timedelta(seconds=30)
    settings = build_settings({"articles": {"once_budget": "2m"}}, {})
    assert settings.articles.once_budget == timedelta(minutes=2)
    env = build_settings({}, {"AGGREGATOR_ARTICLES_ONCE_BUDGET": "0"})
    assert env.articles.once_budget == timedelta(0)  # `poll --once` then leaves pages to `run`


def test_a_variable_that_names_no_section_is_said_not_silently_ignored() -> None:
    """`AGGREGATOR_SERVR_PORT=9000` had left the port at its default without a word."""
    env = {
        "AGGREGATOR_SERVR_PORT": "9000",  # (misspelled)
        "AGGREGATOR_SERVER_PORT": "9001",
        "AGGREGATOR_LOG_LEVEL": "DEBUG",  # (read by the command line)
        "AGGREGATOR_SMTP_PASSWORD": "secret",  # (the default password variable)
        "AGGREGATOR_DIGEST_BOUNCE_PASSWORD_ENV": "AGGREGATOR_MAILBOX_KEY",
        "AGGREGATOR_MAILBOX_KEY": "secret",  # (named by a setting)
        "HOME": "/root",
    }
    settings = build_settings({}, env)
    assert settings.server.port == 9001
    assert unread_variables(settings, env) == ["AGGREGATOR_SERVR_PORT"]


def test_commands_warn_of_a_variable_that_names_no_section(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    from aggregator.cli import main

    (tmp_path / "feeds.opml").write_text(
        '<opml version="2.0"><body><outline text="News">'
        '<outline type="rss" text="A" xmlUrl="https://a.example/rss"/></outline></body></opml>'
    )
    monkeypatch.setenv("AGGREGATOR_PUBLSH_BASE_URL", "https://news.example/")
    assert main(["check", "--opml", str(tmp_path / "feeds.opml")]) == 0
    assert "AGGREGATOR_PUBLSH_BASE_URL is no setting" in caplog.text
