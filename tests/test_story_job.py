"""The story job's pure parts, and the typed interface through which it reads a summariser's
answer state."""

from __future__ import annotations

import dataclasses

from aggregator.llm import LLMSettings, LLMSummarizer
from aggregator.models import Item
from aggregator.story_job import ModelAnswers, inputs_key, with_article_text
from aggregator.summarize import DEFAULT_SETTINGS, ExtractiveSummarizer

TEASER = Item(id="a", title="Dam breaks", text="The dam broke.", content_hash="h1", url="u")
OTHER = Item(id="b", title="Dam fails", text="A dam failed overnight.", content_hash="h2")


def test_the_llm_backend_states_its_answer_through_the_protocol() -> None:
    llm = LLMSummarizer(
        LLMSettings(enabled=True, base_url="http://127.0.0.1:9/v1", model="m"),
        ExtractiveSummarizer(),
    )
    try:
        assert isinstance(llm, ModelAnswers)
        assert not llm.fell_back and not llm.pending
    finally:
        llm.close()
    assert not isinstance(ExtractiveSummarizer(), ModelAnswers)


def test_article_text_replaces_a_teaser_and_marks_its_content() -> None:
    out = with_article_text([TEASER, OTHER], {"a": "The whole article text."})
    assert out[0].text == "The whole article text."
    assert out[0].content_hash.startswith("h1+article:")
    assert out[1] is OTHER
    again = with_article_text([TEASER], {"a": "A corrected article text."})
    assert again[0].content_hash != out[0].content_hash
    assert with_article_text([TEASER], {}) == [TEASER]


def test_the_inputs_key_names_content_and_summariser() -> None:
    plain = ExtractiveSummarizer()
    key = inputs_key(plain, [TEASER, OTHER])
    assert inputs_key(ExtractiveSummarizer(), [TEASER, OTHER]) == key
    changed = dataclasses.replace(OTHER, content_hash="h3")
    assert inputs_key(plain, [TEASER, changed]) != key
    shorter = ExtractiveSummarizer(dataclasses.replace(DEFAULT_SETTINGS, max_words=50))
    assert inputs_key(shorter, [TEASER, OTHER]) != key
