"""Outbound access tokens from Entra ID through msal (client credentials, single tenant).

One `TokenSource` per resource: the Bot Connector (`https://api.botframework.com/.default`)
and Microsoft Graph (`https://graph.microsoft.com/.default`). msal caches the token and renews
it shortly before expiry, so callers simply ask for a token before every request. Tests and
the local playground use `StaticToken`.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from bot.errors import MissingCredential
from bot.settings import Settings

BOT_CONNECTOR_SCOPE = "https://api.botframework.com/.default"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"


class TokenSource(Protocol):
    def token(self) -> str:
        """A bearer token for the resource; raises TokenUnavailable when none can be had."""
        ...


class TokenUnavailable(Exception):
    """Entra ID refused or could not be reached; the message says which (never the secret)."""


class StaticToken:
    """A fixed token: tests, and the local playground (which accepts anything)."""

    def __init__(self, value: str) -> None:
        self._value = value

    def token(self) -> str:
        return self._value


class MsalTokenSource:
    """Client-credentials tokens for one scope, cached and renewed by msal.

    msal asks Entra ID for the tenant's metadata as soon as it is constructed, so the client is
    made on first use: a process starts (and defers its sends) while Entra ID is unreachable.
    Missing credentials still fail at once, as an operator's error.
    """

    def __init__(self, settings: Settings, scope: str) -> None:
        if not (
            settings.teams_client_id and settings.teams_client_secret and settings.teams_tenant_id
        ):
            raise MissingCredential(
                "Teams needs TEAMS_CLIENT_ID, TEAMS_CLIENT_SECRET and TEAMS_TENANT_ID "
                "(the bot's single-tenant app registration)."
            )
        self._client_id = settings.teams_client_id
        self._secret = settings.teams_client_secret
        self._authority = f"{settings.teams_login_url.rstrip('/')}/{settings.teams_tenant_id}"
        self._scope = scope
        self._lock = threading.Lock()
        self._app: Any = None

    def token(self) -> str:
        import msal

        with self._lock:  # msal's cache is not documented as thread-safe
            try:
                if self._app is None:
                    self._app = msal.ConfidentialClientApplication(
                        self._client_id,
                        client_credential=self._secret.get_secret_value(),
                        authority=self._authority,
                    )
                result = self._app.acquire_token_for_client(scopes=[self._scope])
            except Exception as exc:  # network, DNS, TLS, a malformed answer: say which kind
                raise TokenUnavailable(
                    f"Entra ID could not be reached for {self._scope} ({type(exc).__name__})"
                ) from None
        if "access_token" not in result:
            # error and error_description only: msal never echoes the secret
            raise TokenUnavailable(
                f"Entra ID gave no token for {self._scope}: {result.get('error', 'unknown error')}"
            )
        return str(result["access_token"])
