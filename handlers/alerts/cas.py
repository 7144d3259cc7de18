"""One CAS / National Patient Safety Alert reference, one alert: the same reference is sent
again only once the publisher has confirmed that this is a new issue, and the confirmation is
audited. Asked on the form, checked again when approval is asked for, at approval and at a
tier-5 send (another alert with the reference may have gone out in between)."""

from __future__ import annotations

from handlers.audit import record
from handlers.context import Context
from handlers.errors import FieldProblem, UserError
from messages.templates import day
from messages.view import Block, Notice
from store.models import Alert

CONFIRM_FIELD = "cas_new_issue"
SENT = ("sending", "live", "closed")


def earlier(ctx: Context, alert: Alert) -> Alert | None:
    """The alert already sent with `alert`'s CAS reference, if any (corrections and
    retractions carry their original's reference and are not asked)."""
    return _sent_with(ctx, alert.cas_ref, alert.kind, alert.id)


def _sent_with(
    ctx: Context, cas_ref: str | None, kind: str, other_than: int | None
) -> Alert | None:
    if not cas_ref or kind != "alert":
        return None
    return ctx.uow.alerts.sent_with_cas(cas_ref, SENT, other_than=other_than)


def _sent_on(ctx: Context, sent: Alert) -> str:
    return day(ctx.calendar.local(sent.sent_at).date()) if sent.sent_at else "earlier"


def question(ctx: Context, sent: Alert) -> str:
    return (
        f"{sent.ref} ('{sent.title}') already went to staff on {_sent_on(ctx, sent)} with "
        f"CAS reference {sent.cas_ref}. Is this a new issue of that alert? If it is, answer "
        f"yes here. If {sent.ref} needs changing, use /alert correct {sent.ref} instead."
    )


def ask(
    ctx: Context, cas_ref: str | None, *, kind: str, draft: Alert | None, confirmed: bool
) -> Alert | None:
    """Before a draft is saved: the alert already sent with this reference, once the
    publisher has said yes to the question (FieldProblem asks it on the form; nothing is
    written until they answer)."""
    sent = _sent_with(ctx, cas_ref, kind, draft.id if draft else None)
    if sent is not None and not confirmed:
        raise FieldProblem(CONFIRM_FIELD, question(ctx, sent))
    return sent


def keep(ctx: Context, alert: Alert, sent: Alert | None) -> None:
    """Keep the publisher's yes on the saved draft, audited once per alert it names."""
    if sent is None:
        alert.cas_new_issue_of = None
        return
    if alert.cas_new_issue_of == sent.ref:
        return
    alert.cas_new_issue_of = sent.ref
    record(
        ctx,
        entity_type="alert",
        entity_ref=alert.ref,
        action="cas_new_issue_confirmed",
        after={"cas_ref": alert.cas_ref, "already_sent_as": sent.ref},
    )


def check_before_sending(ctx: Context, alert: Alert, *, by_publisher: bool) -> None:
    """Refuse to ask for approval, approve or send while the reference was sent by another
    alert the publisher has not confirmed this is a new issue of."""
    sent = earlier(ctx, alert)
    if sent is None or alert.cas_new_issue_of == sent.ref:
        return
    what = (
        "Edit it and answer whether it is a new issue, or discard it."
        if by_publisher
        else "The publisher has not confirmed it is a new issue: reject it with a reason, "
        "so they can confirm or discard it."
    )
    raise UserError(
        f"{alert.ref} has CAS reference {alert.cas_ref}, already sent as {sent.ref} on "
        f"{_sent_on(ctx, sent)}. {what}"
    )


def confirmed_blocks(ctx: Context, alert: Alert) -> list[Block]:
    """What the publisher confirmed, shown in the preview and to the approver."""
    if not alert.cas_new_issue_of:
        return []
    return [
        Notice(
            f"CAS reference {alert.cas_ref} was already sent as {alert.cas_new_issue_of}; "
            "the publisher confirmed this is a new issue.",
            "warning",
        )
    ]
