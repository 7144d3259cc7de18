"""`qihub web`: the ASGI application: Slack at /slack/events, Teams at /api/messages, health,
and the Improvement Hub's pages in the NHS.UK shell (/hub, /bulletins, /reports; docs/web.md)."""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from bot.ack_web import mount_ack_links
from bot.app import QIHub, create_app, require_current_schema
from bot.bulletin_web import mount_bulletins
from bot.clock_watch import ClockWatch
from bot.error_pages import mount_error_pages
from bot.http_edge import from_this_machine, proxy_trust
from bot.hub_actions import mount_hub_actions
from bot.hub_ideas import mount_ideas
from bot.hub_library import mount_library
from bot.hub_web import mount_hub
from bot.notify.receipts import mount_notify_callback
from bot.observability import Metrics, RequestObserver
from bot.outbox_workers import OutboxKicker, connected_platforms, worker_name
from bot.reports_web import mount_reports
from bot.settings import Settings
from bot.signin.entra import entra_config
from bot.signin.web import mount_sign_in
from bot.teams.doors import playground_problem
from bot.web_assets import mount_assets
from handlers.config import ConfigError
from handlers.heartbeat import clock_health
from handlers.leadership import CLOCK
from handlers.outbox.sender import OutboxSender
from store.db import DATABASE_ERRORS, check_connection, is_sqlite_url

log = logging.getLogger(__name__)


