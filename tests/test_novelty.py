"""Tests of aggregator.novelty: distinctive terms and how much of them is already said."""

from __future__ import annotations

import pytest

from aggregator.novelty import (
    coverage,
    fact_terms,
    fact_terms_of,
    negates,
    negates_against,
    opposed,
    restates,
    retells,
    source_weights,
    tells_more,
)
from aggregator.tokens import tokens


def test_fact_terms_meet_across_word_forms() -> None:
    assert fact_terms("Germany says") & fact_terms("the German ministry") == {"german"}
    assert "russia" in fact_terms("Russian officials") & fact_terms("in Russia")


@pytest.mark.parametrize(
    "text",
    [
        "Germany says the German ministry's 2024 budget rose by 12 percent.",
        "Ça, c'est la fête: 300 élèves réunis.",
        "震源は北岡県東部で、マグニチュードは6.1。Tokyo said",
        "",
    ],
)
def test_fact_terms_from_given_tokens_are_the_texts(text: str) -> None:
    assert fact_terms_of(text, tokens(text)) == fact_terms(text)
    assert fact_terms_of(text, reversed(tokens(text))) == fact_terms(text)


def test_source_weights_count_sources_not_mentions() -> None:
    weights = source_weights([["dam", "dam", "storm"], ["dam"], ["river"]])
    assert weights == {"dam": 2.0, "storm": 1.0, "river": 1.0}


@pytest.mark.parametrize(
    ("text", "said", "expected"),
    [
        ("The dam broke in the storm.", "Storm broke the dam", 1.0),
        ("Army trucks moved villagers to schools.", "Storm breaks the dam", 0.0),
        ("The dam broke, killing 12 people.", "Storm breaks the dam; dam broke", 0.0),
        ("The dam broke, killing 12 people.", "Dam broke, 12 people killed", 1.0),
        ("", "anything", 0.0),
    ],
)
def test_coverage(text: str, said: str, expected: float) -> None:
    assert coverage(fact_terms(text), set(fact_terms(said)), {}) == pytest.approx(expected)


def test_terms_many_sources_use_weigh_more() -> None:
    terms = fact_terms("Dam broke near Kessel.")
    said = set(fact_terms("The dam broke"))
    assert coverage(terms, said, {"dam": 4.0, "broke": 4.0}) > coverage(terms, said, {})


def _said(text: str, *before: str) -> float:
    said: set[str] = set()
    for other in before:
        said.update(fact_terms(other))
    return coverage(fact_terms(text), said, {})


@pytest.mark.parametrize(
    ("text", "said"),
    [
        # a decade is ten years
        (
            "Norland plans to double its drone fleet in the next 10 years.",
            "Norland plans to double its drone fleet in the next decade",
        ),
        # a hedged figure near one said, in words or digits, of the same unit
        ("Vell's first recession in nearly 30 years.", "Vell enters first recession in 29 years"),
        (
            "Vell's first recession in nearly three decades.",
            "Vell enters first recession in 29 years",
        ),
        ("Vell's first recession in 29 years.", "Vell: first recession in almost three decades"),
        ("About 500,000 people fled Ostra.", "Half a million people fled Ostra"),
        ("A dozen miners were rescued at Kemp.", "12 miners rescued at Kemp"),
        ("Twenty-nine miners were rescued at Kemp.", "29 miners rescued at Kemp"),
        ("Kemp ordered 3,000 tanks.", "Kemp orders 3000 tanks"),
        # British and American spellings; a country's names
        ("The defense ministry of Ostra resigned.", "Ostra's defence ministry resigns"),
        ("The United States sends Ostra aid.", "US sends Ostra aid"),
        ("The U.S. sends Ostra aid.", "United States sends Ostra aid"),
    ],
)
def test_one_fact_in_other_words_is_said(text: str, said: str) -> None:
    assert _said(text, said) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("The Kemp crash left 12 dead.", "Kemp crash leaves 10 dead"),
        ("The Kemp crash left about 12 dead.", "Kemp crash leaves 10 dead"),
        ("The Kemp bridge opened in 2020.", "Kemp bridge opened in 2019"),
        ("The Kemp bridge opened around 2020.", "Kemp bridge opened in 2019"),
        # near, but neither figure hedged: two counts
        ("Kemp's first recession in 30 years.", "Kemp enters first recession in 29 years"),
        # near and hedged, but another unit
        ("Kemp's recession cost nearly 30 jobs.", "Kemp enters first recession in 29 years"),
        # a figure in words that was not said
        ("Kemp's first recession in three decades.", "Kemp enters first recession in 20 years"),
    ],
)
def test_another_figure_is_new(text: str, said: str) -> None:
    assert _said(text, said) == 0.0


