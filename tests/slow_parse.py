"""A parse worker's task for the parse-pool tests: parses as the service does, except a body
holding "<!-- slow -->" (it then works for two minutes), "<!-- a while -->" (half a second)
or "<!-- die -->" (its process exits, as when the kernel kills a worker out of memory). Kept
apart from the tests, so that a worker imports nothing more than this to run it."""

from __future__ import annotations

import os
import time
from datetime import datetime

from aggregator.models import Fetched, Item, ParsedFeed, Source
from aggregator.parse_task import parse_in_worker


def parse_or_stall(
    source: Source, fetched: Fetched, now: datetime
) -> tuple[ParsedFeed, list[Item]]:
    if b"<!-- slow -->" in fetched.body:
        time.sleep(120)
    if b"<!-- a while -->" in fetched.body:
        time.sleep(0.5)
    if b"<!-- die -->" in fetched.body:
        os._exit(1)
    return parse_in_worker(source, fetched, now)
