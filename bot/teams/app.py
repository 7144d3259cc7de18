"""Microsoft Teams inbound: the Teams SDK for Python, mounted in the `qihub web` FastAPI app.

The SDK validates every Bot Framework token (keys from the OpenID metadata, issuer, audience,
expiry, 5 minutes' skew, and that the token's `serviceurl` is the activity's). Around it this
adapter adds what the SDK leaves out or gets wrong for a hospital service:

- the signing key's `endorsements` must include the activity's channel (Bot Framework's rule;
  the SDK does not check it);
- bodies over 256 kB are refused with 413 and malformed JSON or activities with 400, never a
  500 with a traceback;
- with no Teams credentials the endpoint is closed, unless QIHUB_TEAMS_PLAYGROUND=1 opens it
  to the Agents Playground on this machine only; as soon as TEAMS_CLIENT_ID is set, every
  request needs a valid token, from our tenant, for an allow-listed service host (see
  bot.teams.doors).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

import jwt
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from microsoft_teams.api import InvokeResponse
from microsoft_teams.api.activities import ActivityTypeAdapter
from microsoft_teams.api.auth.cloud_environment import PUBLIC, CloudEnvironment, with_overrides
from microsoft_teams.api.auth.credentials import TokenProvider
from microsoft_teams.apps import App
from microsoft_teams.apps.events import ActivityEvent, CoreActivity
from microsoft_teams.apps.http.adapter import HttpMethod, HttpRequest, HttpRouteHandler
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from bot.app import QIHub
from bot.http_edge import from_this_machine, read_limited
from bot.payloads import has_nul
from bot.settings import Settings
from bot.teams.doors import PLAYGROUND_HINT, TeamsDoors
from bot.teams.shape import overlong_id

log = logging.getLogger(__name__)

ENDPOINT = "/api/messages"
MAX_BODY_BYTES = 256 * 1024
"""Teams activities are far smaller (messages are capped near 100 kB): bigger is not Teams."""


def teams_authenticated(settings: Settings) -> bool:
    """Credentials configured: every inbound request must then carry a valid token."""
    return bool(settings.teams_client_id)


def cloud_for(settings: Settings) -> CloudEnvironment:
    """Bot Framework's public cloud, or the one whose metadata TEAMS_OPENID_METADATA_URL names."""
    overrides: dict[str, str] = {}
    if settings.teams_openid_metadata_url:
        overrides["openid_metadata_url"] = settings.teams_openid_metadata_url
    if settings.teams_login_url.rstrip("/") != PUBLIC.login_endpoint:
        overrides["login_endpoint"] = settings.teams_login_url.rstrip("/")  # Entra-issued tokens
    return with_overrides(PUBLIC, **overrides) if overrides else PUBLIC


def jwks_uri(cloud: CloudEnvironment) -> str:
    """Where the signing keys are: the SDK's own rule (…/openidconfiguration → …/keys)."""
    url = cloud.openid_metadata_url
    suffix = "/openidconfiguration"
    return url[: -len(suffix)] + "/keys" if url.endswith(suffix) else url


class Endorsements:
    """Which channels each Bot Framework signing key may sign for, from the published keys.

    Keys are cached for a day; an unknown key id triggers a refetch at most once a minute, so
    a forged `kid` cannot make us hammer the key endpoint.
    """

    MAX_AGE = 24 * 3600.0
    REFETCH_GAP = 60.0

    def __init__(self, uri: str) -> None:
        self._client = jwt.PyJWKClient(uri, cache_jwk_set=False, timeout=10)
        self._keys: dict[str, frozenset[str]] = {}
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    def allows(self, token: str, channel_id: object) -> bool:
        """True when the token's signing key is endorsed for `channel_id` (blocking: may fetch)."""
        if not isinstance(channel_id, str) or not channel_id:
            return False
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            return False
        if not isinstance(kid, str):
            return False
        endorsed = self._endorsements(kid)
        return endorsed is not None and channel_id in endorsed

    def _endorsements(self, kid: str) -> frozenset[str] | None:
        with self._lock:
            age = time.monotonic() - self._fetched_at
            if age > self.MAX_AGE or (kid not in self._keys and age > self.REFETCH_GAP):
                self._refresh()
            return self._keys.get(kid)

    def _refresh(self) -> None:
        self._fetched_at = time.monotonic()
        try:
            data = self._client.fetch_data()
        except jwt.PyJWKClientError as exc:
            log.warning("Teams signing keys could not be fetched: %s", exc)
            return
        keys: dict[str, frozenset[str]] = {}
        for key in data.get("keys", []) if isinstance(data, dict) else []:
            if isinstance(key, dict) and isinstance(key.get("kid"), str):
                endorsements = key.get("endorsements")
                keys[key["kid"]] = frozenset(
                    e for e in (endorsements if isinstance(endorsements, list) else []) if e
                )
        self._keys = keys


def _refuse(status: int, error: str) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status)


