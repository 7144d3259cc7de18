"""How staff submit: named, confidential or anonymous, and the receipt codes anonymity needs.

Shared by ideas and lessons, so both treat anonymity the same way: no identity stored, only a
hash of a receipt code that the submitter alone holds.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

from handlers.context import Context
from handlers.errors import NotFound, UserError
from messages.view import Choice

T = TypeVar("T")


class _Submitter(Protocol):
    staff_id: int


MODES = (
    Choice("named", "Named"),
    Choice("confidential", "Confidential (name seen by the governance team only)"),
    Choice("anonymous", "Anonymous (no identity kept; you get a receipt code)"),
)
MODE_LABELS = {"named": "Named", "confidential": "Confidential", "anonymous": "Anonymous"}

RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
"""No 0/O, 1/I/L or U, so a receipt read aloud or retyped survives."""


def new_receipt() -> str:
    body = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(10))
    return f"R-{body[:5]}-{body[5:]}"


def receipt_hash(receipt: str) -> str:
    normalised = receipt.strip().upper().replace(" ", "")
    return hashlib.sha256(normalised.encode()).hexdigest()


def looks_like_receipt(text: str) -> bool:
    return text.strip().upper().startswith("R-")


def submitted_by_label(mode: str, names: list[str], may_see_confidential: bool) -> str:
    """What a viewer sees as the submitter: never a name for anonymous, and for confidential
    only when the viewer is allowed."""
    if mode == "anonymous":
        return "Anonymous"
    if mode == "confidential" and not may_see_confidential:
        return "Confidential"
    label = ", ".join(names) or "Unknown"
    return f"{label} (confidential)" if mode == "confidential" else label


def find_by_ref_or_receipt(
    text: str,
    by_ref: Callable[[str], T | None],
    by_receipt_hash: Callable[[str], T | None],
    noun: str,
    example: str,
) -> T:
    """Look a submission up by its reference or, for anonymous submitters, their receipt."""
    text = text.strip()
    if not text:
        raise UserError(f"Give {noun} reference ({example}) or your receipt code.")
    found = by_receipt_hash(receipt_hash(text)) if looks_like_receipt(text) else by_ref(text)
    if found is None:
        what = noun.split(" ", 1)[-1]
        raise NotFound(f"No {what} matches {text[:40]!r}. Check the reference or receipt code.")
    return found


def among_submitters(ctx: Context, submitters: Iterable[_Submitter]) -> bool:
    """Whether the person acting is one of `submitters` (anonymous people never are)."""
    return ctx.actor.staff_id is not None and any(
        s.staff_id == ctx.actor.staff_id for s in submitters
    )
