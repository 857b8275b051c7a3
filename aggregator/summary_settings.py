"""`[summary]` settings, kept apart from `summarize` so reading the configuration does not
import the summariser."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SummarySettings"]


@dataclass(frozen=True, slots=True)
class SummarySettings:
    """Knobs of the summary; the defaults suit a feed item read on a phone."""

    min_bullets: int = 3
    max_bullets: int = 12
    max_words: int = 250  # cap on the words of all bullets together
    max_bullet_words: int = 45  # longer sentences are cut at a clause boundary, or skipped
    min_bullet_words: int = 6  # shorter body sentences are not bullets (titles may be)
    redundancy: float = 0.35  # cosine similarity at which two bullets say the same thing
    attribution: float = 0.75  # share of a bullet's weighted terms a source must contain
    words_per_bullet: int = 60  # one more bullet wanted per this many words of source text
    novelty: float = 0.75  # share of a bullet's terms already said at which it adds nothing new
    language: str = ""  # readers' language, wins a tie of sources' languages ("": publish's)

    def __post_init__(self) -> None:
        if not 1 <= self.min_bullets <= self.max_bullets:
            raise ValueError("need 1 <= min_bullets <= max_bullets")
        if self.max_words < 1 or self.max_bullet_words < self.min_bullet_words:
            raise ValueError("need max_words >= 1 and max_bullet_words >= min_bullet_words")
        if not (0 < self.redundancy <= 1 and 0 < self.attribution <= 1 and 0 < self.novelty <= 1):
            raise ValueError("redundancy, attribution and novelty must be in (0, 1]")
        if self.words_per_bullet < 1:
            raise ValueError("words_per_bullet must be >= 1")
