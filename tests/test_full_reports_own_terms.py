"""Two full reports of one event whose headlines do not say what happened (a lede's first
line, a photo caption, a columnist's label) link when their bodies share terms no other
active story holds: the event's own names and details. Teasers never link that way, and a
person's name that other stories hold too does not count. Invented fixtures; each test also
shows the outcome with the rule out of reach."""

from __future__ import annotations

from dataclasses import replace

from invented_items import T0, filler, item

from aggregator.cluster import Clusterer, ClusterSettings, cluster_stream
from aggregator.event_links import shares_own_terms
from aggregator.features import item_features
from aggregator.window_counts import WindowCounts

SLIDE = (
    "Emergency crews worked under floodlights above Brannock after a landslide tore down the "
    "slope of Kessel Ridge on Tuesday evening, burying fourteen cottages on the upper lane. "
    "Mayor Ilse Dornbach said three residents were still missing and that volunteers had "
    "joined the firefighters, passing buckets of mud from hand to hand. Engineers warned that "
    "the slope remained unstable after weeks of heavy rain, and forty households spent the "
    "evening in the school gymnasium. The quarry operator Halvard Stoneworks, which blasts "
    "rock on the far side of Kessel Ridge, suspended its work and pledged to cooperate with "
    "any inquiry. Dornbach asked drivers to keep away from the valley road, covered by "
    "boulders and fallen trees. Army trucks arrived before midnight carrying pumps, tents and "
    "blankets. A nurse at the Brannock clinic treated two injured climbers for cuts before a "
    "helicopter flew them to the regional hospital. Farmers saw cattle barns and tractors "
    "destroyed. Geologists from the university flew drones over the landslide scar to map "
    "cracks near the summit of Kessel Ridge, where Halvard Stoneworks had widened its quarry "
    "last year. Dornbach vowed that Brannock would rebuild."
)
AFTER = (
    "Brannock woke to silence on Wednesday as the landslide beneath Kessel Ridge left people "
    "unaccounted for. Ilse Dornbach, speaking outside the town hall, thanked neighbours who "
    "opened their kitchens to displaced couples and offered temporary shelter within days. "
    "Questions are growing about Halvard Stoneworks, whose quarry licence allows blasting on "
    "the eastern flank of Kessel Ridge; locals say they felt tremors for months and "
    "complained twice to the council. The company denied any link and pointed to record "
    "autumn storms. Insurers sent assessors to inspect damaged chapels, shops and a bridge "
    "over the stream. Pupils were sent home and lessons moved to a church hall in a nearby "
    "parish. Dornbach said divers and sniffer dogs would continue searching the debris, while "
    "meteorologists forecast more gales for the weekend. Shopkeepers collected donations of "
    "coats, boots and tinned food for those who lost everything in Brannock. Halvard "
    "Stoneworks shares fell sharply in trading as analysts weighed possible fines over the "
    "landslide at the quarry. Dornbach said Brannock would endure."
)
# Neither headline names a word of the other report: what happened is in the bodies only.
NIGHT, BREATH = "Rescuers dig through the night", "A village holds its breath"

OFF = replace(ClusterSettings(), full_text_terms=10_000)  # the rule out of reach


def test_two_full_reports_sharing_their_events_own_terms_join() -> None:
    a = item("night", NIGHT, SLIDE, "a.example", 60)
    b = item("breath", BREATH, AFTER, "b.example", 90)
    stream = [*filler(12), a, b]
    assert cluster_stream(stream, ClusterSettings())["breath"] == "night"
    assert cluster_stream(stream, OFF)["breath"] == "breath"


def test_own_terms_are_those_no_other_story_holds() -> None:
    settings = ClusterSettings()
    night = item_features(item("night", NIGHT, SLIDE), settings.text_tokens)
    breath = item_features(item("breath", BREATH, AFTER), settings.text_tokens)
    shared = night.unique & breath.unique
    counts = WindowCounts(settings)
    counts.sdf.update(shared)  # held by the member's story alone
    assert shares_own_terms(breath, night, counts, settings)
    counts.sdf.update(shared)  # … and by one other story each
    assert not shares_own_terms(breath, night, counts, settings)
    assert shares_own_terms(breath, night, counts, settings, held=shared)  # (the item's own)
    assert shares_own_terms(breath, night, counts, replace(settings, exclusive_terms=0))
    teaser = item_features(item("t", BREATH, AFTER[:200]), settings.text_tokens)
    assert not shares_own_terms(teaser, night, WindowCounts(settings), settings)


