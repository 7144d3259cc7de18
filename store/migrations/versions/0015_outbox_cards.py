"""outbox.card: which record a delivered message shows, so it can be updated in place

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_outbox_card', ['card', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_card')
        batch_op.drop_column('card')
