"""Run the whole pipeline over the real-world feed files in ../shared/data/dev/feeds.

Serves every file from a loopback server, lists them all in an OPML (spread over five
categories), runs one `poll --once` pass through the service, then renders every category
feed and page and reads the feeds back with feedparser. Prints what happened; exits non-zero
if anything crashed or a published feed does not parse cleanly.

    python bench/corpus_check.py [--data ../shared/data/dev/feeds] [--limit N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import quoteattr

import feedparser
from aiohttp import web

from aggregator.config import Settings
from aggregator.feeds import render_feed
from aggregator.fetch import Fetcher
from aggregator.pages import render_category_html
from aggregator.service import Service
from aggregator.slugs import slugify

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = ["World News", "Business", "Technology", "Science", "Sports"]


async def serve(base: Path) -> tuple[web.AppRunner, int]:
    """Serve the files under `base` on a free loopback port."""

    async def handler(request: web.Request) -> web.Response:
        path = base / request.match_info["tail"]
        return web.Response(body=path.read_bytes(), content_type="application/xml")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, int(runner.addresses[0][1])


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/dev/feeds")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    files = sorted(p for p in args.data.rglob("*") if p.is_file() and p.name != "LICENSE")
    if args.limit:
        files = files[: args.limit]
    runner, port = await serve(args.data)
    with tempfile.TemporaryDirectory() as tmp:
        outlines = {c: [] for c in CATEGORIES}
        for n, path in enumerate(files):
            url = f"http://127.0.0.1:{port}/{path.relative_to(args.data).as_posix()}"
            outlines[CATEGORIES[n % len(CATEGORIES)]].append(
                f"<outline type='rss' text={quoteattr(path.name)} xmlUrl={quoteattr(url)}/>"
            )
        body = "".join(
            f"<outline text={quoteattr(c)}>{''.join(o)}</outline>" for c, o in outlines.items()
        )
        opml = Path(tmp) / "feeds.opml"
        opml.write_text(f"<opml version='2.0'><body>{body}</body></opml>")
        service = Service(opml, Path(tmp) / "agg.db", Settings())
        started = time.perf_counter()
        await service.load_sources(strict=True)
        async with Fetcher(service.settings.fetch) as fetcher:
            report = await service.poll_cycle(fetcher)
        elapsed = time.perf_counter() - started
        reader = service.store.reader()
        errors = Counter(
            (r["error"] or "")[:60] for r in service.store.status_rows() if r["status"] == "error"
        )
        now = datetime.now(UTC)
        bad_feeds = 0
        published = 0
        for category in reader.categories():
            stories = reader.stories(category, 10_000)
            for fmt in ("atom", "rss"):
                doc = render_feed(
                    category, slugify(category), stories, fmt, service.settings.publish, now
                )
                parsed = feedparser.parse(doc)
                published += len(parsed.entries)
                if parsed.bozo or len(parsed.entries) != min(
                    len(stories), service.settings.publish.max_items
                ):
                    bad_feeds += 1
                    print(f"BAD {category} {fmt}: {parsed.get('bozo_exception')}")
            render_category_html(
                category, slugify(category), stories, service.settings.publish, now
            )
        service.close()
    await runner.cleanup()
    statuses = " ".join(f"{k}={v}" for k, v in sorted(report.statuses.items()))
    print(f"files served        {len(files)}")
    print(f"feeds polled        {report.feeds} ({statuses})")
    print(f"items stored        {report.items_new}")
    print(f"stories published   {report.stories_changed}")
    print(f"pass time           {elapsed:.1f} s")
    print(f"feed entries read back {published}; feeds failing to parse back: {bad_feeds}")
    print("most common recorded errors:")
    for error, count in errors.most_common(8):
        print(f"  {count:5d}  {error}")
    crashed = report.feeds - sum(report.statuses.values())
    print(f"crashed polls       {crashed}")
    return 1 if crashed or bad_feeds else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
