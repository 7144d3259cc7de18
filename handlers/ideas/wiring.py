"""Registers the idea commands, forms, buttons and reminder rules."""

from __future__ import annotations

from handlers.config import OrgConfig
from handlers.ideas import commands
from handlers.ideas.forms import all_decision_forms, submit_form
from handlers.ideas.reminders import RULES
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
                    "",
                    "/idea [title]",
                    "Share an idea (opens the form)",
                    "idea.submit",
                    commands.open_submit_form(None),
                    example_args="Quieter night rounds",
                ),
                Subcommand(
                    "bright",
                    "/idea bright [title]",
                    "Share a Bright Idea",
                    "idea.submit",
                    commands.open_submit_form("bright"),
                ),
                Subcommand(
                    "big",
                    "/idea big [title]",
                    "Share a Big Idea",
                    "idea.submit",
                    commands.open_submit_form("big"),
                ),
                Subcommand(
                    "mine", "/idea mine", "Your ideas and their status", "idea.view", commands.mine
                ),
                Subcommand(
                    "status",
                    "/idea status <IDEA-… or receipt>",
                    "Follow one idea",
                    "idea.view",
                    commands.status,
                    example_args="{ref}",
                ),
                Subcommand(
                    "support",
                    "/idea support <IDEA-…>",
                    "Support a colleague's idea",
                    "idea.support",
                    commands.support_command,
                    example_args="{ref}",
                ),
                Subcommand(
                    "withdraw",
                    "/idea withdraw <IDEA-… or receipt>",
                    "Withdraw your idea",
                    "idea.submit",
                    commands.withdraw_command,
                    example_args="{own_ref}",
                ),
                Subcommand(
                    "list",
                    "/idea list [open|all|<status>] [page]",
                    "The ideas panel's queue",
                    "idea.list",
                    commands.list_ideas,
                ),
                Subcommand("help", "/idea help", "How to use /idea", "idea.view", command_help),
            ),
        )
    )
    registry.add_form(FormSpec(submit_form(config), "idea.submit", commands.on_submit))
    for transition, form in all_decision_forms(config):
        permission = "idea.decide" if transition.by == "panel" else "idea.submit"
        registry.add_form(FormSpec(form, permission, commands.on_decision))
    registry.add_action(ActionSpec("idea.show", "idea.view", commands.show))
    registry.add_action(ActionSpec("idea.decide", "idea.decide", commands.decide_button))
    registry.add_action(ActionSpec("idea.withdraw", "idea.submit", commands.withdraw_button))
    registry.add_action(ActionSpec("idea.support", "idea.support", commands.support_button))
    registry.add_action(ActionSpec("idea.list_page", "idea.list", commands.list_page))
