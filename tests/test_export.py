"""Static export: the same bytes as the server, as files; only changed files are rewritten."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest
from stories import T0, ListReader, make_story

from aggregator.cli import main
from aggregator.digest import DigestSettings
from aggregator.export import export_site
from aggregator.publish import PublishSettings
from aggregator.site import Site

BASE = "https://news.example.org/"
SETTINGS = PublishSettings(base_url=BASE, site_title="Daily")


def site(reader: ListReader) -> Site:
    return Site(reader, SETTINGS, clock=lambda: T0)


def reader() -> ListReader:
    return ListReader(
        ["World News", "Science"],
        [
            make_story("w1", "Ceasefire agreed", category="World News", hours=1),
            make_story("w2", "Storm warning", category="World News", hours=3),
            make_story("s1", "Comet seen", category="Science", hours=2),
        ],
    )


def test_export_writes_every_feed_and_page_with_the_served_bytes(tmp_path: Path) -> None:
    source = reader()
    report = export_site(site(source), tmp_path)
    files = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    assert ".aggregator-export" in files  # (what it wrote: the next removes what it no longer)
    files.discard(".aggregator-export")
    for expected in (
        "index.html",
        "robots.txt",
        "404.html",
        "favicon.ico",
        "favicon.svg",
        "feeds.opml",
        "feeds-rss.opml",
        "feeds-json.opml",
        "feeds/world-news.atom",
        "feeds/world-news.rss",
        "feeds/world-news.json",
        "feeds/world-news/top.atom",
        "feeds/science/top.json",
        "feeds/all.rss",
        "world-news/index.html",
        "science/index.html",
        "stories/w1/index.html",
        "stories/s1/index.html",
    ):
        assert expected in files
    assert report.written == len(files) and report.unchanged == 0
    served = site(source).feed("world-news", "atom")
    assert served is not None
    assert (tmp_path / "feeds/world-news.atom").read_bytes() == served.body


def test_a_second_export_rewrites_only_what_changed(tmp_path: Path) -> None:
    source = reader()
    export_site(site(source), tmp_path)
    stamps = {
        p: p.stat().st_mtime_ns
        for p in tmp_path.rglob("*")
        if p.is_file() and p.name != ".aggregator-export"
    }
    for path in stamps:
        os.utime(path, ns=(1, 1))
    again = export_site(site(source), tmp_path)
    assert again.written == 0 and again.unchanged == len(stamps)
    assert all(p.stat().st_mtime_ns == 1 for p in stamps)
    comet = source.items[2]
    source.items[2] = dataclasses.replace(comet, headline="Comet seen from Europe", version=2)
    third = export_site(site(source), tmp_path)
    changed = {str(p.relative_to(tmp_path)) for p in stamps if p.stat().st_mtime_ns != 1}
    assert "stories/s1/index.html" in changed and "feeds/science.atom" in changed
    assert "feeds/world-news.atom" not in changed and "stories/w1/index.html" not in changed
    assert third.written == len(changed)
    assert not [p for p in tmp_path.rglob("*.tmp")]


_IDS = re.compile(r'<id>[^<]*</id>|<guid[^>]*>[^<]*</guid>|"id": "[^"]*"')


def test_every_link_of_an_export_names_a_file_a_static_server_sends_as_it_is(
    tmp_path: Path,
) -> None:
    """Story and subscribe pages had been linked without their trailing slash
    (`/stories/<id>`): a static server answers such a directory with a redirect, one more
    round trip for every story a reader opens. Every address a page, feed or OPML of the
    export names on the site is now a file, or a directory-style address (ending in "/")
    whose index.html is there."""
    digest = DigestSettings(
        smtp_host="127.0.0.1",
        from_address="news@news.example.org",
        recipients={"World News": ("reader@example.org",)},
    )
    settings = dataclasses.replace(SETTINGS, search=False, picture_proxy="off")  # (as `publish`)
    export_site(Site(reader(), settings, clock=lambda: T0, digest=digest), tmp_path)
    linked: set[str] = set()
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".atom", ".rss", ".json", ".opml"}:
            text = _IDS.sub("", path.read_text())  # (a feed's id is no address to follow)
            linked.update(re.findall(re.escape(BASE) + r"""([^"'<>\\\s#?]*)""", text))
    assert {"stories/w1/", "world-news/subscribe/", "feeds/all.atom"} <= linked
    for address in linked:
        target = tmp_path / address / "index.html" if address.endswith("/") or not address else None
        assert (target or tmp_path / address).is_file(), address


