"""Scripted console sessions, piped through the real `python -m bot console`, compared with
golden transcripts. Set UPDATE_GOLDEN=1 to rewrite a transcript after a deliberate change."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.goldens import assert_golden
from tests.subprocesses import run_console

GOLDEN = Path(__file__).parent / "golden" / "console"
SCRIPTS = sorted(GOLDEN.glob("*.in"))
RECEIPT = re.compile(r"R-[0-9A-Z]{5}-[0-9A-Z]{5}")


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_console_transcript_matches_golden(script: Path, tmp_path: Path) -> None:
    result = run_console(script.read_text(), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    transcript = result.stdout.replace(str(tmp_path), "<tmp>")
    expected = script.with_suffix(".out")
    assert_golden(expected, transcript)


def test_piped_session_submits_approves_and_notifies(tmp_path: Path) -> None:
    """The issue's check: submit, screen, approve with reasons; the inbox shows both."""
    script = (GOLDEN / "bright_idea_screened_and_approved.in").read_text()
    out = run_console(script, tmp_path).stdout
    inbox = out.split("alex.morgan> /inbox\n", 1)[1].split("alex.morgan> /idea mine", 1)[0]
    assert "Your inbox: 3 messages" in inbox
    assert "has been screened and is eligible" in inbox
    assert "Reason: Clear safety benefit and cheap to try." in inbox
    assert "has been approved" in inbox
    assert "Reason: Approved: pharmacy will supply the labels." in inbox


def test_anonymous_idea_leaves_no_identity_in_tables_or_logs(tmp_path: Path) -> None:
    answers = [
        "",  # type: keep Bright
        "",  # title: keep what followed the command
        "Staff fear raising concerns",
        "Add an anonymous feedback box",
        *["", "", "", ""],  # benefits, expected benefit, area, SRG
        "3",  # anonymous
        *["", ""],  # co-submitters, credit
    ]
    script = "\n".join(["/idea bright Anonymous feedback box", *answers, "/quit"]) + "\n"
    result = run_console(script, tmp_path, LOG_LEVEL="DEBUG")
    assert result.returncode == 0
    receipts = sorted(set(RECEIPT.findall(result.stdout)))
    assert len(receipts) == 1
    assert "alex" not in result.stderr.lower() and "morgan" not in result.stderr.lower()
    follow = run_console(f"/as tom\n/idea status {receipts[0]}\n", tmp_path)
    assert "IDEA-2026-0001" in follow.stdout and "Anonymous" in follow.stdout

    import sqlite3

    with sqlite3.connect(tmp_path / "console.db") as db:
        alex_id = db.execute(
            "SELECT id FROM staff WHERE email = 'alex.morgan@clatterbridge.example'"
        ).fetchone()[0]
        assert db.execute("SELECT count(*) FROM idea_submitter").fetchone() == (0,)
        assert db.execute("SELECT actor_id, actor_label FROM audit_log").fetchall() == [
            (None, "anonymous")
        ]
        assert db.execute(
            "SELECT count(*) FROM outbox WHERE recipient_id = ?", (alex_id,)
        ).fetchone() == (0,)
        for (table,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'staff'"
        ).fetchall():
            dump = repr(db.execute(f"SELECT * FROM {table}").fetchall())
            assert "alex" not in dump.lower() and "morgan" not in dump.lower(), table
