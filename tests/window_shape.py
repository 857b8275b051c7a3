"""What grouping-window tests compare of the candidate index: an index entry as plain data."""

from __future__ import annotations

from typing import Any

from aggregator.profile_index import Crowd


def index_entry(entry: Any) -> Any:
    """An index entry (a member alone, a tuple or list of members, a set of them, a crowd of
    too many) as plain data, members by id."""
    if type(entry) is Crowd:
        return ("crowd", entry.n)
    if type(entry) is set:
        return ("set", sorted(m.id for m in entry))
    if type(entry) in (tuple, list):
        return (type(entry).__name__, [m.id for m in entry])
    return ("alone", entry.id)
