"""Story grouping on what real feeds do: each failure mode with a small invented fixture.

Function words of another language, a story that grows (drift), headlines sharing one word,
a paraphrased pair, a live blog, a wire copy, an outlet behind a redirector, a merge keeping
the older id, and a restart within the story cap.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from invented_items import T0, filler, item

from aggregator.cluster import Clusterer, ClusterSettings, cluster_stream
from aggregator.grouping import group_pending
from aggregator.models import Entry, Item, ParsedFeed, Source
from aggregator.pipeline import entries_to_items
from aggregator.store import Store


def stories(items: list[Item]) -> dict[str, str]:
    return cluster_stream(items, ClusterSettings())


# --- function words of another language ---------------------------------------------------


def test_spanish_items_sharing_only_function_words_stay_apart() -> None:
    texts = [
        ("es1", "La alcaldesa de Varela inaugura el nuevo puente sobre el río",
         "La alcaldesa de la ciudad de Varela inauguró el lunes el puente que une los dos "
         "barrios del norte, una obra que los vecinos esperaban desde hace años."),
        ("es2", "El equipo de la Liga gana la final de la copa en los penaltis",
         "El equipo de la capital ganó la final de la copa en los penaltis ante un rival que "
         "había dominado el partido durante la mayor parte de la noche."),
        ("es3", "Los precios de la vivienda suben en la costa por el turismo",
         "Los precios de la vivienda en la costa subieron por la llegada de turistas, según "
         "los datos que publicó el instituto de estadística de la región."),
    ]  # fmt: skip
    items = [item(i, t, x, f"{i}.example", n) for n, (i, t, x) in enumerate(texts)]
    result = stories([*filler(12), *items])
    assert len({result[i.id] for i in items}) == 3


def test_tagalog_items_sharing_only_function_words_stay_apart() -> None:
    # Tagalog has no list in the stop-word package: its markers and linkers ("ang", "sa",
    # "ng", "mga", "nitong") were read as rare content words and made two events one story
    items = [
        item("tl1", "Sunog sa palengke ng Malvara nitong Miyerkules",
             "Isang sunog ang sumiklab sa palengke ng Malvara nitong Miyerkules ng umaga. Ayon "
             "sa mga bumbero, walang nasaktan sa sunog pero tupok ang labing-anim na puwesto.",
             "one.example", 0),
        item("tl2", "Baha sa Malvara nitong Miyerkules",
             "Binaha ang ilang barangay sa Malvara nitong Miyerkules matapos ang malakas na "
             "ulan. Lumikas ang mga residente sa evacuation center ng bayan, ayon sa munisipyo.",
             "two.example", 40),
    ]  # fmt: skip
    result = stories([*filler(12), *items])
    assert result["tl1"] != result["tl2"]


def test_urdu_items_sharing_only_function_words_stay_apart() -> None:
    # Urdu has no list in the stop-word package either: its postpositions and verbs ("کے",
    # "میں", "مطابق", "گیا") and the weekday made a town's fire and its flood one story
    items = [
        item("ur1", "مالوارا کے بازار میں بدھ کو آگ لگ گئی",
             "مالوارا کے مرکزی بازار میں بدھ کی صبح آگ لگ گئی۔ فائر بریگیڈ کے مطابق اس میں "
             "کوئی زخمی نہیں ہوا لیکن سولہ دکانیں جل گئیں۔",
             "one.example", 0),
        item("ur2", "مالوارا میں بدھ کو سیلاب سے کئی گھر متاثر",
             "مالوارا میں بدھ کو شدید بارش کے بعد سیلاب آ گیا۔ انتظامیہ کے مطابق متاثرہ علاقوں "
             "کے لوگوں کو محفوظ مقامات پر منتقل کر دیا گیا ہے۔",
             "two.example", 40),
        item("ur3", "مالوارا کے مرکزی بازار میں آگ، سولہ دکانیں جل گئیں",
             "مالوارا کے مرکزی بازار میں لگنے والی آگ سے سولہ دکانیں جل گئیں۔ فائر بریگیڈ نے "
             "بتایا کہ کوئی زخمی نہیں ہوا۔",
             "three.example", 60),
    ]  # fmt: skip
    result = stories([*filler(12), *items])
    assert result["ur1"] != result["ur2"]
    assert result["ur1"] == result["ur3"]  # (the same fire, another outlet)


def test_weekdays_and_dates_of_other_languages_are_not_event_terms() -> None:
    from aggregator.terms import grouping_terms

    _, text = grouping_terms(
        "", "Narito ang mga balita ngayong Miyerkules, Setyembre 2, 2020: sunog sa Malvara", 100
    )
    assert text == ["narito", "balita", "sunog", "malvara"]
    _, text = grouping_terms(
        "", "El alcalde de Varela inauguró el lunes 2 de septiembre de 2020 el puente", 100
    )
    assert text == ["alcalde", "varela", "inauguro", "puente"]
    _, text = grouping_terms("", "Der Bürgermeister von Varela eröffnet am Montag, 2. Mai", 100)
    assert text == ["burgermeister", "varela", "eroffnet"]
    # in English a foreign month's name may be a name, and stays
    title, _ = grouping_terms("Mayo Clinic doctors on Monday", "", 100)
    assert title == ["mayo", "clinic", "doctor"]
    # and so may a weekday's: "domingo" goes in Spanish, not in English
    title, _ = grouping_terms("Placido Domingo sings in Varela", "", 100)
    assert "domingo" in title
    _, text = grouping_terms("", "El alcalde de Varela inauguró el domingo el puente nuevo", 100)
    assert "domingo" not in text


def test_headlines_sharing_a_date_in_another_language_stay_apart() -> None:
    items = [
        item("d1", "Incendio en el mercado de Malvara el 2 de septiembre", "", "one.example", 0),
        item("d2", "Inundaciones en Malvara el 2 de septiembre", "", "two.example", 40),
    ]
    result = stories([*filler(12), *items])
    assert result["d1"] != result["d2"]


# --- drift ----------------------------------------------------------------------------------


def test_a_growing_story_does_not_drift_into_its_topic() -> None:
    event = [
        item(
            f"b{k}",
            f"Valdoria bridge collapse: rescuers search the Marven river ({k})",
            "The Valdoria bridge over the Marven river collapsed on Monday during rush hour. "
            f"Rescue teams searched the water; update {k} says divers found more survivors "
            "near the Valdoria bank and the collapse inquiry will start this week.",
            f"out{k}.example",
            5 * k,
        )
        for k in range(12)
    ]
    other = item(
        "tunnel",
        "Ostrava tunnel collapse traps miners as rescue teams search",
        "A tunnel collapsed in the Ostrava mine on Monday. Rescue teams searched through the "
        "night for the trapped miners and an inquiry into the collapse will start this week.",
        "mines.example",
        70,
    )
    result = stories([*filler(12), *event, other])
    assert len({result[i.id] for i in event}) == 1
    assert result["tunnel"] == "tunnel"


# --- one shared word ------------------------------------------------------------------------


def test_headlines_sharing_one_name_do_not_join() -> None:
    pairs = [
        ("Kestrel Motors delivers its first Brona-built trucks", "Kestrel quiere más financiación"),
        ("Arlen Voss to become Tavin's next prime minister", "Voss & Voss fined over talc claims"),
    ]
    for first, second in pairs:
        a = item("a", first, "", "a.example", 60)
        b = item("b", second, "", "b.example", 61)
        result = stories([*filler(12), a, b])
        assert result["a"] != result["b"], (first, second)


def test_the_same_person_in_two_events_stays_two_stories() -> None:
    """The same people are in many events: names alone never join two items."""
    people = "Ilse Brandt and Oskar Lindqvist of Tavin"
    text_a = f"{people} signed a production deal with Halcyon on Tuesday to make films."
    text_b = f"{people} visited a preschool in Oldmere, where parents questioned the visit."
    a = item("deal", "Ilse Brandt and Oskar Lindqvist sign a film deal", text_a, "a.example", 60)
    b = item("visit", "Ilse Brandt and Oskar Lindqvist visit a preschool", text_b, "b.example", 61)
    result = stories([*filler(12), a, b])
    assert result["deal"] != result["visit"]


def test_a_person_with_their_office_is_not_an_event() -> None:
    """Two events of one politician share the name and the office ("presidential nominee"),
    but no headline names something the other item reports."""
    who = "Democratic presidential nominee Arlen Voss"
    a = item(
        "riots",
        "Arlen Voss condemns rioting and looting",
        f"In a speech in Pellow, {who} said the unrest had to end, and called the violence "
        "unacceptable as shop owners swept broken glass.",
        "a.example",
        60,
    )
    b = item(
        "schools",
        "Voss on Halvorsen: talk about a know-nothing premier",
        f"At a press conference in Marrow, {who} slammed Premier Halvorsen over schools and "
        "said the campaign would publish a plan for teachers.",
        "b.example",
        90,
    )
    result = stories([*filler(12), a, b])
    assert result["riots"] != result["schools"]


def test_long_reports_under_unrelated_headlines_still_join_on_many_shared_facts() -> None:
    text = (
        "The river burst its banks in Pellow overnight, flooding the market square, the "
        "railway station and two schools; firefighters rescued forty residents by boat and "
        "the mayor opened the sports hall as a shelter while engineers inspected the bridge."
    )
    a = item("night", "A town wakes to sirens", text, "a.example", 60)
    b = item(
        "morning",
        "Pellow counts the cost",
        text.replace("overnight", "on Sunday night").replace("forty", "dozens of"),
        "b.example",
        90,
    )
    assert stories([*filler(12), a, b])["morning"] == "night"
    strict = replace(ClusterSettings(), unanchored_terms=100)
    assert cluster_stream([*filler(12), a, b], strict)["morning"] == "morning"


# --- paraphrase -----------------------------------------------------------------------------


def test_paraphrased_headlines_join() -> None:
    a = item(
        "p1", "Premier Halvorsen rejects calls to resign over budget leak", "", "a.example", 60
    )
    b = item("p2", "Halvorsen rebuffs fresh calls to resign after budget leak", "", "b.example", 80)
    result = stories([*filler(12), a, b])
    assert result["p2"] == result["p1"] == "p1"


# --- live blogs and bulletins ---------------------------------------------------------------


def test_a_live_blog_never_founds_a_story_others_join() -> None:
    blog = item(
        "blog",
        "Live updates: storm Ardena hits the coast, Tavin vote count, Keldon harvest",
        "Storm Ardena made landfall near Pellow. In Tavin the vote count continues. Keldon "
        "growers report a record harvest. Ardena brought winds of 140 km/h to the coast.",
        "live.example",
        60,
    )
    storm = item(
        "storm",
        "Storm Ardena makes landfall near Pellow with 140 km/h winds",
        "Storm Ardena made landfall near Pellow on Monday with winds of 140 km/h, cutting "
        "power to thousands of homes along the coast.",
        "wx.example",
        61,
    )
    result = stories([*filler(12), blog, storm])
    assert result["blog"] == "blog" and result["storm"] == "storm"


# --- wire copies ----------------------------------------------------------------------------

WIRE = (
    "Officials in the port city of Marrow said on Thursday that the container terminal will "
    "close for three weeks while engineers replace the cranes damaged in last month's storm, "
    "a move shipping firms warned would push freight to rival ports along the northern coast "
    "and delay deliveries of grain and fuel to inland towns until the end of the season."
)


def test_a_wire_copy_from_another_outlet_is_the_same_article() -> None:
    store = Store()
    try:
        first = item("w1", "Marrow port to close for crane repairs", WIRE, "one.example", 0)
        copy = item(
            "w2",
            "Port of Marrow shuts for three weeks",
            WIRE.replace("Thursday", "Thursday evening") + " Reporting by staff.",
            "two.example",
            30,
        )
        assert first.content_hash == copy.content_hash == ""  # no exact key in common
        store.insert_items([first])
        clusterer = Clusterer()
        group_pending(store, clusterer, T0 + timedelta(hours=1))
        store.insert_items([copy])
        group_pending(store, clusterer, T0 + timedelta(hours=1))
        (stored,) = [i for i in store.story_items("w1") if i.id == "w2"]
        assert stored.duplicate_of == "w1"
    finally:
        store.close()


REWRITTEN = (
    "The harbour authority of Marrow now says the container terminal stays open through the "
    "winter after insurers agreed to fund temporary cranes shipped from Pellow, and only the "
    "southern berth will shut for nine days in February, easing fears among grain traders "
    "and fuel importers who had booked space at rival ports along the northern coast already."
)


def test_a_rewritten_text_is_compared_as_it_now_reads() -> None:
    """A later poll rewrites a grouped original's text: its kept near keys and hashes follow
    the new text, so a wire copy of the new text is its duplicate and a copy of the text it
    no longer carries is not (the earlier text is nowhere in the store any more). An edit of
    the title alone leaves them as they are (its stored text is read to know, nothing
    written)."""
    from aggregator.dedupe import content_hash
    from aggregator.models import FeedState
    from aggregator.near_text import near_keys, pack_hashes, sorted_hashes

    def hashed(found: Item) -> Item:
        return replace(found, content_hash=content_hash(found.title, found.text))

    def kept() -> tuple[list[str], list[bytes]]:
        keys = store.conn.execute("SELECT key FROM near_keys WHERE item_id = 'w1' ORDER BY key")
        hashes = store.conn.execute("SELECT hashes FROM near_hashes WHERE item_id = 'w1'")
        return [k for (k,) in keys], [h for (h,) in hashes]

    store = Store()
    try:
        first = hashed(item("w1", "Marrow port to close for crane repairs", WIRE, "one.example"))
        feed = FeedState(first.feed_url)
        store.save_poll(feed, [first])
        clusterer = Clusterer()
        group_pending(store, clusterer, T0 + timedelta(hours=1))
        assert kept() == (sorted(near_keys(WIRE)), [pack_hashes(sorted_hashes(WIRE))])

        edited = hashed(replace(first, title="Marrow port stays open through the winter"))
        statements: list[str] = []
        store.conn.set_trace_callback(statements.append)
        assert store.save_poll(feed, [edited]).updated == 1
        store.conn.set_trace_callback(None)
        assert not [s for s in statements if "near_" in s]
        assert kept() == (sorted(near_keys(WIRE)), [pack_hashes(sorted_hashes(WIRE))])

        assert store.save_poll(feed, [hashed(replace(edited, text=REWRITTEN))]).updated == 1
        assert kept() == (sorted(near_keys(REWRITTEN)), [pack_hashes(sorted_hashes(REWRITTEN))])
        assert set(near_keys(WIRE)).isdisjoint(near_keys(REWRITTEN))

        old_copy = item(
            "w2", "Port of Marrow shuts", WIRE + " Reporting by staff.", "two.example", 30
        )
        new_copy = item(
            "w3", "Marrow terminal open", REWRITTEN + " Reporting by staff.", "three.example", 40
        )
        store.insert_items([old_copy, new_copy])
        group_pending(store, clusterer, T0 + timedelta(hours=1))
        found = {i.id: i.duplicate_of for i in store.items_by_id(["w1", "w2", "w3"])}
        assert found == {"w1": None, "w2": None, "w3": "w1"}
    finally:
        store.close()


# --- outlets behind redirectors -------------------------------------------------------------


def test_outlet_comes_from_the_feed_site_behind_a_redirector() -> None:
    source = Source(url="https://feeds.feedburner.com/harbourgazette", title="", category="News")
    entries = tuple(
        Entry(
            guid=f"g{k}", title=f"Story {k}", text="", url=f"http://feedproxy.google.com/~r/x/{k}"
        )
        for k in range(2)
    )
    parsed = ParsedFeed("Harbour Gazette", "https://www.harbourgazette.example/", entries)
    items = entries_to_items(source, parsed, T0)
    assert {i.outlet for i in items} == {"harbourgazette.example"}


def _feed_outlets(site: str, links: list[str]) -> list[str]:
    source = Source(url="https://feeds.example/x.xml", title="", category="News")
    entries = tuple(
        Entry(guid=f"g{k}", title=f"Story {k}", text="", url=u) for k, u in enumerate(links)
    )
    return [i.outlet for i in entries_to_items(source, ParsedFeed("Feed", site, entries), T0)]


def test_an_outlet_linking_to_its_own_other_domain_is_named_after_its_site() -> None:
    """Items on a CDN, AMP or short-link domain of the outlet are the site's: one other domain
    on three or more items, besides the site's own links."""
    site = "https://www.harbourgazette.example/"
    cdn = [f"https://cdn.hgmedia.example/2024/story-{k}" for k in range(3)]
    assert set(_feed_outlets(site, cdn)) == {"harbourgazette.example"}
    mixed = [*cdn, "https://www.harbourgazette.example/local/1"]
    assert set(_feed_outlets(site, mixed)) == {"harbourgazette.example"}


