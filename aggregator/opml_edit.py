"""Edit an OPML document in place: add and remove feed outlines, touching nothing else. Pure.

Edits splice bytes at element boundaries that expat reports, so comments, attribute order
and quoting, unknown attributes, indentation and every other outline stay exactly as the
operator wrote them. Every result is parsed again before it is returned, so an edit can never
produce a file the service would reject.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from xml.parsers import expat
from xml.sax.saxutils import escape

from .errors import ConfigError
from .models import Source
from .opml import (
    DEFAULT_CATEGORY,
    _is_feed,
    _lowered,
    declared_encoding,
    outline_label,
    parse_opml,
)
from .wording import duration


@dataclass
class _Node:
    attrs: dict[str, str]
    start: int  # byte offset of "<outline"
    end: int = -1  # byte offset just past the element ("/>" or "</outline>")
    children: list[_Node] = field(default_factory=list)

    def attr(self, name: str) -> str | None:
        for key, value in self.attrs.items():
            if key.lower() == name.lower():
                return value.strip()
        return None

    @property
    def is_feed(self) -> bool:
        return _is_feed(_lowered(self.attrs))  # (what `parse_opml` takes for a feed)

    @property
    def label(self) -> str:
        return outline_label(self.attr("text") or self.attr("title") or "")


@dataclass
class _Tree:
    outlines: list[_Node]  # top level, in document order
    body_close: int  # offset of "</body>" (-1 when missing)
    every: list[_Node]


def _tag_end(data: bytes, start: int) -> int:
    """Offset just past the tag starting at `start`, skipping '>' inside quoted values."""
    quote = 0
    for i in range(start, len(data)):
        c = data[i]
        if quote:
            if c == quote:
                quote = 0
        elif c in (0x22, 0x27):
            quote = c
        elif c == 0x3E:
            return i + 1
    raise ConfigError("unterminated tag")


def _tree(data: bytes, where: str) -> _Tree:
    parse_opml(data, where)  # the document must be valid before it is edited
    parser = expat.ParserCreate()
    stack: list[_Node] = []
    roots: list[_Node] = []
    every: list[_Node] = []
    body_close = -1

    def start(name: str, attrs: dict[str, str]) -> None:
        if name != "outline":
            return
        node = _Node(dict(attrs), parser.CurrentByteIndex)
        head_end = _tag_end(data, node.start)
        if data[head_end - 2 : head_end] == b"/>":
            node.end = head_end
        (stack[-1].children if stack else roots).append(node)
        every.append(node)
        stack.append(node)

    def end(name: str) -> None:
        nonlocal body_close
        if name == "outline":
            node = stack.pop()
            if node.end < 0:
                node.end = _tag_end(data, parser.CurrentByteIndex)
        elif name == "body":
            body_close = parser.CurrentByteIndex

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.Parse(data, True)
    return _Tree(roots, body_close, every)


def _line_indent(data: bytes, offset: int) -> bytes:
    line_start = data.rfind(b"\n", 0, offset) + 1
    prefix = data[line_start:offset]
    return prefix if not prefix.strip() else b""


def _encoding(data: bytes) -> str:
    return declared_encoding(data) or "utf-8"


_BOMS = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _bytewise(name: str) -> bool:
    """Whether text in encoding `name` can be spliced at expat's byte offsets: one byte a
    character, ASCII as ASCII (UTF-8 too: its markup is ASCII)."""
    if name.lower().replace("_", "-") in ("utf-8", "utf8", "us-ascii", "ascii"):
        return True
    try:
        every = bytes(range(256)).decode(name, "replace")
    except LookupError:
        return True  # (the reader says it is unknown)
    return len(every) == 256 and every[:128] == bytes(range(128)).decode("ascii")


def _edited(data: bytes, where: str, edit: Callable[[bytes], bytes]) -> bytes:
    """`edit(data)`; a document in an encoding whose bytes cannot be spliced at expat's
    offsets (UTF-16, Shift_JIS: expat reads no multi-byte encoding but its own) is edited as
    UTF-8 and written back in its own encoding (a character it cannot hold as a reference)."""
    bom, name = next(((b, n) for b, n in _BOMS if data.startswith(b)), (b"", None))
    declared = declared_encoding(data)
    if name is None and (declared is None or _bytewise(declared)):
        return edit(data)
    name = name or declared or "utf-8"
    try:
        text = data[len(bom) :].decode(name)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: not {name} at byte {exc.start + len(bom)}") from None
    said = _SAID.match(text)
    if said is not None:  # (its declaration names the encoding: UTF-8 while edited)
        text = text[: said.start(1)] + "UTF-8" + text[said.end(1) :]
    done = edit(text.encode("utf-8")).decode("utf-8")
    if said is not None:
        again = _SAID.match(done)
        assert again is not None  # (the edit leaves the declaration as it was)
        done = done[: again.start(1)] + said[1] + done[again.end(1) :]
    return bom + done.encode(name, "xmlcharrefreplace")


_SAID = re.compile(r"""\A\ufeff?\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _attr_text(value: str) -> str:
    return escape(value, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def feed_outline(source: Source) -> str:
    """One feed outline, attributes in the order readers write them."""
    parts = [f'type="rss" text="{_attr_text(source.title)}" title="{_attr_text(source.title)}"']
    parts.append(f'xmlUrl="{_attr_text(source.url)}"')
    if source.html_url:
        parts.append(f'htmlUrl="{_attr_text(source.html_url)}"')
    if not source.articles:
        parts.append('articles="off"')
    if not source.images:
        parts.append('images="off"')
    for name, rules in (("exclude", source.exclude), ("include", source.include)):
        if len(rules) == 1:  # (a source's own rule, as `add` gives it)
            parts.append(f'{name}="{_attr_text(rules[0])}"')
    if source.interval is not None:
        parts.append(f'interval="{duration(source.interval)}"')
    if source.user_agent:
        parts.append(f'userAgent="{_attr_text(source.user_agent)}"')
    if source.cookie:
        parts.append(f'cookie="{_attr_text(source.cookie)}"')
    if source.selector:
        parts.append(f'selector="{_attr_text(source.selector)}"')
    if source.remove:
        parts.append(f'remove="{_attr_text(source.remove)}"')
    if source.paused:
        parts.append('paused="on"')
    return f"<outline {' '.join(parts)}/>"


def _checked(data: bytes, where: str) -> bytes:
    parse_opml(data, where)
    return data


def add_feed(data: bytes, source: Source, where: str = "OPML") -> bytes:
    """`data` with a feed outline for `source` added at the end of its category (a new
    category outline at the end when there is none). ConfigError if the URL is listed."""
    return add_feeds(data, [source], where)


def add_feeds(data: bytes, sources: Sequence[Source], where: str = "OPML") -> bytes:
    """`add_feed` of each of `sources`, in order, in one edit: the document is read and
    checked once for each category among them, not once a feed (an import of 4,000 feeds,
    read whole for each, had taken 148 s)."""
    by_category: dict[str, list[Source]] = {}
    for source in sources:
        by_category.setdefault(source.category or DEFAULT_CATEGORY, []).append(source)

    def edit(data: bytes) -> bytes:
        for category, group in by_category.items():
            data = _add_to(data, category, group, where)
        return data

    return _edited(data, where, edit)


def _add_to(data: bytes, category: str, sources: Sequence[Source], where: str) -> bytes:
    """`data` with feed outlines for `sources` added at the end of `category`."""
    tree = _tree(data, where)
    listed = {node.attr("xmlUrl") for node in tree.every if node.is_feed}
    for source in sources:
        if source.url in listed:
            raise ConfigError(f"{where}: {source.url} is already listed")
        listed.add(source.url)
    encoding = _encoding(data)

    def encode(text: str) -> bytes:
        return text.encode(encoding, "xmlcharrefreplace")

    lines = [encode(feed_outline(source)) for source in sources]
    nl = b"\r\n" if b"\r\n" in data else b"\n"  # (a file written on Windows stays so)
    home = next((n for n in tree.outlines if not n.is_feed and n.label == category), None)
    if home is not None and home.children:
        last = home.children[-1]
        indent = _line_indent(data, last.start)
        added = b"".join(nl + indent + line for line in lines)
        return _checked(data[: last.end] + added + data[last.end :], where)
    if home is not None:  # an empty category, written <outline text="X"/>
        indent = _line_indent(data, home.start)
        head = data[home.start : home.end - 2].rstrip()
        inner = b"".join(indent + b"  " + line + nl for line in lines)
        block = head + b">" + nl + inner + indent + b"</outline>"
        return _checked(data[: home.start] + block + data[home.end :], where)
    label = encode(_attr_text(category))
    if tree.outlines:
        last = tree.outlines[-1]
        indent = _line_indent(data, last.start)
        at = last.end
    else:
        if tree.body_close < 0:
            raise ConfigError(f"{where}: no <body> to add to")
        indent = b"  "
        at = tree.body_close
    inner = b"".join(indent + b"  " + line + nl for line in lines)
    block = (
        nl + indent + b'<outline text="' + label + b'" title="' + label + b'">' + nl
        + inner + indent + b"</outline>"
    )  # fmt: skip
    if not tree.outlines:
        block += nl
    return _checked(data[:at] + block + data[at:], where)


def _cut(data: bytes, start: int, end: int) -> bytes:
    """Remove data[start:end], with its line when nothing else is on that line."""
    line_start = data.rfind(b"\n", 0, start) + 1
    line_end = data.find(b"\n", end)
    line_end = len(data) if line_end < 0 else line_end
    if not data[line_start:start].strip() and not data[end:line_end].strip():
        return data[: max(line_start - 1, 0)] + data[line_end:]
    return data[:start] + data[end:]


def remove_feed(data: bytes, url: str, where: str = "OPML") -> bytes:
    """`data` without the feed outline(s) for `url`; a category left empty goes too (an empty
    category is not valid). ConfigError if the URL is not listed or it is the last feed."""
    return _edited(data, where, lambda data: _remove(data, url, where))


def _remove(data: bytes, url: str, where: str) -> bytes:
    tree = _tree(data, where)
    parents: dict[int, _Node | None] = {}

    def visit(nodes: list[_Node], parent: _Node | None) -> None:
        for node in nodes:
            parents[id(node)] = parent
            visit(node.children, node)

    visit(tree.outlines, None)
    doomed: list[_Node] = []
    for node in tree.every:
        if node.is_feed and node.attr("xmlUrl") == url:
            target = node
            parent = parents[id(target)]
            while parent is not None and len(parent.children) == 1 and not parent.is_feed:
                target = parent
                parent = parents[id(target)]
            doomed.append(target)
    if not doomed:
        raise ConfigError(f"{where}: {url} is not listed (`aggregator export` lists the feeds)")
    if all(node.attr("xmlUrl") == url for node in tree.every if node.is_feed):
        # (said as itself: it had been "cannot remove …: no <outline> elements: nothing to poll")
        raise ConfigError(
            f"{where}: {url} is its last feed, and the sources need one: add another first, "
            'or pause it (paused="on" on its outline)'
        )
    for node in sorted(doomed, key=lambda n: n.start, reverse=True):
        data = _cut(data, node.start, node.end)
    try:
        return _checked(data, where)
    except ConfigError as exc:
        raise ConfigError(f"{where}: cannot remove {url}: {exc}") from exc


def render_opml(title: str, sources: list[Source]) -> bytes:
    """A fresh OPML 2.0 document of `sources`, one outline per category, in order."""
    categories: dict[str, list[Source]] = {}
    for source in sources:
        categories.setdefault(source.category or DEFAULT_CATEGORY, []).append(source)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{escape(title)}</title></head>",
        "  <body>",
    ]
    for name, members in categories.items():
        label = _attr_text(name)
        lines.append(f'    <outline text="{label}" title="{label}">')
        lines.extend(f"      {feed_outline(s)}" for s in members)
        lines.append("    </outline>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode("utf-8")
