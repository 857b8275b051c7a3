"""Republishing: Atom / RSS 2.0 feeds (the only feedgen importer) and server-rendered HTML pages.

Everything that came from upstream (headlines, bullets, outlet names, titles, URLs) is treated as
plain text: control characters XML cannot carry are dropped, the rest is escaped with
``html.escape(quote=True)``, and only absolute http(s) URLs ever become links.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import quote, urlsplit

from feedgen.feed import FeedGenerator

from aggregator import PROJECT_URL, __version__
from aggregator.models import SourceRef, Story

FeedFormat = Literal["atom", "rss"]
FEED_FORMATS: tuple[FeedFormat, ...] = ("atom", "rss")
FEED_MEDIA_TYPES: dict[str, str] = {
    "atom": "application/atom+xml",
    "rss": "application/rss+xml",
}
MORE_STORIES = 5  # "More stories" links under a story

# Characters XML 1.0 cannot carry (lxml refuses them); dropped from everything we publish.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_SLUG_WORDS = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class PublishSettings:
    """How published feeds and pages look and where they live."""

    base_url: str = "http://127.0.0.1:8080/"  # public base URL; every absolute link starts here
    site_title: str = "aggregator"
    max_items: int = 50  # stories per feed and category page
    language: str = "en"
    max_age: int = 300  # Cache-Control max-age (seconds) for served pages and feeds

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an absolute http(s) URL, got {self.base_url!r}")
        if not self.base_url.endswith("/"):
            object.__setattr__(self, "base_url", self.base_url + "/")
        if self.max_items < 1:
            raise ValueError("max_items must be at least 1")


# --- URLs -----------------------------------------------------------------------------------


def slugify(name: str) -> str:
    """Lower-case ASCII words joined by "-"; never empty ("category" as a last resort)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return "-".join(_SLUG_WORDS.findall(ascii_name.lower())) or "category"


def feed_url(slug: str, fmt: FeedFormat, settings: PublishSettings) -> str:
    """Absolute URL of a category feed."""
    return f"{settings.base_url}feeds/{slug}.{fmt}"


def category_url(slug: str, settings: PublishSettings) -> str:
    """Absolute URL of a category page."""
    return f"{settings.base_url}{slug}/"


def story_url(story: Story, settings: PublishSettings) -> str:
    """Absolute URL of a story page."""
    return f"{settings.base_url}stories/{quote(story.id, safe='')}"


def subscribe_url(slug: str, settings: PublishSettings) -> str:
    """Absolute URL of the page saying how to get a category's daily email digest."""
    return f"{settings.base_url}{slug}/subscribe"


def story_uri(story: Story) -> str:
    """The story's permanent id in feeds (Atom id, RSS guid): never changes."""
    return f"urn:aggregator:story:{quote(story.id, safe='')}"


def _safe_url(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) URL, else None (it must not become a link)."""
    if not url:
        return None
    url = url.strip()
    if any(ch.isspace() for ch in url) or _XML_INVALID.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


# --- text -----------------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    """Upstream text made safe to put in XML: invalid characters dropped, whitespace trimmed."""
    return _XML_INVALID.sub("", text or "").strip()


def _esc(text: str | None) -> str:
    return html.escape(_clean(text), quote=True)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _human_date(moment: datetime) -> str:
    moment = _utc(moment)
    return f"{moment:%B} {moment.day}, {moment.year}"


def _time(moment: datetime) -> str:
    moment = _utc(moment)
    return f'<time datetime="{moment.isoformat()}">{_human_date(moment)}</time>'


def _link(url: str | None, text: str) -> str:
    """An <a> around already-escaped text when the URL is safe; the bare text otherwise."""
    safe = _safe_url(url)
    if safe is None:
        return text
    return f'<a href="{html.escape(safe, quote=True)}">{text}</a>'


def headline(story: Story) -> str:
    """The story's display headline (plain text, cleaned)."""
    text = _clean(story.headline)
    if not text and story.summary is not None:
        text = _clean(story.summary.headline)
    return text or "Untitled story"


