"""One fact told in other words is one bullet; different facts about one subject stay two."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aggregator.models import Item
from aggregator.novelty import fact_terms, loose_terms, paraphrases
from aggregator.summarize import summarize

BASE = datetime(2026, 3, 2, 8, tzinfo=UTC)


def told(text: str, other: str) -> bool:
    """Whether `text` tells nothing that `other` does not (said: the other's terms)."""
    terms, other_terms = fact_terms(text), fact_terms(other)
    return paraphrases(
        text,
        terms,
        loose_terms(terms),
        other,
        other_terms,
        loose_terms(other_terms),
        set(other_terms),
    )


def item(n: int, outlet: str, title: str, text: str) -> Item:
    return Item(
        id=f"item-{n}",
        title=title,
        text=text,
        url=f"https://{outlet}.example/{n}",
        published=BASE + timedelta(minutes=n),
        outlet=f"{outlet}.example",
        outlet_name=outlet.title(),
        content_hash=f"h{n}",
    )


def test_loose_terms_read_other_words_for_one_act_alike() -> None:
    resigned = loose_terms(fact_terms("The minister resigned on Tuesday."))
    stepped = loose_terms(fact_terms("The minister stepped down on Tuesday, she told reporters."))
    assert resigned <= stepped  # ("stepped" is "resigned"; "told" says who, not what)
    assert not {"told", "tell", "said"} & stepped
    assert loose_terms(fact_terms("The battery drainage")) == {"batte", "drain"}


@pytest.mark.parametrize(
    ("short", "full"),
    [
        (
            "The minister resigned on Tuesday after the audit report.",
            "On Tuesday, the minister stepped down following the audit report's publication.",
        ),
        (
            "A stray bullet struck the girl as she ran to the safety of her home.",
            "A stray bullet hit the little girl as she ran back to her house, police said.",
        ),
        (
            "The regulator banned the sale of the pesticide.",
            "The regulator has prohibited the sale of the pesticide across the country.",
        ),
    ],
)
def test_a_paraphrase_the_other_holds_tells_nothing_more(short: str, full: str) -> None:
    assert told(short, full)
    assert not told(full, short)  # (the fuller one says more: it is not the repeat)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (  # the same minister, the same day and report: another act
            "The minister resigned on Tuesday after the audit report.",
            "The minister denied on Tuesday that the audit report found fraud.",
        ),
        (  # the same minister, day, audit and contracts: another act
            "The transport minister resigned on Tuesday after the audit of the rail contracts.",
            "The transport minister denied on Tuesday that the audit of the rail contracts "
            "found fraud.",
        ),
        (  # the same subject, another verb after "will"
            "The council will approve the stadium plan at its meeting on Monday.",
            "The council will debate the stadium plan at its meeting on Monday.",
        ),
        (  # different numbers are different facts
            "Three people died when the footbridge collapsed in the storm.",
            "Five people died when the footbridge collapsed in the storm, police said.",
        ),
        (  # different days
            "The minister resigned on Tuesday after the audit report.",
            "The minister resigned on Wednesday after the audit report was published.",
        ),
        (  # different days, in lower case ("Tuesday" is a name of its own)
            "The transport minister resigned yesterday after the audit of the rail contracts.",
            "The transport minister resigned today after the audit of the rail contracts.",
        ),
        (  # different months, one of them "May" (a stopword, no fact term)
            "The transport minister resigned in May after the audit of the rail contracts.",
            "The transport minister resigned in March after the audit of the rail contracts.",
        ),
        (  # one says "not"
            "The council approved the new stadium plan on Monday.",
            "The council has not approved the new stadium plan on Monday.",
        ),
        (  # someone else
            "The minister resigned on Tuesday after the audit report.",
            "Her deputy Ana Corvell resigned on Tuesday after the audit report.",
        ),
    ],
)
def test_different_facts_about_one_subject_are_no_paraphrase(one: str, other: str) -> None:
    assert not told(one, other)
    assert not told(other, one)


