"""With no Teams credentials (local development with the Agents Playground), /api/messages
answers unauthenticated activities from this machine only: a request a proxy forwarded is
refused, so a reverse proxy on the same server cannot open it to the internet."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx2 as httpx
import pytest

from bot.app import create_app
from bot.settings import Settings
from bot.web import create_web_app
from handlers.clock import ManualClock
from handlers.config import OrgConfig
from tests.conftest import START
from tests.slack.kit import IDEA
from tests.teams import activities
from tests.teams.cards import actions, card_of, fill, text_of
from tests.teams.fake_connector import Call, FakeConnector
from tests.teams.inbound import make_server


@pytest.fixture
def playground(
    db_url: str, config: OrgConfig, fake_connector: FakeConnector
) -> Iterator[httpx.Client]:
    settings = Settings(  # no TEAMS_* at all: the Playground switch only
        database_url=db_url, qihub_teams_playground=True, _env_file=None
    )
    hub = create_app(settings, clock=ManualClock(START), config=config)
    hub.sync_directory()  # as `qihub web` does at start-up
    server, thread, port = make_server(create_web_app(hub))
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=15) as client:
        yield client
    server.should_exit = True
    thread.join(timeout=10)
    hub.engine.dispose()


def test_the_playground_on_this_machine_is_answered_without_a_token(
    playground: httpx.Client, fake_connector: FakeConnector
) -> None:
    activity = activities.message(fake_connector.url, "29:playground-user", "00000000-0", "qi mine")
    assert playground.post("/api/messages", json=activity).status_code == 200
    sent: list[Call] = []
    deadline = time.monotonic() + 5
    while not sent and time.monotonic() < deadline:
        sent = [c for c in fake_connector.activities() if c.method == "POST"]
        time.sleep(0.02)
    reply = card_of(sent[0].body)
    assert "your actions" in text_of(reply).lower()  # answered as the config's first person


@pytest.mark.parametrize(
    "header", ["X-Forwarded-For", "Forwarded", "X-Real-IP", "X-Forwarded-Host"]
)
def test_a_proxied_request_is_refused_without_credentials(
    playground: httpx.Client, fake_connector: FakeConnector, header: str
) -> None:
    activity = activities.message(fake_connector.url, "29:someone", "00000000-1", "qi mine")
    response = playground.post("/api/messages", json=activity, headers={header: "203.0.113.9"})
    assert response.status_code == 401
    assert fake_connector.calls == []


def test_forms_open_inside_the_card_because_the_playground_has_no_dialogs(
    playground: httpx.Client, fake_connector: FakeConnector
) -> None:
    say = activities.message(fake_connector.url, "29:playground-user", "00000000-0", "idea")
    assert playground.post("/api/messages", json=say).status_code == 200
    sent: list[Call] = []
    deadline = time.monotonic() + 5
    while not sent and time.monotonic() < deadline:
        sent = [c for c in fake_connector.activities() if c.method == "POST"]
        time.sleep(0.02)
    form = card_of(sent[-1].body)
    assert not [a for a in actions(form) if a["type"] == "Action.Submit"]  # no dialog
    press = activities.card_action(
        fake_connector.url, "29:playground-user", "00000000-0", "qi_submit", fill(form, IDEA)
    )
    answer = playground.post("/api/messages", json=press)
    assert answer.status_code == 200
    done = answer.json()
    assert done["type"] == "application/vnd.microsoft.card.adaptive"
    assert "IDEA-" in text_of(done["value"])
