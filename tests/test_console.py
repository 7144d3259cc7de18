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


def test_governance_lead_journey_holds(tmp_path: Path) -> None:
    """Step 9's check, on the README's journey extended: no self-approval of any kind
    succeeds, every stalled item reaches someone, and the duplicate reminder is gone."""
    script = (GOLDEN / "governance_lead_journey_holds.in").read_text()
    out = run_console(script, tmp_path).stdout
    # Kim submitted the lesson: pressing Decide tiers in the channel is refused.
    assert "You submitted LL-2026-0001, so another committee member must decide its tiers." in out
    # Chris owns ACT-2026-0001 and is the committee's only governance lead: the chair verifies.
    assert "Helen Roberts (the committee's chair: the governance lead owns this" in out
    assert (
        ">> new for Helen Roberts <helen.roberts@clatterbridge.example>: ACT-2026-0001 is complete"
        in out
    )
    owner_view = out.split("chris.evans> 4\n", 1)[1].split("chris.evans> /as helen", 1)[0]
    assert "Verify" not in owner_view
    # The jump of 15 days raises one due reminder for ACT-2026-0002, the latest occasion.
    jump = out.split("> /clock +15d\n", 1)[1].split("> /as tom", 1)[0]
    assert jump.count("ACT-2026-0002 is due in") == 1
    assert "ACT-2026-0002 is due in 3 days" in jump
    # Only the chair or a governance lead other than the owner cancels; everyone is told.
    assert (
        "Cancel ACT-2026-0002? Its owner, the committee and its governance leads are told." in out
    )
    for who in ("Tom Baker", "Chris Evans", "#qi-patient-safety"):
        assert f"new for {who}" in out.split("ACT-2026-0002 cancelled.", 1)[1].split("> /as tom")[0]
    # Kim, a committee member but neither chair nor governance lead, is offered no Cancel.
    kim = out.split("kim.jones> /qi show ACT-2026-0002\n", 1)[1].split("kim.jones> /clock", 1)[0]
    assert "Cancel" not in kim
    # Undone within the window, the action is open again and the lesson no longer awaits
    # assurance.
    assert "ACT-2026-0002 is back to 'In progress'." in out
    digest = out.rsplit("chris.evans> /qi digest PSC\n", 1)[1]
    assert "Open actions:         1" in digest
    assert "awaiting the committee's assurance" not in digest
