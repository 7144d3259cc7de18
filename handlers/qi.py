"""/qi: help for everything the registry offers a person, and the audit trail for admins."""

from __future__ import annotations

from handlers import trend_commands, work
from handlers.actions import commands as action_commands
from handlers.audit import describe_change
from handlers.config import OrgConfig
from handlers.context import Context
from handlers.digest.data import build_digest
from handlers.digest.views import digest_reply
from handlers.errors import UserError
from handlers.ideas import commands as idea_commands
from handlers.lessons import commands as lesson_commands
from handlers.permissions import allowed, governs, sits_on
from handlers.registry import ActionSpec, Command, Invocation, Press, Registry, Subcommand
from handlers.search import search_page, search_reply
from handlers.signin.command import sign_in_link
from messages.templates import counted
from messages.view import (
    Block,
    Fact,
    Facts,
    Heading,
    Notice,
    Reply,
    Response,
    SmallPrint,
    Text,
)


def command_help(ctx: Context, invocation: Invocation) -> Response:
    """`/<command> help`, written from the registry, so it can never drift from the commands."""
    command = ctx.registry.commands[invocation.command]
    usable = [
        s
        for s in command.subcommands
        if s.name != "help" and allowed(ctx.config, ctx.actor.roles, s.permission)
    ]
    blocks: list[Block] = [Heading(command.summary)]
    blocks += [Text(f"{s.usage}: {s.summary}") for s in usable]
    return Reply(summary=f"/{command.name} help", blocks=tuple(blocks), ephemeral=True)


def help_reply(ctx: Context, invocation: Invocation) -> Response:
    """Only what this person may use: a clinician should not wade through panel commands.
    After a word that is no /qi command ("/qi frobnicate"), it says so first."""
    blocks: list[Block] = []
    words = invocation.args.split()
    if invocation.sub == "" and words:
        blocks.append(Notice(f"I don't know /qi {words[0]}. Here is what you can do:", "warning"))
    blocks.append(Heading("QI Hub: what you can do"))
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
    entity_type = {"idea": "idea", "ll": "lesson", "act": "action", "tr": "trend"}.get(
        entity, entity
    )
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
        change = describe_change(entry.before, entry.after)
        if change:
            facts.append(Fact("Change", "; ".join(change)))
        if entry.reason:
            facts.append(Fact("Reason", entry.reason))
        blocks.append(Facts(tuple(facts)))
    return Reply(
        summary=counted(len(entries), "audit entry", "audit entries"), blocks=tuple(blocks)
    )


def show(ctx: Context, invocation: Invocation) -> Response:
    """Open anything by its reference: IDEA-…, LL-…, ACT-…, TR-… (or a receipt code)."""
    ref = invocation.args.strip().upper()
    prefix = ref.split("-", 1)[0]
    if prefix == "IDEA":
        return idea_commands.show(ctx, Press("idea.show", {"ref": ref}))
    if prefix == "LL":
        return lesson_commands.show(ctx, Press("lesson.show", {"ref": ref}))
    if prefix == "ACT":
        return action_commands.show(ctx, Press("action.show", {"ref": ref}))
    if prefix == "TR":
        return trend_commands.show_ref(ctx, ref)
    raise UserError(
        "Give a reference like IDEA-2026-0001, LL-2026-0001, ACT-2026-0001 or TR-2026-0001."
    )


def digest(ctx: Context, invocation: Invocation) -> Response:
    """The committee's weekly digest, now (members see what Monday's post will say)."""
    code = invocation.args.strip().upper()
    if code not in ctx.config.committees:
        raise UserError("Which committee? Use /qi digest " + "|".join(ctx.config.committees))
    roles = ctx.actor.roles
    if not (sits_on(roles, code) or governs(roles, code) or "admin" in roles):
        raise UserError(f"Only members of the {code} committee can see its digest.")
    sections = ctx.services.registry.digest_sections
    return digest_reply(build_digest(ctx.uow, ctx.config, code, ctx.now, sections), ctx.config)


def search(ctx: Context, invocation: Invocation) -> Response:
    """The learning library: de-identified lessons and what changed."""
    return search_reply(ctx.uow, ctx.config, invocation.args)


def turn_search_page(ctx: Context, press: Press) -> Response:
    """The "Next page" button: the new page replaces the old one in place."""
    reply = search_page(ctx.uow, ctx.config, press.value)
    return Reply(reply.summary, reply.blocks, replace_original=True)


def run_command_button(ctx: Context, press: Press) -> Response:
    """A button that runs a command ("Share an idea" on the home page); the command's own
    permission is checked as if it had been typed."""
    from handlers.dispatch import run_command

    return run_command(ctx, press.value.get("text", "/qi help"))


def register(registry: Registry, _config: OrgConfig) -> None:
    registry.add_command(
        Command(
            name="qi",
            summary="QI Hub",
            subcommands=(
                Subcommand(
                    name="",
                    usage="/qi",
                    summary="What you can do here",
                    permission="qi.help",
                    handler=help_reply,
                ),
                Subcommand(
                    name="help",
                    usage="/qi help",
                    summary="What you can do here",
                    permission="qi.help",
                    handler=help_reply,
                ),
                Subcommand(
                    name="mine",
                    usage="/qi mine",
                    summary="Your open actions, reddest first",
                    permission="qi.mine",
                    handler=work.mine,
                ),
                Subcommand(
                    name="actions",
                    usage="/qi actions <committee> [page]",
                    summary="A committee's open actions with RAG",
                    permission="qi.actions",
                    handler=work.committee_actions,
                    example_args="{committee}",
                ),
                Subcommand(
                    name="show",
                    usage="/qi show <reference>",
                    summary="Open an idea, lesson, action or trend",
                    permission="lesson.view",
                    handler=show,
                    example_args="{action_ref}",
                ),
                Subcommand(
                    name="trends",
                    usage="/qi trends [committee]",
                    summary="The trends a committee monitors, undecided first",
                    permission=trend_commands.VIEW,
                    handler=trend_commands.list_trends,
                    example_args="{committee}",
                ),
                Subcommand(
                    name="search",
                    usage="/qi search <words> [source: committee: srg: unit:]",
                    summary="Search the learning library",
                    permission="qi.search",
                    handler=search,
                    example_args="flush",
                ),
                Subcommand(
                    name="digest",
                    usage="/qi digest <committee>",
                    summary="The committee's weekly digest, now",
                    permission="qi.digest",
                    handler=digest,
                    example_args="{committee}",
                ),
                Subcommand(
                    name="web",
                    usage="/qi web",
                    summary="A link that signs you in to QI Hub on the web",
                    permission="qi.web",
                    handler=sign_in_link,
                ),
                Subcommand(
                    name="audit",
                    usage="/qi audit <reference>",
                    summary="The audit trail of a record",
                    permission="audit.read",
                    handler=audit_trail,
                    example_args="{ref}",
                ),
            ),
        )
    )
    registry.add_action(ActionSpec("search.page", "qi.search", turn_search_page))
    registry.add_action(ActionSpec("qi.command", "qi.help", run_command_button))
    trend_commands.register(registry)
