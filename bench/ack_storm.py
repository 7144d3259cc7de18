"""Benchmark: the acknowledgement storm. A critical alert to a whole trust (1,800 people) is
followed by everyone pressing Acknowledge at once: 1,800 presses in 10 s, half Slack
block_actions signed with the signing secret, half Teams Action.Execute invokes with a Bot
Framework token (RS256, validated against a local OpenID/JWKS endpoint), sent open-loop (press
i at start + i/180 s whatever happened to the earlier ones; latency from that moment to the
HTTP answer, as bench.slack_ack) to the real `qihub web` under uvicorn in its own process.
Goal: p99 <= 2x the floor, every press recorded exactly once.

How the alert is made: 1,800 staff are written to a fresh database (odd ids on Slack, even ids
on Teams with a personal chat installed), and the alert is sent by the product's own
broadcast (handlers.alerts.broadcast.send, audience "all") and delivered by the outbox sender
`qihub clock` runs, through the fake Slack Web API and fake Bot Connector (one child process).
The Acknowledge buttons pressed are the ones those fakes captured in the delivered messages
(sealed by the server, handlers.seals): the Slack button element, the Teams Action.Execute.
Fifty more staff, added after the send (so not recipients), warm the server up first; their
presses are answered "not sent to you" and are not measured.

The floor, driven the same way in the same run: a bare ASGI app under the same uvicorn that
only checks the Slack signature (slack_sdk's SignatureVerifier) or the Teams token (PyJWT,
RS256 against the same JWKS, audience and issuer) and answers 200.

Answered is not recorded: the Slack listener acks at once and records in its own executor
afterwards (bot.slack.listeners), so the server is kept running until every press is in the
ledger, and "press to recorded" (each press's scheduled moment to its acked_at) is reported
beside "press to answer", with the recording rate one process sustained.

Exactly once: afterwards the acknowledgement ledger must hold 1,800 acknowledged rows for 1,800
distinct people (900 via Slack, 900 via Teams) and the audit trail 1,800 "acknowledged" entries.

The publisher's status message: the product rewrites it from the clock's reminder tick
(handlers.alerts.reminders, every REMINDER_SECONDS = 60 s in `qihub clock`), not per press. Right
after the last press is answered this benchmark runs that tick (bot.clock.reminder_tick) and
the outbox sender once, and measures from the last answered press to the moment the fake Slack
receives the chat.update whose text reads "1800 of 1800 acknowledged". In production add the
wait for the next tick: up to 60 s.

QIHUB_BENCH_SCALE scales the number of people and presses (the rate stays 180 a second).
Results: bench/results/ack_storm.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench.machine import describe
from bench.slack_ack import (
    REQUEST_TIMEOUT_S,
    SECRET,
    SEND_FAILURES,
    Child,
    Connections,
    Sample,
    _percentile,
    _start,
    scale,
    serve_on_loopback,
    summarise,
)

RESULTS = Path(__file__).parent / "results" / "ack_storm.json"
PEOPLE = 1_800
WINDOW_S = 10.0
TARGET_RATIO = 2.0
WARM_PEOPLE = 50
BOT_TOKEN = "xoxb-bench-token"
CLIENT_ID = "c38eda0f-e780-49ae-86f0-afb644203cf8"  # tests.teams.oidc.CLIENT_ID
TENANT_ID = "b28fdbfd-2b78-4f93-b0f8-8881793f0f8f"
PUBLISHER = 1
"""Staff 1 (on Slack) publishes the alert; everyone, the publisher included, is a recipient."""


def people() -> int:
    return max(int(PEOPLE * scale()) // 2 * 2, 20)


def slack_id(i: int) -> str:
    return f"U{i:08d}"


def aad_id(i: int) -> str:
    return str(uuid.UUID(int=i))


def chat_id(i: int) -> str:
    return f"a:storm-chat-{i}"


def on_slack(i: int) -> bool:
    return i % 2 == 1


# ------------------------------------------------------------------ the fakes (one child)
def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _text_of(node: Any) -> str:
    return json.dumps(node) if not isinstance(node, str) else node


def _serve_fakes(conn: Connection) -> None:
    """The fake Slack Web API and Bot Connector of the tests, keeping only what the benchmark
    reads: the first Acknowledge button each delivered, and when each status update came."""
    from tests.slack.fake_api import FakeSlack
    from tests.teams.fake_connector import FakeConnector

    seen: dict[str, Any] = {"slack_button": None, "teams_button": None, "updates": []}
    counts = {"slack_posts": 0, "teams_posts": 0}

    class StormSlack(FakeSlack):
        def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
            answered = super().answer(method, params)
            with self._lock:
                self.calls.clear()
                blocks = params.get("blocks")
                blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
                if method == "chat.postMessage":
                    counts["slack_posts"] += 1
                    if seen["slack_button"] is None:
                        for node in _walk(blocks):
                            if node.get("type") == "button" and "Acknowledge" in _text_of(
                                node.get("text")
                            ):
                                seen["slack_button"] = node
                elif method == "chat.update":
                    text = f"{params.get('text', '')} {_text_of(blocks)}"
                    seen["updates"].append((time.monotonic(), text))
            return answered

    class StormConnector(FakeConnector):
        def answer(
            self, method: str, path: str, headers: dict[str, str], body: Any
        ) -> tuple[int, dict[str, str], Any]:
            answered = super().answer(method, path, headers, body)
            with self._lock:
                self.calls.clear()
                if method == "POST" and path.endswith("/activities"):
                    counts["teams_posts"] += 1
                    if seen["teams_button"] is None:
                        for node in _walk(body):
                            if node.get("type") == "Action.Execute" and node.get(
                                "title", ""
                            ).startswith("Acknowledge"):
                                seen["teams_button"] = node
            return answered

    slack, connector = StormSlack(), StormConnector()
    servers = [slack.start(), connector.start()]
    conn.send({"slack": slack.url, "teams": connector.url})
    while (message := conn.recv()) != "stop":
        if message == "reset":  # a new database: new seal key, new alert
            seen.update(slack_button=None, teams_button=None, updates=[])
            counts.update(slack_posts=0, teams_posts=0)
        conn.send({**seen, **counts})
    for server in servers:
        server.shutdown()


def _ask(fakes: Child) -> dict[str, Any]:
    fakes.conn.send("seen")
    seen: dict[str, Any] = fakes.conn.recv()
    return seen


# ------------------------------------------------------------------ settings and servers
def _settings(db_url: str, fakes: dict[str, str], metadata_url: str) -> Any:
    from bot.settings import Settings

    return Settings(
        database_url=db_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=f"{fakes['slack']}/api/",
        slack_messages_per_minute=1_000_000,  # delivering the alert is not what is measured
        teams_client_id=CLIENT_ID,
        teams_tenant_id=TENANT_ID,
        teams_openid_metadata_url=metadata_url,
        teams_service_url=f"{fakes['teams']}/",
        teams_service_hosts="127.0.0.1",
        teams_tenant_requests_per_second=100_000,
        _env_file=None,
    )


def make_hub(db_url: str, fakes: dict[str, str], metadata_url: str) -> Any:
    """The app as `qihub web` and `qihub clock` build it, every channel on Slack (so the
    all-staff post really goes out)."""
    from bot.app import create_app
    from handlers.config import Channel, load_config

    config = load_config(None)
    channels = {
        key: Channel(name=c.name, slack_id=f"C0{key.upper()}", teams_id=None)
        for key, c in config.channels.items()
    }
    return create_app(
        _settings(db_url, fakes, metadata_url),
        config=config.model_copy(update={"channels": channels}),
    )


def _qihub_web(
    conn: Connection, db_url: str, fakes: dict[str, str], metadata_url: str,
    port: int = 0, shared: bool = False,
) -> None:  # fmt: skip
    from bot.web import create_web_app
    from tests.teams.oidc import outbound_token

    hub = make_hub(db_url, fakes, metadata_url)
    web = create_web_app(hub, teams_token=outbound_token())
    if shared:
        _serve_shared(conn, web, port)
    else:
        serve_on_loopback(conn, web)


def _serve_shared(conn: Connection, web: Any, port: int) -> None:
    """serve_on_loopback, on a port other workers share (SO_REUSEPORT)."""
    import socket

    import uvicorn

    from bot.outbox_workers import freeze_startup_heap

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(2048)
    server = uvicorn.Server(uvicorn.Config(web, log_level="warning"))

    def stop_when_told() -> None:
        conn.recv()
        server.should_exit = True

    threading.Thread(target=stop_when_told, daemon=True).start()
    freeze_startup_heap()
    conn.send(listener.getsockname()[1])
    server.run(sockets=[listener])


def _floor_web(conn: Connection, _db_url: str, _fakes: dict[str, str], metadata_url: str) -> None:
    serve_on_loopback(conn, FloorApp(metadata_url))


class FloorApp:
    """The floor: a bare ASGI app that checks the Slack signature or the Teams token and
    answers. Nothing else: no platform SDK, no database, no rendering."""

    def __init__(self, metadata_url: str) -> None:
        import httpx
        import jwt
        from slack_sdk.signature import SignatureVerifier

        from tests.teams.oidc import ISSUER

        metadata = httpx.get(metadata_url).json()
        keys = httpx.get(metadata["jwks_uri"]).json()["keys"]
        self._keys = {k["kid"]: jwt.PyJWK(k).key for k in keys}
        self._issuer = ISSUER
        self._slack = SignatureVerifier(SECRET)

    def _teams_ok(self, authorization: str) -> bool:
        import jwt

        bearer = authorization.removeprefix("Bearer ")
        try:
            kid = jwt.get_unverified_header(bearer).get("kid", "")
            jwt.decode(
                bearer,
                self._keys[kid],
                algorithms=["RS256"],
                audience=CLIENT_ID,
                issuer=self._issuer,
            )
        except (jwt.PyJWTError, KeyError):
            return False
        return True

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                while (await receive())["type"] != "lifespan.shutdown":
                    await send({"type": "lifespan.startup.complete"})
                await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if scope["path"] == "/slack/events":
            ok = self._slack.is_valid(
                body,
                headers.get("x-slack-request-timestamp", ""),
                headers.get("x-slack-signature", ""),
            )
        else:
            ok = self._teams_ok(headers.get("authorization", ""))
        status = 200 if ok else 401
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-length", b"0")],  # not chunked: as the product answers
            }
        )
        await send({"type": "http.response.body", "body": b""})


def variants(backends: list[str]) -> list[tuple[str, str, int]]:
    """(result key, backend, `qihub web` processes) to run: SQLite with one (WEB_WORKERS above
    1 is refused there), PostgreSQL with each of QIHUB_BENCH_WEB_WORKERS (default "1,2")."""
    counts = [int(n) for n in os.environ.get("QIHUB_BENCH_WEB_WORKERS", "1,2").split(",") if n]
    out: list[tuple[str, str, int]] = []
    for backend in backends:
        for workers in [1] if backend == "sqlite" else counts or [1]:
            key = backend if workers == 1 else f"{backend}_{workers}_workers"
            out.append((key, backend, workers))
    return out


RUNS_DEFAULT = 1
"""QIHUB_BENCH_RUNS: whole runs to make (each with its own floor); the run with the median p99
is reported for each variant, and every run's figures are kept under "runs"."""