def test_an_export_holds_the_servers_404_page_where_static_hosts_look_for_it(
    tmp_path: Path,
) -> None:
    """An address the export does not have had the web server's own bare error page, where the
    live server's links the front page (an old item's story since pruned): the export now
    writes the same page as 404.html, which GitHub Pages, GitLab Pages, Netlify and
    Cloudflare Pages send for such an address (nginx: `error_page 404 /404.html`)."""
    from aggregator.web import not_found_response

    french = dataclasses.replace(SETTINGS, language="fr")
    export_site(Site(reader(), french, clock=lambda: T0), tmp_path)
    served = not_found_response(french.base_url, french.words)
    assert (tmp_path / "404.html").read_bytes() == served.body
    assert f'<a href="{BASE}">' in (tmp_path / "404.html").read_text()


def test_an_export_leaves_an_operators_own_404_page_alone(tmp_path: Path) -> None:
    """A web root that serves more than the site may hold the operator's own 404.html: the
    export had written over it. It writes over only a 404.html it wrote (its mark, or the
    page an earlier version wrote without it), says what it left, and never removes it."""
    own = b"<!doctype html><title>Lost?</title><p>Try the archive.</p>\n"
    (tmp_path / "404.html").write_bytes(own)
    report = export_site(site(reader()), tmp_path)
    assert (tmp_path / "404.html").read_bytes() == own
    assert report.kept == ("404.html",)
    assert "404.html" not in (tmp_path / ".aggregator-export").read_text().split()
    assert export_site(site(reader()), tmp_path).kept == ("404.html",)
    assert (tmp_path / "404.html").read_bytes() == own

    (tmp_path / "404.html").unlink()  # (the operator lets the site's page stand there)
    assert export_site(site(reader()), tmp_path).kept == ()
    ours = (tmp_path / "404.html").read_bytes()
    assert b'<meta name="generator" content="aggregator">' in ours


