"""outbox.bulk: fan-outs (broadcasts, re-notifications) are the clock's to deliver

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('bulk', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index('ix_outbox_bulk_due', ['bulk', 'status', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_bulk_due')
        batch_op.drop_column('bulk')
