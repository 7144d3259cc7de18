"""The acknowledgement ledger as CSV: the assurance evidence for an alert (e.g. a CAS return).

Stable order (staff id), UTC ISO-8601 times, one row per recipient, read a page at a time so a
100,000-person ledger streams in constant memory. Names and work emails only: alerts carry no
patient data (the form's patient-data guard sees to that).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TextIO

from handlers.errors import NotFound
from messages.csv_safe import SafeWriter
from store.uow import UnitOfWork

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
)


def utc(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat() if moment is not None else ""


def export_ledger(uow: UnitOfWork, ref: str, out: TextIO) -> int:
    """Write the ledger of `ref` to `out` (after bringing delivery results up to date, which
    the caller commits). Returns the number of recipients written."""
    alert = uow.alerts.by_ref(ref)
    if alert is None:
        raise NotFound(f"there is no alert {ref.strip().upper()}")
    uow.alerts.sync_deliveries(alert.id)
    writer = SafeWriter(out)
    writer.writerow(COLUMNS)
    count = 0
    for row in uow.alerts.ledger(alert.id):
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
            )
        )
        count += 1
    return count
