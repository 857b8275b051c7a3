"""The cheap checks in front of costly patterns (text cleaning, grouping terms, bullet filters)
give exactly what the patterns alone give, including for the characters whose case folding
`str.lower` does not follow ("İ", "ı", "ſ", "Σ")."""

from __future__ import annotations

import random
import re

import pytest

from aggregator import bullets, openings, sentences, terms, text, tokens
from aggregator.near_text import _crc, shingles
from aggregator.tokens import STOPWORDS, words

_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_BOILERPLATE_LINE = re.compile(text._BOILERPLATE_LINE, text._BOILERPLATE_FLAGS)
_NEWLINES = re.compile(r"\s*\n\s*")

PIECES = [
    *"abcdeSsYyMmTtoOnNdDJjRrPp .,:;@/w0123456789()[]\n\t\u00a0\u200b\"“”'’—-…",
    *("ΑΣ", "İ", "ı", "ſ", "Σ", "K", "www.", "WWW.", ".com", ".CO", "http://", "a@b.org"),
    *(" 3 May 2020", " Monday", "TODAY", "ſeptember 3", "Jan. 5, 2020", "1,030"),
    *("Read more", "READ MORE at x", "The post ", " appeared first on ", "publıshed", "[…]"),
    *("(AP Photo)", "Photograph: x", "PHOTOGRAPH: y", "subscribe", "SIGN UP", "ſign up", "  "),
    *(" \n ", "\n\n", "(Reuters) - ", "LONDON — ", "Follow us on Twitter"),
    *("CLOSE Skip in Skip x Embed x Share ", "Skip x Embed", "Text Size -"),
    *("Published on Sep 8, 2015", "Join us on Facebook", " newsletter", "The interactive "),
    *("(Photo: Ivo Marek)", "Ana Brell/Getty Images", "REUTERS/Ivo", " / AP ", "Buy Photo "),
    *("Photo by ", "Image", "Getty", "(Staff Photo/Ana Brell)", "Media caption ", "Enlarge "),
    *(" [Reuters] ", " [AFP] ", "[Ivo Marek/Getty Images] ", " [Al Jazeera] ", "]"),
    *("Story highlights ", "From Wikipedia, the free encyclopedia", "Click to email "),
    *("share tweet pin", "Photo Advertisement", "JavaScript is disabled", "You need to enable "),
    *(" | AP Photo ", " | Ivo Marek/Getty Images ", " | ", "Associated Press Tue ", " 7:44 PM"),
    *(" | Ivo Marek/DORROWPOST ", "SHARE COPY LINK ", "SHARE TWEET ", "SHARE "),
    *(" The measure", " An ", "deal", " Many l", "Court The 49"),
    *(" contributed reporting.", " CONTRIBUTED to this report", " contrıbuted reporting"),
    *("\nAna Brell contributed reporting.\n", " contributed to thiſ report."),
    *(" Continue reading", " keep Reading the main story »", "This story was published on X."),
    *(" appeared on x.", "Read the full story at X", "read\u00a0more", " Read the Full article"),
]


def _samples(n: int = 4000) -> list[str]:
    rng = random.Random(11)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 60))) for _ in range(n)] + [
        "LONDON (Reuters) - Ministers met on Monday, 3 May 2020.\n\nRead more at www.x.com …",
        "Σ'today ΑΣ'Today İstanbul ıt ſunday 1.030 people",
        "The post Rain hits town appeared first on Daily News.\nShare this article",
    ]


