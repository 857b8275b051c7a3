"""The LLM summarizer against a fake OpenAI-compatible server on loopback: every path."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from aggregator.config import build_settings
from aggregator.errors import ConfigError
from aggregator.llm import LLMError, LLMSettings, LLMSummarizer, ground, parse_answer
from aggregator.models import Item
from aggregator.summarize import ExtractiveSummarizer, make_summarizer

ITEMS = [
    Item(
        id="a",
        title="Tisza dam breaks after storm",
        text=(
            "The Tisza dam broke on Monday night after days of heavy rain, flooding three "
            "villages. Rescue teams evacuated 2,000 residents from the valley overnight."
        ),
        url="https://a.example/dam",
        outlet="a.example",
        outlet_name="Daily Planet",
    ),
    Item(
        id="b",
        title="Hungary declares emergency over dam failure",
        text=(
            "Hungary declared a state of emergency after the Tisza dam failed. Engineers said "
            "the dam had not been inspected since 2009."
        ),
        url="https://b.example/dam",
        outlet="b.example",
        outlet_name="Globe Wire",
    ),
]

GOOD = {
    "headline": "Tisza dam breaks, Hungary declares emergency",
    "bullets": [
        {"text": "The Tisza dam broke on Monday night, flooding three villages.", "sources": [1]},
        {"text": "Rescue teams evacuated 2,000 residents overnight.", "sources": [1]},
        {"text": "Hungary declared a state of emergency after the dam failed.", "sources": [2]},
    ],
}


class FakeLLM:
    """Answers chat completions the way `mode` says; records requests and overlap."""

    def __init__(self) -> None:
        self.mode = "good"
        self.elsewhere = ""
        self.answer: Any = GOOD
        self.delay = 0.0
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fake.lock:
                    fake.requests.append(body)
                    fake.headers.append({k.lower(): v for k, v in self.headers.items()})
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                if fake.delay:
                    time.sleep(fake.delay)
                # Leave the count before answering: the client may send its next request as
                # soon as it has this answer.
                with fake.lock:
                    fake.in_flight -= 1
                try:
                    if fake.mode == "redirect":  # (elsewhere: another server's address)
                        self.send_response(302)
                        self.send_header("Location", fake.elsewhere)
                        self.end_headers()
                        return
                    if fake.mode == "429":
                        self.send_response(429)
                        self.send_header("Retry-After", "120")
                        self.end_headers()
                        return
                    if fake.mode == "not-http":
                        self.wfile.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
                        return
                    if fake.mode == "trickle":  # (headers at once, then a byte at a time)
                        self.send_response(200)
                        self.send_header("Content-Length", "1000")
                        self.end_headers()
                        for _ in range(1000):
                            self.wfile.write(b" ")
                            self.wfile.flush()
                            time.sleep(0.05)
                        return
                    if fake.mode == "500":
                        self.send_response(500)
                        self.end_headers()
                        self.wfile.write(b"boom")
                        return
                    if fake.mode == "garbage":
                        payload = b"<html>not json</html>"
                    elif fake.mode == "not-utf-8":
                        payload = b'{"choices": "\xff\xfe"}'
                    elif fake.mode == "deep":
                        payload = b"[" * 100000 + b"]" * 100000
                    else:
                        content = (
                            fake.answer if isinstance(fake.answer, str) else json.dumps(fake.answer)
                        )
                        payload = json.dumps(
                            {"choices": [{"message": {"role": "assistant", "content": content}}]}
                        ).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM()
    yield server
    server.close()


def summarizer(fake: FakeLLM, **kw: Any) -> LLMSummarizer:
    values: dict[str, Any] = {
        "enabled": True,
        "base_url": fake.url,
        "model": "test-model",
        "timeout": 2.0,
        "per_minute": 6000,
    }
    values.update(kw)
    return LLMSummarizer(LLMSettings(**values), ExtractiveSummarizer(), env={"K": "sekrit"})


def test_a_good_answer_is_used_with_citations_mapped_to_sources(fake: FakeLLM) -> None:
    llm = summarizer(fake, api_key_env="K")
    summary = llm.summarize(ITEMS)
    assert summary.method == "llm"
    assert summary.headline == "Tisza dam breaks, Hungary declares emergency"
    assert [b.text for b in summary.bullets] == [b["text"] for b in GOOD["bullets"]]
    outlets = [summary.sources[i].outlet for b in summary.bullets for i in b.sources]
    assert outlets == ["Daily Planet", "Daily Planet", "Globe Wire"]
    assert summary.outlet_count == 2
    (request,) = fake.requests
    assert request["model"] == "test-model"
    user = request["messages"][1]["content"]
    assert "[1] Daily Planet: Tisza dam breaks after storm" in user
    assert "[2] Globe Wire:" in user
    assert fake.headers[0]["authorization"] == "Bearer sekrit"


def test_answers_are_cached_by_story_inputs(fake: FakeLLM) -> None:
    llm = summarizer(fake)
    first = llm.summarize(ITEMS)
    assert llm.summarize(list(reversed(ITEMS))) == first
    assert len(fake.requests) == 1
    changed = [ITEMS[0], dataclasses.replace(ITEMS[1], text=ITEMS[1].text + " More.")]
    llm.summarize(changed)
    assert len(fake.requests) == 2  # a new version of the story asks again


@pytest.mark.parametrize("mode", ["slow", "500", "garbage", "not-json-content", "wrong-shape"])
def test_failures_fall_back_to_extractive(fake: FakeLLM, mode: str) -> None:
    if mode == "slow":
        fake.delay = 1.5
    elif mode in {"500", "garbage"}:
        fake.mode = mode
    elif mode == "not-json-content":
        fake.answer = "Here is your summary: the dam broke."
    else:
        fake.answer = {"headline": "X", "bullets": "not a list"}
    llm = summarizer(fake, timeout=0.5)
    summary = llm.summarize(ITEMS)
    assert summary == ExtractiveSummarizer().summarize(ITEMS)
    assert summary.method == "extractive"
    assert llm.fell_back
    fake.mode, fake.answer, fake.delay = "good", GOOD, 0.0
    assert llm.summarize(ITEMS).method == "llm"  # a failure is not cached: asked again
    assert not llm.fell_back


@pytest.mark.parametrize("mode", ["not-http", "not-utf-8", "deep", "trickle", "429"])
def test_replies_no_client_reads_fall_back_in_one_line(
    fake: FakeLLM, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A status line that is no HTTP, a reply not in UTF-8 or nested 100,000 deep had
    escaped the fallback (a traceback a story; `summarize` stopped); a reply sent a byte at a
    time had held its request past `timeout` for ever (each read had its own timeout); a
    429's Retry-After was not heeded."""
    fake.mode = mode
    llm = summarizer(fake, timeout=0.5)
    assert llm.summarize(ITEMS) == ExtractiveSummarizer().summarize(ITEMS)
    (said,) = [r.getMessage() for r in caplog.records if r.name == "aggregator.llm"]
    assert said.startswith("llm: falling back to extractive: ") and "Traceback" not in caplog.text
    if mode == "trickle":
        assert said.endswith("no whole answer from " + fake.url + "/chat/completions in 0.5 s")
    if mode == "429":  # (the next request waits as it was asked: 120 s)
        assert said.endswith("; no request for 120 s, as it asked")
        assert llm._rate.next - time.monotonic() > 100


