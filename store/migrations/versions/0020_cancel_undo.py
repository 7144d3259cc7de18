"""the status a cancelled action had, so a cancellation can be undone

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04

Cancelling an action now needs a second person and can be undone within a window (the
organisation config's `actions.cancel_undo_days`). Undoing restores the status the action had,
kept in `cancelled_from`. Actions cancelled before this revision get it from the audit log's
"cancelled" entry (its `before` status), so a recent cancellation can be undone after the
upgrade too; one with no such entry keeps NULL and cannot be undone (it is said so).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.base

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('action', sa.Column('cancelled_from', sa.String(length=24), nullable=True))
    audit = sa.table(
        'audit_log',
        sa.column('id', sa.Integer),
        sa.column('entity_type', sa.String),
        sa.column('entity_ref', sa.String),
        sa.column('action', sa.String),
        sa.column('before', store.base.JSONType),
    )
    action = sa.table(
        'action',
        sa.column('ref', sa.String),
        sa.column('status', sa.String),
        sa.column('cancelled_from', sa.String),
    )
    connection = op.get_bind()
    found = connection.execute(
        sa.select(audit.c.entity_ref, audit.c.before)
        .where(audit.c.entity_type == 'action', audit.c.action == 'cancelled')
        .order_by(audit.c.id)
    )
    last: dict[str, str] = {}
    for ref, before in found:
        status = (before or {}).get('status')
        if isinstance(status, str):
            last[ref] = status  # the latest cancellation wins
    for ref, status in last.items():
        connection.execute(
            action.update()
            .where(action.c.ref == ref, action.c.status == 'cancelled')
            .values(cancelled_from=status)
        )


def downgrade() -> None:
    op.drop_column('action', 'cancelled_from')
