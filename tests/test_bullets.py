"""Tests of aggregator.bullets: every bullet is a complete, whole, stand-alone sentence."""

from __future__ import annotations

import pytest

from aggregator.bullets import (
    balanced,
    body_sentence_facts,
    body_sentences,
    ends_complete,
    is_truncated,
    needs_context,
    stand_alone,
    without_end_marks,
    without_plug,
)
from aggregator.tokens import word_count

FACT = "The central bank raised its main interest rate by half a point on Tuesday."


@pytest.mark.parametrize(
    ("text", "complete"),
    [
        (FACT, True),
        ('The minister said: "We will not give in."', True),
        ("The rescue went on through the night (officials said).", True),
        ("The rescue went on through the night", False),  # a standfirst, no full stop
        ("The rescue went on through the night...", False),
        ("The rescue went on through the night…", False),
        ("The rescue went on through the night [...]", False),
        ("Officials fear more flooding in the valley?", True),  # closed, if a question
    ],
)
def test_closing_punctuation(text: str, complete: bool) -> None:
    assert ends_complete(text) is complete


@pytest.mark.parametrize(
    ("text", "truncated"),
    [("Read the rest…", True), ("Cut off here ...", True), ("(…)", True), (FACT, False)],
)
def test_truncation(text: str, truncated: bool) -> None:
    assert is_truncated(text) is truncated


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (FACT, FACT),
        (
            "But the ministry said prices would fall next year.",
            "The ministry said prices would fall next year.",
        ),
        ("He's currently fighting a legal case over that last claim.", None),
        ("This is the third such attack this month.", None),
        ("They were taken to hospital in Leeds.", None),
        ("Its shares fell 4% in early trading.", None),
        ("It is unclear whether talks will resume.", "It is unclear whether talks will resume."),
        ("It was expected that the vote would pass.", "It was expected that the vote would pass."),
        ("It is believed to have 200 warheads.", None),
        (
            "However, Texas quarterback Deshaun Watson responded with thoughts of his own.",
            "Texas quarterback Deshaun Watson responded with thoughts of his own.",
        ),
        (
            "Meanwhile, the city council voted to close the bridge.",
            "The city council voted to close the bridge.",
        ),
        (  # a reference's number goes; an index stays
            "The weed grows in any field with moisture and disturbed soil [2][10].",
            "The weed grows in any field with moisture and disturbed soil.",
        ),
        (
            "The name album suggests “egg” [1], after the colour of the leaves.",
            "The name album suggests “egg”, after the colour of the leaves.",
        ),
        (
            "The array a[1] holds the first value of the list on every run.",
            "The array a[1] holds the first value of the list on every run.",
        ),
        (  # an outlet's tag opening a sentence mid-paragraph
            "(HealthDay)—A little jogging is good for your health, researchers say.",
            "A little jogging is good for your health, researchers say.",
        ),
        (  # (no outlet's tag: the sentence stays whole, out of its brackets)
            "(The name of the manuscript lends the film its title.)",
            "The name of the manuscript lends the film its title.",
        ),
        (
            "ROBERT HARDMAN: The director general has simply listened to the public.",
            "The director general has simply listened to the public.",
        ),
        (
            "Plus, the senator weighs in on a bill to ban no-knock warrants.",
            "The senator weighs in on a bill to ban no-knock warrants.",
        ),
        (  # "Plus" without a comma is no connective
            "Plus-size retailers reported higher sales in May.",
            "Plus-size retailers reported higher sales in May.",
        ),
        # a word heading a phrase is no connective: dropped, the phrase's tail would open
        (
            "Instead of sinking, the ferry drifted onto a sandbank near the harbour.",
            "Instead of sinking, the ferry drifted onto a sandbank near the harbour.",
        ),
        (
            "So far, the council has not said when the bridge will reopen.",
            "So far, the council has not said when the bridge will reopen.",
        ),
        (
            "Besides 8,000 followers online, the band has a mailing list of fans.",
            "Besides 8,000 followers online, the band has a mailing list of fans.",
        ),
        (
            "In addition to starring in the series, Fey is its head writer.",
            "In addition to starring in the series, Fey is its head writer.",
        ),
        (
            "As a result of the vote, the bill failed in the Senate on Monday.",
            "As a result of the vote, the bill failed in the Senate on Monday.",
        ),
        (
            "At the same time as the vote, crowds gathered outside parliament.",
            "At the same time as the vote, crowds gathered outside parliament.",
        ),
        ("After that meeting, the council voted to close the bridge.", None),
        (
            "In addition, the council voted to close the bridge for a year.",
            "The council voted to close the bridge for a year.",
        ),
        # a link back that says only that it is one
        (
            "Despite this, the council voted to close the bridge for a year.",
            "The council voted to close the bridge for a year.",
        ),
        (
            "In response, the council voted to close the bridge for a year.",
            "The council voted to close the bridge for a year.",
        ),
        (
            "In response to the flood, the council voted to close the bridge.",
            "In response to the flood, the council voted to close the bridge.",
        ),
        (
            "Instead, the council voted to close the bridge for a year.",
            "The council voted to close the bridge for a year.",
        ),
        (
            "So the council voted to close the bridge for a year.",
            "The council voted to close the bridge for a year.",
        ),
    ],
)
def test_stand_alone(sentence: str, expected: str | None) -> None:
    assert stand_alone(sentence) == expected


