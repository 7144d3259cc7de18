"""Golden files: rendered output pinned as files and reviewed as diffs.

`UPDATE_GOLDEN=1` rewrites them after a deliberate change, on a developer's machine. A golden can
never rewrite itself silently in CI: `.ci/run` fails when the suite leaves a tracked file
changed, and `assert_golden` refuses to write when `CI` is set.
"""

from __future__ import annotations

import os
from pathlib import Path


def assert_golden(golden: Path, actual: str) -> None:
    """`actual` equals the golden file's text (written first when UPDATE_GOLDEN is set)."""
    if os.environ.get("UPDATE_GOLDEN"):
        assert not os.environ.get("CI"), "UPDATE_GOLDEN is for a deliberate change, not for CI"
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden}: run with UPDATE_GOLDEN=1 and review the diff"
    assert actual == golden.read_text(encoding="utf-8")
