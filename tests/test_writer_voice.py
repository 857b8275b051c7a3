"""A column or personal essay speaks in its writer's own first person; a report does not.
A sentence that speaks to its reader ("you") is the writer's voice too: never a report's bullet.

Invented items. An item whose opening says "I" outside quotation marks is a personal essay:
alone it is published labelled "Opinion: …"; beside news it never heads the story; and a
bullet in the writer's first person is quoted and attributed (to the byline, else the outlet),
escaped in every output like any other text.
"""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import feedparser
import pytest

from aggregator.feeds import render_feed
from aggregator.item_kinds import item_kind
from aggregator.models import Item, Story
from aggregator.pages import render_story_html
from aggregator.publish import PublishSettings, headline
from aggregator.summarize import ExtractiveSummarizer
from aggregator.writer_voice import (
    addresses_reader,
    byline,
    in_writers_words,
    opens_as_we,
    opens_in_first_person,
    speaks_as_writer,
    titled_in_first_person,
)

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
SETTINGS = PublishSettings(base_url="https://news.example.org/", site_title="Daily")
ESSAY = Item(
    id="essay",
    title="Ten years ago, a stranger pulled me out of a snowdrift",
    text="Somewhere on the night bus between Millbrook and Hollow Creek, I started crying.",
    url="https://courier.example/2025/03/01/stranger-snowdrift.html",
    outlet="courier.example",
    outlet_name="Courier",
    published=NOW - timedelta(hours=1),
)
REPORT = Item(
    id="report",
    title="Snowdrift traps night bus near Hollow Creek",
    text=(
        "A night bus was trapped in a snowdrift near Hollow Creek on Tuesday. "
        "Rescuers freed all 30 passengers by morning, the county said."
    ),
    url="https://wire.example/snowdrift-bus",
    outlet="wire.example",
    outlet_name="Wire Co",
    published=NOW - timedelta(hours=1),
)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I offered to play the board game with my daughter for ten minutes.", "essay"),
        ("The prospect of a fine worries most drivers – me included.", "essay"),
        ("JANE DOE: After six long months, the news has cheered me enormously.", "essay"),
        ("First question time of the term, and the minister was, I'm sorry to say, poor.", "essay"),
        ("COMMENT\nAll the clever people I know expect the mayor to win again.", "opinion"),
    ],
)
def test_an_opening_in_the_writers_first_person_reads_as_a_column(text: str, kind: str) -> None:
    assert opens_in_first_person(text)
    assert item_kind(dataclasses.replace(ESSAY, title="Night bus thoughts", text=text)) == kind


@pytest.mark.parametrize(
    "text",
    [
        "“I was terrified,” said the driver, who stayed with the bus all night.",
        '"I never thought I\'d see it," the mayor told reporters on Tuesday.',
        "‘I couldn’t read or write’: a teacher tells his story of forty years.",
        "Veterans of World War I were honoured at the ceremony on Tuesday.",
        "The F.B.I. said the suspect drove north on I-95 before dawn.",
        "The embassy's investigator (ARSO-I) opened a case in Accra on Tuesday.",
        "The fossil includes metatarsals I to V and two phalanges.",
        "The senator announced a bill on Tuesday:\n\nI will introduce a bill to ban the tolls.",
        "Fans queued for tickets to TLC's My Feet Are Killing Me on Tuesday.",
        "Here is what we know about the storm and what our readers asked us.",
    ],
)
def test_a_report_quoting_or_naming_i_is_not_a_column(text: str) -> None:
    assert not opens_in_first_person(text)
    assert item_kind(dataclasses.replace(REPORT, text=text)) == "news"


@pytest.mark.parametrize(
    "title",
    [
        "I wouldn't want to be in the mayor's shoes this winter",
        "I’m more worried about the phone makers than the council and its parking app",
        "I've stopped reading the harbour reports",
        "Why I sold my flat on the hill",
    ],
)
def test_a_title_in_the_writers_own_i_reads_as_a_column(title: str) -> None:
    assert titled_in_first_person(title)
    # a text with no "I" of its own: the teaser a column's feed gives
    piece = dataclasses.replace(
        REPORT, title=title, text="The new app might be the first tracker that helps us all."
    )
    assert item_kind(piece) == "essay"
    story = _story([piece])
    assert story.summary is not None
    assert headline(story) == f"Opinion: {title}"


