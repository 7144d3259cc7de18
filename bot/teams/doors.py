"""Who may knock on /api/messages, and where the bot's connector token may be sent.

Three rules the Teams SDK leaves to the bot:

- **Credential-free mode is a switch, not a default.** With no TEAMS_CLIENT_ID the endpoint is
  closed, unless QIHUB_TEAMS_PLAYGROUND=1 opens it to Microsoft's Agents Playground on this
  machine only: a loopback client no proxy speaks for, replying to a loopback serviceUrl, in a
  process that holds no real data (SQLite, no Slack) and listens on loopback.
- **Only our tenant.** An activity (or an Entra token) from another tenant is refused with 403
  before the SDK, or anything of ours, sees it.
- **The connector token goes only to Bot Framework.** An activity's serviceUrl is where replies
  go, carrying the bot's token; only allow-listed service hosts (https) are answered, remembered
  or sent to.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt

from bot.settings import Settings

PLAYGROUND_HINT = (
    "Teams is not configured on this server: set TEAMS_CLIENT_ID (and its secret and tenant), "
    "or QIHUB_TEAMS_PLAYGROUND=1 to try it locally with the Agents Playground"
)


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_allowed(url: str, hosts: Iterable[str]) -> bool:
    """`url` is https on an allow-listed host ("*.example.com" matches its subdomains), or any
    scheme on an allow-listed loopback host (the local fakes in tests)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password:
        return False
    for allowed in hosts:
        allowed = allowed.strip().lower()
        matches = host == allowed or (
            allowed.startswith("*.") and host.endswith(allowed[1:]) and host != allowed[2:]
        )
        if matches:
            return parts.scheme == "https" or is_loopback_host(host)
    return False


def service_hosts(settings: Settings) -> tuple[str, ...]:
    return tuple(h.strip() for h in settings.teams_service_hosts.split(",") if h.strip())


def activity_tenant(activity: Mapping[str, Any]) -> str | None:
    """The tenant an activity says it comes from (conversation first, then channelData)."""
    conversation = activity.get("conversation")
    if isinstance(conversation, dict) and isinstance(conversation.get("tenantId"), str):
        return str(conversation["tenantId"])
    data = activity.get("channelData")
    tenant = data.get("tenant") if isinstance(data, dict) else None
    if isinstance(tenant, dict) and isinstance(tenant.get("id"), str):
        return str(tenant["id"])
    return None


ENTRA_V1_ISSUER = "https://sts.windows.net/"


def unverified_claims(authorization: str) -> dict[str, Any]:
    """A bearer token's claims, unverified: only to choose which checks apply. The SDK
    verifies the signature, issuer, audience and expiry of every token before it is acted on."""
    raw = authorization.removeprefix("Bearer ").strip()
    try:
        claims = jwt.decode(raw, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


@dataclass(frozen=True)
class TeamsDoors:
    """The checks on an inbound activity, decided from settings once at start-up."""

    authenticated: bool
    playground: bool
    tenant_id: str | None
    hosts: tuple[str, ...]
    login_endpoint: str
    """Entra ID's authority host: tokens it issues are Entra's, not Bot Framework's."""

    @classmethod
    def from_settings(cls, settings: Settings, login_endpoint: str) -> TeamsDoors:
        return cls(
            authenticated=bool(settings.teams_client_id),
            playground=settings.qihub_teams_playground and not settings.teams_client_id,
            tenant_id=settings.teams_tenant_id,
            hosts=service_hosts(settings),
            login_endpoint=login_endpoint.rstrip("/"),
        )

    def entra_issued(self, authorization: str) -> bool:
        """The token claims Entra ID issued it (the SDK then checks it against Entra's keys,
        which carry no channel endorsements), as the SDK itself decides."""
        issuer = unverified_claims(authorization).get("iss")
        return isinstance(issuer, str) and (
            issuer.startswith(self.login_endpoint + "/") or issuer.startswith(ENTRA_V1_ISSUER)
        )

    @property
    def open(self) -> bool:
        """Anything may be answered at all (credentials, or the Playground switched on)."""
        return self.authenticated or self.playground

    def refusal(self, activity: Mapping[str, Any], authorization: str) -> tuple[int, str] | None:
        """Why this (parsed, size-checked) activity must not go further, or None."""
        service_url = activity.get("serviceUrl")
        if not isinstance(service_url, str):
            return 400, "the activity has no serviceUrl"
        if not self.authenticated:
            if not is_loopback_host(urlsplit(service_url).hostname):
                return 403, "the Playground's serviceUrl must be on this machine"
            return None
        if not host_allowed(service_url, self.hosts):
            return 403, "the activity's serviceUrl is not a Bot Framework service host"
        if self.tenant_id is None:
            return 403, "TEAMS_TENANT_ID is not set, so no activity can be shown to be ours"
        if activity_tenant(activity) != self.tenant_id:
            return 403, "the activity comes from another tenant"
        tid = unverified_claims(authorization).get("tid")
        if self.entra_issued(authorization) and tid != self.tenant_id:
            return 403, "the token belongs to another tenant"
        return None


def playground_problem(settings: Settings, host: str) -> str | None:
    """Why QIHUB_TEAMS_PLAYGROUND must not be on in this process, or None. The Playground has
    no authentication at all, so it is only for a throwaway trial on one machine."""
    if not settings.qihub_teams_playground:
        return None
    if settings.teams_client_id:
        return (
            "QIHUB_TEAMS_PLAYGROUND is for trying QI Hub without Teams; unset it or TEAMS_CLIENT_ID"
        )
    if not settings.database_url.startswith("sqlite"):
        return "QIHUB_TEAMS_PLAYGROUND is refused with a production database (PostgreSQL)"
    if settings.slack_bot_token is not None or settings.slack_app_token is not None:
        return "QIHUB_TEAMS_PLAYGROUND is refused while Slack is configured"
    if not is_loopback_host(host):
        return f"QIHUB_TEAMS_PLAYGROUND needs HOST on this machine (127.0.0.1), not {host}"
    return None
