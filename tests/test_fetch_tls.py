"""The CA bundle is read when the first https request is due, not when aiohttp is imported; https
is verified against it then. Run in a fresh interpreter (the suite's has imported aiohttp already),
with SSL_CERT_FILE naming a throwaway CA, so a trust store that was never read fails the fetch."""

from __future__ import annotations

from pathlib import Path

from throwaway_ca import run_with_throwaway_ca

# What each script starts with: its imports, and a server context for a CA's certificate.
PRELUDE = r"""
import asyncio, json, ssl, sys
from aggregator import fetch_tls
from aggregator.fetch import Fetcher
from aggregator.fetch_settings import FetchSettings
from aiohttp import web

def server_context(ca, name):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    return context
"""

SCRIPT = (
    PRELUDE
    + r"""
async def main():
    import trustme
    trusted, stranger = trustme.CA(), trustme.CA()
    trusted.cert_pem.write_to_path(sys.argv[1])
    app = web.Application()
    app.router.add_get("/feed.xml", lambda r: web.Response(text="<rss/>"))
    runner = web.AppRunner(app)
    await runner.setup()
    ports = []
    for context in (None, server_context(trusted, "127.0.0.1"),
                    server_context(stranger, "127.0.0.1")):
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        ports.append(site._server.sockets[0].getsockname()[1])
    seen = {"pending_after_import": fetch_tls.cas_pending()}
    async with Fetcher() as fetcher:
        plain = await fetcher.fetch(f"http://127.0.0.1:{ports[0]}/feed.xml")
        seen["plain"] = [type(plain).__name__, fetch_tls.cas_pending()]
        runs = [fetcher.fetch(f"https://127.0.0.1:{ports[1]}/feed.xml") for _ in range(3)]
        seen["trusted"] = [type(o).__name__ for o in await asyncio.gather(*runs)]
        seen["pending_after_https"] = fetch_tls.cas_pending()
        other = await fetcher.fetch(f"https://127.0.0.1:{ports[2]}/feed.xml")
        seen["stranger"] = [type(other).__name__, getattr(other, "error", "")]
    await runner.cleanup()
    print(json.dumps(seen))

asyncio.run(main())
"""
)


def test_the_ca_bundle_is_read_for_the_first_https_request_and_verifies_it(tmp_path: Path) -> None:
    seen = run_with_throwaway_ca(SCRIPT, tmp_path)
    assert seen["pending_after_import"] is True  # importing read no CA bundle
    assert seen["plain"] == ["Fetched", True]  # nor did a plain http fetch
    assert seen["trusted"] == ["Fetched"] * 3  # the first https fetches read it, and verify
    assert seen["pending_after_https"] is False
    assert seen["stranger"][0] == "FetchFailed"  # a certificate from another CA is refused
    assert "certificate" in seen["stranger"][1].lower()


OWN_CA_SCRIPT = (
    PRELUDE
    + r"""
async def main():
    import trustme
    system, own, stranger = trustme.CA(), trustme.CA(), trustme.CA()
    system.cert_pem.write_to_path(sys.argv[1])
    own_file = sys.argv[1] + ".own.pem"
    own.cert_pem.write_to_path(own_file)
    app = web.Application()
    app.router.add_get("/feed.xml", lambda r: web.Response(text="<rss/>"))
    runner = web.AppRunner(app)
    await runner.setup()
    urls = {}
    for name, ca in (("system", system), ("own", own), ("stranger", stranger)):
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context(ca, "127.0.0.1"))
        await site.start()
        urls[name] = f"https://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/feed.xml"
    seen = {}
    trusting = FetchSettings(ca_file=own_file)
    for label, settings in (("default", FetchSettings()), ("ca_file", trusting)):
        async with Fetcher(settings) as fetcher:
            got = {}
            for name, url in urls.items():
                outcome = await fetcher.fetch(url)
                got[name] = [type(outcome).__name__, getattr(outcome, "error", "")]
            seen[label] = got
    await runner.cleanup()
    print(json.dumps(seen))

asyncio.run(main())
"""
)


def test_an_operators_own_ca_file_is_trusted_beside_the_systems(tmp_path: Path) -> None:
    seen = run_with_throwaway_ca(OWN_CA_SCRIPT, tmp_path)
    # without it, a server with a private CA's certificate fails, and the error says the way
    assert [seen["default"][name][0] for name in ("system", "own")] == ["Fetched", "FetchFailed"]
    assert "[fetch] ca_file" in seen["default"]["own"][1]
    # with it, that server is trusted, the system's CAs still are, and no other CA is
    assert [seen["ca_file"][name][0] for name in ("system", "own", "stranger")] == [
        "Fetched",
        "Fetched",
        "FetchFailed",
    ]
