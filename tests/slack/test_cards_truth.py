"""Cards show the truth on Slack: when a record moves on, the other copies of its card are
replaced with chat.update (its new status, only the buttons the recipient may still use),
and a button pressed on a copy that is out of date explains what happened instead of acting."""

from __future__ import annotations

from sqlalchemy import func, select

from store.models import Alert, AuditEntry
from tests.slack import kit
from tests.slack.conftest import SlackHarness
from tests.slack.test_alerts import ALERT, arrive, dm

RUTH = "ruth.green@clatterbridge.example"


def test_an_approval_card_is_updated_and_a_stale_press_is_explained(slack: SlackHarness) -> None:
    ruth = kit.slack_user(slack, RUTH)  # the second alert approver
    view = kit.form_from(slack, kit.CHRIS, "/alert")
    since = kit.mark(slack)
    kit.submit(slack, kit.CHRIS, view, ALERT)
    preview = dm(slack, kit.CHRIS, since, "Preview of ALERT-")
    ref = kit.ref_in(kit.flat(preview), "ALERT")
    since = kit.press(slack, kit.CHRIS, preview, "Send for approval", channel=kit.CHRIS)
    helens = dm(slack, kit.HELEN, since, f"Approval needed: {ref}")
    ruths = dm(slack, ruth, since, f"Approval needed: {ref}")
    assert kit.labels(kit.blocks_of(ruths)) == ["Approve and send", "Reject…"]

    since = kit.press(slack, kit.HELEN, helens, "Approve and send", channel=kit.HELEN)
    update = arrive(slack, "chat.update", since, lambda p: p.get("channel") == ruth)
    assert update["ts"] == kit.ts_of(slack, ruths), "Ruth's own message, replaced in place"
    assert "Now: live" in kit.flat(update)
    assert kit.labels(kit.blocks_of(update)) == [], "nothing left for Ruth to approve"

    since = kit.press(slack, ruth, ruths, "Approve and send", channel=ruth)  # the old copy
    answer = kit.wait_calls(slack, "response_url", since)[-1]
    said = kit.flat(answer)
    assert answer["replace_original"]
    assert f"{ref} was approved by Helen Roberts at" in said
    assert "this card was out of date and has been refreshed" in said
    assert kit.labels(kit.blocks_of(answer)) == []
    with slack.hub.uow_factory() as uow:
        approver = uow.session.scalar(select(Alert.approver_id).where(Alert.ref == ref))
        approvals = uow.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity_ref == ref, AuditEntry.action == "approved")
        )
    assert approver is not None and approvals == 1, "approved once, by Helen"
