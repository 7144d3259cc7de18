"""Inbound authentication, as the Bot Framework protocol requires: only activities with a valid
token for this bot, signed by a key endorsed for Teams, for the activity's own serviceUrl.

Each bad token is refused for its own reason, asserted from the refusal the validator logs: a
case refused for some other reason (the issuer case once was, for a missing tenant id) would
leave its own check untested. Both token paths the Teams SDK accepts are driven against the
local OpenID/JWKS server: Bot Framework's connector tokens, and Entra ID tokens (the Agent 365
platform's), whose keys come from the tenant's discovery endpoint."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from tests.teams import activities
from tests.teams.inbound import TeamsHarness
from tests.teams.oidc import ROGUE_KEY, SKYPE_KEY, TENANT_ID, outbound_token, token

ALEX = "alex.morgan@clatterbridge.example"
AGENT_365 = "5a807f24-c9de-44ee-a3a7-329e88a00ffc"  # the only caller the SDK lets mint Entra tokens
OTHER_TENANT = "99999999-8888-7777-6666-555555555555"


def _help(teams: TeamsHarness) -> dict[str, Any]:
    return activities.message(teams.service_url, *teams.who(ALEX), "qi help")


def _refusals(caplog: pytest.LogCaptureFixture) -> str:
    return " | ".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)


def entra(teams: TeamsHarness, tenant: str = TENANT_ID, **claims: Any) -> dict[str, Any]:
    """Arguments for an Entra ID v2 token of `tenant`, as Agent 365 would present it."""
    return {
        "issuer": f"{teams.oidc.url}/{tenant}/v2.0",
        "extra": {"tid": tenant, "azp": AGENT_365, **claims},
    }


def test_a_valid_token_is_accepted_and_answered(teams: TeamsHarness) -> None:
    response = teams.post(_help(teams))
    assert response.status_code == 200
    reply = teams.replies(ALEX)[0]
    assert reply["type"] == "message"
    card = reply["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    assert "qi help" in json.dumps(card) or "idea" in json.dumps(card)
    assert teams.connector.activities()[0].authorization == f"Bearer {outbound_token()}"


def test_a_valid_entra_token_of_our_tenant_is_accepted(teams: TeamsHarness) -> None:
    response = teams.post(_help(teams), **entra(teams))
    assert response.status_code == 200, response.text
    assert teams.replies(ALEX)


@pytest.mark.parametrize(
    ("why", "token_args", "reason"),
    [
        ("forged signature", {"key": ROGUE_KEY}, "Signature verification failed"),
        (
            "another audience",
            {"audience": "11111111-2222-3333-4444-555555555555"},
            "Audience doesn't match",
        ),
        ("another issuer", {"issuer": "https://api.botframework.example"}, "Invalid issuer"),
        ("expired", {"issued": time.time() - 7200, "lifetime": 600}, "Signature has expired"),
        ("key not endorsed for msteams", {"key": SKYPE_KEY}, "not endorsed for its channel"),
    ],
)
def test_bad_tokens_are_refused_for_their_own_reason_and_do_nothing(
    teams: TeamsHarness,
    caplog: pytest.LogCaptureFixture,
    why: str,
    token_args: dict[str, object],
    reason: str,
) -> None:
    response = teams.post(_help(teams), **token_args)
    assert response.status_code == 401, why
    assert reason in _refusals(caplog), why
    time.sleep(0.2)
    assert teams.connector.calls == [], why


def test_bad_entra_tokens_are_refused_for_their_own_reason(
    teams: TeamsHarness, caplog: pytest.LogCaptureFixture
) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        (entra(teams, azp="11111111-0000-0000-0000-000000000000"), 401, "caller app is not"),
        (entra(teams, OTHER_TENANT), 403, "the token belongs to another tenant"),
        # signed for our tenant id, but the issuer names another: Entra never does that
        (
            {**entra(teams), "issuer": f"{teams.oidc.url}/{OTHER_TENANT}/v2.0"},
            401,
            "Invalid issuer",
        ),
        ({**entra(teams), "audience": "api://someone-else"}, 401, "Audience doesn't match"),
        ({**entra(teams), "key": ROGUE_KEY}, 401, "Signature verification failed"),
    ]
    for token_args, status, reason in cases:
        caplog.clear()
        response = teams.post(_help(teams), **token_args)
        assert response.status_code == status, (reason, response.text)
        assert reason in _refusals(caplog) + response.text, reason
    time.sleep(0.2)
    assert teams.connector.calls == []


def test_a_token_for_another_service_url_is_refused(
    teams: TeamsHarness, caplog: pytest.LogCaptureFixture
) -> None:
    activity = _help(teams)
    response = teams.post(activity, bearer=token("https://smba.trafficmanager.net/emea/"))
    assert response.status_code == 401
    assert "Service URL mismatch" in _refusals(caplog)


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
