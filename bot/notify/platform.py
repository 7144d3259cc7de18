"""GOV.UK Notify as two direct channels, "sms" and "email", for the outbox sender.

They implement the Platform protocol but are given to the sender as `direct` platforms: a
message reaches them only when it names one (`via`), never as the first platform that can
reach a person (handlers/outbox/sender.py), so no chat message ever becomes a text.

Both channels share one `NotifyGate`: Notify's rate limit is one token bucket per service and
key type for texts and emails together (3,000 a minute: a burst of up to 1,000, then 50 a
second), kept here by a `Pacer` of its own, so a 429 storm at Notify never slows Slack or
Teams (their pacers are theirs). Daily limits are per channel: a spent text allowance holds
texts until midnight UTC while emails go on.

Before sending again a message an earlier attempt may have delivered (a timeout, a 5xx, a
sender that died mid-send), the channel asks Notify for it by our reference (a GET, free of
the send budget) and, if Notify has it, records that instead of sending twice.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from notifications_python_client.errors import APIError

from bot.notify.client import NotifyClients
from bot.notify.errors import Verdict, classify
from bot.pacing import Bucket, Budget, Pacer, Ticket
from bot.settings import Settings
from handlers.config import NotifySettings
from handlers.platform import (
    ChannelTarget,
    DeliveryError,
    DirectVia,
    MessageHandle,
    Recipient,
)
from messages.view import Reply

log = logging.getLogger(__name__)

NOTIFY_BUCKET_MAX: Final = 1000
"""Notify's TOKEN_BUCKET_MAX: however high a service's rate limit, bursts stop here."""


def notify_bucket(requests_per_minute: int) -> Bucket:
    """Our side of Notify's bucket, a little inside it: Notify refuses a request that would
    leave it under one token (so one fewer than its size), and 90 % / 97 % absorb network
    jitter and a bucket a previous process already part-spent."""
    size = min(math.ceil(requests_per_minute / 3) + 1, NOTIFY_BUCKET_MAX)
    return Bucket(
        capacity=max(1, math.floor(0.9 * size) - 1),
        per_second=0.97 * requests_per_minute / 60,
    )


def next_midnight_utc(now: datetime) -> datetime:
    return datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)


class NotifyGate:
    """What the text and email channels share: the clients, the rate limit, daily counts."""

    def __init__(
        self,
        clients: NotifyClients,
        templates: NotifySettings,
        *,
        requests_per_minute: int = 3000,
        daily: dict[str, int] | None = None,
        hold: float | None = None,
    ) -> None:
        self.clients = clients
        self.templates = templates
        self._budget: list[Budget] = [
            (notify_bucket(requests_per_minute), ("notify",), "requests per minute")
        ]
        self.pacer = Pacer("Notify") if hold is None else Pacer("Notify", hold=hold)
        self._daily_limit = daily or {"sms": 250_000, "email": 250_000}
        self._sent_today: dict[str, tuple[str, int]] = {}
        self._held_until: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def check_open(self, kind: DirectVia) -> None:
        """Defer (spending nothing) while this channel's daily limit is spent."""
        now = datetime.now(UTC)
        with self._lock:
            until = self._held_until.get(kind)
            day, count = self._sent_today.get(kind, ("", 0))
            if until is None and day == now.date().isoformat() and count >= self._daily_limit[kind]:
                until = self._held_until[kind] = next_midnight_utc(now)
        if until is not None and until > now:
            raise DeliveryError(
                f"Notify's daily {kind} limit is spent until midnight UTC",
                retryable=True,
                retry_after=(until - now).total_seconds(),
                deferred=True,
            )

    def spend(self) -> Ticket:
        return self.pacer.spend(self._budget)

    def sent(self, kind: DirectVia) -> None:
        today = datetime.now(UTC).date().isoformat()
        with self._lock:
            day, count = self._sent_today.get(kind, (today, 0))
            self._sent_today[kind] = (today, count + 1 if day == today else 1)

    def failed(self, kind: DirectVia, verdict: Verdict) -> DeliveryError:
        """Act on Notify's refusal (pause, hold the channel, tell the operator once) and
        return the error the message is recorded with."""
        if verdict.pause:
            self.pacer.pause(verdict.pause)
        error = verdict.error
        if verdict.daily:
            now = datetime.now(UTC)
            until = next_midnight_utc(now)
            with self._lock:
                first = kind not in self._held_until or self._held_until[kind] <= now
                self._held_until[kind] = until
            if first and verdict.operator:
                log.error("%s: %s held until midnight UTC", verdict.operator, kind)
            error = DeliveryError(
                error.reason,
                retryable=True,
                retry_after=(until - now).total_seconds(),
                deferred=True,
            )
        elif verdict.operator:
            log.error("%s", verdict.operator)
        return error


