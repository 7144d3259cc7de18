"""Benchmark: Slack acks at 50 requests/s for 30 s over loopback: p50 <= 20 ms, p99 <= 100 ms.

The real `qihub web` ASGI app (bot.web.create_web_app over a migrated SQLite file, Slack
configured against the fake Web API of tests/slack/fake_api.py) runs under uvicorn on
127.0.0.1 in its own process, as `qihub web` does; the fake Slack Web API runs in another.
This process drives it open-loop: request i is sent at start + i/rate whatever happened to the
earlier ones, and its latency is measured from that scheduled moment to the HTTP response (the
ack), so a slow server cannot hide its queue by slowing the sender down. Two scenarios:

  (a) `/idea <title>`: a signed slash command whose ack is followed by views.open (a modal);
  (b) a signed view_submission of the idea form, unique per request (not a replay), which
      stores an idea before it is acked.

The floor, measured the same way in the same run: a bolt App that only acks, with the same
signing secret, served by the same stack (bot.slack.app.mount on FastAPI under uvicorn). The
stored-idea count must equal the submissions sent; for (a) the time from each trigger to its
views.open call at the fake is reported too (Slack allows 3 s). Results: bench/results/.
The floor runs bolt as the product does (process_before_response=True: the listener's ack
is the HTTP answer). It used to run with process_before_response=False, in which bolt polls
for ack() every 10 ms: a handicap QI Hub does not have, which put the floor above QI Hub's own
ack ("x0.3 of the floor"). `qihub web` runs on SQLite and, when it can be reached, on
PostgreSQL (bench.ack_databases); the floor touches no database and is measured once.
QIHUB_BENCH_SCALE=0.1 runs each scenario for a tenth of the time (at least 3 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import math
import multiprocessing
import os
import re
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.machine import describe

RESULTS = Path(__file__).parent / "results" / "slack_ack.json"
TARGET_P50_MS = 20.0
TARGET_P99_MS = 100.0
RATE_PER_S = 50
DURATION_S = 30.0
WARMUP_REQUESTS = 25
REQUEST_TIMEOUT_S = 10.0
MODAL_DEADLINE_S = 3.0
"""A trigger_id is good for views.open within 3 s."""
SECRET = "bench-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-bench-token"  # the fake Slack accepts any token
USERS = {
    "U0ALEX": "alex.morgan@clatterbridge.example",
    "U0TOM": "tom.baker@clatterbridge.example",
    "U0JO": "jo.williams@clatterbridge.example",
    "U0KIM": "kim.jones@clatterbridge.example",
    "U0PRIYA": "priya.shah@clatterbridge.example",
}
TITLE_PREFIX = "Bench idea"
SCENARIOS = {
    "slash_command_opens_modal": "/idea <title>: ack, then views.open",
    "view_submission_stores_idea": "idea form submitted: idea stored, then acked",
}


def scale() -> float:
    return float(os.environ.get("QIHUB_BENCH_SCALE", "1"))


# ------------------------------------------------------------------ the fake Slack (child)
def _serve_fake(conn: Connection) -> None:
    """The fake Web API of tests/slack/fake_api.py, noting when each trigger reached views.open
    (time.monotonic is one clock for every process on the machine)."""
    from tests.slack.fake_api import FakeSlack

    opened: dict[str, float] = {}
    sealed: dict[str, str] = {}

    class TimedFakeSlack(FakeSlack):
        def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
            if method == "views.open":
                opened[str(params.get("trigger_id"))] = time.monotonic()
                view = params.get("view")
                view = json.loads(view) if isinstance(view, str) else view
                metadata = (view or {}).get("private_metadata", "")
                sealed[str(params.get("trigger_id"))] = str(metadata)
            answered = super().answer(method, params)
            with self._lock:
                self.calls.clear()  # keep memory flat; only the counts matter here
            return answered

    fake = TimedFakeSlack(users=dict(USERS))
    server = fake.start()
    conn.send(fake.url)
    while True:
        message = conn.recv()
        if message == "opened":
            conn.send(dict(opened))
        elif message == "metadata":  # each modal's sealed form session, by trigger
            conn.send(dict(sealed))
            sealed.clear()
        elif message == "stop":
            break
    server.shutdown()


# ------------------------------------------------------------------ the servers (children)
def _qihub_web(db_url: str, fake_url: str) -> Any:
    """What `qihub web` serves, with Slack configured against the fake Web API."""
    from bot.app import create_app
    from bot.settings import Settings
    from bot.web import create_web_app
    from handlers.config import Channel, load_config

    settings = Settings(
        database_url=db_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=f"{fake_url}/api/",
        _env_file=None,
    )
    config = load_config(None)
    channels = {  # every channel on Slack, so committee and panel posts really go out
        key: Channel(name=c.name, slack_id=f"C0{key.upper()}", teams_id=c.teams_id)
        for key, c in config.channels.items()
    }
    hub = create_app(settings, config=config.model_copy(update={"channels": channels}))
    hub.sync_directory()
    return create_web_app(hub)


def _floor_web(fake_url: str) -> Any:
    """The floor: a bolt App that only acks, same signing, same mount, same server."""
    from fastapi import FastAPI
    from slack_bolt import Ack, App
    from slack_sdk import WebClient

    from bot.slack.app import mount

    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=f"{fake_url}/api/"),
        signing_secret=SECRET,
        process_before_response=True,  # as bot.slack.app: no 10 ms polling for ack()
        token_verification_enabled=False,
        request_verification_enabled=True,
    )

    def only_ack(ack: Ack) -> None:
        ack()

    app.command(re.compile(r"^/.+"))(only_ack)
    app.view(re.compile(r".+"))(only_ack)
    web = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    mount(web, app, SECRET)
    return web


def _serve_web(conn: Connection, kind: str, db_url: str, fake_url: str) -> None:
    serve_on_loopback(
        conn, _qihub_web(db_url, fake_url) if kind == "qihub" else _floor_web(fake_url)
    )


def serve_on_loopback(conn: Connection, web: Any) -> None:
    """Serve `web` under uvicorn as `qihub web` does (host and port aside) until told to stop;
    the port goes back through `conn` once connections can queue."""
    import uvicorn

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(2048)  # connections queue from now on, before uvicorn takes the socket
    server = uvicorn.Server(uvicorn.Config(web, log_level="warning"))

    def stop_when_told() -> None:
        conn.recv()
        server.should_exit = True

    threading.Thread(target=stop_when_told, daemon=True).start()
    from bot.outbox_workers import freeze_startup_heap

    freeze_startup_heap()  # as `qihub web` does before it serves
    conn.send(listener.getsockname()[1])
    server.run(sockets=[listener])


@dataclass
class Child:
    process: Any
    conn: Connection
    address: Any

    def stop(self) -> None:
        with contextlib.suppress(BrokenPipeError, OSError):
            self.conn.send("stop")
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=10)


def _start(target: Callable[..., None], *args: Any) -> Child:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=target, args=(child, *args), daemon=True)
    process.start()
    if not parent.poll(120):
        process.terminate()
        raise RuntimeError(f"{target.__name__} did not start")
    return Child(process, parent, parent.recv())


# ------------------------------------------------------------------ requests, as Slack sends them
def _fixture(name: str) -> dict[str, Any]:
    from tests.paths import recorded

    return recorded("slack", name)


def slash_command_body(index: int, run: str, user: str, response_url: str) -> tuple[str, str]:
    """The recorded slash-command body as `/idea <title>`; trigger_id unique per request."""
    body = dict(_fixture("slash_command.form.json")["parsed"])
    trigger = f"{index}.{run}.bench"
    body.update(
        command="/idea",
        text=f"{TITLE_PREFIX} {run} {index}: colour-coded flush labels",
        user_id=user,
        trigger_id=trigger,
        channel_id="C111",
        response_url=response_url,
    )
    return urlencode(body), trigger


def _answers(view: dict[str, Any], by_field: dict[str, Any]) -> dict[str, Any]:
    """view.state.values as Slack reports them for a person who typed `by_field`."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        kind = element["type"]
        value = by_field.get(block["block_id"])
        entry: dict[str, Any] = {"type": kind}
        if kind in ("plain_text_input", "email_text_input", "url_text_input"):
            entry["value"] = None if value is None else str(value)
        elif kind == "static_select":
            entry["selected_option"] = next(
                (o for o in element.get("options", ()) if o["value"] == value), None
            )
        elif kind in ("multi_static_select", "checkboxes"):
            entry["selected_options"] = []
        elif kind == "datepicker":
            entry["selected_date"] = value
        state[block["block_id"]] = {element["action_id"]: entry}
    return state


