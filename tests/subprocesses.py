"""Running `python -m bot console` for real, with piped input, the way the README shows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CONSOLE_START = "2026-11-26T09:00+00:00"


def run_console(script: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Pipe `script` into a console on a fresh SQLite file in `tmp_path`; no settings leak in."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("QIHUB_", "DATABASE_URL", "SLACK_", "TEAMS_", "LOG_LEVEL"))
    }
    environment.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}", **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", "console", "--start", CONSOLE_START],
        input=script,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=120,
        check=False,
    )