def test_the_key_goes_nowhere_but_the_endpoint_and_is_never_shown(
    fake: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    """A redirect had been followed with the key to any address it named (as a GET); a key
    ending in a line break (a CRLF environment file) had been printed whole, a traceback a
    story, and one with a control character inside would have been."""
    other = FakeLLM()
    try:
        fake.mode, fake.elsewhere = "redirect", other.url + "/steal"
        llm = summarizer(fake, api_key_env="K")
        assert llm.summarize(ITEMS).method == "extractive"
        assert other.requests == [] and other.headers == []
        assert f"HTTP 302 from {fake.url}/chat/completions (a redirect to {other.url}/steal" in (
            caplog.text
        )
        fake.mode = "good"
        settings = LLMSettings(enabled=True, base_url=fake.url, model="m", api_key_env="K")
        stripped = LLMSummarizer(settings, ExtractiveSummarizer(), env={"K": "sekrit\r\n"})
        assert stripped.summarize(ITEMS).method == "llm"
        assert fake.headers[-1]["authorization"] == "Bearer sekrit"
        asked = len(fake.requests)
        broken = LLMSummarizer(settings, ExtractiveSummarizer(), env={"K": "sek\nrit"})
        assert broken.summarize(ITEMS).method == "extractive"
        assert len(fake.requests) == asked  # (not sent)
        assert "the API key in K holds a space, a control character" in caplog.text
        assert "sek" not in caplog.text.replace("sekrit", "") and "rit\n" not in caplog.text
    finally:
        other.close()


def test_a_base_url_with_a_query_keeps_it_after_the_path_and_one_with_a_login_is_refused(
    fake: FakeLLM,
) -> None:
    """Azure's `?api-version=…`: `/chat/completions` had been added after the query."""
    from aggregator.llm import completions_url

    assert completions_url("https://x.example/openai/deployments/d?api-version=2024-02-01") == (
        "https://x.example/openai/deployments/d/chat/completions?api-version=2024-02-01"
    )
    llm = summarizer(fake, base_url=fake.url + "/?api-version=1")
    assert llm.summarize(ITEMS).method == "llm"
    for bad, said in (
        ("http://u:p@127.0.0.1/v1", "no user or password"),
        ("http://h/v1#x", "fragment"),
    ):
        with pytest.raises(ValueError, match=said):
            LLMSettings(enabled=True, base_url=bad, model="m")


def test_the_summary_limits_hold_for_a_models_bullets(fake: FakeLLM) -> None:
    """A model answering with every sentence had its 27 bullets published whole."""
    from aggregator.summary_settings import SummarySettings

    fake.answer = {
        "headline": GOOD["headline"],
        "bullets": [
            *GOOD["bullets"],
            {
                "text": "The Tisza dam broke on Monday night, flooding three villages.",
                "sources": [1],
            },
            {"text": "Engineers said the dam had not been inspected since 2009.", "sources": [2]},
        ],
    }
    settings = LLMSettings(enabled=True, base_url=fake.url, model="m", per_minute=6000)
    limited = SummarySettings(min_bullets=1, max_bullets=2)
    llm = LLMSummarizer(settings, ExtractiveSummarizer(limited), env={})
    assert [b.text for b in llm.summarize(ITEMS).bullets] == [
        b["text"] for b in GOOD["bullets"][:2]
    ]
    few_words = SummarySettings(min_bullets=1, max_words=17)
    llm = LLMSummarizer(settings, ExtractiveSummarizer(few_words), env={})
    assert len(llm.summarize(ITEMS).bullets) == 2  # (9 + 5 words; the third would pass 17)


def test_a_bullet_that_denies_what_its_sources_say_is_dropped(fake: FakeLLM) -> None:
    """Every word of "did not break" is in "broke": a negation is no content word."""
    fake.answer = {
        "headline": GOOD["headline"],
        "bullets": [
            {"text": "The Tisza dam did not break on Monday night.", "sources": [1]},
            *GOOD["bullets"],
        ],
    }
    assert [b.text for b in summarizer(fake).summarize(ITEMS).bullets] == [
        b["text"] for b in GOOD["bullets"]
    ]
    # a source that denies something lets a denial through (the 2009 inspection)
    assert ground([("The dam had not been inspected since 2009.", [1])],
                  [ITEMS[1].text], 0.7)  # fmt: skip


def test_in_the_background_the_models_headline_replaces_the_extractive_one(fake: FakeLLM) -> None:
    """The extractive headline, published while the model was asked, had stayed for good
    (a grounded published headline stays): the model's never was."""
    answered = threading.Event()
    settings = LLMSettings(enabled=True, base_url=fake.url, model="m", per_minute=6000)
    llm = LLMSummarizer(
        settings, ExtractiveSummarizer(), env={}, background=True, on_answer=answered.set
    )
    try:
        first = llm.summarize(ITEMS)
        assert first.method == "extractive" and llm.pending
        assert answered.wait(10)
        second = llm.summarize(ITEMS, previous_headline=first.headline)
        assert (second.method, second.headline) == ("llm", GOOD["headline"])
        fake.answer = {**GOOD, "headline": "Dam on the Tisza fails after heavy rain"}
        answered.clear()
        changed = [ITEMS[0], dataclasses.replace(ITEMS[1], text=ITEMS[1].text + " More.")]
        llm.summarize(changed, previous_headline=second.headline)
        assert answered.wait(10)
        third = llm.summarize(changed, previous_headline=second.headline)
        assert third.headline == GOOD["headline"]  # (the model's own, published, stays)
    finally:
        llm.close()


def test_a_source_in_another_language_is_not_put_to_the_model(fake: FakeLLM) -> None:
    german = Item(
        id="c",
        title="Damm an der Theiß gebrochen",
        text=(
            "Der Damm an der Theiß ist in der Nacht zum Montag nach tagelangem Regen "
            "gebrochen. Rettungskräfte brachten 2.000 Bewohner in Sicherheit."
        ),
        url="https://c.example/damm",
        outlet="c.example",
        outlet_name="Tagesblatt",
    )
    summarizer(fake).summarize([*ITEMS, german])
    user = fake.requests[0]["messages"][1]["content"]
    assert "Daily Planet" in user and "Globe Wire" in user and "Tagesblatt" not in user


def test_a_bullet_citing_a_missing_source_is_dropped(fake: FakeLLM) -> None:
    fake.answer = {
        "headline": GOOD["headline"],
        "bullets": [
            *GOOD["bullets"],
            {"text": "Engineers said the dam had not been inspected since 2009.", "sources": [7]},
        ],
    }
    summary = summarizer(fake).summarize(ITEMS)
    assert summary.method == "llm"
    assert len(summary.bullets) == 3
    assert not any("inspected" in b.text for b in summary.bullets)


def test_unsupported_claims_are_dropped(fake: FakeLLM) -> None:
    fake.answer = {
        "headline": GOOD["headline"],
        "bullets": [
            GOOD["bullets"][0],
            # invented: nothing in source 1 says this
            {"text": "The prime minister resigned over the government's response.", "sources": [1]},
            # a wrong number: the source says 2,000
            {"text": "Rescue teams evacuated 5,000 residents overnight.", "sources": [1]},
            # true, but cited to the wrong source
            {"text": "Engineers said the dam had not been inspected since 2009.", "sources": [1]},
        ],
    }
    summary = summarizer(fake).summarize(ITEMS)
    assert [b.text for b in summary.bullets] == [GOOD["bullets"][0]["text"]]


def test_an_answer_with_nothing_supported_falls_back(fake: FakeLLM) -> None:
    fake.answer = {
        "headline": "Aliens land",
        "bullets": [{"text": "Aliens landed in Budapest on Monday.", "sources": [1]}],
    }
    summary = summarizer(fake).summarize(ITEMS)
    assert summary.method == "extractive"


def test_an_unsupported_headline_is_replaced_by_the_extractive_one(fake: FakeLLM) -> None:
    fake.answer = {**GOOD, "headline": "Government collapses after scandal"}
    summary = summarizer(fake).summarize(ITEMS)
    assert summary.method == "llm"
    assert summary.headline == ExtractiveSummarizer().summarize(ITEMS).headline


def test_concurrency_is_bounded(fake: FakeLLM) -> None:
    fake.delay = 0.3
    llm = summarizer(fake, concurrency=2)
    stories = [
        [dataclasses.replace(i, text=f"{i.text} Update {n}.") for i in ITEMS] for n in range(6)
    ]
    threads = [threading.Thread(target=llm.summarize, args=(s,)) for s in stories]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fake.requests) == 6
    assert fake.max_in_flight <= 2


