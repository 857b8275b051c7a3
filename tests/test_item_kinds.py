"""Tests of aggregator.item_kinds: adverts, opinion, reviews, live blogs, round-ups, news."""

from __future__ import annotations

from dataclasses import replace

import pytest

from aggregator.item_kinds import is_advert, item_kind, publishable, published, title_says
from aggregator.models import Item


@pytest.mark.parametrize(
    ("title", "url", "text", "kind"),
    [
        ("Dam breaks after storm", "https://news.example/world/dam", "", "news"),
        ("Sponsored: Today's best mortgage rates", "https://news.example/a", "", "advert"),
        ("Refinance now before rates rise", "https://news.example/cnn-underscored/x", "", "advert"),
        ("Lock in a low rate", "https://www.lendingtree.com/offer?id=1", "", "advert"),
        (
            "Five tips for retirement",
            "https://news.example/a",
            "Sponsored content by Acme.",
            "advert",
        ),
        ("Opinion: The budget gets it wrong", "https://news.example/a", "", "opinion"),
        (
            "The Brexit deal is a disaster | Polly Toynbee",
            "https://g.example/commentisfree/a",
            "",
            "opinion",
        ),
        ("Why we must act", "https://news.example/opinion/2024/why", "", "opinion"),
        ("Tenet review – Nolan dazzles", "https://news.example/film/tenet", "", "review"),
        ("Election night – live!", "https://news.example/politics/a", "", "live"),
        ("Flood Live News Updates", "https://news.example/2024/05/01/us/flood.html", "", "live"),
        ("Live Tracker: Flood Coverage", "https://news.example/2024/05/01/flood.html", "", "live"),
        (
            "Coronavirus latest",
            "https://edition.example/world/live-news/covid-04-28/h_1",
            "",
            "live",
        ),
        (
            "Storm updates",
            "https://news.example/storm-updates-live-roads-closed-1.html",
            "",
            "live",
        ),
        (
            "Ship carrying live export cattle missing",
            "https://n.example/ship-and-live-export-missing",
            "",
            "news",
        ),
        (
            "Refugees at the border – in pictures",
            "https://news.example/world/gallery/a",
            "",
            "roundup",
        ),
        ("Morning briefing: what you need to know", "https://news.example/a", "", "roundup"),
        # a columnist's byline in the title
        (
            "The harbour plan will sink the city, writes JANE DOE",
            "https://news.example/news/article-1/harbour.html",
            "",
            "opinion",
        ),
        ("Schools need more time, writes Sam Example", "https://news.example/a", "", "opinion"),
        ("JANE DOE: Never mind the harbour plan", "https://news.example/news/a", "", "opinion"),
        ("ROBERT ROE is delighted the council backed down", "https://n.example/a", "", "opinion"),
        ("Harbour chaos: JANE DOE watches the council", "https://n.example/a", "", "opinion"),
        (
            "Harbour deal a test for the council",
            "https://n.example/news/a",
            "The deal tends to point to a wider plan, Jane Doe writes. Officials disagree.",
            "opinion",
        ),
        (
            "Author signs harbour book deal",
            "https://n.example/news/b",
            "The author writes. She signed a deal on Friday, her agent said.",
            "news",
        ),
        # a column under a byline in mixed case says so where its text opens
        (
            "Jane Roe: The harbour plan is a word game",
            "https://n.example/news/article.cfm?id=1",
            "COMMENT: We could all be forgiven for losing track of the harbour plan.",
            "opinion",
        ),
        (
            "Sam Example: Councils pivot on the harbour",
            "https://n.example/news/article.cfm?id=2",
            "COMMENT Is this what a change of course feels like? The council says not.",
            "opinion",
        ),
        (
            "Harbour vote split",
            "https://n.example/news/c",
            "OPINION POLLS show voters split on the harbour plan, the council said.",
            "news",
        ),
        (
            "Jane Roe: Council leader quits over harbour plan",
            "https://n.example/news/d",
            "Comment was sought from Jane Roe, who quit on Monday over the harbour plan.",
            "news",
        ),
        # kickers and shouted words in capitals are not bylines; "writes" inside a headline,
        # acronyms and a name shouted inside a news headline are news
        ("Jaguars to install world's largest HD LED displays", "https://n.example/a", "", "news"),
        ("MARKET SNAPSHOT: Stocks fall on China worries", "https://n.example/a", "", "news"),
        ("Gun show cancelled after GEORGE ROE was named", "https://n.example/a", "", "news"),
        ("Footballer is SACKED AGAIN after row", "https://n.example/a", "", "news"),
        ("STORM HITS THE COAST", "https://n.example/a", "", "news"),
        ("BREAKING NEWS: Dam breaks after storm", "https://news.example/a", "", "news"),
        ("SPECIAL REPORT: Inside the flood zone", "https://news.example/a", "", "news"),
        ("EXCLUSIVE: Minister quits", "https://news.example/a", "", "news"),
        ("Author writes her last novel at 90", "https://news.example/a", "", "news"),
        # a programme's dated edition is a round-up; a livestream is live
        ("Evening News: May 2, 2024 [HD]", "https://tv.example/v/1", "", "roundup"),
        ("Best of cartoons, May 2, 2024", "https://n.example/a", "", "roundup"),
        ("Morning Show Livestream (May 2, 2024)", "https://tv.example/v/2", "", "live"),
        (
            "Replay: Evening Patrol | May 2, 2024 Full Episode",
            "https://tv.example/v/3",
            "",
            "roundup",
        ),
        ("Trial set for March 3, 2025", "https://n.example/a", "", "news"),
        ("Live-action harbour film in the works", "https://n.example/a", "", "news"),
        (
            "Prosecutors to review police conduct",
            "https://news.example/story/review-police",
            "",
            "news",
        ),
    ],
)
def test_item_kind(title: str, url: str, text: str, kind: str) -> None:
    piece = Item(id="1", title=title, text=text, url=url)
    assert item_kind(piece) == kind
    # publishable keeps what published(kind) keeps, without telling the other kinds apart
    assert publishable([piece]) == ([piece] if published(kind) else [])
    assert publishable([replace(piece, furniture=True)]) == []


