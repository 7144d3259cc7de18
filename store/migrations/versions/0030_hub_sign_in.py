"""signing in to the Improvement Hub on the web: one-time links, sessions, Entra ID flows

Revision ID: 0030
Revises: 0024
Create Date: 2026-12-05

`hub_sign_in_link`: a one-time sign-in link issued in chat (its token's SHA-256, its person,
five minutes, spent once). `hub_session`: a signed-in browser (its cookie's SHA-256; idle and
absolute ends). `hub_sign_in_flow`: an Entra ID sign-in under way, bound to its browser. Three
new tables: no existing row changes. The Entra object id is staff.teams_aad_id (the same id).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.base

revision = '0030'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hub_sign_in_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('created_at', store.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', store.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', store.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_hub_sign_in_link_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hub_sign_in_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_hub_sign_in_link_token_hash'))
    )  # fmt: skip
    op.create_index('ix_hub_sign_in_link_staff_created', 'hub_sign_in_link', ['staff_id', 'created_at'], unique=False)  # fmt: skip
    op.create_table('hub_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('created_at', store.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', store.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', store.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_hub_session_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hub_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_hub_session_token_hash'))
    )  # fmt: skip
    op.create_index(op.f('ix_hub_session_staff_id'), 'hub_session', ['staff_id'], unique=False)  # fmt: skip
    op.create_table('hub_sign_in_flow',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('binding_hash', sa.String(length=64), nullable=False),
    sa.Column('flow', sa.Text(), nullable=False),
    sa.Column('next_path', sa.String(length=512), nullable=False),
    sa.Column('created_at', store.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hub_sign_in_flow')),
    sa.UniqueConstraint('binding_hash', name=op.f('uq_hub_sign_in_flow_binding_hash'))
    )  # fmt: skip
    op.create_index(op.f('ix_hub_sign_in_flow_created_at'), 'hub_sign_in_flow', ['created_at'], unique=False)  # fmt: skip


def downgrade() -> None:
    op.drop_index(op.f('ix_hub_sign_in_flow_created_at'), table_name='hub_sign_in_flow')
    op.drop_table('hub_sign_in_flow')
    op.drop_index(op.f('ix_hub_session_staff_id'), table_name='hub_session')
    op.drop_table('hub_session')
    op.drop_index('ix_hub_sign_in_link_staff_created', table_name='hub_sign_in_link')
    op.drop_table('hub_sign_in_link')
