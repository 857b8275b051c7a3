"""Message-IDs the digest signs, so that its bounces can be told from forged ones. Pure.

Anyone may write to the mailbox the bounces land in. A bounce counts against a reader only
when it quotes (in the headers of the message it returns) the Message-ID of a digest sent to
that reader: each ends in a tag made with the site's key (`signup_store`'s, which signs the
readers' links too) from the rest of the ID and the address the copy went to. Nobody
without the key can make one for an address, and a reader's own copy vouches for no one
else. The list's message, to the addresses the settings list, is signed for no address
(`shared`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

__all__ = ["signed_id", "vouches"]

_TAG = 16  # hex digits of a tag (64 bits)
_HEX_TAG = re.compile(f"[0-9a-f]{{{_TAG}}}")


def _tag(key: bytes, local: str, address: str) -> str:
    said = f"digest-message\n{local}\n{address.strip().lower()}".encode()
    return hmac.new(key, said, hashlib.sha256).hexdigest()[:_TAG]


def signed_id(key: bytes, local: str, domain: str, address: str = "") -> str:
    """The Message-ID `<local.TAG@domain>` of a digest sent to `address` ("" for the list's
    message)."""
    return f"<{local}.{_tag(key, local, address)}@{domain}>"


def vouches(key: bytes, quoted: Iterable[str], address: str, *, shared: bool = False) -> bool:
    """Whether one of the Message-IDs a bounce `quoted` (without angle brackets) is a
    digest's signed for `address`, or, `shared` (an address the settings list), the list's
    message."""
    for found in quoted:
        local, _, domain = found.rpartition("@")
        stem, _, tag = local.rpartition(".")
        if not stem or not domain or not _HEX_TAG.fullmatch(tag):
            continue  # (as our tags are: `compare_digest` takes no text outside ASCII)
        for whom in (address, "") if shared else (address,):
            if hmac.compare_digest(tag, _tag(key, stem, whom)):
                return True
    return False
