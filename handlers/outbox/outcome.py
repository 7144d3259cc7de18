"""What became of a claimed message, decided from plain data: sent, retry later, dead-lettered,
undeliverable, or deferred. Pure, so the rules (a deferral spends no attempt; `retry_after` is
honoured; dead after `max_attempts`) are tested without a database, a platform or a clock."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from handlers.outbox.backoff import backoff
from handlers.platform import DeliveryError

STOPPED_WHILE_SENDING = "the sender stopped while sending"
DEFERRAL_SECONDS = 1.0
"""A deferral that does not say how long waits this long."""


class Kind(Enum):
    SENT = "sent"
    RETRY = "retry"
    """Failed, may succeed later: pending again after a wait; the attempt is spent."""
    DEAD = "dead"
    """Dead-lettered with its reason: out of attempts. Never dropped silently."""
    UNREACHABLE = "unreachable"
    """A permanent refusal (no platform reaches the person, an archived channel)."""
    DEFERRED = "deferred"
    """Never attempted (a budget spent, a platform paused): waits without spending an attempt."""


@dataclass(frozen=True)
class Outcome:
    kind: Kind
    error: str | None = None
    """The reason to record (None when sent)."""
    wait: float | None = None
    """Seconds until the message may be tried again (RETRY and DEFERRED)."""
    attempts: int | None = None
    """The attempts to record when not the claim's count (a deferral gives its attempt back)."""


def worn_out(attempts: int, max_attempts: int) -> bool:
    """Claimed more often than allowed: only possible when earlier attempts died with their
    worker mid-send, so the message is dead-lettered without another try (it may be what
    keeps killing its senders)."""
    return attempts > max_attempts


def classify(
    failure: DeliveryError | None,
    attempts: int,
    max_attempts: int,
    *,
    last_error: str | None,
    draw: float,
) -> Outcome:
    """The outcome of a claimed message after its try. `attempts` counts this claim (claiming
    counts it); `last_error` is the row's, kept when a worn-out message is dead-lettered;
    `draw` (uniform in [0, 1)) jitters the backoff of a retry with no `retry_after`."""
    if worn_out(attempts, max_attempts):
        return Outcome(Kind.DEAD, error=last_error or STOPPED_WHILE_SENDING)
    if failure is None:
        return Outcome(Kind.SENT)
    if failure.deferred:
        return Outcome(
            Kind.DEFERRED,
            error=failure.reason,
            wait=failure.retry_after or DEFERRAL_SECONDS,
            attempts=max(attempts - 1, 0),
        )
    if not failure.retryable:
        return Outcome(Kind.UNREACHABLE, error=failure.reason)
    if attempts >= max_attempts:
        return Outcome(Kind.DEAD, error=failure.reason)
    wait = failure.retry_after if failure.retry_after is not None else backoff(attempts, draw)
    return Outcome(Kind.RETRY, error=failure.reason, wait=wait)
