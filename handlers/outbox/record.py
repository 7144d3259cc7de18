"""Writing finished jobs' outcomes back to their rows, in small groups while a batch is still
sending: a send is only safe from being repeated once its row says "sent", so the groups keep
what a killed sender can send twice small."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from handlers.clock import Clock
from handlers.outbox.claim import Job
from handlers.outbox.outcome import Kind, Outcome
from handlers.outbox.report import SendReport
from store.uow import UnitOfWork

log = logging.getLogger(__name__)

ERROR_LENGTH = 500
"""The outbox's last_error column holds this much of a reason."""


def columns(job: Job, outcome: Outcome, now: datetime) -> dict[str, Any]:
    """The columns to write for one finished job (with its "id" and "claim"): the lease is
    let go, and the row says what `outcome` decided."""
    done: dict[str, Any] = {
        "id": job.id,
        "claim": job.claim,
        "claimed_by": None,
        "claimed_until": None,
        "claim_token": None,
    }
    if outcome.kind is Kind.SENT:
        done.update(status="sent", sent_at=now, platform=job.platform)
        done["platform_ref"] = dict(job.handle)
        return done
    done["last_error"] = (outcome.error or "")[:ERROR_LENGTH]
    if outcome.kind is Kind.DEAD:
        done["status"] = "dead"
    elif outcome.kind is Kind.UNREACHABLE:
        done["status"] = "failed"
    else:  # RETRY and DEFERRED: pending again after the wait
        done["status"] = "pending"
        done["next_attempt_at"] = now + timedelta(seconds=outcome.wait or 0.0)
    if outcome.attempts is not None:
        done["attempts"] = outcome.attempts
    return done


def write_outcomes(
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    worker: str,
    jobs: Sequence[Job],
    report: SendReport,
) -> None:
    """Record outcomes in one transaction, only for rows still held by the claim that took
    them (a row whose lease ran out may since have been claimed by another sender, or again
    by this one), counting them in `report`. An outcome whose claim was lost is dropped,
    counted and logged: the row is the new claim's to send and record, so nothing is lost,
    and what was sent under the old claim may be sent again, as any expired lease allows.
    Plain UPDATEs by id, one executemany per kind of outcome: loading each row (and its
    payload) back through the ORM cost more than sending it did."""
    with uow_factory() as uow:
        mine = uow.outbox.still_claimed([(job.id, job.claim) for job in jobs], worker)
        outcomes = []
        lost: list[Job] = []
        for job in jobs:
            if job.id not in mine:
                lost.append(job)
                continue
            assert job.outcome is not None, "a job is recorded only once finished"
            outcomes.append(columns(job, job.outcome, clock.now()))
            report.count(job.outcome)
            _log(job, job.outcome)
        uow.outbox.record(outcomes, worker)
        uow.commit()
    if lost:
        report.lost += len(lost)
        log.warning(
            "outbox: %s outcomes dropped, their claim was lost (lease ran out and the rows were "
            "claimed again): messages %s",
            len(lost),
            ", ".join(str(job.id) for job in lost[:20]) + (" …" if len(lost) > 20 else ""),
        )


def _log(job: Job, outcome: Outcome) -> None:
    if outcome.kind is Kind.UNREACHABLE:
        log.warning("outbox message %s undeliverable: %s", job.id, outcome.error)
    elif outcome.kind is Kind.DEAD and job.failure is not None:  # not a worn-out claim
        log.error(
            "outbox message %s dead after %s attempts: %s", job.id, job.attempts, outcome.error
        )


class Recorder:
    """Collects finished jobs and writes them in groups: after `every` successful sends or
    `seconds`, whichever comes first, and at the end of the batch."""

    def __init__(self, write: Callable[[list[Job]], None], every: int, seconds: float) -> None:
        self._write = write
        self._every = every
        self._seconds = seconds
        self._finished: list[Job] = []
        self._sent = 0
        self._since = time.monotonic()

    def done(self, job: Job) -> None:
        self._finished.append(job)
        if job.outcome is not None and job.outcome.kind is Kind.SENT:
            self._sent += 1
        self.maybe_flush()

    def maybe_flush(self) -> None:
        due = time.monotonic() - self._since >= self._seconds
        if self._sent >= self._every or (self._sent and due):
            self.flush()

    def flush(self) -> None:
        if self._finished:
            self._write(self._finished)
        self._finished = []
        self._sent = 0
        self._since = time.monotonic()
