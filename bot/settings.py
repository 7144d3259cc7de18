"""Process settings from the environment and an optional .env file. Secrets never reach logs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_url: str = "sqlite:///qihub.db"
    qihub_config: str | None = Field(default=None, description="organisation config file")
    port: int = Field(default=3000, ge=1, le=65535)
    host: str | None = None
    """Where `qihub web` listens: all interfaces by default, this machine only in Playground
    mode."""
    web_workers: int = Field(default=1, ge=1, le=16)
    """`qihub web` processes serving the one port (PostgreSQL only): a Python process does
    its work on one core at a time, so a burst of button presses (a whole trust acknowledging
    an alert) is served faster by more of them (bench/README.md, the acknowledgement storm)."""
    forwarded_allow_ips: str = ""
    """The reverse proxies whose X-Forwarded-For and X-Forwarded-Proto `qihub web` believes
    (comma-separated addresses or networks, as uvicorn's --forwarded-allow-ips). Empty: none,
    and uvicorn's proxy-header handling is off (docs/web-sign-in.md#behind-a-reverse-proxy)."""
    log_level: str = "WARNING"
    metrics_token: SecretStr | None = None
    """Bearer token for GET /metrics from another machine; without one, only this machine
    (a loopback client no proxy speaks for) may read the metrics."""

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_messages_per_minute: int = Field(default=300, ge=1)
    """Workspace budget for chat.postMessage ("several hundred per minute")."""
    slack_channel_messages_per_second: int = Field(default=1, ge=1)

    teams_client_id: str | None = None
    teams_client_secret: SecretStr | None = None
    teams_tenant_id: str | None = None
    teams_openid_metadata_url: str | None = None
    """Where inbound token keys come from; None means Bot Framework's public cloud."""
    teams_login_url: str = "https://login.microsoftonline.com"
    """Entra ID authority host for msal (sovereign clouds); the tenant id is appended."""
    teams_conversation_messages_per_second: int = Field(default=7, ge=1)
    """Per bot per conversation: Teams allows 7 sends a second (and 60 per 30 s)."""
    teams_conversation_messages_per_30s: int = Field(default=60, ge=1)
    teams_tenant_requests_per_second: int = Field(default=50, ge=1)
    """Per app per tenant across all conversations (older docs say 30)."""
    teams_service_url: str = "https://smba.trafficmanager.net/uk/"
    """Bot Connector base used to open a 1:1 chat before Teams has told us one for the tenant."""
    teams_app_id: str | None = None
    qihub_teams_playground: bool = False
    """Local trial only: with no Teams credentials, answer Microsoft's Agents Playground on
    this machine without a token. Refused with PostgreSQL, Slack or a non-loopback HOST."""
    teams_service_hosts: str = (
        "smba.trafficmanager.net,smba.infra.gcc.teams.microsoft.com,"
        "smba.infra.gov.teams.microsoft.us,smba.infra.dod.teams.microsoft.us"
    )
    """Bot Framework service hosts (comma-separated; "*.host" for subdomains): the only places
    an activity's serviceUrl may point, and so the only hosts the connector token is sent to."""
    teams_playground_email: str | None = None
    """Local development only (no Teams credentials): who Agents Playground users act as.
    Defaults to the first person in the config, like `qihub console`."""
    """The Teams app (catalogue) id, needed to install the app for people through Graph."""
    graph_api_url: str = "https://graph.microsoft.com/v1.0"

    notify_api_key: SecretStr | None = None
    """GOV.UK Notify's live API key (docs/notify.md); unset, texts and emails are off."""
    notify_callback_token: SecretStr | None = None
    """The bearer token typed into Notify's Callbacks page; unset, no /notify/callback."""
    notify_receipts: Literal["callback", "polling", "both"] | None = None
    """How Notify's delivery receipts arrive (docs/notify.md): its callback to
    /notify/callback, QI Hub polling for them from the clock, or both. Unset: the callback
    when NOTIFY_CALLBACK_TOKEN is set, else polling."""
    notify_poll_per_minute: int = Field(default=300, ge=1, le=1000)
    """At most this many receipt asks a minute (they share the send rate limit)."""
    notify_api_url: str = "https://api.notifications.service.gov.uk"
    """Scheme and host only (the client drops any path): for tests and Notify-compatible
    services. Not NHS Notify, whose API is a different one and which cannot message staff."""
    notify_requests_per_minute: int = Field(default=3000, ge=1)
    """The service's rate limit: Notify's token bucket refills at this rate (its burst is a
    third of it, at most 1,000)."""
    notify_daily_texts: int = Field(default=250_000, ge=1)
    notify_daily_emails: int = Field(default=250_000, ge=1)
    """Local guards matching the service's daily limits (Notify's own count is the authority)."""
    notify_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    """How long to wait for Notify's answer (connecting: 3 s). A send that times out may
    still have been made: it is looked up by its reference before it is sent again."""

    @model_validator(mode="after")
    def _callback_needs_token(self) -> Settings:
        if self.notify_receipts in ("callback", "both") and self.notify_callback_token is None:
            raise ValueError(
                f"NOTIFY_RECEIPTS={self.notify_receipts} needs NOTIFY_CALLBACK_TOKEN (the "
                "token typed into Notify's Callbacks page); or set NOTIFY_RECEIPTS=polling"
            )
        return self

    def receipts_mode(self) -> Literal["callback", "polling", "both"]:
        """NOTIFY_RECEIPTS, or its default: the callback when its token is set, else polling."""
        if self.notify_receipts is not None:
            return self.notify_receipts
        return "callback" if self.notify_callback_token is not None else "polling"

    hub_session_idle_minutes: int = Field(default=30, ge=5, le=720)
    """A web sign-in ends after this long without a request (docs/configuration.md)."""
    hub_session_absolute_hours: int = Field(default=10, ge=1, le=24)
    """A web sign-in ends this long after it began, however active (a shift, then sign in
    again)."""
    hub_entra_sign_in: bool = True
    """Offer "Sign in with Microsoft" on the web when the bot's app registration
    (TEAMS_CLIENT_ID, TEAMS_CLIENT_SECRET, TEAMS_TENANT_ID) is set; false to offer only the
    one-time links from chat (`/qi web`)."""

    clock_lease_seconds: int = Field(default=40, ge=4, le=300)
    """How long a leading clock's lease lasts; a standby takes over within this plus ~10 s."""
    directory_sync_minutes: int = Field(default=360, ge=5)
    """How often `qihub clock` asks Microsoft Graph for directory changes (Teams configured)."""

    # `qihub teams package`: what the Teams app's details page shows. Unset links default to
    # QI Hub's own address (--base-url, else organisation.web_base_url).
    teams_manifest_id: str | None = None
    """The id inside the Teams app package (Graph's externalId); default derived from
    TEAMS_CLIENT_ID. Not TEAMS_APP_ID, the catalogue's own id for the uploaded app."""
    teams_app_version: str | None = None
    """The Teams app's version (x.y.z); default QI Hub's. Raise it for each re-upload."""
    teams_developer_name: str | None = None
    """Publisher shown in Teams (32 characters at most); default the trust's name, shortened."""
    teams_website_url: str | None = None
    """The app's support/website link in Teams."""
    teams_privacy_url: str | None = None
    """The trust's privacy notice, linked from the app's details in Teams."""
    teams_terms_url: str | None = None
    """The terms of use (e.g. the trust's acceptable use policy), linked from the app in Teams."""