def _serve(
    conn: Connection, kind: str, db_url: str, fakes: dict[str, str], meta: str,
    port: int = 0, shared: bool = False,
) -> None:  # fmt: skip
    """One server process. `shared`: one of several `qihub web` workers on one port (each
    binds it with SO_REUSEPORT and the kernel spreads connections over them, as over
    uvicorn's workers under WEB_WORKERS); `port` 0 picks a free one."""
    out = os.environ.get("QIHUB_BENCH_SAMPLE")
    if out and kind == "qihub":
        threading.Thread(target=_sample, args=(f"{out}.{db_url[:5]}",), daemon=True).start()
    spy = os.environ.get("QIHUB_BENCH_PYSPY")
    if spy and kind == "qihub":  # py-spy (pip install py-spy): what holds the GIL, as it runs
        import subprocess
        import sys

        subprocess.Popen(
            [str(Path(sys.executable).parent / "py-spy"), "record", "--gil", "--rate", "250",
             "--format", "raw", "-o", f"{spy}.{db_url[:5]}", "--pid", str(os.getpid())],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    if kind == "qihub":
        _qihub_web(conn, db_url, fakes, meta, port, shared)
    else:
        _floor_web(conn, db_url, fakes, meta)


def _sample(out: str, every_s: float = 0.002) -> None:
    """A poor man's sampling profiler (QIHUB_BENCH_SAMPLE=path): every 2 ms, which functions
    every thread of the server is in (each counted once per sample, anywhere in the stack);
    the counts are written to `out` every second. Idle threads waiting in selectors or
    queues are counted too: read the rows below the waits."""
    import collections
    import sys

    me = threading.get_ident()
    counts: collections.Counter[str] = collections.Counter()
    samples = 0
    written = time.monotonic()
    while True:
        time.sleep(every_s)
        samples += 1
        for ident, frame in sys._current_frames().items():
            if ident == me:
                continue
            seen: set[str] = set()
            node: Any = frame
            while node is not None:
                code = node.f_code
                seen.add(f"{code.co_filename.split('site-packages/')[-1]}:{code.co_name}")
                node = node.f_back
            counts.update(seen)
        if time.monotonic() - written > 1:
            written = time.monotonic()
            lines = [f"{samples} samples"] + [
                f"{n:7d} {name}" for name, n in counts.most_common(150)
            ]
            Path(out).write_text("\n".join(lines) + "\n")


# ------------------------------------------------------------------ the alert
NOW = datetime.now(UTC).replace(microsecond=0)


def _staff_rows(first: int, last: int, teams_url: str) -> tuple[list[dict[str, Any]], list[Any]]:
    staff: list[dict[str, Any]] = []
    chats: list[dict[str, Any]] = []
    for i in range(first, last + 1):
        staff.append(
            {
                "id": i,
                "email": f"person{i}@storm.example",
                "display_name": f"Person {i}",
                "active": True,
                "source": "bench",
                "created_at": NOW,
                "updated_at": NOW,
                "slack_user_id": slack_id(i) if on_slack(i) else None,
                "teams_aad_id": None if on_slack(i) else aad_id(i),
            }
        )
        if not on_slack(i):
            chats.append(
                {
                    "conversation_id": chat_id(i),
                    "kind": "personal",
                    "service_url": teams_url,
                    "tenant_id": TENANT_ID,
                    "staff_id": i,
                    "installed": True,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
    return staff, chats


def _add_staff(db_url: str, first: int, last: int, teams_url: str) -> None:
    from store.db import make_engine
    from store.models import Staff, TeamsConversation

    staff, chats = _staff_rows(first, last, teams_url)
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(Staff.__table__.insert(), staff)
            if chats:
                connection.execute(TeamsConversation.__table__.insert(), chats)
    finally:
        engine.dispose()


def send_alert(hub: Any, count: int) -> str:
    """The alert, sent to everyone by the product's broadcast and delivered by the sender
    `qihub clock` runs; returns its reference."""
    from bot.outbox_workers import connected_platforms
    from handlers.alerts import broadcast
    from handlers.context import Context, actor_for
    from handlers.outbox.sender import OutboxSender
    from store.models import Alert
    from tests.teams.oidc import outbound_token

    with hub.uow_factory() as uow:
        publisher = uow.staff.get(PUBLISHER)
        alert = Alert(
            ref="ALERT-0001",
            title="Infusion pump model X: check the software before use",
            instructions="Check the pump's software version before every use.",
            severity="critical",
            audience_kind="all",
            audience_values=[],
            ack_deadline=NOW + timedelta(hours=24),
            status="approved",
            emergency=False,
            publisher_id=PUBLISHER,
            approver_id=PUBLISHER,
            approved_at=NOW,
            created_at=NOW,
            updated_at=NOW,
        )
        uow.session.add(alert)
        uow.session.flush()
        sent = broadcast.send(Context(hub.services, uow, actor_for(uow, publisher), "slack"), alert)
        uow.commit()
        ref = alert.ref
    assert sent == count, f"{sent} recipients, {count} meant"
    sender = OutboxSender(
        hub.uow_factory, connected_platforms(hub, teams_token=outbound_token()), hub.config,
        hub.clock,
    )  # fmt: skip
    for _ in range(50):
        if sender.drain().claimed == 0:
            break
    return ref


# ------------------------------------------------------------------ the presses
def _press(
    seen: dict[str, Any], i: int, fakes: dict[str, str], bearer: str, again: bool = False
) -> tuple[str, bytes, dict[str, str]]:
    """Person i's genuine press, signed now; `again`: the same person pressing a second time
    (a new request: a new Slack trigger and action_ts, a new Teams activity id)."""
    from bench.slack_ack import signed_headers
    from tests.slack import signed
    from tests.teams import activities

    element, action = seen["slack_button"], seen["teams_button"]
    if on_slack(i):
        body = signed.block_action(
            element["action_id"],
            element.get("value", ""),
            slack_id(i),
            response_url=f"{fakes['slack']}/response/T111/{i}/storm",
            trigger=f"{i}.storm.{'again' if again else 'trigger'}",
            channel=f"D{i:08d}",
            message_ts=f"1700000000.{i:06d}",
        ).encode()
        return "/slack/events", body, signed_headers(body)
    service_url = f"{fakes['teams']}/"
    activity = activities.card_action(
        service_url, f"29:person-{i}", aad_id(i), action["verb"], action["data"]
    )
    activity["id"] = f"f:storm-{i}{'-again' if again else ''}"
    activity["conversation"]["id"] = chat_id(i)
    teams_headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
    return "/api/messages", json.dumps(activity).encode(), teams_headers


def _presses(
    seen: dict[str, Any], people_ids: list[int], fakes: dict[str, str], bearer: str
) -> list[tuple[str, bytes, dict[str, str]]]:
    """One genuine press per person, interleaved Slack / Teams, signed now."""
    return [_press(seen, i, fakes, bearer) for i in people_ids]


Request = tuple[str, bytes, dict[str, str]]
Duplicate = tuple[float, str, int, Request]
"""When (seconds from the storm's start), what kind, which press it duplicates, the request."""

DUPLICATE_EVERY = 20
"""One person in DUPLICATE_EVERY presses twice, one Slack press in DUPLICATE_EVERY is delivered
again by Slack (X-Slack-Retry-Num) and one Teams activity in DUPLICATE_EVERY is delivered
again: 10 % more requests, none of which may count a second time."""
AGAIN_AFTER_S = 1.0
"""A person pressing again because their card did not change at once."""
RETRY_AFTER_S = 3.0
"""Slack retries a request it had no answer to within 3 s (we send it whatever the answer)."""


def _duplicates(
    seen: dict[str, Any],
    originals: list[tuple[str, bytes, dict[str, str]]],
    fakes: dict[str, str],
    bearer: str,
    rate: float,
) -> list[Duplicate]:
    """(when, kind, index of the press duplicated, request) of the duplicate presses, when
    counted from the storm's start."""
    from tests.slack import signed

    out: list[Duplicate] = []
    for index, (path, body, headers) in enumerate(originals):
        i, at = index + 1, index / rate
        if i % DUPLICATE_EVERY in (0, 5):  # even ids are on Teams, odd on Slack
            again = _press(seen, i, fakes, bearer, True)
            out.append((at + AGAIN_AFTER_S, "pressed again", index, again))
        elif i % DUPLICATE_EVERY in (1, 2):
            if path == "/slack/events":
                retry = signed.retried(dict(headers), 1, "http_timeout")
                out.append((at + RETRY_AFTER_S, "slack retry", index, (path, body, retry)))
            else:
                redelivered = (path, body, dict(headers))
                out.append((at + AGAIN_AFTER_S, "teams redelivery", index, redelivered))
    return out


def _answered(path: str, status: int, content: bytes) -> str | None:
    if status != 200:
        return f"HTTP {status}: {content[:120]!r}"
    if path == "/api/messages" and content and b"Acknowledged" not in content:
        return f"not acknowledged: {content[:160]!r}"
    return None


def _answered_either(path: str, status: int, content: bytes) -> str | None:
    """A press that has a duplicate, or the duplicate: whichever of the two the server takes
    first is "Acknowledged", the other "already" done (Slack's answer to a button is always
    empty: its words go to the response_url). Whether it counted once, the ledger says."""
    if status != 200:
        return f"HTTP {status}: {content[:120]!r}"
    told = b"Acknowledged" in content or b"lready" in content
    if path == "/api/messages" and content and not told:
        return f"neither acknowledged nor already done: {content[:160]!r}"
    return None


async def _drive(
    port: int, schedule: list[tuple[float, str, bytes, dict[str, str], bool]], check: bool
) -> tuple[list[Sample], float]:
    """Open loop: each request is sent at start + its offset (seconds), whatever happened to
    the earlier ones (`schedule` is in time order; the bool marks a press that has a duplicate,
    or the duplicate, judged by _answered_either). Returns the
    samples (in schedule order) and the moment (monotonic) the last answer arrived."""
    connections = Connections(port)
    samples: list[Sample | None] = [None] * len(schedule)
    last = [0.0]

    async def send(
        index: int, path: str, body: bytes, headers: dict[str, str], at: float, dup: bool
    ) -> None:
        try:
            status, content = await asyncio.wait_for(
                connections.post(path, body, headers), REQUEST_TIMEOUT_S
            )
            done = time.monotonic()
            last[0] = max(last[0], done)
            judge = _answered_either if dup else _answered
            problem = judge(path, status, content) if check else None
            samples[index] = Sample(at, done - at, problem)
        except SEND_FAILURES as exc:
            samples[index] = Sample(at, None, type(exc).__name__)

    tasks = []
    start = time.monotonic() + 0.1
    for index, (offset, path, body, headers, dup) in enumerate(schedule):
        at = start + offset
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(index, path, body, headers, at, dup)))
    await asyncio.gather(*tasks)
    connections.close()
    return [s for s in samples if s is not None], last[0]


def drive(
    port: int, presses: list[tuple[str, bytes, dict[str, str]]], rate: float, check: bool = True
) -> tuple[list[Sample], list[str], float]:
    """Each of `presses` once, press i at i/rate: samples in press order, platforms, last."""
    schedule = [(i / rate, p, b, h, False) for i, (p, b, h) in enumerate(presses)]
    samples, last = asyncio.run(_drive(port, schedule, check))
    return samples, [_platform(p) for p, _b, _h in presses], last


def _platform(path: str) -> str:
    return "slack" if path == "/slack/events" else "teams"


def drive_with_duplicates(
    port: int,
    presses: list[tuple[str, bytes, dict[str, str]]],
    duplicates: list[Duplicate],
    rate: float,
) -> tuple[list[Sample], list[str], float, list[tuple[str, str, Sample]]]:
    """The storm with its duplicates mixed in at their moments: the presses' samples (in press
    order), their platforms, the last answer, and (kind, platform, sample) of each duplicate."""
    doubled = {index for _at, _kind, index, _request in duplicates}
    timed = [(i / rate, p, b, h, i in doubled) for i, (p, b, h) in enumerate(presses)]
    timed += [(at, p, b, h, True) for at, _kind, _index, (p, b, h) in duplicates]
    order = sorted(range(len(timed)), key=lambda n: timed[n][0])
    samples, last = asyncio.run(_drive(port, [timed[n] for n in order], True))
    by_slot = {slot: samples[position] for position, slot in enumerate(order)}
    mine = [by_slot[n] for n in range(len(presses))]
    dups = [
        (kind, _platform(p), by_slot[len(presses) + n])
        for n, (_at, kind, _index, (p, _b, _h)) in enumerate(duplicates)
    ]
    return mine, [_platform(p) for p, _b, _h in presses], last, dups


def _duplicate_figures(dups: list[tuple[str, str, Sample]]) -> dict[str, Any]:
    kinds = sorted({(kind, platform) for kind, platform, _s in dups})
    return {
        f"{kind} ({platform})": summarise([s for k, p, s in dups if (k, p) == (kind, platform)])
        for kind, platform in kinds
    }


def _by_platform(samples: list[Sample], platforms: list[str]) -> dict[str, Any]:
    return {
        name: summarise([s for s, p in zip(samples, platforms, strict=True) if p == name])
        for name in ("slack", "teams")
    }


# ------------------------------------------------------------------ after the storm
def ledger(db_url: str, ref: str) -> dict[str, Any]:
    """What the acknowledgement ledger and the audit trail hold for the alert."""
    from sqlalchemy import distinct, func, select

    from store.db import make_engine
    from store.models import Alert, AlertRecipient, AuditEntry

    engine = make_engine(db_url)
    try:
        with engine.connect() as db:
            alert_id = db.scalar(select(Alert.id).where(Alert.ref == ref))
            acked = AlertRecipient.acked_at.is_not(None)
            mine = AlertRecipient.alert_id == alert_id
            rows = db.scalar(select(func.count()).select_from(AlertRecipient).where(mine, acked))
            people_acked = db.scalar(
                select(func.count(distinct(AlertRecipient.staff_id))).where(mine, acked)
            )
            via = dict(
                db.execute(
                    select(AlertRecipient.ack_platform, func.count())
                    .where(mine, acked)
                    .group_by(AlertRecipient.ack_platform)
                ).all()
            )
            audited = db.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.entity_ref == ref, AuditEntry.action == "acknowledged")
            )
            recipients = db.scalar(select(func.count()).select_from(AlertRecipient).where(mine))
    finally:
        engine.dispose()
    return {
        "recipients": int(recipients or 0),
        "requests_remembered": _storm_keys(db_url, int(recipients or 0)),
        "acknowledged_rows": int(rows or 0),
        "distinct_people_acknowledged": int(people_acked or 0),
        "via": {str(k): int(v) for k, v in via.items()},
        "audited_acknowledgements": int(audited or 0),
    }


