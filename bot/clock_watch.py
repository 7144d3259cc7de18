"""The web process watches the clock's heartbeat (handlers.heartbeat): a background thread
checks every half minute and tells the admins, through the outbox, when no clock has ticked
for five minutes and when one ticks again. Every web replica watches; the database lets one
of them speak for each outage."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bot.app import QIHub
from handlers.heartbeat import CLOCK_BEAT, ClockHealth, clock_health, watch_clock
from store.figures import read_last_beat

log = logging.getLogger(__name__)

WATCH_EVERY = 30.0
"""Seconds between looks at the heartbeat: admins hear within five and a half minutes."""


class ClockWatch:
    def __init__(self, app: QIHub, kick: Callable[[], None]) -> None:
        self._app = app
        self._kick = kick
        self.watching_since = app.clock.now()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def health(self) -> ClockHealth:
        """The clock as of now (one read on a connection of its own)."""
        ticked = read_last_beat(self._app.engine, CLOCK_BEAT)
        return clock_health(ticked, self._app.clock.now(), self.watching_since)

    def check(self) -> str | None:
        """Look once; queue the admins' message if the clock has just been found stopped or
        back, and have it delivered. Returns what was said ("stopped", "back" or None)."""
        app = self._app
        with app.uow_factory() as uow:
            said = watch_clock(uow, app.config, app.clock.now(), self.watching_since)
            uow.commit()
        if said is not None:
            log.warning("the clock's heartbeat: %s; admins told", said)
            self._kick()
        return said

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="clock-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(WATCH_EVERY):
            try:
                self.check()
            except Exception:  # the database is away: /healthz says so; look again later
                log.warning("could not check the clock's heartbeat")
