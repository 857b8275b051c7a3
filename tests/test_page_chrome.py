"""Page chrome that article extraction keeps (a video player's controls, a newsletter prompt,
a text-size widget, a byline) is cleaned away, so it neither opens a title cut from the text
nor ties unrelated items together."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aggregator.batch import group_rows
from aggregator.cluster import ClusterSettings
from aggregator.store import Store
from aggregator.text import clean_text
from aggregator.titles import title_from_text

CONTROLS = "CLOSE Skip in Skip x Embed x Share"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{CONTROLS} A ferry ran aground off Quillan.", "A ferry ran aground off Quillan."),
        ("Skip in Skip x Embed x Share CLOSE Snow shuts Dorrow.", "Snow shuts Dorrow."),
        (
            "Breaking News Emails Get breaking news alerts and special reports. The news and "
            "stories that matter, delivered weekday mornings.\nThe dam broke.",
            "The dam broke.",
        ),
        ("Text Size -\nThe dam broke.\nFont size +", "The dam broke."),
        # News that merely mentions the words stays.
        ("Skiers skip the share of the slope.", "Skiers skip the share of the slope."),
        ("The text size was cut.", "The text size was cut."),
        # A video page's date, transcript notice and sign-up lines.
        (
            "Published on Sep 8, 2015\nA stunt rider cleared the Quillan gorge.",
            "A stunt rider cleared the Quillan gorge.",
        ),
        ("Published on 8 September 2015", ""),
        ("The interactive transcript could not be loaded.\nThe dam broke.", "The dam broke."),
        (
            "Join us on Facebook Like us and you'll find Dorrow news in your feed.\nThe dam broke.",
            "The dam broke.",
        ),
        (
            "Sign up for the Dorrow Daily newsletter Sign up for our daily email newsletter and "
            "get top stories and breaking news delivered to your inbox.\nThe dam broke.",
            "The dam broke.",
        ),
        # Sentences that merely start with the words stay.
        ("He was published on the front page.", "He was published on the front page."),
        (
            "Published on the front page, the letter drew replies.",
            "Published on the front page, the letter drew replies.",
        ),
        (
            "Published on May 3, 2015, the survey found rents rising.",
            "Published on May 3, 2015, the survey found rents rising.",
        ),
        ("Join us on Saturday for the parade.", "Join us on Saturday for the parade."),
        # Bylines, as lines of their own.
        ("By Maren Tolliver\nThe dam broke.", "The dam broke."),
        ("/ Updated By Ivo Marek, Ana Brell. and Tom Kessel\nThe dam broke.", "The dam broke."),
        ("Updated 3:45 PM ET By Ana Brell and Ivo Marek\nThe dam broke.", "The dam broke."),
        ("Posted by Ana O'Brell\nThe dam broke.", "The dam broke."),
        # Sentences that start with "By" stay.
        ("By Tuesday, the river had risen.", "By Tuesday, the river had risen."),
        ("By the end of the year prices fell.", "By the end of the year prices fell."),
        ("By 2030 the Dorrow plant will close.", "By 2030 the Dorrow plant will close."),
        # Photo captions and credits: a caption goes after the article, without its credit;
        # a credit alone goes.
        (
            "Ana Brell waves in Dorrow. (Ivo Marek/Getty Images)\nThe Orlen dam broke.",
            "The Orlen dam broke.\nAna Brell waves in Dorrow.",
        ),
        ("Ana Brell (Photo: Dorrow Police)\nThe dam broke.", "The dam broke.\nAna Brell"),
        ("Ana Brell waves. REUTERS/Ivo Marek\nThe dam broke.", "The dam broke.\nAna Brell waves."),
        (
            "Ana Brell waves. Ivo Marek/Getty Images\nThe dam broke.",
            "The dam broke.\nAna Brell waves.",
        ),
        (
            "The flooded mill. Photo: Ivo Marek/Dorrow Post\nThe dam broke.",
            "The dam broke.\nThe flooded mill.",
        ),
        ("(Dorrow Post Staff Photo/Ivo Marek)\nThe dam broke.", "The dam broke."),
        ("Photo: Dorrow archives\nThe dam broke.", "The dam broke."),
        (
            "Photo illustration by Ana Brell. Photo by Ivo Marek/Getty Images.\nThe dam broke.",
            "The dam broke.",
        ),
        ("Getty Images\nThe dam broke.", "The dam broke."),
        ("Ivo Marek/Dorrow Post\nThe dam broke.\niStock", "The dam broke."),
        ("Media caption The mayor: 'We are ready'\nThe dam broke.", "The dam broke."),
        (
            "Enlarge this image toggle caption Ivo Marek/AP Ivo Marek/AP\nThe dam broke.",
            "The dam broke.",
        ),
        # … and a text that is nothing but a caption (a feed's description) keeps it.
        (
            "Dorrow's mayor opened the new bridge (Ivo Marek/PA)",
            "Dorrow's mayor opened the new bridge",
        ),
        # A credit or label run into the paragraph after it.
        ("Ivo Marek/Getty Images Senator Ana Brell spoke.", "Senator Ana Brell spoke."),
        ("Ivo Marek / AP Senator Ana Brell spoke.", "Senator Ana Brell spoke."),
        ("Buy Photo The Dorrow council met.", "The Dorrow council met."),
        ("Story highlights The Orlen dam broke overnight", "The Orlen dam broke overnight"),
        (
            "The senator waves. | Ivo Marek/AP Photo Senate passes the Orlen dam bill",
            "Senate passes the Orlen dam bill\nThe senator waves.",
        ),
        (  # … and the page's headline after it, run into its standfirst, is a line of its own
            "The senator waves. | Ivo Marek/AP Photo Senate passes the Orlen dam bill The "
            "measure would fund repairs for 10 years.",
            "Senate passes the Orlen dam bill\nThe measure would fund repairs for 10 years.\n"
            "The senator waves.",
        ),
        ("SHARE COPY LINK The Orlen dam broke overnight", "The Orlen dam broke overnight"),
        ("SHARE TWEET EMAIL The Orlen dam broke overnight", "The Orlen dam broke overnight"),
        ("SHARE PRICES fell in Dorrow today", "SHARE PRICES fell in Dorrow today"),
        ("Rain | Snow | Sleet in Dorrow today", "Rain | Snow | Sleet in Dorrow today"),
        ("Rain | Snow/Sleet in Dorrow today", "Rain | Snow/Sleet in Dorrow today"),
        # Page chrome of encyclopedias, share widgets and slideshows.
        (
            "From Wikipedia, the free encyclopedia\nThe Orlen dam is a dam.",
            "The Orlen dam is a dam.",
        ),
        ("Click to email this to a friend (Opens in new window)\nThe dam broke.", "The dam broke."),
        ("Slideshow (2 Images)\nThe dam broke.", "The dam broke."),
        ("Associated Press Tue Feb 19, 2013 7:44 PM\nThe dam broke.", "The dam broke."),
        ("Reuters March 3, 2020\nThe dam broke.", "The dam broke."),
        (
            "Associated Press Feb 19, 2013 reported that the dam broke.",
            "Associated Press Feb 19, 2013 reported that the dam broke.",
        ),
        ("share tweet pin email\nThe dam broke.", "The dam broke."),
        ("Photo Advertisement Continue reading the main story\nThe dam broke.", "The dam broke."),
        (
            "JavaScript is disabled\nYou need to enable JavaScript to play it.\nThe dam broke.",
            "The dam broke.",
        ),
        ("Share the pin with your team.", "Share the pin with your team."),
        # Prose stays: parentheses that are no credit, and long paragraphs whatever they end with.
        ("The plant runs (24/7).", "The plant runs (24/7)."),
        ("Voters may pick one (and/or both).", "Voters may pick one (and/or both)."),
        ("The photo: a dam at dusk.", "The photo: a dam at dusk."),
        ("Story highlights were read aloud.", "Story highlights were read aloud."),
        (
            "The dam broke. " * 25 + "(Photo: Ivo Marek)",
            ("The dam broke. " * 25 + "(Photo: Ivo Marek)"),
        ),
    ],
)
def test_page_chrome_is_cleaned_away(text: str, expected: str) -> None:
    assert clean_text(text) == expected


def _row(item_id: str, text: str, hour: int) -> tuple[dict[str, str], datetime]:
    fields = {"id": item_id, "title": "", "text": text, "url": "",
              "publisher": f"Outlet {item_id}", "category": ""}  # fmt: skip
    return fields, datetime(2024, 3, 4, hour, tzinfo=UTC)


def _grouped(
    rows: list[tuple[dict[str, str], datetime]],
) -> tuple[dict[str, str], dict[str, str]]:
    """Each row's story and stored (cut) title, through the batch path."""
    store = Store(":memory:")
    try:
        stories = group_rows(rows, store, ClusterSettings())
        titles = dict(store.db.execute("SELECT id, title FROM items").fetchall())
    finally:
        store.close()
    return stories, titles