def test_parse_answer_accepts_code_fences_and_rejects_bad_types() -> None:
    headline, bullets = parse_answer('```json\n{"headline": "H", "bullets": []}\n```')
    assert (headline, bullets) == ("H", [])
    rambling = "The dam broke. " + "Rescue teams worked through the night in the valley " * 9
    headline, _ = parse_answer(json.dumps({"headline": rambling, "bullets": []}))
    assert len(headline) <= 200 and headline.endswith("…")  # a headline's limit holds
    for bad in ['{"headline": 3, "bullets": []}', '{"headline": "H", "bullets": [{"text": 1}]}']:
        with pytest.raises(LLMError, match=r"headline|text"):
            parse_answer(bad)


def test_ground_keeps_complete_supported_sentences_only() -> None:
    evidence = ["The dam broke on Monday after heavy rain."]
    assert ground([("The dam broke on Monday", [1])], evidence, 0.7) == []  # no full stop
    assert ground([("The dam broke on Monday.", [1])], evidence, 0.7) == [
        ("The dam broke on Monday.", [1])
    ]


def test_settings_and_make_summarizer() -> None:
    settings = build_settings(
        {"llm": {"enabled": True, "base_url": "http://127.0.0.1:9/v1", "model": "m"}}
    )
    assert isinstance(make_summarizer(settings), LLMSummarizer)
    assert isinstance(make_summarizer(build_settings()), ExtractiveSummarizer)
    with pytest.raises(ConfigError, match="base_url"):
        build_settings({"llm": {"enabled": True}})


