"""OPML reload: the sources in force follow the OPML file. Checked every tick (and on
SIGHUP): a changed file (modification time or size) is read again and synced to the store;
a broken edit is logged once and the last good sources stay in force. The refused edit (which
file, why, since when) is kept in the store's meta table, where `status` and /healthz read it,
until a good edit is loaded. A changed file is read once it holds still (`file_settle`): an
editor's save in steps is not refused for its half-way state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import ConfigError, StorageError
from .file_settle import Pause, Settling
from .health import OPML_REFUSED
from .models import Source
from .opml import load_opml, unreadable
from .own_site import own_base_of, own_site_said
from .refused_edit import RefusedEdit
from .schedule import ScheduleSettings, intervals_overruled
from .slugs import slugify
from .store import Store
from .withheld import withheld_path
from .withheld_reload import WithheldReload
from .wording import counted, feeds_named

__all__ = ["OpmlReload"]

log = logging.getLogger("aggregator")


Write = Callable[..., Awaitable[Any]]
Stamp = tuple[int, int]  # modification time (ns), size


def _gone(path: Path, exc: OSError) -> str:
    """Why a running service's sources file cannot be read any more, and what to do."""
    if isinstance(exc, FileNotFoundError):
        return (
            f"{path}: the sources file is not there (moved or removed?): put it back, or "
            "restart the service with --opml naming where it is now"
        )
    return unreadable(path, exc)


