"""Rules that must hold even for someone who holds a button drawn for another person.

Each test drives the real core through the harness and presses the button exactly as the server
would have drawn it (`hub.drawn_button`, sealed), so it tests the rule, not the seal. Each was
watched going red with the line that enforces its rule deleted (Step 9, "assurance that holds").
"""

from __future__ import annotations

from handlers.config import OrgConfig
from messages.view import Notice, OpenForm, Reply, Response, all_text
from store.models import Alert, Idea
from tests.harness import (
    ALEX,
    CHRIS,
    HELEN,
    NADIA,
    PRIYA,
    TOM,
    Harness,
    ref_in,
    screened,
)
from tests.lessons_flow import add_action, decided_lesson, step
from tests.test_alerts import ALERT


def words(response: Response) -> str:
    assert isinstance(response, Reply), f"expected a reply, got {response!r}"
    return " ".join(all_text(response))


def refusal(response: Response) -> str:
    """The notice of a refused request (a form opened instead is a failure of the rule)."""
    assert isinstance(response, Reply), f"expected a refusal, got {response!r}"
    return " ".join(b.text for b in response.blocks if isinstance(b, Notice))


def stored_idea(hub: Harness, ref: str) -> Idea:
    with hub.app.uow_factory() as uow:
        found = uow.ideas.by_ref(ref)
        assert found is not None
        uow.session.expunge(found)
        return found


def receipt_of(reply: Reply) -> str:
    return next(t for t in all_text(reply) if "receipt code is" in t).rsplit(" ", 1)[1]


# ------------------------------------------------------------------------------ ideas
def test_nobody_withdraws_another_persons_named_idea(hub: Harness) -> None:
    ref = screened(hub, ref_in(hub.submit_idea()))  # Alex's, named, seen by Tom once screened
    typed = hub.command(TOM, f"/idea withdraw {ref}")
    assert "Only the submitter" in refusal(typed)
    # Tom holds the Withdraw button drawn on Alex's card
    pressed = hub.press(TOM, hub.drawn_button("idea.withdraw", {"ref": ref}))
    assert "Only the submitter" in refusal(pressed)
    assert stored_idea(hub, ref).status == "eligible"


def test_a_wrong_receipt_code_opens_nothing_of_an_anonymous_idea(hub: Harness) -> None:
    reply = hub.submit_idea(mode="anonymous")
    ref, receipt = ref_in(reply), receipt_of(reply)
    wrong = "R-22222-22222"
    assert wrong != receipt
    status = hub.command(TOM, f"/idea status {wrong}")
    assert "No idea matches" in refusal(status) and ref not in words(status)
    assert "No idea matches" in refusal(hub.command(TOM, f"/idea withdraw {wrong}"))
    # A Withdraw button naming the idea but carrying a wrong receipt code
    forged = hub.drawn_button("idea.withdraw", {"ref": ref, "receipt": wrong})
    assert "No idea matches" in refusal(hub.press(TOM, forged))
    assert stored_idea(hub, ref).status == "submitted"
    # …while the right code still works, from anyone who holds it
    assert ref in words(hub.command(TOM, f"/idea status {receipt}"))
    opened = hub.press(TOM, hub.drawn_button("idea.withdraw", {"ref": ref, "receipt": receipt}))
    assert isinstance(opened, OpenForm)


# ---------------------------------------------------------------------------- actions
def test_an_owner_never_approves_their_own_extension(hub: Harness) -> None:
    """Chris governs the Patient Safety Committee, so he may decide its extensions, but not the
    one he asked for on his own action."""
    ref = add_action(hub, decided_lesson(hub, ["2"]), 2, owner=CHRIS)
    step(hub, CHRIS, ref, "Accept")
    step(hub, CHRIS, ref, "Request extension", new_due="2027-02-28", reason="Estates delay.")
    with hub.app.uow_factory() as uow:
        action = uow.actions.by_ref(ref)
        assert action is not None
        pending = uow.actions.pending_extension(action.id)
        assert pending is not None
        extension_id = str(pending.id)
    for decision in ("approve", "decline"):
        pressed = hub.drawn_button("action.extension", {"id": extension_id, "decision": decision})
        assert "someone else must decide it" in refusal(hub.press(CHRIS, pressed))
    with hub.app.uow_factory() as uow:
        action = uow.actions.by_ref(ref)
        assert action is not None
        assert (action.due_date.isoformat(), action.extension_count) == ("2026-12-31", 0)
        assert uow.actions.pending_extension(action.id) is not None
    # another member of the committee can
    step(hub, HELEN, ref, "Approve extension", note="Agreed.")


# ----------------------------------------------------------------------------- alerts
def test_a_publisher_never_edits_or_discards_another_publishers_draft(hub: Harness) -> None:
    preview = hub.fill(CHRIS, hub.command(CHRIS, "/alert"), ALERT)
    ref = ref_in(words_reply(preview), "ALERT")
    for action in ("alert.edit", "alert.discard"):
        pressed = hub.press(PRIYA, hub.drawn_button(action, {"ref": ref}))
        assert "another publisher's alert" in refusal(pressed), action
    with hub.app.uow_factory() as uow:
        alert = uow.session.query(Alert).filter_by(ref=ref).one()
        assert (alert.status, alert.title) == ("draft", ALERT["title"])
    assert isinstance(hub.press(CHRIS, hub.drawn_button("alert.edit", {"ref": ref})), OpenForm)


def words_reply(response: Response) -> Reply:
    assert isinstance(response, Reply), response
    return response


# ------------------------------------------------------------------------ permissions
def test_a_permission_granted_to_nobody_is_denied_to_everyone(
    hub: Harness, config: OrgConfig
) -> None:
    everyone = (ALEX, TOM, CHRIS, HELEN, NADIA)
    for who in everyone:
        assert "Sorry, you can't" not in words(hub.command(who, "/qi mine"))
    missing = {k: v for k, v in config.permissions.items() if k != "qi.mine"}
    empty = {**config.permissions, "qi.mine": []}
    for permissions in (missing, empty):
        hub.app.services.config = config.model_copy(update={"permissions": permissions})
        for who in everyone:
            said = refusal(hub.command(who, "/qi mine"))
            assert "Sorry, you can't do that: it is for nobody" in said, (who, said)
    hub.app.services.config = config
