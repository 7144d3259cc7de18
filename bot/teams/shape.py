"""Reading activities defensively. The Teams SDK validates the envelope, but the inner objects
(`value`, `channelData`, card data) are free-form: whatever arrives, a handler reads a dict or a
list where it expects one, and an empty one otherwise, so odd input is answered, never a 500."""

from __future__ import annotations

from typing import Any

ID_LIMITS: dict[tuple[str, ...], int] = {
    ("id",): 150,
    ("serviceUrl",): 300,
    ("conversation", "id"): 300,
    ("conversation", "tenantId"): 64,
    ("from", "id"): 200,
    ("from", "aadObjectId"): 64,
    ("recipient", "id"): 200,
    ("channelData", "tenant", "id"): 64,
    ("channelData", "team", "id"): 300,
}
"""The longest each identifier we store may be (the columns' sizes). Teams' own are far
shorter (GUIDs, "19:…@thread.tacv2"); longer ones are refused rather than cut, since a cut id
would address some other conversation."""


def overlong_id(activity: dict[str, Any]) -> str | None:
    """The dotted path of the first identifier longer than ID_LIMITS allows, else None."""
    for path, limit in ID_LIMITS.items():
        value: Any = activity
        for key in path:
            value = as_dict(value).get(key)
        if isinstance(value, str) and len(value) > limit:
            return ".".join(path)
    return None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[dict[str, Any]]:
    """The dict items of a list (members, entities), skipping anything else."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