def _source_label(source: SourceRef) -> str:
    outlet, title = _clean(source.outlet), _clean(source.title)
    if outlet and title:
        return f"{outlet} — {title}"
    return outlet or title or urlsplit(_safe_url(source.url) or "").netloc or "Untitled source"


# --- the item body --------------------------------------------------------------------------


def story_html_body(story: Story, settings: PublishSettings, more: Sequence[Story] = ()) -> str:
    """The body of a story item: bullets with numbered source links, sources, more stories."""
    parts: list[str] = []
    summary = story.summary
    if summary is None:
        parts.append("<p>Summary not available yet.</p>")
    else:
        bullets = []
        for bullet in summary.bullets:
            refs = [
                _link(summary.sources[i].url, f"[{i + 1}]")
                for i in dict.fromkeys(bullet.sources)
                if 0 <= i < len(summary.sources)
            ]
            tail = (" " + "".join(refs)) if refs else ""
            bullets.append(f"<li>{_esc(bullet.text)}{tail}</li>")
        if bullets:
            parts.append("<ul>\n" + "\n".join(bullets) + "\n</ul>")
        count = summary.outlet_count
        noun = "source" if count == 1 else "sources"
        parts.append(f"<p>Summary based on {count} {noun}:</p>")
        if summary.sources:
            items = "\n".join(
                f"<li>{_link(source.url, html.escape(_source_label(source), quote=True))}</li>"
                for source in summary.sources
            )
            parts.append(f"<ol>\n{items}\n</ol>")
    others = [other for other in more if other.id != story.id][:MORE_STORIES]
    all_link = _link(category_url(slugify(story.category), settings), "More stories")
    if others:
        items = "\n".join(
            f"<li>{_link(story_url(other, settings), _esc(headline(other)))}</li>"
            for other in others
        )
        parts.append(f"<p>{all_link}:</p>\n<ul>\n{items}\n</ul>")
    else:
        parts.append(f"<p>{all_link}</p>")
    return "\n".join(parts)


# --- feeds ----------------------------------------------------------------------------------


def _newest_first(story: Story) -> tuple[float, float, str]:
    """Sort key: latest change first, then the newer story, then id (stable output)."""
    return (-_utc(story.updated).timestamp(), -_utc(story.first_seen).timestamp(), story.id)


def render_feed(
    title: str,
    slug: str,
    stories: Sequence[Story],
    fmt: FeedFormat,
    settings: PublishSettings,
    now: datetime,
) -> bytes:
    """One category feed (Atom 1.0 or RSS 2.0) as UTF-8 XML bytes: newest story first.

    Item bodies carry a "More stories" link to the category page rather than a list of other
    headlines, so an item's content changes only when its own story does.
    """
    if fmt not in FEED_FORMATS:
        raise ValueError(f"unknown feed format {fmt!r}")
    chosen = sorted(stories, key=_newest_first)
    chosen = chosen[: settings.max_items]
    name = _clean(title) or slug
    self_url = feed_url(slug, fmt, settings)
    fg = FeedGenerator()
    fg.id(self_url)
    fg.title(f"{_clean(settings.site_title)}: {name}")
    fg.subtitle(f"{name}: news stories, each summarised from all the outlets that covered it")
    fg.author({"name": _clean(settings.site_title) or "aggregator"})
    fg.link(href=self_url, rel="self", type=FEED_MEDIA_TYPES[fmt])
    fg.link(href=category_url(slug, settings), rel="alternate", type="text/html")
    fg.language(settings.language)
    fg.generator("aggregator", version=__version__, uri=PROJECT_URL)
    fg.updated(_utc(chosen[0].updated) if chosen else _utc(now))
    for story in chosen:
        fe = fg.add_entry(order="append")
        uri = story_uri(story)
        fe.id(uri)
        fe.guid(uri, permalink=False)
        fe.title(headline(story))
        fe.link(href=story_url(story, settings), rel="alternate", type="text/html")
        fe.published(_utc(story.first_seen))
        fe.updated(_utc(story.updated))
        terms = [_clean(c) for c in dict.fromkeys((story.category, *story.categories))]
        if any(terms):
            fe.category([{"term": term} for term in terms if term])
        # _clean again: a last guard so one odd character can never break the whole feed
        fe.content(_clean(story_html_body(story, settings)), type="html")
    if fmt == "atom":
        return fg.atom_str(pretty=True, encoding="UTF-8")
    return fg.rss_str(pretty=True, encoding="UTF-8")


