"""the clock's heartbeat, and a token per outbox claim

Revision ID: 0016
Revises: 0011
Create Date: 2026-12-04

`heartbeat`: the leading clock notes each tick, so the web process can tell admins (and
/healthz, /metrics) when no clock has ticked for five minutes. `outbox.claim_token`: made
afresh by each claim, so a sender whose lease ran out cannot record an outcome over a row
claimed again since. Rows claimed before the upgrade have none; they are recorded by owner
as before, or reclaimed (with a token) once their lease runs out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.base

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('heartbeat',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('beat_at', store.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('alarm_since', store.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_heartbeat'))
    )  # fmt: skip
    op.add_column('outbox', sa.Column('claim_token', sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column('outbox', 'claim_token')
    op.drop_table('heartbeat')
