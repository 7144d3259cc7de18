"""The broadcast engine survives its sender being killed: `kill -9` at five random moments
during one broadcast, a new sender started each time, and every recipient still gets the
message; the repeats are bounded by what was in flight at each kill. On SQLite, a second
sender process stands by instead of sending anything twice.

The sender is the real one `qihub clock` runs (bot.outbox_workers.broadcast_sender in an
OutboxLoop), in its own process (`python -m bench.broadcast send`); the fake Slack Web API
(tests/limited_fakes.py, enforcing the workspace and per-channel limits) runs in this process
and counts what each DM channel received.
"""

from __future__ import annotations

import os
import random
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.broadcast import outbox_outcome, seed, start_sender
from tests.conftest import PG_URL, create_pg_schema, drop_pg_schema
from tests.limited_fakes import LimitedSlack

PER_MINUTE = 18_000
"""300/min x 60 (300 a second): the test's time scale, enforced by the fake."""
BATCH = 500
"""broadcast_sender's claim at 300 a second: min(500, 2 s of budget)."""
LEASE_S = 2.0


@pytest.fixture
def fake_slack() -> Iterator[LimitedSlack]:
    fake = LimitedSlack(workspace=(PER_MINUTE, 60.0))
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def pg_url() -> Iterator[str]:
    if PG_URL is None:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
    schema = f"qihub_kill_{uuid.uuid4().hex[:8]}"
    yield create_pg_schema(schema)
    drop_pg_schema(schema)


def _spec(url: str, fake: LimitedSlack) -> dict[str, object]:
    return {
        "database_url": url,
        "slack_url": fake.url,
        "slack_per_minute": int(PER_MINUTE * 0.95),
        "lease_s": LEASE_S,
    }


def _wait_for_sends(fake: LimitedSlack, more_than: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while fake.tally.messages <= more_than:
        assert time.monotonic() < deadline, "the sender sent nothing"
        time.sleep(0.02)


@pytest.mark.postgres
@pytest.mark.slow
def test_kill_9_five_times_mid_broadcast_loses_nobody(
    pg_url: str, fake_slack: LimitedSlack
) -> None:
    recipients = 4_000
    seeded = seed(pg_url, recipients, teams_url=None, slack=True, key="kill-test")
    rng = random.Random(9)
    kills = 0
    at_kill: list[int] = []
    while kills < 5:
        child = start_sender(_spec(pg_url, fake_slack))
        _wait_for_sends(fake_slack, fake_slack.tally.messages)
        time.sleep(rng.uniform(0.05, 0.6))  # somewhere mid-batch, mid-send or mid-record
        if child.poll() is not None:
            break  # it finished before it could be killed: no more kills possible
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        child.communicate()
        kills += 1
        at_kill.append(fake_slack.tally.messages)
    assert kills == 5, f"the broadcast finished after {kills} kills; make it longer"
    last = start_sender(_spec(pg_url, fake_slack))
    _, err = last.communicate(timeout=120)
    assert last.returncode == 0, err[-2000:]

    delivered = fake_slack.tally.delivered
    lost = [user for user in seeded["slack"] if delivered.get(user, 0) == 0]
    duplicates = fake_slack.tally.duplicates
    print(f"kills after {at_kill} messages; duplicates {duplicates} (bound {kills * BATCH})")
    assert lost == []
    assert set(delivered) == set(seeded["slack"])
    assert duplicates <= kills * BATCH
    assert outbox_outcome(pg_url) == {"sent": recipients}


@pytest.mark.slow
def test_a_second_sqlite_sender_stands_by_and_nothing_is_sent_twice(
    tmp_path: Path, fake_slack: LimitedSlack
) -> None:
    url = f"sqlite:///{tmp_path / 'broadcast.db'}"
    recipients = 1_500
    seeded = seed(url, recipients, teams_url=None, slack=True, key="two-senders")
    first, second = (start_sender(_spec(url, fake_slack)) for _ in range(2))
    results = [p.communicate(timeout=120) for p in (first, second)]
    assert (first.returncode, second.returncode) == (0, 0), [e[-2000:] for _, e in results]
    assert any("standing by" in err for _, err in results)
    assert fake_slack.tally.duplicates == 0
    assert set(fake_slack.tally.delivered) == set(seeded["slack"])
    assert outbox_outcome(url) == {"sent": recipients}
