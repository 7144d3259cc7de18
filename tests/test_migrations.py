"""The Alembic migrations, run for real on a fresh SQLite file and a fresh PostgreSQL schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import JSON, Engine, insert, inspect, select, text
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError

import store.models  # noqa: F401  (registers every table on the metadata)
from handlers.alerts import ack_links
from handlers.catalogue import build_registry
from handlers.clock import ManualClock
from handlers.config import load_config
from handlers.context import SYSTEM, Context, Services
from handlers.lessons.lifecycle import SEARCHABLE
from handlers.visibility import EVERY_MEMBER_OF_STAFF
from store import migrate
from store.base import Base, UTCDateTime
from store.db import make_engine
from store.migrate import include_object
from store.models import AuditEntry
from store.repos.search import LessonFilter
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


def test_0011_moves_committee_notes_out_of_the_reporters_view(empty_engine: Engine) -> None:
    """A live database's lessons come through 0011 intact: the reasons the route, merge and
    not-progressed forms sent to the reporter stay the reporter's message; triage and
    assurance notes (which the reporter and all staff could read) become committee notes;
    every lesson past triage stays readable by staff (triaged_at from the audit log)."""
    migrate.upgrade(empty_engine, "0010")
    lesson = sa_table(
        "lesson",
        *(
            sa_column(name)
            for name in (
                "ref", "title", "what_happened", "what_learned", "source", "committee",
                "source_refs", "mode", "status", "status_reason", "tiers", "has_org_unit",
                "created_at", "updated_at", "status_changed_at", "search_text",
            )
        ),
    )  # fmt: skip
    later = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    rows = {
        # ref: (status, status_reason, triaged in the audit log)
        "LL-2026-0001": ("submitted", None, False),
        "LL-2026-0002": ("submitted", "Routed: this is about patient experience.", False),
        "LL-2026-0003": ("triaged", "Note for the committee: the ward is short.", True),
        "LL-2026-0004": ("closed", "Assured by the audit in March.", False),
        "LL-2026-0005": ("not_progressed", "Covered by the falls programme.", True),
        "LL-2026-0006": ("merged", "The same event as LL-2026-0001.", False),
    }
    with empty_engine.begin() as connection:
        for ref, (status, reason, triaged) in rows.items():
            connection.execute(
                lesson.insert().values(
                    ref=ref, title=f"Lesson {ref}", what_happened="Happened.",
                    what_learned="Learned.", source="lfpse_event", committee="PSC",
                    source_refs="[]", mode="named", status=status, status_reason=reason,
                    tiers="[]", has_org_unit=False, created_at=WHEN, updated_at=later,
                    status_changed_at=later, search_text=f"Lesson {ref}",
                )
            )  # fmt: skip
            if triaged:
                connection.execute(
                    insert(AuditEntry).values(
                        **{
                            **_values(),
                            "entity_type": "lesson",
                            "entity_ref": ref,
                            "action": "triaged",
                        }
                    )
                )
    migrate.upgrade(empty_engine)
    query = text(
        "SELECT ref, status, reporter_message, committee_note, triaged_at, title "
        "FROM lesson ORDER BY ref"
    )
    with empty_engine.connect() as connection:
        found = {row[0]: row[1:] for row in connection.execute(query)}
    assert "status_reason" not in {c["name"] for c in inspect(empty_engine).get_columns("lesson")}

    def when(value: object) -> object:
        return None if value is None else str(value)[:16].replace("T", " ")

    moved = {
        ref: (status, message, note, when(triaged))
        for ref, (status, message, note, triaged, _title) in found.items()
    }
    assert moved == {
        "LL-2026-0001": ("submitted", None, None, None),
        "LL-2026-0002": ("submitted", rows["LL-2026-0002"][1], None, None),
        "LL-2026-0003": ("triaged", None, rows["LL-2026-0003"][1], "2026-11-26 09:00"),
        "LL-2026-0004": ("closed", None, rows["LL-2026-0004"][1], "2026-11-27 09:00"),
        "LL-2026-0005": ("not_progressed", rows["LL-2026-0005"][1], None, "2026-11-26 09:00"),
        "LL-2026-0006": ("merged", rows["LL-2026-0006"][1], None, None),
    }
    assert {ref: row[4] for ref, row in found.items()} == {ref: f"Lesson {ref}" for ref in rows}
    with UnitOfWorkFactory(empty_engine)() as uow:  # and the models read them back
        triaged = uow.lessons.by_ref("LL-2026-0003")
        assert triaged is not None and triaged.triaged_at == WHEN


def test_0010_adds_form_sessions_and_every_row_comes_through(empty_engine: Engine) -> None:
    """A live database at 0009 (staff, an audit trail, queued messages) upgrades through 0010
    with every row as it was, and the new tables work: a form session for an existing person
    and the server's seal key."""
    migrate.upgrade(empty_engine, "0009")
    staff = sa_table(
        "staff",
        *(sa_column(n) for n in ("email", "display_name", "active", "source", "created_at")),
        sa_column("updated_at"),
    )
    outbox = sa_table(
        "outbox",
        *(sa_column(n) for n in ("dedupe_key", "channel", "urgent", "bulk")),
        sa_column("payload", JSON().with_variant(JSONB(), "postgresql")),
        *(sa_column(n) for n in ("status", "attempts", "next_attempt_at", "created_at")),
    )
    with empty_engine.begin() as connection:
        for n in range(3):
            connection.execute(
                staff.insert().values(
                    email=f"person{n}@trust.example", display_name=f"Person {n}", active=True,
                    source="config", created_at=WHEN, updated_at=WHEN,
                )
            )  # fmt: skip
        connection.execute(insert(AuditEntry).values(**_values()))
        connection.execute(
            outbox.insert().values(
                dedupe_key="idea:IDEA-2026-0001:submitted>cideas_panel", channel="ideas_panel",
                payload={"reply": {"summary": "New idea", "blocks": []}}, urgent=False,
                bulk=False, status="pending", attempts=0, next_attempt_at=WHEN, created_at=WHEN,
            )
        )  # fmt: skip
    before = _dump(empty_engine, ("staff", "audit_log", "outbox"))
    migrate.upgrade(empty_engine, "0010")
    assert _dump(empty_engine, ("staff", "audit_log", "outbox")) == before
    with UnitOfWorkFactory(empty_engine)() as uow:
        person = uow.staff.by_email("person1@trust.example")
        assert person is not None
        session_id = uow.forms.open(person.id, "idea.submit", {"ref": "x"}, WHEN, WHEN)
        key = uow.secrets.get_or_make("seal", WHEN)
        uow.commit()
    with UnitOfWorkFactory(empty_engine)() as uow:
        found = uow.forms.get(session_id)
        assert found is not None and found.staff_id == person.id
        assert uow.secrets.get_or_make("seal", WHEN) == key  # made once, then the same


