"""Writing the audit trail: every state change and decision, with actor, time and platform."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handlers import cards
from store.models import AuditEntry

if TYPE_CHECKING:
    from handlers.context import Context


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    return str(value)


def describe_change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """An entry's before and after as people read them: "status: submitted → eligible", one
    line per field that changed; a field only set says its value ("owner: tom@…")."""
    before, after = before or {}, after or {}
    lines: list[str] = []
    for key in dict.fromkeys([*before, *after]):
        label = key.replace("_", " ")
        if key not in before:
            lines.append(f"{label}: {_shown(after[key])}")
        elif key not in after:
            lines.append(f"{label}: {_shown(before[key])} → (removed)")
        elif before[key] != after[key]:
            lines.append(f"{label}: {_shown(before[key])} → {_shown(after[key])}")
    return lines


def record(
    ctx: Context,
    *,
    entity_type: str,
    entity_ref: str,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    anonymous: bool = False,
    by_system: bool = False,
    redraws: bool = True,
) -> None:
    """Append one audit entry in the caller's unit of work (so it commits with the change).

    `anonymous=True` records no actor at all: anonymous submissions keep no identity anywhere.
    `by_system=True` is for what a rule did (a trend raised) during someone's request: it
    records the system, so the person whose request it was is not named beside it.
    `redraws=False`: the change shows on none of the record's cards (handlers/cards.py), so
    they are not drawn again (an acknowledgement of an alert, which a whole trust may make
    within seconds).
    """
    if anonymous:
        actor_id, label = None, "anonymous"
    elif by_system or ctx.actor.staff_id is None:
        actor_id, label = None, "system"
    else:
        actor_id, label = ctx.actor.staff_id, "staff"
    ctx.uow.audit.append(
        AuditEntry(
            at=ctx.now,
            actor_id=actor_id,
            actor_label=label,
            platform=ctx.platform,
            entity_type=entity_type,
            entity_ref=entity_ref,
            action=action,
            before=before,
            after=after,
            reason=reason,
        )
    )
    if redraws:
        cards.changed(ctx, entity_type, entity_ref)
