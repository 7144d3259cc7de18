"""Retention: records past the configured period are flagged to admins once a week; nothing is
deleted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from handlers.retention import queue_retention_review, years_before
from store.models import Idea, OutboxMessage
from tests.harness import Harness, ref_in


def test_old_records_are_flagged_to_admins_once_a_week_and_kept(hub: Harness) -> None:
    old = ref_in(hub.submit_idea(title="An idea from long ago"))
    hub.clock.advance(timedelta(days=365 * 10 + 5))  # past the 10-year default
    recent = ref_in(hub.submit_idea(title="A fresh idea"))
    with hub.app.uow_factory() as uow:
        queued = queue_retention_review(uow, hub.app.config, hub.clock.now())
        again = queue_retention_review(uow, hub.app.config, hub.clock.now())
        uow.commit()
    assert queued >= 1 and again == 0  # one per admin per week
    with hub.app.uow_factory() as uow:
        rows = list(
            uow.session.scalars(
                select(OutboxMessage).where(OutboxMessage.dedupe_key.like("retention:%"))
            )
        )
        text = str(rows[0].payload)
        assert old in text and recent not in text
        admins = {s.id for s in uow.staff.with_role("admin")}
        assert {r.recipient_id for r in rows} == admins
        assert uow.session.scalar(select(func.count()).select_from(Idea)) == 2  # nothing deleted


def test_nothing_to_review_sends_nothing(hub: Harness) -> None:
    hub.submit_idea()
    with hub.app.uow_factory() as uow:
        assert queue_retention_review(uow, hub.app.config, hub.clock.now()) == 0


def test_leap_day() -> None:
    from datetime import UTC, datetime

    assert years_before(datetime(2028, 2, 29, tzinfo=UTC), 10).date().isoformat() == "2018-02-28"