@pytest.mark.parametrize(
    "title",
    [
        "I will not resign, says harbour mayor",
        "‘I was very scared’: driver tells of night in the snowdrift",
        "I was very scared - bus driver",
        "Harbour mayor: I am disappointed in the council",
        "I'm A Celebrity: the new camp opens in Wales",
        "I May Destroy You wins the drama award",
        "I'm More Worried About the Phone Makers Than the Council",
        "What should I do about my pension?",
        "I-95 reopens after the snowdrift",
        "Snowdrift traps night bus near Hollow Creek",
    ],
)
def test_a_title_quoting_someone_naming_a_show_or_in_title_case_is_not(title: str) -> None:
    assert not titled_in_first_person(title)
    assert item_kind(dataclasses.replace(REPORT, title=title)) == "news"


@pytest.mark.parametrize(
    "title",
    [
        "I was wrong, harbour minister concedes",
        "I will run again, senator announces",
        "I'm done, striker posts after the final",
        "I am not leaving, mayor tweets",
        "I won't quit, promises coach",
        "I'm not going anywhere, Mayor Doe",
        "I'm not going anywhere—Mayor Doe",
    ],
)
def test_a_title_naming_its_speaker_after_a_comma_or_dash_is_a_report(title: str) -> None:
    assert not titled_in_first_person(title)
    assert item_kind(dataclasses.replace(REPORT, title=title)) == "news"


def test_a_title_whose_i_goes_on_after_a_comma_is_still_a_column() -> None:
    assert titled_in_first_person("I like the bridge plan, but I doubt it will be built")
    assert titled_in_first_person("I sold my flat on the hill, and I don't regret it")


@pytest.mark.parametrize(
    "text",
    [
        'Marchers chanting "I want my town back" filled the square in Hollow Creek on Sunday.',
        "Marchers chanting ‘I Want My Town Back’ filled the square in Hollow Creek on Sunday.",
    ],
)
def test_a_title_opening_with_words_its_text_quotes_is_a_report(text: str) -> None:
    # (a slogan or a chant, quoted by the title without marks or a colon)
    title = "I want my town back marches spread across the valley"
    assert titled_in_first_person(title)  # (a text that does not quote it cannot tell)
    assert not titled_in_first_person(title, text)
    assert item_kind(dataclasses.replace(REPORT, title=title, text=text)) == "news"


@pytest.mark.parametrize(
    "text",
    [
        "The new app might be the first tracker that helps us all.",
        'The mayor told the council "I would not" on Tuesday, and the app went ahead.',
        "A reader wrote \"I wouldn't\" and asked for the app's ‘want to be’ list.",
    ],
)
def test_a_column_whose_text_quotes_other_words_stays_a_column(text: str) -> None:
    title = "I wouldn't want to be in the mayor's shoes this winter"
    assert titled_in_first_person(title, text)
    assert item_kind(dataclasses.replace(REPORT, title=title, text=text)) == "essay"


def test_an_italian_title_opening_with_its_article_i_is_news() -> None:
    # Italian's plural article is "I", before a lower-case word: "I medici …" is a report's
    piece = dataclasses.replace(
        REPORT,
        title="I medici di famiglia scioperano da lunedì",
        text="Lo sciopero dei medici di famiglia è stato confermato per tutta la settimana.",
    )
    assert item_kind(piece) == "news"


ITALIAN = dataclasses.replace(
    REPORT,
    title="Sciopero dei medici di famiglia in tutta la regione",
    text=(
        "I medici di famiglia della regione scioperano da lunedì per tre giorni. "
        "I sindacati chiedono più personale negli ambulatori e turni più brevi. "
        "La giunta regionale ha convocato un incontro per giovedì mattina."
    ),
)


def test_an_italian_report_opening_with_its_article_i_is_news() -> None:
    # The text's "I medici …" is Italian's plural article, no writer's "I"
    assert item_kind(ITALIAN) == "news"
    assert opens_in_first_person(ITALIAN.text or "", "en")
    assert not opens_in_first_person(ITALIAN.text or "", "it")


