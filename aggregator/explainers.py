"""Headlines of pieces written around a topic rather than reporting an event: a question ("Does
the Biden Bump Have More to Do With Trump?", "Coronavirus: Can Russia flatten the curve?") or
an explainer's or feature's opening ("What Trump voters think of his handling of crisis",
"Inside Russia's Race to Develop a Covid-19 Vaccine", "Why …", "Analysis: …"). Pure.

Such a piece shares its topic's words with the news of the day, and of other days: grouped
with two days of news in one stream (`bench/cluster_eval.py`), most of the stories mixing the
two days held one. The clusterer asks a link with such a headline on either side for a margin
(`ClusterSettings.explainer_margin`): it still joins a story it clearly belongs to. A
question mark reads in any language (`?`, `？`, `؟`, and `¿` opening); the openings are
English ones.
"""

from __future__ import annotations

import re

__all__ = ["is_explainer"]

# a question: its mark at the end (a closing quote after it), or Spanish's opening mark; an
# explainer's opening word, after a short "Topic: " label at most
_EXPLAINER = re.compile(
    r"[?？؟]['\"’”»)]*\s*$"
    r"|^\s*¿"
    r"|^(?:[^:]{1,30}:\s+)?(?:what|why|how|who|where|when|inside|explainer|analysis|opinion)\b",
    re.IGNORECASE,
)


def is_explainer(headline: str) -> bool:
    """Whether `headline` asks a question or opens as an explainer or feature does."""
    return bool(headline) and _EXPLAINER.search(headline) is not None
