"""Trends as records people can follow: `/qi trends [committee]`, `/qi show TR-…` (its lessons,
their actions and how strong they are), and the committee's decision on the trend itself.

Raising trends is handlers/trends.py's; this module only shows them and takes the decision.
A trend's view lists only the lessons the viewer may read (handlers/visibility.py): one not yet
triaged is counted, never named, for anyone but its submitter and its committee's governance
leads.
"""

from __future__ import annotations

from handlers import duties, trends, visibility
from handlers.actions.lifecycle import status_label as action_status
from handlers.config import OrgConfig
from handlers.context import Context
from handlers.digest.views import TREND_DECISIONS
from handlers.duties import Decision
from handlers.errors import NotFound, UserError
from handlers.lessons.forms import STRENGTH_LABELS
from handlers.lessons.lifecycle import status_label as lesson_status
from handlers.permissions import allowed, describe, governs, sits_on
from handlers.registry import ActionSpec, FormSpec, Invocation, Press, Registry, Submission
from messages.templates import counted
from messages.view import (
    Block,
    Button,
    Buttons,
    Fact,
    Facts,
    Field,
    FieldKind,
    Form,
    FormErrors,
    Heading,
    Item,
    Items,
    Notice,
    OpenForm,
    Reply,
    Response,
    SmallPrint,
    Text,
)
from store.models import Action, Lesson, Trend

VIEW = "trend.view"
DECIDE = "trend.decide"
ACCEPT_FORM = "trend.accept"
DISMISS_FORM = "trend.dismiss"
LIST_LIMIT = 20


def committees_of(trend: Trend) -> str:
    """ "the PSC committee", "the PEC and PSC committees"."""
    codes = trend.committees
    if len(codes) == 1:
        return f"the {codes[0]} committee"
    return f"the {', '.join(codes[:-1])} and {codes[-1]} committees"


def _leads(ctx: Context, trend: Trend) -> bool:
    return trend.response_owner_id is not None and trend.response_owner_id == ctx.actor.staff_id


def find(ctx: Context, ref: str) -> Trend:
    """The trend by reference, for someone who may monitor trends and sits on (or governs) a
    committee it concerns (or is an admin), or who leads its response. /qi show and the Open
    button are everyone's, so the permission is checked here."""
    trend = ctx.uow.trends.by_ref(ref) if ref.strip() else None
    if trend is None:
        raise NotFound(f"No trend matches {ref.strip()[:40]!r}. References look like TR-2026-0001.")
    if _leads(ctx, trend):
        return trend
    roles = ctx.actor.roles
    if not allowed(ctx.config, roles, VIEW):
        raise UserError(
            f"Sorry, you can't do that: it is for {describe(ctx.config, VIEW)}. "
            "Nothing was changed."
        )
    if "admin" not in roles and not any(
        sits_on(roles, code) or governs(roles, code) for code in trend.committees
    ):
        raise UserError(f"Only members of {committees_of(trend)} can open {trend.ref}.")
    return trend


def title(ctx: Context, trend: Trend) -> str:
    label = trends.value_label(ctx, trend.dimension, trend.value)
    return f"{trends.DIMENSION_LABELS[trend.dimension]}: {label}"


def _strength(config: OrgConfig, action: Action) -> str:
    return STRENGTH_LABELS[config.tier(action.tier).strength]


def _lesson_item(ctx: Context, lesson: Lesson, actions: list[Action]) -> Item:
    parts = [lesson_status(lesson.status)]
    if actions:
        parts += [
            f"{a.ref} tier {a.tier}, {_strength(ctx.config, a)}, {action_status(a.status)}"
            for a in actions
        ]
    else:
        parts.append("no actions yet")
    return Item(
        lesson.title,
        lesson.ref,
        " · ".join(parts),
        (Button("Open", "lesson.show", {"ref": lesson.ref}),),
    )


def _decision(ctx: Context, trend: Trend) -> list[Block]:
    who = ctx.uow.staff.get(trend.decided_by_id) if trend.decided_by_id else None
    by = f" by {who.display_name}" if who else ""
    on = f" on {ctx.calendar.local(trend.decided_at):%d %b %Y}" if trend.decided_at else ""
    if trend.status == trends.ACCEPTED:
        lead = ctx.uow.staff.get(trend.response_owner_id) if trend.response_owner_id else None
        return [
            Notice(f"Accepted as a theme{on}{by}.", "success"),
            Facts(
                (
                    Fact("Response", trend.response or ""),
                    Fact("Response lead", lead.display_name if lead else "Not named"),
                )
            ),
        ]
    if trend.status == trends.DISMISSED:
        return [
            Notice(
                f"Dismissed{on}{by}: {trend.decision_reason}. It stays quiet until a new lesson "
                "joins it.",
                "info",
            )
        ]
    blocks: list[Block] = [Notice(f"Awaiting a decision by {committees_of(trend)}.", "warning")]
    if trend.reopened_at is not None:
        again = ctx.calendar.local(trend.reopened_at)
        blocks.append(
            Text(
                f"Raised again on {again:%d %b %Y}: it was dismissed{on}{by} "
                f"({trend.decision_reason}), then a new lesson joined it.",
                muted=True,
            )
        )
    return blocks


