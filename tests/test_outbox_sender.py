"""The outbox sender (handlers/outbox/) on the real store, driven through the harness."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.outbox.enqueue import Enqueuer
from handlers.outbox.sender import OutboxSender
from handlers.platform import ChannelTarget, DeliveryError, MessageHandle
from messages.view import Reply
from store.models import OutboxMessage
from tests.fakes import FakePlatform
from tests.harness import ALEX, Harness

LEASE = timedelta(minutes=2)


def _rows(hub: Harness) -> list[OutboxMessage]:
    """The outbox as committed, detached so it can be read after the unit of work ends."""
    with hub.app.uow_factory() as uow:
        rows = list(uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        uow.session.expunge_all()
        return rows


def _only_row(hub: Harness) -> OutboxMessage:
    rows = _rows(hub)
    assert len(rows) == 1, rows
    return rows[0]


def _queue_for(hub: Harness, email: str, key: str = "test:hello") -> int:
    """Queue a direct message to `email` the way handlers do: a Enqueuer in a unit of work."""
    with hub.app.uow_factory() as uow:
        person = uow.staff.by_email(email)
        assert person is not None
        enqueuer = Enqueuer(uow, hub.app.config, hub.clock.now())
        enqueuer.to_person(person.id, Reply(summary=f"Hello {person.display_name}"), key)
        uow.commit()
        return person.id


def _sender(
    hub: Harness,
    *platforms: FakePlatform,
    worker: str = "w1",
    max_attempts: int = 8,
    lease: timedelta = LEASE,
) -> OutboxSender:
    """Another sender instance on the same database (as a second clock process would be)."""
    return OutboxSender(
        hub.app.uow_factory,
        list(platforms) or [hub.platform],
        hub.app.config,
        hub.clock,
        worker=worker,
        max_attempts=max_attempts,
        lease=lease,
    )


def test_delivery_marks_the_row_sent_with_platform_and_handle(hub: Harness) -> None:
    """A delivered message records where it went and how to find it again (to edit it later)."""
    hub.submit_idea()
    report = hub.deliver()

    assert (report.claimed, report.sent, report.retried, report.dead) == (1, 1, 0, 0)
    assert [s.to for s in hub.platform.sent] == ["#ideas_panel"]
    row = _only_row(hub)
    assert row.status == "sent"
    assert row.platform == "fake"
    assert row.platform_ref == {"to": "#ideas_panel", "n": "1"}
    assert row.sent_at == hub.clock.now()
    assert (row.attempts, row.claimed_by, row.claimed_until, row.last_error) == (
        1,
        None,
        None,
        None,
    )

    assert hub.deliver().claimed == 0
    assert len(hub.platform.sent) == 1, "a sent message must never be sent again"


def test_direct_message_reaches_the_person(hub: Harness) -> None:
    """A Enqueuer message to a person is delivered to that person and no one else."""
    _queue_for(hub, ALEX)
    assert hub.deliver().sent == 1
    assert [r.summary for r in hub.platform.to(ALEX)] == ["Hello Alex Morgan"]
    assert _only_row(hub).platform_ref == {"to": ALEX, "n": "1"}


def test_retryable_error_honours_retry_after(hub: Harness) -> None:
    """A rate limit says when to come back: the row waits exactly that long, then goes."""
    hub.submit_idea()
    hub.platform.failures.append(DeliveryError("rate limited", retryable=True, retry_after=30))
    start = hub.clock.now()

    report = hub.deliver()
    assert (report.claimed, report.sent, report.retried) == (1, 0, 1)
    row = _only_row(hub)
    assert row.status == "pending"
    assert row.attempts == 1
    assert row.last_error == "rate limited"
    assert row.next_attempt_at == start + timedelta(seconds=30)
    assert (row.claimed_by, row.claimed_until) == (None, None)

    hub.clock.advance(timedelta(seconds=29))
    assert hub.deliver().claimed == 0
    assert hub.platform.sent == []

    hub.clock.advance(timedelta(seconds=1))
    assert hub.deliver().sent == 1
    row = _only_row(hub)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 2, start + timedelta(seconds=30))
    assert len(hub.platform.sent) == 1


def test_retryable_error_without_retry_after_backs_off(hub: Harness) -> None:
    """Without a hint the first retry is scheduled by jittered backoff: later, but soon."""
    hub.submit_idea()
    hub.platform.failures.append(DeliveryError("timeout", retryable=True))
    start = hub.clock.now()

    assert hub.deliver().retried == 1
    row = _only_row(hub)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "timeout")
    assert start < row.next_attempt_at <= start + timedelta(seconds=5)

    hub.clock.advance(timedelta(seconds=5))
    assert hub.deliver().sent == 1


def test_message_is_dead_lettered_after_max_attempts(hub: Harness) -> None:
    """A message that keeps failing ends as a dead letter with its reason, never dropped."""
    hub.submit_idea()
    sender = _sender(hub, worker="w1", max_attempts=3)
    for n in range(3):
        hub.platform.failures.append(
            DeliveryError(f"server error {n}", retryable=True, retry_after=10)
        )

    reports = []
    for _ in range(3):
        reports.append(sender.run_once())
        hub.clock.advance(timedelta(seconds=10))
    assert [(r.retried, r.dead) for r in reports] == [(1, 0), (1, 0), (0, 1)]

    row = _only_row(hub)
    assert (row.status, row.attempts, row.last_error) == ("dead", 3, "server error 2")
    assert row.payload["reply"]["summary"].startswith("New bright idea")

    hub.clock.advance(timedelta(days=1))
    assert sender.run_once().claimed == 0
    assert hub.platform.sent == []
    with hub.app.uow_factory() as uow:
        assert [m.id for m in uow.outbox.dead_letters()] == [row.id]


def test_non_retryable_error_marks_failed(hub: Harness) -> None:
    """A permanent refusal (archived channel) is recorded at once, not retried for hours."""
    hub.submit_idea()
    hub.platform.failures.append(DeliveryError("channel is archived", retryable=False))

    report = hub.deliver()
    assert (report.sent, report.retried, report.unreachable) == (0, 0, 1)
    row = _only_row(hub)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "channel is archived")

    hub.clock.advance(timedelta(days=1))
    assert hub.deliver().claimed == 0
    assert hub.platform.sent == []


def test_person_unreachable_on_every_platform_fails_with_a_reason(hub: Harness) -> None:
    """Someone with no Slack or Teams identity gets a failed row saying why, not a retry loop."""
    _queue_for(hub, ALEX)
    slack = FakePlatform(name="slack", unreachable={ALEX})
    teams = FakePlatform(name="teams", unreachable={ALEX})

    report = _sender(hub, slack, teams, worker="w1").run_once()
    assert (report.claimed, report.sent, report.unreachable) == (1, 0, 1)
    row = _only_row(hub)
    assert row.status == "failed"
    assert row.last_error == "no connected platform can reach this person"
    assert slack.sent == [] and teams.sent == []


def test_person_is_reached_on_the_first_platform_that_can(hub: Harness) -> None:
    """With two platforms the message goes through the one that knows the person."""
    _queue_for(hub, ALEX)
    slack = FakePlatform(name="slack", unreachable={ALEX})
    teams = FakePlatform(name="teams")

    assert _sender(hub, slack, teams, worker="w1").run_once().sent == 1
    assert slack.sent == []
    assert [r.summary for r in teams.to(ALEX)] == ["Hello Alex Morgan"]
    assert _only_row(hub).platform == "teams"


def test_recipient_who_left_fails_with_a_reason(hub: Harness) -> None:
    """A message to someone deactivated since it was queued is not sent to them."""
    staff_id = _queue_for(hub, ALEX)
    with hub.app.uow_factory() as uow:
        person = uow.staff.get(staff_id)
        assert person is not None
        person.active = False
        uow.commit()

    assert hub.deliver().unreachable == 1
    row = _only_row(hub)
    assert (row.status, row.last_error) == ("failed", "recipient is no longer in the directory")
    assert hub.platform.sent == []


def test_unconfigured_channel_fails_with_a_reason(hub: Harness) -> None:
    """A channel removed from the config leaves a failed row naming it."""
    with hub.app.uow_factory() as uow:
        uow.outbox.enqueue(
            dedupe_key="orphan",
            payload={"reply": {"summary": "hello"}},
            now=hub.clock.now(),
            channel="no_such_channel",
        )
        uow.commit()
    assert hub.deliver().unreachable == 1
    row = _only_row(hub)
    assert row.status == "failed"
    assert row.last_error == "channel 'no_such_channel' is not configured"


@dataclass
class CrashingPlatform(FakePlatform):
    """An adapter with a bug: it raises something other than DeliveryError the first time."""

    crashes: int = 1

    def post_to_channel(self, channel: ChannelTarget, reply: Reply) -> MessageHandle:
        if self.crashes:
            self.crashes -= 1
            raise KeyError("slack_id")
        return super().post_to_channel(channel, reply)


def test_unexpected_adapter_exception_is_retried_not_lost(
    hub: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """An adapter bug must not lose the message or kill the sender: log it and retry."""
    hub.submit_idea()
    platform = CrashingPlatform(name="buggy")
    sender = _sender(hub, platform, worker="w1")

    with caplog.at_level(logging.ERROR, logger="handlers.outbox.sender"):
        report = sender.run_once()
    assert (report.claimed, report.sent, report.retried) == (1, 0, 1)
    assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)
    row = _only_row(hub)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "unexpected KeyError")

    hub.clock.advance(timedelta(seconds=5))
    assert sender.run_once().sent == 1
    assert [s.to for s in platform.sent] == ["#ideas_panel"]
    assert _only_row(hub).status == "sent"


def test_sender_without_platforms_claims_nothing(hub: Harness) -> None:
    """With no chat platform connected, messages wait in the outbox untouched (not leased)."""
    hub.submit_idea()
    report = OutboxSender(hub.app.uow_factory, [], hub.app.config, hub.clock).run_once()
    assert report.claimed == 0
    row = _only_row(hub)
    assert (row.status, row.attempts, row.claimed_by) == ("pending", 0, None)
    assert hub.deliver().sent == 1, "still deliverable once a platform is connected"


def test_dead_workers_claim_is_delivered_after_the_lease_expires(hub: Harness) -> None:
    """A sender that died mid-send leaves its rows leased; another instance leaves them
    alone until the lease runs out, then delivers them."""
    hub.submit_idea()
    with hub.app.uow_factory() as uow:
        claimed = uow.outbox.claim_due(hub.clock.now(), "dead-worker", 10, LEASE)
        assert len(claimed) == 1
        uow.commit()
    leased_until = hub.clock.now() + LEASE
    rescuer = _sender(hub, worker="rescuer", lease=LEASE)

    assert rescuer.run_once().claimed == 0
    hub.clock.advance(LEASE)
    assert rescuer.run_once().claimed == 0, "a lease is good up to and including its end"
    assert hub.platform.sent == []
    row = _only_row(hub)
    assert (row.status, row.claimed_by, row.claimed_until) == (
        "sending",
        "dead-worker",
        leased_until,
    )

    hub.clock.advance(timedelta(seconds=1))
    report = rescuer.run_once()
    assert (report.claimed, report.sent) == (1, 1)
    assert [s.to for s in hub.platform.sent] == ["#ideas_panel"]
    row = _only_row(hub)
    assert (row.status, row.platform, row.claimed_by) == ("sent", "fake", None)

    revived = _sender(hub, worker="dead-worker")
    assert revived.run_once().claimed == 0
    assert len(hub.platform.sent) == 1


def test_a_message_that_keeps_killing_its_sender_is_dead_lettered(hub: Harness) -> None:
    """Attempts are counted when claimed, so a send that crashes its worker cannot loop forever."""
    hub.submit_idea()
    lease = timedelta(minutes=2)
    for _ in range(3):  # three workers each claim it and die mid-send
        with hub.app.uow_factory() as uow:
            assert len(uow.outbox.claim_due(hub.clock.now(), "doomed", 10, lease)) == 1
            uow.commit()
        hub.clock.advance(lease + timedelta(seconds=1))
    survivor = OutboxSender(
        hub.app.uow_factory, [hub.platform], hub.app.config, hub.clock, max_attempts=3
    )
    report = survivor.run_once()
    row = _only_row(hub)
    assert (report.dead, row.status, row.attempts) == (1, "dead", 4)
    assert row.last_error == "the sender stopped while sending"
    assert hub.platform.sent == []
