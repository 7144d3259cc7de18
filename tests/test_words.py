"""Step 9: words that mean what they say. Each test pins one sentence staff once misread."""

from __future__ import annotations

import re
from pathlib import Path

from messages.view import Notice, OpenForm, Reply, all_text
from tests.harness import ALEX, CHRIS, NADIA, SAM, TOM, Harness, button, ref_in, submit_lesson
from tests.lessons_flow import card


def notices(reply: Reply) -> str:
    return " ".join(b.text for b in reply.blocks if isinstance(b, Notice))


def test_withdrawing_your_own_idea_says_the_panel_was_told(hub: Harness) -> None:
    ref = ref_in(hub.submit_idea(title="Colour-coded flush labels"))
    opened = hub.command(ALEX, f"/idea withdraw {ref}")
    result = hub.fill(ALEX, opened, {"reason": ""})
    assert isinstance(result, Reply)
    assert notices(result) == f"{ref} has been withdrawn. The ideas panel has been told."


def test_withdraw_and_decision_forms_name_the_idea(hub: Harness) -> None:
    ref = ref_in(hub.submit_idea(title="Colour-coded flush labels"))
    withdraw = hub.command(ALEX, f"/idea withdraw {ref}")
    assert isinstance(withdraw, OpenForm)
    assert withdraw.about == f"{ref}: Colour-coded flush labels"
    panel_card = hub.command(SAM, f"/idea status {ref}")
    assert isinstance(panel_card, Reply)
    decision = hub.press(SAM, button(panel_card, "Eligible"))
    assert isinstance(decision, OpenForm)
    assert decision.about == f"{ref}: Colour-coded flush labels"


def test_triage_form_names_the_lesson(hub: Harness) -> None:
    ref = ref_in(submit_lesson(hub), "LL")
    opened = hub.press(CHRIS, button(card(hub, CHRIS, ref), "Take to committee"))
    assert isinstance(opened, OpenForm)
    assert opened.about.startswith(f"{ref}: ")


def test_an_unknown_qi_word_is_named_before_the_help(hub: Harness) -> None:
    reply = hub.command(TOM, "/qi frobnicate now")
    assert isinstance(reply, Reply)
    assert notices(reply) == "I don't know /qi frobnicate. Here is what you can do:"
    assert "QI Hub: what you can do" in all_text(reply)
    plain = hub.command(TOM, "/qi")
    assert isinstance(plain, Reply) and notices(plain) == ""


def test_an_unknown_word_after_another_command_is_named(hub: Harness) -> None:
    reply = hub.command(TOM, "/bulletin frobnicate")
    assert isinstance(reply, Reply)
    assert notices(reply) == "I don't know /bulletin frobnicate. Try /bulletin help."


def test_counts_agree_with_their_word() -> None:
    from messages.templates import count_people, counted

    assert [count_people(n) for n in (0, 1, 2)] == ["0 people", "1 person", "2 people"]
    assert counted(1, "lesson") == "1 lesson" and counted(3, "lesson") == "3 lessons"
    assert counted(1, "audit entry", "audit entries") == "1 audit entry"


COUNTED_NOUN = re.compile(
    r"\{[^{}]*\}\)? (people|lessons|ideas|actions|recipients|members|supporters|entries|"
    r"audit entries|working days)\b"
)


def test_no_count_is_written_next_to_a_fixed_plural() -> None:
    """ "reach 1 people": every count shown with a noun goes through counted()/plural()."""
    root = Path(__file__).resolve().parent.parent
    found = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for folder in ("handlers", "bot", "messages")
        for path in sorted((root / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1)
        if COUNTED_NOUN.search(line)
    ]
    assert found == []


def test_an_export_piped_into_head_stops_quietly(tmp_path: Path, sqlite_template: Path) -> None:
    """`qihub export lessons | head`: the reader closing the pipe is no traceback. The three
    exports run side by side (each its own process, its own pipe), on a copy of the migrated
    template database rather than a `qihub db upgrade` process of their own: start-up is what
    this test spends its time on."""
    import os
    import shutil
    import subprocess
    import sys

    shutil.copyfile(sqlite_template, tmp_path / "pipe.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QIHUB_", "DATABASE_URL"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'pipe.db'}"
    exports = {
        register: subprocess.Popen(
            [sys.executable, "-m", "bot", "export", register],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=tmp_path,
        )
        for register in ("lessons", "actions", "ideas")
    }
    for export in exports.values():
        assert export.stdout is not None
        export.stdout.close()  # `head` has read all it wants before anything is written
    for register, export in exports.items():
        assert export.stderr is not None
        err = export.stderr.read().decode()
        export.stderr.close()
        assert export.wait(timeout=60) == 141, (register, err)
        assert err == "", register


def test_the_audit_trail_reads_as_field_old_to_new(hub: Harness) -> None:
    ref = ref_in(hub.submit_idea(title="Colour-coded flush labels"))
    decision = hub.press(SAM, button(hub.command(SAM, f"/idea status {ref}"), "Eligible"))  # type: ignore[arg-type]
    hub.fill(SAM, decision, {"reason": "Clear safety benefit and cheap to try."})
    trail = hub.command(NADIA, f"/qi audit {ref}")
    assert isinstance(trail, Reply)
    text = "\n".join(all_text(trail))
    assert "status: submitted → eligible" in text
    assert "{" not in text and "'" not in text


def test_describe_change_words() -> None:
    from handlers.audit import describe_change

    assert describe_change(
        {"status": "open", "due": "2026-12-01"},
        {"status": "done", "due": "2026-12-01", "tiers": [1, 2], "verified": True},
    ) == [
        "status: open → done",
        "tiers: 1, 2",
        "verified: yes",
    ]
    assert describe_change({"owner_id": 3}, {"owner_id": None}) == ["owner id: 3 → (none)"]
    assert describe_change(None, None) == []


def test_a_long_typed_title_is_shortened_out_loud(hub: Harness) -> None:
    opened = hub.command(ALEX, "/idea " + "word " * 4000)
    assert isinstance(opened, OpenForm)
    assert len(opened.values["title"]) <= 150 and opened.values["title"].endswith("word")
    assert opened.errors == {
        "title": "Your title was 19,999 characters, and a title may have 150, so it was "
        "shortened: please check it, and put the detail in the questions below."
    }
    short = hub.command(ALEX, "/lesson Flush syringes look alike")
    assert isinstance(short, OpenForm) and short.errors == {}
