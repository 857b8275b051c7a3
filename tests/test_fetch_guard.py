"""Fetching cannot reach private networks by redirect: numeric forms, IPv6 wrappers, DNS names.

The loopback test server stands in for a public host: these tests treat 127.0.0.1 as public
(`internal=`) and every other internal address as internal, and resolve names with a stub.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Sequence

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from upstream import Upstream

from aggregator.fetch import Fetcher, FetchSettings, is_internal, is_metadata_address
from aggregator.models import Fetched, FetchFailed, FetchOutcome, Redirected

RSS = (
    b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
    b"<item><title>One</title><link>http://example.com/1</link></item></channel></rss>"
)
SERVER = ipaddress.IPv4Address("127.0.0.1")
FAST = FetchSettings(total_timeout=5.0, connect_timeout=2.0)


def public_test_server(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Internal, except the test server's own address, which plays a public host."""
    return address != SERVER and is_internal(address)


class StubResolver(AbstractResolver):
    """Names → addresses, in the order given; a list of lists answers differently per call."""

    def __init__(self, names: dict[str, Sequence[str] | Sequence[Sequence[str]]]) -> None:
        self.names = names
        self.calls: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls.append(host)
        answer = self.names.get(host)
        if answer is None:
            raise OSError(f"stub: no such host {host}")
        if answer and not isinstance(answer[0], str):  # a sequence of answers, one per call
            answers = list(answer)
            answer = answers.pop(0) if len(answers) > 1 else answers[0]
            self.names[host] = answers
        results: list[ResolveResult] = []
        for address in answer:
            ip = ipaddress.ip_address(address)
            results.append(
                {
                    "hostname": host,
                    "host": str(ip),
                    "port": port,
                    "family": socket.AF_INET6 if ip.version == 6 else socket.AF_INET,
                    "proto": 0,
                    "flags": socket.AI_NUMERICHOST,
                }
            )
        return results

    async def close(self) -> None:
        return None


def fetch(
    target: Callable[[Upstream], str],
    names: dict[str, Sequence[str] | Sequence[Sequence[str]]],
    *,
    internal: Callable[[ipaddress.IPv4Address | ipaddress.IPv6Address], bool] = (
        public_test_server
    ),
    start: str = "feeds.test",
) -> tuple[FetchOutcome, Upstream]:
    """Serve a feed, redirect /start to target(up), and fetch http://<start>:port/start."""

    async def main() -> tuple[FetchOutcome, Upstream]:
        async with Upstream() as up:
            up.add_feed("/feed.xml", RSS)
            up.add_redirect("/start", target(up), 302)
            resolver = StubResolver(names)
            async with Fetcher(FAST, resolver=resolver, internal=internal) as fetcher:
                return await fetcher.fetch(f"http://{start}:{up.port}/start"), up

    return asyncio.run(main())


@pytest.mark.parametrize(
    "host",
    [
        "0x7f000002",  # hex integer
        "2130706434",  # decimal integer
        "0177.0.0.2",  # octal dotted
        "127.2",  # short form
        "[::ffff:127.0.0.2]",  # IPv4-mapped IPv6
        "[::ffff:10.0.0.1]",
        "[::1]",
        "169.254.169.254",  # cloud metadata
        "[fe80::1]",
        "0.0.0.0",
        "100.64.0.1",  # carrier-grade NAT
        "168.63.129.16",  # Azure's WireServer, at a public address
    ],
)
def test_redirect_to_a_numeric_internal_address_is_refused(host: str) -> None:
    outcome, up = fetch(
        lambda up: f"http://{host}:{up.port}/feed.xml", {"feeds.test": ["127.0.0.1"]}
    )
    assert isinstance(outcome, FetchFailed)
    assert "redirect to a private address refused" in outcome.error
    assert up.requests_for("/feed.xml") == []


