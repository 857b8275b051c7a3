"""Which sentences of a source may become bullets: complete, whole, and readable on their own.

Pure functions over plain text. A bullet is a complete sentence with closing punctuation; a quote
split over two sentences is joined back (or dropped); text cut off by the feed ("…", "[...]") is
never used; a sentence that leans on the one before it ("He said…", "This is…") is not a bullet,
while a connective opening ("But", "However,") is dropped when the rest stands on its own.
"""

from __future__ import annotations

import contextlib
import itertools
import pickle
import re
import sys
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator

from .captions import is_caption, is_noun_phrase
from .dashes import as_dashes
from .digests import blake2b
from .lang import detect_language
from .novelty import figure_terms
from .openings import OPEN_QUOTES as _OPEN_QUOTES
from .openings import leans_back, unnamed_speaker
from .quote_speakers import attribute
from .sentences import split_sentences
from .text import OUTLET_TAG, clean_text, has_case_special, html_to_text
from .tokens import tokens, word_count

__all__ = [
    "balanced",
    "body_sentence_facts",
    "body_sentences",
    "clear_memo",
    "ends_complete",
    "is_truncated",
    "memo_entries",
    "needs_context",
    "stand_alone",
]

MAX_SENTENCES = 60  # per source: leads carry the news, and this bounds the work
_MAX_QUOTE_JOIN = 4  # sentences a quote may span before it is given up as split

