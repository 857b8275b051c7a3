"""A developing story's counts: which figure a sentence gives for a count, which of two a later
report overtakes, and the summary an update gives a subscriber (invented reports)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from aiohttp import web
from dam_reports import poll_pass

from aggregator.counted_facts import Count, counts, overtaken, overtakes
from aggregator.models import Item
from aggregator.novelty import fact_terms
from aggregator.store import Store
from aggregator.summarize import summarize


def _c(kind: str, value: int, whom: str = "", *, hedged: bool = False) -> Count:
    return (kind, whom, value, hedged)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Two people died when a storm flooded the valley, police said.", {_c("dead", 2)}),
        ("The death toll from the storm rose to five on Tuesday.", {_c("dead", 5)}),
        ("Five people are now known to have died after the storm.", {_c("dead", 5)}),
        ("At least twelve people were killed in the blast.", {_c("dead", 12, hedged=True)}),
        ("The blast killed 7 people near the port.", {_c("dead", 7)}),
        ("One person was killed and two were injured.", {_c("dead", 1), _c("injured", 2)}),
        (
            "About 3,000 people were evacuated from their homes.",
            {_c("evacuated", 3000, hedged=True)},
        ),
        ("Two children died in the flooded school.", {_c("dead", 2, "children")}),
        ("The bodies of the two dead climbers were found.", {_c("dead", 2, "climbers")}),
        # an increment, a day's share, something else counted: no count of the toll
        ("Three more people died in hospital on Tuesday.", set()),
        ("Another 12 people died overnight.", set()),
        ("The region reported 500 new cases on Tuesday.", set()),
        ("The virus has infected 300 people a day this month.", set()),
        ("The disease kills over 600,000 people a year.", set()),
        ("Two bridges and a school were damaged by the storm.", set()),
        ("The blast killed two and wounded 30 near the port.", {_c("dead", 2)}),
        ("Rebels have killed 2,000 members of the security forces.", {_c("dead", 2000, "members")}),
        ("The group says 9,000 people have been killed since March.", set()),
    ],
)
def test_a_sentence_states_a_count_only_plainly(text: str, expected: set[object]) -> None:
    assert counts(text) == expected


def test_a_later_count_overtakes_only_a_lower_figure_of_the_same_count() -> None:
    assert overtakes({_c("dead", 5)}, {_c("dead", 2)})
    assert not overtakes({_c("dead", 2)}, {_c("dead", 5)})  # (a correction, or elsewhere)
    assert not overtakes({_c("dead", 2)}, {_c("dead", 2)})
    assert not overtakes({_c("dead", 5)}, {_c("dead", 2, "children")})
    assert not overtakes({_c("injured", 5)}, {_c("dead", 2)})
    assert not overtakes({_c("dead", 5), _c("injured", 1)}, {_c("dead", 2), _c("injured", 4)})
    # a hedged figure close to the other is the same figure told less exactly
    assert not overtakes({_c("dead", 627000)}, {_c("dead", 600000, hedged=True)})
    assert overtakes({_c("dead", 12)}, {_c("dead", 5, hedged=True)})


EARLY = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
LATE = EARLY + timedelta(hours=8)


def _overtaken(older: str, newer: str, headline: str = "Storm floods the Varnell valley") -> bool:
    sentences = [(older, fact_terms(older), EARLY), (newer, fact_terms(newer), LATE)]
    weights = {t: 2.0 for t in fact_terms(headline)}
    return overtaken(sentences, fact_terms(headline), weights, 0.75) == {0: 1}


def test_an_early_count_is_overtaken_by_a_later_report_of_it() -> None:
    older = "Two people died when a storm flooded the Varnell valley on Monday night."
    newer = "The death toll from the storm that flooded the Varnell valley rose to five."
    assert _overtaken(older, newer)
    # the higher figure reported first: the lower one after it is no update of it
    assert not _overtaken(newer, older)


def test_a_count_of_another_place_or_with_more_to_say_is_not_overtaken() -> None:
    newer = "The death toll from the storm that flooded the Varnell valley rose to five."
    # two died in one town, five in the valley: another count, perhaps part of it
    assert not _overtaken("Two people were killed in Orska as the Varnell valley flooded.", newer)
    # the later figure is of another place
    assert not _overtaken(
        "Two people died when a storm flooded the Varnell valley.",
        "Five people died in Belin when the storm flooded the Varnell valley.",
    )
    # a bare count, and a later one told of more than its event
    assert not _overtaken(
        "At least three people were killed.",
        "Some 8,000 people have died in the fighting across the country.",
        "Clashes in the Varnell valley",
    )
    # the early sentence says more than its count: it stays
    assert not _overtaken(
        "Two people died after the storm, and engineers warned that the old dam above the "
        "valley could give way within days.",
        newer,
    )


T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def _item(n: int, title: str, text: str, outlet: str, hours: int) -> Item:
    return Item(
        id=f"item-{n}",
        title=title,
        text=text,
        url=f"https://{outlet}/{n}",
        outlet=outlet,
        outlet_name=outlet,
        published=T0 + timedelta(hours=hours),
    )


FIRST_REPORTS = [
    _item(
        1,
        "Storm floods Varnell valley",
        "Two people died when a storm flooded the Varnell valley on Monday night, police said. "
        "Rescue teams searched the flooded villages of Orska and Belin through the night.",
        "north.example",
        0,
    ),
    _item(
        2,
        "Varnell valley hit by floods",
        "A storm flooded the Varnell valley overnight and two people were killed in Orska, "
        "the regional governor said. Roads to Belin were closed by landslides.",
        "courier.example",
        1,
    ),
    _item(
        3,
        "Varnell floods: rescuers search villages",
        "Rescuers searched the villages of Orska and Belin after the storm flooded the Varnell "
        "valley. The army sent boats to the area on Tuesday morning.",
        "daily.example",
        2,
    ),
    _item(
        4,
        "Varnell valley flood: schools closed",
        "Schools in the Varnell valley will stay closed until Friday after the floods. "
        "Two people had died in the storm on Monday night, officials said.",
        "metro.example",
        3,
    ),
]
UPDATE = _item(
    5,
    "Varnell floods: rescue goes on",
    "The death toll from the storm that flooded the Varnell valley rose to five on Tuesday, "
    "police said. Rescue teams are still searching the flooded villages.",
    "herald.example",
    8,
)


def test_an_update_gives_the_newest_count_not_the_early_one() -> None:
    before = summarize(FIRST_REPORTS)
    assert any("Two people died" in b.text for b in before.bullets)
    after = summarize([*FIRST_REPORTS, UPDATE], previous_headline=before.headline)
    texts = [b.text for b in after.bullets]
    toll = next(b for b in after.bullets if "rose to five" in b.text)
    assert toll.sources == (4,)  # (only the update's outlet gave five)
    assert not any(t.startswith(("Two people died", "Two people had died")) for t in texts)
    # a count told of one town is another fact: not overtaken, it may stay
    assert all("Orska" in t or "two" not in t.lower() for t in texts)


def test_an_update_read_in_its_own_time_order_only() -> None:
    # the same reports, the update dated before the others: its lower count is the older one
    # (nothing of the others is overtaken, as they say two and it says five: a higher figure
    # before a lower one is no update)
    early_update = _item(5, UPDATE.title, UPDATE.text, "herald.example", -1)
    summary = summarize([*FIRST_REPORTS, early_update])
    assert any("Two people died" in b.text for b in summary.bullets)


# --- through the service: a poll pass, then the update's outlet in the next ----------------


def _rss(report: Item) -> bytes:
    """A one-item RSS feed of an invented report, dated as the report is."""
    assert report.published is not None
    date = format_datetime(report.published)
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Outlet</title>"
        f"<link>http://{report.outlet}/</link><item><title>{report.title}</title>"
        f"<link>{report.url}</link><guid>{report.url}</guid><pubDate>{date}</pubDate>"
        f"<description>{report.text}</description></item></channel></rss>"
    ).encode()


async def _two_passes(tmp: Path) -> list[list[str]]:
    """The story's bullets after a pass over the first four outlets' feeds, and after the
    next pass, once the fifth outlet's feed carries the update."""
    feeds = {f"{n}.xml": report for n, report in enumerate([*FIRST_REPORTS, UPDATE])}

    async def handler(request: web.Request) -> web.Response:
        return web.Response(
            body=_rss(feeds[request.path.rsplit("/", 1)[-1]]), content_type="application/rss+xml"
        )

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        base = f"http://127.0.0.1:{runner.addresses[0][1]}/"
        bullets = []
        for names, hours in ((list(feeds)[:4], 4), (list(feeds), 9)):
            await poll_pass(
                tmp, [base + name for name in names], lambda h=hours: T0 + timedelta(hours=h)
            )
            store = Store(tmp / "agg.db")
            try:
                stories = store.reader().stories(None, 10)
            finally:
                store.close()
            assert len(stories) == 1 and stories[0].summary is not None
            bullets.append([b.text for b in stories[0].summary.bullets])
        return bullets
    finally:
        await runner.cleanup()


