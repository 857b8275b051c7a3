"""An optional LLM summarizer over any OpenAI-compatible chat-completions endpoint.

Ollama, llama.cpp's server, vLLM and hosted APIs all speak it: `[llm] base_url` (e.g.
``http://127.0.0.1:11434/v1``), `model`, and the API key from the environment variable
`api_key_env` names. The prompt numbers the story's sources; the model must answer with JSON
``{"headline": "...", "bullets": [{"text": "...", "sources": [1, 2]}]}``. Every bullet is
checked against the sources it cites (grounding): a citation of a source that doesn't exist is
dropped, and a bullet whose words or numbers its cited sources don't contain is dropped. On a
timeout, an HTTP error, or an answer that isn't valid, the extractive summary is used instead.
Answers are cached by the story's inputs (so an unchanged story never asks twice; a failure is
not cached, and the service records no inputs key for a fallback, so the next change of the
story asks again), at most
`concurrency` requests run at once, and at most `per_minute` start in any minute.

HTTP goes through the standard library (this summarizer is synchronous, like the protocol).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import queue
import re
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

from . import __version__
from .bullets import ends_complete
from .headline import shortened
from .llm_settings import LLMSettings
from .models import Bullet, Item, Summary
from .summarize import Summarizer
from .tokens import tokens

__all__ = ["LLMError", "LLMSettings", "LLMSummarizer", "build_prompt", "ground", "parse_answer"]

log = logging.getLogger("aggregator.llm")

SYSTEM_PROMPT = (
    "You write news summaries from numbered sources. Use only facts the sources state; never "
    "add background or opinion. Answer with JSON only, in this form: "
    '{"headline": "a factual headline", "bullets": [{"text": "one complete sentence.", '
    '"sources": [1, 2]}]}. Write 3 to 8 bullets, the most important fact first, each a '
    "complete sentence that stands on its own, each citing the numbers of the sources that "
    "state it."
)
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$")


class LLMError(Exception):
    """Why an LLM answer was not used (the extractive summary is used instead)."""


def build_prompt(
    summary: Summary, items: Sequence[Item], settings: LLMSettings
) -> tuple[str, list[int]]:
    """The user message and, for each prompt number (1-based), its index in `summary.sources`.

    Sources are those of the extractive summary, in its order; labelled ones (opinion, live
    blogs…) are left out when the story has news sources.
    """
    by_id = {item.id: item for item in items}
    indexes = [i for i, s in enumerate(summary.sources) if not s.label] or list(
        range(len(summary.sources))
    )
    indexes = indexes[: settings.max_sources]
    parts = []
    for number, index in enumerate(indexes, start=1):
        source = summary.sources[index]
        item = by_id.get(source.item_id or "")
        text = (item.text if item else "").strip()[: settings.max_source_chars]
        parts.append(f"[{number}] {source.outlet}: {source.title}\n{text}".strip())
    return "Sources:\n\n" + "\n\n".join(parts), indexes


def parse_answer(content: str) -> tuple[str, list[tuple[str, list[int]]]]:
    """(headline, [(bullet text, cited numbers)]) from the model's reply; LLMError if invalid."""
    try:
        data = json.loads(_FENCE.sub("", content.strip()))
    except (json.JSONDecodeError, TypeError) as exc:
        raise LLMError(f"answer is not JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise LLMError("answer is not a JSON object")
    headline = data.get("headline")
    bullets = data.get("bullets")
    if not isinstance(headline, str) or not headline.strip() or not isinstance(bullets, list):
        raise LLMError("answer lacks a headline or a bullets list")
    out: list[tuple[str, list[int]]] = []
    for bullet in bullets:
        if not isinstance(bullet, Mapping) or not isinstance(bullet.get("text"), str):
            raise LLMError("a bullet is not an object with text")
        cited = bullet.get("sources", [])
        if not isinstance(cited, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in cited
        ):
            raise LLMError("a bullet's sources are not a list of numbers")
        out.append((" ".join(bullet["text"].split()), list(cited)))
    return shortened(" ".join(headline.split())), out


def _supported(text: str, evidence: str, share: float) -> bool:
    """Whether `evidence` contains `share` of the text's content words and all its numbers."""
    words = set(tokens(text))
    have = set(tokens(evidence))
    if not words or len(words & have) / len(words) < share:
        return False
    numbers = {n.rstrip(".,") for n in _NUMBER.findall(text)}
    evidence_numbers = {n.rstrip(".,") for n in _NUMBER.findall(evidence)}
    return numbers <= evidence_numbers


def ground(
    bullets: Sequence[tuple[str, list[int]]], evidence: Sequence[str], share: float
) -> list[tuple[str, list[int]]]:
    """Bullets their cited sources support; citations of missing sources are dropped first.

    `evidence[k]` is the text of prompt source k+1. A bullet must be a complete sentence.
    """
    kept: list[tuple[str, list[int]]] = []
    seen: set[str] = set()
    for text, cited in bullets:
        valid = sorted({n for n in cited if 1 <= n <= len(evidence)})
        if not valid or not text or not ends_complete(text) or text.casefold() in seen:
            continue
        if _supported(text, "\n".join(evidence[n - 1] for n in valid), share):
            kept.append((text, valid))
            seen.add(text.casefold())
    return kept


class _RateLimit:
    """At most `per_minute` starts per minute, spaced evenly; thread-safe."""

    def __init__(self, per_minute: int) -> None:
        self.gap = 60.0 / per_minute
        self.next = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next)
            self.next = start + self.gap
        if start > now:
            time.sleep(start - now)


