"""`qihub web`: the ASGI application. Health today; Slack and Teams mount here in later steps."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from bot.app import QIHub, create_app
from bot.settings import Settings
from store.db import DatabaseUnavailable, check_connection


def create_web_app(app: QIHub) -> FastAPI:
    web = FastAPI(title="QI Hub", docs_url=None, redoc_url=None, openapi_url=None)

    @web.get("/healthz")
    def healthz() -> JSONResponse:
        try:
            check_connection(app.engine)
        except DatabaseUnavailable:
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "up"})

    return web


def run_web(settings: Settings) -> int:
    import uvicorn

    app = create_app(settings)
    uvicorn.run(
        create_web_app(app),
        host="0.0.0.0",  # noqa: S104 (a web process listens on all interfaces)
        port=settings.port,
        log_level="warning",
    )
    return 0