_TERMINAL = re.compile(r"""[.!?۔؟।॥。！？]["'”’)\]」』]*$""")
_TRUNCATED = re.compile(
    r"""(?:\.\.\.|…|\[\s*(?:\.\.\.|…)\s*\]|\(\s*(?:\.\.\.|…)\s*\))["'”’)\]]*$"""
)
# A straight quote's sides: an opening one follows the start, a space or an opening bracket or
# dash, and comes before a character; a closing one follows a character (not a digit: `6" pipe`
# is an inch), and comes before the end, a space or punctuation.
_QUOTE_SIDE = re.compile(
    r'(?P<open>(?<![^\s(\[{—–/])"(?=[^\s"]))|(?P<close>(?<=[^\s"\d])"(?![^\s.,;:!?)\]}—–’\'-]))'
)
_CURLY_QUOTE = re.compile("[“”]")
# Where a long sentence may be cut: a semicolon or a dash between clauses, and in Chinese and
# Japanese the full-width semicolon. Their commas ("，", "、") and dashes are not: what comes
# before them is often a clause that needs what follows ("由于…，", a Japanese verb in its
# joining form), as before an English comma.
_CLAUSE_BREAK = re.compile(r";\s+|\s+[—–]\s+|\s+--\s+|；")
_WIDE_STOP = re.compile(r"""[。！？]["'”’)\]」』]*$""")  # a Chinese or Japanese sentence's end
# their quotes and brackets, which `balanced` leaves out
_WIDE_PAIRS = (("「", "」"), ("『", "』"), ("（", "）"))
# (an address is tried from its word's start up to the word's first "@" after its first
# character: "\S+@\S+\.\w" tried at each character of a word of "a@a@…" backtracked over
# the rest of it from each "@", time cubic in the word)
_URLISH = re.compile(r"https?://|www\.|(?<!\S)\S[^\s@]*@\S+\.\w|(?:^|\s)@\w")
_PROMO = re.compile(
    r"\b(?:newsletters?|mailing\s+list|sign\s+up|(?:un)?subscribe|subscription|click\s+here|"
    r"follow\s+us|contact\s+details|cookies?\s+policy|terms\s+of\s+(?:use|service)|"
    r"privacy\s+policy|all\s+rights\s+reserved|javascript|read\s+more|continue\s+reading|"
    r"watch\s+the\s+video|listen\s+to\s+the|download\s+the\s+app|advertisement|"
    r"full\s+episode|only\s+available\s+in|watch\s+the\s+latest|latest\s+episodes|"
    r"click\s+the\s+bell|official\s+youtube\s+channel|stay\s+tuned|tune\s+in\s+to|"
    r"brought\s+to\s+you\s+by|"
    # a programme's schedule: "<Anchor> anchors from … at 6:30pm ET", "… airing at 11:35pm EST,
    # streaming online …", "Tune into <site> … at 12:15pm EST to watch …" (a time with its zone
    # alone is news: "flights after 8 p.m. CT were cancelled", "a 9 p.m. (3 p.m. ET) deadline")
    r"\b(?:anchors?|anchoring|airs|airing|streams|streaming|premieres?|premiering|tune\s+into?)"
    r"\b.{0,80}?\b\d{1,2}(?::\d\d)?\s*[ap]\.?m\.?\s*(?:et|est|edt|pt|pst|pdt|ct|cst|cdt|mt|mst|"
    r"mdt|eastern|pacific|central|mountain)\b|"
    # an account's or an error page's notes: "Please check your email and click on the link to
    # activate your account.", "log into your account", "visit our help center", "If you are
    # trying to reach a page from a bookmark, the page URL may have changed."
    r"(?:log|sign)(?:\s*in)?\s*(?:in)?to\s+your\s+account|activate\s+your\s+account|"
    r"check\s+your\s+(?:e-?mail|inbox|spam)|help\s+(?:center|centre)|from\s+a\s+bookmark|"
    r"page\s+(?:url|address)\s+may\s+have\s+changed|may\s+no\s+longer\s+be\s+(?:here|available)|"
    r"until\s+you\s+cancel|"
    # a paywall's and a missing page's: "Already a subscriber? Log in here to read the rest of
    # this article.", "Get unlimited access …", "Try searching our site or return to the homepage."
    r"read\s+the\s+rest\s+of\s+(?:this|the)\s+(?:article|story)|already\s+a\s+subscriber|"
    r"(?:get|enjoy)\s+unlimited\s+(?:digital\s+)?access|return\s+to\s+(?:the|our)\s+home\s*page|"
    # a meter's, an appeal's, an ad blocker's and an error page's: "You have reached your limit
    # of free articles", "Create a free account to keep reading", "We rely on readers like you
    # to fund our journalism", "Please disable your ad blocker", "Our site uses cookies …",
    # "Error 404", "The requested URL was not found on this server", "… not available in your
    # region", "Access to this page has been denied …"
    r"(?:limit|all)\s+of\s+(?:your\s+)?free\s+articles|read\s+all\s+(?:of\s+)?your\s+free|"
    r"free\s+articles?\s+(?:this|per|a|each)\s+month|create\s+a\s+free\s+account|"
    r"readers\s+like\s+you|(?:fund|support)\s+our\s+(?:journalism|reporting|newsroom)|"
    r"journalism\s+by\s+becoming|our\s+(?:journalism|reporting)\s+free|"
    r"(?:disable|turn\s+off|whitelist|pause)\s+(?:your\s+|the\s+)?ad\s*-?\s*blocker|"
    r"(?:our|this)\s+(?:web\s*)?site\s+uses\s+cookies|error\s+404|404\s+(?:error|not\s+found)|"
    r"(?:url|page)\s+was\s+not\s+found\s+on\s+this\s+server|"
    r"(?:this|the)\s+page\s+(?:does\s+not|doesn['’]t)\s+exist|"
    r"not\s+available\s+in\s+your\s+(?:region|country|location)|"
    r"access\s+to\s+this\s+page\s+has\s+been\s+denied|"
    # a Twitter page's own notes: "When you tweet with a location, Twitter stores that
    # location.", "… always have the option to delete your (Tweet) location history."
    r"tweet\s+with\s+a\s+location|delete\s+your\s+(?:tweet\s+)?location\s+history|"
    r"location\s+information\s+to\s+your\s+tweets|"
    r"page\s+you\s+(?:are\s+|were\s+|['’]re\s+)?(?:looking\s+for|requested|trying\s+to))\b",
    re.IGNORECASE,
)
# A byline or speaker label in capitals before the sentence ("JOHN SMITH: The minister…").
_CAPS_LABEL = re.compile(r"^[A-Z][A-Z .'’-]{3,40}:\s+(?=[A-Z\"“])")
# An update's label and time before what it adds ("Update: …", "UPDATE, 10:11 p.m. — …").
_UPDATE_LABEL = re.compile(
    r"^(?:Update[sd]?|UPDATE[SD]?)(?:[^a-z:—–]|[ap]\.m\.|:\d){0,30}?(?::\s+|\s[—–-]{1,2}\s+)"
    r"(?=[A-Z\"“])"
)
# A dateline the text cleaner leaves (it knows the agencies' tags): a place (and region or date)
# before a local outlet's tag ("PALO ALTO (CBS SF) — ", "MONDAY, July 2 (HealthDay News) -- "),
# a place joined by a dash without spaces ("WASHINGTON—The …"), a place before an article
# ("DUBAI A Bahraini court …"), an outlet's tag alone, mid-paragraph ("… contends. (HealthDay)—A
# little jogging …"), and a video player's "CLOSE" before its caption.
_PLACE = r"[A-Z][A-Z.'’-]*(?:\s+[A-Z][A-Z.'’-]*){0,3}"
_LEFT_DATELINE = re.compile(
    rf"^{_PLACE}(?:,\s+[A-Z][\w.]*(?:\s+[\w.]+){{0,2}})?\s*\([A-Z][\w .'’-]{{1,25}}\)\s*"
    r"[-—–:]{1,2}\s*(?=[A-Z\"“‘])"
    rf"|{OUTLET_TAG}"
    rf"|^{_PLACE}[—–]\s*(?=[A-Z\"“‘])"
    r"|^[A-Z]{4,}(?:\s+[A-Z]{2,}){0,2}\s+(?=(?:The|A|An)\s+[A-Za-z][a-z])"
    r"|^CLOSE\s+(?=[A-Z])"
)
# Chinese and Japanese datelines and credits, dropped as English datelines are: an outlet and
# place before the date and "电"/"讯" ("新华社北京3月2日电", "中新网港城3月2日电", "本报讯"),
# with the reporters' names after it ("（记者 王明）"); a Japanese bureau or agency in brackets
# ("【ワシントン=共同】", "［東京 2日 ロイター］"); a reporters' credit at the front.
# The Han of a dateline's outlet and place: the Basic Multilingual Plane's, without 々 (a
# narrower class than `cjk_script.HAN`, which grouping and word counts use).
_DATELINE_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_START = re.compile("[\u3000-\u9fff\uf900-\ufaff\uff00-\uffef]")  # (also 【 ［ （)
_CJK_CREDIT = (
    r"[（(](?:[^（）()]{0,12}(?:记者|記者|通讯员|通訊員|特派员|特派員|编辑|編輯)[^（）()]{0,30}"
)
_CJK_CREDIT += r"|中央社[^（）()]{0,30})[）)]"
_CJK_DATELINE = re.compile(
    rf"^\s*(?:[{_DATELINE_HAN}]{{2,12}}?[0-9０-９]{{1,2}}月[0-9０-９]{{1,2}}日[电電讯訊]"
    r"(?![视視影话話脑腦池力站梯车車动動器气氣网網线線])"
    rf"|(?:本报|本報|本台|本网|本網)[{_DATELINE_HAN}]{{0,8}}?[讯訊电電]"
    rf"|[{_DATELINE_HAN}]{{1,6}}[网網]消息(?=[（(：:]))\s*(?:{_CJK_CREDIT})?\s*[：:]?\s*"
    rf"|^\s*{_CJK_CREDIT}\s*"
    r"|^\s*[【［][^【】［］\n]{0,20}?(?:[=＝]|共同|時事|ロイター|AFP|新華社|聯合)"
    r"[^【】［］\n]{0,20}[】］]\s*"
)
# A reporters' credit inside a sentence ("港城市交通运输局（记者 王明）…") says who wrote it.
_CJK_INNER_CREDIT = re.compile(r"\s*" + _CJK_CREDIT)
# Chinese and Japanese openings, as `_CONNECTIVE` and `openings.leans_back` read English ones:
# a connective before a comma ("此外，", "但是，", "また、", "しかし、") is dropped; a pronoun or a
# word that points back ("他表示…", "该公司…", "这是…", "其中…", "对此，", "彼は…", "同社は…",
# "この地震で…") leaves the sentence leaning on the one before, so it is no bullet. Openings
# of time ("此前", "此时", "これまで") and "其实" do not point back.
_CJK_CONNECTIVE = re.compile(
    r"^(?:(?:此外|另外|同时|同時|但是|不过|不過|然而|而且|并且|並且|因此|所以|随后|隨後|此后|此後|"
    r"另一方面|また|さらに|しかし|一方|なお|ただし|ただ|だが|その後|その上)[，、,]\s*|但(?=[^\W\d_]))"
)
_CJK_LEANS_BACK = re.compile(
    r"^(?:[他她它](?:们|們)?(?![国國乡鄉人山])|[该該](?!死)|[此这這](?![前外时時间間])|其(?![实實])|"
    r"[对對为為]此|彼(?:女|ら)?|同(?:氏|社|容疑者|被告|市|県|国)|この|その|あの|"
    r"これ(?!まで|から)|それ(?!まで|から|ぞれ))"
)
# Connectives: dropped from the front when what follows is a sentence by itself. Not a word
# that heads a phrase there ("Instead of …", "So far, …", "So much for …", "Besides 8,000
# followers, …", "In addition to …", "As a result of …", "After that meeting, …"): dropped, it
# would leave the phrase's tail ("Of being …", "Far, …", "To starring on 30 Rock, …"). A link
# to what came before that says only that it is one ("Despite this,", "In response,") goes too.
_CONNECTIVE = re.compile(
    r"^(?:but|and|or|so(?!\s+(?:far|much|many|few|little|long|too)\b)|yet|also|however|"
    r"meanwhile|still|instead(?!\s+of\b)|then|thus|therefore|moreover|"
    r"furthermore|additionally|nevertheless|nonetheless|otherwise|besides(?=,)|likewise|similarly|"
    r"indeed|in\s+addition(?!\s+to\b)|in\s+turn|as\s+a\s+result(?!\s+of\b)|"
    r"at\s+the\s+same\s+time(?!\s+as\b)|by\s+contrast(?!\s+(?:with|to)\b)|"
    r"on\s+the\s+other\s+hand|in\s+fact|even\s+so|after\s+that(?=,)|that\s+said|plus(?=,)|"
    r"(?:despite|because\s+of)\s+(?:this|that)(?=,)|for\s+(?:this|that)\s+reason(?=,)|"
    r"in\s+(?:response|return|reply|the\s+meantime)(?=,)|as\s+such(?=,)|"
    r"to\s+(?:this|that)\s+end(?=,))\b[,:]?\s+",
    re.IGNORECASE,
)
# `_PROMO` without IGNORECASE, on lower-cased text (~3x faster). Lower-casing keeps what
# IGNORECASE matches except for "İ" (grows), "ı" and "ſ" (match "i" and "s" only under it).
_PROMO_LOWER = re.compile(_PROMO.pattern)
# Notes to the reader rather than news: content warnings, helplines, "follow our live blog",
# calls to watch, listen, join, check out or stay, "Get access to … on our app", a newsletter's
# own lines ("What else you need to know today.", "…: This is your morning tip sheet."), and a
# programme's blurb ("Start your day the right way with …", "<Show> is <Channel>'s flagship
# newscast, …").
_READER_NOTE = re.compile(
    r"^(?:content\s+|trigger\s+)?warning\s*:|\bmay\s+be\s+(?:distressing|upsetting|disturbing)"
    r"\s+(?:to|for)\s+some\b|\bviewer\s+discretion\b|\bif\s+you\b[^.]{0,120}?\b(?:call|ring|"
    r"phone|text|contact)\b[^.]{0,80}?\b(?:helpline|hotline|lifeline|crisis\s+line)\b|"
    r"^follow\s+(?:our|the|(?:\S+\s+){0,3}?\S+['’]s)\s+(?:live\s+)?(?:blog|coverage|updates)\b|"
    r"^(?:watch|listen)\s*(?::|[\"“]|(?:the|our|live|now|more|it|this|full|again|here|below|"
    r"above)\b)|^(?:join|check\s+out)\s|^get\s+the\b[^.]{0,30}\bapp\b|"
    r"^get\s+(?:unlimited\s+|full\s+)?access\s+to\b|"
    r"^(?:and\s+|plus\s+)?(?:here['’]?s\s+|here\s+is\s+)?what\s+(?:else\s+)?you\s+need\s+to\s+know\b|"
    r"\bthis\s+is\s+your\s+(?:[\w-]+\s+){0,2}?(?:tip\s+sheet|briefing|newsletter|digest|"
    r"round-?up|guide)\b|"
    r"^start\s+your\s+(?:day|morning|evening|week|weekend)\b|"
    # a page's call to stay on it ("Stay here for the latest data …", "Stay with us for …"),
    # and a programme's call to watch in Tagalog ("Tutukan ang …", "Panoorin ang …")
    # (for something, or alone: "Stay here, police told residents" is a report's words)
    r"^stay\s+(?:here|with\s+us|on\s+this\s+page)(?:\s+(?:for|to|as)\b|\s*[.!]?\s*$)|"
    r"^(?:tutukan|panoorin|abangan|subaybayan)\s+(?:ang|ngayong|sa|mamaya)\b|"
    r"\bis\s+(?:[\w'’.&-]+\s+){0,3}?flagship\s+(?:news(?:cast|\s+programme|\s+program|\s+show)|"
    r"(?:current\s+affairs\s+|morning\s+|breakfast\s+)?(?:programme|program|show))\b|"
    # a video's or programme's blurb: "See how …", "Meet the woman who …" (not "Meet the
    # Press"), "<Section> takes a look into …", "<Guest> joins the <Show> to weigh in on …"
    r"^(?:see\s+(?:how|why|what|who)|meet\s+(?:the\s+(?!press\b)|how|why|what|who))\b|"
    r"\btakes\s+a\s+(?:closer\s+|quick\s+|brief\s+)?look\s+(?:back\s+)?(?:at|into)\b|"
    r"\bjoins\s+(?:us|the\s+(?:[\w'’-]+\s+){0,2}[\w'’-]+|[\w'’-]+)\s+to\s+"
    r"(?:discuss|talk|weigh\s+in|explain|break\s+down|share)\b|"
    # a programme's guest line and its presenter's: "Dr. Deborah Birx joins 'Fox & Friends.'",
    # "… joins Dana Perino on 'The Daily Briefing.'", "CNN's Alisyn Camerota speaks with a
    # panel …", and an event named and nothing told of it: "… holds a press conference."
    r"\bjoins\s+(?:[\w'’.-]+\s+){0,3}?(?:on\s+)?['‘\"“][^'’\"”]{2,60}['’\"”]\s*\.?['’\"”]?\s*$|"
    r"^[\w.&-]+(?:\s+[\w.&-]+){0,3}['’]s\s+(?:[A-Z][\w'’.-]*\s+){1,3}(?:speaks|talks)\s+"
    r"(?:with|to)\b|"
    r"^[^.;:]{0,80}?\b(?:holds|gives|delivers)\s+(?:a\s+)?(?:news\s+|press\s+)?(?:conference|"
    r"briefing|remarks|speech|statement)\s*\.?\s*$|"
    # the page around the text: "Below is the full text of …", "Read on for …", "Click through
    # the slideshow below …", "The video shown here …", "… in our gallery, above", "You'll also
    # find …", "… published the following image.", a transcript's production notes
    r"^(?:below|above)\s+(?:is|are)\b|^(?:read\s+on|scroll\s+(?:down|up)|click\s+(?:through|"
    r"below|above|on|to|the))\b|^you['’]ll\s+also\s+find\b|"
    r"\b(?:slideshow|gallery|video|photos?|pictures?|images?|montage|clip|chart|graphic|map)"
    r",?\s+(?:(?:shown\s+)?(?:below|above)|shown\s+here)\b|\b(?:in|from)\s+(?:the|our|this)\s+(?:slideshow|"
    r"gallery|photo\s+gallery)\b|\bthe\s+following\s+(?:image|photo|picture|video|clip|chart|"
    r"graphic|map|tweet|post|statement)\b|\btranscripts?\s+(?:is|are)\s+(?:created|produced)\b|"
    r"\bauthoritative\s+record\s+of\b|\bmay\s+not\s+be\s+in\s+its\s+final\s+form\b|"
    # a page's asks of its reader: "Please keep posting them in the comments.", "Let us know in
    # comments …", "Visit the Example website for more about …", "Download the Example app now!"
    r"^please\s|^(?:let\s+us|tell\s+us|send\s+us|e-?mail\s+us|write\s+to\s+us)\b|"
    r"^visit\s[^.]{0,80}?\bfor\s+(?:more|further|the\s+latest|updates|details)\b|"
    r"^download\s+(?:the|our)\b[^.]{0,40}?\bapps?\b|"
    r"\b(?:post|posting|share|leave)\b[^.]{0,60}?\bin\s+the\s+comments\b|"
    # a note on the article itself: "This story has been updated to include …", "An earlier
    # version of this article misstated …", "Updated at 9:23 a.m. to correct the name …",
    # "Update 2: We've added a later statement …"
    r"\b(?:this|the)\s+(?:story|article|post|report|piece|page)\s+(?:has\s+been|had\s+been|was|"
    r"is\s+being)\s+(?:updated|corrected|revised|amended|changed|edited)\b|"
    r"\ban?\s+(?:earlier|previous|prior)\s+version\s+of\s+this\s+(?:story|article|post|report|"
    r"piece)\b|^(?:updated?|corrected|editor['’]?s\s+note)\b.{0,40}?\bto\s+(?:correct|reflect|"
    r"include|add|clarify|show|note|remove)\b|"
    r"^(?:updated?\s*\d*\s*:\s*)?we['’]ve\s+(?:added|updated|corrected|changed)\b|"
    # a writer's turn to the reader: "Look at the replay from side on.", "Just look at …",
    # "Have a look at …", "Imagine the lines in Customs." (not "Imagine Dragons played …"),
    # "Picture a volcanic eruption: …"
    r"^(?:(?:just|now)\s+)?look\s+at\b|^(?:take|have)\s+a\s+look\b|^imagine\s+(?-i:[a-z])|"
    r"^picture\s+(?:this|a|an)\b",
    re.IGNORECASE,
)
# A space markup left before a comma, a full stop or a closing bracket, or after an opening
# one ("Playbuzz , creator", "the plan .", "( the BBC )"): wrong in every language, unlike a
# space before ":", ";", "?" or "!", which French typography asks for. An ellipsis ("so on
# ...", ". . .") and a figure (".45", ",5") are left as they are.
_SPACE_BEFORE = re.compile(r"(?<=[\w\"'”’)\]%]) +(?=,(?!\d)|\)|\.(?![.\w]| \.))")
_SPACE_AFTER = re.compile(r"(?<=\() +")
# A word typed twice that English never writes twice in a row ("the the younger", "have been
# been snubbed", "port of of Napier"): a typo. Words English may double are left ("that that",
# "had had", "sworn in in January", "what it is is"), and so is a name ("The The"), a capital
# letter's name after the sentence's start ("Group A a point ahead", "de A a Z"), and a sentence
# not read as English (German's "an an die 300", about 300).
_TYPED_TWICE = re.compile(r"\b([Tt]he|[Aa]n?|[Oo]f|[Aa]nd|[Bb]een) (the|an?|of|and|been)\b")
# (looked for only where one may be: the pattern alone is a third of `stand_alone`'s time)
_TWICE = ("the the ", "a a ", "an an ", "of of ", "and and ", "been been ")