def test_needs_context_sees_through_an_opening_quote() -> None:
    assert needs_context("“They will pay for this,” the president said.")
    assert not needs_context("“We will rebuild,” the mayor said.")


def test_split_quote_is_joined_back_whole() -> None:
    text = (
        'The mayor spoke at noon. "We have lost homes. We have not lost hope," the mayor said. '
        "Crews worked through the night to clear the roads."
    )
    sentences = body_sentences(text, [])
    assert '"We have lost homes. We have not lost hope," the mayor said.' in sentences
    assert all(s.count('"') % 2 == 0 for s in sentences)


def test_body_sentences_come_with_their_word_counts() -> None:
    long = (
        "The council approved the new flood barrier for the old harbour district on Monday "
        "after a long debate; critics said the plan would cost far more than the city had "
        "promised and that the work would take at least four years to finish in full."
    )
    text = f"{FACT} {long} 地震で港の堤防が壊れ、住民は避難所で一夜を過ごしました。"
    counted = [(s, n) for s, n, _ in body_sentence_facts(text, [], max_words=25)]
    assert [s for s, _ in counted] == body_sentences(text, [], max_words=25)
    assert counted[1][0] != long  # cut at its clause break: the cut sentence is counted
    assert [n for _, n in counted] == [word_count(s) for s, _ in counted]


def test_a_quote_never_closed_is_dropped() -> None:
    text = (
        '"The flood came at night and took everything we had built over the years. '
        "Crews worked through the night to clear the main roads into town."
    )
    sentences = body_sentences(text, [])
    assert all(s.count('"') % 2 == 0 for s in sentences)
    assert "Crews worked through the night to clear the main roads into town." in sentences


def test_a_quote_whose_closing_mark_is_missing_is_not_paired_with_the_next() -> None:
    # The book's title never closes, so its opening quote pairs with the next quote's
    # opening: four marks, an even count, and the last sentence's quote left open.
    text = (
        'The correspondent, author of "Front Row at the Palace, says he is often asked why. '
        '"Our job is to be there," he says. "The insults do not matter. '
        "Crews worked through the night to clear the main roads into town."
    )
    sentences = body_sentences(text, [])
    assert not any("Front Row" in s for s in sentences)
    assert "Crews worked through the night to clear the main roads into town." in sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"We won," he said.', True),
        ('He called it "fake" and "a hoax."', True),
        ('Critics ("the few") objected.', True),
        ('She said:"no" to the plan.', True),  # a mark whose sides are unclear: not judged
        ('It takes a 6" pipe and a 7" pipe.', True),  # inches, not quotes
        ('Author of "Front Row, he said. "The insults do not matter.', False),
        ('He said "yes.', False),  # an odd count
        ("“A “nested” quote,” he said.", True),
        ("”Closed before it opened,“ he said.", False),
        ("The plan (announced Monday was dropped.", False),
    ],
)
def test_balanced_pairs_quotes_in_order(text: str, expected: bool) -> None:
    assert balanced(text) is expected


def test_cut_off_and_unpunctuated_text_is_never_a_candidate() -> None:
    text = (
        "Residents were evacuated from three villages after the dam failed on Monday.\n"
        "Emergency crews from four counties are working to shore up the remaining\n"
        "The regional governor declared a state of emergency and asked for army help…"
    )
    assert body_sentences(text, []) == [
        "Residents were evacuated from three villages after the dam failed on Monday."
    ]


@pytest.mark.parametrize("marks", ["...", ". . .", "…", "###", "■", "👍👍", "!" * 5000])
def test_marks_after_a_sentences_end_are_left_out(marks: str) -> None:
    # (an elision, a press release's end mark, a separator: the sentence was dropped as cut off)
    assert body_sentences(f"{FACT} {marks}", []) == [FACT]
    assert body_sentences(f'The minister said: "We will not give in." {marks}', []) == [
        'The minister said: "We will not give in."'
    ]


def test_closing_quotes_after_a_sentences_end_stay() -> None:
    quoted = "She said: 'The central bank raised its main rate by half a point on Tuesday.' \""
    assert without_end_marks(quoted) == quoted
    assert without_end_marks(f"{FACT[:-1]}...") == f"{FACT[:-1]}..."  # cut off, left as it is


def test_a_title_restated_as_a_sentence_is_dropped() -> None:
    title = "Tisza dam breaks after storm, flooding three villages"
    text = (
        "Tisza dam breaks after storm, flooding three villages. "
        "The regional governor declared a state of emergency on Monday evening."
    )
    assert body_sentences(text, [title]) == [
        "The regional governor declared a state of emergency on Monday evening."
    ]


def test_a_longer_lead_that_contains_the_title_is_kept() -> None:
    title = "Tisza dam breaks"
    lead = "The Tisza dam broke after a storm on Monday, flooding three villages downstream."
    assert body_sentences(lead, [title]) == [lead]


def test_a_channels_calls_to_action_are_never_bullets() -> None:
    text = (
        "The river burst its banks in three towns on Tuesday night. "
        "Watch the latest episodes of your favourite news shows here! "
        "Subscribe to our channel and click the bell button to catch the latest videos. "
        "Stay tuned for more updates from our reporters in the region. "
        "You can unsubscribe at any time. "
        "Officials said more than 400 homes were flooded."
    )
    assert body_sentences(text, [], 45, 6) == [
        "The river burst its banks in three towns on Tuesday night.",
        "Officials said more than 400 homes were flooded.",
    ]


