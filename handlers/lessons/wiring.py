"""Registers the lesson commands, forms, buttons and reminder rules."""

from __future__ import annotations

from handlers.actions.forms import create_forms
from handlers.config import OrgConfig
from handlers.lessons import commands, forms
from handlers.lessons.reminders import RULES
from handlers.qi import command_help
from handlers.registry import ActionSpec, Command, FormSpec, Registry, Subcommand

__all__ = ["RULES", "register"]


def register(registry: Registry, config: OrgConfig) -> None:
    registry.add_command(
        Command(
            name="lesson",
            summary="Share a lesson and follow what the committee does with it",
            subcommands=(
                Subcommand(
                    name="",
                    usage="/lesson [title]",
                    summary="Share a lesson (opens the form)",
                    permission="lesson.submit",
                    handler=commands.open_submit_form,
                    example_args="Flush syringes look alike",
                ),
                Subcommand(
                    name="mine",
                    usage="/lesson mine",
                    summary="Your lessons and their status",
                    permission="lesson.view",
                    handler=commands.mine,
                ),
                Subcommand(
                    name="status",
                    usage="/lesson status <LL-… or receipt>",
                    summary="Follow one lesson",
                    permission="lesson.view",
                    handler=commands.status,
                    example_args="{lesson_ref}",
                ),
                Subcommand(
                    name="list",
                    usage="/lesson list [committee] [awaiting|open|all] [page]",
                    summary="A committee's lessons",
                    permission="lesson.list",
                    handler=commands.list_lessons,
                ),
                Subcommand(
                    name="help",
                    usage="/lesson help",
                    summary="How to use /lesson",
                    permission="lesson.view",
                    handler=command_help,
                ),
            ),
        )
    )
    registry.add_form(FormSpec(forms.submit_form(config), "lesson.submit", commands.on_submit))
    for form in forms.triage_forms(config):
        registry.add_form(FormSpec(form, "lesson.triage", commands.on_triage))
    registry.add_form(FormSpec(forms.decision_form(config), "lesson.decide", commands.on_decide))
    registry.add_form(FormSpec(forms.assurance_form(), "lesson.decide", commands.on_assure))
    registry.add_form(FormSpec(forms.escalation_form(), "lesson.escalate", commands.on_escalate))
    for form in create_forms(config).values():
        registry.add_form(FormSpec(form, "action.manage", commands.on_create_action))
    registry.add_action(ActionSpec("lesson.show", "lesson.view", commands.show))
    registry.add_action(ActionSpec("lesson.triage", "lesson.triage", commands.triage_button))
    registry.add_action(ActionSpec("lesson.decide", "lesson.decide", commands.decide_button))
    registry.add_action(
        ActionSpec("lesson.add_action", "action.manage", commands.add_action_button)
    )
    registry.add_action(ActionSpec("lesson.assure", "lesson.decide", commands.assure_button))
    registry.add_action(ActionSpec("lesson.escalate", "lesson.escalate", commands.escalate_button))
