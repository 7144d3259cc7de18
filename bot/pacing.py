"""A platform's send budgets and its rate-limit pause, shared by the Slack and Teams platforms.

Budgets are moving windows (a `limits` RateLimitItem names the size: so many per so many
seconds). Sends are scheduled, not polled for: the platform-wide budgets (Slack's workspace,
Teams' tenant) hand out slots first come, first served, and a send whose slot is at most
`hold` seconds away takes it and waits for it. A thread that polled instead ("is there room
yet?") woke late, or together with every other waiting thread, and each slot it found late
was throughput lost for good: at a broadcast's pace that cost several per cent of the budget.
A destination's own budget (a Slack channel's, a Teams conversation's) must allow the send at
its slot, or the message is deferred without spending anything, so one busy channel never
holds up the rest of the queue. Slots further away than `hold` are deferrals too
(DeliveryError with deferred=True, which costs the message none of its attempts).

A platform's own limits (a `limits` RateLimitItem, or a Window that is not `smoothing`) count
each send until the platform answered it (`Ticket.answered`), not from its slot: the server
counted it somewhere between our send and its answer, so a send held up on its way (a busy
server, a stalled thread, sends that left together after a garbage collection) can never
make a later one arrive inside a window that is already full. That is what lets the sender
run close to the limit without meeting a 429: counted from their slots, sends held up
together arrived together, and a sender configured 2 % under the limit met a 429 (and a
second's pause of the whole platform) eight times in 90 seconds on a busy machine. The cost is
the round trip: a one-second limit that binds hands out its next slot a round trip later
(Teams: 1 to 3 % of its budget on the loaded benchmark machine). Smoothing windows
(`Window.spacing`, Slack's per-second share of its minute) are ours, not the platform's, and
count slots only, so a late send never pushes every later slot back.

A 429 pauses the whole platform for Retry-After seconds, slots already handed out included.

The windows are kept here rather than in the `limits` library's MemoryStorage: that storage
sweeps every key it holds from a timer every 10 ms, and a broadcast creates a key per DM
channel or conversation (tens of thousands, each alive for up to 30 s), so the sweep alone took
most of a CPU and the keys most of the sender's memory. Here a key is pruned when it is
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

HOLD = 0.5
"""The furthest ahead (seconds) a send takes a slot and waits for it rather than being
deferred. Short enough that the web process's delivery thread is never held up for long."""
SWEEP_EVERY = 2000
"""Sends between sweeps of the keys whose windows have all passed."""


@dataclass(frozen=True)
class Window:
    """A window `limits` cannot name (it counts whole seconds): `amount` sends per `seconds`.
    `Window.spacing(rate)` (one send per 1/rate seconds) spreads a budget evenly over time."""

    amount: int
    seconds: float
    smoothing: bool = False
    """Ours, not the platform's: counted at each send's slot, never moved to its answer."""

    def get_expiry(self) -> float:
        return self.seconds

    @classmethod
    def spacing(cls, per_second: float) -> Window:
        return cls(1, 1 / per_second, smoothing=True)


@dataclass(frozen=True)
class Bucket:
    """A token bucket (GOV.UK Notify's rate limit): up to `capacity` sends at once, refilled
    at `per_second`. Unlike a window it allows a burst after a quiet spell and then the
    steady rate, which is exactly what Notify's server allows (docs/notify.md)."""

    capacity: int
    per_second: float

    def tokens_at(self, state: list[float], when: float) -> float:
        tokens, at = state
        return min(float(self.capacity), tokens + max(when - at, 0.0) * self.per_second)

    def ready_at(self, state: list[float], slot: float) -> float:
        """The first moment at or after `slot` with a whole token to spend."""
        missing = 1.0 - self.tokens_at(state, slot)
        return slot if missing <= 0 else max(slot, state[1]) + missing / self.per_second


Budget = tuple[RateLimitItem | Window | Bucket, tuple[str, ...], str]
"""A window or bucket, the keys it is counted under, and what to call it in a deferral's
reason. Buckets are for platform-wide budgets only (`shared`)."""

_Key = tuple[object, ...]
_Times = deque[float]


class Ticket:
    """One send's place in its platform's limits: `answered()` once the platform answered
    (however it went) counts it from then on (see the module's docstring)."""

    def __init__(self, pacer: Pacer | None, slot: float, windows: list[_Times]) -> None:
        self._pacer = pacer
        self._slot = slot
        self._windows = windows

    def answered(self) -> None:
        pacer, self._pacer = self._pacer, None
        if pacer is not None and self._windows:
            pacer._answered(self._slot, self._windows)


def _move(times: _Times, slot: float, left: float) -> None:
    """Count the send taken at `slot` at `left` (later) instead, keeping `times` in order.
    Both are near the newest end (only slots handed out since are newer), so the search
    starts there."""
    i = len(times) - 1
    while i >= 0 and times[i] > slot:
        i -= 1
    if i < 0 or times[i] != slot:
        return  # already out of the window
    del times[i]
    while i < len(times) and times[i] <= left:
        i += 1
    times.insert(i, left)