def test_an_export_leaves_a_404_page_it_cannot_have_written_and_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link to nothing (its volume not mounted) had been replaced by the export's file; a
    directory, or a file it may not read, had failed the whole export."""
    out = tmp_path / "site"
    out.mkdir()
    (out / "404.html").symlink_to(tmp_path / "unmounted" / "404.html")
    assert export_site(site(reader()), out).kept == ("404.html",)
    assert (out / "404.html").is_symlink()
    assert (out / "index.html").is_file()

    (out / "404.html").unlink()
    (out / "404.html").mkdir()
    assert export_site(site(reader()), out).kept == ("404.html",)
    assert (out / "404.html").is_dir()

    (out / "404.html").rmdir()
    (out / "404.html").write_text("<h1>mine</h1>")
    real = Path.read_bytes

    def unreadable(path: Path) -> bytes:
        if path.name == "404.html":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", unreadable)  # (as root, a mode 0 file is read)
    assert export_site(site(reader()), out).kept == ("404.html",)
    monkeypatch.undo()
    assert (out / "404.html").read_text() == "<h1>mine</h1>"


def test_an_export_writes_over_its_own_404_page_marked_or_from_an_earlier_version(
    tmp_path: Path,
) -> None:
    export_site(site(reader()), tmp_path)
    ours = (tmp_path / "404.html").read_bytes()
    mark = b'<meta name="generator" content="aggregator">'
    (tmp_path / "404.html").write_bytes(ours.replace(mark, b""))  # (written before the mark)
    assert export_site(site(reader()), tmp_path).kept == ()
    assert (tmp_path / "404.html").read_bytes() == ours
    french = dataclasses.replace(SETTINGS, language="fr")  # (its words changed: still ours)
    assert export_site(Site(reader(), french, clock=lambda: T0), tmp_path).kept == ()
    assert (tmp_path / "404.html").read_bytes() != ours


def test_cli_publish_logs_the_404_page_it_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from aggregator.store import Store

    Store(tmp_path / "agg.db").close()
    out = tmp_path / "site"
    out.mkdir()
    (out / "404.html").write_text("<h1>mine</h1>")
    with caplog.at_level(logging.INFO, logger="aggregator"):
        code = main(["publish", "--db", str(tmp_path / "agg.db"), "--output", str(out)])
    assert code == 0
    assert (out / "404.html").read_text() == "<h1>mine</h1>"
    assert f"{out / '404.html'}: left as it is: not written by an export" in caplog.text


def test_cli_publish_needs_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["publish", "--db", str(tmp_path / "none.db"), "--output", str(tmp_path / "o")])
    assert code == 1
    assert "no database" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_merged_storys_address_leads_to_the_story_it_joined_and_goes_with_it(
    tmp_path: Path,
) -> None:
    """A merged story's files had stayed as they were before the merge, for good: and when
    the story it joined was withheld, its content stayed published at its own address."""
    from digest_fixture import NOW, add_story

    from aggregator.store import Store

    db, out = tmp_path / "agg.db", tmp_path / "site"
    store = Store(db)
    try:
        add_story(store, "a1", "Harbour crane collapses")
        add_story(store, "b2", "Crane falls at the harbour", at=NOW)
        settings = PublishSettings(base_url=BASE)
        export_site(Site(store.reader(), settings), out)
        assert b"Crane falls" in (out / "stories/b2/index.html").read_bytes()
        store.merge_story("b2", "a1", NOW)
        export_site(Site(store.reader(), settings), out)
        page = (out / "stories/b2/index.html").read_text()
        assert f'<meta http-equiv="refresh" content="0; url={BASE}stories/a1/">' in page
        assert "Crane falls" not in page
        for fmt in ("atom", "rss", "json"):
            moved = (out / f"stories/b2/updates.{fmt}").read_bytes()
            assert moved == (out / f"stories/a1/updates.{fmt}").read_bytes()
        store.db.execute("UPDATE stories SET version = 0 WHERE id = 'a1'")  # (withheld)
        report = export_site(Site(store.reader(), settings), out)
        assert not (out / "stories/a1").exists() and not (out / "stories/b2").exists()
        assert report.withdrawn == 2
    finally:
        store.close()


def test_an_export_is_readable_by_a_web_servers_user_whatever_the_umask(tmp_path: Path) -> None:
    """Under the unit's UMask=0077 the directories had been 0700: a web server running as
    another user was refused every page. A file the operator gave a mode keeps it; a stopped
    export's temporary files are cleared; a directory that is a link to another volume is
    written through (it had been skipped without a word)."""
    out, volume = tmp_path / "site", tmp_path / "volume"
    source = reader()
    before = os.umask(0o077)
    try:
        export_site(site(source), out)
    finally:
        os.umask(before)
    assert (out / "stories").stat().st_mode & 0o777 == 0o755
    assert (out / "stories/w1").stat().st_mode & 0o777 == 0o755
    assert (out / "stories/w1/index.html").stat().st_mode & 0o777 == 0o644
    os.chmod(out / "index.html", 0o640)
    left = out / "stories/w1/.updates.rss.abcd1234.tmp"
    left.write_bytes(b"")
    volume.mkdir()
    for story in (out / "stories").iterdir():
        story.rename(volume / story.name)
    (out / "stories").rmdir()
    (out / "stories").symlink_to(volume)
    source.items[0] = dataclasses.replace(source.items[0], headline="Ceasefire holds", version=2)
    export_site(site(source), out)
    assert (out / "index.html").stat().st_mode & 0o777 == 0o640
    assert b"Ceasefire holds" in (volume / "w1/index.html").read_bytes()
    assert not left.exists() and not list(volume.rglob("*.tmp"))


def test_a_removed_categorys_files_go_and_nothing_else_in_the_directory(tmp_path: Path) -> None:
    """A removed category's pages and feeds had stayed as they were, for good (the server
    answers 404 there). What the export did not write stays."""
    source = reader()
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "science").mkdir()
    (tmp_path / "science" / "logo.png").write_bytes(b"png")  # (the operator's own, in there)
    export_site(site(source), tmp_path)
    assert (tmp_path / "feeds/science.atom").exists()
    source.names.remove("Science")
    source.items[:] = [s for s in source.items if s.category != "Science"]
    export_site(site(source), tmp_path)
    assert not (tmp_path / "feeds/science.atom").exists()
    assert not (tmp_path / "feeds/science").exists()  # (its top feeds' directory, emptied)
    assert not (tmp_path / "science/index.html").exists()
    assert (tmp_path / "science/logo.png").read_bytes() == b"png"
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "feeds/world-news.atom").exists()


def test_a_storys_page_is_written_before_any_page_or_feed_that_links_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written in the site's order (lists first), a front page or feed rewritten by an export
    under way had linked new stories whose pages were not there yet."""
    import aggregator.export as export

    order: list[str] = []
    real = export._write_if_changed

    def noted(target: Path, body: bytes) -> bool:
        order.append(str(target.relative_to(tmp_path)))
        return real(target, body)

    monkeypatch.setattr(export, "_write_if_changed", noted)
    export_site(site(reader()), tmp_path)
    stories = [n for n, path in enumerate(order) if path.startswith("stories/")]
    lists = [n for n, path in enumerate(order) if not path.startswith("stories/")]
    assert stories and lists and max(stories) < min(lists)


