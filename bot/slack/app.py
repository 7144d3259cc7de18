"""The Slack app: a bolt App built from settings (never at import time), its HTTP endpoint on
the web app, and Socket Mode when an app-level token is configured."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import Response
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.signature import SignatureVerifier
from starlette.concurrency import run_in_threadpool

from bot.app import QIHub
from bot.errors import MissingCredential
from bot.http_edge import read_limited
from bot.settings import Settings
from bot.slack.listeners import SlackListeners
from bot.slack.platform import SlackPlatform
from bot.slack.shape import signed_but_malformed

log = logging.getLogger(__name__)
MAX_BODY = 1_000_000
SLACK_TIMESTAMP = re.compile(r"[0-9]{1,12}")
"""Unix seconds in ASCII digits, as Slack sends them; anything else is not Slack."""
"""Slack's payloads are a few kB; anything near this is not from Slack."""


def slack_configured(settings: Settings) -> bool:
    return settings.slack_bot_token is not None


def web_client(settings: Settings) -> WebClient:
    assert settings.slack_bot_token is not None
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=10,
    )


def check_token(client: WebClient) -> None:
    """Fail at start, with one sentence, if Slack refuses the token (not at the first send)."""
    try:
        client.auth_test()
    except SlackApiError as exc:
        raise MissingCredential(
            f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error')}); check the bot "
            "token in your Slack app's OAuth & Permissions page"
        ) from None
    except SlackClientError as exc:
        raise MissingCredential(
            f"cannot reach Slack at SLACK_API_URL to check the token ({type(exc).__name__})"
        ) from None


def slack_platform(
    settings: Settings, client: WebClient, remember: Callable[[int, str], None] | None = None
) -> SlackPlatform:
    return SlackPlatform(
        client,
        messages_per_minute=settings.slack_messages_per_minute,
        channel_messages_per_second=settings.slack_channel_messages_per_second,
        remember=remember,
    )


def build_bolt_app(
    hub: QIHub, settings: Settings, client: WebClient, kick: Callable[[], None]
) -> App:
    if settings.slack_signing_secret is None and settings.slack_app_token is None:
        raise MissingCredential(
            "SLACK_SIGNING_SECRET is required for Slack over HTTP (or set SLACK_APP_TOKEN to "
            "use Socket Mode); find it under Basic Information in your Slack app"
        )
    app = App(
        client=client,
        signing_secret=(
            settings.slack_signing_secret.get_secret_value()
            if settings.slack_signing_secret
            else "socket-mode-only"
        ),
        process_before_response=True,  # listeners hand slow work to their own executor
        token_verification_enabled=False,
        request_verification_enabled=True,
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("slack_bolt"),
    )
    SlackListeners(hub, client, kick).register(app)
    return app


def mount(web: FastAPI, app: App, signing_secret: str | None) -> None:
    """POST /slack/events: every Slack request. Dispatched off the event loop, because bolt's
    listeners (and our database work) are synchronous. `signing_secret` lets a signed but
    malformed request be refused with 400 before bolt reads it (see bot.slack.shape)."""

    verifier = SignatureVerifier(signing_secret) if signing_secret else None

    @web.post("/slack/events")
    async def slack_events(request: Request) -> Response:
        body = await read_limited(request, MAX_BODY)
        if body is None:
            return Response("payload too large", status_code=413)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return Response("not UTF-8", status_code=400)
        headers = dict(request.headers.items())
        if not SLACK_TIMESTAMP.fullmatch(headers.get("x-slack-request-timestamp", "")):
            # the signature's timestamp, which slack_sdk parses with int() and float() and
            # raises on: "¹²³" passes str.isdigit(), 400 nines overflow a float
            return Response("invalid request", status_code=401)
        wrong = signed_but_malformed(verifier, text, headers)
        if wrong is not None:
            return Response(wrong, status_code=400)
        try:
            bolt_request = BoltRequest(
                body=text, query=request.url.query, headers=dict(request.headers.items())
            )
        except (ValueError, TypeError, KeyError, AttributeError, IndexError):
            return Response("not a Slack payload", status_code=400)
        result = await run_in_threadpool(app.dispatch, bolt_request)
        answer = {k: v[0] for k, v in result.headers.items() if v and k != "content-length"}
        return Response(content=result.body, status_code=result.status, headers=answer)


def start_socket_mode(app: App, settings: Settings) -> object:
    """Connect over Socket Mode in the background (SLACK_APP_TOKEN, xapp-…)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    assert settings.slack_app_token is not None
    handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
    handler.connect()  # type: ignore[no-untyped-call]
    log.info("Slack Socket Mode connected")
    return handler
