"""Idea reminders: once per rule, item and occasion; caught up after downtime; held in quiet
hours; never doubled by a restart or a second clock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.app import create_app
from bot.settings import Settings
from handlers.clock import ManualClock
from handlers.config import OrgConfig
from handlers.context import SYSTEM, Context
from handlers.reminders import tick
from store.models import OutboxMessage, ReminderSent
from tests.harness import SAM, Harness, button, ref_in


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def panel_reminders(hub: Harness) -> list[str]:
    hub.deliver()
    return [r.summary for r in hub.platform.to("#ideas_panel") if "has waited" in r.summary]


def test_not_screened_fires_after_ten_working_days_once(hub: Harness) -> None:
    ref = ref_in(hub.submit_idea())  # Thursday 26 November 2026, 09:00
    hub.clock.set(at("2026-12-10T08:59:00+00:00"))
    assert hub.tick().total == 0
    hub.clock.set(at("2026-12-10T09:00:00+00:00"))  # ten working days later
    assert hub.tick().raised == {"idea_not_screened": 1}
    assert hub.tick().total == 0
    assert panel_reminders(hub) == [
        f"{ref} ('Label the flush syringes by colour') has waited 10 working days for screening."
    ]


def test_bank_holidays_do_not_count_as_working_days(hub: Harness) -> None:
    hub.clock.set(at("2026-12-21T10:00:00+00:00"))
    hub.submit_idea()
    # Christmas Day (Fri), Boxing Day substitute (Mon 28) and New Year's Day are not working days.
    hub.clock.set(at("2027-01-06T10:00:00+00:00"))
    assert hub.tick().total == 0
    hub.clock.set(at("2027-01-07T10:00:00+00:00"))
    assert hub.tick().total == 1


def test_a_clock_that_was_down_catches_up_once(hub: Harness) -> None:
    hub.submit_idea()
    hub.submit_idea(title="Another")
    hub.clock.advance(timedelta(days=60))
    assert hub.tick().raised == {"idea_not_screened": 2}
    assert hub.tick().total == 0
    assert len(panel_reminders(hub)) == 2


def test_not_decided_counts_from_submission_and_stops_once_decided(hub: Harness) -> None:
    ref = ref_in(hub.submit_idea())
    decided = ref_in(hub.submit_idea(title="Decided quickly"))
    for target in (ref, decided):
        card = hub.command(SAM, f"/idea status {target}")
        hub.fill(SAM, hub.press(SAM, button(card, "Eligible")), {"reason": "Worth a review."})
    card = hub.command(SAM, f"/idea status {decided}")
    hub.fill(SAM, hub.press(SAM, button(card, "Start review")), {"reason": "Reviewing now."})
    card = hub.command(SAM, f"/idea status {decided}")
    hub.fill(SAM, hub.press(SAM, button(card, "Approve")), {"reason": "Approved at panel."})
    hub.clock.advance(timedelta(days=50))
    assert hub.tick().raised == {"idea_not_decided": 1}
    assert any(ref in s and "a decision" in s for s in panel_reminders(hub))


def test_a_restarted_clock_does_not_repeat_a_reminder(hub: Harness, config: OrgConfig) -> None:
    hub.submit_idea()
    hub.clock.advance(timedelta(days=30))
    assert hub.tick(digests=True, bulletins=True).raised == {
        "idea_not_screened": 1,
        "committee_digest": 3,
        "bulletin_draft": 1,
    }
    restarted = create_app(
        Settings(database_url=hub.app.settings.database_url, _env_file=None),
        clock=hub.clock,
        config=config,
    )
    with restarted.uow_factory() as uow:
        report = tick(Context(restarted.services, uow, SYSTEM, "clock"), restarted.rules)
        uow.commit()
    restarted.engine.dispose()
    assert report.total == 0


def test_quiet_hours_hold_the_reminder_until_morning(hub: Harness) -> None:
    hub.clock.set(at("2026-11-26T21:00:00+00:00"))
    hub.submit_idea()
    hub.clock.set(at("2026-12-10T21:00:00+00:00"))
    assert hub.tick().total == 1
    assert panel_reminders(hub) == []
    hub.clock.set(at("2026-12-11T07:59:00+00:00"))
    assert panel_reminders(hub) == []
    hub.clock.set(at("2026-12-11T08:00:00+00:00"))
    assert len(panel_reminders(hub)) == 1


def test_a_disabled_rule_stays_silent(hub: Harness, config: OrgConfig) -> None:
    rules = dict(config.reminders)
    rules["idea_not_screened"] = rules["idea_not_screened"].model_copy(update={"enabled": False})
    quiet_config = config.model_copy(update={"reminders": rules})
    hub.app.services.config = quiet_config
    hub.submit_idea()
    hub.clock.advance(timedelta(days=60))
    assert hub.tick().total == 0


def test_two_clocks_ticking_at_once_raise_each_reminder_once(
    hub: Harness, config: OrgConfig
) -> None:
    for n in range(5):
        hub.submit_idea(title=f"Idea {n}")
    late = ManualClock(hub.clock.now() + timedelta(days=30))
    clocks = [
        create_app(
            Settings(database_url=hub.app.settings.database_url, _env_file=None),
            clock=late,
            config=config,
        )
        for _ in range(2)
    ]
    barrier = threading.Barrier(len(clocks))
    errors: list[BaseException] = []

    def run(app_index: int) -> None:
        app = clocks[app_index]
        try:
            barrier.wait()
            for _ in range(3):
                with app.uow_factory() as uow:
                    tick(Context(app.services, uow, SYSTEM, "clock"), app.rules)
                    uow.commit()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clocks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for app in clocks:
        app.engine.dispose()
    assert errors == []
    with hub.app.uow_factory() as uow:
        ledger = uow.session.scalar(select(func.count()).select_from(ReminderSent))
        reminders = uow.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.dedupe_key.like("rem:idea%"))
        )
        digests = uow.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.dedupe_key.like("rem:committee_digest%"))
        )
    # 5 idea reminders; 3 committee digests, each to its channel and its chair; the Q3 bulletin
    # drafted once (26 December is past its draft day)
    assert (ledger, reminders, digests) == (5 + 3 + 1, 5, 3 * 2)
