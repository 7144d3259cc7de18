"""Seeded, bulk-loaded registers for the scale benchmarks and the statement-count tests.

`generate(engine, config, lessons=N)` fills a migrated database holding the config's staff
(open_hub() makes one) with N lessons and 3N actions, spread the way a trust's register looks
after two years: every committee and source, lessons in every status, actions in every tier and
status with a third of them open, due dates mostly behind and ahead of the benchmark day,
extensions, trends, ideas.

The reminder ledger is filled as if the clock had ticked every day until yesterday: every
occasion an item reached before `now` is already claimed (for items that can still come due;
finished actions get no ledger history, which only makes the ledger smaller). So what a tick
finds due is only the `due` items built to come due *today* (due in 14 or 3 days, a day or a
week overdue, a re-audit, an unverified completion, an untriaged lesson, waiting ideas), the
same items whatever N is. They are drawn from their own seeded stream, so two registers of
different sizes have the identical due set: the tick's work and statement count can be compared
across sizes.

`spare` more such items are built with their occasion already claimed under SPARE_MARK;
`release_spare()` deletes those ledger rows to make the day `due + spare` busy without a reload.

Rows go in with SQLAlchemy Core executemany in chunks, ids assigned here (no RETURNING), all in
one transaction: 100k lessons / 300k actions took 42 s on SQLite and 52 s on PostgreSQL on a
2-CPU machine (a quarter of it building the rows in Python, the rest the action table's eight
indexes and full-text indexing of the lessons).
"""

from __future__ import annotations

import atexit
import bisect
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, event, func, select, text
from sqlalchemy.engine import make_url

from bot.app import QIHub, create_app
from bot.settings import Settings
from handlers.calendar import WorkingCalendar
from handlers.clock import ManualClock
from handlers.config import OrgConfig, load_config
from store import migrate
from store.db import DatabaseUnavailable, check_connection, make_engine
from store.models import (
    Action,
    ActionExtension,
    Idea,
    Lesson,
    LessonOrgUnit,
    LessonSubmitter,
    RefCounter,
    ReminderSent,
    Staff,
    Trend,
    TrendLesson,
)

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
"""The benchmark day: a Thursday, 09:00 in London (outside quiet hours)."""
SPARE_MARK = datetime(2000, 1, 1, tzinfo=UTC)
"""created_at of the ledger rows that hold back the spare due items."""
CHUNK = 5000
DUE = 50
"""Reminders due on the benchmark day: a small day's work for a trust this size."""
SPARE = 9 * DUE
"""Held back, so a benchmark can make the day ten times as busy (release_spare())."""
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# ---------------------------------------------------------------- vocabulary

_PROBLEMS = (
    "Delayed",
    "Missed",
    "Wrong",
    "Duplicated",
    "Late",
    "Incomplete",
    "Unclear",
    "Unsigned",
)
_THINGS = (
    "handover",
    "prescription check",
    "allergy record",
    "consent form",
    "discharge letter",
    "scan booking",
    "dose banding",
    "line flush",
    "ID band check",
    "MSCC referral",
    "fridge temperature log",
    "falls assessment",
)
_LEARNED = (
    "A second check at the point of care would have caught it.",
    "The checklist did not cover the weekend pathway.",
    "Two systems held different versions of the record.",
    "Staff were unaware of the updated guideline.",
    "The alert was shown but easy to dismiss.",
    "Handover happened away from the patient record.",
)
_ACTIONS = (
    "Add a mandatory field to the electronic form",
    "Brief every shift at the safety huddle",
    "Replace the paper log with an automated monitor",
    "Build a one-page cognitive aid for the critical steps",
    "Re-label the storage and re-audit in three months",
    "Update the standard operating procedure",
)

_LESSON_STATUS_RECENT = (
    ("submitted", 45),
    ("triaged", 30),
    ("decided", 10),
    ("in_progress", 10),
    ("not_progressed", 3),
    ("merged", 2),
)
_LESSON_STATUS_MONTHS = (
    ("submitted", 2),
    ("triaged", 8),
    ("decided", 8),
    ("in_progress", 50),
    ("awaiting_assurance", 10),
    ("reopened", 2),
    ("not_progressed", 6),
    ("merged", 3),
    ("closed", 11),
)
_LESSON_STATUS_OLD = (
    ("submitted", 1),
    ("triaged", 1),
    ("in_progress", 24),
    ("awaiting_assurance", 6),
    ("monitoring", 10),
    ("reopened", 1),
    ("not_progressed", 8),
    ("merged", 4),
    ("closed", 45),
)
_OPEN_HOME = ("decided", "in_progress", "reopened")
"""Lessons that can hold open actions."""
_DONE_HOME = ("in_progress", "awaiting_assurance", "monitoring", "closed", "reopened")
_OPEN_ACTION = (
    ("assigned", 18),
    ("in_progress", 55),
    ("blocked", 10),
    ("completion_submitted", 17),
)
_DONE_ACTION = (
    ("verified", 50),
    ("reaudit_scheduled", 4),
    ("closed", 25),
    ("reaudit_failed", 2),
    ("cancelled", 12),
    ("declined", 7),
)
_WORKING = frozenset({"assigned", "in_progress", "blocked"})
_TIER = ((1, 25), (2, 35), (3, 20), (4, 20))
_IDEA_STATUS = (
    ("submitted", 8),
    ("eligible", 8),
    ("under_review", 10),
    ("approved", 8),
    ("promoted", 2),
    ("in_implementation", 10),
    ("implemented", 20),
    ("not_progressed", 20),
    ("not_eligible", 6),
    ("withdrawn", 8),
)


