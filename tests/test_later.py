"""handlers.outbox.later.Later, the sender's timer queue: actions run in the order they come due,
an action due sooner than the one being waited for is not held up behind it, and stopping runs
whatever is still waiting rather than dropping it."""

from __future__ import annotations

import threading
import time

from handlers.outbox.later import Later


def test_actions_run_when_due_and_a_sooner_one_is_not_held_up() -> None:
    later = Later()
    ran: list[tuple[str, float]] = []
    both = threading.Event()
    started = time.monotonic()

    def note(name: str) -> None:
        ran.append((name, time.monotonic() - started))
        if len(ran) == 2:
            both.set()

    later.call(0.6, lambda: note("slow"))
    later.call(0.1, lambda: note("soon"))  # added second, due first
    assert both.wait(5)
    later.stop()
    assert [name for name, _ in ran] == ["soon", "slow"]
    assert 0.1 <= ran[0][1] < 0.5
    assert ran[1][1] >= 0.6


def test_stopping_runs_what_is_still_waiting() -> None:
    later = Later()
    ran: list[str] = []
    later.call(30, lambda: ran.append("waiting"))
    later.stop()
    assert ran == ["waiting"]
