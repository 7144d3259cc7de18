"""Trends: three or more lessons (config) sharing a process, department, site or SRG within 90
days (config), across sources. Raised once to the committees concerned, then updated as lessons
join; flagged when only weak actions have been chosen for them. A committee concerned decides
on a trend: accepts it as a theme (a response and who leads it) or dismisses it with a reason;
a dismissed trend stays quiet until a new lesson joins it, which raises it again, once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from handlers import people
from handlers.audit import record
from handlers.context import Context
from handlers.errors import UserError
from handlers.lessons.lifecycle import LessonStatus
from handlers.permissions import governs, sits_on
from handlers.spc import trends as spc_trends
from messages.templates import counted
from messages.view import Block, Button, Buttons, Fact, Facts, Notice, Reply, Text
from store.models import Action, Lesson, Staff, Trend

OPEN, ACCEPTED, DISMISSED = "open", "accepted", "dismissed"
"""A trend's decision: awaiting one, accepted as a theme, or dismissed."""

DIMENSION_LABELS = {
    "process": "process",
    "department": "ward/department",
    "site": "site",
    "srg": "Site Reference Group",
}


def value_label(ctx: Context, dimension: str, value: str) -> str:
    config = ctx.config
    match dimension:
        case "process":
            return config.processes.get(value, value)
        case "department":
            dept = config.departments.get(value)
            return dept.name if dept else value
        case "site":
            site = config.sites.get(value)
            return site.name if site else value
        case _:
            return config.srgs.get(value, value)


def dimensions(lesson: Lesson) -> list[tuple[str, str]]:
    found = [("process", lesson.process), ("srg", lesson.srg)]
    found += [(u.kind, u.code) for u in lesson.org_units]
    return [(d, v) for d, v in found if v]


def only_weak(ctx: Context, actions: list[Action]) -> bool:
    """True when there is at least one action and every one of them is a weak tier."""
    live = [a for a in actions if a.status not in ("cancelled", "declined")]
    return bool(live) and all(a.tier in ctx.config.trends.weak_tiers for a in live)


def detect(ctx: Context, lesson: Lesson) -> list[Trend]:
    """Raise or grow the trends `lesson` belongs to. Returns the trends touched.

    The rule raises a trend, not the person whose lesson completed it: its audit rows are the
    system's. Written in the submitter's transaction, an actor there would name an anonymous
    submitter beside their lesson's "anonymous" row."""
    rule = ctx.config.trends
    since = ctx.now - timedelta(days=rule.window_days)
    touched: list[Trend] = []
    for dimension, value in dimensions(lesson):
        sharing = ctx.uow.lessons.sharing(dimension, value, since, [LessonStatus.MERGED.value])
        decision = spc_trends.decide(ctx, dimension, value, len(sharing))
        if not decision.raised:  # [trends] rule: SPC special cause, or the count (docs/spc.md)
            continue
        why = {"rule": decision.rule, "reason": decision.reason}
        if decision.seen:  # the spc rule: what was seen, for the message
            why["seen"] = decision.seen
        touched.append(raise_or_grow(ctx, dimension, value, sharing, lesson, why=why))
    return touched


def raise_or_grow(
    ctx: Context,
    dimension: str,
    value: str,
    sharing: Sequence[Lesson],
    lesson: Lesson,
    *,
    why: Mapping[str, str] | None = None,
) -> Trend:
    """`sharing` (which includes `lesson`) forms a trend on `dimension` = `value`: raise it,
    or let `lesson` join the one already raised. Whatever rule decided that they form one (the
    count in `detect`, or another) calls this, so a trend is raised, grown and reopened one way.
    """
    since = ctx.now - timedelta(days=ctx.config.trends.window_days)
    trend = ctx.uow.trends.active(dimension, value, since)
    committees = sorted({x.committee for x in sharing})
    if trend is None:
        trend = Trend(
            ref=ctx.uow.refs.next_ref("TR", ctx.calendar.local(ctx.now).year),
            dimension=dimension,
            value=value,
            status="open",
            lesson_count=0,
            committees=committees,
            created_at=ctx.now,
            updated_at=ctx.now,
            last_lesson_at=ctx.now,
        )
        ctx.uow.trends.add(trend)
        for member in sharing:
            ctx.uow.trends.link(trend, member.id, ctx.now)
        trend.lesson_count = len(sharing)
        record(
            ctx,
            entity_type="trend",
            entity_ref=trend.ref,
            action="raised",
            after={"dimension": dimension, "value": value, "lessons": len(sharing), **(why or {})},
            by_system=True,
        )
        _announce(ctx, trend, sharing, "New trend", committees, why)
    elif ctx.uow.trends.link(trend, lesson.id, ctx.now):
        trend.lesson_count += 1
        trend.last_lesson_at = trend.updated_at = ctx.now
        trend.committees = sorted({*trend.committees, *committees})
        record(
            ctx,
            entity_type="trend",
            entity_ref=trend.ref,
            action="grew",
            after={"lessons": trend.lesson_count, "added": lesson.ref},
            by_system=True,
        )
        headline = "Trend grew"
        if trend.status == DISMISSED:
            # Something new happened: the committee's dismissal was of the trend without it.
            trend.status, trend.reopened_at = OPEN, ctx.now
            record(
                ctx,
                entity_type="trend",
                entity_ref=trend.ref,
                action="reopened",
                before={"status": DISMISSED},
                after={"status": OPEN, "added": lesson.ref},
                by_system=True,
            )
            headline = "Trend raised again"
        _announce(ctx, trend, sharing, headline, trend.committees, why)
    return trend


