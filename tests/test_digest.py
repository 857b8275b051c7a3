"""The digest's pure parts: settings, what is due when, which stories, and the message."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import textwrap
import tomllib
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest
from digest_fixture import BASE, NOW, digest_settings
from stories import make_story

from aggregator.config import build_settings, smtp_password
from aggregator.digest import (
    Pick,
    RunState,
    due,
    latest_slot,
    retry_delay,
    select,
    window_start,
)
from aggregator.digest_mail import compose, confirmation, readable, subject
from aggregator.errors import ConfigError
from aggregator.models import Bullet, SourceRef, Summary
from aggregator.pages import render_story_html
from aggregator.publish import PublishSettings
from aggregator.ranking import rank
from aggregator.slugs import slugify

PUBLISH = PublishSettings(base_url=BASE, site_title="Example News")
DAY = date(2026, 3, 10)

# --- settings ---------------------------------------------------------------------------------


def test_digest_settings_from_toml_and_environment() -> None:
    settings = build_settings(
        {
            "digest": {
                "smtp_host": "smtp.example.org",
                "from_address": "News <news@example.org>",
                "recipients": {"World News": ["a@example.com"], "Business": []},
                "send_times": {"Business": "06:30"},
                "timezone": "Europe/Berlin",
            }
        },
        {
            "AGGREGATOR_DIGEST_RECIPIENTS": (
                "World News=a@example.com, b@example.com; Business=; Sports="
            )
        },
    )
    digest = settings.digest
    assert digest.recipients == {
        "World News": ("a@example.com", "b@example.com"),
        "Business": (),
        "Sports": (),
    }
    assert digest.port == 587 and digest.security == "starttls" and digest.count == 10
    assert digest.categories == frozenset({"World News", "Business", "Sports"})
    assert digest.send_time("Business").hour == 6 and digest.send_time("Sports").hour == 7


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"security": "ssl"}, "security must be one of starttls, tls, none"),
        ({"smtp_port": 70000}, "smtp_port must be between 0 (the usual port) and 65535, got 70000"),
        ({"count": 0}, "count must be between 1 and 100"),
        ({"send_at": "25:00"}, "send_at must be a local time"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"timezone": ""}, "unknown time zone"),
        ({"timezone": "../../etc/passwd"}, "unknown time zone"),
        ({"recipients": {"World News": ["not an address"]}}, "not an email address"),
        ({"recipients": {"World News": ["a@example.com\nBcc: x@evil.example"]}}, "not an email"),
        ({"recipients": {"World News": ["a@example.com"]}}, "smtp_host and from_address"),
        ({"send_times": {"Nowhere": "07:00"}}, "categories without recipients"),
        ({"password": "hunter2"}, "never read from the settings file"),
    ],
)
def test_bad_digest_settings_are_configuration_errors(values: dict, words: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(words)):
        build_settings({"digest": values})


def test_login_without_its_password_variable_is_a_configuration_error() -> None:
    digest = digest_settings(username="digest", password_env="NEWS_SMTP_PASSWORD")
    with pytest.raises(ConfigError, match="NEWS_SMTP_PASSWORD"):
        smtp_password(digest, {})
    assert smtp_password(digest, {"NEWS_SMTP_PASSWORD": "s3cret"}) == "s3cret"
    assert smtp_password(digest_settings(), {}) is None  # no login, no password needed
    assert "s3cret" not in repr(build_settings({}, {"NEWS_SMTP_PASSWORD": "s3cret"}))


# --- when -------------------------------------------------------------------------------------

SETTINGS = digest_settings()  # 08:00 Europe/Berlin = 07:00 UTC in March


def at(hour: int, minute: int = 0, day: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def run(
    status: str,
    attempts: int = 1,
    retry: datetime | None = None,
    day: int = 10,
    tried: datetime | None = None,  # its last attempt (default: at the day's time)
) -> dict:
    key = ("World News", date(2026, 3, day))
    last = tried or at(7, 0, day=day)
    return {key: RunState("World News", key[1], status, attempts, retry, last_attempt_at=last)}


@pytest.mark.parametrize(
    ("now", "runs", "expected"),
    [
        (at(6, 59), {}, None),  # before today's time; yesterday's is more than catch_up old
        (at(7, 0), {}, (10, 1)),  # on time
        (at(18, 0), {}, (10, 1)),  # the service came back within catch_up: send once, late
        (at(20, 0), {}, None),  # 13 h late: skipped, tomorrow's is closer
        (at(7, 1), run("sent"), None),  # once per day
        (at(7, 1), run("empty"), None),  # nothing new today is done too
        (at(7, 3), run("failed", 1, at(7, 5)), None),  # waiting for the retry
        (at(7, 5), run("failed", 1, at(7, 5)), (10, 2)),  # retry due
        (at(7, 30), run("sending", 1, at(7, 5)), (10, 2)),  # crashed mid-send: retried
        (at(9, 0), run("failed", 6, None), None),  # gave up after max_attempts
        (at(7, 0, day=11), run("sent", day=10), (11, 1)),  # the next day
        # sent by hand before the day's time (`digest --send-now`): the scheduled send still
        # goes (it had been skipped), once
        (at(6, 59), run("sent", tried=at(6, 10)), None),
        (at(7, 0), run("sent", tried=at(6, 10)), (10, 2)),
        (at(7, 1), run("empty", 2, tried=at(7, 0)), None),
        (at(9, 0), run("sent", tried=at(8, 30)), None),  # by hand after it: done
    ],
)
def test_due(now: datetime, runs: dict, expected: tuple[int, int] | None) -> None:
    found = due(now, SETTINGS, runs)
    if expected is None:
        assert found == []
    else:
        assert [(d.day.day, d.attempt) for d in found] == [expected]
        assert found[0].category == "World News"


def test_send_time_follows_the_local_clock_across_daylight_saving() -> None:
    # Berlin moves to summer time on 29 March 2026: 08:00 local is 07:00 UTC, then 06:00 UTC.
    assert latest_slot("World News", at(7, 0, day=28), SETTINGS)[1] == at(7, 0, day=28)
    assert latest_slot("World News", at(6, 0, day=30), SETTINGS)[1] == at(6, 0, day=30)
    # Just after midnight local time, the latest send is yesterday's.
    day, _ = latest_slot("World News", datetime(2026, 3, 10, 23, 30, tzinfo=UTC), SETTINGS)
    assert day == date(2026, 3, 10)


def test_per_category_send_time_and_empty_recipient_lists() -> None:
    settings = digest_settings(
        recipients={"World News": ("a@example.com",), "Business": ("b@example.com",), "Sports": ()},
        send_times={"Business": "06:00"},
    )
    assert [d.category for d in due(at(5, 30), settings, {})] == ["Business"]
    assert {d.category for d in due(at(7, 0), settings, {})} == {"World News", "Business"}


def test_retry_backoff_doubles_up_to_the_cap() -> None:
    delays = [retry_delay(n, SETTINGS) for n in range(1, 7)]
    assert delays == [timedelta(minutes=m) for m in (5, 10, 20, 40, 60, 60)]


# --- what -------------------------------------------------------------------------------------


def story(story_id: str, outlets: int, hours_ago: float, version: int = 1):  # type: ignore[no-untyped-def]
    base = make_story(story_id, f"Story {story_id}")
    summary = dataclasses.replace(base.summary, outlet_count=outlets)  # type: ignore[arg-type]
    return dataclasses.replace(
        base,
        summary=summary,
        updated=NOW - timedelta(hours=hours_ago),
        first_seen=NOW - timedelta(hours=hours_ago + 1),
        version=version,
    )


def test_ranking_weighs_outlets_against_age() -> None:
    ranked = rank([story("old-big", 5, 20), story("new-small", 1, 0), story("new-big", 3, 1)], NOW)
    assert [s.id for s in ranked] == ["new-big", "old-big", "new-small"]


def test_select_ranks_limits_and_skips_what_was_sent() -> None:
    stories = [story(f"s{n}", outlets=n % 4 + 1, hours_ago=n) for n in range(15)]
    stories.append(story("stale", 9, 30))  # outside the 24 h window
    stories.append(story("later", 9, -2))  # changed after `now`: the next digest's
    stories.append(story("sent", 9, 1))  # sent already, unchanged
    stories.append(story("changed", 8, 1, version=3))  # sent at version 2, changed since
    picks = select(stories, {"sent": 1, "changed": 2}, NOW, SETTINGS)
    ids = [p.story.id for p in picks]
    assert len(picks) == 10
    assert "stale" not in ids and "sent" not in ids and "later" not in ids
    assert ids[0] == "changed" and picks[0].updated
    assert not any(p.updated for p in picks[1:])
    assert ids == [s.id for s in rank([p.story for p in picks], NOW)]
    assert len(select(stories, {}, NOW, digest_settings(count=3))) == 3


# --- the message ------------------------------------------------------------------------------


def hostile_story():  # type: ignore[no-untyped-def]
    summary = Summary(
        headline="x",
        bullets=(Bullet("<script>alert(1)</script> & more", (0, 1)),),
        sources=(
            SourceRef("Evil\r\nBcc: x@evil.example", "<b>t</b>", "javascript:alert(1)"),
            SourceRef("Good Outlet", "Fine", "https://good.example/a?b=1&c=2"),
        ),
        outlet_count=2,
    )
    return dataclasses.replace(
        make_story("h/1", "Quake <hits>\r\nBcc: victim@example.com"),
        summary=summary,
        updated=NOW - timedelta(hours=1),
    )


def message() -> EmailMessage:
    picks = [
        Pick(story("a1", 4, 1), updated=False),
        Pick(story("b2", 2, 3), updated=True),
        Pick(hostile_story()),
    ]
    return compose("World News", picks, DAY, NOW, SETTINGS, PUBLISH)


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.links += [v or "" for k, v in attrs if k in ("href", "src")]


def test_message_has_both_parts_with_the_same_stories_and_absolute_links() -> None:
    msg = message_from_bytes(message().as_bytes(), policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    page = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    parser = Links()
    parser.feed(page)
    assert parser.links and all(link.startswith(("https://", "http://")) for link in parser.links)
    assert not parser.tags & {"script", "img", "link", "style", "iframe"}
    story_links = [u for u in parser.links if u.startswith(f"{BASE}stories/")]
    assert story_links == [
        f"{BASE}stories/{i}/" for i in ("a1", "a1", "b2", "b2", "h%2F1", "h%2F1")
    ]
    for url in dict.fromkeys(story_links):
        assert f"Read the story: {url}" in text
    for words in ("Story a1", "Story b2", "Summary based on 4 sources", "Updated: Story b2"):
        assert words in text
        assert words.replace("Updated: ", "") in page
    assert ">Updated</span>" in page
    assert f'<a href="{BASE}world-news/subscribe/"' in page and "details: details" not in page
    assert "March 10, 07:00 CET" in text  # times in the configured zone
    assert "https://outlet" not in text or "https://times.example/a1" in text
    assert "https://times.example/a1" in text and "https://times.example/a1" in page


def test_message_escapes_upstream_text_and_drops_unsafe_links() -> None:
    raw = message().as_bytes()
    msg = message_from_bytes(raw, policy=policy.default)
    page = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "javascript:" not in page and "javascript:" not in raw.decode()
    assert "https://good.example/a?b=1&amp;c=2" in page
    assert "Bcc" not in msg and "victim@example.com" not in str(msg["Subject"]).split("—")[0][:0]
    assert msg["Bcc"] is None
    assert "\n" not in str(msg["Subject"])


def parts(*picks: Pick) -> tuple[str, str]:
    """The text and HTML parts of a digest of `picks`, as a mail client decodes them."""
    raw = compose("World News", list(picks), DAY, NOW, SETTINGS, PUBLISH).as_bytes()
    msg = message_from_bytes(raw, policy=policy.default)
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    page = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return text, page


def test_an_outlet_with_several_reports_is_counted_as_on_pages() -> None:
    summary = Summary(
        headline="Harbour storm",
        bullets=(Bullet("Roads closed along the harbour.", (0, 2)),),
        sources=(
            SourceRef("Daily Planet", "Storm closes roads", "https://planet.example/1"),
            SourceRef("Wire Co", "Harbour storm", "https://wire.example/1"),
            SourceRef("Daily Planet", "Council meets on storm", "https://planet.example/2"),
        ),
        outlet_count=2,
    )
    pick = Pick(dataclasses.replace(story("m", 2, 1), summary=summary))
    text, page = parts(pick)
    for words in ("Summary based on 2 sources (3 reports):", "· 2 sources"):
        assert words in text and words in page
    assert "\n   - Roads closed along the harbour. [1][3]\n\n   Summary based on" in text
    assert text.count("https://planet.example/") == 2
    assert render_story_html(pick.story, PUBLISH, []).count("2 sources (3 reports)") == 1


def test_a_story_without_bullets_says_who_reported_it_and_is_labelled() -> None:
    summary = Summary(
        headline="Harbour storm: roads closed",
        bullets=(),
        sources=(
            SourceRef("Daily Planet", "Storm blog", "https://planet.example/l", label="Live"),
        ),
        outlet_count=1,
    )
    base = story("l", 1, 1)
    live = dataclasses.replace(base, headline="Harbour storm: roads closed", summary=summary)
    text, page = parts(Pick(live))
    assert "1. Live: Harbour storm: roads closed" in text
    assert ">Live: Harbour storm: roads closed</a></h2>" in page
    for words in ("Reported by 1 source:", "Daily Planet (Live) — Storm blog"):
        assert words in text and words in page
    assert "Summary based on" not in text and "Summary based on" not in page
    assert "<ul" not in page  # no empty bullet list
    story_text = text[text.index("1. Live") : text.index("Read the story")]
    assert "\n\n\n" not in story_text  # one blank line between the parts, not two
    assert "Reported by 1 source:" in render_story_html(live, PUBLISH, [])


def test_a_long_source_list_is_cut_as_on_pages() -> None:
    summary = Summary(
        headline="Summit ends",
        bullets=(Bullet("Leaders agreed a plan.", (0,)), Bullet("A late fact.", (22, 3))),
        sources=tuple(
            SourceRef(f"Outlet {n}", f"Report {n}", f"https://o{n}.example/s") for n in range(40)
        ),
        outlet_count=40,
    )
    pick = Pick(dataclasses.replace(story("big", 40, 1), summary=summary))
    text, page = parts(pick)
    listed = [n for n in range(40) if f"https://o{n}.example/s" in text]
    assert listed == [*range(10), 22]  # the first ten and the cited one, numbered as cited
    assert "- A late fact. [23][4]" in text and "[23] Outlet 22 — Report 22" in text
    assert '<li value="23" style="margin:2px 0"><a href="https://o22.example/s"' in page
    assert 'href="https://o22.example/s" style="' in page.split("<ol")[0]  # the citation links
    for words in ("… and 29 more sources.", "Summary based on 40 sources:"):
        assert words in text and words in page
        assert words in render_story_html(pick.story, PUBLISH, [])
    assert "o30.example" not in text and "o30.example" not in page


def test_headers() -> None:
    msg = message_from_bytes(message().as_bytes(), policy=policy.default)
    assert msg["Subject"] == "World News: Story a1 and 2 more — March 10, 2026"
    assert msg["From"] == "News Digest <digest@news.example.org>"
    assert msg["List-Id"] == '"World News daily digest" <world-news.digest.news.example.org>'
    assert msg["List-Unsubscribe"].strip() == (
        "<mailto:digest@news.example.org?subject=unsubscribe%20World%20News>, "
        f"<{BASE}world-news/subscribe/>"
    )
    pattern = r"<20260310\.world-news\.[0-9a-f]{12}@news\.example\.org>"
    assert re.fullmatch(pattern, msg["Message-ID"])
    assert msg["Date"] == "Tue, 10 Mar 2026 08:00:00 +0100"
    assert "alice@example.com" not in str(msg)  # recipients only in the envelope
    assert message()["Message-ID"] == msg["Message-ID"]  # stable: a retry repeats it


def test_a_long_subject_reads_as_written_and_the_parts_keep_short_lines() -> None:
    """The standard library folds a long subject before its em dash leaving two spaces
    ("and 2 more  — March 10"); the message goes with each header on one line."""
    long = dataclasses.replace(
        story("a1", 4, 1), headline="Protesters in Lebanon Demand Economic Relief"
    )  # (folded by the standard library just before " — March 10")
    picks = [Pick(long), Pick(story("b2", 2, 3)), Pick(story("c3", 1, 2))]
    raw = compose("World News", picks, DAY, NOW, SETTINGS, PUBLISH).as_bytes()
    said = message_from_bytes(raw, policy=policy.default)["Subject"]
    assert said == subject("World News", picks, DAY)
    assert said.endswith("Relief and 2 more — March 10, 2026") and "  " not in said
    head, _, body = raw.partition(b"\n\n")
    assert max(len(line) for line in head.splitlines()) <= 998
    assert max(len(line) for line in body.splitlines()) <= 76  # (quoted-printable's own limit)


def test_a_category_not_in_ascii_goes_in_short_encoded_words_outside_quotes() -> None:
    """RFC 2047: an encoded word is at most 75 characters and never inside a quoted string.
    The whole Subject had gone as one word of 81 and more, and List-Id as
    `"Weltnachrichten aus =?utf-8?q?=C3=9Cbersee?= … daily digest"` (shown raw by clients)."""
    picks = [Pick(story("a1", 4, 1)), Pick(story("b2", 2, 3))]
    for category in ("Weltnachrichten aus Übersee und anderswo", "世界新闻", "Économie"):
        raw = compose(category, picks, DAY, NOW, SETTINGS, PUBLISH).as_bytes()
        head = raw.partition(b"\n\n")[0].decode("ascii")
        words = re.findall(r"=\?utf-8\?[qb]\?[^?]*\?=", head)
        assert words and max(len(word) for word in words) <= 75
        (list_id,) = re.findall(r"^List-Id:.*(?:\n .*)*", head, re.M)
        assert '"' not in list_id  # (the phrase is the encoded words)
        msg = message_from_bytes(raw, policy=policy.default)
        assert msg["Subject"] == subject(category, picks, DAY)
        slug = slugify(category)
        assert msg["List-Id"] == f"{category} daily digest <{slug}.digest.news.example.org>"
    confirm = confirmation("世界新闻", "a@reader.example", BASE, NOW, SETTINGS, PUBLISH)
    head = confirm.as_bytes().partition(b"\n\n")[0].decode("ascii")
    assert max(len(w) for w in re.findall(r"=\?utf-8\?[qb]\?[^?]*\?=", head)) <= 75


def test_the_text_part_keeps_each_storys_lines_under_its_headline_past_the_ninth() -> None:
    """Under "10. …" the date, bullets and sources had started a column left of the
    headline's text (a fixed three-space indent); the parts' lines keep to 76 characters."""
    picks = [Pick(story(f"s{n}", 2, 2)) for n in range(11)]
    msg = message_from_bytes(
        compose("World News", picks, DAY, NOW, SETTINGS, PUBLISH).as_bytes(), policy=policy.default
    )
    text = next(p for p in msg.walk() if p.get_content_type() == "text/plain").get_content()
    lines = text.splitlines()
    for number in (9, 10, 11):
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{number}. "))
        pad = " " * len(f"{number}. ")
        block = lines[at + 1 : lines.index("", at + 2) if "" in lines[at + 2 :] else None]
        assert block and all(line.startswith(pad) and line[len(pad)] != " " for line in block)
        assert any(line.startswith(f"{pad}- ") for line in lines[at : at + 8])  # its bullets


def test_the_html_part_writes_each_story_in_its_language_and_direction() -> None:
    """An Arabic or Urdu story had been drawn left to right ("[1] .…" at its wrong end), and a
    long word ran past a phone's screen. (Generated Urdu text.)"""
    urdu = dataclasses.replace(make_story("u1", "شہر میں نیا پل کھل گیا"), declared_language="ur")
    picks = [Pick(story("a1", 4, 1)), Pick(dataclasses.replace(urdu, updated=NOW))]
    msg = message_from_bytes(
        compose("World News", picks, DAY, NOW, SETTINGS, PUBLISH).as_bytes(), policy=policy.default
    )
    page = next(p for p in msg.walk() if p.get_content_type() == "text/html").get_content()
    assert '<div lang="ur" dir="rtl" style="border-top' in page
    assert '<div lang="en" dir="auto" style="border-top' in page
    assert '<p lang="en" dir="ltr" style=' in page  # (our words inside the Urdu story)
    assert "overflow-wrap:break-word" in page and '<li dir="auto"' in page


