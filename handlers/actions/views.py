"""How actions look: a list line with its RAG colour, the full card, and notices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from handlers.actions.lifecycle import RAG_LABELS, Rag, rag, status_label
from handlers.config import OrgConfig
from messages.view import (
    Block,
    Button,
    Buttons,
    Fact,
    Facts,
    Heading,
    Item,
    Notice,
    SmallPrint,
    Text,
)
from store.models import Action

RAG_MARKS = {
    Rag.RED: "RED",
    Rag.AMBER: "AMBER",
    Rag.GREEN: "GREEN",
    Rag.BLUE: "BLUE",
    Rag.GREY: "GREY",
}


def short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def action_rag(action: Action, today: date, pending: bool) -> Rag:
    return rag(action.status, action.due_date, today, extension_pending=pending)


def action_item(action: Action, today: date, pending: bool, *, owner: bool = True) -> Item:
    colour = action_rag(action, today, pending)
    mark = "DECLINED: to reassign" if action.status == "declined" else RAG_MARKS[colour]
    detail = f"{mark} · tier {action.tier} · due {action.due_date:%d %b %Y}"
    if owner:
        detail += f" · {action.owner.display_name}"
    return Item(
        short(action.description),
        action.ref,
        detail,
        (Button("Open", "action.show", {"ref": action.ref}),),
    )


def action_card(
    action: Action,
    config: OrgConfig,
    today: date,
    *,
    pending: bool,
    names: dict[int, str],
    verifier: str = "The committee's governance lead",
    buttons: Sequence[Button] = (),
) -> list[Block]:
    """Everything about one action; `names` maps staff ids to display names, and `verifier`
    says who verifies when no usable verifier is named (the fallback, by name)."""
    tier = config.tier(action.tier)
    colour = action_rag(action, today, pending)
    facts = [
        Fact("Lesson", f"{action.lesson.ref}: {action.lesson.title}"),
        Fact("Status", status_label(action.status)),
        Fact("RAG", RAG_LABELS[colour]),
        Fact("Owner", action.owner.display_name),
        Fact("Due", f"{action.due_date:%d %b %Y}"),
        Fact("Measure of success", action.measure or "None given"),
        Fact("Verifier", names.get(action.verifier_id or 0, verifier)),
    ]
    if action.tier == 1:
        facts += [
            Fact("The change", action.change or ""),
            Fact(
                "Re-audit", f"{action.reaudit_date:%d %b %Y}" if action.reaudit_date else "not set"
            ),
            Fact("Audit lead", names.get(action.audit_lead_id or 0, "")),
        ]
    elif action.tier == 2:
        audiences = ", ".join(config.audiences.get(a, a) for a in action.audiences)
        facts += [Fact("Audiences", audiences), Fact("Channel", action.comms_channel or "")]
    elif action.tier == 3:
        facts.append(Fact("Process", config.processes.get(action.process or "", "")))
    elif action.tier == 4:
        facts += [
            Fact("Subject expert", names.get(action.expert_id or 0, "")),
            Fact("Cognitive aid", action.cognitive_aid or ""),
        ]
    blocks: list[Block] = [
        Heading(f"{action.ref} · Tier {tier.number}: {short(action.description, 100)}"),
        Facts(tuple(facts)),
    ]
    if len(action.description) > 100:
        blocks.append(Text(action.description))
    if action.status_reason and action.status_reason != action.reaudit_notes:
        blocks.append(Notice(action.status_reason, "warning" if colour == Rag.RED else "info"))
    if action.evidence:
        blocks.append(Text(f"Evidence: {action.evidence}"))
    if action.reaudit_result:
        verdict = "passed" if action.reaudit_result == "pass" else "failed"
        blocks.append(Text(f"Re-audit {verdict}: {action.reaudit_notes or ''}"))
    history = [
        f"{e.created_at:%d %b}: asked for {e.requested_until:%d %b %Y} ({e.status})"
        for e in action.extensions
    ]
    if history:
        blocks.append(SmallPrint("Extensions: " + "; ".join(history)))
    if buttons:
        blocks.append(Buttons(tuple(buttons)))
    return blocks
