"""Errors a person can act on. Adapters show the message as it is; it is written for them."""

from __future__ import annotations


class UserError(Exception):
    """A request that breaks a rule (wrong state, not yours, unknown reference)."""


class NotFound(UserError):
    """Nothing matches the reference or receipt given."""


class FieldProblem(UserError):
    """A rule broken by one form field: shown next to that field, the rest of the input kept."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class StaleCard(UserError):
    """A button or form for a step the record has moved past: answered with what happened and
    the card as it is now (handlers/cards.py), never acted on."""

    def __init__(self, kind: str, ref: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.ref = ref