def test_a_publishers_own_short_links_are_that_publisher_in_any_feed() -> None:
    """Two `cnn.it` links in CNN's feed (too few to make the domain an alias) are CNN's, and a
    `nyti.ms` link in a collecting feed is the New York Times', not a third outlet."""
    cnn = ["https://edition.cnn.com/2024/a", "https://cnn.it/2AbC", "https://cnn.it/9XyZ"]
    assert set(_feed_outlets("https://edition.cnn.com/", cnn)) == {"cnn.com"}
    links = ["https://www.harbourgazette.example/a", "https://nyti.ms/3Qrs"]
    assert _feed_outlets("https://www.newsdigest.example/", links) == [
        "harbourgazette.example",
        "nytimes.com",
    ]


def test_a_feed_collecting_several_publishers_keeps_each_publisher() -> None:
    site = "https://www.newsdigest.example/"
    links = [
        "https://www.harbourgazette.example/a",
        "https://www.marrowtimes.example/b",
        "https://www.harbourgazette.example/c",
        "https://www.pellowpost.example/d",
    ]
    assert _feed_outlets(site, links) == [
        "harbourgazette.example",
        "marrowtimes.example",
        "harbourgazette.example",
        "pellowpost.example",
    ]
    # too few items to call one publisher's domain the collector's own
    two = ["https://www.marrowtimes.example/x", "https://www.marrowtimes.example/y"]
    assert set(_feed_outlets(site, two)) == {"marrowtimes.example"}


