"""Duplicate detection: canonical URLs, outlet keys, content fingerprints, wire copies. Pure.

"Duplicate" means *the same article* (one item, not two sources): the same canonical URL, the
same globally unique guid, the same normalised title and text, or near-identical text. Equal or
near-identical text counts only under a headline of the item's own: a title that merely opens
the text (a feed without headlines) agrees with any copy of it, and a text many items carry
without their own headlines is as often a page's furniture (an archive notice) as an article;
the clusterer counts such copies (aggregator.boilerplate).
"""

from __future__ import annotations

import functools
import re
import threading
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

from aggregator.boilerplate import headline_of_its_own
from aggregator.cjk_script import has_cjk
from aggregator.digests import blake2b
from aggregator.idn_names import shown_domain
from aggregator.models import Item
from aggregator.near_text import MIN_NEAR_WORDS, near, near_keys, near_shingles, shingles
from aggregator.platforms import account_outlet, is_google_news_host
from aggregator.terms import grouping_terms
from aggregator.tokens import word_count, words

__all__ = [
    "MIN_NEAR_WORDS",
    "account_outlet",
    "canonical_url",
    "clean_link",
    "collected_from",
    "content_hash",
    "duplicate_reason",
    "find_duplicate",
    "is_duplicate",
    "item_outlet",
    "key_name",
    "near_keys",
    "outlet_key",
    "shingles",
    "site_aliases",
]

# --- canonical URLs -------------------------------------------------------------------------

_CANONICAL_HOST_PREFIXES = ("www.", "m.", "amp.")
_OUTLET_HOST_PREFIXES = ("www.", "m.", "mobile.", "feeds.", "feed.", "rss.", "amp.")
_DEFAULT_PORTS = frozenset({"80", "443"})

# Query parameters that only track the reader; compared case-insensitively.
_TRACKING_PARAMS = frozenset(
    """fbclid gclid dclid gbraid wbraid msclkid yclid twclid igshid mc_cid mc_eid ref ref_src
    ref_url cmpid cmp ocid rss smid smtyp partner _ga _gl _hsenc _hsmi mkt_tok spm sr_share
    amp outputtype""".split()
)
_TRACKING_PREFIXES = ("utm_", "ns_", "at_", "pk_", "mtm_", "ga_", "hmb_")
_AMP_SUFFIX = re.compile(r"(?:/amp|\.amp|/amp\.html?)$", re.IGNORECASE)


def _strip_prefixes(host: str, prefixes: tuple[str, ...]) -> str:
    """Drop leading `www.`-style labels (repeatedly) while a real domain remains."""
    changed = True
    while changed:
        changed = False
        for prefix in prefixes:
            if host.startswith(prefix) and "." in host[len(prefix) :]:
                host = host[len(prefix) :]
                changed = True
    return host


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key in _TRACKING_PARAMS or key.startswith(_TRACKING_PREFIXES)


_SLASHES = re.compile(r"/{2,}")


