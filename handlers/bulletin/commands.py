"""The /bulletin command, its buttons and its form: thin functions over the service."""

from __future__ import annotations

from handlers.bulletin import service
from handlers.bulletin.forms import EDIT_FORM
from handlers.bulletin.lifecycle import EDITABLE, BulletinStatus, status_label
from handlers.bulletin.quarters import parse_quarter
from handlers.bulletin.views import (
    approval_card,
    bulletin_card,
    bulletin_list,
    preview,
    review_card,
)
from handlers.context import Context
from handlers.errors import FieldProblem, UserError
from handlers.registry import Invocation, Press, Submission
from messages.view import FormErrors, Notice, OpenForm, Reply, Response
from store.models import Bulletin

LIST_SIZE = 12
"""Three years of quarters."""


def preview_command(ctx: Context, invocation: Invocation) -> Response:
    """`/bulletin preview [2026-Q3]`: the quarter's bulletin as it would read now."""
    text = invocation.args.strip()
    quarter = parse_quarter(text) if text else service.current_quarter(ctx)
    if quarter is None:
        raise UserError(f"{text!r} is not a quarter: use one like 2026-Q3 (Q1 is April to June).")
    bulletin = ctx.uow.bulletins.by_ref(quarter.ref)
    if bulletin is not None:
        return preview(ctx, quarter, service.contents(ctx, bulletin), bulletin)
    return preview(ctx, quarter, service.live_contents(ctx, quarter), None)


def _target(ctx: Context, text: str) -> Bulletin:
    """The bulletin named (as the reminder names it), else the oldest draft still awaiting
    review (the one the reminder was about, even once the next quarter has begun), else this
    quarter's, drafted now. The reference is only a name: the bulletin, its state and the
    caller's right to review it (the registry's bulletin.review) are all the server's."""
    if text.strip():
        return service.find(ctx, text)
    waiting = ctx.uow.bulletins.oldest_in_status(BulletinStatus.DRAFT.value)
    return waiting or service.ensure_draft(ctx, service.current_quarter(ctx))


def review_command(ctx: Context, invocation: Invocation) -> Response:
    """`/bulletin review [ref]`: the bulletin named, else the one awaiting review."""
    bulletin = _target(ctx, invocation.args)
    contents = service.contents(ctx, bulletin)
    if bulletin.status == BulletinStatus.DRAFT:
        return review_card(ctx, bulletin, contents)
    return bulletin_card(ctx, bulletin, contents)


def approve_command(ctx: Context, invocation: Invocation) -> Response:
    """`/bulletin approve [ref]`: the bulletin awaiting approval, with its button."""
    if invocation.args.strip():
        bulletin: Bulletin | None = service.find(ctx, invocation.args)
    else:
        waiting = ctx.uow.bulletins.in_statuses([BulletinStatus.REVIEWED.value], limit=1)
        bulletin = waiting[0] if waiting else None
    if bulletin is None or bulletin.status != BulletinStatus.REVIEWED:
        text = "No bulletin is waiting for approval: a governance lead reviews it first."
        if bulletin is not None:
            text = f"{bulletin.ref} is {status_label(bulletin.status).lower()}."
        return Reply(summary=text, blocks=(Notice(text, "warning"),), ephemeral=True)
    return approval_card(ctx, bulletin, service.contents(ctx, bulletin))


def list_command(ctx: Context, _invocation: Invocation) -> Response:
    return bulletin_list(ctx, ctx.uow.bulletins.latest(LIST_SIZE))


def show(ctx: Context, press: Press) -> Response:
    bulletin = service.find(ctx, press.value.get("ref", ""))
    return bulletin_card(ctx, bulletin, service.contents(ctx, bulletin))


def edit_button(ctx: Context, press: Press) -> Response:
    bulletin = service.find(ctx, press.value.get("ref", ""))
    if bulletin.status not in EDITABLE:
        raise UserError(f"{bulletin.ref} is {bulletin.status}, so it can no longer be changed.")
    values = {"foreword": bulletin.foreword or "", "leave_out": ", ".join(bulletin.excluded)}
    return OpenForm(EDIT_FORM, values, {"ref": bulletin.ref})


def on_edit(ctx: Context, submission: Submission) -> Response:
    bulletin = service.find(ctx, submission.context.get("ref", ""))
    refs = service.parse_refs(submission.values.get("leave_out"))
    try:
        done = service.edit(ctx, bulletin, submission.values.get("foreword"), refs)
    except FieldProblem as exc:
        return FormErrors({exc.field: str(exc)})
    card = bulletin_card(ctx, bulletin, service.contents(ctx, bulletin))
    return Reply(
        summary=done,
        blocks=(Notice(done, "success"), *card.blocks),
        replace_original=True,
    )


def reviewed_button(ctx: Context, press: Press) -> Response:
    bulletin = service.find(ctx, press.value.get("ref", ""))
    done = service.mark_reviewed(ctx, bulletin)
    return Reply(summary=done, blocks=(Notice(done, "success"),), replace_original=True)


def approve_button(ctx: Context, press: Press) -> Response:
    bulletin = service.find(ctx, press.value.get("ref", ""))
    done = service.approve(ctx, bulletin)
    return Reply(summary=done, blocks=(Notice(done, "success"),), replace_original=True)
