"""A story's summary is written in one language: sources in another are listed, not quoted.

Invented fixtures: a bridge closure reported in English by two outlets, and by a broadcaster's
video in Spanish.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from invented_items import source_item as item

from aggregator import summarize as summarize_module
from aggregator import summary_task
from aggregator.config import Settings, build_settings
from aggregator.lang import detect_language
from aggregator.models import Item, Summary
from aggregator.store import Store
from aggregator.story_job import StoryJob, inputs_key
from aggregator.summarize import (
    ExtractiveSummarizer,
    SummarySettings,
    make_summarizer,
    story_language,
    summarize,
)
from aggregator.summary_pool import SummaryPool
from aggregator.tokens import tokens

EN_1 = item(
    1,
    "Harbour bridge closed after cracks found in main span",
    "The harbour bridge was closed to all traffic on Monday after engineers found cracks in "
    "its main span. The city council said the closure would last at least two weeks. "
    "Commuters were told to use the ferry service, which will run every ten minutes.",
    "dailyherald.example",
)
EN_2 = item(
    2,
    "Cracks shut harbour bridge for two weeks",
    "Engineers found cracks in the main span of the harbour bridge during a routine "
    "inspection, and the council closed it to traffic. It is the first closure of the bridge "
    "since it opened in 1962, the council said in a statement.",
    "coastnews.example",
)
ES = item(
    3,
    "Cierran el puente del puerto por grietas en el tramo principal",
    "Los ingenieros encontraron grietas en el tramo principal del puente del puerto y el "
    "ayuntamiento lo cerró al tráfico. Según el ayuntamiento, el cierre durará por lo menos "
    "dos semanas y los viajeros deberán usar el servicio de ferry.",
    "canal5.example",
)


def bullet_texts(items: list[Item], settings: SummarySettings | None = None) -> list[str]:
    summary = summarize(items, settings or SummarySettings())
    return [b.text for b in summary.bullets]


def test_a_source_in_another_language_is_listed_but_not_quoted() -> None:
    summary = summarize([EN_1, EN_2, ES])
    assert summary.bullets
    assert all("puente" not in b.text and "ayuntamiento" not in b.text for b in summary.bullets)
    assert "puente" not in summary.headline
    assert [s.title for s in summary.sources].count(ES.title) == 1  # still a source
    assert summary.outlet_count == 3


ZH = item(
    4,
    "港口大桥主跨发现裂缝 封闭两周",
    "工程师周一在港口大桥主跨发现裂缝，市议会随即封闭大桥。市议会表示，封闭将持续至少两周。"
    "通勤者被告知改乘渡轮，渡轮每十分钟一班。",
    "zhnews.example",
)
AR = item(
    5,
    "إغلاق جسر الميناء بعد اكتشاف تشققات",
    "أغلقت السلطات جسر الميناء أمام حركة المرور يوم الاثنين بعد أن اكتشف المهندسون تشققات في "
    "الجزء الرئيسي. وقال مجلس المدينة إن الإغلاق سيستمر أسبوعين على الأقل.",
    "arnews.example",
)


@pytest.mark.parametrize("other", [ZH, AR], ids=["chinese", "arabic"])
def test_a_source_in_a_script_no_word_count_places_is_listed_but_not_quoted(other: Item) -> None:
    # (their language is told by their script: they had been quoted bullet after bullet)
    summary = summarize([EN_1, EN_2, other])
    assert summary.bullets and all(b.text.isascii() for b in summary.bullets)
    assert [s.title for s in summary.sources].count(other.title) == 1
    alone = summarize([other])
    assert alone.bullets and not any(b.text.isascii() for b in alone.bullets)


def test_a_tie_goes_to_the_readers_language() -> None:
    english = summarize([EN_1, ES])
    assert "bridge" in english.headline
    assert all("puente" not in b.text for b in english.bullets)
    spanish = summarize([EN_1, ES], SummarySettings(language="es"))
    assert "puente" in spanish.headline
    assert spanish.bullets and all("bridge" not in b.text for b in spanish.bullets)


def test_a_story_in_one_language_loses_nothing() -> None:
    assert any("ayuntamiento" in text for text in bullet_texts([ES]))
    both = summarize([EN_1, EN_2])
    assert {n for b in both.bullets for n in b.sources} == {0, 1}  # each source supplies one


def test_story_language() -> None:
    factual = [True, True, True]
    assert story_language(["en", "en", "es"], factual, [50, 50, 90], "es") == "en"
    assert story_language(["en", "es", None], factual, [10, 90, 5], "en") == "en"  # tie
    assert story_language(["en", "es", None], factual, [10, 90, 5], "fr") == "es"  # more text
    assert story_language(["en", None, "en"], factual, [1, 2, 3], "en") is None  # one language
    assert story_language(["en", "es", "es"], [True, False, False], [1, 2, 3], "fr") is None


def test_the_readers_language_follows_the_published_feeds_unless_set() -> None:
    def language(values: dict[str, dict[str, str]]) -> str:
        summarizer = make_summarizer(build_settings(values))
        assert isinstance(summarizer, ExtractiveSummarizer)
        return summarizer.settings.language

    assert language({}) == "en"
    assert language({"publish": {"language": "de"}}) == "de"
    assert language({"publish": {"language": "de"}, "summary": {"language": "fr"}}) == "fr"


def test_an_items_language_is_worked_out_once_and_the_memo_stays_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []

    def counted(text: str) -> str | None:
        calls.append(text)
        return detect_language(text)

    monkeypatch.setattr(summarize_module, "detect_language", counted)
    monkeypatch.setattr(summarize_module, "_languages", OrderedDict())
    monkeypatch.setattr(summarize_module, "_LANGUAGES_MAX", 2)
    first = bullet_texts([EN_1, EN_2])
    assert len(calls) == 2
    assert bullet_texts([EN_1, EN_2]) == first  # the same bullets, the languages remembered
    assert len(calls) == 2
    bullet_texts([EN_1, EN_2, ES])
    assert calls[2:] == [f"{ES.title}\n{ES.text}"]
    assert len(summarize_module._languages) == 2
    for one in (EN_1, EN_2, ES):
        assert summarize_module.item_language(one) == detect_language(f"{one.title}\n{one.text}")
    assert summarize_module.item_language(ZH) == "zh"  # (its script tells it)


def test_a_quote_in_another_language_than_its_reports_own_words_is_no_bullet() -> None:
    # an English report whose teaser quotes an official in Spanish
    quote = item(
        4,
        "Harbour bridge to reopen in May? The council is already working on it",
        "“Vamos a abrir el puente en mayo para que los viajeros no tengan que usar el ferry "
        "todos los días,” the council's deputy engineer said. The council said the repairs "
        "would cost four million dollars and take most of the spring.",
        "dailyherald.example",
    )
    texts = bullet_texts([quote])
    assert texts and all("puente" not in t for t in texts)
    assert any("four million dollars" in t for t in texts)
    # a quote in the report's own language stays, as does a short one in another
    english = item(
        5,
        "Harbour bridge to reopen in May",
        "“We will open the bridge in May so that commuters no longer need the ferry every "
        "day,” the council's deputy engineer said on Monday.",
        "dailyherald.example",
    )
    assert any("ferry every day" in t for t in bullet_texts([english]))
    short = item(
        6,
        "Harbour bridge to reopen in May",
        "The council's deputy engineer said the bridge would reopen in May, calling the "
        "repairs “un trabajo enorme” that had taken most of the spring and four million dollars.",
        "dailyherald.example",
    )
    assert any("trabajo" in t for t in bullet_texts([short]))


def test_a_tie_goes_to_the_language_of_the_storys_category() -> None:
    # (an English site; the story's category is marked language="es" in the OPML)
    for tag in ("es", "es-MX", "ES"):
        spanish = ExtractiveSummarizer().summarize([EN_1, ES], None, tag)
        assert "puente" in spanish.headline
        assert spanish.bullets and all("bridge" not in b.text for b in spanish.bullets)
    english = ExtractiveSummarizer(SummarySettings(language="es")).summarize([EN_1, ES], None, "en")
    assert "bridge" in english.headline
    # without a language of its category, a majority is not a tie: the readers' does not
    # outweigh it
    readers = ExtractiveSummarizer(SummarySettings(language="es")).summarize([EN_1, EN_2, ES])
    assert "puente" not in readers.headline


def test_the_categorys_own_language_outweighs_a_majority_when_a_source_writes_it() -> None:
    # (two English reports and one Spanish one, in a category the OPML marks language="es":
    # its subscribers read Spanish, and the English reports stay listed and counted)
    summary = summarize([EN_1, EN_2, ES], language="es")
    assert "puente" in summary.headline
    assert summary.bullets
    assert all(detect_language(b.text) == "es" for b in summary.bullets)
    assert summary.outlet_count == 3
    assert {s.title for s in summary.sources} >= {EN_1.title, EN_2.title, ES.title}
    # a Spanish headline with no text of its own writes no bullet: the majority's language
    title_only = dataclasses.replace(ES, text="")
    assert "puente" not in summarize([EN_1, EN_2, title_only], language="es").headline
    # the pure rule
    assert story_language(["en", "en", "es"], [True] * 3, [40, 40, 30], "es", True) == "es"
    assert story_language(["en", "en", "es"], [True] * 3, [40, 40, 30], "es") == "en"
    assert story_language(["en", "en", "es"], [True] * 3, [40, 40, 0], "es", True) == "en"


def test_a_category_language_source_without_a_sentence_does_not_unpublish_the_story() -> None:
    # A Spanish video whose description is a line of the channel's own ("Suscríbete a nuestro
    # canal."), or a Google News entry (its headline and publisher), has text but no sentence
    # to summarise: written from it alone, the story had no bullet and was withdrawn; it is
    # written from the majority's reports, as without it.
    for scrap in ("Suscríbete a nuestro canal.", "Vídeo", f"{ES.title}  El Diario del Puerto"):
        clip = dataclasses.replace(ES, text=scrap)
        for tag in ("es", "es-MX"):
            summary = summarize([EN_1, EN_2, clip], language=tag)
            assert summary.bullets, (scrap, tag)
            assert summary == summarize([EN_1, EN_2, clip]), (scrap, tag)


def test_the_categorys_language_reaches_the_summary_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aggregator import bullets

    monkeypatch.setattr(bullets, "MEMO_ITEMS", bullets.MEMO_ITEMS)  # (a worker's setting)
    monkeypatch.setattr(summary_task, "_summarizer", None)
    story = ([EN_1, ES], None, "es")
    (summary,), _ = summary_task.summarise_in_worker(SummarySettings(), [story], {})
    assert "puente" in summary.headline
    pool = SummaryPool(ExtractiveSummarizer(), workers=1)
    try:
        (future,) = pool.submit_to_workers([story]) or []
        assert "puente" in pool.result(future).headline
    finally:
        pool.close()


class _Asked(ExtractiveSummarizer):
    """The extractive summarizer, noting the language each story's tie goes to."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: dict[str, str | None] = {}

    def summarize(
        self,
        items: Sequence[Item],
        previous_headline: str | None = None,
        language: str | None = None,
    ) -> Summary:
        self.asked[items[0].category or ""] = language
        return super().summarize(items, previous_headline, language)


