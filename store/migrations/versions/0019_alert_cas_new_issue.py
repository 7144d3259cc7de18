"""an alert's confirmation that it is a new issue of a CAS reference already sent

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-04

`alert.cas_new_issue_of`: the ref of the alert already sent with the same CAS / National
Patient Safety Alert reference, which the publisher confirmed this one is a new issue of.
Existing alerts have none: they were sent (or drafted) before the question was asked.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('alert', sa.Column('cas_new_issue_of', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alert') as batch:
        batch.drop_column('cas_new_issue_of')
