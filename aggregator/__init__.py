"""aggregator: a self-hosted news aggregator that groups stories and republishes summaries."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/aggregator-news/aggregator"
