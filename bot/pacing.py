"""A platform's send budgets and its rate-limit pause, shared by the Slack and Teams platforms.

Budgets are moving windows (a `limits` RateLimitItem names the size: so many per so many
seconds). Every budget a send would spend is tested before any is spent, so a message deferred
for its channel does not also use up a workspace or tenant token another destination could have
had. A 429 pauses the whole platform for Retry-After seconds. Messages that cannot be attempted
are deferred (DeliveryError with deferred=True), which costs them none of their attempts.

The windows are kept here rather than in the `limits` library's MemoryStorage: that storage
sweeps every key it holds from a timer every 10 ms, and a broadcast creates a key per DM
channel or conversation (tens of thousands, each alive for up to 30 s), so the sweep alone took
most of a CPU and the keys most of the dispatcher's memory. Here a key is pruned when it is
used, and keys whose windows have all passed are dropped every few thousand sends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from limits import RateLimitItem

from handlers.platform import DeliveryError

log = logging.getLogger(__name__)

MIN_WAIT = 0.05
"""The shortest wait a spent budget asks for (seconds): a broadcast dispatcher waits this long
in place, and a slot left unused after it frees is throughput lost for good."""
SWEEP_EVERY = 2000
"""Sends between sweeps of the keys whose windows have all passed."""


@dataclass(frozen=True)
class Window:
    """A window shorter than `limits` can name (it counts whole seconds): `amount` sends per
    `seconds`. Used to spread a per-second budget within its second."""

    amount: int
    seconds: float

    def get_expiry(self) -> float:
        return self.seconds


Budget = tuple[RateLimitItem | Window, tuple[str, ...], str]
"""A window, the keys it is counted under, and what to call it in a deferral's reason."""

_Key = tuple[object, ...]


class Pacer:
    def __init__(self, platform: str) -> None:
        self._platform = platform
        self._windows: dict[_Key, tuple[float, deque[float]]] = {}
        """(size, keys...) -> (window seconds, the times of the sends still in it)."""
        self._spent = 0
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def spend(self, budgets: Sequence[Budget]) -> None:
        """Spend one from each budget, or defer the message without spending any."""
        with self._lock:
            now = time.monotonic()
            wait = self._paused_until - now
            if wait > 0:
                raise DeliveryError(
                    f"{self._platform} asked us to slow down",
                    retryable=True,
                    retry_after=wait,
                    deferred=True,
                )
            windows = [self._window(item, keys, now) for item, keys, _ in budgets]
            for (item, _keys, what), (_, times) in zip(budgets, windows, strict=True):
                if len(times) >= item.amount:
                    raise DeliveryError(
                        f"{self._platform} {what} message budget spent",
                        retryable=True,
                        retry_after=max(times[0] + item.get_expiry() - now, MIN_WAIT),
                        deferred=True,
                    )
            for _, times in windows:
                times.append(now)
            self._spent += 1
            if self._spent % SWEEP_EVERY == 0:
                self._sweep(now)

    def _window(
        self, item: RateLimitItem | Window, keys: tuple[str, ...], now: float
    ) -> tuple[float, deque[float]]:
        """The budget's window for these keys, with the sends that have left it dropped."""
        key: _Key = (item.amount, item.get_expiry(), *keys)
        found = self._windows.get(key)
        if found is None:
            found = self._windows[key] = (float(item.get_expiry()), deque())
        seconds, times = found
        while times and times[0] <= now - seconds:
            times.popleft()
        return found

    def _sweep(self, now: float) -> None:
        idle = [
            key
            for key, (seconds, times) in self._windows.items()
            if not times or times[-1] <= now - seconds
        ]
        for key in idle:
            del self._windows[key]

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        log.warning(
            "%s rate limit: pausing all %s sends for %.0f s",
            self._platform,
            self._platform,
            seconds,
        )

    @property
    def paused_for(self) -> float:
        return max(self._paused_until - time.monotonic(), 0.0)
