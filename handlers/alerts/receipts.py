"""Notify's delivery receipts for the texts and emails of the channel policy.

A receipt names our reference (`qihub-o{outbox id}`, handlers/outbox/claim.py), never trusted
beyond that: it is matched to the attempt whose outbox row that is. Receipts arrive more than
once and out of order, so a final status is never replaced (store/repos/attempts.py). A
permanent failure marks the person's number or address refused (`uow.contacts.mark_failed`),
so no later alert tries it until it changes. The receipt's `to` (a number or address) is never
passed in here.

Receipts come by Notify's callback (bot/notify/receipts.py) or by polling Notify for each
message (bot/notify/poll.py), or both: either way through `record`, so a status is recorded
the same way whichever brought it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Final

from store.repos.attempts import PollDue
from store.uow import UnitOfWork

FIRST_POLL: Final = timedelta(minutes=5)
"""Ask Notify about a message this long after it was sent (most texts have a final status)."""
POLL_CUTOFF: Final = timedelta(days=7)
"""Notify keeps a message's data 7 days: after that it cannot answer, so we stop asking."""
LONGEST_GAP: Final = timedelta(hours=1)

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


def reference_of(outbox_id: int) -> str:
    """Our reference for an outbox row's text or email (handlers/outbox/claim.py)."""
    return f"qihub-o{outbox_id}"


def next_poll(now: datetime, sent_at: datetime) -> datetime:
    """When to ask again: a quarter of the message's age, at least FIRST_POLL and at most
    LONGEST_GAP, so a message stuck "sending" for days costs some 200 asks, not 2,000."""
    return now + min(max((now - sent_at) / 4, FIRST_POLL), LONGEST_GAP)


def record_polled(uow: UnitOfWork, due: PollDue, status: str | None, now: datetime) -> bool | None:
    """Notify's answer to our ask about `due`: its status recorded as a receipt would be,
    and when to ask next. `status` None: Notify has no such message (its data is gone):
    not asked again."""
    if status is None:
        uow.attempts.poll_again(due.attempt_id, due.sent_at + POLL_CUTOFF)
        return None
    changed = record(uow, reference_of(due.outbox_id), status, now)
    uow.attempts.poll_again(due.attempt_id, next_poll(now, due.sent_at))
    return changed
