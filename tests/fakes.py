"""A fake chat platform implementing the Platform protocol: records what is sent and can fail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from handlers.platform import ChannelTarget, DeliveryError, MessageHandle, Recipient
from messages.view import Form, Reply


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

    def open_form(
        self,
        interaction: Mapping[str, Any],
        form: Form,
        values: Mapping[str, Any],
        errors: Mapping[str, str],
        context: Mapping[str, str],
    ) -> None:
        raise NotImplementedError

    def to(self, who: str) -> list[Reply]:
        return [s.reply for s in self.sent if s.to == who]