SHORT = "A stray bullet struck the girl as she ran to the safety of her home."
FULL = (
    "A stray bullet hit the little girl as she ran back to her house near the bakery, "
    "police and family say."
)
VIGIL = "Neighbours held a vigil on Sunday evening."
HOSPITAL = "The girl was taken to a children's hospital by ambulance."


@pytest.mark.parametrize("short_first", [True, False])
def test_a_story_tells_a_paraphrased_fact_once_in_the_fuller_bullet(short_first: bool) -> None:
    short = item(1, "alpha", "Stray bullet hits girl", f"{SHORT} {HOSPITAL} The mayor spoke.")
    full = item(2, "beta", "Girl hurt by stray bullet", f"{FULL} {VIGIL}")
    summary = summarize([short, full] if short_first else [full, short])
    texts = [b.text for b in summary.bullets]
    assert FULL in texts
    assert SHORT not in texts
    kept = next(b for b in summary.bullets if b.text == FULL)
    # (both outlets told the fact: the bullet cites both, the story counts both)
    assert {summary.sources[n].outlet for n in kept.sources} == {"Alpha", "Beta"}
    assert summary.outlet_count == 2
    assert HOSPITAL in texts  # (other facts of the girl's story stay)
    assert VIGIL in texts


def test_facts_about_one_subject_in_the_same_words_stay_apart() -> None:
    """The audit's finding and the minister's denial share the minister, the day and the
    audit: neither tells the other."""
    first = (
        "The transport minister resigned on Tuesday after the audit of the rail contracts. "
        "The audit found that three contracts had been awarded without a tender."
    )
    denied = (
        "The transport minister denied on Tuesday that the audit of the rail contracts had "
        "found any fraud by her office."
    )
    summary = summarize(
        [
            item(1, "alpha", "Transport minister resigns", first),
            item(2, "beta", "Minister rejects fraud claims", f"{denied} Others asked for more."),
        ]
    )
    texts = [b.text for b in summary.bullets]
    assert denied in texts
    assert "The audit found that three contracts had been awarded without a tender." in texts


def test_two_outlets_telling_opposite_moves_keep_both_bullets() -> None:
    """One outlet has the shares rising, the other falling, in the same words: two facts
    (one of them wrong), which the subscriber sees both of, not one as the other's repeat."""
    rose = "Shares in Velmar Bank rose 5% on Monday after the quarterly results were published."
    fell = "Shares in Velmar Bank fell 5% on Monday after the quarterly results were published."
    summary = summarize(
        [
            item(1, "alpha", "Velmar Bank results out", f"{rose} Its chief will leave in June."),
            item(2, "beta", "Velmar Bank results", f"{fell} Analysts had expected more loans."),
        ]
    )
    texts = [b.text for b in summary.bullets]
    assert rose in texts
    assert fell in texts


def test_a_phrasal_verbs_up_or_down_does_not_keep_a_repeat() -> None:
    """One fact in two phrasal verbs ("stepped down", "gave up her post"): "up" and "down" are
    no opposite directions but before a figure: the second outlet's retelling is no bullet."""
    down = "The Harlow transport minister stepped down on Tuesday after weeks of pressure."
    up = "The Harlow transport minister gave up her post on Tuesday after weeks of pressure."
    summary = summarize(
        [
            item(1, "alpha", "Harlow minister quits", f"{down} Her deputy takes over in May."),
            item(2, "beta", "Harlow minister resigns", f"{up} The rail contract is on hold."),
        ]
    )
    texts = [b.text for b in summary.bullets]
    assert (down in texts) != (up in texts)


def test_a_caption_run_into_a_bullet_does_not_take_its_place() -> None:
    """A page's caption before the sentence's own words adds names, not news."""
    bare = "Bolt, one of the musher's sled dogs, was killed by a snowmobile on the trail."
    text = f"{bare} The race organisers suspended the rider. Trail Kennel Photo {bare} More."
    summary = summarize([item(1, "alpha", "Sled dog killed in race", text)])
    assert [b.text for b in summary.bullets][:2] == [
        bare,
        "The race organisers suspended the rider.",
    ]