def _clean_reference(value: str) -> str:
    out: list[str] = []
    captions: list[str] = []
    for raw in _NEWLINES.sub("\n", _SPACES.sub(" ", value)).split("\n"):
        line = raw.strip()
        if not line or _BOILERPLATE_LINE.match(line) or text._CAPTION_LINE.search(line):
            continue
        credit = text._CREDIT_LINE.search(line) if len(line) <= text._CAPTION_CHARS else None
        if credit:
            cut = credit.start() + (line[credit.start()] in ".!?")
            captions.append(line[:cut].strip())
            continue
        if run_in := text._RUN_IN_CAPTION.match(line) or text._BRACKET_CREDIT.match(line):
            captions.append(run_in.group(1).strip())
            line = line[run_in.end() :]
            if headline := text._HEADLINE_THEN_DEK.match(line):
                out.append(headline.group(1))
                line = line[headline.end() :]
        line = text._INLINE_BOILERPLATE.sub(" ", line)
        line = text._PLAYER_CONTROLS.sub("", line, count=1)
        line = text._LEADING_CHROME.sub("", line, count=1)
        line = text._DATELINE.sub("", line, count=1)
        line = _SPACES.sub(" ", line).strip()
        if line and not _BOILERPLATE_LINE.match(line):
            out.append(line)
    return "\n".join(out + [c for c in captions if c])


def test_furniture_lines_found_as_by_the_whole_pattern() -> None:
    lines = [line.strip() for sample in _samples() for line in sample.split("\n")]
    found = 0
    for line in lines + [line + " contributed reporting" for line in lines[:3000]]:
        expected = _BOILERPLATE_LINE.match(line) is not None
        assert text._is_furniture(line) == expected, line
        found += expected and text._FURNITURE_LINE.match(line) is None
    assert found > 100  # (lines only the "contributed" alternative matches are tried)


def test_clean_text_equals_the_patterns_applied_everywhere() -> None:
    for sample in _samples():
        assert text.clean_text(sample) == _clean_reference(sample), repr(sample)


def test_html_to_text_folds_spaces_as_before() -> None:
    for sample in _samples(1000):
        plain = sample.replace("<", " ").replace("&", " ")  # no markup: only spaces fold
        assert text.html_to_text(plain) == _NEWLINES.sub("\n", _SPACES.sub(" ", plain)).strip()


def test_newlines_fold_as_the_pattern_does() -> None:
    # Every kind of whitespace `\s` and `str.strip` know, and line breaks other than "\n"
    # (which `str.split("\n")` does not split at, nor the pattern fold).
    spaces = [" ", "\n", "\t", "\r", "\v", "\f", "\x1c", "\x1f", "\x85", "\u00a0", "\u2028"]
    pieces = [*spaces, *spaces, "\u3000", "\u200b", "a", "Bc", "d.", "\r\n"]
    rng = random.Random(5)
    samples = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(5000)]
    for sample in samples + _samples(1000):
        assert text.fold_newlines(sample) == _NEWLINES.sub("\n", sample).strip(), repr(sample)


def _plain_reference(value: str) -> str:
    value = terms._LINKISH.sub(" ", terms._LINK_LABEL.sub(" ", value))
    return terms._DATE.sub(" ", terms._GROUPED_DIGITS.sub("", value))


def test_grouping_words_equal_the_case_insensitive_patterns() -> None:
    for sample in _samples():
        assert words(terms._plain_lower(sample)) == words(_plain_reference(sample)), repr(sample)


@pytest.mark.parametrize(
    ("value", "dropped"),
    [
        ("ΑΣ'today", "today"),  # final sigma: lower-casing first would change the Σ
        ("met ſunday", "ſunday"),  # "ſ" matches "s" only under IGNORECASE
        ("İstanbul on Monday", "monday"),
        ("visit Example.COM now", "com"),
    ],
)
def test_grouping_terms_drop_dates_and_links_whatever_the_case(value: str, dropped: str) -> None:
    title, _ = terms.grouping_terms(value, "", 0)
    assert dropped not in title and title


