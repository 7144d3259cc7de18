"""Lesson operations: submit, triage, decide, assure, and the roll-up from its actions.

Every change appends to the audit log and tells the submitter (anonymous submitters follow
with their receipt), in the caller's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from handlers import cards, people, visibility
from handlers.actions.lifecycle import DONE, ActionStatus
from handlers.audit import record
from handlers.context import Context
from handlers.errors import FieldProblem, StaleCard
from handlers.lessons.lifecycle import LESSON_OPEN, LessonStatus
from handlers.lessons.redaction import scrub_outbox
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
        Button(
            "Not progressed…",
            "lesson.triage",
            {**value, "to": "not_progressed"},
            "danger",
            f"Close {lesson.ref} as not progressed? The reporter is told why.",
        ),
        Button("Redact…", "lesson.triage", {**value, "to": "redact"}),
    ]


def committee_post(
    ctx: Context, lesson: Lesson, headline: str, buttons: list[Button], key: str
) -> None:
    """Post a lesson to its committee's channel (identity hidden unless named). Before triage
    the post carries no title or text: the channel's members are not all governance leads."""
    channel = people.channel_of(ctx, lesson.committee)
    if channel is None:
        return
    names = submitter_names(ctx, lesson) if lesson.mode == "named" else []
    today = ctx.calendar.local(ctx.now).date()
    checked = lesson.triaged_at is not None
    if not checked:
        buttons = [*buttons, Button("Open", "lesson.show", {"ref": lesson.ref})]
    card = lesson_card(
        lesson,
        ctx.config,
        today,
        submitter_names=names,
        show_text=checked,
        show_notes=True,  # the committee's own channel
        show_message=True,
        buttons=buttons,
    )
    blocks = [Notice(headline, "info"), *card]
    reply = Reply(summary=headline, blocks=tuple(blocks))
    ctx.enqueuer.to_channel(channel, reply, key, card=cards.key("lesson", lesson.ref))


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
        f"New lesson {lesson.ref} for triage",
        triage_buttons(lesson),
        f"lesson:{lesson.ref}:submitted",
    )
    return Submitted(lesson, receipt)


def find(ctx: Context, ref_or_receipt: str) -> Lesson:
    """The lesson by reference (if this person may read it) or by receipt (whoever holds the
    receipt submitted it). One they may not read is answered as one that does not exist."""
    return find_by_ref_or_receipt(
        ref_or_receipt,
        lambda ref: readable(ctx, ctx.uow.lessons.by_ref(ref)),
        ctx.uow.lessons.by_receipt_hash,
        "a lesson",
        "LL-2026-0001",
    )


def readable(ctx: Context, lesson: Lesson | None) -> Lesson | None:
    return lesson if lesson is not None and visibility.can_read(ctx, lesson) else None


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
    message: str | None = None,
    note: str | None = None,
    tell: str | None = None,
    **after: Any,
) -> None:
    """Change status, audit it, and tell the submitter `tell` (completing "Your lesson …")
    with `message`, the text written to them. `note` is the committee's own and is never
    sent to the submitter."""
    before = {"status": lesson.status}
    lesson.status = status.value
    lesson.status_changed_at = ctx.now
    lesson.updated_at = ctx.now
    if message:
        lesson.reporter_message = message
        after["message_to_reporter"] = message
    if note:
        lesson.committee_note = note
    record(
        ctx,
        entity_type="lesson",
        entity_ref=lesson.ref,
        action=action,
        before=before,
        after={"status": lesson.status, **after},
        reason=note,
    )
    if tell:
        notice = submitter_notice(lesson, tell, message)
        key = f"lesson:{lesson.ref}:{action}:{ctx.now.isoformat()}"
        ctx.enqueuer.to_people((s.staff_id for s in lesson.submitters), notice, key)


def require_status(lesson: Lesson, *statuses: LessonStatus) -> None:
    if lesson.status not in statuses:
        raise StaleCard(
            "lesson",
            lesson.ref,
            f"{lesson.ref} is now '{lesson.status.replace('_', ' ')}', so that "
            "can't be done any more. Open it again to see what can.",
        )


REDACTABLE = ("title", "what_happened", "what_learned")
"""The lesson's own text, which a governance lead may edit at triage."""


