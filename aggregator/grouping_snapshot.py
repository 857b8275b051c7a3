"""The grouping window kept between processes: a snapshot file beside the database.

A snapshot is the clusterer as a process left it after its last pass, so the next process
(a `poll --once` from cron, a restarted `run`) carries on exactly as the first would have
had it kept running; restoring from the stored rows (`Clusterer.restore`) stays the
fallback. It is used only when it provably matches the store: the same store (its random
id), the same grouping generation (bumped by triggers on every change the window reflects,
see migration `issue6_grouping_generation`), the same code and grouping settings, and a file
read whole with the checksum it was written with. Anything else is logged and ignored.

The file is a pickle, and loading a pickle runs code named in it: it is read only from the
database's own directory (`snapshot_path`), and only when it is a regular file (no symbolic
link, no named pipe), is owned by the process's user and others may not write it (`_not_ours`).
This module is the only one that reads or writes the file.
"""

from __future__ import annotations

import contextlib
import copyreg
import dataclasses
import gc
import hashlib
import importlib
import json
import logging
import os
import pickle
import stat
import sys
import time
import zlib
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from operator import attrgetter
from pathlib import Path
from typing import IO, Any

from .cluster import Clusterer
from .cluster_settings import ClusterSettings
from .private_files import beside_mode, give_to_owner_of, set_mode
from .window_counts import reduce_counter

__all__ = [
    "FORMAT",
    "Stamp",
    "code_fingerprint",
    "load",
    "restamp",
    "save",
    "snapshot_path",
    "stamp_for",
]

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
    """A digest of the package's source (and the machine's byte order, in which arrays are
    saved): a snapshot pickled by other code is not loaded."""
    global _CODE
    if _CODE is None:
        digest = hashlib.sha1(sys.byteorder.encode(), usedforsecurity=False)
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
    its size in bytes. A failure leaves no file behind and is raised. The file is as
    readable as the database (it holds what the window holds of its items), whatever the
    umask, and writable by its owner alone (a pickle runs what it names when loaded)."""
    started = time.process_time()
    for left in path.parent.glob(f".{path.name}.*.tmp"):  # a write killed midway (one
        with contextlib.suppress(OSError):  # writer per store: none is under way)
            left.unlink()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    db = path.with_name(path.name.removesuffix(SUFFIX))
    mode = beside_mode(db) & 0o644
    try:
        # (a new file of its own, never through a link: a name another user took first, in
        # a directory anyone may write, fails the write, and is never given away; never
        # writable by others, whatever the umask, or `load` would refuse it)
        made = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
        with os.fdopen(made, "wb") as raw:
            set_mode(made, mode)  # (exactly: the umask had made it 0644 from a shell)
            give_to_owner_of(made, db)  # (as root: the service reads it)
            raw.seek(_HEADER_MAX)  # (the header goes first once the body's checksum is known)
            body = _Checked(raw)
            # The collector stays off while pickling (as while loading): the pickler makes
            # short-lived objects for every instance it saves, and each collection they set
            # off would walk the whole window, which a cold pass has not frozen.
            collecting = gc.isenabled()
            gc.disable()
            try:
                _dump(clusterer, body)
            finally:
                if collecting:
                    gc.enable()
            raw.seek(0)
            raw.write(_header_line(stamp, body.size, body.crc))
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


def _dump(clusterer: Clusterer, body: _Checked) -> None:
    """Pickle the window straight into the file (the pickler writes each 64 KB frame as it
    is done), with the reductions below: what the write holds on top of the window is the
    pickler's memo, a table of every object saved, which `_Reductions` keeps small."""
    pickler = pickle.Pickler(body, protocol=5)
    pickler.dispatch_table = _Reductions()
    pickler.dump(clusterer)


