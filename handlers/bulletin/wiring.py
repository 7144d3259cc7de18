"""Registers /bulletin, its form and buttons, and the drafting rule."""

from __future__ import annotations

from handlers.bulletin import commands
from handlers.bulletin.forms import FORM
from handlers.bulletin.schedule import RULES
from handlers.config import OrgConfig
from handlers.qi import command_help
from handlers.registry import ActionSpec, Command, FormSpec, Registry, Subcommand

__all__ = ["RULES", "register"]


def register(registry: Registry, config: OrgConfig) -> None:
    """Declare /bulletin. Reviewing is the governance lead's, approving an executive's."""
    registry.add_command(
        Command(
            name="bulletin",
            summary="The quarterly learning for improvement bulletin",
            subcommands=(
                Subcommand(
                    "preview",
                    "/bulletin preview [2026-Q3]",
                    "This quarter's bulletin as it would read today",
                    "bulletin.preview",
                    commands.preview_command,
                ),
                Subcommand(
                    "review",
                    "/bulletin review [BUL-2026-Q3]",
                    "Review the bulletin: foreword, items to leave out (drafts it if need be)",
                    "bulletin.review",
                    commands.review_command,
                ),
                Subcommand(
                    "approve",
                    "/bulletin approve [BUL-2026-Q3]",
                    "Approve a reviewed bulletin and publish it to all staff",
                    "bulletin.approve",
                    commands.approve_command,
                ),
                Subcommand(
                    "list",
                    "/bulletin list",
                    "Bulletins and their status",
                    "bulletin.list",
                    commands.list_command,
                ),
                Subcommand(
                    "help",
                    "/bulletin help",
                    "How to use /bulletin",
                    "bulletin.preview",
                    command_help,
                ),
            ),
        )
    )
    registry.add_form(FormSpec(FORM, "bulletin.review", commands.on_edit))
    registry.add_action(ActionSpec("bulletin.show", "bulletin.preview", commands.show))
    registry.add_action(ActionSpec("bulletin.edit", "bulletin.review", commands.edit_button))
    registry.add_action(
        ActionSpec("bulletin.reviewed", "bulletin.review", commands.reviewed_button)
    )
    registry.add_action(ActionSpec("bulletin.approve", "bulletin.approve", commands.approve_button))