def test_notes_to_the_reader_are_never_bullets() -> None:
    text = (
        "Warning: This story discusses suicide and may be distressing for some readers. "
        "A nurse who worked through the outbreak has died, her brother told reporters. "
        "This video may be upsetting to some viewers and shows the flooded main street. "
        "If you or someone you know needs support, call the free Lifeline helpline on 0800 123. "
        "Follow Radio Example's live blog for the latest. "
        "Follow the money, the auditor told the committee on Friday afternoon."
    )
    assert body_sentences(text, []) == [
        "A nurse who worked through the outbreak has died, her brother told reporters.",
        "Follow the money, the auditor told the committee on Friday afternoon.",
    ]


def test_a_pages_asks_of_its_reader_are_never_bullets() -> None:
    text = (
        "Please keep posting your photos of the flood in the comments. "
        "The river burst its banks in three towns on Tuesday night. "
        "Let us know in the comments or send an email to the author. "
        "Visit the Example Health website for more about sleep and memory. "
        "Download the Example Weekly app now! "
        "Officials said more than 400 homes were flooded. "
        "Visitors to the town were turned away for more than a day, the police said. "
        "Downloads of the flood app rose tenfold, its maker said on Wednesday. "
        "Then share your own photos of the flood in the comments. "
        "The mayor is enduring some ribbing in the comments on the council's video."
    )
    assert body_sentences(text, []) == [
        "The river burst its banks in three towns on Tuesday night.",
        "Officials said more than 400 homes were flooded.",
        "Visitors to the town were turned away for more than a day, the police said.",
        "Downloads of the flood app rose tenfold, its maker said on Wednesday.",
        "The mayor is enduring some ribbing in the comments on the council's video.",
    ]


def test_brackets_asides_and_answers_without_their_questions() -> None:
    """A sentence wholly in brackets loses them, an aside in brackets and a Q&A's answer are
    no bullets, nor is a fragment cut off after a reference."""
    text = (
        "The council approved the new harbour bridge on Tuesday night. "
        "(The bridge will be the longest in the country when it opens in 2027.) "
        "(Update: The mayor's office responded, calling the vote a disgrace.) "
        "(Related: The bridge that nobody wanted, and why it matters now.) "
        "(Below, see the bridge from the air in a new video from the council.) "
        "(Example News) The ferry company said it would cut its harbour crossings by half. "
        "2] and a delay of a full day (Exp. 2) made the harbour crossings twice as long. "
        "A: Before anything else, sign the back of the ferry ticket you bought. "
        "A. Sample, the ferry company's chief, said the crossings would resume in May."
    )
    assert body_sentences(text, []) == [
        "The council approved the new harbour bridge on Tuesday night.",
        "The bridge will be the longest in the country when it opens in 2027.",
        "The ferry company said it would cut its harbour crossings by half.",
        "A. Sample, the ferry company's chief, said the crossings would resume in May.",
    ]


def test_a_pages_labelled_lines_are_no_bullets() -> None:
    """A credit, a disclosure, an advisory, a film's rating and cast, a figure's number, a
    video's kind and a pointer to more, each behind its label, are the page's, not the news;
    a label that names the news ("Kong: …", a speaker's "Mayor Sample: …") stays."""
    text = (
        "The council approved the new harbour bridge on Tuesday night. "
        "Credit: Sam Example, Exampleton University Press Office. "
        "Disclosure: The author holds no shares in any company named in this article. "
        "Advisory: This film contains scenes of peril and mild language. "
        "MPAA rating: PG-13 for action violence and some strong language. "
        "With: Jo Sample, Sam Example, Ann Example and Ben Sample as the harbour master. "
        "Figure 2: A map of the harbour bridge's route across the estuary at Exampleton. "
        "Raw: Heavy snow closes the harbour bridge and the ferry crossings. "
        "Explore further: Bridges in cold climates crack less than engineers expected. "
        "Note: By submitting this form, you agree to the terms of the harbour office. "
        "Kong: Skull Island opens in cinemas across the country on Friday, its studio said. "
        "Mayor Sample: The bridge will open in May, a year later than first planned."
    )
    assert body_sentences(text, []) == [
        "The council approved the new harbour bridge on Tuesday night.",
        "Kong: Skull Island opens in cinemas across the country on Friday, its studio said.",
        "Mayor Sample: The bridge will open in May, a year later than first planned.",
    ]


def test_pointers_to_the_page_around_the_text_are_never_bullets() -> None:
    text = (
        "Below is the full text of the mayor's letter to the council, in translation. "
        "The council approved the new harbour bridge on Tuesday night. "
        "Read on for the reactions of the harbour's ferry crews and its fishermen. "
        "Click through the slideshow below for the bridge's best moments on film. "
        "The video shown here explains how the bridge's central span will be lifted. "
        "You'll also find behind the scenes videos and other great web exclusives. "
        "The harbour office published the following image of the finished bridge. "
        "Example transcripts are created on a rush deadline by a contractor of the station. "
        "Prices rose above the forecast for a third month, the statistics office said. "
        "The new span sits 30 metres above the water, the engineers said on Monday."
    )
    assert body_sentences(text, []) == [
        "The council approved the new harbour bridge on Tuesday night.",
        "Prices rose above the forecast for a third month, the statistics office said.",
        "The new span sits 30 metres above the water, the engineers said on Monday.",
    ]


