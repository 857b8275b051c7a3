"""`[fetch]` settings, kept apart from `fetch` so reading the configuration does not import
aiohttp (commands that never fetch start faster)."""

from __future__ import annotations

from dataclasses import dataclass

from aggregator import PROJECT_URL, __version__

__all__ = ["DEFAULT_USER_AGENT", "FetchSettings"]

DEFAULT_USER_AGENT = f"aggregator/{__version__} (+{PROJECT_URL})"


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Limits and identity for fetching; ``total_timeout`` bounds a whole fetch incl. redirects."""

    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 10.0
    total_timeout: float = 30.0
    max_bytes: int = 16 * 1024 * 1024
    max_redirects: int = 5
    per_host: int = 2
    concurrency: int = 16
    # An HTTP(S) or SOCKS proxy for every feed and page ("http://user:pass@proxy:3128",
    # "socks5h://127.0.0.1:9050"); "" takes https_proxy / http_proxy / all_proxy from the
    # environment, "none" goes direct.
    proxy: str = ""
    # Hosts reached directly ("localhost", ".intranet.example", "10.0.0.0/8", "*"); empty:
    # the environment's no_proxy.
    no_proxy: tuple[str, ...] = ()
    # A PEM file of certificates trusted beside the system's: a private CA, or a server's
    # own self-signed certificate (feeds, pages and pictures on an intranet).
    ca_file: str = ""
    # The address at which WebSub hubs reach this server ("https://news.example.org"): with
    # it, `run` subscribes to the hubs the feeds name and polls a feed as soon as its hub
    # says it changed (`push`); empty: no subscriptions.
    websub_callback: str = ""

    def __post_init__(self) -> None:
        from aggregator.fetch_proxy import DIRECT, check_proxy

        if self.websub_callback:
            from aggregator.url_check import http_address_problem

            if problem := http_address_problem(self.websub_callback.strip()):
                raise ValueError(
                    f"websub_callback (the address hubs reach this server at): {problem}"
                )

        if self.ca_file:
            from aggregator.tls_trust import check_ca_file

            check_ca_file(self.ca_file, "ca_file")

        if self.proxy.strip() and self.proxy.strip().lower() != DIRECT:
            check_proxy(self.proxy, "proxy")
            from aggregator import fetch_socks

            if fetch_socks.is_socks(self.proxy) and not fetch_socks.available():
                raise ValueError(f"proxy: {fetch_socks.EXTRA_NEEDED}")

        from aggregator.feed_request import user_agent_problem

        # (checked as an OPML outline's is: a line break had failed every feed at every poll,
        # said as "invalid URL")
        if problem := user_agent_problem(self.user_agent):
            raise ValueError(f"user_agent: {problem}")
