"""A fake chat platform implementing the Platform protocol: records what is sent and can fail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from handlers.platform import ChannelTarget, DeliveryError, MessageHandle, Recipient
from messages.view import Reply


@dataclass
class Sent:
    to: str
    reply: Reply


@dataclass
class FakePlatform:
    name: str = "fake"
    sent: list[Sent] = field(default_factory=list)
    updated: list[tuple[MessageHandle, Reply]] = field(default_factory=list)
    failures: list[DeliveryError] = field(default_factory=list)
    """Errors to raise on the next sends, in order (then sends succeed again)."""
    unreachable: set[str] = field(default_factory=set)

    def prepare(self, people: Sequence[Recipient]) -> None:
        """Nothing to look up ahead: sends are recorded in memory."""

    def can_reach_person(self, person: Recipient) -> bool:
        return person.email not in self.unreachable

    def can_reach_channel(self, channel: ChannelTarget) -> bool:
        return True

    def _send(self, to: str, reply: Reply) -> MessageHandle:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(Sent(to, reply))
        return {"to": to, "n": str(len(self.sent))}

    def send_to_person(self, person: Recipient, reply: Reply) -> MessageHandle:
        return self._send(person.email, reply)

    def post_to_channel(self, channel: ChannelTarget, reply: Reply) -> MessageHandle:
        return self._send(f"#{channel.key}", reply)

    def update_message(self, handle: MessageHandle, reply: Reply) -> None:
        self.updated.append((handle, reply))

    def to(self, who: str) -> list[Reply]:
        return [s.reply for s in self.sent if s.to == who]
