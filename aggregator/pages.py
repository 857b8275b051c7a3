"""Server-rendered HTML: the front page, category pages, story pages; robots.txt and the favicon.

No JavaScript; one small inline stylesheet that reads well on a phone. Every page carries a
canonical link, a description and OpenGraph tags, and autodiscovery links for its feeds.
Pages that list stories take `now` (ranked by `ranking.rank`, as the digest is) and the
set of categories with a daily email, for the "Get a daily email" line (empty: hidden).
"""

from __future__ import annotations

import html
import math
import struct
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from aggregator.models import Story
from aggregator.publish import (
    ALL_SLUG,
    ENGLISH,
    FEED_FORMATS,
    FEED_MEDIA_TYPES,
    FORMAT_LABELS,
    PICTURES,
    PublishSettings,
    all_title,
    category_url,
    clean,
    clock_time,
    digest_line,
    esc,
    excerpt,
    feed_url,
    flavour_name,
    headline,
    link,
    local_time,
    ours_in,
    outlet_count,
    page_language,
    picture,
    picture_html,
    safe_url,
    search_url,
    sources_url,
    story_feed_url,
    story_html_body,
    story_language,
    story_url,
    subscribe_url,
    text_direction,
    time_tag,
    utc,
)
from aggregator.ranking import rank
from aggregator.search_query import Query, match_expression, parse_query
from aggregator.search_query import fold_word as _fold_word
from aggregator.site_words import Words
from aggregator.slugs import slugify

_CSS = """
body{font:1rem/1.5 system-ui,sans-serif;max-width:42rem;margin:0 auto;padding:0 1rem;color:#222;
background:#fff;overflow-wrap:break-word}
a{color:#0645ad}a:visited{color:#5a3696}
header,footer{padding:.75rem 0;color:#555}header a{font-weight:bold;text-decoration:none}
h1{font-size:1.5rem;line-height:1.25}h2{font-size:1.15rem;margin-bottom:.25rem}
section>h2{font-size:1.3rem;border-bottom:2px solid #222;margin-top:2rem}
h3{font-size:1.05rem;margin:.9rem 0 .15rem}
.meta{color:#555;font-size:.9rem;margin-top:0}.lead{margin:.2rem 0}
.digest{background:#f3f5f9;padding:.5rem .75rem;border-radius:.3rem}
mark{background:#fdeb9a;color:inherit;padding:0 .1em;border-radius:.15em}
figure.picture{margin:.5rem 0 1rem}figure.picture img{display:block;max-width:100%;height:auto;
aspect-ratio:16/9;object-fit:cover;border-radius:.3rem;background:#eef0f3}
figcaption{color:#555;font-size:.8rem}
img.thumb{float:right;width:7rem;height:auto;aspect-ratio:16/9;object-fit:cover;
margin:.2rem 0 .3rem .75rem;border-radius:.2rem;background:#eef0f3}
article::after{content:"";display:block;clear:both}
li{margin:.3rem 0}ol{font-size:.9rem}article{border-bottom:1px solid #ddd;padding-bottom:.5rem}
ul{padding-inline:1.5rem}
:lang(ar),:lang(fa){font-family:"Noto Naskh Arabic","Noto Sans Arabic","Geeza Pro",
"Segoe UI",Tahoma,sans-serif}
:lang(ur){font-family:"Noto Nastaliq Urdu","Jameel Noori Nastaleeq","Urdu Typesetting",
"Noto Naskh Arabic","Geeza Pro",Tahoma,sans-serif;line-height:1.9}
:lang(zh){font-family:"Noto Sans CJK SC","PingFang SC","Hiragino Sans GB","Microsoft YaHei",
sans-serif}:lang(zh-TW),:lang(zh-HK),:lang(zh-Hant){font-family:"Noto Sans CJK TC",
"PingFang TC","Microsoft JhengHei",sans-serif}
:lang(ja){font-family:"Noto Sans CJK JP","Hiragino Sans","Hiragino Kaku Gothic ProN",
"Yu Gothic",Meiryo,sans-serif}
:lang(ko){font-family:"Noto Sans CJK KR","Apple SD Gothic Neo","Malgun Gothic",sans-serif}
nav.pages{display:flex;justify-content:space-between;margin:1rem 0}
header{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:.5rem}
form.search{display:flex;gap:.25rem}form.search input{font:inherit;width:12rem;max-width:60vw}
form.signup{display:flex;flex-wrap:wrap;gap:.25rem}form.signup input{font:inherit;width:18rem;
max-width:80vw}form button{font:inherit}.away{position:absolute;left:-9999px;width:1px}
@media (prefers-color-scheme:dark){body{background:#111;color:#ddd}a{color:#8ab4f8}
a:visited{color:#c58af9}.meta,header,footer,figcaption{color:#aaa}section>h2{border-color:#ddd}
.digest{background:#1d2330}mark{background:#403610}figure.picture img,img.thumb{background:#22262e}}
""".strip()
# Says the pages follow the reader's colour scheme: in dark mode the browser draws the
# search box, buttons and scrollbars dark, and a page without the style (404, 503) dark too.
COLOR_SCHEME_META = '<meta name="color-scheme" content="light dark">'

