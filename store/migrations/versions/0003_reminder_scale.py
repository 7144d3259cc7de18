"""reminder scale: rule watermarks, extension lookups by action, digest data-quality indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rule_watermark',
    sa.Column('rule', sa.String(length=48), nullable=False),
    sa.Column('passed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('rule', name=op.f('pk_rule_watermark'))
    )
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('has_measure', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_index('ix_action_committee_extensions', ['committee', 'status', 'extension_count', 'due_date'], unique=False)
        batch_op.create_index('ix_action_committee_measure', ['committee', 'has_measure', 'status'], unique=False)
        batch_op.create_index('ix_action_status_changed', ['status', 'status_changed_at'], unique=False)

    with op.batch_alter_table('action_extension', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_extension_action_id'), ['action_id'], unique=False)

    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.create_index('ix_lesson_committee_unit', ['committee', 'has_org_unit', 'status', 'status_changed_at'], unique=False)

    op.execute("UPDATE action SET has_measure = (measure IS NOT NULL AND trim(measure) <> '')")
    if op.get_bind().dialect.name == "postgresql":
        # An occasion belongs to one rule ('5wd' only to lesson_not_triaged): without this,
        # PostgreSQL multiplies the two selectivities, expects a dozen ledger rows instead of
        # thousands, and plans a nested loop over all of them.
        op.execute(
            "CREATE STATISTICS IF NOT EXISTS reminder_sent_rule_occasion (dependencies, ndistinct) "
            "ON rule, occasion FROM reminder_sent"
        )



def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS reminder_sent_rule_occasion")
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.drop_index('ix_lesson_committee_unit')

    with op.batch_alter_table('action_extension', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_extension_action_id'))

    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_index('ix_action_status_changed')
        batch_op.drop_index('ix_action_committee_measure')
        batch_op.drop_index('ix_action_committee_extensions')
        batch_op.drop_column('has_measure')

    op.drop_table('rule_watermark')
