"""Checks on inbound payloads that hold for Slack and Teams alike."""

from __future__ import annotations

from typing import Any


def has_nul(value: Any) -> bool:
    """True if any string in `value` (a parsed JSON document) holds a NUL character.

    No genuine Slack or Teams payload carries one, and PostgreSQL text cannot store one: a
    request with one is refused at the edge (400) instead of failing deep inside (500). The
    walk is iterative, so however deep the nesting it cannot exhaust the stack."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
