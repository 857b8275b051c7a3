"""Story objects for the publishing and web tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aggregator.models import Bullet, SourceRef, Story, Summary
from aggregator.ranking import outlets

T0 = datetime(2025, 2, 12, 8, 0, tzinfo=UTC)


def make_story(
    story_id: str,
    headline: str = "Ceasefire agreed",
    *,
    hours: int = 0,
    category: str = "World News",
    summary: Summary | None = None,
    no_summary: bool = False,
) -> Story:
    if summary is None and not no_summary:
        summary = Summary(
            headline=headline,
            bullets=(
                Bullet(f"{headline}: first fact", (0,)),
                Bullet(f"{headline}: second fact", (0, 1)),
                Bullet(f"{headline}: third fact", (1,)),
            ),
            sources=(
                SourceRef("Example Times", "Talks end", f"https://times.example/{story_id}"),
                SourceRef("Wire Co", "Deal reached", f"http://wire.example/{story_id}?a=1&b=2"),
            ),
            outlet_count=2,
        )
    return Story(
        id=story_id,
        category=category,
        headline=headline,
        first_seen=T0 + timedelta(hours=hours),
        updated=T0 + timedelta(hours=hours, minutes=30),
        version=1,
        summary=summary,
        categories=(category,),
    )


class ListReader:
    """A StoryReader over a list of stories."""

    def __init__(self, names: list[str], stories: list[Story], token: str = "v1") -> None:
        self.names = names
        self.items = stories
        self.token = token

    def categories(self) -> list[str]:
        return list(self.names)

    def stories(self, category: str | None, limit: int, min_outlets: int = 1) -> list[Story]:
        chosen = [
            s
            for s in self.items
            if (category is None or category in s.categories) and outlets(s) >= min_outlets
        ]
        return sorted(chosen, key=lambda s: (s.updated, s.id), reverse=True)[:limit]

    def story(self, story_id: str) -> Story | None:
        return next((s for s in self.items if s.id == story_id), None)

    def version(self) -> str:
        return self.token
