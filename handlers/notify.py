"""The notifier: handlers say who should hear what; the outbox row commits with the change.

Nothing is sent from here. The dispatcher delivers later, paced and retried, so a crash between
a decision and its notification can never lose the notification or send it twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from handlers.config import OrgConfig
from messages.view import Reply, reply_to_payload
from store.uow import UnitOfWork


class Notifier:
    def __init__(self, uow: UnitOfWork, config: OrgConfig, now: datetime) -> None:
        self._uow = uow
        self._config = config
        self._now = now

    def to_person(
        self,
        staff_id: int,
        reply: Reply,
        key: str,
        *,
        urgent: bool = False,
        not_before: datetime | None = None,
    ) -> bool:
        """Queue `reply` for one person; `key` makes it once-only (e.g. "IDEA-1:approved:42")."""
        return self._uow.outbox.enqueue(
            dedupe_key=f"{key}>p{staff_id}",
            payload={"reply": reply_to_payload(reply)},
            now=self._now,
            recipient_id=staff_id,
            urgent=urgent,
            not_before=not_before,
        )

    def to_people(
        self,
        staff_ids: Iterable[int],
        reply: Reply,
        key: str,
        *,
        urgent: bool = False,
        not_before: datetime | None = None,
    ) -> int:
        return sum(
            self.to_person(i, reply, key, urgent=urgent, not_before=not_before)
            for i in dict.fromkeys(staff_ids)
        )

    def to_channel(
        self,
        channel: str,
        reply: Reply,
        key: str,
        *,
        urgent: bool = False,
        not_before: datetime | None = None,
    ) -> bool:
        """Queue a post to a configured channel (by its config key, e.g. "ideas_panel")."""
        if channel not in self._config.channels:
            raise KeyError(f"channel {channel!r} is not configured")
        return self._uow.outbox.enqueue(
            dedupe_key=f"{key}>c{channel}",
            payload={"reply": reply_to_payload(reply)},
            now=self._now,
            channel=channel,
            urgent=urgent,
            not_before=not_before,
        )