def _feed_names(site: str, links: list[str]) -> list[str]:
    source = Source(url="https://feeds.example/x.xml", title="News Digest", category="News")
    entries = tuple(
        Entry(guid=f"g{k}", title=f"Story {k}", text="", url=u) for k, u in enumerate(links)
    )
    return [
        i.outlet_name for i in entries_to_items(source, ParsedFeed("Digest", site, entries), T0)
    ]


def test_a_collected_entry_is_named_after_its_publishers_domain() -> None:
    """An entry linking to another publisher's article (a Reddit or Hacker News feed, Google
    Alerts, a sister paper's report) is named by that publisher's domain, not by the feed
    that carried it; the feed's own entries, and entries on a domain that stands for its
    site, keep the feed's name."""
    site = "https://www.newsdigest.example/"
    links = [
        "https://www.harbourgazette.example/a",
        "https://news.newsdigest.example/own",
        "https://nyti.ms/3Qrs",  # (a publisher's own short link)
        "https://t.co/abc",  # (a redirector: the feed's site names it)
        "https://www.youtube.com/watch?v=x",  # (a platform: the same)
    ]
    assert _feed_names(site, links) == [
        "harbourgazette.example",
        "News Digest",
        "nytimes.com",
        "News Digest",
        "News Digest",
    ]
    cdn = [f"https://cdn.hgmedia.example/2024/story-{k}" for k in range(3)]
    assert _feed_names(site, cdn) == ["News Digest"] * 3  # (the site's alias)
    # a feed whose site is unknown, or a platform's, cannot tell its own links from others'
    assert _feed_names("", links[:1]) == ["News Digest"]
    assert _feed_names("https://www.youtube.com/channel/UCx", links[:1]) == ["News Digest"]


