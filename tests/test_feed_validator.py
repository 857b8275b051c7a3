"""Every published feed and OPML file through the W3C Feed Validator: no errors, no warnings.

The validator's source is not part of this repository; it lives in ../shared/tools/feedvalidator
beside the checkout (as in CI), or where FEEDVALIDATOR_SRC says. Without it this module is
skipped, saying so.
"""

from __future__ import annotations

import os
import sys
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from published import Instance, published_instance

# FEEDVALIDATOR_SRC (as the shared wrapper script reads it) points elsewhere, e.g. from a worktree.
VALIDATOR = Path(
    os.environ.get("FEEDVALIDATOR_SRC")
    or Path(__file__).resolve().parents[1].parent / "shared" / "tools" / "feedvalidator"
)
if not (VALIDATOR / "feedvalidator" / "__init__.py").is_file():
    pytest.skip(
        f"the W3C Feed Validator is not at {VALIDATOR} (../shared is absent)",
        allow_module_level=True,
    )
for needed in ("lxml", "html5lib", "rdflib"):  # the validator's own dependencies
    pytest.importorskip(needed, reason=f"the W3C Feed Validator needs {needed}")
sys.path.insert(0, str(VALIDATOR))
import feedvalidator  # noqa: E402  (found through the path above)
from feedvalidator import compatibility  # noqa: E402
from feedvalidator.logging import Error, Warning  # noqa: E402

# Warnings we accept, with the reason. None so far: every output validates cleanly.
ACCEPTED_WARNINGS: dict[str, str] = {}
SLUGS = ("world-news", "business", "all")


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    with published_instance(tmp_path_factory.mktemp("validator")) as running:
        yield running


def validate(url: str) -> tuple[Any, list[str], list[str]]:
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read()
    result = feedvalidator.validateString(body, firstOccurrenceOnly=1, base=url)
    events = compatibility.AA(result["loggedEvents"])
    errors = [f"{type(e).__name__}: {e.params}" for e in events if isinstance(e, Error)]
    warnings = [
        f"{type(e).__name__}: {e.params}"
        for e in events
        if isinstance(e, Warning) and type(e).__name__ not in ACCEPTED_WARNINGS
    ]
    return result.get("feedType"), errors, warnings


@pytest.mark.parametrize(
    "path",
    [
        f"/feeds/{slug}{flavour}.{fmt}"
        for slug in SLUGS
        for flavour in ("", "/top")
        for fmt in ("atom", "rss")
    ]
    + ["/feeds.opml", "/feeds-rss.opml", "/feeds-json.opml"],
)
def test_output_validates_without_errors_or_warnings(instance: Instance, path: str) -> None:
    feed_type, errors, warnings = validate(instance.root + path)
    assert feed_type is not None
    assert (errors, warnings) == ([], [])


def test_the_checked_feeds_are_not_empty(instance: Instance) -> None:
    with urllib.request.urlopen(instance.root + "/feeds/all.atom", timeout=10) as response:
        body = response.read()
    assert body.count(b"<entry") >= 3  # the fixture makes three stories
    assert b'<link href="https://hub.example/" rel="hub"/>' in body  # (checked with the rest)


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_ampersands_and_angle_brackets_in_plain_text_raise_no_warning(fmt: str) -> None:
    """Real headlines carry "&" ("AT&T", "1&1 Ionos"): without hexadecimal references the
    validator warns that such a title or summary may hold HTML."""
    from datetime import UTC, datetime

    from stories import make_story

    from aggregator.feeds import render_feed
    from aggregator.publish import PublishSettings

    story = make_story("amp1", "AT&T and 1&1 Ionos agree a <big> deal", category="Science & Tech")
    settings = PublishSettings(base_url="https://news.example.org/", site_title="News & Views")
    body = render_feed(
        "Science & Tech", "science-tech", [story], fmt, settings, datetime(2025, 3, 1, tzinfo=UTC)
    )
    result = feedvalidator.validateString(
        body, firstOccurrenceOnly=1, base=f"https://news.example.org/feeds/science-tech.{fmt}"
    )
    events = compatibility.AA(result["loggedEvents"])
    assert [f"{type(e).__name__}: {e.params}" for e in events] == []


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_addresses_holding_characters_no_uri_may_raise_no_error(fmt: str) -> None:
    """A picture's address as a feed gives it ("...jpg?id=16|caption=...") and source links
    with other such characters, or with letters beyond ASCII."""
    from datetime import UTC, datetime

    from stories import make_story

    from aggregator.feeds import render_feed
    from aggregator.models import Bullet, SourceRef, Summary
    from aggregator.publish import PublishSettings

    summary = Summary(
        headline="Yard fire",
        bullets=(Bullet("A fire broke out.", (0, 1)),),
        sources=(
            SourceRef("A", "Fire", "https://a.example/a|b{c}^d`e"),
            SourceRef("B", "Blaze", "https://b.example/M\u0101ngere-fire"),
        ),
        outlet_count=2,
        image="https://media.example/M\u0101ngere/yard.jpg?id=16|caption=The%20blaze",
    )
    story = make_story("fire1", "Yard fire", summary=summary)
    settings = PublishSettings(base_url="https://news.example.org/")
    body = render_feed("World", "world", [story], fmt, settings, datetime(2025, 3, 1, tzinfo=UTC))
    assert b"M%C4%81ngere/yard.jpg?id=16%7Ccaption" in body
    result = feedvalidator.validateString(
        body, firstOccurrenceOnly=1, base=f"https://news.example.org/feeds/world.{fmt}"
    )
    events = compatibility.AA(result["loggedEvents"])
    assert [f"{type(e).__name__}: {e.params}" for e in events] == []


def test_a_storys_own_feed_validates(instance: Instance) -> None:
    with urllib.request.urlopen(instance.root + "/feeds/all.atom", timeout=10) as response:
        body = response.read()
    link = ET.fromstring(body).find(
        "{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}link"
    )
    assert link is not None
    page = link.get("href") or ""
    for fmt in ("atom", "rss"):
        feed_type, errors, warnings = validate(f"{page}updates.{fmt}")
        assert feed_type is not None
        assert (errors, warnings) == ([], [])