def _dump(engine: Engine, tables: tuple[str, ...]) -> dict[str, list[tuple[str, ...]]]:
    with engine.connect() as connection:
        return {
            name: sorted(
                tuple(map(str, row)) for row in connection.execute(text(f"SELECT * FROM {name}"))
            )
            for name in tables
        }


def test_0015_adds_the_card_column_and_every_outbox_row_comes_through(
    empty_engine: Engine,
) -> None:
    """A live outbox at 0012 (a message waiting, one delivered with its Slack handle) upgrades
    through 0015 with every column as it was and no card (messages queued before it are not
    updated in place); a card queued after it is found by its record."""
    migrate.upgrade(empty_engine, "0012")
    outbox = sa_table(
        "outbox",
        *(sa_column(n) for n in ("dedupe_key", "channel", "urgent", "bulk", "platform")),
        sa_column("payload", JSON().with_variant(JSONB(), "postgresql")),
        sa_column("platform_ref", JSON().with_variant(JSONB(), "postgresql")),
        *(sa_column(n) for n in ("status", "attempts", "next_attempt_at", "created_at")),
    )
    with empty_engine.begin() as connection:
        for key, status, platform, ref in (
            ("idea:IDEA-2026-0001:submitted>cideas_panel", "pending", None, None),
            ("lesson:LL-2026-0001:submitted>cpsc", "sent", "slack", {"channel": "C1", "ts": "1.2"}),
        ):
            connection.execute(
                outbox.insert().values(
                    dedupe_key=key, channel=key.rsplit(">c", 1)[1], urgent=False, bulk=False,
                    payload={"reply": {"summary": key, "blocks": []}}, platform=platform,
                    platform_ref=ref, status=status, attempts=0, next_attempt_at=WHEN,
                    created_at=WHEN,
                )
            )  # fmt: skip
    before = _dump(empty_engine, ("outbox",))
    migrate.upgrade(empty_engine, "0015")
    after = _dump(empty_engine, ("outbox",))
    columns = [c["name"] for c in inspect(empty_engine).get_columns("outbox")]
    card = columns.index("card")
    assert [r[:card] + r[card + 1 :] for r in after["outbox"]] == before["outbox"]
    assert {r[card] for r in after["outbox"]} == {"None"}
    migrate.upgrade(empty_engine)  # the models are the head's
    with UnitOfWorkFactory(empty_engine)() as uow:
        payload = {"reply": {"summary": "New idea", "blocks": []}}
        row = {"dedupe_key": "k>cideas_panel", "channel": "ideas_panel", "payload": payload}
        uow.outbox.enqueue_many([{**row, "card": "idea:IDEA-2026-0002"}], WHEN)
        uow.commit()
    with UnitOfWorkFactory(empty_engine)() as uow:
        found = uow.outbox.cards_showing("idea:IDEA-2026-0002", 20)
        assert [r.dedupe_key for r in found] == ["k>cideas_panel"]


def test_0016_adds_the_heartbeat_and_claim_tokens_and_every_row_comes_through(
    empty_engine: Engine,
) -> None:
    """A live database at 0015 (queued, claimed and sent messages, the clock's lease)
    upgrades through 0016 with every row as it was and no claim token yet; a new claim then
    takes a pending row with a token, and the clock's heartbeat can be written and read."""
    migrate.upgrade(empty_engine, "0015")
    outbox = sa_table(
        "outbox",
        *(sa_column(n) for n in ("dedupe_key", "channel", "urgent", "bulk")),
        sa_column("payload", JSON().with_variant(JSONB(), "postgresql")),
        *(sa_column(n) for n in ("status", "attempts", "claimed_by", "platform")),
        *(sa_column(n, UTCDateTime(timezone=True)) for n in ("next_attempt_at", "created_at")),
        *(sa_column(n, UTCDateTime(timezone=True)) for n in ("claimed_until", "sent_at")),
    )
    lease = sa_table("lease", *(sa_column(n) for n in ("name", "holder", "expires_at")),
                     sa_column("acquired_at"))  # fmt: skip
    common = {
        "channel": "ideas_panel",
        "payload": {"reply": {"summary": "New idea", "blocks": []}},
        "urgent": False,
        "bulk": False,
        "next_attempt_at": WHEN,
        "created_at": WHEN,
    }
    with empty_engine.begin() as connection:
        connection.execute(
            outbox.insert().values(dedupe_key="a", status="pending", attempts=0, **common)
        )
        connection.execute(
            outbox.insert().values(dedupe_key="b", status="sending", attempts=1, claimed_by="old",
                                   claimed_until=WHEN, **common)
        )  # fmt: skip
        connection.execute(
            outbox.insert().values(dedupe_key="c", status="sent", attempts=1, sent_at=WHEN,
                                   platform="slack", **common)
        )  # fmt: skip
        connection.execute(lease.insert().values(name="clock", holder="h:1", expires_at=WHEN,
                                                 acquired_at=WHEN))  # fmt: skip
    before = _dump(empty_engine, ("outbox", "lease"))
    migrate.upgrade(empty_engine, "0016")
    after = _dump(empty_engine, ("outbox", "lease"))
    assert after["lease"] == before["lease"]
    assert [row[:-1] for row in after["outbox"]] == before["outbox"]
    assert [row[-1] for row in after["outbox"]] == ["None"] * 3  # claim_token, last column
    with UnitOfWorkFactory(empty_engine)() as uow:
        claimed = uow.outbox.claim_due(WHEN, "new", 10, timedelta(minutes=2))
        assert [(r.dedupe_key, len(r.claim_token or "")) for r in claimed] == [("a", 32)]
        uow.heartbeats.beat("clock", "h:1", WHEN)
        uow.commit()
    with UnitOfWorkFactory(empty_engine)() as uow:
        beat = uow.heartbeats.get("clock")
        assert beat is not None and (beat.beat_at, beat.alarm_since) == (WHEN, None)