def test_an_italian_reports_sentences_opening_with_i_are_its_bullets() -> None:
    story = _story([ITALIAN])
    assert story.summary is not None
    texts = [b.text for b in story.summary.bullets]
    assert any(t.startswith("I sindacati chiedono") for t in texts), texts
    assert not any("scrive" in t or "«" in t or "“" in t for t in texts), texts


def test_in_italian_only_the_article_is_read_away() -> None:
    assert not speaks_as_writer("I carabinieri sono arrivati alle nove.", "it")
    assert speaks_as_writer("Il sindaco me lo ha detto ieri sera.", "it")  # ("me": the writer)
    assert speaks_as_writer("I carabinieri sono arrivati alle nove.")  # (unknown: as English)


def test_only_the_opening_counts() -> None:
    later = "A bus was trapped on Tuesday. Rescuers came by morning. I was there too, says one."
    assert speaks_as_writer(later) and not opens_in_first_person(later)


@pytest.mark.parametrize(
    ("author", "title", "text", "name"),
    [
        ("Jane Doe", "The harbour plan", "I think it fails.", "Jane Doe"),
        ("news@courier.example", "The harbour plan, writes JOHN ROE", "I think.", "John Roe"),
        ("Courier", "The harbour plan", "JANE DOE: I think it fails.", "Jane Doe"),
        (None, "Jane Doe: The harbour plan will fail", "I think it fails.", "Jane Doe"),
        # a title that names its subject, not its writer (the text names her too)
        (None, "Jane Doe: The mayor's year", "Jane Doe has had a year. I met her.", ""),
        (None, "COMMENT: The harbour plan", "I think it fails.", ""),
        (None, "Ten years ago, a stranger saved me", "I started crying.", ""),
    ],
)
def test_the_byline_is_told_only_with_confidence(
    author: str | None, title: str, text: str, name: str
) -> None:
    assert byline(author, title, text, "Courier") == name


def test_the_writers_words_are_quoted_whole_and_attributed() -> None:
    said = 'I called it a "plan" and "mistake".'
    assert in_writers_words(said, "Jane Doe", "Courier") == (
        "Jane Doe writes: “I called it a ‘plan’ and ‘mistake’.”"
    )
    assert in_writers_words("I cried.", "", "Courier") == (
        "Writing for Courier, the author says: “I cried.”"
    )
    assert in_writers_words("I cried.", "", "") == "The author writes: “I cried.”"


def _story(items: list[Item]) -> Story:
    summary = ExtractiveSummarizer().summarize(items)
    return Story("s1", "World", summary.headline, NOW, NOW, 1, summary)


def test_an_essay_alone_is_labelled_opinion_and_its_voice_attributed() -> None:
    story = _story([ESSAY])
    assert story.summary is not None
    assert headline(story) == "Opinion: Ten years ago, a stranger pulled me out of a snowdrift"
    (bullet,) = story.summary.bullets
    assert bullet.text == (
        "Writing for Courier, the author says: “Somewhere on the night bus between Millbrook "
        "and Hollow Creek, I started crying.”"
    )
    named = _story([dataclasses.replace(ESSAY, author="Jane Doe")])
    assert named.summary is not None
    assert named.summary.bullets[0].text.startswith("Jane Doe writes: “Somewhere on")


def test_beside_a_report_an_essay_is_listed_as_opinion_and_quoted_never_the_headline() -> None:
    story = _story([ESSAY, REPORT])
    assert story.summary is not None
    assert headline(story) == "Snowdrift traps night bus near Hollow Creek"  # no label: news
    assert [s.label for s in story.summary.sources] == ["Opinion", ""]
    essay = [b.text for b in story.summary.bullets if b.sources == (0,)]
    report = [b.text for b in story.summary.bullets if b.sources == (1,)]
    assert report[0] == "A night bus was trapped in a snowdrift near Hollow Creek on Tuesday."
    assert essay == [
        "Writing for Courier, the author says: “Somewhere on the night bus between Millbrook "
        "and Hollow Creek, I started crying.”"
    ]


