"""The hazard log's controls name the tests that prove them: every one must exist (and, being a
test of this suite, pass), and every hazard must name at least one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "docs" / "clinical-safety" / "hazard-log.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")
REQUIRED = [
    "missed critical alert", "alert to the wrong audience", "duplicate or flooding alerts",
    "reminder not sent", "action given to the wrong owner", "patient data posted to chat",
    "bot impersonation", "platform outage",
]  # fmt: skip
"""The hazards Step 6 asks the log to cover at least."""


def sections() -> dict[str, str]:
    text = LOG.read_text()
    parts = re.split(r"^## (H\d+ .*)$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_every_named_test_exists() -> None:
    references = REFERENCE.findall(LOG.read_text())
    assert len(references) >= 20
    for path, name in references:
        source = (ROOT / path).read_text()
        assert re.search(rf"^def {name}\(", source, flags=re.M), f"{path}::{name} is gone"


def test_every_hazard_names_tests_and_the_required_hazards_are_there() -> None:
    found = sections()
    assert len(found) >= 8
    for title, body in found.items():
        assert REFERENCE.search(body), f"{title} names no test"
    text = LOG.read_text().lower()
    for hazard in REQUIRED:
        assert hazard in text, hazard