FAVICON_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    b'<rect width="16" height="16" rx="3" fill="#0645ad"/>'
    b'<path d="M4 4.5h8M4 8h8M4 11.5h5" stroke="#fff" stroke-width="1.6" '
    b'stroke-linecap="round"/></svg>\n'
)


def favicon_ico() -> bytes:
    """A 16×16 ICO of the same mark (blue square, three white lines), built without tools."""
    size = 16
    blue, white, clear = (0xAD, 0x45, 0x06, 0xFF), (0xFF, 0xFF, 0xFF, 0xFF), (0, 0, 0, 0)
    rows = []
    for y in range(size - 1, -1, -1):  # BMP rows run bottom-up
        row = []
        for x in range(size):
            corner = min(x, size - 1 - x) + min(y, size - 1 - y) < 2
            line = y in (4, 5, 8, 9, 12, 13) and 4 <= x < (10 if y >= 12 else 12)
            row.append(clear if corner else white if line else blue)
        rows.append(b"".join(bytes(px) for px in row))
    pixels = b"".join(rows)
    mask = b"\x00" * (4 * size)  # 1-bit AND mask, rows padded to 32 bits; alpha does the work
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, len(pixels), 0, 0, 0, 0)
    image = header + pixels + mask
    directory = struct.pack("<HHH", 0, 1, 1) + struct.pack(
        "<BBBBHHII", size, size, 0, 0, 1, 32, len(image), 22
    )
    return directory + image


def opensearch_xml(settings: PublishSettings) -> str:
    """The site's OpenSearch description (https://github.com/dewitt/opensearch): a browser
    offers the site as a search engine from it. Its short name is at most 16 characters."""
    name = clean(settings.site_title) or "aggregator"
    short = name if len(name) <= 16 else name[:15].rstrip() + "…"
    base = settings.base_url
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">\n'
        f"<ShortName>{esc(short)}</ShortName>\n"
        f"<Description>{esc(settings.words('search_opensearch', site=name))}</Description>\n"
        "<InputEncoding>UTF-8</InputEncoding>\n"
        f'<Url type="text/html" template="{esc(base)}search?q={{searchTerms}}"/>\n'
        f'<Url type="application/atom+xml" template="{esc(base)}search.atom?q={{searchTerms}}"/>\n'
        f'<Url type="application/opensearchdescription+xml" rel="self" '
        f'template="{esc(base)}opensearch.xml"/>\n'
        "</OpenSearchDescription>\n"
    )


def robots_txt(settings: PublishSettings) -> str:
    """Everything may be crawled but search results and proxied pictures (each a fetch from
    an outlet); the feed list points crawlers at the feeds."""
    path = urlsplit(settings.base_url).path or "/"
    search = f"Disallow: {path}search\n" if settings.search else ""
    if settings.picture_proxy != "off":
        search += f"Disallow: {path}{PICTURES}/\n"
    return f"User-agent: *\n{search}Allow: /\n\n# Every feed: {settings.base_url}feeds.opml\n"


# --- the page frame ---------------------------------------------------------------------------


def _alternate(fmt: str, label: str, url: str) -> str:
    """One autodiscovery <link>: a feed of format `fmt`, named `label` and its format."""
    return (
        f'<link rel="alternate" type="{FEED_MEDIA_TYPES[fmt]}" '
        f'title="{esc(f"{label} ({FORMAT_LABELS[fmt]})")}" '
        f'href="{html.escape(url, quote=True)}">'
    )