@pytest.mark.parametrize(
    ("name", "own"),
    [
        ("robots.txt", b"User-agent: *\nDisallow: /private/\n"),
        ("favicon.ico", b"\x00\x00\x01\x00 the operator's own icon"),
        ("favicon.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="8"/></svg>\n'),
    ],
)
def test_an_export_leaves_an_operators_own_robots_txt_and_favicons_alone(
    tmp_path: Path, name: str, own: bytes
) -> None:
    """A web root that serves more than the site holds its own robots.txt (its Disallow
    rules) and favicon: every export had written over them, as over its 404.html before."""
    (tmp_path / name).write_bytes(own)
    for _ in range(2):
        assert export_site(site(reader()), tmp_path).kept == (name,)
        assert (tmp_path / name).read_bytes() == own
    assert name not in (tmp_path / ".aggregator-export").read_text().split()
    (tmp_path / name).unlink()  # (the operator lets the site's own stand there)
    assert export_site(site(reader()), tmp_path).kept == ()
    assert (tmp_path / name).read_bytes() != own


def test_an_export_writes_over_its_own_robots_txt_whatever_settings_wrote_it(
    tmp_path: Path,
) -> None:
    """robots.txt carries no mark: the export's own is known by its form, in every version
    and settings (search and picture Disallows or none, any base_url); one the operator
    edited is theirs."""
    plain = dataclasses.replace(SETTINGS, search=False, picture_proxy="off")
    moved = dataclasses.replace(SETTINGS, base_url="https://example.org/news/")
    for before, after in [(SETTINGS, plain), (plain, moved), (moved, SETTINGS)]:
        export_site(Site(reader(), before, clock=lambda: T0), tmp_path)
        written = (tmp_path / "robots.txt").read_bytes()
        assert export_site(Site(reader(), after, clock=lambda: T0), tmp_path).kept == ()
        assert (tmp_path / "robots.txt").read_bytes() != written
    edited = (tmp_path / "robots.txt").read_bytes() + b"Disallow: /drafts/\n"
    (tmp_path / "robots.txt").write_bytes(edited)
    assert export_site(site(reader()), tmp_path).kept == ("robots.txt",)
    assert (tmp_path / "robots.txt").read_bytes() == edited
