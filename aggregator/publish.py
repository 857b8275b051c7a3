"""What every published output shares: settings, URLs and ids, safe text, the story item body.

The outputs themselves live beside it: `feeds` (Atom, RSS 2.0, JSON Feed, the OPML of outputs;
the only feedgen importer), `pages` (HTML, robots.txt, favicon) and `export` (static files).

Everything that came from upstream (headlines, bullets, outlet names, titles, URLs) is treated as
plain text: control characters XML cannot carry are dropped, the rest is escaped with
``html.escape(quote=True)``, and only absolute http(s) URLs ever become links.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Literal
from urllib.parse import SplitResult, quote, urlencode, urlsplit, urlunsplit

import idna

from aggregator.item_kinds import KIND_LABELS, title_says
from aggregator.lang import detect_language, script_language, tag_script
from aggregator.models import STORY_ID_PREFIX, SourceRef, Story, Summary
from aggregator.outlet_names import bare_name
from aggregator.site_words import Words, has_words, primary_subtag, words_for
from aggregator.url_secrets import without_userinfo

from .publish_settings import PublishSettings as PublishSettings  # (re-exported)
from .slugs import slugify

FeedFormat = Literal["atom", "rss", "json"]
FEED_FORMATS: tuple[FeedFormat, ...] = ("atom", "rss", "json")
FEED_MEDIA_TYPES: dict[str, str] = {
    "atom": "application/atom+xml",
    "rss": "application/rss+xml",
    "json": "application/feed+json",
}
FORMAT_LABELS: dict[str, str] = {"atom": "Atom", "rss": "RSS", "json": "JSON Feed"}
MORE_STORIES = 5  # "More stories" links under a story
LISTED_SOURCES = 10  # sources listed under a story before "and M more" (cited ones always)
ALL_SLUG = "all"  # the feed of every category's stories: /feeds/all.atom
ALL_TITLE = "All stories"  # the all-stories feed's name in English (`Words` "all_stories")
TAG_AUTHORITY = "aggregator,2025"  # feed ids without a public base URL: tag:aggregator,2025:…
EXCERPT_CHARS = 300
_LABEL_KINDS = {label: kind for kind, label in reversed(KIND_LABELS.items())}  # (the first kind)
ENGLISH = words_for("en")

# Characters XML 1.0 cannot carry (lxml refuses them), and the two bidirectional overrides
# (U+202D, U+202E), which make a reader show what follows in reverse order, so that a title
# ending "\u202egnp.exe" reads "exe.png": dropped from everything we publish (the embeddings,
# isolates and marks that right-to-left text uses stay).
# (C1 controls too: XML allows them but a validator flags them, and U+009B is the 8-bit CSI,
# an escape sequence's start in a terminal reader such as newsboat)
_XML_INVALID = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202d\u202e\ud800-\udfff\ufffe\uffff]"
)


# --- URLs -----------------------------------------------------------------------------------


def feed_path(slug: str, fmt: str, top: bool = False) -> str:
    """Path of a feed below the base URL: feeds/<slug>.atom, feeds/<slug>/top.atom."""
    return f"feeds/{slug}/top.{fmt}" if top else f"feeds/{slug}.{fmt}"


def feed_url(slug: str, fmt: str, settings: PublishSettings, top: bool = False) -> str:
    """Absolute URL of a category feed (or of its "top stories" flavour)."""
    return settings.base_url + feed_path(slug, fmt, top)


def feed_id(slug: str, settings: PublishSettings, top: bool = False) -> str:
    """The feed's own permanent id: from the public base URL, else a host-free tag URI."""
    tail = f"feeds/{slug}/top" if top else f"feeds/{slug}"
    if settings.public_base_url:
        return settings.base_url + tail
    return f"tag:{TAG_AUTHORITY}:{tail}"


def flavour_name(name: str, top: bool, words: Words = ENGLISH) -> str:
    """A feed's name: "World News", "World News, top stories"; all stories' top: "Top stories"
    (in the site's `words`)."""
    name = clean(name)
    if not top:
        return name
    if name == words("all_stories"):
        return words("top_stories")
    return words("category_top", name=name)


def all_title(settings: PublishSettings) -> str:
    """The name of every category's stories together: "All stories", in the site's words."""
    return settings.words("all_stories")


