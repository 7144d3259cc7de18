"""One clock leads; any other waits as a standby and takes over when the leader's lease ends.

The lease is a row (name, holder, expires_at). The leader renews it well before it runs out;
a standby tries to take it on every check and succeeds only once it has expired, so after a
leader dies (kill -9, a lost machine) a standby leads within TTL + CHECK_EVERY seconds. Taking
and renewing are one conditional UPDATE each, so two processes can never both believe they lead
for long: the one whose UPDATE matched holds it. Reminders are guarded by their ledger anyway,
so the lease mostly saves work and keeps one process doing the clock's jobs.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from handlers.clock import Clock
from store.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

CLOCK = "clock"
"""The lease the `qihub clock` processes contend for."""
TTL = timedelta(seconds=40)
CHECK_EVERY = 10.0
"""Seconds between renewals (leader) or attempts (standby): a standby leads within ~50 s."""


class Leadership:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        me: str,
        name: str = CLOCK,
        ttl: timedelta = TTL,
    ) -> None:
        self._ttl = ttl
        self._uow_factory = uow_factory
        self._clock = clock
        self.me = me
        self.name = name
        self._leading = threading.Event()

    @property
    def leading(self) -> bool:
        return self._leading.is_set()

    def check(self) -> bool:
        """Take or renew the lease; True while this process leads."""
        now = self._clock.now()
        try:
            with self._uow_factory() as uow:
                taken = uow.leases.take_or_renew(self.name, self.me, now, self._ttl)
                uow.commit()
        except Exception:  # the database is away: stop leading until it is back
            log.warning("could not check the clock lease; not leading until the database answers")
            taken = False
        self._set(bool(taken))
        return self.leading

    def release(self) -> None:
        """Step down at once (a clean shutdown), so a standby need not wait for the lease."""
        if not self.leading:
            return
        try:
            with self._uow_factory() as uow:
                uow.leases.step_down(self.name, self.me, self._clock.now())
                uow.commit()
        finally:
            self._set(False)

    def _set(self, leading: bool) -> None:
        if leading and not self.leading:
            log.warning("%s now leads the %s", self.me, self.name)
        elif not leading and self.leading:
            log.warning("%s no longer leads the %s", self.me, self.name)
        if leading:
            self._leading.set()
        else:
            self._leading.clear()
