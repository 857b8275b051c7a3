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
