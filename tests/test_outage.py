"""The database goes away in the middle of the day (PostgreSQL behind a proxy we unplug): a person
submitting a form on Slack or Teams is told "not saved — nothing was lost", keeps everything they
typed, nothing is half-written, and the same submission goes through once it is back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.app import NOT_SAVED
from store.db import make_engine
from store.models import AuditEntry, Idea, OutboxMessage
from tests.slack import kit
from tests.slack.conftest import SlackHarness, fake_slack, slack  # noqa: F401 (fixtures)
from tests.tcp_proxy import UnpluggableProxy
from tests.teams.cards import dialog_card, fill, inputs, text_of
from tests.teams.conftest import fake_connector  # noqa: F401 (fixture)
from tests.teams.inbound import TeamsHarness, fake_openid, teams  # noqa: F401 (fixtures)
from tests.teams.test_flows import open_idea_dialog

pytestmark = pytest.mark.postgres
ALEX = "alex.morgan@clatterbridge.example"


@pytest.fixture
def proxy(request: pytest.FixtureRequest) -> Iterator[UnpluggableProxy]:
    real: str = request.getfixturevalue("pg_session_url")
    url = make_url(real)
    gate = UnpluggableProxy(url.host or "127.0.0.1", url.port or 5432)
    yield gate
    gate.close()


@pytest.fixture
def db_url(request: pytest.FixtureRequest, proxy: UnpluggableProxy) -> str:
    """The session's PostgreSQL schema, emptied, reached through the proxy."""
    from tests.conftest import _empty_all

    real: str = request.getfixturevalue("pg_session_url")
    _empty_all(real)
    return make_url(real).set(host="127.0.0.1", port=proxy.port).render_as_string(False)


def counts(url: str) -> tuple[int, int, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return tuple(  # type: ignore[return-value]
                int(connection.scalar(select(func.count()).select_from(model)) or 0)
                for model in (Idea, OutboxMessage, AuditEntry)
            )
    finally:
        engine.dispose()


def test_slack_form_submitted_while_the_database_is_down(
    slack: SlackHarness,  # noqa: F811
    proxy: UnpluggableProxy,
    request: pytest.FixtureRequest,
) -> None:
    real: str = request.getfixturevalue("pg_session_url")
    view = kit.form_from(slack, kit.ALEX, "/idea")
    before = counts(real)
    proxy.unplug()
    refused = kit.submit(slack, kit.ALEX, view, kit.IDEA)
    assert refused.status_code == 200
    body: dict[str, Any] = refused.json()
    assert body["response_action"] == "errors"  # the modal stays open, input kept
    assert NOT_SAVED in body["errors"].values()
    assert counts(real) == before  # nothing half-written
    proxy.plug()
    again = kit.submit(slack, kit.ALEX, view, kit.IDEA)
    assert again.status_code == 200 and "errors" not in again.text
    assert counts(real)[0] == before[0] + 1


def test_teams_dialog_submitted_while_the_database_is_down(
    teams: TeamsHarness,  # noqa: F811
    proxy: UnpluggableProxy,
    request: pytest.FixtureRequest,
) -> None:
    real: str = request.getfixturevalue("pg_session_url")
    card = open_idea_dialog(teams, ALEX, "idea")
    answers = fill(card, kit.IDEA)
    before = counts(real)
    proxy.unplug()
    refused = teams.submit(ALEX, answers)
    assert refused.status_code == 200
    again_card = dialog_card(refused.json())
    assert NOT_SAVED in text_of(again_card)
    assert inputs(again_card)["problem"]["value"] == kit.IDEA["problem"]  # input kept
    assert counts(real) == before
    proxy.plug()
    stored = teams.submit(ALEX, fill(again_card, kit.IDEA))
    assert stored.status_code == 200 and not stored.content
    assert counts(real)[0] == before[0] + 1


def test_a_typed_command_while_the_database_is_down_is_answered(
    teams: TeamsHarness,  # noqa: F811
    proxy: UnpluggableProxy,
) -> None:
    proxy.unplug()
    assert teams.say(ALEX, "qi mine").status_code == 200
    told = teams.replies(ALEX)[-1]
    assert NOT_SAVED in str(told)
