"""Golden files: rendered output pinned as files and reviewed as diffs.

`UPDATE_GOLDEN=1` rewrites them after a deliberate change, on a developer's machine. A golden can
never rewrite itself silently in CI: `.ci/run` fails when the suite leaves a tracked file
changed, and `assert_golden` refuses to write when `CI` is set.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

SEAL_VALUE = re.compile(r'(_sig\\?"\s*:\s*\\?")[A-Za-z0-9_-]{22}')
"""A button's seal (handlers.seals): keyed by a random per-database secret, so it differs in
every run; the golden shows where it is, not what it is."""
FORM_SESSION = re.compile(r'(\\?"s\\?"\s*:\s*\\?")[A-Za-z0-9_-]{43}')
"""A form session's id (handlers.form_sessions): random by design."""


def assert_golden(golden: Path, actual: str) -> None:
    """`actual` equals the golden file's text (written first when UPDATE_GOLDEN is set)."""
    actual = FORM_SESSION.sub(r"\1<form session>", SEAL_VALUE.sub(r"\1<seal>", actual))
    if os.environ.get("UPDATE_GOLDEN"):
        assert not os.environ.get("CI"), "UPDATE_GOLDEN is for a deliberate change, not for CI"
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden}: run with UPDATE_GOLDEN=1 and review the diff"
    assert actual == golden.read_text(encoding="utf-8")