def test_subject_with_a_single_story() -> None:
    assert subject("Science", [Pick(story("z", 1, 1))], DAY) == "Science: Story z — March 10, 2026"


def test_readable_shows_headers_and_both_parts_decoded() -> None:
    shown = readable(message())
    assert shown.startswith("Subject: World News: Story a1 and 2 more")
    assert "----- text/plain -----" in shown and "----- text/html -----" in shown
    assert "Summary based on 4 sources" in shown and "=\n" not in shown


def test_story_dates_in_the_future_do_not_outrank() -> None:
    future = dataclasses.replace(story("f", 1, 0), updated=NOW + timedelta(hours=5))
    assert [s.id for s in rank([future, story("b", 2, 0)], NOW)] == ["b", "f"]


def test_the_readme_digest_example_is_valid() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Daily email digests") :]
    example = section[section.index("```toml") + 7 : section.index("```\n", 10)]
    settings = build_settings(tomllib.loads(example))
    digest = settings.digest
    assert digest.recipients["World News"] == ("alice@example.com", "bob@example.net")
    assert digest.categories == frozenset({"World News", "Business"})
    assert digest.send_time("World News").hour == 6 and digest.port == 587
    assert settings.publish.base_url == "https://news.example.org/"
    with pytest.raises(ConfigError, match="AGGREGATOR_SMTP_PASSWORD"):
        smtp_password(digest, {})
    # its preview's footer is what these settings send (the site named as they name it)
    preview = " ".join(section[section.index("You get this email") :].split())
    why = settings.publish.words("digest_why", site=settings.publish.site_title, name="World News")
    assert preview.startswith(why)