def _storm_keys(db_url: str, count: int) -> int:
    """Inbound requests the server remembered as handled (store/models/inbound.py) for the
    storm's people 1..count: one per distinct press (a person pressing again is a new one);
    a Slack retry or a Teams redelivery of a request already handled must add none."""
    import re

    from sqlalchemy import select

    from store.db import make_engine
    from store.models import InboundRequest

    engine = make_engine(db_url)
    try:
        with engine.connect() as db:
            keys = db.scalars(select(InboundRequest.key)).all()
    finally:
        engine.dispose()
    person = re.compile(r"(?:slack:action:(\d+)\.storm\.|teams:f:storm-(\d+))")
    found = 0
    for key in keys:
        match = person.match(key)
        if match and 1 <= int(match.group(1) or match.group(2)) <= count:
            found += 1
    return found


def status_lag(hub: Any, fakes: Child, count: int, last_ack: float) -> dict[str, Any]:
    """Run the clock's reminder tick and the sender once, as `qihub clock` does on its next
    tick, and time the status message's update that shows every acknowledgement."""
    from bot.clock import reminder_tick
    from bot.outbox_workers import connected_platforms
    from handlers.outbox.sender import OutboxSender
    from tests.teams.oidc import outbound_token

    began = time.monotonic()
    reminder_tick(hub)
    ticked = time.monotonic()
    sender = OutboxSender(
        hub.uow_factory, connected_platforms(hub, teams_token=outbound_token()), hub.config,
        hub.clock,
    )  # fmt: skip
    sender.drain()
    wanted = f"{count} of {count} acknowledged"
    found = None
    deadline = time.monotonic() + 30
    while found is None and time.monotonic() < deadline:
        updates = _ask(fakes)["updates"]
        found = next((at for at, text in updates if at >= began and wanted in text), None)
        if found is None:
            time.sleep(0.1)
    result: dict[str, Any] = {
        "shows_every_acknowledgement": found is not None,
        "tick_ms": round((ticked - began) * 1000, 1),
        "started_after_last_ack_ms": round((began - last_ack) * 1000, 1),
    }
    if found is not None:
        result["last_ack_to_update_ms"] = round((found - last_ack) * 1000, 1)
        result["tick_start_to_update_ms"] = round((found - began) * 1000, 1)
    result["in_production_add"] = "the wait for the clock's next reminder tick: up to 60 s"
    return result


