"""The outbox's rules as plain functions, no database or platform: what becomes of a claimed
message (handlers/outbox/outcome.py), how long a retry waits (handlers/outbox/backoff.py), and
what is written and counted for it (handlers/outbox/record.py, handlers/outbox/report.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handlers.outbox.backoff import BASE_SECONDS, CAP_SECONDS, backoff
from handlers.outbox.claim import Job
from handlers.outbox.outcome import (
    DEFERRAL_SECONDS,
    STOPPED_WHILE_SENDING,
    Kind,
    Outcome,
    classify,
    worn_out,
)
from handlers.outbox.record import ERROR_LENGTH, columns
from handlers.outbox.report import SendReport
from handlers.platform import DeliveryError

MAX = 8
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _retryable(reason: str = "server error", retry_after: float | None = None) -> DeliveryError:
    return DeliveryError(reason, retryable=True, retry_after=retry_after)


def _deferred(retry_after: float | None = None) -> DeliveryError:
    return DeliveryError("budget spent", retryable=True, retry_after=retry_after, deferred=True)


def _classify(failure: DeliveryError | None, attempts: int, draw: float = 0.5) -> Outcome:
    return classify(failure, attempts, MAX, last_error=None, draw=draw)


def test_a_message_without_a_failure_is_sent() -> None:
    assert _classify(None, 1) == Outcome(Kind.SENT)
    assert _classify(None, MAX).kind is Kind.SENT, "the last allowed attempt may succeed"


def test_a_retryable_failure_is_dead_lettered_at_max_attempts_with_its_reason() -> None:
    assert _classify(_retryable("boom"), MAX - 1).kind is Kind.RETRY
    dead = _classify(_retryable("boom"), MAX)
    assert (dead.kind, dead.error, dead.wait) == (Kind.DEAD, "boom", None)


def test_a_deferral_gives_its_attempt_back_even_at_max_attempts() -> None:
    """A deferred message was never attempted: it must not move closer to the dead letters."""
    deferred = _classify(_deferred(retry_after=3), MAX)
    assert (deferred.kind, deferred.attempts, deferred.wait) == (Kind.DEFERRED, MAX - 1, 3)
    assert _classify(_deferred(), 0).attempts == 0, "never below zero"
    assert _classify(_deferred(), 2).wait == DEFERRAL_SECONDS


def test_retry_after_is_honoured_over_the_backoff() -> None:
    for draw in (0.0, 0.5, 0.99):
        assert _classify(_retryable(retry_after=30), 1, draw).wait == 30
    assert _classify(_retryable(retry_after=0), 5).wait == 0, "0 s is a hint too"


def test_a_retry_without_retry_after_backs_off_with_the_draw() -> None:
    retry = _classify(_retryable(), 3, draw=0.5)
    assert (retry.kind, retry.wait) == (Kind.RETRY, backoff(3, 0.5))
    assert retry.attempts is None, "a real attempt stays counted"


def test_a_permanent_refusal_is_unreachable_at_once_not_retried() -> None:
    refused = DeliveryError("channel is archived", retryable=False)
    assert _classify(refused, 1) == Outcome(Kind.UNREACHABLE, error="channel is archived")
    assert _classify(refused, MAX).kind is Kind.UNREACHABLE, "not a dead letter: it never could"


def test_a_worn_out_claim_is_dead_lettered_without_a_try() -> None:
    """Claimed beyond max_attempts: earlier workers died sending it."""
    assert not worn_out(MAX, MAX) and worn_out(MAX + 1, MAX)
    found = classify(None, MAX + 1, MAX, last_error=None, draw=0.5)
    assert found == Outcome(Kind.DEAD, error=STOPPED_WHILE_SENDING)
    kept = classify(None, MAX + 1, MAX, last_error="timeout", draw=0.5)
    assert kept.error == "timeout", "the last known reason is kept"


@pytest.mark.parametrize("attempt", [1, 2, 3, 5, 10, 11, 20, 60])
def test_backoff_is_jittered_between_zero_and_its_ceiling(attempt: int) -> None:
    ceiling = min(CAP_SECONDS, BASE_SECONDS * 2 ** (attempt - 1))
    waits = [backoff(attempt, draw) for draw in (0.0, 0.25, 0.5, 0.999999, 1.0)]
    assert all(0.0 <= wait <= ceiling for wait in waits)
    assert waits[0] == 0.0 and waits[-1] == ceiling
    assert waits[2] == pytest.approx(ceiling / 2), "the draw spreads the wait, not a fixed delay"


def test_backoff_doubles_per_attempt_up_to_the_cap() -> None:
    assert [backoff(n, 1.0) for n in (1, 2, 3, 4)] == [5.0, 10.0, 20.0, 40.0]
    assert backoff(11, 1.0) == CAP_SECONDS == 3600.0
    assert backoff(4, 1.0, base=1.0, cap=6.0) == 6.0


def test_backoff_refuses_a_draw_outside_zero_to_one() -> None:
    for draw in (-0.1, 1.5):
        with pytest.raises(ValueError, match="draw"):
            backoff(1, draw)


def test_columns_release_the_lease_and_record_what_the_outcome_says() -> None:
    job = Job(7, platform="slack", handle={"ts": "1.2"}, attempts=3)
    sent = columns(job, Outcome(Kind.SENT), NOW)
    assert sent == {
        "id": 7,
        "claim": "",
        "claimed_by": None,
        "claimed_until": None,
        "claim_token": None,
        "status": "sent",
        "sent_at": NOW,
        "platform": "slack",
        "platform_ref": {"ts": "1.2"},
    }
    deferred = columns(job, Outcome(Kind.DEFERRED, error="paused", wait=2.5, attempts=2), NOW)
    assert (deferred["status"], deferred["attempts"]) == ("pending", 2)
    assert deferred["next_attempt_at"] == NOW + timedelta(seconds=2.5)
    retry = columns(job, Outcome(Kind.RETRY, error="x" * 900, wait=10), NOW)
    assert "attempts" not in retry, "a real attempt is not given back"
    assert len(retry["last_error"]) == ERROR_LENGTH
    assert columns(job, Outcome(Kind.DEAD, error="gone"), NOW)["status"] == "dead"
    assert columns(job, Outcome(Kind.UNREACHABLE, error="no"), NOW)["status"] == "failed"


def test_report_counts_each_kind_and_resumes_after_the_shortest_deferral() -> None:
    report = SendReport(claimed=6)
    for outcome in (
        Outcome(Kind.SENT),
        Outcome(Kind.RETRY, wait=9),
        Outcome(Kind.DEAD),
        Outcome(Kind.UNREACHABLE),
        Outcome(Kind.DEFERRED, wait=4.0),
        Outcome(Kind.DEFERRED, wait=1.5),
    ):
        report.count(outcome)
    assert (report.sent, report.retried, report.dead, report.unreachable) == (1, 1, 1, 1)
    assert (report.deferred, report.resume_in) == (2, 1.5)
    total = SendReport(claimed=1, deferred=1, resume_in=0.5)
    total.add(report)
    assert (total.claimed, total.deferred, total.resume_in) == (7, 3, 0.5)
    assert total.progressed and not SendReport(claimed=2, deferred=2).progressed