def test_the_story_job_breaks_ties_with_the_opml_language_of_the_storys_category() -> None:
    now = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)
    other = item(9, "Apple growers report a record harvest", "A record harvest. " * 5, "x.example")
    store = Store(":memory:")
    try:
        store.set_category_languages({"Noticias": "es"})
        store.insert_items(
            [
                dataclasses.replace(
                    it,
                    category=category,
                    first_seen=now,
                    guid=it.id,
                    feed_url=f"https://{it.outlet}/feed",
                    content_hash=it.id,
                )
                for it, category in ((EN_1, "Noticias"), (ES, "Noticias"), (other, "World"))
            ]
        )
        asked = _Asked()
        StoryJob(store, Settings(), lambda: now, asked).run()
        assert asked.asked == {"World": None, "Noticias": "es"}
        # its language changed in the OPML: its stories are summarised again, with it
        asked.asked.clear()
        assert store.set_category_languages({"Noticias": "en"})
        StoryJob(store, Settings(), lambda: now, asked).run()
        assert asked.asked == {"Noticias": "en"}
        plain = ExtractiveSummarizer()
        assert (
            inputs_key(plain, [ES], "es")
            != inputs_key(plain, [ES])
            == inputs_key(plain, [ES], None)
        )
    finally:
        store.close()