IDEA_COLUMNS_0011 = (
    "ref", "kind", "title", "problem", "proposed_change", "expected_benefits", "benefit_detail",
    "area", "srg", "mode", "credit_consent", "status", "decision_reason", "receipt_hash",
    "sponsor_id", "duplicate_of_id", "redirected_to", "support_count", "created_at",
    "updated_at", "status_changed_at",
)  # fmt: skip


def test_0012_adds_the_business_case_and_every_idea_comes_through(empty_engine: Engine) -> None:
    """A live database full of ideas at 0011 (bright and big, named, confidential and
    anonymous, with submitters and supporters, a sponsor named under the old rules) upgrades
    through 0012 with every row as it was; the panel's sponsor counts as accepted, the others
    have none, and the new columns take a business case."""
    migrate.upgrade(empty_engine, "0011")
    staff = sa_table(
        "staff",
        *(sa_column(n) for n in ("email", "display_name", "active", "source", "created_at")),
        sa_column("updated_at"),
    )
    json = JSON().with_variant(JSONB(), "postgresql")
    idea = sa_table(
        "idea",
        *(sa_column(n) for n in IDEA_COLUMNS_0011 if n != "expected_benefits"),
        sa_column("expected_benefits", json),
    )
    submitter = sa_table(
        "idea_submitter", *(sa_column(n) for n in ("idea_id", "staff_id", "is_lead"))
    )
    support = sa_table(
        "idea_support", *(sa_column(n) for n in ("idea_id", "staff_id", "created_at"))
    )
    statuses = ["submitted", "eligible", "under_review", "promoted", "approved", "withdrawn"]
    with empty_engine.begin() as connection:
        for n in range(1, 4):
            connection.execute(
                staff.insert().values(
                    email=f"person{n}@trust.example", display_name=f"Person {n}", active=True,
                    source="config", created_at=WHEN, updated_at=WHEN,
                )
            )  # fmt: skip
        for n in range(1, 61):
            mode = ("named", "confidential", "anonymous")[n % 3]
            big = n % 4 == 0
            connection.execute(
                idea.insert().values(
                    ref=f"IDEA-2026-{n:04d}", kind="big" if big else "bright",
                    title=f"Idea {n}", problem="A problem.", proposed_change="A change.",
                    expected_benefits=["safety"] if n % 2 else [], benefit_detail=None,
                    area="ward-4", srg=None, mode=mode, credit_consent=mode == "named",
                    status=statuses[n % len(statuses)],
                    decision_reason="Because." if n % 5 else None,
                    receipt_hash=f"{n:064d}" if mode == "anonymous" else None,
                    sponsor_id=3 if big and n % 8 == 0 else None, duplicate_of_id=None,
                    redirected_to=None, support_count=1 if n % 2 else 0, created_at=WHEN,
                    updated_at=WHEN, status_changed_at=WHEN,
                )
            )  # fmt: skip
            if mode != "anonymous":
                connection.execute(submitter.insert().values(idea_id=n, staff_id=1, is_lead=True))
            if n % 2:
                connection.execute(support.insert().values(idea_id=n, staff_id=2, created_at=WHEN))
    old = ", ".join(IDEA_COLUMNS_0011)
    with empty_engine.connect() as connection:
        before = sorted(map(tuple, connection.execute(text(f"SELECT {old} FROM idea"))))
    others = _dump(empty_engine, ("idea_submitter", "idea_support", "staff"))
    migrate.upgrade(empty_engine, "0012")
    with empty_engine.connect() as connection:
        after = sorted(map(tuple, connection.execute(text(f"SELECT {old} FROM idea"))))
        sponsors = dict(connection.execute(text("SELECT ref, sponsor_state FROM idea")).all())
    assert len(after) == 60 and after == before
    assert _dump(empty_engine, ("idea_submitter", "idea_support", "staff")) == others
    named = {f"IDEA-2026-{n:04d}" for n in range(8, 61, 8)}
    assert {ref for ref, state in sponsors.items() if state == "accepted"} == named
    assert {state for ref, state in sponsors.items() if ref not in named} == {None}
    migrate.upgrade(empty_engine)  # the models are the head's
    with UnitOfWorkFactory(empty_engine)() as uow:
        found = uow.ideas.by_ref("IDEA-2026-0004")
        assert found is not None and found.scope is None and found.submitters
        found.scope, found.cost_pounds, found.sponsor_state = "Both sites.", 12500, "asked"
        uow.commit()
    with UnitOfWorkFactory(empty_engine)() as uow:
        found = uow.ideas.by_ref("IDEA-2026-0004")
        assert found is not None and (found.scope, found.cost_pounds) == ("Both sites.", 12500)