def canonical_url(url: str | None) -> str | None:
    """The form of a link that identifies an article, or None for missing/non-http(s) links.

    https, lower-case host without `www.`/`m.`/`amp.`, no default port, credentials, fragment,
    tracking parameters or trailing slash (root excepted), `/amp` suffix dropped, query sorted.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = _strip_prefixes(parts.hostname.lower().rstrip("."), _CANONICAL_HOST_PREFIXES)
    netloc = host if port is None or str(port) in _DEFAULT_PORTS else f"{host}:{port}"
    path = (_SLASHES.sub("/", parts.path) if "//" in parts.path else parts.path).rstrip("/")
    path = _AMP_SUFFIX.sub("", path).rstrip("/") or "/"
    pairs = [p for p in parts.query.split("&") if p and not _is_tracking(p.split("=", 1)[0])]
    pairs.sort(key=lambda p: (p.split("=", 1)[0], p))
    return urlunsplit(("https", netloc, path, "&".join(pairs), ""))


def clean_link(url: str | None) -> str | None:
    """The link as published, minus tracking parameters; otherwise untouched.

    Unlike canonical_url this keeps scheme, host and path exactly, so the link still works.
    """
    if not url:
        return url
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    if not parts.query:
        return url.strip()
    pairs = [p for p in parts.query.split("&") if p and not _is_tracking(p.split("=", 1)[0])]
    return urlunsplit(parts._replace(query="&".join(pairs)))


# --- outlets --------------------------------------------------------------------------------

# Suffixes under which the registrable domain has three labels (a small, common subset of the
# Public Suffix List) plus shared hosting where each subdomain is a separate publisher.
_MULTI_LABEL_SUFFIXES = frozenset(
    """co.uk org.uk ac.uk gov.uk me.uk ltd.uk plc.uk net.uk sch.uk
    com.au net.au org.au edu.au gov.au asn.au id.au co.nz org.nz net.nz govt.nz ac.nz
    co.jp ne.jp or.jp ac.jp go.jp co.kr or.kr ac.kr co.in org.in net.in gov.in ac.in
    com.br org.br gov.br net.br com.ar com.mx org.mx gob.mx com.co com.pe com.ve com.uy com.ec
    co.za org.za gov.za web.za co.il org.il ac.il co.ke or.ke co.ug co.tz com.ng com.gh com.eg
    com.cn net.cn org.cn gov.cn edu.cn com.hk org.hk com.tw org.tw com.sg org.sg gov.sg edu.sg
    com.my org.my com.ph com.pk org.pk com.bd com.vn com.tr org.tr gov.tr com.sa com.qa com.kw
    co.id or.id ac.id go.id co.th or.th ac.th com.ua org.ua net.ua com.pl org.pl com.ru org.ru
    co.at or.at gv.at com.es org.es com.pt com.gr com.cy com.mt
    blogspot.com wordpress.com github.io gitlab.io substack.com tumblr.com medium.com
    blogspot.co.uk typepad.com livejournal.com wixsite.com netlify.app pages.dev""".split()
)
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
# Publishers' own link shorteners: a `cnn.it` link is CNN's, whoever's feed carries it (a
# shortener that serves anyone, like bit.ly, is a redirector: `REDIRECTOR_HOSTS`).
_SHORT_LINK_DOMAINS = {
    "cnn.it": "cnn.com", "nyti.ms": "nytimes.com", "bbc.in": "bbc.co.uk",
    "reut.rs": "reuters.com", "wapo.st": "washingtonpost.com", "fxn.ws": "foxnews.com",
    "cbsn.ws": "cbsnews.com", "nbcnews.to": "nbcnews.com", "apne.ws": "apnews.com",
    "econ.st": "economist.com", "politi.co": "politico.com", "bloom.bg": "bloomberg.com",
    "cnb.cx": "cnbc.com", "aje.io": "aljazeera.com", "dailym.ai": "dailymail.co.uk",
    "ind.pn": "independent.co.uk", "tgr.ph": "telegraph.co.uk", "n.pr": "npr.org",
    "lat.ms": "latimes.com", "usat.ly": "usatoday.com", "gu.com": "theguardian.com",
    "ti.me": "time.com", "wrd.cm": "wired.com", "propub.li": "propublica.org",
}  # fmt: skip


# Memoised: building a feed's items asks each link's outlet twice (the feed's aliases, then
# the item's own) and the feed's site once an item.
@functools.lru_cache(maxsize=4096)
def outlet_key(url: str | None) -> str:
    """The publisher an URL belongs to: its registrable domain, e.g. `theguardian.com`.

    `www.`, `m.`, `feeds.`, `rss.` … are dropped and subdomains folded onto the registrable
    domain (`edition.cnn.com` → `cnn.com`, `news.bbc.co.uk` → `bbc.co.uk`). Different
    registrable domains stay different (`bbci.co.uk` ≠ `bbc.co.uk`), but for a publisher's own
    link shortener (`cnn.it` → `cnn.com`). Empty string if no host.
    """
    if not url:
        return ""
    text = url.strip()
    if "://" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return ""
    host = host.lower().rstrip(".")
    if not host or _IPV4.match(host) or ":" in host or "." not in host:
        return host
    host = _strip_prefixes(host, _OUTLET_HOST_PREFIXES)
    labels = host.split(".")
    keep = 2
    for size in (3, 2):
        if len(labels) > size and ".".join(labels[-size:]) in _MULTI_LABEL_SUFFIXES:
            keep = size + 1
            break
    key = ".".join(labels[-keep:])
    return _SHORT_LINK_DOMAINS.get(key, key)


# Hosts whose links say nothing about the publisher: redirectors and link shorteners, and
# platforms where each channel or account is a publisher of its own.
REDIRECTOR_HOSTS = frozenset(
    """feedproxy.google.com feeds.feedburner.com feedburner.com news.google.com t.co bit.ly
    ow.ly buff.ly dlvr.it trib.al fb.me lnkd.in tinyurl.com rss.app feedly.com
    flipboard.com apple.news""".split()
)


def _behind_redirector(link: str | None) -> bool:
    """Whether a link's host is a redirector's (`REDIRECTOR_HOSTS`, or Google News's on any
    of its country hosts: news.google.co.uk's entries are Google's as news.google.com's)."""
    host = _host(link)
    return host in REDIRECTOR_HOSTS or is_google_news_host(host)


PLATFORM_HOSTS = frozenset(
    """youtube.com youtu.be vimeo.com dailymotion.com soundcloud.com twitter.com x.com
    facebook.com instagram.com tiktok.com medium.com substack.com podbean.com
    anchor.fm spotify.com bsky.app threads.net threads.com""".split()
)


def _host(url: str | None) -> str:
    if not url:
        return ""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return _strip_prefixes(host.lower().rstrip("."), _OUTLET_HOST_PREFIXES)


def _platform_outlet(url: str) -> str:
    """A platform page's publisher: host plus the channel or account path segments."""
    try:
        parts = [p for p in urlsplit(url.strip()).path.split("/") if p]
    except ValueError:
        return ""
    if not parts or parts[0] in ("watch", "embed", "shorts", "video", "videos", "status"):
        return ""
    keep = 1
    if parts[0] in ("channel", "c", "user", "u", "p", "show", "profile") and len(parts) > 1:
        keep = 2
    return outlet_key(url) + "/" + "/".join(parts[:keep]).lower()


ALIAS_MIN_ITEMS = 3  # a feed's items on one other domain that make it the site's own


def site_aliases(links: Iterable[str | None], site: str | None) -> frozenset[str]:
    """Domains a feed's items link to that stand for the feed's own site.

    When every item link that is neither on the site nor behind a redirector or platform goes
    to one and the same other domain, on at least ALIAS_MIN_ITEMS items, that domain is the
    outlet's own (its CDN, AMP, short-link or regional domain) and the items are the site's.
    Links to two or more other domains are a feed that collects several publishers' articles:
    each keeps its own domain, so that such a feed is never counted as one outlet.
    """
    site_key = outlet_key(site)
    if not site_key or site_key in REDIRECTOR_HOSTS or site_key in PLATFORM_HOSTS:
        return frozenset()
    others: dict[str, int] = {}
    for link in links:
        key = outlet_key(link)
        ordinary = key not in PLATFORM_HOSTS and key not in REDIRECTOR_HOSTS
        if key and key != site_key and ordinary and not _behind_redirector(link):
            others[key] = others.get(key, 0) + 1
    if len(others) == 1 and min(others.values()) >= ALIAS_MIN_ITEMS:
        return frozenset(others)
    return frozenset()


def item_outlet(
    link: str | None,
    site: str | None,
    fallback: str | None = None,
    aliases: frozenset[str] = frozenset(),
) -> str:
    """The outlet of an item: its link's outlet, unless the link can't tell.

    The feed's site (`site`: the feed's `<link>` or the OPML's htmlUrl) is used when the item's
    link goes through a redirector or link shortener, is on a platform where every channel is
    a publisher of its own (then the channel's page identifies it), or goes to a domain that
    stands for the site (`aliases`, see `site_aliases`). A link to another ordinary domain
    keeps that domain: feeds that collect several publishers' articles should count each
    publisher. `fallback` (the feed URL) serves when nothing else has a host.
    """
    account = account_outlet(link)
    if account:  # (a social account's post: the account is the outlet)
        return account
    link_key, site_key = outlet_key(link), outlet_key(site)
    hidden = _behind_redirector(link) or link_key in REDIRECTOR_HOSTS
    # (an account's posts of its site's articles count as that site, not as the account)
    aliased = bool(link_key) and link_key in aliases and not account_outlet(site)
    if site_key and (hidden or aliased or link_key in PLATFORM_HOSTS or not link_key):
        if site_key in PLATFORM_HOSTS:
            return _platform_outlet(site or "") or site_key
        if site_key not in REDIRECTOR_HOSTS:
            return site_key
    if link_key and not hidden:
        return link_key
    return site_key or outlet_key(fallback)


def collected_from(
    link: str | None, site: str | None, aliases: frozenset[str] = frozenset()
) -> str:
    """The publisher whose article a feed's entry links to, when that is not the feed's own
    site: the link's outlet (`outlet_key`), an ordinary domain that is neither the site's nor
    one of its `aliases` (a Reddit or Hacker News feed, Google Alerts, a newsletter's links, a
    sister paper's report in an outlet's feed). Empty when the link is the site's, goes
    through a redirector or is on a platform, or when the site is unknown, a redirector's or
    a platform's: then the feed tells who published the entry."""
    site_key, link_key = outlet_key(site), outlet_key(link)
    if link_key == site_key and not account_outlet(link):  # (its own site's: most entries)
        return ""
    if not site_key or site_key in REDIRECTOR_HOSTS or site_key in PLATFORM_HOSTS:
        return ""
    if not link_key or link_key in REDIRECTOR_HOSTS or link_key in PLATFORM_HOSTS:
        return ""
    if _behind_redirector(link) or link_key in aliases:
        return ""
    # (an account's post is the account's, on its server as anywhere)
    site_id, link_id = account_outlet(site) or site_key, account_outlet(link) or link_key
    return "" if link_id == site_id else link_id


def key_name(key: str) -> str:
    """How an outlet key reads as a name: a domain as it is, a social account as its handle
    ("mastodon.social/@harbour" → "@harbour@mastodon.social", "bsky.app/profile/h.example"
    → "@h.example", "t.me/harbour" → "@harbour"); a domain that could pass for another's
    in its ASCII form ("pаypal.com", a Cyrillic "а": `idn_names.shown_domain`)."""
    host, _, path = key.partition("/")
    if path.startswith("@"):
        return f"{path}@{host}"
    if host == "bsky.app" and path.startswith("profile/"):
        return "@" + path.removeprefix("profile/")
    if host == "t.me" and path:
        return "@" + path
    return key if key.isascii() else shown_domain(key)


def source_outlet(link: str | None, source: str | None) -> str:
    """The outlet of an entry that names its publisher (`Entry.source_url`) when its own link
    cannot tell: a redirector's (a Google News feed links every entry through Google's) or
    none. Empty when the link tells, or the source is itself a redirector or a platform."""
    if not source:
        return ""
    link_key = outlet_key(link)
    if link_key and not _behind_redirector(link) and link_key not in REDIRECTOR_HOSTS:
        return ""
    key = outlet_key(source)
    if not key or key in REDIRECTOR_HOSTS or key in PLATFORM_HOSTS:
        return ""
    return key


# --- duplicates: what is read of a stored item ---


class Stored(Protocol):
    """What the duplicate check reads of a stored item: an `Item`, or a lighter record whose
    title and text are fetched when first asked (`store_grouping.Candidate`)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def canonical_url(self) -> str | None: ...
    @property
    def guid(self) -> str: ...
    @property
    def content_hash(self) -> str: ...
    @property
    def duplicate_of(self) -> str | None: ...
    @property
    def feed_url(self) -> str: ...
    @property
    def language(self) -> str | None: ...


S = TypeVar("S", bound=Stored)


# --- fingerprints ---------------------------------------------------------------------------


def content_hash(title: str, text: str, text_words: Sequence[str] | None = None) -> str:
    """Fingerprint of the normalised words of title and text (case, punctuation, spacing folded).
    `text_words`: `words(text)`, when worked out already."""
    import hashlib  # (OpenSSL's: not loaded in a summary worker, which hashes no content)

    found = words(text) if text_words is None else text_words
    normal = " ".join(words(title)) + "\n" + " ".join(found)
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:32]


# --- duplicates -----------------------------------------------------------------------------

MIN_HASH_WORDS = 20  # below this, equal content is too weak to call two items one article
NEAR_THRESHOLD = 0.8  # Jaccard of 4-word shingles for wire copies

_GUID_UNIQUE = re.compile(
    r"^(?:https?://|urn:|tag:)|^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$",
    re.IGNORECASE,
)


# Grouping compares each new item with stored candidates, and the same stored items come up as
# candidates again and again (every copy of an event meets the others): what dedupe works out
# of a candidate's link, guid and headline is memoised (pure functions of strings).
_MEMO = 4096


@functools.lru_cache(maxsize=_MEMO)
def _article_url(url: str | None) -> str | None:
    """`url` unless it is a bare home page (some feeds link every entry to it)."""
    if not url:
        return None
    parts = urlsplit(url)
    return None if parts.path in ("", "/") and not parts.query else url


@functools.lru_cache(maxsize=_MEMO)
def _canonical_of(canonical: str | None, url: str | None) -> str | None:
    return _article_url(canonical or canonical_url(url))


def _canonical(item: Stored) -> str | None:
    return _canonical_of(item.canonical_url, item.url)


def _same_url(url: str, other: Stored) -> bool:
    """`url == _canonical(other)`, for an item's canonical `url`: a stored canonical URL is its
    own article URL or none (`_article_url` keeps it or drops it), so it is compared as it is;
    only a missing one is worked out from the link."""
    stored = other.canonical_url
    return stored == url if stored else url == _canonical(other)


def _guid_key(item: Stored) -> str | None:
    return _guid_key_of(item.guid)


@functools.lru_cache(maxsize=_MEMO)
def _guid_key_of(raw: str) -> str | None:
    guid = raw.strip()
    if not guid or not _GUID_UNIQUE.match(guid):
        return None
    if guid.lower().startswith(("http://", "https://")):
        return _article_url(canonical_url(guid))
    return guid.lower()


def _hash(item: Stored) -> str:
    return item.content_hash or content_hash(item.title, item.text)


# An item's canonical URL, guid key, content hash, and what another guid holds to share its key
_Keys = tuple[str | None, str | None, str, str]


def _strong_keys(item: Item) -> _Keys:
    """What `_strong_reason` compares of an item (worked out once per item, not per
    candidate)."""
    guid = _guid_key(item)
    return _canonical(item), guid, _hash(item), _guid_tail(guid)


def _guid_tail(key: str | None) -> str:
    """The last segment of a link's guid key's path ("" for a key that is no link, or ends in
    "/"): any guid whose key is that link holds it as written (see `_same_guid`)."""
    if key is None or not key.startswith("https://"):
        return ""
    return key.partition("?")[0].rpartition("/")[2]


def _same_guid(key: str, tail: str, other: Stored) -> bool:
    """`key == _guid_key(other)`, for an item's guid key and its `_guid_tail`, worked out
    only where it can hold. A key that is no link is a guid folded to lower case (a link's
    key is an https URL, which folds from no other kind of guid), so the other guid folds to
    it. A link's key is `canonical_url` of the guid, whose path keeps each segment as written
    (it folds runs of slashes, drops trailing ones and an AMP suffix), so the other guid
    holds its last segment, unless `urlsplit` dropped characters of it (tabs, line breaks:
    a guid that is not all printable is worked out)."""
    raw = other.guid
    if not key.startswith("https://"):
        return raw.strip().lower() == key and _guid_key(other) == key
    if tail and tail not in raw and raw.isprintable():
        return False
    return key == _guid_key(other)


def _strong_reason(item: Item, other: Stored, keys: _Keys | None = None) -> str | None:
    """The stored key by which `other` is the same article as `item` ("url", "guid" or
    "content"), or None; `keys`: `item`'s `_strong_keys`, when worked out already."""
    url, guid, digest, tail = keys if keys is not None else _strong_keys(item)
    if url is not None and _same_url(url, other) and not _other_article(item, other):
        return "url"
    if guid is not None and _same_guid(guid, tail, other):
        return "guid"
    # (the hashes first: they are stored, while counting words tokenises the text)
    if (
        digest == _hash(other)
        and _long_enough(item)
        and _own_headline(item)  # (equal titles and texts: the other's is the same)
    ):
        return "content"
    return None


def _other_article(item: Item, other: Stored) -> bool:
    """Whether two items with one link are still two articles: two entries of one feed under
    other headlines, over texts that are not near-identical. A feed that links each entry to
    one section page ("/news/local") gives its unrelated reports one link; across feeds one
    link is one article, whatever each outlet calls it."""
    if item.feed_url != other.feed_url or item.title == other.title:
        return False
    return not near(near_shingles(item.text), other.text, NEAR_THRESHOLD)


def _long_enough(item: Item) -> bool:
    """Whether an item's title and text hold `MIN_HASH_WORDS` words, Chinese and Japanese
    characters counting two to a word (a run of them is otherwise one word)."""
    if len(words(item.text)) + len(words(item.title)) >= MIN_HASH_WORDS:
        return True
    text = f"{item.title}\n{item.text}"
    return has_cjk(text) and word_count(text) >= MIN_HASH_WORDS


OPENING_TERMS = 40  # text terms tokenised to tell whether a title only opens its text


# (title, text digest, declared language)
_own_memo: OrderedDict[tuple[str, bytes, str | None], bool] = OrderedDict()
_own_lock = threading.Lock()  # grouping may run on more than one thread


def _own_headline(item: Stored) -> bool:
    """Whether an item's title is a headline of its own, not just the first words of a longer
    text (`aggregator.boilerplate.headline_of_its_own`). Memoised by title and a digest of the
    text (the texts themselves are not kept)."""
    digest = blake2b(item.text.encode(), digest_size=16).digest()
    key = (item.title, digest, item.language)
    with _own_lock:
        found = _own_memo.get(key)
        if found is not None:
            _own_memo.move_to_end(key)
            return found
    found = headline_of_its_own(
        *grouping_terms(item.title, item.text, OPENING_TERMS, item.language)
    )
    with _own_lock:
        _own_memo[key] = found
        if len(_own_memo) > _MEMO:
            _own_memo.popitem(last=False)
    return found


def _titles_agree(item: Stored, other: Stored) -> bool:
    """Whether two headlines share a content word, or only one item has a headline of its own.
    Near-identical text under unrelated headlines is a channel's template ("Watch the full
    episode of …"), not a copy of one article; under no headline of their own, nothing says it
    is one (see the module note). Dates and function words do not count."""
    mine_own, theirs_own = _own_headline(item), _own_headline(other)
    if not (mine_own and theirs_own):
        return mine_own or theirs_own
    mine = set(grouping_terms(item.title, "", 0, item.language)[0])
    theirs = set(grouping_terms(other.title, "", 0, other.language)[0])
    return bool(mine & theirs)


def duplicate_reason(
    item: Item, other: Item, *, near_threshold: float | None = NEAR_THRESHOLD
) -> str | None:
    """Why two items are the same article: "url", "guid", "content", "near" (wire copy) or None.

    `near_threshold=None` disables the near-identical text check.
    """
    if item.id and item.id == other.id:
        return "same"
    reason = _strong_reason(item, other)
    if (
        reason is None
        and near_threshold is not None
        and near(near_shingles(item.text), other.text, near_threshold)
        and _titles_agree(item, other)
    ):
        reason = "near"
    return reason


def is_duplicate(item: Item, other: Item, *, near_threshold: float | None = NEAR_THRESHOLD) -> bool:
    """True when `item` and `other` are the same article (see `duplicate_reason`)."""
    return duplicate_reason(item, other, near_threshold=near_threshold) is not None


def find_duplicate(
    item: Item,
    candidates: Iterable[S],
    *,
    hashes: Mapping[str, array[int]] | None = None,
) -> S | None:
    """The candidate `item` duplicates, or None. The item itself (same id) is skipped.

    Strong evidence (URL, guid, content hash) beats near-identical text; among equals an original
    (`duplicate_of` unset) beats a duplicate, then candidate order. When a duplicate is returned
    the caller should point at its `duplicate_of`. `hashes`: the shingle hashes of candidates'
    texts (`near_text.sorted_hashes`) by id, where kept: those texts are not hashed again (nor
    read: a candidate's text is asked for only when none are kept, its title only once its text
    is near-identical).
    """
    pool = [c for c in candidates if c.id != item.id]
    keys = _strong_keys(item) if pool else None
    strong = [c for c in pool if _strong_reason(item, c, keys) is not None]
    if not strong:
        mine = near_shingles(item.text)
        if mine:
            kept = hashes or {}
            strong = [c for c in pool if _near(mine, c, kept.get(c.id)) and _titles_agree(item, c)]
    for candidate in strong:
        if candidate.duplicate_of is None:
            return candidate
    return strong[0] if strong else None


def _near(mine: frozenset[int], candidate: Stored, kept: array[int] | None) -> bool:
    """`near` for a candidate whose shingle hashes may be `kept` (then its text is not read)."""
    return near(mine, candidate.text if kept is None else "", NEAR_THRESHOLD, kept)
