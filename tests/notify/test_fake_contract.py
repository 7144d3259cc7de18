"""The fake Notify is honest: the official client's requests pass its checks exactly when the
real API's checks would pass them (the same JWT functions, the same bucket arithmetic, the
same error bodies), so tests against it say something about GOV.UK Notify."""

from __future__ import annotations

import calendar
import time
from collections.abc import Iterator

import jwt
import pytest
import requests
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from tests.notify.fake_notify import FakeNotify, NotifyBucket

SMS = "((org)): critical alert ((ref)). Read and acknowledge: ((ack_url))"
FIELDS = {"org": "CCC", "ref": "ALERT-2026-0001", "ack_url": "https://qihub.example/ack/x"}


@pytest.fixture
def fake() -> Iterator[FakeNotify]:
    notify = FakeNotify()
    notify.start()
    yield notify
    notify.stop()


def client(fake: FakeNotify, key: str | None = None) -> NotificationsAPIClient:
    return NotificationsAPIClient(key or fake.api_key(), base_url=fake.url, timeout=5)


def error_of(exc: HTTPError) -> tuple[int, str, str]:
    first = exc.message[0] if isinstance(exc.message, list) else {}
    return exc.status_code, first.get("error", ""), first.get("message", "")


def test_official_client_token_is_accepted_and_a_wrong_secret_refused(fake: FakeNotify) -> None:
    template = fake.add_template("sms", SMS)
    answer = client(fake).send_sms_notification(
        "07700 900111", template, personalisation=FIELDS, reference="qihub-o1"
    )
    assert answer["reference"] == "qihub-o1" and "ALERT-2026-0001" in answer["content"]["body"]
    assert [s.to for s in fake.sent] == ["07700 900111"]

    fake.api_key()  # the real key exists; this one has the right service and a wrong secret
    forged = f"qihub-live-{fake.service_id}-00000000-0000-0000-0000-000000000000"
    with pytest.raises(HTTPError) as caught:
        client(fake, forged).send_sms_notification("07700 900111", template, FIELDS)
    assert error_of(caught.value) == (403, "AuthError", "Invalid token: API key not found")
    fake.revoked.add("qihub-live")
    with pytest.raises(HTTPError) as caught:
        client(fake).send_sms_notification("07700 900111", template, FIELDS)
    assert error_of(caught.value)[2] == "Invalid token: API key revoked"
    bare = requests.post(f"{fake.url}/v2/notifications/sms", json={}, timeout=5)
    assert bare.status_code == 401
    assert len(fake.sent) == 1