def test_an_outlets_name_is_the_one_its_own_listed_feed_goes_by() -> None:
    from aggregator.pipeline import named_after_sites, site_names

    hg, mt = "https://www.harbourgazette.example/", "https://marrowtimes.example/"
    names = site_names(
        [
            ("https://feeds.example/hg.xml", "The Harbour Gazette", None, "HG", hg),
            ("https://feeds.example/hg2.xml", "Gazette Sport", None, "HG", hg + "sport"),
            ("https://feeds.example/mt.xml", "", mt, "Marrow Times", None),
            ("https://feeds.example/yt.xml", "", None, "Channel", "https://www.youtube.com/"),
            ("https://feeds.example/fb.xml", "", None, "Burner", "https://feedburner.com/x"),
            ("https://feeds.example/m.rss", "", None, "Pellow Post", "https://so.example/@pp"),
            ("https://feeds.example/new.xml", "", None, None, None),  # (never polled yet)
        ]
    )
    assert names == {
        "harbourgazette.example": "The Harbour Gazette",  # (the first listed feed of the site)
        "marrowtimes.example": "Marrow Times",
        "so.example/@pp": "Pellow Post",
    }
    named = [
        ("harbourgazette.example", "harbourgazette.example"),
        ("harbourgazette.example", "Link Digest"),  # (named by its feed: kept)
        ("so.example/@pp", "@pp@so.example"),
        ("other.example", "other.example"),  # (no feed of its own listed)
    ]
    found = [
        Item(id=f"n{k}", title="Dam", text="", outlet=outlet, outlet_name=name)
        for k, (outlet, name) in enumerate(named)
    ]
    assert [i.outlet_name for i in named_after_sites(found, names)] == [
        "The Harbour Gazette",
        "Link Digest",
        "Pellow Post",
        "other.example",
    ]