def test_0018_adds_ack_links_and_every_alert_row_comes_through(empty_engine: Engine) -> None:
    """A live database at 0017 (a live alert, one recipient who acknowledged on Slack and one
    who has not) upgrades through 0018 with every alert and recipient row as it was and no
    links; then a personal link made on the upgraded database acknowledges for its person."""
    migrate.upgrade(empty_engine, "0017")
    staff = sa_table("staff", *(sa_column(n) for n in (
        "email", "display_name", "active", "source", "created_at", "updated_at")))  # fmt: skip
    alert = sa_table("alert", *(sa_column(n) for n in (
        "ref", "kind", "title", "instructions", "severity", "audience_kind", "status",
        "emergency", "publisher_id", "recipient_count", "created_at", "updated_at")),
        sa_column("audience_values", JSON().with_variant(JSONB(), "postgresql")),
        *(sa_column(n, UTCDateTime(timezone=True)) for n in ("ack_deadline", "sent_at")),
    )  # fmt: skip
    recipient = sa_table("alert_recipient", *(sa_column(n) for n in (
        "alert_id", "staff_id", "platform", "ack_platform", "notified_count")),
        *(sa_column(n, UTCDateTime(timezone=True)) for n in (
            "delivered_at", "acked_at", "last_notified_at")))  # fmt: skip
    with empty_engine.begin() as connection:
        for n, email in enumerate(("pat@t.example", "alex@t.example", "sam@t.example"), 1):
            connection.execute(staff.insert().values(
                email=email, display_name=f"Person {n}", active=True, source="config",
                created_at=WHEN, updated_at=WHEN))  # fmt: skip
        connection.execute(alert.insert().values(
            ref="ALERT-2026-0001", kind="alert", title="Valve recall", instructions="Check it.",
            severity="critical", audience_kind="all", audience_values=[], status="live",
            emergency=False, publisher_id=1, recipient_count=2, created_at=WHEN,
            updated_at=WHEN, ack_deadline=WHEN + timedelta(days=1), sent_at=WHEN))  # fmt: skip
        connection.execute(recipient.insert().values(
            alert_id=1, staff_id=2, platform="slack", ack_platform="slack", notified_count=1,
            delivered_at=WHEN, acked_at=WHEN, last_notified_at=WHEN))  # fmt: skip
        connection.execute(recipient.insert().values(
            alert_id=1, staff_id=3, platform="teams", notified_count=2, delivered_at=WHEN,
            last_notified_at=WHEN))  # fmt: skip
    before = _dump(empty_engine, ("staff", "alert", "alert_recipient"))
    migrate.upgrade(empty_engine, "0018")
    assert _dump(empty_engine, ("staff", "alert", "alert_recipient")) == before
    assert _dump(empty_engine, ("alert_ack_link",)) == {"alert_ack_link": []}
    migrate.upgrade(empty_engine)  # the models are the head's
    config = load_config()
    services = Services(config, ManualClock(WHEN + timedelta(hours=1)), build_registry(config))
    with UnitOfWorkFactory(empty_engine)() as uow:
        live = uow.alerts.by_ref("ALERT-2026-0001")
        assert live is not None
        url = ack_links.ack_link(Context(services, uow, SYSTEM, "email"), live, 3)
        uow.commit()
    with UnitOfWorkFactory(empty_engine)() as uow:
        seen = ack_links.redeem(Context(services, uow, SYSTEM, "link"), url.rsplit("/", 1)[1])
        uow.commit()
    assert (seen.state, seen.new) == ("acknowledged", True)
    with empty_engine.connect() as connection:
        acked = connection.execute(
            text("SELECT staff_id, ack_platform FROM alert_recipient ORDER BY staff_id")
        ).all()
    assert [tuple(row) for row in acked] == [(2, "slack"), (3, "link")]


def test_0017_adds_staff_contacts_and_every_row_comes_through(empty_engine: Engine) -> None:
    """A live database at 0016 (staff with roles, Slack and Teams identities, line managers,
    and an outbox message to one of them) upgrades through 0017 with every row as it was and
    no contact details yet; a contact can then be kept, read and counted, and leaves with its
    person."""
    migrate.upgrade(empty_engine, "0016")
    staff = sa_table(
        "staff",
        *(sa_column(n) for n in ("email", "display_name", "active", "source", "site")),
        *(sa_column(n) for n in ("slack_user_id", "teams_aad_id", "line_manager_id")),
        *(sa_column(n, UTCDateTime(timezone=True)) for n in ("created_at", "updated_at")),
    )
    role = sa_table("staff_role", *(sa_column(n) for n in ("staff_id", "role", "source")))
    outbox = sa_table(
        "outbox",
        *(sa_column(n) for n in ("dedupe_key", "recipient_id", "urgent", "bulk", "status")),
        sa_column("payload", JSON().with_variant(JSONB(), "postgresql")),
        *(sa_column(n) for n in ("attempts",)),
        *(sa_column(n, UTCDateTime(timezone=True)) for n in ("next_attempt_at", "created_at")),
    )
    with empty_engine.begin() as connection:
        for n in range(1, 41):
            connection.execute(
                staff.insert().values(
                    email=f"person{n}@trust.example", display_name=f"Person {n}",
                    active=n % 7 != 0, source="graph" if n % 2 else "config", site="hub",
                    slack_user_id=f"U{n:04d}" if n % 3 == 0 else None,
                    teams_aad_id=f"aad-{n}" if n % 3 == 1 else None,
                    line_manager_id=1 if n > 1 else None, created_at=WHEN, updated_at=WHEN,
                )
            )  # fmt: skip
        connection.execute(role.insert().values(staff_id=1, role="admin", source="config"))
        connection.execute(
            outbox.insert().values(dedupe_key="alert:ALERT-2026-0001>p2", recipient_id=2,
                                   urgent=True, bulk=True, status="pending", attempts=0,
                                   payload={"reply": {"summary": "Alert", "blocks": []}},
                                   next_attempt_at=WHEN, created_at=WHEN)
        )  # fmt: skip
    tables = ("staff", "staff_role", "outbox")
    before = _dump(empty_engine, tables)
    migrate.upgrade(empty_engine, "0017")
    assert _dump(empty_engine, tables) == before
    assert _dump(empty_engine, ("staff_contact",)) == {"staff_contact": []}
    migrate.upgrade(empty_engine)  # the models are the head's
    with UnitOfWorkFactory(empty_engine)() as uow:
        from handlers.contacts import ContactChange, apply_changes

        changes = [ContactChange(2, mobile="+447700900002"), ContactChange(3, email="a@b.example")]
        assert apply_changes(uow, changes, "csv", WHEN) == 2
        uow.commit()
    with UnitOfWorkFactory(empty_engine)() as uow:
        assert uow.contacts.counts() == (1, 1)
        assert uow.contacts.for_staff([2])[2].mobile == "+447700900002"
    with empty_engine.begin() as connection:
        connection.execute(text("DELETE FROM staff WHERE id = 3"))
    assert len(_dump(empty_engine, ("staff_contact",))["staff_contact"]) == 1


