"""How ideas look, as neutral view models: the card, the lists and the notifications."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.config import OrgConfig
from handlers.ideas.forms import KIND_LABELS, TRUST_WIDE
from handlers.ideas.lifecycle import Transition, available, status_label
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
from store.models import Idea

PAGE_SIZE = 10


def area_label(config: OrgConfig, code: str | None) -> str:
    if not code:
        return "Not given"
    if code == TRUST_WIDE:
        return "Trust-wide"
    dept = config.departments.get(code)
    return dept.name if dept else code


def transition_button(idea: Idea, transition: Transition) -> Button:
    """A panel decision; one that ends the idea asks first (it is told to the submitter)."""
    ends = transition.name in ("not_eligible", "not_progress")
    return Button(
        transition.button,
        "idea.decide",
        {"ref": idea.ref, "to": transition.name},
        style=transition.style,
        confirm=f"{transition.button} for {idea.ref}? The submitter is told." if ends else "",
    )


def idea_card(
    idea: Idea,
    config: OrgConfig,
    *,
    submitter_names: Sequence[str] = (),
    may_see_confidential: bool = False,
    panel_buttons: bool = False,
    extra_buttons: Sequence[Button] = (),
    history: Sequence[tuple[str, str]] = (),
) -> list[Block]:
    """The full card. Panel buttons only where the viewer may decide (checked again on press)."""
    facts = [
        Fact("Status", status_label(idea.status)),
        Fact(
            "Submitted by",
            submitted_by_label(idea.mode, list(submitter_names), may_see_confidential),
        ),
        Fact("Area", area_label(config, idea.area)),
    ]
    if idea.srg:
        facts.append(Fact("Site Reference Group", config.srgs.get(idea.srg, idea.srg)))
    if idea.expected_benefits:
        labels = {b.lower(): b for b in config.ideas.benefits}
        facts.append(Fact("Benefits", ", ".join(labels.get(b, b) for b in idea.expected_benefits)))
    facts.append(Fact("Supporters", str(idea.support_count)))
    blocks: list[Block] = [
        Heading(f"{idea.ref} · {KIND_LABELS.get(idea.kind, idea.kind)}: {idea.title}"),
        Facts(tuple(facts)),
        Text(f"Problem: {idea.problem}"),
        Text(f"Proposed change: {idea.proposed_change}"),
    ]
    if idea.benefit_detail:
        blocks.append(Text(f"Expected benefit: {idea.benefit_detail}"))
    if idea.decision_reason:
        blocks.append(Notice(f"Latest decision: {idea.decision_reason}", "info"))
    if history:
        blocks.append(SmallPrint(" · ".join(f"{when} {what}" for when, what in history)))
    buttons = [transition_button(idea, t) for t in available(idea.status, idea.kind, "panel")]
    shown = [*(buttons if panel_buttons else []), *extra_buttons]
    if shown:
        blocks.append(Buttons(tuple(shown)))
    return blocks


def idea_items(ideas: Sequence[Idea], *, open_button: bool) -> Items:
    items = tuple(
        Item(
            title=idea.title,
            ref=idea.ref,
            detail=f"{KIND_LABELS.get(idea.kind, idea.kind)} · {status_label(idea.status)}"
            f" · {idea.support_count} supporter{'s' if idea.support_count != 1 else ''}",
            buttons=(Button("Open", "idea.show", {"ref": idea.ref}),) if open_button else (),
        )
        for idea in ideas
    )
    return Items(items, empty_text="No ideas here yet.")


def pager(command: str, page: int, total: int, value: dict[str, str]) -> list[Block]:
    pages = max(1, -(-total // PAGE_SIZE))
    buttons = []
    if page > 1:
        buttons.append(Button("Previous", command, {**value, "page": str(page - 1)}))
    if page < pages:
        buttons.append(Button("Next page", command, {**value, "page": str(page + 1)}))
    blocks: list[Block] = [SmallPrint(f"Page {page} of {pages} · {total} in all")]
    if buttons:
        blocks.append(Buttons(tuple(buttons)))
    return blocks


def decision_notice(idea: Idea, transition: Transition, reason: str | None, how: str) -> Reply:
    """What a submitter receives when their idea moves on."""
    headline = f"Your idea {idea.ref} {transition.headline}."
    blocks: list[Block] = [
        Heading(f"{idea.ref}: {idea.title}"),
        Notice(headline, "success" if transition.style == "primary" else "info"),
        Facts((Fact("Status", status_label(idea.status)),)),
    ]
    if reason:
        blocks.append(Text(f"Reason: {reason}"))
    if how:
        blocks.append(Text(how))
    blocks.append(SmallPrint(f"Follow it any time with /idea status {idea.ref}"))
    return Reply(summary=headline, blocks=tuple(blocks))