def test_a_labelled_column_beside_a_report_still_supplies_no_bullet() -> None:
    column = dataclasses.replace(ESSAY, url="https://courier.example/opinion/stranger.html")
    assert item_kind(column) == "opinion"
    story = _story([column, REPORT])
    assert story.summary is not None
    assert all(b.sources == (1,) for b in story.summary.bullets)


def test_a_news_bullet_quoting_i_stays_as_it_is() -> None:
    said = (
        "“I stayed with the bus all night,” its driver said after the snowdrift near Hollow Creek."
    )
    report = dataclasses.replace(REPORT, text=said + " Rescuers freed all 30 passengers by dawn.")
    assert item_kind(report) == "news"
    story = _story([report])
    assert story.summary is not None
    assert said in [b.text for b in story.summary.bullets]


RESCUED = "Rescuers freed all 30 passengers by morning, the county said."


def _report_bullets(said: str) -> list[str]:
    """The bullets of a news report of the snowdrift whose third sentence is `said`."""
    text = f"A night bus was trapped in a snowdrift near Hollow Creek on Tuesday. {RESCUED} {said}"
    report = dataclasses.replace(REPORT, text=text)
    assert item_kind(report) == "news"
    story = _story([report])
    assert story.summary is not None
    return [b.text for b in story.summary.bullets]


def test_a_reports_sentence_saying_i_outside_quotes_is_no_bullet() -> None:
    # A report's "I" is someone it does not name in that sentence (an interview's answer, a
    # quote that lost its marks), not its writer: read alone, the bullet says nothing of whose.
    texts = _report_bullets("I think the driver is why we all got home that night.")
    assert RESCUED in texts
    assert not any("I think" in t for t in texts)


@pytest.mark.parametrize(
    "sentence",
    [
        "We have asked the county for its figures and will update this story.",
        "We’re grateful for the prayers of everyone who helped on that night.",
        "Our correspondent says the road was closed for a second day.",
        "After ten snowy winters, we're still not sure what to make of the night bus.",
        "In the meantime, our team will keep asking the county for its figures.",
    ],
)
def test_a_sentence_opening_with_we_or_our_is_in_a_voice_a_bullet_would_not_name(
    sentence: str,
) -> None:
    assert opens_as_we(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "“We will reopen the road tomorrow,” the county said on Tuesday.",
        "WE Transit said the night bus would run again on Friday.",
        "Us Weekly reported that the singer was on the night bus.",
        "Rescuers said we should all stay home, the county's message read.",
        "Weather forecasters expect more snow by the weekend.",
        "Ours was the last bus out, the driver said.",
        "But obviously, we're glad the road is open, said the county's road chief.",
        "In the end, we all got home,” the driver said.",
        "On Tuesday, the county said we should stay home.",
        "In Hollow Creek, ours is the last depot still open.",
        # (a quotation's later sentence in single marks, its speaker after a colon, a verb of
        # saying that gives no "you" to anyone)
        "By midnight, we had lost the whole ground floor of the depot.’",
        "By midnight, we had lost the whole ground floor of the depot.'",
        "The driver's message was short: In the end, we all got home safely.",
        "By midnight, we had lost the whole ground floor, Mary Example recalled.",
    ],
)
def test_a_quote_a_name_or_a_we_inside_the_sentence_is_not(sentence: str) -> None:
    assert not opens_as_we(sentence)


def test_an_english_we_after_an_opening_phrase_in_another_language_is_someones_words() -> None:
    # Tagalog's "ayon kay" ("according to") names the mayor whose English words follow
    said = "Ayon kay Mayor Lito Cruz, we will keep the schools closed until the water goes down."
    assert opens_as_we(said)  # (read as English, nothing tells whose)
    assert not opens_as_we(said, "tl")
    assert opens_as_we("We will keep the schools closed until the water goes down.", "tl")
    report = dataclasses.replace(
        REPORT,
        title="Mga paaralan sa Malinaw, isinara dahil sa baha",
        text="Isinara ang lahat ng paaralan sa bayan ng Malinaw dahil sa baha noong Martes. "
        f"{said} Inilikas ang mahigit 300 pamilya sa mga evacuation center ng bayan.",
    )
    story = _story([report])
    assert story.summary is not None
    assert said in [b.text for b in story.summary.bullets]