def test_each_video_channel_is_its_own_outlet() -> None:
    outlets = set()
    for channel in ("UCalpha", "UCbeta"):
        source = Source(url=f"https://videos.example/feed?c={channel}", title="", category="TV")
        entry = Entry(guid="v", title="Clip", text="", url="https://www.youtube.com/watch?v=x")
        parsed = ParsedFeed("Channel", f"https://www.youtube.com/channel/{channel}", (entry,))
        outlets |= {i.outlet for i in entries_to_items(source, parsed, T0)}
    assert len(outlets) == 2


def test_an_aggregators_entries_are_the_publishers_their_sources_name() -> None:
    """A Google News feed links every entry through Google's host and names the publisher in
    `<source>`: each entry is its publisher's, named as the entry names it. A source is read
    only where the link cannot tell (a link of its own keeps its domain), and a source that
    is itself a redirector or a platform tells nothing."""
    source = Source(url="https://news.google.com/rss/topics/x", title="", category="World News")
    sources = [
        ("https://www.harbourgazette.example", "Harbour Gazette"),
        ("https://marrowtimes.example/rss.xml", None),
        ("https://t.co/abc", "Shortened"),
        (None, "Named only"),
    ]
    entries = tuple(
        Entry(
            guid=f"g{k}",
            title=f"Story {k}",
            text="",
            url=f"https://news.google.com/rss/articles/CBMi{k}?oc=5",
            source_url=url,
            source_name=name,
        )
        for k, (url, name) in enumerate(sources)
    )
    own = Entry(
        guid="own",
        title="Own link",
        text="",
        url="https://www.pellowpost.example/a",
        source_url="https://www.harbourgazette.example",
        source_name="Harbour Gazette",
    )
    parsed = ParsedFeed("World - Google News", "https://news.google.com/", (*entries, own))
    found = [(i.outlet, i.outlet_name) for i in entries_to_items(source, parsed, T0)]
    assert found == [
        ("harbourgazette.example", "Harbour Gazette"),
        ("marrowtimes.example", "marrowtimes.example"),
        ("google.com", "Google News"),  # (the feed's title, "World - Google News", names it)
        ("google.com", "Google News"),
        ("pellowpost.example", "pellowpost.example"),
    ]


