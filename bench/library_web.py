"""The library benchmark's HTTP pass: the pages end to end, through a real `qihub web`.

`qihub web` (bot.web.create_web_app on the benchmark's register) runs in its own process under
uvicorn on loopback, as bench/slack_ack.py serves it. The benchmark signs in as `/qi web`
lets a person: it asks for a one-time link in chat (QIHub.interact, the command the chat runs)
and POSTs "Continue" to it, then sends every request with the session cookie, one at a time on
a new connection each (see run()):

  GET /hub/library?q=…&source=…&committee=…&srg=…&unit=…&page=N for each of the searches;
  GET /hub/lessons/{ref} for triaged lessons drawn across the register;
  the floor, in the same run: GET /healthz (one database round trip, no page) and
  GET /hub/account (a signed-in page in the NHS.UK shell: the session check and a template).

A page whose route does not exist yet (404 with FastAPI's own "Not Found") is recorded as
"not measured: route absent" rather than failing, so the same benchmark measures the pages
once they are merged.
"""

from __future__ import annotations

import math
import multiprocessing
import statistics
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

import httpx2 as httpx

from bench.slack_ack import Child, serve_on_loopback

ABSENT = "not measured: route absent"
WHO = "alex.morgan@clatterbridge.example"
SESSION_COOKIE = "qihub-dev-session"
"""The session cookie's name at the bundled config's http://localhost:3000 (bot/signin/cookies)."""


def _hub(url: str) -> Any:
    from bot.app import create_app
    from bot.settings import Settings
    from handlers.config import load_config

    hub = create_app(Settings(database_url=url, _env_file=None), config=load_config(None))
    hub.sync_directory()
    return hub


def _serve(conn: Connection, url: str) -> None:
    """The child: `qihub web` on the register, on the system clock (sessions are real)."""
    from bot.web import create_web_app

    serve_on_loopback(conn, create_web_app(_hub(url)))


def _start(url: str) -> Child:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(child, url), daemon=True)
    process.start()
    if not parent.poll(120):
        process.terminate()
        raise RuntimeError("qihub web did not start")
    return Child(process, parent, parent.recv())


def sign_in_path(url: str, who: str = WHO) -> str:
    """A fresh one-time link from `/qi web`, as the path to POST "Continue" to."""
    from handlers.dispatch import run_command
    from handlers.signin import links
    from messages.view import Reply, Text

    hub = _hub(url)
    try:
        with hub.uow_factory() as uow:  # the benchmark's own register: lift the links-per-
            uow.hub.forget_links_before(hub.clock.now())  # 15-minutes limit between runs
            uow.commit()
        reply = hub.interact(who, "console", lambda ctx: run_command(ctx, "/qi web"))
    finally:
        hub.engine.dispose()
    assert isinstance(reply, Reply), reply
    found = [b.text for b in reply.blocks if isinstance(b, Text) and links.PATH in b.text]
    assert len(found) == 1, reply
    return links.PATH + found[0].split(links.PATH, 1)[1].split()[0]


def _timed(
    client: httpx.Client, path: str, params: dict[str, str] | None = None
) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    response = client.get(path, params=params)
    return time.perf_counter() - started, response.status_code, response.content


def _absent(status: int, content: bytes) -> bool:
    return status == 404 and content.strip() == b'{"detail":"Not Found"}'


Page = Callable[[int], tuple[str, dict[str, str] | None]]
"""Round number -> the path and query string to GET."""


def pages_to_load(
    searches: Sequence[tuple[str, dict[str, str]]], refs: Sequence[str]
) -> dict[str, Page]:
    pages: dict[str, Page] = {
        "floor: GET /healthz": lambda _i: ("/healthz", None),
        "floor: GET /hub/account (signed in)": lambda _i: ("/hub/account", None),
    }
    for name, params in searches:
        pages[f"GET /hub/library: {name}"] = lambda _i, p=params: ("/hub/library", p)
    pages["GET /hub/lessons/{ref}: staff, a triaged lesson"] = lambda i: (
        f"/hub/lessons/{refs[i]}",
        None,
    )
    return pages