def test_items_opening_with_player_controls_are_not_joined_by_them() -> None:
    rows = [
        _row("ferry", f"{CONTROLS} A ferry ran aground off Quillan harbour on Tuesday. "
             "Coastguard crews lifted forty passengers from the deck. Video provided by Newsy", 9),
        _row("budget", f"{CONTROLS} The Dorrow council passed its school budget on Tuesday "
             "after a long night of votes. Video provided by Newsy", 10),
    ]  # fmt: skip
    stories, titles = _grouped(rows)
    assert stories["ferry"] != stories["budget"]
    assert titles["ferry"].startswith("A ferry ran aground")


def test_a_video_pages_date_does_not_become_its_cut_title() -> None:
    rows = [
        _row("video", "Published on Sep 8, 2015\nThe interactive transcript could not be "
             "loaded.\nA stunt rider cleared the Quillan gorge on a borrowed motorbike.", 9),
    ]  # fmt: skip
    _, titles = _grouped(rows)
    assert titles["video"].startswith("A stunt rider cleared")


def test_a_byline_does_not_become_its_cut_title() -> None:
    rows = [_row("dam", "/ Updated By Ivo Marek and Ana Brell\nThe Orlen dam broke overnight.", 9)]
    _, titles = _grouped(rows)
    assert titles["dam"].startswith("The Orlen dam broke")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A cut title ends with its paragraph …
        (
            "The Orlen dam broke overnight\nRescuers reached Dorrow at dawn.",
            "The Orlen dam broke overnight",
        ),
        # … unless that paragraph is a label of fewer than four words.
        ("Columnist\nThe Orlen dam broke overnight.", "Columnist\nThe Orlen dam broke overnight."),
        # A long paragraph is cut at a word, with an ellipsis.
        ("The Orlen dam " + "broke again " * 20, "The Orlen dam " + "broke again " * 8 + "broke…"),
        ("Short text", "Short text"),
        ("", ""),
    ],
)
def test_a_title_cut_from_text_stops_at_its_paragraph(text: str, expected: str) -> None:
    title = title_from_text(text)
    assert title == expected
    assert text.startswith(title.rstrip("…"))  # a prefix: never a headline of its own


def test_a_photo_caption_does_not_become_the_cut_title() -> None:
    rows = [
        _row("dam", "Ana Brell (Photo: Dorrow Police)\nThe Orlen dam broke overnight.\n"
             "Rescuers reached Dorrow at dawn.", 9),
    ]  # fmt: skip
    _, titles = _grouped(rows)
    assert titles["dam"] == "The Orlen dam broke overnight."