@pytest.mark.parametrize(
    "addresses",
    [
        ["127.0.0.2"],
        ["10.1.2.3"],
        ["93.184.216.34", "192.168.1.1"],  # one internal address among public ones
        ["::ffff:127.0.0.2"],
        ["64:ff9b::a00:1"],  # NAT64 wrapping 10.0.0.1
    ],
)
def test_redirect_to_a_name_resolving_to_an_internal_address_is_refused(
    addresses: list[str],
) -> None:
    names = {"feeds.test": ["127.0.0.1"], "intranet.test": addresses}
    outcome, up = fetch(lambda up: f"http://intranet.test:{up.port}/feed.xml", names)
    assert isinstance(outcome, FetchFailed)
    assert "redirect to a private address refused" in outcome.error
    assert up.requests_for("/feed.xml") == []


def test_redirect_to_a_public_name_is_followed() -> None:
    names = {"feeds.test": ["127.0.0.1"], "cdn.test": ["127.0.0.1"]}
    outcome, _ = fetch(lambda up: f"http://cdn.test:{up.port}/feed.xml", names)
    assert isinstance(outcome, Fetched) and outcome.body == RSS


def test_dns_rebinding_between_check_and_connect_is_refused() -> None:
    """The hop resolves public when checked, internal when connecting: still refused."""
    names = {"feeds.test": ["127.0.0.1"], "flip.test": [["127.0.0.1"], ["127.0.0.2"]]}
    outcome, up = fetch(lambda up: f"http://flip.test:{up.port}/feed.xml", names)
    assert isinstance(outcome, FetchFailed)
    assert "private address" in outcome.error
    assert up.requests_for("/feed.xml") == []


def test_a_feed_listed_on_an_intranet_host_still_works_and_redirects_inside_it() -> None:
    names = {"intranet.test": ["127.0.0.1"], "wiki.intranet.test": ["127.0.0.1"]}
    outcome, _ = fetch(
        lambda up: f"http://wiki.intranet.test:{up.port}/feed.xml",
        names,
        internal=is_internal,  # the test server is what it is: loopback
        start="intranet.test",
    )
    assert isinstance(outcome, Fetched) and outcome.body == RSS


@pytest.mark.parametrize(
    ("hop", "names"),
    [
        ("169.254.169.254", {}),  # a cloud's metadata service, as written
        ("[fe80::1]", {}),
        ("[::ffff:169.254.169.254]", {}),
        ("[64:ff9b::a9fe:a9fe]", {}),  # NAT64, as `is_internal` unwraps it
        ("[2002:a9fe:a9fe::1]", {}),  # 6to4
        ("metadata.test", {"metadata.test": ["169.254.169.254"]}),  # by name
        ("flip.test", {"flip.test": [["127.0.0.1"], ["169.254.169.254"]]}),  # rebinding
        # (rebinding to two addresses: the link-local one is tried when the first fails)
        ("flip.test", {"flip.test": [["127.0.0.1"], ["127.0.0.1", "169.254.169.254"]]}),
        # metadata services outside link-local: private, CGNAT or public by their address
        ("[fd00:ec2::254]", {}),  # AWS's IMDS over IPv6 (a unique local address)
        ("[fd00:ec2::23]", {}),  # AWS EKS Pod Identity (credentials) over IPv6
        ("[fd20:ce::254]", {}),  # Google Compute Engine's over IPv6
        ("[fd00:a9fe:a9fe::1]", {}),  # Akamai (Linode)'s over IPv6
        ("192.0.0.192", {}),  # Oracle Cloud (Classic, Cloud@Customer)
        ("100.100.100.200", {}),  # Alibaba Cloud's
        ("168.63.129.16", {}),  # Azure's WireServer (a public address)
        ("[::ffff:100.100.100.200]", {}),
        ("[64:ff9b::c000:c0]", {}),  # NAT64 of 192.0.0.192
        ("[::a9fe:a9fe]", {}),  # IPv4-compatible (a 6in4 tunnel's sit0 routes it)
        ("[64:ff9b:1::a9fe:a9fe]", {}),  # a local-use NAT64 on the machine
        ("imds6.test", {"imds6.test": ["fd00:ec2::254"]}),  # by name
        ("flip.test", {"flip.test": [["127.0.0.1"], ["100.100.100.200"]]}),  # rebinding
    ],
)
def test_an_intranet_feed_may_not_redirect_to_a_link_local_address(
    hop: str, names: dict[str, Sequence[str] | Sequence[Sequence[str]]]
) -> None:
    """An intranet host's redirects are followed within the intranet, but not to where a
    cloud's metadata service answers: a page's text from there would be published."""
    outcome, up = fetch(
        lambda up: f"http://{hop}:{up.port}/feed.xml",
        {"intranet.test": ["127.0.0.1"], **names},
        internal=is_internal,
        start="intranet.test",
    )
    assert isinstance(outcome, FetchFailed)
    assert "link-local" in outcome.error or "private address" in outcome.error
    assert up.requests_for("/feed.xml") == []


