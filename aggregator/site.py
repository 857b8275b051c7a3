"""The published site as paths and bodies: which stories each feed or page is built from.

Both the web server and the static export go through `Site`, so a served path and an exported
file always hold the same bytes. Reads go through a `StoryReader`; nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from aggregator.category_renames import category_now, renamed_to
from aggregator.digest import DigestSettings
from aggregator.feeds import (
    OPML_FORMATS,
    render_feed,
    render_outputs_opml,
    search_frame,
    story_frame,
)
from aggregator.models import Story
from aggregator.pages import (
    FAVICON_SVG,
    MAX_QUERY,
    favicon_ico,
    opensearch_xml,
    page_count,
    render_category_html,
    render_index_html,
    render_moved_html,
    render_not_found_html,
    render_search_html,
    render_sources_html,
    render_story_html,
    render_story_moved_html,
    render_subscribe_html,
    robots_txt,
)
from aggregator.publish import (
    ALL_SLUG,
    FEED_FORMATS,
    FEED_MEDIA_TYPES,
    MORE_STORIES,
    PublishSettings,
    all_title,
    category_url,
    feed_path,
    feed_url,
    headline,
    story_feed_path,
    subscribe_url,
    utc,
)
from aggregator.ranking import rank
from aggregator.search_query import match_expression
from aggregator.slugs import (
    RESERVED_SLUGS,
    WORDLESS_SLUG,
    hashed_slug,
    plain_slug,
    reserved_slug,
    slugify,
)
from aggregator.websub import hub_link_header

HTML_TYPE = "text/html; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
OPENSEARCH_TYPE = "application/opensearchdescription+xml"
OPML_TYPE = "text/x-opml; charset=utf-8"
INDEX_CANDIDATES = 60  # newest stories per category the front page ranks (and as many shared)
FEED_CANDIDATES = 3  # a feed chooses its items from max_items × this many newest stories
MAX_PAGES = 20  # category pages beyond this are not offered
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
RERANK_SECONDS = 600.0  # pages ranked by age are re-rendered at least this often
_LEADING_MEMO = 64  # categories' leading stories kept (per data version and time)
NOT_FOUND_FILE = "404.html"  # the export's 404 page, where static hosts look for it
SOURCES_WINDOW = timedelta(days=7)  # the sources page counts each outlet's reports this far back


class StoryReader(Protocol):
    """Read access to published stories (the store implements it; tests pass a fake)."""

    def categories(self) -> list[str]:
        """Category names, in OPML order."""
        ...

    def stories(self, category: str | None, limit: int, min_outlets: int = 1) -> list[Story]:
        """Stories of one category (None: all), newest updated first; only those at least
        `min_outlets` outlets covered (`ranking.outlets`), however far back they are."""
        ...

    def story(self, story_id: str) -> Story | None:
        """One story by id, or None."""
        ...

    def version(self) -> str:
        """A token that changes whenever published data changes."""
        ...


@dataclass(frozen=True, slots=True)
class Output:
    """One published document."""

    body: bytes
    content_type: str
    last_modified: datetime | None = None
    ranked: bool = False  # its order depends on the time it was rendered
    # an HTTP Link header's value (a category feed's WebSub hubs and its own address)
    link: str | None = None


def _newest(stories: list[Story]) -> datetime | None:
    return max((utc(s.updated) for s in stories), default=None)


def outlets_of(reader: StoryReader, since: datetime) -> list[dict[str, Any]]:
    """A reader's polled feeds for the sources page (`Reader.outlets`), if it keeps any (a
    test's fake need not)."""
    outlets = getattr(reader, "outlets", None)
    return list(outlets(since)) if callable(outlets) else []


def aliases_of(reader: StoryReader) -> dict[str, str]:
    """A reader's renamed categories' former slugs (`category_aliases`), if it keeps any (a
    test's fake need not)."""
    aliases = getattr(reader, "category_aliases", None)
    return aliases() if callable(aliases) else {}


