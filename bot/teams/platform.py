"""Teams as a delivery platform for the outbox, over the Bot Connector REST API.

Teams cannot be messaged by address: a person is reached through their 1:1 chat with the bot
(remembered from installationUpdate / conversationUpdate, or opened here on demand with
`POST {serviceUrl}/v3/conversations`), a channel through its conversation id (the config's
`teams_id`). Conversation references live in the database (`uow.teams`), so any process
can send.

Pacing follows Teams' limits: per conversation 7 sends a second and 60 per 30 s, per tenant
50 requests a second, all tested before any is spent. A 429 pauses every Teams call for
Retry-After; messages that could not be attempted are deferred without using an attempt.
Tokens and message bodies are never logged.

The tenant's budget is also spread evenly over its second (one request every 1/N seconds): a
broadcast that spends a second's budget in one burst makes its own requests queue and arrive
late, and a request arriving late enough lands in the next second's count and meets a 429
(and a second's pause) although the sender kept to the limit.

For a broadcast the dispatcher hands over each claimed batch first (`prepare`): the batch's
1:1 chats are read in one query and remembered briefly, instead of two lookups per message
(reach, then send), which cost more than the send itself at Teams' 50 messages a second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx
from limits import RateLimitItemPerSecond

from bot.errors import MissingCredential
from bot.pacing import Budget, Pacer, Ticket, Window
from bot.teams.auth import BOT_CONNECTOR_SCOPE, MsalTokenSource, TokenSource, TokenUnavailable
from bot.teams.doors import host_allowed, service_hosts
from handlers.clock import Clock, SystemClock
from handlers.platform import ChannelTarget, DeliveryError, MessageHandle, Recipient
from messages.adaptivecards import message_activity
from messages.view import Reply
from store.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.app import QIHub

log = logging.getLogger(__name__)
OFF_THE_LIST = (
    "the conversation's service URL is not on TEAMS_SERVICE_HOSTS (the token was not sent)"
)

BLOCKED = "the person has blocked QI Hub or removed it in Teams"
BLOCKED_CODES = ("MessageWritesBlocked", "ConversationBlockedByUser")
RETRYABLE_STATUSES = frozenset({408, 412, 500, 502, 503, 504})
"""Teams asks bots to retry 412, 502, 503 and 504 with backoff (and 429 after Retry-After)."""
CATCH_UP = 1.25
"""The tenant's sends are spaced at this multiple of its rate: evenly, but with room to win
back slots a busy moment lost. The per-second limit itself (counted until each send was
answered, bot/pacing.py) still keeps every second within the tenant's budget."""
PREPARED_SECONDS = 30.0
"""How long a batch's conversations read by `prepare` are trusted (a batch takes seconds;
a person installing or blocking the bot meanwhile is seen on the next batch)."""


@dataclass(frozen=True)
class _Conversation:
    """What a send needs from a stored conversation, read out of its short transaction."""

    id: str
    service_url: str
    blocked: bool