def test_a_hop_that_does_not_resolve_fails_clearly() -> None:
    outcome, _ = fetch(
        lambda up: f"http://nowhere.test:{up.port}/feed.xml", {"feeds.test": ["127.0.0.1"]}
    )
    assert isinstance(outcome, FetchFailed)
    assert "DNS lookup failed for nowhere.test" in outcome.error


@pytest.mark.parametrize(
    ("address", "internal"),
    [
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("172.16.5.4", True),
        ("192.168.0.1", True),
        ("169.254.169.254", True),
        ("100.64.1.1", True),
        ("224.0.0.1", True),
        ("::1", True),
        ("fc00::1", True),
        ("::ffff:127.0.0.1", True),
        ("2002:7f00:1::", True),  # 6to4 of 127.0.0.1
        ("168.63.129.16", True),  # Azure's WireServer: public, but no feed is there
        ("168.63.129.17", False),
        ("93.184.216.34", False),
        ("2606:2800:220:1:248:1893:25c8:1946", False),
        ("::ffff:93.184.216.34", False),
    ],
)
def test_internal_addresses(address: str, internal: bool) -> None:
    assert is_internal(ipaddress.ip_address(address)) is internal


def test_a_page_redirected_to_another_site_is_checked_as_a_hop_when_asked_there() -> None:
    """An article page fetched `own_site` stops at a redirect to another site (its robots.txt
    is that site's) and is asked there `redirected_from` the page: a hop from a public page to
    an internal host is refused, even a host a listed feed is on; a hop within its site is
    followed."""
    names = {"pages.test": ["127.0.0.1"], "intranet.test": ["10.1.2.3"]}

    async def main() -> None:
        async with Upstream() as up:
            up.add_feed("/feed.xml", RSS)
            up.add_redirect("/away", f"http://intranet.test:{up.port}/feed.xml", 301)
            up.add_redirect("/near", "/feed.xml", 302)
            resolver = StubResolver(names)
            async with Fetcher(FAST, resolver=resolver, internal=public_test_server) as fetcher:
                # an operator's feed on the intranet host: listed, so trusted as a feed
                await fetcher.fetch(f"http://intranet.test:{up.port}/feed.xml")
                start = f"http://pages.test:{up.port}/away"
                moved = await fetcher.fetch_page(start, own_site=True)
                assert isinstance(moved, Redirected) and moved.status == 301
                assert moved.location == f"http://intranet.test:{up.port}/feed.xml"
                there = await fetcher.fetch_page(moved.location, redirected_from=start)
                assert isinstance(there, FetchFailed)
                assert "redirect to a private address refused" in there.error
                near = await fetcher.fetch_page(f"http://pages.test:{up.port}/near", own_site=True)
                assert isinstance(near, Fetched) and near.final_url.endswith("/feed.xml")

    asyncio.run(main())


