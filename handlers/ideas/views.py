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
    Tone,
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


SPONSOR_STATES = {
    "asked": "asked, not yet accepted",
    "accepted": "accepted",
    "declined": "declined",
}


def sponsor_label(idea: Idea, name: str | None) -> str:
    """ "Helen Roberts (asked, not yet accepted)": the sponsor and where their answer stands."""
    who = name or "someone no longer in the directory"
    state = SPONSOR_STATES.get(idea.sponsor_state or "")
    return f"{who} ({state})" if state else who


def sponsor_phrase(sponsor_state: str | None) -> str:
    """A sponsor's answer in a list line ("awaiting sponsor"), or "" when there is none."""
    return {
        "asked": "awaiting sponsor",
        "accepted": "sponsor accepted",
        "declined": "sponsor declined",
    }.get(sponsor_state or "", "")


def cost_label(idea: Idea) -> str:
    pounds = f"£{idea.cost_pounds:,}" if idea.cost_pounds is not None else "no figure given"
    return f"{pounds}: {idea.cost_detail}" if idea.cost_detail else pounds


def case_parts(idea: Idea) -> list[tuple[str, str]]:
    """The Big Idea's case as (label, text), as given (none for a Bright Idea that never had
    one)."""
    if not any((idea.scope, idea.resources, idea.cost_detail, idea.success_measures)):
        return []
    parts = [
        ("Scope", idea.scope),
        ("Resources needed", idea.resources),
        ("Estimated cost", cost_label(idea)),
        ("Measures of success", idea.success_measures),
    ]
    return [(label, value) for label, value in parts if value]


def business_case(idea: Idea) -> list[Block]:
    """The Big Idea's case on the card."""
    return [Text(f"{label}: {value}") for label, value in case_parts(idea)]


def idea_facts(
    idea: Idea,
    config: OrgConfig,
    *,
    submitter_names: Sequence[str] = (),
    may_see_confidential: bool = False,
    sponsor_name: str | None = None,
) -> list[Fact]:
    """What the card lists about an idea (the web's idea page lists the same): a confidential
    submitter named only when `may_see_confidential`, an anonymous one never."""
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
    if idea.sponsor_id is not None:
        facts.append(Fact("Sponsor", sponsor_label(idea, sponsor_name)))
    facts.append(Fact("Supporters", str(idea.support_count)))
    return facts


def idea_card(
    idea: Idea,
    config: OrgConfig,
    *,
    submitter_names: Sequence[str] = (),
    may_see_confidential: bool = False,
    panel_buttons: bool = False,
    extra_buttons: Sequence[Button] = (),
    history: Sequence[tuple[str, str]] = (),
    sponsor_name: str | None = None,
) -> list[Block]:
    """The full card. Panel buttons only where the viewer may decide (checked again on press)."""
    facts = idea_facts(
        idea,
        config,
        submitter_names=submitter_names,
        may_see_confidential=may_see_confidential,
        sponsor_name=sponsor_name,
    )
    blocks: list[Block] = [
        Heading(f"{idea.ref} · {KIND_LABELS.get(idea.kind, idea.kind)}: {idea.title}"),
        Facts(tuple(facts)),
        Text(f"Problem: {idea.problem}"),
        Text(f"Proposed change: {idea.proposed_change}"),
    ]
    if idea.benefit_detail:
        blocks.append(Text(f"Expected benefit: {idea.benefit_detail}"))
    blocks += business_case(idea)
    if idea.sponsor_state == "declined" and idea.sponsor_reason:
        blocks.append(Notice(f"The sponsor declined: {idea.sponsor_reason}", "warning"))
    if idea.decision_reason:
        blocks.append(Notice(f"Latest decision: {idea.decision_reason}", "info"))
    if history:
        blocks.append(SmallPrint(" · ".join(f"{when} {what}" for when, what in history)))
    sponsored = idea.sponsor_state == "accepted"
    buttons = [
        transition_button(idea, t)
        for t in available(idea.status, idea.kind, "panel", sponsored=sponsored)
    ]
    shown = [*(buttons if panel_buttons else []), *extra_buttons]
    if shown:
        blocks.append(Buttons(tuple(shown)))
    return blocks


def idea_items(
    ideas: Sequence[Idea], *, open_button: bool, empty_text: str = "No ideas here yet."
) -> Items:
    items = tuple(
        Item(
            title=idea.title,
            ref=idea.ref,
            detail=_item_detail(idea),
            buttons=(Button("Open", "idea.show", {"ref": idea.ref}),) if open_button else (),
        )
        for idea in ideas
    )
    return Items(items, empty_text=empty_text)


def _item_detail(idea: Idea) -> str:
    parts = [KIND_LABELS.get(idea.kind, idea.kind), status_label(idea.status)]
    answer = sponsor_phrase(idea.sponsor_state)
    if answer and idea.status != "awaiting_sponsor":  # the status says it already
        parts.append(answer)
    parts.append(f"{idea.support_count} supporter{'s' if idea.support_count != 1 else ''}")
    return " · ".join(parts)


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


SPONSOR_ACCEPT = "idea.sponsor_accept"
SPONSOR_DECLINE = "idea.sponsor_decline"


def sponsor_buttons(idea: Idea) -> list[Button]:
    """Accept first, the refusal last (it asks for a reason before anything happens)."""
    value = {"ref": idea.ref}
    return [
        Button("Accept sponsorship", SPONSOR_ACCEPT, value, style="primary"),
        Button(
            "Decline…",
            SPONSOR_DECLINE,
            value,
            style="danger",
            confirm=f"Decline to sponsor {idea.ref}? You are asked why next.",
        ),
    ]


def sponsor_request(
    idea: Idea, config: OrgConfig, sponsor_name: str, submitter_names: Sequence[str]
) -> Reply:
    """What the named sponsor receives: the idea and its case, with Accept / Decline…."""
    text = (
        f"You have been named as the sponsor of the Big Idea {idea.ref}. A sponsor champions "
        "the idea and helps find what it needs. It goes to the ideas panel only once you accept."
    )
    card = idea_card(idea, config, submitter_names=submitter_names, sponsor_name=sponsor_name)
    blocks: list[Block] = [
        Heading(f"Will you sponsor {idea.ref}?"),
        Notice(text, "info"),
        *card,
        Buttons(tuple(sponsor_buttons(idea))),
        SmallPrint(f"Open it again any time with /idea status {idea.ref} or /qi mine."),
    ]
    return Reply(summary=f"Will you sponsor {idea.ref}: {idea.title}?", blocks=tuple(blocks))


def sponsor_outcome(idea: Idea, sponsor_name: str, *, for_panel: bool) -> Reply:
    """What the submitter (or the panel) is told when the sponsor answers."""
    if idea.sponsor_state == "accepted":
        next_step = (
            "It is back with the panel for review."
            if idea.status == "promoted"
            else "It now goes to the ideas panel for screening."
        )
        headline = f"{sponsor_name} accepted to sponsor {idea.ref}. {next_step}"
        tone: Tone = "success"
    else:
        headline = (
            f"{sponsor_name} declined to sponsor {idea.ref}, so it goes back to the ideas "
            "panel as a Bright Idea."
        )
        tone = "warning"
    what = headline if for_panel else f"Your idea: {headline}"
    blocks: list[Block] = [Heading(f"{idea.ref}: {idea.title}"), Notice(what, tone)]
    if idea.sponsor_reason:
        blocks.append(Text(f"Reason: {idea.sponsor_reason}"))
    if not for_panel:
        blocks.append(SmallPrint(f"Follow it any time with /idea status {idea.ref}"))
    return Reply(summary=what, blocks=tuple(blocks))
