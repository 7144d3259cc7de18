"""The Pacer both platforms pace their sends with (bot.pacing), on real threads and real time:
slots are handed out in turn and waited for, so a budget is kept without polling; a slot too
far away, or a destination whose own budget is spent, defers the message without spending
anything; a 429 met while a send waits for its slot holds that send too."""

from __future__ import annotations

import threading
import time

import pytest
from limits import RateLimitItemPerSecond

from bot.pacing import Bucket, Budget, Pacer, Window
from handlers.platform import DeliveryError

TENANT = ("tenant", "t1")


def tenant(per_second: int) -> list[Budget]:
    return [
        (RateLimitItemPerSecond(per_second), TENANT, "tenant"),
        (Window.spacing(per_second), TENANT, "tenant"),
    ]


def conversation(key: str, per_second: int = 1) -> list[Budget]:
    return [(RateLimitItemPerSecond(per_second), ("conversation", key), "conversation")]


def test_threads_take_slots_in_turn_and_keep_to_the_budget() -> None:
    pacer = Pacer("Teams")
    stamps: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def sender() -> None:
        try:
            for _ in range(5):
                pacer.spend(tenant(20))
                with lock:
                    stamps.append(time.monotonic())
        except BaseException as exc:  # collected: a deferral here is the failure
            failures.append(exc)

    started = time.monotonic()
    threads = [threading.Thread(target=sender) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []  # six threads ask at once; each waits for its slot, none is deferred
    assert len(stamps) == 30
    assert max(stamps) - started >= 29 / 20  # never faster than one every 1/20 s
    ordered = sorted(stamps)
    first_second = [t for t in ordered if t < ordered[0] + 1]
    assert len(first_second) <= 20


def test_a_slot_further_than_hold_is_deferred_and_spends_nothing() -> None:
    pacer = Pacer("Teams", hold=0.5)
    budget = [(RateLimitItemPerSecond(1), TENANT, "tenant")]
    pacer.spend(budget)
    with pytest.raises(DeliveryError) as raised:
        pacer.spend(budget)
    assert raised.value.deferred and raised.value.retryable
    assert raised.value.reason == "Teams tenant message budget spent"
    assert raised.value.retry_after is not None and 0.5 < raised.value.retry_after <= 1.0


def test_a_busy_destination_is_deferred_without_spending_the_shared_budget() -> None:
    pacer = Pacer("Teams", hold=0.5)
    shared = [(RateLimitItemPerSecond(2), TENANT, "tenant")]
    pacer.spend(shared, conversation("a"))
    with pytest.raises(DeliveryError) as busy:
        pacer.spend(shared, conversation("a"))
    assert busy.value.reason == "Teams conversation message budget spent"
    pacer.spend(shared, conversation("b"))  # the deferral above left the tenant's token
    with pytest.raises(DeliveryError) as spent:
        pacer.spend(shared, conversation("c"))
    assert spent.value.reason == "Teams tenant message budget spent"


def test_a_429_met_while_a_send_waits_for_its_slot_defers_that_send() -> None:
    pacer = Pacer("Slack")
    budget = [(Window.spacing(4), ("workspace",), "workspace")]  # one every 0.25 s
    pacer.spend(budget)
    outcome: list[BaseException | None] = []

    def waiting_sender() -> None:
        try:
            pacer.spend(budget)
            outcome.append(None)
        except DeliveryError as exc:
            outcome.append(exc)

    sender = threading.Thread(target=waiting_sender)
    sender.start()
    time.sleep(0.1)  # it has taken the slot 0.25 s out and is waiting for it
    pacer.pause(1.0)
    sender.join()
    assert isinstance(outcome[0], DeliveryError)
    assert outcome[0].deferred and outcome[0].reason == "Slack asked us to slow down"
    assert pacer.paused_for > 0.5


def test_a_bucket_allows_its_burst_at_once_then_its_steady_rate() -> None:
    """GOV.UK Notify's kind of budget (bot/notify/platform.py): `capacity` sends at once after
    a quiet spell, then `per_second`; a slot further than `hold` is a deferral as before."""
    pacer = Pacer("Notify", hold=5.0)
    budget: list[Budget] = [(Bucket(capacity=10, per_second=20), ("notify",), "requests")]
    started = time.monotonic()
    stamps = []
    for _ in range(20):
        pacer.spend(budget)
        stamps.append(time.monotonic() - started)
    assert stamps[9] < 0.05  # the burst
    assert 10 / 20 - 0.03 <= stamps[19] <= 10 / 20 + 0.1  # then 20 a second
    slow: list[Budget] = [(Bucket(capacity=3, per_second=2), ("notify",), "requests")]
    deferring = Pacer("Notify", hold=0.1)
    for _ in range(3):
        deferring.spend(slow)
    with pytest.raises(DeliveryError) as caught:
        deferring.spend(slow)  # half a second away: further than `hold`
    assert caught.value.deferred and "requests message budget spent" in caught.value.reason
    assert caught.value.retry_after is not None and 0.4 < caught.value.retry_after <= 0.5


def test_a_pause_empties_the_bucket_so_sending_resumes_at_the_steady_rate() -> None:
    pacer = Pacer("Notify", hold=5.0)
    budget: list[Budget] = [(Bucket(capacity=50, per_second=20), ("notify",), "requests")]
    pacer.spend(budget)
    pacer.pause(0.2)
    with pytest.raises(DeliveryError, match="asked us to slow down"):
        pacer.spend(budget)
    time.sleep(0.21)
    started = time.monotonic()
    for _ in range(5):
        pacer.spend(budget)
    assert time.monotonic() - started >= 4 / 20 - 0.02, "no burst straight after a 429"


def test_a_send_counts_against_the_platforms_limit_until_it_was_answered() -> None:
    """The server counted a send somewhere between our send and its answer: a limit's next
    slot comes a window after the answer, so a send held up on its way never lets a later one
    arrive in a full window (a 429 and a second's pause of the whole platform)."""
    pacer = Pacer("Teams", hold=0.0)
    budget = [(RateLimitItemPerSecond(1), TENANT, "tenant")]
    slow = pacer.spend(budget)
    time.sleep(0.3)  # its answer comes late
    slow.answered()
    with pytest.raises(DeliveryError) as spent:
        pacer.spend(budget)
    assert spent.value.retry_after is not None and spent.value.retry_after > 0.9  # not 0.7


def test_smoothing_is_counted_at_the_slot_so_a_late_answer_holds_nothing_back() -> None:
    """Spacing is ours, not the platform's: a slow answer does not push every later slot
    back (a broadcast would lose the round trip on every send)."""
    pacer = Pacer("Teams", hold=0.0)
    budget = [(Window.spacing(10), TENANT, "tenant")]  # one every 0.1 s
    slow = pacer.spend(budget)
    time.sleep(0.15)
    slow.answered()
    before = time.monotonic()
    pacer.spend(budget).answered()  # its slot (0.1 s after the first) has passed: no wait
    assert time.monotonic() - before < 0.05