def test_figures_are_one_form() -> None:
    assert fact_terms("in the next decade") == fact_terms("in the next 10 years")
    assert "30" in fact_terms("for three decades")
    assert "1500000" in fact_terms("$1.5 million")  # (whole, not cut to a prefix)
    # "one" and "two" are figures only before a multiple
    assert not any(t.isdigit() for t in fact_terms("One of the two ministers resigned"))
    assert "24" in fact_terms("two dozen ministers")


def test_figures_from_given_tokens_are_the_texts() -> None:
    text = "The U.S. defence budget rose by nearly three decades' worth, some 3,000 jobs."
    assert fact_terms_of(text, tokens(text)) == fact_terms(text)


_LEAD = "Three Portmere United players have tested positive for the virus, the club said."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # one fact told again in other words: half the lead's terms, nothing new named
        ("The costly striker is one of three players at the finalists to test positive.", True),
        ("Organisers said the players had tested positive, the club confirmed today.", True),
        # a name not said yet (who it is) or a figure not said yet is a fact of its own
        ("Dale Watts is one of three players at the finalists to test positive.", False),
        ("The costly striker is one of three players to test positive, and 12 are isolating.",
         False),
        # a name of which a word is said names no one new ("Portmere" is said)
        ("The costly striker is one of three Portmere players to test positive.", True),
        # a name describing a said one after it names no one new either ...
        ("The costly striker is one of three players at the beaten Velmar Cup finalists "
         "Portmere United to test positive.", True),
        # ... but across a verb's past it is someone ("the Velmar league fined Portmere")
        ("The costly striker is one of three players to test positive as the Velmar league "
         "fined Portmere United.", False),
        # too little in common
        ("The club's stadium will stay closed to fans until the end of the season.", False),
    ],
)  # fmt: skip
def test_a_bullet_that_retells_another(text: str, expected: bool) -> None:
    said = set(fact_terms(_LEAD))
    assert restates(text, fact_terms(text), fact_terms(_LEAD), said) is expected


@pytest.mark.parametrize(
    ("text", "bullet", "expected"),
    [
        # the bullet's fact and who: a name the bullet and the headline do not hold
        (
            "Striker Dario Venn is one of three Portmere players who tested positive.",
            "Three Portmere players tested positive, the club said.",
            True,
        ),
        # ... or a figure
        (
            "Three Portmere players tested positive after a trip, 12 days after the final.",
            "Three Portmere players tested positive after a trip.",
            True,
        ),
        # the same sentence again names no one new (a name of stopwords, "US", is no name)
        (
            "The board discussed the rules in the US with Portmere officials.",
            "The board discussed the rules in the US with Portmere officials.",
            False,
        ),
        # a name, but too little of the bullet's fact
        (
            "Striker Dario Venn trained alone on Friday at the Portmere ground.",
            "Three Portmere players tested positive, the club said.",
            False,
        ),
        # the opposite in the same words
        (
            "Two Portmere players have died of the virus, league chairman Oren Kask said.",
            "No Portmere player has died of the virus, the club said.",
            False,
        ),
    ],
)
def test_tells_more(text: str, bullet: str, expected: bool) -> None:
    headline = fact_terms("Portmere")
    got = tells_more(text, fact_terms(text), bullet, fact_terms(bullet), set(headline), {})
    assert got is expected


