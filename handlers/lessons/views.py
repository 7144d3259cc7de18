"""How lessons look: the card (with its actions), list lines and what submitters are told."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from handlers.actions.views import action_item
from handlers.config import OrgConfig
from handlers.lessons.forms import STRENGTH_LABELS
from handlers.lessons.lifecycle import status_label
from handlers.lessons.links import lesson_url
from handlers.submission import submitted_by_label
from messages.view import (
    Block,
    Button,
    Buttons,
    Fact,
    Facts,
    Heading,
    Item,
    Items,
    Notice,
    Reply,
    SmallPrint,
    Text,
)
from store.models import Action, Lesson

UNTRIAGED_HIDDEN = (
    "Not shown here until a governance lead has checked it for patient data: "
    "governance leads open it to read it."
)


def source_label(config: OrgConfig, code: str) -> str:
    source = config.lesson_sources.get(code)
    return source.label if source else code


def units_label(config: OrgConfig, lesson: Lesson) -> str:
    names = [config.sites[c].name for c in lesson.units("site") if c in config.sites]
    names += [
        config.departments[c].name for c in lesson.units("department") if c in config.departments
    ]
    return ", ".join(names) or "Not given"


def tier_label(config: OrgConfig, number: int) -> str:
    """A tier of the five-tier hierarchy with its name and strength, as chat shows it."""
    tier = config.tier(number)
    return f"{number} · {tier.name} ({STRENGTH_LABELS[tier.strength]})"


def tiers_label(config: OrgConfig, tiers: Sequence[int]) -> str:
    return "; ".join(tier_label(config, n) for n in sorted(tiers))


def lesson_item(lesson: Lesson, config: OrgConfig, today: date) -> Item:
    days = (today - lesson.status_changed_at.date()).days
    committee = config.committees.get(lesson.committee)
    detail = (
        f"{committee.domain if committee else lesson.committee} · {status_label(lesson.status)}"
    )
    detail += f" · {days} day{'s' if days != 1 else ''} in this state"
    return Item(
        lesson.title, lesson.ref, detail, (Button("Open", "lesson.show", {"ref": lesson.ref}),)
    )


def lesson_card(
    lesson: Lesson,
    config: OrgConfig,
    today: date,
    *,
    submitter_names: Sequence[str] = (),
    may_see_confidential: bool = False,
    show_text: bool = True,
    show_notes: bool = False,
    show_message: bool = False,
    actions: Sequence[Action] = (),
    pending: set[int] | None = None,
    buttons: Sequence[Button] = (),
    web_link: bool = True,
) -> list[Block]:
    """The lesson as one reader may see it (handlers/visibility.py decides): `show_text`
    False draws no title or free text (an untriaged lesson in a shared place), `show_notes`
    the committee's own notes, `show_message` what the reporter was told. `web_link` adds
    the lesson's web page, which asks the same question again of whoever opens it."""
    committee = config.committees.get(lesson.committee)
    facts = [
        Fact("Status", status_label(lesson.status)),
        Fact("Source", source_label(config, lesson.source)),
        Fact("Committee", committee.name if committee else lesson.committee),
        Fact(
            "Submitted by",
            submitted_by_label(lesson.mode, list(submitter_names), may_see_confidential),
        ),
        Fact("Where", units_label(config, lesson)),
    ]
    if lesson.process:
        facts.append(Fact("Process", config.processes.get(lesson.process, lesson.process)))
    if lesson.srg:
        facts.append(Fact("Site Reference Group", config.srgs.get(lesson.srg, lesson.srg)))
    if lesson.harm_level:
        facts.append(Fact("Harm", config.harm_levels.get(lesson.harm_level, lesson.harm_level)))
    if lesson.source_refs:
        facts.append(Fact("References", ", ".join(lesson.source_refs)))
    if lesson.tiers:
        facts.append(Fact("Tiers", tiers_label(config, lesson.tiers)))
    blocks: list[Block] = [
        Heading(f"{lesson.ref} · {lesson.title if show_text else 'awaiting triage'}"),
        Facts(tuple(facts)),
    ]
    if show_text:
        blocks += [
            Text(f"What happened: {lesson.what_happened}"),
            Text(f"What we learned: {lesson.what_learned}"),
        ]
    else:
        blocks.append(SmallPrint(UNTRIAGED_HIDDEN))
    if show_notes and lesson.rationale:
        blocks.append(Text(f"Committee rationale (committee only): {lesson.rationale}"))
    if show_notes and lesson.committee_note:
        blocks.append(Text(f"Committee note (committee only): {lesson.committee_note}"))
    if show_message and lesson.reporter_message:
        blocks.append(Notice(f"Message to the reporter: {lesson.reporter_message}", "info"))
    if lesson.tier5_at is not None:
        blocks.append(
            Notice("Escalated to tier 5: the executive on-call group was convened.", "warning")
        )
    if actions:
        pending = pending or set()
        blocks.append(Items(tuple(action_item(a, today, a.id in pending) for a in actions)))
    if web_link:
        blocks.append(SmallPrint(f"On the web: {lesson_url(config, lesson.ref)}"))
    if buttons:
        blocks.append(Buttons(tuple(buttons)))
    return blocks


def submitter_notice(lesson: Lesson, headline: str, message: str | None = None) -> Reply:
    """What a submitter is told at each step: the status and the message written to them,
    never the committee's notes (anonymous submitters follow with their receipt)."""
    text = f"Your lesson {lesson.ref} {headline}."
    blocks: list[Block] = [
        Heading(f"{lesson.ref}: {lesson.title}"),
        Notice(text, "info"),
        Facts((Fact("Status", status_label(lesson.status)),)),
    ]
    if message:
        blocks.append(Text(f"Message from the committee: {message}"))
    blocks.append(SmallPrint(f"Follow it any time with /lesson status {lesson.ref}"))
    return Reply(summary=text, blocks=tuple(blocks))
