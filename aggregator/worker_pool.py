"""Worker processes a pass starts for pure CPU work, and what is done when one dies.

A `WorkerPool` runs each worker as a fresh interpreter (`subprocess`, the `worker_main` loop)
that it talks to over two pipes: safe beside the writer thread and the event loop (nothing is
forked), without `multiprocessing` (whose `spawn` also starts a resource tracker process, ~13
MB, and imports the parent's `__main__` in every worker), and a worker exits as soon as its
pipe closes, whatever becomes of the parent. Tasks marked urgent are handed out before the
others. Pools live for one pass.

The writer thread's helpers (the term worker and the summary workers) share one pool
(`helpers`): a pass that tokenises ahead and summarises ahead at once runs both in the same
processes, not beside each other. `InPlaceFallback` is the shape shared by the pools whose
work the calling thread can do itself: a dead worker is logged once, the pool is given up,
and the rest of the pass is done in place. A helper that runs other code than its service (the
package upgraded on disk) gives the helpers up for the passes after too, said once
(`helpers_usable`), until the files hold the service's code again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from .worker_main import (
    PACKAGE,
    READY,
    code_source,
    code_stamp,
    package_source,
    package_stamp,
    read_message,
    write_message,
)

__all__ = [
    "InPlaceFallback",
    "NotStarted",
    "Pool",
    "StartFailed",
    "WorkerPool",
    "helpers",
    "helpers_usable",
    "still_other_code",
    "usable_cpus",
]

log = logging.getLogger("aggregator")

Task = tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]
DEPTH = 2  # tasks in a worker's hands at most: one worked on, the next waiting in its pipe


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class NotStarted(BrokenProcessPool):
    """A worker died, or the pool broke, before any worker started on this task: the death
    was another task's doing (or the outside world's), and the task may be tried again."""


class StartFailed(NotStarted):
    """A worker ended before it said it was ready, or said it runs other code than its
    service (`stale`: the package changed on disk since the service started, as an upgrade
    with pip does): no task was the cause, and none was worked on by the code it was meant
    for."""

    def __init__(self, why: str, *, stale: bool = False) -> None:
        super().__init__(why)
        self.stale = stale


STALE = (
    "the package's files changed since the service started (an upgrade?): a new worker "
    "would run code other than the service's"
)


def _not_ready(hello: bytes | None) -> StartFailed | None:
    """Why a worker whose first message was `hello` is not used (None: it is ready)."""
    if hello is None:  # (one that died importing what an upgrade left half written, too)
        now = package_stamp(PACKAGE)
        if now != code_stamp() and not _same_code(now):
            return StartFailed(STALE, stale=True)
        return StartFailed("a worker process ended as it started")
    if hello != READY + code_stamp() and not _same_code(hello.removeprefix(READY)):
        return StartFailed(STALE, stale=True)
    return None


_same: set[bytes] = set()  # stamps other than the service's found to be of its very code


def _same_code(stamp: bytes) -> bool:
    """Whether a worker whose files had `stamp` runs the service's code all the same: the
    files on disk still have that stamp, and hold what they held when the service started
    (written again as they were, by a reinstall of the same code). Read once a stamp."""
    if stamp in _same:
        return True
    source = code_source()
    if not source or package_stamp(PACKAGE) != stamp or package_source(PACKAGE) != source:
        return False
    if package_stamp(PACKAGE) != stamp:  # (changed while they were read)
        return False
    _same.add(stamp)
    return True


class Pool(Protocol):
    """What the pass's pools hand work to (a `WorkerPool`, or a share of `helpers`)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, urgent: bool = False) -> Future[Any]:
        """Run `fn(*args)` in a worker; raises BrokenProcessPool once a worker died."""
        ...

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None: ...

    @property
    def pids(self) -> list[int]:
        """The workers' process ids."""
        ...

    @property
    def start_failed(self) -> StartFailed | None:
        """Why a worker was not used, if one was not."""
        ...


