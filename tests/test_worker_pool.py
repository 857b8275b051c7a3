"""Worker processes without multiprocessing (aggregator.worker_pool): answers, errors, urgent
tasks first, a death seen by every task, and the helpers the term and summary pools share."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures.process import BrokenProcessPool

import psutil
import pytest

from aggregator import worker_pool
from aggregator.worker_pool import WorkerPool


class Unpicklable(Exception):
    def __init__(self, a: int, b: int) -> None:
        super().__init__(a)  # (pickles with one argument, loads asking for two)


def fails(how: str) -> None:
    if how == "plain":
        raise ValueError("no such feed")
    raise Unpicklable(1, 2)


def slow_pid(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_answers_and_errors_come_back_from_another_process() -> None:
    pool = WorkerPool(2)
    try:
        pids = [pool.submit(slow_pid, 0.0).result() for _ in range(4)]
        assert set(pids) <= set(pool.pids) and os.getpid() not in pids
        assert pool.submit(divmod, 17, 5).result() == (3, 2)
        with pytest.raises(ValueError, match="no such feed"):
            pool.submit(fails, "plain").result()
        with pytest.raises(RuntimeError, match="Unpicklable"):
            pool.submit(fails, "odd").result()
        assert pool.submit(divmod, 9, 2).result() == (4, 1)  # the worker lives on
    finally:
        pool.shutdown()
    assert all(
        not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie" for pid in pids
    )


def test_no_multiprocessing_resource_tracker_is_started() -> None:
    pool = WorkerPool(1)
    try:
        pool.submit(divmod, 1, 1).result()
        children = psutil.Process().children(recursive=True)
        assert [c.pid for c in children if c.pid in pool.pids] == pool.pids
        assert not any("resource_tracker" in " ".join(c.cmdline()) for c in children)
    finally:
        pool.shutdown()


def test_urgent_tasks_are_handed_out_first() -> None:
    pool = WorkerPool(1)
    order: list[str] = []
    try:
        # the worker holds DEPTH tasks (one worked on, one in its pipe) while the rest queue
        busy = [pool.submit(slow_pid, 0.3) for _ in range(worker_pool.DEPTH)]
        time.sleep(0.2)
        later = [pool.submit(slow_pid, 0.0) for _ in range(3)]
        urgent = pool.submit(slow_pid, 0.0, urgent=True)
        for f in later:
            f.add_done_callback(lambda _: order.append("later"))
        urgent.add_done_callback(lambda _: order.append("urgent"))
        for f in [*busy, *later, urgent]:
            f.result()
    finally:
        pool.shutdown()
    assert order == ["urgent", "later", "later", "later"]


def test_a_dead_worker_fails_its_task_and_every_later_one() -> None:
    pool = WorkerPool(1)
    try:
        running = pool.submit(slow_pid, 5.0)
        waiting = pool.submit(divmod, 1, 1)
        time.sleep(0.5)
        for pid in pool.pids:
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):
            running.result(timeout=5)
        with pytest.raises(BrokenProcessPool):
            waiting.result(timeout=5)
        with pytest.raises(BrokenProcessPool):
            pool.submit(divmod, 1, 1)
    finally:
        pool.shutdown()


def test_shutdown_cancels_what_was_not_started_and_ends_the_workers() -> None:
    pool = WorkerPool(1)
    running = pool.submit(slow_pid, 0.3)
    time.sleep(0.1)
    queued = pool.submit(slow_pid, 0.0)
    pids = pool.pids
    pool.shutdown(wait=True, cancel_futures=True)
    assert running.result() in pids and queued.cancelled()
    assert not psutil.pid_exists(pids[0])
    with pytest.raises(RuntimeError):
        pool.submit(divmod, 1, 1)


def test_helpers_are_one_pool_until_the_last_share_lets_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(worker_pool, "usable_cpus", lambda: 2)
    first, second = worker_pool.helpers(), worker_pool.helpers()
    assert first.pids == second.pids and len(first.pids) == 1
    first.submit(divmod, 1, 1).result()
    queued = [first.submit(slow_pid, 0.2) for _ in range(3)]
    first.shutdown(cancel_futures=True)  # the first share's queued tasks go; the pool stays
    assert any(f.cancelled() for f in queued)
    assert second.submit(divmod, 7, 2).result() == (3, 1)
    pid = second.pids[0]
    second.shutdown()
    assert not psutil.pid_exists(pid)
    third = worker_pool.helpers()  # a new pass: new processes
    try:
        assert third.pids != [pid]
    finally:
        third.shutdown()


def test_a_worker_added_while_tasks_wait_takes_them_and_ends_with_the_pool() -> None:
    pool = WorkerPool(1)
    busy = pool.submit(slow_pid, 2.0)  # one worker is held...
    waiting = [pool.submit(slow_pid, 0.0) for _ in range(3)]  # ...while these wait
    assert pool.add_worker() and len(pool.pids) == 2
    first, added = pool.pids
    # Each feeder hands its worker two tasks at most: both workers answer some (either may
    # have taken the slow one, as the feeders race for the queue).
    assert {f.result() for f in (busy, *waiting)} == {first, added}
    pool.shutdown(wait=True)
    assert not psutil.pid_exists(added) and not psutil.pid_exists(first)
    assert not pool.add_worker() and len(pool.pids) == 2  # none starts after shutdown


def _every_helper_task(pool: WorkerPool) -> None:
    """Run each kind of task a helper process takes (tokenising, near-text shingles,
    summarising) in `pool`, and check that each answered."""
    from aggregator import summary_task, term_task
    from aggregator.models import Item
    from aggregator.summary_settings import SummarySettings

    text = "The harbour authority said the pier would stay shut until repairs end. " * 4
    items = [
        Item(id=str(n), title=f"Pier shut at Keldon {n}", text=text, outlet=f"o{n}.example")
        for n in range(3)
    ]
    answer = pool.submit(term_task.tokenise_in_worker, [("a", "Pier shut", text, None)], 40)
    assert answer.result()[0]  # (terms came back)
    near = pool.submit(term_task.near_in_worker, [("a", "Pier shut", text, None)]).result()
    assert near[0][1]
    work = summary_task.summarise_in_worker
    summaries, made = pool.submit(work, SummarySettings(), [(items, None, None)], {}).result()
    assert summaries[0].headline and summaries[0].bullets
    assert made  # (its bodies' memo keys were hashed)


def test_helper_tasks_load_neither_the_pools_nor_their_machinery() -> None:
    """A helper process (term worker, summary worker) imports what its tasks need when it
    unpickles them: not `term_pool` or `summary_pool`, whose pool machinery
    (`concurrent.futures.process`, `multiprocessing`, `subprocess`, `logging`) adds ~3-4 MB
    to every worker."""
    pool = WorkerPool(1)
    try:
        _every_helper_task(pool)
        heavy = (
            "aggregator.term_pool aggregator.summary_pool aggregator.worker_pool "
            "concurrent.futures.process multiprocessing subprocess logging asyncio"
        ).split()
        loaded = pool.submit(eval, f"sorted(__import__('sys').modules.keys() & {heavy!r})")
        assert loaded.result() == []
    finally:
        pool.shutdown()


# The sizes of two memos summarising fills (word stems, cleaned headlines), read in a worker.
SUMMARY_MEMOS = (
    "[f.cache_info().currsize for f in (__import__('aggregator.tokens').tokens.stem, "
    "__import__('aggregator.headline').headline.clean)]"
)


def test_a_worker_that_only_summarises_empties_its_memos_after_each_task() -> None:
    """As a parse worker does; a worker that also tokenises keeps them for its term tasks."""
    from aggregator import summary_task, term_task
    from aggregator.models import Item
    from aggregator.summary_settings import SummarySettings

    text = "The harbour authority said the pier would stay shut until repairs end. " * 4
    items = [
        Item(id=str(n), title=f"Pier shut at Keldon {n}", text=text, outlet=f"o{n}.example")
        for n in range(3)
    ]
    work, settings = summary_task.summarise_in_worker, SummarySettings()
    for tokenises, emptied in ((False, True), (True, False)):
        pool = WorkerPool(1)
        try:
            if tokenises:
                pool.submit(term_task.tokenise_in_worker, [("a", "Pier", text, None)], 40).result()
            summaries, _ = pool.submit(work, settings, [(items, None, None)], {}).result()
            assert summaries[0].bullets
            sizes = pool.submit(eval, SUMMARY_MEMOS).result()
            assert (sizes == [0, 0]) is emptied, sizes
        finally:
            pool.shutdown()


def test_a_helper_maps_no_openssl_and_no_ctypes() -> None:
    """A summary or term worker hashes with `_blake2` (`digests`) and never trims its heap:
    OpenSSL's libcrypto (`_hashlib`, ~3.4 MB resident) and `ctypes` stay out of it."""
    pool = WorkerPool(1)
    try:
        _every_helper_task(pool)
        loaded = pool.submit(
            eval, "sorted(__import__('sys').modules.keys() & {'_hashlib', 'ctypes'})"
        )
        assert loaded.result() == []
        mapped = [m.path for m in psutil.Process(pool.pids[0]).memory_maps()]
        assert not [path for path in mapped if "libcrypto" in path]
    finally:
        pool.shutdown()


