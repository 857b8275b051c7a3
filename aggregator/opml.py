"""Read and validate the operator's OPML: category outlines holding feed outlines. Pure."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple, NoReturn
from urllib.parse import urlsplit, urlunsplit
from xml.parsers import expat

from .errors import ConfigError
from .models import Source
from .slugs import reserved_slug, slugify

DEFAULT_CATEGORY = "Uncategorized"
# A language tag as a category outline gives it: "fr", "de-CH", "pt-BR" (BCP 47's shape).
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
# What str.isspace() calls a space, and control characters: never part of a URL we poll.
SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f]")


@dataclass(frozen=True, slots=True)
class Opml:
    """A parsed OPML file: its sources and categories in document order."""

    title: str
    sources: tuple[Source, ...]
    categories: tuple[str, ...]  # in document order, each once
    warnings: tuple[str, ...] = ()
    # (category, language): a category outline's `language` (the nearest outline's holds),
    # the language of its pages, feeds and daily email (`site_words`); the site's for others
    languages: tuple[tuple[str, str], ...] = ()


_last_loaded: tuple[str, bytes, Opml] | None = None  # the last file read and its parse


@dataclass
class _Outline:
    """One `<outline>` element while the tree is read."""

    attrs: dict[str, str]
    line: int
    children: list[_Outline] = field(default_factory=list)

    def label(self) -> str:
        return outline_label(self.attrs.get("text") or self.attrs.get("title") or "")


def outline_label(value: str) -> str:
    """An outline's name (a category, a feed's title) as one line: its runs of whitespace,
    line breaks written as `&#10;` among them, one space."""
    return " ".join(value.split())


MAX_DEPTH = 50  # outlines in outlines: categories hold feeds, a reader's folders a few more
MAX_SLUG_BYTES = 200  # a category's address (its slug), in UTF-8: a file name in a static export


# An XML declaration's encoding, and those expat reads itself (others, Shift_JIS, EUC-KR, Big5
# and the like, it refuses: "multi-byte encodings are not supported", a traceback).
_DECLARED = re.compile(
    rb"""\A(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']"""
)
_EXPAT_READS = frozenset({"utf-8", "utf8", "utf-16", "utf16", "us-ascii", "ascii", "iso-8859-1"})


def declared_encoding(data: bytes) -> str | None:
    """The encoding an XML document's declaration names, or None."""
    declared = _DECLARED.match(data)
    return declared[1].decode("ascii") if declared else None


def _readable(data: bytes, where: str) -> bytes:
    """`data` as expat reads it: a document declared in another encoding decoded (Python's
    codecs) and given back as UTF-8, its declaration saying so."""
    name = declared_encoding(data)
    if name is None:
        return data
    if name.lower() in _EXPAT_READS or name.lower().startswith("latin"):
        return data
    try:
        text = data.decode(name)
    except LookupError:
        raise ConfigError(f"{where}: unknown encoding {name!r} in its XML declaration") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{where}: not {name} at byte {exc.start} (its XML declaration says it is)"
        ) from None
    at = text.index(name, text.index("encoding"))
    return (text[:at] + "UTF-8" + text[at + len(name) :]).encode()


def _parse_tree(data: bytes, where: str) -> tuple[str, list[_Outline]]:
    data = _readable(data, where)
    parser = expat.ParserCreate()
    stack: list[_Outline] = []
    roots: list[_Outline] = []
    title_parts: list[str] = []
    in_title = False
    seen_opml = False

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal in_title, seen_opml
        if name == "opml":
            seen_opml = True
        elif name == "title" and not stack:
            in_title = True
        elif name == "outline":
            node = _Outline(dict(attrs), parser.CurrentLineNumber)
            if len(stack) >= MAX_DEPTH:  # (a generated file gone wrong: read as a tree, and
                raise ConfigError(  # by every edit, it would exhaust Python's recursion)
                    f"{where}: line {node.line}: outlines nested more than {MAX_DEPTH} deep"
                )
            (stack[-1].children if stack else roots).append(node)
            stack.append(node)

    def end(name: str) -> None:
        nonlocal in_title
        if name == "outline":
            stack.pop()
        elif name == "title":
            in_title = False

    def chars(text: str) -> None:
        if in_title:
            title_parts.append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    # Entity declarations are never needed in OPML; refusing them defuses entity bombs.
    parser.EntityDeclHandler = _refuse_entities(where)
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ConfigError(
            f"{where}: not valid XML at line {exc.lineno}, column {exc.offset + 1}: "
            f"{expat.ErrorString(exc.code)}"
        ) from exc
    if not seen_opml:
        raise ConfigError(f"{where}: not an OPML file (no <opml> element)")
    return "".join(title_parts).strip(), roots


