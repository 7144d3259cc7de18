"""Nothing without someone who can move it, on Slack (issue 14): a declined action reassigned by
the governance lead from the modal Slack opens, the new owner reminded to accept it, and an alert
awaiting approval chased in the approver's DM, where its Approve button sends it."""

from __future__ import annotations

from datetime import timedelta

from handlers.context import SYSTEM, Context
from handlers.reminders import TickReport, tick
from tests.harness import TOM, Harness
from tests.lessons_flow import add_action, decided_lesson, step
from tests.slack import kit
from tests.slack.conftest import SlackHarness
from tests.slack.test_alerts import ALERT, dm


def clock_tick(slack: SlackHarness, **later: float) -> TickReport:
    """What `qihub clock` does: the app's time moves on and the reminder rules run."""
    hub = slack.hub
    hub.clock.advance(timedelta(**later))  # type: ignore[attr-defined]
    rules = [r for r in hub.rules if r.name not in ("committee_digest", "bulletin_draft")]
    with hub.uow_factory() as uow:
        report = tick(Context(hub.services, uow, SYSTEM, "clock"), rules)
        uow.commit()
    return report


def test_a_declined_action_is_reassigned_in_a_slack_modal_and_the_new_owner_chased(
    slack: SlackHarness,
) -> None:
    hub = Harness(slack.hub, slack.hub.clock)  # type: ignore[arg-type]
    ref = add_action(hub, decided_lesson(hub, ["3"]), 3)
    step(hub, TOM, ref, "Decline", reason="Not my ward at all.")
    since = kit.mark(slack)
    asked = dm(slack, kit.CHRIS, 0, f"{ref} was declined by its owner")
    assert "Reassign…" in kit.labels(kit.blocks_of(asked))

    # Tom, who declined it, is refused at the press even with the lead's card in hand.
    since = kit.press(slack, kit.TOM, asked, "Reassign", channel=kit.TOM)
    refusal = kit.wait_calls(slack, "response_url", since)[-1]
    assert "does not allow" in kit.flat(refusal)

    since = kit.press(slack, kit.CHRIS, asked, "Reassign", channel=kit.CHRIS)
    view = kit.opened(slack, since)
    assert ref in kit.flat(view) and "Declined by Tom Baker" in kit.flat(view)
    answer = kit.submit(slack, kit.CHRIS, view, {"owner": "tom.baker@clatterbridge.example"})
    assert "declined it" in kit.errors_of(answer)["owner"]
    since = kit.mark(slack)
    kit.submit(
        slack,
        kit.CHRIS,
        view,
        {"owner": "alex.morgan@clatterbridge.example", "due": "2027-01-15", "note": ""},
    )
    updated = kit.wait_calls(slack, "chat.update", since)[-1]  # the lead's card, in place
    assert updated["ts"] == "111.222" and "reassigned to Alex Morgan" in kit.flat(updated)
    offer = dm(slack, kit.ALEX, since, "You own a reassigned tier 3 action")
    assert kit.labels(kit.blocks_of(offer))[:2] == ["Accept", "Decline…"]
    dm(slack, kit.TOM, since, f"{ref} was reassigned to Alex Morgan")

    since = kit.mark(slack)
    assert clock_tick(slack, days=3).raised == {"action_not_accepted": 1}
    chase = dm(slack, kit.ALEX, since, "has not been accepted")
    since = kit.press(slack, kit.ALEX, chase, "Accept", channel=kit.ALEX)
    accepted = kit.wait_calls(slack, "response_url", since)[-1]
    assert f"You have accepted {ref}" in kit.flat(accepted)


def test_an_alert_awaiting_approval_is_chased_and_approved_from_the_reminder(
    slack: SlackHarness,
) -> None:
    view = kit.form_from(slack, kit.CHRIS, "/alert")
    since = kit.mark(slack)
    kit.submit(slack, kit.CHRIS, view, ALERT)
    preview = dm(slack, kit.CHRIS, since, "Preview of ALERT-")
    ref = kit.ref_in(kit.flat(preview), "ALERT")
    since = kit.press(slack, kit.CHRIS, preview, "Send for approval", channel=kit.CHRIS)
    dm(slack, kit.HELEN, since, f"Approval needed: {ref}")
    since = kit.mark(slack)
    assert clock_tick(slack, minutes=30).raised.get("alert_approval_pending") == 1
    chase = dm(slack, kit.HELEN, since, "Still waiting for approval (30 minutes)")
    assert kit.labels(kit.blocks_of(chase)) == ["Approve and send", "Reject…"]
    since = kit.press(slack, kit.HELEN, chase, "Approve and send", channel=kit.HELEN)
    answered = kit.wait_calls(slack, "response_url", since)[-1]
    assert answered["replace_original"] and "sent to 3 people" in kit.flat(answered)
    assert clock_tick(slack, minutes=30).raised.get("alert_approval_pending") is None
