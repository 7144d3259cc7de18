"""Separation of duties as one table: for every decision, who may make it and who never may.

Nobody checks their own work (docs/domain.md). Every check of that rule, wherever a button is
drawn or pressed or a form submitted, asks `check` or `barred` here, so each rule is written
once: `DUTIES` is the table, and docs/separation-of-duties.md is generated from it
(`markdown`; tests/test_duties.py keeps the two the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from handlers.context import Context
from handlers.errors import UserError
from store.models import Action, ActionExtension, Alert, Idea, Lesson, Trend


class Relation(StrEnum):
    """How a person stands to a record in a way that makes their decision on it their own."""

    OWNER = "owner"
    SUBMITTER = "submitter"
    PUBLISHER = "publisher"
    CONTRIBUTOR = "contributor"


RELATION_WORDS = {
    Relation.OWNER: "owns the action",
    Relation.SUBMITTER: "submitted it (named or confidential; co-submitters too)",
    Relation.PUBLISHER: "published the alert",
    Relation.CONTRIBUTOR: "submitted one of its lessons (named or confidential; co-submitters too)",
}


class Decision(StrEnum):
    VERIFY = "action.verify"
    RETURN = "action.return"
    REAUDIT = "action.reaudit"
    REASSIGN = "action.reassign"
    CANCEL = "action.cancel"
    UNDO_CANCEL = "action.undo_cancel"
    EXTENSION = "action.extension"
    TRIAGE = "lesson.triage"
    DECIDE_TIERS = "lesson.decide"
    ASSURE = "lesson.assure"
    IDEA_DECISION = "idea.decide"
    ALERT_APPROVAL = "alert.approve"
    TREND_DECISION = "trend.decide"


@dataclass(frozen=True)
class Duty:
    decision: Decision
    what: str
    """The decision, in the words of the button or form."""
    who_may: str
    """Who may make it (their permission is checked first, by dispatch)."""
    never: tuple[Relation, ...]
    """Whoever stands in one of these relations to the record is refused."""
    refusal: str
    """What they are told; `{ref}` is the record."""


R = Relation
D = Decision
DUTIES: tuple[Duty, ...] = (
    Duty(
        D.VERIFY,
        "Verify a completed action",
        "its named verifier; if none (or they left), the committee's governance leads; "
        "if none of them can, its chair",
        (R.OWNER,),
        "You own {ref}, so someone else must verify it (its verifier, never the owner).",
    ),
    Duty(
        D.RETURN,
        "Send a completed action back (Not verified)",
        "whoever may verify it",
        (R.OWNER,),
        "You own {ref}, so someone else must decide whether it is verified "
        "(its verifier, never the owner).",
    ),
    Duty(
        D.REAUDIT,
        "Record the re-audit of a tier-1 action",
        "an audit lead (the action's named one is told)",
        (R.OWNER,),
        "You own {ref}, so another audit lead must record its re-audit.",
    ),
    Duty(
        D.REASSIGN,
        "Reassign a declined action",
        "the committee's governance leads or its chair",
        (R.OWNER,),
        "You declined {ref}, so the committee's governance lead or chair must reassign it.",
    ),
    Duty(
        D.CANCEL,
        "Cancel an action (with a reason)",
        "the committee's chair or one of its governance leads",
        (R.OWNER,),
        "You own {ref}, so the committee's chair or another governance lead must cancel it.",
    ),
    Duty(
        D.UNDO_CANCEL,
        "Undo a cancellation, within the undo window",
        "the committee's chair or one of its governance leads",
        (R.OWNER,),
        "You own {ref}, so the committee's chair or another governance lead must undo "
        "its cancellation.",
    ),
    Duty(
        D.EXTENSION,
        "Approve or decline an extension",
        "a member, chair or governance lead of the action's committee",
        (R.OWNER,),
        "You asked for this extension of {ref}, so someone else must decide it.",
    ),
    Duty(
        D.TRIAGE,
        "Triage a lesson (take to committee, route, merge, not progress, redact)",
        "a governance lead of the lesson's committee",
        (R.SUBMITTER,),
        "You submitted {ref}, so another governance lead must triage it.",
    ),
    Duty(
        D.DECIDE_TIERS,
        "Decide a lesson's tiers of action",
        "a member or chair of the lesson's committee",
        (R.SUBMITTER,),
        "You submitted {ref}, so another committee member must decide its tiers.",
    ),
    Duty(
        D.ASSURE,
        "Accept a lesson's assurance (its actions are done and verified)",
        "a member or chair of the lesson's committee",
        (R.SUBMITTER,),
        "You submitted {ref}, so another committee member must accept its assurance.",
    ),
    Duty(
        D.IDEA_DECISION,
        "Screen or decide an idea",
        "a member of the ideas panel",
        (R.SUBMITTER,),
        "You submitted {ref}, so another panel member must decide it.",
    ),
    Duty(
        D.ALERT_APPROVAL,
        "Approve or reject a critical alert (four eyes)",
        "an alert approver",
        (R.PUBLISHER,),
        "You published {ref}, so another approver must approve it or reject it (four-eyes).",
    ),
    Duty(
        D.TREND_DECISION,
        "Accept a trend as a theme (a response and its lead) or dismiss it (with a reason)",
        "a member, chair or governance lead of a committee the trend concerns",
        (R.CONTRIBUTOR,),
        "You submitted a lesson in {ref}, so another committee member must decide on it.",
    ),
)
BY_DECISION = {duty.decision: duty for duty in DUTIES}

Record = Action | ActionExtension | Lesson | Idea | Alert | Trend


def relations(staff_id: int | None, record: Record) -> frozenset[Relation]:
    """How `staff_id` stands to `record`. Anonymous submissions store no submitter, so nobody
    stands in any relation to them (docs/separation-of-duties.md says what that means)."""
    if staff_id is None:
        return frozenset()
    match record:
        case ActionExtension():
            return relations(staff_id, record.action)
        case Action():
            return frozenset({R.OWNER}) if record.owner_id == staff_id else frozenset()
        case Lesson() | Idea():
            mine = any(s.staff_id == staff_id for s in record.submitters)
            return frozenset({R.SUBMITTER}) if mine else frozenset()
        case Alert():
            return frozenset({R.PUBLISHER}) if record.publisher_id == staff_id else frozenset()
        case Trend():  # a submitter of any of its lessons
            mine = any(relations(staff_id, lesson) for lesson in record.lessons)
            return frozenset({R.CONTRIBUTOR}) if mine else frozenset()
    return frozenset()


def barred(decision: Decision, staff_id: int | None, record: Record) -> bool:
    """Whether the table forbids `staff_id` to make `decision` on `record`."""
    return not relations(staff_id, record).isdisjoint(BY_DECISION[decision].never)


def permits(ctx: Context, decision: Decision, record: Record) -> bool:
    """Whether the person acting may make `decision` on `record` as far as the table goes
    (their permission and the record's state are checked elsewhere)."""
    return not barred(decision, ctx.actor.staff_id, record)


def check(ctx: Context, decision: Decision, record: Record, ref: str) -> None:
    """Refuse, with the table's sentence, a decision the person acting may not make."""
    if not permits(ctx, decision, record):
        raise UserError(BY_DECISION[decision].refusal.format(ref=ref))


def markdown() -> str:
    """docs/separation-of-duties.md's table, generated from DUTIES."""
    rows = [
        "| decision | who may make it | who never may |",
        "|---|---|---|",
    ]
    for duty in DUTIES:
        never = "; ".join(f"whoever {RELATION_WORDS[r]}" for r in duty.never)
        rows.append(f"| {duty.what} (`{duty.decision.value}`) | {duty.who_may} | {never} |")
    return "\n".join(rows) + "\n"
