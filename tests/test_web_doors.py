"""The web process's front doors, as an attacker on the internet meets them: metrics that are
the operator's only, bodies refused before they are read whole, ids out of range that are a
404, and no route that answers anything with a 500."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import QIHub, create_app
from bot.settings import Settings
from bot.slack.app import MAX_BODY
from bot.web import create_web_app
from handlers.clock import ManualClock
from handlers.config import OrgConfig
from tests.conftest import START
from tests.slack import signed

LOOPBACK = ("127.0.0.1", 50000)
ELSEWHERE = ("203.0.113.9", 50000)


def _hub(db_url: str, config: OrgConfig, **extra: Any) -> QIHub:
    settings = Settings(
        database_url=db_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=signed.SECRET,
        slack_api_url="http://127.0.0.1:9/api/",  # nothing here may reach Slack
        _env_file=None,
        **extra,
    )
    hub = create_app(settings, clock=ManualClock(START), config=config)
    hub.sync_directory()
    return hub


@pytest.fixture
def web(db_url: str, config: OrgConfig) -> Iterator[FastAPI]:
    hub = _hub(db_url, config)
    yield create_web_app(hub)
    hub.engine.dispose()


# ------------------------------------------------------------------------------ /metrics
def test_metrics_are_for_this_machine_only_without_a_token(web: FastAPI) -> None:
    with TestClient(web, client=LOOPBACK) as local:
        assert local.get("/metrics").status_code == 200
        proxied = local.get("/metrics", headers={"X-Forwarded-For": "198.51.100.7"})
        assert proxied.status_code == 401  # a proxy on this server speaks for someone else
    with TestClient(web, client=ELSEWHERE) as remote:
        refused = remote.get("/metrics")
        assert refused.status_code == 401
        assert "qihub_" not in refused.text


def test_with_a_token_metrics_need_it_from_everywhere(db_url: str, config: OrgConfig) -> None:
    hub = _hub(db_url, config, metrics_token="s3cret-scrape-token")
    web = create_web_app(hub)
    with TestClient(web, client=ELSEWHERE) as remote:
        good = remote.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
        assert good.status_code == 200
        assert "qihub_database_up" in good.text
        assert remote.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    with TestClient(web, client=LOOPBACK) as local:
        assert local.get("/metrics").status_code == 401
    hub.engine.dispose()


# ------------------------------------------------------------------------------ bodies
def _stream(web: FastAPI, path: str, chunk: bytes, chunks: int) -> tuple[int, int]:
    """POST `chunks` x `chunk` to `path` with no Content-Length (chunked, as an attacker would
    send it), straight through ASGI. Returns the status and how many chunks the app read."""
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": read < chunks}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded")],
        "client": ELSEWHERE,
        "server": ("127.0.0.1", 3000),
    }
    asyncio.run(web(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return int(start["status"]), read


@pytest.mark.parametrize("path", ["/slack/events", "/api/messages"])
def test_an_unauthenticated_huge_body_is_refused_without_being_read(
    web: FastAPI, path: str
) -> None:
    chunk = b"x" * 65_536
    chunks = 2_500  # 160 MB if anyone read it all
    status, read = _stream(web, path, chunk, chunks)
    assert status in (401, 413)
    assert read <= MAX_BODY // len(chunk) + 2  # stopped at the first chunk past the limit


def test_a_declared_oversize_body_is_refused_before_reading(web: FastAPI) -> None:
    with TestClient(web, client=ELSEWHERE) as client:
        body = "payload=" + "x" * (MAX_BODY + 10)
        response = client.post("/slack/events", content=body, headers=signed.signed_headers(body))
        assert response.status_code == 413


# ------------------------------------------------------------------------------ ids
@pytest.mark.parametrize(
    "path",
    [
        "/bulletins/99999999999999999999999",
        "/bulletins/2147483648",
        "/bulletins/0",
        "/bulletins/-1",
        "/bulletins/99999999999999999999999/charts/tiers.png",
        "/bulletins/BUL-2026-Q3",
        "/bulletins/%C2%B2",
        "/bulletins/abc/charts/tiers.png",
    ],
)
def test_ids_out_of_range_or_not_ids_are_not_found(web: FastAPI, path: str) -> None:
    with TestClient(web, raise_server_exceptions=False) as client:
        assert client.get(path).status_code == 404


# ------------------------------------------------------------------------------ every route
HOSTILE_SEGMENTS = st.sampled_from(
    [
        "99999999999999999999999",
        "-1",
        "0",
        "1",
        "%00",
        "..%2F..%2Fetc%2Fpasswd",
        "x" * 3000,
        "tiers",
        "%F0%9F%92%A9",
        "1e308",
    ]
)
BODIES = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=500).map(str.encode),
    st.just(b'{"type": "message", "text": "qi help"}'),
    st.just(b"[" * 20_000 + b"]" * 20_000),
)
HEADERS = st.dictionaries(
    st.sampled_from(
        ["content-type", "authorization", "x-slack-signature", "x-slack-request-timestamp"]
    ),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
    max_size=3,
)


def _routes(web: FastAPI) -> list[tuple[str, str]]:
    found = []
    for route in web.routes:
        if isinstance(route, APIRoute):
            found += [(method, route.path) for method in sorted(route.methods or ())]
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_route_answers_anything_with_a_500(web: FastAPI, data: st.DataObject) -> None:
    routes = _routes(web)
    assert ("POST", "/slack/events") in routes
    assert ("GET", "/bulletins/{bulletin_id}") in routes
    method, template = data.draw(st.sampled_from([*routes, ("GET", "/nowhere")]))
    path = template
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + data.draw(HOSTILE_SEGMENTS) + path[end + 1 :]
    client_address = data.draw(st.sampled_from([LOOPBACK, ELSEWHERE]))
    with TestClient(web, client=client_address, raise_server_exceptions=False) as client:
        response = client.request(
            method, path, content=data.draw(BODIES), headers=data.draw(HEADERS)
        )
    assert response.status_code < 500, (method, path, response.status_code)


@pytest.mark.parametrize(
    "timestamp",
    [b"\xb2", b"\xb9\xb2\xb3", b"9" * 400, b"", b"-1", b"1e9", b" 123", b"0x10"],
    ids=["superscript", "superscripts", "400 nines", "empty", "negative", "float", "space", "hex"],
)
def test_a_slack_timestamp_that_is_not_plain_digits_is_401_not_500(
    web: FastAPI, timestamp: bytes
) -> None:
    """slack_sdk reads the timestamp with int() and float(): "¹²³" passes str.isdigit() and
    then fails int(); 400 nines overflow the float. Both were 500s."""
    body = "payload=%7B%7D"
    headers = {**signed.signed_headers(body), "X-Slack-Request-Timestamp": timestamp}
    with TestClient(web, client=ELSEWHERE, raise_server_exceptions=False) as client:
        response = client.post("/slack/events", content=body, headers=headers)  # type: ignore[arg-type]
    assert response.status_code == 401