def store_items(service: Any, now: datetime) -> None:
    """ITEMS as one poll of each outlet's feed stores them (on the service's writer thread)."""
    from aggregator.models import FeedState

    for item in ITEMS:
        stored = dataclasses.replace(
            item,
            feed_url=f"https://{item.outlet}/f",
            guid=item.id,
            first_seen=now,
            published=now,
            category="World",
            content_hash=f"h{item.id}",
        )
        service._writer.submit(
            service.store.save_poll, FeedState(url=stored.feed_url), [stored]
        ).result()


def test_the_service_publishes_the_fallback_and_asks_again_next_time(
    fake: FakeLLM, tmp_path: Any
) -> None:
    from datetime import UTC, datetime

    from aggregator.config import Settings
    from aggregator.service import Service

    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    fake.mode = "500"
    llm = summarizer(fake)
    service = Service(tmp_path / "feeds.opml", ":memory:", Settings(), clock=lambda: now)
    service.stories.summarizer = llm
    run = service._writer.submit
    try:
        store_items(service, now)
        service.stories.restored = True
        run(service._group_and_summarize).result()
        first = service.store.reader().stories(None, 10)
        assert [s.summary.method for s in first if s.summary] == ["extractive"] * len(first)
        # The story is summarised again on its next change, and the model now answers.
        fake.mode = "good"
        for story in first:
            run(
                service.store.db.execute, "UPDATE stories SET dirty = 1 WHERE id = ?", [story.id]
            ).result()
        run(service._group_and_summarize).result()
        again = service.store.reader().stories(None, 10)
    finally:
        service.close()
    assert any(s.summary and s.summary.method == "llm" for s in again)


