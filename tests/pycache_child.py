"""A child interpreter for the caches kept beside the bytecode (`method_cache`, `regex_cache`):
its bytecode, and so the cache file, under `tmp_path/pycache`, or none written at all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_child(tmp_path: Path, script: str, *args: str, write: bool = True) -> str:
    """Run `script` in a fresh interpreter; the last word it prints."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pycache")
    if not write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    result = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[-1]


def cache_files(tmp_path: Path, name: str) -> list[Path]:
    """The cache files called `name` the children wrote."""
    return list((tmp_path / "pycache").rglob(f"{name}.*.marshal"))
