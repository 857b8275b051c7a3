"""Which categories an OPML edit renamed (their former addresses follow them). Pure."""

from __future__ import annotations

from aggregator.category_renames import digest_for, renamed_categories, updated_aliases

BEFORE = {"a": "World", "b": "World", "c": "World", "d": "UK", "e": "Europe"}


def test_a_category_whose_feeds_all_went_to_a_new_name_was_renamed() -> None:
    after = {**BEFORE, "a": "World News", "b": "World News", "c": "World News"}
    assert renamed_categories(BEFORE, after) == {"World": "World News"}


def test_a_category_merged_into_another_leads_there() -> None:
    after = {**BEFORE, "d": "Europe"}
    assert renamed_categories(BEFORE, after) == {"UK": "Europe"}


def test_a_category_split_without_a_majority_or_removed_moved_nowhere() -> None:
    split = {**BEFORE, "a": "Asia", "b": "Africa", "c": "Americas"}
    assert renamed_categories(BEFORE, split) == {}
    halves = {"a": "X", "b": "Y", "d": "UK"}  # c removed: one of its three feeds in each
    assert renamed_categories(BEFORE, halves) == {}
    removed = {"d": "UK", "e": "Europe"}
    assert renamed_categories(BEFORE, removed) == {}


def test_more_than_half_of_the_feeds_it_had_decide() -> None:
    two_of_three = {**BEFORE, "a": "Asia", "b": "Asia", "c": "Africa"}
    assert renamed_categories(BEFORE, two_of_three) == {"World": "Asia"}
    two_kept = {"a": "Asia", "b": "Asia", "d": "UK", "e": "Europe"}  # c removed
    assert renamed_categories(BEFORE, two_kept) == {"World": "Asia"}
    # its other feeds removed, one moved: the category was dropped, not renamed
    one_left = {"a": "Asia", "d": "UK", "e": "Europe"}
    assert renamed_categories(BEFORE, one_left) == {}


def test_a_rename_that_keeps_the_slug_moves_no_address() -> None:
    after = {**BEFORE, "a": "world", "b": "world", "c": "world"}
    assert renamed_categories(BEFORE, after) == {}
    # "World" renamed "Global" while a new category "World!" has /world/ now: it is that one's
    taken = {**BEFORE, "a": "Global", "b": "Global", "c": "Global", "f": "World!"}
    assert renamed_categories(BEFORE, taken) == {}


def test_a_kept_category_is_no_rename_even_when_feeds_leave_it() -> None:
    after = {**BEFORE, "a": "Asia", "b": "Asia"}  # "c" keeps World alive
    assert renamed_categories(BEFORE, after) == {}


def test_aliases_follow_a_chain_of_renames_and_give_way_to_a_category_of_that_slug() -> None:
    first = updated_aliases({}, {"World": "World News"}, ["World News", "UK"])
    assert first == {"world": "World News"}
    second = updated_aliases(first, {"World News": "International"}, ["International", "UK"])
    assert second == {"world": "International", "world-news": "International"}
    # a new category "World" takes its address back; the other former slug still leads on
    third = updated_aliases(second, {}, ["International", "World"])
    assert third == {"world-news": "International"}
    # renamed back: no alias to itself
    back = updated_aliases(first, {"World News": "World"}, ["World", "UK"])
    assert back == {"world-news": "World"}


def test_readers_filed_under_a_former_name_get_the_digest_it_leads_to() -> None:
    names = ["International", "Science", "world"]
    aliases = {"world-news": "International", "global": "International"}
    digests = {"International", "Science"}
    table = {
        "International": "International",  # its own
        "World News": "International",  # renamed
        "Global": "International",  # renamed before that ("Global" → "World News" → …)
        "science": "Science",  # spelled otherwise
        "Sport": None,  # removed: no digest leads there
        "world": None,  # in the OPML, but the settings have no digest of it
    }
    for filed, expected in table.items():
        assert digest_for(filed, digests, names, aliases) == expected, filed
    # the settings still file the digest under the former name: its readers' digest
    assert digest_for("International", {"World News"}, names, aliases) == "World News"
    assert digest_for("Global", {"World News"}, names, aliases) == "World News"
    # both names have a digest: each its own readers; the former name's, the one now
    assert digest_for("World News", {"World News", "International"}, names, aliases) == (
        "World News"
    )
    assert digest_for("Global", {"World News", "International"}, names, aliases) == (
        "International"
    )
