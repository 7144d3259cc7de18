"""Registers the action buttons, step forms and reminder rules."""

from __future__ import annotations

from handlers.actions import commands
from handlers.actions.forms import step_form_id, step_forms
from handlers.actions.reminders import RULES
from handlers.actions.transitions import STEPS
from handlers.config import OrgConfig
from handlers.registry import ActionSpec, FormSpec, Registry

__all__ = ["RULES", "register"]


def register(registry: Registry, _config: OrgConfig) -> None:
    """Action buttons and step forms (creation forms belong to the lesson decision).

    Each step form carries the permission of whoever takes that step (owner, verifier, audit
    lead, the committee's chair or a governance lead); the handler then checks it is *this*
    action's owner or verifier, and the separation-of-duties table (handlers/duties.py).
    """
    permission_of = {step_form_id(s.name): commands.STEP_PERMISSIONS[s.who] for s in STEPS}
    for form in step_forms():
        if form.id.startswith("action.extension"):
            registry.add_form(FormSpec(form, "action.manage", commands.on_extension))
        else:
            registry.add_form(FormSpec(form, permission_of[form.id], commands.on_step))
    registry.add_action(ActionSpec("action.show", "lesson.view", commands.show))
    registry.add_action(ActionSpec("action.step", "action.work", commands.step_button))
    registry.add_action(ActionSpec("action.extension", "action.manage", commands.extension_button))
