"""Group commit: concurrent writes share a transaction; a bad request fails alone."""

from __future__ import annotations

import asyncio

from aggregator.group_commit import GroupCommit


class Recorder:
    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    async def write(self, batch: list[int]) -> list[int]:
        self.batches.append(list(batch))
        await asyncio.sleep(0.01)  # a transaction takes a while; requests pile up meanwhile
        if 13 in batch:
            raise ValueError("unlucky")
        return [n * 10 for n in batch]


def test_requests_arriving_together_share_a_write_and_get_their_own_results() -> None:
    recorder = Recorder()

    async def scenario() -> list[int]:
        commit = GroupCommit(recorder.write)
        return await asyncio.gather(*(commit.submit(n) for n in range(20, 70)))

    assert asyncio.run(scenario()) == [n * 10 for n in range(20, 70)]
    assert len(recorder.batches) == 1  # all queued before the first write began
    assert sorted(n for b in recorder.batches for n in b) == list(range(20, 70))


def test_a_failing_request_fails_alone() -> None:
    recorder = Recorder()

    async def scenario() -> None:
        commit = GroupCommit(recorder.write)
        results = await asyncio.gather(
            *(commit.submit(n) for n in range(10, 16)), return_exceptions=True
        )
        assert [r for r in results if not isinstance(r, Exception)] == [100, 110, 120, 140, 150]
        assert isinstance(results[3], ValueError)
        assert await commit.submit(7) == 70  # and the committer keeps working

    asyncio.run(scenario())


def test_batches_are_capped() -> None:
    recorder = Recorder()

    async def scenario() -> None:
        commit = GroupCommit(recorder.write, max_batch=4)
        await asyncio.gather(*(commit.submit(n) for n in range(20, 30)))
        await commit.flush()

    asyncio.run(scenario())
    assert max(len(b) for b in recorder.batches) == 4


def test_a_lone_write_goes_out_at_once() -> None:
    recorder = Recorder()
    assert asyncio.run(GroupCommit(recorder.write).submit(1)) == 10
    assert recorder.batches == [[1]]


def test_a_caller_cancelled_while_waiting_still_has_its_request_written() -> None:
    """Cancelling a waiting caller cancels its wait only: its request stays in the batch, the
    others get their results, and nothing is left unretrieved (a failure included)."""
    recorder = Recorder()

    async def scenario() -> list[object]:
        commit = GroupCommit(recorder.write)
        first = asyncio.ensure_future(commit.submit(1))  # written alone, at once
        await asyncio.sleep(0)
        waiting = [asyncio.ensure_future(commit.submit(n)) for n in (2, 13, 4)]
        await asyncio.sleep(0)
        waiting[0].cancel()
        waiting[1].cancel()
        results = await asyncio.gather(first, *waiting, return_exceptions=True)
        await commit.flush()
        return results

    first, two, thirteen, four = asyncio.run(scenario())
    assert (first, four) == (10, 40)
    assert isinstance(two, asyncio.CancelledError) and isinstance(thirteen, asyncio.CancelledError)
    assert [1] in recorder.batches and 2 in recorder.batches[1] and 13 in recorder.batches[1]
