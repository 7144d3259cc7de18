"""The store: engine tuning, real transactions, and the repositories' concurrency guarantees."""

from __future__ import annotations

import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from store.db import make_engine
from store.models import OutboxMessage, Staff, StaffRole
from store.repos.staff import DirectoryEntry
from store.uow import UnitOfWork, UnitOfWorkFactory
from tests.harness import Harness

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)
BOSS = "boss@trust.example"
ALEX = "alex@trust.example"
TOM = "tom@trust.example"


@pytest.fixture
def uow_factory(engine: Engine) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(engine)


@pytest.fixture
def sqlite_file(sqlite_template: Path, tmp_path: Path) -> Path:
    """A migrated SQLite file of our own (for tests that are about SQLite's locking)."""
    target = tmp_path / "locking.db"
    shutil.copyfile(sqlite_template, target)
    return target


def _engine_with_busy_timeout(path: Path, milliseconds: int) -> Engine:
    """A normal engine whose connections then lower busy_timeout (so a lock fails fast)."""
    engine = make_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _short_timeout(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA busy_timeout={milliseconds}")

    return engine


def _add_person(uow: UnitOfWork, email: str) -> int:
    uow.staff.upsert_directory([DirectoryEntry(email=email, name=email)], NOW, source="test")
    person = uow.staff.by_email(email)
    assert person is not None
    return person.id


def _outbox_rows(uow: UnitOfWork) -> list[OutboxMessage]:
    return list(uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _queue(uow: UnitOfWork, key: str, *, at: datetime = NOW, urgent: bool = False) -> bool:
    return uow.outbox.enqueue(
        dedupe_key=key,
        payload={"reply": {"summary": key}},
        now=NOW,
        channel="ideas_panel",
        not_before=at,
        urgent=urgent,
    )


# ---------------------------------------------------------------- engine and transactions


def test_sqlite_file_gets_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    """WAL lets readers run beside the writer; foreign keys and a busy timeout are not on by
    default in SQLite, so every connection must switch them on."""
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
            assert connection.scalar(text("PRAGMA foreign_keys")) == 1
            assert connection.scalar(text("PRAGMA busy_timeout")) == 10000
    finally:
        engine.dispose()


def test_unit_of_work_that_raises_leaves_nothing_behind(uow_factory: UnitOfWorkFactory) -> None:
    """A handler failing half way must not leave half its writes (even flushed ones)."""

    def failing_handler() -> None:
        with uow_factory() as uow:
            staff_id = _add_person(uow, ALEX)
            assert uow.refs.next_ref("IDEA", 2026) == "IDEA-2026-0001"
            assert uow.reminders.claim("rule", "IDEA-2026-0001", "day-3", NOW)
            uow.outbox.enqueue(
                dedupe_key="k", payload={"reply": {}}, now=NOW, recipient_id=staff_id
            )
            uow.flush()
            raise RuntimeError("handler failed")

    with pytest.raises(RuntimeError, match="handler failed"):
        failing_handler()
    with uow_factory() as uow:
        assert uow.staff.count() == 0
        assert uow.refs.peek("IDEA", 2026) == 0
        assert _outbox_rows(uow) == []
        assert uow.reminders.claim("rule", "IDEA-2026-0001", "day-3", NOW) is True


def test_unit_of_work_without_commit_is_rolled_back(uow_factory: UnitOfWorkFactory) -> None:
    """Only the edge commits: leaving the block normally without commit() writes nothing."""
    with uow_factory() as uow:
        _add_person(uow, ALEX)
    with uow_factory() as uow:
        _add_person(uow, TOM)
        uow.commit()
    with uow_factory() as uow:
        assert [s.email for s in uow.staff.all_active()] == [TOM]


def test_sqlite_unit_of_work_takes_the_write_lock_at_once(sqlite_file: Path) -> None:
    """BEGIN IMMEDIATE: while one unit of work is open, another cannot even start, so it can
    never fail half way with "database is locked" when it first writes."""
    first_engine = make_engine(f"sqlite:///{sqlite_file}")
    impatient = _engine_with_busy_timeout(sqlite_file, 50)
    try:
        with UnitOfWorkFactory(first_engine)() as first:
            first.refs.next_ref("IDEA", 2026)
            with (
                pytest.raises(OperationalError, match="locked"),
                UnitOfWorkFactory(impatient)() as s,
            ):
                s.refs.peek("IDEA", 2026)  # a read, yet it needs the write lock
            first.commit()
        with UnitOfWorkFactory(impatient)() as second:
            assert second.refs.peek("IDEA", 2026) == 1
    finally:
        first_engine.dispose()
        impatient.dispose()


def test_sqlite_second_writer_waits_for_the_first_to_commit(sqlite_file: Path) -> None:
    """With the normal busy timeout the second writer queues behind the first rather than
    failing, and then sees the first's committed work (so references never collide)."""
    engine = make_engine(f"sqlite:///{sqlite_file}")
    factory = UnitOfWorkFactory(engine)
    started = threading.Event()
    finished = threading.Event()
    results: list[str] = []
    errors: list[BaseException] = []

    def second_writer() -> None:
        try:
            started.set()
            with factory() as uow:
                results.append(uow.refs.next_ref("IDEA", 2026))
                uow.commit()
        except BaseException as exc:  # reported to the main thread below
            errors.append(exc)
        finally:
            finished.set()

    try:
        with factory() as first:
            results.append(first.refs.next_ref("IDEA", 2026))
            worker = threading.Thread(target=second_writer, daemon=True)
            worker.start()
            assert started.wait(5)
            assert not finished.wait(0.3), "the second writer ran while the first held the lock"
            first.commit()
        worker.join(5)
        assert finished.is_set()
        assert errors == []
        assert results == ["IDEA-2026-0001", "IDEA-2026-0002"]
    finally:
        engine.dispose()


# ---------------------------------------------------------------- references and reminders


def test_next_ref_counts_up_and_restarts_each_year(uow_factory: UnitOfWorkFactory) -> None:
    """Human references are gapless per prefix and year, and survive across transactions."""
    with uow_factory() as uow:
        assert uow.refs.next_ref("IDEA", 2026) == "IDEA-2026-0001"
        assert uow.refs.next_ref("IDEA", 2026) == "IDEA-2026-0002"
        uow.commit()
    with uow_factory() as uow:
        assert uow.refs.next_ref("IDEA", 2026) == "IDEA-2026-0003"
        assert uow.refs.next_ref("IDEA", 2027) == "IDEA-2027-0001"
        assert uow.refs.next_ref("PROJ", 2026) == "PROJ-2026-0001"
        assert uow.refs.next_ref("IDEA", 2027) == "IDEA-2027-0002"
        uow.commit()
    with uow_factory() as uow:
        assert uow.refs.peek("IDEA", 2026) == 3
        assert uow.refs.peek("IDEA", 2027) == 2
        assert uow.refs.peek("IDEA", 2028) == 0


def test_rolled_back_ref_is_reused(uow_factory: UnitOfWorkFactory) -> None:
    """A failed submission must not burn a number (no gaps from retries)."""
    with uow_factory() as uow:
        assert uow.refs.next_ref("IDEA", 2026) == "IDEA-2026-0001"
    with uow_factory() as uow:
        assert uow.refs.next_ref("IDEA", 2026) == "IDEA-2026-0001"


def test_reminder_ledger_keeps_one_row_per_occasion(uow_factory: UnitOfWorkFactory) -> None:
    """The unique key holds whatever claim() reports: one ledger row per (rule, item, occasion)."""
    with uow_factory() as uow:
        for _ in range(2):
            uow.reminders.claim("stale", "IDEA-2026-0001", "day-7", NOW)
        uow.commit()
    with uow_factory() as uow:
        uow.reminders.claim("stale", "IDEA-2026-0001", "day-7", NOW + timedelta(days=1))
        uow.reminders.claim("stale", "IDEA-2026-0001", "day-14", NOW)
        uow.commit()
    with uow_factory() as uow:
        rows = uow.session.execute(
            text("SELECT rule, item_key, occasion FROM reminder_sent ORDER BY occasion")
        ).all()
        assert [tuple(r) for r in rows] == [
            ("stale", "IDEA-2026-0001", "day-14"),
            ("stale", "IDEA-2026-0001", "day-7"),
        ]


def test_reminder_claim_is_once_only(
    request: pytest.FixtureRequest, engine: Engine, uow_factory: UnitOfWorkFactory
) -> None:
    """The ledger decides: the same (rule, item, occasion) is claimed once, by anyone, ever;
    a second clock that loses the race must be told so, or it sends the reminder again."""
    with uow_factory() as uow:
        assert uow.reminders.claim("stale", "IDEA-2026-0001", "day-7", NOW) is True
        assert uow.reminders.claim("stale", "IDEA-2026-0001", "day-7", NOW) is False
        assert uow.reminders.claim("stale", "IDEA-2026-0001", "day-14", NOW) is True
        assert uow.reminders.claim("stale", "IDEA-2026-0002", "day-7", NOW) is True
        assert uow.reminders.claim("other", "IDEA-2026-0001", "day-7", NOW) is True
        uow.commit()
    with uow_factory() as uow:
        later = NOW + timedelta(days=1)
        assert uow.reminders.claim("stale", "IDEA-2026-0001", "day-7", later) is False
        assert uow.reminders.claim("stale", "IDEA-2026-0001", "day-21", later) is True


# ---------------------------------------------------------------- outbox


def test_enqueue_dedupes_on_the_key(uow_factory: UnitOfWorkFactory) -> None:
    """A replayed handler must not queue the same notification twice; the first one stands."""
    with uow_factory() as uow:
        uow.outbox.enqueue(
            dedupe_key="idea:1:approved", payload={"reply": {"n": 1}}, now=NOW, channel="x"
        )
        uow.commit()
    with uow_factory() as uow:
        uow.outbox.enqueue(
            dedupe_key="idea:1:approved", payload={"reply": {"n": 2}}, now=NOW, channel="y"
        )
        uow.outbox.enqueue(
            dedupe_key="idea:1:rejected", payload={"reply": {"n": 3}}, now=NOW, channel="x"
        )
        uow.commit()
    with uow_factory() as uow:
        rows = _outbox_rows(uow)
        assert [(r.dedupe_key, r.channel, r.payload) for r in rows] == [
            ("idea:1:approved", "x", {"reply": {"n": 1}}),
            ("idea:1:rejected", "x", {"reply": {"n": 3}}),
        ]
        assert all(r.status == "pending" and r.attempts == 0 for r in rows)


def test_enqueue_reports_whether_it_queued(
    request: pytest.FixtureRequest, engine: Engine, uow_factory: UnitOfWorkFactory
) -> None:
    """Callers count what they queued (Enqueuer.to_people); a duplicate must report False."""
    with uow_factory() as uow:
        assert _queue(uow, "idea:1:approved") is True
        assert _queue(uow, "idea:1:approved") is False
        uow.commit()
    with uow_factory() as uow:
        assert _queue(uow, "idea:1:approved") is False
        assert _queue(uow, "idea:1:rejected") is True


def test_count_by_status_counts_each_status(uow_factory: UnitOfWorkFactory) -> None:
    """The operator's outbox summary: how many messages wait, are in flight, or are dead."""
    with uow_factory() as uow:
        for n in range(3):
            _queue(uow, f"m{n}")
        uow.outbox.claim_due(NOW, "a", 1, LEASE)
        uow.commit()
    with uow_factory() as uow:
        assert uow.outbox.count_by_status() == {"pending": 2, "sending": 1}


@pytest.mark.parametrize(
    ("recipient", "channel"), [(True, "ideas_panel"), (False, None)], ids=["both", "neither"]
)
def test_outbox_row_needs_exactly_one_destination(
    uow_factory: UnitOfWorkFactory, recipient: bool, channel: str | None
) -> None:
    """The database refuses a message that goes to a person and a channel, or to nowhere."""
    with uow_factory() as uow:
        staff_id = _add_person(uow, ALEX)
        uow.commit()
    with pytest.raises(IntegrityError, match="one_destination"), uow_factory() as uow:
        uow.outbox.enqueue(
            dedupe_key="bad",
            payload={"reply": {}},
            now=NOW,
            recipient_id=staff_id if recipient else None,
            channel=channel,
        )
    with uow_factory() as uow:
        assert _outbox_rows(uow) == []


def test_claim_due_respects_next_attempt_at_and_leases(uow_factory: UnitOfWorkFactory) -> None:
    """Only due rows are claimed; a claimed row is not handed to anyone else until its lease
    runs out, and then it is (a dead worker's messages are not stranded)."""
    with uow_factory() as uow:
        _queue(uow, "due-normal")
        _queue(uow, "due-urgent", urgent=True)
        _queue(uow, "later", at=NOW + timedelta(minutes=3))
        uow.commit()

    with uow_factory() as uow:
        claimed = uow.outbox.claim_due(NOW, "worker-a", 10, LEASE)
        assert [r.dedupe_key for r in claimed] == ["due-urgent", "due-normal"]
        uow.commit()
    with uow_factory() as uow:
        rows = {r.dedupe_key: r for r in uow.session.scalars(select(OutboxMessage))}
        for key in ("due-urgent", "due-normal"):
            assert rows[key].status == "sending"
            assert rows[key].claimed_by == "worker-a"
            assert rows[key].claimed_until == NOW + LEASE
        assert rows["later"].status == "pending"
        assert rows["later"].claimed_by is None

    for moment in (NOW, NOW + timedelta(minutes=1), NOW + LEASE):
        with uow_factory() as uow:
            assert uow.outbox.claim_due(moment, "worker-b", 10, LEASE) == []
            uow.commit()

    after_expiry = NOW + LEASE + timedelta(seconds=1)
    with uow_factory() as uow:
        claimed = uow.outbox.claim_due(after_expiry, "worker-b", 10, LEASE)
        assert [r.dedupe_key for r in claimed] == ["due-urgent", "due-normal"]
        assert {r.claimed_by for r in claimed} == {"worker-b"}
        assert {r.claimed_until for r in claimed} == {after_expiry + LEASE}
        uow.commit()

    with uow_factory() as uow:
        claimed = uow.outbox.claim_due(NOW + timedelta(minutes=3), "worker-c", 10, LEASE)
        assert [r.dedupe_key for r in claimed] == ["later"]
        uow.commit()


def test_claim_due_takes_at_most_limit(uow_factory: UnitOfWorkFactory) -> None:
    """A batch is bounded, oldest first, and the rest stay for the next claimer."""
    with uow_factory() as uow:
        for n in range(5):
            _queue(uow, f"m{n}", at=NOW - timedelta(minutes=5 - n))
        uow.commit()
    with uow_factory() as uow:
        assert [r.dedupe_key for r in uow.outbox.claim_due(NOW, "a", 2, LEASE)] == ["m0", "m1"]
        uow.commit()
    with uow_factory() as uow:
        assert [r.dedupe_key for r in uow.outbox.claim_due(NOW, "b", 10, LEASE)] == [
            "m2",
            "m3",
            "m4",
        ]
        uow.commit()


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_concurrent_claims_on_postgres_get_disjoint_rows(engine: Engine) -> None:
    """FOR UPDATE SKIP LOCKED: a second sender skips rows the first holds (uncommitted)
    instead of waiting for them or taking them too."""
    factory = UnitOfWorkFactory(engine)
    with factory() as uow:
        for n in range(6):
            _queue(uow, f"m{n}")
        uow.commit()

    with factory() as first:
        mine = [r.id for r in first.outbox.claim_due(NOW, "first", 3, LEASE)]
        assert len(mine) == 3
        started = time.monotonic()
        with factory() as second:
            second.session.execute(text("SET LOCAL lock_timeout = '2s'"))
            theirs = [r.id for r in second.outbox.claim_due(NOW, "second", 10, LEASE)]
            second.commit()
        assert time.monotonic() - started < 1.5, "the second claimer waited for the first"
        first.commit()

    assert len(theirs) == 3
    assert set(mine).isdisjoint(theirs)
    with factory() as uow:
        owners = {r.id: r.claimed_by for r in uow.session.scalars(select(OutboxMessage))}
        assert owners == {**dict.fromkeys(mine, "first"), **dict.fromkeys(theirs, "second")}


# ---------------------------------------------------------------- staff directory


def _directory() -> list[DirectoryEntry]:
    return [
        DirectoryEntry(email=ALEX, name="Alex Morgan", job_title="Nurse", line_manager_email=BOSS),
        DirectoryEntry(email=TOM, name="Tom Baker", site="Wirral", line_manager_email=BOSS),
        DirectoryEntry(email=BOSS, name="Bea Boss", job_title="Matron"),
    ]


def test_upsert_directory_is_idempotent_and_links_managers(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """Syncing the directory every start must converge: same input, no changes, one row each,
    and line managers linked even when listed after their reports."""
    with uow_factory() as uow:
        assert uow.staff.upsert_directory(_directory(), NOW, source="config") > 0
        uow.commit()
    later = NOW + timedelta(hours=1)
    with uow_factory() as uow:
        assert uow.staff.upsert_directory(_directory(), later, source="config") == 0
        uow.commit()
    with uow_factory() as uow:
        assert uow.staff.count() == 3
        boss, alex, tom = (uow.staff.by_email(e) for e in (BOSS, ALEX, TOM))
        assert boss is not None and alex is not None and tom is not None
        assert alex.line_manager_id == boss.id
        assert tom.line_manager_id == boss.id
        assert boss.line_manager_id is None
        assert (alex.display_name, alex.job_title, alex.source) == (
            "Alex Morgan",
            "Nurse",
            "config",
        )
        assert alex.updated_at == NOW, "an unchanged person must not be touched"


def test_upsert_directory_applies_changes(uow_factory: UnitOfWorkFactory) -> None:
    """A changed name or a removed manager is written, and only that counts as a change."""
    with uow_factory() as uow:
        uow.staff.upsert_directory(_directory(), NOW, source="config")
        uow.commit()
    changed = [
        DirectoryEntry(email=ALEX, name="Alex Morgan-Lee", job_title="Nurse"),
        DirectoryEntry(email=TOM, name="Tom Baker", site="Wirral", line_manager_email=BOSS),
    ]
    later = NOW + timedelta(days=1)
    with uow_factory() as uow:
        assert uow.staff.upsert_directory(changed, later, source="config") == 2
        uow.commit()
    with uow_factory() as uow:
        alex = uow.staff.by_email(ALEX)
        assert alex is not None
        assert (alex.display_name, alex.line_manager_id, alex.updated_at) == (
            "Alex Morgan-Lee",
            None,
            later,
        )
        tom, boss = uow.staff.by_email(TOM), uow.staff.by_email(BOSS)
        assert tom is not None and boss is not None
        assert tom.line_manager_id == boss.id


def test_upsert_directory_normalises_email_case(uow_factory: UnitOfWorkFactory) -> None:
    """Directories (Slack, Graph) hand back emails in any case; the email is the join key, so
    it must be stored the way by_email() looks it up, and a re-sync must still converge."""
    entries = [DirectoryEntry(email="Alex.Morgan@Trust.Example", name="Alex Morgan")]
    with uow_factory() as uow:
        uow.staff.upsert_directory(entries, NOW, source="slack")
        uow.commit()
    with uow_factory() as uow:
        assert uow.staff.upsert_directory(entries, NOW, source="slack") == 0
        uow.commit()
    with uow_factory() as uow:
        assert uow.staff.count() == 1
        assert uow.staff.by_email("alex.morgan@trust.example") is not None


def test_replace_roles_is_idempotent_and_scoped_to_its_source(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """Config roles are replaced wholesale on every load; roles from elsewhere survive, and
    people not in the directory are skipped rather than failing the load."""
    with uow_factory() as uow:
        uow.staff.upsert_directory(_directory(), NOW, source="config")
        boss = uow.staff.by_email(BOSS)
        assert boss is not None
        uow.session.add(StaffRole(staff_id=boss.id, role="executive", source="manual"))
        uow.commit()
    roles = {ALEX: {"ideas_panel", "admin"}, BOSS: {"ideas_panel"}, "ghost@x.example": {"admin"}}
    for _ in range(2):
        with uow_factory() as uow:
            uow.staff.replace_roles(roles, source="config")
            uow.staff.replace_roles(roles, source="config")  # twice in one transaction, too
            uow.commit()
    with uow_factory() as uow:
        alex, boss = uow.staff.by_email(ALEX), uow.staff.by_email(BOSS)
        assert alex is not None and boss is not None
        assert uow.staff.roles_of(alex.id) == {"ideas_panel", "admin"}
        assert uow.staff.roles_of(boss.id) == {"ideas_panel", "executive"}
        assert [s.email for s in uow.staff.with_role("ideas_panel")] == [ALEX, BOSS]
        assert uow.session.scalar(select(Staff).where(Staff.email == "ghost@x.example")) is None

    with uow_factory() as uow:
        uow.staff.replace_roles({BOSS: {"admin"}}, source="config")
        uow.commit()
    with uow_factory() as uow:
        alex, boss = uow.staff.by_email(ALEX), uow.staff.by_email(BOSS)
        assert alex is not None and boss is not None
        assert uow.staff.roles_of(alex.id) == set()
        assert uow.staff.roles_of(boss.id) == {"admin", "executive"}


def test_foreign_keys_are_enforced(uow_factory: UnitOfWorkFactory) -> None:
    """A message to a person who does not exist is refused by the database (on SQLite too)."""
    with uow_factory() as uow, pytest.raises(IntegrityError):
        uow.outbox.enqueue(dedupe_key="x", payload={"reply": {}}, now=NOW, recipient_id=999_999)


def test_inbound_keys_are_remembered_then_forgotten_by_housekeeping(hub: Harness) -> None:
    """A replay is recognised; a day later the clock's housekeeping forgets the key."""
    from bot.clock import housekeeping

    with hub.app.uow_factory() as uow:
        assert uow.inbound.first_time("slack:event:Ev1", hub.clock.now()) is True
        uow.commit()
    with hub.app.uow_factory() as uow:
        assert uow.inbound.first_time("slack:event:Ev1", hub.clock.now()) is False
    assert housekeeping(hub.app) == 0
    hub.clock.advance(timedelta(days=1, seconds=1))
    assert housekeeping(hub.app) == 1
    with hub.app.uow_factory() as uow:
        assert uow.inbound.first_time("slack:event:Ev1", hub.clock.now()) is True


def test_config_does_not_undo_the_graph_directory(uow_factory: UnitOfWorkFactory) -> None:
    """For someone Graph's sync knows, the config writes only what it states: restarting the
    clock (which reloads the config) keeps Graph's department, office and manager."""
    with uow_factory() as uow:
        uow.staff.upsert_directory(_directory(), NOW, source="config")
        alex, boss = uow.staff.by_email(ALEX), uow.staff.by_email(BOSS)
        assert alex is not None and boss is not None
        uow.staff.link_teams(alex, "00000000-0000-4000-8000-000000000001")
        alex.department, alex.site, alex.line_manager_id = "Ward 4", "Wirral", boss.id
        uow.commit()
    with uow_factory() as uow:
        uow.staff.upsert_directory(
            [DirectoryEntry(email=ALEX, name="Alex Morgan")], NOW + timedelta(days=1), "config"
        )
        uow.commit()
    with uow_factory() as uow:
        alex, boss = uow.staff.by_email(ALEX), uow.staff.by_email(BOSS)
        assert alex is not None and boss is not None
        assert (alex.department, alex.site, alex.line_manager_id) == ("Ward 4", "Wirral", boss.id)


@pytest.mark.parametrize(
    "url", ["postgres://u:p@db.example:5432/qihub", "postgresql://u:p@db.example:5432/qihub"]
)
def test_heroku_style_postgres_urls_use_psycopg(url: str) -> None:
    engine = make_engine(url)  # no connection is made here
    try:
        assert engine.url.drivername == "postgresql+psycopg"
        assert engine.url.password == "p"
    finally:
        engine.dispose()
