"""What a committee's weekly digest reports, gathered in a fixed handful of bounded queries.

The digest is de-identified: it carries references, titles and counts, and names a person only
where docs/domain.md asks for it (owners of long-overdue actions). Dates are the trust's: "today"
and "the last 7 days" are worked out in config.zone, so a digest reads the same either side of
the clock change. Later capabilities add sections through `SectionContributor` (critical alerts
and acknowledgement rates, for the Patient Safety Committee) without this module knowing them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Generic, Protocol, TypeVar

from handlers.actions.lifecycle import ACTION_OPEN, AMBER_DAYS, WORKING, ActionStatus
from handlers.config import OrgConfig
from handlers.ideas.lifecycle import IDEA_OPEN
from handlers.ideas.views import sponsor_phrase
from handlers.lessons.lifecycle import AWAITING_DECISION, LESSON_OPEN, LessonStatus
from handlers.reports.digest import NO_CHARTS, DigestCharts, digest_charts
from messages.view import Item
from store.repos.digest import ActionRow, DigestRepo, LessonRow, Statuses, Window
from store.uow import UnitOfWork

LOOKBACK = timedelta(days=7)
WEEKS_CHARTED = 12
LONG_OVERDUE_EXTENSIONS = 2
"""docs/domain.md: an action is "long overdue" at day 30 or at its second extension."""

STATUSES = Statuses(
    lesson_triage=LessonStatus.SUBMITTED.value,
    lesson_awaiting_decision=tuple(s.value for s in AWAITING_DECISION),
    lesson_awaiting_assurance=LessonStatus.AWAITING_ASSURANCE.value,
    lesson_open=tuple(sorted(s.value for s in LESSON_OPEN)),
    action_working=tuple(s.value for s in WORKING),
    action_open=tuple(s.value for s in ACTION_OPEN),
    action_completion_submitted=ActionStatus.COMPLETION_SUBMITTED.value,
    action_reaudit_scheduled=ActionStatus.REAUDIT_SCHEDULED.value,
    action_reaudit_results=(ActionStatus.CLOSED.value, ActionStatus.REAUDIT_FAILED.value),
    action_not_a_response=(ActionStatus.CANCELLED.value, ActionStatus.DECLINED.value),
    action_declined=ActionStatus.DECLINED.value,
    idea_open=tuple(sorted(s.value for s in IDEA_OPEN)),
)
DIMENSION_LABELS = {"site": "Site", "department": "Department", "process": "Process", "srg": "SRG"}

T = TypeVar("T")


@dataclass(frozen=True)
class Listing(Generic[T]):
    """The first few of something and how many there are in all."""

    items: tuple[T, ...]
    total: int

    @property
    def more(self) -> int:
        return max(self.total - len(self.items), 0)


@dataclass(frozen=True)
class Headline:
    new_lessons: int
    awaiting_triage: int
    awaiting_decision: int
    open_actions: int
    red: int
    amber: int
    verified: int


@dataclass(frozen=True)
class LessonLine:
    ref: str
    title: str
    days_waiting: int


@dataclass(frozen=True)
class ActionLine:
    ref: str
    lesson_ref: str
    tier: int
    due: date
    days: int
    """Days overdue (red, long overdue), days until due (amber), or since the event."""
    extension_pending: bool = False
    extensions: int = 0
    owner: str = ""
    """Set only where docs/domain.md names people: the long-overdue list."""
    on: date | None = None
    """The day of the event: verified, re-audit due, re-audit result recorded."""
    passed: bool | None = None
    """Re-audit results only: passed (closed) or failed (lesson reopened)."""


@dataclass(frozen=True)
class ExtensionLine:
    action_ref: str
    lesson_ref: str
    due: date
    requested_until: date
    days_waiting: int


@dataclass(frozen=True)
class TrendLine:
    ref: str
    dimension: str
    label: str
    lessons: int
    added: int
    is_new: bool
    weekly: tuple[int, ...]
    """Lessons per ISO week, oldest first, the last being the digest's own week so far."""
    weak_only: bool
    """Every action on its lessons is in a weak tier (and there is at least one)."""
    decision: str = "open"
    """The committee's decision: "open" (awaiting one: listed every week), "accepted" or
    "dismissed" (listed only in a week it is new or a lesson joins)."""