def test_a_public_name_that_answers_inside_afterwards_makes_no_redirect_trusted() -> None:
    """The origin's name was looked up again after its redirect: a name that answered a
    public address, redirected, then answered 127.0.0.2 (DNS rebinding, a TTL of 0) was
    taken for an intranet's, and the host it redirected to was trusted for good."""

    async def main() -> tuple[FetchOutcome, Upstream, set[str]]:
        async with Upstream() as up:
            up.add_feed("/feed.xml", RSS)
            up.add_redirect("/start", f"http://intranet.test:{up.port}/feed.xml", 302)
            names = {"feeds.test": [["127.0.0.1"], ["127.0.0.2"]], "intranet.test": ["127.0.0.2"]}
            resolver = StubResolver(names)  # type: ignore[arg-type]
            async with Fetcher(FAST, resolver=resolver, internal=public_test_server) as fetcher:
                outcome = await fetcher.fetch(f"http://feeds.test:{up.port}/start")
                return outcome, up, set(fetcher._listed)

    outcome, up, listed = asyncio.run(main())
    assert isinstance(outcome, FetchFailed)
    assert "redirect to a private address refused" in outcome.error
    assert "intranet.test" not in listed and up.requests_for("/feed.xml") == []


def test_a_feed_moved_to_another_host_is_not_the_operators_to_trust() -> None:
    """A feed's permanent redirect to another host made that host trusted for the process
    (fetched as listed): its later answer 127.0.0.2 was fetched, article pages and pictures
    on it too. Only the host the operator listed may be inside."""
    from aggregator.models import Source
    from aggregator.poll_job import _listed_host

    source = Source("http://pub.test:8000/moving.xml", "Moving", "World")
    assert _listed_host(source, "http://pub.test:8000/moving.xml")
    assert _listed_host(source, "https://PUB.test/new-place.xml")  # (its own host)
    assert not _listed_host(source, "http://rebind.test:9000/feed.xml")

    async def main() -> FetchOutcome:
        async with Upstream() as up:
            up.add_feed("/feed.xml", RSS)
            resolver = StubResolver({"rebind.test": ["127.0.0.2"]})
            async with Fetcher(FAST, resolver=resolver, internal=public_test_server) as fetcher:
                return await fetcher.fetch(f"http://rebind.test:{up.port}/feed.xml", trusted=False)

    outcome = asyncio.run(main())
    assert isinstance(outcome, FetchFailed) and "private address refused" in outcome.error


@pytest.mark.parametrize(
    ("address", "metadata"),
    [
        ("169.254.169.254", True),
        ("fe80::a9fe:a9fe", True),
        ("fd00:ec2::254", True),
        ("fd20:ce::254", True),
        ("100.100.100.200", True),
        ("192.0.0.192", True),
        ("::ffff:168.63.129.16", True),
        # (wrapped as the translators that may run on the machine wrap it: IPv4-compatible,
        # SIIT's IPv4-translated, a local-use NAT64 /96 of RFC 8215)
        ("::a9fe:a9fe", True),
        ("::ffff:0:a9fe:a9fe", True),
        ("64:ff9b:1::a9fe:a9fe", True),
        ("64:ff9b:1::6464:64c8", True),  # 100.100.100.200
        ("::ffff:0:a00:1", False),  # 10.0.0.1 so wrapped: an intranet's
        ("fd00:ec2::1", False),  # an intranet's unique local address nearby: allowed
        ("100.100.100.201", False),  # a carrier-grade NAT (Tailscale) neighbour
        ("192.0.0.193", False),
        ("10.0.0.1", False),
        ("127.0.0.1", False),
    ],
)
def test_metadata_addresses_are_the_documented_ones_and_link_local(
    address: str, metadata: bool
) -> None:
    """What an intranet feed's redirect may never reach: exactly link-local and the clouds'
    documented metadata addresses, not their neighbours an intranet may use."""
    assert is_metadata_address(ipaddress.ip_address(address)) is metadata


HTML = b"<html><body><p>A page.</p></body></html>"


