"""lessons, actions, extensions, trends

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lesson',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=150), nullable=False),
    sa.Column('what_happened', sa.Text(), nullable=False),
    sa.Column('what_learned', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=48), nullable=False),
    sa.Column('committee', sa.String(length=16), nullable=False),
    sa.Column('process', sa.String(length=64), nullable=True),
    sa.Column('srg', sa.String(length=64), nullable=True),
    sa.Column('harm_level', sa.String(length=16), nullable=True),
    sa.Column('source_refs', JSON, nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('receipt_hash', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('tiers', JSON, nullable=False),
    sa.Column('rationale', sa.Text(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('has_org_unit', sa.Boolean(), nullable=False),
    sa.Column('tier5_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['merged_into_id'], ['lesson.id'], name=op.f('fk_lesson_merged_into_id_lesson')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson')),
    sa.UniqueConstraint('receipt_hash', name=op.f('uq_lesson_receipt_hash')),
    sa.UniqueConstraint('ref', name=op.f('uq_lesson_ref'))
    )
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.create_index('ix_lesson_committee_status', ['committee', 'status', 'status_changed_at'], unique=False)
        batch_op.create_index('ix_lesson_created', ['created_at'], unique=False)
        batch_op.create_index('ix_lesson_status_changed', ['status', 'status_changed_at'], unique=False)

    op.create_table('trend',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=20), nullable=False),
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('lesson_count', sa.Integer(), nullable=False),
    sa.Column('committees', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_lesson_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('extra', JSON, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trend')),
    sa.UniqueConstraint('ref', name=op.f('uq_trend_ref'))
    )
    with op.batch_alter_table('trend', schema=None) as batch_op:
        batch_op.create_index('ix_trend_dimension_value', ['dimension', 'value', 'status'], unique=False)

    op.create_table('action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=20), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('committee', sa.String(length=16), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('due_version', sa.Integer(), nullable=False),
    sa.Column('measure', sa.Text(), nullable=True),
    sa.Column('verifier_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('change', sa.Text(), nullable=True),
    sa.Column('reaudit_date', sa.Date(), nullable=True),
    sa.Column('audit_lead_id', sa.Integer(), nullable=True),
    sa.Column('reaudit_result', sa.String(length=8), nullable=True),
    sa.Column('reaudit_notes', sa.Text(), nullable=True),
    sa.Column('audiences', JSON, nullable=False),
    sa.Column('comms_channel', sa.Text(), nullable=True),
    sa.Column('process', sa.String(length=64), nullable=True),
    sa.Column('expert_id', sa.Integer(), nullable=True),
    sa.Column('cognitive_aid', sa.Text(), nullable=True),
    sa.Column('extension_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['audit_lead_id'], ['staff.id'], name=op.f('fk_action_audit_lead_id_staff')),
    sa.ForeignKeyConstraint(['expert_id'], ['staff.id'], name=op.f('fk_action_expert_id_staff')),
    sa.ForeignKeyConstraint(['lesson_id'], ['lesson.id'], name=op.f('fk_action_lesson_id_lesson'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['staff.id'], name=op.f('fk_action_owner_id_staff')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['staff.id'], name=op.f('fk_action_verified_by_id_staff')),
    sa.ForeignKeyConstraint(['verifier_id'], ['staff.id'], name=op.f('fk_action_verifier_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action')),
    sa.UniqueConstraint('ref', name=op.f('uq_action_ref'))
    )
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.create_index('ix_action_committee_status_due', ['committee', 'status', 'due_date'], unique=False)
        batch_op.create_index('ix_action_committee_verified', ['committee', 'verified_at'], unique=False)
        batch_op.create_index('ix_action_committee_status_changed', ['committee', 'status', 'status_changed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_lesson_id'), ['lesson_id'], unique=False)
        batch_op.create_index('ix_action_owner_status', ['owner_id', 'status'], unique=False)
        batch_op.create_index('ix_action_status_completed', ['status', 'completed_at'], unique=False)
        batch_op.create_index('ix_action_status_due', ['status', 'due_date'], unique=False)
        batch_op.create_index('ix_action_status_reaudit', ['status', 'reaudit_date'], unique=False)

    op.create_table('lesson_org_unit',
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['lesson.id'], name=op.f('fk_lesson_org_unit_lesson_id_lesson'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lesson_id', 'kind', 'code', name=op.f('pk_lesson_org_unit'))
    )
    with op.batch_alter_table('lesson_org_unit', schema=None) as batch_op:
        batch_op.create_index('ix_lesson_org_unit_unit', ['kind', 'code'], unique=False)

    op.create_table('lesson_submitter',
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['lesson.id'], name=op.f('fk_lesson_submitter_lesson_id_lesson'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_lesson_submitter_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lesson_id', 'staff_id', name=op.f('pk_lesson_submitter'))
    )
    with op.batch_alter_table('lesson_submitter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_submitter_staff_id'), ['staff_id'], unique=False)

    op.create_table('trend_lesson',
    sa.Column('trend_id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['lesson.id'], name=op.f('fk_trend_lesson_lesson_id_lesson'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trend_id'], ['trend.id'], name=op.f('fk_trend_lesson_trend_id_trend'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('trend_id', 'lesson_id', name=op.f('pk_trend_lesson'))
    )
    with op.batch_alter_table('trend_lesson', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trend_lesson_lesson_id'), ['lesson_id'], unique=False)

    op.create_table('action_extension',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('committee', sa.String(length=16), nullable=False),
    sa.Column('requested_until', sa.Date(), nullable=False),
    sa.Column('previous_due', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['action_id'], ['action.id'], name=op.f('fk_action_extension_action_id_action'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['staff.id'], name=op.f('fk_action_extension_decided_by_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_extension'))
    )
    with op.batch_alter_table('action_extension', schema=None) as batch_op:
        batch_op.create_index('ix_action_extension_status', ['status', 'action_id'], unique=False)


    _create_lesson_search()


def downgrade() -> None:
    _drop_lesson_search()
    with op.batch_alter_table('action_extension', schema=None) as batch_op:
        batch_op.drop_index('ix_action_extension_status')

    op.drop_table('action_extension')
    with op.batch_alter_table('trend_lesson', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trend_lesson_lesson_id'))

    op.drop_table('trend_lesson')
    with op.batch_alter_table('lesson_submitter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_submitter_staff_id'))

    op.drop_table('lesson_submitter')
    with op.batch_alter_table('lesson_org_unit', schema=None) as batch_op:
        batch_op.drop_index('ix_lesson_org_unit_unit')

    op.drop_table('lesson_org_unit')
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_index('ix_action_status_reaudit')
        batch_op.drop_index('ix_action_status_due')
        batch_op.drop_index('ix_action_status_completed')
        batch_op.drop_index('ix_action_owner_status')
        batch_op.drop_index(batch_op.f('ix_action_lesson_id'))
        batch_op.drop_index('ix_action_committee_verified')
        batch_op.drop_index('ix_action_committee_status_changed')
        batch_op.drop_index('ix_action_committee_status_due')

    op.drop_table('action')
    with op.batch_alter_table('trend', schema=None) as batch_op:
        batch_op.drop_index('ix_trend_dimension_value')

    op.drop_table('trend')
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.drop_index('ix_lesson_status_changed')
        batch_op.drop_index('ix_lesson_created')
        batch_op.drop_index('ix_lesson_committee_status')

    op.drop_table('lesson')


def _create_lesson_search() -> None:
    """Full-text search over lessons: FTS5 on SQLite, a GIN tsvector index on PostgreSQL.

    Neither is in the models (they are dialect-specific); env.py tells autogenerate to ignore
    anything named lesson_fts*.
    """
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX lesson_fts_gin ON lesson "
            "USING gin (to_tsvector('english', search_text))"
        )
        return
    op.execute(
        "CREATE VIRTUAL TABLE lesson_fts USING fts5("
        "search_text, content='lesson', content_rowid='id', tokenize='porter unicode61')"
    )
    op.execute(
        "CREATE TRIGGER lesson_fts_insert AFTER INSERT ON lesson BEGIN "
        "INSERT INTO lesson_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER lesson_fts_delete AFTER DELETE ON lesson BEGIN "
        "INSERT INTO lesson_fts(lesson_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER lesson_fts_update AFTER UPDATE OF search_text ON lesson BEGIN "
        "INSERT INTO lesson_fts(lesson_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO lesson_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
    )


def _drop_lesson_search() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS lesson_fts_gin")
        return
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS lesson_fts_{trigger}")
    op.execute("DROP TABLE IF EXISTS lesson_fts")
