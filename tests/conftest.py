"""Test-wide settings.

Article fetching is on by default, but the fixture feeds link to invented hosts and tests
touch loopback only: commands run by tests get it off unless a test turns it on itself.
"""

from __future__ import annotations

import os

os.environ.setdefault("AGGREGATOR_ARTICLES_ENABLED", "false")