def test_a_listed_intranet_host_is_trusted_at_its_listed_port_only() -> None:
    """A feed listed on a loopback host makes that feed's address the operator's, not every
    service on the host: a page or a hub any feed names on another port of it is refused
    (a page's text would be published, a hub is posted to); pages at the listed port, and
    pictures at the ports `trust_hosts` names, are fetched."""

    async def main() -> tuple[list[FetchOutcome], str | None, Upstream]:
        async with Upstream() as listed, Upstream() as other:
            listed.add_feed("/feed.xml", RSS)
            listed.add_feed("/page", HTML, content_type="text/html")
            other.add_feed("/secret", HTML, content_type="text/html")
            async with Fetcher(FAST) as fetcher:  # (loopback is internal, as it is)
                outcomes = [
                    await fetcher.fetch(f"http://127.0.0.1:{listed.port}/feed.xml"),
                    await fetcher.fetch(f"http://127.0.0.1:{listed.port}/page", trusted=False),
                    await fetcher.fetch(f"http://127.0.0.1:{other.port}/secret", trusted=False),
                    await fetcher.fetch(f"http://localhost:{listed.port}/page", trusted=False),
                ]
                hub = await fetcher.post_form(  # (a public feed names a hub inside)
                    f"http://127.0.0.1:{other.port}/secret",
                    [("a", "b")],
                    named_by="http://feeds.example/a.xml",
                )
            async with Fetcher(FAST) as pictures:
                pictures.trust_hosts([("127.0.0.1", listed.port)])
                outcomes.append(
                    await pictures.fetch(f"http://127.0.0.1:{listed.port}/page", trusted=False)
                )
                outcomes.append(
                    await pictures.fetch(f"http://127.0.0.1:{other.port}/secret", trusted=False)
                )
            return outcomes, hub, other

    (feed, page, secret, by_name, picture, elsewhere), hub, other = asyncio.run(main())
    assert isinstance(feed, Fetched) and isinstance(page, Fetched)
    assert isinstance(picture, Fetched)
    for refused in (secret, by_name, elsewhere):
        assert isinstance(refused, FetchFailed) and "private address" in refused.error
    assert hub is not None and "private address" in hub
    assert other.requests == []


def test_a_hub_an_intranet_feed_names_may_be_on_its_own_host_only() -> None:
    """A feed listed inside the network may name a hub at another port of its own host; not
    on another host inside (a link-local or cloud metadata address, or "localhost")."""

    async def main() -> tuple[list[str | None], Upstream]:
        async with Upstream() as listed, Upstream() as hub:
            listed.add_feed("/feed.xml", RSS)
            async with Fetcher(FAST) as fetcher:
                feed = f"http://127.0.0.1:{listed.port}/feed.xml"
                assert isinstance(await fetcher.fetch(feed), Fetched)
                said = [
                    await fetcher.post_form(url, [("a", "b")], named_by=feed)
                    for url in (
                        f"http://127.0.0.1:{hub.port}/hub/own",
                        f"http://localhost:{hub.port}/hub/other",
                        "http://169.254.169.254/latest/",
                    )
                ]
            return said, hub

    (own, other, metadata), hub = asyncio.run(main())
    assert own is None and hub.hub_forms == [("own", {"a": "b"})]
    for refused in (other, metadata):
        assert refused is not None and "private address refused" in refused


def test_a_public_feeds_name_pointed_inside_later_opens_no_other_port_there() -> None:
    """A public feed's owner controls its name: answering 127.0.0.1 after the feed was polled
    from outside, a hub it names at another port of its host had been posted to (its own
    host was trusted at any port), and an article page there fetched."""
    inside = {"now": False}

    def internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return inside["now"] and is_internal(address)

    async def main() -> tuple[str | None, FetchOutcome, Upstream]:
        async with Upstream() as listed, Upstream() as other:
            listed.add_feed("/feed.xml", RSS)
            other.add_feed("/secret", HTML, content_type="text/html")
            resolver = StubResolver({"news.test": ["127.0.0.1"]})
            async with Fetcher(FAST, resolver=resolver, internal=internal) as fetcher:
                feed = f"http://news.test:{listed.port}/feed.xml"
                assert isinstance(await fetcher.fetch(feed), Fetched)  # (public when polled)
                inside["now"] = True  # its owner's name now answers inside
                hub = await fetcher.post_form(
                    f"http://news.test:{other.port}/hub/own", [("a", "b")], named_by=feed
                )
                page = await fetcher.fetch_page(f"http://news.test:{other.port}/secret")
            return hub, page, other

    hub, page, other = asyncio.run(main())
    assert hub is not None and "private address refused" in hub
    assert isinstance(page, FetchFailed) and "private address" in page.error
    assert other.requests == [] and other.hub_forms == []


