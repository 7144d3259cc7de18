"""a committee's decision on a trend: accepted as a theme, or dismissed

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-05

A trend can now be decided by a committee it concerns: accepted as a theme (its `response`,
already a column, and who leads it, `response_owner_id`) or dismissed (`decision_reason`); a
dismissed trend is reopened once a new lesson joins it (`reopened_at`). Nullable columns only:
every existing trend keeps its row and stays "open", awaiting a decision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.base

revision = '0023'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('trend') as batch:
        batch.add_column(sa.Column('response_owner_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('decision_reason', sa.Text(), nullable=True))
        batch.add_column(sa.Column('decided_at', store.base.UTCDateTime(timezone=True), nullable=True))  # fmt: skip
        batch.add_column(sa.Column('decided_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('reopened_at', store.base.UTCDateTime(timezone=True), nullable=True))  # fmt: skip
        batch.create_foreign_key(op.f('fk_trend_response_owner_id_staff'), 'staff', ['response_owner_id'], ['id'])  # fmt: skip
        batch.create_foreign_key(op.f('fk_trend_decided_by_id_staff'), 'staff', ['decided_by_id'], ['id'])  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table('trend') as batch:
        batch.drop_constraint(op.f('fk_trend_decided_by_id_staff'), type_='foreignkey')
        batch.drop_constraint(op.f('fk_trend_response_owner_id_staff'), type_='foreignkey')
        batch.drop_column('reopened_at')
        batch.drop_column('decided_by_id')
        batch.drop_column('decided_at')
        batch.drop_column('decision_reason')
        batch.drop_column('response_owner_id')