def test_a_reports_sentence_opening_with_we_is_no_bullet_and_an_essays_is_attributed() -> None:
    statement = "We are thankful for everyone who helped the passengers on that night."
    texts = _report_bullets(statement)
    assert RESCUED in texts
    assert statement not in texts
    essay = dataclasses.replace(
        ESSAY,
        author="Jane Doe",
        text=f"Somewhere on the night bus near Hollow Creek, I started crying. {statement}",
    )
    essay_story = _story([essay])
    assert essay_story.summary is not None
    said = [b.text for b in essay_story.summary.bullets]
    assert any(t.endswith(f"writes: “{statement}”") for t in said)
    assert statement not in said


def test_a_teaser_saying_only_we_still_tells_what_its_piece_is() -> None:
    # The outlet's "We go inside …" is all a video's teaser says: the story keeps it rather
    # than going unpublished; a "you" teaser has no such say (see below).
    teaser = "We go inside the Hollow Creek depot to see how its night drivers cope with snow."
    story = _story([dataclasses.replace(REPORT, text=teaser)])
    assert story.summary is not None
    assert [b.text for b in story.summary.bullets] == [teaser]


@pytest.mark.parametrize(
    "teaser",
    [
        "We go inside the Hollow Creek depot to see how its night drivers cope with snow.",
        "After ten snowy winters, we're still not sure what to make of the night bus.",
    ],
)
def test_a_teaser_saying_only_we_is_no_bullet_where_another_source_tells_the_story(
    teaser: str,
) -> None:
    # (kept above only so that its story has a bullet: here another report gives one)
    ours = dataclasses.replace(REPORT, id="ours", text=teaser, outlet="courier.example")
    story = _story([ours, dataclasses.replace(REPORT, text=f"{RESCUED}")])
    assert story.summary is not None
    assert [b.text for b in story.summary.bullets] == [RESCUED]


def test_the_attribution_is_escaped_in_every_output() -> None:
    hostile = dataclasses.replace(
        ESSAY,
        outlet_name="Smith & <Sons>",
        text="I paid <5 & more for the night bus, and I started crying in the snow.",
    )
    story = _story([hostile])
    assert story.summary is not None
    want = "Writing for Smith & <Sons>, the author says: “I paid <5 & more for the night "
    assert story.summary.bullets[0].text.startswith(want)
    for fmt in ("atom", "rss"):
        xml = render_feed("World", "world", [story], fmt, SETTINGS, NOW)
        assert not feedparser.parse(xml).bozo
        assert b"<5" not in xml and b"<Sons>" not in xml
        root = ET.fromstring(xml)
        bodies = [el.text or "" for el in root.iter() if el.tag.endswith(("content", "encoded"))]
        assert any(
            "Smith &amp; &lt;Sons&gt;, the author says: “I paid &lt;5 &amp;" in b for b in bodies
        )
    doc = json.loads(render_feed("World", "world", [story], "json", SETTINGS, NOW))
    assert "Smith &amp; &lt;Sons&gt;" in doc["items"][0]["content_html"]
    page = render_story_html(story, SETTINGS, [])
    assert "<5" not in page and "Smith &amp; &lt;Sons&gt;, the author says: “I paid &lt;5" in page


@pytest.mark.parametrize(
    ("author", "name"),
    [("By Jane Doe", "Jane Doe"), ("Reuters Staff", ""), ("Courier", ""), ("jane", "")],
)
def test_a_feeds_author_is_a_byline_only_when_it_names_a_person(author: str, name: str) -> None:
    assert byline(author, "The harbour plan", "I think it fails.", "Courier") == name


def test_a_writer_quoted_above_also_writes() -> None:
    said = "I stayed."
    assert in_writers_words(said, "Jane Doe", "Courier", again=True) == (
        "Jane Doe also writes: “I stayed.”"
    )
    assert in_writers_words(said, "", "Courier", again=True) == "The author also says: “I stayed.”"
    assert in_writers_words(said, "", "", again=True) == "The author also writes: “I stayed.”"