def load(path: Path | None, stamp: Stamp) -> Clusterer | None:
    """The snapshot's clusterer when it matches `stamp` and reads whole; otherwise None,
    with the reason logged (a stale or broken file is removed)."""
    if path is None:
        return None
    started = time.process_time()
    try:
        # (a named pipe put there is opened without waiting for a writer, then refused)
        raw = os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK), "rb")
    except FileNotFoundError:
        log.info("grouping: no snapshot at %s; restoring from the database", path)
        return None
    except OSError as exc:
        link = path.is_symlink()
        said = "is a symbolic link" if link else f"is unreadable ({exc})"
        log.info("grouping: snapshot %s %s; restoring from the database", path, said)
        if link:
            with contextlib.suppress(OSError):
                path.unlink()
        return None
    with raw:
        why = _not_ours(os.fstat(raw.fileno()))
        clusterer = None
        if not why:
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


def _not_ours(found: os.stat_result) -> str:
    """Why a snapshot file may hold what another user wrote, or is no file at all (a named
    pipe, which would be read as long as its writer likes) ("" when neither): loading a
    pickle runs the code it names, so one owned by another user (root aside), or that others
    may write, is never loaded (a database in a directory anyone may write, such as /tmp; a
    root command never runs the service user's code)."""
    if not stat.S_ISREG(found.st_mode):
        return "not a regular file"
    if found.st_uid not in (os.geteuid(), 0):
        return "owned by another user"
    if found.st_mode & stat.S_IWOTH:
        return "writable by others"
    return ""


def restamp(path: Path | None, old: Stamp, new: Stamp) -> bool:
    """Stamp the snapshot at `path` as matching `new` when it is stamped `old` (the store
    changed where the window holds nothing: retention pruned stories quiet for longer than
    the window, which the window written before stands for as a kept one would). Rewrites
    the header only, in place; False (the file left alone) when it is not `old`'s."""
    if path is None:
        return False
    try:
        # (as `load` opens it: never through a link, nor a file another user could write)
        made = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(made, "r+b") as raw:
            why = _not_ours(os.fstat(raw.fileno()))
            if why:
                log.info("grouping: snapshot %s not restamped (%s)", path, why)
                return False
            header = _header(raw)
            if header is None or header[0] != old:
                return False
            size, crc = header[1:]
            raw.seek(0)
            raw.write(_header_line(new, size, crc))
            raw.flush()
            os.fsync(raw.fileno())
    except OSError as exc:
        log.info("grouping: snapshot %s not restamped (%s)", path, exc)
        return False
    return True


def _header_line(stamp: Stamp, size: int, crc: int) -> bytes:
    header = json.dumps({**dataclasses.asdict(stamp), "size": size, "crc": crc}).encode()
    if len(header) >= _HEADER_MAX:
        raise ValueError("snapshot header too long")
    return header.ljust(_HEADER_MAX - 1) + b"\n"


