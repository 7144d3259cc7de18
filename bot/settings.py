"""Process settings from the environment and an optional .env file. Secrets never reach logs."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_url: str = "sqlite:///qihub.db"
    qihub_config: str | None = Field(default=None, description="organisation config file")
    port: int = Field(default=3000, ge=1, le=65535)
    log_level: str = "WARNING"

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
    graph_api_url: str = "https://graph.microsoft.com/v1.0"