def decision_buttons(ctx: Context, trend: Trend) -> list[Button]:
    """Accept or dismiss, for those who may decide now; every press is checked again."""
    if (
        trend.status != trends.OPEN
        or not allowed(ctx.config, ctx.actor.roles, DECIDE)
        or not trends.may_decide(ctx, trend)
        or not duties.permits(ctx, Decision.TREND_DECISION, trend)
    ):
        return []
    value = {"ref": trend.ref}
    return [
        Button("Accept as a theme…", "trend.decide", {**value, "to": "accept"}, "primary"),
        Button("Dismiss…", "trend.decide", {**value, "to": "dismiss"}, "danger"),
    ]


def trend_card(ctx: Context, trend: Trend, notice: Notice | None = None) -> Reply:
    """The trend as this person may see it: its lessons they may read, with their actions and
    how strong those are, and the committee's decision."""
    lessons = list(trend.lessons)
    scope = visibility.lesson_scope(ctx.config, ctx.actor)
    readable = [x for x in lessons if visibility.in_scope(scope, x)]
    by_lesson: dict[int, list[Action]] = {}
    for action in ctx.uow.actions.for_lessons([x.id for x in readable]):
        by_lesson.setdefault(action.lesson_id, []).append(action)
    all_actions = list(ctx.uow.actions.for_lessons([x.id for x in lessons]))
    blocks: list[Block] = [notice] if notice else []
    blocks += [Heading(f"{trend.ref}: {title(ctx, trend)}"), *_decision(ctx, trend)]
    blocks.append(
        Facts(
            (
                Fact("Lessons", str(len(lessons))),
                Fact("Committees", ", ".join(trend.committees)),
                Fact("First raised", f"{ctx.calendar.local(trend.created_at):%d %b %Y}"),
                Fact("Last lesson joined", f"{ctx.calendar.local(trend.last_lesson_at):%d %b %Y}"),
            )
        )
    )
    if trends.only_weak(ctx, all_actions):
        blocks.append(Notice("Only weak actions so far: consider a stronger response.", "warning"))
    blocks.append(
        Items(
            tuple(_lesson_item(ctx, x, by_lesson.get(x.id, [])) for x in readable),
            empty_text="No lesson in it that you may open yet.",
        )
    )
    hidden = len(lessons) - len(readable)
    if hidden:
        blocks.append(
            SmallPrint(
                f"{counted(hidden, 'more lesson')} not yet checked for patient data: "
                "named here once a governance lead has checked them."
            )
        )
    buttons = decision_buttons(ctx, trend)
    if buttons:
        blocks.append(Buttons(tuple(buttons)))
    return Reply(
        summary=f"{trend.ref}: {TREND_DECISIONS.get(trend.status, trend.status)}",
        blocks=tuple(blocks),
        replace_original=notice is not None,
    )


def show(ctx: Context, press: Press) -> Response:
    return trend_card(ctx, find(ctx, press.value.get("ref", "")))


def show_ref(ctx: Context, ref: str) -> Response:
    """`/qi show TR-…`."""
    return trend_card(ctx, find(ctx, ref))


def _item(ctx: Context, trend: Trend) -> Item:
    joined = ctx.calendar.local(trend.last_lesson_at)
    detail = (
        f"{TREND_DECISIONS.get(trend.status, trend.status)} · "
        f"{counted(trend.lesson_count, 'lesson')} · last joined {joined:%d %b %Y}"
    )
    return Item(
        title(ctx, trend),
        trend.ref,
        detail,
        (Button("Open", "trend.show", {"ref": trend.ref}),),
    )


