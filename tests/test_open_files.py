"""The open-files limit a serving or polling process raises itself to at start."""

from __future__ import annotations

import resource
from collections.abc import Iterator

import pytest

from aggregator.open_files import raise_open_files_limit


@pytest.fixture
def limits() -> Iterator[tuple[int, int]]:
    """The process's limits, put back after the test."""
    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    yield before
    resource.setrlimit(resource.RLIMIT_NOFILE, before)


def test_the_soft_limit_is_raised_to_the_hard_one_or_the_most_asked(
    limits: tuple[int, int],
) -> None:
    _, hard = limits
    if hard != resource.RLIM_INFINITY and hard < 1500:
        pytest.skip(f"this machine's hard limit ({hard}) leaves nothing to raise")
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))  # (as systemd starts a service)
    wanted = 1500 if hard == resource.RLIM_INFINITY else min(hard, 1500)
    assert raise_open_files_limit(most=1500) == wanted
    assert resource.getrlimit(resource.RLIMIT_NOFILE) == (wanted, hard)
    assert raise_open_files_limit(most=1200) == wanted  # (never lowered)