class _Requests:
    """`workers` daemon threads running background requests in turn. Daemons, so a process
    that has waited what it means to (`poll --once`: up to the model's `timeout`) exits at
    once: a request still out is abandoned, never waited for (a thread pool's workers are
    joined as the interpreter exits, up to a `timeout` per request in flight)."""

    def __init__(self, workers: int) -> None:
        self._tasks: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._closed = False
        self._workers = workers
        for n in range(workers):
            threading.Thread(target=self._work, name=f"llm_{n}", daemon=True).start()

    def submit(self, task: Callable[[], None]) -> None:
        self._tasks.put(task)

    def _work(self) -> None:
        while (task := self._tasks.get()) is not None and not self._closed:
            task()

    def shutdown(self) -> None:
        """Requests not started are dropped; those in flight end on their own."""
        self._closed = True
        for _ in range(self._workers):
            self._tasks.put(None)


class LLMSummarizer:
    """Summaries written by a model, grounded in the sources, falling back to `fallback`."""

    def __init__(
        self,
        settings: LLMSettings,
        fallback: Summarizer,
        env: Mapping[str, str] | None = None,
        *,
        background: bool = False,
        on_answer: Callable[[], None] | None = None,
    ) -> None:
        """With `background`, a story the model hasn't answered yet gets the extractive summary
        at once while the request runs in a worker thread; `on_answer` is called (from that
        thread) when a request ends, so the caller can summarise the story again: with the
        cached answer, or (after a failure) with the extractive summary and no more waiting."""
        self.settings = settings
        self.fallback = fallback
        self.background = background
        self.on_answer = on_answer
        self._pool: _Requests | None = None
        self._inflight: set[str] = set()
        self._failed: OrderedDict[str, None] = OrderedDict()  # inputs the model failed on
        self._key = (os.environ if env is None else env).get(settings.api_key_env, "")
        self._slots = threading.BoundedSemaphore(settings.concurrency)
        self._rate = _RateLimit(settings.per_minute)
        self._cache: OrderedDict[str, tuple[str, tuple[Bullet, ...]]] = OrderedDict()
        self._lock = threading.Lock()
        self.requests = 0  # sent so far (for tests and logs)
        self._local = threading.local()

    @property
    def fell_back(self) -> bool:
        """Whether this thread's last summary is the extractive fallback."""
        return bool(getattr(self._local, "fell_back", False))

    @property
    def pending(self) -> bool:
        """Whether this thread's last fallback waits for a request still running."""
        return bool(getattr(self._local, "pending", False))

    def close(self) -> None:
        """Stop the background workers (requests in flight are abandoned)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def summarize(self, items: Sequence[Item], previous_headline: str | None = None) -> Summary:
        """The model's summary when it answers validly, else the extractive one."""
        base = self.fallback.summarize(items, previous_headline)
        prompt, indexes = build_prompt(base, items, self.settings)
        key = hashlib.sha256(
            "\x00".join((self.settings.base_url, self.settings.model, prompt)).encode()
        ).hexdigest()
        with self._lock:
            cached: tuple[str, tuple[Bullet, ...]] | Literal[False] | None
            cached = self._cache.get(key, False)
            if cached is not False:
                self._cache.move_to_end(key)
        self._local.pending = False
        if cached is False and self.background:
            with self._lock:
                start = key not in self._inflight and key not in self._failed
                if start:
                    self._inflight.add(key)
                self._local.pending = key in self._inflight
            if start:
                if self._pool is None:
                    self._pool = _Requests(self.settings.concurrency)
                self._pool.submit(
                    functools.partial(self._ask_in_background, key, prompt, base, items, indexes)
                )
            cached = None
        elif cached is False:
            cached = self._ask(prompt, base, items, indexes)
            self._remember(key, cached)
        self._local.fell_back = cached is None
        if cached is None:
            return base
        headline, bullets = cached
        if previous_headline and _supported(previous_headline, prompt, self.settings.support):
            headline = previous_headline  # a grounded published headline stays
        return replace(base, headline=headline, bullets=bullets, method="llm")

    def _remember(self, key: str, answer: tuple[str, tuple[Bullet, ...]] | None) -> None:
        """Cache an answer; a failure is not cached (the next change of the story asks again)
        but remembered, so the same inputs are not sent again in the background."""
        with self._lock:
            self._inflight.discard(key)
            if answer is None:
                self._failed[key] = None
                while len(self._failed) > self.settings.cache_size:
                    self._failed.popitem(last=False)
                return
            self._cache[key] = answer
            while len(self._cache) > self.settings.cache_size:
                self._cache.popitem(last=False)

    def _ask_in_background(
        self, key: str, prompt: str, base: Summary, items: Sequence[Item], indexes: list[int]
    ) -> None:
        try:
            answer = self._ask(prompt, base, items, indexes)
        except Exception:  # a bug must not leave the inputs "in flight" for ever
            log.exception("llm: request failed unexpectedly")
            answer = None
        self._remember(key, answer)
        if self.on_answer is not None:  # failures too: the caller stops waiting for them
            self.on_answer()

    def _ask(
        self, prompt: str, base: Summary, items: Sequence[Item], indexes: list[int]
    ) -> tuple[str, tuple[Bullet, ...]] | None:
        """Ask the model once; None (logged) when its answer can't be used."""
        try:
            content = self._complete(prompt)
            headline, raw = parse_answer(content)
            by_id = {item.id: item for item in items}
            evidence = []
            for index in indexes:
                source = base.sources[index]
                item = by_id.get(source.item_id or "")
                evidence.append(f"{source.title}\n{item.text if item else ''}")
            kept = ground(raw, evidence, self.settings.support)
            if not kept:
                raise LLMError("no bullet is supported by the sources it cites")
            if not _supported(headline, "\n".join(evidence), min(self.settings.support, 0.6)):
                headline = base.headline
            dropped = len(raw) - len(kept)
            if dropped:
                log.info("llm: dropped %d of %d bullets as unsupported", dropped, len(raw))
            bullets = tuple(
                Bullet(text, tuple(indexes[n - 1] for n in cited)) for text, cited in kept
            )
            return headline, bullets
        except LLMError as exc:
            log.warning("llm: falling back to extractive: %s", exc)
            return None

    def _complete(self, prompt: str) -> str:
        """One chat-completions request; the reply's content, or LLMError."""
        s = self.settings
        body = json.dumps(
            {
                "model": s.model,
                "messages": [
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": prompt},
                ],
                "temperature": 0,
                "response_format": {"type": "json_object"},
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"aggregator/{__version__}",
        }
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        url = s.base_url.rstrip("/") + "/chat/completions"
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        with self._slots:
            self._rate.wait()
            self.requests += 1
            try:
                with urllib.request.urlopen(request, timeout=s.timeout) as response:
                    raw = response.read(4 * 1024 * 1024)
            except urllib.error.HTTPError as exc:
                raise LLMError(f"HTTP {exc.code} from {url}") from exc
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise LLMError(f"request to {url} failed: {reason}") from exc
        try:
            reply: Any = json.loads(raw)
            content = reply["choices"][0]["message"]["content"]
        except (json.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
            raise LLMError("reply is not a chat completion") from exc
        if not isinstance(content, str):
            raise LLMError("reply has no text content")
        return content