@dataclass(frozen=True)
class IdeaLine:
    ref: str
    title: str
    benefits: tuple[str, ...]
    sponsor: str = ""
    """A Big Idea's sponsor's answer ("awaiting sponsor"), or "" (handlers/ideas/views.py)."""


@dataclass(frozen=True)
class ExtraSection:
    """A section added by a later capability, drawn like the built-in ones."""

    title: str
    text: str
    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class StuckLine:
    """An item nobody can move, or a reminder that reaches nobody: someone must fix who holds
    which role before it can go anywhere."""

    ref: str
    problem: str
    kind: str = "action"
    """What `ref` is: "action", "lesson" or another record (drawn without an Open button)."""


@dataclass(frozen=True)
class Period:
    committee: str
    week: str
    """ISO week of the digest, e.g. "2026-W48": also the schedule's once-a-week occasion."""
    today: date
    since: datetime
    now: datetime
    long_overdue_days: int


class SectionContributor(Protocol):
    """The extension point for sections other capabilities own (critical alerts for PSC)."""

    def __call__(
        self, uow: UnitOfWork, config: OrgConfig, period: Period
    ) -> Sequence[ExtraSection]: ...


@dataclass(frozen=True)
class DigestData:
    committee: str
    committee_name: str
    period: Period
    headline: Headline
    awaiting_decision: Listing[LessonLine]
    extensions: Listing[ExtensionLine]
    completions: Listing[ActionLine]
    awaiting_assurance: Listing[LessonLine]
    trends: Listing[TrendLine]
    red: Listing[ActionLine]
    amber: Listing[ActionLine]
    verified: Listing[ActionLine]
    long_overdue: Listing[ActionLine]
    reaudits_due: Listing[ActionLine]
    reaudit_results: Listing[ActionLine]
    ideas: Listing[IdeaLine]
    lessons_without_unit: Listing[str]
    actions_without_measure: Listing[str]
    extra_sections: tuple[ExtraSection, ...] = ()
    declined: Listing[ActionLine] = Listing((), 0)
    """Declined by their owners, waiting for the governance lead or chair to reassign them."""
    stuck: Listing[StuckLine] = Listing((), 0)
    charts: DigestCharts = NO_CHARTS
    """The committee's SPC charts (handlers/reports), with their words."""


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def window_for(config: OrgConfig, now: datetime) -> Window:
    """Today and "the last 7 days" in the trust's zone: the same wall-clock time a week ago."""
    local = now.astimezone(config.zone)
    today = local.date()
    since = datetime.combine(today - LOOKBACK, local.time(), config.zone)
    days = config.reminders["action_long_overdue"].days_after[0]
    return Window(
        since=since,
        today=today,
        soon=today + timedelta(days=AMBER_DAYS),
        long_overdue_before=today - timedelta(days=days),
        long_overdue_extensions=LONG_OVERDUE_EXTENSIONS,
    )


def week_starts(config: OrgConfig, today: date) -> list[datetime]:
    """Local midnight of the Mondays starting the charted weeks, oldest first."""
    monday = today - timedelta(days=today.weekday())
    return [
        datetime.combine(monday - timedelta(weeks=WEEKS_CHARTED - 1 - i), time(0), config.zone)
        for i in range(WEEKS_CHARTED)
    ]


def _local_day(config: OrgConfig, moment: datetime) -> date:
    return moment.astimezone(config.zone).date()


def _lessons(
    config: OrgConfig, found: tuple[list[LessonRow], int], today: date
) -> Listing[LessonLine]:
    rows, total = found
    lines = tuple(
        LessonLine(r.ref, r.title, (today - _local_day(config, r.status_changed_at)).days)
        for r in rows
    )
    return Listing(lines, total)


def _action(
    row: ActionRow,
    days: int,
    *,
    owner: str = "",
    on: date | None = None,
    passed: bool | None = None,
) -> ActionLine:
    return ActionLine(
        ref=row.ref,
        lesson_ref=row.lesson_ref,
        tier=row.tier,
        due=row.due_date,
        days=days,
        extension_pending=row.extension_pending,
        extensions=row.extension_count,
        owner=owner,
        on=on,
        passed=passed,
    )


