"""Benchmark: the Teams `task/submit` round trip at the Slack benchmark's load (50/s for 30 s).

The real `qihub web` app runs under uvicorn in its own process with Teams configured: every
request carries a Bot Framework token (RS256) that the Teams SDK validates against keys from a
local OpenID/JWKS endpoint, plus our endorsement check, before the idea form's submission is
validated and the idea stored; the dialog closes with the HTTP answer and the confirmation,
panel post and notifications go to a fake Bot Connector (another process) afterwards. Each
request is a unique activity (not a replay) from one of five people.

The floor, measured the same way in the same run: the Teams SDK's own FastAPI adapter with the
same credentials and token validation and a `task/submit` handler that only answers (no
database, no rendering). Latency runs from each request's scheduled moment to its response
(open loop, see bench.slack_ack). Results: bench/results/teams_submit.json.
QIHUB_BENCH_SCALE=0.1 runs for a tenth of the time (at least 3 s).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench.machine import describe
from bench.slack_ack import (
    RATE_PER_S,
    TARGET_P99_MS,
    WARMUP_REQUESTS,
    Child,
    _ratio,
    _start,
    drive,
    scale,
    serve_on_loopback,
    summarise,
)

RESULTS = Path(__file__).parent / "results" / "teams_submit.json"
DURATION_S = 30.0
CLIENT_ID = "c38eda0f-e780-49ae-86f0-afb644203cf8"
TENANT_ID = "b28fdbfd-2b78-4f93-b0f8-8881793f0f8f"
PEOPLE = [
    "alex.morgan@clatterbridge.example",
    "tom.baker@clatterbridge.example",
    "jo.williams@clatterbridge.example",
    "kim.jones@clatterbridge.example",
    "priya.shah@clatterbridge.example",
]
TITLE_PREFIX = "Teams bench idea"


# ------------------------------------------------------------------ children
def _serve_connector(conn: Connection) -> None:
    """The fake Bot Connector of tests/teams/fake_connector.py, keeping no history."""
    from tests.teams.fake_connector import FakeConnector, Member

    openers: dict[str, list[dict[str, Any]]] = {}

    class Forgetful(FakeConnector):
        def answer(
            self, method: str, path: str, headers: dict[str, str], body: Any
        ) -> tuple[int, dict[str, str], Any]:
            answered = super().answer(method, path, headers, body)
            with self._lock:
                self.calls.clear()  # keep memory flat; only the answers matter here
                opener = _opener_of(body)
                if opener is not None:  # "Open the form", with its form session, by chat
                    openers.setdefault(path.split("/")[3], []).append(opener)
            return answered

    fake = Forgetful()
    for email in PEOPLE:
        fake.add_member(Member(_user(email), email, _aad(email), email))
    server = fake.start()
    conn.send(fake.url)
    while (message := conn.recv()) != "stop":
        if message == "openers":
            conn.send(dict(openers))
            openers.clear()
    server.shutdown()


def _opener_of(body: Any) -> dict[str, Any] | None:
    """The data of the "Open the form" button (task/fetch) on a card the bot sent, if any."""
    for attachment in (body or {}).get("attachments") or [] if isinstance(body, dict) else []:
        for action in (attachment.get("content") or {}).get("actions") or []:
            data = action.get("data") or {}
            if data.get("qi_form") == "idea.submit" and "msteams" in data:
                return dict(data)
    return None


def _user(email: str) -> str:
    return "29:" + email.split("@")[0].replace(".", "-")


def _aad(email: str) -> str:
    return f"00000000-0000-4000-8000-{sum(map(ord, email)):012d}"


def _qihub_web(db_url: str, metadata_url: str, connector_url: str) -> Any:
    from bot.app import create_app
    from bot.settings import Settings
    from bot.web import create_web_app
    from handlers.config import Channel, load_config
    from tests.teams.oidc import outbound_token

    settings = Settings(
        database_url=db_url,
        teams_client_id=CLIENT_ID,
        teams_tenant_id=TENANT_ID,
        teams_openid_metadata_url=metadata_url,
        teams_service_url=connector_url,
        teams_service_hosts="127.0.0.1",  # the fake connector
        _env_file=None,
    )
    config = load_config(None)
    channels = {  # every channel on Teams, so committee and panel posts really go out
        key: Channel(name=c.name, slack_id=None, teams_id=f"19:{key}@thread.tacv2")
        for key, c in config.channels.items()
    }
    hub = create_app(settings, config=config.model_copy(update={"channels": channels}))
    hub.sync_directory()
    with hub.uow_factory() as uow:  # as a Graph directory sync would have linked them
        for email in PEOPLE:
            staff = uow.staff.by_email(email)
            if staff is not None:
                uow.staff.link_teams(staff, _aad(email))
        uow.commit()
    return create_web_app(hub, teams_token=outbound_token())


def _floor_web(metadata_url: str) -> Any:
    """The Teams SDK answering task/submit with nothing: same token validation, no work."""
    import asyncio

    from fastapi import FastAPI
    from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides
    from microsoft_teams.apps import ActivityContext, App
    from microsoft_teams.apps.http import FastAPIAdapter

    from tests.teams.oidc import outbound_token

    web = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app = App(
        client_id=CLIENT_ID,
        tenant_id=TENANT_ID,
        token=lambda _scope, _tenant=None: outbound_token(),
        cloud=with_overrides(PUBLIC, openid_metadata_url=metadata_url),
        http_server_adapter=FastAPIAdapter(app=web),
        state=False,
    )

    async def only_answer(ctx: ActivityContext[Any]) -> None:
        return None

    app.on_dialog_submit(only_answer)
    asyncio.run(app.initialize())
    return web


def _serve_web(
    conn: Connection, kind: str, db_url: str, metadata_url: str, connector_url: str
) -> None:
    web = (
        _qihub_web(db_url, metadata_url, connector_url)
        if kind == "qihub"
        else _floor_web(metadata_url)
    )
    serve_on_loopback(conn, web)


# ------------------------------------------------------------------ requests, as Teams sends them
ANSWERS = {
    "kind": "bright",
    "problem": "Saline and heparin flushes look alike on the trolley.",
    "proposed_change": "Colour-coded labels on every flush syringe.",
    "mode": "named",
}


def open_dialogs(port: int, service_url: str, connector: Child, count: int) -> list[dict[str, Any]]:
    """`count` idea dialogs opened as people open them, not timed: each person types `idea`,
    the bot answers with an "Open the form" card carrying a form session (captured at the fake
    connector), and its task/fetch returns the dialog. Returns each dialog filled in (index i
    by PEOPLE[i % 5]): what Teams posts on Submit, the session context included."""
    import httpx

    from tests.teams import activities
    from tests.teams.cards import dialog_card, fill
    from tests.teams.oidc import token

    said = [
        json.dumps(activities.message(service_url, _user(e), _aad(e), "idea")).encode()
        for e in (PEOPLE[i % len(PEOPLE)] for i in range(count))
    ]
    bearer = {"Authorization": f"Bearer {token(service_url, lifetime=3600)}"}
    drive(port, said, RATE_PER_S, lambda s, _c: None if s == 200 else f"HTTP {s}",
          "/api/messages", lambda _b: {**bearer, "Content-Type": "application/json"})  # fmt: skip
    openers: dict[str, list[dict[str, Any]]] = {}
    deadline = time.monotonic() + 120
    while sum(map(len, openers.values())) < count and time.monotonic() < deadline:
        time.sleep(0.2)
        connector.conn.send("openers")
        for chat, found in connector.conn.recv().items():
            openers.setdefault(chat, []).extend(found)
    filled: list[dict[str, Any]] = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30, headers=bearer) as http:
        for index in range(count):
            email = PEOPLE[index % len(PEOPLE)]
            chat = activities.personal_conversation(_user(email))
            opener = openers[chat].pop()
            fetch = activities.task_fetch(service_url, _user(email), _aad(email), opener)
            answer = http.post("/api/messages", json=fetch)
            assert answer.status_code == 200, answer.text
            filled.append(fill(dialog_card(answer.json()), ANSWERS))
    return filled


def unsessioned_submission() -> dict[str, Any]:
    """The idea dialog as the app renders it with no form session: for the floor only (the
    floor answers without reading it; the product would refuse it)."""
    from handlers.catalogue import build_registry
    from handlers.config import load_config
    from messages import adaptivecards
    from tests.teams.cards import fill

    spec = build_registry(load_config(None)).forms["idea.submit"]
    values = {f.name: f.default for f in spec.form.fields if f.default is not None}
    card = adaptivecards.form_card(
        spec.form, values, {}, submit="dialog", data={"qi_form": "idea.submit", "qi_context": {}}
    )
    return fill(card, ANSWERS)


def bodies(run: str, service_url: str, filled: list[dict[str, Any]]) -> list[bytes]:
    """One task/submit per filled dialog (index i by PEOPLE[i % 5]), each a unique activity."""
    from tests.teams import activities

    out: list[bytes] = []
    for index, data in enumerate(filled):
        email = PEOPLE[index % len(PEOPLE)]
        titled = dict(data, title=f"{TITLE_PREFIX} {run} {index}: colour-coded flush labels")
        activity = activities.task_submit(service_url, _user(email), _aad(email), titled)
        activity["id"] = f"f:bench-{run}-{index}"
        out.append(json.dumps(activity).encode())
    return out


def _closed_dialog(status: int, content: bytes) -> str | None:
    if status != 200:
        return f"HTTP {status}: {content[:120]!r}"
    return None if not content.strip() else f"dialog not closed: {content[:200]!r}"


def _stored(db_url: str, run: str) -> int:
    from sqlalchemy import func, select

    from store.db import make_engine
    from store.models import Idea

    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            found = connection.scalar(
                select(func.count())
                .select_from(Idea)
                .where(Idea.title.like(f"{TITLE_PREFIX} {run} %"))
            )
    finally:
        engine.dispose()
    return int(found or 0)


# ------------------------------------------------------------------ the run
def _measure_server(
    kind: str, db_url: str, openid_url: str, connector: Child, headers: dict[str, str],
    count: int, tag: str = "",
) -> dict[str, Any]:  # fmt: skip
    """One server (the floor, or `qihub web` on `db_url`) driven open-loop. For `qihub web`
    the dialogs are opened first (untimed) so each submission carries a real form session."""
    service_url = f"{connector.address}/"
    server = _start(_serve_web, kind, db_url, openid_url, service_url)
    try:
        run_id = f"{kind[0]}{tag}{os.getpid()}"
        if kind == "qihub":
            filled = open_dialogs(server.address, service_url, connector, WARMUP_REQUESTS + count)
        else:
            filled = [unsessioned_submission()] * (WARMUP_REQUESTS + count)
        warm = bodies(f"{run_id}w", service_url, filled[:WARMUP_REQUESTS])
        drive(server.address, warm, RATE_PER_S / 2, _closed_dialog, "/api/messages",
              lambda _body: headers)  # fmt: skip
        outcome = drive(
            server.address,
            bodies(run_id, service_url, filled[WARMUP_REQUESTS:]),
            RATE_PER_S,
            _closed_dialog,
            "/api/messages",
            lambda _body: headers,
        )
        entry = summarise(outcome.samples)
        entry["max_send_lag_ms"] = round(outcome.max_send_lag_s * 1000, 2)
        if kind == "qihub":
            time.sleep(0.5)
            entry["ideas_stored"] = _stored(db_url, run_id)
            entry["submissions_sent"] = count
        return entry
    finally:
        server.stop()


def run() -> dict[str, Any]:
    from bench import ack_databases
    from tests.teams.oidc import FakeOpenId, token

    duration = max(DURATION_S * scale(), 3.0)
    count = int(RATE_PER_S * duration)
    backends, skipped = ack_databases.chosen()
    result: dict[str, Any] = {
        "benchmark": "teams_submit",
        "targets": {"p99_ms": TARGET_P99_MS},
        "rate_per_s": RATE_PER_S,
        "duration_s": duration,
        "requests": count,
        "warmup_requests": WARMUP_REQUESTS,
        "backends": backends,
        "skipped": skipped,
    }
    openid = FakeOpenId()  # in this process: the keys that sign are the keys it serves
    openid_server = openid.start()
    ours: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        connector: Child = _start(_serve_connector)
        service_url = f"{connector.address}/"
        bearer = token(service_url, lifetime=3600)
        headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
        args = (openid.metadata_url, connector, headers, count)
        try:
            floor = _measure_server("floor", "", *args)
            for backend in backends:
                with ack_databases.fresh(backend, tmp) as db_url:
                    ours[backend] = _measure_server("qihub", db_url, *args, tag=backend[0])
        finally:
            connector.stop()
            openid_server.shutdown()
    entry: dict[str, Any] = {"floor": floor, "ratio_to_floor": {}}
    met = True
    for backend, mine in ours.items():
        entry[backend] = mine
        entry["ratio_to_floor"][backend] = {
            k: _ratio(mine, floor, f"{k}_ms") for k in ("p50", "p95", "p99")
        }
        met = met and (
            mine["ideas_stored"] == mine["submissions_sent"]
            and mine["errors"] == 0
            and mine.get("p99_ms", math.inf) <= TARGET_P99_MS
        )
    result["task_submit"] = entry
    result["stored_equals_sent"] = all(
        m["ideas_stored"] == m["submissions_sent"] for m in ours.values()
    )
    result["meets_target"] = met
    result["machine"] = describe()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return result


def report(result: dict[str, Any]) -> str:
    entry = result["task_submit"]
    floor = entry["floor"]
    lines = [
        f"teams task/submit at {result['rate_per_s']}/s for {result['duration_s']:g} s "
        f"(target p99 <= {TARGET_P99_MS:g} ms): {'met' if result['meets_target'] else 'MISSED'}",
        f"  floor p50 {floor.get('p50_ms')} / p99 {floor.get('p99_ms')} ms",
    ]
    for backend, why in result.get("skipped", {}).items():
        lines.append(f"  {backend}: skipped ({why})")
    for backend in result["backends"]:
        ours, ratio = entry[backend], entry["ratio_to_floor"][backend]
        lines.append(
            f"  {backend}: p50 {ours.get('p50_ms')} / p95 {ours.get('p95_ms')} / p99 "
            f"{ours.get('p99_ms')} / max {ours.get('max_ms')} ms, {ours['errors']} errors "
            f"(x{ratio['p50']} / x{ratio['p99']} of the floor); ideas stored "
            f"{ours['ideas_stored']} of {ours['submissions_sent']} sent"
            + ("" if ours["errors"] == 0 else f"; first errors {ours.get('first_errors')}")
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