# --- pages ----------------------------------------------------------------------------------

_CSS = """
body{font:1rem/1.5 system-ui,sans-serif;max-width:42rem;margin:0 auto;padding:0 1rem;color:#222;
background:#fff}
a{color:#0645ad}a:visited{color:#5a3696}
header,footer{padding:.75rem 0;color:#555}header a{font-weight:bold;text-decoration:none}
h1{font-size:1.5rem;line-height:1.25}h2{font-size:1.15rem;margin-bottom:.25rem}
.meta{color:#555;font-size:.9rem;margin-top:0}
li{margin:.3rem 0}ol{font-size:.9rem}article{border-bottom:1px solid #ddd;padding-bottom:.5rem}
@media (prefers-color-scheme:dark){body{background:#111;color:#ddd}a{color:#8ab4f8}
a:visited{color:#c58af9}.meta,header,footer{color:#aaa}}
""".strip()


def _feed_alternates(name: str, slug: str, settings: PublishSettings) -> list[str]:
    label = _esc(name)
    return [
        f'<link rel="alternate" type="{FEED_MEDIA_TYPES[fmt]}" '
        f'title="{label} ({fmt.upper() if fmt == "rss" else "Atom"})" '
        f'href="{html.escape(feed_url(slug, fmt, settings), quote=True)}">'
        for fmt in FEED_FORMATS
    ]


def _feed_links(slug: str, settings: PublishSettings) -> str:
    atom = html.escape(feed_url(slug, "atom", settings), quote=True)
    rss = html.escape(feed_url(slug, "rss", settings), quote=True)
    return f'<a href="{atom}">Atom feed</a> · <a href="{rss}">RSS feed</a>'


