"""The acknowledgement ledger as CSV: the assurance evidence for an alert (e.g. a CAS return).

Stable order (staff id), UTC ISO-8601 times, one row per recipient, read a page at a time so a
100,000-person ledger streams in constant memory. Names and work emails only: alerts carry no
patient data (the form's patient-data guard sees to that).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from typing import TextIO

from handlers.errors import NotFound
from messages.csv_safe import SafeWriter
from store.repos.alerts import LedgerRow
from store.repos.attempts import Tried
from store.uow import UnitOfWork

NONE_TRIED = Tried((), "", "")

COLUMNS = (
    "alert_ref",
    "recipient_staff_id",
    "name",
    "email",
    "site",
    "department",
    "delivered_at",
    "platform",
    "acknowledged_at",
    "ack_platform",
    "notified_count",
    "escalated_at",
    "failure",
    "channels_tried",
    "sms_status",
    "email_status",
)
"""The last three: the texts and emails of the channel policy (their channels and Notify's
latest word on each), never the number or address they went to."""
PAGE = 1000


def utc(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat() if moment is not None else ""


def export_ledger(uow: UnitOfWork, ref: str, out: TextIO) -> int:
    """Write the ledger of `ref` to `out` (after bringing delivery results up to date, which
    the caller commits). Returns the number of recipients written."""
    alert = uow.alerts.by_ref(ref)
    if alert is None:
        raise NotFound(f"there is no alert {ref.strip().upper()}")
    uow.alerts.sync_deliveries(alert.id)
    uow.attempts.sync(alert.id)
    writer = SafeWriter(out)
    writer.writerow(COLUMNS)
    count = 0
    for row, tried in _with_attempts(uow, alert.id):
        writer.writerow(
            (
                alert.ref,
                row.staff_id,
                row.name,
                row.email,
                row.site or "",
                row.department or "",
                utc(row.delivered_at),
                row.platform or "",
                utc(row.acked_at),
                row.ack_platform or "",
                row.notified_count,
                utc(row.escalated_at),
                row.failure or "",
                ",".join(tried.channels),
                tried.sms_status,
                tried.email_status,
            )
        )
        count += 1
    return count


def _with_attempts(uow: UnitOfWork, alert_id: int) -> Iterator[tuple[LedgerRow, Tried]]:
    """Each ledger row with its texts and emails, read a page of people at a time."""
    rows = uow.alerts.ledger(alert_id, PAGE)
    while page := list(islice(rows, PAGE)):
        tried = uow.attempts.tried(alert_id, [row.staff_id for row in page])
        for row in page:
            yield row, tried.get(row.staff_id, NONE_TRIED)
