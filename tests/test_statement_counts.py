"""The reminder tick and a committee's digest send as many statements for a register ten times
the size: their cost follows what is due or shown, not what exists (Step 2, item 9).

Both registers come from the benchmark generator (bench/data.py) with the same day's due set,
so the tick has the same work to do at either size.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from bench import data
from bench.digest import one_digest
from bench.reminder_tick import one_tick
from bot.app import QIHub
from handlers.config import OrgConfig
from handlers.seals import seal_key
from store.base import Base

DUE = 24
SMALL, LARGE = 200, 2000


@pytest.fixture
def register(db_url: str, config: OrgConfig) -> Iterator[QIHub]:
    """The app on an empty migrated database, at the benchmark instant, with the staff."""
    hub = data.open_hub(db_url, config)
    with hub.uow_factory() as uow:  # read once a process, not once a tick: not counted
        seal_key(hub.services, uow)
        uow.commit()
    yield hub
    hub.engine.dispose()


def empty(engine: Engine) -> None:
    """Remove everything but the staff directory."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in ("staff", "staff_role"):
                connection.execute(table.delete())


def statements(hub: QIHub, lessons: int) -> tuple[dict[str, int], int, dict[str, int]]:
    """(reminders raised by rule, statements per tick, statements per digest by committee)."""
    summary = data.generate(hub.engine, hub.config, lessons=lessons, due=DUE, seed=3)
    _, report, log = one_tick(hub)
    assert report.raised == summary.due  # the tick finds exactly the day's due set
    digests = {code: len(one_digest(hub, code)[2]) for code in hub.config.committees}
    return report.raised, len(log), digests


def test_statements_do_not_grow_with_the_register(register: QIHub) -> None:
    small_raised, small_tick, small_digests = statements(register, SMALL)
    empty(register.engine)
    large_raised, large_tick, large_digests = statements(register, LARGE)

    assert sum(small_raised.values()) == DUE
    assert large_raised == small_raised
    assert large_tick == small_tick
    assert large_digests == small_digests