# ------------------------------------------------------------------ the run
def _measure(
    kind: str, db_url: str, fakes: Child, openid: Any, seen: dict[str, Any], count: int,
    ref: str = "", workers: int = 1,
) -> tuple[dict[str, Any], float]:  # fmt: skip
    """Drive one server; for `qihub web`, wait (up to RECORD_WAIT_S) until every press is in
    the ledger before stopping it: a Slack press is answered at once and recorded just after
    (bot.slack.listeners acks, then works), so the answer alone says nothing about the record.
    Returns the figures and the moment (monotonic) the last press was recorded or answered."""
    from tests.teams.oidc import token

    server = _start(_serve, kind, db_url, fakes.address, openid.metadata_url, 0, workers > 1)
    servers = [server] + [
        _start(_serve, kind, db_url, fakes.address, openid.metadata_url, server.address, True)
        for _ in range(workers - 1)
    ]
    rate = count / WINDOW_S
    try:
        bearer = token(f"{fakes.address['teams']}/", lifetime=3600)
        warm_ids = list(range(count + 1, count + WARM_PEOPLE + 1))
        for _ in range(workers):  # the kernel spreads new connections over the workers
            warm = _presses(seen, warm_ids, fakes.address, bearer)
            drive(server.address, warm, 25 * workers, check=False)
        presses = _presses(seen, list(range(1, count + 1)), fakes.address, bearer)
        duplicates = _duplicates(seen, presses, fakes.address, bearer, rate)
        cpu_before = sum(_cpu_s(one.process.pid) for one in servers)
        samples, platforms, last, dups = drive_with_duplicates(
            server.address, presses, duplicates, rate
        )
        recorded = _wait_recorded(db_url, ref, count) if kind == "qihub" else {}
        cpu = sum(_cpu_s(one.process.pid) for one in servers) - cpu_before
    finally:
        for one in servers:
            one.stop()
    entry = summarise(samples)
    entry["web_workers"] = workers
    entry["server_cpu_ms_per_request"] = round(cpu * 1000 / (len(presses) + len(dups)), 2)
    # CPU time of the server process(es) from the storm's first press to its last record,
    # over every request: what a press costs whatever else shares the machine (its latency
    # depends on the load; this hardly does)
    entry["by_platform"] = _by_platform(samples, platforms)
    entry["duplicates"] = _duplicate_figures(dups)
    entry["duplicate_errors"] = sum(1 for _k, _p, sample in dups if sample.error)
    latest = max((s.scheduled for s in samples), default=0.0)
    entry["last_press_sent_s"] = round(latest - min(s.scheduled for s in samples), 2)
    if recorded:
        entry["press_to_recorded"] = _recorded_figures(samples, platforms, recorded)
        last = max(recorded.values())
        first = min(s.scheduled for s in samples)
        entry["recorded_per_s"] = round(len(recorded) / (last - first), 1)  # what one
        # process sustained: every press from the first one's moment to the last in the ledger
    return entry, last


