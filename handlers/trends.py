"""Trends: three or more lessons (config) sharing a process, department, site or SRG within 90
days (config), across sources. Raised once to the committees concerned, then updated as lessons
join; flagged when only weak actions have been chosen for them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from handlers import people
from handlers.audit import record
from handlers.context import Context
from handlers.lessons.lifecycle import LessonStatus
from handlers.spc import trends as spc_trends
from messages.templates import counted
from messages.view import Block, Button, Buttons, Fact, Facts, Notice, Reply
from store.models import Action, Lesson, Trend

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
                after={
                    "dimension": dimension,
                    "value": value,
                    "lessons": len(sharing),
                    "rule": decision.rule,
                    "reason": decision.reason,
                },
                by_system=True,
            )
            _announce(ctx, trend, sharing, "New trend", committees)
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
            _announce(ctx, trend, sharing, "Trend grew", trend.committees)
        touched.append(trend)
    return touched


def _announce(
    ctx: Context, trend: Trend, lessons: Sequence[Lesson], headline: str, committees: list[str]
) -> None:
    label = value_label(ctx, trend.dimension, trend.value)
    sources = sorted(
        {
            ctx.config.lesson_sources[x.source].label
            for x in lessons
            if x.source in ctx.config.lesson_sources
        }
    )
    text = (
        f"{headline} {trend.ref}: {counted(trend.lesson_count, 'lesson')} about the "
        f"{DIMENSION_LABELS[trend.dimension]} '{label}' within "
        f"{ctx.config.trends.window_days} days"
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
    blocks.append(
        Buttons(tuple(Button(f"Open {x.ref}", "lesson.show", {"ref": x.ref}) for x in lessons[-3:]))
    )
    reply = Reply(summary=text, blocks=tuple(blocks))
    # Raised once to each committee; a growth update goes to every committee concerned.
    for code in committees:
        channel = people.channel_of(ctx, code)
        if channel is not None:
            ctx.enqueuer.to_channel(
                channel, reply, f"trend:{trend.ref}:{trend.lesson_count}:{code}"
            )
