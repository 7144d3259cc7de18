"""One CAS / National Patient Safety Alert reference, one alert (issue 15 item 8): two drafts
with the same reference may both wait for approval, but once one is sent the other is refused
at approval, at a new request for approval and at a tier-5 send, until the publisher has
confirmed on the form that it is a new issue. (The form's question and its audit: the Slack
test in tests/slack/test_alert_reach.py.)"""

from __future__ import annotations

from datetime import timedelta

from messages.view import OpenForm
from tests.harness import CHRIS, HELEN, Harness, button, ref_in
from tests.test_alerts import compose, stored, text

NEW_ISSUE = "has not confirmed it is a new issue"


def test_a_second_alert_with_a_sent_reference_is_refused_until_confirmed(hub: Harness) -> None:
    first_preview, second_preview = compose(hub), compose(hub, title="Oxygen recall, batch 43")
    first, second = ref_in(first_preview, "ALERT"), ref_in(second_preview, "ALERT")
    hub.press(CHRIS, button(first_preview, "Send for approval"))
    hub.press(CHRIS, button(second_preview, "Send for approval"))  # neither sent yet: allowed
    hub.deliver()
    requests = {
        ref_in(r, "ALERT"): r
        for r in hub.platform.to(HELEN)
        if r.summary.startswith("Approval needed")
    }
    hub.press(HELEN, button(requests[first], "Approve and send"))

    refused = hub.press(HELEN, button(requests[second], "Approve and send"))
    assert f"already sent as {first}" in text(refused) and NEW_ISSUE in text(refused)
    assert stored(hub, second).status == "awaiting_approval"

    opened = hub.press(HELEN, button(requests[second], "Reject…"))
    assert isinstance(opened, OpenForm)
    hub.fill(HELEN, opened, {"reason": "Is this a new issue of the recall?"})
    hub.deliver()
    told = hub.platform.to(CHRIS)[-1]
    again = hub.press(CHRIS, button(told, "Send for approval"))
    assert f"already sent as {first}" in text(again) and "Edit it and answer" in text(again)
    assert stored(hub, second).status == "draft"

    hub.clock.advance(timedelta(minutes=5))  # a new request for approval, a new message
    edit = hub.press(CHRIS, button(told, "Edit"))
    assert isinstance(edit, OpenForm)
    preview = hub.fill(CHRIS, edit, {"cas_new_issue": "yes"})
    assert "the publisher confirmed this is a new issue" in text(preview)
    hub.press(CHRIS, button(preview, "Send for approval"))
    hub.deliver()
    asked = [r for r in hub.platform.to(HELEN) if r.summary.startswith("Approval needed")]
    assert "the publisher confirmed this is a new issue" in text(asked[-1])
    done = hub.press(HELEN, button(asked[-1], "Approve and send"))
    assert "sent to" in text(done)
    assert stored(hub, second).cas_new_issue_of == first


def test_a_tier5_send_of_a_sent_reference_needs_the_same_confirmation(hub: Harness) -> None:
    first = compose(hub, emergency="yes")
    second = compose(hub, emergency="yes", title="Oxygen recall, batch 43")
    hub.press(CHRIS, button(first, "Send now"))
    refused = hub.press(CHRIS, button(second, "Send now"))
    assert "already sent as" in text(refused)
    assert stored(hub, ref_in(second, "ALERT")).status == "draft"