def test_0019_adds_the_cas_confirmation_and_every_alert_comes_through(
    empty_engine: Engine,
) -> None:
    """A live database at 0018 (a sent alert with its recipients, a draft with the same CAS
    reference) upgrades through 0019 with every row as it was and no confirmation recorded;
    the draft is then asked before it is sent (handlers.alerts.cas), and a confirmation can
    be stored."""
    migrate.upgrade(empty_engine, "0018")
    columns = ("id", "email", "display_name", "active", "source", "created_at", "updated_at")
    staff = sa_table("staff", *(sa_column(n) for n in columns))
    alert = sa_table(
        "alert",
        *(sa_column(n) for n in ("id", "ref", "kind", "title", "instructions", "severity",
                                 "audience_kind", "ack_deadline", "cas_ref", "status",
                                 "emergency", "publisher_id", "recipient_count", "sent_at",
                                 "created_at", "updated_at")),
        sa_column("audience_values", JSON().with_variant(JSONB(), "postgresql")),
    )  # fmt: skip
    recipient = sa_table("alert_recipient", *(sa_column(n) for n in (
        "alert_id", "staff_id", "delivered_at", "platform", "acked_at", "notified_count",
        "failure")))  # fmt: skip
    with empty_engine.begin() as connection:
        for n in (1, 2):
            connection.execute(staff.insert().values(id=n, email=f"s{n}@x.example",
                display_name=f"Staff {n}", active=True, source="config", created_at=WHEN,
                updated_at=WHEN))  # fmt: skip
        for n, status, sent in ((1, "live", WHEN), (2, "draft", None)):
            connection.execute(alert.insert().values(id=n, ref=f"ALERT-2026-000{n}",
                kind="alert", title="Recall", instructions="Quarantine.", severity="critical",
                audience_kind="all", audience_values=[], ack_deadline=WHEN,
                cas_ref="NatPSA/2026/001", status=status, emergency=False, publisher_id=1,
                recipient_count=2 if sent else 0, sent_at=sent, created_at=WHEN,
                updated_at=WHEN))  # fmt: skip
        connection.execute(recipient.insert().values(alert_id=1, staff_id=1, delivered_at=WHEN,
            platform="slack", acked_at=WHEN, notified_count=1))  # fmt: skip
        connection.execute(recipient.insert().values(alert_id=1, staff_id=2, notified_count=1,
            failure="no connected platform can reach this person"))  # fmt: skip
    tables = ("staff", "alert", "alert_recipient")
    before = _dump(empty_engine, tables)
    migrate.upgrade(empty_engine, "0019")
    after = _dump(empty_engine, tables)
    assert after["staff"] == before["staff"]
    assert after["alert_recipient"] == before["alert_recipient"]
    names = [c["name"] for c in inspect(empty_engine).get_columns("alert")]
    new = names.index("cas_new_issue_of")
    assert [r[:new] + r[new + 1 :] for r in after["alert"]] == before["alert"]
    assert {r[new] for r in after["alert"]} == {"None"}
    migrate.upgrade(empty_engine)
    with UnitOfWorkFactory(empty_engine)() as uow:
        sent = uow.alerts.sent_with_cas("natpsa/2026/001", ("live",), other_than=2)
        assert sent is not None and sent.ref == "ALERT-2026-0001"
        draft = uow.alerts.by_ref("ALERT-2026-0002")
        assert draft is not None
        draft.cas_new_issue_of = sent.ref
        uow.commit()
    with UnitOfWorkFactory(empty_engine)() as uow:
        draft = uow.alerts.by_ref("ALERT-2026-0002")
        assert draft is not None and draft.cas_new_issue_of == "ALERT-2026-0001"


def test_0020_keeps_every_action_and_remembers_what_a_cancelled_one_was(
    empty_engine: Engine,
) -> None:
    """A live database's actions come through 0020 as they were. A cancelled action gets the
    status it had from the audit log's latest "cancelled" entry, so Undo cancel can restore it;
    one cancelled with no such entry keeps none (it cannot be undone, and says so)."""
    migrate.upgrade(empty_engine, "0019")  # the revision before it
    staff = sa_table(
        "staff",
        *(sa_column(n) for n in ("email", "display_name", "active", "source", "created_at")),
        sa_column("updated_at"),
    )
    lesson = sa_table(
        "lesson",
        *(
            sa_column(name)
            for name in (
                "ref", "title", "what_happened", "what_learned", "source", "committee",
                "source_refs", "mode", "status", "tiers", "has_org_unit",
                "created_at", "updated_at", "status_changed_at", "search_text",
            )
        ),
    )  # fmt: skip
    action = sa_table(
        "action",
        *(
            sa_column(name)
            for name in (
                "ref", "lesson_id", "committee", "tier", "description", "owner_id", "due_date",
                "due_version", "has_measure", "status", "status_reason", "audiences",
                "extension_count", "created_at", "updated_at", "status_changed_at",
            )
        ),
    )  # fmt: skip
    statuses = {  # ref: (status, the status its "cancelled" audit entries had before)
        "ACT-2026-0001": ("in_progress", []),
        "ACT-2026-0002": ("cancelled", ["assigned", "completion_submitted"]),
        "ACT-2026-0003": ("cancelled", []),
        "ACT-2026-0004": ("verified", []),
    }
    with empty_engine.begin() as connection:
        connection.execute(
            staff.insert().values(
                email="owner@trust.example", display_name="Owner", active=True,
                source="config", created_at=WHEN, updated_at=WHEN,
            )
        )  # fmt: skip
        owner_id = connection.execute(text("SELECT id FROM staff")).scalar_one()
        connection.execute(
            lesson.insert().values(
                ref="LL-2026-0001", title="Lesson", what_happened="Happened.",
                what_learned="Learned.", source="lfpse_event", committee="PSC",
                source_refs="[]", mode="named", status="in_progress", tiers="[2]",
                has_org_unit=False, created_at=WHEN, updated_at=WHEN,
                status_changed_at=WHEN, search_text="Lesson",
            )
        )  # fmt: skip
        lesson_id = connection.execute(text("SELECT id FROM lesson")).scalar_one()
        for ref, (status, befores) in statuses.items():
            connection.execute(
                action.insert().values(
                    ref=ref, lesson_id=lesson_id, committee="PSC", tier=2,
                    description=f"Action {ref}", owner_id=owner_id, due_date=WHEN.date(),
                    due_version=1, has_measure=False, status=status,
                    status_reason="Superseded." if status == "cancelled" else None,
                    audiences="[]", extension_count=0, created_at=WHEN, updated_at=WHEN,
                    status_changed_at=WHEN,
                )
            )  # fmt: skip
            for before in befores:
                connection.execute(
                    insert(AuditEntry).values(
                        **{
                            **_values(),
                            "entity_type": "action",
                            "entity_ref": ref,
                            "action": "cancelled",
                            "before": {"status": before},
                            "after": {"status": "cancelled"},
                        }
                    )
                )
    before = _dump(empty_engine, ("staff", "lesson", "audit_log"))
    actions_before = _dump(empty_engine, ("action",))["action"]
    migrate.upgrade(empty_engine, "0020")
    assert _dump(empty_engine, ("staff", "lesson", "audit_log")) == before
    with empty_engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM action")).mappings().all()
    assert (
        sorted(tuple(str(v) for k, v in row.items() if k != "cancelled_from") for row in rows)
        == actions_before
    )
    assert {row["ref"]: row["cancelled_from"] for row in rows} == {
        "ACT-2026-0001": None,
        "ACT-2026-0002": "completion_submitted",  # the latest cancellation
        "ACT-2026-0003": None,
        "ACT-2026-0004": None,
    }
    with UnitOfWorkFactory(empty_engine)() as uow:  # and the model reads it back
        found = uow.actions.by_ref("ACT-2026-0002")
        assert found is not None and found.cancelled_from == "completion_submitted"


