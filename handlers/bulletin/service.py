"""The bulletin's lifecycle: draft → reviewed → approved → published, then archived.

Two different people sign a bulletin off (four-eyes): a governance lead reviews it (writes the
foreword, leaves items out) and an executive, who must not be that reviewer, approves it.
Approval freezes the contents into a snapshot and publishes at once: the summary goes to the
bulletin's own channel ([bulletin] channel, never the critical-alerts one) with a link to the
web page, and the bulletin it replaces is archived.
An edit after review sends the bulletin back to draft, so what the executive approves is
always exactly what a governance lead last reviewed. Each step checks its own rules, changes
state, writes the audit log and queues notifications in the caller's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import time

from handlers import people
from handlers.audit import record
from handlers.bulletin.data import Contents, build_contents, from_snapshot, to_snapshot
from handlers.bulletin.lifecycle import EDITABLE, S
from handlers.bulletin.quarters import Quarter, bulletin_quarter, parse_quarter, quarter_at
from handlers.bulletin.views import approval_card, page_url, published_post
from handlers.context import Context
from handlers.errors import FieldProblem, UserError
from messages.templates import day
from store.models import Bulletin

_REF_SPLIT = re.compile(r"[\s,;]+")


def current_quarter(ctx: Context) -> Quarter:
    return quarter_at(ctx.now, ctx.config.zone)


def draft_time(ctx: Context) -> time:
    """The local time of day a draft is made: the config's [bulletin] time (09:00)."""
    return time.fromisoformat(ctx.config.bulletin.time)


def ensure_draft(ctx: Context, quarter: Quarter) -> Bulletin:
    """The quarter's bulletin, drafted now if there is none (by the clock or on request)."""
    zone = ctx.config.zone
    bulletin, made = ctx.uow.bulletins.create_if_absent(
        {
            "ref": quarter.ref,
            "quarter_start": quarter.start(zone),
            "quarter_end": quarter.end(zone),
            "status": S.DRAFT.value,
            "excluded": [],
            "created_at": ctx.now,
            "updated_at": ctx.now,
        }
    )
    if made:
        record(
            ctx,
            entity_type="bulletin",
            entity_ref=bulletin.ref,
            action="drafted",
            after={"status": bulletin.status},
        )
    return bulletin


def find(ctx: Context, text: str) -> Bulletin:
    """A bulletin by reference ("BUL-2026-Q3") or quarter ("2026-Q3")."""
    quarter = parse_quarter(text)
    bulletin = ctx.uow.bulletins.by_ref(quarter.ref) if quarter is not None else None
    if bulletin is None:
        raise UserError(
            f"There is no bulletin {text.strip()!r}. Give a reference like BUL-2026-Q3; "
            "/bulletin list shows them."
        )
    return bulletin


def contents(ctx: Context, bulletin: Bulletin) -> Contents:
    """What the bulletin says: its frozen snapshot once approved, else worked out now."""
    if bulletin.snapshot is not None:
        return from_snapshot(bulletin.snapshot)
    quarter = bulletin_quarter(bulletin.ref)
    return build_contents(ctx.uow, ctx.config, quarter, bulletin.foreword, bulletin.excluded)


def live_contents(ctx: Context, quarter: Quarter) -> Contents:
    """A quarter's would-be bulletin, before anyone has drafted or reviewed it."""
    return build_contents(ctx.uow, ctx.config, quarter)


def parse_refs(text: str | None) -> list[str]:
    return list(dict.fromkeys(r.upper() for r in _REF_SPLIT.split(text or "") if r))