def _category_links(story: Story, settings: PublishSettings) -> str:
    """Links to the story's categories, its main one first ("World News · Business")."""
    names = [n for n in dict.fromkeys((story.category, *story.categories)) if clean(n)]
    return " · ".join(link(category_url(slugify(n), settings), esc(n)) for n in names)


def _follow_links(story: Story, settings: PublishSettings) -> str:
    """Links to a story's own feed, in each format: each update of it as an item."""
    return " · ".join(
        f'<a href="{html.escape(story_feed_url(story.id, fmt, settings), quote=True)}">'
        f"{FORMAT_LABELS[fmt]}</a>"
        for fmt in FEED_FORMATS
    )


def _alternates(name: str, slug: str, settings: PublishSettings, top: bool = True) -> list[str]:
    """Autodiscovery <link>s: every format, and the "top stories" flavour too."""
    return [
        _alternate(
            fmt,
            flavour_name(name, flavour, settings.words),
            feed_url(slug, fmt, settings, flavour),
        )
        for flavour in ((False, True) if top else (False,))
        for fmt in FEED_FORMATS
    ]


def _feed_links(slug: str, settings: PublishSettings) -> str:
    """Visible links to a category's feeds."""
    links = [
        f'<a href="{html.escape(feed_url(slug, fmt, settings), quote=True)}">'
        f"{FORMAT_LABELS[fmt]}</a>"
        for fmt in FEED_FORMATS
    ]
    top = html.escape(feed_url(slug, "atom", settings, top=True), quote=True)
    words = settings.words
    return (
        f"{words('feeds')} "
        + " · ".join(links)
        + f' · <a href="{top}">{words("top_stories_link")}</a>'
    )


def _page(
    title: str,
    main: str,
    settings: PublishSettings,
    *,
    canonical: str,
    description: str,
    alternates: Sequence[str],
    og_type: str = "website",
    lang: str | None = None,
    extra_meta: Sequence[str] = (),
    header: bool = True,
    search_box: bool = True,
) -> str:
    """A whole page. Its header links the front page by the site's title, and holds the
    search box where the site offers search (`search_box` false: the page has its own); the
    front page itself has none (its heading is that title: it was shown twice)."""
    site = esc(settings.site_title)
    ours = ours_in(lang, settings) if lang else ""  # (a story's page: the frame is ours)
    head_title = esc(title)
    if head_title != site:
        head_title = f"{head_title} · {site}"
    canonical_attr = html.escape(canonical, quote=True)
    description_attr = esc(description)
    return "\n".join(
        [
            "<!doctype html>",
            f'<html lang="{esc(lang or page_language(settings))}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            COLOR_SCHEME_META,
            f"<title>{head_title}</title>",
            f'<meta name="description" content="{description_attr}">',
            f'<link rel="canonical" href="{canonical_attr}">',
            f'<link rel="icon" href="{esc(settings.base_url)}favicon.svg" type="image/svg+xml">',
            f'<meta property="og:site_name" content="{site}">',
            f'<meta property="og:title" content="{esc(title)}">',
            f'<meta property="og:description" content="{description_attr}">',
            f'<meta property="og:type" content="{og_type}">',
            f'<meta property="og:url" content="{canonical_attr}">',
            *extra_meta,
            *alternates,
            *(
                [
                    '<link rel="search" type="application/opensearchdescription+xml" '
                    f'title="{site}" href="{esc(settings.base_url)}opensearch.xml">'
                ]
                * settings.search
            ),
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            *(
                [
                    f'<header{ours}><a href="{esc(settings.base_url)}">{site}</a>'
                    f"{search_form(settings) if search_box else ''}</header>"
                ]
                * header
            ),
            "<main>",
            main,
            "</main>",
            f"<footer{ours}>{settings.words('footer')} "
            f'<a href="{esc(settings.base_url)}feeds.opml">{settings.words("all_feeds")}</a>'
            f' · <a href="{esc(sources_url(settings))}">{settings.words("sources_title")}</a>'
            "</footer>",
            "</body>",
            "</html>",
            "",
        ]
    )