def test_0021_adds_alert_attempts_and_every_alert_row_comes_through(empty_engine: Engine) -> None:
    """A live database at 0020 (a live alert, one recipient who acknowledged on Slack, one who
    has not and was sent a personal link) upgrades through 0021 with every alert, recipient and
    link row as it was, links of no known channel and no attempts; an attempt can then be
    recorded and a receipt kept on it."""
    migrate.upgrade(empty_engine, "0020")  # the revision before it
    staff = sa_table("staff", *(sa_column(n) for n in (
        "email", "display_name", "active", "source", "created_at", "updated_at")))  # fmt: skip
    alert = sa_table("alert", *(sa_column(n) for n in (
        "ref", "kind", "title", "instructions", "severity", "audience_kind", "status",
        "emergency", "publisher_id", "recipient_count", "created_at", "updated_at")),
        sa_column("audience_values", JSON().with_variant(JSONB(), "postgresql")),
        *(sa_column(n, UTCDateTime(timezone=True)) for n in ("ack_deadline", "sent_at")),
    )  # fmt: skip
    recipient = sa_table("alert_recipient", *(sa_column(n) for n in (
        "alert_id", "staff_id", "platform", "ack_platform", "notified_count")),
        *(sa_column(n, UTCDateTime(timezone=True)) for n in (
            "delivered_at", "acked_at", "last_notified_at")))  # fmt: skip
    link = sa_table("alert_ack_link", *(sa_column(n) for n in (
        "token_hash", "alert_id", "staff_id")),
        sa_column("created_at", UTCDateTime(timezone=True)))  # fmt: skip
    with empty_engine.begin() as connection:
        for n, email in enumerate(("pat@t.example", "alex@t.example", "sam@t.example"), 1):
            connection.execute(staff.insert().values(
                email=email, display_name=f"Person {n}", active=True, source="config",
                created_at=WHEN, updated_at=WHEN))  # fmt: skip
        connection.execute(alert.insert().values(
            ref="ALERT-2026-0001", kind="alert", title="Valve recall", instructions="Check it.",
            severity="critical", audience_kind="all", audience_values=[], status="live",
            emergency=False, publisher_id=1, recipient_count=2, created_at=WHEN,
            updated_at=WHEN, ack_deadline=WHEN + timedelta(days=1), sent_at=WHEN))  # fmt: skip
        connection.execute(recipient.insert().values(
            alert_id=1, staff_id=2, platform="slack", ack_platform="slack", notified_count=1,
            delivered_at=WHEN, acked_at=WHEN, last_notified_at=WHEN))  # fmt: skip
        connection.execute(recipient.insert().values(
            alert_id=1, staff_id=3, platform="teams", notified_count=2, delivered_at=WHEN,
            last_notified_at=WHEN))  # fmt: skip
        connection.execute(link.insert().values(
            token_hash="a" * 64, alert_id=1, staff_id=3, created_at=WHEN))  # fmt: skip
    tables = ("staff", "alert", "alert_recipient")
    before = _dump(empty_engine, tables)
    links = _dump(empty_engine, ("alert_ack_link",))["alert_ack_link"]
    migrate.upgrade(empty_engine, "0021")
    assert _dump(empty_engine, tables) == before
    assert _dump(empty_engine, ("alert_ack_link",))["alert_ack_link"] == [
        (*row, "None") for row in links
    ], "every link as it was, its channel unknown"
    assert _dump(empty_engine, ("alert_attempt",)) == {"alert_attempt": []}
    migrate.upgrade(empty_engine)  # the models are the head's
    with UnitOfWorkFactory(empty_engine)() as uow:
        uow.attempts.add(1, 3, 0, "sms", None, WHEN)
        uow.commit()
    with UnitOfWorkFactory(empty_engine)() as uow:
        tried = uow.attempts.tried(1, [2, 3])
    assert tried[3].channels == ("sms",) and 2 not in tried


def test_0024_adds_poll_at_and_every_attempt_comes_through(empty_engine: Engine) -> None:
    """A database at 0023 with an alert, a text Notify accepted (in flight, "sending") and one
    it delivered upgrades through 0024 with every attempt and outbox row as it was and no poll
    time (never asked); the receipt poll then finds the one in flight, not the delivered one."""
    migrate.upgrade(empty_engine, "0023")  # the revision before it
    json = JSON().with_variant(JSONB(), "postgresql")
    staff = sa_table("staff", *(sa_column(n) for n in (
        "email", "display_name", "active", "source", "created_at", "updated_at")))  # fmt: skip
    alert = sa_table("alert", *(sa_column(n) for n in (
        "ref", "kind", "title", "instructions", "severity", "audience_kind", "status",
        "emergency", "publisher_id", "recipient_count", "created_at", "updated_at")),
        sa_column("audience_values", json),
        *(sa_column(n, UTCDateTime(timezone=True)) for n in ("ack_deadline", "sent_at")),
    )  # fmt: skip
    outbox = sa_table("outbox", *(sa_column(n) for n in (
        "dedupe_key", "recipient_id", "urgent", "bulk", "status", "attempts", "platform")),
        sa_column("payload", json), sa_column("platform_ref", json),
        *(sa_column(n, UTCDateTime(timezone=True)) for n in (
            "next_attempt_at", "created_at", "sent_at")))  # fmt: skip
    attempt = sa_table("alert_attempt", *(sa_column(n) for n in (
        "alert_id", "staff_id", "step", "channel", "outbox_id", "delivery_status")),
        *(sa_column(n, UTCDateTime(timezone=True)) for n in (
            "queued_at", "status_at")))  # fmt: skip
    with empty_engine.begin() as connection:
        for n, email in enumerate(("pat@t.example", "kim@t.example", "sam@t.example"), 1):
            connection.execute(staff.insert().values(
                email=email, display_name=f"Person {n}", active=True, source="config",
                created_at=WHEN, updated_at=WHEN))  # fmt: skip
        connection.execute(alert.insert().values(
            ref="ALERT-2026-0001", kind="alert", title="Valve recall", instructions="Check it.",
            severity="critical", audience_kind="all", audience_values=[], status="live",
            emergency=False, publisher_id=1, recipient_count=2, created_at=WHEN,
            updated_at=WHEN, ack_deadline=WHEN + timedelta(days=1), sent_at=WHEN))  # fmt: skip
        for staff_id, status in ((2, "sending"), (3, "delivered")):
            connection.execute(outbox.insert().values(
                dedupe_key=f"alert:ALERT-2026-0001:directp0>sms{staff_id}",
                recipient_id=staff_id, urgent=True, bulk=False, status="sent", attempts=1,
                platform="sms", payload={"notify": {"ref": "ALERT-2026-0001"}},
                platform_ref={"notification_id": f"n-{staff_id}",
                              "reference": f"qihub-o{staff_id - 1}"},
                next_attempt_at=WHEN, created_at=WHEN, sent_at=WHEN))  # fmt: skip
            connection.execute(attempt.insert().values(
                alert_id=1, staff_id=staff_id, step=0, channel="sms", outbox_id=staff_id - 1,
                delivery_status=status, queued_at=WHEN, status_at=WHEN))  # fmt: skip
    tables = ("staff", "alert", "outbox")
    before = _dump(empty_engine, tables)
    attempts = _dump(empty_engine, ("alert_attempt",))["alert_attempt"]
    migrate.upgrade(empty_engine, "0024")
    assert _dump(empty_engine, tables) == before
    assert _dump(empty_engine, ("alert_attempt",))["alert_attempt"] == [
        (*row, "None") for row in attempts
    ], "every attempt as it was, never asked about"
    migrate.upgrade(empty_engine)  # the models are the head's
    with UnitOfWorkFactory(empty_engine)() as uow:
        due = uow.attempts.due_for_poll(
            WHEN + timedelta(minutes=6), timedelta(minutes=5), timedelta(days=7), 10
        )
    assert [(d.outbox_id, d.notification_id) for d in due] == [(1, "n-2")]