def _refuse_entities(where: str) -> Callable[..., NoReturn]:
    def handler(*_args: object) -> NoReturn:
        raise ConfigError(f"{where}: entity declarations are not allowed in OPML")

    return handler


# A URL of this plain form (http or https, a host name or dotted address of ASCII letters,
# digits, dots and hyphens, an optional port, a path or query of printable non-space ASCII)
# passes every check below; anything else is checked in full.
_PLAIN_URL = re.compile(r"(?i:https?)://[A-Za-z0-9.-]+(?::(\d{1,5}))?(?:[/?#][!-~]*)?")


_FEED_SCHEME = re.compile(r"(?i)feed:(?://|(?=https?://))")


def without_feed_scheme(url: str) -> str:
    """`url` without the `feed:` pseudo-scheme that subscribe buttons and old exports write:
    "feed://example.org/rss" is http://example.org/rss, "feed:https://…" is https://…."""
    match = _FEED_SCHEME.match(url)
    if match is None:
        return url
    rest = url[match.end() :]
    return rest if match.group().endswith(":") else f"http://{rest}"


def feed_key(url: str) -> str:
    """`url` as one feed whatever its spelling: scheme and host in lower case, no default
    port, no fragment, no empty query ("HTTP://Example.org:80/rss#x?" is
    "http://example.org/rss"). `add` and `import` had listed such a spelling again: one feed
    polled twice."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if ":" in host:  # (an IPv6 address, bracketed again)
        host = f"[{host}]"
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def url_problem(url: str) -> str | None:
    """Why `url` cannot be polled (None when it can): absolute http(s) with a valid host/port."""
    plain = _PLAIN_URL.fullmatch(url)
    if plain is not None and (plain[1] is None or int(plain[1]) <= 65535):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"invalid URL {url!r} ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        meant = without_feed_scheme(url)
        hint = f" (write it as {meant!r})" if meant != url else ""
        return f"not an http(s) URL: {url!r}{hint}"
    if not parts.hostname:
        return f"no host name in URL {url!r}"
    if SPACE_OR_CONTROL.search(url):
        return f"URL {url!r} contains spaces or control characters"
    return None


_OFF = {"off", "false", "no", "0"}
_ON = {"on", "true", "yes", "1"}


# this service's attributes
_OWN = frozenset(
    {
        "articles",
        "exclude",
        "include",
        "interval",
        "useragent",
        "cookie",
        "images",
        "selector",
        "remove",
        "paused",
    }
)


def _own(attrs: dict[str, str]) -> dict[str, str]:
    """An outline's attributes of this service (`_OWN`), by name in lower case, stripped: in
    any case or namespaced (`x:articles`); of two that give one name, the first."""
    out: dict[str, str] = {}
    for key, value in attrs.items():
        name = key.lower().rpartition(":")[2]
        if name in _OWN:
            out.setdefault(name, value.strip())
    return out


MIN_INTERVAL, MAX_INTERVAL = timedelta(minutes=1), timedelta(days=7)  # as `[schedule] interval`


class _Rules(NamedTuple):
    """What an outline holds for the feeds inside it: the entry rules, its own and those of
    the outlines around it, the nearest poll interval and the nearest article switch."""

    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    interval: timedelta | None = None
    articles: bool = True
    user_agent: str | None = None
    cookie: str | None = None
    images: bool = True
    selector: str | None = None
    remove: str | None = None
    paused: bool = False


def read_interval(value: str) -> tuple[timedelta | None, str | None]:
    """An outline's `interval` ("30m", "2h", seconds) and None, or None and why not."""
    from .config import DurationTooLong, parse_duration  # (loaded already with the settings)

    bounds = "expected a duration from 1 minute to 7 days"
    try:
        interval = parse_duration(value)
    except DurationTooLong:
        return None, bounds
    except ValueError as exc:
        return None, str(exc)
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        return None, bounds
    return interval, None