def test_an_accounts_and_an_error_pages_notes_are_never_bullets() -> None:
    text = (
        "Please check your email and click on the link to activate your account. "
        "The council approved the new harbour bridge on Tuesday night. "
        "Sorry, the page you requested could not be found on this server today. "
        "If you are trying to reach a page from a bookmark, the page URL may have changed. "
        "If you need more information about your membership, please visit our help center. "
        "Shop or log into your account to skip the month by the fifth of the month. "
        "Members will be charged on the sixth of each month until you cancel the plan. "
        "When you tweet with a location, the site stores that location for later. "
        "The bank froze the account of the harbour company in March, its lawyers said. "
        "Residents were told to check their email for flood alerts, the mayor said."
    )
    assert body_sentences(text, []) == [
        "The council approved the new harbour bridge on Tuesday night.",
        "The bank froze the account of the harbour company in March, its lawyers said.",
        "Residents were told to check their email for flood alerts, the mayor said.",
    ]


def test_a_paywalls_and_a_missing_pages_notes_are_never_bullets() -> None:
    text = (
        "The council approved the new harbour bridge on Tuesday night. "
        "Log in here to read the rest of this article and all our coverage. "
        "Already a subscriber? "
        "Get unlimited digital access to our journalism for the price of a coffee. "
        "Try searching our site or return to the homepage for the latest stories. "
        "The mayor was already a member of the harbour board before the vote, she said. "
        "Inmates had unlimited access to the prison's telephones for years, the report found. "
        "Fans can read the rest of the programme on the club's website from Friday, it said."
    )
    assert body_sentences(text, []) == [
        "The council approved the new harbour bridge on Tuesday night.",
        "The mayor was already a member of the harbour board before the vote, she said.",
        "Inmates had unlimited access to the prison's telephones for years, the report found.",
        "Fans can read the rest of the programme on the club's website from Friday, it said.",
    ]


def test_a_meters_an_appeals_and_an_error_pages_lines_are_never_bullets() -> None:
    furniture = [
        "You have reached your limit of free articles this month.",
        "You've read all your free articles for this month.",
        "Create a free account to keep reading this story.",
        "Support independent journalism by becoming a member today.",
        "Your support helps us keep our reporting free for everyone to read.",
        "We rely on readers like you to fund our journalism.",
        "Please disable your ad blocker to continue using the site.",
        "Our website uses cookies to give you the best experience.",
        "The requested URL was not found on this server.",
        "Error 404: the page does not exist.",
        "Access to this page has been denied because we believe you are using automation tools.",
        "Sorry, this content is not available in your region.",
    ]
    news = [
        "The council approved the new harbour bridge on Tuesday night.",
        "The fund will support independent journalism in Hungary, its director said.",
        "Use of ad blockers rose by a third last year, the survey found.",
        "The website uses cookies to track users across the web, regulators said.",
        "Users can read up to ten free articles a day under the new plan, the publisher said.",
        "Access to the border crossing has been denied to aid trucks since Monday, the UN said.",
        "Officials said the records did not exist, according to the lawsuit filed on Monday.",
    ]
    lines = [*furniture]
    for n, line in enumerate(news):  # each news sentence among the furniture
        lines.insert(2 * n + 1, line)
    assert body_sentences(" ".join(lines), []) == news


def test_a_doubled_full_stop_is_one() -> None:
    assert stand_alone("The council debates the new harbour bridge on Tuesday..") == (
        "The council debates the new harbour bridge on Tuesday."
    )
    assert stand_alone("The council debates the new harbour bridge on Tuesday...") == (
        "The council debates the new harbour bridge on Tuesday..."
    )  # (an ellipsis: `is_truncated` refuses the sentence as cut off)


def test_a_programmes_plug_in_the_news_sentence_goes_and_the_news_stays() -> None:
    """A Tagalog plug ("Abangan sa …", watch for it in …) sharing a sentence with the news
    had taken the news with it, or stayed on its end; a plug alone is still no bullet."""
    text = (
        "Abangan sa Example Oras mamaya ang buong detalye: arestado na ang suspek sa "
        "pamamaril sa Keldon noong Lunes ng gabi. "
        "Dalawang tao ang sugatan sa pamamaril sa palengke ng Keldon, abangan sa Example "
        "Oras ang buong ulat. "
        "Subaybayan ang Example Saksi — sarado ang tulay ng Keldon hanggang Biyernes ayon sa "
        "konseho. "
        "Abangan sa Example Oras ang buong detalye. "
        "Sinabi ng pulis na abangan sa Lunes ang resulta ng imbestigasyon sa Keldon."
    )
    assert body_sentences(text, []) == [
        "Arestado na ang suspek sa pamamaril sa Keldon noong Lunes ng gabi.",
        "Dalawang tao ang sugatan sa pamamaril sa palengke ng Keldon.",
        "Sarado ang tulay ng Keldon hanggang Biyernes ayon sa konseho.",
        "Sinabi ng pulis na abangan sa Lunes ang resulta ng imbestigasyon sa Keldon.",
    ]