def feed_title(name: str, settings: PublishSettings, top: bool = False) -> str:
    """ "site: World News" or "site: World News, top stories"."""
    site = clean(settings.site_title) or "aggregator"
    return f"{site}: {flavour_name(name, top, settings.words)}"


def search_url(query: str, settings: PublishSettings, page: int = 1, fmt: str | None = None) -> str:
    """The address of a page of search results, or (`fmt`) of the feed of a search."""
    asked = {"q": query, **({"page": str(page)} if page > 1 else {})}
    return f"{settings.base_url}search{'.' + fmt if fmt else ''}?{urlencode(asked)}"


def category_url(slug: str, settings: PublishSettings, page: int = 1) -> str:
    """Absolute URL of a category page (page 2 on: <slug>/page/2/)."""
    if page > 1:
        return f"{settings.base_url}{slug}/page/{page}/"
    return f"{settings.base_url}{slug}/"


def sources_url(settings: PublishSettings) -> str:
    """The sources page: the outlets every story is summarised from."""
    return f"{settings.base_url}sources/"


def subscribe_url(slug: str, settings: PublishSettings) -> str:
    """Where to subscribe to a category's daily email: a directory-style address, as every
    page's is, so a static export's server answers it without a redirect."""
    return f"{settings.base_url}{slug}/subscribe/"


def digest_line(
    name: str, settings: PublishSettings, digests: Collection[str], ours: str = ""
) -> str:
    """ "Get a daily email with more <name> stories", linked to its subscribe page, as HTML:
    "" when the category has no daily email (`digests`: the categories that have one).
    `ours`: its `lang` inside a story in another language (`ours_in`)."""
    if name not in digests:
        return ""
    text = settings.words("digest_offer", name=esc(name))
    return f'<p class="digest"{ours}>{link(subscribe_url(slugify(name), settings), text)}</p>'


def story_url(story: Story, settings: PublishSettings) -> str:
    """Absolute URL of a story page: stories/<id>/, the directory its own feeds are in, so a
    static export's server answers it without a redirect."""
    return f"{settings.base_url}stories/{quote(story.id, safe='')}/"


def story_feed_url(story_id: str, fmt: str, settings: PublishSettings) -> str:
    """Absolute URL of a story's own feed, which follows its updates."""
    return f"{settings.base_url}{story_feed_path(story_id, fmt)}"


def story_feed_path(story_id: str, fmt: str) -> str:
    """Path of a story's own feed below the base URL: stories/<id>/updates.atom."""
    return f"stories/{quote(story_id, safe='')}/updates.{fmt}"


def story_uri(story: Story) -> str:
    """The story's permanent id in feeds (Atom id, RSS guid): never changes."""
    return f"{STORY_ID_PREFIX}{quote(story.id, safe='')}"


# What no URI may hold (RFC 3986 allows letters, digits, "-._~", its delimiters and "%"):
# ASCII such as NZ Herald's "...jpg?media_subtype_id=16|caption=...", and letters beyond
# ASCII (an IRI, which an RSS or Media RSS address may not be). Browsers send it encoded.
_NOT_IN_URIS = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")
_URI_SAFE = "-._~:/?#[]@!$&'()*+,;=%"