def idea_modal() -> dict[str, Any]:
    """The idea form exactly as the app opens it (messages.blockkit.modal from the registry)."""
    from handlers.catalogue import build_registry
    from handlers.config import load_config
    from messages import blockkit

    spec = build_registry(load_config(None)).forms["idea.submit"]
    values = {f.name: f.default for f in spec.form.fields if f.default is not None}
    metadata = json.dumps({"c": {}, "ch": "C111"}, separators=(",", ":"))
    view: dict[str, Any] = blockkit.modal(spec.form, values, metadata)
    return view


def view_submission_body(
    view: dict[str, Any], index: int, run: str, user: str, metadata: str | None = None
) -> str:
    """A filled-in idea form, unique per request (its own view id and title): not a replay.
    `metadata`: the private_metadata of a modal the server really opened (its sealed form
    session); the product refuses a submission without one."""
    payload = copy.deepcopy(_fixture("view_submission.json")["payload"])
    payload["user"]["id"] = user
    submitted = payload["view"]
    submitted.update(
        id=f"VB{run}X{index}",
        callback_id=view["callback_id"],
        blocks=view["blocks"],
        private_metadata=metadata if metadata is not None else view.get("private_metadata", ""),
    )
    submitted["state"] = {
        "values": _answers(
            view,
            {
                "kind": "bright",
                "title": f"{TITLE_PREFIX} {run} {index}: colour-coded flush labels",
                "problem": "Saline and heparin flushes look alike on the trolley.",
                "proposed_change": "Colour-coded labels on every flush syringe.",
                "mode": "named",
            },
        )
    }
    return urlencode({"payload": json.dumps(payload)})


