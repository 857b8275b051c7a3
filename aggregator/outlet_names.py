"""An outlet's name as its feed's own title gives it. Pure, and light: the parse workers
build items with it (`pipeline.outlet_label`), and `story_sources` matches a site's channel
with its parts."""

from __future__ import annotations

import re
from itertools import pairwise
from urllib.parse import urlsplit

from .platforms import account_outlet

__all__ = [
    "DOMAIN_NAME",
    "TITLE_PARTS",
    "bare_name",
    "borne_out",
    "compact",
    "domain_label",
    "feed_title_name",
    "former_names",
    "written_name",
]

TITLE_PARTS = re.compile(r"\s[-–—|/>:]\s|\s?\|\s?|:\s")
DOMAIN_NAME = re.compile(r"[\w-]+(?:\.[\w-]+)+")


# Words a feed title names a section or the feed itself with ("Top Stories", "RSS Channel").
_SECTION_WORDS = frozenset(
    "all app articles breaking channel edition feed feeds front headline headlines home "
    "international latest main news page popular recent rss stories story top uk us world".split()
)


def feed_title_name(title: str, site: str) -> str:
    """The outlet a feed's own title names, without the section it adds ("BBC News - Home" →
    "BBC News", "Articles | Mail Online" → "Mail Online"): of its parts (split at " - ",
    " | ", " > ", ": " …), the one the domain of the feed's `site` bears out (`borne_out`, or
    the part's initials: "Sydney Morning Herald" of smh.com.au; of several, one that holds
    the domain's label whole before one the label holds, "Business Standard" of
    business-standard.com before "Business News", then the shortest),
    else the one part that is more than section words ("Lakeland Herald - Top Stories") with
    a word the domain holds, when there is a domain ("herald" of lkherald.example); else the
    title whole ("Weather - Top Stories" of metro.example). The name is taken without the
    words after the outlet's own that say what the feed lists (`_without_listing`: "NPR" of
    "NPR Topics: News", "RNZ" of "RNZ New Zealand Headlines"). A title that names a section
    of the site only (`_names_section`: "Top Stories", or "California" of
    latimes.com/california/) names the outlet by the site's domain ("latimes.com")."""
    from .dedupe import PLATFORM_HOSTS, REDIRECTOR_HOSTS, outlet_key  # (bylines: `bare_name`)

    key = outlet_key(site)
    label = domain_label(key)
    parts = [part.strip() for part in TITLE_PARTS.split(title)]
    if len(parts) < 2:
        # (not a title that names the site, nor a redirector's domain: a feed without a home
        # page is read by its own address, "feeds.feedburner.com/LakelandHerald")
        if (
            label
            and key not in PLATFORM_HOSTS
            and key not in REDIRECTOR_HOSTS
            and not account_outlet(site)  # (a social account's server is no outlet)
            and _names_site(title, label) < 2
            and _names_section(title, site)
        ):
            return key
        return _without_listing(title, label) if label else title
    if not all(parts):
        return title
    ranks = [_names_site(part, label) if label else 0 for part in parts]
    best = max(ranks)
    borne = sorted(
        (part for part, rank in zip(parts, ranks, strict=True) if best and rank == best), key=len
    )
    if len(borne) == 1 or (borne and len(borne[0]) < len(borne[1])):
        return _without_listing(borne[0], label)  # (the shortest: "Al Jazeera – … from Al Jazeera")
    named = [part for part in parts if not _names_section(part, site)]
    if len(named) == 1 and (not label or _shares_word(named[0], label)):
        return _without_listing(named[0], label) if label else named[0]
    return title


def former_names(title: str, site: str) -> set[str]:
    """What `feed_title_name` may have named the outlet by before it left out listing words
    and named a section's feed by its domain (sources_0009): the title whole, a part the
    domain bears out, or the one part more than section words with a word the domain holds.
    Not any other part: a collecting feed's title may hold a publisher's name ("Wire Co -
    Valley Digest"), which that publisher's own items bear."""
    from .dedupe import outlet_key

    label = domain_label(outlet_key(site))
    parts = [part.strip() for part in TITLE_PARTS.split(title)]
    if len(parts) < 2 or not all(parts):
        return {title}
    borne = {part for part in parts if label and _names_site(part, label)}
    named = [part for part in parts if not _is_section(part)]
    if len(named) == 1 and (not label or _shares_word(named[0], label)):
        borne.add(named[0])
    return {title} | borne


def domain_label(key: str) -> str:
    """The first label of an outlet key that is a domain, written as a name is in it
    (`compact`: "nzherald" of nzherald.co.nz, "businessstandard" of business-standard.com);
    "" for an address, a host without a dot, or a channel on a platform ("youtube.com/…")."""
    host = key.removeprefix("www.")
    if "/" in host or "." not in host or not host.rsplit(".", 1)[1].isalpha():
        return ""
    return compact(host.split(".")[0])


