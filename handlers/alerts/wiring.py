"""Registers /alert, its forms, its buttons, its two reminder rules and its digest section."""

from __future__ import annotations

from handlers.alerts import commands
from handlers.alerts.digest import alerts_section
from handlers.alerts.forms import compose_form, new_deadline_form, reject_form, retract_form
from handlers.alerts.reminders import RULES
from handlers.config import OrgConfig
from handlers.qi import command_help
from handlers.registry import ActionSpec, Command, FormSpec, Registry, Subcommand

__all__ = ["RULES", "register"]


def register(registry: Registry, config: OrgConfig) -> None:
    """Declare /alert: publishers compose, approvers approve, everyone acknowledges."""
    registry.add_command(
        Command(
            name="alert",
            summary="Critical alerts that every recipient must acknowledge",
            subcommands=(
                Subcommand(
                    name="",
                    usage="/alert [title]",
                    summary="Compose a critical alert (preview, then a second person approves)",
                    permission="alert.publish",
                    handler=commands.open_compose,
                    example_args="Oxygen cylinder valve recall",
                ),
                Subcommand(
                    name="status",
                    usage="/alert status <ALERT-…>",
                    summary="Delivered, acknowledged, failed and pending, by site",
                    permission="alert.view",
                    handler=commands.status_command,
                ),
                Subcommand(
                    name="list",
                    usage="/alert list",
                    summary="Recent alerts",
                    permission="alert.view",
                    handler=commands.list_command,
                ),
                Subcommand(
                    name="correct",
                    usage="/alert correct <ALERT-…>",
                    summary="Correct a sent alert (replaces it for every recipient)",
                    permission="alert.publish",
                    handler=commands.correct_command,
                ),
                Subcommand(
                    name="retract",
                    usage="/alert retract <ALERT-…>",
                    summary="Withdraw a sent alert, with the reason",
                    permission="alert.publish",
                    handler=commands.retract_command,
                ),
                Subcommand(
                    name="help",
                    usage="/alert help",
                    summary="How to use /alert",
                    permission="alert.view",
                    handler=command_help,
                ),
            ),
        )
    )
    registry.add_digest_section(alerts_section)  # for committees with digest_alerts
    registry.add_form(FormSpec(compose_form(config), "alert.publish", commands.on_compose))
    registry.add_form(
        FormSpec(compose_form(config, correction=True), "alert.publish", commands.on_correct)
    )
    registry.add_form(FormSpec(retract_form(), "alert.publish", commands.on_retract))
    registry.add_form(FormSpec(reject_form(), "alert.approve", commands.on_reject))
    registry.add_form(FormSpec(new_deadline_form(), "alert.approve", commands.on_new_deadline))
    registry.add_action(ActionSpec("alert.submit", "alert.publish", commands.submit_button))
    registry.add_action(ActionSpec("alert.send", "alert.publish", commands.send_button))
    registry.add_action(ActionSpec("alert.edit", "alert.publish", commands.edit_button))
    registry.add_action(ActionSpec("alert.discard", "alert.publish", commands.discard_button))
    registry.add_action(ActionSpec("alert.approve", "alert.approve", commands.approve_button))
    registry.add_action(ActionSpec("alert.reject", "alert.approve", commands.reject_button))
    registry.add_action(ActionSpec("alert.ack", "alert.ack", commands.ack_button))
    registry.add_action(ActionSpec("alert.team", "alert.ack", commands.team_button))
    registry.add_action(ActionSpec("alert.status", "alert.view", commands.status_button))
