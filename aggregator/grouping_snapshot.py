"""The grouping window kept between processes: a snapshot file beside the database.

A snapshot is the clusterer as a process left it after its last pass, so the next process
(a `poll --once` from cron, a restarted `run`) carries on exactly as the first would have
had it kept running; restoring from the stored rows (`Clusterer.restore`) stays the
fallback. It is used only when it provably matches the store: the same store (its random
id), the same grouping generation (bumped by triggers on every change the window reflects,
see migration `issue6_grouping_generation`), the same code and grouping settings, and a file
read whole with the checksum it was written with. Anything else is logged and ignored.

The file is a header line, then pickles: the window's terms and its stories' logs (`_Tables`),
then the window, which refers to them by number (FORMAT 2; a file of another layout is stale,
and rebuilt from the rows). Loading a pickle runs code named in it: the file is read only from
the database's own directory (`snapshot_path`), which only the store's owner may write.
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
import sys
import threading
import time
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timezone
from itertools import accumulate, chain, count, filterfalse
from operator import attrgetter, itemgetter
from pathlib import Path
from sys import intern
from typing import IO, Any

from .active_story import ActiveStory, ProfileMember
from .boilerplate import RepeatedTexts
from .cluster import Clusterer
from .cluster_settings import ClusterSettings
from .features import Packed
from .profile_index import Crowd, ProfileIndex
from .window_counts import OutletCounts, WindowCounts, reduce_counter

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
FORMAT = 2  # the file's layout (header line, then the tables' pickles and the window's)
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


def _dump(clusterer: Clusterer, body: IO[bytes]) -> None:
    """Pickle the window straight into the file (the pickler writes each 64 KB frame as it
    is done). What the write holds on top of the window is the pickler's memo, a table of
    every object saved: so the window's terms, its stories' logs (their items' packed
    features and times) go first as tables (`_Tables`: a few pickles of arrays, each let go
    once written), and the window's pickle refers to them by number (`_Numbered`)."""
    tables = _Tables(clusterer)
    tables.write(body)
    pickler = pickle.Pickler(body, protocol=5)
    pickler.dispatch_table = _Numbered(tables)
    pickler.dump(clusterer)


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