@pytest.mark.parametrize("mode", ["good", "500"])
def test_the_service_does_not_wait_for_the_model(fake: FakeLLM, tmp_path: Any, mode: str) -> None:
    """Stories are published at once (extractive); the answer replaces it when it arrives."""
    import asyncio
    from datetime import UTC, datetime

    from aggregator.service import Service

    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    fake.mode, fake.delay = mode, 0.5
    config = build_settings(
        {"llm": {"enabled": True, "base_url": fake.url, "model": "m", "per_minute": 6000}}
    )
    service = Service(tmp_path / "feeds.opml", ":memory:", config, clock=lambda: now)
    run = service._writer.submit
    try:
        store_items(service, now)
        service.stories.restored = True
        run(service._group_and_summarize).result()
        first = service.store.reader().stories(None, 10)
        assert first and all(s.summary and s.summary.method == "extractive" for s in first)
        assert not fake.requests or len(fake.requests) <= len(first)  # asked, not waited for
        asyncio.run(service.settle_summaries(10))
        after = service.store.reader().stories(None, 10)
        assert not service.stories.awaiting
    finally:
        service.close()
    methods = {s.summary.method for s in after if s.summary}
    # (the fixed answer is about the dam: a story it doesn't fit keeps its extractive summary)
    assert ("llm" in methods) is (mode == "good")


def test_a_request_still_out_never_holds_the_process(fake: FakeLLM) -> None:
    """A model that does not answer: once closed, only daemon threads wait for it, so the
    process exits without waiting (a thread pool's workers are joined at exit)."""
    fake.delay = 3.0
    llm = summarizer(fake, timeout=30.0)
    llm.background = True
    assert llm.summarize(ITEMS).method == "extractive"  # (asked in the background)
    for _ in range(500):
        if fake.in_flight:
            break
        time.sleep(0.01)
    assert fake.in_flight == 1
    llm.close()
    ours = [t for t in threading.enumerate() if t.name.startswith("llm")]
    assert ours and all(t.daemon for t in ours)


def test_poll_once_waits_for_answers_at_most_the_model_timeout(tmp_path: Any) -> None:
    """`settle` with no answer coming: it gives up `timeout` after it started (a clock the
    test moves), not later."""
    import asyncio
    from types import SimpleNamespace

    from aggregator import story_job
    from aggregator.service import Service

    config = build_settings(
        {"llm": {"enabled": True, "base_url": "http://127.0.0.1:9/v1", "model": "m", "timeout": 5}}
    )
    service = Service(tmp_path / "feeds.opml", ":memory:", config)
    clock = [100.0]

    class Never:
        def wait(self, seconds: float) -> bool:
            clock[0] += seconds
            return False

        def is_set(self) -> bool:
            return False

    try:
        job = service.stories
        job.awaiting = {"a story"}
        job.answers = Never()  # type: ignore[assignment]
        patch = pytest.MonkeyPatch()
        patch.setattr(story_job, "time", SimpleNamespace(monotonic=lambda: clock[0]))
        try:
            asyncio.run(job.settle(service.write))
        finally:
            patch.undo()
    finally:
        service.close()
    assert clock[0] == pytest.approx(105.0)
