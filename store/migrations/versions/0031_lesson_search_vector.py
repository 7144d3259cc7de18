"""the learning library at scale: a stored tsvector on PostgreSQL, a covering listing index

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-05

On PostgreSQL (SQLite's FTS5 table already keeps its words), migration 0002 indexed the
expression to_tsvector('english', search_text) and nothing else: the index finds the matching
lessons, but ranking them (ts_rank) and counting a common word's matches recomputed the vector
from the text for every matching lesson, and for a word in most lessons the planner read the
whole table doing so: 2.8 s to count "patient" in 100,000 lessons and 5.8 s for its first
page on a quiet machine (bench/library.py; EXPLAIN ANALYZE in bench/README.md). Generated
columns need PostgreSQL 12 or later.

`lesson_fts_vector` is a stored generated column, always to_tsvector('english', search_text):
PostgreSQL computes it when the text is written, so no code writes it and it cannot disagree
with the text. `lesson_fts_vector_gin` indexes it and replaces the expression index
`lesson_fts_gin`. Named `lesson_fts*` like the other search objects, so the model/migration
drift checks leave it alone (store/migrate.py include_object). Adding the column rewrites the
lesson table once (about a minute per 100,000 lessons); no row's data changes.

Both databases: `ix_lesson_library` (created_at, id, status, triaged_at, committee, source,
srg) replaces `ix_lesson_created` (created_at), which it starts with. It holds everything the
library's scope and column filters read, so counting the library's lessons ("Lessons 1-10 of
91,764") reads the index alone (an index-only scan) instead of the table, and the latest
lessons come in index order, id included.
"""

from __future__ import annotations

from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


LISTING = ['created_at', 'id', 'status', 'triaged_at', 'committee', 'source', 'srg']


def upgrade() -> None:
    op.create_index('ix_lesson_library', 'lesson', LISTING, unique=False)
    op.drop_index('ix_lesson_created', table_name='lesson')
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE lesson ADD COLUMN lesson_fts_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('english', search_text)) STORED"
    )
    op.execute("CREATE INDEX lesson_fts_vector_gin ON lesson USING gin (lesson_fts_vector)")
    op.execute("DROP INDEX IF EXISTS lesson_fts_gin")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX lesson_fts_gin ON lesson USING gin (to_tsvector('english', search_text))"
        )
        op.execute("DROP INDEX IF EXISTS lesson_fts_vector_gin")
        op.execute("ALTER TABLE lesson DROP COLUMN IF EXISTS lesson_fts_vector")
    op.create_index('ix_lesson_created', 'lesson', ['created_at'], unique=False)
    op.drop_index('ix_lesson_library', table_name='lesson')
