"""Which reverse proxies `qihub web` believes about the client's address and scheme
(X-Forwarded-For, X-Forwarded-Proto): by default none, so a process on the same machine cannot
pose as a proxy; FORWARDED_ALLOW_IPS names the ones that may (bot.http_edge.proxy_trust, handed
to uvicorn by bot.web.run_web). Served by uvicorn for real, on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2 as httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request

from bot.http_edge import proxy_trust
from bot.settings import Settings

FORWARDED = {"x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https"}


def echo() -> FastAPI:
    """What uvicorn tells an app about the client: its address and the scheme."""
    web = FastAPI()

    @web.get("/")
    def who(request: Request) -> dict[str, str]:
        return {
            "client": request.client.host if request.client else "",
            "scheme": request.url.scheme,
        }

    return web


@contextmanager
def served(settings: Settings) -> Iterator[httpx.Client]:
    config = uvicorn.Config(
        echo(), host="127.0.0.1", port=0, log_level="warning", **proxy_trust(settings)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        yield client
    server.should_exit = True
    thread.join(timeout=10)


def test_by_default_no_proxy_is_believed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    with served(Settings(_env_file=None)) as client:  # type: ignore[call-arg]
        seen = client.get("/", headers=FORWARDED).json()
    assert seen == {"client": "127.0.0.1", "scheme": "http"}


@pytest.mark.parametrize("allowed", ["127.0.0.1", "127.0.0.0/8, ::1"])
def test_the_named_proxies_are_believed(monkeypatch: pytest.MonkeyPatch, allowed: str) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", allowed)
    with served(Settings(_env_file=None)) as client:  # type: ignore[call-arg]
        seen = client.get("/", headers=FORWARDED).json()
        plain = client.get("/").json()
    assert seen == {"client": "203.0.113.9", "scheme": "https"}
    assert plain == {"client": "127.0.0.1", "scheme": "http"}


def test_another_address_is_not_believed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.5")
    with served(Settings(_env_file=None)) as client:  # type: ignore[call-arg]
        seen = client.get("/", headers=FORWARDED).json()
    assert seen == {"client": "127.0.0.1", "scheme": "http"}
