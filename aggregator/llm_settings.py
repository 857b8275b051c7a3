"""`[llm]` settings, kept apart from `llm` so reading the configuration does not import the
model client and the summariser."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LLMSettings"]


@dataclass(frozen=True, slots=True)
class LLMSettings:
    """`[llm]`: an OpenAI-compatible chat-completions endpoint, off unless enabled."""

    enabled: bool = False
    base_url: str = ""  # e.g. http://127.0.0.1:11434/v1 (the /chat/completions path is added)
    model: str = ""
    api_key_env: str = "AGGREGATOR_LLM_API_KEY"  # the variable holding the key (may be unset)
    timeout: float = 60.0  # seconds per request
    concurrency: int = 2  # requests in flight at once
    per_minute: int = 30  # requests started per minute at most
    max_sources: int = 12  # sources in one prompt
    max_source_chars: int = 3000  # characters of each source's text in the prompt
    support: float = 0.7  # share of a bullet's words its cited sources must contain
    cache_size: int = 2000  # answers kept in memory

    def __post_init__(self) -> None:
        if self.enabled and not (self.base_url.startswith(("http://", "https://")) and self.model):
            raise ValueError("an enabled LLM needs an http(s) base_url and a model")
        if self.enabled:
            from .url_check import http_address_problem

            # (one that is none, "http://[::1", had been a traceback at every request; a
            # query, as Azure's ?api-version=, is kept after the added path)
            if problem := http_address_problem(self.base_url, query=True, login=False):
                raise ValueError(f"base_url: {problem}")
        if self.timeout <= 0 or self.concurrency < 1 or self.per_minute < 1:
            raise ValueError("need timeout > 0, concurrency >= 1 and per_minute >= 1")
        if not 0 < self.support <= 1 or self.max_sources < 1 or self.max_source_chars < 100:
            raise ValueError("need 0 < support <= 1, max_sources >= 1, max_source_chars >= 100")
