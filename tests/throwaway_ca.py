"""Running a script in a fresh interpreter whose trust store is a throwaway CA: SSL_CERT_FILE
names a file the script writes (its trusted CA, from trustme) before any TLS is due, so a
context that read the system's store, or none, fails verification. The script prints one
JSON line last; the proxy variables are cleared so nothing leaves loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def run_with_throwaway_ca(script: str, tmp_path: Path) -> Any:
    """Run `script` (given the CA file's path as its argument); its last line, read as JSON."""
    ca_file = tmp_path / "ca.pem"  # written by the script: its trusted CA
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "SSL_CERT_FILE": str(ca_file), "PYTHONPATH": str(root)}
    for name in ("SSL_CERT_DIR", "http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        env.pop(name, None)
        env.pop(name.upper(), None)
    done = subprocess.run(
        [sys.executable, "-c", script, str(ca_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