class _Pick:
    """Weighted choice with precomputed cumulative weights (fast for hundreds of thousands)."""

    def __init__(self, pairs: Sequence[tuple[Any, int]]) -> None:
        self.values = [v for v, _ in pairs]
        total = 0
        self.cum: list[int] = []
        for _, weight in pairs:
            total += weight
            self.cum.append(total)

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect(self.cum, rng.random() * self.cum[-1])]


# ---------------------------------------------------------------- what a run produced


@dataclass
class Summary:
    lessons: int = 0
    actions: int = 0
    open_actions: int = 0
    working_actions: int = 0
    overdue_actions: int = 0
    extensions: int = 0
    trends: int = 0
    ideas: int = 0
    ledger: int = 0
    due: dict[str, int] = field(default_factory=dict)
    """Reminders a tick at `now` raises, per rule (what the due set was built to trigger)."""
    spare: dict[str, int] = field(default_factory=dict)
    """More of the same, held back until release_spare()."""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "lessons": self.lessons,
            "actions": self.actions,
            "open_actions": self.open_actions,
            "working_actions": self.working_actions,
            "overdue_actions": self.overdue_actions,
            "extensions": self.extensions,
            "trends": self.trends,
            "ideas": self.ideas,
            "ledger_rows": self.ledger,
            "due_today": sum(self.due.values()),
            "due_by_rule": dict(self.due),
            "spare": sum(self.spare.values()),
            "load_s": round(self.seconds, 2),
        }


# ---------------------------------------------------------------- reminder thresholds


@dataclass(frozen=True)
class _Thresholds:
    """The reminder rules' settings, read the way handlers/*/reminders.py read them."""

    enabled: frozenset[str]
    soon: tuple[int, ...]
    overdue: tuple[int, ...]
    escalated: tuple[int, ...]
    not_accepted: tuple[int, ...]
    not_accepted_escalated: tuple[int, ...]
    reaudit: tuple[int, ...]
    completion_wd: int
    triage_wd: int
    screen_wd: int
    decide_wd: int

    @classmethod
    def of(cls, config: OrgConfig) -> _Thresholds:
        """Read from the validated config, which fills every rule from handlers.config's
        DEFAULT_RULES: the benchmark keeps no numbers of its own."""
        r = config.reminders

        def days(values: list[int]) -> tuple[int, ...]:
            return tuple(sorted(set(values)))

        return cls(
            enabled=frozenset(name for name, rule in r.items() if rule.enabled),
            soon=days(r["action_due_soon"].days_before),
            overdue=days(r["action_overdue"].days_after),
            escalated=days(r["action_overdue_escalated"].days_after),
            not_accepted=days(r["action_not_accepted"].days_after),
            not_accepted_escalated=days(r["action_not_accepted_escalated"].days_after),
            reaudit=days(r["reaudit_due"].days_before),
            completion_wd=r["completion_not_verified"].counted_working_days(),
            triage_wd=r["lesson_not_triaged"].counted_working_days(),
            screen_wd=r["idea_not_screened"].counted_working_days(),
            decide_wd=r["idea_not_decided"].counted_working_days(),
        )

    def action_occasions(self, due: date, today: date) -> Iterator[tuple[str, str]]:
        """Every (rule, occasion) a working action due on `due` has reached by `today`."""
        d = (due - today).days
        for t in self.soon:
            if d <= t:
                yield "action_due_soon", f"before{t}#v1"
        for t in self.overdue:
            if d <= -t:
                yield "action_overdue", f"after{t}#v1"
        for t in self.escalated:
            if d <= -t:
                yield "action_overdue_escalated", f"after{t}#v1"

    def assignment_occasions(self, assigned: datetime, now: datetime) -> Iterator[tuple[str, str]]:
        """Every (rule, occasion) an action not yet accepted has reached by `now`."""
        for rule, thresholds in (
            ("action_not_accepted", self.not_accepted),
            ("action_not_accepted_escalated", self.not_accepted_escalated),
        ):
            for t in thresholds:
                if assigned <= now - timedelta(days=t):
                    yield rule, f"after{t}#v1"

    def reaudit_occasions(self, when: date, today: date) -> Iterator[tuple[str, str]]:
        d = (when - today).days
        for t in self.reaudit:
            if d <= t:
                yield "reaudit_due", f"before{t}"


# ---------------------------------------------------------------- the generator

_TABLES: dict[str, Table] = {
    "lesson": Lesson.__table__,
    "lesson_submitter": LessonSubmitter.__table__,
    "lesson_org_unit": LessonOrgUnit.__table__,
    "action": Action.__table__,
    "action_extension": ActionExtension.__table__,
    "trend": Trend.__table__,
    "trend_lesson": TrendLesson.__table__,
    "idea": Idea.__table__,
    "reminder_sent": ReminderSent.__table__,
}
"""What the generator writes, in the order the foreign keys need."""