def search_form(settings: PublishSettings, query: str = "") -> str:
    """The search box (GET /search?q=…), where the site offers search; else nothing."""
    if not settings.search:
        return ""
    value = f' value="{esc(query)}"' if query else ""
    words = settings.words
    asks = esc(words("search_stories"))
    return (
        f'<form class="search" role="search" action="{esc(settings.base_url)}search" '
        f'method="get"><input type="search" name="q"{value} maxlength="{MAX_QUERY}" '
        f'placeholder="{asks}" aria-label="{asks}"><button>{words("search_button")}</button>'
        "</form>"
    )


MAX_QUERY = 200  # characters of a search that are read


HONEYPOT = "comment"  # the sign-up form's field people never see and robots fill in (no
# browser fills in a field of that name for its user: "website" or "url" would be)


def signup_form(action: str, settings: PublishSettings, value: str = "") -> str:
    """The daily email's sign-up form: an address, posted to `action`; and a field off
    screen, hidden from assistive technology and the tab order, that only robots fill in
    (`HONEYPOT`: such a sign-up is answered as any other and goes no further)."""
    words = settings.words
    label = esc(words("email_address"))
    given = f' value="{esc(value)}"' if value else ""
    return (
        f'<form class="signup" method="post" action="{esc(action)}">'
        f'<input type="email" name="email" required maxlength="254" autocomplete="email"'
        f'{given} placeholder="{label}" aria-label="{label}">'
        f'<input class="away" type="text" name="{HONEYPOT}" tabindex="-1" autocomplete="off" '
        'aria-hidden="true">'
        f"<button>{words('subscribe')}</button></form>"
    )


def button_form(action: str, label: str) -> str:
    """A form of one button that posts to `action` (a link's page asks before it acts:
    mail scanners open links, and must not subscribe or unsubscribe anyone)."""
    return f'<form method="post" action="{esc(action)}"><button>{esc(label)}</button></form>'


def render_signup_html(
    title: str, paragraphs: Sequence[str], settings: PublishSettings, *, slug: str, name: str
) -> str:
    """A page of the sign-up's steps (asked, confirm, subscribed, unsubscribed, a link gone
    stale): `paragraphs` are safe HTML; the page links the category. Kept out of search
    engines."""
    every = settings.words("all_category_stories", name=esc(name))
    main = "\n".join(
        [
            f"<h1>{esc(title)}</h1>",
            *paragraphs,
            f'<p class="meta">{link(category_url(slug, settings), every)}</p>',
        ]
    )
    return _page(
        title,
        main,
        settings,
        canonical=subscribe_url(slug, settings),
        description=settings.words("digest_offer", name=clean(name)),
        alternates=(),
        extra_meta=['<meta name="robots" content="noindex">'],
    )


def search_help(settings: PublishSettings) -> str:
    """The line under the search box on how to ask (words, "phrases", -word, OR)."""
    return f'<p class="meta">{settings.words("search_help")}</p>'


def _lang_attrs(language: str) -> str:
    """A story block's own `lang` and `dir`: a category page mixes languages and scripts."""
    return f' lang="{esc(language)}" dir="{text_direction(language)}"'


def _meta_line(story: Story, settings: PublishSettings, ours: str) -> str:
    count = outlet_count(story)
    meta = time_tag(story.updated, settings.zone(), settings.words)
    if count:
        meta += f" · {settings.words.count('sources', count)}"
    return f'<p class="meta"{ours}>{meta}</p>'


def _story_teaser(
    story: Story, settings: PublishSettings, level: str = "h3", found: Query | None = None
) -> str:
    """Headline, time and source count, and the lead bullet; in search results (`found`: the
    query), the bullet holding most of the words asked for in its place, those words marked."""
    shown = headline(story, settings.words)
    title = _marked(shown, found) if found is not None else esc(shown)
    language = story_language(story, settings)
    lines = [
        f"<article{_lang_attrs(language)}>",
        f"<{level}>{link(story_url(story, settings), title)}</{level}>",
        _meta_line(story, settings, ours_in(language, settings)),
    ]
    thumb = picture_html(picture(story, settings), thumb=True, words=settings.words)
    if thumb:
        lines.insert(1, thumb)
    if story.summary is not None and story.summary.bullets:
        texts = [bullet.text for bullet in story.summary.bullets]
        if found is None:
            lead = esc(texts[0])
        else:  # the bullet holding most of the words asked for (the first of equals)
            held = [len({_fold_word(t) for t, m in found.marks(text) if m}) for text in texts]
            lead = _marked(texts[held.index(max(held))], found)
        lines.append(f'<p class="lead" dir="auto">{lead}</p>')
    lines.append("</article>")
    return "\n".join(lines)