def restamp(path: Path | None, old: Stamp, new: Stamp) -> bool:
    """Stamp the snapshot at `path` as matching `new` when it is stamped `old` (the store
    changed where the window holds nothing: retention pruned stories quiet for longer than
    the window, which the window written before stands for as a kept one would). Rewrites
    the header only, in place; False (the file left alone) when it is not `old`'s."""
    if path is None:
        return False
    try:
        with open(path, "r+b") as raw:
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
        with _LOAD_LOCK:  # (the tables the window's pickle refers to are this module's)
            try:
                _LOADING.read(body)
                clusterer = pickle.load(body)
            finally:
                _LOADING.clear()
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
        found = {}
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
        empty = (copyreg.__newobj__, _CLASS_ARGS[cls])
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
    ~90,000 records at 60k items), then its class. A slot `_Numbered` may write as a number
    (`_CODED`) is set after its value is looked up in the tables (`_LOADING`)."""
    names = _slot_names(cls)
    assert names and all(name.isidentifier() for name in names)
    coded = _CODED.get(cls, {})
    targets = ", ".join(f"v_{name}" if name in coded else f"obj.{name}" for name in names)
    lines = [f"    {targets}, = values"]
    for name, kind in coded.items():
        lines.extend(f"    {line}".replace("V", f"v_{name}") for line in _DECODE[kind])
    lines.extend(f"    obj.{name} = v_{name}" for name in coded)
    code = "def extend(obj, values):\n" + "\n".join(lines) + "\n    obj.__class__ = cls\n"
    space: dict[str, Any] = {"cls": cls, "L": _LOADING, "array": array}
    exec(code, space)  # (names are the class's own slots, checked above)
    return space["extend"]  # type: ignore[no-any-return]


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
        or cls.__new__ is not object.__new__
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
        self.size += memoryview(data).nbytes  # (a big array comes as a `PickleBuffer`)

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


# --- the tables (FORMAT 2) ------------------------------------------------------------------
#
# The pickler's memo keeps every object it wrote until the dump ends: one pickle of the window
# held ~890k at 60k items (a 2^21-slot table, 32 MB, and the 16 MB one it outgrew). Here the
# window's pickle refers to its terms, and to the entries of its stories' logs (item id,
# packed features, outlet, time), by number, so its memo holds neither the term strings
# (~160k) nor the tuples of terms, packed features, log entries and times (~420k). The tables
# go first: the terms and outlets, then the logs a chunk of stories at a time by the same
# pickler, its memo taken back to the terms after each (so the unpickler builds the logs'
# tuples itself, referring back to the terms, as it did). What holds terms elsewhere (counts,
# the index, the first headlines, the outlets' tiers) is written as arrays of numbers, turned
# back into terms with C loops (`map`, `zip`, slices) as it loads.

_CHUNK = 4096  # log entries a chunk of the tables holds (at least: whole stories)


def _seconds(value: Any) -> Any:
    """A UTC time as its POSIX timestamp (a float: the pickler writes it in place and keeps
    nothing), loaded back exactly (see `_reduce_datetime`); anything else as it is."""
    if type(value) is datetime and value.tzinfo is UTC and not value.fold:
        seconds = value.timestamp()
        if 0.0 <= seconds < _EXACT_SECONDS:
            return seconds
    return value


def _cut(items: list[Any], sizes: Iterable[int]) -> Iterator[list[Any]]:
    """`items` cut into lists of `sizes` in turn (slices: each list made at its size, where
    one grown from an iterator is made larger and cut down, leaving gaps in the heap)."""
    ends = list(accumulate(sizes))
    return map(items.__getitem__, map(slice, chain((0,), ends), ends))


class _Times(dict[float, datetime]):
    """Timestamp → its UTC time, one object a time however often it is written."""

    def __missing__(self, seconds: float) -> datetime:
        self[seconds] = found = _FROM_TIMESTAMP(seconds, UTC)
        return found


class _Discard:
    """A file that keeps nothing written to it."""

    def write(self, data: Any) -> int:
        return memoryview(data).nbytes


class _Loading:
    """The tables of the snapshot being loaded, which the window's pickle refers to."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.terms: list[str] = []  # number → term (the interpreter's string)
        self.outlets: list[str] = []
        self.entries: list[tuple[str, Packed, str, datetime]] = []  # every story's log, in turn
        self.logs: list[list[tuple[str, Packed, str, datetime]]] = []  # story number → its log
        self.times = _Times()
        # (the tables' unpickler, kept to the end: its memo freed in the middle of a load
        # let the C heap keep ~20 MB of holes among what loads after it, at 60k items)
        self.unpickler: pickle.Unpickler | None = None

    def read(self, body: IO[bytes]) -> None:
        """Read the tables `_Tables.write` wrote (the pickles before the window's: one
        unpickler, whose memo keeps the terms and outlets for the logs that follow)."""
        self.unpickler = unpickler = pickle.Unpickler(body)
        self.terms, outlets = unpickler.load()
        for term in chain(self.terms, outlets):
            intern(term)  # (in place: the loaded string becomes the interpreter's)
        logs = self.logs
        while (chunk := unpickler.load()) is not None:
            logs.extend(chunk)
        self.entries = list(chain.from_iterable(logs))


_LOADING = _Loading()
_LOAD_LOCK = threading.Lock()