def test_a_number_inside_a_name_is_no_figure() -> None:
    # "Ligue 1", "Covid-19", "G7": the number is part of the name, so no figure is said
    for text in (
        "Three players have tested positive, the Liga 2 club said.",
        "Three players have tested positive for Covid-19.",
        "Leaders of the G7 met in Portmere.",
    ):
        terms = fact_terms(text)
        assert not any(t.isdigit() for t in terms if t != "3"), (text, terms)
    assert "liga2" in fact_terms("the Liga 2 club said")
    assert fact_terms("in COVID-19 wards") == fact_terms("in Covid-19 wards")
    # a date, a score and a count stay figures
    assert "25" in fact_terms("The club said on April 25 that it would appeal.")
    assert "4" in fact_terms("The club beat Corvena 4-0 on Sunday.")
    assert "12" in fact_terms("The club said 12 players were isolating.")


def test_a_name_with_another_number_is_another_name() -> None:
    # "Level 3" after "Level 4" is no retelling, nor the bullet's fact told with more
    bullet = "Portmere is at Alert Level 4 until the council meets, the mayor said."
    text = "Portmere moves to Alert Level 3 when the council meets, the mayor said."
    said = set(fact_terms(bullet))
    assert not restates(text, fact_terms(text), fact_terms(bullet), said)
    assert not tells_more(text, fact_terms(text), bullet, fact_terms(bullet), set(), {})
    # ... nor said by it, however many other words they share
    assert coverage(fact_terms(text), said, {}) == 0.0
    assert coverage(fact_terms("Portmere is at Alert Level 4."), said, {}) == 1.0


def test_a_bullet_naming_a_league_with_a_number_is_told_by_one_naming_who() -> None:
    # the bare bullet's only figure is part of a name: the fuller one tells it and who
    bullet = "Three Portmere United players have tested positive, the Liga 2 club said."
    text = (
        "Striker Dario Venn is one of three Portmere United players who have tested "
        "positive after a holiday in Corvena."
    )
    headline = set(fact_terms("Portmere"))
    weights = source_weights([fact_terms(bullet), fact_terms(text)])  # (two outlets)
    assert tells_more(text, fact_terms(text), bullet, fact_terms(bullet), headline, weights)


_TITLE = "Ilsa Varn says Portmere riders should wear seat belts in taxis"
_SAID = (
    'Ilsa Varn says there may be "some benefit" in wearing a seat belt in the back of taxis on '
    "busy city roads at night."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the same news, who and figures in other words, sharing under half the terms
        ("Portmere mayor Ilsa Varn told a council briefing she is now advising people to use "
         "seat belts in taxis.", True),
        # an age after a name is no figure of the story
        ("Portmere mayor Ilsa Varn, 52, told a council briefing she is now advising people to "
         "use seat belts in taxis.", True),
        # a quote, a "not", someone new or a figure is a fact of its own
        ('Portmere mayor Ilsa Varn told a council briefing that seat belts in taxis are "only '
         'a matter of time".', False),
        ("Portmere mayor Ilsa Varn told a council briefing she is not advising people to use "
         "seat belts in taxis.", False),
        ("Transport chief Oren Kask told a council briefing he is now advising people to use "
         "seat belts in taxis.", False),
        ("Portmere mayor Ilsa Varn told a council briefing she is now advising 300 drivers to "
         "use seat belts in taxis.", False),
        # about the same people, not the title's news
        ("Ilsa Varn told a council briefing that taxi fares in the city will rise at night.",
         False),
        # much longer: it tells more than the bullet
        ("Portmere mayor Ilsa Varn told a council briefing she is now advising people to use "
         "seat belts in taxis, after a year in which crashes on the coast road, the bridge and "
         "the ring road left riders in the back of cabs hurt.", False),
    ],
)  # fmt: skip
def test_a_bullet_that_tells_a_titles_news_again_in_other_words(text: str, expected: bool) -> None:
    titles = [(_TITLE, fact_terms(_TITLE))]
    headline = fact_terms(_TITLE)
    got = retells(text, fact_terms(text), _SAID, fact_terms(_SAID), headline, titles)
    assert got is expected
    if expected:  # (under half of the smaller one's terms in common: `restates` misses it)
        assert not restates(text, fact_terms(text), fact_terms(_SAID), set(headline))


