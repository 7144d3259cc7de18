"""Who may read a lesson, and who may read the committee's notes on it (docs/domain.md,
information governance).

A lesson is checked for patient data at triage. Until then its text may hold details nobody
has looked at, so only its submitter and its committee's governance leads may read it (and
whoever the config grants "lesson.read_untriaged", e.g. admins). Everyone else is answered as
if it did not exist: references are sequential, and "you may not see LL-2026-0042" would
confirm that it does. Every path that reads a lesson asks here: the card, /lesson status,
lists, the learning library, exports (and a web UI later), through `lesson_scope` for queries
and `may_read` for one lesson.
"""

from __future__ import annotations

from handlers.config import OrgConfig
from handlers.context import Actor, Context
from handlers.permissions import allowed, governs, sits_on
from store.models import Lesson
from store.repos.lessons import LessonScope

READ_UNTRIAGED = "lesson.read_untriaged"
"""Granted in the config's [permissions] to roles that may read every lesson before triage."""

EVERY_MEMBER_OF_STAFF = LessonScope()
"""What anyone may read, without a role or a submission of their own: triaged lessons only.
The learning library and the registers (`qihub export`) show exactly this."""


def lesson_scope(config: OrgConfig, actor: Actor) -> LessonScope:
    """The lessons `actor` may read, as a scope the repositories turn into a query."""
    if allowed(config, actor.roles, READ_UNTRIAGED):
        return LessonScope(everything=True)
    governed = frozenset(code for code in config.committees if governs(actor.roles, code))
    return LessonScope(committees=governed, submitter_id=actor.staff_id)


def may_read(config: OrgConfig, actor: Actor, lesson: Lesson) -> bool:
    """True when `actor` may read `lesson`."""
    return in_scope(lesson_scope(config, actor), lesson)


def in_scope(scope: LessonScope, lesson: Lesson) -> bool:
    """`scope`'s rule for one loaded lesson (the same rule as `scope.where()` in a query)."""
    return (
        scope.everything
        or lesson.triaged_at is not None
        or lesson.committee in scope.committees
        or (
            scope.submitter_id is not None
            and any(s.staff_id == scope.submitter_id for s in lesson.submitters)
        )
    )


def can_read(ctx: Context, lesson: Lesson) -> bool:
    return may_read(ctx.config, ctx.actor, lesson)


def reads_committee_notes(ctx: Context, lesson: Lesson) -> bool:
    """The committee's own notes (triage note, rationale, assurance note) are for its members
    and governance leads only: never the reporter's view, nor a member of staff's."""
    roles = ctx.actor.roles
    return sits_on(roles, lesson.committee) or governs(roles, lesson.committee)