def test_the_news_own_look_out_for_is_no_plug() -> None:
    """An "abangan" is the news's own look-out when it names neither the report nor only the
    programme (a forecast's rain, a storm's coming, a day's decision): the sentence stays
    whole, at either end."""
    for sentence in (
        "Ayon sa PAGASA, abangan ang malakas na ulan sa Metro Manila ngayong gabi.",
        "Nagbabala ang PAGASA sa publiko, abangan ang pag-ulan sa hapon.",
        "Umakyat ang presyo ng bigas; abangan ang pagbaba nito sa susunod na buwan.",
        "Nagpulong ang konseho ng Keldon, abangan sa Lunes.",
        "Abangan ang pagdating ng bagyo sa Keldon; inaasahang tatama ito sa lupa sa Biyernes.",
    ):
        assert without_plug(sentence) == sentence
    for plug in ("abangan sa Example Oras mamaya", "tutukan ang Example Saksi ngayong gabi"):
        assert without_plug(f"Sarado ang tulay ng Keldon, {plug}.") == "Sarado ang tulay ng Keldon."


def test_a_newsletters_own_lines_are_no_bullets() -> None:
    text = (
        "Get access to Example Evening News on Example Play if you are watching overseas. "
        "The council approved the new harbour bridge on Tuesday night. "
        "A late vote in Example Town, and some court news: This is your morning tip sheet. "
        "And what else you need to know today. "
        "Here's what you need to know about the new parking rules. "
        "Voters need to know where to vote, the clerk said on Monday. "
        "Residents get access to the new park from next week, the council said. "
        "Catch the latest news every day, brought to you by Example News in the service of all. "
        "Start your day the right way with a combination of news, sport and weather. "
        "Stay here for the latest data on the harbour works, news and updates. "
        "Tutukan ang mga nagbabagang balita ng buong puwersa ng Example News. "
        "Example Tonight is Example TV's flagship newscast, anchored by Sam Example and Jo Sample. "
        "Evening Report is the flagship news programme of Example Radio. "
        "Start times for the harbour ferries change from Monday, the operator said. "
        "Stay-at-home orders for the harbour district end on Monday, the council said. "
        "Stay here, the police told residents of the harbour district as the fire spread. "
        "The ferry is the company's flagship vessel and carries 400 cars, the operator said."
    )
    assert body_sentences(text, []) == [
        "The council approved the new harbour bridge on Tuesday night.",
        "Voters need to know where to vote, the clerk said on Monday.",
        "Residents get access to the new park from next week, the council said.",
        "Start times for the harbour ferries change from Monday, the operator said.",
        "Stay-at-home orders for the harbour district end on Monday, the council said.",
        "Stay here, the police told residents of the harbour district as the fire spread.",
        "The ferry is the company's flagship vessel and carries 400 cars, the operator said.",
    ]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Nurse Sam Smith (pictured), 24, was hurt in a crash near his home on Sunday.",
            "Nurse Sam Smith, 24, was hurt in a crash near his home on Sunday.",
        ),
        (
            "The mayor (pictured left with her husband) opened the bridge on Friday.",
            "The mayor opened the bridge on Friday.",
        ),
        (
            "The two rivals (top right) met in the final for the third year running.",
            "The two rivals met in the final for the third year running.",
        ),
        (  # a bracket that says something stays
            "The vote (seen as a test of her leadership) passed easily on Friday.",
            "The vote (seen as a test of her leadership) passed easily on Friday.",
        ),
        (  # between commas: the pointer goes with its commas …
            "Nurse Sam Smith, pictured, was hurt in a crash near his home on Sunday.",
            "Nurse Sam Smith was hurt in a crash near his home on Sunday.",
        ),
        (  # … but a comma closing an apposition stays
            "Former defender Sam Smith, 45, pictured, from Leeds will stand trial in March.",
            "Former defender Sam Smith, 45, from Leeds will stand trial in March.",
        ),
        (
            "The mayor, pictured left with her husband, opened the bridge on Friday.",
            "The mayor opened the bridge on Friday.",
        ),
        (
            "The bridge was opened on Friday by the mayor, pictured.",
            "The bridge was opened on Friday by the mayor.",
        ),
        (  # "pictured" as a verb stays
            "Two men were pictured leaving the bakery on Main Street on Friday.",
            "Two men were pictured leaving the bakery on Main Street on Friday.",
        ),
        ("Pictured: Crowds gathered outside the town hall on Friday.", None),  # a caption
        ("Above: The flooded high street in Example Town on Tuesday.", None),
        (
            "Above all, the council wants the bridge open before winter.",
            "Above all, the council wants the bridge open before winter.",
        ),
    ],
)
def test_a_pointer_to_a_photo_the_bullet_lacks_is_dropped(
    sentence: str, expected: str | None
) -> None:
    assert stand_alone(sentence) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "EASTON (KQXT) — A bakery on Main Street reopened on Monday after the flood.",
            "A bakery on Main Street reopened on Monday after the flood.",
        ),
        (
            "MONDAY, May 4 (Wellness Wire) -- Short naps may help older adults remember names.",
            "Short naps may help older adults remember names.",
        ),
        (
            "PORT ELLEN, Islay (IWR) -- The ferry service resumed after a week of storms.",
            "The ferry service resumed after a week of storms.",
        ),
        (
            "KINGSTON—The council voted to close the old harbour bridge to lorries.",
            "The council voted to close the old harbour bridge to lorries.",
        ),
        (
            "OSLO A court fined the shipping firm two million crowns for the spill.",
            "A court fined the shipping firm two million crowns for the spill.",
        ),
        (
            "CLOSE Thousands of ballots are still left to be counted in the county.",
            "Thousands of ballots are still left to be counted in the county.",
        ),
    ],
)
def test_a_dateline_the_cleaner_left_is_dropped(sentence: str, expected: str) -> None:
    assert stand_alone(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "NASA has been confident for a decade that there is an ocean on Europa.",
        "U.S. retailer Ardent Goods agreed to buy a shoemaker for $1.2 billion.",
        "FBI (Federal Bureau) agents searched the house on Tuesday morning.",
        "TSA Administrator Jo Ames announced the change to the rules on Tuesday.",
        "UNICEF A-list ambassadors visited the camp in the spring of last year.",
    ],
)
def test_an_acronym_opening_a_sentence_is_no_dateline(sentence: str) -> None:
    assert stand_alone(sentence) == sentence