def _marked(text: str, found: Query) -> str:
    """`text` escaped (`esc`), the words of a search in it in `<mark>`."""
    pieces = found.marks(clean(text))  # (cleaned whole: `esc` would trim each piece's spaces)
    return "".join(
        f"<mark>{html.escape(t, quote=True)}</mark>" if m else html.escape(t, quote=True)
        for t, m in pieces
    )


# --- the pages --------------------------------------------------------------------------------


def front_page_picks(
    categories: Sequence[tuple[str, Sequence[Story]]], settings: PublishSettings, now: datetime
) -> list[list[Story]]:
    """Each category's top stories for the front page (`categories`: name and candidates, in
    page order; `front_page_share` of them each), every story once: a story in several
    categories shows under its main one when that one is on the page, else under the first
    that lists it, and the next story by rank takes the place it leaves. Category pages and
    feeds still list all of theirs."""
    names = {name for name, _ in categories}
    share = settings.front_page_share(len(categories))
    shown: set[str] = set()
    picks: list[list[Story]] = []
    for name, stories in categories:
        top = [
            story
            for story in rank(stories, now)
            if story.id not in shown and (story.category == name or story.category not in names)
        ][:share]
        shown.update(story.id for story in top)
        picks.append(top)
    return picks


def render_index_html(
    categories: Sequence[tuple[str, str, Sequence[Story]]],
    settings: PublishSettings,
    now: datetime,
    digests: Collection[str] = frozenset(),
) -> str:
    """The front page: per category its top stories, by outlets covering them and recency."""
    words = settings.words
    sections = [f"<h1>{esc(settings.site_title)}</h1>"]
    if settings.search:
        sections.append(search_form(settings))
    alternates = _alternates(all_title(settings), ALL_SLUG, settings)
    picks = front_page_picks([(name, stories) for name, _, stories in categories], settings, now)
    for (name, slug, _), top in zip(categories, picks, strict=True):
        alternates += _alternates(name, slug, settings, top=False)
        lines = [
            "<section>",
            f"<h2>{link(category_url(slug, settings), esc(name))}</h2>",
        ]
        lines += [_story_teaser(story, settings) for story in top]
        if not top:
            lines.append(f"<p>{words('no_stories')}</p>")
        more = words("more_category", name=esc(name))
        lines.append(
            f'<p class="meta">{link(category_url(slug, settings), more)} · '
            f"{_feed_links(slug, settings)}</p>"
        )
        if digest := digest_line(name, settings, digests):
            lines.append(digest)
        lines.append("</section>")
        sections.append("\n".join(lines))
    if not categories:
        sections.append(f"<p>{words('no_categories')}</p>")
    else:
        every = link(category_url(ALL_SLUG, settings), esc(all_title(settings)))
        sections.append(f'<p class="meta">{every} · {_feed_links(ALL_SLUG, settings)}</p>')
    return _page(
        settings.site_title,
        "\n".join(sections),
        settings,
        canonical=settings.base_url,
        description=settings.site_description,
        alternates=alternates,
        header=False,
    )