_NOTE_PIECES = [
    *PIECES,
    *("If you ", "IF YOU", " call ", " the helpline", " Crisis Line", "Warning: ", "Trigger "),
    *(" may be distressing to some", " viewer discretion", "Watch the video", "Listen: "),
    *("join ", "Check out ", "Get the app", "click here", " stay tuned", " official YouTube "),
    *("Follow our live blog", "Follow the BBC's live updates", "ALL RIGHTS RESERVED", "ſign "),
    *(" mailing list", "Cookies policy", " terms of use", " only available in", " tune in to"),
    *("log into your account", "Sign in to your account", " check your email", " Help Centre"),
    *(" from a bookmark", " page URL may have changed", "The page you're looking for"),
    *(
        " may no longer be here",
        " until you cancel",
        " tweet with a location",
        " Tweet location history",
    ),
    *("Please ", "PLEASE", "Let us know ", "tell us", "E-mail us ", "Visit ", " for more"),
    *("Download the ", " app", " in the comments", "ſend us", "share ", " Posting "),
    *(" anchors from ", " AIRS ", "Tune into ", " streaming", " at 6:30pm ET", " 11 p.m. Eastern"),
    *("This story has been ", " UPDATED", " corrected", " An earlier version of this article"),
    *("Updated at 9 a.m. to correct", "We’ve added ", "Update 2: ", "Editor's note", " was "),
    *("Look at ", "Just look at", "Have a look", "Imagine the", "Imagine Dragons", "Picture a "),
]


def test_bullet_filters_equal_their_patterns() -> None:
    rng = random.Random(5)
    notes = [
        "".join(rng.choice(_NOTE_PIECES) for _ in range(rng.randint(0, 12))) for _ in range(4000)
    ]
    for sample in _samples() + notes:
        for sentence in sample.split("\n"):
            assert bullets._has_link(sentence) == bool(bullets._URLISH.search(sentence))
            assert bullets._is_promo(sentence) == bool(
                bullets._PROMO.search(sentence) or bullets._READER_NOTE.search(sentence)
            )
    assert bullets._is_promo("Please ſubscribe today.")  # "ſ" is an "s" to IGNORECASE


def test_shingles_hash_each_four_word_gram() -> None:
    for sample in _samples(1000):
        toks = words(sample)
        if len(toks) <= 4:
            expected = frozenset({_crc(" ".join(toks))}) if toks else frozenset()
        else:
            expected = frozenset(_crc(" ".join(toks[i : i + 4])) for i in range(len(toks) - 3))
        assert shingles(sample) == expected


def _guess_reference(tokens: list[str]) -> str | None:
    codes, masks = terms._lists()
    sample = tokens[:80]
    english = sum(t in STOPWORDS for t in sample)
    counts = [sum(1 for t in sample if masks.get(t, 0) >> i & 1) for i in range(len(codes))]
    best = max(range(len(codes)), key=lambda i: (counts[i], -i))
    return None if counts[best] < 2 or counts[best] <= english else codes[best]


def test_language_guess_and_content_terms_equal_the_rules_written_out() -> None:
    rng = random.Random(7)
    vocab = "der die und le la les el los que de en y il et un the a of is 0 00 1 running".split()
    for _ in range(3000):
        sample = " ".join(rng.choice(vocab) for _ in range(rng.randint(0, 90)))
        tokens = words(sample)
        language = _guess_reference(tokens)
        assert terms.guess_language(tokens) == language
        drop = terms.function_words(language) if language else frozenset()
        expected = [
            terms.stem(w) for w in tokens if w not in STOPWORDS and w not in drop and terms._keep(w)
        ]
        assert terms.grouping_terms(sample, "", 0)[0] == expected


def test_an_items_features_rewrite_its_title_and_text_once() -> None:
    from aggregator.features import item_features
    from aggregator.models import Item

    item = Item(id="a", title="Profits top $1bn at U.K. bank", text="Its profits rose. " * 400)
    terms.canonical_forms.cache_clear()
    item_features(item, 250)
    info = terms.canonical_forms.cache_info()
    assert (info.misses, info.hits) == (2, 2)  # title and text opening; each asked twice


