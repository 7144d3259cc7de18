"""The clock's heartbeat. Reminders, critical alerts' re-notifications and deadlines, and
digests all come from the leading clock's ticks; a clock that stops does so without a word.
So the clock notes each tick, and the web process watches: after five minutes without one
it tells the admins in chat (once per outage, and again when the clock is back), /healthz
says "degraded" and /metrics shows how long it has been."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.calendar import WorkingCalendar
from handlers.config import OrgConfig
from handlers.outbox.enqueue import Enqueuer
from messages.view import Heading, Notice, Reply, SmallPrint, Text
from store.uow import UnitOfWork

CLOCK_BEAT = "clock"
"""The heartbeat row the leading `qihub clock` writes on every reminder tick."""
STOPPED_AFTER = timedelta(minutes=5)
"""No tick for this long and the clock counts as stopped (it ticks every minute)."""


@dataclass(frozen=True)
class ClockHealth:
    last_tick: datetime | None
    """None: no clock has ticked since this database was made (or upgraded)."""
    age: timedelta
    """Since the last tick; with none seen, since the watcher started watching."""

    @property
    def stopped(self) -> bool:
        return self.age >= STOPPED_AFTER


def clock_health(
    last_tick: datetime | None, now: datetime, watching_since: datetime
) -> ClockHealth:
    """How the clock looks at `now` to a watcher that started at `watching_since` (a web
    process just started does not call a clock stopped that it has not had time to see)."""
    since = last_tick if last_tick is not None else min(watching_since, now)
    return ClockHealth(last_tick, max(now - since, timedelta(0)))


def beat(uow: UnitOfWork, holder: str, now: datetime) -> None:
    """Note a tick of the leading clock (in the tick's own transaction: a tick that fails
    does not count as one)."""
    uow.heartbeats.beat(CLOCK_BEAT, holder, now)


def watch_clock(
    uow: UnitOfWork, config: OrgConfig, now: datetime, watching_since: datetime
) -> str | None:
    """Tell the admins when the clock has stopped, and when it is back: once each per outage,
    whichever web process looks first. Returns "stopped", "back" or None (nothing queued)."""
    found = uow.heartbeats.get(CLOCK_BEAT)
    health = clock_health(found.beat_at if found else None, now, watching_since)
    admins = [s.id for s in uow.staff.with_role("admin") if s.active]
    calendar = WorkingCalendar(config)
    if health.stopped:
        if not uow.heartbeats.raise_alarm(CLOCK_BEAT, now - STOPPED_AFTER, now):
            return None
        reply = stopped_reply(health, calendar)
        Enqueuer(uow, config, now).to_people(
            admins, reply, f"clock:stopped:{now.isoformat()}", urgent=True
        )
        return "stopped"
    raised = uow.heartbeats.clear_alarm(CLOCK_BEAT, now - STOPPED_AFTER)
    if raised is None:
        return None
    reply = back_reply(health, calendar)
    Enqueuer(uow, config, now).to_people(
        admins, reply, f"clock:back:{raised.isoformat()}", urgent=True
    )
    return "back"


WHAT_STOPS = (
    "Until it runs again QI Hub sends no reminders of any kind: critical alerts are not sent "
    "again to people who have not acknowledged them, line managers are not told when an "
    "alert's deadline passes, and action reminders, escalations and committee digests do not "
    "go out. People can still use QI Hub, and messages it sends straight away still arrive."
)


def _when(moment: datetime | None, calendar: WorkingCalendar) -> str:
    if moment is None:
        return "since QI Hub's web service started"
    return "since " + calendar.local(moment).strftime("%H:%M on %a %d %b")


def stopped_reply(health: ClockHealth, calendar: WorkingCalendar) -> Reply:
    minutes = int(health.age.total_seconds() // 60)
    said = f"QI Hub's clock has stopped: it has not ticked {_when(health.last_tick, calendar)}"
    return Reply(
        summary=f"{said} ({minutes} minutes). Reminders and alert follow-ups are not going out.",
        blocks=(
            Heading("QI Hub's clock has stopped"),
            Notice(f"{said} ({minutes} minutes).", "error"),
            Text(WHAT_STOPS),
            Text(
                "Please ask whoever runs QI Hub's servers to restart the `qihub clock` "
                "process. You will get a message here when it is running again."
            ),
            SmallPrint("Sent to QI Hub admins. Operators: docs/operations.md, the clock."),
        ),
    )


def back_reply(health: ClockHealth, calendar: WorkingCalendar) -> Reply:
    text = (
        "QI Hub's clock is running again. Reminders that fell due while it was stopped go out "
        "now, each once (the latest one due, not one for every minute missed)."
    )
    return Reply(
        summary=text,
        blocks=(Heading("QI Hub's clock is running again"), Notice(text, "success")),
    )