def render_sources_html(rows: Sequence[Mapping[str, Any]], settings: PublishSettings) -> str:
    """The outlets the stories are summarised from (`Reader.outlets`' rows, in the OPML's
    order), by category: each named as its reports are, linked to its site where the OPML or
    its feed gives an http(s) one, with how many reports it brought in the last seven days.
    No feed's address is shown (a feed may be a member's or carry a login)."""
    from aggregator.pipeline import outlet_label  # (the page only: pipeline is heavy)

    words = settings.words
    groups: dict[str, list[str]] = {}
    for row in rows:
        name = outlet_label(
            row["url"], row["title"], row["html_url"], row["feed_title"], row["link"]
        )
        label = link(safe_url(row["html_url"]) or row["link"], esc(name))
        count = words.count("sources_reports", int(row["reports"]))
        groups.setdefault(row["category"], []).append(
            f'<li>{label} <span class="meta">· {count}</span></li>'
        )
    sections = [f"<h1>{words('sources_title')}</h1>", f"<p>{words('sources_lead')}</p>"]
    for category, lines in groups.items():
        heading = link(category_url(slugify(category), settings), esc(category))
        sections.append(
            f"<section>\n<h2>{heading}</h2>\n<ul>\n{chr(10).join(lines)}\n</ul>\n</section>"
        )
    if not groups:
        sections.append(f"<p>{words('sources_none')}</p>")
    return _page(
        words("sources_title"),
        "\n".join(sections),
        settings,
        canonical=sources_url(settings),
        description=words("sources_description", site=clean(settings.site_title)),
        alternates=(),
    )


def page_count(stories: int, settings: PublishSettings) -> int:
    """How many pages a category of `stories` stories has (at least one)."""
    return max(1, math.ceil(stories / settings.page_size))


def render_category_html(
    name: str,
    slug: str,
    stories: Sequence[Story],
    settings: PublishSettings,
    now: datetime,
    *,
    page: int = 1,
    digests: Collection[str] = frozenset(),
) -> str | None:
    """One page of a category: its stories by importance, with paging; None past the end."""
    pages = page_count(len(stories), settings)
    if not 1 <= page <= pages:
        return None
    ranked = rank(stories, now)
    start = (page - 1) * settings.page_size
    shown = ranked[start : start + settings.page_size]
    words = settings.words
    title = name if page == 1 else words("category_page", name=name, page=page)
    parts = [f"<h1>{esc(title)}</h1>", f'<p class="meta">{_feed_links(slug, settings)}</p>']
    if page == 1 and (digest := digest_line(name, settings, digests)):
        parts.append(digest)
    parts += [_story_teaser(story, settings, "h2") for story in shown]
    if not shown:
        parts.append(f"<p>{words('no_stories')}</p>")
    if pages > 1:
        newer = (
            link(category_url(slug, settings, page - 1), words("more_important"))
            if page > 1
            else ""
        )
        older = (
            link(category_url(slug, settings, page + 1), words("less_important"))
            if page < pages
            else ""
        )
        parts.append(f'<nav class="pages"><span>{newer}</span><span>{older}</span></nav>')
    description = f"{clean(name)}: {clean(settings.site_description)}"
    return _page(
        title,
        "\n".join(parts),
        settings,
        canonical=category_url(slug, settings, page),
        description=description,
        alternates=_alternates(name, slug, settings),
    )


def render_search_html(
    query: str, found: int, stories: Sequence[Story], settings: PublishSettings, page: int = 1
) -> str:
    """A page of search results: the stories that match `query` (`search_query`), newest
    change first, `settings.page_size` a page, under a line on how to ask. Not for search
    engines (`noindex`)."""
    words = settings.words
    title = words("search_title_for", query=query) if query.strip() else words("search_title")
    parts = [f"<h1>{words('search_title')}</h1>", search_form(settings, query)]
    parts.append(search_help(settings))
    alternates = []
    if match_expression(query) is not None:  # (a search without words has no feed: `Site`)
        follow = []
        for fmt in FEED_FORMATS:
            url = search_url(query, settings, fmt=fmt)
            alternates.append(_alternate(fmt, words.quoted(query), url))
            follow.append(f'<a href="{html.escape(url, quote=True)}">{FORMAT_LABELS[fmt]}</a>')
        # a feed of the search: its new stories in a reader, as they come
        parts.append(f'<p class="meta">{words("follow_search")} {" · ".join(follow)}</p>')
    if query.strip():
        quoted = words.quoted(esc(query))
        if found:
            parts.append(f'<p class="meta">{words.count("search_found", found, query=quoted)}</p>')
        else:
            parts.append(f"<p>{words('search_none', query=quoted)}</p>")
    asked = parse_query(query)
    parts += [_story_teaser(story, settings, "h2", asked) for story in stories]
    pages = page_count(found, settings)
    if pages > 1:
        newer = link(search_url(query, settings, page - 1), words("newer")) if page > 1 else ""
        older = link(search_url(query, settings, page + 1), words("older")) if page < pages else ""
        parts.append(f'<nav class="pages"><span>{newer}</span><span>{older}</span></nav>')
    return _page(
        title,
        "\n".join(parts),
        settings,
        canonical=search_url(query, settings, page),
        description=words("search_description", site=clean(settings.site_title)),
        alternates=alternates,
        extra_meta=['<meta name="robots" content="noindex">'],
        search_box=False,
    )


