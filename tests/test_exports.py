"""CSV registers for the annual report: every record once, in order, nobody named who did not
choose to be, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import pytest

from bot.exports import ACTION_COLUMNS, IDEA_COLUMNS, LESSON_COLUMNS, write_register
from tests.harness import Harness, ref_in
from tests.lessons_flow import add_action, decided_lesson


def export(hub: Harness, kind: str) -> list[dict[str, str]]:
    out = io.StringIO()
    with hub.app.uow_factory() as uow:
        count = write_register(kind, uow.registers, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == count
    return rows


def test_ideas_name_only_consenting_named_submitters(hub: Harness) -> None:
    named = ref_in(hub.submit_idea(title='=HYPERLINK("http://x")', credit="yes"))
    private = ref_in(hub.submit_idea(title="Quiet idea", credit="no"))
    rows = export(hub, "ideas")
    assert list(rows[0]) == IDEA_COLUMNS
    by_ref = {row["ref"]: row for row in rows}
    assert by_ref[named]["credited_to"] == "Alex Morgan"
    assert by_ref[named]["title"].startswith("'=")  # shown as text, never run
    assert by_ref[private]["credited_to"] == ""


def test_lessons_and_actions_registers(hub: Harness) -> None:
    lesson = decided_lesson(hub, ["2"])
    action = add_action(hub, lesson, 2)
    lessons = export(hub, "lessons")
    assert list(lessons[0]) == LESSON_COLUMNS
    assert [row["ref"] for row in lessons] == [lesson]
    assert lessons[0]["tiers"] == "2" and lessons[0]["created_at"].endswith("+00:00")
    actions = export(hub, "actions")
    assert list(actions[0]) == ACTION_COLUMNS
    assert (actions[0]["ref"], actions[0]["lesson_ref"], actions[0]["tier"]) == (
        action,
        lesson,
        "2",
    )
    assert actions[0]["owner"]


def test_cli_writes_a_register_to_a_file(
    hub: Harness, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    ref = ref_in(hub.submit_idea())
    for key in ("QIHUB_CONFIG", "LOG_LEVEL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATABASE_URL", db_url)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        assert main(["export", "ideas", "-o", str(tmp_path / "ideas.csv")]) == 0
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    rows = list(csv.DictReader((tmp_path / "ideas.csv").open()))
    assert [row["ref"] for row in rows] == [ref]
