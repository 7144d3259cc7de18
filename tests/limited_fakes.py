"""Fake Slack and Teams APIs that ENFORCE the documented send limits, for broadcasts.

The plain fakes (tests/slack/fake_api.py, tests/teams/fake_connector.py) answer everything and
fail only on demand. These subclasses also refuse, with HTTP 429 and Retry-After as the real
services do, any message over a limit:

  Slack chat.postMessage: 1 a second per channel (a DM is a channel) and a workspace budget
  ("several hundred per minute": 300 / 60 s unless configured);
  Teams Bot Connector: per conversation 7 / 1 s, 8 / 2 s, 60 / 30 s and 1,800 / hour, per
  tenant 50 requests a second (every call counts, opening a chat included).

Time is not faked: the windows are real seconds. A benchmark that cannot wait an hour for
100,000 messages raises the workspace or tenant budget (say 300/min x 30) and configures the
dispatcher with the same figure, and reports that scale. Windows slide (a message counts
against a limit for exactly `window` seconds after it arrived), which is the strictest reading
of the documentation.

Each fake keeps counts, not calls (a broadcast of 100,000 would otherwise hold every message
body): `delivered` maps each DM channel / conversation to the messages it received, from
which duplicates and lost recipients follow. A "storm" answers a share of message calls with
429 for a while, whatever the budgets, to test that rate limiting slows delivery down without
losing or dead-lettering anything.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from tests.slack.fake_api import FakeSlack
from tests.teams.fake_connector import FakeConnector, _error_body

Limit = tuple[int, float]
"""At most `count` messages in any `window` seconds."""


@dataclass
class _Window:
    """One sliding-window limit over arrival times (time.monotonic)."""

    count: int
    window: float
    times: deque[float] = field(default_factory=deque)

    def wait(self, now: float) -> float:
        """0 if one more fits now, else seconds until the oldest leaves the window."""
        while self.times and self.times[0] <= now - self.window:
            self.times.popleft()
        if len(self.times) < self.count:
            return 0.0
        return self.times[0] + self.window - now

    def hit(self, now: float) -> None:
        self.times.append(now)


class _Limits:
    """A shared limit plus one set of limits per key (channel, conversation), all tested
    before any is counted, as a real gateway does; refusals are not counted."""

    def __init__(self, shared: list[Limit], per_key: list[Limit]) -> None:
        self._shared = [_Window(c, w) for c, w in shared]
        self._per_key_spec = per_key
        self._per_key: dict[str, list[_Window]] = {}
        self._longest = max([w for _, w in per_key], default=0.0)
        self._seen = 0

    def admit(self, key: str | None, now: float) -> float:
        """0 and counted if the message fits; else the Retry-After it would get (seconds)."""
        windows = list(self._shared)
        if key is not None:
            if key not in self._per_key:
                self._per_key[key] = [_Window(c, w) for c, w in self._per_key_spec]
            windows += self._per_key[key]
        wait = max((w.wait(now) for w in windows), default=0.0)
        if wait > 0:
            return wait
        for w in windows:
            w.hit(now)
        self._seen += 1
        if self._seen % 5000 == 0:
            self._forget(now)
        return 0.0

    def _forget(self, now: float) -> None:
        """Drop keys with nothing left in any window, so 100,000 DMs do not pile up."""
        idle = [
            key
            for key, windows in self._per_key.items()
            if all(not w.times or w.times[-1] <= now - w.window for w in windows)
        ]
        for key in idle:
            del self._per_key[key]


@dataclass
class Storm:
    """Answer `share` of message calls with 429 (Retry-After `retry_after`) until `until`."""

    share: float
    until: float
    retry_after: int = 1
    rng: random.Random = field(default_factory=lambda: random.Random(6))


@dataclass
class Tally:
    """What a limited fake saw: messages delivered per destination, 429s, and when."""

    delivered: Counter[str] = field(default_factory=Counter)
    limited: int = 0
    storm_limited: int = 0
    first: float | None = None
    last: float | None = None
    stamps: list[float] = field(default_factory=list)
    """Arrival time of every delivered message (time.monotonic), for rates over time."""

    def deliver(self, key: str, now: float) -> None:
        self.delivered[key] += 1
        self.first = now if self.first is None else self.first
        self.last = now
        self.stamps.append(now)

    @property
    def messages(self) -> int:
        return sum(self.delivered.values())

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.delivered.values() if n > 1)

    def summary(self) -> dict[str, Any]:
        span = (self.last or 0.0) - (self.first or 0.0)
        return {
            "messages": self.messages,
            "recipients": len(self.delivered),
            "duplicates": self.duplicates,
            "answered_429": self.limited + self.storm_limited,
            "answered_429_over_budget": self.limited,
            "answered_429_storm": self.storm_limited,
            "first_to_last_s": round(span, 3),
        }


BACKLOG = 1024
"""The listen backlog for a dispatcher's many sending threads (socketserver's default of 5
drops connections under load, and a dropped SYN costs a second)."""


def _retry_after(wait: float) -> str:
    """Retry-After in whole seconds, as both services send it (never 0)."""
    return str(max(1, math.ceil(wait)))


class _Enforcing:
    """The budget, storm and tally shared by both fakes."""

    def _setup(self, shared: list[Limit], per_key: list[Limit]) -> None:
        self.limits = _Limits(shared, per_key)
        self.tally = Tally()
        self.storm: Storm | None = None
        self.guard = threading.Lock()

    def start_storm(self, share: float, seconds: float, retry_after: int = 1) -> None:
        with self.guard:
            self.storm = Storm(share, time.monotonic() + seconds, retry_after)

    def _refusal(self, key: str | None) -> str | None:
        """Retry-After for a message call that must be refused now, else None (and counted)."""
        now = time.monotonic()
        with self.guard:
            storm = self.storm
            if storm is not None and now < storm.until and storm.rng.random() < storm.share:
                self.tally.storm_limited += 1
                return str(storm.retry_after)
            wait = self.limits.admit(key, now)
            if wait > 0:
                self.tally.limited += 1
                return _retry_after(wait)
        return None


class LimitedSlack(FakeSlack, _Enforcing):
    """The fake Slack Web API refusing chat.postMessage over the workspace or channel budget."""

    backlog = BACKLOG

    def __init__(
        self,
        *,
        workspace: Limit = (300, 60.0),
        per_channel: Limit = (1, 1.0),
        users: dict[str, str] | None = None,
    ) -> None:
        super().__init__(users=dict(users or {}))
        self.workspace = workspace
        self._setup([workspace], [per_channel])

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        if method == "chat.postMessage":
            if not params.get("channel"):
                # A body cut short (its sender killed mid-request) is no message: Slack
                # answers it as it would any post without a channel, and nothing is delivered.
                return 200, {}, {"ok": False, "error": "channel_not_found"}
            channel = str(params.get("channel"))
            retry_after = self._refusal(channel)
            if retry_after is not None:
                return 429, {"Retry-After": retry_after}, {"ok": False, "error": "ratelimited"}
        status, headers, body = super().answer(method, params)
        with self._lock:
            self.calls.clear()  # counts only: a broadcast's bodies would fill the memory
        if method == "chat.postMessage" and status == 200:
            with self.guard:
                self.tally.deliver(str(params.get("channel")), time.monotonic())
        return status, headers, body


class LimitedConnector(FakeConnector, _Enforcing):
    """The fake Bot Connector refusing calls over the per-conversation or per-tenant budgets
    (the tenant budget counts every call; the conversation budgets count activities)."""

    backlog = BACKLOG

    def __init__(
        self,
        *,
        tenant: Limit = (50, 1.0),
        per_conversation: tuple[Limit, ...] = ((7, 1.0), (8, 2.0), (60, 30.0), (1800, 3600.0)),
    ) -> None:
        super().__init__()
        self.tenant = tenant
        self._setup([tenant], list(per_conversation))

    def answer(
        self, method: str, path: str, headers: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        parts = path.strip("/").split("/")
        posting = method == "POST" and len(parts) == 4 and parts[3] == "activities"
        key = parts[2] if posting else None
        retry_after = self._refusal(key) if posting else self._tenant_call()
        if retry_after is not None:
            return 429, {"Retry-After": retry_after}, _error_body(429)
        status, extra, answer = super().answer(method, path, headers, body)
        with self._lock:
            self.calls.clear()
        if posting and key is not None and 200 <= status < 300:
            with self.guard:
                self.tally.deliver(key, time.monotonic())
        return status, extra, answer

    def _tenant_call(self) -> str | None:
        """A call that is not a message (opening a chat) spends only the tenant budget."""
        now = time.monotonic()
        with self.guard:
            wait = self.limits.admit(None, now)
            if wait > 0:
                self.tally.limited += 1
                return _retry_after(wait)
        return None
