"""Two clock processes on one database through a simulated week: every reminder exactly once.

Each process is a separate OS process running the job the `qihub clock` scheduler runs
(bot.clock.reminder_tick) every few simulated hours, both at the same time against the same
database. The ledger's unique key is the only thing keeping them apart.

The two tick in lockstep (a barrier before each tick), so at every moment something falls due
both processes look for it at once: a real race each time, not one left to how far the two
happen to drift apart. That is what the test is for; the ticks between those moments find
nothing, so one every STEP hours (not every hour) loses nothing: everything due in the week is
still raised (the assertions name every rule and occasion), only a tick or two later, and each
reminder, once raised, is looked for again by both clocks, together, for days after.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from handlers.clock import ManualClock
from store.models import OutboxMessage, ReminderSent
from tests.harness import CHRIS, TOM, Harness, submit_lesson
from tests.lessons_flow import add_action, decided_lesson, step

HOURS = 7 * 24
STEP = 3
"""Hours between ticks: the week in 56 ticks per process (each ~0.1 s on PostgreSQL, loaded)."""


def run_clock(url: str, start: datetime, ready: object, together: object) -> None:
    """One clock process: tick every STEP hours through the simulated week, each tick at the
    same moment as the other process's (`together`, a barrier for both)."""
    from bot.app import create_app
    from bot.clock import reminder_tick
    from bot.settings import Settings

    clock = ManualClock(start)
    app = create_app(Settings(database_url=url, _env_file=None), clock=clock)
    ready.set()  # type: ignore[attr-defined]
    for hour in range(0, HOURS, STEP):
        clock.set(start + timedelta(hours=hour))
        together.wait()  # type: ignore[attr-defined]
        reminder_tick(app)
    app.engine.dispose()


def seed(hub: Harness) -> None:
    """Something for every rule to find during the week after 20 December."""
    soon = add_action(hub, decided_lesson(hub, ["3"]), 3, due="2026-12-24")  # due soon
    step(hub, TOM, soon, "Accept")
    late = add_action(hub, decided_lesson(hub, ["3"]), 3, due="2026-12-14")  # overdue
    step(hub, TOM, late, "Accept")
    done = add_action(
        hub, decided_lesson(hub, ["1"]), 1, due="2026-12-10", reaudit_date="2026-12-22"
    )
    step(hub, TOM, done, "Accept")
    step(hub, TOM, done, "Submit completion", evidence="Bins fitted on every trolley.")
    step(hub, CHRIS, done, "Verify")  # re-audit due on 22 December
    waiting = add_action(hub, decided_lesson(hub, ["2"]), 2, due="2027-01-30")
    step(hub, TOM, waiting, "Accept")
    step(hub, TOM, waiting, "Submit completion", evidence="Huddles held on all wards.")
    submit_lesson(hub, title="Awaiting triage")  # not triaged
    hub.submit_idea()  # not screened


@pytest.mark.slow
def test_two_clock_processes_raise_each_reminder_once(hub: Harness) -> None:
    seed(hub)
    start = datetime.fromisoformat("2026-12-20T00:00:00+00:00")
    context = multiprocessing.get_context("spawn")
    ready = [context.Event(), context.Event()]
    together = context.Barrier(2, timeout=60)
    url = hub.app.settings.database_url
    clocks = [context.Process(target=run_clock, args=(url, start, r, together)) for r in ready]
    for process in clocks:
        process.start()
    for event in ready:
        assert event.wait(60)
    for process in clocks:
        process.join(180)
        assert process.exitcode == 0
    with hub.app.uow_factory() as uow:
        ledger = [
            (r.rule, r.item_key, r.occasion) for r in uow.session.scalars(select(ReminderSent))
        ]
        messages = [
            (m.dedupe_key, m.recipient_id, m.channel)
            for m in uow.session.scalars(
                select(OutboxMessage).where(OutboxMessage.dedupe_key.like("rem:%"))
            )
        ]
    rules = Counter(rule for rule, _, _ in ledger)
    assert set(rules) == {
        "action_due_soon",
        "action_overdue",
        "action_overdue_escalated",
        "reaudit_due",
        "completion_not_verified",
        "lesson_not_triaged",
        "idea_not_screened",
        "committee_digest",
        "bulletin_draft",
    }
    assert len(ledger) == len(set(ledger))
    assert len(messages) == len(set(messages))
    digests = sorted(
        (item, occasion) for rule, item, occasion in ledger if rule == "committee_digest"
    )
    # Starting on Sunday 20 December, week 51's digest is caught up once; week 52's goes on
    # Monday 21 December. Each once per committee, whichever process got there first.
    assert digests == [(c, w) for c in ("CEC", "PEC", "PSC") for w in ("2026-W51", "2026-W52")]
    # The Q3 bulletin is drafted on 22 December, once, whichever process got there first.
    assert rules["bulletin_draft"] == 1
