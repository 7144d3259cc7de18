"""Where the tests' copies of public material live: inside the repository, so a clone anywhere
has everything it needs (tests/fixtures/README.md names each file's source and licence)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"
SCHEMAS = TESTS / "schemas"


def recorded(platform: str, name: str) -> dict[str, Any]:
    """A recorded platform payload (`platform` is "slack" or "teams"), its `_meta` note removed."""
    data: dict[str, Any] = json.loads((FIXTURES / platform / name).read_text(encoding="utf-8"))
    data.pop("_meta", None)
    return data


def schema(name: str) -> dict[str, Any]:
    """An official JSON schema, as copied into tests/schemas."""
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return loaded
