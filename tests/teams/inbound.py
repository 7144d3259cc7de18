"""A live QI Hub web server with Teams configured: tokens from a local OpenID/JWKS endpoint,
replies and proactive messages to the fake Bot Connector. `TeamsHarness` speaks as Teams does."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
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
from tests.teams import activities
from tests.teams.fake_connector import FakeConnector, Member
from tests.teams.oidc import CLIENT_ID, TENANT_ID, FakeOpenId, outbound_token, token

PEOPLE = {
    "alex.morgan@clatterbridge.example": "Alex Morgan",
    "tom.baker@clatterbridge.example": "Tom Baker",
    "sam.patel@clatterbridge.example": "Sam Patel",
    "jo.williams@clatterbridge.example": "Jo Williams",
    "chris.evans@clatterbridge.example": "Chris Evans",
    "dan.okafor@clatterbridge.example": "Dan Okafor",  # the CEC governance lead
    "helen.roberts@clatterbridge.example": "Helen Roberts",
    "kim.jones@clatterbridge.example": "Kim Jones",
    "lee.hughes@clatterbridge.example": "Lee Hughes",
    "nadia.khan@clatterbridge.example": "Nadia Khan",
    "visitor@elsewhere.example": "A Visitor",
}
CHANNEL_IDS = {
    "ideas_panel": "19:ideas@thread.tacv2",
    "psc": "19:psc@thread.tacv2",
    "pec": "19:pec@thread.tacv2",
    "cec": "19:cec@thread.tacv2",
    "all_staff": "19:all@thread.tacv2",
    "exec_oncall": "19:exec@thread.tacv2",
}


def user_id(email: str) -> str:
    return "29:" + email.split("@")[0].replace(".", "-")


def aad_id(email: str) -> str:
    return f"00000000-0000-4000-8000-{abs(hash(email)) % 10**12:012d}"


def teams_config(config: OrgConfig) -> OrgConfig:
    channels = {
        key: Channel(name=c.name, slack_id=c.slack_id, teams_id=CHANNEL_IDS.get(key))
        for key, c in config.channels.items()
    }
    return config.model_copy(update={"channels": channels})


class TeamsHarness:
    def __init__(self, base: str, connector: FakeConnector, oidc: FakeOpenId, hub: QIHub) -> None:
        self.base = base
        self.connector = connector
        self.oidc = oidc
        self.hub = hub
        self.http = httpx.Client(base_url=base, timeout=15)

    @property
    def service_url(self) -> str:
        return self.connector.url + "/"

    def post(
        self, activity: dict[str, Any], *, bearer: str | None = None, **token_args: Any
    ) -> httpx.Response:
        value = bearer if bearer is not None else token(activity["serviceUrl"], **token_args)
        headers = {"Authorization": f"Bearer {value}"} if value else {}
        return self.http.post("/api/messages", json=activity, headers=headers)

    def who(self, email: str) -> tuple[str, str]:
        return user_id(email), aad_id(email)

    def say(self, email: str, text: str) -> httpx.Response:
        return self.post(activities.message(self.service_url, *self.who(email), text))

    def fetch(self, email: str, data: dict[str, Any]) -> httpx.Response:
        return self.post(activities.task_fetch(self.service_url, *self.who(email), data))

    def submit(self, email: str, data: dict[str, Any]) -> httpx.Response:
        return self.post(activities.task_submit(self.service_url, *self.who(email), data))

    def execute(self, email: str, verb: str, data: dict[str, Any]) -> httpx.Response:
        return self.post(activities.card_action(self.service_url, *self.who(email), verb, data))

    def wait(self, what: Callable[[], Any], timeout: float = 5.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            found = what()
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for the bot's Teams messages")
            time.sleep(0.02)

    def sent_to(self, email: str, since: int = 0) -> list[dict[str, Any]]:
        """Activities the bot posted into this person's personal chat."""
        conversation = activities.personal_conversation(user_id(email))
        return [
            c.body
            for c in self.connector.activities()[since:]
            if c.method == "POST" and f"/v3/conversations/{conversation}/" in c.path
        ]

    def replies(self, email: str, since: int = 0) -> list[dict[str, Any]]:
        return self.wait(lambda: self.sent_to(email, since))


def make_server(web: Any) -> tuple[uvicorn.Server, threading.Thread, int]:
    server = uvicorn.Server(
        uvicorn.Config(web, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return server, thread, server.servers[0].sockets[0].getsockname()[1]


@pytest.fixture
def fake_openid() -> Iterator[FakeOpenId]:
    fake = FakeOpenId()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def teams(
    db_url: str, config: OrgConfig, fake_connector: FakeConnector, fake_openid: FakeOpenId
) -> Iterator[TeamsHarness]:
    for email, name in PEOPLE.items():
        fake_connector.add_member(Member(user_id(email), name, aad_id(email), email))
    settings = Settings(
        database_url=db_url,
        teams_client_id=CLIENT_ID,
        teams_tenant_id=TENANT_ID,
        teams_openid_metadata_url=fake_openid.metadata_url,
        teams_login_url=fake_openid.url,  # Entra-issued tokens' keys come from here too
        teams_service_url=fake_connector.url + "/",
        teams_service_hosts="127.0.0.1",  # the fake connector stands in for Bot Framework
        _env_file=None,
    )
    hub = create_app(settings, clock=ManualClock(START), config=teams_config(config))
    hub.sync_directory()
    server, thread, port = make_server(create_web_app(hub, teams_token=outbound_token()))
    harness = TeamsHarness(f"http://127.0.0.1:{port}", fake_connector, fake_openid, hub)
    yield harness
    harness.http.close()
    server.should_exit = True
    thread.join(timeout=10)
    hub.engine.dispose()
