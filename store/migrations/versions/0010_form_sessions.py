"""form_session and server_secret: form context kept on the server, buttons signed

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import store.base

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        'form_session',
        sa.Column('id', sa.String(length=43), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('form_id', sa.String(length=80), nullable=False),
        sa.Column('context', JSON, nullable=False),
        sa.Column('created_at', store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', store.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['staff_id'], ['staff.id'], name=op.f('fk_form_session_staff_id_staff'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_form_session')),
    )
    with op.batch_alter_table('form_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_session_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_session_staff_id'), ['staff_id'], unique=False)
    op.create_table(
        'server_secret',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('value', sa.String(length=100), nullable=False),
        sa.Column('created_at', store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_server_secret')),
    )


def downgrade() -> None:
    op.drop_table('server_secret')
    with op.batch_alter_table('form_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_session_staff_id'))
        batch_op.drop_index(batch_op.f('ix_form_session_expires_at'))
    op.drop_table('form_session')