def test_arabic_sentences_telling_one_fact_with_and_without_articles_are_one_bullet() -> None:
    # (two outlets' reports of a quake; the second writes the rescue line without articles)
    first = item(
        6,
        "زلزال قوي يضرب سواحل تشيلي",
        "ضرب زلزال قوي السواحل الوسطى لتشيلي يوم الاثنين. وقالت السلطات إنها أجلت أكثر من "
        "12500 شخص من مدينة فالبارايسو خوفا من موجات تسونامي. وأضاف المسؤولون أن فرق الإنقاذ "
        "تعمل في المناطق المتضررة.",
        "almina.example",
    )
    second = item(
        7,
        "إجلاء الآلاف بعد زلزال في تشيلي",
        "أجلت السلطات التشيلية الآلاف من سكان مدينة فالبارايسو بعد الزلزال. وقالت سلطات "
        "المدينة إنها أجلت أكثر من 12500 شخص من فالبارايسو خوفا من تسونامي. وقال مسؤولون إن "
        "فرق إنقاذ تعمل في مناطق متضررة.",
        "alkhabar.example",
    )
    texts = [b.text for b in summarize([first, second]).bullets]
    assert texts and sum("فرق" in t and "تعمل" in t for t in texts) == 1
    assert tokens("والإنقاذ في المناطق") == tokens("إنقاذ في مناطق")
    assert tokens("التي الله") == ["التي", "الله"]  # (fewer than three letters left: whole)


