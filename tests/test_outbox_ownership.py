"""Outbox ownership: a sender whose claim lease ran out while it was sending must not record
its outcome over a row another claim holds since. Real senders on the real store (SQLite and
PostgreSQL): one pauses inside its send past the lease, another takes the row over."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.outbox.report import SendReport
from handlers.outbox.sender import OutboxSender
from handlers.platform import ChannelTarget, MessageHandle
from messages.view import Reply
from store.models import OutboxMessage
from tests.fakes import FakePlatform
from tests.harness import Harness

LEASE = timedelta(minutes=2)


@dataclass
class PausingPlatform(FakePlatform):
    """Runs `pause` inside its first send, before the send returns: the sender is stuck on the
    network (a hung request, a long GC pause) while the world moves on."""

    pause: Callable[[], None] | None = None
    handles: list[MessageHandle] = field(default_factory=list)

    def post_to_channel(self, channel: ChannelTarget, reply: Reply) -> MessageHandle:
        pause, self.pause = self.pause, None
        if pause is not None:
            pause()
        handle = {**super().post_to_channel(channel, reply), "by": self.name}
        self.handles.append(handle)
        return handle


def _sender(hub: Harness, platform: FakePlatform, worker: str) -> OutboxSender:
    return OutboxSender(
        hub.app.uow_factory, [platform], hub.app.config, hub.clock, worker=worker, lease=LEASE
    )


def _row(hub: Harness) -> OutboxMessage:
    with hub.app.uow_factory() as uow:
        rows = list(uow.session.scalars(select(OutboxMessage)))
        uow.session.expunge_all()
    assert len(rows) == 1, rows
    return rows[0]


def test_a_sender_past_its_lease_does_not_overwrite_the_new_owners_outcome(
    hub: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """The first sender stalls mid-send past its lease; the second claims the row, delivers
    it and records it. When the first one's send finally returns, its outcome is dropped
    (counted and logged by message id only): the row keeps the second's delivery."""
    hub.submit_idea()  # one message to the ideas panel's channel
    first_platform = PausingPlatform(name="first")
    second_platform = FakePlatform(name="second")
    first = _sender(hub, first_platform, "first")
    second = _sender(hub, second_platform, "second")
    taken_over: list[int] = []

    def stall_past_the_lease() -> None:
        hub.clock.advance(LEASE + timedelta(seconds=1))
        report = second.run_once()
        taken_over.append(report.sent)
        row = _row(hub)
        assert (row.status, row.platform) == ("sent", "second")

    first_platform.pause = stall_past_the_lease
    with caplog.at_level(logging.WARNING, logger="handlers.outbox.record"):
        report = first.run_once()

    assert taken_over == [1]
    assert (report.claimed, report.sent, report.lost) == (1, 0, 1)
    row = _row(hub)
    assert (row.status, row.platform, row.claimed_by, row.claim_token) == (
        "sent",
        "second",
        None,
        None,
    )
    assert row.platform_ref == {"to": "#ideas_panel", "n": "1"}, "the second's handle stands"
    assert row.attempts == 2
    # Sent twice, as an expired lease allows (the first send began inside its lease), and no
    # more: nothing is left to send.
    assert len(first_platform.sent) == len(second_platform.sent) == 1
    assert first.run_once().claimed == second.run_once().claimed == 0
    lost = [r.getMessage() for r in caplog.records if "claim was lost" in r.getMessage()]
    assert lost == [f"outbox: 1 outcomes dropped, their claim was lost (lease ran out and the "
                    f"rows were claimed again): messages {row.id}"]  # fmt: skip


def test_the_same_worker_reclaiming_a_row_does_not_let_its_old_claim_record(
    hub: Harness,
) -> None:
    """The worker name alone is not the claim: a process whose old claim ran out and that
    has claimed the row again (a restarted process reusing its name, a second sender in it)
    holds a new claim token, and only that claim records. The old claim's late "sent" is
    dropped while the new claim is still sending; the new claim then records its own."""
    hub.submit_idea()
    old_paused, old_go = threading.Event(), threading.Event()
    new_sending, new_go = threading.Event(), threading.Event()

    def hold(paused: threading.Event, go: threading.Event) -> Callable[[], None]:
        def pause() -> None:
            paused.set()
            assert go.wait(10)

        return pause

    old_platform = PausingPlatform(name="old", pause=hold(old_paused, old_go))
    new_platform = PausingPlatform(name="new", pause=hold(new_sending, new_go))
    reports: dict[str, SendReport] = {}

    def run(name: str, platform: FakePlatform) -> None:
        reports[name] = _sender(hub, platform, "w1").run_once()

    old = threading.Thread(target=run, args=("old", old_platform))
    new = threading.Thread(target=run, args=("new", new_platform))
    old.start()
    assert old_paused.wait(10)
    hub.clock.advance(LEASE + timedelta(seconds=1))
    new.start()
    assert new_sending.wait(10)  # the row is claimed again, by "w1", and is being sent
    old_go.set()
    old.join(10)
    assert (reports["old"].sent, reports["old"].lost) == (0, 1)
    row = _row(hub)
    assert (row.status, row.claimed_by, row.platform) == ("sending", "w1", None)
    new_go.set()
    new.join(10)
    assert (reports["new"].sent, reports["new"].lost) == (1, 0)
    row = _row(hub)
    assert (row.status, row.platform, row.platform_ref, row.claim_token) == (
        "sent",
        "new",
        {"to": "#ideas_panel", "n": "1", "by": "new"},
        None,
    )
