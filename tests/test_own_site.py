"""The service's own site is never a source (`own_site`): `add` refuses its addresses,
`import` leaves them out, `check` warns of one listed and the service skips it, since its
feeds polled would bring its own summaries back as one more outlet's reports, in a loop."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from pathlib import Path

import pytest

from aggregator.cli import main
from aggregator.config import Settings
from aggregator.errors import ConfigError
from aggregator.own_site import own_base_of, own_bases, own_site_said
from aggregator.service import Service
from aggregator.sources import add, import_opml

PUBLIC = own_bases("https://news.example.org/", True, "127.0.0.1", 8080)
UNDER_A_PATH = own_bases("https://example.org/news/", True, "127.0.0.1", 8080)
EVERY_INTERFACE = own_bases("http://127.0.0.1:8080/", False, "0.0.0.0", 9000)
EVERY_INTERFACE_V6 = own_bases("http://127.0.0.1:8080/", False, "::", 8080)
ON_LOCALHOST = own_bases("http://127.0.0.1:8080/", False, "localhost", 8080)
IPV6 = own_bases("http://127.0.0.1:8080/", False, "2001:db8::1", 8080)


@pytest.mark.parametrize(
    ("url", "bases", "base"),
    [
        ("https://news.example.org/feeds/world-news.atom", PUBLIC, "https://news.example.org/"),
        ("http://NEWS.example.org./", PUBLIC, "https://news.example.org/"),  # case, dot, http
        ("https://news.example.org:443/all/", PUBLIC, "https://news.example.org/"),
        ("http://localhost:8080/feeds/all.json", PUBLIC, "http://127.0.0.1:8080/"),
        ("http://[::1]:8080/", EVERY_INTERFACE_V6, "http://0.0.0.0:8080/"),
        ("http://[::]:8080/", EVERY_INTERFACE_V6, "http://0.0.0.0:8080/"),
        ("http://localhost.:8080/", PUBLIC, "http://127.0.0.1:8080/"),
        ("http://[::1]:8080/", ON_LOCALHOST, "http://localhost:8080/"),
        ("https://example.org/news", UNDER_A_PATH, "https://example.org/news/"),
        ("https://example.org/news/feeds/x.rss", UNDER_A_PATH, "https://example.org/news/"),
        ("http://127.0.0.2:9000/feeds/x.atom", EVERY_INTERFACE, "http://0.0.0.0:9000/"),
        # (one address or port written another way: still the site's)
        ("http://news.example.org:80/feed", PUBLIC, "https://news.example.org/"),
        ("http://0.0.0.0:8080/feeds/all.atom", PUBLIC, "http://127.0.0.1:8080/"),
        ("http://[::ffff:127.0.0.1]:8080/", PUBLIC, "http://127.0.0.1:8080/"),
        ("http://127.1:8080/", PUBLIC, "http://127.0.0.1:8080/"),
        ("http://[2001:DB8:0::1]:8080/x", IPV6, "http://[2001:db8::1]:8080/"),
        # not ours: another site, another port, beside the site's path, no http(s) address
        ("https://example.org/newsroom/feed", UNDER_A_PATH, None),
        ("https://example.org/feed", UNDER_A_PATH, None),
        ("https://news.example.org:8443/feed", PUBLIC, None),
        ("https://news.example.org:80/feed", PUBLIC, None),  # (https on another port)
        ("http://[2001:db8::2]:8080/x", IPV6, None),
        ("http://127.0.0.1:8080/x", IPV6, None),
        ("http://1.2.3.4.5:8080/x", PUBLIC, None),
        ("http://127.0.0.1:8081/feed", PUBLIC, None),
        ("http://localhost:3000/?action=display&bridge=X", PUBLIC, None),  # (an RSS-Bridge)
        ("https://other.example.org/feed", PUBLIC, None),
        ("http://127.0.0.1:8080/feed", EVERY_INTERFACE, None),  # (the default base: unused)
        # (another loopback address than the one it listens on: a local upstream's, there)
        ("http://[::1]:8080/feed", PUBLIC, None),
        ("http://127.0.0.2:8080/feed", PUBLIC, None),
        ("http://[::]:8080/feed", PUBLIC, None),
        ("http://192.0.2.7:9000/feed", EVERY_INTERFACE, None),
        ("ftp://news.example.org/", PUBLIC, None),
        ("http://news.example.org:port/", PUBLIC, None),
    ],
)
def test_an_address_is_the_sites_own_under_its_base_url_or_listening_address(
    url: str, bases: tuple[str, ...], base: str | None
) -> None:
    assert own_base_of(url, bases) == base


def test_a_base_that_is_no_site_address_is_passed_over() -> None:
    bases = ["ftp://files.example.org/", "http://127.0.0.1:8080/"]  # (a list: any sequence)
    assert own_base_of("http://localhost:8080/feeds/all.atom", bases) == bases[1]
    assert own_base_of("http://127.0.0.2:8080/feed", bases) is None
    assert own_base_of("ftp://files.example.org/x", bases) is None


def test_the_refusal_names_where_the_address_is_the_sites_own_from() -> None:
    """Either [publish] base_url or where `run` listens, not "one or the other": the way
    around differs, and a local upstream on the listening port is let in by another port in
    [server] (not `run --port`, which `add`, `check` and `poll` do not see)."""
    by_url = own_site_said("https://news.example.org/", PUBLIC)
    assert "(https://news.example.org/, by [publish] base_url)" in by_url
    assert "listens" not in by_url
    by_port = own_site_said("http://127.0.0.1:8080/", PUBLIC)
    assert "(http://127.0.0.1:8080/, where it listens: [server] host and port" in by_port
    assert "base_url" not in by_port and "`run --port`" in by_port


SOURCES = """<opml version="2.0"><body><outline text="World">
  <outline type="rss" text="A" xmlUrl="https://a.example/feed"/>
  <outline type="rss" text="Ours" xmlUrl="http://localhost:8080/feeds/world.atom"/>
