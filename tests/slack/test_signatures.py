"""Only Slack gets in: forged, stale, unsigned and tampered requests are refused with 401 before
anything is looked up, stored or sent; Slack's own test vector verifies; the URL check answers."""

from __future__ import annotations

import time
from collections.abc import Callable

from slack_sdk.signature import Clock, SignatureVerifier

from store.models import Idea, InboundRequest, OutboxMessage
from tests.slack import signed
from tests.slack.conftest import SlackHarness
from tests.slack.kit import ALEX, IDEA, count, form_from, mark, settle

Forgery = Callable[[str], dict[str, str]]


def _bad_signature(body: str) -> dict[str, str]:
    return signed.signed_headers(body, secret="not-the-signing-secret")


def _stale(body: str) -> dict[str, str]:
    return signed.signed_headers(body, timestamp=int(time.time()) - 5 * 60 - 10)


def _no_signature(body: str) -> dict[str, str]:
    headers = signed.signed_headers(body)
    del headers["X-Slack-Signature"]
    return headers


def _no_timestamp(body: str) -> dict[str, str]:
    headers = signed.signed_headers(body)
    del headers["X-Slack-Request-Timestamp"]
    return headers


def _no_headers(_body: str) -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded"}


def _other_body(body: str) -> dict[str, str]:
    return signed.signed_headers(body.replace(ALEX, "U0SAM"))  # a genuine signature, not this


def _future(body: str) -> dict[str, str]:
    return signed.signed_headers(body, timestamp=int(time.time()) + 5 * 60 + 10)


FORGERIES: dict[str, Forgery] = {
    "bad-signature": _bad_signature,
    "stale-timestamp": _stale,
    "future-timestamp": _future,
    "missing-signature": _no_signature,
    "missing-timestamp": _no_timestamp,
    "missing-headers": _no_headers,
    "signed-for-another-body": _other_body,
}


class _At(Clock):
    """The moment the recorded vector was signed (its test's MockClock)."""

    def now(self) -> float:
        return 1531420618.0


def test_slacks_own_test_vector_verifies() -> None:
    vector = signed.fixture("signature_test_vector.json")
    verifier = SignatureVerifier(vector["signing_secret"], clock=_At())
    timestamp = vector["headers"]["X-Slack-Request-Timestamp"]
    assert (
        verifier.generate_signature(timestamp=timestamp, body=vector["raw_body"])
        == vector["expected_signature"]
    )
    assert verifier.is_valid(vector["raw_body"], timestamp, vector["expected_signature"])
    assert not verifier.is_valid(vector["raw_body"] + "x", timestamp, vector["expected_signature"])


def test_forged_stale_and_unsigned_requests_are_refused(slack: SlackHarness) -> None:
    # The recorded vector, signed correctly with our secret, is from 2018: stale.
    vector = signed.fixture("signature_test_vector.json")
    headers = dict(vector["headers"])
    headers["X-Slack-Signature"] = SignatureVerifier(signed.SECRET).generate_signature(
        timestamp=headers["X-Slack-Request-Timestamp"], body=vector["raw_body"]
    )
    assert slack.post(vector["raw_body"], headers).status_code == 401
    body = signed.slash_command(
        "/idea", "Colour-coded labels", ALEX, response_url=slack.response_url
    )
    for name, forgery in FORGERIES.items():
        response = slack.post(body, forgery(body))
        assert response.status_code == 401, name
    event = signed.message_im("qi help", ALEX, event_id="Ev0FORGED")
    for name, forgery in FORGERIES.items():
        assert slack.post(event, forgery(event)).status_code == 401, f"event: {name}"
    settle(0.2)
    assert slack.fake.calls == []  # not even users.info: nothing looked up, nothing sent
    assert count(slack, InboundRequest) == 0
    assert slack.post(body).status_code == 200  # the same body, properly signed, is served
    assert slack.wait(lambda: slack.fake.of("views.open"))


def test_forged_view_submissions_store_and_send_nothing(slack: SlackHarness) -> None:
    view = form_from(slack, ALEX, "/idea Colour-coded labels")
    since = mark(slack)
    body = signed.view_submission(view, signed.answers(view, IDEA), ALEX, view_id="V0FORGED")
    for name, forgery in FORGERIES.items():
        response = slack.post(body, forgery(body))
        assert response.status_code == 401, name
    settle(0.2)
    assert slack.fake.calls[since:] == []
    assert count(slack, Idea) == 0
    assert count(slack, OutboxMessage) == 0
    genuine = slack.post(body)  # the same body, properly signed, goes through
    assert genuine.status_code == 200
    assert count(slack, Idea) == 1


def test_url_verification_answers_the_challenge(slack: SlackHarness) -> None:
    body = signed.url_verification()
    response = slack.post(body, signed.signed_headers(body, content_type="application/json"))
    assert response.status_code == 200
    challenge = signed.fixture("url_verification.json")["payload"]["challenge"]
    assert response.json() == {"challenge": challenge}
    unsigned = slack.post(body, {"Content-Type": "application/json"})
    assert unsigned.status_code == 401  # even the URL check must come from Slack
