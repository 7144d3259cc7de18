"""A fake Slack Web API on 127.0.0.1: records every call (and response_url post), answers like
Slack, and fails on demand (429 with Retry-After, 500) so pacing and retries can be tested."""

from __future__ import annotations

import itertools
import json
import threading
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.fake_http import FakeHTTPServer, Request, json_bytes, read_text, reply


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    response: Any = None


@dataclass
class Failure:
    method: str
    status: int
    retry_after: int | None
    times: int
    error: str | None = None
    """The Slack error code to answer with (default: ratelimited for 429, else internal_error)."""


@dataclass
class FakeSlack(FakeHTTPServer):
    users: dict[str, str] = field(default_factory=dict)
    """Slack user id -> email, answered by users.info and users.lookupByEmail."""
    calls: list[Call] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    url: str = ""
    fetch_images: bool = False
    """Fetch every image block's image_url as Slack's servers do, refusing the message with
    invalid_blocks when it is not a PNG they can download (Slack does the same)."""
    images: list[tuple[str, str, int]] = field(default_factory=list)
    """(image_url, alt_text, bytes) of every image fetched."""
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------------ inspection
    def of(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [c.params for c in self.calls if c.method == method]

    def fail(
        self,
        method: str,
        status: int,
        *,
        retry_after: int | None = None,
        times: int = 1,
        error: str | None = None,
    ) -> None:
        with self._lock:
            self.failures.append(Failure(method, status, retry_after, times, error))

    def answered(self, method: str) -> list[tuple[dict[str, Any], Any]]:
        """(params, response body) of every call of `method`, in order."""
        with self._lock:
            return [(c.params, c.response) for c in self.calls if c.method == method]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()

    # ------------------------------------------------------------------ answers
    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        call = Call(method, params)
        with self._lock:
            self.calls.append(call)
            for failure in self.failures:
                if failure.method == method and failure.times > 0:
                    failure.times -= 1
                    headers = {}
                    if failure.retry_after is not None:
                        headers["Retry-After"] = str(failure.retry_after)
                    error = failure.error or (
                        "ratelimited" if failure.status == 429 else "internal_error"
                    )
                    call.response = {"ok": False, "error": error}
                    return failure.status, headers, call.response
            ts = f"{1700000000 + next(self._ts)}.000100"
        match method:
            case "auth.test":
                body: Any = {"ok": True, "user_id": "UBOT", "team_id": "T111", "bot_id": "B1"}
            case "views.open" | "views.update" | "views.push" | "views.publish":
                body = {"ok": True, "view": {"id": "V" + ts.replace(".", "")}}
            case "chat.postMessage" | "chat.update":
                problem = self._image_problem(params.get("blocks") or [])
                body = (
                    {"ok": False, "error": "invalid_blocks", "errors": [problem]}
                    if problem
                    else {"ok": True, "channel": params.get("channel"), "ts": params.get("ts", ts)}
                )
            case "chat.postEphemeral":
                body = {"ok": True, "message_ts": ts}
            case "users.info":
                email = self.users.get(str(params.get("user")))
                body = (
                    {"ok": True, "user": {"id": params.get("user"), "profile": {"email": email}}}
                    if email
                    else {"ok": False, "error": "user_not_found"}
                )
            case "users.lookupByEmail":
                found = next((u for u, e in self.users.items() if e == params.get("email")), None)
                body = (
                    {"ok": True, "user": {"id": found}}
                    if found
                    else {"ok": False, "error": "users_not_found"}
                )
            case "response_url":
                body = "ok"
            case _:
                body = {"ok": False, "error": "unknown_method"}
        call.response = body
        return 200, {}, body

    def _image_problem(self, blocks: list[dict[str, Any]]) -> str:
        for block in blocks:
            if block.get("type") != "image":
                continue
            alt = str(block.get("alt_text") or "")
            if not alt.strip() or len(alt) > 2000:
                return "alt_text must be 1 to 2000 characters"
            if not self.fetch_images:
                continue
            url = str(block.get("image_url") or "")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    data = response.read()
            except (OSError, ValueError):
                return f"downloading image failed [{url}]"
            if not data.startswith(b"\x89PNG"):
                return f"invalid image [{url}]"
            self.images.append((url, alt, len(data)))
        return ""

    # ------------------------------------------------------------------ server
    def respond(self, request: Request) -> None:
        parsed = urlparse(request.path)
        params: dict[str, Any] = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        raw = read_text(request)
        if raw:
            if "json" in (request.headers.get("Content-Type") or ""):
                params.update(json.loads(raw))
            else:
                params.update({k: v[0] for k, v in parse_qs(raw).items()})
        for key in ("blocks", "view"):  # form-encoded calls send these as JSON text
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        path = parsed.path
        method = "response_url" if path.startswith("/response/") else path.rsplit("/", 1)[-1]
        status, headers, body = self.answer(method, params)
        data = body.encode() if isinstance(body, str) else json_bytes(body)
        reply(request, status, data, headers, "application/json; charset=utf-8")