@pytest.mark.parametrize(
    ("text", "other"),
    [
        ("Shares in Velmar Bank rose 5% on Monday after the results.",
         "Shares in Velmar Bank fell 5% on Monday after the results."),
        ("The Tolvane side won the cup final against Portmere on Sunday.",
         "The Tolvane side lost the cup final against Portmere on Sunday."),
        ("The county council approved the bypass plan at its meeting on Tuesday.",
         "The county council rejected the bypass plan at its meeting on Tuesday."),
        ("Petrol prices are up 4 cents a litre this week across the region.",
         "Petrol prices are down 4 cents a litre this week across the region."),
        ("Petrol prices are up by 4% this week across the region.",
         "Petrol prices are down by 4% this week across the region."),
        ("More than 200 homes in Velmar were flooded on Sunday night.",
         "Fewer than 200 homes in Velmar were flooded on Sunday night."),
        ("The report found an increase in hospital admissions for flu this winter.",
         "The report found a decrease in hospital admissions for flu this winter."),
    ],
)  # fmt: skip
def test_sentences_alike_but_for_opposite_words_tell_two_facts(text: str, other: str) -> None:
    assert opposed(text, other)
    said = set(fact_terms(other))
    assert restates(text, fact_terms(text), fact_terms(other), said)  # (by their terms alone)
    assert not restates(text, fact_terms(text), fact_terms(other), said, other_text=other)


@pytest.mark.parametrize(
    ("text", "other"),
    [
        # the same side in other words, or a word of each side in one of them
        ("The county council approved the bypass plan on Tuesday.",
         "On Tuesday the county council meeting approved the bypass plan."),
        ("Shares rose 5% on Monday after falling 3% last week.",
         "Shares fell 3% last week and rose 5% on Monday."),
        ("Shares rose 5% on Monday.", "Velmar Bank's shares rose again on Monday."),
        # "up", "down", "more", "less" tell a direction before a figure only
        ("The Harlow minister stepped down on Tuesday.",
         "The Harlow minister gave up her post on Tuesday."),
        ("The storm brought down power lines across Velmar.",
         "The storm tore up power lines across Velmar."),
        ("More than 200 homes in Velmar were flooded.",
         "Over 200 homes in Velmar were flooded, less than in 2007."),
    ],
)  # fmt: skip
def test_sentences_on_one_side_are_not_opposed(text: str, other: str) -> None:
    assert not opposed(text, other)


