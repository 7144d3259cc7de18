"""A platform's send budgets and its rate-limit pause, shared by the Slack and Teams platforms.

Budgets are moving windows (the `limits` library). Every budget a send would spend is tested
before any is spent, so a message deferred for its channel does not also use up a workspace or
tenant token another destination could have had. A 429 pauses the whole platform for
Retry-After seconds. Messages that cannot be attempted are deferred (DeliveryError with
deferred=True), which costs them none of their attempts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from limits import RateLimitItem
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from handlers.platform import DeliveryError

log = logging.getLogger(__name__)

Budget = tuple[RateLimitItem, tuple[str, ...], str]
"""A window, the keys it is counted under, and what to call it in a deferral's reason."""


class Pacer:
    def __init__(self, platform: str) -> None:
        self._platform = platform
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def spend(self, budgets: Sequence[Budget]) -> None:
        """Spend one from each budget, or defer the message without spending any."""
        with self._lock:
            wait = self._paused_until - time.monotonic()
            if wait > 0:
                raise DeliveryError(
                    f"{self._platform} asked us to slow down",
                    retryable=True,
                    retry_after=wait,
                    deferred=True,
                )
            for item, keys, what in budgets:
                if not self._limiter.test(item, *keys):
                    raise DeliveryError(
                        f"{self._platform} {what} message budget spent",
                        retryable=True,
                        retry_after=self._reset_in(item, *keys),
                        deferred=True,
                    )
            for item, keys, _ in budgets:
                self._limiter.hit(item, *keys)

    def _reset_in(self, item: RateLimitItem, *keys: str) -> float:
        stats = self._limiter.get_window_stats(item, *keys)
        return max(stats.reset_time - time.time(), 0.2)

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