def test_the_default_zone_is_utc_and_loaded_only_when_asked_for() -> None:
    script = (
        "import sys\n"
        "from datetime import datetime, UTC\n"
        "from aggregator.digest_settings import DigestSettings\n"
        "settings = DigestSettings()\n"
        "print('zoneinfo' in sys.modules)\n"
        "zone = settings.zone\n"
        "print(repr(zone), datetime(2024, 5, 2, 23, tzinfo=UTC).astimezone(zone))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.stdout.splitlines() == [
        "False",
        "zoneinfo.ZoneInfo(key='UTC') 2024-05-02 23:00:00+00:00",
    ], run.stderr


def test_a_late_send_reads_from_the_last_one() -> None:
    """A send 3 h late (the network back) read a fixed day back: a story changed in the
    hour after the last send went out in no digest."""
    now = at(10, 0, day=11)  # yesterday's went at 07:00, today's is 3 h late
    assert window_start(now, None, SETTINGS) == now - SETTINGS.window
    assert window_start(now, at(7, 0, day=10), SETTINGS) == at(7, 0, day=10)
    assert window_start(now, at(9, 0, day=11), SETTINGS) == now - SETTINGS.window
    weeks = window_start(now, at(7, 0, day=1), SETTINGS)  # (long silent: catch_up at most)
    assert weeks == now - SETTINGS.window - SETTINGS.catch_up
    late = story("s1", 1, 25)  # changed 25 h before the send, 2 h after the last one
    assert select([late], {}, NOW, SETTINGS) == []
    since = NOW - timedelta(hours=27)
    assert [p.story.id for p in select([late], {}, NOW, SETTINGS, since)] == ["s1"]


