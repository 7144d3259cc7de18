"""A fake Microsoft Graph on 127.0.0.1: the users delta query and per-user Teams app installs.

It holds an in-memory directory that tests change between syncs (add, update, remove users,
set managers) and answers `/users/delta` as Graph does: pages of `page_size` users linked by
`@odata.nextLink`, a final `@odata.deltaLink`, only what changed when that link comes back,
`@removed` for deleted users and `manager@delta` when `manager` is selected. Old delta links
can be expired (410 Gone), and any path can fail on demand (429 with Retry-After, 5xx).
`POST /users/{id}/teamwork/installedApps` answers 201 the first time, 409 after, or a status
set per user (403, 404). Every call is recorded with its bearer token.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from tests.fake_http import FakeHTTPServer, Request, json_bytes, read_text, reply

ALL_FIELDS = (
    "displayName",
    "mail",
    "userPrincipalName",
    "department",
    "officeLocation",
    "jobTitle",
    "accountEnabled",
    "mobilePhone",
)


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int = 0

    @property
    def token(self) -> str | None:
        auth = self.headers.get("authorization") or ""
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None


@dataclass
class Failure:
    pattern: re.Pattern[str]
    status: int
    retry_after: str | None
    times: int


@dataclass
class _User:
    data: dict[str, Any]
    manager: str | None = None
    changed_at: int = 0
    manager_was: str | None = None


@dataclass
class _Round:
    """One delta round in progress: the ids to send, a page at a time."""

    ids: list[str]
    removed: list[str]
    select: list[str]
    issued_at: int
    since: int | None


@dataclass
class FakeGraph(FakeHTTPServer):
    page_size: int = 2
    calls: list[Call] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    install_status: dict[str, int] = field(default_factory=dict)
    """User id -> status to answer an install with (default 201, then 409)."""
    installed: set[str] = field(default_factory=set)
    url: str = ""
    _users: dict[str, _User] = field(default_factory=dict)
    _removed: dict[str, int] = field(default_factory=dict)
    """Deleted user id -> version it was deleted at."""
    _version: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _now: int = 0
    _expired_before: int = 0
    _rounds: dict[str, _Round] = field(default_factory=dict)
    _tokens: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # ------------------------------------------------------------------ the directory
    def _tick(self) -> int:
        self._now = next(self._version)
        return self._now

    def add_user(
        self,
        user_id: str,
        name: str,
        mail: str | None,
        *,
        upn: str | None = None,
        department: str | None = None,
        office: str | None = None,
        job_title: str | None = None,
        enabled: bool = True,
        manager: str | None = None,
        mobile: str | None = None,
    ) -> None:
        with self._lock:
            self._users[user_id] = _User(
                data={
                    "id": user_id,
                    "displayName": name,
                    "mail": mail,
                    "userPrincipalName": upn if upn is not None else mail,
                    "department": department,
                    "officeLocation": office,
                    "jobTitle": job_title,
                    "accountEnabled": enabled,
                    "mobilePhone": mobile,
                },
                manager=manager,
                changed_at=self._tick(),
            )
            self._removed.pop(user_id, None)

    def update_user(self, user_id: str, **changes: Any) -> None:
        """Change Graph properties (camelCase names), or `manager=` an id / None."""
        with self._lock:
            user = self._users[user_id]
            if "manager" in changes:
                user.manager_was = user.manager
                user.manager = changes.pop("manager")
            user.data.update(changes)
            user.changed_at = self._tick()

    def remove_user(self, user_id: str) -> None:
        with self._lock:
            del self._users[user_id]
            self._removed[user_id] = self._tick()

    def expire_delta_links(self) -> None:
        """Every delta link issued so far now answers 410 Gone (as after seven days)."""
        with self._lock:
            self._expired_before = self._tick()

    # ------------------------------------------------------------------ inspection
    def fail(
        self, path: str, status: int, *, retry_after: str | None = None, times: int = 1
    ) -> None:
        """The next `times` requests whose path matches the regex `path` get `status`."""
        with self._lock:
            self.failures.append(Failure(re.compile(path), status, retry_after, times))

    def of(self, path: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if re.search(path, c.path)]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()

    # ------------------------------------------------------------------ answers
    def answer(self, call: Call) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.calls.append(call)
            for failure in self.failures:
                if failure.times > 0 and failure.pattern.search(call.path):
                    failure.times -= 1
                    headers = {}
                    if failure.retry_after is not None:
                        headers["Retry-After"] = failure.retry_after
                    code = "TooManyRequests" if failure.status == 429 else "ServiceUnavailable"
                    return failure.status, headers, _error(code, "try later")
            if call.method == "GET" and call.path == "/v1.0/users/delta":
                return self._delta(call)
            found = re.fullmatch(r"/v1\.0/users/([^/]+)/teamwork/installedApps", call.path)
            if call.method == "POST" and found:
                return self._install(found.group(1), call.body)
            return 404, {}, _error("Request_ResourceNotFound", "no such resource")

    def _delta(self, call: Call) -> tuple[int, dict[str, str], Any]:
        query = call.query
        if "$skiptoken" in query:
            current = self._rounds.get(query["$skiptoken"])
            if current is None:
                return 400, {}, _error("Request_BadRequest", "unknown skip token")
        elif "$deltatoken" in query:
            issued = int(query["$deltatoken"].split("-")[0])
            select = query["$deltatoken"].split("-", 1)[1].split(",")
            if issued < self._expired_before:
                headers = {"Location": f"{self.url}/v1.0/users/delta"}
                return 410, headers, _error("resyncRequired", "resync required")
            changed = sorted(u for u, user in self._users.items() if user.changed_at > issued)
            gone = sorted(u for u, at in self._removed.items() if at > issued)
            current = _Round(changed, gone, select, self._now, issued)
        else:
            select = [s for s in (query.get("$select") or "").split(",") if s] or list(ALL_FIELDS)
            current = _Round(sorted(self._users), [], select, self._now, None)
        page_ids, rest = current.ids[: self.page_size], current.ids[self.page_size :]
        value = [self._render(u, current) for u in page_ids if u in self._users]
        body: dict[str, Any] = {"@odata.context": f"{self.url}/v1.0/$metadata#users"}
        if rest:
            token = f"skip{next(self._tokens)}"
            self._rounds[token] = _Round(
                rest, current.removed, current.select, current.issued_at, current.since
            )
            body["@odata.nextLink"] = f"{self.url}/v1.0/users/delta?$skiptoken={token}"
        else:
            value += [{"id": u, "@removed": {"reason": "changed"}} for u in current.removed]
            state = f"{current.issued_at}-{','.join(current.select)}"
            body["@odata.deltaLink"] = f"{self.url}/v1.0/users/delta?$deltatoken={state}"
        body["value"] = value
        return 200, {}, body

    def _render(self, user_id: str, current: _Round) -> dict[str, Any]:
        user = self._users[user_id]
        item: dict[str, Any] = {"id": user_id}
        for key in current.select:
            if key in user.data and key != "id":
                item[key] = user.data[key]
        if "manager" in current.select:
            if user.manager:
                item["manager@delta"] = [
                    {"@odata.type": "#microsoft.graph.user", "id": user.manager}
                ]
            elif user.manager_was and current.since is not None:
                item["manager@delta"] = [
                    {
                        "@odata.type": "#microsoft.graph.user",
                        "id": user.manager_was,
                        "@removed": {"reason": "deleted"},
                    }
                ]
        return item

    def _install(self, user_id: str, body: Any) -> tuple[int, dict[str, str], Any]:
        if not isinstance(body, dict) or "teamsApp@odata.bind" not in body:
            return 400, {}, _error("BadRequest", "teamsApp@odata.bind is required")
        status = self.install_status.get(user_id)
        if status is None:
            if user_id not in self._users:
                status = 404
            else:
                status = 409 if user_id in self.installed else 201
        if status == 201:
            self.installed.add(user_id)
            return 201, {}, {"id": f"inst-{user_id}"}
        codes = {403: "Forbidden", 404: "NotFound", 409: "Conflict"}
        return status, {}, _error(codes.get(status, "Error"), f"install answered {status}")

    # ------------------------------------------------------------------ server
    def respond(self, request: Request) -> None:
        parsed = urlparse(request.path)
        raw = read_text(request)
        call = Call(
            method=request.command,
            path=unquote(parsed.path),
            query={k: v[0] for k, v in parse_qs(parsed.query).items()},
            headers={k.lower(): v for k, v in request.headers.items()},
            body=json.loads(raw) if raw else None,
        )
        status, headers, body = self.answer(call)
        call.status = status
        reply(request, status, json_bytes(body), headers)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