@pytest.mark.parametrize(
    ("title", "never"),
    [
        ("Your Daily Horoscope for Thursday, September 3", True),
        ("Horoscopes for September 3", True),
        ("Sudoku: September 3", True),
        ("Daily Crossword", True),
        ("Wordle 1,234 answer and hints", True),
        ("Can you find the queen bee in this picture?", True),
        ("Tricky grammar challenge leaves readers stumped", True),
        # news that names a pastime is news
        ("Wordle sold to New York Times", False),
        ("The crossword setter who fooled a nation", False),
        ("Scientists solve puzzle of dark matter", False),
        ("Zodiac killer cipher cracked after 51 years", False),
        ("Can you find a job after 50?", False),
    ],
)
def test_a_pastime_is_never_published(title: str, never: bool) -> None:
    """ "Your Daily Horoscope for Thursday" had been a story of the day, on both days read."""
    assert is_advert(title) is never
    item = Item(id="p", title=title, url="https://news.example/p")
    assert (publishable([item]) == []) is never


def test_is_advert_on_plain_values() -> None:
    assert is_advert("[Sponsored] Win a cruise")
    assert is_advert("Travel deals", "Advertisement: book now and save.")
    assert not is_advert("Advertising watchdog bans misleading ads")


def test_title_says_its_own_kind() -> None:
    assert title_says("Flood updates LIVE: roads closed", "live")
    assert title_says("Tenet review – Nolan dazzles", "review")
    assert not title_says("Biden visits flood zone", "live")
    assert not title_says("Biden visits flood zone", "news")


@pytest.mark.parametrize(
    ("title", "text", "kind"),
    [
        # the outlet's own host, by the outlet's name or by the programme's tag alone
        (
            "Roe: The council couldn't resist the spotlight",
            "Harbour TV's Jane Roe discusses the council's latest briefing.",
            "opinion",
        ),
        (
            "Sam Example: 'It's almost too silly to check'",
            "Harbour's Sam Example checks the mayor's claims about the bridge.",
            "opinion",
        ),
        (
            "Doe: Voters are tired of the council",
            "Voters from every suburb are leaving the council's party. #HarbourTV #Doe",
            "opinion",
        ),
        # a newsmaker under their own name, reported: named otherwise, or tagged and named
        (
            "Keldon mayor: I am disappointed by the visit",
            "The mayor tells Harbour TV's Jane Roe he wishes the minister had waited.",
            "news",
        ),
        (
            "Doe: I will stand again for mayor",
            "Mayor Jane Doe said on Monday she will stand again. #HarbourTV #Doe",
            "news",
        ),
        (
            "Roe: Minister quits over bridge",
            "Minister Jane Roe quit on Monday, Harbour TV's political editor reports.",
            "news",
        ),
        # a topic's tag without the outlet's: no programme's
        (
            "Brexit: What happens next for the harbour's ferries",
            "Our #Brexit explainer reads the new customs rules for the ferries.",
            "news",
        ),
        # a place's or topic's kicker the outlet's own desk is named after: no host's name
        (
            "Keldon: Ferry sinks in harbour storm",
            "Two crew were rescued, Harbour TV's Keldon correspondent Jane Roe reports.",
            "news",
        ),
    ],
)
def test_a_programmes_host_giving_their_view_is_opinion(title: str, text: str, kind: str) -> None:
    piece = Item(id="1", title=title, text=text, url="https://tv.example/v/1")
    assert item_kind(replace(piece, outlet_name="Harbour TV (video)")) == kind


