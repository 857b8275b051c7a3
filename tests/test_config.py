from datetime import timedelta
from pathlib import Path

import pytest

from aggregator.config import Settings, build_settings, load_settings, parse_duration
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


@pytest.mark.parametrize("value", ["soon", "15 minutes", "-5m", True])
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


@pytest.mark.parametrize(
    ("values", "env", "message"),
    [
        ({"nope": {}}, {}, "unknown section [nope]"),
        ({"server": {"prot": 1}}, {}, "unknown setting 'prot'"),
        ({"server": {"port": "eighty"}}, {}, "setting 'port'"),
        ({"server": {"port": 80.5}}, {}, "whole number"),
        ({"server": 5}, {}, "must be a table"),
        ({}, {"AGGREGATOR_SERVER_PORT": "x"}, "environment AGGREGATOR_SERVER_*"),
        ({"publish": {"base_url": "ftp://x"}}, {}, "[publish]"),
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
    with pytest.raises(ConfigError, match="cannot read config"):
        load_settings(tmp_path / "missing.toml", {})
    assert load_settings(None, {}) == Settings()
