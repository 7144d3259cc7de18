"""the channel of every alert attempt and acknowledgement

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04

`alert_attempt`: one row per text or email the channel policy sends to a person (its step and
channel, its outbox row, Notify's receipt). `alert_ack_link.channel`: which channel's message
carried a link (existing links: unknown, null). A new table and a nullable column: no existing
row changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.base

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('queued_at', store.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivery_status', sa.String(length=24), nullable=True),
    sa.Column('status_at', store.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], name=op.f('fk_alert_attempt_alert_id_alert'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_alert_attempt_outbox_id_outbox'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_alert_attempt_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_attempt')),
    sa.UniqueConstraint('alert_id', 'staff_id', 'step', name=op.f('uq_alert_attempt_alert_id_staff_id_step'))
    )  # fmt: skip
    op.create_index('ix_alert_attempt_alert_channel', 'alert_attempt', ['alert_id', 'channel'], unique=False)  # fmt: skip
    op.create_index(op.f('ix_alert_attempt_outbox_id'), 'alert_attempt', ['outbox_id'], unique=False)  # fmt: skip
    op.create_index(op.f('ix_alert_attempt_staff_id'), 'alert_attempt', ['staff_id'], unique=False)  # fmt: skip
    with op.batch_alter_table('alert_ack_link') as batch:
        batch.add_column(sa.Column('channel', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alert_ack_link') as batch:
        batch.drop_column('channel')
    op.drop_index(op.f('ix_alert_attempt_staff_id'), table_name='alert_attempt')
    op.drop_index(op.f('ix_alert_attempt_outbox_id'), table_name='alert_attempt')
    op.drop_index('ix_alert_attempt_alert_channel', table_name='alert_attempt')
    op.drop_table('alert_attempt')