def _announce(
    ctx: Context,
    trend: Trend,
    lessons: Sequence[Lesson],
    headline: str,
    committees: list[str],
    why: Mapping[str, str] | None = None,
) -> None:
    label = value_label(ctx, trend.dimension, trend.value)
    sources = sorted(
        {
            ctx.config.lesson_sources[x.source].label
            for x in lessons
            if x.source in ctx.config.lesson_sources
        }
    )
    about = f"{DIMENSION_LABELS[trend.dimension]} '{label}'"
    seen = (why or {}).get("seen")
    text = (
        f"{headline} {trend.ref}: lessons about the {about} {seen}. "
        f"{counted(trend.lesson_count, 'lesson')} in the trend."
        if seen  # the spc rule says what it saw; the count rule, how many within its window
        else f"{headline} {trend.ref}: {counted(trend.lesson_count, 'lesson')} about the "
        f"{about} within {ctx.config.trends.window_days} days"
    )
    weak = only_weak(ctx, list(ctx.uow.actions.for_lessons([x.id for x in lessons])))
    blocks: list[Block] = [
        Notice(text, "warning"),
        Facts(
            (
                Fact("Lessons", ", ".join(x.ref for x in lessons[-10:])),
                Fact("Sources", ", ".join(sources)),
                Fact("Committees", ", ".join(committees)),
            )
        ),
    ]
    if weak:
        blocks.append(
            Notice(
                "Only weak actions so far (communication and education): "
                "consider a stronger response.",
                "warning",
            )
        )
    opens = [Button(f"Open {trend.ref}", "trend.show", {"ref": trend.ref})]
    opens += [Button(f"Open {x.ref}", "lesson.show", {"ref": x.ref}) for x in lessons[-3:]]
    blocks.append(Buttons(tuple(opens)))
    if headline == "Trend raised again":
        blocks.insert(
            1,
            Notice(
                f"It was dismissed ({trend.decision_reason}); a new lesson has joined it since, "
                "so it needs the committee's decision again.",
                "info",
            ),
        )
    reply = Reply(summary=text, blocks=tuple(blocks))
    # Raised once to each committee; a growth update goes to every committee concerned.
    for code in committees:
        channel = people.channel_of(ctx, code)
        if channel is not None:
            ctx.enqueuer.to_channel(
                channel, reply, f"trend:{trend.ref}:{trend.lesson_count}:{code}"
            )


def may_decide(ctx: Context, trend: Trend) -> bool:
    """A member, chair or governance lead of a committee the trend concerns: the committees
    monitor trends (the strategy, step 2); the separation-of-duties table is checked too."""
    roles = ctx.actor.roles
    return any(sits_on(roles, code) or governs(roles, code) for code in trend.committees)


def require_open(trend: Trend) -> None:
    if trend.status != OPEN:
        raise UserError(
            f"{trend.ref} was already {trend.status}; a new lesson joining it reopens it."
            if trend.status == DISMISSED
            else f"{trend.ref} was already accepted as a theme."
        )


def accept(ctx: Context, trend: Trend, response: str, owner: Staff) -> None:
    """Accept the trend as a theme: what the committee will do about it, and who leads that
    (told now, and shown it in /qi mine). The response is also the bulletin's "our response"."""
    require_open(trend)
    before = {"status": trend.status}
    trend.status, trend.response, trend.response_owner_id = ACCEPTED, response, owner.id
    _decided(ctx, trend)
    record(
        ctx,
        entity_type="trend",
        entity_ref=trend.ref,
        action="accepted",
        before=before,
        after={"status": ACCEPTED, "response_owner": owner.display_name},
        reason=response,
    )
    headline = f"{trend.ref} accepted as a theme: {owner.display_name} leads the response"
    _tell_committees(ctx, trend, headline, response)
    ctx.enqueuer.to_person(
        owner.id,
        _message(trend, f"You lead the response to {trend.ref}", response),
        f"trend:{trend.ref}:lead:{owner.id}:{ctx.now.isoformat()}",
    )


def dismiss(ctx: Context, trend: Trend, reason: str) -> None:
    """Dismiss the trend with a reason: it stays quiet (no digest line, no post) until a new
    lesson joins it."""
    require_open(trend)
    before = {"status": trend.status}
    trend.status, trend.decision_reason = DISMISSED, reason
    _decided(ctx, trend)
    record(
        ctx,
        entity_type="trend",
        entity_ref=trend.ref,
        action="dismissed",
        before=before,
        after={"status": DISMISSED},
        reason=reason,
    )
    _tell_committees(ctx, trend, f"{trend.ref} dismissed", reason)


def _decided(ctx: Context, trend: Trend) -> None:
    trend.decided_at = trend.updated_at = ctx.now
    trend.decided_by_id = ctx.actor.staff_id


def _message(trend: Trend, headline: str, text: str) -> Reply:
    return Reply(
        summary=headline,
        blocks=(
            Notice(headline, "info"),
            Text(text),
            Buttons((Button(f"Open {trend.ref}", "trend.show", {"ref": trend.ref}),)),
        ),
    )


def _tell_committees(ctx: Context, trend: Trend, headline: str, text: str) -> None:
    """Every committee the trend concerns hears of the decision, who made it and why: one
    committee decides for all, so the others can open it and see why."""
    who = ctx.uow.staff.get(ctx.actor.staff_id) if ctx.actor.staff_id is not None else None
    by = f"Decided by {who.display_name}: " if who is not None else ""
    message = _message(trend, headline, by + text)
    for code in trend.committees:
        channel = people.channel_of(ctx, code)
        if channel is not None:
            key = f"trend:{trend.ref}:{trend.status}:{code}:{ctx.now.isoformat()}"
            ctx.enqueuer.to_channel(channel, message, key)