class WorkerPool:
    """`workers` worker processes; `submit` hands them picklable functions of picklable
    arguments. A worker that dies fails the task it held and every task not started with
    BrokenProcessPool (`NotStarted` for the latter), and so does every later `submit` (as
    `ProcessPoolExecutor` does)."""

    def __init__(self, workers: int) -> None:
        self._lock = threading.Condition()
        self._urgent: deque[Task] = deque()
        self._tasks: deque[Task] = deque()
        self._stopping = False
        self.broken = False
        self._workers: list[_Worker] = []
        self.start_failed: StartFailed | None = None  # why a worker was not used, if one was not
        try:
            for _ in range(workers):
                self._workers.append(_Worker(self))
        except BaseException:  # (a process or thread the system refuses: none left behind)
            self.shutdown(wait=True)
            raise

    @property
    def pids(self) -> list[int]:
        return [worker.process.pid for worker in self._workers]

    @property
    def waiting(self) -> int:
        """Tasks not handed to a worker yet."""
        with self._lock:
            return len(self._urgent) + len(self._tasks)

    def running_since(self, future: Future[Any]) -> float | None:
        """When (`time.monotonic`) a worker started on `future`'s task (a task sent to a worker
        still starting: when it was sent, then when the worker said it is ready, a fresh
        interpreter's start taking seconds on a loaded machine); None while it waits for a
        worker (or once answered)."""
        worker = self._worker_on(future)
        return None if worker is None else worker.started

    def kill(self, future: Future[Any]) -> bool:
        """Kill the worker working on `future`'s task (one that takes too long); the pool
        then breaks as when a worker dies. False when no worker is working on it (any more)."""
        worker = self._worker_on(future)
        if worker is not None:
            worker.process.kill()
        return worker is not None

    def _worker_on(self, future: Future[Any]) -> _Worker | None:
        """The worker working on `future`'s task (the oldest it holds), if any."""
        for worker in list(self._workers):
            with worker.room:
                if worker.in_flight and worker.in_flight[0] is future:
                    return worker
        return None

    def add_worker(self) -> bool:
        """Start one more worker (a pool sized to its work grows while it runs); False when
        the pool is stopping or broke, and no worker was started."""
        with self._lock:
            if self.broken or self._stopping:
                return False
            self._workers.append(_Worker(self))  # (its feeder waits for the lock to let go)
            return True

    def submit(self, fn: Callable[..., Any], /, *args: Any, urgent: bool = False) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self.broken:
                raise NotStarted("a worker process died")
            if self._stopping:
                raise RuntimeError("cannot schedule new futures after shutdown")
            (self._urgent if urgent else self._tasks).append((future, fn, args))
            self._lock.notify()
        for worker in list(self._workers):  # (a worker with a task in hand waits on its own)
            with worker.room:
                worker.room.notify_all()
        return future

    def _next(self, wait: bool = True) -> Task | None:
        """The next task to run (urgent ones first); None once the pool stops or broke, or
        when none waits and `wait` is false."""
        with self._lock:
            while wait and not (self._urgent or self._tasks or self._stopping or self.broken):
                self._lock.wait()
            if self.broken:
                return None
            if self._urgent:
                return self._urgent.popleft()
            return self._tasks.popleft() if self._tasks else None

    def _break(self) -> None:
        """A worker died: fail every task not started, and stop the other workers."""
        with self._lock:
            self.broken = True
            waiting = [*self._urgent, *self._tasks]
            self._urgent.clear()
            self._tasks.clear()
            self._lock.notify_all()
        failed = self.start_failed
        for future, _, _ in waiting:
            if future.set_running_or_notify_cancel():
                if failed is not None:
                    future.set_exception(StartFailed(str(failed), stale=failed.stale))
                else:
                    future.set_exception(NotStarted("a worker process died"))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the workers once the tasks handed out are done (those not started are
        cancelled with `cancel_futures`, else run first); `wait` waits for the processes."""
        with self._lock:
            self._stopping = True
            if cancel_futures:
                for future, _, _ in (*self._urgent, *self._tasks):
                    future.cancel()
                self._urgent.clear()
                self._tasks.clear()
            self._lock.notify_all()
        if wait:
            with self._lock:
                workers = list(self._workers)
            for worker in workers:
                worker.thread.join()


def _command(tasks: int, answers: int) -> list[str]:
    """How a worker process is started: this interpreter, on the `worker_main` loop."""
    code = (
        f"import sys; sys.path[:] = {sys.path!r}; from aggregator.worker_main import serve; "
        f"serve({tasks}, {answers})"
    )
    return [sys.executable, *subprocess._args_from_interpreter_flags(), "-c", code]  # type: ignore[attr-defined]


class _Worker:
    """One worker process and the thread that feeds it, one task at a time."""

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        tasks_read, tasks_write = os.pipe()
        answers_read, answers_write = os.pipe()
        try:
            self.process = subprocess.Popen(
                _command(tasks_read, answers_write),
                stdin=subprocess.DEVNULL,
                pass_fds=(tasks_read, answers_write),
            )
        except BaseException:  # (no process: its two ends of the pipes go too)
            os.close(tasks_write)
            os.close(answers_read)
            raise
        finally:
            os.close(tasks_read)
            os.close(answers_write)
        self.tasks = os.fdopen(tasks_write, "wb")
        self.answers = os.fdopen(answers_read, "rb")
        self.room = threading.Condition()  # guards `in_flight` and `gone`
        self.in_flight: deque[Future[Any]] = deque()  # sent, not answered yet, oldest first
        self.started = 0.0  # when the worker started on the oldest task in flight (or was ready)
        self.gone = False  # its answers' pipe ended
        self.thread = threading.Thread(target=self._run, name="worker-feeder", daemon=True)
        try:
            self.thread.start()
        except BaseException:  # (no thread to feed it: the process and its pipes go)
            self.process.kill()
            self.process.wait()
            self.tasks.close()
            self.answers.close()
            raise

    def _run(self) -> None:
        """Hand the worker tasks, `DEPTH` at most at a time (the next one waits in its pipe
        while it works on one), until the pool stops or breaks."""
        reader = threading.Thread(target=self._read, name="worker-answers", daemon=True)
        reader.start()
        try:
            while True:
                with self.room:
                    while len(self.in_flight) >= DEPTH and not self.gone:
                        self.room.wait()
                    if self.gone:
                        break
                    wait = not self.in_flight
                task = self.pool._next(wait)
                if task is None:
                    if wait:
                        break  # (stopping, or broken)
                    with self.room:  # (one in flight: wait for it, or for a new task)
                        if self.in_flight and not self.gone:
                            self.room.wait()
                    continue
                if not self._send(*task):
                    break
        finally:
            with contextlib.suppress(OSError):
                self.tasks.close()  # (the worker ends once it has answered what it holds)
            reader.join()
            self.process.wait()

    def _send(self, future: Future[Any], fn: Callable[..., Any], args: tuple[Any, ...]) -> bool:
        """Send one task to the worker; False when the worker is gone."""
        if not future.set_running_or_notify_cancel():
            return True
        try:
            message = pickle.dumps((fn, args), pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # (nothing was sent: the worker is fine)
            future.set_exception(exc)
            return True
        with self.room:
            if self.gone:
                future.set_exception(NotStarted("a worker process died"))
                return False
            self.in_flight.append(future)
            if len(self.in_flight) == 1:
                self.started = time.monotonic()
        try:
            write_message(self.tasks, message)
        except OSError:
            return False  # (the reader sees the pipe's end and fails what is in flight)
        return True

    def _read(self) -> None:
        """Once the worker said it is ready (`_not_ready`), answer the tasks in flight in the
        order sent; at the pipe's end, fail those left (a worker that died) and break the
        pool. A worker not ready is stopped, its tasks failed with `StartFailed`."""
        failed: StartFailed | None = None
        try:
            failed = _not_ready(read_message(self.answers))
            if failed is not None:
                self.pool.start_failed = failed
                self.process.kill()
            else:  # (a task sent while it started is worked on from now)
                with self.room:
                    self.started = time.monotonic()
            while failed is None and (answer := read_message(self.answers)) is not None:
                try:
                    ok, value = pickle.loads(answer)
                except Exception as exc:
                    ok, value = False, RuntimeError(f"answer not read: {type(exc).__name__}: {exc}")
                del answer
                with self.room:
                    future = self.in_flight.popleft()
                    self.started = time.monotonic()  # (on the next task in flight, if any)
                    self.room.notify_all()
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                self.answers.close()
            with self.room:
                self.gone = True
                left = list(self.in_flight)
                self.in_flight.clear()
                self.room.notify_all()
            for k, future in enumerate(left):  # (the first was being worked on)
                if failed is not None:
                    future.set_exception(StartFailed(str(failed), stale=failed.stale))
                else:
                    died = BrokenProcessPool if k == 0 else NotStarted
                    future.set_exception(died("a worker process died"))
            if left or not self.pool._stopping:
                self.pool._break()


class _Share:
    """A holder's share of the `helpers` pool: it submits to it, and its `shutdown` cancels
    its own tasks not started and lets the pool go (stopped when no one holds it)."""

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self._mine: list[Future[Any]] = []
        self._held = True

    @property
    def pids(self) -> list[int]:
        return self.pool.pids

    @property
    def start_failed(self) -> StartFailed | None:
        return self.pool.start_failed

    def submit(self, fn: Callable[..., Any], /, *args: Any, urgent: bool = False) -> Future[Any]:
        future = self.pool.submit(fn, *args, urgent=urgent)
        if len(self._mine) > 64:
            self._mine = [mine for mine in self._mine if not mine.done()]
        self._mine.append(future)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:
            for future in self._mine:
                future.cancel()
        self._mine = []
        if self._held:
            self._held = False
            _let_go(self.pool, wait, cancel_futures)


_shared: WorkerPool | None = None
_holders = 0
_shared_lock = threading.Lock()


def helpers() -> _Share:
    """A share of the writer thread's helper processes (one per core but one), started
    when the first share is taken and stopped when the last is let go; a pool a worker
    died in is not handed out again."""
    global _shared, _holders
    with _shared_lock:
        if _shared is None or _shared.broken:
            if _shared is not None:
                _shared.shutdown(wait=False)
            _shared, _holders = WorkerPool(max(1, usable_cpus() - 1)), 0
        _holders += 1
        return _Share(_shared)


def _let_go(pool: WorkerPool, wait: bool, cancel_futures: bool) -> None:
    global _shared, _holders
    with _shared_lock:
        if pool is _shared:
            _holders -= 1
            if _holders > 0:
                return
            _shared = None
    pool.shutdown(wait=wait, cancel_futures=cancel_futures)


HELPERS_REFUSED = (
    "helper workers are not used any more: %s; grouping terms and summaries are worked out "
    "in the service's own process (slower; nothing is lost) until the service is restarted, "
    "or its files hold its code again: restart it (systemctl restart aggregator) to use the "
    "helper workers again"
)
HELPERS_BACK = "the package's files hold the service's code again: helper workers are used again"
_refused: bytes | None = None  # the package's stamp on disk when a helper ran other code
_refused_lock = threading.Lock()


def helpers_usable() -> bool:
    """Whether helper workers may start: not while the package on disk is other code than
    this process's, as a helper found it (`_helpers_refused`), for a worker started now
    would import it too. While refused, one look at the files' stamp a call (~2 ms), their
    contents read once a new stamp (`_same_code`): files that hold what they held when the
    service started (the same version installed again) give the helpers back, said once."""
    global _refused
    with _refused_lock:
        if _refused is None:
            return True
        _refused = still_other_code(_refused)
        if _refused is not None:
            return False
    log.info(HELPERS_BACK)
    return True


def still_other_code(refused: bytes) -> bytes | None:
    """The package's stamp on disk while its files are still other code than this process's
    (they had `refused` when a worker was found running other code); None once they hold
    the service's code again (the same version installed back, an upgrade rolled back). A
    look at the stamp (~2 ms), and the contents read once a new stamp (`_same_code`)."""
    now = package_stamp(PACKAGE)
    if now == refused:
        return refused
    if now != code_stamp() and not _same_code(now):
        return now  # (changed again, still not the service's code)
    return None


def _helpers_refused(failed: StartFailed) -> None:
    """A helper ran other code than this process (`failed.stale`): the helpers are not
    started again while the files stay so (`helpers_usable`); said once, not every pass."""
    global _refused
    with _refused_lock:
        first = _refused is None
        _refused = package_stamp(PACKAGE)
    if first:
        log.error(HELPERS_REFUSED, failed)


class InPlaceFallback:
    """Holds a pool whose work falls back to the calling thread when a worker dies."""

    LOST = "worker died; doing the rest of this pass in place"  # what the log says then
    REFUSED = "no worker could start (%s); doing this pass in place"

    def __init__(self, start: Callable[[], Pool] | None) -> None:
        """`start` makes the pool (None: no pool, all in place; so too while the package on
        disk is other code, `helpers_usable`). When the system starts no process or thread
        for it (a process limit such as systemd's `TasksMax`), the refusal is logged and the
        pass is done in place: slower, not failed."""
        self._pool: Pool | None = None
        if start is not None and helpers_usable():
            try:
                self._pool = start()
            except (OSError, RuntimeError) as refused:  # (RuntimeError: no thread)
                log.warning(self.REFUSED, f"{type(refused).__name__}: {refused}")

    @property
    def alive(self) -> bool:
        """Whether the workers are still in use (no worker has died, not closed)."""
        return self._pool is not None

    def _broken(self) -> None:
        """Give the pool up (once): the rest of the pass is done in place. A worker that ran
        other code than this process gives the helpers up for later passes too, said once
        for them all (`_helpers_refused`), not as a death every pass."""
        if self._pool is not None:
            failed = self._pool.start_failed
            if failed is not None and failed.stale:
                _helpers_refused(failed)
            else:
                log.error(self.LOST)
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def let_go(self, cancel: bool = False) -> None:
        """Hand the pool nothing more: the tasks handed out are still done (their futures
        answered; with `cancel`, only those a worker has started, the others are cancelled),
        then the workers exit unless another holds them; without waiting."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=cancel)
            self._pool = None
