"""JSON strings as text. JSON may escape half a surrogate pair ("\\ud800"), which is no
character: no file, database or hash takes it. Pure."""

from __future__ import annotations

__all__ = ["as_text", "has_lone_surrogate"]


def has_lone_surrogate(value: str) -> bool:
    """Whether `value` holds a surrogate JSON let through unpaired."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return True
    return False


def as_text(value: str) -> str:
    """`value` with escaped surrogate pairs joined and an unpaired one replaced (U+FFFD)."""
    if not has_lone_surrogate(value):
        return value
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
