"""The official `notifications-python-client`, one per sending thread, typed for our use.

Its `NotificationsAPIClient` says "This class is not thread-safe" (a shared requests
session), so each sending thread gets its own. Its functions carry no annotations: the
`type: ignore[no-untyped-call]` lines are confined to this file. Nothing here logs, and the
client's own logger is kept at ERROR (bot/observability.py): it would log Notify's answer on
every failure, which must never risk carrying a number.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Final

from notifications_python_client.notifications import NotificationsAPIClient

CONNECT_SECONDS: Final = 3.05
CLIENT_LOGGER: Final = "notifications_python_client"


def quiet_client_logs() -> None:
    """The client warns with Notify's message on every failed request: keep it at ERROR."""
    logging.getLogger(CLIENT_LOGGER).setLevel(logging.ERROR)


class NotifyClients:
    """A `NotificationsAPIClient` per thread, made on first use."""

    def __init__(self, api_key: str, base_url: str, timeout: float) -> None:
        self._api_key = api_key
        self._base_url = base_url
        self._timeout = (CONNECT_SECONDS, timeout)
        self._local = threading.local()
        quiet_client_logs()

    def _client(self) -> NotificationsAPIClient:
        client: NotificationsAPIClient | None = getattr(self._local, "client", None)
        if client is None:
            client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
                self._api_key, base_url=self._base_url, timeout=self._timeout
            )
            self._local.client = client
        return client

    def send_sms(
        self,
        phone_number: str,
        template_id: str,
        personalisation: dict[str, str],
        reference: str,
        sms_sender_id: str | None,
    ) -> dict[str, Any]:
        answer: dict[str, Any] = self._client().send_sms_notification(  # type: ignore[no-untyped-call]
            phone_number,
            template_id,
            personalisation=personalisation or None,
            reference=reference,
            sms_sender_id=sms_sender_id,
        )
        return answer

    def send_email(
        self,
        email_address: str,
        template_id: str,
        personalisation: dict[str, str],
        reference: str,
        email_reply_to_id: str | None,
    ) -> dict[str, Any]:
        answer: dict[str, Any] = self._client().send_email_notification(  # type: ignore[no-untyped-call]
            email_address,
            template_id,
            personalisation=personalisation or None,
            reference=reference,
            email_reply_to_id=email_reply_to_id,
        )
        return answer

    def find_by_reference(self, reference: str, kind: str) -> dict[str, Any] | None:
        """The newest notification Notify holds with our `reference` (a GET: it does not
        spend the send budget), or None."""
        answer: dict[str, Any] = self._client().get_all_notifications(  # type: ignore[no-untyped-call]
            template_type=kind, reference=reference
        )
        found = answer.get("notifications") or []
        return found[0] if found and isinstance(found[0], dict) else None

    def notification(self, notification_id: str) -> dict[str, Any]:
        """Notify's record of one message, with its status (a GET: no send budget)."""
        answer: dict[str, Any] = self._client().get_notification_by_id(  # type: ignore[no-untyped-call]
            notification_id
        )
        return answer

    def template(self, template_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = self._client().get_template(template_id)  # type: ignore[no-untyped-call]
        return answer
