"""teams conversations and directory sync: where the bot can speak, where sync stopped

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
import store.base


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('directory_sync',
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('delta_link', sa.Text(), nullable=True),
    sa.Column('last_synced_at', store.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('users_seen', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_directory_sync'))
    )
    op.create_table('teams_conversation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('service_url', sa.String(length=300), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.String(length=200), nullable=True),
    sa.Column('team_id', sa.String(length=300), nullable=True),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.Column('installed', sa.Boolean(), nullable=False),
    sa.Column('blocked_at', store.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', store.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', store.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_teams_conversation_staff_id_staff'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams_conversation')),
    sa.UniqueConstraint('conversation_id', name=op.f('uq_teams_conversation_conversation_id'))
    )
    with op.batch_alter_table('teams_conversation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teams_conversation_staff_id'), ['staff_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_teams_conversation_tenant_id'), ['tenant_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('teams_conversation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teams_conversation_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_teams_conversation_staff_id'))

    op.drop_table('teams_conversation')
    op.drop_table('directory_sync')