def _once(match: re.Match[str]) -> str:
    first, second = match.groups()
    if first.lower() != second:
        return match.group()
    if first == "A" and match.string[: match.start()].strip(" \"'“‘(["):
        return match.group()  # (a letter's name: "Group A a point ahead")
    return first


# A reference's number after a word or a closing quote: "видов[3]", "“egg” [1]", "[2][10]" (not
# an index after a one-letter name: "a[1]").
_FOOTNOTE = re.compile(
    r"(?:(?<=[^\W\d_]{2})|(?<=[”\"'’.)\]])) ?\[\d{1,3}\](?=[\s.,;:!?)\[\]”\"'’]|$)"
)
# A pointer to a photo the bullet does not carry: "(pictured)", "(pictured left)", "(above)".
_PHOTO_POINTER = re.compile(
    r"\s*\((?:pictured\b[^()]{0,40}|(?:shown|seen)\s+(?:here|above|below|left|right)|"
    r"(?:(?:top|bottom|far|second\s+from)\s+)?(?:left|right|centre|center)|above|below|inset|"
    r"file(?:\s+(?:photo|picture|image))?)\)",
    re.IGNORECASE,
)
# The same pointer set off by commas ("Sam Example, pictured, was…", "…, 45, pictured left,
# from…", "… said the mayor, pictured."), and a caption's label before what a photo shows
# ("Pictured: Crowds at …"), which makes the sentence a caption.
_PICTURED = re.compile(
    r",\s+pictured(?:\s+(?:left|right|centre|center|above|below|top|bottom|inset))?"
    r"(?:\s+(?:with|in|at|on|during|outside|after|before)\s+[^,.;:!?()]{1,40})?"
    r"(?:,(?=\s)|(?=[.;:!?]))",
    re.IGNORECASE,
)
_APPOSITION_OPEN = re.compile(r",[^,]{1,30}$")  # "…Rufus, 45" before ", pictured,"
_CAPTION_LABEL = re.compile(
    r"^(?:pictured|above|below|inset|file\s+(?:photo|picture|image))\b[^:.]{0,30}:\s",
    re.IGNORECASE,
)
# A title the sentence splitter or the feed cut the sentence at: "… trusts Sec.", "… by P/Gen."
# ("Jr.", "Sr." and "St." may end a sentence: "Martin Luther King Jr.", "on Main St.")
_TITLE_END = re.compile(  # (matched against the last word only)
    r"(?:.*[/(])?(?:mr|mrs|ms|mx|dr|prof|gov|sen|rep|gen|col|lt|sgt|capt|cmdr|adm|maj|cpl|pvt|"
    r"pres|supt|det|insp|rev|hon|fr|sec|atty)\.",
    re.IGNORECASE,
)
# Each alternative of `_PROMO` holds one of these in its words, and each of `_READER_NOTE`
# one of these, or "if" and "line" (a helpline's), or opens with one of `_NOTE_OPENINGS`
# (lower-cased): a sentence without them matches neither, which substring tests tell faster
# than the patterns, tried at every character.
_PROMO_MARKS = (
    "newsletter", "mailing", "sign", "subscri", "click", "follow", "contact", "cookie",
    "terms", "privacy", "reserved", "javascript", "read", "watch", "listen", "download",
    "advertisement", "episode", "available", "youtube", "tune", "brought", "account",
    "anchor", "airs", "airing", "stream", "premier",
    "check your", "help cent", "bookmark", "may have changed", "page you", "no longer be",
    "you cancel", "tweet", "location history", "already a", "unlimited", "home", "free",
    "like you", "our journalism", "our reporting", "our newsroom", "journalism by", "blocker",
    "cookies", "404", "not found", "exist", "your region", "your country", "your location",
    "denied",
)  # fmt: skip
# A programme's plug in Tagalog sharing a sentence with the news ("Abangan sa 24 Oras ang
# detalye: arestado na ang suspek …", "Arestado na ang suspek …, abangan sa 24 Oras ang
# detalye."): the plug goes and the news stays, as a sentence of its own.
_PLUG_VERBS = r"(?:abangan|tutukan|panoorin|subaybayan)\s+(?:ang|ngayong|sa|mamaya)\b"
_PLUG_HEAD = re.compile(rf"^(?i:{_PLUG_VERBS})[^:;—–.!?]{{0,80}}?(?::|;|\s[—–-]{{1,2}})\s+(?=\w)")
_PLUG_TAIL = re.compile(rf"\s*[,;]\s+(?i:{_PLUG_VERBS})[^.!?:;]{{0,80}}([.!?])$")
_PLUG_MARKS = ("angan ", "tukan ", "noorin ", "baybayan ")  # (each plug needs one)
# What tells a plug from the news's own "abangan" (look out for: "Ayon sa PAGASA, abangan ang
# malakas na ulan ngayong gabi.", "Abangan ang pagdating ng bagyo; inaasahang tatama ito …"):
# it speaks of the report ("ang buong ulat", "ang detalye") or names only the programme
# ("abangan sa 24 Oras mamaya", "Subaybayan ang Saksi —"), not a day.
_PLUG_REPORT = re.compile(r"\b(?:detalye|ulat|balita|kuwento|kwento|report|panayam|video)\b", re.I)
_PLUG_PROGRAMME = re.compile(
    r"\w+\s+(?:(?:ang|sa|ngayong|mamaya)\s+)+"
    r"(?!(?:Lunes|Martes|Miyerkules|Huwebes|Biyernes|Sabado|Linggo)\b)"
    r"[A-Z0-9][\w-]*(?:\s+(?:[A-Z0-9][\w-]*|mamaya|ngayong|gabi))*"
)