# The mark of the site's 404 page, by which a static export knows a 404.html it wrote from an
# operator's own (`export`).
GENERATOR_META = '<meta name="generator" content="aggregator">'


def render_not_found_html(home: str | None = None, words: Words = ENGLISH) -> str:
    """A small plain page for an address the site does not have, in the site's `words`; with
    `home`, a link to the front page (a reader who followed an old item to a story since
    pruned can go on from there). The server answers it with a 404; a static export writes it
    as 404.html, which static hosts send for such an address."""
    way_on = f'<p><a href="{html.escape(home)}">{words("front_page")}</a></p>' if home else ""
    title = words("not_found")
    return (
        f'<!doctype html>\n<html lang="{words.language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{COLOR_SCHEME_META}{GENERATOR_META}<title>{title}</title></head>\n<body><h1>{title}</h1>"
        f"<p>{words('nothing_here')}</p>{way_on}</body></html>\n"
    )


def render_moved_html(
    name: str, slug: str, settings: PublishSettings, target: str | None = None
) -> str:
    """What a static export writes at a renamed category's former address: a page that sends
    the reader on to the category's page now, or to `target`, its page there of the same kind
    (a later page, the subscribe page; a web server answers 301 there instead)."""
    target = target or category_url(slug, settings)
    target_attr = html.escape(target, quote=True)
    moved = settings.words("moved", link=f'<a href="{target_attr}">{esc(name)}</a>')
    moved = f"<p>{moved}</p>"
    main = f"<h1>{esc(name)}</h1>\n{moved}"
    return _page(
        name,
        main,
        settings,
        canonical=target,
        description=f"{clean(name)}: {clean(settings.site_description)}",
        alternates=_alternates(name, slug, settings),
        extra_meta=[f'<meta http-equiv="refresh" content="0; url={target_attr}">'],
    )


def render_story_moved_html(name: str, story: Story, settings: PublishSettings) -> str:
    """What a static export writes at a merged story's address: a page that sends the reader
    on to the story it joined (`name`, its headline; a web server answers 301 there)."""
    target = story_url(story, settings)
    target_attr = html.escape(target, quote=True)
    moved = settings.words("moved", link=f'<a href="{target_attr}">{esc(name)}</a>')
    return _page(
        name,
        f"<h1>{esc(name)}</h1>\n<p>{moved}</p>",
        settings,
        canonical=target,
        description=excerpt(story, 200, settings.words),
        alternates=[],
        extra_meta=[f'<meta http-equiv="refresh" content="0; url={target_attr}">'],
    )


def _story_times(story: Story, settings: PublishSettings) -> str:
    """When the story was first seen, and when it last changed if that was later ("updated
    07:42 UTC" on the same day, the day as the site's zone has it)."""
    zone, words = settings.zone(), settings.words
    first, last = local_time(story.first_seen, zone), local_time(story.updated, zone)
    # (apart in UTC: two times of one zone subtract as wall-clock times, and across a change
    # of the clocks an hour's update had read as none)
    if utc(story.updated) - utc(story.first_seen) < timedelta(minutes=1):
        return time_tag(last, zone, words)
    if last.date() == first.date():
        later = (
            f'<time datetime="{utc(last).isoformat(timespec="seconds")}">{clock_time(last)}</time>'
        )
    else:
        later = time_tag(last, zone, words)
    return f"{time_tag(first, zone, words)} · {words('updated_at', time=later)}"


