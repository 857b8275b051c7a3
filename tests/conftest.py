"""Test-wide settings.

Article fetching and picture checks are on by default, but the fixture feeds link to invented
hosts and tests touch loopback only: commands run by tests get them off unless a test turns
them on itself.

The fetcher reads the environment's proxy variables (aggregator.fetch_proxy); a machine's own
(set for pip, say) would send the tests' loopback requests to its proxy, so they are cleared
for the whole run: tests/test_fetch_proxy.py passes the variables it means explicitly.
"""

from __future__ import annotations

import os

os.environ.setdefault("AGGREGATOR_ARTICLES_ENABLED", "false")
# (so are the checks of stories' pictures, which the fixture feeds place on invented hosts)
os.environ.setdefault("AGGREGATOR_PUBLISH_CHECK_PICTURES", "false")
for _name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
    os.environ.pop(_name, None)
    os.environ.pop(_name.upper(), None)
os.environ.pop("AGGREGATOR_FETCH_PROXY", None)
os.environ.pop("AGGREGATOR_FETCH_NO_PROXY", None)