class _Tables:
    """What the window's pickle refers to by number: its terms (those its counts hold, then
    any other its logs hold) and its stories' logs, one entry a number, stories in order."""

    def __init__(self, window: Clusterer) -> None:
        df = window._counts.df
        self.terms: list[str] = list(df)
        self.number: dict[str, int] = dict(zip(self.terms, range(len(self.terms)), strict=False))
        self.stories = list(window._stories.values())
        self.story_number = dict(zip(self.stories, range(len(self.stories)), strict=False))
        self.item_ids: list[str] = []  # entry number → its item id
        self.whens: list[datetime] = []  # entry number → its time
        self.story_first = array("I")  # story number → its log's first entry number
        self._window = window

    def entry_time(self, story: int, when: Any) -> Any:
        """`when` as the number of an entry of story `story`'s log with that time, if one
        has it."""
        first = self.story_first[story]
        for at, entry in enumerate(self.stories[story].log, first):
            if _same_time(when, entry[3]):
                return at
        return when

    def entry_of(self, story: Any, packed: object) -> int | None:
        """The number of the entry of `story`'s log whose packed features are `packed` (a
        member's: its founder is first, its latest members last), if it has one."""
        at = self.story_number.get(story)
        if at is None:
            return None
        first, log = self.story_first[at], story.log
        if log and log[0][1] is packed:
            return first
        for n in range(len(log) - 1, 0, -1):
            if log[n][1] is packed:
                return first + n
        return None

    def entries_of(self) -> dict[int, int]:
        """Entry number by the id of its packed features, for every entry."""
        packs = map(id, map(itemgetter(1), self._entries(self.stories)))
        return dict(zip(packs, count(), strict=False))

    def _number(self, terms: set[str]) -> None:
        """Number the terms of `terms` not numbered yet."""
        number, table = self.number, self.terms
        new = [t for t in terms if t not in number]
        number.update(zip(new, range(len(table), len(table) + len(new)), strict=False))
        table.extend(new)

    def write(self, body: IO[bytes]) -> None:
        """The tables as pickles by one pickler: the terms and the logs' outlets, then the
        stories' logs a chunk at a time, the pickler's memo taken back to the terms and
        outlets after each (the logs refer to them; nothing else is kept), then `None`."""
        self._number(self._other_terms())
        stories = self.stories
        outlets = list(dict.fromkeys(map(itemgetter(2), self._entries(stories))))
        pickler = pickle.Pickler(body, protocol=5)
        pickler.dispatch_table = _Reductions()  # (times as timestamps)
        pickler.dump((self.terms, outlets))
        shared = pickle.Pickler(_Discard(), protocol=5)
        shared.memo = pickler.memo  # (a copy)
        at = 0
        while at < len(stories):
            logs: list[Any] = []
            held = 0
            while at < len(stories) and held < _CHUNK:
                log = stories[at].log
                self.story_first.append(len(self.item_ids))
                self.item_ids.extend(map(itemgetter(0), log))
                self.whens.extend(map(itemgetter(3), log))
                logs.append(log)
                held += len(log)
                at += 1
            pickler.dump(logs)
            pickler.memo = shared.memo
        pickler.dump(None)

    @staticmethod
    def _entries(stories: list[ActiveStory]) -> Iterator[tuple[str, Packed, str, datetime]]:
        return chain.from_iterable(story.log for story in stories)

    def _other_terms(self) -> set[str]:
        """Terms the window holds outside its logs (a first headline, counts of items gone)
        that its counts do not hold (by C loops: ~700k terms at 60k items)."""
        window, counts = self._window, self._window._counts
        new: set[str] = set()
        add = new.update
        known = self.number.__contains__
        add(filterfalse(known, chain.from_iterable(window._repeats._first_title.values())))
        for _, gone in counts._later.values():
            add(filterfalse(known, chain.from_iterable(gone)))
        for held in counts.outlet_df.values():
            add(filterfalse(known, chain(held.many, held.once, held.fresh)))
        add(filterfalse(known, window._index))
        profiles = (story.profile[0] for story in self.stories if story.profile is not None)
        add(filterfalse(known, chain.from_iterable(profiles)))
        return new


# How a record's slot written as a number loads (`_whole_extend`: `V` is the value read)
_DECODE: dict[str, tuple[str, ...]] = {
    "time": ("if V.__class__ is float: V = L.times[V]",),
    "log": ("if V.__class__ is int: V = L.logs[V]",),
    "entry": (  # (a profile member's packed features: its log entry's, with its id, time)
        "if V.__class__ is int:",
        "    e = L.entries[V]",
        "    V = e[1]",
        "    if v_id is None: v_id = e[0]",
        "    if v_when is None: v_when = e[3]",
    ),
    "id": (),  # (given by "entry")
    "entry_time": (  # (a time of one of its log's entries, or as "time")
        "if V.__class__ is int: V = L.entries[V][3]",
        "elif V.__class__ is float: V = L.times[V]",
    ),
    "terms": ("if V.__class__ is array: V = tuple(map(L.terms.__getitem__, V))",),
    "vector": (
        "if V.__class__ is tuple and V[0].__class__ is array:",
        "    V = (tuple(map(L.terms.__getitem__, V[0])), V[1])",
    ),
}
_CODED: dict[type, dict[str, str]] = {
    ActiveStory: {
        "last_seen": "time",
        "last_when": "entry_time",
        "log": "log",
        "profile": "vector",
    },
    ProfileMember: {"id": "id", "when": "time", "packed": "entry", "_indexed": "terms"},
}