def safe_url(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) URL, else None (it must not become a link); a
    `user:password@` in it is left out (`https://www.bbc.co.uk@evil.example/` goes to
    evil.example, and a private address's password is nobody's to read); what no URI may
    hold is percent-encoded, a host beyond ASCII written in IDNA (`_as_uri`)."""
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
    if _NOT_IN_URIS.search(url):
        found = _as_uri(parts)
        if found is None:
            return None
        url = found
    if "@" in parts.netloc:
        url = without_userinfo(url)
        if not urlsplit(url).netloc:
            return None
    return url


def _as_uri(parts: SplitResult) -> str | None:
    """An address as a browser sends it: its path, query and fragment percent-encoded (UTF-8)
    where a URI may not hold a character, its host in IDNA 2008 as browsers and aiohttp write
    it ("bücher.example" → "xn--bcher-kva.example"; "straße" stays "straße", not "strasse");
    None when the host has no IDNA form, holds what no host may, or its port is no number."""
    netloc = parts.netloc
    host = parts.hostname or ""
    if _NOT_IN_URIS.search(host) and host.isascii():
        return None  # (no host holds one)
    if not netloc.isascii():
        try:
            ascii_host = idna.encode(host, uts46=True).decode("ascii")
            port = parts.port
        except (UnicodeError, ValueError):
            return None
        login, at, _ = netloc.rpartition("@")
        netloc = f"{quote(login, safe=_URI_SAFE)}{at}{ascii_host}" + (
            f":{port}" if port is not None else ""
        )
    path, query, fragment = (quote(x, safe=_URI_SAFE) for x in parts[2:])
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


# --- text -----------------------------------------------------------------------------------


def clean(text: str | None) -> str:
    """Upstream text made safe to put in XML: invalid characters and bidirectional overrides
    dropped, whitespace trimmed."""
    return _XML_INVALID.sub("", text or "").strip()


def esc(text: str | None) -> str:
    return html.escape(clean(text), quote=True)


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def human_date(moment: datetime, words: Words = ENGLISH) -> str:
    """ "February 12, 2025" (in `words`' language): the day in `moment`'s own zone."""
    return words.date(moment)


def local_time(moment: datetime, zone: tzinfo = UTC) -> datetime:
    """`moment` in `zone` (a naive one read as UTC)."""
    return utc(moment).astimezone(zone)


def clock_time(moment: datetime) -> str:
    """ "07:42 UTC", "08:42 BST": the hour in `moment`'s own zone, and the zone's name."""
    return f"{moment:%H:%M} {moment.tzname() or 'UTC'}"


def time_tag(moment: datetime, zone: tzinfo = UTC, words: Words = ENGLISH) -> str:
    """A <time> element: the exact moment in its attribute, the date and hour in `zone` shown."""
    local = local_time(moment, zone)
    shown = f"{human_date(local, words)}, {clock_time(local)}"
    return f'<time datetime="{utc(moment).isoformat(timespec="seconds")}">{shown}</time>'


def link(url: str | None, text: str) -> str:
    """An <a> around already-escaped text when the URL is safe; the bare text otherwise."""
    safe = safe_url(url)
    if safe is None:
        return text
    return f'<a href="{html.escape(safe, quote=True)}">{text}</a>'


def kind_label(story: Story) -> str:
    """ "Live", "Opinion", "Review" or "Round-up" for a story none of whose sources is news
    (the label most of them carry; on a tie the earliest's), else ""."""
    sources = story.summary.sources if story.summary is not None else ()
    labels = [clean(source.label) for source in sources]
    if not labels or not all(labels):
        return ""
    return max(labels, key=labels.count)  # (max keeps the first of equal counts)


def headline(story: Story, words: Words = ENGLISH) -> str:
    """The story's display headline (plain text, cleaned). A story with no news source says
    what it is ("Live: …", "Opinion: …") unless its headline already does: in the story's
    own language where there are words for it ("En direct : …" before a French headline),
    else in the site's `words`."""
    text = clean(story.headline)
    if not text and story.summary is not None:
        text = clean(story.summary.headline)
    text = text or words("untitled_story")
    label = kind_label(story)
    if not label:
        return text
    own = _story_words(story, text, words)
    said = own.kind(label)
    for name in {label, words.kind(label), said}:  # (a headline that names its kind already)
        if re.search(rf"\b{re.escape(name)}\b", text, re.IGNORECASE):
            return text
    if title_says(text, _LABEL_KINDS.get(label, "")):
        return text
    return own("kind_prefix", kind=said, headline=text)


def _story_words(story: Story, text: str, words: Words) -> Words:
    """The words of the story's own language (detected from its headline `text` and bullets,
    else its feeds' declared one), where there are; else `words`."""
    bullets = story.summary.bullets if story.summary is not None else ()
    language = _text_language(" ".join([text, *(clean(b.text) for b in bullets)]))
    language = language or story.declared_language
    return words_for(language) if language and has_words(language) else words


def outlet_count(story: Story) -> int:
    """How many distinct outlets covered the story (0 before it has a summary)."""
    return story.summary.outlet_count if story.summary is not None else 0


def story_text(story: Story) -> str:
    """The story as plain text: headline and bullets (for excerpts and language detection)."""
    bullets = story.summary.bullets if story.summary is not None else ()
    return " ".join([headline(story), *(clean(b.text) for b in bullets)])


# A story is listed in several feeds, formats and pages, its text the same in each: its
# language is detected once (memoised by the text itself, a few thousand stories' worth).
_text_language = functools.lru_cache(maxsize=2048)(detect_language)
_script_language = functools.lru_cache(maxsize=2048)(script_language)


def story_language(story: Story, settings: PublishSettings) -> str:
    """The story's language (its page's `lang`, its entries' `xml:lang`, `dc:language` and
    JSON Feed `language`): detected from its text, else what its sources declare, else what
    its script says (`script_language`), else its category's own language or our feeds'.
    Said alike for every story of an outlet or a category: as its main category's own tag
    (the OPML's "en-GB") where that is its language, else as its sources declare it where
    they all say one region or script ("en-GB", `lang.agreed_language`), else bare ("en").
    The category's tag never overrides the script its sources declare (`lang.tag_script`):
    a "zh-TW" story in a "zh-CN" category says "zh-TW", and one whose sources say "zh" alone
    (or both scripts) says "zh", not a script its text may not be written in."""
    text = story_text(story)
    declared = story.declared_language
    found = (
        _text_language(text)
        or (primary_subtag(declared) if declared else None)
        or _script_language(text)
    )
    if found is None:
        return story.category_language or settings.language
    said = declared if declared and primary_subtag(declared) == found else None
    own = story.category_language
    if (
        own
        and primary_subtag(own) == found
        and (said is None or tag_script(own) == tag_script(said))
    ):
        return own
    return said or found


# Languages written right to left (primary language subtags; "ckb" is Central Kurdish).
RTL_LANGUAGES = frozenset("ar ckb dv fa he iw ks ps sd ug ur yi".split())


_AUTO = ' dir="auto"'  # (a line of ours in a story of its language: its text decides)


def text_direction(language: str) -> str:
    """ "rtl" for a language written right to left, else "auto" (the text decides)."""
    return "rtl" if language.split("-")[0].lower() in RTL_LANGUAGES else "auto"


def page_language(settings: PublishSettings) -> str:
    """The language of a page or an email around the stories (`<html lang>`): the settings'
    language where there are words for it, else the language of the words it is written in
    (a category in Urdu, which has none, reads English: its page had said lang="ur" over
    "Search stories" and "Summary based on 3 sources"). Each story says its own."""
    language = settings.language
    return language if has_words(language) else settings.words.language


def ours_in(language: str, settings: PublishSettings) -> str:
    """` lang="de" dir="ltr"` for a line of the site's own words ("Zusammenfassung aus 3
    Quellen") inside a block in `language` (a story's), when the two differ; else "" (it
    inherits the block's). Its direction is its own: inside a right-to-left story, a line
    that ends in a category's name (`· Odd "Here"`, `· U.S.`) had had its last marks drawn
    at its start."""
    ours = settings.words.language
    if primary_subtag(language) == ours:
        return ""
    way = "rtl" if text_direction(ours) == "rtl" else "ltr"
    return f' lang="{ours}" dir="{way}"'


def outlet_names(story: Story, names: int = 3, words: Words = ENGLISH) -> str:
    """ "Daily Planet, Wire Co and 2 more": the story's outlets in source order, the first
    `names` by name ("" before it has a summary). While the summary counts fewer outlets than
    names, names written two ways ("Fox News" on its channel, "FOX News" on its site's feed)
    are listed once as first written, then names alike but for what a site's channel adds
    ("GMA News", "GMA News Online": `bare_name`); outlets counted apart keep their names."""
    summary = story.summary
    if summary is None:
        return ""
    listed = [name for name in dict.fromkeys(clean(s.outlet) for s in summary.sources) if name]
    for alike in (_folded, bare_name):
        if len(listed) > summary.outlet_count:
            listed = _first_of_each(listed, alike)
    return words.listed(listed, names)


def _folded(name: str) -> str:
    """A name as it reads whatever its case and spaces."""
    return " ".join(name.casefold().split())


def _first_of_each(names: Sequence[str], alike: Callable[[str], str]) -> list[str]:
    """`names` less each that is `alike` an earlier one (one with no such form: by itself)."""
    first: dict[str, str] = {}
    for name in names:
        first.setdefault(alike(name) or _folded(name), name)
    return list(first.values())


def reported_by(story: Story, names: int = 3, words: Words = ENGLISH) -> str:
    """ "Reported by Daily Planet, Wire Co and 2 more." (`outlet_names`; "" before the story
    has a summary)."""
    outlets = outlet_names(story, names, words)
    return words("reported_by_names", names=outlets) if outlets else ""


# Stops of scripts written without spaces between sentences (Chinese, Japanese).
_WIDE_STOPS = ("。", "！", "？", "」", "』")


def _run_on(sentences: Sequence[str]) -> str:
    """Sentences as one paragraph: a space after each, but none after a Chinese or Japanese
    stop ("…地震。当局表示…"), which these scripts never follow with one."""
    return "".join(
        text if n == len(sentences) - 1 or text.endswith(_WIDE_STOPS) else f"{text} "
        for n, text in enumerate(sentences)
    )


def excerpt(story: Story, limit: int = EXCERPT_CHARS, words: Words = ENGLISH) -> str:
    """A plain-text excerpt of the summary's bullets, cut at a word boundary; a story with no
    bullet says who reported it rather than repeat its headline."""
    bullets = story.summary.bullets if story.summary is not None else ()
    text = (
        _run_on([clean(b.text) for b in bullets])
        or reported_by(story, words=words)
        or headline(story, words)
    )
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def update_note(story: Story, words: Words = ENGLISH) -> str | None:
    """ "Updated: 2 new sources" for a story changed since it was first published, else None."""
    if story.version <= 1:
        return None
    added = story.added_sources
    if added <= 0:
        return words("updated_details")
    return words.count("updated_sources", added)


def based_on(summary: Summary, words: Words = ENGLISH) -> str:
    """ "Summary based on 4 sources", N counting distinct outlets; when an outlet supplied
    several of the listed reports, "4 sources (5 reports)" so the count matches the list. A
    story with no bullet (yet: a teaser whose page has not been read) has no summary to
    speak of: "Reported by 1 source"."""
    count, reports = summary.outlet_count, len(summary.sources)
    text = words.count("summary_based_on" if summary.bullets else "reported_by_count", count)
    if reports > count > 0:
        text += " " + words.count("reports", reports)
    return text


def source_label(
    source: SourceRef, sources: Sequence[SourceRef] = (), words: Words = ENGLISH
) -> str:
    """ "Outlet — Title"; a source that isn't news says what it is ("Outlet (Opinion) — …"),
    and a wire copy whose text another listed source (of `sources`, the story's) carries
    says which ("Outlet (same text as [1]) — …")."""
    outlet, title = clean(source.outlet), clean(source.title)
    marks = [words.kind(clean(source.label))] if source.label else []
    if source.copy_of:
        number = next((n for n, s in enumerate(sources) if s.item_id == source.copy_of), -1)
        marks.append(words("same_text_as", n=number + 1) if number >= 0 else words("same_text"))
    if marks:  # a source that isn't news (opinion, live blog, review) or a copy says so
        mark = ", ".join(marks)
        outlet = f"{outlet} ({mark})" if outlet else mark
    if outlet and title:
        return f"{outlet} — {title}"
    return (
        outlet or title or urlsplit(safe_url(source.url) or "").netloc or words("untitled_source")
    )


PICTURES = "pictures"  # the path a proxied picture is served under (`picture_proxy`)


def picture_key(url: str) -> str:
    """The key of a picture's address in its proxied address (a hash: no address is shown)."""
    return hashlib.blake2b(url.encode(), digest_size=8).hexdigest()


def is_proxied(url: str, mode: str) -> bool:
    """Whether the picture `url` is named through this site under `picture_proxy` `mode`:
    with "all", and with "http" a plain-http one."""
    return mode == "all" or (mode == "http" and url.startswith("http:"))


def proxied(url: str, story_id: str, base_url: str, mode: str) -> str:
    """The address the pages and feeds give for `story_id`'s picture `url`: its own, or this
    site's `/pictures/<story>/<key>` where `mode` proxies it (`is_proxied`)."""
    if not is_proxied(url, mode):
        return url
    return f"{base_url}{PICTURES}/{quote(story_id, safe='')}/{picture_key(url)}"


def picture(story: Story, settings: PublishSettings) -> tuple[str, str] | None:
    """The story's picture (`Summary.image`; through this site's `/pictures/` as
    `picture_proxy` says) and whose it is ("BBC News"), or None: none, a site that shows none
    (`images` false), or an address that is no http(s) URL."""
    summary = story.summary
    if not settings.images or summary is None:
        return None
    url = safe_url(summary.image)
    if url is None:
        return None
    url = proxied(url, story.id, settings.base_url, settings.picture_proxy)
    index = summary.image_source
    source = summary.sources[index] if 0 <= index < len(summary.sources) else None
    credit = clean(source.outlet) if source is not None else ""
    return url, credit


# A YouTube video's 4:3 thumbnail (480×360, or 640×480): a 16:9 video in it has black bars
# above and below, which pages crop (a 16:9 frame) and feed readers show.
_LETTERBOXED = re.compile(
    r"https?://i\d?\.ytimg\.com/vi/([A-Za-z0-9_-]{6,20})/(?:hq|sd)default\.jpg"
)


def feed_picture(url: str) -> str:
    """A story's picture as feeds name it: a YouTube video's letterboxed thumbnail as its
    16:9 one (`mqdefault.jpg`, 320×180, which every video has); any other as it is."""
    found = _LETTERBOXED.fullmatch(url)
    return f"https://i.ytimg.com/vi/{found[1]}/mqdefault.jpg" if found else url


def picture_html(
    found: tuple[str, str] | None, *, thumb: bool = False, words: Words = ENGLISH, ours: str = ""
) -> str:
    """A story's picture (`picture`'s answer), "" when it has none: on its page a figure
    credited to its outlet ("Image: BBC News"), beside a teaser a thumbnail (`thumb`) with the
    credit as its title. Sending no referrer; no text of its own (the headline says what it
    shows). A thumbnail loads lazily; a page's figure, under its headline in the first screen,
    at once."""
    if found is None:
        return ""
    url, credit = found
    credit = words("image_credit", outlet=credit) if credit else ""
    src = html.escape(url, quote=True)
    quiet = 'decoding="async" referrerpolicy="no-referrer"'
    if thumb:
        title = f' title="{esc(credit)}"' if credit else ""
        return f'<img class="thumb" src="{src}" alt=""{title} loading="lazy" {quiet}>'
    caption = f"<figcaption{ours or _AUTO}>{esc(credit)}</figcaption>" if credit else ""
    return f'<figure class="picture"><img src="{src}" alt="" {quiet}>{caption}</figure>'


def listed_sources(
    summary: Summary, limit: int = LISTED_SOURCES, words: Words = ENGLISH
) -> tuple[list[tuple[int, SourceRef]], str]:
    """The sources a story lists, with their indexes: the first `limit` and every one a bullet
    cites (so "[23]" still finds its entry); and the line for the rest ("… and 3 more
    sources.", "… and 2 more reports from these sources.", "" when all are listed). An
    outlet's report under the same title as another of its listed ones (one article at two
    addresses: its page and a sister site's copy) is left to that line unless a
    bullet cites it, so the list never reads the same line twice."""
    cited = {i for bullet in summary.bullets for i in bullet.sources}
    repeats = _repeated_reports(summary.sources, cited)
    listable = [(n, source) for n, source in enumerate(summary.sources) if n not in repeats]
    shown = [(n, s) for place, (n, s) in enumerate(listable) if place < limit or n in cited]
    hidden = len(summary.sources) - len(shown)
    more_outlets = summary.outlet_count - len({source.outlet for _, source in shown})
    if more_outlets > 0:
        return shown, words.count("more_sources", more_outlets)
    if hidden:
        return shown, words.count("more_reports", hidden)
    return shown, ""


def _repeated_reports(sources: Sequence[SourceRef], cited: set[int]) -> set[int]:
    """Indexes of reports an outlet's other listed report repeats by title: of each outlet's
    reports sharing a title, all but the first cited one (else the first) and the cited."""
    groups: dict[tuple[str, str], list[int]] = {}
    for n, source in enumerate(sources):
        title = " ".join(clean(source.title).split()).casefold()
        if title:
            groups.setdefault((clean(source.outlet).casefold(), title), []).append(n)
    repeats: set[int] = set()
    for indexes in groups.values():
        if len(indexes) > 1:
            kept = next((n for n in indexes if n in cited), indexes[0])
            repeats.update(n for n in indexes if n != kept and n not in cited)
    return repeats


def _source_list(
    summary: Summary,
    words: Words,
    limit: int = LISTED_SOURCES,
    zone: tzinfo | None = None,
    ours: str = "",
) -> str:
    """The numbered source list (`listed_sources`), each a link, numbers kept; with a `zone`,
    each with when it was published there ("Dec 5, 21:28"), where its feed said."""
    shown, rest = listed_sources(summary, limit, words)
    items: list[str] = []
    previous = -1
    for n, source in shown:
        value = f' value="{n + 1}"' if n != previous + 1 else ""
        label = html.escape(source_label(source, summary.sources, words), quote=True)
        when = ""
        if zone is not None and source.published is not None:
            local = local_time(source.published, zone)
            shown_at = f"{words.short_date(local)}, {local:%H:%M}"
            stamp = utc(source.published).isoformat(timespec="seconds")  # (HTML: 3 digits)
            when = f' · <time datetime="{stamp}">{shown_at}</time>'
        items.append(f"<li{value}>{link(source.url, label)}{when}</li>")
        previous = n
    text = f"<ol>\n{chr(10).join(items)}\n</ol>"
    return text + (f"\n<p{ours}>{rest}</p>" if rest else "")


# --- the item body --------------------------------------------------------------------------


def _citation(summary: Summary, index: int, words: Words) -> str:
    """A page's "[2]": a link to source `index`, which says whose it is when pointed at
    ("Wire Co — Deal reached"; its `title`); the bare number when its link is no http(s)."""
    source = summary.sources[index]
    url = safe_url(source.url)
    if url is None:
        return f"[{index + 1}]"
    label = html.escape(source_label(source, summary.sources, words), quote=True)
    return f'<a href="{html.escape(url, quote=True)}" title="{label}">[{index + 1}]</a>'


def _lang_unless(language: str, around: str) -> str:
    """A `lang` attribute for text in `language` inside text in `around` (none when alike)."""
    return "" if language == around else f' lang="{esc(language)}"'


def story_html_body(
    story: Story,
    settings: PublishSettings,
    more: Sequence[Story] = (),
    before_more: str = "",
    *,
    linked_citations: bool = False,
    source_times: tzinfo | None = None,
) -> str:
    """The body of a story item: an update note, bullets citing numbered sources, the source
    list (each a link), then `before_more` (already-safe HTML) and "More stories". Each line
    of upstream text, and each of ours ending in a colon, takes its direction from its own
    script (`dir="auto"`), so punctuation and citations stay at the end of their line inside a
    right-to-left story, on any page or feed reader.

    A bullet's "[2]" is plain text in feeds: text-mode readers (newsboat) number every link
    themselves, so a linked "[2]" would read "[2][1]" and shift the list's numbers from the
    reader's. Pages (`linked_citations`) link it to the source, and list when each source
    was published (in `source_times`, their zone): feeds do not, so an item's body stays as
    it was for every stored story."""
    words = settings.words
    language = story_language(story, settings)
    ours = ours_in(language, settings)  # (our words in another's text)
    parts: list[str] = []
    note = update_note(story, words)
    if note:
        parts.append(f"<p{ours}><strong>{html.escape(note)}</strong></p>")
    summary = story.summary
    if summary is None:
        parts.append(f"<p{ours}>{words('no_summary')}</p>")
    else:
        bullets = []
        for bullet in summary.bullets:
            refs = [
                _citation(summary, i, words) if linked_citations else f"[{i + 1}]"
                for i in dict.fromkeys(bullet.sources)
                if 0 <= i < len(summary.sources)
            ]
            tail = (" " + "".join(refs)) if refs else ""
            bullets.append(f'<li dir="auto">{esc(bullet.text)}{tail}</li>')
        if bullets:
            parts.append("<ul>\n" + "\n".join(bullets) + "\n</ul>")
        parts.append(f"<p{ours or _AUTO}>{based_on(summary, words)}{words('colon')}</p>")
        if summary.sources:
            parts.append(_source_list(summary, words, zone=source_times, ours=ours))
    if before_more:
        parts.append(before_more)
    others = [other for other in more if other.id != story.id][:MORE_STORIES]
    all_link = link(category_url(slugify(story.category), settings), words("more_stories"))
    if others:
        items = "\n".join(
            f'<li dir="auto"{_lang_unless(story_language(other, settings), language)}>'
            f"{link(story_url(other, settings), esc(headline(other, words)))}</li>"
            for other in others  # (each headline in its own language, not this story's)
        )
        colon = words("colon")
        parts.append(f"<p{ours or _AUTO}>{all_link}{colon}</p>\n<ul>\n{items}\n</ul>")
    else:
        parts.append(f"<p{ours}>{all_link}</p>")
    return "\n".join(parts)
