"""An outlet's name as its feed's own title gives it. Pure, and light: the parse workers
build items with it (`pipeline.outlet_label`), and `story_sources` matches a site's channel
with its parts."""

from __future__ import annotations

import re

__all__ = [
    "DOMAIN_NAME",
    "TITLE_PARTS",
    "bare_name",
    "borne_out",
    "compact",
    "domain_label",
    "feed_title_name",
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
    title whole ("Metro Evening Headlines", "Weather - Top Stories" of metro.example)."""
    parts = [part.strip() for part in TITLE_PARTS.split(title)]
    if len(parts) < 2 or not all(parts):
        return title
    from .dedupe import outlet_key  # (here: the pages' bylines read `bare_name` alone)

    label = domain_label(outlet_key(site))
    ranks = [_names_site(part, label) if label else 0 for part in parts]
    best = max(ranks)
    borne = sorted(
        (part for part, rank in zip(parts, ranks, strict=True) if best and rank == best), key=len
    )
    if len(borne) == 1 or (borne and len(borne[0]) < len(borne[1])):
        return borne[0]  # (the shortest: "Al Jazeera – … Video from Al Jazeera")
    named = [part for part in parts if not _is_section(part)]
    if len(named) == 1 and (not label or _shares_word(named[0], label)):
        return named[0]
    return title


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
