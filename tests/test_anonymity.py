"""Anonymity as an invariant (docs/domain.md, information governance): every anonymous path,
run for real, leaves no trace of the submitter in any row, log line or metric, nor any audit
row that names them beside the anonymous one.

Alex only ever acts anonymously here, so any row that points at Alex is a leak.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.exports import REGISTERS, write_register
from bot.web import create_web_app
from messages.view import Reply, all_text
from store.base import Base
from store.models import AuditEntry, Staff
from tests.harness import ALEX, KIM, TOM, Harness, ref_in, screened, submit_lesson
from tests.scan import cells

DIRECTORY = {"staff", "staff_role", "teams_conversation"}
"""Where a person is meant to be: the staff directory and how to reach them."""


def receipt_of(reply: Reply) -> str:
    return next(w for w in " ".join(all_text(reply)).split() if w.startswith("R-"))


def staff_columns() -> set[tuple[str, str]]:
    """(table, column) of every column that holds a staff id (a foreign key to staff.id)."""
    return {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if any(fk.column.table.name == "staff" for fk in column.foreign_keys)
    }


def ids_in(value: Any, staff_id: int, path: str = "") -> Iterator[str]:
    """Keys of a JSON value naming a person (…id, actor, staff, submitter…) equal to
    `staff_id`: an id written into an audit before/after or a payload."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from ids_in(item, staff_id, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from ids_in(item, staff_id, path)
    elif isinstance(value, int) and not isinstance(value, bool) and value == staff_id:
        key = path.rsplit(".", 1)[-1].lower()
        if key.endswith("id") or any(w in key for w in ("actor", "staff", "submitter", "by")):
            yield path


def anonymous_run(hub: Harness) -> list[str]:
    """Every anonymous path, a minute apart. Returns the exports and pages it produced."""
    outputs: list[str] = []

    def later() -> None:
        hub.clock.advance(timedelta(minutes=1))

    idea = hub.submit_idea(mode="anonymous", credit="yes")
    idea_ref, idea_receipt = ref_in(idea), receipt_of(idea)
    later()
    screened(hub, idea_ref)  # by the panel, so that others may see and support it
    later()
    hub.command(TOM, f"/idea support {idea_ref}")  # supported by someone else
    later()
    hub.command(ALEX, f"/idea status {idea_receipt}")
    receipts = []
    for n in range(4):  # the third raises a trend, the fourth grows it
        later()
        lesson = submit_lesson(hub, mode="anonymous", title=f"Anonymous flush mix-up {n}")
        receipts.append(receipt_of(lesson))
    later()
    hub.command(ALEX, f"/lesson status {receipts[0]}")
    later()
    opened = hub.command(ALEX, f"/idea withdraw {idea_receipt}")
    withdrawn = hub.fill(ALEX, opened, {"reason": "Someone else has already done it."})
    assert isinstance(withdrawn, Reply) and "withdrawn" in " ".join(all_text(withdrawn)).lower()
    hub.deliver()
    hub.clock.advance(timedelta(days=11))  # reminders: not triaged, not screened
    hub.tick()
    hub.clock.set(hub.clock.now().replace(day=14, hour=8, minute=5))  # Monday: digests
    hub.tick(digests=True)
    hub.clock.advance(timedelta(days=8, hours=4))  # 10 days before the quarter ends: bulletin
    hub.tick(bulletins=True)
    hub.deliver()
    for kind in REGISTERS:
        out = io.StringIO()
        with hub.app.uow_factory() as uow:
            write_register(kind, uow.registers, out)
        outputs.append(out.getvalue())
    outputs.append(" ".join(all_text(hub.command(KIM, "/qi digest PSC"))))  # type: ignore[arg-type]
    return outputs


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log line at DEBUG, and the SQL an operator sees who turns database logging on
    (sqlalchemy.engine at INFO: statements and their parameters; SQLAlchemy keeps its own
    loggers at WARNING otherwise, whatever the root's level)."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    return caplog


def test_no_trace_of_an_anonymous_submitter_anywhere(
    hub: Harness, debug_logs: pytest.LogCaptureFixture
) -> None:
    with hub.app.uow_factory() as uow:
        alex = uow.session.scalar(select(Staff).where(Staff.email == ALEX))
        assert alex is not None
        alex_id = alex.id
        identity = [alex.email, alex.display_name, alex.display_name.split()[-1]]
        identity += [v for v in (alex.slack_user_id, alex.teams_aad_id) if v]
    outputs = anonymous_run(hub)
    with TestClient(create_web_app(hub.app), client=("127.0.0.1", 50000)) as client:
        metrics = client.get("/metrics")
        assert metrics.status_code == 200
        outputs.append(metrics.text)

    leaks: list[str] = []
    by_staff_id = staff_columns()
    for table, column, value in cells(hub.app.engine):
        if table in DIRECTORY:
            continue
        if (table, column) in by_staff_id and value == alex_id:
            leaks.append(f"{table}.{column} = Alex's staff id")
        if isinstance(value, dict | list):
            leaks += [f"{table}.{column}{p}" for p in ids_in(value, alex_id)]
        if isinstance(value, str | dict | list):
            shown = str(value).lower()
            leaks += [f"{table}.{column} holds {w!r}" for w in identity if w.lower() in shown]
    assert any(r.name.startswith("sqlalchemy.engine") for r in debug_logs.records)
    for record in debug_logs.records:
        line = f"{record.getMessage()} {record.__dict__}".lower()
        leaks += [f"log {record.name}: {w!r}" for w in identity if w.lower() in line]
    for output in outputs:
        leaks += [f"output holds {w!r}" for w in identity if w.lower() in output.lower()]
    assert leaks == [], "\n".join(leaks)

    with hub.app.uow_factory() as uow:
        audit = uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        uow.session.expunge_all()
    anonymous_times = {a.at for a in audit if a.actor_label == "anonymous"}
    assert len(anonymous_times) >= 6  # the idea, four lessons, the withdrawal
    beside = [
        (a.action, a.entity_ref, a.actor_id)
        for a in audit
        if a.at in anonymous_times and a.actor_id is not None
    ]
    assert beside == [], "a named audit row written with an anonymous one links them"
    trend_rows = [a for a in audit if a.entity_type == "trend"]
    assert {a.action for a in trend_rows} == {"raised", "grew"}
    assert all(a.actor_label == "system" for a in trend_rows)


def test_the_run_reaches_every_anonymous_path(hub: Harness) -> None:
    """The invariant means something only if the run really did each thing."""
    anonymous_run(hub)
    with hub.app.uow_factory() as uow:
        actions = {(a.entity_type, a.action) for a in uow.session.scalars(select(AuditEntry))}
    assert {
        ("idea", "submitted"),
        ("idea", "supported"),
        ("idea", "withdraw"),
        ("lesson", "submitted"),
        ("trend", "raised"),
        ("trend", "grew"),
    } <= actions, actions
    sent = [s.reply.summary for s in hub.platform.sent]
    assert any("waited" in s for s in sent), "a not-triaged reminder"
    assert any("digest" in s.lower() for s in sent), sent
    assert any("is drafted" in s for s in sent), sent
