"""aiohttp's client imported without reading the CA bundle, which is read when TLS is first due.

aiohttp builds two TLS contexts when it is imported, and each reads the system CA bundle: about
half of the instructions of a pass whose feeds all answer 304. Importing this module imports
it with that reading put off for the contexts built during the import; :func:`load_cas` reads
the bundle into the ones that verify, once, before the first https request (the fetcher calls
it). A deferred context that is used before then fails verification: it trusts nothing yet.
aiohttp's unverified context (``CERT_NONE``, never asked for by our fetcher) never consults a
trust store, so it is left without one.
"""

from __future__ import annotations

import ssl
import sys
import threading

_pending: list[ssl.SSLContext] = []
_lock = threading.Lock()


def _import_aiohttp() -> None:
    """Import aiohttp's client (its connector builds the contexts); the CA reading of contexts
    built by this thread meanwhile is deferred. Nothing is deferred if it is already imported."""
    if "aiohttp.connector" in sys.modules:
        return
    importer = threading.get_ident()
    own = ssl.SSLContext.__dict__.get("set_default_verify_paths")
    read = ssl.SSLContext.set_default_verify_paths

    def later(context: ssl.SSLContext) -> None:
        if threading.get_ident() != importer:  # another thread's context: as ever
            read(context)
        elif context.verify_mode != ssl.CERT_NONE:
            with _lock:
                _pending.append(context)

    from aggregator.method_cache import attrs_cached

    ssl.SSLContext.set_default_verify_paths = later  # type: ignore[method-assign]
    try:
        with attrs_cached():  # aiohttp's attrs classes' methods: compiled once, kept
            import aiohttp.connector  # noqa: F401
    finally:
        if own is None:
            del ssl.SSLContext.set_default_verify_paths
        else:
            ssl.SSLContext.set_default_verify_paths = own  # type: ignore[method-assign]


def cas_pending() -> bool:
    """Whether a context still waits for its CA bundle."""
    return bool(_pending)


def load_cas() -> None:
    """Read the default CA locations into every deferred context, once (blocking file IO)."""
    with _lock:
        while _pending:
            _pending[-1].set_default_verify_paths()
            _pending.pop()


_import_aiohttp()
