"""Outbound tokens: an incomplete app registration is an operator error at start-up; Entra ID
being unreachable is a temporary failure at send time (the outbox retries), never a crash."""

from __future__ import annotations

import pytest

from bot.errors import MissingCredential
from bot.settings import Settings
from bot.teams.auth import BOT_CONNECTOR_SCOPE, MsalTokenSource, TokenUnavailable


def test_missing_credentials_are_named_at_once() -> None:
    settings = Settings(teams_client_id="abc", _env_file=None)
    with pytest.raises(MissingCredential, match="TEAMS_CLIENT_SECRET"):
        MsalTokenSource(settings, BOT_CONNECTOR_SCOPE)


def test_an_unreachable_entra_id_is_a_temporary_failure_without_the_secret() -> None:
    settings = Settings(
        teams_client_id="c38eda0f-e780-49ae-86f0-afb644203cf8",
        teams_client_secret="s3cret-value-never-shown",
        teams_tenant_id="b28fdbfd-2b78-4f93-b0f8-8881793f0f8f",
        teams_login_url="https://127.0.0.1:9",  # nothing listens there
        _env_file=None,
    )
    source = MsalTokenSource(settings, BOT_CONNECTOR_SCOPE)  # no network yet
    with pytest.raises(TokenUnavailable) as caught:
        source.token()
    assert "s3cret" not in str(caught.value)
