"""Teams' front door as an attacker meets it: closed without credentials unless the Playground
is switched on, the Playground confined to this machine, other tenants refused with 403, and
the bot's connector token never answered towards a service host that is not Bot Framework's.
Whatever is refused leaves nothing behind: no conversation, no link, no request remembered."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import func, select

from bot.app import QIHub, create_app
from bot.settings import Settings
from bot.teams.doors import host_allowed, playground_problem
from bot.web import create_web_app
from handlers.clock import ManualClock
from handlers.config import OrgConfig
from store.models import InboundRequest, TeamsConversation
from tests.conftest import START
from tests.teams import activities
from tests.teams.fake_connector import FakeConnector
from tests.teams.inbound import TeamsHarness, make_server
from tests.teams.oidc import token

ALEX = "alex.morgan@clatterbridge.example"
NOWHERE = "https://attacker.invalid/"  # .invalid never resolves: nothing can reach it


def _nothing_kept(hub: QIHub) -> None:
    with hub.uow_factory() as uow:
        for table in (TeamsConversation, InboundRequest):
            count = uow.session.scalar(select(func.count()).select_from(table))
            assert count == 0, table.__name__
        alex = uow.staff.by_email(ALEX)
        assert alex is not None
        assert alex.teams_aad_id is None


@contextmanager
def web_on(db_url: str, config: OrgConfig, **settings: Any) -> Iterator[tuple[httpx.Client, QIHub]]:
    """A live `qihub web` on loopback with these settings (no Teams credentials)."""
    hub = create_app(
        Settings(database_url=db_url, _env_file=None, **settings),
        clock=ManualClock(START),
        config=config,
    )
    hub.sync_directory()
    server, thread, port = make_server(create_web_app(hub))
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=15) as client:
        yield client, hub
    server.should_exit = True
    thread.join(timeout=10)
    hub.engine.dispose()


@pytest.fixture
def closed(db_url: str, config: OrgConfig) -> Iterator[tuple[httpx.Client, QIHub]]:
    """`qihub web` with no Teams settings at all, and the Playground left off."""
    with web_on(db_url, config) as running:
        yield running


def test_without_credentials_or_the_playground_switch_nothing_is_answered(
    closed: tuple[httpx.Client, QIHub], fake_connector: FakeConnector
) -> None:
    client, hub = closed
    activity = activities.message(fake_connector.url, "29:someone", "00000000-1", "qi mine")
    response = client.post("/api/messages", json=activity)  # from this very machine
    assert response.status_code == 401
    assert "QIHUB_TEAMS_PLAYGROUND" in response.text
    time.sleep(0.2)
    assert fake_connector.calls == []
    _nothing_kept(hub)


@pytest.fixture
def playground(db_url: str, config: OrgConfig) -> Iterator[tuple[httpx.Client, QIHub]]:
    with web_on(db_url, config, qihub_teams_playground=True) as running:
        yield running


def test_the_playground_answers_only_a_service_url_on_this_machine(
    playground: tuple[httpx.Client, QIHub],
) -> None:
    client, hub = playground
    activity = activities.message(NOWHERE, "29:playground-user", "00000000-0", "qi mine")
    response = client.post("/api/messages", json=activity)
    assert response.status_code == 403
    assert "on this machine" in response.text
    _nothing_kept(hub)


def test_the_playground_stores_no_address(
    playground: tuple[httpx.Client, QIHub], fake_connector: FakeConnector
) -> None:
    """An unauthenticated request is answered, but nothing it says about where it came from is
    kept: a later, configured Teams must never send the bot's token to an address it gave."""
    client, hub = playground
    install = activities.personal_install(fake_connector.url, "29:playground-user", "00000000-0")
    assert client.post("/api/messages", json=install).status_code < 300
    message = activities.message(fake_connector.url, "29:playground-user", "00000000-0", "qi mine")
    assert client.post("/api/messages", json=message).status_code == 200
    with hub.uow_factory() as uow:
        count = uow.session.scalar(select(func.count()).select_from(TeamsConversation))
        assert count == 0


# ---------------------------------------------------------------------- configured Teams
def test_another_tenant_is_refused_with_403_and_nothing_is_kept(teams: TeamsHarness) -> None:
    activity = activities.personal_install(teams.service_url, *teams.who(ALEX))
    activity["conversation"]["tenantId"] = "99999999-8888-7777-6666-555555555555"
    activity["channelData"] = {"tenant": {"id": "99999999-8888-7777-6666-555555555555"}}
    response = teams.post(activity)
    assert response.status_code == 403
    assert "another tenant" in response.text
    time.sleep(0.2)
    assert teams.connector.calls == []
    _nothing_kept(teams.hub)


def test_an_activity_without_a_tenant_is_refused(teams: TeamsHarness) -> None:
    activity = activities.message(teams.service_url, *teams.who(ALEX), "qi mine")
    activity["conversation"].pop("tenantId")
    activity["channelData"] = {}
    assert teams.post(activity).status_code == 403


def test_a_service_url_off_the_allow_list_is_never_answered(teams: TeamsHarness) -> None:
    """A genuine token for a serviceUrl we do not know (the SDK would accept it) is refused
    before anything replies there with the connector token."""
    activity = activities.message(NOWHERE, *teams.who(ALEX), "qi mine")
    response = teams.post(activity, bearer=token(NOWHERE))
    assert response.status_code == 403
    assert "not a Bot Framework service host" in response.text
    _nothing_kept(teams.hub)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://smba.trafficmanager.net/uk/", True),
        ("https://smba.infra.gcc.teams.microsoft.com/", True),
        ("http://smba.trafficmanager.net/uk/", False),  # the token never travels in clear
        ("https://smba.trafficmanager.net.attacker.invalid/", False),
        ("https://attacker.invalid/smba.trafficmanager.net/", False),
        ("https://user@smba.trafficmanager.net/", False),
        ("https://eu.botframework.example/", True),  # "*.botframework.example" below
        ("https://botframework.example/", False),
        ("", False),
    ],
)
def test_the_service_host_allow_list(url: str, allowed: bool) -> None:
    hosts = ("smba.trafficmanager.net", "smba.infra.gcc.teams.microsoft.com")
    assert host_allowed(url, (*hosts, "*.botframework.example")) is allowed


# ---------------------------------------------------------------------- start-up refusals
@pytest.mark.parametrize(
    ("settings", "host", "problem"),
    [
        ({"database_url": "postgresql+psycopg://x@127.0.0.1/db"}, "127.0.0.1", "PostgreSQL"),
        ({"slack_bot_token": "xoxb-1"}, "127.0.0.1", "Slack is configured"),
        ({}, "0.0.0.0", "HOST on this machine"),
        ({"teams_client_id": "abc"}, "127.0.0.1", "unset it or TEAMS_CLIENT_ID"),
    ],
)
def test_the_playground_is_refused_outside_a_local_trial(
    settings: dict[str, Any], host: str, problem: str
) -> None:
    chosen = Settings(_env_file=None, qihub_teams_playground=True, **settings)
    found = playground_problem(chosen, host)
    assert found is not None
    assert problem in found
    assert playground_problem(Settings(_env_file=None, qihub_teams_playground=True), "::1") is None


def test_qihub_web_refuses_to_start_the_playground_on_all_interfaces(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("QIHUB_", "DATABASE_URL", "SLACK_", "TEAMS_", "HOST"))
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'q.db'}", QIHUB_TEAMS_PLAYGROUND="1", HOST="0.0.0.0"
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "web"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "qihub: QIHUB_TEAMS_PLAYGROUND needs HOST on this machine (127.0.0.1), not 0.0.0.0"
    )