class Pacer:
    def __init__(self, platform: str, *, hold: float = HOLD) -> None:
        self._platform = platform
        self._hold = hold
        self._windows: dict[_Key, tuple[float, _Times]] = {}
        """(size, keys...) -> (window seconds, the send times still in it, in order; slots
        handed out but not yet reached included)."""
        self._buckets: dict[_Key, list[float]] = {}
        """(capacity, rate, keys...) -> [tokens, at]: the tokens left just after the last
        slot taken from the bucket, and that slot's time."""
        self._last_slot = 0.0
        self._spent = 0
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def spend(self, shared: Sequence[Budget], own: Sequence[Budget] = ()) -> Ticket:
        """Take the next slot the `shared` budgets allow and wait for it, or defer the message
        without spending anything: when the platform is paused, when the slot is more than
        `hold` away, or when a budget in `own` (the destination's) would not allow it then.
        Call the ticket's `answered()` once the platform has answered the send."""
        with self._lock:
            now = time.monotonic()
            self._raise_if_paused(now)
            slot, binding = max(self._last_slot, now), shared[0][2] if shared else ""
            counted = [(i, k, w) for i, k, w in shared if not isinstance(i, Bucket)]
            windows = [self._window(item, keys, now) for item, keys, _ in counted]
            limits = [
                times
                for (item, _, _), (_, times) in zip(counted, windows, strict=True)
                if not (isinstance(item, Window) and item.smoothing)
            ]
            for (item, _keys, what), (seconds, times) in zip(counted, windows, strict=True):
                if len(times) >= item.amount and times[-item.amount] + seconds > slot:
                    slot, binding = times[-item.amount] + seconds, what
            buckets = [(b, self._bucket(b, keys, now), what) for b, keys, what in shared
                       if isinstance(b, Bucket)]  # fmt: skip
            for bucket, state, what in buckets:  # after the windows: later only refills more
                ready = bucket.ready_at(state, slot)
                if ready > slot:
                    slot, binding = ready, what
            if slot - now > self._hold:
                raise self._spent_error(binding, slot - now)
            for limit, keys, what in own:
                assert not isinstance(limit, Bucket), "a bucket is a platform-wide budget"
                seconds, times = window = self._window(limit, keys, now)
                if len(times) >= limit.amount and times[-limit.amount] + seconds > slot:
                    raise self._spent_error(what, times[-limit.amount] + seconds - now)
                windows.append(window)
                limits.append(times)
            for _, times in windows:
                times.append(slot)
            for bucket, state, _ in buckets:
                state[:] = [bucket.tokens_at(state, slot) - 1.0, slot]
            self._last_slot = slot
            self._spent += 1
            if self._spent % SWEEP_EVERY == 0:
                self._sweep(now)
        ticket = Ticket(self, slot, limits)
        wait = slot - time.monotonic()
        if wait > 0:
            time.sleep(wait)
            try:
                with self._lock:  # a 429 met while this send waited for its slot holds it too
                    self._raise_if_paused(time.monotonic())
            except DeliveryError:
                ticket.answered()  # never sent: counted as if it had been, from now
                raise
        return ticket

    def _answered(self, slot: float, windows: list[_Times]) -> None:
        answered = time.monotonic()
        with self._lock:
            for times in windows:
                _move(times, slot, answered)

    def _raise_if_paused(self, now: float) -> None:
        wait = self._paused_until - now
        if wait > 0:
            raise DeliveryError(
                f"{self._platform} asked us to slow down",
                retryable=True,
                retry_after=wait,
                deferred=True,
            )

    def _spent_error(self, what: str, wait: float) -> DeliveryError:
        return DeliveryError(
            f"{self._platform} {what} message budget spent",
            retryable=True,
            retry_after=wait,
            deferred=True,
        )

    def _window(
        self, item: RateLimitItem | Window, keys: tuple[str, ...], now: float
    ) -> tuple[float, _Times]:
        """The budget's window for these keys, with the sends that have left it dropped."""
        key: _Key = (item.amount, item.get_expiry(), *keys)
        found = self._windows.get(key)
        if found is None:
            found = self._windows[key] = (float(item.get_expiry()), deque())
        seconds, times = found
        while times and times[0] <= now - seconds:
            times.popleft()
        return found

    def _bucket(self, bucket: Bucket, keys: tuple[str, ...], now: float) -> list[float]:
        key: _Key = (bucket.capacity, bucket.per_second, *keys)
        state = self._buckets.get(key)
        if state is None:
            state = self._buckets[key] = [float(bucket.capacity), now]
        return state

    def _sweep(self, now: float) -> None:
        idle = [
            key
            for key, (seconds, times) in self._windows.items()
            if not times or times[-1] <= now - seconds
        ]
        for key in idle:
            del self._windows[key]

    def pause(self, seconds: float) -> None:
        """Hold every send for `seconds`. Buckets are emptied as well: sending resumes at the
        steady rate, not in a burst into a server that has just said it is full."""
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)
            for state in self._buckets.values():
                state[:] = [0.0, max(state[1], self._paused_until)]
        log.warning(
            "%s rate limit: pausing all %s sends for %.0f s",
            self._platform,
            self._platform,
            seconds,
        )

    @property
    def paused_for(self) -> float:
        return max(self._paused_until - time.monotonic(), 0.0)
