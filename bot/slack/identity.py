"""Who a Slack user is in the staff directory: matched by email, then remembered.

The first time a Slack user id is seen, users.info gives their email (scope users:read.email)
and the staff record with that email is linked to the id; later requests need one indexed
lookup, or none at all from the in-process cache.
"""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.app import QIHub

log = logging.getLogger(__name__)
UNKNOWN = "unknown.slack.user@invalid"
"""An address no directory holds: the core then answers "not in the directory" politely."""


class SlackIdentity:
    def __init__(self, hub: QIHub, client: WebClient) -> None:
        self._hub = hub
        self._client = client
        self._emails: dict[str, str] = {}
        self._lock = threading.Lock()

    def email_for(self, user_id: str) -> str:
        """The staff email for a Slack user id (an address outside the directory if none)."""
        with self._lock:
            cached = self._emails.get(user_id)
        if cached:
            return cached
        with self._hub.uow_factory() as uow:
            staff = uow.staff.by_slack_id(user_id)
            if staff is not None:
                return self._remember(user_id, staff.email)
        email = self._lookup(user_id)
        if email is None:
            return UNKNOWN
        with self._hub.uow_factory() as uow:
            staff = uow.staff.by_email(email)
            if staff is None or not staff.active:
                return email  # in Slack, not (yet) in the directory: told so politely
            uow.staff.link_slack(staff, user_id)
            uow.commit()
        return self._remember(user_id, email)

    def _lookup(self, user_id: str) -> str | None:
        try:
            profile = self._client.users_info(user=user_id)["user"]["profile"]
        except (SlackApiError, SlackClientError, OSError, KeyError, TypeError) as exc:
            log.warning("users.info failed for a Slack user: %s", type(exc).__name__)
            return None
        email = profile.get("email") if isinstance(profile, dict) else None
        return str(email).strip().lower() if email else None

    def _remember(self, user_id: str, email: str) -> str:
        with self._lock:
            self._emails[user_id] = email
        return email
