"""/lesson, its buttons and forms: thin functions from requests to the lesson service."""

from __future__ import annotations

from handlers import duties, trends, visibility
from handlers.actions import service as actions
from handlers.actions.forms import create_form_id
from handlers.context import Context
from handlers.duties import Decision
from handlers.errors import FieldProblem, UserError
from handlers.forms import typed_title
from handlers.lessons import escalation, forms, service
from handlers.lessons.lifecycle import AWAITING_DECISION, LESSON_OPEN, LessonStatus
from handlers.lessons.views import lesson_card, lesson_item
from handlers.permissions import allowed, governs, sits_on
from handlers.registry import Invocation, Press, Submission
from handlers.submission import looks_like_receipt
from messages.templates import counted
from messages.view import (
    Block,
    Button,
    FormErrors,
    Heading,
    Items,
    Notice,
    OpenForm,
    Reply,
    Response,
    SmallPrint,
    Text,
)
from store.models import Lesson

L = LessonStatus
PAGE_SIZE = 10
WITH_ACTIONS = (L.DECIDED, L.IN_PROGRESS, L.AWAITING_ASSURANCE, L.MONITORING)


def viewer_buttons(ctx: Context, lesson: Lesson) -> list[Button]:
    """What this person may do next; every press is checked again on arrival."""
    roles, code, value = ctx.actor.roles, lesson.committee, {"ref": lesson.ref}
    member, lead = sits_on(roles, code), governs(roles, code)
    buttons: list[Button] = []
    if lesson.status == L.SUBMITTED and lead and duties.permits(ctx, Decision.TRIAGE, lesson):
        buttons += service.triage_buttons(lesson)
    if (
        lesson.status in AWAITING_DECISION
        and member
        and duties.permits(ctx, Decision.DECIDE_TIERS, lesson)
    ):
        buttons.append(Button("Decide tiers…", "lesson.decide", value, "primary"))
    if lesson.status in WITH_ACTIONS and (member or lead):
        buttons += [
            Button(f"Add tier {t} action…", "lesson.add_action", {**value, "tier": str(t)})
            for t in lesson.tiers
        ]
    if (
        lesson.status == L.AWAITING_ASSURANCE
        and member
        and duties.permits(ctx, Decision.ASSURE, lesson)
    ):
        buttons.append(Button("Accept assurance…", "lesson.assure", value, "primary"))
    if (
        lesson.status in LESSON_OPEN
        and lesson.tier5_at is None
        and allowed(ctx.config, roles, "lesson.escalate")
    ):
        buttons.append(Button("Escalate to tier 5…", "lesson.escalate", value, "danger"))
    return buttons


def full_card(ctx: Context, lesson: Lesson, notice: Notice | None = None) -> Reply:
    """The lesson as this person may see it; `service.find` has already checked they may.

    With a notice it replaces the message the button was on, perhaps the committee's channel
    post: only a private view may name a confidential submitter or show an untriaged text.
    """
    lesson_actions = ctx.uow.actions.for_lesson(lesson.id)
    pending = ctx.uow.actions.pending_extension_ids([a.id for a in lesson_actions])
    private = notice is None
    committee = visibility.reads_committee_notes(ctx, lesson)
    blocks: list[Block] = [notice] if notice else []
    blocks += lesson_card(
        lesson,
        ctx.config,
        actions.today(ctx),
        submitter_names=service.submitter_names(ctx, lesson),
        may_see_confidential=private and service.may_see_confidential(ctx, lesson),
        show_text=private or lesson.triaged_at is not None,
        show_notes=committee,
        show_message=committee or service.is_submitter(ctx, lesson),
        actions=lesson_actions,
        pending=pending,
        buttons=viewer_buttons(ctx, lesson),
    )
    return Reply(
        summary=f"{lesson.ref}: {lesson.status}",
        blocks=tuple(blocks),
        replace_original=notice is not None,
    )


