"""The cyclic garbage collector around imports made after start-up.

A module imported late (the HTTP client at a pass's first request) makes tens of thousands of
objects that live as long as the process, as start-up's do (see `cli.run`). While it loads,
the collector's passes over them find nothing; afterwards they would be searched again at
every full collection. :func:`lasting` pauses the collector for such an import and freezes
what is alive when it ends, as `cli.run` does for start-up. Only in the `aggregator` program
(`cli.run` sets :data:`program`): a test process calling the code in process is left alone.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["lasting", "program"]

program = False  # set by `cli.run`: this process is the aggregator program


@contextmanager
def lasting() -> Iterator[None]:
    """Import inside: the collector is off meanwhile, then what is alive is frozen (never
    searched again; what is garbage in a cycle then is never freed: a fixed cost, once)."""
    if not program or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
