"""Nobody silently outside a critical alert, on Slack through the real adapter (issue 15 item 8):
a person in the directory whom Slack cannot find is named to the publisher before approval and
to the approver, named and counted as not acknowledged in /alert status, tried again at each
re-notification, and reached by the correction once Slack knows them; a starter who joined
the audience since gets the correction too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from handlers.context import SYSTEM, Context
from handlers.reminders import TickReport, tick
from store.models import OutboxMessage, Staff
from tests.slack import kit
from tests.slack.conftest import SlackHarness
from tests.slack.test_alerts import ALERT, arrive, dm

KIM_EMAIL = "kim.jones@clatterbridge.example"
UNREACHABLE = "can be reached by no channel"


def clock_tick(slack: SlackHarness, **later: float) -> TickReport:
    hub = slack.hub
    hub.clock.advance(timedelta(**later))  # type: ignore[attr-defined]
    rules = [r for r in hub.rules if r.name.startswith("alert_")]
    with hub.uow_factory() as uow:
        report = tick(Context(hub.services, uow, SYSTEM, "clock"), rules)
        uow.commit()
    return report


def publish(
    slack: SlackHarness, command: str, answers: dict[str, Any]
) -> tuple[str, str, str, str]:
    """Compose as Chris, ask for approval, approve as Helen: (ref, the preview's text, the
    approval request's text, what Helen was told)."""
    view = kit.form_from(slack, kit.CHRIS, command)
    since = kit.mark(slack)
    kit.submit(slack, kit.CHRIS, view, answers)
    preview = dm(slack, kit.CHRIS, since, "Preview of ALERT-")
    ref = kit.ref_in(kit.flat(preview), "ALERT")
    since = kit.press(slack, kit.CHRIS, preview, "Send for approval", channel=kit.CHRIS)
    request = dm(slack, kit.HELEN, since, f"Approval needed: {ref}")
    since = kit.press(slack, kit.HELEN, request, "Approve and send", channel=kit.HELEN)
    answered = kit.flat(kit.wait_calls(slack, "response_url", since)[-1])
    return ref, kit.flat(preview), kit.flat(request), answered


def test_someone_slack_cannot_reach_is_named_counted_and_tried_again(
    slack: SlackHarness,
) -> None:
    del slack.fake.users[kit.KIM]  # in the directory (Liverpool), not in the Slack workspace
    start = kit.mark(slack)
    ref, preview, request, answered = publish(slack, "/alert", ALERT)
    for text in (preview, request):  # before approval: nobody has a Slack id on record yet
        assert f"3 people in this audience {UNREACHABLE}" in text, text
        assert "Kim Jones" in text and "Slack is asked for each of them by email" in text
    assert "sent to 3 people" in answered, "Kim stays on the alert"
    cards = {user: dm(slack, user, start, f"({ref})") for user in (kit.ALEX, kit.TOM)}

    status = kit.flat(kit.reply_to(slack, kit.CHRIS, f"/alert status {ref}"))
    assert "Not reached by any channel, so not acknowledged: 1 person (Kim Jones)" in status
    assert "*Acknowledged*\n0 of 3 (0%)" in status
    assert "*Not reached*\n1 (counted as not acknowledged)" in status
    assert "0/2 acknowledged · 1 delivered · 1 not reached" in status  # Liverpool

    for user, card in cards.items():  # everyone reached acknowledges: Kim still has not
        kit.wait_calls(slack, "response_url", kit.press(slack, user, card, "Acknowledge"))
    clock_tick(slack, minutes=31)  # the first re-notification tries Kim again
    with slack.hub.uow_factory() as uow:
        kim = uow.staff.by_email(KIM_EMAIL)
        assert kim is not None
        again = uow.session.scalars(
            select(OutboxMessage.dedupe_key).where(
                OutboxMessage.recipient_id == kim.id,
                OutboxMessage.dedupe_key.startswith(f"rem:alert_not_acknowledged:{ref}:"),
            )
        ).all()
    assert len(again) == 1, "a failed delivery must not drop Kim from re-notification"

    # Slack ids found by email were kept: the next alert names only Kim before approval.
    _, preview, request, _ = publish(slack, "/alert", {**ALERT, "cas_ref": "NatPSA/2026/002"})
    for text in (preview, request):
        named = text.split(UNREACHABLE, 1)[1].split(".", 1)[0]
        assert f"1 person in this audience {UNREACHABLE}" in text, text
        assert named.endswith(": Kim Jones"), named


def test_a_correction_reaches_whom_the_original_missed_and_a_starter(slack: SlackHarness) -> None:
    del slack.fake.users[kit.KIM]
    start = kit.mark(slack)
    ref, _, _, _ = publish(slack, "/alert", ALERT)
    cards = {user: dm(slack, user, start, f"({ref})") for user in (kit.ALEX, kit.TOM)}

    slack.fake.users[kit.KIM] = KIM_EMAIL  # Kim joins Slack; a starter joins at Wirral
    starter = "U0PAT"
    slack.fake.users[starter] = "pat.starter@clatterbridge.example"
    with slack.hub.uow_factory() as uow:
        now = slack.hub.clock.now()
        uow.session.add(
            Staff(
                email="pat.starter@clatterbridge.example",
                display_name="Pat Starter",
                site="wirral",
                created_at=now,
                updated_at=now,
            )
        )
        uow.commit()

    since = kit.mark(slack)
    fix, preview, _, answered = publish(
        slack, f"/alert correct {ref}", {**ALERT, "instructions": "Quarantine batches 42 and 43."}
    )
    assert "it will reach 4 people" in preview and "sent to 4 people" in answered
    for user in (kit.KIM, starter):  # never had the original: the correction is new to them
        assert "batches 42 and 43" in kit.flat(dm(slack, user, since, f"({fix})"))
    for user, card in cards.items():  # had it: replaced in place, and the correction sent
        dm(slack, user, since, f"({fix})")
        update = arrive(slack, "chat.update", since, lambda p, u=user: p.get("channel") == u)
        assert update["ts"] == kit.ts_of(slack, card)


def test_a_cas_reference_sent_before_is_sent_again_only_as_a_confirmed_new_issue(
    slack: SlackHarness,
) -> None:
    first, _, _, _ = publish(slack, "/alert", ALERT)
    view = kit.form_from(slack, kit.CHRIS, "/alert")
    again = {**ALERT, "title": "Oxygen valve recall, second batch", "cas_ref": "natpsa/2026/001 "}
    asked = kit.errors_of(kit.submit(slack, kit.CHRIS, view, again))
    assert list(asked) == ["cas_new_issue"]
    assert (
        f"{first} ('Oxygen cylinder valve recall') already went to staff on 26 Nov 2026"
        in (asked["cas_new_issue"])
    )
    assert "Is this a new issue of that alert?" in asked["cas_new_issue"]
    with slack.hub.uow_factory() as uow:
        assert [a.ref for a in uow.alerts.recent()] == [first], "nothing saved until answered"

    since = kit.mark(slack)
    kit.submit(slack, kit.CHRIS, view, {**again, "cas_new_issue": True})
    preview = dm(slack, kit.CHRIS, since, "Preview of ALERT-")
    ref = kit.ref_in(kit.flat(preview), "ALERT")
    confirmed = f"was already sent as {first}; the publisher confirmed this is a new issue"
    assert confirmed in kit.flat(preview)
    since = kit.press(slack, kit.CHRIS, preview, "Send for approval", channel=kit.CHRIS)
    request = dm(slack, kit.HELEN, since, f"Approval needed: {ref}")
    assert confirmed in kit.flat(request)
    with slack.hub.uow_factory() as uow:
        trail = [
            (e.action, e.after) for e in uow.audit.for_entity("alert", ref) if "cas" in e.action
        ]
    assert trail == [
        (
            "cas_new_issue_confirmed",
            {
                "cas_ref": "natpsa/2026/001",
                "already_sent_as": first,
            },
        )
    ]