# --- merges ---------------------------------------------------------------------------------


def test_a_merge_keeps_the_older_id_and_is_recorded() -> None:
    settings = replace(ClusterSettings(), merge_margin=0.0)
    text = (
        "Engineers at the Corvane dam opened the spillway gates on Sunday after heavy rain, "
        "and the Lusk valley towns below the Corvane dam were told to prepare for flooding."
    )
    first = item("m1", "Corvane dam spillway opened after heavy rain", text, "a.example", 0)
    second = item("m2", "Lusk valley towns warned as Corvane dam gates open", text, "b.example", 5)
    clusterer = Clusterer(settings)
    store = Store()
    try:
        store.insert_items([first, second])
        # Two stories of the same event, as when an earlier pass missed the match.
        for it in (first, second):
            store.assign(it, it.id, None, T0)
        clusterer.restore([replace(first, story_id="m1"), replace(second, story_id="m2")])
        third = item("m3", "Corvane dam spillway opened, Lusk valley warned", text, "c.example", 9)
        store.insert_items([third])
        group_pending(store, clusterer, T0 + timedelta(minutes=10))
        assert store.story_ids(["m1", "m2", "m3"]) == {"m1": "m1", "m2": "m1", "m3": "m1"}
        assert store.reader().merged_into("m2") == "m1"
        assert store.reader().merged_into("m1") is None
    finally:
        store.close()


# --- restart --------------------------------------------------------------------------------


