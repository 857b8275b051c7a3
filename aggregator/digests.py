"""blake2b without OpenSSL's library, for the modules the summary workers import.

`hashlib` loads OpenSSL's libcrypto as it is imported (`_hashlib`: ~3.4 MB resident in each
process that loads it), yet its blake2b is always its own (`_blake2`, the same type). A summary
worker hashes only with blake2b (the bodies' memo keys, dedupe's own-headline memo, repeated
openings): taken from `_blake2`, a fresh worker never maps libcrypto, and the round's peak (the
main process beside a summary worker) is that much lower. `hashlib.sha256` (content hashes,
feed bodies) stays where it is used: those run where OpenSSL is loaded anyway.
"""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - a Python built without its own blake2
    from hashlib import blake2b

__all__ = ["blake2b"]
