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
                    name="preview",
                    usage="/bulletin preview [2026-Q3]",
                    summary="This quarter's bulletin as it would read today",
                    permission="bulletin.preview",
                    handler=commands.preview_command,
                ),
                Subcommand(
                    name="review",
                    usage="/bulletin review [BUL-2026-Q3]",
                    summary=(
                        "Review the bulletin named, else the one awaiting review: foreword, "
                        "items to leave out"
                    ),
                    permission="bulletin.review",
                    handler=commands.review_command,
                ),
                Subcommand(
                    name="approve",
                    usage="/bulletin approve [BUL-2026-Q3]",
                    summary="Approve a reviewed bulletin and publish it to all staff",
                    permission="bulletin.approve",
                    handler=commands.approve_command,
                ),
                Subcommand(
                    name="list",
                    usage="/bulletin list",
                    summary="Bulletins and their status",
                    permission="bulletin.list",
                    handler=commands.list_command,
                ),
                Subcommand(
                    name="help",
                    usage="/bulletin help",
                    summary="How to use /bulletin",
                    permission="bulletin.preview",
                    handler=command_help,
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
