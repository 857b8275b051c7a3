"""The clusterer's settings and what it answers for each item (see aggregator.cluster)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

__all__ = ["Assignment", "ClusterSettings"]


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    """Knobs of the clusterer; defaults are tuned on the dev data (see bench/cluster_eval.py)."""

    threshold: float = 0.27  # cosine (title + text) with a profile member needed to join
    headline_threshold: float = 0.50  # cosine of the titles alone that also suffices
    min_shared_terms: int = 3  # distinctive terms shared with the member matched …
    min_event_terms: int = 2  # … of which this many are not names (what happened, not who)
    unanchored_terms: int = 6  # without such a term in a headline, the texts must share this many
    full_text_terms: int = 100  # … or, two full reports of this many text terms each, …
    exclusive_terms: int = 3  # … this many terms that no other active story holds
    separate_names: int = 3  # … or both headlines write this many separate shared names …
    separate_names_gap: timedelta = timedelta(hours=24)  # … within this time of each other
    distinctive_share: float = 0.02  # a term in at most this share of active stories …
    distinctive_min: int = 10  # … or in at most this many is distinctive
    common_share: float = 0.05  # a term in more than this share of active stories weighs nothing
    common_min_stories: int = 100  # … once this many stories are active
    outlet_share: float = 0.25  # a term in this share of an outlet's items is its furniture …
    outlet_min_items: int = 6  # … once the outlet has this many active items …
    outlet_min_repeats: int = 5  # … and the term is in at least this many of them
    min_text_terms: int = 15  # with fewer text terms an item is matched on its title alone
    profile_recent: int = 12  # a story is matched through its founder and this many latest items
    max_gap: timedelta = timedelta(days=2)  # items further apart in time are never compared
    same_outlet_margin: float = 0.20  # extra asked to join a story only the item's outlet covers
    same_outlet_daily_margin: float = 0.05  # … and per day the two items lie apart beyond 12 h
    same_outlet_figure_digits: int = 3  # both waived: a shared figure this long, no year (0: off)
    same_outlet_own_names: int = 2  # … or this many members share a name only the story holds
    nameless_daily_margin: float = 0.05  # asked per day beyond 12 h of a link sharing no name
    apart_margin: float = 0.10  # asked of a link sharing no name whose headlines name others …
    series_margin: float = 0.15  # … and of any such link within a story only one outlet covers
    multi_topic_margin: float = 0.25  # extra asked of a live blog or bulletin to join a story
    explainer_margin: float = 0.10  # … and of a link whose either headline asks or explains
    merge_margin: float = 0.10  # an item this far above threshold for two stories merges them
    merge_single_margin: float = 0.05  # … or brings a one-item story it matches this far along
    merge_on_one_name: bool = False  # … even by a link clearing the threshold only on one name
    story_link_terms: int = 6  # two stories sharing this many terms no third holds (0: off) …
    story_link_event_terms: int = 3  # … this many of them not names, …
    story_link_anchor: bool = True  # … one of those in a headline of either story, …
    story_link_share: float = 0.5  # … each term held by this share of either story's items …
    story_link_sdf: int = 3  # … merge; the terms of a changed item in at most this many stories …
    story_link_hits: int = 2  # … find the stories holding this many of them …
    story_link_candidates: int = 3  # … and at most this many of those are compared
    active_window: timedelta = timedelta(days=3)  # a story quiet this long accepts no items
    max_span: timedelta = timedelta(days=7)  # a story takes items this long from its first
    max_active: int = 50_000  # cap on active stories; the quietest are dropped first
    title_weight: float = 2.0  # weight of a title term relative to a text term
    text_tokens: int = 250  # how many leading content terms of the text are used
    vector_terms: int = 80  # an item vector keeps its heaviest terms only
    index_terms: int = 30  # a member is indexed under its title, names and first text terms
    max_postings: int = 100  # terms on more profile members than this find no candidates
    max_candidates: int = 10  # members compared exactly per item (those sharing most terms)
    # The headline route (aggregator.headline_route), for pairs where an item has no text:
    headline_shared_terms: int = 2  # distinctive title terms the two headlines share …
    headline_names: int = 1  # … of which this many are names …
    headline_event_terms: int = 1  # … and this many are not …
    headline_pair_threshold: float = 0.50  # … with this title cosine (TF-IDF) …
    embeddings: bool = False  # … or, with headline embeddings (the `embeddings` extra) …
    embedding_threshold: float = 0.60  # … this embedding cosine
    expire_every: timedelta = timedelta(hours=1)  # the window moves by this much publication time
    boilerplate_copies: int = 3  # an item opening its text like this many others is furniture
    snapshot: bool = True  # keep the window in `<db>.grouping` for the next process to load


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where `assign` put an item.

    `score` is the similarity to the member matched or, for a new story, to the best member
    rejected (0.0 when there was no candidate). `merged` lists stories folded into `story_id`
    by this item. `terms` is the item's encoded features, to store for `restore`. `furniture`:
    the item's text is a page's furniture (see aggregator.boilerplate), not an article;
    `earlier_furniture` names earlier copies of it that this item shows to be furniture too.
    `moved_with`: other items that left their story with a regrouped item, into `story_id`
    (see aggregator.group_leave).
    """

    story_id: str
    new_story: bool
    score: float
    merged: tuple[str, ...] = ()
    terms: str = ""
    furniture: bool = False
    earlier_furniture: tuple[str, ...] = ()
    moved_with: tuple[str, ...] = ()
