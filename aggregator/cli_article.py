"""`aggregator article URL`: what the article fetcher reads from one page, to try a feed's
`selector` and `remove` (or `userAgent`) before writing them in the OPML."""

from __future__ import annotations

import argparse
import asyncio
import sys

from .cli_support import settings_from
from .wording import counted


async def _read(
    url: str,
    selector: str | None,
    remove: str | None,
    user_agent: str | None,
    args: argparse.Namespace,
) -> int:
    from .article_job import ROBOTS_MAX_BYTES, fetched_text, robots_answer
    from .articles import RobotsRules, reads_as_article, robots_url
    from .entry_images import page_picture
    from .fetch import Fetcher
    from .models import Fetched, FetchFailed
    from .tokens import word_count

    settings = settings_from(args)
    async with Fetcher(settings.fetch) as fetcher:
        # (the operator's own address: fetched as a listed feed's page would be)
        outcome = await fetcher.fetch_page(
            url, settings.articles.max_bytes, trusted=True, user_agent=user_agent
        )
        if not isinstance(outcome, Fetched):
            error = outcome.error if isinstance(outcome, FetchFailed) else "answered 304"
            print(f"aggregator: article: {url}: {error}", file=sys.stderr)
            return 2
        robots = await fetcher.fetch_page(
            robots_url(outcome.final_url), ROBOTS_MAX_BYTES, trusted=True, cut=True
        )
        agent = fetcher.user_agent
    rules, why = robots_answer(robots)
    kind = outcome.headers.get("content-type", "").split(";", 1)[0].strip() or "no type"
    moved = f" → {outcome.final_url}" if outcome.final_url != url else ""
    print(f"{url}{moved} ({outcome.status}, {kind}, {len(outcome.body):,} bytes)")
    if rules is None:
        print(f"robots.txt: the site could not say ({why}; the service tries again later)")
    elif not rules:
        print("robots.txt: none (every page may be fetched)")
    elif RobotsRules(rules).allows(outcome.final_url, agent):
        print("robots.txt: allows it")
    else:
        print("robots.txt: disallows it: the service does not fetch this page")
    picture = await asyncio.to_thread(page_picture, outcome.body, outcome.final_url)
    print(f"picture: {picture or 'none'}")
    text = await asyncio.to_thread(fetched_text, outcome, selector, remove)
    how = f"the selector {selector!r}" if selector else "the extractor"
    if remove:
        how += f", less what {remove!r} picks"
    if not text:
        print(f"text: none found by {how}")
        return 1
    shape = "" if reads_as_article(text) else "; reads as a list of teasers, not an article"
    print(f"text ({counted(word_count(text), 'word')}, by {how}{shape}):\n")
    print(text)
    return 0


def cmd_article(args: argparse.Namespace) -> int:
    """Fetch one page and print what the article job would read from it: the page's text
    (by `--selector`, else the extractor, less what `--remove` picks), its picture, and whether
    robots.txt lets the service fetch it. Exit 1 when it has no text, 2 when it cannot be
    fetched."""
    from .articles import selector_problem
    from .feed_request import user_agent_problem

    for option, value, check in (
        ("--selector", args.selector, selector_problem),
        ("--remove", args.remove, selector_problem),
        ("--user-agent", args.user_agent, user_agent_problem),
    ):
        if value is not None and (problem := check(value)):
            print(f"aggregator: article: {option} {value!r}: {problem}", file=sys.stderr)
            return 2
    return asyncio.run(_read(args.url, args.selector, args.remove, args.user_agent, args))
