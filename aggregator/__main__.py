"""`python -m aggregator`."""

from .cli import run

run()