def signed_headers(body: bytes) -> dict[str, str]:
    from slack_sdk.signature import SignatureVerifier

    stamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
    assert signature is not None
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }


# ------------------------------------------------------------------ the open-loop driver
class Connections:
    """HTTP/1.1 keep-alive connections to the server: an idle one is reused, else a new one
    is opened, so a slow response never holds up the next request (no head-of-line wait).
    Like any HTTP client, a request that meets a kept-alive connection the server has just
    closed (uvicorn closes idle ones after 5 s) is sent again on a new one."""

    IDLE_S = 2.0

    def __init__(self, port: int) -> None:
        self._port = port
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self._port}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        head += f"Content-Length: {len(body)}\r\n\r\n"
        request = head.encode("latin-1") + body
        while self._idle:
            reader, writer, used = self._idle.pop()
            if time.monotonic() - used > self.IDLE_S or reader.at_eof():
                writer.close()
                continue
            try:
                return await self._exchange(reader, writer, request)
            except (ConnectionError, _Closed):
                writer.close()  # closed by the server while idle: not an answer, try anew
        reader, writer = await asyncio.open_connection("127.0.0.1", self._port)
        return await self._exchange(reader, writer, request)

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
    ) -> tuple[int, bytes]:
        writer.write(request)
        status_line = await reader.readline()
        if not status_line:
            raise _Closed
        status = int(status_line.split()[1])
        length, keep_alive = 0, True
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
            elif name.strip().lower() == "connection" and "close" in value.lower():
                keep_alive = False
        content = await reader.readexactly(length) if length else b""
        if keep_alive:
            self._idle.append((reader, writer, time.monotonic()))
        else:
            writer.close()
        return status, content

    def close(self) -> None:
        for _reader, writer, _used in self._idle:
            writer.close()
        self._idle.clear()


class _Closed(Exception):
    """The server closed a kept-alive connection before answering."""


