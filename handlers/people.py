"""Who to tell: committee governance leads, chairs, role holders and line managers, as staff ids."""

from __future__ import annotations

from handlers.context import Context


def governance_leads(ctx: Context, committee: str) -> list[int]:
    key = f"governance_leads:{committee}"
    if key not in ctx.memo:
        found = ctx.config.committees.get(committee)
        emails = found.governance_leads if found else []
        ctx.memo[key] = [s.id for s in ctx.uow.staff.by_emails(emails) if s.active]
    leads: list[int] = ctx.memo[key]
    return leads


def chair(ctx: Context, committee: str) -> list[int]:
    found = ctx.config.committees.get(committee)
    if found is None:
        return []
    return [s.id for s in ctx.uow.staff.by_emails([found.chair]) if s.active]


def holders(ctx: Context, role: str) -> list[int]:
    return [s.id for s in ctx.uow.staff.with_role(role)]


def channel_of(ctx: Context, committee: str) -> str | None:
    found = ctx.config.committees.get(committee)
    return found.channel if found else None


def name_of(ctx: Context, staff_id: int | None) -> str:
    if staff_id is None:
        return ""
    person = ctx.uow.staff.get(staff_id)
    return person.display_name if person else ""
