"""Tests of aggregator.summarize: headline, bullets, redundancy, attribution, fingerprints."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from aggregator.models import Item, Summary
from aggregator.story_sources import outlet_key
from aggregator.summarize import (
    ExtractiveSummarizer,
    Summarizer,
    SummarySettings,
    summarize,
    summary_fingerprint,
)

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def item(
    n: int,
    title: str,
    text: str = "",
    outlet: str = "",
    *,
    outlet_name: str = "",
    url: str | None = None,
    minutes: int | None = 0,
) -> Item:
    return Item(
        id=f"item-{n}",
        title=title,
        text=text,
        url=url if url is not None else f"https://{outlet or 'x'}.example/{n}",
        outlet=outlet,
        outlet_name=outlet_name or outlet,
        published=None if minutes is None else T0 + timedelta(minutes=minutes),
    )


QUAKE = [
    item(
        1,
        "Strong earthquake strikes central Chile - Reuters",
        "SANTIAGO (Reuters) - A magnitude 7.1 earthquake struck central Chile on Tuesday, "
        "shaking buildings in the capital Santiago. "
        "The quake was centred 40 km off the coast near Valparaiso, the U.S. Geological "
        "Survey said. "
        "Authorities ordered the evacuation of coastal areas as a precaution against a tsunami. "
        "Power was cut to about 200,000 homes in the Valparaiso region.\n"
        "Continue reading...",
        "reuters.com",
        outlet_name="Reuters",
        minutes=5,
    ),
    item(
        2,
        "Is Chile ready for the next big earthquake?",
        "A magnitude 7.1 earthquake struck central Chile on Tuesday, shaking buildings in the "
        "capital Santiago. "
        "Chile sits on the Pacific Ring of Fire and is one of the most seismically active "
        "countries in the world. "
        "Strict building codes introduced after the 2010 quake have limited damage, "
        "engineers say.",
        "example-magazine.com",
        outlet_name="Example Magazine",
        minutes=0,
    ),
    item(
        3,
        "Live: Chile earthquake - tsunami warning lifted | The Guardian",
        "The Chilean navy lifted its tsunami warning two hours after the quake. "
        "Interior minister Carolina Toha said no deaths had been reported so far. "
        "Schools in Valparaiso and Santiago will remain closed on Wednesday for inspections. "
        "The post Chile earthquake live appeared first on The Guardian.",
        "theguardian.com",
        outlet_name="The Guardian",
        minutes=30,
    ),
]


def words_in(summary: Summary) -> int:
    return sum(len(b.text.split()) for b in summary.bullets)


def two_outlets(first: tuple[str, str], second: tuple[str, str]) -> list[Item]:
    """A story of two reports, each (title, text): outlet "a"'s, then outlet "b"'s five
    minutes later."""
    return [
        item(1, first[0], first[1], "a", minutes=0),
        item(2, second[0], second[1], "b", minutes=5),
    ]


# --- headline -------------------------------------------------------------------------------


def test_headline_is_clean_and_not_a_question_or_live() -> None:
    summary = summarize(QUAKE)
    assert summary.headline == "Strong earthquake strikes central Chile"


@pytest.mark.parametrize(
    ("titles", "expected"),
    [
        (
            ["Will the dam hold?", "Dam on Tisza river breaks - BBC News"],
            "Dam on Tisza river breaks",
        ),
        (
            ["Opinion: The dam broke because we let it", "Tisza dam breaks after storm"],
            "Tisza dam breaks after storm",
        ),
        (
            ["LIVE: Tisza dam breaks", "Tisza dam breaks, villages flooded"],
            "Tisza dam breaks, villages flooded",
        ),
        # a title speaking to the reader points at a clip: the title telling the news leads
        (
            ["See the mayor's answer as the Tisza dam breaks", "Tisza dam breaks after storm"],
            "Tisza dam breaks after storm",
        ),
        (
            ["Meet the villagers who saw the Tisza dam break", "Tisza dam gives way in storm"],
            "Tisza dam gives way in storm",
        ),
        (["Will the Tisza dam hold?"], "Will the Tisza dam hold?"),  # no better title exists
    ],
)
def test_headline_choice(titles: list[str], expected: str) -> None:
    items = [item(n, t, outlet=f"o{n}.example") for n, t in enumerate(titles)]
    assert summarize(items).headline == expected


# --- bullets --------------------------------------------------------------------------------


def test_bullets_come_from_the_sources_and_skip_boilerplate() -> None:
    summary = summarize(QUAKE)
    assert 3 <= len(summary.bullets) <= 12
    texts = [b.text for b in summary.bullets]
    assert not any("Continue reading" in t or "appeared first" in t for t in texts)
    assert not any(t.startswith(("SANTIAGO", "(Reuters)")) for t in texts)
    assert not any(t.endswith("?") for t in texts)
    for bullet in summary.bullets:
        cited = [QUAKE_BY_ID[summary.sources[i].item_id] for i in bullet.sources]
        assert any(bullet.text in f"{it.title} {it.text}" for it in cited)


QUAKE_BY_ID = {it.id: it for it in QUAKE}


def test_same_sentence_in_two_sources_is_one_bullet_citing_both() -> None:
    summary = summarize(QUAKE)
    shared = "A magnitude 7.1 earthquake struck central Chile on Tuesday"
    matching = [b for b in summary.bullets if b.text.startswith(shared)]
    assert len(matching) == 1
    cited_ids = {summary.sources[i].item_id for i in matching[0].sources}
    assert cited_ids == {"item-1", "item-2"}


def test_lead_fact_comes_first() -> None:
    summary = summarize(QUAKE)
    assert summary.bullets[0].text.startswith("A magnitude 7.1 earthquake struck")


def test_no_two_bullets_say_the_same_thing() -> None:
    base = "Tisza dam breaks after heavy storm"
    items = [
        item(
            n,
            f"{base} {suffix}",
            f"The dam on the Tisza river broke on Sunday after a heavy storm. {extra}",
            f"o{n}.example",
        )
        for n, (suffix, extra) in enumerate(
            [
                ("- BBC", "Three villages downstream were flooded overnight."),
                ("| DW", "Three villages downstream were flooded overnight, officials said."),
                ("- AP", "Engineers had warned about cracks in the dam last year."),
            ]
        )
    ]
    summary = summarize(items)
    texts = [b.text for b in summary.bullets]
    assert sum("villages downstream were flooded" in t for t in texts) == 1
    assert sum("Tisza river broke" in t for t in texts) == 1
    assert len(set(texts)) == len(texts)


@pytest.mark.parametrize(
    ("settings", "low", "high"),
    [
        (SummarySettings(), 3, 12),
        (SummarySettings(max_bullets=4), 3, 4),
        (SummarySettings(min_bullets=1, max_bullets=2), 1, 2),
    ],
)
def test_bullet_count_bounds(settings: SummarySettings, low: int, high: int) -> None:
    sentences = [
        f"Officials in district {name} reported {n} new cases of the illness on Monday."
        for n, name in enumerate(
            "Alder Birch Cedar Dogwood Elm Fir Ginkgo Hazel Ivy Juniper Larch Maple Oak Pine "
            "Rowan Spruce Willow Yew".split(),
            start=3,
        )
    ]
    facts = [
        "Hospitals postponed routine surgery to free beds.",
        "The health ministry opened four field clinics near the border.",
        "Schools moved lessons online for two weeks.",
        "Vaccine deliveries are expected to arrive by Friday.",
        "Airlines cancelled flights to the capital until further notice.",
        "Neighbouring countries tightened checks at border crossings.",
    ]
    items = [
        item(
            n,
            f"Illness spreads in region, report {n}",
            " ".join(sentences[n::3] + facts[n::3]),
            f"o{n}.example",
        )
        for n in range(3)
    ]
    summary = summarize(items, settings)
    assert low <= len(summary.bullets) <= high


def test_bullet_count_scales_with_sources_and_text() -> None:
    short = summarize(QUAKE[:1])
    longer = summarize(QUAKE)
    assert len(short.bullets) <= len(longer.bullets)


@pytest.mark.parametrize("max_words", [12, 25, 40, 250])
def test_max_words_respected(max_words: int) -> None:
    summary = summarize(QUAKE, SummarySettings(max_words=max_words))
    assert words_in(summary) <= max_words


def test_long_sentences_are_trimmed_or_skipped() -> None:
    settings = SummarySettings(max_bullet_words=12, min_bullet_words=3)
    summary = summarize(QUAKE, settings)
    assert summary.bullets
    assert all(len(b.text.split()) <= 12 for b in summary.bullets)


def test_long_sentence_is_cut_at_a_clause_boundary() -> None:
    text = (
        "The central bank raised its main interest rate by half a point to 5.5 percent on "
        "Thursday; analysts had expected a smaller move given the weak growth figures, the "
        "sharp fall in retail sales and the recent turmoil on the bond markets in Europe."
    )
    summary = summarize(
        [item(1, "Bank raises rates", text, "a.example")], SummarySettings(max_bullet_words=20)
    )
    assert [b.text for b in summary.bullets] == [
        "The central bank raised its main interest rate by half a point to 5.5 percent on Thursday."
    ]


# --- headline-only stories ------------------------------------------------------------------


def test_titles_are_never_bullets() -> None:
    """A title is not a sentence: headline-only sources give a headline and no bullets."""
    items = [
        item(1, "Tisza dam breaks after storm - BBC News", outlet="bbc.co.uk"),
        item(2, "Tisza dam breaks after storm | DW", outlet="dw.com"),
        item(3, "Three villages flooded as Tisza dam bursts", outlet="apnews.com"),
        item(4, "Hungary declares emergency after Tisza dam failure", outlet="reuters.com"),
    ]
    summary = summarize(items)
    assert summary.headline == "Tisza dam breaks after storm"
    assert summary.bullets == ()
    assert summary.outlet_count == 4


def test_single_headline_only_item() -> None:
    summary = summarize([item(1, "Tisza dam breaks - BBC News", outlet="bbc.co.uk")])
    assert summary.headline == "Tisza dam breaks"
    assert summary.bullets == ()
    assert summary.outlet_count == 1
    assert len(summary.sources) == 1


# --- sources and attribution ----------------------------------------------------------------


def test_sources_are_ordered_by_published_and_carry_the_item() -> None:
    summary = summarize(QUAKE)
    assert [s.item_id for s in summary.sources] == ["item-2", "item-1", "item-3"]
    first = summary.sources[0]
    assert first.outlet == "Example Magazine"
    assert first.title == "Is Chile ready for the next big earthquake?"
    assert first.url == "https://example-magazine.com.example/2"
    assert first.published == T0
    assert summary.sources[2].title == "Chile earthquake - tsunami warning lifted"


def test_undated_sources_come_last() -> None:
    items = [
        item(1, "Dam breaks", outlet="a.example", minutes=None),
        item(2, "Dam bursts", outlet="b.example", minutes=10),
    ]
    assert [s.item_id for s in summarize(items).sources] == ["item-2", "item-1"]


def test_attribution_indexes_are_valid() -> None:
    summary = summarize(QUAKE)
    for bullet in summary.bullets:
        assert bullet.sources
        assert list(bullet.sources) == sorted(set(bullet.sources))
        assert all(0 <= i < len(summary.sources) for i in bullet.sources)


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ([("bbc.co.uk", "BBC", None), ("bbc.co.uk", "BBC", None), ("reuters.com", "", None)], 2),
        ([("", "BBC", None), ("", "bbc", None), ("", "Reuters", None)], 2),
        ([("", "", "https://www.bbc.co.uk/a"), ("", "", "https://bbc.co.uk/b")], 1),
        ([("", "", "https://a.example/1"), ("", "", "https://b.example/2")], 2),
        ([("", "", ""), ("", "", "")], 2),  # nothing to tell them apart: each its own
    ],
)
def test_outlet_count(keys: list[tuple[str, str, str | None]], expected: int) -> None:
    items = [
        Item(id=f"i{n}", title=f"Dam breaks near town {n}", outlet=o, outlet_name=name, url=url)
        for n, (o, name, url) in enumerate(keys)
    ]
    assert summarize(items).outlet_count == expected
    assert len({outlet_key(it) for it in items}) == expected


def test_outlet_count_counts_one_outlet_once() -> None:
    extra = replace(QUAKE[0], id="item-9", title="Chile quake: power cut to 200,000 homes")
    summary = summarize([*QUAKE, extra])
    assert summary.outlet_count == 3
    assert len(summary.sources) == 4


# --- determinism and fingerprints -----------------------------------------------------------


def test_deterministic_and_independent_of_input_order() -> None:
    first = summarize(QUAKE)
    assert summarize(QUAKE) == first
    assert summarize(list(reversed(QUAKE))) == first
    assert summary_fingerprint(summarize(list(reversed(QUAKE)))) == summary_fingerprint(first)


def test_fingerprint_is_stable_and_changes_on_material_change() -> None:
    base = summarize(QUAKE[:2])
    fp = summary_fingerprint(base)
    assert len(fp) == 64 and int(fp, 16) >= 0
    assert summary_fingerprint(summarize(QUAKE[:2])) == fp
    assert summary_fingerprint(summarize(QUAKE)) != fp  # a new source
    assert summary_fingerprint(replace(base, headline="Other")) != fp
    assert summary_fingerprint(replace(base, bullets=base.bullets[:-1])) != fp


def test_fingerprint_of_known_summary_is_fixed() -> None:
    summary = Summary(headline="H", bullets=(), sources=(), outlet_count=0)
    assert summary_fingerprint(summary) == summary_fingerprint(
        Summary(headline="H", bullets=(), sources=(), outlet_count=0)
    )
    assert summary_fingerprint(summary) != summary_fingerprint(replace(summary, headline="I"))


# --- the protocol and settings --------------------------------------------------------------


def test_extractive_summarizer_is_a_summarizer() -> None:
    summarizer: Summarizer = ExtractiveSummarizer(SummarySettings(max_bullets=3))
    summary = summarizer.summarize(QUAKE)
    assert summary.method == "extractive"
    assert len(summary.bullets) <= 3


def test_no_items_is_an_error() -> None:
    with pytest.raises(ValueError):
        summarize([])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_bullets": 0},
        {"min_bullets": 5, "max_bullets": 4},
        {"max_words": 0},
        {"max_bullet_words": 3, "min_bullet_words": 5},
        {"redundancy": 0.0},
        {"attribution": 1.5},
        {"words_per_bullet": 0},
        {"novelty": 0.0},
    ],
)
def test_settings_are_validated(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        SummarySettings(**kwargs)  # type: ignore[arg-type]


def test_untitled_items_take_a_lead_sentence_as_headline() -> None:
    items = [
        item(
            1,
            "",
            "<p>The Tisza dam broke on Sunday after a storm.</p><p>Three villages "
            "downstream were flooded overnight.</p>",
            "a.example",
        ),
        item(2, "", "", "b.example"),
    ]
    summary = summarize(items)
    assert summary.headline == "The Tisza dam broke on Sunday after a storm."
    assert [b.text for b in summary.bullets] == [
        "Three villages downstream were flooded overnight."
    ]
    assert summary.outlet_count == 2


# --- what is not news, headline agreement, stability ----------------------------------------

DAM_NEWS = (
    "The Tisza dam broke on Monday night after days of heavy rain, flooding three villages. "
    "Rescue teams evacuated more than 2,000 residents from the valley overnight. "
    "The regional governor declared a state of emergency and asked for army support."
)
DAM_OPINION = (
    "The government ignored warnings about the ageing Tisza dam for a decade. "
    "Engineers had warned ministers in 2015 that the structure needed urgent repairs. "
    "Ministers preferred to spend the money on a new football stadium instead."
)


def test_opinion_is_listed_labelled_but_supplies_no_facts() -> None:
    items = [
        item(1, "Tisza dam breaks, flooding three villages", DAM_NEWS, "news.example"),
        item(2, "Opinion: Tisza dam warnings were ignored", DAM_OPINION, "views.example"),
    ]
    summary = summarize(items)
    labels = {s.title: s.label for s in summary.sources}
    assert labels == {
        "Tisza dam breaks, flooding three villages": "",
        "Tisza dam warnings were ignored": "Opinion",
    }
    opinion = [i for i, s in enumerate(summary.sources) if s.label]
    assert summary.bullets
    assert all(set(b.sources) - set(opinion) for b in summary.bullets)
    assert not any("football" in b.text for b in summary.bullets)
    assert summary.headline == "Tisza dam breaks, flooding three villages"
    assert summary.outlet_count == 2  # opinion still counts as a source


def test_an_opinion_only_story_is_summarised_from_the_opinion() -> None:
    summary = summarize([item(1, "Opinion: Tisza dam warnings were ignored", DAM_OPINION, "v.ex")])
    assert summary.headline == "Tisza dam warnings were ignored"
    assert summary.bullets


def test_adverts_are_left_out_of_a_summary() -> None:
    items = [
        item(1, "Tisza dam breaks, flooding three villages", DAM_NEWS, "news.example"),
        item(2, "Sponsored: Protect your home from floods today", "Buy our pumps.", "ad.example"),
    ]
    summary = summarize(items)
    assert [s.title for s in summary.sources] == ["Tisza dam breaks, flooding three villages"]
    assert summary.outlet_count == 1


def test_the_headline_source_supplies_the_lead_bullet() -> None:
    items = [
        item(1, "Tisza dam breaks after heavy rain", DAM_NEWS, "news.example", minutes=0),
        item(
            2,
            "Hungary counts the cost of floods",
            "Insurers estimate flood damage across Hungary at 300 million euros this year. "
            "Farmers in the east lost much of the maize harvest to standing water.",
            "other.example",
            minutes=5,
        ),
    ]
    summary = summarize(items)
    head = next(i for i, s in enumerate(summary.sources) if s.title == summary.headline)
    assert head in summary.bullets[0].sources


def test_the_published_headline_stays_unless_clearly_bettered() -> None:
    titles = ["Tisza dam breaks, three villages flooded", "Tisza dam breaks and floods villages"]
    both = [item(n, t, DAM_NEWS, f"o{n}.example") for n, t in enumerate(titles)]
    fresh = summarize(both).headline
    other = next(t for t in titles if t != fresh)
    assert summarize(both, previous_headline=other).headline == other


def test_a_clearly_better_headline_replaces_the_published_one() -> None:
    first = [item(1, "Storm news", DAM_NEWS, "a.example")]
    published = summarize(first).headline
    more = [*first, item(2, "Tisza dam breaks, flooding three villages", DAM_NEWS, "b.example")]
    assert summarize(more, previous_headline=published).headline != published


def test_bullets_scale_with_what_the_sources_say_and_stay_within_3_to_12() -> None:
    facts = [
        f"Officials in district {n} reported {n * 10 + 7} homes flooded and {n + 2} bridges shut."
        for n in range(40)
    ]
    rich = [
        item(n, f"Floods hit district {n}", " ".join(facts[n::5]), f"o{n}.example", minutes=n)
        for n in range(5)
    ]
    summary = summarize(rich)
    assert 3 <= len(summary.bullets) <= 12
    small = summarize([item(1, "Dam breaks", DAM_NEWS, "a.example")])
    assert len(small.bullets) <= len(summary.bullets)
    assert len(small.bullets) == 3


# Invented story: five outlets restate one fact in their own words; one adds a new fact.
DAM = [
    item(
        1,
        "Ruritania says storm broke the Oskel dam",
        "The Oskel dam on the Varna river gave way during a storm on Monday night, "
        "Ruritania's water ministry said in a statement.",
        "alpha.example",
    ),
    item(
        2,
        "Oskel dam collapse confirmed",
        "Ruritanian officials confirmed that the Oskel dam collapsed after heavy storms "
        "battered the Varna valley.",
        "bravo.example",
    ),
    item(
        3,
        "Water ministry: storm destroyed dam",
        "A storm destroyed the dam at Oskel, the Ruritanian water ministry says, "
        "sending the Varna river over its banks.",
        "charlie.example",
    ),
    item(
        4,
        "Varna river dam fails",
        "The ministry said the Oskel dam on the Varna failed in Monday's storm.",
        "delta.example",
    ),
    item(
        5,
        "Ruritania dam breach",
        "Ruritania says the storm breached the Oskel dam on the Varna river overnight Monday. "
        "About 3,000 residents of Brenford were moved to schools in Kessel by army trucks.",
        "echo.example",
    ),
]


def test_paraphrases_of_one_fact_collapse_and_a_new_fact_is_kept() -> None:
    summary = summarize(DAM)
    texts = [b.text for b in summary.bullets]
    about_the_dam = [t for t in texts if "dam" in t]
    assert len(about_the_dam) == 1, texts
    assert texts[0] == about_the_dam[0]  # the lead fact stays first
    assert any("3,000 residents" in t for t in texts), texts
    # the novelty check is what collapses them: switched off, the restatements come back
    loose = summarize(DAM, SummarySettings(novelty=1.0))
    assert len([b for b in loose.bullets if "dam" in b.text]) > 1


def test_a_sentence_telling_a_bullets_event_with_a_new_figure_is_kept() -> None:
    # A later report's lead retells the dam's failure with the death toll: close to the first
    # bullet in words (cosine over the redundancy limit), but its figure is news of its own.
    items = [
        item(
            1,
            "Dam bursts in Ruritania and floods valley",
            "A dam burst in northern Ruritania on Tuesday, flooding the valley below and "
            "forcing 3,000 people from their homes, officials said. Rescue teams reached the "
            "town of Strelsau by evening.",
            "a",
        ),
        item(
            2,
            "Ruritania dam failure floods valley, 3,000 evacuated",
            "The Ruritania dam failed on Tuesday and water flooded the valley; 3,000 residents "
            "were evacuated, the interior ministry said. Rescue teams from Strelsau worked "
            "into the night. “We had minutes,” said one resident and farmer.",
            "a",
            minutes=10,
        ),
        item(
            3,
            "Ruritania dam burst: death toll rises to 12 as valley floods",
            "At least 12 people died when the Ruritania dam burst on Tuesday and flooded the "
            "valley, the interior ministry said on Wednesday. About 3,000 residents were "
            "evacuated. Engineers had warned in 2019 that the dam's spillway was cracked.",
            "b",
            minutes=55,
        ),
    ]
    texts = [b.text for b in summarize(items).bullets]
    assert any(t.startswith("At least 12 people died") for t in texts), texts
    # without its new figure the same sentence repeats the first bullet, and is left out
    items[2] = replace(items[2], text=items[2].text.replace("At least 12", "Many"))
    texts = [b.text for b in summarize(items).bullets]
    assert not any(t.startswith("Many people died") for t in texts), texts


def test_the_headline_comes_from_a_source_that_supplies_a_bullet() -> None:
    # The most central title's source has one sentence restating it and one in its reporter's
    # voice, so it supplies no bullet: a title of a source the bullets come from leads instead.
    items = [
        item(
            1,
            "Oskel dam breaks after storm floods Ruritania valley",
            "The Oskel dam broke after a storm flooded the Ruritania valley. Our correspondent "
            "said we had seen nothing like it in years.",
            "a",
        ),
        item(
            2,
            "Ruritania evacuates villages as Oskel dam gives way",
            "Rescue teams moved 3,000 residents out of four villages below the Oskel dam on "
            "Tuesday. The interior ministry said the storm dropped a month of rain in a day. "
            "Army helicopters lifted stranded families from rooftops in the town of Varna.",
            "b",
        ),
        item(
            3,
            "Storm breaks Oskel dam, thousands leave Ruritania valley",
            "Engineers had warned in March that the Oskel dam needed repairs to its spillway. "
            "The government declared a state of emergency across the Ruritania valley. "
            "Insurers estimated the damage at more than 200 million euros.",
            "c",
        ),
    ]
    summary = summarize(items)
    assert summary.headline != items[0].title
    head = next(n for n, s in enumerate(summary.sources) if summary.headline == s.title)
    assert any(head in b.sources for b in summary.bullets)
    # a published headline stays (stability comes first)
    kept = summarize(items, previous_headline=items[0].title)
    assert kept.headline == items[0].title


def test_a_sources_bullets_keep_its_order() -> None:
    """The best sentence refers to someone its source introduced earlier: the introduction,
    also a bullet, comes first (a one-source story reads in its source's order)."""
    text = (
        "The pandemic has changed daily life for many, and Riverton defensive end Carl Oduya "
        "wants to get back to normal as soon as possible. "
        "Oduya posted on Sunday that he was tired of staying at home and wanted to go out. "
        "Riverton quarterback Dale Watts told his teammate to stay in the house in a reply "
        "to Oduya's post on Monday. "
        "The team's training ground has been closed since the middle of March this year."
    )
    summary = summarize(
        [item(1, "Quarterback Dale Watts tells teammate to stay in the house", text, "sports")]
    )
    texts = [b.text for b in summary.bullets]
    assert len(texts) >= 2
    assert any("Carl Oduya" in t for t in texts)
    assert texts == sorted(texts, key=text.index)


def test_the_lead_tells_the_headlines_news() -> None:
    # The headline's own source offers only a detail; another source tells the news the
    # headline gives: that one leads, and the detail follows. A sentence in the first person
    # leads nothing, however much of the headline it holds.
    detail = "Organisers hope the harbour fair will return next summer with a bigger programme."
    news = (
        "The Portmere harbour fair has been cancelled because of storm fears, the town council "
        "said on Monday."
    )
    story = two_outlets(
        ("Portmere harbour fair cancelled over storm fears", detail),
        (
            "Storm fears end Portmere fair",
            news + " Stallholders had booked pitches for the whole weekend.",
        ),
    )
    summary = summarize(story)
    assert summary.headline == "Portmere harbour fair cancelled over storm fears"
    assert [b.text for b in summary.bullets][:2] == [news, detail]
    said = "We have cancelled the Portmere harbour fair because of storm fears this year."
    first_person = [story[0], replace(story[1], text=said + " Stalls were booked.")]
    assert summarize(first_person).bullets[0].text == detail


def test_a_bullet_retelling_another_in_other_words_is_left_out() -> None:
    # Another outlet tells the lead's fact again with descriptions of its own ("the most
    # expensive striker", "the beaten cup finalists"): too many new words for the novelty
    # check, but it shares most of the lead's terms and names no one and no figure not said.
    lead = (
        "Three Portmere United players have tested positive for the virus, the club said on "
        "Tuesday."
    )
    retold = (
        "The most expensive striker in the league's history is one of three players at the "
        "beaten cup finalists to have tested positive for the virus."
    )
    story = two_outlets(
        (
            "Portmere United: three players test positive",
            lead + " The squad trained at the club's ground on Friday.",
        ),
        ("Club's record signing among players with the virus", retold),
    )
    texts = [b.text for b in summarize(story).bullets]
    assert texts == [lead, "The squad trained at the club's ground on Friday."]


def test_a_bullet_telling_the_same_figure_of_the_same_thing_again_is_left_out() -> None:
    # The airport's job cuts as two outlets tell them: the same figure, the same few words,
    # and each outlet's own around them (neither similar nor contained enough).
    lead = "Portmere airport could axe up to 1,200 jobs as passenger numbers collapse."
    again = (
        "Chief executive Ann Example's comments came as the airport announced it may have "
        "to axe up to 1,200 jobs in the months ahead."
    )
    story = two_outlets(
        ("Portmere airport may cut 1,200 jobs", f"{lead} Flights fell by 97% in April."),
        ("Airport boss warns of a long recovery", f"{again} Talks with unions begin on Monday."),
    )
    texts = [b.text for b in summarize(story).bullets]
    assert lead in texts and again not in texts
    assert "Talks with unions begin on Monday." in texts  # (its own other fact stays)


# The mayor's seat-belt advice as two outlets tell it, in words of their own (under half of
# them in common).
SEAT_BELTS_SAID = (
    'Ilsa Varn says there may be "some benefit" in wearing a seat belt in the back of '
    "taxis on busy city roads at night."
)
SEAT_BELTS_AGAIN = (
    "Portmere mayor Ilsa Varn told a council briefing she is now advising people to use "
    "seat belts in taxis."
)


def seat_belts(second_title: str, fact: str) -> list[Item]:
    """Outlet "a" tells the advice under a title of it, with a fact of its own after it;
    outlet "b" tells it again under `second_title`, with `fact` after it."""
    return two_outlets(
        (
            "Ilsa Varn says Portmere riders should wear seat belts in taxis",
            f"{SEAT_BELTS_SAID} Crashes in cabs rose last year.",
        ),
        (second_title, f"{SEAT_BELTS_AGAIN} {fact}"),
    )


def test_a_bullet_telling_a_titles_news_again_in_other_words_is_left_out() -> None:
    # The second outlet tells the headline's news again: it names no one new and states no
    # figure, so it is left out; the other outlet's own fact stays.
    fact = (
        "Taxi drivers' groups said they would ask the council to pay for new belts in older cabs."
    )
    story = seat_belts("Mayor backs seat belts in Portmere taxis", fact)
    bullets = summarize(story).bullets
    assert [b.text for b in bullets] == [SEAT_BELTS_SAID, "Crashes in cabs rose last year.", fact]
    # the outlet that told the advice again is cited by the bullet that tells it
    assert bullets[0].sources == (0, 1)


def test_a_retelling_whose_own_title_tells_other_news_stays() -> None:
    # The second outlet's sentence retells the headline's news, but its title tells another
    # side of it (who runs the scheme): its sentence is that outlet's news, and stays.
    fact = "Drivers will fit belts in older cabs at the guild's cost."
    story = seat_belts("Drivers' guild to run Portmere scheme fitting rear belts", fact)
    texts = [b.text for b in summarize(story).bullets]
    assert SEAT_BELTS_AGAIN in texts
    # the same sentence under a title telling the same news is a retelling, left out
    story[1] = replace(story[1], title="Mayor backs seat belts in Portmere taxis")
    assert SEAT_BELTS_AGAIN not in [b.text for b in summarize(story).bullets]


def test_a_bullet_telling_a_chosen_one_and_who_takes_its_place() -> None:
    # The lead says a fact bare; another outlet says it and who (a name, a place): the second
    # is the bullet in the first's place, not a repeat left out nor a second bullet.
    bare = "Three Portmere United players have tested positive for the virus, the club said."
    more = (
        "Striker Dario Venn is one of three Portmere United players who have tested positive "
        "for the virus after a holiday in Corvena, the club said."
    )
    story = two_outlets(
        (
            "Portmere United: three players test positive",
            bare + " The squad trained at the club's ground on Friday.",
        ),
        ("Portmere striker Venn tests positive after holiday", more),
    )
    texts = [b.text for b in summarize(story).bullets]
    assert more in texts
    assert bare not in texts
    assert "The squad trained at the club's ground on Friday." in texts


def test_a_bare_bullet_naming_a_league_with_a_number_is_replaced_all_the_same() -> None:
    # "the Liga 2 club": the number is part of a name, no figure the fuller bullet lacks
    bare = "Three Portmere United players have tested positive for the virus, the Liga 2 club said."
    more = (
        "Striker Dario Venn is one of three Portmere United players who have tested positive "
        "for the virus after a holiday in Corvena."
    )
    story = two_outlets(
        ("Portmere United: three players test positive", bare),
        ("Portmere striker Venn tests positive after holiday", more),
    )
    summary = summarize(story)
    assert [(b.text, b.sources) for b in summary.bullets] == [(more, (0, 1))]


def test_a_bullet_in_the_headline_sources_place_cites_it_and_the_headline_stays() -> None:
    # The headline's source says one fact bare; another outlet tells it and who, and takes
    # its place. It tells what the headline's source said, so it cites that source too, and
    # the headline stays rather than moving to the other outlet's title about a side issue.
    bare = "Three Portmere United players have tested positive for the virus, the club said."
    more = (
        "Striker Dario Venn is one of three Portmere United players who have tested positive "
        "for the virus after a holiday in Corvena, the club said."
    )
    later = "The league will decide on Friday whether the match goes ahead."
    story = two_outlets(
        ("Virus outbreak hits Portmere United squad", bare),
        ("Weekend match in doubt", f"{more} {later}"),
    )
    summary = summarize(story)
    assert summary.headline == "Virus outbreak hits Portmere United squad"
    assert [(b.text, b.sources) for b in summary.bullets] == [(more, (0, 1)), (later, (1,))]


def test_a_bullet_saying_the_opposite_in_the_same_words_takes_no_place() -> None:
    # Same words, the opposite fact ("no player has died" / "players have died"): a
    # sentence with a name of its own does not take the negated bullet's place.
    bare = "No player of Portmere United has died of the virus so far, the club said on Tuesday."
    other = (
        "Two players of Portmere United have died of the virus so far, league chairman Oren "
        "Kask said on Tuesday."
    )
    story = two_outlets(
        ("Portmere United: no player has died of the virus", bare),
        ("Portmere United players died of the virus, says league chief", other),
    )
    texts = [b.text for b in summarize(story).bullets]
    assert texts[0] == bare


def test_the_lead_reads_a_headlines_verb_in_its_other_tense() -> None:
    # Headlines tell news in the present ("releases"), reports in the past ("released"): the
    # light stemmer writes them "release" and "releas", yet they tell one news, so the report
    # that tells it still leads the headline source's detail.
    detail = "The hovering objects seen in the footage are still listed as unexplained."
    news = "On Monday, the navy formally released three videos that show strange objects at sea."
    story = two_outlets(
        ("Admiralty releases ghost ship videos for the record", detail),
        ("Sea mystery deepens", news + " Enthusiasts were excited, though nothing was new."),
    )
    summary = summarize(story)
    assert summary.headline == "Admiralty releases ghost ship videos for the record"
    assert [b.text for b in summary.bullets][:2] == [news, detail]
