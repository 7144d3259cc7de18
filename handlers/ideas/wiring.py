"""Registers the idea commands, forms, buttons and reminder rules."""

from __future__ import annotations

from handlers.config import OrgConfig
from handlers.ideas import commands
from handlers.ideas.forms import (
    all_decision_forms,
    sponsor_decline_form,
    submit_big_form,
    submit_form,
)
from handlers.ideas.reminders import RULES
from handlers.ideas.views import SPONSOR_ACCEPT, SPONSOR_DECLINE
from handlers.qi import command_help
from handlers.registry import ActionSpec, Command, FormSpec, Registry, Subcommand

__all__ = ["RULES", "register"]


def register(registry: Registry, config: OrgConfig) -> None:
    """Declare /idea, its forms and its buttons."""
    registry.add_command(
        Command(
            name="idea",
            summary="Share a Bright or Big Idea and follow what happens to it",
            subcommands=(
                Subcommand(
                    name="",
                    usage="/idea [title]",
                    summary="Share an idea (opens the form)",
                    permission="idea.submit",
                    handler=commands.open_submit_form(None),
                    example_args="Quieter night rounds",
                ),
                Subcommand(
                    name="bright",
                    usage="/idea bright [title]",
                    summary="Share a Bright Idea",
                    permission="idea.submit",
                    handler=commands.open_submit_form("bright"),
                ),
                Subcommand(
                    name="big",
                    usage="/idea big [title]",
                    summary="Share a Big Idea: with a business case and a sponsor",
                    permission="idea.submit",
                    handler=commands.open_submit_form("big"),
                ),
                Subcommand(
                    name="mine",
                    usage="/idea mine",
                    summary="Your ideas and their status",
                    permission="idea.view",
                    handler=commands.mine,
                ),
                Subcommand(
                    name="status",
                    usage="/idea status <IDEA-… or receipt>",
                    summary="Follow one idea",
                    permission="idea.view",
                    handler=commands.status,
                    example_args="{ref}",
                ),
                Subcommand(
                    name="support",
                    usage="/idea support <IDEA-…>",
                    summary="Support a colleague's idea",
                    permission="idea.support",
                    handler=commands.support_command,
                    example_args="{ref}",
                ),
                Subcommand(
                    name="withdraw",
                    usage="/idea withdraw <IDEA-… or receipt>",
                    summary="Withdraw your idea",
                    permission="idea.submit",
                    handler=commands.withdraw_command,
                    example_args="{own_ref}",
                ),
                Subcommand(
                    name="list",
                    usage="/idea list [open|all|<status>] [page]",
                    summary="The ideas panel's queue",
                    permission="idea.list",
                    handler=commands.list_ideas,
                ),
                Subcommand(
                    name="help",
                    usage="/idea help",
                    summary="How to use /idea",
                    permission="idea.view",
                    handler=command_help,
                ),
            ),
        )
    )
    registry.add_form(FormSpec(submit_form(config), "idea.submit", commands.on_submit))
    registry.add_form(FormSpec(submit_big_form(config), "idea.submit", commands.on_submit))
    decline = sponsor_decline_form(config)
    registry.add_form(FormSpec(decline, "idea.view", commands.on_sponsor_decline))
    for transition, form in all_decision_forms(config):
        permission = "idea.decide" if transition.by == "panel" else "idea.submit"
        registry.add_form(FormSpec(form, permission, commands.on_decision))
    registry.add_action(ActionSpec("idea.show", "idea.view", commands.show))
    registry.add_action(ActionSpec("idea.decide", "idea.decide", commands.decide_button))
    registry.add_action(ActionSpec("idea.withdraw", "idea.submit", commands.withdraw_button))
    registry.add_action(ActionSpec("idea.support", "idea.support", commands.support_button))
    registry.add_action(ActionSpec("idea.list_page", "idea.list", commands.list_page))
    # Any member of staff may be named a sponsor: the handler lets only the named one answer.
    registry.add_action(ActionSpec(SPONSOR_ACCEPT, "idea.view", commands.sponsor_accept))
    registry.add_action(ActionSpec(SPONSOR_DECLINE, "idea.view", commands.sponsor_decline_button))
