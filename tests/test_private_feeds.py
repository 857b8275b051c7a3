"""A private feed listed with its login (`https://user:password@host/feed.xml`): the login
goes with every request to that site, redirects on it included, and nowhere else; the
password never shows (logs, `status`, `add`) and never reaches what is published (relative
links resolved against the feed's address, an upstream link that carries one)."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

import pytest
from upstream import Upstream, opml

from aggregator.cli import main
from aggregator.fetch import same_site_credentials
from aggregator.publish import safe_url
from aggregator.url_secrets import hide_passwords, without_userinfo

AUTH = "Basic " + base64.b64encode(b"reader:s3cret").decode()
PRIVATE_RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel>
<title>Members' wire</title><link>/</link><description>d</description>
<item><title>Harbour bridge to close for repairs in March</title><link>/wire/1</link>
<guid>w1</guid><description>The harbour bridge will close for three weeks of repairs in
March, the city's transport office said on Tuesday.</description></item>
<item><title>Port strike ends after wage deal</title><link>/wire/2</link><guid>w2</guid>
<description>Dock workers ended a nine-day strike after a wage deal was agreed on
Monday night, the union said.</description></item>
</channel></rss>"""


def run_cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_private_feed_is_polled_with_its_login_and_the_password_shows_nowhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Upstream().running_in_thread() as up:
        up.add_feed("/members/wire.xml", PRIVATE_RSS)
        up.add_redirect("/wire.xml", "/members/wire.xml", 301)  # moved: the login follows
        listed = up.url("/wire.xml").replace("http://", "http://reader:s3cret@")
        (tmp_path / "feeds.opml").write_text(opml(listed))
        db, site = str(tmp_path / "agg.db"), tmp_path / "site"
        code, out, err = run_cli(
            "poll", "--once", "--opml", str(tmp_path / "feeds.opml"), "--db", db, capsys=capsys
        )
        assert code == 0 and "2 new items" in out
        assert "feed=http://reader:***@127.0.0.1" in err  # the log line, as logged
        assert [r.headers.get("authorization") for r in up.requests] == [AUTH, AUTH]
        status = [run_cli("status", "--db", db, capsys=capsys)[1]]
        status.append(run_cli("status", "--json", "--db", db, capsys=capsys)[1])
        code, _, published_err = run_cli(
            "publish", "--db", db, "--output", str(site), capsys=capsys
        )
        assert code == 0
        home = f"http://127.0.0.1:{up.port}"

    with sqlite3.connect(db) as conn:
        links = sorted(url for (url,) in conn.execute("SELECT url FROM items"))
    assert links == [f"{home}/wire/1", f"{home}/wire/2"]  # resolved without the login
    assert "reader:***@127.0.0.1" in status[0]  # which account, not its password
    assert json.loads(status[1])["feed_rows"][0]["url"].startswith("http://reader:***@")
    published = "".join(
        p.read_bytes().decode(errors="replace") for p in site.rglob("*") if p.is_file()
    )
    assert f"{home}/wire/1" in published and "Harbour bridge" in published
    for shown in (err, published_err, *status, published):
        assert "s3cret" not in shown


