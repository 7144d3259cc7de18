"""Who reads a lesson before triage, and who reads the committee's notes (docs/domain.md,
information governance): every path through the real core, on both databases."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest

from bot.app import QIHub, create_app
from bot.exports import write_register
from bot.settings import Settings
from handlers.clock import ManualClock
from handlers.config import OrgConfig
from handlers.directory import resolve_actor
from handlers.visibility import lesson_scope, may_read
from messages.view import Reply, Response, all_text
from tests.harness import (
    ALEX,
    CHRIS,
    HELEN,
    KIM,
    LESSON,
    NADIA,
    PRIYA,
    TOM,
    Harness,
    button,
    ref_in,
    submit_lesson,
)

HAPPENED = "A distinctive flush mix-up on the night shift."
NOBODY_LOOKS = "LL-2026-0099"


def text_of(response: Response) -> str:
    assert isinstance(response, Reply), response
    return " ".join(all_text(response))


def answer(hub: Harness, who: str, command: str) -> str:
    """What `who` is told, with the reference blanked, so two answers can be compared."""
    return text_of(hub.command(who, command)).replace(NOBODY_LOOKS, "REF")


def triage(hub: Harness, ref: str, **values: str) -> Reply:
    opened = hub.press(CHRIS, button(hub.command(CHRIS, f"/qi show {ref}"), "Take to committee"))  # type: ignore[arg-type]
    done = hub.fill(CHRIS, opened, {"deidentified": "yes", **values})
    assert isinstance(done, Reply), done
    return done


def test_before_triage_only_the_submitter_and_the_committees_leads_read_it(hub: Harness) -> None:
    ref = ref_in(submit_lesson(hub, what_happened=HAPPENED), "LL")
    assert ref != NOBODY_LOOKS
    for who in (ALEX, CHRIS):
        assert HAPPENED in text_of(hub.command(who, f"/qi show {ref}"))
        assert HAPPENED in text_of(hub.command(who, f"/lesson status {ref}"))
    # staff, a committee member who is not its lead, another committee's lead, an admin:
    # each is answered exactly as for a reference that does not exist
    for who in (TOM, KIM, PRIYA, NADIA, HELEN):
        for command in ("/qi show", "/lesson status"):
            told = text_of(hub.command(who, f"{command} {ref}")).replace(ref, "REF")
            assert told == answer(hub, who, f"{command} {NOBODY_LOOKS}"), (who, command)
            assert HAPPENED not in told
        # an Open button as a trend post or a reminder carries it, sealed by the server
        show = hub.press(who, hub.drawn_button("lesson.show", {"ref": ref}))
        assert "out of date" not in text_of(show)  # refused by the rule, not by the seal
        assert HAPPENED not in text_of(show)
    triage(hub, ref)
    for who in (TOM, KIM, PRIYA, NADIA):
        assert HAPPENED in text_of(hub.command(who, f"/qi show {ref}"))


def test_the_committee_channel_gets_no_text_before_triage(hub: Harness) -> None:
    ref = ref_in(submit_lesson(hub, what_happened=HAPPENED), "LL")
    hub.deliver()
    post = hub.platform.to("#psc")[-1]
    shown = " ".join(all_text(post))
    assert ref in shown
    assert HAPPENED not in shown and LESSON["title"] not in shown
    assert LESSON["what_learned"] not in shown
    triage(hub, ref)
    hub.deliver()
    assert HAPPENED in " ".join(all_text(hub.platform.to("#psc")[-1]))


def test_lists_the_library_and_exports_keep_an_untriaged_lesson_to_its_readers(
    hub: Harness,
) -> None:
    ref = ref_in(submit_lesson(hub, what_happened=HAPPENED), "LL")
    refused = ref_in(submit_lesson(hub, title="Refused at triage", what_happened=HAPPENED), "LL")
    opened = hub.press(
        CHRIS,
        button(hub.command(CHRIS, f"/qi show {refused}"), "Not progressed"),  # type: ignore[arg-type]
    )
    hub.fill(CHRIS, opened, {"message": "This belongs in the incident system."})
    assert ref in text_of(hub.command(CHRIS, "/lesson list PSC all"))
    for who in (KIM, NADIA):
        listed = text_of(hub.command(who, "/lesson list PSC all"))
        assert ref not in listed and refused not in listed
        assert "0 in all" in listed
    # the library holds only triaged lessons, not even one refused at triage
    for who in (ALEX, CHRIS):
        assert "No lessons match" in text_of(hub.command(who, "/qi search distinctive"))
    out = io.StringIO()
    with hub.app.uow_factory() as uow:
        write_register("lessons", uow.registers, out)
    rows = {row["ref"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))}
    assert rows[ref]["title"] == "(awaiting triage)" and rows[ref]["what_learned"] == ""
    assert rows[refused]["title"] == "(awaiting triage)"
    triage(hub, ref)
    assert "1 lesson matches" in text_of(hub.command(TOM, "/qi search distinctive"))
    assert ref in text_of(hub.command(KIM, "/lesson list PSC all"))


def test_the_query_scope_and_the_one_lesson_rule_agree(hub: Harness) -> None:
    """`lesson_scope(...).where()` (lists, the library) and `may_read` (one lesson) are the
    same rule: for every reader and lesson, listed exactly when readable."""
    refs = [
        ref_in(submit_lesson(hub, who=who, committee=committee, mode=mode), "LL")
        for who, committee, mode in (
            (ALEX, "", "named"),
            (TOM, "PEC", "confidential"),
            (ALEX, "CEC", "anonymous"),
            (KIM, "", "named"),
        )
    ]
    triage(hub, refs[3])
    app = hub.app
    with app.uow_factory() as uow:
        for email in (ALEX, TOM, KIM, CHRIS, PRIYA, NADIA, HELEN):
            actor = resolve_actor(uow, email)
            scope = lesson_scope(app.config, actor)
            listed, _ = uow.lessons.page(None, ["submitted", "triaged"], 0, 100, scope)
            for ref in refs:
                lesson = uow.lessons.by_ref(ref)
                assert lesson is not None
                assert may_read(app.config, actor, lesson) == (lesson in listed), (email, ref)


@pytest.fixture
def admins_read_untriaged(db_url: str, clock: ManualClock, config: OrgConfig) -> Iterator[Harness]:
    permissions = {**config.permissions, "lesson.read_untriaged": ["admin"]}
    changed = config.model_copy(update={"permissions": permissions})
    app: QIHub = create_app(
        Settings(database_url=db_url, _env_file=None), clock=clock, config=changed
    )
    app.sync_directory()
    yield Harness(app, clock)
    app.engine.dispose()


def test_admins_read_untriaged_lessons_when_the_config_says_so(
    admins_read_untriaged: Harness,
) -> None:
    hub = admins_read_untriaged
    ref = ref_in(submit_lesson(hub, what_happened=HAPPENED), "LL")
    assert HAPPENED in text_of(hub.command(NADIA, f"/qi show {ref}"))
    assert ref in text_of(hub.command(NADIA, "/lesson list PSC all"))
    assert HAPPENED not in text_of(hub.command(TOM, f"/qi show {ref}"))


# ------------------------------------------------------------------ notes and messages
NOTE = "Internal: the ward manager is being performance managed."
MESSAGE = "Thank you: the Patient Safety Committee meets on Monday."
RATIONALE = "Internal: cheaper than the alternative."


def test_the_reporter_sees_only_the_message_written_to_them(hub: Harness) -> None:
    reply = submit_lesson(hub, mode="anonymous")
    ref = ref_in(reply, "LL")
    receipt = next(w for w in text_of(reply).split() if w.startswith("R-"))
    named = ref_in(submit_lesson(hub), "LL")
    for lesson_ref in (ref, named):
        triage(hub, lesson_ref, note=NOTE, message=MESSAGE)
        opened = hub.press(
            HELEN,
            button(hub.command(HELEN, f"/qi show {lesson_ref}"), "Decide tiers"),  # type: ignore[arg-type]
        )
        hub.fill(HELEN, opened, {"tiers": ["3"], "rationale": RATIONALE, "message": ""})
    hub.deliver()
    told = " ".join(" ".join(all_text(r)) for r in hub.platform.to(ALEX))
    assert MESSAGE in told
    for internal in (NOTE, RATIONALE):
        assert internal not in told
    mine = text_of(hub.command(ALEX, f"/lesson status {named}"))
    by_receipt = text_of(hub.command(TOM, f"/lesson status {receipt}"))
    for view in (mine, by_receipt):
        assert MESSAGE in view
        assert NOTE not in view and RATIONALE not in view
    staff = text_of(hub.command(TOM, f"/qi show {named}"))
    assert NOTE not in staff and RATIONALE not in staff and MESSAGE not in staff
    for member in (KIM, HELEN, CHRIS):
        committee = text_of(hub.command(member, f"/qi show {named}"))
        assert NOTE in committee and RATIONALE in committee and MESSAGE in committee
    with hub.app.uow_factory() as uow:
        stored = uow.lessons.by_ref(named)
        assert stored is not None
        assert (stored.committee_note, stored.reporter_message) == (NOTE, MESSAGE)
