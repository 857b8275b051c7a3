"""Static export: every feed and page as files any web server can serve.

`aggregator publish --output DIR` writes the same bytes the server would send for each path
(`index.html` for a directory-style URL such as `/world-news/` or `/stories/<id>/`). A file is
rewritten only when its bytes changed (through a temporary file and a rename, so a web server
never sends half a file); an unchanged file keeps its modification time, so web servers'
Last-Modified/ETag validators stay valid.
Files of stories no longer listed stay: old feed items still link to them. Those of a story
the store holds but no longer publishes (withheld by the operator, or left with nothing to
publish) are removed: its page is gone, as the server's is.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aggregator.errors import AggregatorError
from aggregator.feeds import OPML_FORMATS
from aggregator.pages import GENERATOR_META
from aggregator.site import NOT_FOUND_FILE, Site


@dataclass(frozen=True, slots=True)
class ExportReport:
    written: int
    unchanged: int
    paths_written: tuple[str, ...] = field(default=())  # of the files rewritten
    withdrawn: int = 0  # stories whose files were removed (no longer published)
    kept: tuple[str, ...] = ()  # the directory's own files left as they are (`_operators_own`)


def _write_if_changed(target: Path, body: bytes) -> bool:
    """Write `body` at `target` unless it holds it already. A new file is readable by all
    (a web server's own user reads it) and a replaced one keeps its mode (an operator's 0640
    for a web server's group had been made 0644); the directories made for it are readable
    and searchable by all, whatever the umask (the unit's 0077 had made them 0700, and a web
    server running as another user was refused every page)."""
    try:
        if target.read_bytes() == body:
            return False
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    _make_dirs(target.parent)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=_TMP)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


_TMP = ".tmp"
# A file a write that was stopped left (`.<name>.<random>.tmp`): removed by the next export.
_LEFT_TMP = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")


def _make_dirs(where: Path) -> None:
    """`where` and the directories above it that are missing, each 0755."""
    missing: list[Path] = []
    while not where.exists():
        missing.append(where)
        where = where.parent
    for directory in reversed(missing):
        directory.mkdir(exist_ok=True)
        os.chmod(directory, 0o755)


def _clear_left_files(root: Path) -> int:
    """Remove the temporary files a stopped export left under `root` (a SIGTERM mid-write:
    each had stayed for good); how many."""
    removed = 0
    seen: set[tuple[int, int]] = set()
    for top, directories, names in os.walk(root, followlinks=True):  # (a linked volume too)
        found = os.stat(top)
        if (found.st_dev, found.st_ino) in seen:  # (a link back up: walked once)
            directories.clear()
            continue
        seen.add((found.st_dev, found.st_ino))
        for name in names:
            if _LEFT_TMP.match(name):
                Path(top, name).unlink(missing_ok=True)
                removed += 1
    return removed


_MARK = GENERATOR_META.encode()
# robots.txt as every version has written it, whatever the settings: an operator's edit (a
# line added or changed) is no longer one.
_OUR_ROBOTS = re.compile(
    rb"User-agent: \*\n(?:Disallow: \S+\n)*Allow: /\n\n# Every feed: \S*feeds\.opml\n"
)
# The files at the top a web root that serves more than the site may hold as its own: the
# export writes them only where there is none, or where it wrote them (`_written_by_us`).
JUDGED = frozenset({NOT_FOUND_FILE, "robots.txt", "favicon.ico", "favicon.svg"})


def _written_by_us(relative: str, found: bytes, body: bytes) -> bool:
    """Whether `found`, the file at `relative` (one of `JUDGED`), is one an export wrote,
    where it now writes `body`. The 404 page carries our mark (or is the page an earlier
    version wrote without it); robots.txt is ours in its every form (`_OUR_ROBOTS`); a favicon
    is its very bytes (unchanged since the first version: a change must list the former)."""
    if relative == NOT_FOUND_FILE:
        return _MARK in found or found == body.replace(_MARK, b"")
    if relative == "robots.txt":
        return _OUR_ROBOTS.fullmatch(found) is not None
    return found == body


def _operators_own(target: Path, relative: str, body: bytes) -> bool:
    """Whether `target` is a file the export did not write, kept where it would write
    `body` (an operator's own 404.html, robots.txt or favicon in a web root that serves more
    than the site): one not `_written_by_us`. So is what the export never writes nor could
    read back: a link to nothing (a volume not mounted), a directory or a pipe, a file it
    may not read (each had been written over, or had failed the whole export)."""
    try:
        if not stat.S_ISREG(os.stat(target).st_mode):
            return True
        found = target.read_bytes()
    except FileNotFoundError:
        return os.path.lexists(target)
    except OSError:
        return True
    return not _written_by_us(relative, found, body)


# An address in a published OPML: one of the site's own feeds (`/feeds/<slug>.atom`, …/top.rss).
_OWN_FEED = re.compile(r"/feeds/[^/\s]+(?:/top)?\.(?:atom|rss|json)\Z")
_XML_URL = re.compile(rb"""\sxmlUrl\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


def _sources_in_the_way(root: Path) -> str | None:
    """The name of an OPML file in `root` that the export would overwrite and that lists
    feeds other than a published site's own (the sources file: `--output .` in the
    service's directory had replaced ./feeds.opml with the site's own feeds), else None."""
    for name in OPML_FORMATS.values():
        try:
            body = (root / name).read_bytes()
        except OSError:  # (none there: nothing to lose)
            continue
        for match in _XML_URL.finditer(body):
            address = (match[1] or match[2] or b"").decode("utf-8", "replace").strip()
            if not _OWN_FEED.search(address):
                return name
    return None


def export_site(site: Site, output: Path) -> ExportReport:
    """Write every published document under `output`; only changed files are touched. An
    output directory whose OPML lists other feeds (the sources) is refused untouched; a
    404.html, robots.txt or favicon the export did not write (`_operators_own`) is left as it
    is (`kept`)."""
    root = output.resolve()
    written = unchanged = 0
    paths: list[str] = []
    if (name := _sources_in_the_way(root)) is not None:
        raise AggregatorError(
            f"{output}: not written: its {name} lists other feeds than a published site's own "
            "(the sources?), which the export's own would replace; publish into another "
            "directory"
        )
    written_stories: set[str] = set()
    kept: list[str] = []

    def write(relative: str, body: bytes) -> None:
        nonlocal written, unchanged
        # Never outside the output directory: the path's own parts are ours (slugs, hex
        # ids), so it is judged as written; a directory in it may be a link the operator
        # made to another volume (one had been skipped, its pages missing, without a word).
        target = root / relative
        if ".." in Path(relative).parts or Path(relative).is_absolute():
            return
        if relative in JUDGED and _operators_own(target, relative, body):
            kept.append(relative)  # (not listed as the export's: never removed by it)
            return
        if _write_if_changed(target, body):
            written += 1
            paths.append(relative)
        else:
            unchanged += 1
        if relative.startswith("stories/"):
            written_stories.add(relative.split("/")[1])
        else:
            site_files.add(relative)

    site_files: set[str] = set()
    try:
        _make_dirs(root)
        _clear_left_files(root)
        # The stories' pages and feeds go first, the pages and feeds that list them after:
        # written in the site's order, a front page or feed rewritten by an export under way
        # had linked new stories whose pages were not there yet (~0.3 s, more on a big site).
        lists: list[tuple[str, bytes]] = []
        for relative, document in site.files():
            if relative.startswith("stories/"):
                write(relative, document.body)
            else:
                lists.append((relative, document.body))
        for relative, body in lists:
            write(relative, body)
        withdrawn = _remove_withdrawn(site, root, written_stories, write)
        _remove_former(root, site_files, set(kept))
    except OSError as exc:
        raise AggregatorError(f"{output}: cannot write the export: {exc.strerror or exc}") from exc
    return ExportReport(written, unchanged, tuple(paths), withdrawn, tuple(kept))


# The site's own files (not stories') the last export wrote, one relative path a line: the
# next removes those it no longer writes (a removed category's pages and feeds, a renamed
# one's later pages), and nothing else in the directory.
_WRITTEN = ".aggregator-export"


def _remove_former(root: Path, now: set[str], kept: set[str]) -> None:
    """Remove the files the last export wrote (its `_WRITTEN` list) that this one did not,
    with the directories they leave empty, and list this export's. A removed category's
    feeds and pages had stayed as they were, for good (the server answers 404 there), and
    a renamed one's pages past the first (301 there: those it still has are now pages that
    send readers on). What it `kept` (an operator's file where it had written one) stays."""
    listed = root / _WRITTEN
    try:
        before = set(listed.read_text(encoding="utf-8").splitlines())
    except FileNotFoundError:
        before = set()
    for relative in sorted(before - now - kept):
        if not relative or ".." in Path(relative).parts or relative.startswith(("/", "stories/")):
            continue
        target = root / relative
        target.unlink(missing_ok=True)
        for parent in target.parents:  # (the directories it leaves empty, up to the root)
            if parent == root or not parent.is_relative_to(root):
                break
            try:
                parent.rmdir()
            except OSError:  # (not empty, or gone)
                break
    _write_if_changed(listed, "".join(f"{r}\n" for r in sorted(now)).encode())


def _remove_withdrawn(
    site: Site, root: Path, written: set[str], write: Callable[[str, bytes], None]
) -> int:
    """Remove the files of the stories under `root/stories/` the store no longer publishes,
    and put at a merged story's address what stands there now (`Site.merged_files`; none
    when the story it joined is not published: its files go too); how many stories' files
    were removed."""
    stories = root / "stories"
    if not stories.is_dir():
        return 0
    names = [entry.name for entry in stories.iterdir() if entry.is_dir()]
    gone = site.withdrawn(names)
    for old, files in site.merged_files([n for n in names if n not in written]).items():
        if not files:
            gone.add(old)
        for relative, document in files:
            write(relative, document.body)
    for name in gone:
        shutil.rmtree(stories / name)
    return len(gone)
