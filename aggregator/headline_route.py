"""The clusterer's headline route: two headlines of one event, when one item has no text. Pure.

A headline-only item shares few words with anything (two headlines of one event rarely share
three content words), so the title-and-text route, which asks for three distinctive shared
terms, misses most of them. This route asks less of the words and more of what they are:
the two titles share `headline_shared_terms` distinctive terms, of which at least
`headline_names` are names (who or where) and `headline_event_terms` are not (what
happened), and they read alike — TF-IDF title cosine of at least `headline_pair_threshold`,
or, with the optional embeddings, an embedding cosine of at least `embedding_threshold`.
A headline's first word is capitalised whatever it is, so it never counts as an event term.
Names alone never join (the same people are in many events), and one shared word never does.
Chinese and Japanese titles count shared pieces, not character pairs (`cjk_terms`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cjk_script import has_cjk
from .cjk_terms import longest_piece, shared_pieces
from .embed import HeadlineEmbedder
from .window_counts import Vector, WindowCounts, dot

if TYPE_CHECKING:
    from .cluster_settings import ClusterSettings

__all__ = ["Headline", "headline_margin"]

_CJK_NAME_CHARS = 3  # a shared Chinese or Japanese piece this long counts as a name


class Headline:
    """A headline as written and its first content term; its embedding is made on demand.

    The clusterer keeps one per profile member (for comparisons to come) and makes one for
    each incoming item.
    """

    __slots__ = ("_vector", "embedder", "first", "text")

    def __init__(self, text: str, first: str, embedder: HeadlineEmbedder | None) -> None:
        self.text, self.first, self.embedder = text, first, embedder
        self._vector: object | None = None

    def vector(self) -> object | None:
        """The embedding (None without an embedder); made once, when first asked for."""
        if self._vector is None and self.embedder is not None:
            self._vector = self.embedder.vector(self.text)
        return self._vector


def headline_margin(
    settings: ClusterSettings,
    counts: WindowCounts,
    title: Vector,
    other_title: Vector,
    headline: Headline | None,
    other: Headline | None,
) -> tuple[float, float] | None:
    """(margin over the route's threshold, similarity) of two titles; None when they do not
    share enough distinctive terms, names and event terms to be compared at all."""
    s = settings
    shared = [t for t in title if t in other_title and counts.distinctive(t)]
    if len(shared) < s.headline_shared_terms:
        return None
    unknown = {h.first for h in (headline, other) if h is not None}
    names = sum(counts.is_name(t) for t in shared)
    events = sum(not counts.is_name(t) and t not in unknown for t in shared)
    if not all(t.isascii() for t in shared) and any(map(has_cjk, shared)):
        # Chinese and Japanese titles: a word's overlapping pairs are one shared term, and,
        # with no capitals to tell a name, a shared piece of three characters or more (港口大桥,
        # 日内瓦, 岩見市) says who or where as a name does.
        if shared_pieces(title, shared) < s.headline_shared_terms:
            return None
        names += longest_piece(title, shared) >= _CJK_NAME_CHARS
    if names < s.headline_names or events < s.headline_event_terms:
        return None
    head = dot(title, other_title)
    margin, score = head - s.headline_pair_threshold, head
    if headline is not None and other is not None:
        mine, theirs = headline.vector(), other.vector()
        if mine is not None and theirs is not None and headline.embedder is not None:
            cosine = headline.embedder.cosine(mine, theirs)
            margin, score = max(margin, cosine - s.embedding_threshold), max(score, cosine)
    return margin, score