def test_the_text_part_wraps_chinese_and_japanese_by_columns() -> None:
    """A Chinese bullet had been one line of 70 characters, 140 columns on a monospaced
    screen, and a Japanese headline without spaces was never broken: lines are now measured
    in columns (a wide character two) and break between wide characters, never before a
    closing mark. (Generated text.)"""
    from aggregator.text_wrap import columns, wrap

    zh = (
        "博览会今天开幕，来自三十个国家的上千家企业参展。"
        "主办方表示，本届展出面积达到十万平方米，比上届增加两成，参展企业数量创下新高。"
    )
    ja = (
        "東京都心で今朝、積雪が観測されました。"
        "気象庁によりますと、都心での積雪は二年ぶりで、交通機関に乱れが出ています。"
    )
    source = SourceRef("Outlet", ja, "https://a.example/1")
    summary = Summary(ja, (Bullet(zh, (0,)),), (source,), outlet_count=1)
    picks = [Pick(make_story("z1", ja, summary=summary))]
    msg = message_from_bytes(
        compose("World News", picks, DAY, NOW, SETTINGS, PUBLISH).as_bytes(), policy=policy.default
    )
    text = next(p for p in msg.walk() if p.get_content_type() == "text/plain").get_content()
    lines = text.splitlines()
    assert all(columns(line) <= 76 for line in lines if "://" not in line)
    assert not any(line.lstrip().startswith(("，", "。", "、")) for line in lines)
    joined = "".join(line.strip().removeprefix("- ") for line in lines)
    assert zh in joined and ja in joined  # (nothing lost or spaced where it was cut)
    english = "The council voted on Tuesday to raise local rates by four percent, officials said."
    assert wrap(english, 30, initial_indent="- ") == textwrap.wrap(english, 30, initial_indent="- ")


def test_the_text_part_never_breaks_inside_a_drawn_character() -> None:
    """A line had started with an emoji's skin tone, a joiner of an emoji of several (its
    joiner counted a column) or a decomposed kana's mark, cut from the character it is
    drawn with. (Generated text.)"""
    import unicodedata

    from aggregator.text_wrap import columns, wrap

    for drawn in ("👍🏽", "👨\u200d👩\u200d👧", "が"):
        text = "中" * 37 + unicodedata.normalize("NFD", drawn) + "中" * 40
        lines = wrap(text, 76)
        assert "".join(lines) == unicodedata.normalize("NFD", text)
        assert all(columns(line) <= 76 for line in lines)
        assert not any(line[0] in "\u200d\u3099\U0001f3fd" for line in lines), lines
    assert columns("\u200d\ufe0f\u3099") == 0
