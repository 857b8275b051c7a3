"""Group the labelled real-news day in several arrival orders and score each order.

A running service sees a day's items in whatever order and at whatever lag its feeds are
polled; its stories should not depend on it. Each order gives every item an arrival time (never
before its publication) and feeds the items one at a time, in arrival order, to one
`Clusterer` whose clock is the arrival time: as published; some outlets polled only after the
day (`--late`); and every outlet polled every 1, 3 or 6 hours from its own offset, outlets in a
random order (`--seeds` draws). The spread of pairwise recall and precision across the orders
is what this reports (the "all but ... after the day" order, the day's other outlets polled
late, is printed but left out of the spread).

    PYTHONPATH=$PWD python bench/order_spread.py [--seeds 10] [--late philstar,straitstimes]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster_eval import score  # noqa: E402
from realnews import day_rows, load_gold, purity  # noqa: E402

from aggregator.batch import _to_items  # noqa: E402
from aggregator.cluster import Clusterer, ClusterSettings  # noqa: E402
from aggregator.models import Item  # noqa: E402

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def stream(arrivals: list[tuple[datetime, Item]], settings: ClusterSettings) -> dict[str, str]:
    """Assign each item at its arrival time, in arrival order (never before its publication)."""
    clusterer = Clusterer(settings)
    members: dict[str, list[str]] = {}
    result: dict[str, str] = {}
    last_expire: datetime | None = None
    for now, item in arrivals:
        if last_expire is None or now - last_expire >= settings.expire_every:
            clusterer.expire(now)
            last_expire = now
        a = clusterer.assign(item, now)
        for old in a.merged:
            for moved in members.pop(old, []):
                result[moved] = a.story_id
                members.setdefault(a.story_id, []).append(moved)
        result[item.id] = a.story_id
        members.setdefault(a.story_id, []).append(item.id)
    return result


def _when(item: Item) -> datetime:
    return item.published or EPOCH


def orders(
    items: list[Item], seeds: int, late: list[str]
) -> list[tuple[str, list[tuple[datetime, Item]]]]:
    """Arrival orders a poller could see: (name, [(arrival time, item)] in arrival order)."""

    def arrive(
        times: dict[str, datetime], tie: dict[str, float] | None = None
    ) -> list[tuple[datetime, Item]]:
        rank = tie or {}
        ordered = sorted(
            items, key=lambda i: (times[i.id], rank.get(i.outlet, 0.0), _when(i), i.id)
        )
        return [(times[i.id], i) for i in ordered]

    own = {i.id: _when(i) for i in items}
    end = max(own.values())
    out = [("as published", arrive(own))]
    rev = sorted(items, key=lambda i: (_when(i), [-ord(c) for c in i.id]))
    out.append(("as published, ties reversed", [(_when(i), i) for i in rev]))
    if late:
        times = {i.id: end if any(s in i.outlet for s in late) else own[i.id] for i in items}
        out.append((f"{'+'.join(late)} polled after the day", arrive(times)))
        others = {i.id: end if not any(s in i.outlet for s in late) else own[i.id] for i in items}
        out.append((f"all but {'+'.join(late)} after the day", arrive(others)))
    for seed in range(seeds):
        rng = random.Random(seed)
        # every outlet polled every `every` hours from its own offset; outlets in random order
        for every in (1, 3, 6):
            offset = {o: rng.random() * every for o in sorted({i.outlet for i in items})}
            rank = {o: rng.random() for o in offset}
            times = {}
            for i in items:
                hours = (own[i.id] - EPOCH).total_seconds() / 3600 - offset[i.outlet]
                polls = -(-hours // every)  # the first poll at or after publication
                times[i.id] = EPOCH + timedelta(hours=polls * every + offset[i.outlet])
            out.append((f"polls every {every}h, seed {seed}", arrive(times, rank)))
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--day", default="/work/shared/data/dev/real-news/gesab-2020-09-02")
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--late", default="philstar,straitstimes", help="outlets polled late")
    p.add_argument("--json", help="write id → story per order here")
    args = p.parse_args()
    day = Path(args.day)
    _, gold = load_gold(day)
    rows = []
    for r in day_rows(day):
        published = datetime.fromisoformat(r["published"])
        rows.append((r, published))
    latest = max(p for _, p in rows)
    items = _to_items(rows, latest)
    settings = ClusterSettings()
    recalls, precisions, impure, dump = [], [], 0, {}
    for name, order in orders(items, args.seeds, [s for s in args.late.split(",") if s]):
        pred = stream(order, settings)
        full = {k: pred.get(k, f"missing:{k}") for k in gold}
        r = score(full, gold)
        pure, multi = purity(full, gold)
        if not name.startswith("all but"):
            recalls.append(r["pw_r"])
            precisions.append(r["pw_p"])
            impure += multi - pure
        dump[name] = full
        print(
            f"{name:<44} pw P {r['pw_p']:.4f}  pw R {r['pw_r']:.4f}  pw F1 {r['pw_f1']:.4f}"
            f"  pure {pure}/{multi}"
        )
    print(
        f"{len(recalls)} orders: pw R {min(recalls):.4f}..{max(recalls):.4f} "
        f"(spread {max(recalls) - min(recalls):.4f}, sd {statistics.pstdev(recalls):.4f}, "
        f"mean {statistics.mean(recalls):.4f}); pw P min {min(precisions):.4f}, "
        f"mean {statistics.mean(precisions):.4f}, {sum(p < 0.99 for p in precisions)} below 0.99;"
        f" {impure} mixed stories in all"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(dump), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
