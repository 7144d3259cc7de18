"""`qihub export`: CSV registers of lessons, actions and ideas for the Quality Committee's annual
report (alert acknowledgement ledgers have their own `qihub alerts export`).

Rows are streamed from the database in id order (a register of 100,000 lessons is never held in
memory), times are UTC ISO 8601, and nothing identifies a person who did not choose to be named:
lessons carry no submitter at all; ideas name their submitters only when submitted by name with
consent to be credited. Free text was checked for patient data before it was ever stored, and
a lesson's title and text are written only once a governance lead has triaged it (what any
member of staff may read: handlers/visibility.py); before that the row has its figures only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import IO, Any

from handlers.visibility import EVERY_MEMBER_OF_STAFF, in_scope
from messages.csv_safe import SafeWriter
from store.repos.registers import BATCH, RegisterRepo

Row = list[Any]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


LESSON_COLUMNS = [
    "ref", "created_at", "source", "committee", "process", "srg", "harm_level", "status",
    "status_changed_at", "tiers", "title", "what_learned", "source_refs", "submission_mode",
]  # fmt: skip


def lessons(registers: RegisterRepo) -> Iterator[Row]:
    for lesson in registers.lessons():
        readable = in_scope(EVERY_MEMBER_OF_STAFF, lesson)
        title = lesson.title if readable else "(awaiting triage)"
        learned = lesson.what_learned if readable else ""
        yield [
            lesson.ref, lesson.created_at, lesson.source, lesson.committee, lesson.process,
            lesson.srg, lesson.harm_level, lesson.status, lesson.status_changed_at,
            lesson.tiers, title, learned, lesson.source_refs, lesson.mode,
        ]  # fmt: skip


ACTION_COLUMNS = [
    "ref", "lesson_ref", "committee", "tier", "status", "description", "owner", "due_date",
    "completed_at", "verified_at", "evidence", "change", "has_measure", "reaudit_date",
]  # fmt: skip


def actions(registers: RegisterRepo) -> Iterator[Row]:
    for action, lesson_ref, owner_name in registers.actions_with_lesson_and_owner():
        yield [
            action.ref, lesson_ref, action.committee, action.tier, action.status,
            action.description, owner_name, action.due_date, action.completed_at,
            action.verified_at, action.evidence, action.change, action.has_measure,
            action.reaudit_date,
        ]  # fmt: skip


IDEA_COLUMNS = [
    "ref", "created_at", "kind", "title", "status", "status_changed_at", "area", "srg",
    "expected_benefits", "support_count", "credited_to", "sponsor", "sponsor_state", "scope",
    "resources", "cost_pounds", "cost_detail", "measures_of_success",
]  # fmt: skip
"""A Big Idea's sponsor (who agreed to champion it, or was asked) is named: sponsoring is a
role, not a submission, so it reveals nothing about who submitted."""


def ideas(registers: RegisterRepo) -> Iterator[Row]:
    for chunk in _chunks(registers.ideas(), BATCH):
        consenting = [i.id for i in chunk if i.mode == "named" and i.credit_consent]
        credited = registers.submitter_names(consenting)
        sponsors = registers.staff_names(i.sponsor_id for i in chunk if i.sponsor_id is not None)
        for idea in chunk:
            yield [
                idea.ref, idea.created_at, idea.kind, idea.title, idea.status,
                idea.status_changed_at, idea.area, idea.srg, idea.expected_benefits,
                idea.support_count, credited.get(idea.id, []),
                sponsors.get(idea.sponsor_id) if idea.sponsor_id is not None else None,
                idea.sponsor_state, idea.scope, idea.resources, idea.cost_pounds,
                idea.cost_detail, idea.success_measures,
            ]  # fmt: skip


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


REGISTERS: dict[str, tuple[list[str], Callable[[RegisterRepo], Iterator[Row]]]] = {
    "lessons": (LESSON_COLUMNS, lessons),
    "actions": (ACTION_COLUMNS, actions),
    "ideas": (IDEA_COLUMNS, ideas),
}


def write_register(kind: str, registers: RegisterRepo, out: IO[str]) -> int:
    """Write one register as CSV to `out`; returns the number of rows."""
    columns, rows = REGISTERS[kind]
    writer = SafeWriter(out)
    writer.writerow(columns)
    count = 0
    for row in rows(registers):
        writer.writerow([_text(cell) for cell in row])
        count += 1
    return count
