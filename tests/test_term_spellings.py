"""One grouping term for a word however it is spelt: with or without its accents ("Beyoncé",
"Beyonce"), in British or American spelling ("hospitalised", "hospitalized"), in its -ed or
-ing form ("designated", "designates"), as the plural of an -ing noun ("rankings",
"ranking"), and in its -es form after a sibilant ("crashes", "crash"). Invented fixtures
only."""

from __future__ import annotations

import re

import pytest
from invented_items import filler, item

from aggregator import event_links, terms, tokens
from aggregator.cluster import ClusterSettings, cluster_stream
from aggregator.terms import capitalised_terms, fold_marks, grouping_terms


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("beyoncé", "beyonce"),
        ("māngere", "mangere"),
        ("sánchez", "sanchez"),
        ("zoë", "zoe"),
        ("ngô", "ngo"),
        ("plain", "plain"),
        ("straße", "straße"),  # a letter of its own, not a letter with a mark
    ],
)
def test_latin_words_lose_their_accents(written: str, folded: str) -> None:
    assert fold_marks(written) == folded


@pytest.mark.parametrize("written", ["がっこう", "ελλάδα", "москва", "ščが"])
def test_other_scripts_keep_their_marks(written: str) -> None:
    assert fold_marks(written) == written  # (a kana's voicing mark makes another syllable)


def test_a_name_with_and_without_accents_is_one_term_and_one_name() -> None:
    accented = grouping_terms("Zoë Brûlard wins in Königsfeld", "Brûlard won.", 50)
    plain = grouping_terms("Zoe Brulard wins in Konigsfeld", "Brulard won.", 50)
    assert accented == plain
    text = "The skater Zoë Brûlard won in Königsfeld."
    assert capitalised_terms("x", text, 500) == {"zoe", "brulard", "konigsfeld"}


@pytest.mark.parametrize(
    "forms",
    [
        ("designated", "designates", "designate"),
        ("fired", "fires", "fire"),
        ("voted", "voting", "votes"),
        ("closed", "closing", "close"),
        ("troubled", "troubles"),
    ],
)
def test_a_words_ed_and_ing_forms_keep_its_e(forms: tuple[str, ...]) -> None:
    assert len({terms.stem(w) for w in forms}) == 1


def test_an_e_is_put_back_only_where_the_word_had_one() -> None:
    assert terms.stem("visited") == "visit"  # a long stem took no e away
    assert terms.stem("played") == "play"  # (y closes the syllable: no e)
    assert terms.stem("wanted") == "want"


@pytest.mark.parametrize(
    "forms",
    [
        ("rankings", "ranking", "ranked"),
        ("shootings", "shooting", "shoot"),
        ("hearings", "hearing"),
        ("buildings", "building", "build"),
        ("closings", "closing", "closed"),
    ],
)
def test_an_ing_nouns_plural_is_its_singulars_term(forms: tuple[str, ...]) -> None:
    assert len({terms.stem(w) for w in forms}) == 1


def test_short_words_in_ings_keep_what_they_had() -> None:
    assert terms.stem("things") == "thing"  # (its singular keeps its -ing)
    assert terms.stem("kings") == "king"
    assert terms.stem("brings") == "bring"


def _without(monkeypatch: pytest.MonkeyPatch, rule: str) -> None:
    """Terms made without one rule: "fold" (accents kept), "e" (no e put back), "endings"
    (an e put back only where Porter's step 1b puts it), "british" (British spelling kept),
    "ings" (an -ings plural loses its s only) or "sibilant" (an -es after a sibilant loses
    its s only)."""

    if rule == "endings":
        monkeypatch.setattr(terms, "_E_ENDINGS", re.compile(r"(?!)"))
    if rule == "british":
        monkeypatch.setattr(terms, "_american", lambda word: word)
    if rule == "sibilant":
        monkeypatch.setattr(tokens, "_SIBILANT_ES", ())
        monkeypatch.setattr(tokens, "_SIBILANT_E", ())

    def stem(word: str) -> str:
        if rule == "fold":
            return terms._restore_e(word, terms._light_stem(word))
        if rule == "ings" and word.endswith("ings"):
            return terms._light_stem(fold_marks(word))
        return terms._light_stem(fold_marks(word)) if rule == "e" else terms._grouping_stem(word)

    monkeypatch.setattr(terms, "stem", stem)
    monkeypatch.setattr(terms, "_stem_once", stem)
    monkeypatch.setattr(terms, "_ENGLISH_TERMS", {})
    monkeypatch.setattr(event_links, "stem", stem)