def create_web_app(
    app: QIHub, *, teams_token: str | None = None, entra_verify: str | bool = True
) -> FastAPI:
    """The ASGI app: Slack at /slack/events (when configured), Teams at /api/messages, health.

    `teams_token` replaces the Entra ID client-credentials flow for the bot's calls to the Bot
    Connector (tests against a local fake connector; nothing else should need it).
    `entra_verify` is a CA bundle to check Entra ID's TLS against for web sign-in (tests'
    local fake OpenID provider; in production the system's trust store, True).
    """
    platforms = connected_platforms(app, teams_token=teams_token)
    kicker = (
        OutboxKicker(
            OutboxSender(
                app.uow_factory,
                platforms,
                app.config,
                app.clock,
                worker=worker_name("web"),
                leave_bulk_to=CLOCK,  # broadcasts go at the clock's pace, not every replica's
            )
        )
        if platforms
        else None
    )

    kick = kicker.kick if kicker is not None else (lambda: None)
    watch = ClockWatch(app, kick)

    @asynccontextmanager
    async def lifespan(_web: FastAPI) -> AsyncIterator[None]:
        watch.start()
        yield
        watch.stop()
        if kicker is not None:
            kicker.stop()

    web = FastAPI(
        title="QI Hub", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    # No redirect from /hub/ to /hub: Starlette builds that address from the request's Host
    # header, which a client chooses (docs/web-sign-in.md: no address is built from Host).
    web.router.redirect_slashes = False
    web.state.clock_watch = watch

    if app.settings.slack_bot_token is not None:
        from bot.slack.app import build_bolt_app, mount, web_client

        client = web_client(app.settings)
        bolt = build_bolt_app(app, app.settings, client, kick)
        if app.settings.slack_signing_secret is not None:
            mount(web, bolt, app.settings.slack_signing_secret.get_secret_value())
        web.state.slack = bolt

    from bot.teams.app import build_teams_app

    web.state.teams = build_teams_app(
        app, web, kick, token=(lambda _scope, _tenant=None: teams_token) if teams_token else None
    )

    def clock_age(ticked: datetime | None) -> float:
        return clock_health(ticked, app.clock.now(), watch.watching_since).age.total_seconds()

    metrics = Metrics(app.engine, clock_age)

    token = app.settings.metrics_token

    @web.get("/metrics", include_in_schema=False)
    def prometheus(request: Request) -> Response:
        if not may_read_metrics(request, token.get_secret_value() if token else None):
            return Response(
                "metrics need `Authorization: Bearer <METRICS_TOKEN>`",
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    @web.get("/healthz")
    def healthz() -> JSONResponse:
        """503 only when this process cannot serve (no database). A stopped clock leaves
        the web serving, so it answers 200 "degraded": taking the web out of the load
        balancer would not restart the clock, and would stop every button press too."""
        try:
            check_connection(app.engine)
            clock = watch.health()
        except DATABASE_ERRORS:
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JSONResponse(
            {
                "status": "degraded" if clock.stopped else "ok",
                "database": "up",
                "clock": "stopped" if clock.stopped else "ticking",
                "clock_last_tick_seconds": int(clock.age.total_seconds()),
            }
        )

    mount_assets(web)
    mount_error_pages(web, app)
    mount_hub_actions(web, app)  # before any /hub/ideas/{ref}: /hub/ideas/new is a page
    mount_hub(web, app)
    mount_bulletins(web, app)
    mount_reports(web, app)
    mount_ack_links(web, app)
    mount_sign_in(web, app, entra=entra_config(app.settings, app.config, entra_verify))
    mount_library(web, app)
    mount_ideas(web, app)
    mount_notify_callback(web, app)
    web.add_middleware(
        RequestObserver,
        metrics=metrics,
        routes={
            "/slack/events",
            "/api/messages",
            "/healthz",
            "/metrics",
            "/bulletins",
            "/reports",
            "/hub",
        },
    )
    return web


def may_read_metrics(request: Request, token: str | None) -> bool:
    """The operator's scraper only: the bearer token when one is set, else this machine. The
    metrics name no one, but they show volumes and timings an outsider has no business seeing."""
    if token is None:
        return from_this_machine(request)
    offered = request.headers.get("authorization", "")
    return hmac.compare_digest(offered.encode(), f"Bearer {token}".encode())


def workers_problem(settings: Settings) -> str | None:
    """Why WEB_WORKERS above 1 cannot be honoured, or None."""
    if settings.web_workers == 1:
        return None
    if is_sqlite_url(settings.database_url):
        return (
            "WEB_WORKERS above 1 needs PostgreSQL: SQLite takes one writer at a time, and "
            "processes queueing for it wait far longer than one process's threads"
        )
    if settings.slack_app_token is not None:
        return "WEB_WORKERS above 1 cannot use Slack Socket Mode (SLACK_APP_TOKEN): use HTTP"
    return None


def worker_app() -> FastAPI:
    """One of WEB_WORKERS processes (uvicorn's factory): the app from the environment, as
    the parent checked it; the parent has already synchronised the directory."""
    from bot.outbox_workers import freeze_startup_heap

    web = create_web_app(create_app(Settings()))
    freeze_startup_heap()
    return web


def run_web(settings: Settings) -> int:
    import uvicorn

    from bot.outbox_workers import freeze_startup_heap

    host = settings.host or ("127.0.0.1" if settings.qihub_teams_playground else "0.0.0.0")  # noqa: S104
    problem = playground_problem(settings, host) or workers_problem(settings)
    if problem is not None:
        raise ConfigError("", problem)
    app = create_app(settings)
    require_current_schema(app)
    app.sync_directory()  # the config's people are known from the first request
    if settings.slack_bot_token is not None:
        from bot.slack.app import check_token, web_client

        check_token(web_client(settings))
    if settings.web_workers > 1:
        app.engine.dispose()  # each worker opens its own connections
        uvicorn.run(
            "bot.web:worker_app",
            factory=True,
            workers=settings.web_workers,
            host=host,
            port=settings.port,
            log_level="warning",
            **proxy_trust(settings),
        )
        return 0
    web = create_web_app(app)
    if settings.slack_app_token is not None:
        from bot.slack.app import start_socket_mode

        start_socket_mode(web.state.slack, settings)
    freeze_startup_heap()  # a full collection of the startup heap would hold up every request
    uvicorn.run(
        web,
        host=host,
        port=settings.port,
        log_level="warning",
        **proxy_trust(settings),
    )
    return 0
