"""Operating QI Hub: structured JSON logs with request ids, and Prometheus metrics.

Logs are one JSON object a line on stderr, each with the request id of the HTTP request that
caused it (taken from `X-Request-Id` when a proxy sets one, else made here, and echoed back).
Before a record is written, anything shaped like an email address or a credential (Slack tokens,
bearer tokens, JWTs) is replaced: the log is not a place for personal data or secrets, whatever
a library or a future line of code puts in a message.

`GET /metrics` serves the Prometheus text format: HTTP requests by route and status, the ack
latency histogram per platform, and, read from the database at scrape time (at most every few
seconds), outbox depth, deliveries by status and platform, reminders sent, alerts acknowledged
and the age of the clock's heartbeat.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pythonjsonlogger.json import JsonFormatter

from store.db import Engine
from store.figures import read_figures

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
ACK_ROUTES = {"/slack/events": "slack", "/api/messages": "teams"}

_REDACTIONS = (
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]+"), "[secret]"),
    (re.compile(r"\bxapp-[A-Za-z0-9-]+"), "[secret]"),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer [secret]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[secret]"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
    (re.compile(r"(?<![\d+])(?:\+44\s?|0044\s?|0)7\d{3}\s?\d{3}\s?\d{3}(?!\d)"), "[mobile]"),
)


def redact(message: str) -> str:
    for pattern, replacement in _REDACTIONS:
        message = pattern.sub(replacement, message)
    return message


class _RequestContext(logging.Filter):
    """Stamps each record with the id of the request being served (or "-")."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


def _scrubbed(record: logging.LogRecord) -> logging.LogRecord:
    """A copy of `record` with message and traceback redacted. The original is left alone:
    other handlers (pytest's, a platform's) see the same record object."""
    copy = logging.makeLogRecord(record.__dict__)
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        message = str(record.msg)
    copy.msg, copy.args = redact(message), None
    if record.exc_info and record.exc_info[1] is not None:
        # keep the traceback's shape, not the values an exception message may carry
        copy.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        copy.exc_info = None
    return copy


class _RedactingJson(JsonFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return str(super().format(_scrubbed(record)))


class _RedactingText(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return super().format(_scrubbed(record))


def configure_logging(level: str, *, json_lines: bool = True) -> None:
    """Logging for a QI Hub process: JSON lines (web, clock) or plain text (the console)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RequestContext())
    if json_lines:
        handler.setFormatter(
            _RedactingJson(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                timestamp=False,
            )
        )
    else:
        handler.setFormatter(_RedactingText("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old.formatter, _RedactingJson | _RedactingText):
            root.removeHandler(old)  # our own, from an earlier call: replace it
    root.addHandler(handler)
    root.setLevel(level.upper())
    # GOV.UK Notify's client warns with Notify's answer on every failed request; our adapter
    # logs what an operator needs without it (no number or address may reach a log).
    logging.getLogger("notifications_python_client").setLevel(logging.ERROR)


# ---------------------------------------------------------------------- metrics
class _DatabaseFigures(Collector):
    """Figures read from the database at scrape time, cached briefly so scrapes stay cheap."""

    CACHE_SECONDS = 5.0

    def __init__(
        self, engine: Engine, clock_age: Callable[[datetime | None], float] | None = None
    ) -> None:
        self._engine = engine
        self._clock_age = clock_age
        self._lock = threading.Lock()
        self._at = float("-inf")
        self._metrics: list[Metric] = []

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            if time.monotonic() - self._at > self.CACHE_SECONDS:
                self._metrics = self._read()
                self._at = time.monotonic()
            yield from self._metrics

    def _read(self) -> list[Metric]:
        depth = GaugeMetricFamily(
            "qihub_outbox_depth", "Outbox messages waiting to be delivered", labels=["status"]
        )
        deliveries = GaugeMetricFamily(
            "qihub_deliveries",
            "Outbox messages by status and platform",
            labels=["status", "platform"],
        )
        reminders = GaugeMetricFamily("qihub_reminders_sent", "Reminders raised (ledger rows)")
        acknowledged = GaugeMetricFamily(
            "qihub_alerts_acknowledged", "Alert acknowledgements recorded"
        )
        up = GaugeMetricFamily("qihub_database_up", "1 when the database answered this scrape")
        try:
            figures = read_figures(self._engine)
        except Exception:  # the database is down: say so, and nothing else
            up.add_metric([], 0.0)
            return [up]
        waiting: dict[str, float] = {}
        for status, platform, count in figures.deliveries:
            deliveries.add_metric([status, platform], count)
            if status in ("pending", "sending"):
                waiting[status] = waiting.get(status, 0.0) + count
        for status, count in waiting.items():
            depth.add_metric([status], count)
        reminders.add_metric([], figures.reminders_sent)
        if figures.alerts_acknowledged is not None:
            acknowledged.add_metric([], figures.alerts_acknowledged)
        up.add_metric([], 1.0)
        found: list[Metric] = [up, depth, deliveries, reminders, acknowledged]
        if self._clock_age is not None:
            age = GaugeMetricFamily(
                "qihub_clock_heartbeat_age_seconds",
                "Seconds since the leading clock last ticked (reminders stop when it does)",
            )
            age.add_metric([], self._clock_age(figures.clock_ticked_at))
            found.append(age)
        return found


class Metrics:
    def __init__(
        self, engine: Engine, clock_age: Callable[[datetime | None], float] | None = None
    ) -> None:
        """`clock_age`: seconds since a last tick (given when one was seen), for the gauge."""
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "qihub_http_requests",
            "HTTP requests by route and status",
            ["route", "status"],
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            "qihub_ack_seconds",
            "Time to answer an Acknowledge: Slack or Teams (which allow 3 s) or an ack link",
            ["platform"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
            registry=self.registry,
        )
        self.registry.register(_DatabaseFigures(engine, clock_age))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


# ---------------------------------------------------------------------- middleware
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestObserver:
    """Pure ASGI middleware (nothing buffered): a request id for every request, counted and
    timed by route. Unknown paths are counted as "other", so scanners cannot blow up the
    metric's label set."""

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: set[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = ""
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                given = value.decode("latin-1")
        request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
                platform = ACK_ROUTES.get(scope.get("path", "")) or _link_press(scope)
                if platform is not None:
                    self.metrics.ack_seconds.labels(platform).observe(time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path = str(scope.get("path", ""))
            route = path if path in self.routes else _route_family(path)
            self.metrics.requests.labels(route, str(status)).inc()
            REQUEST_ID.reset(token)


def _link_press(scope: Scope) -> str | None:
    """An Acknowledge press from a personal link is timed beside Slack's and Teams'."""
    path = str(scope.get("path", ""))
    return "link" if scope.get("method") == "POST" and path.startswith("/ack/") else None


def _route_family(path: str) -> str:
    if path.startswith("/bulletins/"):
        return "/bulletins/{id}"
    if path.startswith("/hub/"):
        return "/hub/{page}"
    if path.startswith("/assets/"):
        return "/assets/{file}"
    if path.startswith("/ack/"):
        return "/ack/{token}"  # the token itself never becomes a label
    return "other"
