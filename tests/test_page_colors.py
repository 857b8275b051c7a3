"""Pages in a browser's dark mode: every page tells the browser it follows the reader's colour
scheme (so the search box, buttons and scrollbars are drawn dark too, not white on a dark
page), and each text colour the style sets keeps WCAG AA contrast (4.5:1) on each background
it is drawn on, in both schemes."""

from __future__ import annotations

import re

import pytest
from stories import T0, make_story

from aggregator.pages import (
    render_category_html,
    render_index_html,
    render_not_found_html,
    render_search_html,
    render_story_html,
)
from aggregator.publish import PublishSettings
from aggregator.web import unavailable_response

SETTINGS = PublishSettings(base_url="https://news.example.org/")
STORY = make_story("s1", "Dam breaks upstream of Quillan")
FOLLOWS = '<meta name="color-scheme" content="light dark">'
DARK = "@media (prefers-color-scheme:dark){"


def pages() -> dict[str, str]:
    category = render_category_html("World", "world", [STORY], SETTINGS, T0)
    assert category is not None
    unavailable = unavailable_response().text
    assert unavailable is not None
    return {
        "front": render_index_html([("World", "world", [STORY])], SETTINGS, T0),
        "category": category,
        "story": render_story_html(STORY, SETTINGS, []),
        "search": render_search_html("dam", 1, [STORY], SETTINGS),
        "not found": render_not_found_html(SETTINGS.base_url),
        "unavailable": unavailable,
    }


@pytest.mark.parametrize("name", list(pages()))
def test_every_page_follows_the_readers_colour_scheme(name: str) -> None:
    head = pages()[name].split("</head>")[0]
    assert FOLLOWS in head


def _rules(css: str) -> dict[str, dict[str, str]]:
    """selector → property → value, for rules of plain `sel,sel{prop:value;…}` form."""
    found: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        for selector in selectors.split(","):
            for declaration in body.split(";"):
                prop, _, value = declaration.partition(":")
                if value:
                    found.setdefault(selector.strip(), {})[prop.strip()] = value.strip()
    return found


def _style(dark: bool) -> dict[str, dict[str, str]]:
    css = re.search(r"<style>(.*?)</style>", pages()["story"], re.S)
    assert css is not None
    light, _, rest = css.group(1).partition(DARK)
    assert rest, "the style has a dark scheme"
    rules = _rules(light)
    if dark:
        for selector, props in _rules(rest).items():
            rules.setdefault(selector, {}).update(props)
    return rules


def _luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# Text (body, a link, a visited one, the muted line) on each background it sits on: the page,
# a search match's highlight (<mark> inherits its text's colour; a match is often a link, a
# headline's), the daily email's box.
TEXTS = [("body", "color"), ("a", "color"), ("a:visited", "color"), (".meta", "color")]
GROUNDS = [("body", "background"), ("mark", "background"), (".digest", "background")]


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("ground", GROUNDS, ids=[g for g, _ in GROUNDS])
def test_text_keeps_its_contrast_on_every_background(dark: bool, ground: tuple[str, str]) -> None:
    rules = _style(dark)
    background = rules[ground[0]][ground[1]]
    low = {
        selector: round(contrast(rules[selector][prop], background), 2)
        for selector, prop in TEXTS
        if contrast(rules[selector][prop], background) < 4.5
    }
    assert low == {}
