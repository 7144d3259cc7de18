"""Programmatic Alembic: `qihub db upgrade`, the console's automatic upgrade, and the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Dialect-specific search objects (FTS5 tables, GIN indexes) live only in migrations,
    so model/migration drift checks must not see them."""
    return not (name or "").startswith("lesson_fts")


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs on `engine` (so tests and the CLI share one code path)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def head_revision() -> str | None:
    script = ScriptDirectory(str(MIGRATIONS))
    return script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    if engine.dialect.name == "sqlite":
        # Fresh statistics after a schema change, or SQLite's planner guesses at indexes.
        with engine.begin() as connection:
            connection.exec_driver_sql("PRAGMA optimize")


def downgrade(engine: Engine, revision: str = "base") -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def ensure_current(engine: Engine) -> bool:
    """Upgrade when behind; True if anything was applied. Used by the console on start."""
    if current_revision(engine) == head_revision():
        return False
    upgrade(engine)
    return True