def _header(raw: IO[bytes]) -> tuple[Stamp, int, int] | None:
    """The stamp a file was written with, and its body's size and checksum."""
    try:
        header = json.loads(raw.read(_HEADER_MAX).decode())
        found = Stamp(
            str(header["store"]),
            int(header["generation"]),
            str(header["settings"]),
            str(header["code"]),
            int(header["format"]),
        )
        return found, int(header["size"]), int(header["crc"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


def _read(raw: IO[bytes], stamp: Stamp) -> tuple[str, Clusterer | None]:
    header = _header(raw)
    if header is None:
        return "no snapshot header", None
    found, size, crc = header
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


class _Unset:
    """Stands for a slot with no value (a class: pickled by name)."""


class _SetterCache(dict[type, tuple[Any, ...]]):
    def __missing__(self, cls: type) -> tuple[Any, ...]:
        names = _slot_names(cls)
        if names is None:
            raise TypeError(f"{cls.__qualname__} is not a record of slots")
        found: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):  # (a subclass's descriptor wins)
            found.update(vars(klass))
        self[cls] = setters = tuple(found[name].__set__ for name in names)
        return setters


class _Reductions(dict[type, Any]):
    """The pickler's dispatch table: copyreg's, plus reductions of the window's records that
    leave the pickler less to hold. The pickler's memo keeps every object it saved alive until
    the end, the temporary ones its reductions make included: by default a slotted record is
    saved as a dict of its slots inside a tuple, a `Counter` as a copy of itself, an array as a
    copy of its bytes and a time as bytes inside a tuple, all held until the dump ends. Here a
    record is saved as its values (streamed), a `Counter` as its items (streamed), an array
    from its own memory and a time as its fields; each loads back equal (a `Counter` in the
    same order). Decided once per type."""

    def __init__(self) -> None:
        super().__init__(copyreg.dispatch_table)

    def __missing__(self, cls: type) -> Any:
        if issubclass(cls, type):
            raise KeyError(cls)  # (classes are saved by name)
        reduce = _reduction(cls)
        self[cls] = reduce
        return reduce


def _reduction(cls: type) -> Any:
    if cls is Counter:
        return reduce_counter
    if cls is datetime:
        return _reduce_datetime
    if cls is array:
        return _reduce_array
    return _reduce_default if _slot_names(cls) is None else _slots_reduction(cls)


def _reduce_default(obj: Any) -> Any:
    return obj.__reduce_ex__(5)  # (what the pickler does without a table entry)


_FROM_TIMESTAMP = datetime.fromtimestamp  # (one object: the pickle names it once)
_EXACT_SECONDS = 2**32  # a timestamp below this keeps its microseconds through a float


def _reduce_datetime(obj: datetime) -> Any:
    """A time at a fixed offset (UTC: every time grouping keeps) as its POSIX timestamp, a
    float, and its zone: the pickler holds that pair until the dump ends (~80 bytes a time,
    where its fields took ~136: a tuple of eight and the year). Below 2**32 s a float's error
    is under 0.24 µs, and `fromtimestamp` rounds to the nearest µs: the time loads back
    exactly. Any other time as its fields."""
    zone = obj.tzinfo
    if type(zone) is timezone and not obj.fold:
        seconds = obj.timestamp()
        if 0.0 <= seconds < _EXACT_SECONDS:
            return (_FROM_TIMESTAMP, (seconds, zone))
    if obj.fold:
        return obj.__reduce_ex__(5)
    fields = (obj.year, obj.month, obj.day, obj.hour, obj.minute, obj.second, obj.microsecond)
    return (datetime, (*fields, obj.tzinfo))


def _reduce_array(obj: array[Any]) -> Any:
    """Its memory as it is (a view, not a copy; the byte order is in `code_fingerprint`)."""
    return (array, (obj.typecode, pickle.PickleBuffer(obj)))


def _slots_reduction(cls: type) -> Callable[[Any], Any]:
    """A record of `cls` is made (and remembered) first, as an instance of a subclass of its
    own that can be filled, then its slots' values are streamed into it (`_filling_class`): a
    record reached again through its own slots (a story's founder's story) is found made,
    and no tuple of its values is kept for the pickler to hold until the dump ends. Its
    values are read in one call (`attrgetter`) unless a slot is unset (`_Unset`: left so)."""
    names = _slot_names(cls) or ()
    if not names:
        empty = (copyreg.__newobj__, _CLASS_ARGS[cls])  # type: ignore[attr-defined]
        return lambda obj: empty
    get = attrgetter(*names)  # (of one name: the value, not a tuple)
    read: Callable[[Any], Any] = get if len(names) > 1 else (lambda obj: (get(obj),))
    whole = (object.__new__, _FILLING_ARGS[cls, True], None)

    def reduce(obj: Any) -> Any:
        try:
            return (*whole, iter(read(obj)))
        except AttributeError:  # (a slot left unset)
            values = [getattr(obj, name, _Unset) for name in names]
            return (object.__new__, _FILLING_ARGS[cls, False], None, iter(values))

    return reduce


class _FillingArgs(dict[tuple[type, bool], tuple[type]]):
    """`(filling class,)`, one tuple a class (see `_ClassArgs`)."""

    def __missing__(self, key: tuple[type, bool]) -> tuple[type]:
        self[key] = args = (_filling_class(*key),)
        return args


_FILLING = "_filling"  # (prefix of the module attributes naming the filling classes)


def _filling_class(cls: type, whole: bool) -> type:
    """A subclass of `cls` with no slots of its own whose `extend` sets the slots of an
    instance from their values in `_slot_names` order (as the unpickler hands them over)
    and makes it a `cls` again. Named as an attribute of this module (`__getattr__`), so
    the pickle names it and a loading process makes it again."""
    module, qualname = cls.__module__, cls.__qualname__
    name = f"{_FILLING}_{'whole' if whole else 'part'}:{module}:{qualname}".replace(".", "/")
    found = _FILLINGS.get(name)
    if found is None:
        extend = _whole_extend(cls) if whole else _part_extend(cls)
        found = type(cls.__name__, (cls,), {"__slots__": (), "extend": extend})
        found.__module__, found.__qualname__ = __name__, name
        _FILLINGS[name] = found
    return found


def _whole_extend(cls: type) -> Callable[[Any, list[Any]], None]:
    """`extend` for a record with every slot set: its slots set in one statement
    (`obj.a, obj.b, = values`, a fraction of a loop over the slots' setters: a load fills
    ~90,000 records at 60k items), then its class."""
    names = _slot_names(cls)
    assert names and all(name.isidentifier() for name in names)
    targets = ", ".join(f"obj.{name}" for name in names)
    code = f"def extend(obj, values):\n    {targets}, = values\n    obj.__class__ = cls\n"
    space: dict[str, Any] = {"cls": cls}
    exec(code, space)  # (names are the class's own slots, checked above)
    extend: Callable[[Any, list[Any]], None] = space["extend"]
    return extend


def _part_extend(cls: type) -> Callable[[Any, list[Any]], None]:
    """`extend` for a record with slots left unset (`_Unset`: left so)."""
    setters = _SETTERS[cls]

    def extend(obj: Any, values: list[Any]) -> None:
        for set_slot, value in zip(setters, values, strict=True):
            if value is not _Unset:
                set_slot(obj, value)
        obj.__class__ = cls

    return extend


_FILLINGS: dict[str, type] = {}


def __getattr__(name: str) -> Any:
    """The filling class a pickle names (see `_filling_class`)."""
    if not name.startswith(_FILLING + "_"):
        raise AttributeError(name)
    kind, module, qualname = name.replace("/", ".").split(":")
    cls: Any = importlib.import_module(module)
    for part in qualname.split("."):
        cls = getattr(cls, part)
    return _filling_class(cls, kind == _FILLING + "_whole")


class _ClassArgs(dict[type, tuple[type]]):
    """`(cls,)`, one tuple a class: the pickler saves it once and refers back to it, where a
    fresh tuple a record would be memoised, and kept, once a record."""

    def __missing__(self, cls: type) -> tuple[type]:
        self[cls] = args = (cls,)
        return args


_SLOTS: dict[type, tuple[str, ...] | None] = {}
_SETTERS = _SetterCache()  # class → its slots' setters, in the order of `_slot_names`
_CLASS_ARGS = _ClassArgs()
_FILLING_ARGS = _FillingArgs()


def _slot_names(cls: type) -> tuple[str, ...] | None:
    """The slots of a class whose instances hold only slots and which pickles in no way of
    its own (so its records are rebuilt from their values); None for any other class."""
    if cls not in _SLOTS:
        _SLOTS[cls] = None if _pickles_itself(cls) else _slots_of(cls)
    return _SLOTS[cls]


def _pickles_itself(cls: type) -> bool:
    return (
        cls.__reduce_ex__ is not object.__reduce_ex__  # type: ignore[comparison-overlap]
        or cls.__reduce__ is not object.__reduce__  # type: ignore[comparison-overlap]
        or getattr(cls, "__getstate__", object.__getstate__) is not object.__getstate__
        or hasattr(cls, "__setstate__")
        or cls.__new__ is not object.__new__  # type: ignore[comparison-overlap]
    )


def _slots_of(cls: type) -> tuple[str, ...] | None:
    names: list[str] = []
    for klass in cls.__mro__[:-1]:
        slots = klass.__dict__.get("__slots__")
        if slots is None:
            return None  # (its instances have a __dict__, or it is built in)
        for name in (slots,) if isinstance(slots, str) else slots:
            if name == "__dict__":
                return None
            if name == "__weakref__":
                continue
            if name.startswith("__") and not name.endswith("__"):
                name = f"_{klass.__name__.lstrip('_')}{name}"  # (as Python mangles it)
            names.append(name)
    return tuple(names)


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
        n: int = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self._seen(memoryview(buffer)[:n])
        return n