def _is_plug(words: str) -> bool:
    """Whether a plug verb's words (`_PLUG_VERBS` and what follows, without the separator)
    speak of the report or name only the programme."""
    return bool(_PLUG_REPORT.search(words)) or _PLUG_PROGRAMME.fullmatch(words) is not None


def without_plug(sentence: str) -> str:
    """The sentence without a programme's plug it opens or ends with (`_PLUG_HEAD`,
    `_PLUG_TAIL`, read as a plug by `_is_plug`), the news left capitalised and closed; any
    other sentence as it is."""
    head = _PLUG_HEAD.match(sentence)
    if head is not None and _is_plug(sentence[: head.end()].rstrip(" :;—–-")):
        rest = sentence[head.end() :]
        sentence = rest[0].upper() + rest[1:]
    tail = _PLUG_TAIL.search(sentence)
    if tail is not None and _is_plug(tail.group(0)[:-1].lstrip(" ,;")):
        sentence = sentence[: tail.start()] + tail.group(1)
    return sentence


_NOTE_MARKS = (
    "warning", "distressing", "upsetting", "disturbing", "discretion", "need to know",
    "this is your", "flagship", "a look", "joins", "speaks with", "speaks to", "talks with",
    "talks to", "conference.", "briefing.", "remarks.", "speech.", "statement.", "below",
    "above", "shown here", "slideshow",
    "gallery", "following", "transcript", "record of", "final form", "comments", "updated",
    "corrected", "revised", "amended", "changed", "edited", "version",
)  # fmt: skip
_NOTE_OPENINGS = (
    "follow", "watch", "listen", "join", "check", "get", "start", "see", "meet", "read on",
    "scroll", "click", "you'll", "you’ll", "please", "let us", "tell us", "send us", "email us",
    "e-mail us", "write to us", "visit", "download", "update", "correct", "editor", "we've",
    "we’ve", "just look", "now look", "look at", "take a look", "have a look", "imagine",
    "picture", "stay ", "tutukan", "panoorin", "abangan", "subaybayan",
)  # fmt: skip


