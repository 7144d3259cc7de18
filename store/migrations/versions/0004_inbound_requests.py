"""inbound requests: recognise replayed and retried Slack and Teams requests

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbound_request',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_inbound_request'))
    )
    with op.batch_alter_table('inbound_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_request_received_at'), ['received_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('inbound_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_request_received_at'))

    op.drop_table('inbound_request')
