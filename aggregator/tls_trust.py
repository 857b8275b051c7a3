"""Certificates an operator trusts besides the system's: a private CA, a self-signed server.

`[fetch] ca_file` (feeds, pages, pictures) and `[digest] ca_file` (the mail servers) name a
PEM file of them; the system's trusted CAs stay trusted beside it.
"""

from __future__ import annotations

import ssl

__all__ = ["check_ca_file", "trusting"]


def check_ca_file(path: str, setting: str) -> None:
    """ValueError naming `setting` unless `path` is a readable file of PEM certificates."""
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=path)
    except ssl.SSLError:  # (an OSError too)
        raise ValueError(f"{setting}: {path} holds no PEM certificate") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ValueError(f"{setting}: cannot read {path}: {reason}") from None


def trusting(ca_file: str) -> ssl.SSLContext:
    """A verifying client context trusting the system's CAs and, with `ca_file`, the
    certificates in it (blocking file IO)."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context
