"""The grouping window kept between processes: a snapshot file beside the database.

A snapshot is the clusterer as a process left it after its last pass, so the next process
(a `poll --once` from cron, a restarted `run`) carries on exactly as the first would have
had it kept running; restoring from the stored rows (`Clusterer.restore`) stays the
fallback. It is used only when it provably matches the store: the same store (its random
id), the same grouping generation (bumped by triggers on every change the window reflects,
see migration `issue6_grouping_generation`), the same code and grouping settings, and a file
read whole with the checksum it was written with. Anything else is logged and ignored.

The file is a pickle, and loading a pickle runs code named in it: it is read only from the
database's own directory (`snapshot_path`), which only the store's owner may write.
This module is the only one that reads or writes the file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import json
import logging
import os
import pickle
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .cluster import Clusterer
from .cluster_settings import ClusterSettings

__all__ = ["FORMAT", "Stamp", "code_fingerprint", "load", "save", "snapshot_path", "stamp_for"]

log = logging.getLogger("aggregator")
FORMAT = 1  # the file's layout (header line, then the pickle)
SUFFIX = ".grouping"
_HEADER_MAX = 4096


@dataclass(frozen=True, slots=True)
class Stamp:
    """What a snapshot must match to be used."""

    store: str  # the store's random id (meta `store_id`)
    generation: int  # its grouping generation when the snapshot's state was last written
    settings: str  # fingerprint of the grouping settings
    code: str  # fingerprint of the code that pickled it
    format: int = FORMAT


def snapshot_path(db_path: str | Path) -> Path | None:
    """`<db>.grouping` beside the database (None for an in-memory store)."""
    if str(db_path) == ":memory:" or not str(db_path):
        return None
    path = Path(db_path)
    return path.with_name(path.name + SUFFIX)


_CODE: str | None = None


def code_fingerprint() -> str:
    """A digest of the package's source: a snapshot pickled by other code is not loaded."""
    global _CODE
    if _CODE is None:
        digest = hashlib.sha1(usedforsecurity=False)
        for path in sorted(Path(__file__).parent.glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        _CODE = digest.hexdigest()
    return _CODE


def settings_fingerprint(settings: ClusterSettings) -> str:
    """A digest of the settings grouping decides by (the snapshot switch left out)."""
    text = repr(dataclasses.replace(settings, snapshot=True))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def stamp_for(store: str, generation: int, settings: ClusterSettings) -> Stamp:
    return Stamp(store, generation, settings_fingerprint(settings), code_fingerprint())


def save(path: Path, clusterer: Clusterer, stamp: Stamp) -> int:
    """Write the snapshot atomically (a temporary file beside it, then a rename); returns
    its size in bytes. A failure leaves no file behind and is raised."""
    started = time.process_time()
    for left in path.parent.glob(f".{path.name}.*.tmp"):  # a write killed midway (one
        with contextlib.suppress(OSError):  # writer per store: none is under way)
            left.unlink()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as raw:
            raw.seek(_HEADER_MAX)  # (the header goes first once the body's checksum is known)
            body = _Checked(raw)
            # The collector stays off while pickling (as while loading): the pickler makes
            # short-lived objects for every instance it saves, and each collection they set
            # off would walk the whole window, which a cold pass has not frozen.
            collecting = gc.isenabled()
            gc.disable()
            try:
                pickle.dump(clusterer, body, protocol=5)
            finally:
                if collecting:
                    gc.enable()
            header = json.dumps(
                {**dataclasses.asdict(stamp), "size": body.size, "crc": body.crc}
            ).encode()
            if len(header) >= _HEADER_MAX:
                raise ValueError("snapshot header too long")
            raw.seek(0)
            raw.write(header.ljust(_HEADER_MAX - 1) + b"\n")
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    size = path.stat().st_size
    log.info(
        "grouping snapshot written: %s (%.1f MB, %.2f CPU s)",
        path,
        size / 1e6,
        time.process_time() - started,
    )
    return size


def load(path: Path | None, stamp: Stamp) -> Clusterer | None:
    """The snapshot's clusterer when it matches `stamp` and reads whole; otherwise None,
    with the reason logged (a stale or broken file is removed)."""
    if path is None:
        return None
    started = time.process_time()
    try:
        raw = open(path, "rb")  # noqa: SIM115 (closed below)
    except FileNotFoundError:
        log.info("grouping: no snapshot at %s; restoring from the database", path)
        return None
    except OSError as exc:
        log.info("grouping: snapshot %s unreadable (%s); restoring from the database", path, exc)
        return None
    with raw:
        why, clusterer = _read(raw, stamp)
    if clusterer is None:
        log.info("grouping: snapshot %s not used (%s); restoring from the database", path, why)
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    log.info(
        "grouping: window loaded from the snapshot %s (%d active stories, %.2f CPU s)",
        path,
        clusterer.active_stories,
        time.process_time() - started,
    )
    return clusterer


def _read(raw: IO[bytes], stamp: Stamp) -> tuple[str, Clusterer | None]:
    try:
        header = json.loads(raw.read(_HEADER_MAX).decode())
        found = Stamp(
            str(header["store"]),
            int(header["generation"]),
            str(header["settings"]),
            str(header["code"]),
            int(header["format"]),
        )
        size, crc = int(header["size"]), int(header["crc"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return "no snapshot header", None
    for name, reason in (
        ("format", "another file format"),
        ("store", "written for another database"),
        ("code", "written by other code"),
        ("settings", "other grouping settings"),
        ("generation", "the store changed since"),
    ):
        if getattr(found, name) != getattr(stamp, name):
            return reason, None
    if os.fstat(raw.fileno()).st_size != _HEADER_MAX + size:
        return "truncated", None
    body = _Checked(raw)
    collecting = gc.isenabled()
    gc.disable()  # millions of small objects, as a restore builds (see `Clusterer.restore`)
    gc.unfreeze()
    try:
        clusterer = pickle.load(body)
    except Exception as exc:  # a broken file: anything the unpickler raises
        return f"unreadable: {type(exc).__name__}: {exc}", None
    finally:
        if collecting:
            gc.enable()
    if body.crc != crc or body.size != size or not isinstance(clusterer, Clusterer):
        return "checksum mismatch", None
    gc.freeze()  # the window lives as long as the process (see `Clusterer.restore`)
    return "", clusterer


class _Checked:
    """A file wrapper that sums (CRC-32) and counts the bytes read or written through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.crc = 0
        self.size = 0

    def _seen(self, data: Any) -> None:
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)

    def write(self, data: Any) -> int:
        self._seen(data)
        return self.raw.write(data)

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self._seen(data)
        return data

    def readline(self) -> bytes:
        data = self.raw.readline()
        self._seen(data)
        return data

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self._seen(memoryview(buffer)[:n])
        return n