SEND_FAILURES = (
    TimeoutError,
    OSError,
    ValueError,
    IndexError,
    _Closed,
    asyncio.IncompleteReadError,
)
"""What a press that got no answer raises: recorded as a sample without a latency."""


@dataclass
class Sample:
    scheduled: float
    latency_s: float | None
    error: str | None = None


@dataclass
class Drive:
    samples: list[Sample] = field(default_factory=list)
    max_send_lag_s: float = 0.0


async def _drive(
    port: int,
    bodies: list[bytes],
    rate: float,
    check: Callable[[int, bytes], str | None],
    path: str,
    headers: Callable[[bytes], dict[str, str]],
) -> Drive:
    connections = Connections(port)
    drive = Drive()
    tasks: list[asyncio.Task[None]] = []

    async def send(body: bytes, scheduled: float) -> None:
        drive.max_send_lag_s = max(drive.max_send_lag_s, time.monotonic() - scheduled)
        try:
            status, content = await asyncio.wait_for(
                connections.post(path, body, headers(body)), REQUEST_TIMEOUT_S
            )
            latency = time.monotonic() - scheduled
            problem = check(status, content)
            drive.samples.append(Sample(scheduled, latency, problem))
        except SEND_FAILURES as exc:
            drive.samples.append(Sample(scheduled, None, type(exc).__name__))

    start = time.monotonic() + 0.1
    for index, body in enumerate(bodies):
        scheduled = start + index / rate
        delay = scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(body, scheduled)))
    await asyncio.gather(*tasks)
    connections.close()
    drive.samples.sort(key=lambda s: s.scheduled)
    return drive


def drive(
    port: int,
    bodies: list[bytes],
    rate: float,
    check: Callable[[int, bytes], str | None],
    path: str = "/slack/events",
    headers: Callable[[bytes], dict[str, str]] = signed_headers,
) -> Drive:
    """Send `bodies` open-loop at `rate` per second to `path`; `headers` signs each body."""
    return asyncio.run(_drive(port, bodies, rate, check, path, headers))


def _plain_ack(status: int, content: bytes) -> str | None:
    if status != 200:
        return f"HTTP {status}"
    return None if not content.strip() else f"unexpected ack body {content[:80]!r}"


def _submission_ack(status: int, content: bytes) -> str | None:
    if status != 200:
        return f"HTTP {status}"
    if b"errors" in content:
        return f"refused: {content[:200]!r}"
    return None