RECORD_WAIT_S = 120.0


def _wait_recorded(db_url: str, ref: str, count: int) -> dict[int, float]:
    """{staff id: when (monotonic) their acknowledgement was recorded}, once all `count` are
    in (or nothing changed for 10 s, or RECORD_WAIT_S passed). acked_at is the web process's
    wall clock; it is mapped onto this process's monotonic clock (one machine, one clock)."""
    from sqlalchemy import select

    from store.db import make_engine
    from store.models import Alert, AlertRecipient

    offset = time.time() - time.monotonic()
    engine = make_engine(db_url)
    found: dict[int, float] = {}
    try:
        deadline, still = time.monotonic() + RECORD_WAIT_S, time.monotonic() + 10
        while time.monotonic() < min(deadline, still):
            with engine.connect() as db:
                alert_id = db.scalar(select(Alert.id).where(Alert.ref == ref))
                rows = db.execute(
                    select(AlertRecipient.staff_id, AlertRecipient.acked_at).where(
                        AlertRecipient.alert_id == alert_id, AlertRecipient.acked_at.is_not(None)
                    )
                ).all()
            if len(rows) > len(found):
                still = time.monotonic() + 10
            found = {int(i): at.timestamp() - offset for i, at in rows}
            if len(found) >= count:
                break
            time.sleep(0.25)
    finally:
        engine.dispose()
    return found


