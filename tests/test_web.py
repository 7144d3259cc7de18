"""The web process's health check, which the platform's router uses to decide if we are up."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot.app import QIHub
from bot.web import create_web_app
from store.db import make_engine

DEAD_URL = "postgresql+psycopg://postgres@127.0.0.1:1/x"


def test_healthz_is_ok_when_the_database_answers(app: QIHub) -> None:
    """A healthy process with a reachable database reports ok."""
    with TestClient(create_web_app(app)) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "up",
        "clock": "ticking",
        "clock_last_tick_seconds": 0,
    }


def test_healthz_is_503_when_the_database_is_unreachable(app: QIHub) -> None:
    """With the database gone the check must fail (503) so traffic is routed elsewhere,
    and it must answer rather than hang or crash."""
    original = app.engine
    dead = make_engine(DEAD_URL)
    app.engine = dead
    try:
        with TestClient(create_web_app(app), raise_server_exceptions=False) as client:
            response = client.get("/healthz")
    finally:
        app.engine = original
        dead.dispose()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "down"}


def test_healthz_recovers_when_the_database_returns(app: QIHub) -> None:
    """The check is live, not cached: the same web app reports ok again once it can connect."""
    web = create_web_app(app)
    original = app.engine
    dead = make_engine(DEAD_URL)
    with TestClient(web, raise_server_exceptions=False) as client:
        app.engine = dead
        try:
            assert client.get("/healthz").status_code == 503
        finally:
            app.engine = original
            dead.dispose()
        assert client.get("/healthz").status_code == 200


def test_only_the_health_check_is_exposed(app: QIHub) -> None:
    """No interactive docs or schema are published on a trust-facing host."""
    with TestClient(create_web_app(app)) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 404, path
