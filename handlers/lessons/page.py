"""A lesson's web page, as its reader may see it: the same decisions as the chat's card
(handlers/lessons/cards.py), through the same rules (handlers/visibility.py), drawn as plain
data the web adapter turns into HTML.

One lesson a person may not read is answered exactly as one that does not exist (None): the
references are sequential, so any other answer would confirm that it does.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers import visibility
from handlers.actions.lifecycle import DONE, RAG_LABELS, Rag
from handlers.actions.lifecycle import status_label as action_status_label
from handlers.actions.service import today
from handlers.actions.views import action_rag
from handlers.context import Context
from handlers.lessons import service
from handlers.lessons.lifecycle import status_label
from handlers.lessons.links import LESSON_REF
from handlers.lessons.views import source_label, tier_label, tiers_label, units_label
from handlers.submission import submitted_by_label
from store.models import Action, Lesson


@dataclass(frozen=True)
class ActionLine:
    """One action as the page lists it: what, tier and its strength, status and RAG."""

    ref: str
    description: str
    tier: str
    status: str
    rag: Rag
    rag_label: str
    due: str
    owner: str


@dataclass(frozen=True)
class Change:
    """A verified action's change and its evidence: what changed because of the lesson."""

    ref: str
    tier: str
    change: str
    evidence: str


@dataclass(frozen=True)
class LessonPage:
    ref: str
    title: str
    status: str
    facts: list[tuple[str, str]]
    what_happened: str
    what_learned: str
    changes: list[Change]
    actions: list[ActionLine]
    committee_notes: list[tuple[str, str]]
    """The committee's own notes: empty unless visibility.reads_committee_notes says so."""
    reporter_message: str | None
    escalated: bool


def lesson_page(ctx: Context, ref: str) -> LessonPage | None:
    """The page for `ref`, or None when there is no such lesson for this reader (malformed,
    missing, or not theirs to read: one answer for all three)."""
    ref = ref.upper()  # as chat reads ll-2026-0001
    if LESSON_REF.fullmatch(ref) is None:
        return None
    lesson = ctx.uow.lessons.by_ref(ref)
    if lesson is None or not visibility.may_read(ctx.config, ctx.actor, lesson):
        return None
    actions = ctx.uow.actions.for_lesson(lesson.id)
    pending = ctx.uow.actions.pending_extension_ids([a.id for a in actions])
    committee = visibility.reads_committee_notes(ctx, lesson)
    on = today(ctx)
    lines = []
    for action in actions:
        colour = action_rag(action, on, action.id in pending)
        lines.append(
            ActionLine(
                ref=action.ref,
                description=action.description,
                tier=tier_label(ctx.config, action.tier),
                status=action_status_label(action.status),
                rag=colour,
                rag_label=RAG_LABELS[colour],
                due=f"{action.due_date:%d %b %Y}",
                owner=action.owner.display_name,
            )
        )
    notes = [
        (label, text)
        for label, text in (
            ("Committee rationale", lesson.rationale),
            ("Committee note", lesson.committee_note),
        )
        if committee and text
    ]
    shows_message = committee or service.is_submitter(ctx, lesson)
    return LessonPage(
        ref=lesson.ref,
        title=lesson.title,
        status=status_label(lesson.status),
        facts=_facts(ctx, lesson),
        what_happened=lesson.what_happened,
        what_learned=lesson.what_learned,
        changes=[_change(ctx, a) for a in actions if a.status in DONE],
        actions=lines,
        committee_notes=notes,
        reporter_message=lesson.reporter_message if shows_message else None,
        escalated=lesson.tier5_at is not None,
    )


def _facts(ctx: Context, lesson: Lesson) -> list[tuple[str, str]]:
    """The card's facts, for a private view (a page is read by one person)."""
    config = ctx.config
    committee = config.committees.get(lesson.committee)
    names = [] if lesson.mode == "anonymous" else service.submitter_names(ctx, lesson)
    facts = [
        ("Reference", lesson.ref),
        ("Status", status_label(lesson.status)),
        ("Source", source_label(config, lesson.source)),
        ("Committee", committee.name if committee else lesson.committee),
        (
            "Submitted by",
            submitted_by_label(lesson.mode, names, service.may_see_confidential(ctx, lesson)),
        ),
        ("Sites and departments", units_label(config, lesson)),
    ]
    if lesson.process:
        facts.append(("Process", config.processes.get(lesson.process, lesson.process)))
    if lesson.srg:
        facts.append(("Site Reference Group", config.srgs.get(lesson.srg, lesson.srg)))
    if lesson.harm_level:
        facts.append(("Harm", config.harm_levels.get(lesson.harm_level, lesson.harm_level)))
    if lesson.source_refs:
        facts.append(("References", ", ".join(lesson.source_refs)))
    if lesson.tiers:
        facts.append(("Tiers", tiers_label(config, lesson.tiers)))
    return facts


def _change(ctx: Context, action: Action) -> Change:
    return Change(
        ref=action.ref,
        tier=tier_label(ctx.config, action.tier),
        change=action.change or action.description,
        evidence=action.evidence or "",
    )