class NotifyChannel:
    """Texts ("sms") or emails ("email") to one person, through the shared gate."""

    def __init__(self, gate: NotifyGate, kind: DirectVia) -> None:
        self.name: str = kind
        self.kind: DirectVia = kind
        self._gate = gate

    @property
    def gate(self) -> NotifyGate:
        """The clients and pacing this channel shares with the other (and the receipt poll)."""
        return self._gate

    def prepare(self, people: Sequence[Recipient]) -> None:
        return None

    def can_reach_person(self, person: Recipient) -> bool:
        return self._address(person) is not None and self._template() is not None

    def can_reach_channel(self, channel: ChannelTarget) -> bool:
        return False

    def post_to_channel(self, channel: ChannelTarget, reply: Reply) -> MessageHandle:
        raise DeliveryError("a text or email goes to a person, not a channel", retryable=False)

    def update_message(self, handle: MessageHandle, reply: Reply) -> None:
        raise DeliveryError("a text or email cannot be changed once sent", retryable=False)

    def send_to_person(self, person: Recipient, reply: Reply) -> MessageHandle:
        """Send the template to the person's number or address with the message's
        ((placeholders)); the handle is Notify's id and our reference (no personal data)."""
        direct = person.direct
        address = self._address(person)
        if direct is None or address is None:
            what = "mobile number" if self.kind == "sms" else "email address"
            raise DeliveryError(f"no {what} on file", retryable=False)
        template = self._template()
        if template is None:
            raise DeliveryError(
                f"no Notify template for {self.kind}: set [notify] {self.kind}_template_id",
                retryable=False,
            )
        self._gate.check_open(self.kind)
        try:
            if direct.check_first:
                found = self._gate.clients.find_by_reference(direct.reference, self.kind)
                if found is not None:
                    return self._handle(found, direct.reference)
            ticket = self._gate.spend()
            try:
                answer = self._send(
                    address, template, dict(direct.personalisation), direct.reference
                )
            finally:
                ticket.answered()
        except APIError as exc:
            raise self._gate.failed(self.kind, classify(exc)) from None
        self._gate.sent(self.kind)
        return self._handle(answer, direct.reference)

    def _send(
        self, address: str, template: str, personalisation: dict[str, str], reference: str
    ) -> dict[str, Any]:
        settings = self._gate.templates
        if self.kind == "sms":
            return self._gate.clients.send_sms(
                address, template, personalisation, reference, settings.sms_sender_id
            )
        return self._gate.clients.send_email(
            address, template, personalisation, reference, settings.email_reply_to_id
        )

    def _address(self, person: Recipient) -> str | None:
        direct = person.direct
        if direct is None:
            return None
        return direct.mobile if self.kind == "sms" else direct.email

    def _template(self) -> str | None:
        settings = self._gate.templates
        return settings.sms_template_id if self.kind == "sms" else settings.email_template_id

    @staticmethod
    def _handle(answer: dict[str, Any], reference: str) -> MessageHandle:
        return {"notification_id": str(answer.get("id", "")), "reference": reference}


def notify_channels(settings: Settings, templates: NotifySettings) -> list[NotifyChannel]:
    """The text and email channels when NOTIFY_API_KEY is set (else none)."""
    if settings.notify_api_key is None:
        return []
    clients = NotifyClients(
        settings.notify_api_key.get_secret_value(),
        settings.notify_api_url,
        settings.notify_timeout_seconds,
    )
    gate = NotifyGate(
        clients,
        templates,
        requests_per_minute=settings.notify_requests_per_minute,
        daily={"sms": settings.notify_daily_texts, "email": settings.notify_daily_emails},
    )
    return [NotifyChannel(gate, "sms"), NotifyChannel(gate, "email")]
