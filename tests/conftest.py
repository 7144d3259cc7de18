"""Shared fixtures: a migrated database per test on SQLite (always) and PostgreSQL (when
TEST_DATABASE_URL is set), an assembled app on a manual clock, and the fake platform."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from bot.app import QIHub, create_app
from bot.settings import Settings
from handlers.clock import ManualClock
from handlers.config import OrgConfig, load_config
from store import migrate
from store.base import Base
from store.db import make_engine
from tests.browser_kit import CHROMIUM
from tests.harness import Harness

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # a Thursday, 09:00 in London


def pg_schema_url(schema: str) -> str:
    assert PG_URL is not None
    url = make_url(PG_URL)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


def create_pg_schema(schema: str) -> str:
    admin = make_engine(PG_URL or "")
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return pg_schema_url(schema)


def drop_pg_schema(schema: str) -> None:
    admin = make_engine(PG_URL or "")
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; each test gets a copy (fast and isolated)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the main file
    return path


@pytest.fixture(scope="session")
def pg_session_url() -> Iterator[str]:
    """One schema per test session, migrated once; tables are emptied between tests."""
    if PG_URL is None:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
    schema = f"qihub_test_{uuid.uuid4().hex[:8]}"
    url = create_pg_schema(schema)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    reset = _RESET_ENGINES.pop(url, None)
    if reset is not None:
        reset.dispose()
    drop_pg_schema(schema)


_RESET_ENGINES: dict[str, Engine] = {}
"""One engine per session schema for emptying it between tests (not one per test)."""

_RESTART_SEQUENCES = text(
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false) "
    "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
)
"""Every sequence a test used starts again (what TRUNCATE ... RESTART IDENTITY did)."""


def _empty_all(url: str) -> None:
    """Empty every table of the session's schema and restart its sequences.

    Only the tables holding rows are touched, with DELETE while triggers are off
    (session_replication_role = replica: audit_log's append-only trigger and the foreign-key
    checks do not fire, and every table with rows is emptied, so nothing dangles). TRUNCATE
    gives each table a new file and costs ~0.3 s per test on a loaded machine; this ~0.02 s.
    A role that may not set session_replication_role (not a superuser) truncates as before.
    The search table `lesson_fts` (migration 0031; not a model) is emptied with them: the
    foreign-key cascade that would clear it does not fire while triggers are off.
    """
    engine = _RESET_ENGINES.get(url)
    if engine is None:
        engine = _RESET_ENGINES[url] = make_engine(url)
    names = [t.name for t in Base.metadata.sorted_tables] + ["lesson_fts"]
    with engine.begin() as connection:
        if connection.scalar(text("SELECT current_setting('is_superuser')")) != "on":
            listed = ", ".join(f'"{name}"' for name in names)
            connection.execute(text(f"TRUNCATE {listed} RESTART IDENTITY CASCADE"))
            return
        holding = " UNION ALL ".join(
            f"SELECT '{name}' WHERE EXISTS (SELECT FROM \"{name}\")" for name in names
        )
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for name in connection.scalars(text(holding)).all():
            connection.execute(text(f'DELETE FROM "{name}"'))
        connection.execute(_RESTART_SEQUENCES)


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated, empty SQLite database: for tests whose subject cannot differ by database
    (a browser looking at a page) — a module overrides `db_url` with it."""
    target = tmp_path / "qihub.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database URL on each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "qihub.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("pg_session_url")
    _empty_all(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def config() -> OrgConfig:
    return load_config()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def app(db_url: str, clock: ManualClock, config: OrgConfig) -> Iterator[QIHub]:
    hub = create_app(Settings(database_url=db_url, _env_file=None), clock=clock, config=config)
    hub.sync_directory()
    yield hub
    hub.engine.dispose()


@pytest.fixture
def hub(app: QIHub, clock: ManualClock) -> Harness:
    return Harness(app, clock)


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """`qihub` (bot.cli.main) sets up the process's logging, bound to the stderr of the moment;
    tests that call it must not leave that handler behind for the tests after them."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def pictures(tmp_path: Path) -> Path:
    """Where screenshots go: $HUB_SCREENSHOTS when set, else the test's tmp directory."""
    folder = Path(os.environ.get("HUB_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
