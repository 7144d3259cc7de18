"""What each of GOV.UK Notify's answers means for a message (docs/notify.md has the table).

Notify has no idempotency key, and a 5xx or a timeout can come after it accepted the message:
such an outcome is *unknown*, and the next attempt looks the message up by our reference
before sending (bot/notify/platform.py), so nobody gets a text twice. Reasons never carry
Notify's message verbatim where it could hold a number or an address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

import requests
from notifications_python_client.errors import APIError, InvalidResponse

from handlers.platform import DeliveryError

RATE_LIMIT_PAUSE: Final = 2.0
"""Seconds every Notify send waits after a 429 RateLimitError (Notify gives no Retry-After;
its bucket refills 50 a second, and a refused request spends a token too: no tight retry)."""
AUTH_PAUSE: Final = 60.0
"""After a 403 (a wrong or revoked key, a clock more than 30 s out): an operator must act."""
UNKNOWN: Final = "notify: outcome unknown"
REFUSED_NUMBER: Final = "Notify refused the mobile number"
REFUSED_ADDRESS: Final = "Notify refused the email address"
_PERSONAL = re.compile(r"[+\d][\d ()-]{5,}\d|\S+@\S+")


@dataclass(frozen=True)
class Verdict:
    error: DeliveryError
    pause: float = 0.0
    """Hold every Notify send (texts and emails share one rate limit) this long."""
    daily: bool = False
    """This channel's daily limit is spent: hold it (only it) until midnight UTC."""
    refused_contact: bool = False
    """Notify refused the number or address itself: it should be marked (never retried)."""
    operator: str | None = None
    """A problem an operator must fix, to log at ERROR (no personal data)."""


def safe(text: str) -> str:
    """Notify's message with anything that looks like a number or an address taken out."""
    return _PERSONAL.sub("…", text)[:200]


def first_error(exc: APIError) -> tuple[str, str]:
    """(error type, message) of Notify's error body ({"errors": [{"error", "message"}]})."""
    message: Any = exc.message
    if isinstance(message, list) and message and isinstance(message[0], dict):
        return str(message[0].get("error", "")), str(message[0].get("message", ""))
    return "", str(message)


def classify(exc: APIError) -> Verdict:
    """The verdict on a failed request (the client raises APIError for every one)."""
    status = exc.status_code
    kind, message = first_error(exc)
    if exc.response is None or isinstance(exc, InvalidResponse):
        return _no_answer(exc)
    if status == 429 and kind == "TooManyRequestsError":
        return Verdict(
            DeliveryError("Notify's daily limit reached", retryable=True, deferred=True),
            daily=True,
            operator=f"GOV.UK Notify daily limit reached: {safe(message)}",
        )
    if status == 429:
        return Verdict(
            DeliveryError(
                "Notify rate limit (429)",
                retryable=True,
                retry_after=RATE_LIMIT_PAUSE,
                deferred=True,
            ),
            pause=RATE_LIMIT_PAUSE,
        )
    if status == 400:
        return _bad_request(kind, message)
    if status in (401, 403):
        return Verdict(
            DeliveryError(
                f"Notify refused our key ({status})", retryable=True, retry_after=AUTH_PAUSE
            ),
            pause=AUTH_PAUSE,
            operator=(
                f"GOV.UK Notify refused the API key ({status} {safe(message)}): check "
                "NOTIFY_API_KEY and that this server's clock is right"
            ),
        )
    if status >= 500:
        return Verdict(DeliveryError(f"{UNKNOWN} ({status})", retryable=True))
    return Verdict(DeliveryError(f"Notify answered {status}: {safe(message)}", retryable=False))


def _bad_request(kind: str, message: str) -> Verdict:
    lowered = message.lower()
    if kind == "ValidationError" and "phone_number" in lowered:
        return Verdict(DeliveryError(REFUSED_NUMBER, retryable=False), refused_contact=True)
    if kind == "ValidationError" and "email_address" in lowered:
        return Verdict(DeliveryError(REFUSED_ADDRESS, retryable=False), refused_contact=True)
    reason = f"Notify refused the message: {safe(message)}"
    return Verdict(DeliveryError(reason, retryable=False), operator=reason)


def _no_answer(exc: APIError) -> Verdict:
    """No answer at all: a refused or timed-out connection was never a send; anything else
    (a read timeout, a dropped connection) may have been."""
    cause = exc.__cause__
    if isinstance(cause, requests.ConnectTimeout) or (
        isinstance(cause, requests.ConnectionError) and "NewConnectionError" in repr(cause.args[:1])
    ):
        return Verdict(DeliveryError("Notify could not be reached", retryable=True))
    return Verdict(DeliveryError(f"{UNKNOWN} (no answer)", retryable=True))
