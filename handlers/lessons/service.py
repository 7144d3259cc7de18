"""Lesson operations: submit, triage, decide, assure, and the roll-up from its actions.

Every change appends to the audit log and tells the submitter (anonymous submitters follow
with their receipt), in the caller's transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from handlers import people
from handlers.actions.lifecycle import DONE, ActionStatus
from handlers.audit import record
from handlers.context import Context
from handlers.errors import FieldProblem, UserError
from handlers.lessons.lifecycle import LESSON_OPEN, LessonStatus
from handlers.lessons.views import lesson_card, submitter_notice
from handlers.permissions import allowed
from handlers.search import lesson_search_text
from handlers.submission import among_submitters, find_by_ref_or_receipt, new_receipt, receipt_hash
from messages.view import Button, Notice, Reply
from store.models import Lesson, LessonOrgUnit, LessonSubmitter

L = LessonStatus
_REF_SPLIT = re.compile(r"[,;\n]+")


@dataclass(frozen=True)
class Submitted:
    lesson: Lesson
    receipt: str | None


def triage_buttons(lesson: Lesson) -> list[Button]:
    value = {"ref": lesson.ref}
    return [
        Button("Take to committee", "lesson.triage", {**value, "to": "accept"}, "primary"),
        Button("Route elsewhere…", "lesson.triage", {**value, "to": "route"}),
        Button("Merge into…", "lesson.triage", {**value, "to": "merge"}),
        Button("Not progressed…", "lesson.triage", {**value, "to": "not_progressed"}, "danger"),
    ]


def committee_post(
    ctx: Context, lesson: Lesson, headline: str, buttons: list[Button], key: str
) -> None:
    """Post a lesson to its committee's channel (identity hidden unless named)."""
    channel = people.channel_of(ctx, lesson.committee)
    if channel is None:
        return
    names = submitter_names(ctx, lesson) if lesson.mode == "named" else []
    today = ctx.calendar.local(ctx.now).date()
    blocks = [
        Notice(headline, "info"),
        *lesson_card(lesson, ctx.config, today, submitter_names=names, buttons=buttons),
    ]
    ctx.enqueuer.to_channel(channel, Reply(summary=headline, blocks=tuple(blocks)), key)


def submit(ctx: Context, values: dict[str, Any]) -> Submitted:
    source = ctx.config.lesson_sources[values["source"]]
    committee = values.get("committee") or source.committee
    if committee is None:
        raise FieldProblem(
            "committee", f"Choose the domain: '{source.label}' lessons can belong to any committee."
        )
    anonymous = values["mode"] == "anonymous"
    year = ctx.calendar.local(ctx.now).year
    receipt = new_receipt() if anonymous else None
    refs = [r.strip() for r in _REF_SPLIT.split(values.get("source_refs") or "") if r.strip()]
    lesson = Lesson(
        ref=ctx.uow.refs.next_ref("LL", year),
        title=values["title"],
        what_happened=values["what_happened"],
        what_learned=values["what_learned"],
        source=values["source"],
        committee=committee,
        process=values.get("process"),
        srg=values.get("srg"),
        harm_level=values.get("harm_level"),
        source_refs=refs[:10],
        mode=values["mode"],
        receipt_hash=receipt_hash(receipt) if receipt else None,
        status=L.SUBMITTED.value,
        tiers=[],
        created_at=ctx.now,
        updated_at=ctx.now,
        status_changed_at=ctx.now,
    )
    for kind, field in (("site", "sites"), ("department", "departments")):
        for code in values.get(field) or []:
            lesson.org_units.append(LessonOrgUnit(kind=kind, code=code))
    lesson.has_org_unit = bool(lesson.org_units)
    if not anonymous:
        assert ctx.actor.staff_id is not None
        lesson.submitters.append(LessonSubmitter(staff_id=ctx.actor.staff_id))
    lesson.search_text = lesson_search_text(lesson, [], ctx.config)
    ctx.uow.lessons.add(lesson)
    record(
        ctx,
        entity_type="lesson",
        entity_ref=lesson.ref,
        action="submitted",
        after={
            "status": lesson.status,
            "committee": committee,
            "source": lesson.source,
            "mode": lesson.mode,
        },
        anonymous=anonymous,
    )
    committee_post(
        ctx,
        lesson,
        f"New lesson {lesson.ref} for triage: {lesson.title}",
        triage_buttons(lesson),
        f"lesson:{lesson.ref}:submitted",
    )
    return Submitted(lesson, receipt)