class _Ids:
    """Next free id per table (so rows can refer to each other without RETURNING)."""

    def __init__(self, connection: Connection, tables: Iterable[Table]) -> None:
        self.next: dict[str, int] = {}
        for table in tables:
            top = connection.execute(select(func.max(table.c.id))).scalar()
            self.next[table.name] = (top or 0) + 1

    def take(self, table: Table) -> int:
        value = self.next[table.name]
        self.next[table.name] = value + 1
        return value


class _Refs:
    """LL-2026-00042 style references, continuing the app's own counters."""

    def __init__(self, connection: Connection) -> None:
        self.last: dict[tuple[str, int], int] = {
            (prefix, year): last
            for prefix, year, last in connection.execute(
                select(RefCounter.prefix, RefCounter.year, RefCounter.last)
            )
        }
        self.touched: set[tuple[str, int]] = set()

    def take(self, prefix: str, year: int) -> str:
        key = (prefix, year)
        number = self.last.get(key, 0) + 1
        self.last[key] = number
        self.touched.add(key)
        return f"{prefix}-{year}-{number:05d}"

    def save(self, connection: Connection) -> None:
        table = RefCounter.__table__
        for prefix, year in sorted(self.touched):
            connection.execute(table.delete().where(table.c.prefix == prefix, table.c.year == year))
        rows = [{"prefix": p, "year": y, "last": self.last[(p, y)]} for p, y in self.touched]
        if rows:
            connection.execute(table.insert(), rows)