_FIGURE_PIECES = [
    *PIECES,
    *("1m", "$1m", "£3.5bn", "12K", "\u212a", "5 MILLION", "one million", "Twelve Thousand"),
    *("1,000,000", "2,500", "3.3tn", "7 billion", "U.K.", "L.A.", "U.S.", "A.B.C", " X.Y. "),
    *("Live updates", "LIVE: ", "news in brief", "Virus tracker", "Top stories", "roundup"),
    *("Mr Smith", " Obama’s", " O'Neill", ", Berlin", "% Sales", "€ Bonds", ") Paris", "\tKiev"),
    *("ıllion", "İllion", "thouſand", "wrap-up", "ﬁnance", "Straße", "МОСКВА Москва"),
]


def _figure_samples(n: int = 4000) -> list[str]:
    rng = random.Random(23)
    return [
        "".join(rng.choice(_FIGURE_PIECES) for _ in range(rng.randint(0, 40))) for _ in range(n)
    ]


def _canonical_reference(value: str) -> str:
    from aggregator import term_forms as tf

    if "." in value:
        value = tf._DOTTED.sub(tf._dotted, value)
    if tf._DIGIT.search(value):
        value = tf._FIGURE.sub(tf._quantity, value)
    if tf._SCALE_WORD.search(value):
        value = tf._SPELT.sub(tf._quantity, value)
    return value


def test_canonical_forms_equal_their_patterns_applied_as_before() -> None:
    from aggregator.term_forms import canonical_forms

    for sample in _figure_samples():
        assert canonical_forms(sample) == _canonical_reference(sample), repr(sample)
    assert canonical_forms("ſales of 5 ıllion") == _canonical_reference("ſales of 5 ıllion")


def test_patterns_rewritten_to_scan_faster_match_the_same() -> None:
    old_capital = re.compile(  # (with a hyphenated tail: "Jong-un", "Coca-Cola")
        r"(?<=[\w,%$€£)])[ \t]+"
        r"([A-ZÀ-ÖØ-ÞĀ-Ž][^\W_]*(?:['’][^\W_]+)*(?:-[^\W\d_]+(?:['’][^\W_]+)*)*)",
        re.UNICODE,
    )
    for sample in _figure_samples() + _samples(1000):
        assert [word for word, _ in terms._MID_CAPITAL.findall(sample)] == [
            m.group(1) for m in old_capital.finditer(sample)
        ]
        assert terms._GROUPED_SEPARATOR.sub("", sample) == terms._GROUPED_DIGITS.sub("", sample)
        linkish = bool(terms._LINK_HINT.search(sample)) or "@" in sample or "://" in sample
        assert terms._may_hold_link(sample) == linkish, repr(sample)
        assert terms.is_multi_topic(sample) == bool(terms.MULTI_TOPIC.search(sample))
        if terms._DATE.search(sample) and not terms._has_case_special(sample):
            assert any(hint in sample.lower() for hint in terms._DATE_HINTS), repr(sample)


def test_ascii_patterns_match_what_the_unicode_patterns_match_on_ascii_text() -> None:
    rng = random.Random(5)
    ascii_chars = [chr(c) for c in range(128)]
    pieces = [p for p in PIECES + ascii_chars if p.isascii()]
    samples = [s for s in _samples(2000) + _figure_samples(2000) if s.isascii()]
    samples += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 80))) for _ in range(3000)]
    samples += [
        "".join(rng.choice(ascii_chars) for _ in range(rng.randint(0, 40))) for _ in range(3000)
    ]
    for sample in samples:
        for case in (sample, sample.lower()):
            assert tokens._ASCII_WORD.findall(case) == tokens._WORD.findall(case), repr(case)
            assert terms._ASCII_CASED_WORD.findall(case) == terms._CASED_WORD.findall(case)
            assert terms._ASCII_MID_CAPITAL.findall(case) == terms._MID_CAPITAL.findall(case)


def test_english_term_memo_gives_what_the_rule_gives_and_stays_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(terms, "_ENGLISH_TERMS", {})
    monkeypatch.setattr(terms, "_ENGLISH_TERMS_MAX", 50)
    for sample in _figure_samples(300) + _samples(300):
        seq = words(sample)
        expected = [t for t in map(terms._english_term, seq) if t]
        assert terms._english_terms(seq) == expected  # looked up or worked out …
        assert terms._english_terms(seq) == expected  # … and again from the memo
        assert len(terms._ENGLISH_TERMS) <= 50