def _rules(
    node: _Outline,
    own: dict[str, str],
    outer: _Rules,
    label: str,
    problems: list[str],
    warnings: list[str],
    left_out: bool = False,
) -> _Rules:
    """`outer` with the outline's own (`own`) `exclude` and `include` rules added, and its
    `interval`, `articles` and `images` switches, `userAgent`, `cookie`, `selector` and
    `remove` in place of those around it. A rule that is not a regular expression, an
    interval that is no duration, a header that cannot be sent (`feed_request`) or a
    selector that is no CSS selector (`articles.selector_problem`) is a problem named by its
    line and outline
    (`left_out`: said so; a cookie's value is never repeated: it may be a login); a switch
    neither on nor off is a warning in `warnings`."""
    if not own:
        return outer

    def fault(shown: str, problem: str) -> None:
        said = f"line {node.line}: outline {label!r}: {shown}: {problem}"
        problems.append(said + ("; left out" if left_out else ""))

    def switch(name: str, now: bool, what: str) -> bool:
        """The outline's own on/off `name`, else `now` (the one around it: a warning)."""
        if name not in own:
            return now
        said = own[name].lower()
        if said in _OFF | _ON:
            return said in _ON
        kept = "on" if now else "off, as the outline around it says"
        warnings.append(
            f"line {node.line}: outline {label!r}: {name}={said!r} is neither "
            f'"on" nor "off"; {what} stay {kept}'
        )
        return now

    articles = switch("articles", outer.articles, "article pages")
    images = switch("images", outer.images, "pictures")
    paused = switch("paused", outer.paused, "pauses")
    exclude, include = outer.exclude, outer.include
    if own.keys() & {"exclude", "include"}:
        from .entry_rules import rule_problem  # (loaded only for a file that has rules)

        for name in ("exclude", "include"):
            rule = own.get(name, "")
            if rule and (problem := rule_problem(rule)):
                fault(f"{name}={rule!r}", problem)
            elif rule and name == "exclude":
                exclude += (rule,)
            elif rule:
                include += (rule,)
    interval = outer.interval
    if value := own.get("interval"):
        given, problem = read_interval(value)
        if problem:
            fault(f"interval={value!r}", problem)
        interval = given or interval
    user_agent, cookie = outer.user_agent, outer.cookie
    if own.keys() & {"useragent", "cookie"}:
        from .feed_request import cookie_problem, user_agent_problem

        if (value := own.get("useragent")) and (problem := user_agent_problem(value)):
            fault(f"userAgent={value!r}", problem)
        elif value:
            user_agent = value
        if (value := own.get("cookie")) and (problem := cookie_problem(value)):
            fault("cookie", problem)
        elif value:
            cookie = value
    css = {"selector": outer.selector, "remove": outer.remove}
    if own.keys() & css.keys():
        from .articles import selector_problem  # (loaded only for a file that has one)

        for name in css:
            if (value := own.get(name)) and (problem := selector_problem(value)):
                fault(f"{name}={value!r}", problem)
            elif value:
                css[name] = value
    return _Rules(
        exclude, include, interval, articles, user_agent, cookie, images, css["selector"],
        css["remove"], paused,
    )  # fmt: skip


def _lowered(attrs: dict[str, str]) -> dict[str, str]:
    """The attributes by lower-case name, stripped: names are matched forgiving case
    (xmlurl, XMLURL …), as readers do; of names that differ only in case, the first."""
    out: dict[str, str] = {}
    for key, value in attrs.items():
        out.setdefault(key.lower(), value.strip())
    return out


def _is_feed(found: dict[str, str]) -> bool:
    """Whether an outline (its `_lowered` attributes) is a feed."""
    kind = (found.get("type") or "").lower()
    return found.get("xmlurl") is not None or kind in {"rss", "atom", "feed"}