def test_a_sentence_cut_at_a_title_is_no_bullet() -> None:
    text = (
        "The president said he still has full confidence in Health Sec. "
        "Duque despite the senators' report.\n"
        "The police command was handed over on Monday by P/Gen. "
        "Archie Example to his deputy.\n"
        "The march through the city honoured Martin Luther King Jr.\n"
        "The new stop opens on Monday at the corner of Main St."
    )
    sentences = body_sentences(text, [])
    assert not any(s.endswith(("Sec.", "Gen.")) for s in sentences)
    assert "The march through the city honoured Martin Luther King Jr." in sentences
    assert "The new stop opens on Monday at the corner of Main St." in sentences


def test_a_call_to_watch_or_listen_is_no_bullet() -> None:
    text = (
        'Watch "Morning Circle" every Monday, Tuesday and Friday at 6pm.\n'
        "Watch: the minister explains the new rules for schools.\n"
        "Listen to the full interview with the coach on our podcast page.\n"
        "Join Jane Example and the team for a fresh look at the day's stories.\n"
        "Check out the rest of our trade fair coverage all week long!\n"
        "Get the Example News app for your phone and tablet!\n"
        "Watch sales in Switzerland fell by a tenth in the first quarter."
    )
    assert body_sentences(text, []) == [
        "Watch sales in Switzerland fell by a tenth in the first quarter."
    ]


@pytest.mark.parametrize(
    "body",
    [
        # Generated sentences: Urdu (ends "۔", no capitals), Hindi ("।"), Russian (Cyrillic
        # capitals after a full stop), Hebrew (no capitals, Latin full stop).
        "شہر کی انتظامیہ نے منگل کو نئے پل کی تعمیر کا اعلان کیا۔ "
        "منصوبے پر تین سال میں کام مکمل ہونے کی توقع ہے۔",
        "नगर प्रशासन ने मंगलवार को नए पुल के निर्माण की घोषणा की। परियोजना तीन साल में पूरी होने की उम्मीद है।",
        "Городские власти во вторник объявили о строительстве нового моста. "
        "Работы планируется завершить через три долгих года.",
        "עיריית העיר הודיעה ביום שלישי על בניית גשר חדש מעל הנהר. "
        "העבודות צפויות להסתיים בתוך שלוש שנים לכל המאוחר.",
    ],
)
def test_sentences_of_other_scripts_make_one_bullet_each(body: str) -> None:
    """A body of two full sentences in a script without capitals or Latin full stops gives two
    bullets, not none (no lower case, no capital start) or one run-on."""
    assert len(body_sentences(f"<p>{body}</p>", [])) == 2


def test_questions_in_other_scripts_are_complete_but_not_bullets() -> None:
    statement = "شہر کی انتظامیہ نے منگل کو نئے پل کی تعمیر کا اعلان کیا۔"
    question = "کیا شہر کا نیا پل اگلے سال تک تیار ہو جائے گا؟"
    assert ends_complete(statement) and ends_complete(question)
    assert body_sentences(f"<p>{statement} {question}</p>", []) == [statement]


@pytest.mark.parametrize(
    ("question", "answer", "after"),
    [
        (
            "¿Habrá réplicas?",
            "Los expertos del instituto sismológico de Almara advierten que sí.",
            "Las autoridades abrieron tres albergues para las familias afectadas.",
        ),
        (
            "Will there be aftershocks?",
            "Experts at the Almara seismological institute say yes.",
            "Officials opened three shelters for families who lost their homes.",
        ),
        (
            "Is the bridge safe to use?",
            "No, the engineers of the Almara council said in their report on Tuesday.",
            "Officials opened three shelters for families who lost their homes.",
        ),
        (
            "Gibt es Nachbeben?",
            "Die Fachleute des Instituts in Almara glauben es nicht.",
            "Die Behörden öffneten drei Notunterkünfte für obdachlose Familien.",
        ),
    ],
)
def test_an_answer_goes_with_the_question_it_answers(
    question: str, answer: str, after: str
) -> None:
    """A question is no bullet, and neither is the yes or no that answers it, meaningless
    alone; a sentence after a question that says something of its own stays, as does the
    same answer after a statement."""
    opening = "A 6.1 earthquake shook the coast of Almara province early on Tuesday morning."
    assert body_sentences(f"{opening} {question} {answer} {after}", []) == [opening, after]
    assert body_sentences(f"{opening} {answer} {after}", []) == [opening, answer, after]
    told = "The council will vote on a relief package for the town on Friday."
    assert body_sentences(f"{opening} {question} {told}", []) == [opening, told]


def test_the_writers_note_about_themselves_is_no_bullet() -> None:
    # A video's description ends with its presenter's note about himself, then credits.
    text = (
        "The mayor of Keldon closed the old bridge after inspectors found cracks in its "
        "pillars.\nSOURCES AND FURTHER READING:\nKeldon bridge report\nAbout me:\n"
        "I was voted the best speller in my class at school. Look for me here every Monday "
        "to find out what is really going on at the town hall.\nCREDITS\nWriter: Sam Example"
    )
    assert body_sentences(text, []) == [
        "The mayor of Keldon closed the old bridge after inspectors found cracks in its pillars."
    ]
    # a sentence that only speaks about someone is kept
    about = "About the same time, the council voted to repair the old bridge next spring."
    assert body_sentences(about, []) == [about]


