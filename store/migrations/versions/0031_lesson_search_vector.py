"""the learning library at scale: a narrow PostgreSQL search table, a covering listing index

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-05

On PostgreSQL (SQLite's FTS5 table already keeps its words), migration 0002 indexed the
expression to_tsvector('english', search_text) and nothing else: the index finds the matching
lessons, but ranking them (ts_rank) and counting a common word's matches recomputed the vector
from the text for every matching lesson, and for a word in most lessons the planner read the
whole table doing so: 2.8 s to count "patient" in 100,000 lessons and 5.8 s for its first
page on a quiet machine (bench/library.py; EXPLAIN ANALYZE in bench/README.md).

`lesson_fts` (lesson_id, vector) holds each lesson's to_tsvector('english', search_text), and
`lesson_fts_vector_gin` indexes it, replacing the expression index `lesson_fts_gin`. Matching,
ranking and counting read this narrow table (about 0.75 kB a lesson, 74 MB at 100,000) instead
of the lesson rows; a stored generated column on `lesson` was measured first and made every
search read the wide rows (167 MB with the vector), twice, for a count and a page: a word in
most lessons took about 200 ms against about 100 now (bench/README.md). Two triggers keep it in step with the text, as SQLite's external-content
FTS5 table is kept by its triggers: a new lesson's row is written with it, a changed text
rewrites it in the same statement (so a redacted text is unfindable at once), and a deleted
lesson's row goes with it (ON DELETE CASCADE). No code writes it. Named `lesson_fts*` like the
other search objects, so the model/migration drift checks leave it alone (store/migrate.py
include_object). Existing lessons are copied in batches of BATCH.

Both databases: `ix_lesson_library` (created_at, id, status, triaged_at, committee, source,
srg) replaces `ix_lesson_created` (created_at), which it starts with. It holds everything the
library's scope and column filters read, so counting the library's lessons ("Lessons 1-10 of
91,764") reads the index alone (an index-only scan) instead of the table, the latest lessons
come in index order, id included, and a search joins its matches to the scope from it.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


LISTING = ['created_at', 'id', 'status', 'triaged_at', 'committee', 'source', 'srg']
BATCH = 5000

_SYNC = """
CREATE FUNCTION lesson_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO lesson_fts (lesson_id, vector)
    VALUES (NEW.id, to_tsvector('english', NEW.search_text))
    ON CONFLICT (lesson_id) DO UPDATE SET vector = EXCLUDED.vector;
    RETURN NULL;
END;
$$
"""


def upgrade() -> None:
    op.create_index('ix_lesson_library', 'lesson', LISTING, unique=False)
    op.drop_index('ix_lesson_created', table_name='lesson')
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE TABLE lesson_fts ("
        "lesson_id integer NOT NULL, vector tsvector NOT NULL, "
        "CONSTRAINT pk_lesson_fts PRIMARY KEY (lesson_id), "
        "CONSTRAINT fk_lesson_fts_lesson_id_lesson FOREIGN KEY (lesson_id) "
        "REFERENCES lesson (id) ON DELETE CASCADE)"
    )
    op.execute(_SYNC)
    op.execute(
        "CREATE TRIGGER lesson_fts_insert AFTER INSERT ON lesson "
        "FOR EACH ROW EXECUTE FUNCTION lesson_fts_sync()"
    )
    op.execute(
        "CREATE TRIGGER lesson_fts_update AFTER UPDATE OF search_text ON lesson "
        "FOR EACH ROW WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text) "
        "EXECUTE FUNCTION lesson_fts_sync()"
    )
    _copy_existing_lessons()
    op.execute("CREATE INDEX lesson_fts_vector_gin ON lesson_fts USING gin (vector)")
    op.execute("DROP INDEX IF EXISTS lesson_fts_gin")


def _copy_existing_lessons() -> None:
    """Every lesson's vector, BATCH lessons a statement in id order (bounded memory)."""
    bind = op.get_bind()
    after = 0
    while True:
        last = bind.execute(
            text(
                "WITH batch AS (SELECT id, search_text FROM lesson WHERE id > :after "
                "ORDER BY id LIMIT :batch), "
                "copied AS (INSERT INTO lesson_fts (lesson_id, vector) "
                "SELECT id, to_tsvector('english', search_text) FROM batch "
                "ON CONFLICT (lesson_id) DO NOTHING) "
                "SELECT max(id) FROM batch"
            ),
            {"after": after, "batch": BATCH},
        ).scalar()
        if last is None:
            return
        after = last


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX lesson_fts_gin ON lesson USING gin (to_tsvector('english', search_text))"
        )
        op.execute("DROP TRIGGER IF EXISTS lesson_fts_update ON lesson")
        op.execute("DROP TRIGGER IF EXISTS lesson_fts_insert ON lesson")
        op.execute("DROP FUNCTION IF EXISTS lesson_fts_sync()")
        op.execute("DROP TABLE IF EXISTS lesson_fts")
    op.create_index('ix_lesson_created', 'lesson', ['created_at'], unique=False)
    op.drop_index('ix_lesson_library', table_name='lesson')