def _actions(
    found: tuple[list[ActionRow], int], line: Callable[[ActionRow], ActionLine]
) -> Listing[ActionLine]:
    rows, total = found
    return Listing(tuple(line(r) for r in rows), total)


def unit_label(config: OrgConfig, dimension: str, value: str) -> str:
    """The configured name for a trend's site, department, process or SRG code."""
    names: dict[str, str] = {
        "site": config.sites[value].name if value in config.sites else value,
        "department": config.departments[value].name if value in config.departments else value,
        "process": config.processes.get(value, value),
        "srg": config.srgs.get(value, value),
    }
    return names.get(dimension, value)


def _trends(repo: DigestRepo, config: OrgConfig, w: Window, committee: str) -> Listing[TrendLine]:
    rows, total = repo.trends(committee, w)
    ids = [r.id for r in rows]
    stats = repo.trend_stats(ids, STATUSES, w, config.trends.weak_tiers)
    weekly = repo.trend_weekly_counts(ids, week_starts(config, w.today))
    lines = []
    for row in rows:
        stat = stats.get(row.id)
        lines.append(
            TrendLine(
                ref=row.ref,
                dimension=DIMENSION_LABELS.get(row.dimension, row.dimension),
                label=unit_label(config, row.dimension, row.value),
                lessons=stat.lessons if stat else 0,
                added=stat.added if stat else 0,
                is_new=row.created_at >= w.since,
                weekly=tuple(weekly.get(row.id, [0] * WEEKS_CHARTED)),
                weak_only=bool(stat and stat.actions and not stat.strong_actions),
                decision=row.status,
            )
        )
    return Listing(tuple(lines), total)


STUCK_LIMIT = 10
NO_VERIFIER = (
    "Completion to verify, but nobody can: no verifier, governance lead or chair other than "
    "its owner"
)
NO_REASSIGNER = (
    "Declined, but nobody can reassign it: no governance lead or chair other than who declined it"
)
NO_APPROVER = "Critical alert awaiting approval, but no alert approver other than its publisher"


def _at_most_one(ids: Iterable[int]) -> tuple[bool, int | None]:
    """Whether excluding one person could leave nobody of `ids`, and who (None: anyone)."""
    unique = set(ids)
    if len(unique) > 1:
        return False, None
    return True, next(iter(unique), None)


def stuck_items(uow: UnitOfWork, config: OrgConfig, code: str) -> Listing[StuckLine]:
    """What nobody can move in committee `code`, or in the organisation (critical alerts), and
    the reminders that found nobody to tell; a fixed handful of statements."""
    committee = config.committees[code]
    emails = [*committee.governance_leads, committee.chair]
    pool = [p.id for p in uow.staff.by_emails(emails) if p.active]
    repo = uow.digest
    lines: list[StuckLine] = []
    totals = 0
    possible, owner = _at_most_one(pool)
    if possible:
        for found, problem in (
            (repo.unverifiable(code, STATUSES, owner), NO_VERIFIER),
            (repo.unreassignable(code, STATUSES, owner), NO_REASSIGNER),
        ):
            rows, total = found
            lines += [StuckLine(r.ref, problem) for r in rows]
            totals += total
    possible, publisher = _at_most_one(p.id for p in uow.staff.with_role("alert_approver"))
    if possible:
        alerts, total = repo.unapprovable(publisher)
        lines += [StuckLine(ref, NO_APPROVER, "alert") for ref in alerts]
        totals += total
    reminders, _ = uow.reminders.stuck(STUCK_LIMIT * 5)
    committees = repo.committees_of({r.item_key for r in reminders})
    seen = {line.ref for line in lines}
    for reminder in reminders:
        belongs = committees.get(reminder.item_key)
        if reminder.item_key in seen or belongs not in (None, code):
            continue
        seen.add(reminder.item_key)
        kind = "lesson" if reminder.item_key.startswith("LL-") else "action"
        kind = kind if belongs else "other"
        rule = reminder.rule.replace("_", " ")
        lines.append(StuckLine(reminder.item_key, f"Its reminder ({rule}) reaches nobody", kind))
        totals += 1
    return Listing(tuple(lines[:STUCK_LIMIT]), max(totals, len(lines)))