def test_digests_blake2b_is_hashlibs() -> None:
    import hashlib

    from aggregator.digests import blake2b

    assert blake2b is hashlib.blake2b  # (the same digests, the keys made before unchanged)
    assert (
        blake2b(b"pier", digest_size=16).digest()
        == hashlib.blake2b(b"pier", digest_size=16).digest()
    )


def test_a_pool_the_system_will_not_start_leaves_no_process_or_pipe_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under a process limit (systemd's TasksMax) the second worker failed to start: the
    first was left running, and each failed pass leaked two pipe ends, every tick."""
    import subprocess

    started: list[subprocess.Popen[bytes]] = []
    real = subprocess.Popen

    def limited(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        if started:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        started.append(real(*args, **kwargs))  # type: ignore[call-overload]
        return started[0]

    monkeypatch.setattr(worker_pool.subprocess, "Popen", limited)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        started.clear()
        with pytest.raises(BlockingIOError):
            WorkerPool(2)
        assert started[0].wait(10) is not None  # (the first worker ended with the pool)
    assert len(os.listdir("/proc/self/fd")) == before


def test_a_worker_running_other_code_than_its_pool_is_not_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker's first word is the stamp of the package it imported: one that differs from
    the pool's process's (the package upgraded on disk) is stopped before its answers are
    read, its tasks failed as not started (no task was its cause)."""
    monkeypatch.setattr(worker_pool, "code_stamp", lambda: b"the service's own")
    monkeypatch.setattr(worker_pool, "code_source", lambda: b"what its files held")
    pool = WorkerPool(1)
    try:
        future = pool.submit(pow, 2, 10)
        with pytest.raises(worker_pool.StartFailed) as failed:
            future.result(timeout=60)
        assert failed.value.stale and pool.broken
        assert isinstance(pool.start_failed, worker_pool.StartFailed)
    finally:
        pool.shutdown(wait=True)


@pytest.mark.parametrize("once", [True, False])
def test_only_a_lasting_service_reads_its_package_sources(tmp_path, once: bool) -> None:
    """`run` hashes its module files' contents at start (a reinstall of the same code keeps
    its workers); `poll --once` only stamps them: reading ~2 MB of sources cost every cron
    pass, and its workers after a reinstall within its seconds parse in place."""
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from aggregator.service import Service\n"
        "from aggregator.worker_main import code_source\n"
        "from test_service import fast_settings\n"
        "tmp = Path(sys.argv[1])\n"
        "(tmp / 'feeds.opml').write_text('<opml version=\"2.0\"><body/></opml>')\n"
        f"service = Service(tmp / 'feeds.opml', tmp / 'agg.db', fast_settings(), once={once})\n"
        "print(bool(code_source()))\n"
        "service.close()\n"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'tests'}"},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == str(not once)