def test_teasers_sharing_names_still_need_a_headline_that_says_what_happened() -> None:
    """Two teasers of the same event: too little text to tell an event's own words from a
    person's or a place's, so the headline anchor still rules."""
    first = (
        "A landslide tore down Kessel Ridge above Brannock on Tuesday, burying cottages below "
        "the Halvard Stoneworks quarry. Mayor Ilse Dornbach said Brannock households under "
        "Kessel Ridge were moved to the school gymnasium overnight."
    )
    second = (
        "Brannock mourns as questions grow over Halvard Stoneworks blasting on Kessel Ridge. "
        "Ilse Dornbach said the landslide at the quarry would be investigated by engineers "
        "from the regional council."
    )
    stream = [
        *filler(12),
        item("night", NIGHT, first, "a.example", 60),
        item("breath", BREATH, second, "b.example", 90),
    ]
    assert cluster_stream(stream, ClusterSettings())["breath"] == "breath"
    short_enough = replace(ClusterSettings(), full_text_terms=15)
    assert cluster_stream(stream, short_enough)["breath"] == "night"


POLL = (
    "The senator Orla Venkman of the Greenway party leads the campaign polls in the Tavin region, "
    "a survey for the Tavin Courier found. Venkman, a former teacher, has campaigned on rail "
    "fares and rural clinics; the senator Venkman's campaign said the Greenway party would "
    "publish its manifesto soon."
)
STRIKE = (
    "The senator Orla Venkman told striking rail workers in Pellow that the Greenway party backed "
    "their demand for safer rosters, drawing cheers from a crowd of signal staff outside the "
    "depot. Venkman said drivers had worked double shifts for a year while managers collected "
    "bonuses, and Venkman promised to summon the operator's chief executive before a "
    "committee. The strike has halted freight through the northern corridor since Monday, "
    "leaving grain wagons idle at the junction and commuters crowding onto replacement buses. "
    "Union leader Piet Rasmund thanked Venkman but said workers wanted a signed agreement, not "
    "speeches. The operator called the walkout reckless and offered arbitration. Shop owners "
    "near the station complained that trade had collapsed. The senator Venkman ended her visit at "
    "a canteen where volunteers served soup to pickets, and the Venkman campaign posted "
    "photographs of the rally. Economists told Venkman that a long stoppage would delay "
    "harvest exports and raise bread prices across the region. Rasmund said ballots for "
    "further action would close on Friday, and that the Pellow branch would keep its picket "
    "lines until then. The senator Venkman repeated that the Greenway party stood with the "
    "strikers."
)
GIFT = (
    "The senator Orla Venkman faced questions in Marrow over a donation of forty thousand crowns "
    "to her campaign from a property developer whose tower plans await approval. Venkman "
    "insisted the gift had been declared within the legal deadline and that she had never "
    "discussed planning matters with Venkman's donor, Edda Krall. Opposition councillors "
    "demanded an audit by the ethics commissioner, and a watchdog group filed a complaint "
    "citing the timing of the payment, weeks before the council vote. Krall's lawyer said the "
    "company supported many causes and expected nothing in return. Reporters pressed Venkman "
    "on why the donation appeared in the ledger under a subsidiary's name; Venkman replied "
    "that her treasurer would publish every receipt. The Greenway party chair defended "
    "Senator Venkman, while two senior Greenway members privately urged Venkman to return the "
    "money. The commissioner's office confirmed it had received the complaint but gave no "
    "timetable. The senator Venkman later cancelled a fundraising dinner in the harbour district, "
    "citing a diary clash, and the Greenway party said its accounts were open to inspection."
)


def test_a_person_in_two_events_in_full_reports_stays_two_stories() -> None:
    """Her name, title and party are in an earlier story too, so the two reports share
    almost nothing of their own, however often they name her."""
    stream = [
        *filler(12),
        item("poll", "Venkman leads Tavin polls", POLL, "c.example", 20),
        item("strike", "Cheers on the picket line", STRIKE, "a.example", 60),
        item("gift", "Questions over a developer's gift", GIFT, "b.example", 90),
    ]
    assert cluster_stream(stream, ClusterSettings())["gift"] == "gift"
    # counting shared terms that another story holds would join them
    assert cluster_stream(stream, replace(ClusterSettings(), exclusive_terms=1))["gift"] == (
        "strike"
    )


def test_a_teaser_whose_article_page_arrives_joins_the_full_report() -> None:
    """The teaser's own story holds its terms once the page arrives: that story is not
    another one holding them."""
    for settings, joins in ((ClusterSettings(), True), (OFF, False)):
        clusterer = Clusterer(settings)
        for filler_item in filler(12):
            clusterer.assign(filler_item, filler_item.published or T0)
        full = item("night", NIGHT, SLIDE, "a.example", 60)
        teaser = item("breath", BREATH, "Pupils were sent home on Wednesday.", "b.example", 90)
        when = teaser.published or T0
        clusterer.assign(full, full.published or T0)
        assert clusterer.assign(teaser, when).story_id == "breath"
        moved = clusterer.regroup(replace(teaser, text=AFTER), when)
        assert moved is not None
        assert (clusterer.story_of("breath") == "night") is joins
