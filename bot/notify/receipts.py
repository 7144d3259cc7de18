"""POST /notify/callback: GOV.UK Notify's delivery receipts (docs/notify.md "Receipts").

Mounted only when NOTIFY_CALLBACK_TOKEN is set and NOTIFY_RECEIPTS is not "polling". The
bearer token is compared in constant time and nothing else is read until it matches; the body
is read up to 8 KB. The body's `to` is a phone number or email address: it is dropped unread
and nothing here logs the body. Answers: 204 recorded (or a replay); 200 for a reference that
is not ours (retrying cannot help); 400 for a body that is not a receipt; 401 without the
token; 503 when the database is down, which Notify retries.
"""

from __future__ import annotations

import hmac
import json

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from bot.app import QIHub
from bot.http_edge import read_limited
from handlers.alerts import receipts
from store.db import DATABASE_ERRORS

MAX_BODY = 8 * 1024


def mount_notify_callback(web: FastAPI, app: QIHub) -> None:
    token = app.settings.notify_callback_token
    if token is None or app.settings.receipts_mode() == "polling":
        return
    expected = f"Bearer {token.get_secret_value()}".encode()

    def store(reference: str, status: str) -> bool | None:
        with app.uow_factory() as uow:
            changed = receipts.record(uow, reference, status, app.clock.now())
            uow.commit()
        return changed

    @web.post("/notify/callback")
    async def callback(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode("latin-1", "replace")
        if not hmac.compare_digest(given, expected):
            return Response(status_code=401)
        body = await read_limited(request, MAX_BODY)
        if body is None:
            return Response(status_code=413)
        try:
            data = json.loads(body)
        except ValueError:
            return Response(status_code=400)
        if not isinstance(data, dict):
            return Response(status_code=400)
        reference, status = data.get("reference"), data.get("status")
        del data  # holds `to`: a number or address, never kept
        if not isinstance(reference, str) or not isinstance(status, str):
            return Response(status_code=400)
        try:
            changed = await run_in_threadpool(store, reference, status)
        except DATABASE_ERRORS:
            return Response(status_code=503)
        return Response(status_code=200 if changed is None else 204)
