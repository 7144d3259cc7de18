"""Inbound authentication, as the Bot Framework protocol requires: only activities with a valid
token for this bot, signed by a key endorsed for Teams, for the activity's own serviceUrl."""

from __future__ import annotations

import json
import time

import pytest

from tests.teams import activities
from tests.teams.inbound import TeamsHarness
from tests.teams.oidc import ROGUE_KEY, SKYPE_KEY, outbound_token, token

ALEX = "alex.morgan@clatterbridge.example"


def _help(teams: TeamsHarness) -> dict[str, object]:
    return activities.message(teams.service_url, *teams.who(ALEX), "qi help")


def test_a_valid_token_is_accepted_and_answered(teams: TeamsHarness) -> None:
    response = teams.post(_help(teams))
    assert response.status_code == 200
    reply = teams.replies(ALEX)[0]
    assert reply["type"] == "message"
    card = reply["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    assert "qi help" in json.dumps(card) or "idea" in json.dumps(card)
    assert teams.connector.activities()[0].authorization == f"Bearer {outbound_token()}"


@pytest.mark.parametrize(
    ("why", "token_args"),
    [
        ("forged signature", {"key": ROGUE_KEY}),
        ("another audience", {"audience": "11111111-2222-3333-4444-555555555555"}),
        ("another issuer", {"issuer": "https://sts.windows.net/evil/"}),
        ("expired", {"issued": time.time() - 7200, "lifetime": 600}),
        ("key not endorsed for msteams", {"key": SKYPE_KEY}),
    ],
)
def test_bad_tokens_are_refused_and_do_nothing(
    teams: TeamsHarness, why: str, token_args: dict[str, object]
) -> None:
    response = teams.post(_help(teams), **token_args)
    assert response.status_code == 401, why
    time.sleep(0.2)
    assert teams.connector.calls == [], why


def test_a_token_for_another_service_url_is_refused(teams: TeamsHarness) -> None:
    activity = _help(teams)
    response = teams.post(activity, bearer=token("https://smba.trafficmanager.net/emea/"))
    assert response.status_code == 401


def test_missing_and_malformed_authorisation_is_refused(teams: TeamsHarness) -> None:
    assert teams.post(_help(teams), bearer="").status_code == 401
    assert teams.post(_help(teams), bearer="not.a.jwt").status_code == 401


def test_oversized_and_malformed_bodies_get_a_clean_4xx(teams: TeamsHarness) -> None:
    big = teams.http.post(
        "/api/messages",
        content=b"{" + b" " * 300_000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert big.status_code == 413
    bad = teams.http.post(
        "/api/messages",
        content=b"{not json",
        headers={"Authorization": f"Bearer {token(teams.service_url)}"},
    )
    assert bad.status_code == 400