def find(ctx: Context, ref_or_receipt: str) -> Lesson:
    return find_by_ref_or_receipt(
        ref_or_receipt,
        ctx.uow.lessons.by_ref,
        ctx.uow.lessons.by_receipt_hash,
        "a lesson",
        "LL-2026-0001",
    )


def is_submitter(ctx: Context, lesson: Lesson) -> bool:
    return among_submitters(ctx, lesson.submitters)


def submitter_names(ctx: Context, lesson: Lesson) -> list[str]:
    found = [ctx.uow.staff.get(s.staff_id) for s in lesson.submitters]
    return [p.display_name for p in found if p is not None]


def may_see_confidential(ctx: Context, lesson: Lesson) -> bool:
    return is_submitter(ctx, lesson) or allowed(
        ctx.config, ctx.actor.roles, "lesson.see_confidential"
    )


def move(
    ctx: Context,
    lesson: Lesson,
    status: LessonStatus,
    action: str,
    *,
    reason: str | None = None,
    tell: str | None = None,
    **after: Any,
) -> None:
    """Change status, audit it, and tell the submitter `tell` (completing "Your lesson …")."""
    before = {"status": lesson.status}
    lesson.status = status.value
    lesson.status_changed_at = ctx.now
    lesson.updated_at = ctx.now
    if reason is not None:
        lesson.status_reason = reason
    record(
        ctx,
        entity_type="lesson",
        entity_ref=lesson.ref,
        action=action,
        before=before,
        after={"status": lesson.status, **after},
        reason=reason,
    )
    if tell:
        notice = submitter_notice(lesson, tell, reason)
        key = f"lesson:{lesson.ref}:{action}:{ctx.now.isoformat()}"
        ctx.enqueuer.to_people((s.staff_id for s in lesson.submitters), notice, key)


def require_status(lesson: Lesson, *statuses: LessonStatus) -> None:
    if lesson.status not in statuses:
        raise UserError(
            f"{lesson.ref} is now '{lesson.status.replace('_', ' ')}', so that "
            "can't be done any more. Open it again to see what can."
        )


def triage_accept(ctx: Context, lesson: Lesson, deidentified: bool, note: str | None) -> None:
    require_status(lesson, L.SUBMITTED)
    if not deidentified:
        raise FieldProblem(
            "deidentified",
            "Check the lesson holds no patient-identifiable "
            "information before it goes to committee.",
        )
    committee = ctx.config.committees[lesson.committee]
    move(
        ctx,
        lesson,
        L.TRIAGED,
        "triaged",
        reason=note,
        tell=f"has been checked and is going to the {committee.name}",
    )
    committee_post(
        ctx,
        lesson,
        f"{lesson.ref} is ready for the committee's decision",
        [Button("Decide tiers…", "lesson.decide", {"ref": lesson.ref}, "primary")],
        f"lesson:{lesson.ref}:triaged:{ctx.now.isoformat()}",
    )


def route(ctx: Context, lesson: Lesson, committee: str, reason: str) -> None:
    require_status(lesson, L.SUBMITTED)
    if committee == lesson.committee:
        raise FieldProblem("committee", "It is already with that committee.")
    old = lesson.committee
    lesson.committee = committee
    move(
        ctx,
        lesson,
        L.SUBMITTED,
        "routed",
        reason=reason,
        from_committee=old,
        to_committee=committee,
        tell=f"has been passed to the {ctx.config.committees[committee].name}",
    )
    committee_post(
        ctx,
        lesson,
        f"{lesson.ref} was routed here from {old} for triage",
        triage_buttons(lesson),
        f"lesson:{lesson.ref}:routed:{ctx.now.isoformat()}",
    )


def merge(ctx: Context, lesson: Lesson, into_ref: str, reason: str) -> Lesson:
    require_status(lesson, L.SUBMITTED)
    target = ctx.uow.lessons.by_ref(into_ref)
    if target is None or target.id == lesson.id:
        raise FieldProblem("merge_into", "Give the reference of another, existing lesson.")
    if target.status not in LESSON_OPEN:
        raise FieldProblem("merge_into", f"{target.ref} is closed: merge into an open lesson.")
    lesson.merged_into_id = target.id
    move(
        ctx,
        lesson,
        L.MERGED,
        "merged",
        reason=reason,
        merged_into=target.ref,
        tell=f"has been merged into {target.ref}, which covers the same learning",
    )
    return target