def test_a_programmes_blurb_is_no_bullet() -> None:
    # A video's or podcast's description says what the programme does, not what happened.
    text = (
        "The Keldon bridge was closed on Monday after inspectors found cracks in two pillars. "
        "See how the town's commuters are coping with the detour. "
        "Meet the engineer who first spotted the cracks during a routine check. "
        "Our science desk takes a look at why old bridges crack in cold weather. "
        "Councillor Sam Example joins the Morning Rundown to weigh in on the repair bill. "
        "Meet the Press host Ann Example asked the minister about the bridge on Sunday. "
        "The council said repairs would cost about 2 million euros. "
        # a guest line, a presenter's, and an event named with nothing told of it
        "Transport Secretary Jo Example joins Ann Host on 'The Morning Desk.' "
        "Keldon TV's Bo Example speaks with commuters stuck at the detour. "
        "The mayor holds a press conference. "
        "The mayor holds a press conference on Tuesday to announce a ferry service."
    )
    assert body_sentences(text, []) == [
        "The Keldon bridge was closed on Monday after inspectors found cracks in two pillars.",
        "Meet the Press host Ann Example asked the minister about the bridge on Sunday.",
        "The council said repairs would cost about 2 million euros.",
        "The mayor holds a press conference on Tuesday to announce a ferry service.",
    ]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (  # markup's space before a comma and a full stop
            "Posted on a trivia site , its creator collated 15 questions on grammar .",
            "Posted on a trivia site, its creator collated 15 questions on grammar.",
        ),
        (  # inside brackets
            "The council ( the city’s own ) voted to close the harbour bridge.",
            "The council (the city’s own) voted to close the harbour bridge.",
        ),
        (  # a figure opening with its point or comma stays
            "The rifle fired a .45 round, and growth was 3 ,5 percent in the year.",
            "The rifle fired a .45 round, and growth was 3 ,5 percent in the year.",
        ),
        (  # a spaced ellipsis stays
            "The council voted to close the bridge . . . and then reopened it.",
            "The council voted to close the bridge . . . and then reopened it.",
        ),
        (  # French typography's space before a colon stays
            "Le maire a dit : « Nous fermons le pont » ce mardi à Paris .",
            "Le maire a dit : « Nous fermons le pont » ce mardi à Paris.",
        ),
    ],
)
def test_a_space_before_punctuation_is_dropped(sentence: str, expected: str) -> None:
    assert stand_alone(sentence) == expected


def test_a_bullet_reads_without_the_space_markup_left() -> None:
    text = (
        "<p>Posted on a trivia site <a href='https://example.com/q'>Quizzer</a> , its creator "
        "collated 15 questions on spelling and grammar for readers .</p>"
    )
    assert body_sentences(text, []) == [
        "Posted on a trivia site Quizzer, its creator collated 15 questions on spelling and "
        "grammar for readers."
    ]


def test_a_shouted_sentence_is_no_bullet() -> None:
    # A broadcast transcript's lines in capitals after a lower-case label, and a gallery's
    # shouted labels; a sentence with many acronyms, or with Latin acronyms in a script without
    # capitals, is no shouting.
    text = (
        "Reporter: FOR TWELVE YEARS THE MAN'S PHOTO HAS APPEARED ON THE STATE'S REGISTRY.\n"
        "Hidden Message: WHEN YOU CAME TO THE SHOW IN KELDON.\n"
        "NATO and the EU told the UN on Monday that the OSCE mission in Keldon would end.\n"
        "中国与WHO、UNESCO、NATO、OECD和IAEA的代表周一在北京签署了合作协议。"
    )
    assert body_sentences(text, []) == [
        "NATO and the EU told the UN on Monday that the OSCE mission in Keldon would end.",
        "中国与WHO、UNESCO、NATO、OECD和IAEA的代表周一在北京签署了合作协议。",
    ]


def test_a_programmes_schedule_is_no_bullet() -> None:
    # A time with its zone alone is news; with a programme's verbs it is the schedule.
    text = (
        "Evening News Exclusive: Jo Sample anchors from Keldon on Monday and Tuesday, "
        "April 3 and 4, at 6:30pm ET.\n"
        "The Late Hour with Sam Example is the network's talk show, airing at 11:35pm EST "
        "and streaming online.\n"
        "Tune into ExampleMoney.com ... at 12:15pm EST to watch the interview live.\n"
        "The airline cancelled every flight scheduled to depart after 8 p.m. CT on Thursday.\n"
        "The minister set a 9 p.m. (3 p.m. ET) deadline for the rebels to free the hostages.\n"
        "The league, which streams its matches to 40 countries, said the final drew 9 million."
    )
    assert body_sentences(text, []) == [
        "The airline cancelled every flight scheduled to depart after 8 p.m. CT on Thursday.",
        "The minister set a 9 p.m. (3 p.m. ET) deadline for the rebels to free the hostages.",
        "The league, which streams its matches to 40 countries, said the final drew 9 million.",
    ]


