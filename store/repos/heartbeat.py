"""Heartbeat queries: the clock notes each tick; the web raises and clears an outage once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from store.models.lease import Heartbeat
from store.repos.dialect import insert_for


class HeartbeatRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def beat(self, name: str, holder: str, now: datetime) -> None:
        """Note a tick of `name` by `holder` at `now` (an outage being reported stays noted
        until the web process has said the clock is back)."""
        self.session.execute(
            insert_for(self.session, Heartbeat)
            .values(name=name, holder=holder[:128], beat_at=now)
            .on_conflict_do_update(
                index_elements=["name"], set_={"holder": holder[:128], "beat_at": now}
            )
        )

    def get(self, name: str) -> Heartbeat | None:
        return self.session.get(Heartbeat, name)

    def raise_alarm(self, name: str, stale_before: datetime, now: datetime) -> bool:
        """Mark an outage of `name` as reported at `now` if no tick came after `stale_before`
        and none is reported yet. True for the one caller that marked it (several web
        processes may check at once; only one tells the admins)."""
        result = self.session.execute(
            update(Heartbeat)
            .where(
                Heartbeat.name == name,
                Heartbeat.alarm_since.is_(None),
                or_(Heartbeat.beat_at.is_(None), Heartbeat.beat_at <= stale_before),
            )
            .values(alarm_since=now)
        )
        if int(getattr(result, "rowcount", 0) or 0):
            return True
        made = self.session.execute(  # no clock has ever ticked: the row notes the outage
            insert_for(self.session, Heartbeat)
            .values(name=name, holder="", beat_at=None, alarm_since=now)
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(Heartbeat.name)
        )
        return made.first() is not None

    def clear_alarm(self, name: str, ticked_since: datetime) -> datetime | None:
        """End the reported outage of `name` if it has ticked since `ticked_since`: returns
        when the outage was reported, to the one caller that ended it (None otherwise)."""
        found = self.session.scalar(
            select(Heartbeat.alarm_since).where(
                Heartbeat.name == name,
                Heartbeat.alarm_since.is_not(None),
                Heartbeat.beat_at > ticked_since,
            )
        )
        if found is None:
            return None
        result = self.session.execute(
            update(Heartbeat)
            .where(Heartbeat.name == name, Heartbeat.alarm_since == found)
            .values(alarm_since=None)
        )
        return found if int(getattr(result, "rowcount", 0) or 0) else None
