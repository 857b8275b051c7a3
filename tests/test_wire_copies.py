"""Wire copies: the same text from several outlets is one article to summarise, and each
other outlet that carried it is listed and counted once. All texts are invented."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from aggregator.config import Settings
from aggregator.digest_mail import _sources as digest_sources
from aggregator.item_kinds import publishable
from aggregator.models import Bullet, Entry, Item, Source, Story, Summary
from aggregator.pipeline import entry_to_item
from aggregator.publish import based_on, source_label, story_html_body, update_note
from aggregator.store import Store
from aggregator.story_job import StoryJob
from aggregator.story_sources import source_ref
from aggregator.summarize import ExtractiveSummarizer, Summarizer
from aggregator.wire_copies import copy_sources

NOW = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)
WIRE = (
    "Officials in the port city of Marrow said on Thursday that the container terminal will "
    "close for three weeks while engineers replace the cranes damaged in last month's storm. "
    "Shipping firms warned the closure would push freight to rival ports along the northern "
    "coast. Grain and fuel deliveries to inland towns could be delayed until the end of the "
    "season, the port's operator said in a statement. Engineers expect the new cranes to "
    "arrive from Pellow by sea within ten days."
)
TITLE = "Marrow port to close for three weeks for crane repairs"


def _item(site: str, feed: str, minutes: int, title: str = TITLE, text: str = WIRE) -> Item:
    source = Source(f"https://{site}/{feed}.xml", site, "World", f"https://{site}/")
    entry = Entry(
        guid=f"{site}-{feed}-{minutes}",
        title=title,
        text=text,
        url=f"https://{site}/{feed}/{minutes}",
        published=NOW + timedelta(minutes=minutes),
    )
    return entry_to_item(source, entry, site, NOW + timedelta(hours=1))


class _Counting(ExtractiveSummarizer):
    """The extractive summarizer, counting the stories it summarises."""

    calls = 0

    def summarize(
        self,
        items: Sequence[Item],
        previous_headline: str | None = None,
        language: str | None = None,
    ) -> Summary:
        self.calls += 1
        return super().summarize(items, previous_headline, language)


def _job(store: Store, summarizer: Summarizer | None = None) -> StoryJob:
    return StoryJob(store, Settings(), lambda: NOW + timedelta(hours=2), summarizer)


def _only_story(store: Store) -> Story:
    (story,) = [s for s in store.reader().stories(None, 100) if s.summary is not None]
    return story


def test_two_outlets_identical_text_is_one_article_listed_and_counted_twice() -> None:
    first, copy = _item("one.example", "world", 0), _item("two.example", "news", 20)
    store = Store(":memory:")
    try:
        store.insert_items([first, copy])
        summarizer = _Counting()
        _job(store, summarizer).run()
        stored = {i.id: i for i in store.items_since(NOW - timedelta(days=1))}
        assert stored[copy.id].duplicate_of == first.id  # grouping as before: one article
        story = _only_story(store)
        summary = story.summary
        assert summary is not None
        assert [s.item_id for s in summary.sources] == [first.id, copy.id]
        assert [s.copy_of for s in summary.sources] == ["", first.id]
        assert [s.outlet for s in summary.sources] == ["one.example", "two.example"]
        assert summary.sources[1].url == copy.url
        assert summary.outlet_count == 2
        assert based_on(summary) == "Summary based on 2 sources"
        # summarised once, from the original alone: no bullet is repeated or cites the copy
        texts = [b.text for b in summary.bullets]
        assert texts and len(set(texts)) == len(texts)
        assert all(b.sources == (0,) for b in summary.bullets)
        assert summarizer.calls == 1
        label = source_label(summary.sources[1], summary.sources)
        assert label == f"two.example (same text as [1]) — {TITLE}"
        body = story_html_body(story, Settings().publish)
        assert "two.example (same text as [1])" in body and copy.url in body
        rows, rest = digest_sources(story)
        assert [n for n, _, _ in rows] == [1, 2] and rest == ""
        assert "same text as [1]" in rows[1][1]
    finally:
        store.close()


def test_a_copy_from_an_outlet_already_listed_adds_nothing() -> None:
    first = _item("one.example", "world", 0)
    same_outlet = _item("one.example", "top", 20)  # the outlet's other feed
    store = Store(":memory:")
    try:
        store.insert_items([first, same_outlet])
        _job(store).run()
        stored = {i.id: i for i in store.items_since(NOW - timedelta(days=1))}
        assert stored[same_outlet.id].duplicate_of == first.id
        summary = _only_story(store).summary
        assert summary is not None
        assert [s.item_id for s in summary.sources] == [first.id]
        assert summary.outlet_count == 1
    finally:
        store.close()


def test_a_copy_of_furniture_or_of_another_story_is_never_listed() -> None:
    first, copy = _item("one.example", "world", 0), _item("two.example", "news", 20)
    copy = dataclasses.replace(copy, duplicate_of=first.id)
    assert [s.item_id for s in copy_sources([first], [copy])] == [copy.id]
    furniture = dataclasses.replace(first, furniture=True)
    assert copy_sources(publishable([furniture]), [copy]) == []
    assert copy_sources([_item("three.example", "x", 5, "Other", "Other text.")], [copy]) == []
    # an advert copy is left out before it is asked (`publishable`), as an original would be
    advert = dataclasses.replace(copy, title="Sponsored: " + TITLE)
    assert copy_sources([first], publishable([advert])) == []


def test_a_new_outlets_copy_republishes_and_a_same_outlet_copy_writes_nothing() -> None:
    first = _item("one.example", "world", 0)
    store = Store(":memory:")
    try:
        store.insert_items([first])
        summarizer = _Counting()
        job = _job(store, summarizer)
        job.run()
        before = _only_story(store)
        assert before.version == 1 and summarizer.calls == 1
        store.insert_items([_item("one.example", "top", 20)])  # same outlet
        assert job.run() == 0
        assert _only_story(store).version == 1 and summarizer.calls == 1
        copy = _item("two.example", "news", 30)
        store.insert_items([copy])
        assert job.run() == 1  # a new outlet carried the text: a material change …
        after = _only_story(store)
        assert summarizer.calls == 1  # … summarised from the same inputs: not again
        assert after.version == 2 and after.summary is not None
        assert after.summary.outlet_count == 2
        assert [s.item_id for s in after.summary.sources] == [first.id, copy.id]
        assert before.summary is not None and after.summary.bullets == before.summary.bullets
        assert update_note(after) == "Updated: 1 new source"
        assert job.run() == 0  # and nothing is due again
    finally:
        store.close()


class _Model:
    """A model's summary (as the LLM backend answers): one bullet citing every source."""

    def summarize(
        self,
        items: Sequence[Item],
        previous_headline: str | None = None,
        language: str | None = None,
    ) -> Summary:
        sources = tuple(source_ref(item) for item in items)
        bullet = Bullet("Marrow's container terminal closes for three weeks.", (0,))
        return Summary(TITLE, (bullet,), sources, len(sources), method="llm")


def test_a_models_summary_lists_the_same_copies() -> None:
    first, copy = _item("one.example", "world", 0), _item("two.example", "news", 20)
    store = Store(":memory:")
    try:
        store.insert_items([first, copy])
        _job(store, _Model()).run()
        summary = _only_story(store).summary
        assert summary is not None and summary.method == "llm"
        assert [s.item_id for s in summary.sources] == [first.id, copy.id]
        assert summary.outlet_count == 2
    finally:
        store.close()


def test_an_outlets_own_channel_copy_adds_nothing_unless_it_goes_by_another_name() -> None:
    first = _item("one.example", "world", 0)
    clip = dataclasses.replace(
        _item("youtube.com", "channel", 20),
        outlet="youtube.com/channel/uc-one",
        outlet_name="one.example",
        duplicate_of=first.id,
    )
    # the outlet's own channel under its name is the outlet (`story_sources.outlet_keys`) …
    assert copy_sources([first], [clip]) == []
    # … one under a name of its own counts apart, as it would as an original
    named = dataclasses.replace(clip, outlet_name="One Example (video)")
    assert [s.outlet for s in copy_sources([first], [named])] == ["One Example (video)"]
