"""What one batch (or a run of batches) of the outbox sender did, counted by outcome."""

from __future__ import annotations

from dataclasses import dataclass, fields

from handlers.outbox.outcome import Kind, Outcome


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    unreachable: int = 0
    deferred: int = 0
    lost: int = 0
    """Outcomes not recorded because the claim was lost: the lease ran out and the row was
    claimed again (the new claim sends and records it)."""
    resume_in: float | None = None
    """The shortest wait among this batch's deferrals (seconds): a caller looping while work
    is due sleeps this long after a batch that only deferred, instead of claiming (and
    deferring again) the rest of the queue while a platform is paused."""

    def count(self, outcome: Outcome) -> None:
        """Count one recorded outcome."""
        if outcome.kind is Kind.SENT:
            self.sent += 1
        elif outcome.kind is Kind.RETRY:
            self.retried += 1
        elif outcome.kind is Kind.DEAD:
            self.dead += 1
        elif outcome.kind is Kind.UNREACHABLE:
            self.unreachable += 1
        else:
            self.deferred += 1
            self._resume_by(outcome.wait)

    def add(self, other: SendReport) -> None:
        for item in fields(self):
            if item.name != "resume_in":
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))
        self._resume_by(other.resume_in)

    def _resume_by(self, wait: float | None) -> None:
        if wait is not None:
            self.resume_in = wait if self.resume_in is None else min(self.resume_in, wait)

    @property
    def progressed(self) -> bool:
        """Something other than a deferral happened: more work may be due right away."""
        return self.claimed > self.deferred