def test_a_sentence_holding_a_page_separator_is_no_bullet() -> None:
    # " | " parts a page's labels, a caption from its credit and a playlist's rows; prose
    # never writes it.
    text = (
        "The mayor walks to the council floor Wednesday. | Jo Example/DORROWPOST Council "
        "leaders reach budget deal.\n"
        "Frost grips the valley | 1:09 The cold air that brought snow lingered for days.\n"
        "TIMELINE | Two hikers go missing on the ridge above Keldon.\n"
        "The council leaders reached a two-year budget deal on Wednesday evening."
    )
    assert body_sentences(text, []) == [
        "The council leaders reached a two-year budget deal on Wednesday evening."
    ]


def test_a_note_on_the_article_itself_is_no_bullet() -> None:
    # What the outlet changed in the article is about the page; an update's label goes and
    # the news it adds stays.
    text = (
        "This story has been updated to include comments from the Keldon council.\n"
        "Correction: An earlier version of this article misstated the mayor's title.\n"
        "Updated at 9:23 a.m. to correct the name of the ferry's captain.\n"
        "Update 2: We’ve added a later statement from the ferry company.\n"
        "Editor’s note: This post was amended on 9 June to remove a photo.\n"
        "UPDATE, 10:11 p.m. — The ferry company said all 40 passengers were safe.\n"
        "Update: Divers found the ferry's second anchor on Tuesday morning.\n"
        "The council updated its flood maps to include the new harbour wall.\n"
        "An earlier version of the bill had exempted small ferries from the rules."
    )
    assert body_sentences(text, []) == [
        "The ferry company said all 40 passengers were safe.",
        "Divers found the ferry's second anchor on Tuesday morning.",
        "The council updated its flood maps to include the new harbour wall.",
        "An earlier version of the bill had exempted small ferries from the rules.",
    ]


def test_a_writers_turn_to_the_reader_is_no_bullet() -> None:
    text = (
        "Look at the replay of the goal from side on.\n"
        "Just look at the two runners who tie for first place on our list.\n"
        "Have a look at the eight top moments in our gallery of the match.\n"
        "Imagine the queues at the border on the first day of the holidays.\n"
        "Picture a volcanic eruption: fiery lava and smoke billowing skyward.\n"
        "Imagine Dragons played two sold-out nights at the Keldon arena.\n"
        "Pictures of the eruption were shared by thousands of people online."
    )
    assert body_sentences(text, []) == [
        "Imagine Dragons played two sold-out nights at the Keldon arena.",
        "Pictures of the eruption were shared by thousands of people online.",
    ]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "The harbour ferry returned to service on Monday -- two weeks late.",
            "The harbour ferry returned to service on Monday — two weeks late.",
        ),
        (
            "Mayor Ana Reyes -- the town's first -- opened the new bridge on Friday.",
            "Mayor Ana Reyes — the town's first — opened the new bridge on Friday.",
        ),
        # (a word left out in letters and hyphens is no dash)
        (
            "The coach told his striker to keep his a-- at home during the storm.",
            "The coach told his striker to keep his a-- at home during the storm.",
        ),
    ],
)
def test_a_double_hyphen_set_off_by_a_space_is_a_dash(sentence: str, expected: str) -> None:
    assert stand_alone(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "Run the harbour tool with --verbose to see what the server sends back.",
        "The new release adds a flag, --dry-run, that prints each change first.",
        "The harbour service starts with b_serv --port=1234 --db=/tmp/harbour on Monday.",
    ],
)
def test_a_command_line_option_is_no_dash(sentence: str) -> None:
    assert stand_alone(sentence) == sentence


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "The council said the the new harbour bridge has been been delayed until May.",
            "The council said the new harbour bridge has been delayed until May.",
        ),
        (
            "A total of 12 ferries sailed from the port of of Napier on Tuesday.",
            "A total of 12 ferries sailed from the port of Napier on Tuesday.",
        ),
        # (a doubled word that English writes so stays: "that that", "had had", "in in")
        (
            "The mayor said that that decision had had the council's support since March.",
            "The mayor said that that decision had had the council's support since March.",
        ),
        (
            "The new harbour master was sworn in in January after a long search.",
            "The new harbour master was sworn in in January after a long search.",
        ),
    ],
)
def test_a_word_typed_twice_that_english_never_doubles_is_written_once(
    sentence: str, expected: str
) -> None:
    assert stand_alone(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        # (a capital letter's name before an article: "Group A", "from A to Z")
        "Spain finished top of Group A a point ahead of Italy after the last match.",
        "La guía del puerto de A a Z para viajar por la costa este verano.",
        # (other languages write some of the pairs: German's "an an die 300", about 300)
        "Die Stadt schickte Briefe an an die 300 Haushalte am Hafen.",
    ],
)
def test_a_pair_that_is_no_typo_stays(sentence: str) -> None:
    assert stand_alone(sentence) == sentence


def test_a_doubled_article_at_the_start_is_written_once() -> None:
    assert stand_alone("A a new ferry was launched at the harbour by the council on Friday.") == (
        "A new ferry was launched at the harbour by the council on Friday."
    )
    assert stand_alone("The ferry and and the bridge were closed by the council.") == (
        "The ferry and the bridge were closed by the council."
    )


def test_a_name_of_a_doubled_word_stays() -> None:
    sentence = "The band The The played its first concert in a decade on Friday."
    assert stand_alone(sentence) == sentence
    assert stand_alone("The The the band played on Friday to a full harbour hall.") == (
        "The The band played on Friday to a full harbour hall."
    )
