"""Alembic environment: batch mode on SQLite, the models' naming convention, types compared."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

import store.models  # noqa: F401  (registers every table on the metadata)
from store.base import Base
from store.db import make_engine
from store.migrate import include_object

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        # Our SQLite connections really are transactional (see store/db.py), so a failed
        # migration rolls back completely on both databases.
        transactional_ddl=True,
        compare_type=True,
        include_object=include_object,
        transaction_per_migration=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ.get(
        "DATABASE_URL", "sqlite:///qihub.db"
    )
    engine = make_engine(url)
    with engine.connect() as connection:
        _configure(connection)
        context.run_migrations()
        connection.commit()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `qihub db upgrade`")
run_migrations_online()
