"""The databases the ack benchmarks run `qihub web` on: a fresh SQLite file, and a throwaway
PostgreSQL schema when one can be reached (QIHUB_BENCH_PG_URL, else TEST_DATABASE_URL, else
localhost), so the acks are measured on the database a trust runs. PostgreSQL is skipped, with
the reason in the results, when it cannot be reached or QIHUB_BENCH_BACKENDS leaves it out."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def chosen() -> tuple[list[str], dict[str, str]]:
    """(backends to measure, {backend: why it is skipped})."""
    from bench import data

    measured: list[str] = []
    skipped: dict[str, str] = {}
    for backend in ("sqlite", "postgresql"):
        if backend not in data.backends():
            skipped[backend] = "left out by QIHUB_BENCH_BACKENDS"
            continue
        reason = data.pg_unavailable() if backend == "postgresql" else None
        if reason:
            skipped[backend] = reason
        else:
            measured.append(backend)
    return measured, skipped


@contextmanager
def fresh(backend: str, scratch: str) -> Iterator[str]:
    """A migrated, empty database's URL; a PostgreSQL schema is dropped afterwards."""
    from bench import data
    from store import migrate
    from store.db import make_engine

    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{Path(scratch) / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    else:
        schema = f"qihub_ack_{uuid.uuid4().hex[:8]}"
        data._pg_admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"')
        url = data.pg_schema_url(schema)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    try:
        yield url
    finally:
        if schema is not None:
            data._pg_admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
