"""A lesson's card drawn again for one viewer (handlers/cards.py), under the rules of
handlers/visibility.py: nothing for someone who may not read it, no text before triage in a
shared place, the committee's notes only for the committee, a confidential submitter named
only in a private view of someone who may know them."""

from __future__ import annotations

from handlers import visibility
from handlers.actions.service import today
from handlers.context import Context
from handlers.lessons import service
from handlers.lessons.commands import viewer_buttons
from handlers.lessons.views import lesson_card
from handlers.registry import CardView
from messages.view import Button


def render(ctx: Context, ref: str, shared: bool) -> CardView | None:
    lesson = ctx.uow.lessons.by_ref(ref)
    if lesson is None or not visibility.can_read(ctx, lesson):
        return None
    confidential = not shared and service.may_see_confidential(ctx, lesson)
    hidden = (
        frozenset()
        if lesson.mode == "named" or confidential
        else frozenset(s.staff_id for s in lesson.submitters)
    )
    committee = visibility.reads_committee_notes(ctx, lesson)
    checked = lesson.triaged_at is not None
    buttons = viewer_buttons(ctx, lesson)
    if shared and not checked:
        buttons.append(Button("Open", "lesson.show", {"ref": lesson.ref}))
    actions = ctx.uow.actions.for_lesson(lesson.id)
    blocks = lesson_card(
        lesson,
        ctx.config,
        today(ctx),
        submitter_names=[] if lesson.mode == "anonymous" else service.submitter_names(ctx, lesson),
        may_see_confidential=confidential,
        show_text=not shared or checked,
        show_notes=committee,
        show_message=committee or service.is_submitter(ctx, lesson),
        actions=actions,
        pending=ctx.uow.actions.pending_extension_ids([a.id for a in actions]),
        buttons=buttons,
    )
    return CardView(tuple(blocks), hidden)