@pytest.mark.parametrize(
    ("language", "bullet", "text", "expected"),
    [
        # a "not" of the story's language keeps the fuller sentence from telling the bullet
        ("de", "Drei Spieler aus Portmere wurden positiv getestet, teilte der Verein mit.",
         "Stürmer Dario Venn ist einer von drei Spielern aus Portmere, die nicht positiv "
         "getestet wurden.", False),
        ("de", "Drei Spieler aus Portmere wurden positiv getestet, teilte der Verein mit.",
         "Stürmer Dario Venn ist einer von drei Spielern aus Portmere, die positiv getestet "
         "wurden.", True),
        ("nl", "Drie spelers van Portmere zijn positief getest, meldde de club.",
         "Spits Dario Venn is een van drie spelers van Portmere die niet positief getest "
         "zijn.", False),
        # "pas" alone is a step, or a word of a name: the French "not" is "ne … pas"
        ("fr", "Trois joueurs de Portmere ont été testés positifs, a indiqué le club.",
         "L'attaquant Dario Venn est l'un des trois joueurs de Portmere testés positifs, après "
         "un séjour dans le Pas-de-Calais.", True),
        ("fr", "Trois joueurs de Portmere ont été testés positifs, a indiqué le club.",
         "L'attaquant Dario Venn est l'un des trois joueurs de Portmere qui n'ont pas été "
         "testés positifs.", False),
        # English's "no" is Portuguese's "in the": no negation there
        ("pt", "Três jogadores do Portmere testaram positivo no domingo, disse o clube.",
         "O atacante Dario Venn é um dos três jogadores do Portmere que testaram positivo no "
         "domingo.", True),
    ],
)  # fmt: skip
def test_a_negation_is_read_in_the_storys_language(
    language: str, bullet: str, text: str, expected: bool
) -> None:
    headline = set(fact_terms("Portmere"))
    weights = source_weights([fact_terms(bullet), fact_terms(text)])
    got = tells_more(
        text, fact_terms(text), bullet, fact_terms(bullet), headline, weights, language=language
    )
    assert got is expected


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("de", "Der Minister ist nicht zurückgetreten."),
        ("de", "Es gab keine Verletzten."),
        ("de", "Er war nie im Amt."),
        ("fr", "Le ministre n'a pas démissionné."),
        ("fr", "Le ministre ne démissionnera jamais."),
        ("es", "El ministro no dimitió."),
        ("it", "Il ministro non si è dimesso."),
        ("pt", "O ministro não renunciou."),
        ("nl", "Er vielen geen gewonden."),
    ],
)
def test_negations_of_each_language(language: str, text: str) -> None:
    assert negates(text, language)


def test_a_negation_is_read_in_english_when_the_language_is_not_known() -> None:
    assert negates("The minister has not resigned.")
    assert negates("The minister has not resigned.", "sv")  # (no list: English's)
    assert not negates("Der Minister ist nicht zurückgetreten.")
    assert not negates("O ministro falou no parlamento.", "pt")


def test_a_step_in_french_is_no_negation() -> None:
    assert not negates("Un premier pas vers un accord dans le Pas-de-Calais.", "fr")
    assert negates("Il n'y a pas eu de blessés dans le Pas-de-Calais.", "fr")


_SET_UP_TITLE = "Dana Holt says salon owes her an apology for 'set up'"
_SET_UP_TITLES = [
    (_SET_UP_TITLE, fact_terms(_SET_UP_TITLE)),
    (t := "Rival calls Holt's Port Arden salon trip latest example of 'privilege'", fact_terms(t)),
    (t := "Commentator on Dana Holt's visit to the hair salon", fact_terms(t)),
]
_SET_UP = (
    "Councillor Dana Holt said she fell for a 'set up' by the salon where she was filmed having "
    "her hair done without wearing a face mask and added the salon owes her an apology."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the bullet's "without" denies the mask, which the retelling does not tell
        ("Council leader Dana Holt says the hair salon set her up.", True),
        # a town a title of the story tells (its source list shows it) names no one new
        ("Council leader Dana Holt says Port Arden hair salon set her up.", True),
        # ... a town no title tells does, and a real "not" stays a "not" with the town
        ("Council leader Dana Holt says Wexbury hair salon set her up.", False),
        ("Council leader Dana Holt says Port Arden hair salon did not set her up.", False),
        # a real "not", a "without" of its own, a figure: kept
        ("Council leader Dana Holt says the hair salon did not set her up.", False),
        ("Council leader Dana Holt says the hair salon set her up without warning.", False),
        ("Council leader Dana Holt says the hair salon set her up 2 times.", False),
        # what the bullet's "without" denies, told: no retelling
        ("Council leader Dana Holt says she was wearing a face mask when the salon set her up.",
         False),
        # an act the bullet does not tell, which may deny its "without": kept
        ("Council leader Dana Holt says she wore a face mask when the salon set her up.", False),
    ],
)  # fmt: skip
def test_a_bullets_without_in_a_retelling(text: str, expected: bool) -> None:
    headline = fact_terms(_SET_UP_TITLE)
    got = retells(text, fact_terms(text), _SET_UP, fact_terms(_SET_UP), headline, _SET_UP_TITLES)
    assert got is expected