def _has_link(sentence: str) -> bool:
    """A link, address or handle (`_URLISH`; each of its forms needs one of these)."""
    hinted = "://" in sentence or "www." in sentence or "@" in sentence
    return hinted and _URLISH.search(sentence) is not None


def _is_promo(sentence: str) -> bool:
    """Newsletter, subscription, cookie and similar page furniture (`_PROMO`), and notes to
    the reader (`_READER_NOTE`: a content warning, a helpline, "follow our live blog")."""
    if has_case_special(sentence):
        return _PROMO.search(sentence) is not None or _READER_NOTE.search(sentence) is not None
    low = sentence.lower()
    # (`map` over `__contains__`: the substring tests run without a generator's frames)
    if any(map(low.__contains__, _PROMO_MARKS)) and _PROMO_LOWER.search(low) is not None:
        return True
    may_be_note = (
        low.startswith(_NOTE_OPENINGS)
        or any(map(low.__contains__, _NOTE_MARKS))
        or ("line" in low and "if" in low)
    )
    return may_be_note and _READER_NOTE.search(sentence) is not None


def is_truncated(text: str) -> bool:
    """Whether the text ends cut off: an ellipsis (plain, bracketed) at the end."""
    return _TRUNCATED.search(text.strip()) is not None


def ends_complete(text: str) -> bool:
    """Closing punctuation (after any closing quotes or brackets) and no trailing ellipsis."""
    text = text.strip()
    return _TERMINAL.search(text) is not None and not is_truncated(text)


def balanced(text: str) -> bool:
    """Whether quotes and brackets open and close within the text, in order: straight quotes
    whose sides all tell opening from closing must alternate ('author of "Front Row, says …
    "As reporters …," he says. "The insults …' pairs its quotes wrongly: a closing quote is
    missing), and a curly quote never closes before it opens."""
    straight = text.count('"')
    if straight % 2 or text.count("“") != text.count("”") or text.count("(") != text.count(")"):
        return False
    if straight and not _quotes_alternate(text, straight):
        return False
    if "”" in text:
        depth = 0
        for mark in _CURLY_QUOTE.findall(text):
            depth += 1 if mark == "“" else -1
            if depth < 0:
                return False
    return True


def _quotes_alternate(text: str, count: int) -> bool:
    """Whether the straight quotes open and close in turn, when each one's sides say which
    it is (a space or an opening bracket before and a character after: opening; a character
    before and a space, punctuation or the end after: closing); when any one is unclear
    (`a"b`, ` " `), whether they do is not known, and the answer is yes. `count`: how many
    there are."""
    kinds = [m.lastgroup for m in _QUOTE_SIDE.finditer(text)]
    if len(kinds) != count:
        return True
    return all(kind == ("open" if n % 2 == 0 else "close") for n, kind in enumerate(kinds))


def needs_context(text: str) -> bool:
    """Whether the sentence opens with a word that refers to something said before it, or
    with a connective ("But", "However,") that joins it to one, or gives a quote to a pronoun
    it never names ("“…,” he said.") (see `openings`)."""
    return (
        leans_back(text)
        or _CONNECTIVE.search(text.lstrip(_OPEN_QUOTES)) is not None
        or unnamed_speaker(text)
    )


def _drop_pictured(match: re.Match[str]) -> str:
    """ ", pictured," out of a sentence: a comma stays when it closes an apposition opened
    before the pointer ("Sam Example, 45, pictured, from Leeds" → "Sam Example, 45, from
    Leeds"), else the pointer goes with its commas ("Sam Example, pictured, was" → "Sam
    Example was")."""
    closed = match.group().endswith(",")
    return "," if closed and _APPOSITION_OPEN.search(match.string[: match.start()]) else ""


# An aside's label inside brackets: "(Update: …)", "(Related: …)", "(Editor's note: …)", "(See
# also …)", "(Below, see …)".
_ASIDE_LABEL = re.compile(
    r"[A-Z][\w'’/ -]{0,24}:\s|(?i:see|read|watch|click|below|above|related|via|h/t)\b"
)


