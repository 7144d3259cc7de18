"""Quiet hours never hold a critical alert or its reminders. Quiet hours (20:00-08:00) hold
ordinary reminders until morning; a change that let an alert, its re-notifications or its
deadline messages wait for 08:00 must turn this red. Through real parts: the alert composed,
approved and ticked as in production, every outbox row it queued read back (none may be due
later than the moment it was queued) and delivered to a fake platform at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from store.models import OutboxMessage
from tests.harness import CHRIS, KIM, Harness
from tests.test_alerts import alert_cards, approved, escalations, stored

NIGHT = datetime(2026, 11, 26, 22, 0, tzinfo=UTC)  # 22:00 in London (GMT), a Thursday


def _rows(hub: Harness, ref: str, queued_at: datetime) -> list[OutboxMessage]:
    """Every outbox row for the alert queued at `queued_at` (its send, the all-staff post,
    the publisher's status, re-notifications, the deadline's messages)."""
    with hub.app.uow_factory() as uow:
        rows = list(
            uow.session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.dedupe_key.contains(ref), OutboxMessage.created_at == queued_at
                )
            )
        )
        uow.session.expunge_all()
    return rows


def _went_at_once(hub: Harness, ref: str, queued_at: datetime, *, expected: int) -> None:
    rows = _rows(hub, ref, queued_at)
    assert len(rows) >= expected, [r.dedupe_key for r in rows]
    held = [(r.dedupe_key, r.next_attempt_at) for r in rows if r.next_attempt_at != queued_at]
    assert held == [], "held by quiet hours"
    assert all(r.urgent for r in rows), [r.dedupe_key for r in rows if not r.urgent]
    assert {r.status for r in rows} == {"sent"}, [(r.dedupe_key, r.status) for r in rows]


def test_an_alert_and_its_reminders_go_out_at_once_in_quiet_hours(hub: Harness) -> None:
    """At 22:00, 22:30 and the next night's deadline, every row the alert queued has its
    next_attempt_at at the moment it was queued and is delivered then: none is held by quiet
    hours until 08:00 (the send, alert_not_acknowledged, alert_deadline_passed)."""
    hub.clock.set(NIGHT)
    assert hub.app.services.calendar.in_quiet_hours(NIGHT)
    ref = approved(hub)  # composed, sent for approval, approved and delivered at 22:00
    _went_at_once(hub, ref, NIGHT, expected=5)  # approval, Alex, Kim, Tom, #all_staff, ...
    assert len(alert_cards(hub, KIM, ref)) == 1

    renotified = hub.clock.advance(timedelta(minutes=30))  # 22:30: not acknowledged yet
    assert hub.tick().raised.get("alert_not_acknowledged")
    hub.deliver()
    _went_at_once(hub, ref, renotified, expected=3)
    assert [r.dedupe_key for r in _rows(hub, ref, renotified) if ":r1>" in r.dedupe_key]
    assert len(alert_cards(hub, KIM, ref)) == 2

    deadline = stored(hub, ref).ack_deadline
    hub.clock.set(deadline)  # 22:00 the next night, quiet hours again
    assert hub.app.services.calendar.in_quiet_hours(deadline)
    assert hub.tick().raised.get("alert_deadline_passed") == 1
    hub.deliver()
    _went_at_once(hub, ref, deadline, expected=2)  # the publisher's list and the managers
    assert stored(hub, ref).status == "closed"
    assert len(escalations(hub, KIM)) == 1
    assert any(f"deadline of {ref} has passed" in r.summary for r in hub.platform.to(CHRIS))
