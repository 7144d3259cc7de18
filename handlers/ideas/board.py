"""The ideas board (the web's /hub/ideas) and "my ideas" as lists of rows: which ideas, in
which order, filtered by which statuses. What a viewer may see is handlers/ideas/visibility.py's
rule, applied in the query; the HTML is the web adapter's (bot/hub_ideas.py)."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.context import Context
from handlers.ideas import visibility
from handlers.ideas.forms import KIND_LABELS
from handlers.ideas.lifecycle import IDEA_OPEN, IdeaStatus, status_label
from store.models import Idea

VIEW = "idea.view"
"""The permission `/idea status` and `/idea mine` need; the board needs it too."""

IMPLEMENTED = (IdeaStatus.IMPLEMENTED, IdeaStatus.RECOGNISED)
CLOSED = tuple(s for s in IdeaStatus if s not in IDEA_OPEN and s not in IMPLEMENTED)


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    statuses: tuple[str, ...]


FILTERS = {
    f.name: f
    for f in (
        Filter("open", "Open: can still be supported", tuple(s.value for s in IDEA_OPEN)),
        Filter("implemented", "Implemented", tuple(s.value for s in IMPLEMENTED)),
        Filter("closed", "Closed without being implemented", tuple(s.value for s in CLOSED)),
        Filter("all", "All ideas", tuple(s.value for s in IdeaStatus)),
    )
}
"""The board's status filters, in the order the page offers them; "open" is the default."""
DEFAULT_FILTER = "open"
PER_PAGE = 20


@dataclass(frozen=True)
class Row:
    ref: str
    title: str
    kind: str
    status: str
    status_label: str
    supporters: int


def row(idea: Idea) -> Row:
    return Row(
        ref=idea.ref,
        title=idea.title,
        kind=KIND_LABELS.get(idea.kind, idea.kind),
        status=idea.status,
        status_label=status_label(idea.status),
        supporters=idea.support_count,
    )


@dataclass(frozen=True)
class BoardPage:
    rows: list[Row]
    total: int
    number: int
    pages: int


def board(ctx: Context, chosen: Filter, number: int) -> BoardPage:
    """Page `number` (from 1) of the ideas the person acting may see under `chosen`, newest
    first. A page past the last comes back empty, with the real number of pages."""
    scope = visibility.idea_scope(ctx.config, ctx.actor)
    ideas, total = ctx.uow.ideas.board_page(
        scope, chosen.statuses, (max(number, 1) - 1) * PER_PAGE, PER_PAGE
    )
    pages = max(1, -(-total // PER_PAGE))
    return BoardPage([row(i) for i in ideas], total, number, pages)


def mine(ctx: Context) -> list[Row]:
    """The person's own ideas, newest first: the same list as `/idea mine` (anonymous ones
    are not linked to anyone, so never listed)."""
    assert ctx.actor.staff_id is not None
    return [row(i) for i in ctx.uow.ideas.submitted_by(ctx.actor.staff_id)]
