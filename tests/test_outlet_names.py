"""An outlet named by its feed's own title, without the section the title adds."""

from __future__ import annotations

import pytest

from aggregator.outlet_names import feed_title_name


@pytest.mark.parametrize(
    ("title", "site", "name"),
    [
        # the part the site's domain bears out
        ("Harbour Gazette - Home", "https://www.harbourgazette.example/news/", "Harbour Gazette"),
        ("Articles | Valley Online", "https://www.dailyvalley.example/", "Valley Online"),
        ("Breaking News | Coast Courier", "https://www.coastcourier.example", "Coast Courier"),
        ("WXY.com: World News", "http://online.wxy.example/page/1.html", "WXY.com"),
        ("Ridge News Online / News", "https://www.ridgenetwork.example/", "Ridge News Online"),
        ("HGZ > U.S. News", "https://www.hgztimes.example/section/us", "HGZ"),
        # its initials
        ("Northern Morning Post - Latest News", "https://nmp.example/", "Northern Morning Post"),
        # of several parts the site bears out, the shortest
        (
            "Coast Courier – News and Video from Coast Courier",
            "https://coastcourier.example",
            "Coast Courier",
        ),
        # one that holds the domain's label whole before one the label holds
        (
            "Business News - Business Standard",
            "https://business-standard.example/",
            "Business Standard",
        ),
        ("Money | This is Money", "https://www.thisismoney.example/", "This is Money"),
        ("Harbour - Harbour Gazette", "https://harbourgazette.example/", "Harbour Gazette"),
        # no part borne out: the one that is more than section words
        ("Lakeland Herald - Top Stories", "https://www.lkherald.example/", "Lakeland Herald"),
        ("Lakeland Herald - Top Stories", "http://127.0.0.1:8080/feed.xml", "Lakeland Herald"),
        ("Valley.example - RSS Channel - App International Edition", "", "Valley.example"),
        # else the title whole
        ("Metro Evening Headlines", "https://www.metro.example/", "Metro Evening Headlines"),
        ("Politics: A Blog - Home", "", "Politics: A Blog - Home"),
        ("Politics: A Blog - Home", "https://politics.example/", "Politics"),
        ("Coast - Coast", "https://coast.example/", "Coast - Coast"),
        ("Weather - Top Stories", "https://www.metro.example/", "Weather - Top Stories"),
    ],
)
def test_a_feed_title_names_its_outlet_without_its_section(
    title: str, site: str, name: str
) -> None:
    assert feed_title_name(title, site) == name