def test_an_intranet_page_other_feeds_name_redirects_to_no_other_port_of_its_host() -> None:
    """An open redirect on a listed intranet service (127.0.0.1:port/go) led pages other feeds
    name to another service on that host (127.0.0.1:6379): the hop was taken for the intranet
    feed's own. The listed feed's own redirects there are still followed."""

    async def main() -> tuple[FetchOutcome, FetchOutcome, Upstream]:
        async with Upstream() as listed, Upstream() as other:
            listed.add_feed("/feed.xml", RSS)
            other.add_feed("/secret", HTML, content_type="text/html")
            listed.add_redirect("/go", f"http://127.0.0.1:{other.port}/secret", 302)
            async with Fetcher(FAST) as fetcher:  # (loopback is internal, as it is)
                assert isinstance(
                    await fetcher.fetch(f"http://127.0.0.1:{listed.port}/feed.xml"), Fetched
                )
                page = await fetcher.fetch_page(f"http://127.0.0.1:{listed.port}/go")
                requests = list(other.requests)
                own = await fetcher.fetch(f"http://127.0.0.1:{listed.port}/go")
            assert requests == []
            return page, own, other

    page, own, _ = asyncio.run(main())
    assert isinstance(page, FetchFailed) and "private address refused" in page.error
    assert isinstance(own, Fetched)


def test_an_intranet_picture_may_move_to_https_on_its_own_host() -> None:
    """A bridge's picture (fetched untrusted, as any picture is) moving from http:// to its
    host's https:// (port 443) had been refused as a private address: only the listed port
    was open. Its other ports stay shut."""

    async def main() -> tuple[FetchOutcome, FetchOutcome]:
        async with Upstream() as listed:
            listed.add_feed("/feed.xml", RSS)
            listed.add_redirect("/pic.png", "https://127.0.0.1/pic.png", 301)
            listed.add_redirect("/other.png", "http://127.0.0.1:6379/pic.png", 301)
            async with Fetcher(FAST) as fetcher:
                assert isinstance(await fetcher.fetch(listed.url("/feed.xml")), Fetched)
                moved = await fetcher.fetch(listed.url("/pic.png"), trusted=False)
                other = await fetcher.fetch(listed.url("/other.png"), trusted=False)
            return moved, other

    moved, other = asyncio.run(main())
    assert isinstance(moved, FetchFailed) and "private address" not in moved.error  # (no 443)
    assert isinstance(other, FetchFailed) and "private address refused" in other.error


def test_an_intranet_page_other_feeds_name_leads_to_no_other_port_asked_as_a_site() -> None:
    """The article pass asks a redirect to another site as that site's page
    (`redirected_from`): a page at a listed intranet host and port that other feeds name led
    there to another port of the host, taken for the intranet feed's own hop. From the
    feed's own page (`from_own`) it is still followed."""

    async def main() -> tuple[FetchOutcome | Redirected, FetchOutcome | Redirected, Upstream]:
        async with Upstream() as listed, Upstream() as other:
            listed.add_feed("/feed.xml", RSS)
            other.add_feed("/secret", HTML, content_type="text/html")
            secret = f"http://127.0.0.1:{other.port}/secret"
            async with Fetcher(FAST) as fetcher:
                assert isinstance(await fetcher.fetch(listed.url("/feed.xml")), Fetched)
                page = await fetcher.fetch_page(secret, redirected_from=listed.url("/go"))
                requests = list(other.requests)
                own = await fetcher.fetch_page(
                    secret, redirected_from=listed.url("/go"), from_own=True
                )
            assert requests == []
            return page, own, other

    page, own, _ = asyncio.run(main())
    assert isinstance(page, FetchFailed) and "private address refused" in page.error
    assert isinstance(own, Fetched)