class _Numbered(_Reductions):
    """`_Reductions`, with what holds terms, log entries or times written as numbers into
    `_Tables` (anything not found there is written as it is)."""

    def __init__(self, tables: _Tables) -> None:
        super().__init__()
        self.tables = tables

    def __missing__(self, cls: type) -> Any:
        if issubclass(cls, type):
            raise KeyError(cls)
        plain = _reduction(cls)
        made: dict[type, Callable[[Any, Any, _Tables], Any]] = {
            OutletCounts: _reduce_outlet_counts,
            ProfileIndex: _reduce_index,
            RepeatedTexts: _reduce_repeats,
            WindowCounts: _reduce_window_counts,
        }
        if issubclass(cls, Counter):
            maker: Callable[[Any, Any, _Tables], Any] | None = _reduce_counts
        elif issubclass(cls, Clusterer):
            maker = _reduce_window
        elif cls in _CODED and _slot_names(cls):
            maker = _coded_reduction(cls)
        else:
            maker = made.get(cls)
        if maker is None:
            self[cls] = plain
            return plain
        tables = self.tables

        def reduce(obj: Any) -> Any:
            return maker(obj, plain, tables)

        self[cls] = reduce
        return reduce


def _coded_reduction(cls: type) -> Callable[[Any, Any, _Tables], Any]:
    """A record of `cls` streamed as `_slots_reduction` does, its `_CODED` slots as numbers."""
    names = _slot_names(cls) or ()
    coded = _CODED[cls]
    at = {name: names.index(name) for name in coded}
    get = attrgetter(*names)
    whole = (object.__new__, _FILLING_ARGS[cls, True], None)
    times = [at[name] for name, kind in coded.items() if kind in ("time", "entry_time")]
    log, entry, terms, vector = (at.get(k) for k in ("log", "packed", "_indexed", "profile"))
    id_at, when_at = at.get("id"), at.get("when")
    story_at = names.index("story") if entry is not None else 0  # (a member's story)
    entry_time = next((at[name] for name, kind in coded.items() if kind == "entry_time"), None)

    def reduce(obj: Any, plain: Any, tables: _Tables) -> Any:
        try:
            values = list(get(obj))
        except AttributeError:  # (a slot left unset: as it is)
            return plain(obj)
        if entry is not None:
            found = tables.entry_of(values[story_at], values[entry])
            if found is not None:
                values[entry] = found
                if id_at is not None and values[id_at] == tables.item_ids[found]:
                    values[id_at] = None
                if when_at is not None and _same_time(values[when_at], tables.whens[found]):
                    values[when_at] = None
        if log is not None:
            story = tables.story_number.get(obj)
            if story is not None:
                values[log] = story
                if entry_time is not None:
                    values[entry_time] = tables.entry_time(story, values[entry_time])
        for n in times:
            if values[n] is not None:
                values[n] = _seconds(values[n])
        if terms is not None and type(values[terms]) is tuple:
            values[terms] = _numbers(values[terms], tables, array) or values[terms]
        if vector is not None and type(values[vector]) is tuple:
            numbers = _numbers(values[vector][0], tables, array)
            if numbers is not None:
                values[vector] = (numbers, values[vector][1])
        return (*whole, iter(values))

    return reduce


def _same_time(a: Any, b: datetime) -> bool:
    """Whether `a` is `b`, or equal to it in the same zone and fold."""
    return a is b or (type(a) is datetime and a == b and a.tzinfo is b.tzinfo and a.fold == b.fold)


