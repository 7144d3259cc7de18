"""The console as a platform: every person and channel has an inbox you can look at."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from handlers.clock import Clock
from handlers.platform import ChannelTarget, MessageHandle, Recipient
from messages.view import Reply


@dataclass
class InboxEntry:
    reply: Reply
    at: datetime
    read: bool = False


class ConsolePlatform:
    """Implements the Platform protocol with in-memory inboxes keyed by email or #channel."""

    name = "console"

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.inboxes: dict[str, list[InboxEntry]] = {}
        self.names: dict[str, str] = {}
        self.fresh: list[tuple[str, Reply]] = []

    def prepare(self, people: Sequence[Recipient]) -> None:
        """Nothing to look up ahead: the inboxes are in memory."""

    def can_reach_person(self, person: Recipient) -> bool:
        return True

    def can_reach_channel(self, channel: ChannelTarget) -> bool:
        return True

    def _deliver(self, key: str, label: str, reply: Reply) -> MessageHandle:
        entries = self.inboxes.setdefault(key, [])
        entries.append(InboxEntry(reply, self._clock.now()))
        self.names[key] = label
        self.fresh.append((key, reply))
        return {"inbox": key, "index": str(len(entries) - 1)}

    def send_to_person(self, person: Recipient, reply: Reply) -> MessageHandle:
        return self._deliver(person.email, person.name, reply)

    def post_to_channel(self, channel: ChannelTarget, reply: Reply) -> MessageHandle:
        key = f"#{channel.name}"
        return self._deliver(key, key, reply)

    def update_message(self, handle: MessageHandle, reply: Reply) -> None:
        entries = self.inboxes.get(handle["inbox"], [])
        index = int(handle["index"])
        if 0 <= index < len(entries):
            # Redrawn in place, as chat.update does: not a new message, and read stays read.
            entries[index] = InboxEntry(reply, entries[index].at, entries[index].read)

    def unread(self, key: str) -> int:
        return sum(not e.read for e in self.inboxes.get(key, []))

    def take_fresh(self) -> list[tuple[str, Reply]]:
        fresh, self.fresh = self.fresh, []
        return fresh