def test_restore_keeps_within_the_story_cap() -> None:
    items = [replace(i, story_id=i.id) for i in filler(30)]
    clusterer = Clusterer(replace(ClusterSettings(), max_active=10))
    clusterer.restore(items)
    assert clusterer.active_stories <= 10
    assert clusterer.story_of(items[-1].id) == items[-1].id  # the newest are kept


def test_a_merged_storys_page_redirects_to_the_story_that_absorbed_it() -> None:
    import aiohttp
    from test_web import FakeReader, get, serve

    class MergingReader(FakeReader):
        def merged_into(self, story_id: str) -> str | None:
            return {"young": "old"}.get(story_id)

    async def check(session: aiohttp.ClientSession, root: str) -> None:
        status, headers, _ = await get(session, root + "/stories/young/")
        assert (status, headers["Location"]) == (301, "../old/")

    serve(MergingReader(), check)


def test_a_channels_long_boilerplate_paragraph_is_stripped_from_its_items() -> None:
    from aggregator.text import strip_feed_template

    about = (
        "Harbour TV is the region's first round-the-clock news channel, bringing viewers "
        "breaking news, politics, business and weather from studios in Marrow and Pellow, "
        "with the most-watched evening bulletin for twelve years running and a streaming "
        "service, Harbour Plus, available on every platform. Subscribe for more videos."
    )
    texts = [
        f"Marrow port closes for crane repairs.\n{about}",
        "Keldon growers report a record harvest.",
        f"Tavin counts votes late into the night.\n{about}",
        "A teenager wins the chess final in Brona.",
        f"Storm Ardena reaches Pellow.\n{about} Extra words only this clip has.",
        "Oldmere bakery wins a national prize.",
        "Regatta sailors battle strong winds.",
        "The Aster museum reopens its fossil hall.",
        "Signal works close the Tavin line.",
        "Lusk valley prepares for flooding.",
    ]  # a few items of many carry it, one with words of its own appended
    stripped = strip_feed_template(texts)
    assert not any("Harbour Plus" in text for text in stripped)
    assert stripped[0] == "Marrow port closes for crane repairs."
    assert stripped[1] == texts[1]


# --- one outlet's items on one topic --------------------------------------------------------


def test_one_outlets_two_explainers_on_a_topic_stay_apart_until_another_outlet_joins() -> None:
    """An outlet's own items share its beat and style: two explainers on travel rules are
    not one event. Another outlet's piece is not asked the same-outlet margin (shown with the
    explainer margin off: with it, two outlets' explainers on a topic stay apart too, see
    tests/test_explainers.py)."""
    a = item(
        "list",
        "Are Keldon or Brona on the travel quarantine list?",
        "Holiday spots are regularly added to the travel quarantine list as infection rates "
        "rise, and travellers returning from them must isolate for two weeks.",
        "herald.example",
        60,
    )
    b = item(
        "rules",
        "What are Tavin's travel quarantine rules?",
        "Travellers arriving from countries on the list must isolate at home for two weeks, "
        "and police can fine those who break the rules.",
        "herald.example",
        160,
    )
    result = stories([*filler(12), a, b])
    assert result["rules"] != result["list"]
    c = replace(b, id="other", outlet="courier.example", feed_url="https://courier.example/f")
    result = cluster_stream([*filler(12), a, c], ClusterSettings(explainer_margin=0.0))
    assert result["other"] == result["list"]
    default = stories([*filler(12), a, c])
    assert default["other"] != default["list"]


FLU = (
    "Keldon County health officials reported new flu cases in Oldmere, Pellow and Brona, "
    "and listed the towns where the flu clinics will open this week."
)


def test_one_outlets_reports_days_apart_ask_more_than_the_same_day() -> None:
    a = item("monday", "Flu clinics to open across Keldon County", FLU, "gaz.example", 0)
    b = item(
        "later",
        "Flu cases rise in Oldmere and Pellow",
        "Flu cases rose in Oldmere and Pellow, health officials said; clinics open on Thursday "
        "in town halls and schools, with vaccines for children first.",
        "gaz.example",
        60,
    )
    assert stories([*filler(12), a, b])["later"] == "monday"
    days_later = replace(b, published=T0 + timedelta(hours=44), first_seen=None)
    assert stories([*filler(12), a, days_later])["later"] == "later"