def test_capitalised_terms_with_the_title_case_given_equal_those_worked_out() -> None:
    for sample in _figure_samples(1000):
        title, body = sample[:60], sample
        given = terms.capitalised_terms(title, body, 500, terms.is_title_case(title))
        assert given == terms.capitalised_terms(title, body, 500)


def _sentence_samples(n: int = 3000) -> list[str]:
    pieces = [*"aA1 .!?…\"'”’)]([“‘\u00a0\t", "。", "！", "？", "۔", "؟", "।", "「", "」", "中"]
    pieces += ["U.S.", "Mr.", "5.5", "p.m. on", "...", "?!", " The", " but", "Dr. Ng", "۔ ب"]
    rng = random.Random(5)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 40))) for _ in range(n)]


def test_sentence_ends_tried_at_stops_only_equal_the_pattern_tried_everywhere() -> None:
    for sample in _sentence_samples() + _samples(1000):
        for paragraph in sample.split("\n"):
            found = [m.span() + m.groups() for m in sentences._sentence_ends(paragraph)]
            assert found == [
                m.span() + m.groups() for m in sentences._SENTENCE_END.finditer(paragraph)
            ], repr(paragraph)


def _opening_samples(n: int = 4000) -> list[str]:
    pieces = [*"aA ,;—–.-'’\"“”\u00a0", " he", "He ", " she", " SHE", "they", "The", "ſhe", "ıt"]
    pieces += [" said", " SAID", " says", " told", " ſaid", " quietly", " do", " did", " DID"]
    pieces += [" can't", " won’t", " will", " couldn't", " should", " so", " too", " again"]
    pieces += ["İt", " not", "Not", " nor", " which", " what", " house committees", " when"]
    rng = random.Random(7)
    samples = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 14))) for _ in range(n)]
    # a first clause ending on an auxiliary, in each of its forms and cases
    auxes = "do does did will would can could should don't won’t can't didn’t Can ſhould DİD"
    for aux in auxes.split():
        for adverb in ("", " so", " again", " Either", " now ", " ſo"):
            for end in (",", ";", " —", "–", ".", ". ", ", of course, x", "", " and"):
                for head in (
                    "",
                    "We",
                    "House committees",
                    "When they",
                    "İf we",
                    "to",
                    "a b c d e f g h",
                ):
                    samples.append(f"{head} {aux}{adverb}{end}".lstrip())
    return samples


def test_opening_checks_on_lower_cased_text_equal_their_patterns() -> None:
    for sample in _opening_samples() + _samples(1000):
        found = openings._PRONOUN_SPEAKER.search(sample)
        assert openings._speaker_at(sample) == (found and found.start()), repr(sample)
        bare = openings._BARE_AUX.match(sample)
        elliptical = openings._ELLIPTICAL.match(sample) is not None or (
            bare is not None and openings._NOT_ELLIPTICAL.search(sample, 0, bare.end()) is None
        )
        assert openings._elliptical(sample) == elliptical, repr(sample)


def test_token_memo_gives_what_the_rule_gives_and_stays_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tokens, "_TOKENS_OF", {})
    monkeypatch.setattr(tokens, "_TOKENS_OF_MAX", 50)
    for sample in _figure_samples(300) + _samples(300) + ["a I 0 7 x2 the ponies said going"]:
        seq = words(sample)
        expected = [
            tokens.stem(w) for w in seq if w not in STOPWORDS and (len(w) > 1 or w.isdigit())
        ]
        assert tokens._plain_tokens(seq) == expected  # looked up or worked out …
        assert tokens._plain_tokens(seq) == expected  # … and again from the memo
        assert len(tokens._TOKENS_OF) <= 50


