"""a Big Idea's business case, and its sponsor's acceptance

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

A Big Idea now carries a business case (scope, resources, the cost in words and, if known, in
pounds, and how success will be measured) and a sponsor who must accept before it goes on:
`sponsor_state` is "asked", "accepted" or "declined", with the decline's reason, and
`promoted_at` tells a promoted Bright Idea from a Big Idea submitted as one.

Every column is new and nullable, so every idea comes through as it was. A sponsor already
recorded was named by the ideas panel at approval, under the old rules that asked no one:
those ideas are already past the panel, so the sponsor is taken as having accepted.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.base

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

NEW_COLUMNS = (
    ('sponsor_state', sa.String(length=16)),
    ('sponsor_reason', sa.Text()),
    ('sponsor_asked_at', store.base.UTCDateTime(timezone=True)),
    ('promoted_at', store.base.UTCDateTime(timezone=True)),
    ('scope', sa.Text()),
    ('resources', sa.Text()),
    ('cost_pounds', sa.Integer()),
    ('cost_detail', sa.Text()),
    ('success_measures', sa.Text()),
)


def upgrade() -> None:
    for name, type_ in NEW_COLUMNS:
        op.add_column('idea', sa.Column(name, type_, nullable=True))
    op.create_index('ix_idea_sponsor_status', 'idea', ['sponsor_id', 'status'], unique=False)
    idea = sa.table('idea', sa.column('sponsor_id', sa.Integer), sa.column('sponsor_state'))
    op.execute(idea.update().where(idea.c.sponsor_id.is_not(None)).values(sponsor_state='accepted'))


def downgrade() -> None:
    op.drop_index('ix_idea_sponsor_status', table_name='idea')
    for name, _type in reversed(NEW_COLUMNS):
        op.drop_column('idea', name)