def render_story_html(
    story: Story,
    settings: PublishSettings,
    more: Sequence[Story],
    digests: Collection[str] = frozenset(),
) -> str:
    """One story: headline, date, bullets, "Summary based on N sources", the daily email
    line, "More stories"."""
    words = settings.words
    name = clean(story.category)
    slug = slugify(story.category)
    category = esc(name) or words("stories")
    language = story_language(story, settings)  # (detected from its text: once)
    ours = ours_in(language, settings)
    found = picture(story, settings)
    shown = headline(story, words)
    main = "\n".join(
        [
            f"<article{_lang_attrs(language)}>",
            f"<h1>{esc(shown)}</h1>",
            f'<p class="meta"{ours}>{_story_times(story, settings)} · '
            f"{_category_links(story, settings) or category}</p>",
            picture_html(found, words=words, ours=ours),
            story_html_body(
                story,
                settings,
                more,
                "\n".join(
                    line
                    for line in (
                        f'<p class="meta"{ours}>{words("follow_story")} '
                        f"{_follow_links(story, settings)}</p>",
                        digest_line(name, settings, digests, ours),
                    )
                    if line
                ),
                linked_citations=True,
                source_times=settings.zone(),
            ),
            "</article>",
        ]
    )
    follow = [(fmt, story_feed_url(story.id, fmt, settings)) for fmt in FEED_FORMATS]
    extra = [
        f'<meta property="article:published_time" content="{utc(story.first_seen).isoformat()}">',
        f'<meta property="article:modified_time" content="{utc(story.updated).isoformat()}">',
    ]
    if name:
        extra.append(f'<meta property="article:section" content="{esc(name)}">')
    if found is not None:  # (link previews: the outlet's picture, shown large)
        extra.append(f'<meta property="og:image" content="{html.escape(found[0], quote=True)}">')
        extra.append('<meta name="twitter:card" content="summary_large_image">')
    updates = words("story_updates", headline=shown)
    return _page(
        shown,
        main,
        settings,
        canonical=story_url(story, settings),
        description=excerpt(story, 200, words),
        alternates=[
            *(_alternate(fmt, updates, own) for fmt, own in follow),
            *_alternates(name or slug, slug, settings),
        ],
        og_type="article",
        lang=language,
        extra_meta=extra,
    )


def render_subscribe_html(
    name: str,
    slug: str,
    settings: PublishSettings,
    *,
    schedule: str,
    count: int,
    contact: str,
    form: bool = False,
) -> str:
    """How to get a category's daily email: where readers sign up themselves (`form`, the
    `[digest] self_service` of a site `aggregator run` serves), a form for their address;
    else whom to write to, as the operator adds readers.

    `schedule` says when it goes out (e.g. "07:00 (Europe/Berlin)"); `contact` is the address
    readers write to, to subscribe or to unsubscribe.
    """
    words = settings.words
    label = esc(name)
    address = esc(contact)
    asked = words("subscribe_subject", name=name)
    mail = html.escape(f"mailto:{contact}?subject={quote(asked)}", quote=True)
    leaving = words("unsubscribe_subject", name=name)
    leave_link = (
        f'<a href="{html.escape(f"mailto:{contact}?subject={quote(leaving)}", quote=True)}">'
        f"{address}</a>"
    )
    if form:
        how = [
            f"<p>{words('subscribe_self_how')}</p>",
            signup_form(subscribe_url(slug, settings), settings),
            f"<h2>{words('unsubscribe')}</h2>",
            f"<p>{words('unsubscribe_self_how')}</p>",
            # (the readers the settings list get no link of their own: their email's
            # "write to …, details:" leads here)
            f"<p>{words('unsubscribe_listed_how', address=leave_link)}</p>",
        ]
    else:
        how = [
            "<p>"
            + words("subscribe_how", address=f'<a href="{mail}">{address}</a>', name=label)
            + "</p>",
            f"<h2>{words('unsubscribe')}</h2>",
            f"<p>{words('unsubscribe_how', address=address)}</p>",
        ]
    main = "\n".join(
        [
            f"<h1>{words('digest_offer', name=label)}</h1>",
            f"<p>{words.count('digest_when', count, schedule=esc(schedule), name=label)}</p>",
            f"<h2>{words('subscribe')}</h2>",
            *how,
            f'<p class="meta">'
            f"{link(category_url(slug, settings), words('all_category_stories', name=label))} · "
            f"{_feed_links(slug, settings)}</p>",
        ]
    )
    return _page(
        words("digest_page_title", name=name),
        main,
        settings,
        canonical=subscribe_url(slug, settings),
        description=words("digest_offer", name=clean(name)),
        alternates=_alternates(name, slug, settings),
    )
