"""The /idea command, its buttons and its forms: thin functions from requests to service calls."""

from __future__ import annotations

from handlers import duties
from handlers.context import Context
from handlers.duties import Decision
from handlers.errors import FieldProblem, StaleCard, UserError
from handlers.forms import as_raw, typed_title
from handlers.ideas import service, sponsorship, viewer
from handlers.ideas.forms import (
    BUSINESS_CASE,
    SPONSOR_DECLINE_FORM,
    SUBMIT_BIG_FORM,
    SUBMIT_FORM,
    decision_form_id,
)
from handlers.ideas.lifecycle import AWAITING_PANEL, IDEA_OPEN, IdeaStatus, Transition
from handlers.ideas.views import (
    PAGE_SIZE,
    idea_card,
    idea_items,
    pager,
    sponsor_buttons,
)
from handlers.permissions import allowed
from handlers.registry import CommandHandler, Invocation, Press, Submission
from handlers.submission import looks_like_receipt, receipt_hash
from messages.templates import counted
from messages.view import (
    Block,
    Button,
    Buttons,
    FormErrors,
    Heading,
    Notice,
    OpenForm,
    Reply,
    Response,
    SmallPrint,
    Text,
)
from store.models import Idea


def open_submit_form(kind: str | None) -> CommandHandler:
    form_id = SUBMIT_BIG_FORM if kind == "big" else SUBMIT_FORM

    def handler(ctx: Context, invocation: Invocation) -> Response:
        values: dict[str, str] = {"mode": "named"}
        title, shortened = typed_title(invocation.args)
        if title:
            values["title"] = title
        return OpenForm(form_id, values, errors=shortened)

    return handler


def on_submit(ctx: Context, submission: Submission) -> Response:
    values = dict(submission.values)
    anonymous = values["mode"] == "anonymous"
    emails: list[str] = values.get("co_submitters") or []
    if emails and anonymous:
        return FormErrors(
            {
                "co_submitters": "An anonymous idea can't name colleagues: "
                "clear this field or choose another way to submit."
            }
        )
    found = {s.email: s.id for s in ctx.uow.staff.by_emails(emails)}
    missing = [e for e in emails if e not in found]
    if missing:
        return FormErrors({"co_submitters": "Not in the staff directory: " + ", ".join(missing)})
    kind = "big" if submission.form_id == SUBMIT_BIG_FORM else "bright"
    try:
        result = service.submit(ctx, values, list(found.values()), kind)
    except FieldProblem as exc:
        return FormErrors({exc.field: str(exc)})
    idea = result.idea
    if idea.kind == "big":
        sponsor = sponsorship.sponsor_name(ctx, idea)
        where = (
            f"Your Big Idea '{idea.title}' goes to the ideas panel once {sponsor}, "
            "your sponsor, accepts: they have been asked."
        )
    else:
        where = f"Your Bright Idea '{idea.title}' is with the ideas panel for screening."
    blocks: list[Block] = [Heading(f"Thank you: {idea.ref} received"), Notice(where, "success")]
    if result.receipt:
        blocks += [
            Text(f"Your receipt code is {result.receipt}"),
            Notice(
                "Keep it safe: we stored nothing that identifies you, so this code is the "
                "only way to follow your idea or withdraw it. It is shown only once.",
                "warning",
            ),
            SmallPrint(f"Follow it with /idea status {result.receipt}"),
        ]
    else:
        blocks.append(
            SmallPrint(
                f"You will be told of every decision. Follow it with "
                f"/idea status {idea.ref} or /idea mine."
            )
        )
    return Reply(summary=f"{idea.ref} received", blocks=tuple(blocks))


def _viewer_card(ctx: Context, idea: Idea, receipt: str | None = None) -> list[Block]:
    mine = service.is_submitter(ctx, idea)
    may_decide = allowed(ctx.config, ctx.actor.roles, "idea.decide") and duties.permits(
        ctx, Decision.IDEA_DECISION, idea
    )
    extra: list[Button] = []
    withdraws = (mine or receipt) and allowed(ctx.config, ctx.actor.roles, "idea.submit")
    if idea.status in IDEA_OPEN and withdraws:
        value = {"ref": idea.ref, **({"receipt": receipt} if receipt else {})}
        extra.append(
            Button(
                "Withdraw",
                "idea.withdraw",
                value,
                style="danger",
                confirm=f"Withdraw {idea.ref}? The ideas panel is told.",
            )
        )
    elif viewer.offers_support(ctx, idea, receipt=receipt):
        extra.append(Button("Support this idea", "idea.support", {"ref": idea.ref}))
    if _asked_to_sponsor(ctx, idea):
        extra = [*sponsor_buttons(idea), *extra]
    history = [(step.on.strftime("%d %b"), step.what) for step in viewer.history(ctx, idea)]
    return idea_card(
        idea,
        ctx.config,
        submitter_names=sponsorship.submitter_names(ctx, idea),
        may_see_confidential=viewer.knows_confidential(ctx, idea),
        panel_buttons=may_decide,
        extra_buttons=extra,
        history=history,
        sponsor_name=sponsorship.sponsor_name(ctx, idea),
    )


