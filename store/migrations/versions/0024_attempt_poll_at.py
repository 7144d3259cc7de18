"""when to next ask GOV.UK Notify for an attempt's status (receipts by polling)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05

`alert_attempt.poll_at`: for a text or email Notify accepted but has not yet given a final
status, when the clock's receipt poll asks Notify for it next (NULL: never asked; the first ask
is a few minutes after sending). A nullable column: no existing row changes. An index on
`delivery_status`, so the poll's pass each minute skips the attempts already final.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.base

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alert_attempt') as batch:
        batch.add_column(sa.Column('poll_at', store.base.UTCDateTime(timezone=True), nullable=True))
    op.create_index('ix_alert_attempt_delivery_status', 'alert_attempt', ['delivery_status'], unique=False)  # fmt: skip


def downgrade() -> None:
    op.drop_index('ix_alert_attempt_delivery_status', table_name='alert_attempt')
    with op.batch_alter_table('alert_attempt') as batch:
        batch.drop_column('poll_at')
