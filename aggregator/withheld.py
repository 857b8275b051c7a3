"""What the operator withholds from publication: stories and articles listed in `withheld.txt`
beside the OPML (a takedown, a wrong merge, a source's piece that must not be republished),
and the articles they set apart from the story grouping put them in. Pure: reading the list,
and whether an item is withheld.

One entry a line, `#` starts a comment:

    https://news.example.org/stories/3f2a9c1e0b7d4a55/  # a story: its page's address
    3f2a9c1e0b7d4a55                                     # or its id
    https://www.example.com/2025/02/article.html         # an article, in whichever story
    apart https://www.example.com/2025/02/other.html     # an article set apart
    join 3f2a9c1e0b7d4a55 0123456789abcdef               # stories that are one

A story withheld publishes nothing, now or as items join it; an article withheld is left out
of its story's summary and source list (and so are other feeds' copies of it), and a story
left with nothing else is not published. Grouping still sees them: a copy of a withheld
article arriving from another feed joins its story and is withheld with it. Taking a line
out publishes them again at the next pass.

An article set apart (a wrong merge, mended) leaves the story it is in, with other feeds'
copies of it, for a story of its own that is published as any other and that nothing else
joins (`grouping.set_apart`); the story it left keeps its id and its other reports. Taking
the line out leaves it where it is.

Stories joined (a paraphrase grouping missed) become one under the id of the one whose first
report is oldest, as grouping's own merges do (`grouping.join_stories`); the others' pages
and feeds lead there. Taking the line out leaves them one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .models import Item

__all__ = [
    "APART",
    "FILE_NAME",
    "JOIN",
    "Withheld",
    "not_held_said",
    "parse_withheld",
    "read_withheld",
    "withheld_path",
]

FILE_NAME = "withheld.txt"
APART = "apart"  # the word before an article set apart from its story
JOIN = "join"  # the word before stories that are to be one
_STORY_ID = re.compile(r"[0-9a-f]{16}")  # (`cluster.new_story_id`'s form)
_COMMENT = re.compile(r"(?:^|\s)#.*$")
_STORY_PAGE = re.compile(r"/stories/([0-9a-f]{16})(?:/(?:updates\.(?:atom|rss|json))?)?$")


@dataclass(frozen=True, slots=True)
class Withheld:
    """The stories (by id) and articles (by canonical URL) withheld from publication."""

    stories: frozenset[str] = frozenset()
    articles: frozenset[str] = frozenset()
    apart: frozenset[str] = frozenset()  # articles set apart from their story (canonical URLs)
    joins: frozenset[tuple[str, ...]] = frozenset()  # stories to be one (ids, sorted)

    def __bool__(self) -> bool:
        return bool(self.stories or self.articles or self.apart or self.joins)

    def named_stories(self) -> list[str]:
        """The story ids the list names, withheld or joined, sorted."""
        return sorted(self.stories.union(*self.joins))

    def mends(self) -> list[str]:
        """What the list mends besides withholding, said ("1 article set apart", "2 joins
        of stories"), for `check` and `status`."""
        from .wording import counted

        said = [f"{counted(len(self.apart), 'article')} set apart"] if self.apart else []
        if self.joins:
            said.append(f"{counted(len(self.joins), 'join')} of stories")
        return said

    def holds(self, item: Item) -> bool:
        """Whether the item's own article is withheld (by its link or canonical link)."""
        if not self.articles:
            return False
        if item.canonical_url:
            return item.canonical_url in self.articles
        from .dedupe import canonical_url  # (not loaded by a pass with no list)

        return (canonical_url(item.url) or "") in self.articles

    def published(self, story_id: str, members: Sequence[Item]) -> list[Item]:
        """The members of story `story_id` it may be published from: none for a withheld
        story; else all but the withheld articles and their copies from other feeds."""
        if story_id in self.stories:
            return []
        if not self.articles:
            return list(members)
        gone = {item.id for item in members if self.holds(item)}
        return [i for i in members if i.id not in gone and i.duplicate_of not in gone]

    def to_lines(self) -> list[str]:
        """The list as stored (sorted): story ids, article URLs, then `apart` and `join`
        lines."""
        apart = [f"{APART} {url}" for url in sorted(self.apart)]
        joins = [" ".join((JOIN, *ids)) for ids in sorted(self.joins)]
        return sorted(self.stories) + sorted(self.articles) + apart + joins

    @classmethod
    def from_lines(cls, lines: Sequence[str]) -> Withheld:
        """The list `to_lines` stored."""
        stories = frozenset(line for line in lines if _STORY_ID.fullmatch(line))
        said = [line.split(" ") for line in lines if " " in line]
        apart = frozenset(words[1] for words in said if words[0] == APART)
        joins = frozenset(tuple(words[1:]) for words in said if words[0] == JOIN)
        articles = (line for line in lines if line not in stories and " " not in line)
        return cls(stories, frozenset(articles), apart, joins)

    def stored(self) -> str:
        """The list as the store's meta table keeps it (its lines, as JSON)."""
        return json.dumps(self.to_lines())

    @classmethod
    def from_stored(cls, value: str | None) -> Withheld:
        """The list `stored` kept (none when nothing is kept)."""
        return cls.from_lines(json.loads(value)) if value else cls()


def not_held_said(missing: Sequence[str], holder: str = "the database") -> str:
    """How the log, `status` and `check` say the list names stories `holder` does not hold
    (`Reader.stories_not_held`): "names 1 story the database does not hold (…): <ids>"."""
    from .wording import counted

    stories, ids = counted(len(missing), "story", "stories"), " ".join(missing)
    return f"names {stories} {holder} does not hold (mistyped, or pruned since): {ids}"


def read_withheld(path: Path) -> Withheld:
    """The list in the file at `path` (none when there is no file); ConfigError when it cannot
    be read, or a line is neither of what `parse_withheld` takes."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # (a BOM a Windows editor wrote)
    except FileNotFoundError:
        return Withheld()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the withheld list: {exc}") from exc
    return parse_withheld(text, str(path))


def withheld_path(opml: Path) -> Path:
    """Where the list lives: beside the OPML."""
    return opml.with_name(FILE_NAME)


def _story_ref(said: str) -> str | None:
    """The story a reference names (its id, or its page's or feed's address); None when it
    names none."""
    if _STORY_ID.fullmatch(said.lower()):  # (an id typed or pasted in capitals is that id)
        return said.lower()
    found = _STORY_PAGE.search(said.split("?", 1)[0]) if " " not in said else None
    if found is not None and said.startswith(("http://", "https://")):
        return found[1]
    return None


def parse_withheld(text: str, source: str = FILE_NAME) -> Withheld:
    """The list in `text`; ConfigError naming the first line that is neither a story (its
    id, or its page's or feed's address) nor an article's http(s) address, nor an `apart`
    article or a `join` of stories."""
    from .dedupe import canonical_url  # (not loaded by a pass with no list)

    stories: set[str] = set()
    articles: set[str] = set()
    apart: set[str] = set()
    joins: set[tuple[str, ...]] = set()
    for number, raw in enumerate(text.splitlines(), 1):
        line = _COMMENT.sub("", raw).strip()  # (a "#" inside an address is its fragment)
        if not line:
            continue
        word, *rest = line.split(None, 1)
        said = rest[0] if rest else ""
        if word.lower() == APART:
            article = canonical_url(said) if said and not said.split()[1:] else None
            if article is None or _story_ref(said) is not None:
                raise ConfigError(
                    f"{source}: line {number}: {APART!r} takes one article's http(s) address, "
                    f"not {said[:80]!r}"
                )
            apart.add(article)
            continue
        if word.lower() == JOIN:
            refs = [(ref, _story_ref(ref)) for ref in said.split()]
            named = sorted({story for _, story in refs if story is not None})
            wrong = [ref for ref, story in refs if story is None]
            if wrong or len(named) < 2:
                what = f"not {wrong[0][:80]!r}" if wrong else f"{len(named)} given"
                raise ConfigError(
                    f"{source}: line {number}: {JOIN!r} takes two or more stories (their ids "
                    f"or their pages' addresses), {what}"
                )
            joins.add(tuple(named))
            continue
        story = _story_ref(line)
        if story is not None:
            stories.add(story)
            continue
        article = canonical_url(line) if " " not in line else None
        if article is None:
            raise ConfigError(
                f"{source}: line {number}: {line[:80]!r} is neither a story (its id or its "
                "page's address) nor an article's http(s) address"
            )
        articles.add(article)
    return Withheld(frozenset(stories), frozenset(articles), frozenset(apart), frozenset(joins))