def _asked_to_sponsor(ctx: Context, idea: Idea) -> bool:
    return (
        idea.status == IdeaStatus.AWAITING_SPONSOR
        and idea.sponsor_state == sponsorship.ASKED
        and ctx.actor.staff_id is not None
        and ctx.actor.staff_id == idea.sponsor_id
    )


def card_buttons(ctx: Context, idea: Idea) -> tuple[Button, ...]:
    """The buttons the chat's card offers this viewer (the panel's decisions, withdraw, a
    sponsor's answer), for the web's idea page; support and Open are drawn there already."""
    drawn = _viewer_card(ctx, idea)
    return tuple(
        b
        for block in drawn
        if isinstance(block, Buttons)
        for b in block.buttons
        if b.action not in ("idea.support", "idea.show")
    )


def status(ctx: Context, invocation: Invocation) -> Response:
    text = invocation.args.strip()
    idea = service.find(ctx, text)
    receipt = text if looks_like_receipt(text) else None
    return Reply(
        summary=f"{idea.ref}: {idea.status}", blocks=tuple(_viewer_card(ctx, idea, receipt))
    )


def mine(ctx: Context, _invocation: Invocation) -> Response:
    assert ctx.actor.staff_id is not None
    ideas = ctx.uow.ideas.submitted_by(ctx.actor.staff_id)
    blocks: list[Block] = [Heading("Your ideas"), idea_items(ideas, open_button=True)]
    blocks.append(SmallPrint(viewer.ANONYMOUS_NOTE))
    return Reply(summary=f"You have {counted(len(ideas), 'idea')}", blocks=tuple(blocks))


_FILTERS = {"open": AWAITING_PANEL, "all": tuple(IdeaStatus)}


def _list_page(ctx: Context, status_filter: str, page: int) -> Reply:
    if status_filter in _FILTERS:
        statuses = tuple(_FILTERS[status_filter])
    else:
        try:
            statuses = (IdeaStatus(status_filter),)
        except ValueError:
            names = ", ".join(["open", "all", *(s.value for s in IdeaStatus)])
            raise UserError(f"Unknown status {status_filter!r}; use one of: {names}.") from None
    page = max(page, 1)
    ideas, total = ctx.uow.ideas.page_by_status(
        [s.value for s in statuses], (page - 1) * PAGE_SIZE, PAGE_SIZE
    )
    title = "Ideas awaiting the panel" if status_filter == "open" else f"Ideas: {status_filter}"
    blocks: list[Block] = [Heading(title), idea_items(ideas, open_button=True)]
    blocks += pager("idea.list_page", page, total, {"status": status_filter})
    return Reply(summary=counted(total, "idea"), blocks=tuple(blocks))


def list_ideas(ctx: Context, invocation: Invocation) -> Response:
    words = invocation.args.split()
    status_filter = "open"
    page = 1
    for word in words:
        if word.isdigit():
            page = int(word)
        else:
            status_filter = word.lower()
    return _list_page(ctx, status_filter, page)


def list_page(ctx: Context, press: Press) -> Response:
    page = int(press.value.get("page", "1")) if press.value.get("page", "1").isdigit() else 1
    reply = _list_page(ctx, press.value.get("status", "open"), page)
    return Reply(reply.summary, reply.blocks, replace_original=True)


def _support(ctx: Context, ref: str) -> Reply:
    idea = service.find(ctx, ref)
    count = service.support(ctx, idea)
    plural = "s" if count != 1 else ""
    text = f"Thank you for supporting {idea.ref}: it now has {count} supporter{plural}."
    return Reply(summary=text, blocks=(Notice(text, "success"),))


def support_command(ctx: Context, invocation: Invocation) -> Response:
    return _support(ctx, invocation.args)


def support_button(ctx: Context, press: Press) -> Response:
    return _support(ctx, press.value.get("ref", ""))


def show(ctx: Context, press: Press) -> Response:
    idea = service.find(ctx, press.value.get("ref", ""))
    return Reply(summary=f"{idea.ref}: {idea.status}", blocks=tuple(_viewer_card(ctx, idea)))


def about(idea: Idea) -> str:
    """What a decision or withdrawal form says first, so nobody decides the wrong idea."""
    return f"{idea.ref}: {idea.title}"


def _withdraw_form(ctx: Context, ref_or_receipt: str, receipt: str | None) -> Response:
    idea = service.find(ctx, receipt or ref_or_receipt)
    if receipt is None and looks_like_receipt(ref_or_receipt):
        receipt = ref_or_receipt.strip()
    if receipt is None and not service.is_submitter(ctx, idea):
        raise UserError(f"Only the submitter can withdraw {idea.ref}.")
    if idea.status not in IDEA_OPEN:
        raise UserError(f"{idea.ref} is already closed, so there is nothing to withdraw.")
    context = {"ref": idea.ref, "to": "withdraw"}
    if receipt:
        context["receipt"] = receipt
    return OpenForm(
        decision_form_id(service.transition_named("withdraw")), {}, context, about=about(idea)
    )


def withdraw_command(ctx: Context, invocation: Invocation) -> Response:
    return _withdraw_form(ctx, invocation.args, None)