class _Column(array):  # type: ignore[type-arg]
    """An array of numbers the tables' loaders read (`_column`): written as bytes, read as
    a view of them (no copy: a copy, then the bytes freed, left holes in the C heap)."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_column, (self.typecode, pickle.PickleBuffer(memoryview(self).toreadonly())))


def _column(typecode: str, data: bytes) -> memoryview:
    return memoryview(data).cast(typecode)


def _numbers(terms: Iterable[str], tables: _Tables, kind: type = _Column) -> Any:
    """`terms` as their numbers (None: one is not numbered)."""
    try:
        return kind("I", map(tables.number.__getitem__, terms))
    except KeyError:
        return None


def _reduce_counts(counts: Counter[Any], plain: Any, tables: _Tables) -> Any:
    """Counts of terms as their numbers and counts, in order (any other: `reduce_counter`)."""
    keys = _numbers(counts, tables)
    if keys is None:
        return reduce_counter(counts)
    try:
        try:
            values = _Column("H", counts.values())
        except OverflowError:
            values = _Column("q", counts.values())
    except (TypeError, OverflowError):
        return reduce_counter(counts)
    return (_counts_of, (type(counts), keys, values))


def _counts_of(cls: type, keys: array, values: array) -> Counter[Any]:
    counts = cls()
    dict.update(counts, zip(map(_LOADING.terms.__getitem__, keys), values, strict=False))
    return counts  # type: ignore[no-any-return]


def _reduce_outlet_counts(counts: OutletCounts, plain: Any, tables: _Tables) -> Any:
    once, fresh = _numbers(counts.once, tables), _numbers(counts.fresh, tables)
    if once is None or fresh is None:
        return plain(counts)
    return (_outlet_counts_of, (counts.many, once, fresh))


def _outlet_counts_of(many: Counter[str], once: array, fresh: array) -> OutletCounts:
    counts = OutletCounts.__new__(OutletCounts)
    term = _LOADING.terms.__getitem__
    counts.many, counts.once, counts.fresh = many, list(map(term, once)), set(map(term, fresh))
    return counts


# an index entry's kind (`_reduce_index`): a member alone, a tuple of members, anything else
_ALONE, _TUPLE, _OTHER = range(3)


def _reduce_index(index: ProfileIndex[Any], plain: Any, tables: _Tables) -> Any:
    """The index as its terms' numbers and its entries in columns: each entry's kind and its
    tuple's size, the members alone or in tuples in one list (no tuple of members each),
    the other entries (lists, sets, crowds: whole objects of the window) in another."""
    keys = _numbers(index, tables)
    if keys is None:
        return plain(index)
    kinds = bytearray()
    sizes = _Column("I")
    members: list[Any] = []
    others: list[Any] = []
    for entry in index.values():
        kind = type(entry)
        if kind is tuple:
            kinds.append(_TUPLE)
            sizes.append(len(entry))
            members.extend(entry)
        elif kind is list or kind is set or kind is Crowd:
            kinds.append(_OTHER)
            others.append(entry)
        else:
            kinds.append(_ALONE)
            members.append(entry)
    state = dict(vars(index))
    return (_index_of, (type(index), keys, bytes(kinds), sizes, members, others, state))


def _index_of(
    cls: type,
    keys: array,
    kinds: bytes,
    sizes: array,
    members: list[Any],
    others: list[Any],
    state: dict[str, Any],
) -> ProfileIndex[Any]:
    index = cls.__new__(cls)
    vars(index).update(state)
    entries: list[Any] = []
    add, other, size = entries.append, iter(others), iter(sizes)
    at = 0  # (the next member alone or in a tuple)
    for kind in kinds:
        if kind == _ALONE:
            add(members[at])
            at += 1
        elif kind == _TUPLE:
            end = at + next(size)
            add(tuple(members[at:end]))
            at = end
        else:
            add(next(other))
    dict.update(index, zip(map(_LOADING.terms.__getitem__, keys), entries, strict=False))
    return index  # type: ignore[no-any-return]


_NO_ENTRY = 0xFFFFFFFF  # (a first headline that is no log entry's title: see below)


def _reduce_repeats(repeats: RepeatedTexts, plain: Any, tables: _Tables) -> Any:
    """The first headlines as the numbers of the log entries whose titles they are (a first
    headline is its first copy's title tuple), any other as its terms' numbers."""
    state = dict(vars(repeats))
    firsts = state.pop("_first_title")
    entries = chain.from_iterable(story.log for story in tables.stories)
    title_of = dict(zip(map(id, map(itemgetter(0), map(itemgetter(1), entries))), count()))
    found = _Column("I", (title_of.get(id(title), _NO_ENTRY) for title in firsts.values()))
    del title_of
    others = [title for title, at in zip(firsts.values(), found, strict=False) if at == _NO_ENTRY]
    numbers = _numbers(chain.from_iterable(others), tables)
    if numbers is None:
        return plain(repeats)
    try:
        keys = _Column("Q", firsts)
    except (TypeError, OverflowError):
        return plain(repeats)
    sizes = _Column("I", map(len, others))
    return (_repeats_of, (type(repeats), state, keys, found, sizes, numbers))


def _repeats_of(
    cls: type, state: dict[str, Any], keys: array, found: array, sizes: array, numbers: array
) -> RepeatedTexts:
    repeats = cls.__new__(cls)
    vars(repeats).update(state)
    entries = _LOADING.entries
    if sizes:
        terms = list(map(_LOADING.terms.__getitem__, numbers))
        others = map(tuple, _cut(terms, sizes))
        titles = [entries[at][1][0] if at != _NO_ENTRY else next(others) for at in found]
    else:
        titles = list(map(itemgetter(0), map(itemgetter(1), map(entries.__getitem__, found))))
    repeats._first_title = dict(zip(keys, titles, strict=False))  # type: ignore[attr-defined]
    return repeats  # type: ignore[no-any-return]


def _reduce_window_counts(counts: WindowCounts, plain: Any, tables: _Tables) -> Any:
    """The outlets counted later as their items' entry numbers and the terms of those gone
    as numbers (the packed features are the logs' own)."""
    state = dict(vars(counts))
    later = state.pop("_later")
    entry_of = tables.entries_of().get  # (let go once written: the counts go first)
    try:
        entries = _Column("I", (entry_of(id(p)) for held, _ in later.values() for p in held))  # type: ignore[misc]
    except TypeError:  # (one not found: None)
        return plain(counts)
    held_sizes = _Column("I", (len(held) for held, _ in later.values()))
    gone_sizes = _Column("I", (len(gone) for _, gone in later.values()))
    gone = [g for _, gones in later.values() for g in gones]
    terms = _numbers(chain.from_iterable(gone), tables)
    if terms is None:
        return plain(counts)
    term_sizes = _Column("I", map(len, gone))
    columns = (list(later), entries, held_sizes, gone_sizes, terms, term_sizes)
    return (_window_counts_of, (type(counts), state, columns))


def _window_counts_of(cls: type, state: dict[str, Any], columns: tuple[Any, ...]) -> WindowCounts:
    counts = cls.__new__(cls)
    vars(counts).update(state)
    outlets, entries, held_sizes, gone_sizes, terms, term_sizes = columns
    packed = list(map(itemgetter(1), map(_LOADING.entries.__getitem__, entries)))
    held = _cut(packed, held_sizes)
    found = list(map(_LOADING.terms.__getitem__, terms))
    sets = list(map(frozenset, _cut(found, term_sizes)))
    gone = _cut(sets, gone_sizes)
    counts._later = dict(zip(outlets, zip(held, gone, strict=False), strict=False))
    return counts  # type: ignore[no-any-return]


def _reduce_window(window: Clusterer, plain: Any, tables: _Tables) -> Any:
    """The window as its state (`StoryWindow.__getstate__`), set by `_set_window`."""
    state = window.__getstate__()
    first = {name: state.pop(name) for name in ("_counts", "_repeats") if name in state}
    # (written before the stories, while the memo is small: what their reductions hold for
    # a while is let go before it grows)
    return (copyreg.__newobj__, (type(window),), {**first, **state}, None, None, _set_window)


def _set_window(window: Clusterer, state: dict[str, Any]) -> None:
    """Set a loaded window's state, its active items' ids the logs' strings (the window's
    pickle wrote them again: one string an item, not two)."""
    ids = [entry[0] for entry in _LOADING.entries]
    same = dict(zip(ids, ids, strict=False))
    for name in ("_item_story", "_item_score"):
        held = state.get(name)
        if type(held) is dict:
            state[name] = dict(zip(map(same.get, held, held), held.values(), strict=False))
    window.__setstate__(state)