def _load(client: httpx.Client, pages: dict[str, Page], rounds: int) -> dict[str, Any]:
    """Each page that exists, once per round after a warm-up round, round-robin."""
    found: dict[str, Any] = {}
    for name, page in list(pages.items()):
        _, status, content = _timed(client, *page(0))
        if _absent(status, content):
            found[name] = ABSENT
            del pages[name]
    samples: dict[str, list[float]] = {name: [] for name in pages}
    statuses: dict[str, dict[int, int]] = {name: {} for name in pages}
    for index in range(rounds + 1):
        for name, page in pages.items():
            seconds, status, _ = _timed(client, *page(index))
            statuses[name][status] = statuses[name].get(status, 0) + 1
            if index:
                samples[name].append(seconds)
    for name, taken in samples.items():
        found[name] = {**figures(taken), "statuses": statuses[name]}
    return found


def _keep_alive(base: str, cookie: str, count: int = 10) -> dict[str, Any]:
    """GET /healthz and /hub/account on one kept-alive connection: the ~40 ms finding."""
    with httpx.Client(base_url=base, timeout=30, cookies={SESSION_COOKIE: cookie}) as client:
        return {
            path: figures([_timed(client, path)[0] for _ in range(count)])
            for path in ("/healthz", "/hub/account")
        }


def run(
    url: str, searches: Sequence[tuple[str, dict[str, str]]], refs: Sequence[str]
) -> dict[str, Any]:
    """Every page once per round (len(refs) - 1 rounds), round-robin; p50/p95/p99 each."""
    server = _start(url)
    try:
        base = f"http://127.0.0.1:{server.address}"
        # A new connection per request: on a kept-alive loopback connection every answer after
        # the first waited a fixed ~40 ms (a delayed ACK against an answer sent in two writes),
        # whatever the page; measured apart as "keep_alive", not mixed in.
        with httpx.Client(
            base_url=base, timeout=30, follow_redirects=False, headers={"Connection": "close"}
        ) as client:
            used = client.post(sign_in_path(url), data={"confirm": "yes"})
            assert used.status_code == 303, used.text
            cookie = used.cookies[SESSION_COOKIE]
            client.cookies.set(SESSION_COOKIE, cookie)
            found = _load(client, pages_to_load(searches, refs), len(refs) - 1)
        keep_alive = _keep_alive(base, cookie)
    finally:
        server.stop()
    return {"pages": found, **verdict_http(found), "keep_alive": keep_alive}


def percentile(ordered: list[float], q: float) -> float:
    """Nearest rank, as the other benchmarks: the smallest value with q of the samples below."""
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def figures(samples_s: list[float]) -> dict[str, Any]:
    ordered = sorted(s * 1000 for s in samples_s)
    return {
        "samples": len(ordered),
        "p50_ms": round(percentile(ordered, 0.50), 2),
        "p95_ms": round(percentile(ordered, 0.95), 2),
        "p99_ms": round(percentile(ordered, 0.99), 2),
        "max_ms": round(ordered[-1], 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
    }


def verdict_http(pages: dict[str, Any], target_ms: float = 150.0) -> dict[str, Any]:
    """The slowest measured page's p95 and each page's ratio to the /healthz floor."""
    measured = {k: v for k, v in pages.items() if isinstance(v, dict)}
    floor = measured["floor: GET /healthz"]["p95_ms"]
    timed = {k: v for k, v in measured.items() if not k.startswith("floor")}
    for value in measured.values():
        value["p95_over_healthz"] = round(value["p95_ms"] / floor, 1)
    if not timed:
        return {"worst_p95": None, "meets_target": None}
    worst = max(timed, key=lambda k: timed[k]["p95_ms"])
    return {
        "worst_p95": worst,
        "worst_p95_ms": timed[worst]["p95_ms"],
        "meets_target": timed[worst]["p95_ms"] <= target_ms,
    }


def summary_line(http: dict[str, Any]) -> str:
    pages = http["pages"]
    absent = [name for name, value in pages.items() if value == ABSENT]
    parts = [f"HTTP: floor /healthz p95 {pages['floor: GET /healthz']['p95_ms']:.1f} ms"]
    if http.get("worst_p95"):
        parts.append(f"pages worst p95 {http['worst_p95_ms']:.0f} ms ({http['worst_p95']})")
    if absent:
        parts.append(f"{len(absent)} pages not measured (route absent)")
    return "; ".join(parts)