def edit(ctx: Context, bulletin: Bulletin, foreword: str | None, left_out: Iterable[str]) -> str:
    """Set the foreword and the items left out. Unknown references are refused by name."""
    if bulletin.status not in EDITABLE:
        raise UserError(f"{bulletin.ref} is {bulletin.status}, so it can no longer be changed.")
    refs = list(dict.fromkeys(left_out))
    known = set(build_contents(ctx.uow, ctx.config, bulletin_quarter(bulletin.ref)).keys())
    known |= set(bulletin.excluded)
    unknown = [r for r in refs if r not in known]
    if unknown:
        raise FieldProblem(
            "leave_out",
            f"Not in this bulletin: {', '.join(unknown[:5])}. Use the references it lists.",
        )
    before = {
        "status": bulletin.status,
        "excluded": list(bulletin.excluded),
        "foreword_set": bool(bulletin.foreword),
    }
    bulletin.foreword = foreword or None
    bulletin.excluded = sorted(refs)
    bulletin.updated_at = ctx.now
    sent_back = bulletin.status == S.REVIEWED
    if sent_back:
        bulletin.status = S.DRAFT.value
        bulletin.reviewer_id = bulletin.reviewed_at = None
    record(
        ctx,
        entity_type="bulletin",
        entity_ref=bulletin.ref,
        action="edited",
        before=before,
        after={
            "status": bulletin.status,
            "excluded": list(bulletin.excluded),
            "foreword_set": bool(bulletin.foreword),
        },
    )
    again = " It was reviewed before this change, so mark it reviewed again." if sent_back else ""
    return f"{bulletin.ref} updated: {len(refs)} left out.{again}"


def mark_reviewed(ctx: Context, bulletin: Bulletin) -> str:
    if bulletin.status != S.DRAFT:
        raise UserError(f"{bulletin.ref} is {bulletin.status}, not a draft awaiting review.")
    bulletin.status = S.REVIEWED.value
    bulletin.reviewer_id, bulletin.reviewed_at = ctx.actor.staff_id, ctx.now
    bulletin.updated_at = ctx.now
    record(
        ctx,
        entity_type="bulletin",
        entity_ref=bulletin.ref,
        action="reviewed",
        before={"status": S.DRAFT.value},
        after={"status": bulletin.status, "excluded": list(bulletin.excluded)},
    )
    executives = [e for e in people.holders(ctx, "executive") if e != ctx.actor.staff_id]
    card = approval_card(ctx, bulletin, contents(ctx, bulletin))
    ctx.enqueuer.to_people(executives, card, f"bulletin:{bulletin.ref}:reviewed:{ctx.now}")
    return f"{bulletin.ref} is reviewed; the executives have been asked to approve it."


def approve(ctx: Context, bulletin: Bulletin) -> str:
    """Approve and publish: freeze the snapshot, post the summary, archive the previous one."""
    if bulletin.status != S.REVIEWED:
        raise UserError(
            f"{bulletin.ref} is {bulletin.status}: only a reviewed bulletin can be approved."
        )
    if bulletin.reviewer_id == ctx.actor.staff_id:
        raise UserError(
            f"You reviewed {bulletin.ref}, so another executive must approve it (four eyes)."
        )
    quarter = bulletin_quarter(bulletin.ref)
    if ctx.now < bulletin.quarter_end:
        last = quarter.last_day
        raise UserError(
            f"{quarter.label} runs until {day(last)}: approve it from the day after, so the "
            "bulletin records the whole quarter."
        )
    frozen = contents(ctx, bulletin)
    bulletin.snapshot = to_snapshot(frozen)
    bulletin.approver_id, bulletin.approved_at = ctx.actor.staff_id, ctx.now
    bulletin.status = S.APPROVED.value
    record(
        ctx,
        entity_type="bulletin",
        entity_ref=bulletin.ref,
        action="approved",
        before={"status": S.REVIEWED.value},
        after={"status": bulletin.status},
    )
    for older in ctx.uow.bulletins.in_statuses([S.PUBLISHED.value]):
        if older.id != bulletin.id:
            older.status, older.updated_at = S.ARCHIVED.value, ctx.now
            record(
                ctx,
                entity_type="bulletin",
                entity_ref=older.ref,
                action="archived",
                before={"status": S.PUBLISHED.value},
                after={"status": older.status, "replaced_by": bulletin.ref},
            )
    bulletin.status = S.PUBLISHED.value
    bulletin.published_at = bulletin.updated_at = ctx.now
    ctx.uow.flush()  # the id is in the link
    record(
        ctx,
        entity_type="bulletin",
        entity_ref=bulletin.ref,
        action="published",
        before={"status": S.APPROVED.value},
        after={"status": bulletin.status, "url": page_url(ctx, bulletin)},
    )
    post = published_post(frozen, page_url(ctx, bulletin))
    channel = ctx.config.bulletin.channel  # always in [channels]: the config check says so
    ctx.enqueuer.to_channel(channel, post, f"bulletin:{bulletin.ref}:published")
    where = f"posted to #{ctx.config.channels[channel].name}"
    return f"{bulletin.ref} is approved and published, {where}: {page_url(ctx, bulletin)}"
