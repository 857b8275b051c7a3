"""What a summary worker runs (`summary_pool`): a few stories summarised.

Kept apart from `summary_pool`, whose pool machinery (`concurrent.futures.process` and with it
`multiprocessing`, `worker_pool`'s `subprocess` and `logging`) a worker has no use for: a
worker imports this module when it unpickles its first task, and with it only what
summarising needs.
"""

from __future__ import annotations

import pickle
import sys
import zlib
from collections.abc import Sequence

from . import bullets, heap
from .models import Item, Summary
from .summarize import ExtractiveSummarizer
from .summary_settings import SummarySettings

__all__ = [
    "Lent",
    "Stories",
    "StoryInputs",
    "pack_summary",
    "summarise_in_worker",
    "summarise_packed_in_worker",
    "unpack_summary",
]

_summarizer: ExtractiveSummarizer | None = None  # each worker's own
# A summary's inputs: the items, the published headline, the language a tie of the items'
# languages goes to (the story's category's; None: the settings')
StoryInputs = tuple[Sequence[Item], str | None, str | None]
Stories = Sequence[StoryInputs]
Lent = dict[tuple[bytes, int, int], bytes]  # bodies' candidates, packed (`bullets.lent`)


def _worker_summarizer(settings: SummarySettings) -> ExtractiveSummarizer:
    """The worker's summariser for `settings`, made on its first task (the workers are
    shared with the term worker, so they are started without one)."""
    global _summarizer
    if _summarizer is None or _summarizer.settings != settings:
        # A worker lives for one pass, in which a body is seldom summarised twice (~1.5% of
        # them in a cold pass): the bodies memo would only add ~10 MB to the worker. The
        # calling process keeps it instead, and lends a task the entries of its bodies.
        bullets.MEMO_ITEMS = 0
        _summarizer = ExtractiveSummarizer(settings)
    return _summarizer


def summarise_in_worker(
    settings: SummarySettings, stories: Stories, known: Lent
) -> tuple[list[Summary], Lent]:
    """The summaries, and the bodies' candidates worked out for them (for the caller's memo)."""
    summarizer = _worker_summarizer(settings)
    try:
        with bullets.lent(known) as made:
            answers = [summarizer.summarize(*story) for story in stories]
            return answers, made
    finally:
        if f"{__package__}.term_task" not in sys.modules:
            # A worker that only summarises (the pass's summarising) empties its memos after
            # each task, as a parse worker does: the word stems, cleaned headlines and token
            # lists of a few stories seldom serve the next ones (~3.6 MB after 250 Multi-News
            # stories, same CPU). A worker that also tokenises keeps them for its term tasks.
            heap.forget_memos()


def summarise_packed_in_worker(
    settings: SummarySettings, stories: Stories, known: Lent
) -> tuple[list[bytes], Lent]:
    """`summarise_in_worker`, each summary packed (a quarter of its objects' memory, for
    answers that wait)."""
    summaries, made = summarise_in_worker(settings, stories, known)
    return [pack_summary(s) for s in summaries], made


def pack_summary(summary: Summary) -> bytes:
    """A summary pickled and compressed (`unpack_summary` reads it)."""
    return zlib.compress(pickle.dumps(summary, pickle.HIGHEST_PROTOCOL), 1)


def unpack_summary(packed: bytes) -> Summary:
    """The summary `pack_summary` packed."""
    summary: Summary = pickle.loads(zlib.decompress(packed))
    return summary
