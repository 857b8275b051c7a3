"""Fetching through an HTTP proxy: `[fetch] proxy` and `no_proxy`, else the environment's
`https_proxy` / `http_proxy` / `all_proxy` / `no_proxy`.

A loopback forward proxy stands in for the operator's: it answers absolute-form requests from
its own routes (the feeds' hosts end in `.invalid` and are never resolved here), records what
it was asked and with which Proxy-Authorization, and refuses CONNECT tunnels.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest
from loopback_server import LoopbackServer
from test_fetch_guard import RSS, StubResolver
from upstream import Upstream, free_port

from aggregator.config import ConfigError, build_settings
from aggregator.fetch import Fetcher, FetchSettings, is_internal
from aggregator.fetch_proxy import bypassed, proxies
from aggregator.models import Fetched, FetchFailed, FetchOutcome

FAST = {"total_timeout": 5.0, "connect_timeout": 2.0}


@dataclass
class ForwardProxy(LoopbackServer):
    """A minimal HTTP proxy on loopback; `routes`: absolute URL → (status, headers, body)."""

    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # method, target, auth
    port: int = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                method, target, _ = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while (header := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = header.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                self.seen.append((method, target, headers.get("proxy-authorization", "")))
                if method == "CONNECT":
                    writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                    await writer.drain()
                    break
                status, extra, body = self.routes.get(target, (404, {}, b""))
                head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n"
                head += "".join(f"{k}: {v}\r\n" for k, v in extra.items())
                writer.write(head.encode() + b"\r\n" + body)
                await writer.drain()
        except (ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    def url(self, credentials: str = "") -> str:
        return f"http://{credentials + '@' if credentials else ''}127.0.0.1:{self.port}"


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def fetcher(
    env: Mapping[str, str] | None = None, resolver: StubResolver | None = None, **settings: object
) -> Fetcher:
    return Fetcher(
        FetchSettings(**{**FAST, **settings}),  # type: ignore[arg-type]
        resolver=resolver or StubResolver({}),  # nothing resolves here but what a test names
        internal=is_internal,
        env=env or {},
    )


def test_a_feed_is_fetched_through_the_configured_proxy_with_its_credentials() -> None:
    async def main() -> tuple[FetchOutcome, FetchOutcome, ForwardProxy]:
        async with ForwardProxy() as proxy:
            proxy.routes["http://news.invalid/feed.xml"] = (200, {"ETag": '"v1"'}, RSS)
            async with fetcher(proxy=proxy.url("reader:s3cret")) as f:
                first = await f.fetch("http://news.invalid/feed.xml")
                again = await f.fetch("http://news.invalid/feed.xml", etag='"v1"')
            return first, again, proxy

    first, again, proxy = asyncio.run(main())
    assert isinstance(first, Fetched) and first.body == RSS and first.etag == '"v1"'
    assert isinstance(again, Fetched)
    # absolute-form requests to the proxy, authenticated by the URL's credentials
    assert proxy.seen == [("GET", "http://news.invalid/feed.xml", basic("reader:s3cret"))] * 2


def test_the_proxy_comes_from_the_environment_unless_set_to_none() -> None:
    async def main(**settings: object) -> tuple[FetchOutcome, FetchOutcome, ForwardProxy, int]:
        async with ForwardProxy() as proxy, Upstream() as up:
            proxy.routes["http://news.invalid/feed.xml"] = (200, {}, RSS)
            up.add_feed("/feed.xml", RSS)
            env = {"HTTP_PROXY": f"127.0.0.1:{proxy.port}", "https_proxy": "http://other:1"}
            async with fetcher(env, **settings) as f:
                far = await f.fetch("http://news.invalid/feed.xml")
                near = await f.fetch(f"http://127.0.0.1:{up.port}/feed.xml")
            return far, near, proxy, up.port

    far, near, proxy, port = asyncio.run(main())
    assert isinstance(far, Fetched) and isinstance(near, FetchFailed)  # both via the proxy
    assert [t for _, t, _ in proxy.seen] == [
        "http://news.invalid/feed.xml",
        f"http://127.0.0.1:{port}/feed.xml",
    ]
    far, near, proxy, _ = asyncio.run(main(proxy="none"))
    assert isinstance(near, Fetched) and near.body == RSS  # direct
    assert isinstance(far, FetchFailed) and proxy.seen == []


def test_no_proxy_hosts_are_reached_directly() -> None:
    async def main(no_proxy: tuple[str, ...], env: dict[str, str]) -> ForwardProxy:
        async with ForwardProxy() as proxy, Upstream() as up:
            up.add_feed("/feed.xml", RSS)
            async with fetcher(env, proxy=proxy.url(), no_proxy=no_proxy) as f:
                got = await f.fetch(f"http://127.0.0.1:{up.port}/feed.xml")
            assert isinstance(got, Fetched) and got.body == RSS
            return proxy

    assert asyncio.run(main(("127.0.0.0/8",), {})).seen == []
    assert asyncio.run(main((), {"NO_PROXY": "example.org, 127.0.0.1"})).seen == []


def test_a_page_off_the_feeds_hosts_goes_through_the_proxy_but_never_to_a_private_address() -> None:
    async def main() -> tuple[FetchOutcome, FetchOutcome, ForwardProxy]:
        async with ForwardProxy() as proxy:
            proxy.routes["http://site.invalid/story"] = (200, {}, b"<html>article</html>")
            proxy.routes["http://site.invalid/moved"] = (
                302, {"Location": "http://10.0.0.7/admin"}, b""
            )  # fmt: skip
            async with fetcher(proxy=proxy.url()) as f:
                page = await f.fetch_page("http://site.invalid/story")
                moved = await f.fetch_page("http://site.invalid/moved")
            return page, moved, proxy

    page, moved, proxy = asyncio.run(main())
    # not resolvable here: left to the proxy (without a proxy: "DNS lookup failed")
    assert isinstance(page, Fetched) and page.body == b"<html>article</html>"
    assert isinstance(moved, FetchFailed)
    assert "redirect to a private address refused: http://10.0.0.7/admin" in moved.error
    assert [t for _, t, _ in proxy.seen] == [
        "http://site.invalid/story",
        "http://site.invalid/moved",
    ]


def test_a_proxy_named_by_a_host_on_the_intranet_is_allowed() -> None:
    async def main() -> FetchOutcome:
        async with ForwardProxy() as proxy:
            proxy.routes["http://news.invalid/feed.xml"] = (200, {}, RSS)
            resolver = StubResolver({"proxy.corp.test": ["127.0.0.1"]})
            named = f"http://proxy.corp.test:{proxy.port}"
            async with fetcher(resolver=resolver, proxy=named) as f:
                return await f.fetch("http://news.invalid/feed.xml")

    got = asyncio.run(main())
    assert isinstance(got, Fetched) and got.body == RSS


def test_https_goes_through_a_connect_tunnel_and_a_refusal_reads_clearly() -> None:
    async def main() -> tuple[FetchOutcome, ForwardProxy]:
        async with ForwardProxy() as proxy, fetcher(env={"HTTPS_PROXY": proxy.url("u:pw")}) as f:
            return await f.fetch("https://secure.invalid/feed.xml"), proxy

    got, proxy = asyncio.run(main())
    assert proxy.seen == [("CONNECT", "secure.invalid:443", basic("u:pw"))]
    assert isinstance(got, FetchFailed)
    assert got.error.startswith("the proxy refused the tunnel: HTTP 403")


def test_a_proxy_that_is_down_fails_each_fetch_clearly_without_its_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()

    async def main() -> FetchOutcome:
        async with fetcher(proxy=f"http://me:hunter2@127.0.0.1:{port}") as f:
            return await f.fetch("http://news.invalid/feed.xml")

    with caplog.at_level(logging.INFO, logger="aggregator"):
        got = asyncio.run(main())
    assert isinstance(got, FetchFailed)
    assert got.error == f"cannot connect to the proxy 127.0.0.1:{port}: connection refused"
    assert f"through proxy http://me:***@127.0.0.1:{port}" in caplog.text
    assert "hunter2" not in caplog.text + got.error


def test_an_unusable_proxy_variable_fails_every_fetch_and_never_goes_direct() -> None:
    async def main() -> tuple[FetchOutcome, Upstream]:
        async with Upstream() as up:
            up.add_feed("/feed.xml", RSS)
            async with fetcher({"ALL_PROXY": "ftp://127.0.0.1:2121"}) as f:
                return await f.fetch(f"http://127.0.0.1:{up.port}/feed.xml"), up

    got, up = asyncio.run(main())
    assert isinstance(got, FetchFailed) and up.requests == []
    assert got.error.startswith("ALL_PROXY: proxy scheme 'ftp' is not supported")
    assert '[fetch] proxy (AGGREGATOR_FETCH_PROXY) to a proxy, or to "none"' in got.error


@pytest.mark.parametrize(
    ("host", "port", "entries", "direct"),
    [
        ("news.example.org", 80, ("example.org",), True),
        ("example.org", 80, (".example.org",), True),
        ("badexample.org", 80, ("example.org",), False),
        ("anything.test", 443, ("*",), True),
        ("intranet.test", 8080, ("intranet.test:8080",), True),
        ("intranet.test", 80, ("intranet.test:8080",), False),
        ("10.2.3.4", None, ("10.0.0.0/8",), True),
        ("11.2.3.4", None, ("10.0.0.0/8",), False),
        ("::1", None, ("::1",), True),
        ("[::1]", None, ("::1/128",), True),
        ("news.example.org", 80, (), False),
    ],
)
def test_no_proxy_entries(
    host: str, port: int | None, entries: tuple[str, ...], direct: bool
) -> None:
    assert bypassed(host, port, entries) is direct


def test_which_proxy_settings_and_variables_choose() -> None:
    env = {"http_proxy": "http://low:1", "HTTP_PROXY": "http://up:1", "ALL_PROXY": "http://all:1"}
    chosen = proxies("", (), env)
    assert (chosen.http, chosen.https) == ("http://low:1", "http://all:1")  # lower case first
    assert chosen.origin == "http_proxy, ALL_PROXY"
    assert not proxies("none", (), env)  # direct, the variables ignored
    setting = proxies("http://set:3128", ("a.test",), {**env, "no_proxy": "b.test"})
    assert (setting.http, setting.https, setting.bypass) == (
        "http://set:3128", "http://set:3128", ("a.test",)
    )  # fmt: skip
    assert proxies("http://set:3128", (), {"no_proxy": "b.test, c.test"}).bypass == (
        "b.test", "c.test"
    )  # fmt: skip
    assert not proxies("", (), {})


def test_proxy_settings_are_checked_when_read() -> None:
    settings = build_settings(
        {"fetch": {"proxy": "http://proxy.corp:3128"}},
        {"AGGREGATOR_FETCH_NO_PROXY": "localhost, .corp"},
    )
    assert settings.fetch.proxy == "http://proxy.corp:3128"
    assert settings.fetch.no_proxy == ("localhost", ".corp")
    for bad, says in (
        ("ftp://127.0.0.1:2121", "proxy scheme 'ftp' is not supported"),
        ("http://proxy.corp:3128/path", "scheme, host and port only"),
        ("http://:3128", "has no host"),
        # (written as the environment's variables are: it had read "proxy scheme
        # 'proxy.corp' is not supported")
        (
            "proxy.corp:3128",
            "'proxy.corp:3128' has no scheme: write it as 'http://proxy.corp:3128'",
        ),
        # (its password is not shown: the error is printed and logged)
        (
            "user:s3cret@proxy.corp:3128",
            r"'user:\*\*\*@proxy.corp:3128' has no scheme: write it as "
            r"'http://user:\*\*\*@proxy.corp:3128'",
        ),
    ):
        with pytest.raises(ConfigError, match=says):
            build_settings({"fetch": {"proxy": bad}})
