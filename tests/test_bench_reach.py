"""The trust reach model (bench/reach.py) follows the product's rules: with the bundled
configuration (no channel policy) the tenth of staff no chat reaches is never told; under the
documented policy the people with only an email wait for its email step; Notify's queue lets
its burst go at once, then its steady rate."""

from __future__ import annotations

import pytest

from bench import reach


def test_with_chat_only_people_without_chat_are_never_reached() -> None:
    outcome = reach.simulate(reach.POLICIES["chat_only"], reach.Rates.real())
    never = [i for i, (reached, _) in outcome.items() if reached is None]
    assert len(never) == reach.STAFF // 10
    assert reach.share_after([r for r, _ in outcome.values()], 0.99) is None


def test_the_bundled_default_reaches_everyone_no_chat_reaches_at_once() -> None:
    """The bundled config writes no critical policy: the default (a text and an email at once
    to those no chat reaches) reaches 99 % within the Slack queue's few minutes."""
    outcome = reach.simulate(reach.POLICIES["bundled"], reach.Rates.real())
    reached = [r for r, _ in outcome.values()]
    assert all(r is not None for r in reached)
    no_chat = [outcome[i][0] or 0 for i in outcome if i % 20 in (18, 19)]
    assert max(no_chat) < 5  # Notify's burst: at once
    share = reach.share_after(reached, 0.99)
    assert share is not None and share < 5 * 60


def test_under_the_documented_policy_email_only_staff_wait_for_the_email_step() -> None:
    outcome = reach.simulate(reach.POLICIES["documented"], reach.Rates.real())
    email_only = [i for i in outcome if i % 20 == 19]
    assert all(outcome[i][0] is not None for i in outcome)
    assert min(outcome[i][0] or 0 for i in email_only) >= 30 * 60
    texted = [i for i in outcome if i % 20 == 18]
    assert max(outcome[i][0] or 0 for i in texted) < 5  # Notify's burst: at once


def test_notify_queue_sends_its_burst_then_the_refill_rate() -> None:
    queue = reach._Queue(50.0, burst=10)
    sent = [queue.send(0.0) for _ in range(12)]
    assert sent[:10] == [0.0] * 10
    assert sent[10] == pytest.approx(0.02)
    assert sent[11] == pytest.approx(0.04)