def _page(title: str, main: str, settings: PublishSettings, alternates: Sequence[str]) -> str:
    site = _esc(settings.site_title)
    head_title = _esc(title)
    if head_title != site:
        head_title = f"{head_title} · {site}"
    return "\n".join(
        [
            "<!doctype html>",
            f'<html lang="{html.escape(settings.language, quote=True)}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{head_title}</title>",
            *alternates,
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            f'<header><a href="{html.escape(settings.base_url, quote=True)}">{site}</a></header>',
            "<main>",
            main,
            "</main>",
            "<footer>Each story is summarised from the outlets that covered it; "
            "follow the numbered links to read them.</footer>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _story_list_item(story: Story, settings: PublishSettings, bullets: int) -> str:
    lines = [
        "<article>",
        f"<h2>{_link(story_url(story, settings), _esc(headline(story)))}</h2>",
    ]
    meta = _time(story.updated)
    if story.summary is not None:
        count = story.summary.outlet_count
        meta += f" · {count} {'source' if count == 1 else 'sources'}"
    lines.append(f'<p class="meta">{meta}</p>')
    if story.summary is not None and bullets and story.summary.bullets:
        shown = story.summary.bullets[:bullets]
        lines.append("<ul>" + "".join(f"<li>{_esc(b.text)}</li>" for b in shown) + "</ul>")
    lines.append("</article>")
    return "\n".join(lines)


def _digest_line(name: str, slug: str, settings: PublishSettings) -> str:
    """ "Get a daily email with more <Category> stories", linked to how to subscribe."""
    text = f"Get a daily email with more {_esc(name)} stories"
    return f'<p class="digest">{_link(subscribe_url(slug, settings), text)}</p>'


def render_index_html(
    categories: Sequence[tuple[str, str, Sequence[Story]]],
    settings: PublishSettings,
    digest_categories: Collection[str] = frozenset(),
) -> str:
    """The front page: every category with its page, its feeds and its latest headlines.

    Categories in `digest_categories` link to how to get their daily email.
    """
    sections = [f"<h1>{_esc(settings.site_title)}</h1>"]
    alternates: list[str] = []
    for name, slug, stories in categories:
        alternates += _feed_alternates(name, slug, settings)
        lines = [
            "<section>",
            f"<h2>{_link(category_url(slug, settings), _esc(name))}</h2>",
            f'<p class="meta">{_feed_links(slug, settings)}</p>',
        ]
        if stories:
            items = "".join(
                f"<li>{_link(story_url(s, settings), _esc(headline(s)))}</li>" for s in stories
            )
            lines.append(f"<ul>{items}</ul>")
        else:
            lines.append("<p>No stories yet.</p>")
        if name in digest_categories:
            lines.append(_digest_line(name, slug, settings))
        lines.append("</section>")
        sections.append("\n".join(lines))
    if not categories:
        sections.append("<p>No categories yet.</p>")
    return _page(settings.site_title, "\n".join(sections), settings, alternates)


def render_category_html(
    name: str,
    slug: str,
    stories: Sequence[Story],
    settings: PublishSettings,
    digest_categories: Collection[str] = frozenset(),
) -> str:
    """A category page: its latest stories, newest first, with their first bullets."""
    chosen = sorted(stories, key=_newest_first)
    parts = [
        f"<h1>{_esc(name)}</h1>",
        f'<p class="meta">{_feed_links(slug, settings)}</p>',
    ]
    if name in digest_categories:
        parts.append(_digest_line(name, slug, settings))
    parts += [_story_list_item(s, settings, bullets=3) for s in chosen[: settings.max_items]]
    if not chosen:
        parts.append("<p>No stories yet.</p>")
    return _page(name, "\n".join(parts), settings, _feed_alternates(name, slug, settings))


def render_story_html(
    story: Story,
    settings: PublishSettings,
    more: Sequence[Story],
    digest_categories: Collection[str] = frozenset(),
) -> str:
    """One story: headline, date, bullets, "Summary based on N sources", "More stories",
    and "Get a daily email with more <Category> stories" when that category has a digest."""
    slug = slugify(story.category)
    category = _esc(story.category) or "Stories"
    main = "\n".join(
        [
            "<article>",
            f"<h1>{_esc(headline(story))}</h1>",
            f'<p class="meta">{_time(story.updated)} · '
            f"{_link(category_url(slug, settings), category)}</p>",
            story_html_body(story, settings, more),
            *(
                [_digest_line(story.category, slug, settings)]
                if story.category in digest_categories
                else []
            ),
            "</article>",
        ]
    )
    return _page(
        headline(story), main, settings, _feed_alternates(story.category or slug, slug, settings)
    )


def render_subscribe_html(
    name: str,
    slug: str,
    settings: PublishSettings,
    *,
    schedule: str,
    count: int,
    contact: str,
) -> str:
    """How to get a category's daily email: the operator adds readers; nothing to fill in.

    `schedule` says when it goes out (e.g. "07:00 (Europe/Berlin)"); `contact` is the address
    readers write to, to subscribe or to unsubscribe.
    """
    label = _esc(name)
    address = _esc(contact)
    mail = html.escape(f"mailto:{contact}?subject={quote(f'subscribe {name}')}", quote=True)
    main = "\n".join(
        [
            f"<h1>Get a daily email with more {label} stories</h1>",
            f"<p>Every day at {_esc(schedule)} the {label} digest brings the day's top "
            f"{count} stories: each with its summary, the outlets it is based on and a link to "
            "the full story here. Stories already sent come back only when they change.</p>",
            "<h2>Subscribe</h2>",
            f"<p>Subscriptions are kept by the people who run this site. To get the digest, "
            f'write to <a href="{mail}">{address}</a> and ask to be added to the {label} '
            "digest. There is no sign-up form: nobody can subscribe your address but you "
            "asking.</p>",
            "<h2>Unsubscribe</h2>",
            f"<p>Write to {address} and you will be removed. Mail clients that offer "
            "“unsubscribe” for the digest send that request for you.</p>",
            f'<p class="meta">{_link(category_url(slug, settings), f"All {label} stories")} · '
            f"{_feed_links(slug, settings)}</p>",
        ]
    )
    return _page(f"{name} daily email", main, settings, _feed_alternates(name, slug, settings))