def _pair(first: tuple[str, str], second: tuple[str, str]) -> bool:
    a = item("a", *first, minutes=20)
    b = item("b", *second, minutes=50)
    result = cluster_stream([*filler(12), a, b], ClusterSettings())
    return result["a"] == result["b"]


ACCENTED = (
    "Skater Zoë Brûlard takes gold at the Königsfeld games",
    "Zoë Brûlard led from the first lap in Königsfeld and crossed the line two seconds clear "
    "of the field, her coach said after a long season of injuries.",
)
PLAIN = (
    "Zoe Brulard wins Konigsfeld gold",
    "The 19-year-old Zoe Brulard beat the defending champion by a wide margin in Konigsfeld, "
    "officials confirmed on the final evening of the games.",
)


def test_two_reports_writing_a_name_with_and_without_accents_join(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _pair(ACCENTED, PLAIN)
    _without(monkeypatch, "fold")
    assert not _pair(ACCENTED, PLAIN)  # with the accents as written, the pair stays apart


DESIGNATED = (
    "Governor Ilse Marow vows to protect statues on a Varnhold visit",
    "In remarks on Tuesday, Governor Ilse Marow designated Varnhold an Old Harbour Heritage "
    "Town and promised that its statues would stay where they stand.",
)
DESIGNATES = (
    "Marow designates Varnhold an Old Harbour Heritage Town",
    "In remarks on the quay, Ilse Marow named Varnhold the first Old Harbour Heritage Town of "
    "the coast.",
)


def test_two_reports_writing_a_verb_in_two_forms_join(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _pair(DESIGNATED, DESIGNATES)
    _without(monkeypatch, "e")
    assert not _pair(DESIGNATED, DESIGNATES)


RANKINGS = (
    "Tarrow College climbs in the Vessmark rankings",
    "Tarrow College rose five places this year, the Vessmark tables published on Wednesday show, "
    "after a rise in research income and in its share of foreign staff.",
)
RANKING = (
    "Vessmark ranking lifts Tarrow College",
    "",
)


def test_two_reports_writing_an_ing_noun_singular_and_plural_join(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _pair(RANKINGS, RANKING)
    _without(monkeypatch, "ings")
    assert not _pair(RANKINGS, RANKING)


@pytest.mark.parametrize(
    "forms",
    [
        ("sentence", "sentenced", "sentencing", "sentences"),
        ("charge", "charged", "charging", "charges"),
        ("judge", "judged"),
        ("issue", "issued", "issues"),
        ("continue", "continued", "continuing"),
        ("leave", "leaving"),
        ("release", "released", "releasing"),
        ("cause", "caused"),
        ("promise", "promised"),
        ("license", "licensed"),
        ("secure", "secured"),
        ("require", "required"),
        ("declare", "declared"),
        ("seize", "seized"),
        ("challenge", "challenged"),
        ("urge", "urged"),
    ],
)
def test_an_ending_no_word_closes_on_keeps_its_e(forms: tuple[str, ...]) -> None:
    assert len({terms.stem(w) for w in forms}) == 1


@pytest.mark.parametrize(
    ("form", "base"),
    [
        ("banged", "bang"),
        ("visited", "visit"),
        ("monitored", "monitor"),
        ("focused", "focus"),
        ("repaired", "repair"),
        ("appeared", "appear"),
        ("passed", "pass"),
        ("buzzed", "buzz"),
        ("toured", "tour"),
    ],
)
def test_an_ending_a_word_may_close_on_gets_no_e(form: str, base: str) -> None:
    assert terms.stem(form) == terms.stem(base)


SENTENCED = (
    "Orlo Venn sentenced for faked safety papers",
    "A court in Brackmoor sentenced the engineer Orlo Venn to six years on Monday for faking "
    "the safety papers of the reservoir wall that failed last spring, flooding two villages "
    "and closing the valley road for months.",
)
SENTENCE = (
    "Brackmoor dam builder gets long sentence",
    "Orlo Venn will serve the longest sentence a Brackmoor judge has handed down for fraud, "
    "lawyers told reporters outside, as families who lost homes in the flood watched from "
    "the public gallery in silence.",
)


def test_two_reports_writing_a_verb_and_its_noun_join(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _pair(SENTENCED, SENTENCE)
    _without(monkeypatch, "endings")
    assert not _pair(SENTENCED, SENTENCE)


@pytest.mark.parametrize(
    ("british", "american"),
    [
        ("organised", "organized"),
        ("organisation", "organization"),
        ("hospitalised", "hospitalized"),
        ("criticises", "criticizes"),
        ("apologising", "apologizing"),
        ("analysed", "analyzed"),
        ("analyse", "analyze"),
        ("labour", "labor"),
        ("honoured", "honored"),
        ("favourite", "favorite"),
        ("behaviour", "behavior"),
        ("neighbours", "neighbors"),
        ("centre", "center"),
        ("centred", "centered"),
        ("theatres", "theaters"),
        ("fibre", "fiber"),
        ("defence", "defense"),
        ("programme", "program"),
        ("cancelled", "canceled"),
        ("travelling", "traveling"),
        ("labelled", "labeled"),
    ],
)
def test_a_british_spelling_is_the_american_words_term(british: str, american: str) -> None:
    assert terms.stem(british) == terms.stem(american)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("entre", "enter"),  # Spanish and French "between"
        ("compelled", "compelling"),  # (the same word: one l as "compel")
        ("recalled", "recall"),
        ("installed", "install"),
        ("spelled", "spell"),
    ],
)
def test_words_spelt_alike_on_both_sides_keep_their_terms(one: str, other: str) -> None:
    same = one not in ("entre",)
    assert (terms.stem(one) == terms.stem(other)) is same


HOSPITALISED = (
    "Quarry Vale mayor hospitalised with virus",
    "The mayor of Quarry Vale, Ms Ruskett, was hospitalised on Sunday after testing positive, "
    "officials said; her deputy will chair the budget meeting and the harbour board in her "
    "absence.",
)
HOSPITALIZED = (
    "Dana Ruskett hospitalized, Quarry Vale council says",
    "Ruskett, who leads the town of Quarry Vale, caught the virus days ago and is in stable "
    "condition, according to a statement released by her office late in the evening.",
)


def test_two_reports_in_british_and_american_spelling_join(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _pair(HOSPITALISED, HOSPITALIZED)
    _without(monkeypatch, "british")
    assert not _pair(HOSPITALISED, HOSPITALIZED)


@pytest.mark.parametrize(
    "forms",
    [
        ("crashes", "crash", "crashed", "crashing"),
        ("launches", "launch", "launched"),
        ("taxes", "tax", "taxed"),
        ("passes", "pass", "passed"),
        ("businesses", "business"),
        ("caches", "cache", "cached"),
        ("impasses", "impasse"),
        ("axes", "axe"),
    ],
)
def test_an_es_form_after_a_sibilant_is_the_words_term(forms: tuple[str, ...]) -> None:
    assert len({terms.stem(w) for w in forms}) == 1


CRASHES = (
    "Two crashes near Tolvane",
    "Four people were taken to hospital on Friday after two crashes within an hour on the "
    "main road into Tolvane.",
)
CRASH = (
    "Tolvane crash closes harbour street",
    "Emergency crews worked for three hours on Friday at the scene of a crash on Tolvane's "
    "harbour street.",
)


def test_two_reports_writing_a_noun_in_its_es_plural_and_singular_join(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _pair(CRASHES, CRASH)
    _without(monkeypatch, "sibilant")
    assert not _pair(CRASHES, CRASH)  # "crashe" and "crash": no event term in common


@pytest.mark.parametrize(
    ("singular", "plural"),
    [
        # English's irregular plurals are no plurals of another language's words in -e
        (("La crise sanitaire frappe les hôpitaux de Lyon",
          "Le gouvernement a annoncé de nouvelles mesures contre la crise dans la région."),
         ("Les crises sanitaires frappent les hôpitaux de Lyon",
          "Le gouvernement a annoncé de nouvelles mesures contre les crises dans la région.")),
        (("Un héroe de la pandemia en Madrid",
          "Un médico es el héroe de la pandemia en el hospital de Madrid."),
         ("Los héroes de la pandemia en Madrid",
          "Los médicos son los héroes de la pandemia en los hospitales de Madrid.")),
    ],
)  # fmt: skip
def test_a_plural_in_another_language_meets_its_singular(
    singular: tuple[str, str], plural: tuple[str, str]
) -> None:
    one = grouping_terms(*singular, 40)
    many = grouping_terms(*plural, 40)
    assert one[0][0] == many[0][0]  # ("crise", "heroe")
    assert set(one[1]) & set(many[1]) >= {one[0][0]}


def test_an_english_irregular_plural_still_meets_its_singular() -> None:
    one = grouping_terms("The crisis at the port deepens", "The crisis began on Monday.", 40)
    many = grouping_terms("Crises at the port deepen", "The crises began on Monday.", 40)
    assert one[0][0] == many[0][0] == "crisis"
