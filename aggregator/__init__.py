"""aggregator: a self-hosted news aggregator that groups stories and republishes summaries."""

from . import early_signals

early_signals.hold_from_start()  # (first: a service stopped while it starts stops cleanly)

from . import regex_cache  # noqa: E402

regex_cache.install()  # before most modules compile their patterns

from . import method_cache  # noqa: E402

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/aggregator-news/aggregator"

method_cache.install()  # before any of our dataclasses is defined
