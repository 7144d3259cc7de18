"""The one way into the core: commands, form submissions and button presses.

Every entry checks the permission the registry declares for it (denied unless the config grants
it) on every call, so a button pressed after a role was removed does nothing. Refused requests
roll the unit of work back, so nothing is half-written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from handlers import cards
from handlers.context import Context
from handlers.errors import StaleCard, UserError
from handlers.form_sessions import already_sent, find_session, open_session
from handlers.forms import clean_form
from handlers.permissions import allowed, describe
from handlers.registry import Press, Submission, parse_invocation
from handlers.seals import opened, seal_key
from messages.view import FormErrors, Heading, Notice, OpenForm, Reply, Response, Text, Tone

log = logging.getLogger(__name__)
TAMPERED = (
    "That button is out of date or was changed, so nothing was done. "
    "Please use the buttons on the latest message."
)


def notice(text: str, tone: Tone = "error") -> Reply:
    return Reply(summary=text, blocks=(Notice(text, tone),), ephemeral=True)


def not_in_directory(ctx: Context) -> Reply:
    org = ctx.config.organisation.short_name
    text = (
        f"Hello! I can't find you in the {org} staff directory yet, so I can't act on your "
        "behalf. If you work here, ask the QI team to add your work email to the directory; "
        "nothing you sent was stored."
    )
    return Reply(summary=text, blocks=(Heading("QI Hub"), Text(text)), ephemeral=True)


def denied(ctx: Context, permission: str) -> Reply:
    return notice(
        f"Sorry, you can't do that: it is for {describe(ctx.config, permission)}. "
        "Nothing was changed."
    )


def _guarded(ctx: Context, permission: str, call: Callable[[], Response]) -> Response:
    if not ctx.actor.known:
        return not_in_directory(ctx)
    if not allowed(ctx.config, ctx.actor.roles, permission):
        ctx.uow.rollback()
        return denied(ctx, permission)
    try:
        response = call()
    except StaleCard as exc:  # the record moved on: say how, show it as it is, change nothing
        ctx.uow.rollback()
        return cards.stale_reply(ctx, exc.kind, exc.ref) or notice(str(exc))
    except UserError as exc:
        ctx.uow.rollback()
        return notice(str(exc))
    if isinstance(response, FormErrors):
        ctx.uow.rollback()
    if isinstance(response, OpenForm):
        return open_session(ctx, response)  # the form's context stays here
    return response


def run_command(ctx: Context, text: str) -> Response:
    """Run a typed command such as "/idea status IDEA-2026-0001"."""
    invocation = parse_invocation(text, ctx.registry)
    if invocation is None:
        name = text.strip().split(maxsplit=1)[0] if text.strip() else ""
        return notice(f"I don't know the command {name!r}. Try /qi help.", "warning")
    command = ctx.registry.commands[invocation.command]
    sub = command.find(invocation.sub)
    if sub is None:
        words = invocation.args.split()
        unknown = f"I don't know /{command.name} {words[0]}. " if words else ""
        return notice(f"{unknown}Try /{command.name} help.", "warning")
    return _guarded(ctx, sub.permission, lambda: sub.handler(ctx, invocation))


def submit_form(
    ctx: Context, form_id: str, raw: Mapping[str, Any], context: Mapping[str, str]
) -> Response:
    """Validate and submit a form. Field problems come back as FormErrors, input untouched."""
    spec = ctx.registry.forms.get(form_id)
    if spec is None:
        return notice("That form is no longer available. Please start again.")

    def call() -> Response:
        session = find_session(ctx, form_id, context)
        if isinstance(session, Reply):
            return session
        values, errors = clean_form(spec.form, raw, ctx.guard)
        if errors:
            return FormErrors(errors)
        if not ctx.uow.forms.claim(session.id, ctx.now):
            return already_sent()  # a second submit got here first
        return spec.on_submit(ctx, Submission(form_id, values, session.context))

    return _guarded(ctx, spec.permission, call)


def press(ctx: Context, action: str, value: Mapping[str, str]) -> Response:
    """Handle a button press; the role is checked again now, not when the button was drawn,
    and the value must carry the seal the server gave it (an edited one does nothing)."""
    spec = ctx.registry.actions.get(action)
    if spec is None:
        return notice("That button no longer does anything. Please start again.")
    checked = opened(seal_key(ctx.services, ctx.uow), action, value)
    if checked is None:
        log.warning("a button press with a missing or wrong seal was refused (%s)", action)
        return notice(TAMPERED)
    return _guarded(ctx, spec.permission, lambda: spec.handler(ctx, Press(action, checked)))