def build_digest(
    uow: UnitOfWork,
    config: OrgConfig,
    committee_code: str,
    now: datetime,
    contributors: Sequence[SectionContributor] = (),
) -> DigestData:
    """Gather one committee's digest as of `now`: a constant number of bounded statements."""
    committee = config.committees[committee_code]
    repo = uow.digest
    w = window_for(config, now)
    s = STATUSES
    code = committee_code
    today = w.today
    period = Period(
        code, iso_week(today), today, w.since, now, (today - w.long_overdue_before).days
    )

    def local_day(moment: datetime | None) -> date:
        return (moment or now).astimezone(config.zone).date()

    def overdue(r: ActionRow) -> ActionLine:
        return _action(r, (today - r.due_date).days)

    def due_in(r: ActionRow) -> ActionLine:
        return _action(r, (r.due_date - today).days)

    def verified_on(r: ActionRow) -> ActionLine:
        return _action(r, 0, on=local_day(r.verified_at))

    def named(r: ActionRow) -> ActionLine:
        return _action(r, (today - r.due_date).days, owner=r.owner_name or "Unknown")

    def waiting(r: ActionRow) -> ActionLine:
        return _action(r, (today - local_day(r.status_changed_at)).days)

    def reaudit_due(r: ActionRow) -> ActionLine:
        on = r.reaudit_date or r.due_date
        return _action(r, (on - today).days, on=on)

    def reaudit_result(r: ActionRow) -> ActionLine:
        passed = r.status == ActionStatus.CLOSED
        return _action(r, 0, on=local_day(r.status_changed_at), passed=passed)

    counts = repo.counts(code, s, w)
    awaiting_decision = _lessons(config, repo.awaiting_decision(code, s), today)
    red = _actions(repo.red(code, s, w), overdue)
    amber = _actions(repo.amber(code, s, w), due_in)
    verified = _actions(repo.verified(code, w), verified_on)
    extension_rows, extension_total = repo.pending_extensions(code)
    extensions = Listing(
        tuple(
            ExtensionLine(
                e.action_ref,
                e.lesson_ref,
                e.due_date,
                e.requested_until,
                (today - local_day(e.created_at)).days,
            )
            for e in extension_rows
        ),
        extension_total,
    )
    idea_rows, idea_total = repo.ideas(committee.idea_benefits, s)
    ideas = Listing(
        tuple(
            IdeaLine(i.ref, i.title, tuple(i.expected_benefits), sponsor_phrase(i.sponsor_state))
            for i in idea_rows
        ),
        idea_total,
    )
    without_unit, without_unit_total = repo.lessons_without_unit(code, s)
    without_measure, without_measure_total = repo.actions_without_measure(code, s)
    data = DigestData(
        committee=code,
        committee_name=committee.name,
        period=period,
        headline=Headline(
            new_lessons=counts.new_lessons,
            awaiting_triage=counts.awaiting_triage,
            awaiting_decision=awaiting_decision.total,
            open_actions=counts.open_actions,
            red=red.total,
            amber=amber.total,
            verified=verified.total,
        ),
        awaiting_decision=awaiting_decision,
        extensions=extensions,
        completions=_actions(repo.completions_submitted(code, s), waiting),
        awaiting_assurance=_lessons(config, repo.awaiting_assurance(code, s), today),
        trends=_trends(repo, config, w, code),
        red=red,
        amber=amber,
        verified=verified,
        long_overdue=_actions(repo.long_overdue(code, s, w), named),
        reaudits_due=_actions(repo.reaudits_due(code, s, w), reaudit_due),
        reaudit_results=_actions(repo.reaudit_results(code, s, w), reaudit_result),
        ideas=ideas,
        lessons_without_unit=Listing(tuple(without_unit), without_unit_total),
        actions_without_measure=Listing(tuple(without_measure), without_measure_total),
    )
    data = replace(
        data,
        declined=_actions(repo.declined(code, s), waiting),
        stuck=stuck_items(uow, config, code),
        charts=digest_charts(uow, config, code, now),
    )
    extra = tuple(section for add in contributors for section in add(uow, config, period))
    return replace(data, extra_sections=extra) if extra else data
