"""Who a Slack user is in the staff directory: by their linked Slack id, else matched by email.

A request finds its person by Slack user id inside its own unit of work (`lookup`, no
transaction of its own). Only the first time a Slack user id is seen does users.info give their
email (scope users:read.email), and the staff record with that email is linked to the id.
Nothing is cached in the process: a link moved or removed by the directory counts at once.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.app import Lookup, QIHub
from store.models import Staff
from store.uow import UnitOfWork

log = logging.getLogger(__name__)
UNKNOWN = "unknown.slack.user@invalid"
"""An address no directory holds: the core then answers "not in the directory" politely."""


class SlackIdentity:
    def __init__(self, hub: QIHub, client: WebClient) -> None:
        self._hub = hub
        self._client = client

    @staticmethod
    def lookup(user_id: str) -> Lookup:
        """The staff record linked to a Slack user id, read in the caller's unit of work."""

        def find(uow: UnitOfWork) -> Staff | None:
            return uow.staff.by_slack_id(user_id)

        return find

    def email_for(self, user_id: str) -> str:
        """The staff email for a Slack user id (an address outside the directory if none)."""
        with self._hub.uow_factory() as uow:
            staff = uow.staff.by_slack_id(user_id)
            if staff is not None:
                return staff.email
        email = self._lookup(user_id)
        if email is None:
            return UNKNOWN
        with self._hub.uow_factory() as uow:
            staff = uow.staff.by_email(email)
            if staff is None or not staff.active:
                return email  # in Slack, not (yet) in the directory: told so politely
            uow.staff.link_slack(staff, user_id)
            uow.commit()
        return email

    def _lookup(self, user_id: str) -> str | None:
        try:
            profile = self._client.users_info(user=user_id)["user"]["profile"]
        except (SlackApiError, SlackClientError, OSError, KeyError, TypeError) as exc:
            log.warning("users.info failed for a Slack user: %s", type(exc).__name__)
            return None
        email = profile.get("email") if isinstance(profile, dict) else None
        return str(email).strip().lower() if email else None
