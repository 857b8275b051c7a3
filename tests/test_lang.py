"""Language detection: a table of short news texts."""

from __future__ import annotations

import pytest

from aggregator.lang import detect_language, language_tag


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The government said on Tuesday that the talks would continue after the vote.", "en"),
        ("Der Bundestag hat das Gesetz am Donnerstag mit großer Mehrheit beschlossen.", "de"),
        ("Le gouvernement a annoncé que les négociations sont suspendues pour une semaine.", "fr"),
        ("El gobierno anunció que las negociaciones con los sindicatos se han suspendido.", "es"),
        ("O governo anunciou que as negociações com os sindicatos não foram retomadas.", "pt"),
        ("Il governo ha detto che le trattative con i sindacati sono state sospese.", "it"),
        ("De regering heeft gezegd dat het overleg met de bonden niet wordt hervat.", "nl"),
        # Words two languages use often count for both or neither: Dutch's "de" and "en"
        # had made the first two and the last Dutch and the third no guess (the last is now
        # too thin to tell).
        (
            "El alcalde de Toledo anuncia un plan de tráfico para el centro de la ciudad. "
            "La medida entrará en vigor en marzo y afectará a miles de vecinos.",
            "es",
        ),
        (
            "Il y a des embouteillages en Savoie depuis le début de la matinée, "
            "en raison de la neige.",
            "fr",
        ),
        (
            "Un sismo de magnitud 6,1 sacudió la costa de Perú este lunes. "
            "No se reportan víctimas.",
            "es",
        ),
        ("Detenido en Sevilla un hombre acusado de estafar a cientos de personas en la red.", None),
        ("Bakit nagdudulot ng pimple ang face mask at paano ito maiiwasan sa mga tao?", "tl"),
        # Tagalog's "na" (Portuguese's too) counts for both: mixed with English terms such a
        # text had been no guess, or Portuguese
        ("Mga pabrika na bubuksan sa ECQ. Mga lugar na isasailalim sa quarantine na.", "tl"),
        ("Klinika na pinagmulan ng kumalat na test kits sa lungsod, isinara na", "tl"),
        ("A prefeitura abriu uma nova ponte na cidade e o trânsito na região melhorou.", "pt"),
        # Cyrillic: Russian and Ukrainian by the words only one of them writes
        (
            "Государственная дума приняла закон о бюджете. Его поддержали 300 депутатов, "
            "которые голосовали за, и он вступит в силу с января.",
            "ru",
        ),
        (
            "Верховна Рада ухвалила закон про бюджет. Його підтримали 250 депутатів, які "
            "голосували за, і він набуде чинності з січня.",
            "uk",
        ),
        ("Мост открыт. Движение начнётся завтра.", None),
        # Serbian, Macedonian and Belarusian write "и", "с" or "і", "з" too: by their own letters
        (
            "Влада је усвојила буџет за наредну годину, и министар је рекао да ће плате "
            "бити повећане. Опозиција је критиковала план из пакета и гласаће против њега.",
            None,
        ),
        (
            "Міністр сказаў, што дэфіцыт будзе ніжэй і што заробкі ў сектары павялічацца з "
            "студзеня. Апазіцыя і іншыя партыі будуць галасаваць супраць.",
            None,
        ),
        ("Ceasefire", None),  # too little to tell
        ("", None),
        ("東京で地震", None),
    ],
)
def test_detect_language(text: str, code: str | None) -> None:
    assert detect_language(text) == code


@pytest.mark.parametrize(
    ("declared", "tag"),
    [
        ("en-us", "en-US"),
        ("pt_BR", "pt-BR"),
        (" de ", "de"),
        ("zh-Hant-TW", "zh-Hant-TW"),
        ("English", None),  # a name, not a tag
        ("en us", None),
        ("", None),
        (None, None),
    ],
)
def test_a_declared_language_is_kept_only_as_a_tag(declared: str | None, tag: str | None) -> None:
    assert language_tag(declared) == tag