</outline></body></opml>"""


def test_add_refuses_the_sites_own_address_before_asking_for_it(tmp_path: Path) -> None:
    path = tmp_path / "feeds.opml"
    path.write_text(SOURCES)
    before = path.read_bytes()
    with pytest.raises(ConfigError, match=r"this service's own site \(https://news.example"):
        # (nothing listens there: refused for what it is, not for a failed fetch)
        asyncio.run(add(path, "https://news.example.org/world/", own=PUBLIC))
    assert path.read_bytes() == before


def test_add_command_refuses_the_listening_address_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "feeds.opml"
    path.write_text(SOURCES)
    before = path.read_bytes()
    code = main(["add", "feed://127.0.0.1:8080/feeds/all.atom", "--opml", str(path)])
    _, err = capsys.readouterr()
    assert code == 2
    assert "cannot add: http://127.0.0.1:8080/feeds/all.atom is this service's own site" in err
    assert "in a loop" in err
    assert "where it listens: [server] host and port" in err  # (a local upstream's way in)
    assert path.read_bytes() == before


def test_import_leaves_out_the_sites_own_feeds_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "feeds.opml"
    path.write_text(
        '<opml version="2.0"><body><outline text="World">'
        '<outline type="rss" text="C" xmlUrl="https://c.example/feed"/></outline></body></opml>'
    )
    other = tmp_path / "export.opml"
    other.write_text(SOURCES)
    imported = import_opml(path, other, PUBLIC)
    assert [s.url for s in imported.added] == ["https://a.example/feed"]
    assert any("localhost:8080/feeds/world.atom is this service's own site" in w
               for w in imported.warnings)  # fmt: skip
    assert "localhost" not in path.read_text()


def test_check_warns_of_the_sites_own_feed_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "feeds.opml"
    path.write_text(SOURCES)
    assert main(["check", "--opml", str(path)]) == 0
    _, err = capsys.readouterr()
    assert "http://localhost:8080/feeds/world.atom is this service's own site" in err
    assert "it is not polled" in err


def test_the_service_skips_the_sites_own_feed_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "feeds.opml"
    path.write_text(SOURCES)
    settings = Settings()
    settings = dataclasses.replace(
        settings, server=dataclasses.replace(settings.server, host="0.0.0.0")
    )
    service = Service(path, tmp_path / "agg.db", settings)
    try:
        with caplog.at_level(logging.WARNING, logger="aggregator"):
            asyncio.run(service.load_sources(strict=True))
        listed = [s.url for s in service.store.sources()]
    finally:
        service.close()
    assert listed == ["https://a.example/feed"]
    assert "feed=http://localhost:8080/feeds/world.atom is this service's own site" in caplog.text
