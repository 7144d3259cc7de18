"""Reading activities defensively. The Teams SDK validates the envelope, but the inner objects
(`value`, `channelData`, card data) are free-form: whatever arrives, a handler reads a dict or a
list where it expects one, and an empty one otherwise, so odd input is answered, never a 500."""

from __future__ import annotations

from typing import Any


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[dict[str, Any]]:
    """The dict items of a list (members, entities), skipping anything else."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
