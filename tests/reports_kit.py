"""Shared by the report tests: a live `qihub web` for a hub, and a digest whose pictures point
at it (so a platform fake can fetch them, as Slack's servers and Teams clients do)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import uvicorn

from bot.app import QIHub
from bot.web import create_web_app
from handlers.config import OrgConfig
from handlers.digest.data import build_digest
from handlers.digest.views import digest_reply
from messages.view import Reply


@contextmanager
def live_web(hub: QIHub) -> Iterator[str]:
    """`qihub web` for `hub` on 127.0.0.1 (a free port), stopped afterwards."""
    web = create_web_app(hub)
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def at(config: OrgConfig, base: str) -> OrgConfig:
    """`config` with `qihub web` at `base`."""
    organisation = config.organisation.model_copy(update={"web_base_url": base})
    return config.model_copy(update={"organisation": organisation})


def digest_with_charts(hub: QIHub, config: OrgConfig, committee: str, now: datetime) -> Reply:
    """A committee's digest as the clock builds it (committed: the sealing key is stored)."""
    with hub.uow_factory() as uow:
        data = build_digest(uow, config, committee, now)
        uow.commit()
    return digest_reply(data, config)
