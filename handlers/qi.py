"""/qi: help for everything the registry offers a person, and the audit trail for admins."""

from __future__ import annotations

from handlers.config import OrgConfig
from handlers.context import Context
from handlers.permissions import allowed
from handlers.registry import Command, Invocation, Registry, Subcommand
from messages.view import Block, Fact, Facts, Heading, Reply, Response, Text
from messages.view import Context as SmallPrint


def help_reply(ctx: Context, _invocation: Invocation) -> Response:
    """Only what this person may use: a clinician should not wade through panel commands."""
    blocks: list[Block] = [Heading("QI Hub: what you can do")]
    for command in ctx.registry.commands.values():
        usable = [
            sub
            for sub in command.subcommands
            if sub.name != "help" and allowed(ctx.config, ctx.actor.roles, sub.permission)
        ]
        if not usable:
            continue
        blocks.append(Text(f"{command.summary}:"))
        blocks.extend(Text(f"  {sub.usage}: {sub.summary}") for sub in usable)
    blocks.append(SmallPrint("Please never include patient-identifiable details."))
    return Reply(summary="QI Hub help", blocks=tuple(blocks), ephemeral=True)


def audit_trail(ctx: Context, invocation: Invocation) -> Response:
    ref = invocation.args.strip().upper()
    entity = ref.split("-", 1)[0].lower() if ref else ""
    entity_type = {"idea": "idea", "ll": "lesson", "act": "action"}.get(entity, entity)
    entries = ctx.uow.audit.for_entity(entity_type, ref)
    if not entries:
        return Reply(
            summary="No audit entries",
            blocks=(Text(f"No audit entries for {ref or '(nothing)'}."),),
        )
    blocks: list[Block] = [Heading(f"Audit trail: {ref}")]
    for entry in entries:
        actor = ctx.uow.staff.get(entry.actor_id) if entry.actor_id is not None else None
        who = actor.email if actor is not None else entry.actor_label
        facts = [
            Fact("When", ctx.calendar.local(entry.at).strftime("%Y-%m-%d %H:%M")),
            Fact("Who", who),
            Fact("Via", entry.platform),
            Fact("Did", entry.action),
        ]
        if entry.before or entry.after:
            facts.append(Fact("Change", f"{entry.before or {}} → {entry.after or {}}"))
        if entry.reason:
            facts.append(Fact("Reason", entry.reason))
        blocks.append(Facts(tuple(facts)))
    return Reply(summary=f"{len(entries)} audit entries", blocks=tuple(blocks))


def register(registry: Registry, _config: OrgConfig) -> None:
    registry.add_command(
        Command(
            name="qi",
            summary="QI Hub",
            subcommands=(
                Subcommand("", "/qi", "What you can do here", "qi.help", help_reply),
                Subcommand("help", "/qi help", "What you can do here", "qi.help", help_reply),
                Subcommand(
                    "audit",
                    "/qi audit <reference>",
                    "The audit trail of a record",
                    "audit.read",
                    audit_trail,
                    example_args="{ref}",
                ),
            ),
        )
    )