def parse_opml(data: bytes, where: str = "OPML", *, export: bool = False) -> Opml:
    """Parse OPML bytes. `where` names the file in every error message.

    Feeds (outlines with `xmlUrl`) take the category of the nearest enclosing outline
    that is not itself a feed; top-level feeds go to "Uncategorized". A feed outline with
    `articles="off"` (or a namespaced `prefix:articles="off"`) never has its article pages
    fetched; one with `images="off"` (its own or a category's) keeps none of its pictures.
    `exclude` and `include` (regular expressions, `entry_rules`) on a feed's outline
    and on the outlines around it say which of its entries to store; one that does not compile
    is an error; so is an `interval` ("30m", "2h": the feed's own poll interval, the nearest
    outline's) that is no duration from a minute to 7 days, and a `userAgent` or `cookie` (the
    feed's own request headers, the nearest outline's: `feed_request`) that cannot be sent, and
    a `selector` (the CSS selector of its article pages' text, the nearest outline's) that is
    no CSS selector.
    An outline with neither an xmlUrl
    nor children is an error. With `export` (another reader's export, read leniently) an
    empty folder, common there, a feed whose address cannot be polled, a rule that does not
    compile and a bad interval are each a warning and left out, and a `feed://` address is
    read as the http(s) one it stands for (`without_feed_scheme`). Categories whose names give
    one address ("World News", "World news"; "Sci/Tech", "Sci-Tech") are one category, named as
    it is first written: each other spelling is a warning (two categories cannot share a page
    and feeds).
    """
    title, roots = _parse_tree(data, where)
    if not roots:
        raise ConfigError(f"{where}: no <outline> elements: nothing to poll")
    sources: list[Source] = []
    categories: list[str] = []
    warnings: list[str] = []
    seen: dict[str, Source] = {}
    problems: list[str] = []
    named: dict[str, str] = {}  # slug -> the category's name, as first written
    languages: dict[str, str] = {}  # category -> its outline's language

    def filed(name: str, line: int) -> str:
        slug = slugify(name)
        if len(slug.encode()) > MAX_SLUG_BYTES and slug not in named:
            # (its files' names, "<slug>.atom", past a file system's 255 bytes: `publish`
            # failed "File name too long" after `check` and `poll` took it)
            problems.append(
                f"line {line}: category {name[:40]!r}… is too long a name: its address would "
                f"be {len(slug.encode())} bytes (at most {MAX_SLUG_BYTES})"
            )
        first = named.setdefault(slug, name)
        if first == name and (reserved := reserved_slug(name)) and name not in categories:
            said = f"line {line}: category {name!r} has the address /{slugify(name)}/"
            warnings.append(f"{said}: /{reserved}/ is taken by the site itself")
        if first != name:
            said = f"line {line}: category {name!r} has the address of {first!r}"
            warnings.append(f"{said} (/{slugify(name)}/); its feeds are filed under {first!r}")
        return first

    def visit(node: _Outline, category: str | None, outer: _Rules, language: str = "") -> None:
        found = _lowered(node.attrs)
        if _is_feed(found):
            url = found.get("xmlurl")
            label = node.label() or (url or "")
            faults = warnings if export else problems
            rules = _rules(node, _own(node.attrs), outer, label, faults, warnings, export)
            if export and url:
                url = without_feed_scheme(url)
            problem = url_problem(url) if url else None
            if problem or not url:
                said = f"line {node.line}: " + (
                    f"feed {label!r}: {problem}" if url else f"feed outline {label!r} has no xmlUrl"
                )
                if export:
                    warnings.append(f"{said}; left out")
                else:
                    problems.append(said)
                return
            name = category or filed(DEFAULT_CATEGORY, node.line)
            key = feed_key(url)  # (one feed however spelt: "HTTP://Host:80/rss#top")
            if key in seen:
                first = seen[key]
                spelt = "" if first.url == url else f" (as {first.url})"
                warnings.append(
                    f"line {node.line}: {url} is listed again{spelt}; kept in {first.category!r}"
                )
                return
            home = found.get("htmlurl") or None
            source = Source(
                url, label, name, home, rules.articles, rules.exclude, rules.include,
                rules.interval, rules.user_agent, rules.cookie, rules.images, rules.selector,
                rules.remove, rules.paused,
            )  # fmt: skip
            seen[key] = source
            sources.append(source)
            if name not in categories:
                categories.append(name)
            if language and category:
                told = languages.setdefault(name, language)
                if told != language:
                    warnings.append(
                        f"line {node.line}: category {name!r} is said to be in {language!r} "
                        f"here and in {told!r} before; {told!r} holds"
                    )
            return
        if not node.children:
            empty = f"line {node.line}: outline {node.label()!r} has neither an xmlUrl nor children"
            (warnings if export else problems).append(empty)
            return
        name = filed(node.label() or category or DEFAULT_CATEGORY, node.line)
        faults = warnings if export else problems
        rules = _rules(node, _own(node.attrs), outer, node.label(), faults, warnings, export)
        own = (found.get("language") or "").strip()
        if own and not LANGUAGE_TAG.fullmatch(own):
            said = f"line {node.line}: outline {node.label()!r}: language={own[:40]!r} is no "
            faults.append(said + 'language tag ("fr", "de-CH")' + ("; left out" if export else ""))
            own = ""
        for child in node.children:
            visit(child, name, rules, own or language)

    for root in roots:
        visit(root, None, _Rules())
    if problems:
        raise ConfigError(f"{where}: " + "; ".join(problems))
    if not sources:
        raise ConfigError(f"{where}: no feed outlines (outlines with an xmlUrl)")
    return Opml(title, tuple(sources), tuple(categories), tuple(warnings), tuple(languages.items()))


