"""The PostgreSQL reset between tests (tests/conftest.py `_empty_all`) gives the next test what
a fresh schema would: every table empty, every id sequence at its start, and the audit log
still append-only (its trigger is off only inside the reset's own transaction)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import DBAPIError

from store.base import Base
from store.models import AuditEntry, Idea
from tests.conftest import _RESET_ENGINES, _empty_all
from tests.harness import Harness, ref_in

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # SQLite copies a template
def test_the_reset_empties_every_table_and_restarts_the_ids(hub: Harness) -> None:
    url = hub.app.settings.database_url
    first = ref_in(hub.submit_idea())
    with hub.app.uow_factory() as uow:
        ids = (
            uow.session.scalar(select(func.max(Idea.id))),
            uow.session.scalar(select(func.max(AuditEntry.id))),
        )
    hub.submit_idea()
    _empty_all(url)
    with hub.app.engine.connect() as connection:
        left = {
            table.name: connection.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }
        assert {name: n for name, n in left.items() if n} == {}
    hub.app.sync_directory()
    assert ref_in(hub.submit_idea()) == first  # the reference counter starts again too
    with hub.app.uow_factory() as uow:
        again = (
            uow.session.scalar(select(func.max(Idea.id))),
            uow.session.scalar(select(func.max(AuditEntry.id))),
        )
        assert again == ids
    with (
        pytest.raises(DBAPIError, match="audit_log is append-only"),
        hub.app.engine.begin() as connection,
    ):
        connection.execute(delete(AuditEntry))
    with _RESET_ENGINES[url].connect() as connection:  # the reset's pooled connection
        assert connection.scalar(text("SHOW session_replication_role")) == "origin"
