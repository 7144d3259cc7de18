"""The personal home view (Slack's App Home, Teams' welcome card): what is waiting on me.

Built from the same queries as /qi mine, /idea mine and /lesson mine, so it never disagrees
with them; critical alerts still to acknowledge come first among the lists, with the button.
"""

from __future__ import annotations

from handlers.actions.lifecycle import ACTION_OPEN
from handlers.actions.service import today
from handlers.actions.views import action_item, action_rag
from handlers.context import Context
from handlers.ideas.views import idea_items
from handlers.lessons.views import lesson_item
from handlers.work import (
    ALERTS_HEADING,
    RAG_ORDER,
    alerts_to_acknowledge,
    sponsorships_waiting,
    waiting_for_verification,
)
from messages.view import (
    Block,
    Button,
    Buttons,
    Heading,
    Items,
    Reply,
    SmallPrint,
    Text,
)

SHOWN = 8


def home(ctx: Context) -> Reply:
    if ctx.actor.staff_id is None:
        org = ctx.config.organisation.short_name
        return Reply(
            summary="QI Hub",
            blocks=(
                Heading("QI Hub"),
                Text(
                    f"I can't find you in the {org} staff directory yet. Ask the QI team to add "
                    "your work email, and this page will show your ideas, lessons and actions."
                ),
            ),
        )
    staff_id = ctx.actor.staff_id
    day = today(ctx)
    owned = list(ctx.uow.actions.owned_by(staff_id, [s.value for s in ACTION_OPEN]))
    pending = ctx.uow.actions.pending_extension_ids([a.id for a in owned])
    owned.sort(key=lambda a: (RAG_ORDER[action_rag(a, day, a.id in pending)], a.due_date))
    to_verify = waiting_for_verification(ctx, staff_id)
    ideas = list(ctx.uow.ideas.submitted_by(staff_id))[:SHOWN]
    lessons = list(ctx.uow.lessons.submitted_by(staff_id))[:SHOWN]
    blocks: list[Block] = [
        Heading(f"QI Hub: {ctx.actor.name}"),
        Buttons(
            (
                Button("Share an idea", "qi.command", {"text": "/idea"}, "primary"),
                Button("Share a Big Idea", "qi.command", {"text": "/idea big"}),
                Button("Share a lesson", "qi.command", {"text": "/lesson"}),
                Button("Search what changed", "qi.command", {"text": "/qi search"}),
            )
        ),
        Heading("Your actions"),
        Items(
            tuple(action_item(a, day, a.id in pending, owner=False) for a in owned[:SHOWN]),
            empty_text="No open actions: nothing is waiting on you.",
        ),
    ]
    if len(owned) > SHOWN:
        blocks.append(SmallPrint(f"{len(owned) - SHOWN} more: /qi mine lists them all."))
    if to_verify:
        blocks += [
            Heading("Waiting for your verification"),
            Items(tuple(action_item(a, day, False) for a in to_verify[:SHOWN])),
        ]
    blocks += sponsorships_waiting(ctx, staff_id)
    blocks += [
        ALERTS_HEADING,
        alerts_to_acknowledge(ctx, staff_id, SHOWN),
        Heading("Your ideas"),
        idea_items(ideas, open_button=True),
        Heading("Your lessons"),
        Items(
            tuple(lesson_item(x, ctx.config, day) for x in lessons),
            empty_text="You have not shared any lessons yet.",
        ),
        SmallPrint(
            "Anonymous ideas and lessons are never listed here: follow them with your receipt code."
        ),
    ]
    return Reply(summary="QI Hub home", blocks=tuple(blocks))
