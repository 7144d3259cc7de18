"""critical alerts, their recipients, deliveries and acknowledgements

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import store.base

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=150), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('severity', sa.String(length=32), nullable=False),
    sa.Column('audience_kind', sa.String(length=12), nullable=False),
    sa.Column('audience_values', JSON, nullable=False),
    sa.Column('ack_deadline', store.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lesson_ref', sa.String(length=20), nullable=True),
    sa.Column('cas_ref', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('emergency', sa.Boolean(), nullable=False),
    sa.Column('publisher_id', sa.Integer(), nullable=False),
    sa.Column('approver_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', store.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rejected_reason', sa.Text(), nullable=True),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('recipient_count', sa.Integer(), nullable=False),
    sa.Column('sent_at', store.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', store.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status_outbox_id', sa.Integer(), nullable=True),
    sa.Column('created_at', store.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', store.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['approver_id'], ['staff.id'], name=op.f('fk_alert_approver_id_staff')),
    sa.ForeignKeyConstraint(['corrects_id'], ['alert.id'], name=op.f('fk_alert_corrects_id_alert')),
    sa.ForeignKeyConstraint(['publisher_id'], ['staff.id'], name=op.f('fk_alert_publisher_id_staff')),
    sa.ForeignKeyConstraint(['status_outbox_id'], ['outbox.id'], name=op.f('fk_alert_status_outbox_id_outbox'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert')),
    sa.UniqueConstraint('ref', name=op.f('uq_alert_ref'))
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_corrects_id'), ['corrects_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_publisher_id'), ['publisher_id'], unique=False)
        batch_op.create_index('ix_alert_status_deadline', ['status', 'ack_deadline'], unique=False)

    op.create_table('alert_recipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('delivered_at', store.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('platform', sa.String(length=16), nullable=True),
    sa.Column('handle', JSON, nullable=True),
    sa.Column('acked_at', store.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ack_platform', sa.String(length=16), nullable=True),
    sa.Column('notified_count', sa.Integer(), nullable=False),
    sa.Column('last_notified_at', store.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', store.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failure', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], name=op.f('fk_alert_recipient_alert_id_alert'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_alert_recipient_outbox_id_outbox'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_alert_recipient_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_recipient')),
    sa.UniqueConstraint('alert_id', 'staff_id', name=op.f('uq_alert_recipient_alert_id_staff_id'))
    )
    with op.batch_alter_table('alert_recipient', schema=None) as batch_op:
        batch_op.create_index('ix_alert_recipient_alert_acked', ['alert_id', 'acked_at'], unique=False)
        batch_op.create_index('ix_alert_recipient_alert_delivered', ['alert_id', 'delivered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_recipient_staff_id'), ['staff_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('alert_recipient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_recipient_staff_id'))
        batch_op.drop_index('ix_alert_recipient_alert_delivered')
        batch_op.drop_index('ix_alert_recipient_alert_acked')

    op.drop_table('alert_recipient')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_status_deadline')
        batch_op.drop_index(batch_op.f('ix_alert_publisher_id'))
        batch_op.drop_index(batch_op.f('ix_alert_corrects_id'))

    op.drop_table('alert')
