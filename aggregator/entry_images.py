"""Pictures: the one a feed gives an entry, and the one a story is shown with. Pure.

An entry's picture is, in this order, its Media RSS `<media:content>` image (the widest up
to `WIDEST` pixels, else the narrowest wider one: a page wants a photo, not a 6,000-pixel
master), its `<media:thumbnail>` (chosen alike), an image enclosure (RSS `<enclosure>`, Atom
`rel="enclosure"`, JSON Feed's `image` and `banner_image`), else the first `<img>` of its
HTML that is not declared smaller than `SMALLEST` pixels a side nor a known counter, emoji or
avatar (tracking pixels, WordPress's emoji, a "share" button). Read from the feedparser-shaped
entry both parse paths give (`parse`); the caller resolves and checks the URL.

A feed that gives most of its entries one and the same picture gives its logo, not a
photo of each report: `feed_logo` names it, and it is dropped (`pipeline`). An entry with no
picture of its own takes its article page's (`page_picture`: the page's `og:image`, else its
`twitter:image`) when that page is fetched for its text (`article_job`), unless the pages of
`SITE_PICTURE` of the feed's items give that one: the site's default for pages without a
photo of their own (`store_articles`).

A story is shown with the picture of the source its headline came from, else of its first
listed source that has one, news before opinion, live blogs and reviews (`lead_image`).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit

from .models import SourceRef

__all__ = [
    "MAX_URL",
    "SITE_PICTURE",
    "candidates",
    "feed_logo",
    "lead_image",
    "page_picture",
    "plausible_host",
]

WIDEST = 1600  # pixels: a picture wider than this is chosen only when no narrower one is given
SMALLEST = 100  # pixels: an <img> declared narrower or lower than this is an icon or a pixel
MAX_URL = 2000  # characters: a longer picture address is not kept
SITE_PICTURE = 3  # the article pages of this many of one feed's items give one picture: a default
_IMAGE_PATH = re.compile(r"\.(?:jpe?g|png|gif|webp|avif)$", re.I)
# (searched only up to the text's last ">": an "<img" with none after it had each scanned to
# the end, time quadratic in a run of them; before the last ">", each ends at the next one)
_IMG = re.compile(r"<img\b([^>]*)>", re.I)
# An attribute, tried only where a run of name characters starts (a name is its letters on
# from the run's first): tried at each letter of a long word, each try read to the word's end
# (time quadratic in the word: 30,000 letters inside one tag took 10 s).
_ATTRIBUTE = re.compile(
    r"""(?<![a-z0-9_:-])[0-9_:-]*+([a-z][a-z0-9_:-]*+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""",
    re.I,
)
# Counters, emoji, avatars and buttons that feeds put in their HTML: no item's photo.
_NOT_A_PHOTO = re.compile(
    r"feeds\.feedburner\.com|feedsportal\.com|stats\.wordpress\.com|pixel\.wp\.com|"
    r"s\.w\.org/images/core/emoji|gravatar\.com/avatar|doubleclick\.net|/emoji/|"
    r"\b(?:pixel|spacer|blank|transparent|1x1)\.(?:gif|png)\b|/pixel(?:[/?]|$)|"
    r"\bshare[-_]?button",
    re.I,
)


def _width(attributes: Mapping[str, Any]) -> int:
    try:
        return int(str(attributes.get("width") or "").strip() or 0)
    except ValueError:
        return 0


def _best(found: Sequence[Mapping[str, Any]], key: str) -> Iterator[str]:
    """Their URLs, the one to show first: the widest not wider than `WIDEST`, then wider ones
    from the narrowest, then those of no stated width in their order."""
    sized = [(w, i) for i, m in enumerate(found) if (w := _width(m)) > 0]
    within = sorted((p for p in sized if p[0] <= WIDEST), key=lambda p: (-p[0], p[1]))
    beyond = sorted((p for p in sized if p[0] > WIDEST), key=lambda p: (p[0], p[1]))
    unsized = [i for i, m in enumerate(found) if _width(m) <= 0]
    for i in [i for _, i in within] + [i for _, i in beyond] + unsized:
        value = found[i].get(key)
        if isinstance(value, str) and value.strip():
            yield value.strip()


def _listed(raw: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = raw.get(key)
    if not isinstance(value, list | tuple):
        return []
    return [m for m in value if isinstance(m, Mapping)]


def _an_image(media: Mapping[str, Any]) -> bool:
    """Whether a `<media:content>` is a picture: its medium says so, else its type, else (both
    missing) its address's file name."""
    medium = str(media.get("medium") or "").strip().lower()
    if medium:
        return medium == "image"
    kind = str(media.get("type") or "").strip().lower()
    if kind:
        return kind.startswith("image/")
    url = media.get("url")
    return isinstance(url, str) and _IMAGE_PATH.search(_path(url)) is not None


def _path(url: str) -> str:
    try:
        return urlsplit(url.strip()).path
    except ValueError:
        return ""


def _attributes(tag: str) -> dict[str, str]:
    """A start tag's attributes (the text after its name): names in lower case, the first of
    a repeated name kept, entities decoded; an empty value is ""."""
    found: dict[str, str] = {}
    for name, double, single, bare in _ATTRIBUTE.findall(tag):
        found.setdefault(name.lower(), html.unescape(double or single or bare))
    return found


# A file name that names its picture's size ("..._70x70.jpg", WordPress's "...-150x150.png")
_NAMED_SIZE = re.compile(r"[_-](\d{1,5})x(\d{1,5})(?:\.[a-z0-9]{2,5})?$", re.I)


def _named_small(url: str) -> bool:
    """Whether the picture's file name says it is smaller than `SMALLEST` pixels a side: a
    thumbnail or an icon, as an `<img>` declared that small is."""
    named = _NAMED_SIZE.search(_path(url).rpartition("/")[2])
    return named is not None and min(int(named[1]), int(named[2])) < SMALLEST


def candidates(raw: Mapping[str, Any], html_texts: Iterable[str]) -> Iterator[str]:
    """The entry's picture addresses as given (perhaps relative), the one to show first."""
    for url in _given(raw, html_texts):
        if not _named_small(url):
            yield url


def _given(raw: Mapping[str, Any], html_texts: Iterable[str]) -> Iterator[str]:
    yield from _best([m for m in _listed(raw, "media_content") if _an_image(m)], "url")
    yield from _best(_listed(raw, "media_thumbnail"), "url")
    for enclosure in _listed(raw, "enclosures"):
        kind = str(enclosure.get("type") or "").strip().lower()
        href = enclosure.get("href")
        if kind.startswith("image/") and isinstance(href, str) and href.strip():
            yield href.strip()
    for text in html_texts:
        if "<img" not in text and "<IMG" not in text:
            continue
        for tag in _IMG.finditer(text, 0, text.rfind(">") + 1):
            attributes = _attributes(tag.group(1))
            src = attributes.get("src", "").strip()
            if not src or _NOT_A_PHOTO.search(src):
                continue
            sides = [_width({"width": attributes.get(side)}) for side in ("width", "height")]
            if any(0 < side < SMALLEST for side in sides):
                continue
            yield src


_META = re.compile(rb"<meta\b([^>]*)>", re.I)
_PAGE_HEAD = 300_000  # bytes of a page searched for its picture (its <head>, in practice)
_PICTURE_NAMES = (
    "og:image",
    "og:image:url",
    "og:image:secure_url",
    "twitter:image",
    "twitter:image:src",
)


def page_picture(page: bytes, url: str) -> str | None:
    """An article page's picture (its `og:image`, else its `twitter:image`), made absolute
    against the page's `url`, or None: none, no http(s) address, a counter or an emoji."""
    found: dict[str, str] = {}
    for tag in _META.finditer(page, 0, page.rfind(b">", 0, _PAGE_HEAD) + 1):  # (as `_IMG`)
        attributes = _attributes(tag.group(1).decode("utf-8", "replace"))
        name = (attributes.get("property") or attributes.get("name") or "").strip().lower()
        content = attributes.get("content", "").strip()
        if name in _PICTURE_NAMES and content:
            found.setdefault(name, content)
    for name in _PICTURE_NAMES:
        picture = _absolute(found.get(name, ""), url)
        if picture is not None:
            return picture
    return None


def _absolute(value: str, base: str) -> str | None:
    """`value` made absolute against `base` when that gives an http(s) address of printable
    characters, no longer than `MAX_URL`, and no counter's or emoji's."""
    if not value or _NOT_A_PHOTO.search(value):
        return None
    try:
        absolute = urljoin(base, value)
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or len(absolute) > MAX_URL:
        return None
    if not absolute.isprintable() or any(c.isspace() for c in absolute):
        return None
    return absolute if plausible_host(absolute) else None


def plausible_host(url: str) -> bool:
    """Whether `url`'s host could be reached: an IP address, one name (an intranet's), or a
    name whose last label is a top-level domain's (letters, or "xn--…"). A feed that dropped
    the slash before a path gives "a57.foxnews.com60/60/photo.jpg": no picture there."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if not host:
        return False
    if "." not in host or ":" in host or host.replace(".", "").isdigit():  # (IPv6: no dots)
        return True
    last = host.rstrip(".").rsplit(".", 1)[-1]
    return (last.isascii() and last.isalpha()) or last.startswith("xn--")


def feed_logo(images: Sequence[str | None]) -> str | None:
    """The picture a feed gives at least three of its entries and most of them: its logo."""
    counts = Counter(image for image in images if image)
    if not counts:
        return None
    image, count = counts.most_common(1)[0]
    return image if count >= 3 and count * 2 > len(images) else None


def lead_image(
    sources: Sequence[SourceRef], images: Mapping[str, str], headline: str = ""
) -> tuple[str, int] | None:
    """The picture a story is shown with, and the index of the source it is from: that of the
    news source whose title the `headline` was taken from (it holds the headline's words),
    else of its first listed news source with one (the summary lists them earliest first),
    else of its first labelled source (opinion, live, review). By `item_id` in `images`."""
    wanted = " ".join(headline.casefold().split())
    news = [i for i, s in enumerate(sources) if not s.label]
    titled = [i for i in news if wanted and wanted in " ".join(sources[i].title.casefold().split())]
    ranked = titled + news + [i for i, s in enumerate(sources) if s.label]
    for index in ranked:
        image = images.get(sources[index].item_id or "")
        if image:
            return image, index
    return None
