"""Slack as a delivery platform for the outbox: DMs, channel posts and in-place updates.

Pacing follows Slack's limits (chat.postMessage: about one message a second per channel and a
few hundred a minute per workspace, both configurable). The workspace budget is also spread
over its minute (at most a sixtieth of it in any second): Slack allows bursts but does not say
how large, and a broadcast gains nothing by spending a whole minute's budget in its first
second and then meeting 429s for the rest of it. Within a second the messages go at once, so a
decision's few notifications are not held a fifth of a second apart. A 429 pauses the whole
workspace for Retry-After seconds, so one rate-limited broadcast does not hammer Slack with the
rest of the queue; messages that could not be attempted are deferred without using up their
attempts.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.pacing import Budget, Pacer, Ticket, Window
from handlers.platform import ChannelTarget, DeliveryError, MessageHandle, Recipient
from messages import blockkit
from messages.view import Reply, without_images

log = logging.getLogger(__name__)

PERMANENT = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "user_not_found",
        "users_not_found",
        "account_inactive",
        "cannot_dm_bot",
        "user_disabled",
        "invalid_blocks",
        "msg_too_long",
        "invalid_arguments",
        "not_authed",
        "invalid_auth",
        "missing_scope",
        "restricted_action",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
    }
)
"""Errors that the same request will meet again: report them, do not retry."""


class SlackPlatform:
    name = "slack"

    def __init__(
        self,
        client: WebClient,
        *,
        messages_per_minute: int,
        channel_messages_per_second: int,
        remember: Callable[[int, str], None] | None = None,
    ) -> None:
        """`remember(staff_id, slack_id)` keeps a Slack id found by email in the directory, so
        who Slack can reach is known before the next alert (store.repos.reach)."""
        self._client = client
        self._remember = remember
        self._pacer = Pacer("Slack")
        self._workspace = RateLimitItemPerMinute(messages_per_minute)
        self._workspace_second = Window(math.ceil(messages_per_minute / 60), 1.0, smoothing=True)
        """Ours: the minute's budget spread over its seconds rather than spent at once."""
        self._per_channel = RateLimitItemPerSecond(channel_messages_per_second)
        self._ids_by_email: dict[str, str | None] = {}

    # ------------------------------------------------------------------ reach
    def slack_id(self, person: Recipient) -> str | None:
        """The person's Slack id: known from their interactions, else looked up by email once."""
        if person.slack_user_id:
            return person.slack_user_id
        if person.email not in self._ids_by_email:
            try:
                found = self._client.users_lookupByEmail(email=person.email)
                self._ids_by_email[person.email] = found["user"]["id"]
                self._keep(person.staff_id, found["user"]["id"])
            except SlackApiError as exc:
                if exc.response.get("error") != "users_not_found":
                    raise _delivery_error(exc) from None
                self._ids_by_email[person.email] = None
            except (SlackClientError, OSError) as exc:  # urllib: URLError, TimeoutError
                raise DeliveryError(
                    f"Slack could not be reached ({type(exc).__name__})", retryable=True
                ) from None
        return self._ids_by_email[person.email]

    def _keep(self, staff_id: int, slack_id: str) -> None:
        if self._remember is None:
            return
        try:
            self._remember(staff_id, slack_id)
        except Exception:  # only a cache: the send goes ahead with the id in hand
            log.exception("could not record a Slack id found by email")

    def prepare(self, people: Sequence[Recipient]) -> None:
        """Nothing to look up ahead: a Slack user id is all a send needs."""

    def can_reach_person(self, person: Recipient) -> bool:
        try:
            return self.slack_id(person) is not None
        except DeliveryError:
            return True  # Slack is unwell, not the person: let the send be retried

    def can_reach_channel(self, channel: ChannelTarget) -> bool:
        return channel.slack_id is not None

    # ------------------------------------------------------------------ sends
    def send_to_person(self, person: Recipient, reply: Reply) -> MessageHandle:
        user = self.slack_id(person)
        if user is None:
            raise DeliveryError("this person is not in the Slack workspace", retryable=False)
        return self._post(user, reply)

    def post_to_channel(self, channel: ChannelTarget, reply: Reply) -> MessageHandle:
        if channel.slack_id is None:
            raise DeliveryError(
                f"channel {channel.key!r} has no slack_id in the config", retryable=False
            )
        return self._post(channel.slack_id, reply)

    def update_message(self, handle: MessageHandle, reply: Reply) -> None:
        self._call(
            "chat_update",
            handle["channel"],
            channel=handle["channel"],
            ts=handle["ts"],
            **blockkit.message(reply),
        )

    def _post(self, channel: str, reply: Reply) -> MessageHandle:
        try:
            response = self._call(
                "chat_postMessage", channel, channel=channel, **blockkit.message(reply)
            )
        except DeliveryError as error:
            # Slack refuses the whole message when it cannot download a picture (our web
            # address unreachable from Slack): send it again with the pictures' words instead.
            plain = without_images(reply)
            if "invalid_blocks" not in error.reason or plain == reply:
                raise
            log.warning("Slack could not show a message's images; sent their alt text instead")
            response = self._call(
                "chat_postMessage", channel, channel=channel, **blockkit.message(plain)
            )
        return {"channel": str(response["channel"]), "ts": str(response["ts"])}

    def _call(self, method: str, budget_key: str | None, **arguments: Any) -> Any:
        """Call the Web API; `budget_key` is the channel whose message budget this spends
        (None for calls outside the chat.postMessage limits, such as views.open)."""
        ticket = self._spend_budget(budget_key) if budget_key is not None else None
        try:
            return getattr(self._client, method)(**arguments)
        except SlackApiError as exc:
            error = _delivery_error(exc)
            if exc.response.status_code == 429:
                self._pause(error.retry_after or 1.0)
            raise error from None
        except (SlackClientError, OSError) as exc:  # urllib's URLError, TimeoutError; bad response
            raise DeliveryError(
                f"Slack could not be reached ({type(exc).__name__})", retryable=True
            ) from None
        finally:
            if ticket is not None:
                ticket.answered()

    def _spend_budget(self, channel: str) -> Ticket:
        """The workspace's budget and, for a message, the channel's (see bot.pacing)."""
        workspace: list[Budget] = [
            (self._workspace, ("workspace",), "workspace"),
            (self._workspace_second, ("workspace",), "workspace"),
        ]
        own: list[Budget] = []
        if channel:
            own.append((self._per_channel, ("channel", channel), "channel"))
        return self._pacer.spend(workspace, own)

    def _pause(self, seconds: float) -> None:
        self._pacer.pause(seconds)

    @property
    def paused_for(self) -> float:
        return self._pacer.paused_for


def _delivery_error(exc: SlackApiError) -> DeliveryError:
    status = exc.response.status_code
    error = str(exc.response.get("error") or f"HTTP {status}")
    if status == 429 or error == "ratelimited":
        retry_after = float(exc.response.headers.get("Retry-After", 1) or 1)
        return DeliveryError(
            "Slack rate limit (429)", retryable=True, retry_after=retry_after, deferred=True
        )
    if error in PERMANENT:
        return DeliveryError(f"Slack refused it: {error}", retryable=False)
    return DeliveryError(f"Slack error: {error}", retryable=True)