def test_inline_boilerplate_found_on_lower_cased_text_as_by_its_pattern() -> None:
    odd = ["Continue readıng", "KEEP READİNG →", "This ſtory was publıshed on X.", "[ … ]"]
    for sample in _samples(2000) + odd + [f"Text. {line}" for line in odd]:
        for line in sample.split("\n"):
            found = text._INLINE_BOILERPLATE.search(line) is not None
            assert text._may_hold_inline_boilerplate(line) or not found, repr(line)
            if found or not text.has_case_special(line):
                assert text._holds_inline_boilerplate(line) == found, repr(line)


TITLE_PIECES = [
    *"aeSsLlIiVv :|—–-,()[]/5★☆…\"'’.",
    *("İ", "ı", "ſ", "K", " 12", " 2024", "...", "DR. ", "JANE DOE", "MARKET SNAPSHOT"),
    *(" Live", "LIVE", "lıve", "liſt", " updates", " blog", "stream", "As it happened"),
    *("The latest", "Review", "REVIEW:", " review – ", "Film review", " 4/5", "★★★"),
    *("Opinion", "Comment", "Analysis", "editorial", "Column", "Op-Ed", "Letters", "View"),
    *("Our view", "The Big Idea", "Perspective", "briefing", "Morning digest", "Round-up"),
    *("Newsletter", "bulletin", "Headlines", "news in brief", "What you need to know"),
    *("5 things to know", "in pictures", "In Photos", "photos of the day", "quiz", "Podcast"),
    *("Crossword", " May 2, 2024", "Jan. 3, 2020", "Sept 9, 2019", " [HD]", "Full Episode"),
    *("Sponsored", "[Ad]", "(ad)", "Advertisement:", "Paid post", "Partner content"),
    *("Sponsored by Acme", "presented by X", "paid for by Y", "in partnership with Z"),
    *("Untitled", "404", "Not found", "Video", "Please enable JavaScript", "javaſcript"),
    *("requires JavaScript", "JavaScript is disabled", "Media playback is unsupported"),
    *(", writes Jane Doe", "Tweet with a location", " the council ", " votes on "),
]


def _titles(n: int = 6000) -> list[str]:
    """Random titles, and as many framed as labels are: a piece, a separator, more pieces,
    a separator and a piece (most patterns are anchored at one end or the other)."""
    rng = random.Random(5)
    pick = rng.choice
    loose = ["".join(pick(TITLE_PIECES) for _ in range(rng.randint(0, 12))) for _ in range(n)]
    framed = [
        pick(TITLE_PIECES) + pick(SEPARATORS) + "".join(pick(TITLE_PIECES) for _ in range(3))
        + pick(SEPARATORS) + pick(TITLE_PIECES)
        for _ in range(n)
    ]  # fmt: skip
    return loose + framed


SEPARATORS = (": ", " | ", " — ", " - ", "-", " ", ", ", " (", ") ", "... ", "… ")


def test_item_kind_title_hints_equal_their_patterns() -> None:
    from aggregator import item_kinds as ik

    hinted = {
        ik._ADVERT_HINTS: ik._ADVERT_TITLE,
        ik._PLACEHOLDER_HINTS: ik._PLACEHOLDER_TITLE,
        ik._LIVE_HINTS: ik._LIVE_TITLE,
        ik._REVIEW_HINTS: ik._REVIEW_TITLE,
        ik._OPINION_HINTS: ik._OPINION_TITLE,
        ik._ROUNDUP_HINTS: ik._ROUNDUP_TITLE,
        ik._EDITION_HINTS: ik._EDITION_TITLE,
    }
    titles = _titles()
    found = dict.fromkeys(hinted, 0)
    for title in titles:
        low = ik._lower(title)
        for hints, pattern in hinted.items():
            expected = pattern.search(title) is not None
            assert hints.search(title, low) == expected, (pattern.pattern[:30], title)
            found[hints] += expected
    for title in titles + [f"{t}: JANE DOE votes" for t in titles[:3000]]:
        names = [
            m.group(1) for m in ik._CAPS_NAME.finditer(title) if any(c.islower() for c in title)
        ]
        expected = bool(ik._WRITES_BYLINE.search(title)) or any(
            not set(re.findall(r"[A-Z]+", n)) & ik._KICKER_WORDS for n in names
        )
        assert ik._byline_title(title) == expected, title
    assert all(100 < n < len(titles) - 100 for n in found.values())  # (both answers are tried)
    for title in titles[:2000]:
        for head in ("", "A long opening of a column about the vote, ", "Jane Doe writes. "):
            for tail in (", Jane Doe writes. More.", ", Jane Doe writes."):
                body = head + title + tail
                head_text = body[:400].lstrip()
                expected = bool(
                    ik._WRITES_TEXT.search(head_text) or ik._LABEL_TEXT.match(head_text)
                )
                assert ik._opinion_text(body) == expected, body