def test_a_published_story_updated_by_a_later_report_gives_its_count(tmp_path: Path) -> None:
    first, updated = asyncio.run(_two_passes(tmp_path))
    assert any(t.startswith("Two people died") for t in first)
    assert any("rose to five" in t for t in updated)
    assert not any(t.startswith(("Two people died", "Two people had died")) for t in updated)


# --- the headline: a title giving the early count gives way --------------------------------

COUNTED_FIRST = [
    _item(
        11,
        "Two dead as storm floods Varnell valley",
        "Two people died when a storm flooded the Varnell valley on Monday night, police said. "
        "Rescue teams searched the flooded villages of Orska and Belin through the night.",
        "north.example",
        0,
    ),
    *FIRST_REPORTS[1:],
]


def test_a_headline_giving_an_overtaken_count_gives_way_to_a_current_title() -> None:
    published = "Two dead as storm floods Varnell valley"  # (the story's headline so far)
    assert summarize(COUNTED_FIRST, previous_headline=published).headline == published
    after = summarize([*COUNTED_FIRST, UPDATE], previous_headline=published)
    assert any("rose to five" in b.text for b in after.bullets)
    assert after.headline != published
    assert not counts(after.headline)  # (no title gives five: one giving no count leads)
    update = _item(5, "Varnell flood death toll rises to five", UPDATE.text, "herald.example", 8)
    after = summarize([*COUNTED_FIRST, update], previous_headline=published)
    assert after.headline == "Varnell flood death toll rises to five"


def test_a_headline_keeps_a_count_no_later_report_overtakes() -> None:
    published = "Two dead as storm floods Varnell valley"
    # a later report without a count, and one with a lower figure (a correction, or another
    # place): neither makes the headline's count out of date; the headline is kept
    quiet = _item(
        5, "Varnell valley cleans up after floods", FIRST_REPORTS[2].text, "herald.example", 8
    )
    lower = _item(
        6,
        "Varnell floods: one dead, police say",
        "One person died when the storm flooded the Varnell valley on Monday night, police "
        "said on Tuesday. Rescue teams are still searching the flooded villages.",
        "evening.example",
        9,
    )
    for later in (quiet, lower):
        after = summarize([*COUNTED_FIRST, later], previous_headline=published)
        assert after.headline == published
    # "three more people died" adds to the count: it does not overtake it
    more = _item(
        7,
        "Varnell floods: rescue goes on",
        "Three more people died in the storm that flooded the Varnell valley, police said on "
        "Tuesday. Rescue teams are still searching the flooded villages.",
        "evening.example",
        9,
    )
    after = summarize([*COUNTED_FIRST, more], previous_headline=published)
    assert after.headline == published
