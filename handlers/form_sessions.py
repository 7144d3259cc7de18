"""Form sessions: a form's context (the record it acts on, the step it is) never leaves the
server. The platform carries a random id; the submit is matched to the person, the form and
an unexpired, unused session, and a second submit is told the form was already sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from handlers.context import Context
from messages.view import Notice, OpenForm, Reply, Tone
from store.repos.forms import OpenSession

SESSION_KEY = "s"
"""The one context key a platform carries back for a form: the session id."""
LIFETIME = timedelta(hours=24)
"""A form left open over a night shift can still be sent the next morning."""
NOT_THIS_FORM = (
    "This form is out of date or was not opened for you, so nothing was saved. "
    "Please open it again from the latest message."
)
EXPIRED = "This form was opened more than a day ago, so nothing was saved. Please open it again."
ALREADY = "That form was already sent; nothing was done twice."


def _notice(text: str, tone: Tone = "warning") -> Reply:
    return Reply(summary=text, blocks=(Notice(text, tone),), ephemeral=True)


def open_session(ctx: Context, request: OpenForm) -> OpenForm:
    """`request` with its context kept here and only the session id left for the platform."""
    assert ctx.actor.staff_id is not None  # dispatch answers strangers before any form opens
    session_id = ctx.uow.forms.open(
        ctx.actor.staff_id, request.form_id, dict(request.context), ctx.now, ctx.now + LIFETIME
    )
    return OpenForm(
        request.form_id, request.values, {SESSION_KEY: session_id}, request.errors, request.about
    )


def find_session(ctx: Context, form_id: str, context: Mapping[str, str]) -> OpenSession | Reply:
    """The session this submit belongs to, or the answer that refuses it."""
    session = ctx.uow.forms.get(str(context.get(SESSION_KEY, "")))
    if session is None or session.form_id != form_id:
        return _notice(NOT_THIS_FORM, "error")
    if session.used_at is not None:
        return already_sent()  # who opened it is forgotten once it is used
    if session.staff_id != ctx.actor.staff_id:
        return _notice(NOT_THIS_FORM, "error")
    if session.expires_at <= ctx.now:
        return _notice(EXPIRED)
    return session


def already_sent() -> Reply:
    """The answer to a form sent twice (a card pressed twice, two tabs): nothing is done again."""
    return _notice(ALREADY, "info")
