"""A populated instance, polled from loopback fixture feeds and served on a loopback port, for
the checks that read every output the way subscribers do (feed validator, newsboat)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from news_fixture import feeds, opml
from upstream import Upstream, free_port

from aggregator.publish import PublishSettings
from aggregator.store import Store
from aggregator.web import make_app, start_server

HUB = "https://hub.example/"


@dataclass
class Instance:
    root: str  # http://127.0.0.1:PORT (no trailing slash)
    workdir: Path
    upstream: Upstream

    def poll(self) -> str:
        """One `aggregator poll --once --all`; its summary line."""
        done = subprocess.run(
            [sys.executable, "-m", "aggregator", "poll", "--once", "--all"],
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout.strip()


@contextmanager
def _serving(db: Path, port: int) -> Iterator[None]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    store = Store(db)
    # (a WebSub hub named, so the checks read the feeds' hub links too; none is told)
    settings = PublishSettings(
        base_url=f"http://127.0.0.1:{port}/", listen_base_url=True, hubs=(HUB,)
    )
    app = make_app(store.reader(), settings, version_ttl=0)
    runner = asyncio.run_coroutine_threadsafe(start_server(app, "127.0.0.1", port), loop).result()
    try:
        yield
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        store.close()


@contextmanager
def published_instance(workdir: Path) -> Iterator[Instance]:
    """Fixture feeds upstream, one poll, and the server over the resulting database."""
    with Upstream().running_in_thread() as upstream:
        for n, (path, body) in enumerate(feeds().items()):
            kind = "application/atom+xml" if path.endswith(".atom") else "application/rss+xml"
            upstream.add_feed(path, body, content_type=kind, etag=f'"v{n}"' if n % 2 else None)
        (workdir / "feeds.opml").write_text(opml(f"http://127.0.0.1:{upstream.port}"))
        instance = Instance("", workdir, upstream)
        instance.poll()
        port = free_port()
        instance.root = f"http://127.0.0.1:{port}"
        with _serving(workdir / "aggregator.db", port):
            yield instance
