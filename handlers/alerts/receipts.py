"""Notify's delivery receipts for the texts and emails of the channel policy.

A receipt names our reference (`qihub-o{outbox id}`, handlers/outbox/claim.py), never trusted
beyond that: it is matched to the attempt whose outbox row that is. Receipts arrive more than
once and out of order, so a final status is never replaced (store/repos/attempts.py). A
permanent failure marks the person's number or address refused (`uow.contacts.mark_failed`),
so no later alert tries it until it changes. The receipt's `to` (a number or address) is never
passed in here.
"""

from __future__ import annotations

import re
from datetime import datetime

from store.uow import UnitOfWork

REFERENCE = re.compile(r"qihub-o([0-9]{1,18})")
STATUSES = frozenset(
    {
        "created",
        "sending",
        "pending",
        "sent",
        "delivered",
        "permanent-failure",
        "temporary-failure",
        "technical-failure",
    }
)


def record(uow: UnitOfWork, reference: str, status: str, now: datetime) -> bool | None:
    """Record one receipt. True: it changed the ledger; False: known but nothing new (a
    replay, an older status); None: not one of ours or not a status (nothing to retry)."""
    match = REFERENCE.fullmatch(reference or "")
    if match is None or status not in STATUSES:
        return None
    attempt = uow.attempts.by_outbox(int(match.group(1)))
    if attempt is None:
        return None
    if not uow.attempts.record_status(attempt, status, now):
        return False
    if status == "permanent-failure":
        uow.contacts.mark_failed(attempt.staff_id, attempt.channel, now)
    return True