def test_the_login_never_follows_a_redirect_off_the_site() -> None:
    same = same_site_credentials
    assert same("http://u:p@a.test/x", "http://a.test/y") == "http://u:p@a.test/y"
    assert same("http://u:p@a.test/x", "https://a.test/y") == "https://u:p@a.test/y"  # upgrade
    assert same("http://u:p@a.test:80/x", "https://a.test:443/y") == "https://u:p@a.test:443/y"
    assert same("https://u:p@a.test/x", "http://a.test/y") == "http://a.test/y"  # downgrade
    assert same("http://u:p@a.test/x", "http://b.test/y") == "http://b.test/y"
    assert same("http://u:p@a.test/x", "http://a.test.evil/y") == "http://a.test.evil/y"
    assert same("http://u:p@a.test:8080/x", "http://a.test:8081/y") == "http://a.test:8081/y"
    assert same("http://u:p@a.test/x", "http://v:q@a.test/y") == "http://v:q@a.test/y"
    assert same("http://a.test/x", "http://a.test/y") == "http://a.test/y"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("feed=http://reader:s3cret@h/f.xml status=ok", "feed=http://reader:***@h/f.xml status=ok"),
        ('{"url": "https://u:p%40ss@h:8443/f"}', '{"url": "https://u:***@h:8443/f"}'),
        ("http://proxy:3128 and me@example.org", "http://proxy:3128 and me@example.org"),
        ("https://host/path?to=a@b", "https://host/path?to=a@b"),
        ("https://0123abcd@host/feed", "https://***@host/feed"),
        # a password written with an "@" in it: up to the last one, as a browser reads it
        ("added http://user:p@ss@h:8761/a.xml", "added http://user:***@h:8761/a.xml"),
        ("https://me@mail.example:pa@ss@h/", "https://me@mail.example:***@h/"),
        # a secret in the query, by its parameter's name (it had been logged whole)
        (
            "feed=http://bob:pw@h/f.xml?token=T5 status=error",
            "feed=http://bob:***@h/f.xml?token=*** status=error",
        ),
        (
            '{"feed": "https://h/f?cat=2&api_key=K1;x=1"}',
            '{"feed": "https://h/f?cat=2&api_key=***;x=1"}',
        ),
        ("https://h/rss?access_token=Q#top", "https://h/rss?access_token=***#top"),
        (
            "https://h/rss?monkey=banana&keyword=x&sort=date",
            "https://h/rss?monkey=banana&keyword=x&sort=date",
        ),
    ],
)
def test_hide_passwords(text: str, shown: str) -> None:
    assert hide_passwords(text) == shown


def test_a_published_link_never_carries_a_login() -> None:
    assert safe_url("https://u:p@news.example/a") == "https://news.example/a"
    assert safe_url("https://www.bbc.co.uk@evil.example/x") == "https://evil.example/x"
    assert safe_url("https://news.example/a?by=me@x") == "https://news.example/a?by=me@x"
    assert safe_url("https://u:p@/a") is None
    assert without_userinfo("http://a.test/x") == "http://a.test/x"


def test_adding_a_private_feed_keeps_its_login_in_the_opml_and_hides_it_on_screen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "feeds.opml"
    path.write_text(opml("http://127.0.0.1:9/other.xml"))
    with Upstream().running_in_thread() as up:
        up.add_feed("/members/wire.xml", PRIVATE_RSS)
        listed = up.url("/members/wire.xml").replace("http://", "http://reader:s3cret@")
        code, out, err = run_cli("add", listed, "--opml", str(path), capsys=capsys)
        assert [r.headers.get("authorization") for r in up.requests] == [AUTH]
    assert code == 0 and "added http://reader:***@127.0.0.1" in out
    assert "s3cret" not in out + err
    assert listed in path.read_text()  # the operator's file: the login is what polls it


def test_a_refused_sources_edit_shown_on_healthz_hides_the_password() -> None:
    from aggregator.health import read_refused, refused_record

    error = "feeds.opml: line 4: feed 'Wire': invalid URL 'http://reader:s3cret@[::1/x'"
    shown = read_refused(refused_record("feeds.opml", error, "2026-12-04T10:00:00+00:00"))
    assert shown is not None and "s3cret" not in shown["error"]
    assert "http://reader:***@[::1/x" in shown["error"]


def test_status_hides_the_password_without_breaking_its_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Upstream().running_in_thread() as up:
        up.add_feed("/members/wire.xml", PRIVATE_RSS)
        listed = up.url("/members/wire.xml").replace("http://", "http://reader:s3cret@")
        (tmp_path / "feeds.opml").write_text(opml(listed, up.url("/members/wire.xml")))
        db = str(tmp_path / "agg.db")
        run_cli("poll", "--once", "--opml", str(tmp_path / "feeds.opml"), "--db", db, capsys=capsys)
        _, out, _ = run_cli("status", "--db", db, capsys=capsys)
    lines = [line for line in out.splitlines() if "/members/wire.xml" in line]
    assert len(lines) == 2 and "s3cret" not in out
    assert len({line.index(" ok") for line in lines}) == 1  # the STATUS column lines up