def test_0023_adds_trend_decisions_and_every_trend_comes_through(empty_engine: Engine) -> None:
    """A live database at 0021 (two trends, one lesson in both, its staff and audit rows)
    upgrades through 0023 with every trend and link as it was, each still "open" (awaiting a
    decision) and undecided; a decision can then be recorded and read back."""
    migrate.upgrade(empty_engine, "0021")  # the revision before it
    staff = sa_table("staff", *(sa_column(n) for n in (
        "email", "display_name", "active", "source", "created_at", "updated_at")))  # fmt: skip
    lesson = sa_table("lesson", *(sa_column(n) for n in (
        "ref", "title", "what_happened", "what_learned", "source", "committee", "source_refs",
        "mode", "status", "tiers", "has_org_unit", "created_at", "updated_at",
        "status_changed_at", "search_text")))  # fmt: skip
    trend = sa_table("trend", *(sa_column(n) for n in (
        "ref", "dimension", "value", "status", "lesson_count", "response")),
        sa_column("committees", JSON().with_variant(JSONB(), "postgresql")),
        *(sa_column(n, UTCDateTime(timezone=True)) for n in (
            "created_at", "updated_at", "last_lesson_at")))  # fmt: skip
    link = sa_table("trend_lesson", sa_column("trend_id"), sa_column("lesson_id"),
        sa_column("added_at", UTCDateTime(timezone=True)))  # fmt: skip
    with empty_engine.begin() as connection:
        connection.execute(staff.insert().values(
            email="lead@t.example", display_name="Lead", active=True, source="config",
            created_at=WHEN, updated_at=WHEN))  # fmt: skip
        connection.execute(lesson.insert().values(
            ref="LL-2026-0001", title="Lesson", what_happened="Happened.",
            what_learned="Learned.", source="lfpse_event", committee="PSC", source_refs="[]",
            mode="named", status="submitted", tiers="[]", has_org_unit=True, created_at=WHEN,
            updated_at=WHEN, status_changed_at=WHEN, search_text="Lesson"))  # fmt: skip
        for n, (dimension, value) in enumerate((("site", "liverpool"), ("process", "id")), 1):
            connection.execute(trend.insert().values(
                ref=f"TR-2026-000{n}", dimension=dimension, value=value, status="open",
                lesson_count=3, response=None, committees=["PEC", "PSC"], created_at=WHEN,
                updated_at=WHEN, last_lesson_at=WHEN))  # fmt: skip
            connection.execute(link.insert().values(trend_id=n, lesson_id=1, added_at=WHEN))
        connection.execute(insert(AuditEntry).values(
            **{**_values(), "entity_type": "trend", "entity_ref": "TR-2026-0001",
               "action": "raised"}))  # fmt: skip
    tables = ("staff", "lesson", "trend_lesson", "audit_log")
    before = _dump(empty_engine, tables)
    trends_before = _dump(empty_engine, ("trend",))["trend"]
    migrate.upgrade(empty_engine, "0023")
    assert _dump(empty_engine, tables) == before
    assert _dump(empty_engine, ("trend",))["trend"] == [
        (*row, "None", "None", "None", "None", "None") for row in trends_before
    ], "every trend as it was, undecided"
    migrate.upgrade(empty_engine)  # the models are the head's
    with UnitOfWorkFactory(empty_engine)() as uow:
        found = uow.trends.by_ref("TR-2026-0001")
        assert found is not None and found.status == "open" and found.decided_at is None
        assert [x.ref for x in found.lessons] == ["LL-2026-0001"]
        assert [t.ref for t in uow.trends.for_committee("PSC", 10)[0]] == [
            "TR-2026-0002",
            "TR-2026-0001",
        ]
        found.status, found.response, found.response_owner_id = "accepted", "Deep dive.", 1
        found.decided_at, found.decided_by_id = WHEN, 1
        uow.commit()
    with UnitOfWorkFactory(empty_engine)() as uow:
        assert [t.ref for t in uow.trends.led_by(1)] == ["TR-2026-0001"]