def _recorded_figures(
    samples: list[Sample], platforms: list[str], recorded: dict[int, float]
) -> dict[str, Any]:
    """From each press's scheduled moment to its acknowledgement in the ledger (press i is
    staff i + 1), by platform: what a person's press costs until it counts."""
    figures: dict[str, Any] = {}
    for name in ("slack", "teams"):
        delays = sorted(
            (recorded[index + 1] - sample.scheduled) * 1000
            for index, (sample, platform) in enumerate(zip(samples, platforms, strict=True))
            if platform == name and index + 1 in recorded
        )
        if delays:
            figures[name] = {
                "recorded": len(delays),
                "p50_ms": round(_percentile(delays, 0.5), 1),
                "p99_ms": round(_percentile(delays, 0.99), 1),
                "max_ms": round(delays[-1], 1),
            }
    return figures


def _run_backend(
    backend: str, tmp: str, fakes: Child, openid: Any, count: int, workers: int = 1
) -> dict[str, Any]:
    from bench import ack_databases

    fakes.conn.send("reset")
    fakes.conn.recv()
    with ack_databases.fresh(backend, tmp) as db_url:
        teams_url = f"{fakes.address['teams']}/"
        _add_staff(db_url, 1, count, teams_url)
        hub = make_hub(db_url, fakes.address, openid.metadata_url)
        ref = send_alert(hub, count)
        _add_staff(db_url, count + 1, count + WARM_PEOPLE, teams_url)  # not recipients
        seen = _ask(fakes)
        assert seen["slack_button"], "no Acknowledge button delivered on Slack"
        assert seen["teams_button"], "no Acknowledge button delivered on Teams"
        load_before = os.getloadavg()
        entry, last = _measure("qihub", db_url, fakes, openid, seen, count, ref, workers)
        entry["load_average"] = {"before": _load(load_before), "after": _load(os.getloadavg())}
        entry["ledger"] = ledger(db_url, ref)
        entry["status_message"] = status_lag(hub, fakes, count, last)
        entry["delivered"] = {k: seen[k] for k in ("slack_posts", "teams_posts")}
    return entry