class _Builder:
    def __init__(self, connection: Connection, config: OrgConfig, now: datetime, seed: int) -> None:
        self.config = config
        self.now = now
        self.calendar = WorkingCalendar(config)
        self.today = self.calendar.local(now).date()
        self.rules = _Thresholds.of(config)
        self.rng = random.Random(seed)
        self.seed = seed
        self.ids = _Ids(
            connection,
            [
                Lesson.__table__,
                Action.__table__,
                ActionExtension.__table__,
                Trend.__table__,
                Idea.__table__,
                ReminderSent.__table__,
            ],
        )
        self.refs = _Refs(connection)
        staff = connection.execute(
            select(Staff.id, Staff.email).where(Staff.active.is_(True)).order_by(Staff.id)
        ).all()
        if not staff:
            raise RuntimeError("no staff: run hub.sync_directory() before generating")
        self.staff = [row.id for row in staff]
        self.others = {s: [o for o in self.staff if o != s] for s in self.staff}
        by_email = {row.email: row.id for row in staff}
        leads = [by_email[e] for e in config.roles.get("audit_lead", []) if e in by_email]
        self.audit_leads = leads or self.staff
        self.committees = list(config.committees)
        weights = {"PSC": 45, "PEC": 30, "CEC": 25}
        self.pick_committee = _Pick([(c, weights.get(c, 25)) for c in self.committees])
        self.sources: dict[str, list[str]] = {
            c: [
                key
                for key, source in config.lesson_sources.items()
                if source.committee in (c, None)
            ]
            or list(config.lesson_sources)
            for c in self.committees
        }
        self.departments = list(config.departments) or [""]
        self.sites = list(config.sites)
        self.processes = list(config.processes) or [None]
        self.srgs = list(config.srgs) or [None]
        self.harms = list(config.harm_levels) or [None]
        self.audiences = list(config.audiences)
        self.benefits = list(config.ideas.benefits)
        cutoff = self.calendar.subtract_working_days
        self.triage_cutoff = cutoff(now, self.rules.triage_wd)
        self.completion_cutoff = cutoff(now, self.rules.completion_wd)
        self.screen_cutoff = cutoff(now, self.rules.screen_wd)
        self.decide_cutoff = cutoff(now, self.rules.decide_wd)
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in _TABLES}
        self.summary = Summary()
        self.pick_tier = _Pick(_TIER)
        self.pick_extensions = _Pick(((0, 80), (1, 14), (2, 5), (3, 1)))

    # ------------------------------------------------------------ small helpers

    def _claim(self, rule: str, key: str, occasion: str, at: datetime | None = None) -> None:
        if rule not in self.rules.enabled:
            return
        self.rows["reminder_sent"].append(
            {
                "id": self.ids.take(ReminderSent.__table__),
                "rule": rule,
                "item_key": key,
                "occasion": occasion,
                "created_at": at or self.now - timedelta(days=1),
            }
        )

    def _text(self, rng: random.Random, committee: str) -> tuple[str, str, str]:
        department = rng.choice(self.departments)
        name = self.config.departments[department].name if department else "the ward"
        title = f"{rng.choice(_PROBLEMS)} {rng.choice(_THINGS)} on {name}"[:150]
        learned = rng.choice(_LEARNED)
        happened = f"{title}. Reported to the {committee} for review."
        return title, happened, learned

    # ------------------------------------------------------------ lessons

    def lesson(
        self,
        rng: random.Random,
        created: datetime,
        status: str,
        *,
        committee: str | None = None,
        changed: datetime | None = None,
        claim: bool = True,
    ) -> dict[str, Any]:
        committee = committee or self.pick_committee(rng)
        lesson_id = self.ids.take(Lesson.__table__)
        ref = self.refs.take("LL", created.year)
        title, happened, learned = self._text(rng, committee)
        if changed is None:
            if status == "submitted":
                changed = created
            else:
                span = min((self.now - created).total_seconds(), 60 * 86400)
                changed = created + timedelta(seconds=rng.random() * span)
        named = rng.random() < 0.8
        decided = status not in ("submitted", "triaged", "not_progressed", "merged")
        tiers = sorted(rng.sample([1, 2, 3, 4], rng.randint(1, 3))) if decided else []
        units: list[tuple[str, str]] = []
        if rng.random() < 0.7:
            department = rng.choice(self.departments)
            if department:
                units.append(("department", department))
            if rng.random() < 0.4:
                units.append(("site", rng.choice(self.sites)))
        for kind, code in units:
            self.rows["lesson_org_unit"].append(
                {"lesson_id": lesson_id, "kind": kind, "code": code}
            )
        if named:
            self.rows["lesson_submitter"].append(
                {"lesson_id": lesson_id, "staff_id": rng.choice(self.staff)}
            )
        row = {
            "id": lesson_id,
            "ref": ref,
            "title": title,
            "what_happened": happened,
            "what_learned": learned,
            "source": rng.choice(self.sources[committee]),
            "committee": committee,
            "process": rng.choice(self.processes) if rng.random() < 0.6 else None,
            "srg": rng.choice(self.srgs) if rng.random() < 0.5 else None,
            "harm_level": rng.choice(self.harms),
            "source_refs": [],
            "mode": "named" if named else "anonymous",
            "receipt_hash": None if named else f"bench-{self.seed}-{lesson_id:012d}",
            "status": status,
            "status_reason": None,
            "tiers": tiers,
            "rationale": "Agreed at committee." if decided else None,
            "merged_into_id": None,
            "has_org_unit": bool(units),
            "tier5_at": None,
            "created_at": created,
            "updated_at": changed,
            "status_changed_at": changed,
            "search_text": f"{title} {learned}",
        }
        self.rows["lesson"].append(row)
        self.summary.lessons += 1
        if claim and status == "submitted" and changed <= self.triage_cutoff:
            self._claim("lesson_not_triaged", ref, f"{self.rules.triage_wd}wd")
        return row

    def background_lessons(self, n: int) -> list[dict[str, Any]]:
        rng = self.rng
        recent, months, old = (
            _Pick(_LESSON_STATUS_RECENT),
            _Pick(_LESSON_STATUS_MONTHS),
            _Pick(_LESSON_STATUS_OLD),
        )
        ages = sorted((rng.random() * 730 * 86400 for _ in range(n)), reverse=True)
        rows = []
        for age in ages:
            created = self.now - timedelta(seconds=max(age, 600))
            days = age / 86400
            status = (recent if days < 10 else months if days < 90 else old)(rng)
            rows.append(self.lesson(rng, created, status))
        return rows

    # ------------------------------------------------------------ actions

    def action(
        self,
        rng: random.Random,
        lesson: dict[str, Any],
        status: str,
        due: date,
        *,
        tier: int | None = None,
        completed: datetime | None = None,
        reaudit: date | None = None,
        changed: datetime | None = None,
        claim: bool = True,
    ) -> dict[str, Any]:
        now, today = self.now, self.today
        action_id = self.ids.take(Action.__table__)
        due_at = datetime.combine(due, NOW.timetz())
        created = max(lesson["created_at"], due_at - timedelta(days=rng.randint(14, 150)))
        # Actions are set up over the months before now, not all in the last hour: a real
        # register sees tens of status changes a day, not tens of thousands.
        created = min(created, now - timedelta(hours=rng.randint(1, 24 * 120)))
        created = max(created, lesson["created_at"])
        ref = self.refs.take("ACT", created.year)
        if status in ("reaudit_scheduled", "closed", "reaudit_failed"):
            tier = 1
        tier = tier or self.pick_tier(rng)
        owner = rng.choice(self.staff)
        others = self.others[owner]
        verifier = rng.choice(others) if rng.random() < 0.7 else None
        verified_at = None
        if status in ("completion_submitted", "verified", "reaudit_scheduled", "closed") or (
            status == "reaudit_failed"
        ):
            if completed is None:
                completed = min(due_at + timedelta(days=rng.randint(-20, 20)), now)
                completed = max(completed, created + timedelta(hours=1))
            if status != "completion_submitted":
                verified_at = min(completed + timedelta(days=rng.randint(1, 15)), now)
        if tier == 1 and reaudit is None:
            reaudit = due + timedelta(days=rng.randint(30, 120))
        result = {"closed": "pass", "reaudit_failed": "fail"}.get(status)
        if changed is None:
            if status in _WORKING:
                changed = created + (now - created) * rng.random() * 0.5
            elif status == "completion_submitted":
                changed = completed
            elif status in ("verified", "reaudit_scheduled"):
                changed = verified_at
            elif result and reaudit:
                changed = min(datetime.combine(reaudit, NOW.timetz()), now)
            else:
                changed = created + (now - created) * rng.random()
        assert changed is not None
        extensions = self.pick_extensions(rng)
        for n in range(extensions):
            self.rows["action_extension"].append(
                {
                    "id": self.ids.take(ActionExtension.__table__),
                    "action_id": action_id,
                    "committee": lesson["committee"],
                    "requested_until": due,
                    "previous_due": due - timedelta(days=30 * (extensions - n)),
                    "reason": "Waiting for the supplier.",
                    "status": "approved",
                    "decided_by_id": rng.choice(self.staff),
                    "decision_reason": "Agreed.",
                    "created_at": created + timedelta(days=n + 1),
                    "decided_at": created + timedelta(days=n + 2),
                }
            )
        if status in _WORKING and claim and rng.random() < 0.03:
            self.rows["action_extension"].append(
                {
                    "id": self.ids.take(ActionExtension.__table__),
                    "action_id": action_id,
                    "committee": lesson["committee"],
                    "requested_until": due + timedelta(days=30),
                    "previous_due": due,
                    "reason": "Waiting for the supplier.",
                    "status": "pending",
                    "decided_by_id": None,
                    "decision_reason": None,
                    "created_at": now - timedelta(hours=rng.randint(1, 240)),
                    "decided_at": None,
                }
            )
        row = {
            "id": action_id,
            "ref": ref,
            "lesson_id": lesson["id"],
            "committee": lesson["committee"],
            "tier": tier,
            "description": rng.choice(_ACTIONS),
            "owner_id": owner,
            "due_date": due,
            "due_version": 1,
            **_measure(rng),
            "verifier_id": verifier,
            "status": status,
            "status_reason": None,
            "evidence": "Audit attached." if completed else None,
            "completed_at": completed,
            "verified_at": verified_at,
            "verified_by_id": verifier if verified_at else None,
            "change": "Relabelled the storage." if tier == 1 else None,
            "reaudit_date": reaudit,
            "audit_lead_id": rng.choice(self.audit_leads) if tier == 1 else None,
            "reaudit_result": result,
            "reaudit_notes": None,
            "audiences": [rng.choice(self.audiences)] if tier == 2 and self.audiences else [],
            "comms_channel": "Trust bulletin" if tier == 2 else None,
            "process": rng.choice(self.processes) if tier == 3 else None,
            "expert_id": rng.choice(others) if tier == 4 else None,
            "cognitive_aid": "One-page checklist" if tier == 4 else None,
            "extension_count": extensions,
            "created_at": created,
            "updated_at": changed,
            "status_changed_at": changed,
        }
        self.rows["action"].append(row)
        s = self.summary
        s.actions += 1
        s.open_actions += status in _WORKING or status == "completion_submitted"
        s.working_actions += status in _WORKING
        s.overdue_actions += status in _WORKING and due < today
        if claim:
            for rule, occasion in self.occasions(row):
                self._claim(rule, ref, occasion)
        return row

    def occasions(self, row: dict[str, Any]) -> Iterator[tuple[str, str]]:
        """Every reminder occasion the action has reached by now (claimed by earlier ticks)."""
        status = row["status"]
        if status in _WORKING:
            yield from self.rules.action_occasions(row["due_date"], self.today)
        if status == "assigned":
            yield from self.rules.assignment_occasions(row["status_changed_at"], self.now)
        elif status == "completion_submitted" and row["completed_at"] <= self.completion_cutoff:
            yield "completion_not_verified", f"{self.rules.completion_wd}wd"
        elif status == "reaudit_scheduled" and row["reaudit_date"] is not None:
            yield from self.rules.reaudit_occasions(row["reaudit_date"], self.today)

    def background_actions(self, n: int, lessons: list[dict[str, Any]], open_share: float) -> None:
        rng = self.rng
        open_home = [x for x in lessons if x["status"] in _OPEN_HOME] or lessons
        done_home = [x for x in lessons if x["status"] in _DONE_HOME] or lessons
        open_pick, done_pick = _Pick(_OPEN_ACTION), _Pick(_DONE_ACTION)
        flags = [i < round(n * open_share) for i in range(n)]
        rng.shuffle(flags)
        planned = []
        for is_open in flags:
            if is_open:
                lesson = open_home[rng.randrange(len(open_home))]
                status = open_pick(rng)
                completed = None
                if status == "completion_submitted":
                    completed = self.now - timedelta(seconds=rng.random() * 40 * 86400)
                    due = completed.date() + timedelta(days=rng.randint(-20, 30))
                elif rng.random() < 0.35:  # overdue: most only a little, a long tail
                    due = self.today - timedelta(days=1 + int(rng.random() ** 2 * 400))
                else:
                    due = self.today + timedelta(days=1 + int(rng.random() * 200))
                reaudit = None
            else:
                lesson = done_home[rng.randrange(len(done_home))]
                status = done_pick(rng)
                completed = None
                due = lesson["created_at"].date() + timedelta(days=rng.randint(14, 180))
                due = min(due, self.today + timedelta(days=60))
                reaudit = (
                    self.today + timedelta(days=rng.randint(-20, 120))
                    if status == "reaudit_scheduled"
                    else None
                )
            planned.append((lesson["created_at"], lesson, status, due, completed, reaudit))
        planned.sort(key=lambda p: (p[0], p[1]["id"]))  # ids (and refs) follow time
        for _, lesson, status, due, completed, reaudit in planned:
            self.action(rng, lesson, status, due, completed=completed, reaudit=reaudit)

    # ------------------------------------------------------------ the day's due set

    def kinds(self) -> list[str]:
        r = self.rules
        kinds = [f"soon:{t}" for t in reversed(r.soon) if "action_due_soon" in r.enabled]
        kinds += [f"overdue:{t}" for t in r.overdue if "action_overdue" in r.enabled]
        kinds += [f"escalated:{t}" for t in r.escalated if "action_overdue_escalated" in r.enabled]
        kinds += ["completion"] if "completion_not_verified" in r.enabled else []
        kinds += [f"reaudit:{t}" for t in reversed(r.reaudit) if "reaudit_due" in r.enabled]
        kinds += ["triage"] if "lesson_not_triaged" in r.enabled else []
        kinds += ["screen"] if "idea_not_screened" in r.enabled else []
        kinds += ["decide"] if "idea_not_decided" in r.enabled else []
        return kinds

    def due_item(self, rng: random.Random, kind: str, spare: bool) -> str:
        """One item whose reminder comes due today; returns the rule it triggers.

        Its earlier occasions are claimed like any other item's; today's is left unclaimed,
        or (spare) claimed under SPARE_MARK for release_spare() to free.
        """
        name, _, arg = kind.partition(":")
        today, now = self.today, self.now
        held = SPARE_MARK if spare else None
        started = now - timedelta(days=200)
        if name == "triage":
            changed = self.triage_cutoff - timedelta(hours=1)
            lesson = self.lesson(rng, changed, "submitted", changed=changed, claim=False)
            if spare:
                self._claim("lesson_not_triaged", lesson["ref"], f"{self.rules.triage_wd}wd", held)
            return "lesson_not_triaged"
        if name in ("screen", "decide"):
            rule = "idea_not_screened" if name == "screen" else "idea_not_decided"
            cutoff = self.screen_cutoff if name == "screen" else self.decide_cutoff
            at = cutoff - timedelta(hours=1)
            status = "submitted" if name == "screen" else "eligible"
            idea = self.idea(rng, at, status, changed=at, claim=False)
            wd = self.rules.screen_wd if name == "screen" else self.rules.decide_wd
            if spare:
                self._claim(rule, idea["ref"], f"{wd}wd", held)
            return rule
        lesson = self.lesson(rng, started, "in_progress", changed=started)
        if name in ("soon", "overdue", "escalated"):
            t = int(arg)
            due = today + timedelta(days=t) if name == "soon" else today - timedelta(days=t)
            rule = {
                "soon": "action_due_soon",
                "overdue": "action_overdue",
                "escalated": "action_overdue_escalated",
            }[name]
            target = f"before{t}#v1" if name == "soon" else f"after{t}#v1"
            row = self.action(rng, lesson, "in_progress", due, claim=False)
        elif name == "completion":
            completed = self.completion_cutoff - timedelta(hours=1)
            due = completed.date()
            row = self.action(
                rng, lesson, "completion_submitted", due, completed=completed, claim=False
            )
            rule, target = "completion_not_verified", f"{self.rules.completion_wd}wd"
        else:  # reaudit
            t = int(arg)
            when = today + timedelta(days=t)
            row = self.action(
                rng,
                lesson,
                "reaudit_scheduled",
                when - timedelta(days=60),
                reaudit=when,
                claim=False,
            )
            rule, target = "reaudit_due", f"before{t}"
        for other_rule, occasion in self.occasions(row):
            if (other_rule, occasion) != (rule, target):
                self._claim(other_rule, row["ref"], occasion)
        if spare:
            self._claim(rule, row["ref"], target, held)
        return rule

    def due_set(self, count: int, spare: bool) -> dict[str, int]:
        rng = random.Random(f"{'spare' if spare else 'due'}-{self.seed}")
        kinds = self.kinds()
        raised: dict[str, int] = {}
        for index in range(count if kinds else 0):
            rule = self.due_item(rng, kinds[index % len(kinds)], spare)
            raised[rule] = raised.get(rule, 0) + 1
        return raised

    # ------------------------------------------------------------ trends and ideas

    def trends(self, n: int, lessons: list[dict[str, Any]]) -> None:
        rng = self.rng
        dimensions = (
            ("department", self.departments),
            ("site", self.sites),
            ("process", self.processes),
            ("srg", self.srgs),
        )
        recent = [x for x in lessons if x["created_at"] >= self.now - timedelta(days=90)]
        for index in range(n):
            dimension, values = dimensions[index % len(dimensions)]
            pool = recent if index % 3 == 0 and len(recent) >= 12 else lessons
            members = rng.sample(pool, min(len(pool), rng.randint(3, 12)))
            members.sort(key=lambda x: x["created_at"])
            created = members[min(2, len(members) - 1)]["created_at"]
            last = members[-1]["created_at"]
            trend_id = self.ids.take(Trend.__table__)
            self.rows["trend"].append(
                {
                    "id": trend_id,
                    "ref": self.refs.take("TR", self.calendar.local(created).year),
                    "dimension": dimension,
                    "value": rng.choice(values) or "unknown",
                    "status": "open" if last >= self.now - timedelta(days=90) else "closed",
                    "lesson_count": len(members),
                    "committees": sorted({x["committee"] for x in members}),
                    "created_at": created,
                    "updated_at": last,
                    "last_lesson_at": last,
                    "response": None,
                    "extra": None,
                }
            )
            for x in members:
                self.rows["trend_lesson"].append(
                    {
                        "trend_id": trend_id,
                        "lesson_id": x["id"],
                        "added_at": max(x["created_at"], created),
                    }
                )
            self.summary.trends += 1

    def idea(
        self,
        rng: random.Random,
        created: datetime,
        status: str,
        *,
        changed: datetime | None = None,
        claim: bool = True,
    ) -> dict[str, Any]:
        idea_id = self.ids.take(Idea.__table__)
        ref = self.refs.take("IDEA", self.calendar.local(created).year)
        changed = changed or created + (self.now - created) * rng.random() * 0.3
        row = {
            "id": idea_id,
            "ref": ref,
            "kind": "bright" if rng.random() < 0.85 else "big",
            "title": f"Improve the {rng.choice(_THINGS)}",
            "problem": rng.choice(_LEARNED),
            "proposed_change": rng.choice(_ACTIONS),
            "expected_benefits": rng.sample(self.benefits, rng.randint(1, 2)),
            "benefit_detail": None,
            "area": rng.choice(self.departments) or None,
            "srg": None,
            "mode": "named",
            "credit_consent": False,
            "status": status,
            "decision_reason": None,
            "receipt_hash": None,
            "sponsor_id": None,
            "duplicate_of_id": None,
            "redirected_to": None,
            "support_count": rng.randint(0, 12),
            "created_at": created,
            "updated_at": changed,
            "status_changed_at": changed,
        }
        self.rows["idea"].append(row)
        self.summary.ideas += 1
        if claim:
            if status == "submitted" and changed <= self.screen_cutoff:
                self._claim("idea_not_screened", ref, f"{self.rules.screen_wd}wd")
            if status in ("eligible", "under_review", "promoted") and created <= self.decide_cutoff:
                self._claim("idea_not_decided", ref, f"{self.rules.decide_wd}wd")
        return row

    def background_ideas(self, n: int) -> None:
        pick = _Pick(_IDEA_STATUS)
        ages = sorted((self.rng.random() * 730 * 86400 for _ in range(n)), reverse=True)
        for age in ages:
            self.idea(self.rng, self.now - timedelta(seconds=max(age, 600)), pick(self.rng))

    # ------------------------------------------------------------ writing

    def write(self, connection: Connection) -> None:
        for name, table in _TABLES.items():
            rows = self.rows[name]
            for start in range(0, len(rows), CHUNK):
                connection.execute(table.insert(), rows[start : start + CHUNK])
        self.refs.save(connection)
        if connection.dialect.name == "postgresql":
            for name in ("lesson", "action", "action_extension", "trend", "idea", "reminder_sent"):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"coalesce((SELECT max(id) FROM {name}), 0) + 1, false)"
                    )
                )
        self.summary.extensions = len(self.rows["action_extension"])
        self.summary.ledger = len(self.rows["reminder_sent"])