class _ReadOnce:
    """A reader that asks `reader` each listing question once (for one export)."""

    def __init__(self, reader: StoryReader) -> None:
        self._reader = reader
        self._categories: list[str] | None = None
        self._stories: dict[tuple[str | None, int, int], list[Story]] = {}
        self._languages: dict[str, str] | None = None

    def categories(self) -> list[str]:
        if self._categories is None:
            self._categories = self._reader.categories()
        return self._categories

    def stories(self, category: str | None, limit: int, min_outlets: int = 1) -> list[Story]:
        key = (category, limit, min_outlets)
        if key not in self._stories:
            self._stories[key] = self._reader.stories(category, limit, min_outlets)
        return self._stories[key]

    def story(self, story_id: str) -> Story | None:
        return self._reader.story(story_id)

    def version(self) -> str:
        return self._reader.version()

    def category_aliases(self) -> dict[str, str]:
        return aliases_of(self._reader)

    def category_languages(self) -> dict[str, str]:
        if self._languages is None:
            self._languages = languages_of(self._reader)
        return self._languages

    def outlets(self, since: datetime) -> list[dict[str, Any]]:
        return outlets_of(self._reader, since)


def languages_of(reader: StoryReader) -> dict[str, str]:
    """The categories' own languages (`Reader.category_languages`); none from a reader
    without them."""
    languages = getattr(reader, "category_languages", None)
    return languages() if languages is not None else {}