def test_token_from_a_clock_31_seconds_off_is_refused_with_notifys_message(
    fake: FakeNotify,
) -> None:
    secret = fake.api_key()[-36:]
    now = calendar.timegm(time.gmtime())
    for offset, status in ((-31, 403), (31, 403), (-5, 400)):
        token = jwt.encode({"iss": fake.service_id, "iat": now + offset}, secret, algorithm="HS256")
        answer = requests.post(
            f"{fake.url}/v2/notifications/sms",
            json={"phone_number": "07700900111"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        assert answer.status_code == status, offset
    assert "clock must be accurate to within 30 seconds" in requests.post(
        f"{fake.url}/v2/notifications/sms",
        headers={"Authorization": "Bearer " + jwt.encode(
            {"iss": fake.service_id, "iat": now - 40}, secret, algorithm="HS256")},
        timeout=5,
    ).text  # fmt: skip


def test_bucket_admits_999_at_once_then_50_a_second() -> None:
    bucket = NotifyBucket(3000, now=0.0)
    admitted = sum(bucket.take(0.0) for _ in range(1500))
    assert admitted == 999
    assert sum(bucket.take(1.0) for _ in range(100)) == 49  # 50 back, one spent by the refusal
    later = NotifyBucket(3000, now=0.0)
    for _ in range(999):
        later.take(0.0)
    # At 97 % of the refill rate (QI Hub's pacing, bot/notify/platform.py) every request
    # goes through; at exactly 50 a second the bucket's rounding refuses about half.
    assert sum(later.take(k / 48.5) for k in range(1, 486)) == 485
    exact = NotifyBucket(3000, now=0.0)
    for _ in range(999):
        exact.take(0.0)
    assert sum(exact.take(k / 50) for k in range(1, 501)) < 400


def test_refused_requests_spend_tokens_too() -> None:
    """Hammering a drained bucket keeps it drained: a client must back off, not retry."""
    bucket = NotifyBucket(3000, now=0.0)
    for _ in range(1000):
        bucket.take(0.0)
    for step in range(1, 201):  # 200 a second for 1 s: four times the refill rate
        bucket.take(step / 200)
    assert bucket.tokens < 1
    assert not bucket.take(1.0)


def test_429_bodies_name_rate_limit_error_and_too_many_requests_error() -> None:
    fake = FakeNotify(rate_limit=60, daily={"sms": 25, "email": 2})
    fake.start()
    try:
        sms, email = fake.add_template("sms", SMS), fake.add_template("email", SMS)
        notify = client(fake)
        statuses: list[tuple[int, str]] = []
        for n in range(25):  # a bucket of 21: 20 go at once
            try:
                notify.send_sms_notification("07700900111", sms, FIELDS, reference=f"r{n}")
                statuses.append((201, ""))
            except HTTPError as exc:
                statuses.append(error_of(exc)[:2])
        assert statuses[:20] == [(201, "")] * 20
        assert set(statuses[20:]) == {(429, "RateLimitError")}
        fake.rate_limit, fake._bucket = 6000, None
        notify.send_email_notification("a@b.example", email, FIELDS)
        notify.send_email_notification("a@b.example", email, FIELDS)
        with pytest.raises(HTTPError) as caught:
            notify.send_email_notification("a@b.example", email, FIELDS)
        assert error_of(caught.value) == (
            429, "TooManyRequestsError", "Exceeded send limits (email: 2) for today",
        )  # fmt: skip
        notify.send_sms_notification("07700900111", sms, FIELDS)  # texts are counted apart
    finally:
        fake.stop()


@pytest.mark.parametrize(
    ("number", "fields", "expected"),
    [
        ("01514565000", FIELDS, (400, "ValidationError", "phone_number Not a UK mobile number")),
        ("07911123456x", FIELDS, (400, "ValidationError", "phone_number Not a UK mobile number")),
        ("07700900111", {"org": "CCC"}, (400, "BadRequestError", "Missing personalisation: ref")),
    ],
)
def test_requests_are_validated_as_notify_does(
    fake: FakeNotify, number: str, fields: dict[str, str], expected: tuple[int, str, str]
) -> None:
    template = fake.add_template("sms", SMS)
    with pytest.raises(HTTPError) as caught:
        client(fake).send_sms_notification(number, template, fields)
    assert error_of(caught.value) == expected
    with pytest.raises(HTTPError) as caught:
        client(fake).send_email_notification("a@b.example", template, FIELDS)
    assert error_of(caught.value)[2] == "sms template is not suitable for email notification"
    assert fake.sent == []


def test_a_message_is_found_again_by_reference_without_spending_the_budget(
    fake: FakeNotify,
) -> None:
    fake.rate_limit = 3  # a bucket of 2: one send
    template = fake.add_template("sms", SMS)
    notify = client(fake)
    notify.send_sms_notification("07700900111", template, FIELDS, reference="qihub-o7")
    for _ in range(5):
        found = notify.get_all_notifications(reference="qihub-o7", template_type="sms")
        assert [n["reference"] for n in found["notifications"]] == ["qihub-o7"]
    assert notify.get_all_notifications(reference="qihub-o8")["notifications"] == []
    assert notify.get_template(template)["type"] == "sms"