@pytest.mark.parametrize(
    ("text", "other", "expected"),
    [
        ("She was filmed at the salon without wearing a face mask, and it set her up.",
         "The salon set her up.", False),
        # an act the "without" text does not tell: "paid" meets no stem of "paying"
        ("She was filmed at the salon without wearing a face mask.", "The salon set her up.",
         True),
        ("He left the salon without paying.", "He paid.", True),
        ("He left the salon without paying.", "He left the salon.", False),
        ("She was filmed at the salon without wearing a face mask.", "She wore a face mask.",
         True),
        ("The bill passed without the senator's vote.", "The senator voted for the bill.", True),
        ("The bill passed without a vote, and the senator left.", "The senator left.", False),
        ("The bill did not pass.", "The senator left.", True),
        ("Das Gesetz kam ohne Abstimmung durch.", "Der Senator stimmte ab.", False),
        ("Das Gesetz kam ohne Abstimmung durch.", "Die Abstimmung war am Montag.", True),
    ],
)  # fmt: skip
def test_a_without_negates_only_what_it_governs(text: str, other: str, expected: bool) -> None:
    language = "de" if "Gesetz" in text else None
    assert negates_against(text, other, language) is expected
    assert negates(text, language)  # (alone, it still reads as a "not")


def test_a_sentence_telling_an_act_a_bullets_without_may_deny_is_kept() -> None:
    # "paid" meets no stem of "paying": the act the bullet's "without" denies, told in
    # another form, keeps the sentence (it says the opposite of the bullet)
    bullet = (
        "Salon owner Kim Lee says councillor Dana Holt left the Port Arden salon without "
        "paying her bill."
    )
    heads = [
        "Dana Holt left Port Arden salon without paying, owner says",
        "Owner says Dana Holt left salon without paying her bill",
    ]
    titles = [(t, fact_terms(t)) for t in heads]
    for text in (
        "Councillor Dana Holt paid the Port Arden salon owner Kim Lee before she left.",
        "Councillor Dana Holt left the Port Arden salon after she paid.",
    ):
        assert not retells(
            text, fact_terms(text), bullet, fact_terms(bullet), fact_terms(heads[0]), titles
        )


@pytest.mark.parametrize(
    ("singular", "plural"),
    [
        ("La crise du logement frappe Varmont.", "Les crises du logement frappent Varmont."),
        ("Un héroe del rescate en Portmere.", "Los héroes del rescate en Portmere."),
        ("A crise da habitação em Varmont.", "As crises da habitação em Varmont."),
        ("La crise a coûté 3 milliards à Varmont.", "Les 2 crises ont coûté 3 milliards."),
    ],
)
def test_a_plural_in_another_language_is_its_singulars_fact_term(
    singular: str, plural: str
) -> None:
    # (English's irregular plurals are English's: French "crises" is no "crisis")
    theirs, mine = fact_terms(singular, english=False), fact_terms(plural, english=False)
    noun = next(iter(fact_terms(singular.split()[1], english=False)))
    assert noun in theirs and noun in mine
    assert noun not in fact_terms(plural)  # (read as English: "crisis", "hero", "analysis")


def test_figures_of_a_text_in_another_language_count_its_plurals_as_singulars() -> None:
    assert "=3:crise" in fact_terms("Varmont a connu 3 crises.", english=False)
    assert "=3:crisis" in fact_terms("Varmont had 3 crises.")


def test_tokens_in_another_language_keep_its_plurals_and_what_english_drops() -> None:
    text = "Les crises de la F.B.I. et les héroes"
    assert tokens(text) == ["les", "crisis", "de", "la", "fbi", "et", "les", "héro"]
    assert tokens(text, english=False) == ["les", "crise", "de", "la", "fbi", "et", "les", "héroe"]
    assert tokens("La crise du logement", english=False) == tokens("La crise du logement")