def test_a_recurring_list_does_not_join_through_an_old_founder() -> None:
    """Three days' lists of one county: the third is compared with the second day's report,
    not with a story profile that still holds the first day's list."""
    first = item("day1", "Keldon towns with flu cases: the list", FLU, "a.example", 0)
    second = item(
        "day2",
        "Oldmere, Pellow and Brona open flu clinics",
        "Nurses in Oldmere, Pellow and Brona gave flu jabs from Thursday, and the queue outside "
        "the Brona hall was the longest they had seen.",
        "b.example",
        30 * 60,
    )
    third = item(
        "day3",
        "Keldon towns with flu cases: the list",
        FLU.replace("Oldmere, Pellow and Brona", "Marrow and Tavin"),
        "c.example",
        72 * 60,
    )
    result = stories([*filler(12), first, second, third])
    assert result["day2"] == "day1"
    assert result["day3"] == "day3"


def test_two_fires_two_days_apart_sharing_no_name_stay_apart() -> None:
    """The same kind of event in two places: without a shared name, a link between items
    two days apart asks more; naming the same place keeps the follow-up in the story."""
    first = item(
        "marrow",
        "Crews battle a giant blaze at a Marrow warehouse",
        "Fire crews battled a giant blaze at a timber warehouse in Marrow overnight, and "
        "residents were told to keep their windows closed as smoke drifted over the town.",
        "a.example",
        0,
    )
    text = (
        "Fire crews battled a massive blaze at a workshop near the Tavin airport on Sunday, "
        "and people nearby were asked to stay indoors."
    )
    other = item("tavin", "Giant blaze near Tavin airport", text, "b.example", 46 * 60)
    assert stories([*filler(12), first, other])["tavin"] == "tavin"
    same_place = replace(
        other, text=text.replace("the Tavin airport", "the Marrow timber warehouse")
    )
    assert stories([*filler(12), first, same_place])["tavin"] == "marrow"


# --- what every item of a channel or a day carries ------------------------------------------


def test_links_handles_dates_and_digit_groups_are_not_event_terms() -> None:
    from aggregator.terms import grouping_terms

    title, text = grouping_terms(
        "Keldon County reports 1,030 new cases (3 September 2024)",
        "Follow us on Facebook: https://www.facebook.com/harbourtv and @harbourtv, or mail "
        "desk@harbourtv.example. More at harbourtv.com/news on Tuesday, Sept. 3.",
        100,
    )
    assert title == ["keldon", "county", "report", "1030", "case"]
    assert text == ["follow", "mail"]


def test_clips_sharing_only_a_channel_signature_stay_apart() -> None:
    signature = (
        "Watch the 6am Breakfast show live on weekdays. Follow us: Facebook: "
        "https://www.facebook.com/harbourtv Instagram: https://www.instagram.com/harbourtv "
        "Web: https://www.harbourtv.example/news Twitter: @harbourtv"
    )
    a = item(
        "gallery",
        "Oldmere gallery opens a show of letters and postcards (2 September 2024)",
        f"The new exhibition shows letters from the town's archive. {signature}",
        "tv.example",
        60,
    )
    b = item(
        "school",
        "Pellow principal says pupils return slowly (2 September 2024)",
        f"Only half the pupils came back on the first day of term. {signature}",
        "tv.example",
        70,
    )
    result = stories([*filler(12), a, b])
    assert result["gallery"] != result["school"]


def test_an_outlets_two_reports_of_one_event_join_among_its_other_items() -> None:
    """A term in two of six items of an outlet is news it follows, not its furniture."""
    own = [
        item(f"own{k}", title, f"{title}. Reported by our newsroom.", "gazette.example", k)
        for k, title in enumerate(
            [
                "Keldon growers report a record harvest",
                "Sailors battle strong winds in the Pellow regatta",
                "Aster museum reopens its fossil hall",
                "Signal works close the Tavin line for a week",
            ]
        )
    ]
    fire = (
        "Fire crews battled a blaze at the Marrow grain silo overnight, and the silo's owner "
        "said the harvest stored there was lost."
    )
    a = item("silo1", "Blaze destroys Marrow grain silo", fire, "gazette.example", 30)
    b = item(
        "silo2",
        "Marrow grain silo blaze: owner counts the cost",
        fire.replace("overnight", "on Sunday night"),
        "gazette.example",
        90,
    )
    result = stories([*filler(12), *own, a, b])
    assert result["silo2"] == result["silo1"]
