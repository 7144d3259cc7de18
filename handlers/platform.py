"""Everything the core may ask of a chat platform. Slack, Teams, the console and the test fake
implement this Protocol; domain code never reaches past it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol

from messages.view import Reply

MessageHandle = Mapping[str, str]
"""Whatever a platform needs to find a message again (Slack channel+ts, Teams activity id)."""


DirectVia = Literal["sms", "email"]
DIRECT_VIAS: Final = ("sms", "email")
"""Channels reached only when a message asks for one by name (`via`): a text or an email is
never chosen as the first platform that can reach someone, so a chat message (an idea's
decision, a reminder) can never turn into a text by accident."""


@dataclass(frozen=True)
class DirectTarget:
    """What a text or email to one person needs. Personal data: no repr, never logged."""

    mobile: str | None = field(default=None, repr=False)
    email: str | None = field(default=None, repr=False)
    personalisation: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The template's ((placeholders)): an alert's ref, title, deadline, the person's link."""
    reference: str = ""
    """Our id for the message at Notify (no personal data): found again by it after a
    timeout, so an unknown outcome is looked up, never sent twice."""
    check_first: bool = False
    """An earlier attempt may have reached Notify (it was claimed before): look first."""


@dataclass(frozen=True)
class Recipient:
    staff_id: int
    email: str
    name: str
    slack_user_id: str | None = None
    teams_aad_id: str | None = None
    direct: DirectTarget | None = field(default=None, repr=False)
    """Set only for a message sent `via` a text or email (handlers.outbox.claim)."""


@dataclass(frozen=True)
class ChannelTarget:
    key: str
    name: str
    slack_id: str | None = None
    teams_id: str | None = None


class DeliveryError(Exception):
    """A send failed. `retryable` failures are tried again after `retry_after` (or a backoff).

    `deferred` means the message was never attempted (the platform's budget is spent or it
    asked us to slow down): it waits without using up one of its attempts.
    """

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        deferred: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        self.deferred = deferred


class Platform(Protocol):
    """Exactly what the dispatcher calls. Forms are not here: a command answers with an
    `OpenForm` response and each adapter opens it in its own reply (a Slack trigger id, a Teams
    invoke, a console prompt), never as an outbound call."""

    name: str

    def prepare(self, people: Sequence[Recipient]) -> None:
        """Look up a claimed batch's recipients at once before its sends (Teams reads their 1:1
        chats in one query); a no-op where each send needs no lookup."""
        ...

    def can_reach_person(self, person: Recipient) -> bool:
        """True when this platform knows how to message `person`."""
        ...

    def can_reach_channel(self, channel: ChannelTarget) -> bool: ...

    def send_to_person(self, person: Recipient, reply: Reply) -> MessageHandle: ...

    def post_to_channel(self, channel: ChannelTarget, reply: Reply) -> MessageHandle: ...

    def update_message(self, handle: MessageHandle, reply: Reply) -> None: ...