def test_title_check_against_all_titles_at_once_drops_what_each_title_drops() -> None:
    rng = random.Random(3)
    vocabulary = [f"t{n}" for n in range(14)]
    for _ in range(400):
        titles = [set(rng.sample(vocabulary, rng.randint(0, 9))) for _ in range(rng.randint(0, 5))]
        candidates = [
            (
                tuple(rng.sample(vocabulary, rng.randint(0, 8))),
                rng.choice([None, f"s{n}."]),
                n,
                rng.choice([None, f"f{n} =2:year"]),
            )
            for n in range(rng.randint(0, 150))
        ]
        expected = [
            (fitted, words, None if facts is None else frozenset(facts.split()))
            for terms, fitted, words, facts in candidates
            if fitted and not any(bullets._restates(terms, t) for t in titles)
        ][: bullets.MAX_SENTENCES]
        assert bullets._pick(candidates, titles) == expected


_MARKUP = [
    *("<p>", "</p>", "<br>", "<br/>", "<br />", "<BR>", "<b>", "</b>", "<em>", "</P>", "<h1>"),
    *('<a href="http://x/?a=1&amp;b=2">', "</a>", '<img src="x.png" alt="a/b"/>', "<div>"),
    *('<img src="x" />', '<span data-x="1" class="y">', "</span>", "</div>", "<td>", "<li>"),
    *("<script>", "</script>", "<style>", "<iframe>", "<svg/>", "<title>", "<noscript>"),
    *("<!-- c -->", "<p class=x>", "<p foo>", "<p\u00a0>", "</p >", "< p>", "<p/ >", "<p "),
    *("x < y", "a > b", "&amp;", "&lt;p&gt;", "&", "&#39;", "&nbsp;", "&copy", "&#x27", "&am"),
    *("&#", "<", ">", "</", "<a", '<a href="x', "text", " more text ", "\n", "é", "“q”"),
]


def _parsed(markup: str) -> str:
    parser = text._TextExtractor()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


def test_simple_markup_is_read_as_the_parser_reads_it() -> None:
    rng = random.Random(11)
    read = 0
    for _ in range(20000):
        markup = "".join(rng.choice(_MARKUP) for _ in range(rng.randint(1, 10)))
        simple = text._simple_markup_text(markup)
        if simple is not None:
            read += 1
            assert simple == _parsed(markup), repr(markup)
    assert read > 2000  # the fast path is taken, not only refused
    assert text._simple_markup_text("<p>a &amp; b</p><p>c<br/>d</p>") == "\na & b\n\nc\nd\n"
    assert text._simple_markup_text("<p>a</p><script>x</script>") is None
    assert text._simple_markup_text("<p class=x>a</p>") is None


def test_language_words_are_the_patterns() -> None:
    from aggregator import lang

    pieces = [*"abzAZ09_ .,'-\n\t\x1c\x85", *lang._WIDE_SPACES, "é", "İ", "ß", "²", "٣", "中", "ǅ"]
    rng = random.Random(3)
    for _ in range(20000):
        low = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 16))).lower()
        assert lang._words(low) == lang._WORD.findall(low), repr(low)