def open_submit_form(_ctx: Context, invocation: Invocation) -> Response:
    values = {"mode": "named"}
    title, shortened = typed_title(invocation.args)
    if title:
        values["title"] = title
    return OpenForm(forms.SUBMIT, values, errors=shortened)


def on_submit(ctx: Context, submission: Submission) -> Response:
    try:
        result = service.submit(ctx, dict(submission.values))
    except FieldProblem as exc:
        return FormErrors({exc.field: str(exc)})
    lesson = result.lesson
    trends.detect(ctx, lesson)
    committee = ctx.config.committees[lesson.committee]
    blocks: list[Block] = [
        Heading(f"Thank you: {lesson.ref} received"),
        Notice(f"Your lesson is with the {committee.name} for triage.", "success"),
    ]
    if result.receipt:
        blocks += [
            Text(f"Your receipt code is {result.receipt}"),
            Notice(
                "Keep it safe: we stored nothing that identifies you, so this code is the "
                "only way to follow your lesson. It is shown only once.",
                "warning",
            ),
            SmallPrint(f"Follow it with /lesson status {result.receipt}"),
        ]
    else:
        blocks.append(
            SmallPrint(
                f"You will be told of every step. Follow it with "
                f"/lesson status {lesson.ref} or /lesson mine."
            )
        )
    return Reply(summary=f"{lesson.ref} received", blocks=tuple(blocks))


def status(ctx: Context, invocation: Invocation) -> Response:
    lesson = service.find(ctx, invocation.args)
    if looks_like_receipt(invocation.args):
        return Reply(
            summary=f"{lesson.ref}: {lesson.status}",
            blocks=tuple(
                lesson_card(
                    lesson,
                    ctx.config,
                    actions.today(ctx),
                    show_message=True,  # the receipt's holder is the reporter
                    actions=ctx.uow.actions.for_lesson(lesson.id),
                    web_link=False,  # no one signed in is linked to an anonymous lesson
                )
            ),
        )
    return full_card(ctx, lesson)


def show(ctx: Context, press: Press) -> Response:
    return full_card(ctx, service.find(ctx, press.value.get("ref", "")))


def mine(ctx: Context, _invocation: Invocation) -> Response:
    assert ctx.actor.staff_id is not None
    found = ctx.uow.lessons.submitted_by(ctx.actor.staff_id)
    today = actions.today(ctx)
    blocks: list[Block] = [
        Heading("Your lessons"),
        Items(
            tuple(lesson_item(x, ctx.config, today) for x in found),
            empty_text="You have not shared any lessons yet: /lesson starts one.",
        ),
        SmallPrint("Anonymous lessons are not listed: use /lesson status with your receipt."),
    ]
    return Reply(summary=f"You have {counted(len(found), 'lesson')}", blocks=tuple(blocks))


_LIST_FILTERS = {
    "awaiting": (L.SUBMITTED, *AWAITING_DECISION, L.AWAITING_ASSURANCE),
    "open": tuple(LESSON_OPEN),
    "all": tuple(L),
}


