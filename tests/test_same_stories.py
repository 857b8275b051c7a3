"""The same feeds give the same stories: reports with the same date are grouped in an order
that the feeds' addresses (host, port, path: all in an item's id) do not decide, whichever feed
answers first, and grouping reads no hash-seeded order."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from dam_reports import REPORTS, poll_pass, rss

from aggregator.grouping import publication_runs
from aggregator.models import ItemKey
from aggregator.pipeline import item_id
from aggregator.store import Store

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def id_order(base: str) -> list[str]:
    """The feed files in the order of their report's item id under `base` (the old tie order)."""
    return sorted(REPORTS, key=lambda name: item_id(base + name, REPORTS[name][0]))


async def pass_over(tmp: Path, base: str) -> dict[str, str]:
    """One pass over the feeds under `base`; each report's link → the link of its story's
    first report (a story's id is its first item's id, which the address changes)."""
    await poll_pass(tmp, [base + name for name in REPORTS], lambda: NOW)
    store = Store(tmp / "agg.db")
    try:
        rows = store.db.execute("SELECT id, url, story_id FROM items").fetchall()
    finally:
        store.close()
    link = {i: url for i, url, _ in rows}
    return {url: link[story] for _, url, story in rows}


async def two_passes(tmp: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Two passes over the same feeds at two addresses under which the reports' ids sort
    with another first (ties used to be taken in id order), a different feed answering last
    in each; the first report in id order at each address, and each pass's stories."""
    last = [""]

    async def handler(request: web.Request) -> web.Response:
        name = request.path.rsplit("/", 1)[-1]
        if name == last[0]:
            await asyncio.sleep(0.3)
        return web.Response(body=rss(*REPORTS[name]), content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        server = f"http://127.0.0.1:{runner.addresses[0][1]}/"
        first = server + "feeds/"
        other = next(
            base
            for base in (f"{server}f{k}/" for k in range(1000))
            if id_order(base)[0] != id_order(first)[0]
        )
        found = []
        for n, (base, slow) in enumerate([(first, "metro.xml"), (other, "planet.xml")]):
            last[0] = slow
            (tmp / str(n)).mkdir()
            found.append(await pass_over(tmp / str(n), base))
        return [id_order(first)[0], id_order(other)[0]], found
    finally:
        await runner.cleanup()


def test_reports_of_one_date_found_at_other_addresses_give_the_same_stories(
    tmp_path: Path,
) -> None:
    leads, found = asyncio.run(two_passes(tmp_path))
    assert leads[0] != leads[1]  # (the ids would have had different reports lead)
    assert len(found[0]) == 3
    assert len(set(found[0].values())) == 1  # one event, one story
    assert found[0] == found[1]  # led by the same report, whatever the ids
    # the earliest guid leads it: the order of ties does not rest on ids
    assert set(found[0].values()) == {min(link for link, _, _ in REPORTS.values())}


def test_ties_of_publication_time_follow_guid_then_feed_not_the_id() -> None:
    when = NOW - timedelta(hours=1)
    keys = [
        ItemKey("0aa", when, when, "https://b.example/2", "https://b.example/feed"),
        ItemKey("0ab", when, when, "https://a.example/1", "https://z.example/feed"),
        ItemKey("0ac", when, when, "https://a.example/1", "https://y.example/feed"),
        ItemKey("fff", when - timedelta(seconds=1), when, "https://z.example/9", ""),
    ]
    ((_, run),) = publication_runs(keys, NOW, timedelta(hours=1))
    assert [k.id for k in run] == ["fff", "0ac", "0ab", "0aa"]


_EVENTS = (
    ("Tarnow dam breached as the Vistula floods the valley near Zabno and Wola",
     "The Tarnow dam was breached on Monday as the Vistula flooded the valley; engineers "
     "from Krakow evacuated the villages of Zabno and Wola below it."),
    ("Keldon apple growers report a record harvest after a mild spring",
     "Apple growers across Keldon said the mild spring and late rains gave them a record "
     "harvest, and cider makers in Oldmere expect prices to fall."),
    ("Pellow sailors win the coastal regatta in strong winds off Brona",
     "A crew from Pellow won the coastal regatta off Brona on Sunday after strong winds "
     "forced half of the fleet to retire before the last mark."),
    ("Signal works close the Tavin line, commuters face delays all week",
     "Commuters on the Tavin line face delays all week while signal works close the line "
     "between Aster and Oldmere, the rail operator said."),
)  # fmt: skip


def cluster_rows() -> list[dict[str, str]]:
    """Four events, each told by five outlets in its own words, every report of an event at
    the same minute: grouping meets many ties and many equal scores."""
    rows = []
    for e, (title, text) in enumerate(_EVENTS):
        words = text.split()
        for k in range(5):
            rows.append(
                {
                    "id": f"e{e}-{k}",
                    "title": " ".join(title.split()[k % 3 :]) + f" ({k})",
                    "text": " ".join(words[k:] + words[:k]),
                    "url": f"https://outlet{k}.example/{e}",
                    "publisher": f"Outlet {k}",
                    "published": (NOW - timedelta(hours=4 - e)).isoformat(),
                    "category": "World",
                }
            )
    return rows


def test_aggregator_cluster_gives_the_same_stories_under_any_hash_seed(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in cluster_rows()), encoding="utf-8")
    root = str(Path(__file__).parent.parent)
    outputs = []
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": root}
        done = subprocess.run(
            [sys.executable, "-m", "aggregator", "cluster", str(path)],
            env=env, cwd=tmp_path, capture_output=True, text=True, check=True,
        )  # fmt: skip
        outputs.append(done.stdout)
    assert len(outputs[0].splitlines()) == 20
    stories = {json.loads(line)["story"] for line in outputs[0].splitlines()}
    assert 1 < len(stories) < 20  # reports grouped, events kept apart
    assert outputs[0] == outputs[1] == outputs[2]