@pytest.mark.parametrize(
    ("done", "other"),
    [
        (  # the act as a noun of the other
            "The reporter died after the cartel story.",
            "The reporter received death threats after the cartel story ran in print.",
        ),
        (  # what happened in one, what is refused in the other
            "The transport minister resigned on Tuesday after the audit report.",
            "The transport minister refused to resign on Tuesday despite the damning audit report.",
        ),
        (  # what happened in one, what is expected in the other
            "The transport minister resigned after the audit report.",
            "The transport minister is expected to resign next week after the audit report.",
        ),
    ],
)
def test_an_act_told_otherwise_by_the_other_is_no_paraphrase(done: str, other: str) -> None:
    assert not told(done, other)


@pytest.mark.parametrize(
    ("title", "first", "fuller"),
    [
        (
            "Transport minister under pressure",
            "The transport minister resigned on Tuesday after the audit report.",
            "The transport minister refused to resign on Tuesday despite the damning audit report.",
        ),
        (
            "Transport minister under pressure",
            "The transport minister resigned after the audit report.",
            "The transport minister is expected to resign next week after the audit report.",
        ),
        (
            "Reporter targeted after cartel story",
            "The reporter died after the cartel story.",
            "The reporter received death threats after the cartel story ran in print.",
        ),
    ],
)
@pytest.mark.parametrize("first_in", [True, False])
def test_a_longer_sentence_with_another_act_takes_no_bullets_place(
    title: str, first: str, fuller: str, first_in: bool
) -> None:
    """A sentence holding a bullet's words with an act of its own ("refused to", "lost",
    "received death threats") tells another fact: it does not take the bullet's place, and
    the bullet's outlet is not cited for it."""
    items = [
        item(1, "alpha", title, f"{first} Trains ran late across the north."),
        item(2, "beta", f"{title} today", f"{fuller} Unions called a rally."),
    ]
    summary = summarize(items if first_in else items[::-1])
    texts = [b.text for b in summary.bullets]
    assert first in texts
    for bullet in summary.bullets:
        if bullet.text == fuller:
            assert {summary.sources[n].outlet for n in bullet.sources} == {"Beta"}


def test_a_longer_sentence_with_another_act_keeps_its_own_outlet() -> None:
    """A "lost" beside an "added" (a word of attribution, read as none): another fact."""
    first = "The US economy added 200,000 jobs last month."
    other = "The US economy lost 200,000 jobs last month as factories closed."
    title = "Jobs report surprises markets"
    summary = summarize(
        [
            item(1, "alpha", title, f"{first} Bond yields moved little."),
            item(2, "beta", f"{title} today", f"{other} The dollar slipped."),
        ]
    )
    assert [b.text for b in summary.bullets][:1] == [first]
    assert other not in [b.text for b in summary.bullets]


@pytest.mark.parametrize("first_in", [True, False])
def test_a_story_in_another_language_is_not_read_by_the_english_rules(first_in: bool) -> None:
    """The loose reading's verbs, synonyms and "not" are English words: in Chinese,
    "refused to resign" (拒绝辞职) holds every character pair of "resigned" (辞职) but one, and
    no English verb marks the act: it does not take the bullet's place."""
    title = "交通部长辞职风波"
    first = "交通部长周二在审计报告发布后辞职。"
    refused = "交通部长周二在审计报告发布后拒绝辞职，并称审计报告有误。"
    items = [
        item(1, "alpha", title, f"{first}北方多趟列车晚点。"),
        item(2, "beta", f"{title}今日", f"{refused}工会呼吁集会。"),
    ]
    summary = summarize(items if first_in else items[::-1])
    assert first in [b.text for b in summary.bullets]


def test_another_number_keeps_two_sentences_apart_whoever_else_gives_it() -> None:
    """Five dead does not tell three dead because another bullet or the headline says three."""
    three = "Three people died when the old footbridge collapsed in the storm."
    five = "Five people died when the old footbridge collapsed in the storm, police said."
    terms, other = fact_terms(three), fact_terms(five)
    elsewhere = fact_terms("Three ambulances reached the scene within minutes.")
    assert not paraphrases(
        three, terms, loose_terms(terms), five, other, loose_terms(other), set(other) | elsewhere
    )
