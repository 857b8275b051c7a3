"""An https:// proxy: the fetcher speaks TLS to the proxy itself, verifies the proxy's
certificate, and sends http feeds in absolute form and https feeds through a CONNECT tunnel
inside that TLS connection (TLS in TLS), each with the proxy's credentials.

Run in a fresh interpreter with SSL_CERT_FILE naming a throwaway CA (as test_fetch_tls does):
a proxy whose certificate that CA did not issue is refused, never used unverified.
"""

from __future__ import annotations

import json
from pathlib import Path

from throwaway_ca import run_with_throwaway_ca

SCRIPT = r"""
import asyncio, json, ssl, sys
from aggregator import fetch_tls  # (first: aiohttp's contexts read the CA bundle when due)
from aggregator.fetch import Fetcher, FetchSettings
from aiohttp import web

RSS = b"<rss version='2.0'><channel><title>through</title></channel></rss>"

def server_context(ca):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context

async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()

def proxy(seen):
    async def serve(reader, writer):
        try:
            line = await reader.readline()
        except (ConnectionError, OSError, ssl.SSLError):
            return  # a client that refused our certificate
        if not line:
            return
        method, target, _ = line.decode("latin-1").split(" ", 2)
        headers = {}
        while (header := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        seen.append([method, target, headers.get("proxy-authorization", "")])
        if method == "CONNECT":  # the tunnel goes to the loopback https upstream
            port = int(target.rsplit(":", 1)[1])
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(RSS) + RSS)
        await writer.drain()
        writer.close()
    return serve

async def main():
    import trustme
    trusted, stranger = trustme.CA(), trustme.CA()
    trusted.cert_pem.write_to_path(sys.argv[1])
    app = web.Application()
    app.router.add_get("/feed.xml", lambda r: web.Response(body=RSS))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context(trusted))
    await site.start()
    upstream = site._server.sockets[0].getsockname()[1]
    result = {}
    for name, ca in (("trusted", trusted), ("stranger", stranger)):
        seen = []
        server = await asyncio.start_server(proxy(seen), "127.0.0.1", 0, ssl=server_context(ca))
        port = server.sockets[0].getsockname()[1]
        url = f"https://reader:s3cret@127.0.0.1:{port}"
        settings = FetchSettings(total_timeout=10.0, connect_timeout=5.0)
        async with Fetcher(settings, env={"https_proxy": url, "http_proxy": url}) as fetcher:
            plain = await fetcher.fetch("http://news.invalid/feed.xml")
            tunnelled = await fetcher.fetch(f"https://127.0.0.1:{upstream}/feed.xml")
        server.close()
        result[name] = {
            "outcomes": [
                [type(o).__name__, getattr(o, "body", b"").decode(), getattr(o, "error", "")]
                for o in (plain, tunnelled)
            ],
            "seen": seen,
            "port": port,
        }
    result["upstream"] = upstream
    await runner.cleanup()
    print(json.dumps(result))

asyncio.run(main())
"""


def test_an_https_proxy_is_reached_over_verified_tls_for_http_and_https_feeds(
    tmp_path: Path,
) -> None:
    result = run_with_throwaway_ca(SCRIPT, tmp_path)
    login = "Basic cmVhZGVyOnMzY3JldA=="  # reader:s3cret
    trusted = result["trusted"]
    # an http feed in absolute form, an https feed through a tunnel inside the proxy's TLS
    body = "<rss version='2.0'><channel><title>through</title></channel></rss>"
    assert [o[:2] for o in trusted["outcomes"]] == [["Fetched", body]] * 2
    assert trusted["seen"] == [
        ["GET", "http://news.invalid/feed.xml", login],
        ["CONNECT", f"127.0.0.1:{result['upstream']}", login],
    ]
    # a proxy presenting a certificate the trust store does not vouch for is never used
    stranger = result["stranger"]
    assert [o[0] for o in stranger["outcomes"]] == ["FetchFailed", "FetchFailed"]
    port = stranger["port"]  # each failure names the proxy, not the feed, as the culprit
    assert all(
        o[2].startswith(f"TLS certificate error at the proxy 127.0.0.1:{port}: ")
        for o in stranger["outcomes"]
    ), stranger
    assert stranger["seen"] == []
    assert "s3cret" not in json.dumps(stranger["outcomes"])