# A label that makes the sentence no bullet: an interview's or a Q&A's ("Q: …", "A: Before
# anything else, sign the ticket.": an answer without its question), and a page's before what
# is not the news: a credit, a disclosure, a note or an advisory, a film's rating and cast, a
# figure's number, a video's kind, a pointer to more ("Credit: …", "Advisory: This film
# contains …", "MPAA rating: R.", "With: …", "Figure 6: …", "Raw: …", "Explore further: …").
_REFUSED_LABEL = re.compile(
    r"(?:Q|A|Question|Answer|"
    r"Advisory|Disclaimer|Disclosure|Credits?|Image|Illustration|Figure\s+\d+\w?|Note|"
    r"(?:Hidden\s+)?Message|(?:MPAA\s+)?[Rr]ating|Running\s+time|Starring|With|Raw|"
    r"More\s+information|Explore\s+further|Journal\s+reference|Read\s+(?:more|next|also)|"
    r"Related|Trivia\s+buffs|Drop\s+[Tt]his\s+[Ff]act)\s?:\s"
)


def _unwrapped(text: str) -> str | None:
    """A sentence wholly in brackets without them ("(The vote was the first since 2019.)"), or
    None for an aside to the reader ("(Update: …)", "(Below, see …)"); any other text as it is."""
    depth, close = 0, -1
    for index, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if depth == 0:
            close = index
            break
    if close < 0 or text[close + 1 :] not in ("", "."):
        return text  # (the first bracket closes before the end: "(CNN) The …")
    inner = text[1:close].strip()
    if not inner or _ASIDE_LABEL.match(inner):
        return None
    return inner if _TERMINAL.search(inner) else inner + "."


def stand_alone(sentence: str) -> str | None:
    """The sentence as a stand-alone bullet, or None when it can't be one.

    A sentence wholly in brackets loses them, or is refused when it is an aside ("(Update:
    …)"); a Q&A's answer ("A: …") and a page's labelled line ("Credit: …", "Advisory: …")
    are refused. A dateline the text cleaner left ("PALO ALTO (CBS SF) — ") and a pointer to
    a photo ("(pictured)", ", pictured,") are dropped, a caption's label ("Pictured: …")
    refuses the sentence; a leading connective ("But", "However,") is dropped and the rest
    capitalised; a space left before a comma, full stop or closing bracket is dropped, and a
    double hyphen between words is a dash ("Monday -- two weeks late" → "Monday — two weeks
    late") and, in an English sentence, a word typed twice that English never doubles ("the
    the") is written once; a sentence that still leans on its context ("He said…", "This
    means…") is refused.
    """
    text = _CAPS_LABEL.sub("", sentence.strip())
    if text[:1] == "U" and text[1:6].lower() == "pdate":
        text = _UPDATE_LABEL.sub("", text, count=1)
    if ":" in text[:32] and _REFUSED_LABEL.match(text):
        return None
    if text[1:2].isupper():  # (every dateline opens with two capitals, or "(" and one)
        text = _LEFT_DATELINE.sub("", text, count=1)
    elif _CJK_START.match(text):
        text = _CJK_DATELINE.sub("", text, count=1)
        if "记者" in text or "記者" in text:
            text = _CJK_INNER_CREDIT.sub("", text)
        text = _CJK_CONNECTIVE.sub("", text, count=1)
        if not text or _CJK_LEANS_BACK.match(text):
            return None
    if text[:1] == "(":
        unwrapped = _unwrapped(text)
        if unwrapped is None:
            return None
        text = unwrapped
    if "(" in text:
        text = _PHOTO_POINTER.sub("", text)
    if "ictured" in text or "PICTURED" in text:
        if _CAPTION_LABEL.match(text):
            return None
        text = _PICTURED.sub(_drop_pictured, text)
    elif text[:1] in "AIFB" and _CAPTION_LABEL.match(text):
        return None
    for _ in range(2):
        match = _CONNECTIVE.search(text)
        if not match:
            break
        rest = text[match.end() :].lstrip()
        if not rest:
            return None
        text = rest[0].upper() + rest[1:]
    if needs_context(text):
        return None
    if "[" in text:  # a reference's number ("10—13 видов[3]", "suggests “egg” [1].")
        text = _FOOTNOTE.sub("", text)
    if " ," in text or " ." in text or " )" in text or "( " in text:
        text = _SPACE_AFTER.sub("", _SPACE_BEFORE.sub("", text))
    if text.endswith("..") and not text.endswith("..."):  # a doubled full stop (a typo)
        text = text.rstrip(".") + "."
    lowered = text.lower()
    if any(twice in lowered for twice in _TWICE) and detect_language(text) == "en":
        text = _TYPED_TWICE.sub(_once, text)
    return as_dashes(text)


def _wide_balanced(text: str) -> bool:
    """Whether Chinese and Japanese quotes and brackets open and close within the text."""
    return all(text.count(a) == text.count(b) for a, b in _WIDE_PAIRS)


def _fit_length(sentence: str, words: int, max_words: int, min_words: int) -> str | None:
    """The sentence itself (of `words` words), or its longest fitting first clause when too
    long, else None."""
    if words <= max_words:
        return sentence
    best: str | None = None
    for match in _CLAUSE_BREAK.finditer(sentence):
        head = sentence[: match.start()].rstrip(" ,:")
        n = word_count(head)
        if n > max_words:
            break
        if n >= max(min_words, 8) and balanced(head) and _wide_balanced(head):
            best = head
    if best is None:
        return None
    if _TERMINAL.search(best):
        return best
    return best + ("。" if _WIDE_STOP.search(sentence) else ".")


def _join_quotes(sentences: list[str]) -> list[str]:
    """Sentences with a quote split across them joined back into one; a quote left open after
    a few sentences is dropped whole (with the sentences it swallowed), an empty one in its
    place."""
    out: list[str] = []
    i = 0
    while i < len(sentences):
        current = sentences[i]
        j = i + 1
        while not balanced(current) and j < len(sentences) and j - i < _MAX_QUOTE_JOIN:
            current = f"{current} {sentences[j]}"
            j += 1
        if balanced(current):
            out.append(current)
            i = j
        else:
            out.append("")  # (a gap: what comes next does not follow what came before)
            i += 1  # an unclosed quote: skip its opening sentence, try again from the next
    return out