def written_name(part: str) -> str:
    """A feed title's part as a name: one written as a domain by its first label ("CNN.com"
    → "CNN")."""
    return part.split(".")[0] if DOMAIN_NAME.fullmatch(part) else part


# Words after an outlet's own name that say what its feed lists ("NPR Topics", "Reuters
# Headlines"); "News" is not one, it is the name's own ("BBC News").
_LISTING_WORDS = frozenset("articles feed feeds headlines latest rss topics updates".split())


def _without_listing(name: str, label: str) -> str:
    """`name` without the words after the outlet's own that say what the feed lists: the
    shortest run of its first words that holds the domain's label whole or is its initials
    (`_names_site` 2), followed by a listing word alone ("Topics", "Latest") or by words in
    capitals that end in a section or listing word ("New Zealand Headlines", "Singapore
    News"); else `name` ("BBC News", "heise online News"). "News" right after those words is
    the name's own: "BBC News Top Stories" reads "BBC News", as "BBC News - Top Stories" does."""
    words = name.split()
    for end in range(1, len(words)):
        if compact(words[end]) == "news":
            continue  # (a name's "News" stays with the name: "Sky News Latest")
        tail = words[end:]
        last = compact(tail[-1])
        lists = (
            last in _LISTING_WORDS
            if len(tail) == 1
            else (last in _LISTING_WORDS or last in _SECTION_WORDS)
            and all(word[0].isupper() for word in tail)
        )
        if lists and _names_site(" ".join(words[:end]), label) == 2:
            return " ".join(words[:end])
    return name


# Steps of a site's path that say the next one names a section ("/sections/politics/").
_SECTION_STEPS = frozenset(
    "categories category news section sections tag tags topic topics".split()
)


def _names_section(part: str, site: str) -> bool:
    """Whether a feed title's part names a section of the site, not the outlet: section
    words only (`_is_section`), or a step of the path of the site's page, the first or one
    after a step that says so ("California" of https://www.latimes.com/california/,
    "Politics" of …/sections/politics/; not elsewhere, where a site's community or user goes
    by its own name: "Python" of reddit.com/r/python/, nor a social account's page, whose
    step is the account: "Lakeland" of social.example/@lakeland)."""
    if _is_section(part):
        return True
    if account_outlet(site):
        return False
    try:
        steps = [compact(step) for step in urlsplit(site).path.split("/") if step]
    except ValueError:
        return False
    sections = steps[:1] + [step for before, step in pairwise(steps) if before in _SECTION_STEPS]
    written = compact(part)
    return bool(written) and written in sections


def _names_site(part: str, label: str) -> int:
    """How surely a feed title's part names the site of domain label `label`: 2 when it holds
    the label whole (a part written as a domain by its first label) or its words' initials
    are it, 1 when it is only borne out (`borne_out`: "Business" of businessstandard), else 0."""
    written = written_name(part)
    initials = "".join(word[0] for word in written.casefold().split() if word[0].isalnum())
    bare = bare_name(written)
    if (borne_out(bare, label) and label in compact(written)) or (
        len(initials) >= 3 and initials == label
    ):
        return 2
    return 1 if borne_out(bare, label) else 0


def _shares_word(part: str, label: str) -> bool:
    """Whether a word of four letters or more of a title's part is in the domain label
    ("herald" of nzherald.example; not "weather" of metro.example)."""
    return any(len(word) >= 4 and word in label for word in map(compact, part.split()))


def _is_section(part: str) -> bool:
    """Whether a title's part is section words only ("Top Stories", "U.S. News")."""
    words = [compact(word) for word in part.split()]
    return all(word in _SECTION_WORDS for word in words if word)


_DECORATION = re.compile(r"\([^)]*\)|\b(?:video|videos|youtube|tv|channel|official|news|online)\b")


def bare_name(name: str) -> str:
    """An outlet's name without what a site's channel adds to it (parentheses, "video",
    "YouTube", "TV", "News", "Official", "Online"): "CNN (video)" and "CNN" are both "cnn"."""
    return " ".join(_DECORATION.sub(" ", name.casefold()).split())


def compact(name: str) -> str:
    """A name in lower case without spaces or marks: as a domain's label writes it."""
    return "".join(char for char in name.casefold() if char.isalnum())


def borne_out(bare: str, label: str) -> bool:
    """Whether a title's part (bare) and the site's domain label name one outlet: one holds
    the other, three letters or more ("gma" of gmanetwork.com, "cnn" of cnn.com, "mail" of
    dailymail.co.uk; not "world" of wsj.com)."""
    written = compact(bare)
    return min(len(written), len(label)) >= 3 and (written in label or label in written)
