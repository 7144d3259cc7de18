"""Retention: records kept past the configured period are flagged for an admin's review in a
weekly digest. Nothing is ever deleted by QI Hub itself: under the NHS records management code
a record's disposal is a decision people make and document, not a timer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from handlers.config import OrgConfig
from handlers.outbox.enqueue import Enqueuer
from messages.view import Fact, Facts, Heading, Reply, SmallPrint, Text
from store.models import Idea, Lesson
from store.uow import UnitOfWork

LISTED = 20
"""References listed per kind in the digest; the counts cover the rest."""


def years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


@dataclass
class PastRetention:
    counts: dict[str, int] = field(default_factory=dict)
    refs: dict[str, list[str]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def past_retention(uow: UnitOfWork, config: OrgConfig, now: datetime) -> PastRetention:
    """Lessons and ideas created before their retention period began (bounded queries)."""
    found = PastRetention()
    kinds = (
        ("lessons", Lesson, config.retention.lessons_years),
        ("ideas", Idea, config.retention.ideas_years),
    )
    for kind, model, years in kinds:
        count, refs = uow.registers.created_before(model, years_before(now, years), LISTED)
        found.counts[kind], found.refs[kind] = count, refs
    return found


def review_reply(found: PastRetention, config: OrgConfig) -> Reply:
    lines = [
        Fact(
            f"{kind.capitalize()} older than {getattr(config.retention, f'{kind}_years')} years",
            f"{count}" + (": " + ", ".join(found.refs[kind]) if found.refs[kind] else ""),
        )
        for kind, count in found.counts.items()
        if count
    ]
    return Reply(
        summary=f"Retention review: {found.total} records are past their retention period",
        blocks=(
            Heading("Records past their retention period"),
            Text(
                "These records are older than the trust's retention period. QI Hub never "
                "deletes records: review them under the records management policy and record "
                "the decision."
            ),
            Facts(tuple(lines)),
            SmallPrint(
                "Export full registers with `qihub export lessons` or `qihub export ideas`."
            ),
        ),
    )


def queue_retention_review(uow: UnitOfWork, config: OrgConfig, now: datetime) -> int:
    """DM each admin the review, at most once per ISO week (the outbox's dedupe key): safe for
    two clocks and for restarts. Returns how many messages were queued."""
    found = past_retention(uow, config, now)
    if not found.total:
        return 0
    admins = [s.id for s in uow.staff.with_role("admin") if s.active]
    year, week, _ = now.isocalendar()
    key = f"retention:{year}-W{week:02d}"
    return Enqueuer(uow, config, now).to_people(admins, review_reply(found, config), key)