# Candidates of a body before the title check, memoised by the body's hash: a story that gains
# an item is summarised again from the same bodies, and a body's candidates do not depend on
# the story (only the title check does). Each entry is kept packed (pickled, compressed: ~0.7
# KB for a ~1 KB body, where the objects took ~4.7 KB), so the bound holds more bodies than a
# pass summarises: a `run` service's pass reads ~5,000-9,000 bodies, about half of them
# summarised in the pass before (stories gain items), and a memo smaller than a pass's bodies
# evicted each one before its story came round again. Bounded by entries and by bytes.
# Evicted first are the entries not asked for since they were made (segmented LRU): most
# bodies are summarised once (their story never gains another item: 68% of a `run` service's
# bodies over 20 growth rounds), while a body asked for again belongs to a story that gains
# items, and is asked for again round after round. A new entry waits in `_memo` (the oldest
# made goes first); asked for again (read here, or lent to a worker) it moves to `_kept`, which
# holds at most `KEPT_SHARE` of the bounds (its least recently asked go back to `_memo`, as if
# new). At 8 MiB this works out ~17% more bodies a round than plain LRU did at 16 MiB (plain
# LRU at 8 MiB: ~35%) and holds ~11 MB less (design.md, "A `run` round's peak").
# (distinct terms of the stand-alone sentence; the sentence fitted to length or None; the
# fitted sentence's `word_count` and `novelty.figure_terms`, which the summariser needs again:
# sorted, in one string (no term holds a space): a set's order would follow the process's
# string hashes, and a worker's packed entries must equal the caller's; one string packs
# cheaper than a tuple of them)
_Facts = frozenset[str] | None
_Candidate = tuple[tuple[str, ...], str | None, int, str | None]
_Entry = tuple[tuple[_Candidate, ...], bool]
_Key = tuple[bytes, int, int]
MEMO_ITEMS = 32768
MEMO_BYTES = 8 * 2**20  # packed entries' bytes, both segments
KEPT_SHARE = 0.6  # of either bound, at most, for the entries asked for again
_CANDIDATE_LIMIT = 2 * MAX_SENTENCES  # kept per body; more are computed on demand (rare)
_memo_lock = threading.Lock()  # summaries may be written on more than one thread
_memo: OrderedDict[_Key, bytes] = OrderedDict()  # not asked for since made: evicted first
_kept: OrderedDict[_Key, bytes] = OrderedDict()  # asked for again since made
_memo_size = 0  # bytes of the packed entries of `_memo` and `_kept`
_kept_size = 0  # bytes of `_kept`'s
_loan = threading.local()  # a summary worker's task: entries lent by the caller, entries made


def clear_memo() -> None:
    """Forget every memoised body (tests and benches)."""
    global _memo_size, _kept_size
    with _memo_lock:
        _memo.clear()
        _kept.clear()
        _memo_size = _kept_size = 0


def memo_entries() -> dict[_Key, bytes]:
    """Every memoised (packed) entry (tests and benches)."""
    with _memo_lock:
        return {**_memo, **_kept}


def _pack(entry: _Entry) -> bytes:
    return zlib.compress(pickle.dumps(entry, pickle.HIGHEST_PROTOCOL), 1)


def _unpack(packed: bytes) -> _Entry:
    entry: _Entry = pickle.loads(zlib.decompress(packed))
    return entry


def memo_key(text: str, max_words: int = 45, min_words: int = 6) -> _Key:
    """What a body's candidates are memoised under."""
    return (blake2b(text.encode(), digest_size=16).digest(), max_words, min_words)


def packed_entries(texts: Iterable[str], max_words: int, min_words: int) -> dict[_Key, bytes]:
    """The memoised (packed) entries of those of `texts` this process holds: what a summary
    worker is lent with a task (`lent`), so it does not work out again what a story's older
    bodies yield. Each counts as asked for again."""
    keys = {memo_key(text, max_words, min_words) for text in texts}
    with _memo_lock:
        return {key: found for key in keys if (found := _asked(key)) is not None}


def keep_entries(entries: dict[_Key, bytes]) -> None:
    """Memoise packed entries (made by a summary worker: see `lent`)."""
    for key, packed in entries.items():
        _remember(key, packed)


@contextlib.contextmanager
def lent(known: dict[_Key, bytes]) -> Iterator[dict[_Key, bytes]]:
    """On this thread, read bodies' candidates from `known` (and from what is made meanwhile)
    instead of the memo; yields the entries made meanwhile, packed, for the caller to keep."""
    made: dict[_Key, bytes] = {}
    _loan.known, _loan.made = known, made
    try:
        yield made
    finally:
        _loan.known = _loan.made = None


def _asked(key: _Key) -> bytes | None:
    """The entry memoised under `key`, moved to the most recently asked of `_kept` (with
    `_memo_lock` held)."""
    global _kept_size
    found = _kept.get(key)
    if found is not None:
        _kept.move_to_end(key)
        return found
    found = _memo.pop(key, None)
    if found is None:
        return None
    _kept[key] = found
    _kept_size += len(found)
    while _kept and (len(_kept) > KEPT_SHARE * MEMO_ITEMS or _kept_size > KEPT_SHARE * MEMO_BYTES):
        older, packed = _kept.popitem(last=False)  # (back with the newly made)
        _kept_size -= len(packed)
        _memo[older] = packed
    return found


def _remember(key: _Key, packed: bytes) -> None:
    global _memo_size, _kept_size
    with _memo_lock:
        old = _kept.get(key)
        if old is not None:  # (made again meanwhile, on another thread)
            _kept[key] = packed
            _kept.move_to_end(key)
            _kept_size += len(packed) - len(old)
        else:
            old = _memo.pop(key, None)
            _memo[key] = packed
        if old is not None:
            _memo_size -= len(old)
        _memo_size += len(packed)
        while (_memo or _kept) and (
            len(_memo) + len(_kept) > MEMO_ITEMS or _memo_size > MEMO_BYTES
        ):
            if _memo:
                _memo_size -= len(_memo.popitem(last=False)[1])
            else:
                dropped = len(_kept.popitem(last=False)[1])
                _memo_size -= dropped
                _kept_size -= dropped


def _caseless(char: str) -> bool:
    """A letter of a script without capitals (Arabic, Hebrew, Devanagari, CJK): its sentences
    have no lower case to show they are not shouted, nor a capital to show where they start."""
    return char.isalpha() and not char.isupper() and not char.islower()


def _shouted(text: str) -> bool:
    """Mostly capitals, with a label or a name in lower case at most: a broadcast transcript's
    or a gallery's shouting ("Reporter: FOR TWELVE YEARS HIS PHOTO HAS …"), which a bullet
    would shout on. (Capitals alone are refused before: `_candidates`.)"""
    upper = sum(map(str.isupper, text))  # (letters of scripts without capitals count as lower)
    return upper >= 15 and 3 * upper > 2 * sum(map(str.isalpha, text))


# A line opening the writer's own note ("About me:", "About the author"): what follows it
# (a biography, credits, links to follow) is about who wrote the text, not the news.
_ABOUT_WRITER = re.compile(
    r"^[ \t]*about (?:me|the (?:author|writer|reporter|columnist))\b[ \t]*(?::|$)",
    re.IGNORECASE | re.MULTILINE,
)


# A sentence's end, then marks that are no words (". ...", ". ###", "! :)", ". ■", a run of
# "!"): an elision, a separator, an emoticon, not part of the sentence, which they made read
# as cut off. Quotes and brackets among them close something, and stay.
_END_THEN_MARKS = re.compile(r"""["'”’)\]]*+[.!?…]++["'”’)\]]*+(?=\s)""")
_CLOSING_MARKS = frozenset("\"'”’“‘()[]«»「」『』")