def list_lessons(ctx: Context, invocation: Invocation) -> Response:
    committee: str | None = None
    status_filter, page = "awaiting", 1
    for word in invocation.args.split():
        if word.isdecimal() and word.isascii():
            page = max(int(word), 1)
        elif word.upper() in ctx.config.committees:
            committee = word.upper()
        elif word.lower() in _LIST_FILTERS:
            status_filter = word.lower()
        else:
            choices = ", ".join([*ctx.config.committees, *_LIST_FILTERS])
            raise UserError(f"Unknown filter {word!r}; use one of: {choices}, or a page number.")
    found, total = ctx.uow.lessons.page(
        committee,
        [s.value for s in _LIST_FILTERS[status_filter]],
        (page - 1) * PAGE_SIZE,
        PAGE_SIZE,
        visibility.lesson_scope(ctx.config, ctx.actor),
    )
    today = actions.today(ctx)
    pages = max(1, -(-total // PAGE_SIZE))
    title = f"Lessons {status_filter}" + (f" · {committee}" if committee else "")
    blocks: list[Block] = [
        Heading(title),
        Items(
            tuple(lesson_item(x, ctx.config, today) for x in found), empty_text="No lessons here."
        ),
        SmallPrint(
            f"Page {page} of {pages} · {total} in all · /lesson list "
            f"{committee or ''} {status_filter} {page + 1 if page < pages else ''}".strip()
        ),
    ]
    return Reply(summary=counted(total, "lesson"), blocks=tuple(blocks))


# ------------------------------------------------------------------ triage and decision
_TRIAGE_FORMS = {
    "accept": forms.TRIAGE_ACCEPT,
    "route": forms.TRIAGE_ROUTE,
    "merge": forms.TRIAGE_MERGE,
    "not_progressed": forms.TRIAGE_NOT_PROGRESSED,
    "redact": forms.TRIAGE_REDACT,
}
_PREFILLED = (forms.TRIAGE_ACCEPT, forms.TRIAGE_REDACT)
"""Triage forms that open with the lesson's text, for the governance lead to redact."""


def about(lesson: Lesson) -> str:
    """What a form about `lesson` says first, so nobody triages or decides the wrong one."""
    return f"{lesson.ref}: {lesson.title}"


def _need(ctx: Context, lesson: Lesson, *, member: bool = False, lead: bool = False) -> None:
    roles = ctx.actor.roles
    if (member and sits_on(roles, lesson.committee)) or (lead and governs(roles, lesson.committee)):
        return
    who = "members" if member and not lead else "governance leads"
    raise UserError(f"Only the {lesson.committee} committee's {who} can do that on {lesson.ref}.")


def triage_button(ctx: Context, press: Press) -> Response:
    lesson = service.find(ctx, press.value.get("ref", ""))
    form_id = _TRIAGE_FORMS.get(press.value.get("to", ""))
    if form_id is None:
        raise UserError("Unknown triage choice.")
    _need(ctx, lesson, lead=True)
    duties.check(ctx, Decision.TRIAGE, lesson, lesson.ref)
    service.require_status(lesson, L.SUBMITTED)
    values = (
        {field: getattr(lesson, field) for field in service.REDACTABLE}
        if form_id in _PREFILLED
        else {}
    )
    return OpenForm(form_id, values, {"ref": lesson.ref}, about=about(lesson))


def on_triage(ctx: Context, submission: Submission) -> Response:
    lesson = service.find(ctx, submission.context.get("ref", ""))
    _need(ctx, lesson, lead=True)
    duties.check(ctx, Decision.TRIAGE, lesson, lesson.ref)
    values = submission.values
    try:
        match submission.form_id:
            case forms.TRIAGE_ACCEPT:
                service.triage_accept(
                    ctx,
                    lesson,
                    bool(values["deidentified"]),
                    note=values.get("note"),
                    message=values.get("message"),
                    edits=values,
                )
                done = f"{lesson.ref} goes to the committee."
            case forms.TRIAGE_ROUTE:
                service.route(
                    ctx,
                    lesson,
                    values["committee"],
                    note=values.get("note"),
                    message=values.get("message"),
                )
                done = f"{lesson.ref} routed to {values['committee']}."
            case forms.TRIAGE_MERGE:
                target = service.merge(
                    ctx,
                    lesson,
                    values["merge_into"],
                    message=values["message"],
                    note=values.get("note"),
                )
                done = f"{lesson.ref} merged into {target.ref}."
            case forms.TRIAGE_REDACT:
                fields = service.redact(ctx, lesson, values)
                done = (
                    f"{lesson.ref}: the original text is deleted ({', '.join(fields)})."
                    if fields
                    else f"{lesson.ref}: nothing was changed."
                )
            case _:
                service.not_progress(
                    ctx, lesson, message=values["message"], note=values.get("note")
                )
                done = f"{lesson.ref} will not be progressed; the submitter has been told why."
    except FieldProblem as exc:
        return FormErrors({exc.field: str(exc)})
    return full_card(ctx, lesson, Notice(done, "success"))


def decide_button(ctx: Context, press: Press) -> Response:
    lesson = service.find(ctx, press.value.get("ref", ""))
    _need(ctx, lesson, member=True)
    duties.check(ctx, Decision.DECIDE_TIERS, lesson, lesson.ref)
    service.require_status(lesson, *AWAITING_DECISION)
    return OpenForm(forms.DECIDE, {}, {"ref": lesson.ref}, about=about(lesson))


def on_decide(ctx: Context, submission: Submission) -> Response:
    lesson = service.find(ctx, submission.context.get("ref", ""))
    _need(ctx, lesson, member=True)
    duties.check(ctx, Decision.DECIDE_TIERS, lesson, lesson.ref)
    tiers = sorted(int(t) for t in submission.values["tiers"])
    values = submission.values
    service.decide(ctx, lesson, tiers, values["rationale"], values.get("message"))
    if 5 in tiers:
        escalation.convene(ctx, lesson, submission.values["rationale"])
    weak = set(tiers) <= set(ctx.config.trends.weak_tiers)
    text = (
        f"Decided: tier{'s' if len(tiers) > 1 else ''} {', '.join(map(str, tiers))}. "
        "Now add an action for each tier."
    )
    if weak:
        text += " Note: only weaker actions were chosen; they rely on people remembering."
    return full_card(ctx, lesson, Notice(text, "warning" if weak else "success"))


def add_action_button(ctx: Context, press: Press) -> Response:
    lesson = service.find(ctx, press.value.get("ref", ""))
    _need(ctx, lesson, member=True, lead=True)
    tier = press.value.get("tier", "")
    if not tier.isdecimal() or int(tier) not in lesson.tiers:
        raise UserError(f"The committee did not choose that tier for {lesson.ref}.")
    return OpenForm(
        create_form_id(int(tier)), {}, {"ref": lesson.ref, "tier": tier}, about=about(lesson)
    )


def on_create_action(ctx: Context, submission: Submission) -> Response:
    lesson = service.find(ctx, submission.context.get("ref", ""))
    _need(ctx, lesson, member=True, lead=True)
    try:
        action = actions.create(
            ctx, lesson, int(submission.context.get("tier", "0")), dict(submission.values)
        )
    except FieldProblem as exc:
        return FormErrors({exc.field: str(exc)})
    return full_card(
        ctx,
        lesson,
        Notice(f"{action.ref} created and sent to {action.owner.display_name}.", "success"),
    )


def assure_button(ctx: Context, press: Press) -> Response:
    lesson = service.find(ctx, press.value.get("ref", ""))
    _need(ctx, lesson, member=True)
    duties.check(ctx, Decision.ASSURE, lesson, lesson.ref)
    service.require_status(lesson, L.AWAITING_ASSURANCE)
    return OpenForm(forms.ASSURE, {}, {"ref": lesson.ref}, about=about(lesson))


def on_assure(ctx: Context, submission: Submission) -> Response:
    lesson = service.find(ctx, submission.context.get("ref", ""))
    _need(ctx, lesson, member=True)
    duties.check(ctx, Decision.ASSURE, lesson, lesson.ref)
    service.assure(ctx, lesson, submission.values["note"], submission.values.get("message"))
    return full_card(ctx, lesson, Notice(f"{lesson.ref}: assurance accepted.", "success"))


def escalate_button(ctx: Context, press: Press) -> Response:
    lesson = service.find(ctx, press.value.get("ref", ""))
    return OpenForm(forms.ESCALATE, {}, {"ref": lesson.ref})


def on_escalate(ctx: Context, submission: Submission) -> Response:
    lesson = service.find(ctx, submission.context.get("ref", ""))
    message = escalation.convene(ctx, lesson, submission.values["reason"])
    return Reply(
        summary=message.summary,
        blocks=(
            Notice("The executive on-call group has been convened now.", "success"),
            *message.blocks,
        ),
    )
