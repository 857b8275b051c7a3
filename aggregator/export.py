"""Static export: every feed and page as files any web server can serve.

`aggregator publish --output DIR` writes the same bytes the server would send for each path
(`index.html` for a directory-style URL such as `/world-news/` or `/stories/<id>`). A file is
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
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from aggregator.errors import AggregatorError
from aggregator.feeds import OPML_FORMATS
from aggregator.site import Site


@dataclass(frozen=True, slots=True)
class ExportReport:
    written: int
    unchanged: int
    paths_written: tuple[str, ...] = field(default=())  # of the files rewritten
    withdrawn: int = 0  # stories whose files were removed (no longer published)


def _write_if_changed(target: Path, body: bytes) -> bool:
    try:
        if target.read_bytes() == body:
            return False
    except FileNotFoundError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


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
    output directory whose OPML lists other feeds (the sources) is refused untouched."""
    root = output.resolve()
    written = unchanged = 0
    paths: list[str] = []
    if (name := _sources_in_the_way(root)) is not None:
        raise AggregatorError(
            f"{output}: not written: its {name} lists other feeds than a published site's own "
            "(the sources?), which the export's own would replace; publish into another "
            "directory"
        )
    try:
        root.mkdir(parents=True, exist_ok=True)
        for relative, document in site.files():
            target = (root / relative).resolve()
            if not target.is_relative_to(root):  # never outside the output directory
                continue
            if _write_if_changed(target, document.body):
                written += 1
                paths.append(relative)
            else:
                unchanged += 1
        withdrawn = _remove_withdrawn(site, root)
    except OSError as exc:
        raise AggregatorError(f"{output}: cannot write the export: {exc.strerror or exc}") from exc
    return ExportReport(written, unchanged, tuple(paths), withdrawn)


def _remove_withdrawn(site: Site, root: Path) -> int:
    """Remove the files of the stories under `root/stories/` the store no longer publishes;
    how many stories'."""
    stories = root / "stories"
    if not stories.is_dir():
        return 0
    names = [entry.name for entry in stories.iterdir() if entry.is_dir()]
    gone = site.withdrawn(names)
    for name in gone:
        shutil.rmtree(stories / name)
    return len(gone)
