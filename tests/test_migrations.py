"""The Alembic migrations, run for real on a fresh SQLite file and a fresh PostgreSQL schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError

import store.models  # noqa: F401  (registers every table on the metadata)
from store import migrate
from store.base import Base
from store.db import make_engine
from store.migrate import include_object
from store.models import AuditEntry
from store.uow import UnitOfWorkFactory
from tests.conftest import BACKENDS, PG_URL, create_pg_schema, drop_pg_schema

WHEN = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with no tables at all: a new SQLite file or a new PG schema."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        yield engine
        engine.dispose()
        return
    if PG_URL is None:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
    schema = f"qihub_mig_{uuid.uuid4().hex[:8]}"
    engine = make_engine(create_pg_schema(schema))
    try:
        yield engine
    finally:
        engine.dispose()
        drop_pg_schema(schema)


def _tables(engine: Engine) -> set[str]:
    """Tables the models own (the FTS5 search tables are migration-only, see store/migrate.py)."""
    return {
        t for t in inspect(engine).get_table_names() if include_object(None, t, "table", True, None)
    }


def _search_tables(engine: Engine) -> set[str]:
    return {t for t in inspect(engine).get_table_names() if t.startswith("lesson_fts")}


def _guards(engine: Engine) -> list[str]:
    """Triggers and functions left in the database (the audit log guard lives there)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            return list(connection.scalars(text(query)))
        query = (
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() "
            "UNION ALL SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND NOT t.tgisinternal"
        )
        return list(connection.scalars(text(query)))


def test_upgrade_downgrade_upgrade_matches_the_models(empty_engine: Engine) -> None:
    """The migrations round-trip cleanly and leave exactly the schema the models describe, so
    autogenerate would have nothing to add (a drift here means a missing migration)."""
    assert _tables(empty_engine) == set()

    migrate.upgrade(empty_engine)
    expected = {t.name for t in Base.metadata.sorted_tables}
    assert _tables(empty_engine) == expected | {"alembic_version"}
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert _guards(empty_engine), "the audit log guard should be installed"

    migrate.downgrade(empty_engine)
    assert _tables(empty_engine) <= {"alembic_version"}
    assert _search_tables(empty_engine) == set()
    assert migrate.current_revision(empty_engine) is None
    assert _guards(empty_engine) == []

    migrate.upgrade(empty_engine)
    assert _tables(empty_engine) == expected | {"alembic_version"}
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_ensure_current_applies_once_then_has_nothing_to_do(empty_engine: Engine) -> None:
    """The console upgrades automatically on start; a second start must be a no-op."""
    assert migrate.current_revision(empty_engine) is None
    assert migrate.ensure_current(empty_engine) is True
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert migrate.ensure_current(empty_engine) is False
    assert migrate.current_revision(empty_engine) == migrate.head_revision()


def _audit_entry(action: str) -> AuditEntry:
    return AuditEntry(
        at=WHEN,
        actor_label="system",
        platform="test",
        entity_type="idea",
        entity_ref="IDEA-2026-0001",
        action=action,
        after={"status": "submitted"},
    )


def test_audit_log_accepts_inserts(engine: Engine) -> None:
    """Appending is the one thing the governance trail allows."""
    uow_factory = UnitOfWorkFactory(engine)
    with uow_factory() as uow:
        uow.audit.append(_audit_entry("submitted"))
        uow.audit.append(_audit_entry("approved"))
        uow.commit()
    with uow_factory() as uow:
        entries = uow.audit.for_entity("idea", "IDEA-2026-0001")
        assert [e.action for e in entries] == ["submitted", "approved"]
        assert entries[0].after == {"status": "submitted"}
        assert entries[0].at == WHEN


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'tampered'",
        "UPDATE audit_log SET reason = 'backfilled' WHERE id = :id",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = :id",
    ],
)
def test_audit_log_refuses_update_and_delete(engine: Engine, statement: str) -> None:
    """The evidence trail cannot be rewritten even by SQL that bypasses the repositories."""
    with engine.begin() as connection:
        connection.execute(insert(AuditEntry).values(**_values()))
        entry_id = connection.scalar(select(AuditEntry.id))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement), {"id": entry_id})
    with engine.connect() as connection:
        rows = connection.execute(select(AuditEntry.id, AuditEntry.action, AuditEntry.reason))
        assert rows.all() == [(entry_id, "submitted", None)]


def _values() -> dict[str, object]:
    return {
        "at": WHEN,
        "actor_label": "system",
        "platform": "test",
        "entity_type": "idea",
        "entity_ref": "IDEA-2026-0001",
        "action": "submitted",
    }