def without_end_marks(sentence: str) -> str:
    """The sentence without marks after its end ("… two metres. ###" → "… two metres.")."""
    end = len(sentence)
    while end and not sentence[end - 1].isalnum():
        end -= 1
    if len(sentence) - end < 3:  # (at least a stop, a space and a mark)
        return sentence
    tail = sentence[end:]
    kept = _END_THEN_MARKS.match(tail)
    if kept is None or not _CLOSING_MARKS.isdisjoint(tail[kept.end() :]):
        return sentence
    return sentence[: end + kept.end()]


# An answer that says nothing without the question before it: one opening with a yes or a no
# ("Yes, …", "No: …", "Sí, …", "Nein, …", "نعم، …") or ending on one, or on the word that
# stands for the question's words ("Experts say yes.", "… advierten que sí.", "… think so.",
# "… hoffen nicht."). Read only right after a question (which is no bullet either).
_BARE_ANSWER = re.compile(
    r"(?i:(?:^(?:yes|no|s[ií]|ja|nein|oui|non|sim|n[aã]o|да|нет|نعم|لا|ہاں|نہیں)\s*[,:;—–]"
    r"|(?<!\w)(?:yes|no|not|so|s[ií]|ja|nein|nicht|doch|oui|non|sim|n[aã]o|да|нет|نعم|لا|"
    r"ہاں|نہیں)\W*$))"
)


def _question(sentence: str) -> bool:
    """Whether a sentence asks (ends on a question mark, before closing quotes)."""
    return sentence.rstrip("\"'”’)").endswith(("?", "؟", "？"))


def _candidates(text: str, max_words: int, min_words: int) -> Iterator[_Candidate]:
    """The body's sentences that pass every check except the title check, in order."""
    if "<" in text and ">" in text:
        text = html_to_text(text)
    if "About" in text or "ABOUT" in text:
        about = _ABOUT_WRITER.search(text)
        if about is not None:
            text = text[: about.start()]
    kept = 0  # candidates whose figures were read
    cleaned = clean_text(text)
    # (whose words a quote or report is: `quote_speakers`)
    asked = False  # (the sentence before was a question)
    for raw in attribute(_join_quotes(split_sentences(cleaned)), cleaned):
        sentence = without_end_marks(raw.strip(" -—–•*·"))
        if any(map(sentence.__contains__, _PLUG_MARKS)):
            sentence = without_plug(sentence)
        after_question, asked = asked, _question(sentence)
        if (
            not sentence
            or not any(c.islower() or _caseless(c) for c in sentence)
            or not (
                sentence[0].isupper()
                or sentence[0].isdigit()
                or sentence[0] in _OPEN_QUOTES
                or _caseless(sentence[0])
            )
            or asked
            or (after_question and _BARE_ANSWER.search(sentence) is not None)
            or ("]" in sentence and sentence.count("[") != sentence.count("]"))
            or " | " in sentence  # (a page's labels, a caption's credit, a playlist's rows)
            or not ends_complete(sentence)
            or _TITLE_END.fullmatch(sentence.rsplit(None, 1)[-1]) is not None
            or _has_link(sentence)
            or _is_promo(sentence)
            or (not sentence.isascii() and not _wide_balanced(sentence))
        ):
            continue
        alone = stand_alone(sentence)
        if alone is None or is_caption(alone) or is_noun_phrase(alone) or _shouted(alone):
            continue
        words = word_count(alone)
        if words < min_words:
            continue
        terms = tuple(dict.fromkeys(map(sys.intern, tokens(alone))))
        fitted = _fit_length(alone, words, max_words, min_words)
        facts = None
        if fitted is not None and kept < MAX_SENTENCES:  # (those the summariser may read)
            kept += 1
            found = figure_terms(fitted) if fitted is not alone else figure_terms(fitted, terms)
            if found is not None:
                facts = " ".join(sorted(found))
        if fitted is not None and fitted is not alone:
            words = word_count(fitted)
        yield terms, fitted, words, facts


def _memo_candidates(text: str, max_words: int, min_words: int) -> _Entry:
    """The first candidates of a body, and whether there are more than those."""
    key = memo_key(text, max_words, min_words)
    known = getattr(_loan, "known", None)
    if known is not None:  # (a summary worker's task)
        found = known.get(key)
        if found is not None:
            return _unpack(found)
        entry = _work_out(text, max_words, min_words)
        _loan.made[key] = known[key] = _pack(entry)
        return entry
    with _memo_lock:
        found = _asked(key)
    if found is not None:
        return _unpack(found)
    entry = _work_out(text, max_words, min_words)
    if MEMO_ITEMS > 0:
        _remember(key, _pack(entry))
    return entry


def _work_out(text: str, max_words: int, min_words: int) -> _Entry:
    head = tuple(itertools.islice(_candidates(text, max_words, min_words), _CANDIDATE_LIMIT + 1))
    return head[:_CANDIDATE_LIMIT], len(head) > _CANDIDATE_LIMIT


def _restates(sentence: tuple[str, ...], title: set[str]) -> bool:
    """Whether a sentence (its distinct terms) says little beyond a title: its terms mostly in
    the title."""
    # (the terms are distinct: the count of them in the title is the intersection's size)
    return bool(sentence) and len(title.intersection(sentence)) / len(sentence) >= 0.8


def body_sentences(
    text: str, titles: list[str], max_words: int = 45, min_words: int = 6
) -> list[str]:
    """Candidate bullets of one source body, in order.

    Dropped: junk (links, promos, notes and asks to the reader, questions, text without lower
    case, photo captions), cut-off text (a bracket closed but never opened), sentences without
    closing punctuation, sentences that restate a source title, and sentences that lean on
    context. Long sentences are cut at a clause boundary or dropped.
    """
    return [s for s, _, _ in body_sentence_facts(text, titles, max_words, min_words)]


def body_sentence_facts(
    text: str, titles: list[str], max_words: int = 45, min_words: int = 6
) -> list[tuple[str, int, _Facts]]:
    """`body_sentences`, each with its `word_count` and its `novelty.figure_terms` (None for
    a sentence whose fact terms are its tokens')."""
    title_terms = [set(tokens(t)) for t in titles if t]
    head, more = _memo_candidates(text, max_words, min_words)
    out = _pick(head, title_terms)
    if len(out) < MAX_SENTENCES and more:  # the title check left too few: read on
        out = _pick(_candidates(text, max_words, min_words), title_terms)
    return out


def _pick(
    candidates: Iterable[_Candidate], title_terms: list[set[str]]
) -> list[tuple[str, int, _Facts]]:
    # A sentence restates no title unless it restates all their terms together (each title's
    # share of its terms is at most theirs): one test for most sentences, not one a title.
    every = set().union(*title_terms)
    out: list[tuple[str, int, _Facts]] = []
    for terms, fitted, words, facts in candidates:
        if _restates(terms, every) and any(_restates(terms, t) for t in title_terms):
            continue
        if fitted:
            out.append((fitted, words, None if facts is None else frozenset(facts.split())))
        if len(out) >= MAX_SENTENCES:
            break
    return out
