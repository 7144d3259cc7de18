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
    # Plain ADD COLUMN, never a batch copy: on SQLite a batch would drop and rebuild `trend`,
    # and trend_lesson's ON DELETE CASCADE would empty it (tests/test_migrations.py).
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for name in ('response_owner_id', 'decided_by_id'):
        if sqlite:  # SQLite adds a reference with the column, or not at all
            op.execute(f'ALTER TABLE trend ADD COLUMN {name} INTEGER REFERENCES staff (id)')
        else:
            op.add_column('trend', sa.Column(name, sa.Integer(), nullable=True))
            op.create_foreign_key(op.f(f'fk_trend_{name}_staff'), 'trend', 'staff', [name], ['id'])
    op.add_column('trend', sa.Column('decision_reason', sa.Text(), nullable=True))
    op.add_column('trend', sa.Column('decided_at', store.base.UTCDateTime(timezone=True), nullable=True))  # fmt: skip
    op.add_column('trend', sa.Column('reopened_at', store.base.UTCDateTime(timezone=True), nullable=True))  # fmt: skip


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ drops a column that no index or constraint names; the
    # references go with their columns), for the same reason as above.
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for name in ('reopened_at', 'decided_at', 'decision_reason'):
        op.drop_column('trend', name)
    for name in ('decided_by_id', 'response_owner_id'):
        if not sqlite:
            op.drop_constraint(op.f(f'fk_trend_{name}_staff'), 'trend', type_='foreignkey')
        op.drop_column('trend', name)
