"""Delivery for the long-running processes: which platforms are connected, and a dispatcher
the web process can nudge so a decision's notification goes out in a second, not at the
clock's next tick. Both are safe alongside `qihub clock`: claims are leases."""

from __future__ import annotations

import logging
import os
import socket
import threading

from bot.app import QIHub
from handlers.delivery import Dispatcher
from handlers.platform import Platform

log = logging.getLogger(__name__)


def connected_platforms(hub: QIHub, *, teams_token: str | None = None) -> list[Platform]:
    """Every chat platform with credentials, in order of preference for reaching a person.

    `teams_token` stands in for Entra ID in tests (a fixed Bot Connector token)."""
    platforms: list[Platform] = []
    settings = hub.settings
    if settings.slack_bot_token is not None:
        from bot.slack.app import slack_platform, web_client

        platforms.append(slack_platform(settings, web_client(settings)))
    if settings.teams_client_id is not None:
        from bot.teams.auth import StaticToken
        from bot.teams.platform import teams_platform

        platforms.append(
            teams_platform(hub, StaticToken(teams_token) if teams_token is not None else None)
        )
    return platforms


def worker_name(role: str) -> str:
    return f"{role}:{socket.gethostname()}:{os.getpid()}"


class DispatchKicker:
    """A background thread that drains the outbox whenever it is kicked.

    Kicks are coalesced: however many requests arrive, it drains at most every `interval`
    seconds, so a burst of submissions costs a few delivery passes, not one each.
    """

    def __init__(self, dispatcher: Dispatcher, interval: float = 0.2) -> None:
        self._interval = interval
        self._dispatcher = dispatcher
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="outbox-kicker", daemon=True)
        self._thread.start()

    def kick(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._dispatcher.drain(max_rounds=20)
            except Exception:  # the clock process retries whatever is left
                log.exception("outbox delivery from the web process failed")
            self._stop.wait(self._interval)