class Site:
    """Renders any published path from a reader's current data."""

    def __init__(
        self,
        reader: StoryReader,
        settings: PublishSettings,
        *,
        clock: Callable[[], datetime] | None = None,
        digest: DigestSettings | None = None,
        signups: bool = False,
    ) -> None:
        self.reader = reader
        self.settings = settings
        self.now = clock or (lambda: datetime.now(UTC))
        self.digest = digest or DigestSettings()
        # (the subscribe pages hold a form: `[digest] self_service`, served by `run`)
        self.signups = signups and self.digest.self_service
        self._leading_memo: dict[tuple[str, str, int], list[Story]] = {}

    @property
    def digests(self) -> frozenset[str]:
        """The categories with a daily email: those the settings name, and the category of
        the OPML each of them carries now when an edit renamed or respelled it."""
        named = self.digest.categories
        if not named:
            return named
        return named | frozenset(self._digests_now())

    def _digests_now(self) -> dict[str, str]:
        """The category of the OPML each digest of the settings carries now → that digest
        (`category_renames.category_now`): its own, or the one an edit renamed it to."""
        names = self.reader.categories()
        carried = {name: name for name in self.digest.categories if name in names}
        others = [name for name in sorted(self.digest.categories) if name not in carried]
        if others:
            aliases = aliases_of(self.reader)
            for digest in others:
                now = category_now(digest, names, aliases)
                if now is not None:
                    carried.setdefault(now, digest)
        return carried

    def digest_of(self, category: str | None) -> str | None:
        """The digest (as the settings name it) that the OPML's `category` is sent as: its
        own, or one the settings file under its former name or spelling; None for none."""
        if category is None or not self.digest.categories:
            return None
        return self._digests_now().get(category)

    def settings_for(self, category: str | None) -> PublishSettings:
        """The settings a category's pages, feeds and story pages render with: in its own
        language where the OPML gives it one (`category_languages`), else the site's."""
        language = languages_of(self.reader).get(category) if category else None
        return self.settings.in_language(language) if language else self.settings

    def category_named(self, slug: str) -> str | None:
        """The category with this slug (the first one when two names share a slug)."""
        for name in self.reader.categories():
            if slugify(name) == slug:
                return name
        return None

    def moved_slug(self, slug: str) -> str | None:
        """The slug a category's pages and feeds moved to, when `slug` is one they had.

        Every name without an ASCII word ("東京") used to have the slug "category"; now each has
        its own. When no category has "category" now and exactly one has a slug made that way,
        links to the old one are that category's (a reader subscribed to its feed keeps it).
        A category named "All" or "Stories" had the reserved slug its name gives ("all"); its
        page is now at that slug with "-category" after it. A category the OPML renamed
        ("World" → "World News") left its former slug to lead to its name now
        (`category_renames`).
        """
        names = self.reader.categories()
        if slug in RESERVED_SLUGS:
            return next((slugify(name) for name in names if reserved_slug(name) == slug), None)
        if any(slugify(name) == slug for name in names):
            return None
        if slug == WORDLESS_SLUG:
            hashed = [slugify(name) for name in names if hashed_slug(name)]
            if len(hashed) == 1:
                return hashed[0]
        renamed = renamed_to(slug, aliases_of(self.reader), names)
        return slugify(renamed) if renamed is not None else None

    def slug_written(self, written: str, feed: bool = False) -> str | None:
        """The slug a category's address means when written as its name ("World-News",
        "World News", "ALL", "東京"): the one its lower-case words make (a name without ASCII
        words: its hashed slug), when a category has it (or had it: `moved_slug`; a `feed` may
        be every category's, "all"). None for a name of no words ("-", "!!!")."""
        plain = plain_slug(written)
        slug = plain or (slugify(written) if hashed_slug(written) else "")
        if not slug or slug == written:  # (no word at all: no category's name)
            return None
        names = self.reader.categories()
        if slug in {slugify(name) for name in names} | ({ALL_SLUG} if feed else set()):
            return slug
        return self.moved_slug(slug)

    def former_slugs(self) -> dict[str, list[str]]:
        """Each category's slug → the former slugs the OPML's renames left leading to it."""
        aliases = aliases_of(self.reader)
        if not aliases:
            return {}
        names = self.reader.categories()
        live = {slugify(name) for name in names}
        former: dict[str, list[str]] = {}
        for old in sorted(aliases):
            if old not in live and (name := renamed_to(old, aliases, names)) is not None:
                former.setdefault(slugify(name), []).append(old)
        return former

    # --- documents ------------------------------------------------------------------------

    def index(self) -> Output:
        rows = [
            (name, slugify(name), self._index_candidates(name)) for name in self.reader.categories()
        ]
        page = render_index_html(rows, self.settings, self.now(), self.digests)
        stories = [s for _, _, chosen in rows for s in chosen]
        return Output(page.encode(), HTML_TYPE, _newest(stories), ranked=True)

    def sources(self) -> Output:
        """The outlets every story is summarised from, by category (`/sources/`), with each
        one's reports of the last `SOURCES_WINDOW`."""
        rows = outlets_of(self.reader, self.now() - SOURCES_WINDOW)
        return Output(render_sources_html(rows, self.settings).encode(), HTML_TYPE)

    def _index_candidates(self, name: str) -> list[Story]:
        """What the front page ranks a category's top stories from: its newest stories and its
        newest that several outlets covered, which outweigh newer single-outlet ones for hours
        (`ranking.importance`) however many of those came since."""
        newest = self.reader.stories(name, INDEX_CANDIDATES)
        seen = {s.id for s in newest}
        shared = self.reader.stories(name, INDEX_CANDIDATES, 2)
        return newest + [s for s in shared if s.id not in seen]

    def category(self, slug: str, page: int = 1) -> Output | None:
        """A page of a category's stories, or of every category's for the slug "all"."""
        name = self.category_named(slug)
        if (name is None and slug != ALL_SLUG) or not 1 <= page <= MAX_PAGES:
            return None
        stories = self.reader.stories(name, self.settings.page_size * MAX_PAGES)
        settings = self.settings_for(name)
        html_page = render_category_html(
            name or all_title(settings),
            slug,
            stories,
            settings,
            self.now(),
            page=page,
            digests=self.digests if name is not None else frozenset(),
        )
        if html_page is None:
            return None
        return Output(html_page.encode(), HTML_TYPE, _newest(stories), ranked=True)

    def _search(self) -> Callable[..., tuple[int, list[Story]]] | None:
        """The reader's search (`Reader.search`), where the site offers search."""
        return getattr(self.reader, "search", None) if self.settings.search else None

    def search(self, query: str, page: int = 1) -> Output | None:
        """A page of the stories that match `query` (its first `MAX_QUERY`
        characters); None where the site offers no search, or past the last page."""
        search = self._search()
        if search is None or page < 1:
            return None
        size = self.settings.page_size
        query = query[:MAX_QUERY]
        found, stories = search(query, size, (page - 1) * size)
        if page > 1 and not stories:
            return None
        html_page = render_search_html(query, found, stories, self.settings, page)
        return Output(html_page.encode(), HTML_TYPE, _newest(stories))

    def search_feed(self, query: str, fmt: str) -> Output | None:
        """The feed of a search (`/search.atom?q=…`): its newest `max_items` stories, as a
        category's feed carries them; None where the site offers no search, for an unknown
        format, or for a query without a word."""
        search = self._search()
        if search is None or fmt not in FEED_MEDIA_TYPES:
            return None
        query = query[:MAX_QUERY]
        if match_expression(query) is None:
            return None
        _, stories = search(query, self.settings.max_items)
        frame = search_frame(query, self.settings)
        body = render_feed(
            "", "", stories, fmt, self.settings, self.now(), digests=self.digests, frame=frame
        )
        return Output(body, f"{FEED_MEDIA_TYPES[fmt]}; charset=utf-8", _newest(stories))

    def feed(self, slug: str, fmt: str, top: bool = False) -> Output | None:
        """A category's feed, or every category's for the slug "all"."""
        if fmt not in FEED_MEDIA_TYPES:
            return None
        name = self.category_named(slug)
        if name is None and slug != ALL_SLUG:
            return None
        stories = self._feed_candidates(name, top)
        settings = self.settings_for(name)
        name = name if name is not None else all_title(settings)
        body = render_feed(
            name, slug, stories, fmt, settings, self.now(), top=top, digests=self.digests
        )
        link = hub_link_header(self.settings.hubs, feed_url(slug, fmt, self.settings, top))
        return Output(body, f"{FEED_MEDIA_TYPES[fmt]}; charset=utf-8", _newest(stories), link=link)

    def _feed_candidates(self, name: str | None, top: bool) -> list[Story]:
        """What a feed of category `name` (None: all) chooses from. The top flavour reads its
        newest widely covered stories themselves, in the order it lists them: however many
        single-outlet stories came since, they cannot push one out."""
        if top:
            return self.reader.stories(name, self.settings.max_items, self.settings.top_min_outlets)
        return self.reader.stories(name, self.settings.max_items * FEED_CANDIDATES)

    def hub_feed_paths(self) -> list[str]:
        """The paths of the feeds that name the WebSub hubs: every category's, all
        stories' and their top flavours, in each format."""
        return [
            feed_path(slug, fmt, top)
            for _, slug in self.feed_list()
            for fmt in FEED_FORMATS
            for top in (False, True)
        ]

    def feed_list(self) -> list[tuple[str, str]]:
        """(name, slug) of every feed: the categories, then "All stories"."""
        return [(name, slugify(name)) for name in self.reader.categories()] + [
            (all_title(self.settings), ALL_SLUG)
        ]

    def opml(self, fmt: str) -> Output:
        return Output(render_outputs_opml(self.feed_list(), fmt, self.settings), OPML_TYPE)

    def story_feed(self, story_id: str, fmt: str) -> Output | None:
        """A story's own feed (`/stories/<id>/updates.atom`): its current version as an item
        of its own, so a reader following it gets each update as news."""
        if fmt not in FEED_MEDIA_TYPES:
            return None
        story = self.reader.story(story_id)
        if story is None:
            return None
        settings = self.settings_for(story.category)
        body = render_feed(
            "", "", [story], fmt, settings, self.now(), digests=self.digests,
            frame=story_frame(story, settings), versioned=True,
        )  # fmt: skip
        return Output(body, f"{FEED_MEDIA_TYPES[fmt]}; charset=utf-8", story.updated)

    def story(self, story_id: str) -> Output | None:
        story = self.reader.story(story_id)
        if story is None:
            return None
        more = [s for s in self._leading(story.category) if s.id != story.id][:MORE_STORIES]
        page = render_story_html(story, self.settings_for(story.category), more, self.digests)
        return Output(page.encode(), HTML_TYPE, _newest([story, *more]), ranked=True)

    def _leading(self, category: str) -> list[Story]:
        """A category's stories that lead its part of the front page, most important first
        (`ranking.rank`): "More stories" under each of its stories. Ranked once per category
        for the same data and the same `RERANK_SECONDS` of time."""
        now = self.now()
        key = (category, self.reader.version(), int(utc(now).timestamp() // RERANK_SECONDS))
        leading = self._leading_memo.get(key)
        if leading is None:
            leading = rank(self._index_candidates(category), now)[: MORE_STORIES + 1]
            if len(self._leading_memo) >= _LEADING_MEMO:
                self._leading_memo.clear()
            self._leading_memo[key] = leading
        return leading

    def subscribe(self, slug: str) -> Output | None:
        """How to get a category's daily email (only for categories that have one)."""
        name = self.category_named(slug)
        digest = self.digest_of(name)
        if name is None or digest is None:
            return None
        schedule = f"{self.digest.send_time(digest):%H:%M} ({self.digest.timezone})"
        page = render_subscribe_html(
            name,
            slug,
            self.settings_for(name),
            schedule=schedule,
            count=self.digest.count,
            contact=self.digest.contact_email,
            form=self.signups,
        )
        return Output(page.encode(), HTML_TYPE)

    def opensearch(self) -> Output | None:
        """The OpenSearch description, where the site offers search."""
        if not self.settings.search:
            return None
        return Output(opensearch_xml(self.settings).encode(), OPENSEARCH_TYPE)

    def not_found(self) -> Output:
        """The page for an address the site does not have (404.html in a static export)."""
        page = render_not_found_html(self.settings.base_url, self.settings.words)
        return Output(page.encode(), HTML_TYPE)

    def robots(self) -> Output:
        return Output(robots_txt(self.settings).encode(), TEXT_TYPE)

    @staticmethod
    def favicon(kind: str) -> Output:
        if kind == "svg":
            return Output(FAVICON_SVG, "image/svg+xml")
        return Output(favicon_ico(), "image/x-icon")

    # --- every path, for the static export ------------------------------------------------

    def withdrawn(self, story_ids: Sequence[str]) -> set[str]:
        """Of `story_ids`, those the store holds and no longer publishes (withheld, or left
        with nothing to publish): a static export removes their files (`export_site`)."""
        withdrawn = getattr(self.reader, "withdrawn", None)
        return withdrawn(story_ids) if withdrawn is not None else set()

    def merged_files(self, story_ids: Sequence[str]) -> dict[str, list[tuple[str, Output]]]:
        """Of `story_ids` (stories a static export holds files of), those merged into another:
        each with what stands at its address now (a page that sends readers on to the story
        it joined, and that story's own feeds at its feeds' addresses, as the server answers
        301 there), none when the story it joined is not published (withheld, say: its
        files go too). They had stayed as they were before the merge, for good."""
        merged_targets = getattr(self.reader, "merged_targets", None)
        targets = merged_targets(story_ids) if merged_targets is not None else {}
        out: dict[str, list[tuple[str, Output]]] = {}
        for old, new in targets.items():
            story = self.reader.story(new)
            if story is None or not _SAFE_ID.fullmatch(old):
                out[old] = []
                continue
            settings = self.settings_for(story.category)
            page = render_story_moved_html(headline(story, settings.words), story, settings)
            files = [(f"stories/{old}/index.html", Output(page.encode(), HTML_TYPE))]
            for fmt in FEED_FORMATS:
                own = self.story_feed(new, fmt)
                if own is not None:
                    files.append((story_feed_path(old, fmt), own))
            out[old] = files
        return out

    def files(self) -> Iterator[tuple[str, Output]]:
        """Every published document as (relative file path, output). Each list of stories is
        read once: a category's six feeds, its pages and its stories' pages share them."""
        once = Site(_ReadOnce(self.reader), self.settings, clock=self.now, digest=self.digest)
        yield from once._files()

    def _moved(
        self, name: str, slug: str, olds: Sequence[str], where: str, target: str | None = None
    ) -> Iterator[tuple[str, Output]]:
        """The page that sends a renamed category's readers on to `target` (its page now),
        at `where` (a path below a slug) under each of its former slugs `olds`, where the
        server answers 301."""
        if not olds:
            return
        page = render_moved_html(name, slug, self.settings, target).encode()
        for old in olds:
            yield f"{old}/{where}index.html", Output(page, HTML_TYPE)

    def _files(self) -> Iterator[tuple[str, Output]]:
        yield "index.html", self.index()
        yield "sources/index.html", self.sources()
        yield "robots.txt", self.robots()
        yield NOT_FOUND_FILE, self.not_found()
        yield "favicon.ico", self.favicon("ico")
        yield "favicon.svg", self.favicon("svg")
        for fmt, path in OPML_FORMATS.items():
            yield path, self.opml(fmt)
        story_ids: dict[str, None] = {}
        listed: list[Story] = []  # on the front page or a top feed, however old
        former = self.former_slugs()
        for name, slug in self.feed_list():
            for fmt in FEED_FORMATS:
                for top in (False, True):
                    output = self.feed(slug, fmt, top)
                    if output is not None:
                        yield feed_path(slug, fmt, top), output
                        # A renamed category's readers poll its former address: the same feed.
                        for old in former.get(slug, ()):
                            yield feed_path(old, fmt, top), output
            every = slug == ALL_SLUG  # (every category's: no former slug, no digest)
            listed += self._feed_candidates(None if every else self.category_named(slug), True)
            olds = () if every else former.get(slug, ())
            yield from self._moved(name, slug, olds, "")
            subscribe = None if every else self.subscribe(slug)
            if subscribe is not None:
                yield f"{slug}/subscribe/index.html", subscribe
                # (linked from the daily emails sent before the rename)
                target = subscribe_url(slug, self.settings)
                yield from self._moved(name, slug, olds, "subscribe/", target)
            stories = self.reader.stories(
                None if every else name, self.settings.page_size * MAX_PAGES
            )
            story_ids.update((s.id, None) for s in stories)
            for page in range(1, page_count(len(stories), self.settings) + 1):
                output = self.category(slug, page)
                if output is not None:
                    where = f"{slug}/index.html" if page == 1 else f"{slug}/page/{page}/index.html"
                    yield where, output
                    if page > 1:
                        target = category_url(slug, self.settings, page)
                        yield from self._moved(name, slug, olds, f"page/{page}/", target)
        everything = self.reader.stories(None, self.settings.max_items * FEED_CANDIDATES)
        story_ids.update((s.id, None) for s in everything)
        for name in self.reader.categories():
            listed += self._index_candidates(name)
        story_ids.update((s.id, None) for s in listed)
        for story_id in story_ids:
            if not _SAFE_ID.fullmatch(story_id):
                continue  # cannot be a file name safely; served by `aggregator serve` only
            output = self.story(story_id)
            if output is not None:
                yield f"stories/{story_id}/index.html", output
                for fmt in FEED_FORMATS:  # (its own feed, beside its page)
                    own = self.story_feed(story_id, fmt)
                    if own is not None:
                        yield story_feed_path(story_id, fmt), own
