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

import logging
import ssl
import sys
import threading

# Contexts whose CA reading is put off, each with a PEM file it trusts too ("": none).
_pending: list[tuple[ssl.SSLContext, str]] = []
_lock = threading.Lock()
log = logging.getLogger("aggregator")


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
                _pending.append((context, ""))

    from aggregator.method_cache import attrs_cached

    ssl.SSLContext.set_default_verify_paths = later  # type: ignore[method-assign,assignment]
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


def trusting_too(ca_file: str) -> ssl.SSLContext:
    """A verifying context as aiohttp's own, that trusts the certificates in `ca_file` (PEM)
    besides the system's; both read by `load_cas`, when TLS is first due."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # (hostnames checked, CERT_REQUIRED)
    context.set_alpn_protocols(("http/1.1",))
    with _lock:
        _pending.append((context, ca_file))
    return context


def load_cas() -> None:
    """Read the default CA locations (and a context's own file) into every deferred context,
    once (blocking file IO). An own file that cannot be read now (it was at start) is said,
    and the system's CAs are trusted alone."""
    with _lock:
        while _pending:
            context, ca_file = _pending[-1]
            context.set_default_verify_paths()
            if ca_file:
                try:
                    context.load_verify_locations(cafile=ca_file)
                except (OSError, ssl.SSLError) as exc:
                    log.error("fetching: ca_file %s not read: %s", ca_file, exc)
            _pending.pop()


_import_aiohttp()