def not_progress(ctx: Context, lesson: Lesson, reason: str) -> None:
    require_status(lesson, L.SUBMITTED, L.TRIAGED, L.REOPENED)
    move(
        ctx,
        lesson,
        L.NOT_PROGRESSED,
        "not_progressed",
        reason=reason,
        tell="will not be progressed",
    )


def decide(ctx: Context, lesson: Lesson, tiers: list[int], rationale: str) -> None:
    require_status(lesson, L.TRIAGED, L.REOPENED)
    lesson.tiers = (
        sorted(set(lesson.tiers) | set(tiers))
        if lesson.status == L.REOPENED
        else sorted(set(tiers))
    )
    lesson.rationale = rationale
    tier_list = ", ".join(str(t) for t in sorted(tiers))
    move(
        ctx,
        lesson,
        L.DECIDED,
        "decided",
        tiers=sorted(tiers),
        tell=f"was decided by the committee: tier{'s' if len(tiers) > 1 else ''} {tier_list}",
    )
    refresh_search(ctx, lesson)


def assure(ctx: Context, lesson: Lesson, note: str) -> None:
    require_status(lesson, L.AWAITING_ASSURANCE)
    reaudits_open = any(
        a.status == ActionStatus.REAUDIT_SCHEDULED for a in ctx.uow.actions.for_lesson(lesson.id)
    )
    if reaudits_open:
        move(
            ctx,
            lesson,
            L.MONITORING,
            "assured",
            reason=note,
            tell="has been assured by the committee; a re-audit will confirm the change",
        )
    else:
        move(
            ctx,
            lesson,
            L.CLOSED,
            "closed",
            reason=note,
            tell="is closed: the change is made and the committee is assured",
        )


def reopen(ctx: Context, lesson: Lesson, reason: str) -> None:
    """Back before the committee (e.g. a failed re-audit): it decides again."""
    move(ctx, lesson, L.REOPENED, "reopened", reason=reason, tell="is back before the committee")
    committee_post(
        ctx,
        lesson,
        f"{lesson.ref} is back before the committee: {reason}",
        [Button("Decide tiers…", "lesson.decide", {"ref": lesson.ref}, "primary")],
        f"lesson:{lesson.ref}:reopened:{ctx.now.isoformat()}",
    )


def refresh_progress(ctx: Context, lesson: Lesson) -> None:
    """Roll the lesson forward from its actions: started, all done, re-audits finished."""
    actions = [
        a
        for a in ctx.uow.actions.for_lesson(lesson.id)
        if a.status not in (ActionStatus.CANCELLED, ActionStatus.DECLINED)
    ]
    started = any(a.status != ActionStatus.ASSIGNED for a in actions)
    all_done = bool(actions) and all(a.status in DONE for a in actions)
    if lesson.status == L.DECIDED and started and not all_done:
        move(ctx, lesson, L.IN_PROGRESS, "in_progress", tell="is being acted on")
    if lesson.status in (L.DECIDED, L.IN_PROGRESS) and all_done:
        move(
            ctx,
            lesson,
            L.AWAITING_ASSURANCE,
            "awaiting_assurance",
            tell="has had every action completed and verified; the committee will now "
            "review the assurance",
        )
        committee_post(
            ctx,
            lesson,
            f"{lesson.ref}: every action is verified; assurance due",
            [Button("Accept assurance…", "lesson.assure", {"ref": lesson.ref}, "primary")],
            f"lesson:{lesson.ref}:assurance:{ctx.now.isoformat()}",
        )
    if lesson.status == L.MONITORING and all(
        a.status != ActionStatus.REAUDIT_SCHEDULED for a in actions
    ):
        move(
            ctx,
            lesson,
            L.CLOSED,
            "closed",
            tell="is closed: the re-audit confirmed the change works",
        )
    refresh_search(ctx, lesson)


def refresh_search(ctx: Context, lesson: Lesson) -> None:
    lesson.search_text = lesson_search_text(
        lesson, list(ctx.uow.actions.for_lesson(lesson.id)), ctx.config
    )
