"""Exactly once, for real: what the reminder engine *decides* to send (its TickReport and its
ledger), not what the outbox lets through after deduplicating.

- a property test: random jumps of the clock (minutes to weeks), two clocks and restarts ticking
  one database in turn, the owner blocking and resuming between ticks. Each (rule, action) gets
  at most one reminder per occasion, never two occasions in one tick, and the one raised is the
  latest occasion due at that moment (caught up after downtime, never an earlier one later);
- the ledger, layer by layer: the rules offer nothing already in it (`not_reminded`), and a
  clock whose rules found a reminder another clock claimed a moment later does not raise it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from bot.app import QIHub, create_app
from bot.settings import Settings
from handlers.clock import ManualClock
from handlers.config import OrgConfig, Rule
from handlers.context import SYSTEM, Context
from handlers.reminders import Due, ReminderRule, TickReport, tick
from store.models import Action, ReminderSent, RuleWatermark
from tests.conftest import START
from tests.harness import TOM, Harness
from tests.lessons_flow import add_action, decided_lesson, step

ACTION_RULES = ("action_due_soon", "action_overdue", "action_overdue_escalated")
SKIPPED = ("committee_digest", "bulletin_draft")


def rules_of(app: QIHub, names: Iterable[str] | None = None) -> list[ReminderRule]:
    wanted = set(names) if names is not None else None
    return [r for r in app.rules if r.name not in SKIPPED and (wanted is None or r.name in wanted)]


def tick_on(app: QIHub, rules: list[ReminderRule] | None = None) -> TickReport:
    with app.uow_factory() as uow:
        report = tick(Context(app.services, uow, SYSTEM, "clock"), rules or rules_of(app))
        uow.commit()
    return report


def ledger(app: QIHub, ref: str) -> set[tuple[str, str]]:
    with app.uow_factory() as uow:
        rows = uow.session.execute(
            select(ReminderSent.rule, ReminderSent.occasion).where(ReminderSent.item_key == ref)
        ).all()
    return {(rule, occasion) for rule, occasion in rows}


def expected(due: date, today: date) -> dict[str, str]:
    """The latest occasion of each action rule due on `today` (docs/domain.md defaults)."""
    days = (due - today).days
    latest: dict[str, str] = {}
    if 4 <= days <= 14:
        latest["action_due_soon"] = "before14#v1"
    elif 1 <= days <= 3:
        latest["action_due_soon"] = "before3#v1"
    if -days >= 1:
        latest["action_overdue"] = "after1#v1"
    if -days >= 7:
        latest["action_overdue_escalated"] = "after7#v1"
    return latest


def fresh_action(hub: Harness, due: date) -> str:
    """Start an example afresh on the same database: the clock back at START, the ledger and
    watermarks empty, earlier examples' actions cancelled, then a new accepted action."""
    hub.clock.set(START)
    with hub.app.uow_factory() as uow:
        uow.session.execute(delete(ReminderSent))
        uow.session.execute(delete(RuleWatermark))
        uow.session.execute(update(Action).values(status="cancelled"))
        uow.commit()
    ref = add_action(hub, decided_lesson(hub, ["3"]), 3, due=due.isoformat())
    hub.tick()  # the clock runs while the owner reads it: accepting is a change since a pass
    step(hub, TOM, ref, "Accept")
    return ref


