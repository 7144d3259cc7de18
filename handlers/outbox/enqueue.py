"""The enqueuer: handlers say who should hear what; the outbox row commits with the change.

Nothing is sent from here. The sender delivers later, paced and retried, so a crash between
a decision and its notification can never lose the notification or send it twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from handlers.config import OrgConfig
from handlers.seals import KEY_ROW, seal_reply
from messages.view import Reply, reply_to_payload
from store.uow import UnitOfWork


class Enqueuer:
    def __init__(
        self, uow: UnitOfWork, config: OrgConfig, now: datetime, seal_key: bytes | None = None
    ) -> None:
        self._uow = uow
        self._config = config
        self._now = now
        self._seal_key = seal_key
        self.fresh_cards: set[str] = set()
        """Dedupe keys of the cards queued in this unit of work: drawn after the change, so
        already current (handlers/cards.py leaves them alone)."""

    def payload(self, reply: Reply, **extra: Any) -> dict[str, Any]:
        """The outbox payload for `reply`, its buttons sealed (handlers.seals): every message
        QI Hub sends is drawn here, so every button in one verifies when it is pressed."""
        if self._seal_key is None:
            self._seal_key = self._uow.secrets.get_or_make(KEY_ROW, self._now).encode()
        return {"reply": reply_to_payload(seal_reply(self._seal_key, reply)), **extra}

    def rows(
        self,
        reply: Reply,
        key: str,
        *,
        people: Iterable[int] = (),
        channels: Iterable[str] = (),
        urgent: bool = False,
        not_before: datetime | None = None,
        card: str | None = None,
    ) -> list[dict[str, Any]]:
        """Outbox rows for `reply` to each person and channel; `key` makes each once-only
        (e.g. "idea:IDEA-2026-0001:approved" becomes one row per recipient). `card` names the
        record the message shows ("action:ACT-2026-0003"): it is then updated in place when
        that record changes (handlers/cards.py)."""
        payload = self.payload(reply)
        common = {"payload": payload, "urgent": urgent, "not_before": not_before, "card": card}
        out = [
            {**common, "dedupe_key": f"{key}>p{staff_id}", "recipient_id": staff_id}
            for staff_id in dict.fromkeys(people)
        ]
        for channel in dict.fromkeys(channels):
            if channel not in self._config.channels:
                raise KeyError(f"channel {channel!r} is not configured")
            out.append({**common, "dedupe_key": f"{key}>c{channel}", "channel": channel})
        return out

    def queue(self, rows: list[dict[str, Any]]) -> int:
        """Queue rows built by `rows()` (many at once: a tick's reminders share one insert)."""
        self.fresh_cards.update(r["dedupe_key"][:200] for r in rows if r.get("card"))
        return self._uow.outbox.enqueue_many(rows, self._now) if rows else 0

    def to_person(
        self,
        staff_id: int,
        reply: Reply,
        key: str,
        *,
        urgent: bool = False,
        not_before: datetime | None = None,
        card: str | None = None,
    ) -> bool:
        return bool(
            self.to_people([staff_id], reply, key, urgent=urgent, not_before=not_before, card=card)
        )

    def to_people(
        self,
        staff_ids: Iterable[int],
        reply: Reply,
        key: str,
        *,
        urgent: bool = False,
        not_before: datetime | None = None,
        card: str | None = None,
    ) -> int:
        return self.queue(
            self.rows(reply, key, people=staff_ids, urgent=urgent, not_before=not_before, card=card)
        )

    def to_channel(
        self,
        channel: str,
        reply: Reply,
        key: str,
        *,
        urgent: bool = False,
        not_before: datetime | None = None,
        card: str | None = None,
    ) -> bool:
        """Queue a post to a configured channel (by its config key, e.g. "ideas_panel")."""
        rows = self.rows(
            reply, key, channels=[channel], urgent=urgent, not_before=not_before, card=card
        )
        return bool(self.queue(rows))
