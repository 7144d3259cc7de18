"""A single-thread timer queue (see Later)."""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Later:
    """One thread that runs each callable it is given once its wait is over.

    The sender sets aside jobs whose platform is paused (or whose budget slot is further
    off); this brings them back to the sending threads with no thread, or timer thread, each
    waiting for them. (`sched` would not wake for a job due sooner than the one it sleeps for;
    APScheduler is far heavier per job than a broadcast's thousands of short waits allow.)"""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, Callable[[], object]]] = []
        self._count = 0
        self._changed = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="later", daemon=True)
        self._thread.start()

    def call(self, wait: float, action: Callable[[], object]) -> None:
        with self._changed:
            self._count += 1
            heapq.heappush(self._due, (time.monotonic() + wait, self._count, action))
            self._changed.notify()

    def stop(self) -> None:
        """Run whatever is still waiting now (the sending threads are about to stop), then
        end the thread."""
        with self._changed:
            self._stopped = True
            self._changed.notify()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._stopped and (not self._due or self._due[0][0] > time.monotonic()):
                    self._changed.wait(self._due[0][0] - time.monotonic() if self._due else None)
                if self._stopped and not self._due:
                    return
                _, _, action = heapq.heappop(self._due)
            try:
                action()
            except Exception:  # e.g. a pool shut down under it: the caller's lease returns the row
                log.exception("a delayed action failed")