class TeamsPlatform:
    name = "teams"

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        token_source: TokenSource,
        *,
        bot_id: str,
        tenant_id: str | None,
        default_service_url: str,
        service_hosts: tuple[str, ...],
        conversation_per_second: int,
        conversation_per_30s: int,
        tenant_per_second: int,
        http: httpx.Client | None = None,
        clock: Clock | None = None,
        bot_name: str = "QI Hub",
    ) -> None:
        self._uow_factory = uow_factory
        self._tokens = token_source
        self._bot_id = bot_id if bot_id.startswith("28:") else f"28:{bot_id}"
        self._bot_name = bot_name
        self._tenant_id = tenant_id
        self._default_service_url = default_service_url
        self._service_hosts = service_hosts
        self._http = http or httpx.Client(timeout=httpx.Timeout(15.0, connect=5.0))
        self._clock = clock or SystemClock()
        self._pacer = Pacer("Teams")
        self._tenant = RateLimitItemPerSecond(tenant_per_second)
        self._tenant_spacing = Window.spacing(tenant_per_second * CATCH_UP)
        self._per_second = RateLimitItemPerSecond(conversation_per_second)
        self._per_30s = RateLimitItemPerSecond(conversation_per_30s, 30)
        self._prepared: dict[int, tuple[float, _Conversation | None]] = {}
        """staff id -> (trusted until, their 1:1 chat or None), from recent batches."""
        self._prepared_lock = threading.Lock()

    # ------------------------------------------------------------------ batches
    def prepare(self, people: Sequence[Recipient]) -> None:
        """Read the personal chats of everyone in a claimed batch in one query (chunks of
        500 ids), so each send needs no lookup of its own. Kept for PREPARED_SECONDS, beside
        other batches still sending (a dispatcher has several in hand)."""
        ids = list(dict.fromkeys(p.staff_id for p in people))
        found: dict[int, _Conversation | None] = dict.fromkeys(ids)
        with self._uow_factory() as uow:
            for staff_id, chat in uow.teams.personal_for_many(ids).items():
                found[staff_id] = _Conversation(
                    chat.conversation_id, chat.service_url, chat.blocked
                )
        now = time.monotonic()
        until = now + PREPARED_SECONDS
        with self._prepared_lock:
            for staff_id in [k for k, (t, _) in self._prepared.items() if t <= now]:
                del self._prepared[staff_id]
            self._prepared.update((staff_id, (until, c)) for staff_id, c in found.items())

    def _remember(self, staff_id: int, stored: _Conversation | None) -> None:
        with self._prepared_lock:
            if staff_id in self._prepared:
                self._prepared[staff_id] = (self._prepared[staff_id][0], stored)

    def _forget(self, conversation: str) -> None:
        """A conversation was marked blocked or uninstalled: look it up afresh next time."""
        with self._prepared_lock:
            for staff_id, (_, stored) in list(self._prepared.items()):
                if stored is not None and stored.id == conversation:
                    del self._prepared[staff_id]

    # ------------------------------------------------------------------ reach
    def can_reach_person(self, person: Recipient) -> bool:
        stored = self._personal(person.staff_id)
        if stored is not None:
            return not stored.blocked
        return person.teams_aad_id is not None

    def can_reach_channel(self, channel: ChannelTarget) -> bool:
        return channel.teams_id is not None

    # ------------------------------------------------------------------ sends
    def send_to_person(self, person: Recipient, reply: Reply) -> MessageHandle:
        stored = self._personal(person.staff_id)
        if stored is not None and stored.blocked:
            raise DeliveryError(BLOCKED, retryable=False)
        if stored is None:
            if person.teams_aad_id is None:
                raise DeliveryError(
                    "this person has no Teams account known to QI Hub", retryable=False
                )
            stored = self._open_personal(person.staff_id, person.teams_aad_id)
        return self._post(stored.id, stored.service_url, reply)

    def post_to_channel(self, channel: ChannelTarget, reply: Reply) -> MessageHandle:
        if channel.teams_id is None:
            raise DeliveryError(
                f"channel {channel.key!r} has no teams_id in the config", retryable=False
            )
        with self._uow_factory() as uow:
            row = uow.teams.conversation(channel.teams_id)
            service_url = row.service_url if row is not None else self._tenant_service_url(uow)
        return self._post(channel.teams_id, service_url, reply)

    def update_message(self, handle: MessageHandle, reply: Reply) -> None:
        conversation, activity_id = handle["conversation"], handle["activity"]
        service_url = handle.get("service_url") or self._default_service_url
        self._request(
            "PUT",
            f"{_base(service_url)}/v3/conversations/{_segment(conversation)}"
            f"/activities/{_segment(activity_id)}",
            {**message_activity(reply), "id": activity_id},
            conversation=conversation,
            updating=True,
        )

    # ------------------------------------------------------------------ conversations
    def _personal(self, staff_id: int) -> _Conversation | None:
        with self._prepared_lock:
            until, stored = self._prepared.get(staff_id, (0.0, None))
            if time.monotonic() < until:
                return stored
        with self._uow_factory() as uow:
            row = uow.teams.personal_for(staff_id)
            if row is None:
                return None
            return _Conversation(row.conversation_id, row.service_url, row.blocked_at is not None)

    def _tenant_service_url(self, uow: UnitOfWork) -> str:
        found = uow.teams.service_url_for_tenant(self._tenant_id)
        return found or self._default_service_url

    def _open_personal(self, staff_id: int, aad_id: str) -> _Conversation:
        """Open (or find again: Teams answers with the same id) the person's 1:1 chat."""
        with self._uow_factory() as uow:
            service_url = self._tenant_service_url(uow)
        body: dict[str, Any] = {
            "bot": {"id": self._bot_id, "name": self._bot_name},
            "members": [{"id": aad_id}],
            "isGroup": False,
        }
        if self._tenant_id is not None:
            body["tenantId"] = self._tenant_id
            body["channelData"] = {"tenant": {"id": self._tenant_id}}
        created = self._request(
            "POST", f"{_base(service_url)}/v3/conversations", body, conversation=None
        )
        conversation_id = str(created.get("id") or "")
        if not conversation_id:
            raise DeliveryError("Teams opened a chat but gave no conversation id", retryable=True)
        with self._uow_factory() as uow:
            uow.teams.remember(
                conversation_id=conversation_id,
                kind="personal",
                service_url=service_url,
                tenant_id=self._tenant_id,
                staff_id=staff_id,
                now=self._clock.now(),
            )
            uow.commit()
        opened = _Conversation(conversation_id, service_url, blocked=False)
        self._remember(staff_id, opened)
        return opened

    def _post(self, conversation: str, service_url: str, reply: Reply) -> MessageHandle:
        posted = self._request(
            "POST",
            f"{_base(service_url)}/v3/conversations/{_segment(conversation)}/activities",
            message_activity(reply),
            conversation=conversation,
        )
        return {
            "conversation": conversation,
            "activity": str(posted.get("id") or ""),
            "service_url": service_url,
        }

    # ------------------------------------------------------------------ HTTP
    def _request(
        self,
        method: str,
        url: str,
        body: dict[str, Any],
        *,
        conversation: str | None,
        updating: bool = False,
    ) -> dict[str, Any]:
        if not host_allowed(url, self._service_hosts):
            # a conversation address from before the allow-list, or a mistyped setting: the
            # bot's token never goes to a host that is not Bot Framework's
            log.warning("refused to send to a Teams service URL off TEAMS_SERVICE_HOSTS")
            raise DeliveryError(OFF_THE_LIST, retryable=False)
        try:
            token = self._tokens.token()
        except TokenUnavailable as exc:
            raise DeliveryError(str(exc), retryable=True) from None
        except Exception as exc:  # msal's HTTP client failing: Entra ID unreachable
            raise DeliveryError(
                f"no Bot Connector token from Entra ID ({type(exc).__name__})", retryable=True
            ) from None
        ticket = self._spend_budget(conversation)  # every call counts against the tenant
        try:
            response = self._http.request(
                method, url, json=body, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.HTTPError as exc:  # timeouts, refused connections, broken responses
            raise DeliveryError(
                f"Teams could not be reached ({type(exc).__name__})", retryable=True
            ) from None
        finally:
            ticket.answered()
        if response.is_success:
            try:
                data = response.json() if response.content else {}
            except ValueError:
                data = {}
            return data if isinstance(data, dict) else {}
        raise self._failure(response, conversation, updating) from None

    def _failure(
        self, response: httpx.Response, conversation: str | None, updating: bool
    ) -> DeliveryError:
        status = response.status_code
        code = _error_code(response)
        log.warning("Teams answered HTTP %s (%s)", status, code or "no error code")
        if status == 429:
            wait = _retry_after(response.headers.get("Retry-After"))
            self._pause(wait)
            return DeliveryError(
                "Teams rate limit (429)", retryable=True, retry_after=wait, deferred=True
            )
        if status == 403 and code in BLOCKED_CODES:
            if conversation is not None:
                self._record(_blocked, conversation)
            return DeliveryError(BLOCKED, retryable=False)
        if status == 404:
            if conversation is not None and (not updating or "conversation" in code.lower()):
                self._record(_uninstalled, conversation)
                return DeliveryError(
                    "the Teams conversation no longer exists (QI Hub was removed from it)",
                    retryable=False,
                )
            return DeliveryError(f"Teams could not find it: {code or 'HTTP 404'}", retryable=False)
        if status in (401, 403):
            return DeliveryError("Teams refused the bot's credentials", retryable=False)
        if status == 413:
            return DeliveryError("message too large for Teams (413)", retryable=False)
        if status in RETRYABLE_STATUSES or status >= 500:
            return DeliveryError(f"Teams error: HTTP {status}", retryable=True)
        return DeliveryError(f"Teams refused it: HTTP {status} {code}".strip(), retryable=False)

    def _record(
        self, change: Callable[[UnitOfWork, str, datetime], None], conversation: str
    ) -> None:
        self._forget(conversation)
        with self._uow_factory() as uow:
            change(uow, conversation, self._clock.now())
            uow.commit()

    # ------------------------------------------------------------------ pacing
    def _spend_budget(self, conversation: str | None) -> Ticket:
        """The tenant's budget and, for a send, the conversation's two (see bot.pacing)."""
        tenant = ("tenant", self._tenant_id or "-")
        shared: list[Budget] = [
            (self._tenant, tenant, "tenant"),
            (self._tenant_spacing, tenant, "tenant"),
        ]
        own: list[Budget] = []
        if conversation is not None:
            own.append((self._per_second, ("conversation", conversation), "conversation"))
            own.append((self._per_30s, ("conversation", conversation), "conversation"))
        return self._pacer.spend(shared, own)

    def _pause(self, seconds: float) -> None:
        self._pacer.pause(seconds)

    @property
    def paused_for(self) -> float:
        return self._pacer.paused_for

    def close(self) -> None:
        self._http.close()


def teams_platform(hub: QIHub, token_source: TokenSource | None = None) -> TeamsPlatform:
    """The Teams platform from settings: msal client-credentials tokens for the Bot Connector
    (MissingCredential, naming the settings, when the app registration is incomplete)."""
    settings = hub.settings
    if settings.teams_client_id is None:
        raise MissingCredential("Teams needs TEAMS_CLIENT_ID (the bot's app registration).")
    return TeamsPlatform(
        hub.uow_factory,
        token_source or MsalTokenSource(settings, BOT_CONNECTOR_SCOPE),
        bot_id=settings.teams_client_id,
        tenant_id=settings.teams_tenant_id,
        default_service_url=settings.teams_service_url,
        service_hosts=service_hosts(settings),
        conversation_per_second=settings.teams_conversation_messages_per_second,
        conversation_per_30s=settings.teams_conversation_messages_per_30s,
        tenant_per_second=settings.teams_tenant_requests_per_second,
        clock=hub.clock,
    )


def _blocked(uow: UnitOfWork, conversation: str, now: datetime) -> None:
    uow.teams.mark_blocked(conversation, now)


def _uninstalled(uow: UnitOfWork, conversation: str, now: datetime) -> None:
    uow.teams.mark_uninstalled(conversation, now)


def _base(service_url: str) -> str:
    return service_url.rstrip("/")


def _segment(value: str) -> str:
    """A conversation or activity id as one URL path segment (ids hold ':', '@', ';')."""
    return quote(value, safe="")


def _error_code(response: httpx.Response) -> str:
    """The Bot Connector's error code: `{"error": {"code"}}`, or Teams' `subCode` inside a
    JSON-encoded `message` (403 MessageWritesBlocked arrives that way)."""
    text = response.text
    for code in BLOCKED_CODES:
        if code in text:
            return code
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict) and error.get("code"):
        return str(error["code"])[:100]
    for key in ("code", "subCode", "errorCode"):
        if body.get(key):
            return str(body[key])[:100]
    return ""


def _retry_after(value: str | None) -> float:
    """Retry-After as seconds: a number, or an HTTP date (RFC 9110); 1 s when absent or odd."""
    if not value:
        return 1.0
    try:
        return max(float(value), 0.0) or 1.0
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 1.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 1.0)
