"""staff contact details for texts and emails

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04

`staff_contact`: a mobile number (E.164) and an alert email address per person, each with
where it came from (config, csv or graph) and when Notify last refused it. Personal data, so
kept out of `staff`; empty until the directory sync, the config or `qihub contacts import`
fills it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.base

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('staff_contact',
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('mobile', sa.String(length=16), nullable=True),
    sa.Column('mobile_source', sa.String(length=8), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('email_source', sa.String(length=8), nullable=True),
    sa.Column('mobile_failed_at', store.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('email_failed_at', store.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', store.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_contact_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_id', name=op.f('pk_staff_contact'))
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table('staff_contact')