MINUTE = 1
WEEK = 7 * 24 * 60
jumps = st.lists(
    st.tuples(
        st.one_of(st.integers(MINUTE, 120), st.integers(120, 3 * WEEK)),  # how far (minutes)
        st.sampled_from(["first", "second", "restarted"]),  # which clock ticks
        st.booleans(),  # the owner blocks or resumes the action first
    ),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(due_in=st.integers(min_value=1, max_value=45), steps=jumps)
# the README's lesson journey: due 20 Dec, accepted, then straight to the day before
@example(due_in=24, steps=[(23 * 24 * 60, "first", False)])
# "due in 3 days" sent, then the owner blocks it: "due in 14 days" must not follow
@example(due_in=10, steps=[(8 * 24 * 60, "first", False), (60, "second", True)])
def test_after_any_jumps_each_reminder_is_the_latest_occasion_once(
    hub: Harness, config: OrgConfig, due_in: int, steps: list[tuple[int, str, bool]]
) -> None:
    due = START.date() + timedelta(days=due_in)
    ref = fresh_action(hub, due)
    second_clock = ManualClock(hub.clock.now())
    settings_ = Settings(database_url=hub.app.settings.database_url, _env_file=None)
    second = create_app(settings_, clock=second_clock, config=config)
    blocked = False
    try:
        for minutes, which, toggle in steps:
            if toggle:
                if blocked:
                    step(hub, TOM, ref, "Unblocked")
                else:
                    step(hub, TOM, ref, "Blocked", reason="Waiting for estates.")
                blocked = not blocked
            hub.clock.advance(timedelta(minutes=minutes))
            second_clock.set(hub.clock.now())
            before = ledger(hub.app, ref)
            if which == "first":
                report = hub.tick()
            elif which == "second":
                report = tick_on(second)
            else:
                restarted = create_app(settings_, clock=ManualClock(hub.clock.now()), config=config)
                report = tick_on(restarted)
                restarted.engine.dispose()
            raised = ledger(hub.app, ref) - before
            today = hub.app.services.calendar.local(hub.clock.now()).date()
            latest = expected(due, today)
            for rule in ACTION_RULES:
                new = {occasion for name, occasion in raised if name == rule}
                want = latest.get(rule)
                should = {want} if want is not None and (rule, want) not in before else set()
                assert new == should, (rule, today, due, sorted(before))
                # the engine's own count agrees: this is the only working action
                assert report.raised.get(rule, 0) == len(new), (rule, report.raised)
    finally:
        second.engine.dispose()


# ------------------------------------------------------------------------------ the ledger
def due_soon_actions(hub: Harness, count: int) -> list[str]:
    lesson = decided_lesson(hub, ["3"])
    refs = [add_action(hub, lesson, 3, due="2026-12-31") for _ in range(count)]
    for ref in refs:
        step(hub, TOM, ref, "Accept")
    return refs


def offered(app: QIHub, config: OrgConfig) -> dict[str, list[str]]:
    """What each action rule still finds due now, asked directly (no watermark: everything)."""
    found: dict[str, list[str]] = {}
    with app.uow_factory() as uow:
        ctx = Context(app.services, uow, SYSTEM, "clock")
        for rule in rules_of(app, ACTION_RULES):
            keys = [d.item_key for d in rule.due(ctx, config.reminders[rule.name], None)]
            if keys:
                found[rule.name] = keys
    return found


def test_the_rules_offer_nothing_the_ledger_holds_across_ticks_and_restarts(
    hub: Harness, config: OrgConfig
) -> None:
    """Removing the ledger check (`not_reminded`, or the claim in tick()) makes the rules offer,
    or the engine raise, the same reminder again: the outbox's dedupe would hide it, this
    does not."""
    refs = due_soon_actions(hub, 3)
    hub.clock.set(datetime.fromisoformat("2026-12-17T09:00:00+00:00"))  # 14 days before
    assert offered(hub.app, config) == {"action_due_soon": refs}
    assert hub.tick().raised == {"action_due_soon": 3}
    assert offered(hub.app, config) == {}
    assert hub.tick().total == 0
    restarted = create_app(
        Settings(database_url=hub.app.settings.database_url, _env_file=None),
        clock=hub.clock,
        config=config,
    )
    try:
        assert tick_on(restarted).total == 0
    finally:
        restarted.engine.dispose()
    hub.clock.advance(timedelta(hours=3))
    assert hub.tick().total == 0


@dataclass(frozen=True)
class Overtaken:
    """A real rule whose pass is overtaken: another clock ticks and commits between this rule
    finding what is due and the engine claiming it (what two clock processes can do)."""

    inner: ReminderRule
    meanwhile: Callable[[], object]

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def urgent(self) -> bool:
        return self.inner.urgent

    def due(self, ctx: Context, rule: Rule, since: datetime | None) -> Iterator[Due]:
        found = list(self.inner.due(ctx, rule, since))
        self.meanwhile()
        yield from found


def test_a_reminder_another_clock_claimed_meanwhile_is_not_raised_again(
    hub: Harness, config: OrgConfig, db_url: str
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite ticks hold the write lock from their first statement (BEGIN IMMEDIATE)")
    due_soon_actions(hub, 2)
    hub.clock.set(datetime.fromisoformat("2026-12-17T09:00:00+00:00"))
    other = create_app(
        Settings(database_url=db_url, _env_file=None), clock=hub.clock, config=config
    )
    reports: list[TickReport] = []
    try:
        rules: list[ReminderRule] = [
            Overtaken(r, lambda: reports.append(tick_on(other, rules_of(other, ACTION_RULES))))
            for r in rules_of(hub.app, ["action_due_soon"])
        ]
        mine = tick_on(hub.app, rules)
    finally:
        other.engine.dispose()
    assert [r.raised for r in reports] == [{"action_due_soon": 2}]
    assert mine.total == 0


def test_the_engine_raises_only_the_latest_ranked_occasion_of_an_item() -> None:
    """A rule may find several occasions of an item due after a jump; unranked ones (an alert's
    status refresh beside its re-notification) are not a sequence and all go."""
    from handlers.reminders import latest_only
    from messages.view import Reply

    def due(item: str, occasion: str, rank: int | None) -> Due:
        return Due(item, occasion, Reply(occasion), rank=rank)

    found = [
        due("A", "before14", -14),
        due("A", "before3", -3),
        due("B", "before14", -14),
        due("A", "status", None),
        due("A", "status2", None),
    ]
    kept = [(d.item_key, d.occasion) for d in latest_only(found)]
    assert kept == [("A", "before3"), ("B", "before14"), ("A", "status"), ("A", "status2")]
