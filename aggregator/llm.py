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

import contextlib
import functools
import hashlib
import http.client
import json
import logging
import os
import queue
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from . import __version__
from .bullets import ends_complete
from .headline import shortened
from .llm_settings import LLMSettings
from .models import Bullet, Item, Summary
from .summarize import Summarizer, item_language
from .summary_settings import SummarySettings
from .tokens import tokens, word_count

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
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nor|without|neither|nobody|nothing)\b|n[’']t\b", re.IGNORECASE
)


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
    # The language its bullets are in, when they are in one: a source in another supplies
    # the model no fact, as it supplies the extractive summary none (`summarize`); a German
    # report's bullets had been published beside two English reports' ones.
    cited = [
        by_id.get(summary.sources[i].item_id or "") for b in summary.bullets for i in b.sources
    ]
    spoken = {item_language(item) for item in cited if item is not None} - {None}
    if len(spoken) == 1:
        indexes = [
            i
            for i in indexes
            if (item := by_id.get(summary.sources[i].item_id or "")) is None
            or item_language(item) in (None, *spoken)
        ]
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
    except RecursionError:  # (nested thousands deep)
        raise LLMError("answer is not JSON: nested too deeply") from None
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
    if not numbers <= evidence_numbers:
        return False
    # A negation is no content word, and reverses what the rest says: "did not reopen"
    # shares every word of "reopened" and had passed. A bullet that denies needs sources
    # that deny something ("not", "never", "no one", "didn't" …).
    return _NEGATION.search(text) is None or _NEGATION.search(evidence) is not None


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

    def hold(self, seconds: float) -> None:
        """No request starts for `seconds` (a 429's or a 503's Retry-After)."""
        with self.lock:
            self.next = max(self.next, time.monotonic() + seconds)

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next)
            self.next = start + self.gap
        if start > now:
            time.sleep(start - now)


MAX_REPLY = 4 * 1024 * 1024  # bytes of a reply read at most
MAX_HOLD = 600.0  # seconds a Retry-After holds the requests off at most


def completions_url(base_url: str) -> str:
    """`base_url` with `/chat/completions` added to its path (a query, as Azure's
    `?api-version=…`, kept after it: it had been added after the query)."""
    parts = urlsplit(base_url)
    return urlunsplit(
        parts._replace(path=parts.path.rstrip("/") + "/chat/completions", fragment="")
    )