def _measure(rng: random.Random) -> dict[str, object]:
    measure = "Monthly audit of 20 records" if rng.random() < 0.85 else None
    return {"measure": measure, "has_measure": measure is not None}


def generate(
    engine: Engine,
    config: OrgConfig,
    *,
    lessons: int,
    actions: int | None = None,
    due: int = DUE,
    spare: int = 0,
    open_share: float = 1 / 3,
    seed: int = 1,
    now: datetime = NOW,
    analyze: bool | None = None,
) -> Summary:
    """Fill a migrated database that already holds the staff directory (see open_hub()).

    `lessons` background lessons, `actions` (default 3 x lessons) actions of which `open_share`
    are open; `due` items whose reminders come due at `now` (plus `spare` held back); trends
    and ideas in proportion. `analyze` refreshes the planner's statistics afterwards (default:
    on PostgreSQL, where autovacuum would do it within a minute of a real load; not on SQLite,
    where QI Hub only gathers them when migrating).
    """
    started = time.perf_counter()
    actions = 3 * lessons if actions is None else actions
    with engine.begin() as connection:
        builder = _Builder(connection, config, now, seed)
        rows = builder.background_lessons(lessons)
        builder.background_actions(actions, rows, open_share)
        builder.trends(max(3, lessons // 250), rows)
        builder.background_ideas(max(10, lessons // 50))
        builder.summary.due = builder.due_set(due, spare=False)
        builder.summary.spare = builder.due_set(spare, spare=True)
        builder.write(connection)
    if analyze if analyze is not None else engine.dialect.name == "postgresql":
        # Only these tables: a bare ANALYZE on PostgreSQL visits every schema in the database.
        names = ", ".join(f'"{name}"' for name in _TABLES)
        with engine.begin() as connection:
            connection.exec_driver_sql(f"ANALYZE {names}")
    builder.summary.seconds = time.perf_counter() - started
    return builder.summary


def release_spare(engine: Engine) -> int:
    """Free the spare items' ledger rows, so they come due at the next tick. Returns how many."""
    table = ReminderSent.__table__
    with engine.begin() as connection:
        result = connection.execute(table.delete().where(table.c.created_at == SPARE_MARK))
        return result.rowcount


def hold_spare(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    """Put back ledger rows taken by release_spare() (pass what spare_rows() returned)."""
    with engine.begin() as connection:
        if rows:
            connection.execute(ReminderSent.__table__.insert(), list(rows))


def spare_rows(engine: Engine) -> list[dict[str, Any]]:
    table = ReminderSent.__table__
    with engine.connect() as connection:
        found = connection.execute(select(table).where(table.c.created_at == SPARE_MARK))
        return [dict(row._mapping) for row in found]


# ---------------------------------------------------------------- databases for benchmarks


def open_hub(url: str, config: OrgConfig | None = None, now: datetime = NOW) -> QIHub:
    """The app on `url` at `now`, migrated and with the config's staff directory."""
    settings = Settings(database_url=url, _env_file=None)
    hub = create_app(settings, clock=ManualClock(now), config=config or load_config())
    migrate.upgrade(hub.engine)
    hub.sync_directory()
    return hub


def scale() -> float:
    """QIHUB_BENCH_SCALE (default 1): 0.1 runs the benchmarks on a tenth of the data."""
    return float(os.environ.get("QIHUB_BENCH_SCALE", "1"))


def backends() -> list[str]:
    """QIHUB_BENCH_BACKENDS (default "sqlite,postgresql"): which databases to benchmark."""
    chosen = os.environ.get("QIHUB_BENCH_BACKENDS", "sqlite,postgresql")
    return [b.strip() for b in chosen.split(",") if b.strip()]


def pg_url() -> str:
    return (
        os.environ.get("QIHUB_BENCH_PG_URL")
        or os.environ.get("TEST_DATABASE_URL")
        or DEFAULT_PG_URL
    )


def pg_unavailable() -> str | None:
    """Why PostgreSQL cannot be used for benchmarks, or None if it can."""
    try:
        engine = make_engine(pg_url())
        try:
            check_connection(engine)
        finally:
            engine.dispose()
    except DatabaseUnavailable as problem:
        return str(problem)
    return None


def pg_schema_url(schema: str) -> str:
    """The approach of tests/conftest.py: a throwaway schema first on the search path."""
    url = make_url(pg_url())
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


def _pg_admin(sql: str) -> None:
    admin = make_engine(pg_url())
    try:
        with admin.begin() as connection:
            connection.execute(text(sql))
    finally:
        admin.dispose()


@dataclass
class Dataset:
    backend: str
    url: str
    hub: QIHub
    summary: Summary


_DATASETS: dict[tuple[Any, ...], Dataset] = {}
_SCRATCH: list[str] = []
_SCHEMAS: list[str] = []


def dataset(
    backend: str, lessons: int, *, due: int = DUE, spare: int = SPARE, seed: int = 1
) -> Dataset:
    """A generated register, made once per process and shared by the benchmarks that ask.

    SQLite in a temporary file, PostgreSQL in a throwaway schema; both removed at exit.
    Callers must leave it as they found it (roll back, or delete what they added).
    """
    key = (backend, lessons, due, spare, seed)
    if key in _DATASETS:
        return _DATASETS[key]
    if backend == "sqlite":
        if not _SCRATCH:
            _SCRATCH.append(tempfile.mkdtemp(prefix="qihub-bench-"))
        url = f"sqlite:///{_SCRATCH[0]}/register-{lessons}-{due}-{spare}-{seed}.db"
    else:
        schema = f"qihub_bench_{uuid.uuid4().hex[:8]}"
        _pg_admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"')
        _SCHEMAS.append(schema)
        url = pg_schema_url(schema)
    hub = open_hub(url)
    summary = generate(hub.engine, hub.config, lessons=lessons, due=due, spare=spare, seed=seed)
    _DATASETS[key] = found = Dataset(backend, url, hub, summary)
    return found


@atexit.register
def _cleanup() -> None:
    for found in _DATASETS.values():
        found.hub.engine.dispose()
    _DATASETS.clear()
    for schema in _SCHEMAS:
        try:
            _pg_admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        except Exception as problem:  # best effort at exit
            print(f"could not drop benchmark schema {schema}: {problem}")
    _SCHEMAS.clear()
    for path in _SCRATCH:
        shutil.rmtree(path, ignore_errors=True)
    _SCRATCH.clear()


# ---------------------------------------------------------------- measuring


@dataclass
class Statement:
    sql: str
    seconds: float
    label: str


class StatementLog:
    """Every statement sent on `engine` while open (before_cursor_execute), timed and labelled.

    An executemany counts once: it is one statement. `label` names who is running (a
    benchmark sets it, e.g. to the reminder rule whose query is executing).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[Statement] = []
        self.label = ""
        self._started: list[float] = []

    def _before(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        elapsed = time.perf_counter() - self._started.pop()
        self.statements.append(Statement(" ".join(statement.split()), elapsed, self.label))

    def __enter__(self) -> StatementLog:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def __len__(self) -> int:
        return len(self.statements)

    def by_label(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for s in self.statements:
            counts[s.label] = counts.get(s.label, 0) + 1
        return counts

    def slowest(self, count: int = 5, width: int = 240) -> list[dict[str, Any]]:
        ranked = sorted(self.statements, key=lambda s: s.seconds, reverse=True)[:count]
        return [
            {"ms": round(s.seconds * 1000, 2), "label": s.label, "sql": s.sql[:width]}
            for s in ranked
        ]


def summarise(samples: Sequence[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_s": round(statistics.median(ordered), 4),
        "min_s": round(ordered[0], 4),
        "max_s": round(ordered[-1], 4),
    }