def redact(ctx: Context, lesson: Lesson, edits: Mapping[str, Any]) -> list[str]:
    """Replace the lesson's text with the governance lead's edit so that the original exists
    nowhere QI Hub keeps it: not in the lesson, its search index, or any outbox message that
    quoted it (delivered ones are replaced on Slack and Teams too). The audit records who
    redacted which fields, never the text. Returns the fields changed."""
    require_status(lesson, L.SUBMITTED)
    originals: dict[str, str] = {}
    for field in REDACTABLE:
        new = edits.get(field)
        old: str = getattr(lesson, field)
        if isinstance(new, str) and new.strip() and new.strip() != old:
            originals[field] = old
            setattr(lesson, field, new.strip())
    if not originals:
        return []
    lesson.updated_at = ctx.now
    refresh_search(ctx, lesson)
    ctx.uow.flush()
    ctx.uow.search.forget_deleted_text()
    scrub_outbox(ctx, lesson.ref, [(old, getattr(lesson, f)) for f, old in originals.items()])
    fields = sorted(originals)
    record(
        ctx,
        entity_type="lesson",
        entity_ref=lesson.ref,
        action="redacted",
        after={"fields": fields},
    )
    return fields


def triage_accept(
    ctx: Context,
    lesson: Lesson,
    deidentified: bool,
    *,
    note: str | None = None,
    message: str | None = None,
    edits: Mapping[str, Any] | None = None,
) -> None:
    require_status(lesson, L.SUBMITTED)
    if not deidentified:
        raise FieldProblem(
            "deidentified",
            "Check the lesson holds no patient-identifiable "
            "information before it goes to committee.",
        )
    redact(ctx, lesson, edits or {})
    committee = ctx.config.committees[lesson.committee]
    lesson.triaged_at = ctx.now
    move(
        ctx,
        lesson,
        L.TRIAGED,
        "triaged",
        message=message,
        note=note,
        tell=f"has been checked and is going to the {committee.name}",
    )
    committee_post(
        ctx,
        lesson,
        f"{lesson.ref} is ready for the committee's decision",
        [Button("Decide tiers…", "lesson.decide", {"ref": lesson.ref}, "primary")],
        f"lesson:{lesson.ref}:triaged:{ctx.now.isoformat()}",
    )


def route(
    ctx: Context,
    lesson: Lesson,
    committee: str,
    *,
    note: str | None = None,
    message: str | None = None,
) -> None:
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
        message=message,
        note=note,
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


def merge(
    ctx: Context, lesson: Lesson, into_ref: str, *, message: str, note: str | None = None
) -> Lesson:
    require_status(lesson, L.SUBMITTED)
    target = readable(ctx, ctx.uow.lessons.by_ref(into_ref))
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
        message=message,
        note=note,
        merged_into=target.ref,
        tell=f"has been merged into {target.ref}, which covers the same learning",
    )
    return target


def not_progress(ctx: Context, lesson: Lesson, *, message: str, note: str | None = None) -> None:
    require_status(lesson, L.SUBMITTED, L.TRIAGED, L.REOPENED)
    move(
        ctx,
        lesson,
        L.NOT_PROGRESSED,
        "not_progressed",
        message=message,
        note=note,
        tell="will not be progressed",
    )


def decide(
    ctx: Context, lesson: Lesson, tiers: list[int], rationale: str, message: str | None = None
) -> None:
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
        message=message,
        tiers=sorted(tiers),
        tell=f"was decided by the committee: tier{'s' if len(tiers) > 1 else ''} {tier_list}",
    )
    refresh_search(ctx, lesson)


def assure(ctx: Context, lesson: Lesson, note: str, message: str | None = None) -> None:
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
            note=note,
            message=message,
            tell="has been assured by the committee; a re-audit will confirm the change",
        )
    else:
        move(
            ctx,
            lesson,
            L.CLOSED,
            "closed",
            note=note,
            message=message,
            tell="is closed: the change is made and the committee is assured",
        )


def reopen(ctx: Context, lesson: Lesson, reason: str) -> None:
    """Back before the committee (e.g. a failed re-audit): it decides again."""
    move(ctx, lesson, L.REOPENED, "reopened", note=reason, tell="is back before the committee")
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
    if lesson.status in (L.AWAITING_ASSURANCE, L.MONITORING) and not all_done:
        # An action came back (a cancellation undone, a declined one reassigned): the lesson
        # is being acted on again, not awaiting assurance on work that is not done.
        move(ctx, lesson, L.IN_PROGRESS, "in_progress")
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