@pytest.mark.parametrize(
    ("title", "author", "kind"),
    [
        # the writer's own name heads their column
        ("Roe: In this storm, the council is under one-man rule", "Jane Roe", "opinion"),
        ("Roe: Why the harbour plan fails", "By Jane Roe", "opinion"),
        # a newsmaker's words under their name, by another writer, or by a desk
        ("Roe: Council will reopen the harbour", "Sam Example", "news"),
        ("Roe: Council will reopen the harbour", "Harbour Herald", "news"),
        ("Roe: Council will reopen the harbour", "Roe", "news"),
        ("Keldon Weekly: The harbour's episode 4", "Keldon Weekly", "news"),
    ],
)
def test_a_columnists_own_name_heading_their_piece_is_opinion(
    title: str, author: str, kind: str
) -> None:
    piece = Item(id="1", title=title, text="The harbour reopened.", author=author)
    assert item_kind(replace(piece, outlet_name="Harbour Herald")) == kind


def test_a_newsmaker_sharing_the_writers_surname_stays_news() -> None:
    """A reporter's surname may be the newsmaker's ("Kim: …" by Jack Kim): the text names the
    newsmaker, where a column does not name its writer."""
    piece = Item(
        id="1",
        title="Roe: Council will reopen the harbour",
        text="Mayor Ann Roe said the harbour would reopen on Monday.",
        author="Sam Roe",
        outlet_name="Harbour Herald",
    )
    assert item_kind(piece) == "news"
    assert item_kind(replace(piece, text="By Sam Roe. The harbour plan fails.")) == "opinion"


@pytest.mark.parametrize(
    ("title", "text", "kind"),
    [
        # a host's question under their bare name, the channel's own video, the name unsaid
        (
            "Tucker: Are the harbour lockdowns working?",
            "Many councillors could not seem less interested in asking. #HarbourTV",
            "opinion",
        ),
        # a newsmaker's report names them; a topic's or place's kicker is what it tells of
        (
            "Biden: Is the harbour deal done?",
            "President Biden answers questions on the harbour deal. #HarbourTV",
            "news",
        ),
        (
            "Keldon: Will the ferry run again?",
            "Keldon's ferry has been idle for a month. #HarbourTV",
            "news",
        ),
        # a quoted question is the newsmaker's; a claim, another outlet's tag, no tag: news
        (
            "Roe: 'Why should we wait?'",
            "The minister asks for a vote on the bridge. #HarbourTV",
            "news",
        ),
        (
            "Tucker: Harbour lockdowns are not working",
            "Many councillors could not seem less interested in asking. #HarbourTV",
            "news",
        ),
        (
            "Tucker: Are the harbour lockdowns working?",
            "Many councillors could not seem less interested in asking. #OtherNews",
            "news",
        ),
        (
            "Tucker: Are the harbour lockdowns working?",
            "Many councillors could not seem less interested in asking.",
            "news",
        ),
        # a place's other form, or a section's or explainer's kicker, is no host's name
        (
            "Ukraine: Can the harbour counteroffensive succeed?",
            "Ukrainian forces push south towards the port. #HarbourTV",
            "news",
        ),
        (
            "Explained: What is the harbour protocol?",
            "Our political editor on the deal. #HarbourTV",
            "news",
        ),
        (
            "Weather: Will it snow in Keldon this weekend?",
            "A cold front moves in on Saturday. #HarbourTV",
            "news",
        ),
        # a kicker word in capitals or a programme of several words is no host's name
        (
            "ALAMIN: Are the harbour rules changing?",
            "The council reads the new rules. #HarbourTV",
            "news",
        ),
        (
            "Harbour Specials: A hospital in the port?",
            "A secret clinic was found in the port. #HarbourTV",
            "news",
        ),
    ],
)
def test_a_hosts_question_under_their_bare_name_on_the_channels_video_is_opinion(
    title: str, text: str, kind: str
) -> None:
    piece = Item(id="1", title=title, text=text, url="https://tv.example/v/1")
    assert item_kind(replace(piece, outlet_name="Harbour TV (video)")) == kind