def test_an_essays_second_quoted_bullet_says_the_writer_also_writes() -> None:
    essay = dataclasses.replace(
        ESSAY,
        author="Jane O'Doe",
        text=(
            "Somewhere on the night bus between Millbrook and Hollow Creek, I started crying. "
            "My sister had warned me that the snow on the pass would close the road by dusk. "
            "The county ploughs reached the stranded bus only after midnight on Tuesday."
        ),
    )
    story = _story([essay])
    assert story.summary is not None
    texts = [b.text for b in story.summary.bullets]
    assert texts[:2] == [
        "Jane O'Doe writes: “Somewhere on the night bus between Millbrook and Hollow Creek, "
        "I started crying.”",
        "Jane O'Doe also writes: “My sister had warned me that the snow on the pass would close "
        "the road by dusk.”",
    ]
    page = render_story_html(story, SETTINGS, [])
    assert "Jane O&#x27;Doe also writes: “My sister" in page
    unnamed = _story([dataclasses.replace(essay, author=None)])
    assert unnamed.summary is not None
    assert [b.text.split(":")[0] for b in unnamed.summary.bullets[:2]] == [
        "Writing for Courier, the author says",
        "The author also says",
    ]


def test_two_unnamed_writers_of_one_outlet_are_each_introduced() -> None:
    second = dataclasses.replace(
        ESSAY,
        id="essay2",
        title="I walked home from Hollow Creek in the snow",
        text="I walked the nine miles home from Hollow Creek after the night bus stopped.",
        url="https://courier.example/2025/03/01/walked-home.html",
    )
    story = _story([ESSAY, second])
    assert story.summary is not None
    assert [b.text.split(":")[0] for b in story.summary.bullets] == [
        "Writing for Courier, the author says",
        "Writing for Courier, the author says",
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "If you know your American history, then you know that June 19 is Juneteenth.",
        "Five things you need to know about the snowdrift this evening.",
        "Of course ask your parents for permission first.",
        "You can watch the evening bulletin overseas on the channel's app.",
        "Trivia buffs: test your knowledge with today's quiz.",
        "The more tickets you buy, the better your odds of winning.",
        "Make sure when you come home that you put your own shoes away.",
        "Nine months later, there you are at a hospital that seems strangely overcrowded.",
    ],
)
def test_a_sentence_speaking_to_its_reader_addresses_the_reader(sentence: str) -> None:
    assert addresses_reader(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "A night bus was trapped in a snowdrift near Hollow Creek on Tuesday.",
        "“You robbed me of my baby,” the mother told the court.",
        "A little jogging is good for your health, researchers say, but too much might not be.",
        "The mayor said that “if you hold the right view, the rules don't apply to you.”",
        "Laura was asked ‘Why should I believe you’ by a boy during a school session.",
        "The film How to Train Your Dragon 2 opened on Friday, Us Weekly reported.",
        "Demand for seeds is soaring, as are searches for how to grow your own food.",
        "The couple are your average high school sweethearts with ten children.",
        "Youth unemployment rose to 14% in March, the agency's figures show.",
    ],
)
def test_a_sentence_giving_others_words_or_naming_things_does_not(sentence: str) -> None:
    assert not addresses_reader(sentence)


def test_a_reports_sentence_speaking_to_its_reader_is_no_bullet() -> None:
    texts = _report_bullets(
        "If you have ever waited for a night bus, you know how long an hour can be."
    )
    assert RESCUED in texts
    assert not any("you" in t for t in texts)
    teaser = "Everything you need to know about the snowdrift, explained in one minute."
    alone = _story([dataclasses.replace(REPORT, text=teaser)])
    assert alone.summary is not None
    assert alone.summary.bullets == ()  # (a story with no bullet is not published)


def test_an_essays_sentence_speaking_to_its_reader_is_quoted_in_the_writers_name() -> None:
    essay = dataclasses.replace(
        ESSAY,
        author="Jane Doe",
        text=(
            "Somewhere on the night bus between Millbrook and Hollow Creek, I started crying. "
            "If you have never ridden the night bus past Hollow Creek in the snow, you should."
        ),
    )
    story = _story([essay])
    assert story.summary is not None
    texts = [b.text for b in story.summary.bullets]
    aside = "If you have never ridden the night bus past Hollow Creek in the snow, you should."
    assert any(t.startswith("Jane Doe") and t.endswith(f"writes: “{aside}”") for t in texts)
    assert aside not in texts