# FreshRSS's own outline attributes (https://freshrss.org/opml, written `frss:`) that say what
# one of ours says: the article text's CSS selector, the request headers, the poll interval
_FRESHRSS = {
    "cssfullcontent": "selector",
    "csscontentfilter": "remove",
    "curlopt_useragent": "useragent",
    "curlopt_cookie": "cookie",
    "ttl": "interval",
}


def _freshrss(node: _Outline) -> dict[str, str]:
    """A FreshRSS feed outline's settings (`_FRESHRSS`) as ours (`_own`'s names and forms):
    `frss:ttl` (seconds) as an `interval`, a negative one (a feed FreshRSS mutes: it
    refreshes it no more) as `paused`, 0 (its default) as none."""
    own: dict[str, str] = {}
    for key, value in node.attrs.items():
        prefix, _, name = key.lower().rpartition(":")
        value = value.strip()
        if prefix != "frss" or not value or name not in _FRESHRSS:
            continue
        if name == "ttl":
            if value.lstrip("-").isdigit() and int(value) <= 0:
                if int(value) < 0:  # (muted: FreshRSS refreshes it no more)
                    own.setdefault("paused", "on")
                continue  # (0: FreshRSS's default interval)
            value = f"{value}s" if value.isdigit() else value
        own.setdefault(_FRESHRSS[name], value)
    return own


def freshrss_settings(data: bytes, where: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Per feed address, the settings a FreshRSS export gives it in ours (`selector`,
    `remove`, `user_agent`, `cookie`, `interval`, `paused`: `Source` fields), checked as the
    OPML's own are; what
    cannot be taken is a warning, and left out."""
    _, roots = _parse_tree(data, where)
    found: dict[str, dict[str, Any]] = {}
    warnings: list[str] = []

    def visit(node: _Outline) -> None:
        attrs = _lowered(node.attrs)
        if not _is_feed(attrs):
            for child in node.children:
                visit(child)
            return
        url = without_feed_scheme(attrs.get("xmlurl") or "")
        label = node.label() or url
        own = _freshrss(node)
        if not own or url in found:
            return
        rules = _rules(node, own, _Rules(), label, warnings, warnings, left_out=True)
        taken = {
            "selector": rules.selector,
            "remove": rules.remove,
            "paused": rules.paused or None,
            "user_agent": rules.user_agent,
            "cookie": rules.cookie,
            "interval": rules.interval,
        }
        found[url] = {name: value for name, value in taken.items() if value is not None}

    for root in roots:
        visit(root)
    return found, warnings


def filed_under(name: str, categories: tuple[str, ...]) -> str:
    """The category of `categories` with `name`'s address ("World News" for "world news"),
    or `name` itself when none has it: a feed added there joins that category."""
    slug = slugify(name)
    return next((known for known in categories if slugify(known) == slug), name)


def unreadable(path: Path, exc: OSError) -> str:
    """Why the sources file cannot be read, and, when it is not there, what to do."""
    if isinstance(exc, FileNotFoundError):  # (a mistyped --opml, or a first run elsewhere)
        return (
            f"{path}: no sources file there (check --opml; the feeds.opml that comes with "
            "aggregator is one to start from)"
        )
    return f"{path}: cannot read OPML: {exc.strerror or exc}"


def load_opml(path: Path) -> Opml:
    """Read and parse an OPML file; every problem is a ConfigError naming the file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(unreadable(path, exc)) from exc
    global _last_loaded
    last = _last_loaded
    if last is not None and last[0] == str(path) and last[1] == data:
        return last[2]  # `poll --once` checks the file, then the service loads it: parse once
    opml = parse_opml(data, str(path))
    _last_loaded = (str(path), data, opml)
    return opml