def test_0030_adds_web_sign_in_and_every_staff_row_comes_through(empty_engine: Engine) -> None:
    """A database at 0024 with staff (one with a Teams object id, one a leaver), their roles
    and an acknowledgement link upgrades through 0030 with every row as it was and the three
    sign-in tables empty; a link and a session can then be stored and found by their hash."""
    migrate.upgrade(empty_engine, "0024")  # the revision before it
    staff = sa_table("staff", *(sa_column(n) for n in (
        "email", "display_name", "active", "source", "teams_aad_id")),
        *(sa_column(n, UTCDateTime(timezone=True))
          for n in ("created_at", "updated_at")))  # fmt: skip
    role = sa_table("staff_role", *(sa_column(n) for n in ("staff_id", "role", "source")))
    with empty_engine.begin() as connection:
        for n, (email, oid, active) in enumerate(
            (("pat@t.example", "oid-pat", True), ("kim@t.example", None, False)), 1
        ):
            connection.execute(staff.insert().values(
                email=email, display_name=f"Person {n}", active=active, source="config",
                teams_aad_id=oid, created_at=WHEN, updated_at=WHEN))  # fmt: skip
            connection.execute(role.insert().values(staff_id=n, role="staff", source="config"))
    tables = ("staff", "staff_role", "alert_ack_link")
    before = _dump(empty_engine, tables)
    migrate.upgrade(empty_engine, "0030")
    assert _dump(empty_engine, tables) == before
    assert _dump(empty_engine, ("hub_sign_in_link", "hub_session", "hub_sign_in_flow")) == {
        "hub_sign_in_link": [],
        "hub_session": [],
        "hub_sign_in_flow": [],
    }
    with UnitOfWorkFactory(empty_engine)() as uow:
        uow.hub.add_link("a" * 64, 1, WHEN, WHEN + timedelta(minutes=5))
        uow.hub.add_session("b" * 64, 1, "link", WHEN, WHEN + timedelta(hours=10))
        uow.commit()
    with UnitOfWorkFactory(empty_engine)() as uow:
        link = uow.hub.link("a" * 64)
        assert link is not None and link.staff_id == 1
        assert uow.hub.session_by_hash("b" * 64) is not None
        assert uow.hub.spend_link(link.id, WHEN) and not uow.hub.spend_link(link.id, WHEN)


def _indexes(engine: Engine) -> set[str]:
    return {i["name"] for i in inspect(engine).get_indexes("lesson") if i["name"]}


def test_0031_keeps_every_lesson_and_finds_it_by_the_same_words(empty_engine: Engine) -> None:
    """Lessons at 0030 come through 0031 as they were and the library finds them by the same
    words, best match first; a lesson added afterwards is found, text changed afterwards is
    found by its new words only and a deleted lesson is not found (on PostgreSQL the search
    table's triggers and cascade follow the lesson by themselves). The listing index replaces
    ix_lesson_created, and on PostgreSQL the search table and its index the expression index;
    downgrading puts the old ones back and leaves no trigger or function behind."""
    migrate.upgrade(empty_engine, "0030")  # the revision before it
    columns = (
        "ref", "title", "what_happened", "what_learned", "source", "committee", "source_refs",
        "mode", "status", "tiers", "has_org_unit", "search_text",
    )  # fmt: skip
    lesson = sa_table("lesson", *(sa_column(n) for n in columns),
        *(sa_column(n, UTCDateTime(timezone=True))
          for n in ("created_at", "updated_at", "status_changed_at", "triaged_at")))  # fmt: skip
    texts = {
        "LL-2026-00001": "Missed line flush on Ward 4. The line flush chart was unsigned.",
        "LL-2026-00002": "Delayed discharge letter. The flush was fine.",
        "LL-2026-00003": "Wrong allergy record at handover.",
    }

    def add(refs_and_texts: dict[str, str]) -> None:
        with empty_engine.begin() as connection:
            for ref, words in refs_and_texts.items():
                connection.execute(lesson.insert().values(
                    ref=ref, title=words[:40], what_happened=words, what_learned="Learned.",
                    source="lfpse_event", committee="PSC", source_refs="[]", mode="named",
                    status="in_progress", tiers="[]", has_org_unit=False, search_text=words,
                    created_at=WHEN, updated_at=WHEN, status_changed_at=WHEN,
                    triaged_at=WHEN))  # fmt: skip

    add(texts)
    guards = _guards(empty_engine)
    listed = ", ".join(("id", *columns))
    with empty_engine.connect() as connection:
        before = connection.execute(text(f"SELECT {listed} FROM lesson ORDER BY id")).all()
    migrate.upgrade(empty_engine, "0031")
    with empty_engine.connect() as connection:
        assert connection.execute(text(f"SELECT {listed} FROM lesson ORDER BY id")).all() == before

    def found(*words: str) -> tuple[list[str], int]:
        with UnitOfWorkFactory(empty_engine)() as uow:
            hits, total = uow.search.search(
                words, LessonFilter(), SEARCHABLE, 0, 10, EVERY_MEMBER_OF_STAFF
            )
        return [h.ref for h in hits], total

    assert found("flush") == (["LL-2026-00001", "LL-2026-00002"], 2)  # twice in 00001: first
    assert found("allergy", "handover") == (["LL-2026-00003"], 1)
    assert found() == (["LL-2026-00003", "LL-2026-00002", "LL-2026-00001"], 3)
    with empty_engine.begin() as connection:
        connection.execute(
            lesson.update().where(lesson.c.ref == "LL-2026-00003").values(search_text="Sepsis")
        )
    assert found("sepsis") == (["LL-2026-00003"], 1)
    assert found("allergy") == ([], 0)
    add({"LL-2026-00004": "Flush flush flush: the line flush was missed again."})
    assert found("flush") == (["LL-2026-00004", "LL-2026-00001", "LL-2026-00002"], 3)
    with empty_engine.begin() as connection:
        connection.execute(lesson.delete().where(lesson.c.ref == "LL-2026-00004"))
    assert found("flush") == (["LL-2026-00001", "LL-2026-00002"], 2)

    postgres = empty_engine.dialect.name == "postgresql"
    assert {"ix_lesson_library"} <= _indexes(empty_engine)
    assert "ix_lesson_created" not in _indexes(empty_engine)
    if postgres:
        assert "lesson_fts" in _search_tables(empty_engine)
        assert "lesson_fts_vector_gin" in {
            i["name"] for i in inspect(empty_engine).get_indexes("lesson_fts")
        }
        assert "lesson_fts_gin" not in _indexes(empty_engine)
    migrate.downgrade(empty_engine, "0030")
    assert "ix_lesson_created" in _indexes(empty_engine)
    assert "ix_lesson_library" not in _indexes(empty_engine)
    assert sorted(_guards(empty_engine)) == sorted(guards)
    if postgres:
        assert "lesson_fts_gin" in _indexes(empty_engine)
        assert "lesson_fts" not in _search_tables(empty_engine)