class GuardedFastAPIAdapter:
    """The SDK's HttpServerAdapter, registering its messaging route on our FastAPI app behind
    the checks in the module docstring. Serving is uvicorn's job (`qihub web`), not the SDK's."""

    def __init__(self, web: FastAPI, *, doors: TeamsDoors, endorsements: Endorsements | None):
        self._web = web
        self._doors = doors
        self._authenticated = doors.authenticated
        self._endorsements = endorsements

    async def _read_activity(self, request: Request) -> dict[str, Any] | JSONResponse:
        """The request's activity, or the refusal: who may knock, then size, JSON and shape."""
        if not self._doors.open:
            return _refuse(401, PLAYGROUND_HINT)
        if not self._authenticated and not from_this_machine(request):
            return _refuse(401, "Teams is not configured on this server")
        raw = await read_limited(request, MAX_BODY_BYTES)
        if raw is None:
            return _refuse(413, "request too large")
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nested beyond reason
            return _refuse(400, "the body is not JSON")
        if not isinstance(body, dict):
            return _refuse(400, "the body is not a Bot Framework activity")
        if has_nul(body):
            return _refuse(400, "the activity holds a NUL character")
        if (path := overlong_id(body)) is not None:
            return _refuse(400, f"the activity's {path} is longer than Teams sends")
        return body

    async def _endorsed(self, body: dict[str, Any], authorization: str) -> bool:
        """A Bot Framework token's signing key is endorsed for the activity's channel (Entra's
        keys carry no endorsements; without credentials there is no token to check)."""
        if (
            not self._authenticated
            or self._endorsements is None
            or self._doors.entra_issued(authorization)
        ):
            return True
        if not authorization.startswith("Bearer "):
            return False
        token = authorization.removeprefix("Bearer ")
        allowed = await run_in_threadpool(self._endorsements.allows, token, body.get("channelId"))
        if not allowed:
            log.warning("Teams activity refused: signing key not endorsed for its channel")
        return allowed

    def register_route(self, method: HttpMethod, path: str, handler: HttpRouteHandler) -> None:
        async def endpoint(request: Request) -> Response:
            body = await self._read_activity(request)
            if isinstance(body, JSONResponse):
                return body
            headers = {k.lower(): v for k, v in request.headers.items()}
            authorization = headers.get("authorization", "")
            refused = self._doors.refusal(body, authorization)
            if refused is not None:
                log.warning("Teams activity refused: %s", refused[1])
                return _refuse(*refused)
            if not await self._endorsed(body, authorization):
                return _refuse(401, "Unauthorized")
            try:
                CoreActivity.model_validate(body)
            except ValidationError:
                return _refuse(400, "the body is not a Bot Framework activity")
            result = await handler(HttpRequest(body=body, headers=headers))
            status = int(result["status"])
            content = result.get("body")
            if status >= 500:
                return _refuse(status, "QI Hub could not handle that; nothing was lost")
            if content is None:
                return Response(status_code=status)
            return JSONResponse(content=content, status_code=status)

        if method != "POST":
            raise ValueError(f"Unsupported HTTP method: {method}")
        self._web.add_api_route(path, endpoint, methods=["POST"], include_in_schema=False)

    def serve_static(self, path: str, directory: str) -> None:
        """Not used: QI Hub serves no SDK static pages."""

    async def start(self, port: int) -> None:
        raise NotImplementedError("qihub web runs uvicorn itself")

    async def stop(self) -> None:
        """uvicorn owns the server's lifecycle."""


def _run_to_completion(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine now, whether or not this thread already has an event loop running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(make())
        return
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(make())
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="teams-init")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def build_teams_app(
    hub: QIHub, web: FastAPI, kick: Callable[[], None], *, token: TokenProvider | None = None
) -> App:
    """The Teams SDK app with QI Hub's handlers, its messaging route mounted on `web`."""
    from bot.teams.handlers import TeamsHandlers

    settings = hub.settings
    cloud = cloud_for(settings)
    doors = TeamsDoors.from_settings(settings, cloud.login_endpoint)
    authenticated = doors.authenticated
    adapter = GuardedFastAPIAdapter(
        web,
        doors=doors,
        endorsements=Endorsements(jwks_uri(cloud)) if authenticated else None,
    )
    if not authenticated:
        # The SDK would warn that it accepts unauthenticated requests and assumes a multi-tenant
        # app: both false here (closed, or this machine only; see TeamsDoors), so say what is
        # true instead of alarming an operator.
        for name in ("microsoft_teams.apps.app", "microsoft_teams.apps.http.http_server"):
            logging.getLogger(name).setLevel(logging.ERROR)
    if doors.playground:
        log.warning(
            "Teams Playground mode: /api/messages answers this machine without a token "
            "(QIHUB_TEAMS_PLAYGROUND). Set TEAMS_CLIENT_ID to connect to Teams."
        )
    secret = settings.teams_client_secret
    options: dict[str, Any] = {"token": token} if token is not None else {}
    app = App(
        **options,
        client_id=settings.teams_client_id,
        client_secret=secret.get_secret_value() if secret is not None and token is None else None,
        tenant_id=settings.teams_tenant_id,
        cloud=cloud,
        http_server_adapter=adapter,
        messaging_endpoint=ENDPOINT,
        dangerously_allow_unauthenticated_requests=not authenticated,
        state=False,
    )
    TeamsHandlers(hub, kick).register(app)
    _run_to_completion(app.initialize)
    _refuse_unknown_activities(app)
    return app


def _refuse_unknown_activities(app: App) -> None:
    """Once a request's token has been checked, an activity the SDK's own model cannot read
    (say, a `type` it does not know) is answered 400 instead of surfacing as a 500."""
    process = app.server.on_request
    assert process is not None

    async def checked(event: ActivityEvent) -> InvokeResponse[Any]:
        try:
            ActivityTypeAdapter.validate_python(
                event.body.model_dump(by_alias=True, exclude_none=True)
            )
        except ValidationError:
            return InvokeResponse(status=400, body={"error": "not an activity QI Hub understands"})
        return await process(event)

    app.server.on_request = checked