def test_a_french_sentence_retelling_a_bullet_with_a_plural_for_its_singular_is_no_bullet() -> None:
    # (English's "crises" is "crisis"; French's is "crise", the bullet's and headline's term)
    first = item(
        1,
        "Le ministre Paul Darnel annonce un plan contre la crise du logement à Varmont",
        "La crise du logement a fait doubler les loyers de la capitale depuis le début de "
        "l'année, selon l'office des statistiques. Le ministre a promis de construire de "
        "nouveaux logements sociaux avant l'été. Les travaux commenceront dans les quartiers "
        "du nord de la ville.",
        "lejournal.example",
    )
    second = item(
        2,
        "Logement: le plan de Varmont critiqué par les locataires",
        "Le ministre Paul Darnel veut mettre fin aux crises du logement qui ont fait doubler "
        "les loyers. Les associations de locataires ont jugé le plan insuffisant et réclament "
        "un gel des loyers. L'opposition demande un débat au parlement sur la question des "
        "logements vides.",
        "lagazette.example",
    )
    texts = bullet_texts([first, second])
    assert sum("doubl" in t for t in texts) == 1
    assert any(t.startswith("La crise du logement a fait doubler") for t in texts)
    assert any(t.startswith("L'opposition demande") for t in texts)  # (in its place)


def test_a_tagalog_sentence_retelling_a_bullet_with_an_english_plural_is_no_bullet() -> None:
    # (Tagalog writes English's words among its own: "crises" is English's "crisis" there)
    first = item(
        1,
        "Kalihim Paul Darnel, may plano laban sa housing crisis ng Varmont",
        "Dahil sa housing crisis, dumoble ang upa sa kabisera mula noong simula ng taon, ayon "
        "sa tanggapan ng estadistika. Nangako ang kalihim na magtatayo ng mga bagong pabahay "
        "bago ang tag-init. Sisimulan ang mga proyekto sa hilagang bahagi ng lungsod.",
        "balita.example",
    )
    second = item(
        2,
        "Plano sa pabahay ng Varmont, binatikos ng mga umuupa",
        "Nais wakasan ni Kalihim Paul Darnel ang mga housing crises na nagpadoble sa upa. "
        "Ayon sa mga samahan ng mga umuupa, kulang ang plano at humihiling sila ng pagpigil "
        "sa pagtaas ng upa. Humihiling ang oposisyon ng debate sa parlamento tungkol sa mga "
        "bakanteng bahay.",
        "pahayagan.example",
    )
    assert {detect_language(f"{it.title}\n{it.text}") for it in (first, second)} == {"tl"}
    texts = bullet_texts([first, second])
    assert sum("dumoble" in t or "nagpadoble" in t for t in texts) == 1