def _cpu_s(pid: int | None) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load(figures: tuple[float, float, float]) -> list[float]:
    """The 1, 5 and 15 minute load averages: other work sharing the machine's CPUs."""
    return [round(x, 2) for x in figures]


def _exactly_once(entry: dict[str, Any], count: int) -> bool:
    """Every person's acknowledgement recorded and audited once, whatever they or the platform
    sent twice; and each distinct press remembered once, no retry or redelivery as a new one."""
    book = entry["ledger"]
    again = sum(figures["sent"] for kind, figures in entry["duplicates"].items() if "again" in kind)
    return bool(
        book["acknowledged_rows"] == count
        and book["distinct_people_acknowledged"] == count
        and book["audited_acknowledgements"] == count
        and book["via"].get("slack") == count // 2
        and book["via"].get("teams") == count // 2
        and book["requests_remembered"] == count + again
    )


def run() -> dict[str, Any]:
    from bench import ack_databases
    from tests.teams.oidc import FakeOpenId

    count = people()
    backends, skipped = ack_databases.chosen()
    result: dict[str, Any] = {
        "benchmark": "ack_storm",
        "people": count,
        "window_s": WINDOW_S,
        "rate_per_s": count / WINDOW_S,
        "target": f"p99 <= {TARGET_RATIO:g} x the floor's p99; every press recorded once",
        "floor": "bare ASGI app: Slack signature (slack_sdk) or Teams token (PyJWT RS256) only",
        "backends": backends,
        "skipped": skipped,
    }
    openid = FakeOpenId()
    openid_server = openid.start()
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        fakes = _start(_serve_fakes)
        try:
            for _ in range(max(1, int(os.environ.get("QIHUB_BENCH_RUNS", RUNS_DEFAULT)))):
                runs.append(_one_run(backends, tmp, fakes, openid, count))
        finally:
            fakes.stop()
            openid_server.shutdown()
    floors = sorted((r["floor"] for r in runs), key=lambda f: f.get("p99_ms") or 0)
    floor = floors[len(floors) // 2]
    result["floor_result"] = floor
    result["variants"] = [key for key, _b, _w in variants(backends)]
    met = bool(runs and runs[0]["ours"])
    for key in result["variants"]:
        mine = _median_run([r["ours"][key] for r in runs])
        mine["p99_ratio_to_floor"] = _ratio(mine, floor, "p99_ms")
        mine["p50_ratio_to_floor"] = _ratio(mine, floor, "p50_ms")
        mine["exactly_once"] = _exactly_once(mine, count)
        result[key] = mine
        met = met and all(_exactly_once(r["ours"][key], count) for r in runs)
        met = met and mine["errors"] == 0 and mine["duplicate_errors"] == 0
        met = met and mine["p99_ratio_to_floor"] is not None
        met = met and mine["p99_ratio_to_floor"] <= TARGET_RATIO
    result["runs"] = [_run_summary(r, count) for r in runs]
    result["meets_target"] = met
    result["machine"] = describe()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return result


def _one_run(
    backends: list[str], tmp: str, fakes: Child, openid: Any, count: int
) -> dict[str, Any]:
    ours: dict[str, dict[str, Any]] = {}
    floor: dict[str, Any] = {}
    for key, backend, workers in variants(backends):
        ours[key] = _run_backend(backend, tmp, fakes, openid, count, workers)
        if not floor:  # the floor needs the buttons only to shape its requests
            floor, _last = _measure("floor", "", fakes, openid, _ask(fakes), count)
    return {"floor": floor, "ours": ours}


def _ratio(mine: dict[str, Any], floor: dict[str, Any], key: str) -> float | None:
    return round(mine[key] / floor[key], 1) if mine.get(key) and floor.get(key) else None


def _median_run(entries: list[dict[str, Any]]) -> dict[str, Any]:
    ranked = sorted(entries, key=lambda e: e.get("p99_ms") or float("inf"))
    return dict(ranked[len(ranked) // 2])


def _run_summary(run: dict[str, Any], count: int) -> dict[str, Any]:
    """One run in brief: the spread between runs on a shared machine is part of the result."""
    floor = run["floor"]
    wanted = ("p50_ms", "p99_ms", "server_cpu_ms_per_request")
    out: dict[str, Any] = {"floor": {k: floor.get(k) for k in wanted}}
    for key, mine in run["ours"].items():
        out[key] = {
            "p50_ms": mine.get("p50_ms"),
            "p99_ms": mine.get("p99_ms"),
            "errors": mine["errors"],
            "p99_ratio_to_its_floor": _ratio(mine, floor, "p99_ms"),
            "recorded_per_s": mine.get("recorded_per_s"),
            "server_cpu_ms_per_request": mine["server_cpu_ms_per_request"],
            "exactly_once": _exactly_once(mine, count),
            "load_average": mine["load_average"],
        }
    return out


def report(result: dict[str, Any]) -> str:
    floor = result["floor_result"]
    lines = [
        f"ack storm: {result['people']} presses in {result['window_s']:g} s, half Slack, half "
        f"Teams (target p99 <= {TARGET_RATIO:g}x floor, each press once): "
        f"{'met' if result['meets_target'] else 'MISSED'}",
        f"  floor p50 {floor.get('p50_ms')} / p99 {floor.get('p99_ms')} ms, "
        f"{floor.get('errors')} errors",
    ]
    for backend, why in result.get("skipped", {}).items():
        lines.append(f"  {backend}: skipped ({why})")
    for n, one in enumerate(result.get("runs", []), 1):
        spread = ", ".join(
            f"{k} {v['p50_ms']} / {v['p99_ms']}" for k, v in one.items() if k != "floor"
        )
        floor_n = one["floor"]
        lines.append(f"  run {n}: floor {floor_n['p50_ms']} / {floor_n['p99_ms']}; {spread}")
    for backend in result["variants"]:
        ours = result[backend]
        book, status = ours["ledger"], ours["status_message"]
        lines.append(
            f"  {backend}: p50 {ours.get('p50_ms')} / p95 {ours.get('p95_ms')} / p99 "
            f"{ours.get('p99_ms')} / max {ours.get('max_ms')} ms, {ours['errors']} errors "
            f"(x{ours['p50_ratio_to_floor']} / x{ours['p99_ratio_to_floor']} of the floor); "
            f"server CPU {ours['server_cpu_ms_per_request']} ms a request "
            f"(floor {floor.get('server_cpu_ms_per_request')}), {ours['web_workers']} process(es)"
        )
        for name, part in ours["by_platform"].items():
            rec = ours.get("press_to_recorded", {}).get(name, {})
            lines.append(
                f"      {name}: answered p50 {part.get('p50_ms')} / p99 {part.get('p99_ms')} ms; "
                f"recorded p50 {rec.get('p50_ms')} / p99 {rec.get('p99_ms')} ms"
            )
        lines.append(f"      recorded {ours.get('recorded_per_s')} a second overall")
        lines.append(
            f"      ledger: {book['acknowledged_rows']} acknowledged of {book['recipients']}, "
            f"{book['distinct_people_acknowledged']} people, via {book['via']}, audited "
            f"{book['audited_acknowledgements']}; {book['requests_remembered']} presses "
            f"remembered: {'exactly once' if ours['exactly_once'] else 'NOT exactly once'}"
        )
        for kind, part in ours["duplicates"].items():
            lines.append(
                f"      duplicate, {kind}: {part['sent']} sent, answered p50 "
                f"{part.get('p50_ms')} / p99 {part.get('p99_ms')} ms, {part['errors']} errors"
            )
        load = ours["load_average"]
        lines.append(f"      load average {load['before']} before, {load['after']} after")
        lines.append(
            f"      status message: tick {status['tick_ms']} ms; last ack recorded to the update "
            f"showing all: {status.get('last_ack_to_update_ms')} ms (+ up to 60 s until "
            "the clock's next tick in production)"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