# ------------------------------------------------------------------ figures
def _percentile(ordered: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the samples at or below it."""
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def summarise(samples: list[Sample]) -> dict[str, Any]:
    latencies = sorted(s.latency_s * 1000 for s in samples if s.latency_s is not None)
    errors = [s.error for s in samples if s.error]
    summary: dict[str, Any] = {"sent": len(samples), "errors": len(errors)}
    if errors:
        summary["first_errors"] = sorted(set(errors))[:5]
    if latencies:
        summary.update(
            p50_ms=round(_percentile(latencies, 0.50), 2),
            p95_ms=round(_percentile(latencies, 0.95), 2),
            p99_ms=round(_percentile(latencies, 0.99), 2),
            max_ms=round(latencies[-1], 2),
            mean_ms=round(statistics.fmean(latencies), 2),
        )
    return summary


def _ratio(ours: dict[str, Any], floor: dict[str, Any], key: str) -> float | None:
    if key not in ours or not floor.get(key):
        return None
    return round(float(ours[key]) / float(floor[key]), 1)


def _stored_ideas(db_url: str, run: str) -> int:
    from sqlalchemy import func, select

    from store.db import make_engine
    from store.models import Idea

    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            count = connection.scalar(
                select(func.count())
                .select_from(Idea)
                .where(Idea.title.like(f"{TITLE_PREFIX} {run} %"))
            )
    finally:
        engine.dispose()
    return int(count or 0)


# ------------------------------------------------------------------ the run
def _scenario_bodies(
    scenario: str,
    run: str,
    count: int,
    view: dict[str, Any],
    response_url: str,
    sealed: list[str] | None = None,
) -> tuple[list[bytes], list[str]]:
    users = list(USERS)
    bodies: list[bytes] = []
    triggers: list[str] = []
    for index in range(count):
        user = users[index % len(users)]
        if scenario == "slash_command_opens_modal":
            text, trigger = slash_command_body(index, run, user, response_url)
            triggers.append(trigger)
        else:
            text = view_submission_body(view, index, run, user, sealed[index] if sealed else None)
        bodies.append(text.encode())
    return bodies, triggers


def _measure(
    port: int,
    scenario: str,
    run: str,
    count: int,
    view: dict[str, Any],
    response_url: str,
    sealed: list[str] | None = None,
) -> tuple[Drive, list[str]]:
    check = _plain_ack if scenario == "slash_command_opens_modal" else _submission_ack
    warm_sealed = sealed[:WARMUP_REQUESTS] if sealed else None
    measured_sealed = sealed[WARMUP_REQUESTS:] if sealed else None
    warm, _ = _scenario_bodies(
        scenario, f"{run}w", WARMUP_REQUESTS, view, response_url, warm_sealed
    )
    drive(port, warm, RATE_PER_S / 2, check)  # imports, caches, identities: not measured
    bodies, triggers = _scenario_bodies(scenario, run, count, view, response_url, measured_sealed)
    return drive(port, bodies, RATE_PER_S, check), triggers


def _modal_delays(fake: Child, result: Drive, triggers: list[str]) -> dict[str, Any]:
    """Time from each measured trigger's scheduled send to its views.open at the fake."""
    deadline = time.monotonic() + 60
    while True:
        fake.conn.send("opened")
        opened: dict[str, float] = fake.conn.recv()
        missing = [t for t in triggers if t not in opened]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    delays = sorted(
        (opened[t] - sample.scheduled) * 1000
        for t, sample in zip(triggers, result.samples, strict=True)
        if t in opened
    )
    summary: dict[str, Any] = {"modals_opened": len(delays), "of": len(triggers)}
    if delays:
        summary.update(
            p50_ms=round(_percentile(delays, 0.5), 1),
            p99_ms=round(_percentile(delays, 0.99), 1),
            max_ms=round(delays[-1], 1),
            within_3s=sum(d <= MODAL_DEADLINE_S * 1000 for d in delays),
        )
    return summary


def _measure_server(
    kind: str,
    db_url: str,
    fake: Child,
    count: int,
    view: dict[str, Any],
    response_url: str,
    tag: str = "",
) -> dict[str, dict[str, Any]]:
    """Both scenarios against one server (the floor, or `qihub web` on `db_url`)."""
    measured: dict[str, dict[str, Any]] = {}
    server = _start(_serve_web, kind, db_url, fake.address)
    sealed: list[str] | None = None
    try:
        for scenario in SCENARIOS:  # the modals the commands opened are the ones submitted
            run_id = f"{kind[0]}{scenario[0]}{tag}{os.getpid()}"  # no long digit runs: the
            # patient-data guard refuses a title with ten digits in a row (an NHS number)
            outcome, triggers = _measure(
                server.address, scenario, run_id, count, view, response_url, sealed
            )
            entry = summarise(outcome.samples)
            entry["max_send_lag_ms"] = round(outcome.max_send_lag_s * 1000, 2)
            if kind == "qihub" and scenario == "slash_command_opens_modal":
                entry["views_open_after_trigger"] = _modal_delays(fake, outcome, triggers)
                fake.conn.send("metadata")
                by_trigger: dict[str, str] = fake.conn.recv()
                warm = [f"{i}.{run_id}w.bench" for i in range(WARMUP_REQUESTS)]
                # each submission is by the person whose /idea opened that modal (same index)
                sealed = [by_trigger.get(t, "") for t in (*warm, *triggers)]
            if kind == "qihub" and scenario == "view_submission_stores_idea":
                entry["ideas_stored"] = _stored_ideas(db_url, run_id)
                entry["submissions_sent"] = count
            measured[scenario] = entry
    finally:
        server.stop()
    return measured


def run() -> dict[str, Any]:
    from bench import ack_databases

    duration = max(DURATION_S * scale(), 3.0)
    count = int(RATE_PER_S * duration)
    view = idea_modal()
    backends, skipped = ack_databases.chosen()
    result: dict[str, Any] = {
        "benchmark": "slack_ack",
        "targets": {"p50_ms": TARGET_P50_MS, "p99_ms": TARGET_P99_MS},
        "rate_per_s": RATE_PER_S,
        "duration_s": duration,
        "requests_per_scenario": count,
        "warmup_requests": WARMUP_REQUESTS,
        "floor": "a bolt App that only acks, process_before_response=True as in bot.slack.app",
        "backends": backends,
        "skipped": skipped,
        "scenarios": {s: {"ratio_to_floor": {}} for s in SCENARIOS},
    }
    with tempfile.TemporaryDirectory() as tmp:
        fake = _start(_serve_fake)
        response_url = f"{fake.address}/response/T111/1/bench"
        try:
            floor = _measure_server("floor", "", fake, count, view, response_url)
            ours: dict[str, dict[str, dict[str, Any]]] = {}
            for backend in backends:
                with ack_databases.fresh(backend, tmp) as db_url:
                    ours[backend] = _measure_server(
                        "qihub", db_url, fake, count, view, response_url, backend[0]
                    )
        finally:
            fake.stop()
    stored_ok = True
    for scenario, entries in result["scenarios"].items():
        entries["floor"] = floor[scenario]
        met = True
        for backend in backends:
            mine = ours[backend][scenario]
            entries[backend] = mine
            entries["ratio_to_floor"][backend] = {
                key: _ratio(mine, floor[scenario], f"{key}_ms") for key in ("p50", "p95", "p99")
            }
            met = met and (
                mine["errors"] == 0
                and mine.get("p50_ms", math.inf) <= TARGET_P50_MS
                and mine.get("p99_ms", math.inf) <= TARGET_P99_MS
            )
            if "ideas_stored" in mine:
                stored_ok = stored_ok and mine["ideas_stored"] == mine["submissions_sent"]
        entries["meets_target"] = met
    result["stored_equals_sent"] = stored_ok
    result["meets_target"] = stored_ok and all(
        e["meets_target"] for e in result["scenarios"].values()
    )
    result["machine"] = describe()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    assert stored_ok, "view submissions sent and ideas stored differ (see the results)"
    return result


def report(result: dict[str, Any]) -> str:
    lines = [
        f"slack ack at {result['rate_per_s']}/s for {result['duration_s']:g} s "
        f"(target p50 <= {TARGET_P50_MS:g} ms, p99 <= {TARGET_P99_MS:g} ms):"
    ]
    for backend, why in result.get("skipped", {}).items():
        lines.append(f"  {backend}: skipped ({why})")
    for scenario, entries in result["scenarios"].items():
        floor = entries["floor"]
        lines.append(
            f"  {scenario}: floor p50 {floor.get('p50_ms')} / p99 {floor.get('p99_ms')} ms; "
            f"{'met' if entries['meets_target'] else 'MISSED'}"
        )
        for backend in result["backends"]:
            ours, ratio = entries[backend], entries["ratio_to_floor"][backend]
            lines.append(
                f"    {backend}: p50 {ours.get('p50_ms')} / p95 {ours.get('p95_ms')} / "
                f"p99 {ours.get('p99_ms')} / max {ours.get('max_ms')} ms, {ours['errors']} "
                f"errors (x{ratio['p50']} / x{ratio['p99']} of the floor)"
            )
            modal = ours.get("views_open_after_trigger")
            if modal:
                lines.append(
                    f"      views.open after the trigger: p50 {modal.get('p50_ms')} / p99 "
                    f"{modal.get('p99_ms')} / max {modal.get('max_ms')} ms; "
                    f"{modal.get('within_3s', 0)} of {modal['of']} within 3 s"
                )
            if "ideas_stored" in ours:
                lines.append(
                    f"      ideas stored {ours['ideas_stored']} of {ours['submissions_sent']} sent"
                )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
