"""personal acknowledgement links for critical alerts

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-04

`alert_ack_link`: one row per link sent in a text or email (`/ack/{token}`), holding only the
SHA-256 of the token (a dump yields no working link), the alert and the person it is bound to,
and when it was spent. A new table: no existing row changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.base

revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_ack_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('created_at', store.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', store.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], name=op.f('fk_alert_ack_link_alert_id_alert'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_alert_ack_link_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_ack_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_alert_ack_link_token_hash'))
    )  # fmt: skip
    op.create_index('ix_alert_ack_link_alert_staff', 'alert_ack_link', ['alert_id', 'staff_id'], unique=False)  # fmt: skip


def downgrade() -> None:
    op.drop_index('ix_alert_ack_link_alert_staff', table_name='alert_ack_link')
    op.drop_table('alert_ack_link')
