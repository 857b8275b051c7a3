"""Optional headline embeddings for story grouping (the `embeddings` extra).

The one module that touches the embedding library. WordLlama's static token vectors ship
inside the `wordllama` package itself (about 30 MB); they are loaded from the package folder
with downloads disabled, so nothing is fetched at run time. A headline's vector is the
weighted average of its token vectors: about 0.1 ms per headline on one core.

The clusterer uses the vectors only on its headline route (two headlines, at least one of
the items without text) and only after the pair shares distinctive title terms, so this is a
paraphrase detector, never a way to join on topic. Without the extra installed (or with
`[cluster] embeddings = false`, the default), grouping uses TF-IDF title cosine alone.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

__all__ = ["HeadlineEmbedder", "WordLlamaEmbedder", "headline_embedder"]

log = logging.getLogger(__name__)


class HeadlineEmbedder(Protocol):
    """Turns headlines into vectors the clusterer keeps opaque, and compares two of them."""

    def vector(self, headline: str) -> object:
        """A unit vector for `headline`."""
        ...

    def cosine(self, a: object, b: object) -> float:
        """Cosine similarity of two vectors made by `vector`."""
        ...


class WordLlamaEmbedder:
    """WordLlama static embeddings, loaded offline from the installed package."""

    def __init__(self, dim: int = 256) -> None:
        import wordllama  # the extra: imported only when embeddings are asked for
        from wordllama import WordLlama

        folder = Path(wordllama.__file__).parent
        self._model: Any = WordLlama.load(dim=dim, cache_dir=folder, disable_download=True)

    def vector(self, headline: str) -> object:
        return self._model.embed([headline or " "], norm=True)[0]

    def cosine(self, a: object, b: object) -> float:
        return float(a @ b)  # type: ignore[operator]


def headline_embedder(enabled: bool) -> HeadlineEmbedder | None:
    """The embedder when `enabled` and the extra is installed; None (TF-IDF only) otherwise.

    A missing or broken extra is logged once and grouping carries on without it.
    """
    if not enabled:
        return None
    try:
        return WordLlamaEmbedder()
    except ImportError:
        log.warning(
            "[cluster] embeddings is on but the 'embeddings' extra is not installed "
            "(pip install 'aggregator[embeddings]'); grouping uses TF-IDF titles only"
        )
    except (OSError, ValueError) as exc:
        log.warning("headline embeddings unavailable (%s); grouping uses TF-IDF only", exc)
    return None