def list_trends(ctx: Context, invocation: Invocation) -> Response:
    """`/qi trends [committee]`: the trends a committee monitors, undecided ones first."""
    roles = ctx.actor.roles
    words = invocation.args.split()
    mine = [c for c in ctx.config.committees if sits_on(roles, c) or governs(roles, c)]
    codes = [w.upper() for w in words] if words else mine
    if not codes or len(words) > 1 or any(c not in ctx.config.committees for c in codes):
        raise UserError("Which committee? Use /qi trends " + "|".join(ctx.config.committees))
    for code in codes:
        if code not in mine and "admin" not in roles:
            raise UserError(f"Only members of the {code} committee can list its trends.")
    blocks: list[Block] = []
    total = 0
    for code in codes:
        found, count = ctx.uow.trends.for_committee(code, LIST_LIMIT)
        total += count
        blocks += [
            Heading(f"{ctx.config.committees[code].name}: trends"),
            Items(tuple(_item(ctx, t) for t in found), empty_text="No trends."),
        ]
        if count > len(found):
            blocks.append(SmallPrint(f"Showing {len(found)} of {count}: undecided first."))
    blocks.append(SmallPrint("Open one with /qi show TR-…; undecided trends come first."))
    return Reply(summary=counted(total, "trend"), blocks=tuple(blocks))


def responses_led(ctx: Context, me: int) -> list[Block]:
    """/qi mine: trends accepted as themes whose response `me` leads (nothing if none)."""
    led = ctx.uow.trends.led_by(me)
    if not led:
        return []
    items = tuple(
        Item(
            title(ctx, t),
            t.ref,
            f"accepted as a theme · {counted(t.lesson_count, 'lesson')}",
            (Button("Open", "trend.show", {"ref": t.ref}),),
        )
        for t in led
    )
    return [Heading("Trend responses you lead"), Items(items)]


def _about(ctx: Context, trend: Trend) -> str:
    return f"{trend.ref}: {title(ctx, trend)} ({counted(trend.lesson_count, 'lesson')})"


def _may(ctx: Context, trend: Trend) -> None:
    if not trends.may_decide(ctx, trend):
        raise UserError(
            f"Only members, chairs and governance leads of {committees_of(trend)} can decide "
            f"on {trend.ref}."
        )
    duties.check(ctx, Decision.TREND_DECISION, trend, trend.ref)
    trends.require_open(trend)


def decide_button(ctx: Context, press: Press) -> Response:
    trend = find(ctx, press.value.get("ref", ""))
    _may(ctx, trend)
    form_id = {"accept": ACCEPT_FORM, "dismiss": DISMISS_FORM}.get(press.value.get("to", ""))
    if form_id is None:
        raise UserError("Unknown choice: accept or dismiss.")
    return OpenForm(form_id, {}, {"ref": trend.ref}, about=_about(ctx, trend))


def on_decide(ctx: Context, submission: Submission) -> Response:
    trend = find(ctx, submission.context.get("ref", ""))
    _may(ctx, trend)
    values = submission.values
    if submission.form_id == ACCEPT_FORM:
        owner = ctx.uow.staff.by_email(values["owner"])
        if owner is None or not owner.active:
            return FormErrors({"owner": f"{values['owner']} is not in the staff directory."})
        trends.accept(ctx, trend, values["response"], owner)
        done = f"{trend.ref} accepted as a theme; {owner.display_name} leads the response."
    else:
        trends.dismiss(ctx, trend, values["reason"])
        done = f"{trend.ref} dismissed; it stays quiet until a new lesson joins it."
    return trend_card(ctx, trend, Notice(done, "success"))


def decision_forms() -> list[Form]:
    return [
        Form(
            ACCEPT_FORM,
            "Accept the trend as a theme",
            "Accept",
            (
                Field(
                    "response",
                    "The committee's response",
                    FieldKind.LONG_TEXT,
                    required=True,
                    min_length=10,
                    max_length=2000,
                    help="What will be done about the theme (a deep dive, a process review, a "
                    "stronger action). Shown to the committees and in the quarterly bulletin.",
                ),
                Field(
                    "owner",
                    "Who leads the response",
                    FieldKind.EMAIL,
                    required=True,
                    help="Work email: they are told now and see it in /qi mine.",
                ),
            ),
            intro="The lessons keep their own actions; this is the response to the theme.",
        ),
        Form(
            DISMISS_FORM,
            "Dismiss the trend",
            "Dismiss",
            (
                Field(
                    "reason",
                    "Why it is not a theme",
                    FieldKind.LONG_TEXT,
                    required=True,
                    min_length=10,
                    max_length=2000,
                    help="Shown to the committees. The trend stays quiet until a new lesson "
                    "joins it; then it is raised again.",
                ),
            ),
        ),
    ]


def register(registry: Registry) -> None:
    for form in decision_forms():
        registry.add_form(FormSpec(form, DECIDE, on_decide))
    # Everyone's button (a response lead may sit on no committee): `find` checks who may look.
    registry.add_action(ActionSpec("trend.show", "lesson.view", show))
    registry.add_action(ActionSpec("trend.decide", DECIDE, decide_button))