class OpmlReload:
    """Syncs the OPML's sources to the store when the file changed; `write` runs store calls
    on the writer thread."""

    def __init__(
        self,
        path: Path,
        store: Store,
        write: Write,
        clock: Callable[[], datetime],
        schedule: ScheduleSettings | None = None,
        own: Sequence[str] = (),
    ) -> None:
        self.path = path
        self.store = store
        self.write = write
        self.clock = clock
        self.schedule = schedule or ScheduleSettings()
        self.own = tuple(own)  # the site's own base addresses (`own_site`): never polled
        self._stamp: Stamp | None = None
        # A broken edit of the OPML, kept for `status` and /healthz until a good one is read.
        self.refused = RefusedEdit(OPML_REFUSED, path, store, write, clock)
        # What the operator withholds from publication, in the file beside the OPML.
        self.withheld = WithheldReload(withheld_path(path), store, write, clock)
        # Told the sources an edit lists, before they are stored (`PollJob.relisted`).
        self.before_sync: Callable[[Sequence[Source]], None] | None = None
        self.pause: Pause = asyncio.sleep  # between looks at a changed file (`held_still`)
        self._settling = Settling(f"OPML {path}")

    def _look(self) -> Stamp | None:
        """The file's stamp as `load` keeps it; None when it cannot be read."""
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    async def _being_written(self) -> bool:
        """Whether an editor's save in steps of the file is not yet over (`Settling`)."""
        return await self._settling.being_written(self._look, self._stamp, self.pause)

    def forget(self) -> None:
        """Read the file on the next check even if it looks unchanged (a SIGHUP)."""
        self._stamp = None
        self.withheld.forget()

    async def load(self, *, strict: bool) -> bool:
        """Re-read the OPML if it changed since the last load; sync sources to the store.

        With `strict`, a bad OPML raises ConfigError; otherwise it is logged and stored (for
        `status` and /healthz) and the last good configuration stays in force. Returns True
        when sources were (re)loaded. The withheld list beside it is read as it changes too
        (`WithheldReload`).
        """
        await self.withheld.load(strict=strict)
        if not strict and await self._being_written():
            return False  # read whole at a later check
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except OSError as exc:
            if strict:
                raise ConfigError(unreadable(self.path, exc)) from exc
            said = _gone(self.path, exc)
            if await self.refused.refuse(said):
                feeds = len(await self.write(self.store.sources))
                going_on = f"polling goes on with the {counted(feeds, 'feed')} it had"
                log.error("%s; %s until then", said, going_on if feeds else "no feed is polled")
            self._stamp = None  # the file back as it was is read again, and clears the refusal
            return False
        if stamp == self._stamp:
            return False
        try:
            opml = load_opml(self.path)
        except ConfigError as exc:
            if strict:
                raise
            await self.refused.refuse(str(exc))
            self._stamp = stamp  # don't log the same broken edit every tick
            log.error("%s; keeping the last good sources", exc)
            return False
        except Exception as exc:  # a bug on an odd edit: refused as a broken one, said once
            said = f"{self.path}: cannot be read: {type(exc).__name__}: {exc}"
            log.exception("%s; keeping the last good sources", said)
            if strict:
                raise ConfigError(said) from exc
            await self.refused.refuse(said)
            self._stamp = stamp
            return False
        for warning in opml.warnings:
            log.warning("opml=%s %s", self.path, warning)
        sources = self._not_own(opml.sources)
        own = ((s.url, s.interval) for s in sources)
        for said, urls in intervals_overruled(self.schedule, own).items():
            log.warning("%s %s", feeds_named(urls), said)
        if self.before_sync is not None:
            self.before_sync(sources)
        changes = await self.write(self.store.sync_sources, sources, self.clock())
        languages = dict(opml.languages)
        if await self.write(self.store.set_category_languages, languages):
            self._say_languages(languages)
        await self.refused.clear()
        self._stamp = stamp
        renamed = set(changes.renamed)
        for url, before, after in changes.moved:
            if (before, after) not in renamed:  # (said once for the whole category below)
                log.info("feed=%s moved category=%r from=%r", url, after, before)
        for before, after in changes.renamed:
            log.info(
                "category=%r renamed from=%r: links to /%s/ and its feeds lead to /%s/",
                after,
                before,
                slugify(before),
                slugify(after),
            )
        if changes.rules_changed:  # (a category's rule: one line for its feeds)
            urls = list(changes.rules_changed)
            one = len(urls) == 1
            what = "its next poll reads the feed" if one else "their next polls read them"
            log.info("%s entry rules changed: %s whole", feeds_named(urls), what)
        if changes.headers_changed:
            urls = list(changes.headers_changed)
            due = "it is polled" if len(urls) == 1 else "they are polled"
            log.info("%s request headers changed: %s at the next tick", feeds_named(urls), due)
        if changes.paused:
            urls = list(changes.paused)
            log.info("%s paused: not polled until the OPML says otherwise", feeds_named(urls))
        if changes.resumed:
            urls = list(changes.resumed)
            due = "it is polled" if len(urls) == 1 else "they are polled"
            log.info("%s resumed: %s at the next tick", feeds_named(urls), due)
        if changes.selectors_changed:
            urls = list(changes.selectors_changed)
            whose = "its pages are" if len(urls) == 1 else "their pages are"
            log.info(
                "%s article selector changed: %s read again at the next pass",
                feeds_named(urls),
                whose,
            )
        log.info(
            "opml=%s feeds=%d categories=%d added=%d removed=%d moved=%d rules_changed=%d "
            "headers_changed=%d selectors_changed=%d",
            self.path,
            len(sources),
            len(opml.categories),
            changes.added,
            changes.removed,
            len(changes.moved),
            len(changes.rules_changed),
            len(changes.headers_changed),
            len(changes.selectors_changed),
        )
        return True

    def _not_own(self, sources: Sequence[Source]) -> list[Source]:
        """`sources` without those at the site's own addresses, each warned of (its feeds
        polled would bring its own summaries back as an outlet's, in a loop)."""
        kept = []
        for source in sources:
            if (base := own_base_of(source.url, self.own)) is not None:
                said = own_site_said(base, self.own)
                log.warning("opml=%s feed=%s %s; not polled", self.path, source.url, said)
            else:
                kept.append(source)
        return kept

    def _say_languages(self, languages: dict[str, str]) -> None:
        """The log's line on the categories' own languages, as they changed; a warning for
        one without words of its own (`site_words`)."""
        from .site_words import has_words  # (a pass that reads no new OPML loads no words)

        said = ", ".join(f"{name!r}={language}" for name, language in languages.items())
        log.info("opml=%s category languages: %s", self.path, said or "none (the site's)")
        for name, language in languages.items():
            if not has_words(language):
                log.warning(
                    "category=%r language=%s has no words of its own here: its pages, feeds "
                    "and daily email say theirs in English",
                    name,
                    language,
                )

    async def load_logged(self) -> None:
        """`load` as a tick does it: a database failure is logged and retried next tick."""
        try:
            await self.load(strict=False)
        except StorageError as exc:
            log.error("opml=%s not applied: %s; trying again next tick", self.path, exc)
        except Exception:  # a bug on an odd edit: the last good sources stay, as for a bad one
            log.exception("opml=%s not applied; the last good sources stay", self.path)
