"""Microsoft Graph over HTTP: a small client with bounded retries, and its errors.

The directory sync (bot.teams.directory_sync), the app roll-out (bot.teams.install) and their
command-line tasks (bot.teams.graph_tasks) use it; the directory merge rules they apply live
in the core (handlers.directory).
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import urlsplit

import httpx

from bot.settings import Settings
from bot.teams.auth import TokenSource

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
"""Receives one human-readable line as each page or batch completes."""

RETRYABLE: Final = frozenset({429, 500, 502, 503, 504})
"""Throttling and transient server errors. 501 (not implemented) would fail again."""

RESYNC_CODES: Final = frozenset({"syncstatenotfound", "resyncrequired", "syncstateinvalid"})
"""Error codes that, like 410 Gone, mean the delta link is no longer usable (e.g. expired
after seven days): the only way on is a fresh full sync."""


# ---------------------------------------------------------------------------------- errors


class GraphError(Exception):
    """Graph refused or could not be reached. The message is fit to show an operator: it names
    the request (path only) and Graph's own error code and message, never the token."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code

    @classmethod
    def from_response(cls, method: str, url: str, response: httpx.Response) -> GraphError:
        code, detail = _error_of(response)
        hint = {
            401: " (the token was refused: check TEAMS_CLIENT_ID, TEAMS_TENANT_ID and the secret)",
            403: " (the app registration lacks a Graph permission or its admin consent)",
        }.get(response.status_code, "")
        reason = f"{code}: {detail}" if code and detail else code or detail or "no details"
        return cls(
            f"Microsoft Graph answered {response.status_code} to {method} {urlsplit(url).path}"
            f" — {reason}{hint}",
            status=response.status_code,
            code=code,
        )

    @property
    def needs_resync(self) -> bool:
        """Whether a delta link is dead and the directory must be read again from the start."""
        return self.status == 410 or (self.code or "").lower() in RESYNC_CODES


def _error_of(response: httpx.Response) -> tuple[str | None, str | None]:
    """Graph's `{"error": {"code", "message"}}`, tolerating any other body."""
    try:
        body = response.json()
    except ValueError:
        return None, response.reason_phrase or None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, response.reason_phrase or None
    code, message = error.get("code"), error.get("message")
    return (
        str(code) if code else None,
        str(message)[:300] if message else response.reason_phrase or None,
    )


# ---------------------------------------------------------------------------------- client


class GraphClient:
    """A small synchronous Graph client: bearer token on every request, bounded retries.

    Throttling (429) and 503/504 are retried after Graph's `Retry-After`; other 5xx and
    timeouts/connection errors after jittered exponential backoff, so many workers do not
    retry in step. After `max_attempts` tries it raises `GraphError`. Absolute URLs (Graph's
    nextLink/deltaLink) must point at the configured Graph host, so the token never leaves it.
    """

    def __init__(
        self,
        settings: Settings,
        tokens: TokenSource,
        *,
        max_attempts: int = 5,
        timeout: float = 30.0,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        max_retry_after: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = settings.graph_api_url.rstrip("/")
        self._origin = _origin(self.base_url)
        self._tokens = tokens
        self._max_attempts = max(1, max_attempts)
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._max_retry_after = max_retry_after
        self._sleep = sleep
        self._http = httpx.Client(timeout=timeout, headers={"Accept": "application/json"})

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def url(self, path_or_url: str) -> str:
        """An absolute URL on the Graph host: paths are joined to the base URL."""
        if path_or_url.startswith(("http://", "https://")):
            if _origin(path_or_url) != self._origin:
                raise GraphError(
                    f"refusing to send the Graph token to {urlsplit(path_or_url).netloc}: "
                    f"links must stay on {urlsplit(self.base_url).netloc} (GRAPH_API_URL)"
                )
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def request(
        self, method: str, path_or_url: str, *, json: dict[str, Any] | None = None
    ) -> httpx.Response:
        """Send with retries; returns the first answer that is not worth retrying (any
        status: the caller decides what a 4xx means), or raises GraphError once the tries
        are used up."""
        target = self.url(path_or_url)
        path = urlsplit(target).path
        problem = ""
        status: int | None = None
        for attempt in range(1, self._max_attempts + 1):
            headers = {"Authorization": f"Bearer {self._tokens.token()}"}
            try:
                response = self._http.request(method, target, json=json, headers=headers)
            except httpx.TransportError as exc:  # timeouts, refused and reset connections
                problem, status = f"{type(exc).__name__}: {exc}", None
                wait = self._jittered(attempt)
            else:
                if response.status_code not in RETRYABLE:
                    return response
                status = response.status_code
                code, detail = _error_of(response)
                problem = f"{status} {code or detail or response.reason_phrase}"
                retry_after = _retry_after(response)
                wait = (
                    min(retry_after, self._max_retry_after)
                    if retry_after is not None
                    else self._jittered(attempt)
                )
            if attempt < self._max_attempts:
                log.info("Graph %s %s: %s; retrying in %.1f s", method, path, problem, wait)
                self._sleep(wait)
        raise GraphError(
            f"Microsoft Graph did not answer {method} {path} after {self._max_attempts} tries "
            f"(last: {problem}); try again later",
            status=status,
        )

    def get_json(self, path_or_url: str) -> dict[str, Any]:
        """GET and decode a JSON object; any non-2xx answer raises GraphError."""
        response = self.request("GET", path_or_url)
        if not response.is_success:
            raise GraphError.from_response("GET", self.url(path_or_url), response)
        body = response.json()
        if not isinstance(body, dict):
            raise GraphError(f"Microsoft Graph sent a non-object body for GET {path_or_url}")
        return body

    def _jittered(self, attempt: int) -> float:
        """Full jitter: anywhere between 0 and the exponential ceiling for this attempt."""
        ceiling = min(self._max_backoff, self._backoff * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)  # noqa: S311 - spreading retries, not cryptography


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After as seconds (Graph sends seconds; an HTTP date is accepted too)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None
