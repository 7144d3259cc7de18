"""lesson notes apart from the reporter's message, and when a lesson was triaged

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

`status_reason` held whatever the last form said, and the reporter and every member of staff
saw it, including the triage form's "note for the committee". It is split in two:

- `reporter_message`: what the submitter is told (the "message to the reporter" fields);
- `committee_note`: the committee's internal note, shown to committee members only.

Existing reasons are moved by the status that wrote them. A lesson still `submitted`,
`not_progressed` or `merged` got its reason from the route, merge or not-progressed forms,
whose reason field said "Sent to the submitter": it stays the reporter's message. Every other
status got it from the triage note, the assurance note or a reopening: those were committee
notes, so they move to `committee_note` and stop being shown to the reporter and to staff.

`triaged_at` is when a governance lead checked the lesson for patient data (until then it is
readable only by its submitter and the committee's governance leads). It is filled from the
audit log's "triaged" entry, or, for a lesson past triage with no such entry, from when its
status last changed, so every lesson that was already visible to staff stays visible.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.base

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

REPORTER_STATUSES = ("submitted", "not_progressed", "merged")
"""Statuses whose reason came from a form that said "Sent to the submitter"."""
PAST_TRIAGE = (
    "triaged", "decided", "in_progress", "awaiting_assurance", "monitoring", "closed", "reopened"
)  # fmt: skip


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): a copied lesson table would lose the search triggers.
    op.add_column('lesson', sa.Column('reporter_message', sa.Text(), nullable=True))
    op.add_column('lesson', sa.Column('committee_note', sa.Text(), nullable=True))
    op.add_column(
        'lesson', sa.Column('triaged_at', store.base.UTCDateTime(timezone=True), nullable=True)
    )
    lesson = sa.table(
        'lesson',
        sa.column('ref', sa.String),
        sa.column('status', sa.String),
        sa.column('status_reason', sa.Text),
        sa.column('reporter_message', sa.Text),
        sa.column('committee_note', sa.Text),
        sa.column('status_changed_at', store.base.UTCDateTime(timezone=True)),
        sa.column('triaged_at', store.base.UTCDateTime(timezone=True)),
    )
    audit = sa.table(
        'audit_log',
        sa.column('entity_type', sa.String),
        sa.column('entity_ref', sa.String),
        sa.column('action', sa.String),
        sa.column('at', store.base.UTCDateTime(timezone=True)),
    )
    op.execute(
        lesson.update()
        .where(lesson.c.status.in_(REPORTER_STATUSES))
        .values(reporter_message=lesson.c.status_reason)
    )
    op.execute(
        lesson.update()
        .where(lesson.c.status.not_in(REPORTER_STATUSES))
        .values(committee_note=lesson.c.status_reason)
    )
    triaged = (
        sa.select(sa.func.min(audit.c.at))
        .where(
            audit.c.entity_type == 'lesson',
            audit.c.entity_ref == lesson.c.ref,
            audit.c.action == 'triaged',
        )
        .scalar_subquery()
    )
    op.execute(lesson.update().values(triaged_at=triaged))
    op.execute(
        lesson.update()
        .where(lesson.c.triaged_at.is_(None), lesson.c.status.in_(PAST_TRIAGE))
        .values(triaged_at=lesson.c.status_changed_at)
    )
    op.drop_column('lesson', 'status_reason')


def downgrade() -> None:
    # The old column showed its text to everyone; the reporter's message is the safe choice.
    op.add_column('lesson', sa.Column('status_reason', sa.Text(), nullable=True))
    lesson = sa.table(
        'lesson',
        sa.column('status_reason', sa.Text),
        sa.column('reporter_message', sa.Text),
    )
    op.execute(lesson.update().values(status_reason=lesson.c.reporter_message))
    op.drop_column('lesson', 'triaged_at')
    op.drop_column('lesson', 'committee_note')
    op.drop_column('lesson', 'reporter_message')
