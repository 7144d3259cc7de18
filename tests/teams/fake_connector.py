"""A fake Bot Connector on 127.0.0.1: answers the v3 conversation REST calls like Teams, records
every call (method, path, headers, JSON body) and fails on demand (429 with Retry-After, 403
MessageWritesBlocked, 404, 412, 5xx) so pacing, retries and blocking can be tested.

Point a conversation's `serviceUrl` (or the platform's default service URL) at `fake.url`.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

from tests.fake_http import FakeHTTPServer, Request, json_bytes, read_text, reply


@dataclass
class Call:
    method: str
    path: str
    """The decoded path, e.g. /v3/conversations/a:1/activities."""
    headers: dict[str, str]
    body: Any
    status: int = 0
    response: Any = None

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")

    def images(self) -> list[dict[str, Any]]:
        """Every Adaptive Card Image element in this activity, as a Teams client meets them."""
        found: list[dict[str, Any]] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if node.get("type") == "Image":
                    found.append(node)
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(self.body.get("attachments") if isinstance(self.body, dict) else None)
        return found


@dataclass
class Failure:
    pattern: re.Pattern[str]
    method: str | None
    status: int
    times: int
    retry_after: str | None
    body: Any


@dataclass
class Member:
    """A TeamsChannelAccount, as `GET /v3/conversations/{id}/members/{userId}` answers."""

    id: str
    name: str
    aad_object_id: str
    email: str
    user_principal_name: str | None = None
    given_name: str | None = None
    surname: str | None = None

    def account(self) -> dict[str, Any]:
        account: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "aadObjectId": self.aad_object_id,
            "email": self.email,
            "userPrincipalName": self.user_principal_name or self.email,
            "tenantId": FakeConnector.TENANT,
            "userRole": "user",
        }
        if self.given_name:
            account["givenName"] = self.given_name
        if self.surname:
            account["surname"] = self.surname
        return account


def _error_body(status: int) -> dict[str, Any]:
    codes = {
        403: ("MessageWritesBlocked", "Thread is blocked from message writes."),
        404: ("ConversationNotFound", "Conversation not found."),
        412: ("PreconditionFailed", "Precondition failed, please retry."),
        413: ("MessageSizeTooBig", "Message size too big."),
        429: ("TooManyRequests", "Too many requests."),
        401: ("Unauthorized", "Authorization has been denied for this request."),
    }
    code, message = codes.get(status, ("ServiceError", "The service is unavailable."))
    return {"error": {"code": code, "message": message}}


@dataclass
class FakeConnector(FakeHTTPServer):
    url_suffix = "/"
    methods = ("GET", "POST", "PUT", "DELETE")
    TENANT = "b28fdbfd-2b78-4f93-b0f8-8881793f0f8f"

    members: dict[str, Member] = field(default_factory=dict)
    """Member lookups by Teams user id (29:…) or AAD object id, answered in any conversation."""
    calls: list[Call] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    slow_answers: list[float] = field(default_factory=list)
    """Seconds to hold each of the next answers back after the call was counted (a busy
    connector: the caller learns late when its message arrived)."""
    url: str = ""
    chats: dict[str, str] = field(default_factory=dict)
    """AAD object id / user id of a 1:1's member -> the conversation id handed out for it."""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------------ set-up
    def add_member(self, member: Member) -> None:
        with self._lock:
            self.members[member.id] = member
            self.members[member.aad_object_id] = member

    def fail(
        self,
        path: str,
        status: int,
        *,
        times: int = 1,
        method: str | None = None,
        retry_after: str | int | None = None,
        body: Any = None,
    ) -> None:
        """Answer the next `times` calls whose path matches `path` (a regex, matched with
        re.search against the decoded path) with `status` and a Bot Connector error body."""
        with self._lock:
            self.failures.append(
                Failure(
                    re.compile(path),
                    method,
                    status,
                    times,
                    None if retry_after is None else str(retry_after),
                    body if body is not None else _error_body(status),
                )
            )

    # ------------------------------------------------------------------ inspection
    def of(self, method: str, path: str = "") -> list[Call]:
        """Calls with this HTTP method whose decoded path matches the regex `path`."""
        with self._lock:
            return [c for c in self.calls if c.method == method and re.search(path, c.path)]

    def activities(self) -> list[Call]:
        """Every activity posted (new messages and replies), answered or not."""
        return self.of("POST", r"^/v3/conversations/[^/]+/activities")

    def created(self) -> list[Call]:
        return self.of("POST", r"^/v3/conversations$")

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()

    # ------------------------------------------------------------------ answers
    def answer(
        self, method: str, path: str, headers: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        call = Call(method, path, headers, body)
        with self._lock:
            self.calls.append(call)
            for failure in self.failures:
                if (
                    failure.times > 0
                    and failure.pattern.search(path)
                    and failure.method in (None, method)
                ):
                    failure.times -= 1
                    extra = {}
                    if failure.retry_after is not None:
                        extra["Retry-After"] = failure.retry_after
                    call.status, call.response = failure.status, failure.body
                    return failure.status, extra, failure.body
            status, response = self._route(method, path, body)
            call.status, call.response = status, response
            return status, {}, response

    def _route(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if parts[:2] != ["v3", "conversations"]:
            return 404, {"error": {"code": "NotFound", "message": "Unknown path."}}
        rest = parts[2:]
        match method, rest:
            case "POST", []:
                members = (body or {}).get("members") or []
                if not members or not members[0].get("id"):
                    return 400, {"error": {"code": "BadArgument", "message": "No members."}}
                who = str(members[0]["id"])
                if who not in self.chats:
                    self.chats[who] = f"a:1fakeChat{next(self._ids):04d}"
                return 201, {"id": self.chats[who]}
            case "POST", [_conversation, "activities"]:
                return 201, {"id": str(next(self._ids))}
            case "POST", [_conversation, "activities", _reply_to]:
                return 201, {"id": str(next(self._ids))}
            case "PUT", [_conversation, "activities", activity]:
                return 200, {"id": activity}
            case "GET", [_conversation, "members", user]:
                member = self.members.get(user)
                if member is None:
                    return 404, {"error": {"code": "MemberNotFoundInConversation", "message": ""}}
                return 200, member.account()
            case _:
                return 405, {"error": {"code": "BadArgument", "message": "Unsupported call."}}

    # ------------------------------------------------------------------ server
    def respond(self, request: Request) -> None:
        path = unquote(urlparse(request.path).path)
        raw = read_text(request)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, extra, answer = self.answer(request.command, path, headers, body)
        with self._lock:
            hold = self.slow_answers.pop(0) if self.slow_answers else 0.0
        time.sleep(hold)
        data = json_bytes(answer) if answer is not None else b""
        reply(request, status, data, extra, "application/json; charset=utf-8")
