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
from handlers.clock import ManualClock
from handlers.config import OrgConfig
from handlers.context import SYSTEM, Context, Services
from handlers.digest.data import build_digest
from handlers.digest.schedule import CommitteeDigestRule
from handlers.digest.views import digest_replies, digest_reply
from handlers.outbox.sender import OutboxSender
from handlers.platform import Platform
from handlers.reminders import tick
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


def weekly_digests_sent(
    hub: QIHub, clock: ManualClock, config: OrgConfig, platform: Platform, now: datetime
) -> None:
    """The realistic register seeded, then Monday's digests as the clock raises them (the
    reminder tick, with `config`'s web address in the pictures) and the outbox sends them
    through `platform`: the whole way a committee's digest and its charts travel."""
    from tests.test_digest import seed_register

    clock.set(now)
    with hub.uow_factory() as uow:
        seed_register(uow)
        uow.commit()
    services = Services(config=config, clock=clock, registry=hub.services.registry)
    with hub.uow_factory() as uow:
        report = tick(Context(services, uow, SYSTEM, "test"), [CommitteeDigestRule()])
        uow.commit()
    assert report.raised.get("committee_digest")
    OutboxSender(hub.uow_factory, [platform], hub.config, clock).drain(10)


def realistic_psc_digest(hub: QIHub, now: datetime) -> tuple[Reply, ...]:
    """The realistic register's PSC digest as sent: the digest, then its charts (it is full)."""
    from handlers.reports.links import KEY_ROW
    from store.models import ServerSecret
    from tests.test_digest import seed_register

    with hub.uow_factory() as uow:
        seed_register(uow)
        # A fixed key for the charts' sealed addresses, so golden payloads stay the same.
        uow.session.add(ServerSecret(name=KEY_ROW, value="golden-chart-key", created_at=now))
        uow.commit()
    with hub.uow_factory() as uow:
        data = build_digest(uow, hub.config, "PSC", now)
    return digest_replies(data, hub.config)