class _Watch:
    """The time a whole request may take: the socket of the request under way is shut down
    when it is up. urllib's timeout is each read's: a server that sends its answer a byte a
    second had held a request (and its worker) for ever."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Watch:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def connected(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            if self.expired:
                self._shut()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shut()

    def _shut(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):  # (closed already)
                self._sock.shutdown(socket.SHUT_RDWR)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is not followed: urllib would send the key on to the address it names,
    any site's (and as a GET)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _opener(watch: _Watch) -> urllib.request.OpenerDirector:
    """An opener whose connections `watch` can shut, that follows no redirect."""

    def watched(kind: type[http.client.HTTPConnection]) -> Any:
        def make(host: str, **kwargs: Any) -> http.client.HTTPConnection:
            conn = kind(host, **kwargs)
            connect = conn.connect

            def connect_watched() -> None:
                connect()
                watch.connected(conn.sock)

            conn.connect = connect_watched  # type: ignore[method-assign]
            return conn

        return make

    class Plain(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(watched(http.client.HTTPConnection), req)

    class Secure(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            context = getattr(self, "_context", None)
            return self.do_open(watched(http.client.HTTPSConnection), req, context=context)

    return urllib.request.build_opener(Plain, Secure, _NoRedirects)


def _retry_after(value: str | None) -> float | None:
    """Seconds a Retry-After (seconds or an HTTP date) asks for, at most `MAX_HOLD`."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = (
            float(value)
            if value.isdigit()
            else (parsedate_to_datetime(value).timestamp() - time.time())
        )
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return min(max(seconds, 0.0), MAX_HOLD)


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
        self._written: OrderedDict[str, None] = OrderedDict()  # headlines of its summaries
        self._key = (os.environ if env is None else env).get(settings.api_key_env, "").strip()
        # (never sent, never shown: a header cannot carry it; a line break had put it, whole,
        # in the log's traceback of each request)
        self._key_problem = (
            f"the API key in {settings.api_key_env} holds a space, a control character or one "
            "outside ASCII"
            if any(not 33 <= ord(ch) < 127 for ch in self._key)
            else None
        )
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

    def summarize(
        self,
        items: Sequence[Item],
        previous_headline: str | None = None,
        language: str | None = None,
    ) -> Summary:
        """The model's summary when it answers validly, else the extractive one (`language`:
        the one a tie of the items' languages goes to, as there)."""
        base = self.fallback.summarize(items, previous_headline, language)
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
        # A grounded published headline stays; in the background, only one the model wrote:
        # the extractive headline is published while the model is asked, and had stayed.
        ours = not self.background or previous_headline in self._written
        if (
            previous_headline
            and ours
            and _supported(previous_headline, prompt, self.settings.support)
        ):
            headline = previous_headline
        with self._lock:
            self._written[headline] = None
            self._written.move_to_end(headline)
            while len(self._written) > self.settings.cache_size:
                self._written.popitem(last=False)
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
            kept = self._within_limits(ground(raw, evidence, self.settings.support))
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

    def _within_limits(self, bullets: list[tuple[str, list[int]]]) -> list[tuple[str, list[int]]]:
        """The bullets the `[summary]` limits let through, in order: none longer than
        `max_bullet_words`, none saying again most of what one before said, at most
        `max_bullets` and `max_words` in all (a model's 27 bullets of 502 words had been
        published whole where the extractive summary keeps to them)."""
        limits = getattr(self.fallback, "settings", None)
        if not isinstance(limits, SummarySettings):
            return bullets
        kept: list[tuple[str, list[int]]] = []
        said: list[set[str]] = []
        words = 0
        for text, cited in bullets:
            count = word_count(text)
            terms = set(tokens(text))
            if count > limits.max_bullet_words or any(
                len(terms & before) >= 0.8 * min(len(terms), len(before)) for before in said
            ):
                continue
            if len(kept) >= limits.max_bullets or words + count > limits.max_words:
                break
            kept.append((text, cited))
            said.append(terms)
            words += count
        return kept

    def _complete(self, prompt: str) -> str:
        """One chat-completions request; the reply's content, or LLMError. The whole request
        takes at most `timeout` seconds (`_Watch`); a redirect is not followed; a 429's or a
        503's Retry-After holds the next requests off (`MAX_HOLD` at most). No error's text
        that could hold the key is passed on."""
        if self._key_problem is not None:
            raise LLMError(self._key_problem)
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
        url = completions_url(s.base_url)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        with self._slots:
            self._rate.wait()
            self.requests += 1
            watch = _Watch(s.timeout)
            try:
                with watch, _opener(watch).open(request, timeout=s.timeout) as response:
                    raw = response.read(MAX_REPLY)
            except urllib.error.HTTPError as exc:
                said = f"HTTP {exc.code} from {url}"
                if exc.code in (301, 302, 303, 307, 308):
                    said += f" (a redirect to {exc.headers.get('Location', '?')}: not followed)"
                if exc.code in (429, 503) and (
                    wait := _retry_after(exc.headers.get("Retry-After"))
                ):
                    self._rate.hold(wait)
                    said += f"; no request for {wait:g} s, as it asked"
                raise LLMError(said) from None
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
                if watch.expired:
                    raise LLMError(f"no whole answer from {url} in {s.timeout:g} s") from None
                reason = getattr(exc, "reason", None)
                shown = reason if isinstance(reason, str | OSError) else type(exc).__name__
                raise LLMError(f"request to {url} failed: {shown}") from None
        if watch.expired:  # (the read ended at the shutdown, with part of the reply)
            raise LLMError(f"no whole answer from {url} in {s.timeout:g} s")
        try:
            reply: Any = json.loads(raw)
            content = reply["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError, RecursionError):
            raise LLMError("reply is not a chat completion") from None
        if not isinstance(content, str):
            raise LLMError("reply has no text content")
        return content
