"""A live QI Hub web server (uvicorn on 127.0.0.1) with Slack configured against the fake Web
API, and a helper that speaks to it as Slack does: signed requests built from the fixtures."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx2 as httpx
import pytest
import uvicorn

from bot.app import QIHub, create_app
from bot.settings import Settings
from bot.web import create_web_app
from handlers.clock import ManualClock
from handlers.config import Channel, OrgConfig
from tests.conftest import START
from tests.slack import signed
from tests.slack.fake_api import FakeSlack

USERS = {
    "U0ALEX": "alex.morgan@clatterbridge.example",
    "U0TOM": "tom.baker@clatterbridge.example",
    "U0SAM": "sam.patel@clatterbridge.example",
    "U0JO": "jo.williams@clatterbridge.example",
    "U0CHRIS": "chris.evans@clatterbridge.example",
    "U0HELEN": "helen.roberts@clatterbridge.example",
    "U0KIM": "kim.jones@clatterbridge.example",
    "U0LEE": "lee.hughes@clatterbridge.example",
    "U0NADIA": "nadia.khan@clatterbridge.example",
    "U0STRANGER": "visitor@elsewhere.example",
}
CHANNEL_IDS = {
    "ideas_panel": "C0IDEAS",
    "psc": "C0PSC",
    "pec": "C0PEC",
    "cec": "C0CEC",
    "all_staff": "C0ALL",
    "exec_oncall": "C0EXEC",
}


def slack_config(config: OrgConfig) -> OrgConfig:
    channels = {
        key: Channel(name=c.name, slack_id=CHANNEL_IDS.get(key), teams_id=c.teams_id)
        for key, c in config.channels.items()
    }
    return config.model_copy(update={"channels": channels})


class SlackHarness:
    def __init__(self, base: str, fake: FakeSlack, hub: QIHub) -> None:
        self.base = base
        self.fake = fake
        self.hub = hub
        self.http = httpx.Client(base_url=base, timeout=10)
        self._trigger = 0

    def post(self, body: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.http.post(
            "/slack/events",
            content=body.encode(),
            headers=headers if headers is not None else signed.signed_headers(body),
        )

    def trigger(self) -> str:
        self._trigger += 1
        return f"{self._trigger}.222.trigger"

    @property
    def response_url(self) -> str:
        return f"{self.fake.url}/response/T111/1/xyz"

    def command(self, user: str, command: str, text: str = "") -> httpx.Response:
        body = signed.slash_command(
            command, text, user, response_url=self.response_url, trigger=self.trigger()
        )
        return self.post(body)

    def press(self, user: str, element: dict[str, Any], **where: Any) -> httpx.Response:
        body = signed.block_action(
            element["action_id"],
            element.get("value", ""),
            user,
            response_url=self.response_url,
            trigger=self.trigger(),
            **where,
        )
        return self.post(body)

    def submit(self, user: str, view: dict[str, Any], by_field: dict[str, Any]) -> httpx.Response:
        body = signed.view_submission(view, signed.answers(view, by_field), user)
        return self.post(body)

    def wait(self, what: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Slack work happens after the ack: wait for its effect to show. It returns as soon as
        it does (a poll every 20 ms, not a sleep), so the generous limit costs a passing test
        nothing and keeps a loaded CI machine from failing it (5 s did, under load)."""
        deadline = time.monotonic() + timeout
        while True:
            found = what()
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for Slack work after the ack")
            time.sleep(0.02)

    def opened_view(self, since: int = 0) -> dict[str, Any]:
        views = self.wait(lambda: self.fake.of("views.open")[since:])
        view: dict[str, Any] = views[-1]["view"]
        return view


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack(users=dict(USERS))
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def slack(db_url: str, config: OrgConfig, fake_slack: FakeSlack) -> Iterator[SlackHarness]:
    settings = Settings(
        database_url=db_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=signed.SECRET,
        slack_api_url=f"{fake_slack.url}/api/",
        _env_file=None,
    )
    hub = create_app(settings, clock=ManualClock(START), config=slack_config(config))
    with serve(hub, fake_slack) as harness:
        yield harness


@contextmanager
def serve(hub: QIHub, fake_slack: FakeSlack) -> Iterator[SlackHarness]:
    """`hub`'s real web app under uvicorn on a free local port, with its directory loaded, as
    `qihub web` runs it; stopped and disposed of afterwards."""
    hub.sync_directory()
    server = uvicorn.Server(
        uvicorn.Config(
            create_web_app(hub), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    harness = SlackHarness(f"http://127.0.0.1:{port}", fake_slack, hub)
    try:
        yield harness
    finally:
        harness.http.close()
        server.should_exit = True
        thread.join(timeout=10)
        hub.engine.dispose()