def withdraw_button(ctx: Context, press: Press) -> Response:
    return _withdraw_form(ctx, press.value.get("ref", ""), press.value.get("receipt"))


def decide_button(ctx: Context, press: Press) -> Response:
    """Open the decision form for a panel transition (after re-checking it still applies)."""
    idea = service.find(ctx, press.value.get("ref", ""))
    transition = service.transition_named(press.value.get("to", ""))
    _check_panel_may(ctx, idea, transition)
    values: dict[str, object] = {}
    if transition.name == "promote":  # a case kept from a declined sponsorship, to improve on
        values = {f.name: as_raw(f, getattr(idea, f.name)) for f in BUSINESS_CASE}
    return OpenForm(
        decision_form_id(transition),
        {k: v for k, v in values.items() if v is not None},
        {"ref": idea.ref, "to": transition.name},
        about=about(idea),
    )


def _check_panel_may(ctx: Context, idea: Idea, transition: Transition) -> None:
    if transition.by != "panel":
        raise UserError("That decision is not the panel's to make.")
    duties.check(ctx, Decision.IDEA_DECISION, idea, idea.ref)
    if idea.status not in transition.sources:
        raise StaleCard(
            "idea",
            idea.ref,
            f"{idea.ref} has moved on (now: {idea.status.replace('_', ' ')}); "
            "open it again to see what can be done.",
        )
    if transition.unsponsored_only and idea.sponsor_state == sponsorship.ACCEPTED:
        raise UserError(f"{idea.ref} already has a sponsor who accepted.")


def on_decision(ctx: Context, submission: Submission) -> Response:
    transition = service.transition_named(submission.context.get("to", ""))
    receipt = submission.context.get("receipt") if transition.by == "submitter" else None
    ref = submission.context.get("ref", "")
    # By receipt when withdrawn by one: its holder may not see an unscreened idea by reference.
    idea = service.find(ctx, receipt or ref)
    extra = {k: v for k, v in submission.values.items() if k != "reason"}
    reason = submission.values.get("reason")
    via_receipt = False
    if transition.by == "submitter":
        if receipt:
            if idea.ref != ref or idea.receipt_hash != receipt_hash(receipt):
                raise UserError("That receipt code does not match this idea.")
            via_receipt = True
        elif not service.is_submitter(ctx, idea):
            raise UserError(f"Only the submitter can withdraw {idea.ref}.")
    else:
        _check_panel_may(ctx, idea, transition)
    try:
        service.apply_transition(ctx, idea, transition, reason, extra, via_receipt=via_receipt)
    except FieldProblem as exc:
        return FormErrors({exc.field: str(exc)})
    told = (
        "The submitter has been told."
        if idea.submitters
        else ("The submitter is anonymous and will see it with their receipt code.")
    )
    if transition.by == "submitter":  # the person withdrawing is the submitter
        told = "The ideas panel has been told."
    blocks: list[Block] = [Notice(f"{idea.ref} {transition.headline}. {told}", "success")]
    if transition.by == "panel":
        blocks += idea_card(
            idea,
            ctx.config,
            panel_buttons=True,
            submitter_names=sponsorship.submitter_names(ctx, idea),
            may_see_confidential=False,  # it replaces the panel's channel post: draw it as posted
            sponsor_name=sponsorship.sponsor_name(ctx, idea),
        )
    return Reply(summary=f"{idea.ref} {idea.status}", blocks=tuple(blocks), replace_original=True)


def sponsor_accept(ctx: Context, press: Press) -> Response:
    """The named sponsor accepts (anyone else pressing a forwarded card is refused)."""
    idea = service.find(ctx, press.value.get("ref", ""))
    sponsorship.accept(ctx, idea)
    text = f"Thank you: you are now the sponsor of {idea.ref}. {_who_was_told(idea)}"
    return _answered(ctx, idea, text)


def sponsor_decline_button(ctx: Context, press: Press) -> Response:
    """Decline… asks for the reason first; nothing changes until it is given."""
    idea = service.find(ctx, press.value.get("ref", ""))
    sponsorship.check_sponsor_may_answer(ctx, idea)
    return OpenForm(SPONSOR_DECLINE_FORM, {}, {"ref": idea.ref}, about=about(idea))


def on_sponsor_decline(ctx: Context, submission: Submission) -> Response:
    idea = service.find(ctx, submission.context.get("ref", ""))
    sponsorship.decline(ctx, idea, submission.values["reason"])
    text = f"You declined to sponsor {idea.ref}: it goes back to the ideas panel. " + (
        _who_was_told(idea)
    )
    return _answered(ctx, idea, text)


def _who_was_told(idea: Idea) -> str:
    if idea.submitters:
        return "The submitter and the ideas panel have been told."
    return (
        "The ideas panel has been told; the submitter is anonymous and will see it with "
        "their receipt code."
    )


def _answered(ctx: Context, idea: Idea, text: str) -> Reply:
    blocks: list[Block] = [Notice(text, "success"), *_viewer_card(ctx, idea)]
    return Reply(summary=text, blocks=tuple(blocks), replace_original=True)
