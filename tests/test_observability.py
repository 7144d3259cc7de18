"""Operations: /metrics in Prometheus format, request ids on every response and in the logs,
and logs that never carry an email address or a credential."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.app import QIHub
from bot.observability import REQUEST_ID, configure_logging, redact
from bot.web import create_web_app
from tests.harness import Harness


@pytest.fixture
def client(hub: Harness) -> Iterator[TestClient]:
    app: QIHub = hub.app
    with TestClient(create_web_app(app), client=("127.0.0.1", 50000)) as test_client:
        yield test_client


def test_metrics_are_served_in_prometheus_format(client: TestClient, hub: Harness) -> None:
    hub.submit_idea()  # queues notifications in the outbox
    client.get("/healthz")
    client.post("/api/messages", content=b"{}")  # refused, but timed as a Teams ack
    body = client.get("/metrics")
    assert body.status_code == 200
    assert body.headers["content-type"].startswith("text/plain")
    text = body.text
    assert 'qihub_http_requests_total{route="/healthz",status="200"} 1.0' in text
    assert 'qihub_ack_seconds_count{platform="teams"} 1.0' in text
    assert "qihub_database_up 1.0" in text
    assert 'qihub_outbox_depth{status="pending"}' in text
    assert "qihub_reminders_sent" in text


def test_unknown_paths_do_not_grow_the_label_set(client: TestClient) -> None:
    for n in range(5):
        client.get(f"/scan/{n}")
    text = client.get("/metrics").text
    assert 'route="other",status="404"} 5.0' in text
    assert "/scan/" not in text


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    made = client.get("/healthz").headers["x-request-id"]
    assert len(made) == 32
    given = client.get("/healthz", headers={"X-Request-Id": "lb-1234"}).headers["x-request-id"]
    assert given == "lb-1234"
    hostile = client.get("/healthz", headers={"X-Request-Id": "a b\r\nx"}).headers["x-request-id"]
    assert len(hostile) == 32  # not echoed: only a safe, short id is passed on


def test_log_lines_are_json_with_the_request_id_and_no_personal_data(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    configure_logging("INFO", json_lines=True)
    try:
        token = REQUEST_ID.set("req-42")
        logging.getLogger("qihub.test").warning(
            "could not reach %s with %s", "alex.morgan@clatterbridge.example", "xoxb-123-456-abc"
        )
        REQUEST_ID.reset(token)
        line = capsys.readouterr().err.strip().splitlines()[-1]
        record = json.loads(line)
        assert record["request_id"] == "req-42" and record["level"] == "WARNING"
        assert "clatterbridge" not in line and "xoxb" not in line
        assert record["message"] == "could not reach [email] with [secret]"
    finally:
        root.handlers[:] = before
        root.setLevel(level)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Bearer eyJhbGciOi.abc.def", "Bearer [secret]"),
        ("token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOjF9.sig", "token [secret]"),
        ("xapp-1-A1-2-abc", "[secret]"),
        ("mail jo.williams@nhs.net now", "mail [email] now"),
    ],
)
def test_redaction(raw: str, clean: str) -> None:
    assert redact(raw) == clean
