"""Benchmark: a broadcast to 1,800 and to 100,000 people through fakes that enforce the limits.

One mixed run per size and database: of every 20 recipients 9 are Slack users (a DM each), 9
are Teams users with a 1:1 chat already installed (an activity each), one has only a mobile
number (a text) and one only their work email (an email), interleaved by staff id. The chat
messages are queued by OutboxRepo.enqueue_from_select (one INSERT ... SELECT), the texts and
emails one by one by the enqueuer's direct_to_person (as a channel policy step queues them,
each with its own acknowledgement link); all are delivered by the
sender `qihub clock` runs (bot.outbox_workers.broadcast_sender in an OutboxLoop), in its
own process, until nothing is left. The fake Slack Web API and Bot Connector
(tests/limited_fakes.py) and the fake GOV.UK Notify (tests/notify/fake_notify.py: real JWT
checks, Notify's token bucket and daily limits) run in this process and answer 429 to anything
over a limit; they count what each DM channel / conversation / reference received.

Time is scaled by raising the two budgets that bind a broadcast (each DM is its own channel or
conversation, so the per-channel and per-conversation limits never do): Slack's workspace
budget of 300 a minute x SLACK_SCALE and Teams' per-tenant 50 requests a second x TEAMS_SCALE.
The sender is configured with the same figures, as an operator would set
SLACK_MESSAGES_PER_MINUTE / TEAMS_TENANT_REQUESTS_PER_SECOND. Reported per platform:
the achieved rate (messages / first-to-last delivery) against that ceiling (target >= 95 %),
429s met, duplicates (must be 0), lost recipients (must be 0), and the sender process's
peak RSS (os.wait4's rusage of the child; target <= 200 MB at 100,000).

The chat senders are configured at the fakes' limits (HEADROOM); Notify's at its published
limit, which the fake enforces unscaled (3,000 a minute).
QIHUB_BENCH_BROADCAST_SLACK_SCALE and QIHUB_BENCH_BROADCAST_TEAMS_SCALE change the two
multipliers (24 and 2.4: 120 a second each).
QIHUB_BENCH_SCALE=0.1 sends a tenth as many messages; QIHUB_BENCH_BACKENDS picks databases
(the 100,000 run uses PostgreSQL when it is reachable, else SQLite; the 1,800 run uses both).
`python -m bench.broadcast send '<json>'` is the sender child (tests use it too).
"""

from __future__ import annotations

import gc
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench import data
from bench.machine import describe

RESULTS = Path(__file__).parent / "results" / "broadcast.json"
ROOT = Path(__file__).resolve().parents[1]
SIZES = (1_800, 100_000)
SLACK_SCALE = float(os.environ.get("QIHUB_BENCH_BROADCAST_SLACK_SCALE", "24"))
"""Slack's workspace budget 300/min x 24 = 7,200/min: a ceiling of 120 messages a second."""
TEAMS_SCALE = float(os.environ.get("QIHUB_BENCH_BROADCAST_TEAMS_SCALE", "2.4"))
"""Teams' per-tenant 50 requests/s x 2.4: a ceiling of 120 a second. With Slack's, 240
messages a second: 100,000 in about seven minutes, within what this 2-core machine sustains
(about 450 a second with no limits, sharing the CPUs with the fakes and PostgreSQL)."""
HEADROOM = float(os.environ.get("QIHUB_BENCH_BROADCAST_HEADROOM", "1.0"))
"""The chat senders are configured at the fakes' limits, as QI Hub's defaults are at the
published ones (QIHUB_BENCH_BROADCAST_HEADROOM sets a fraction under them). Until 2026-12-05
the benchmark configured them 5 % under, which capped the achieved share at 95 %: the sender
counted each send from its slot, so sends held up on their way arrived inside a window
already full (a 429 and a second's pause of the platform) unless it kept well under the limit
(at 2 % under: 8 x 429 in 20,000 messages on this machine). It now counts each send against
the platform's limit until it was answered (bot/pacing.py), so such jitter cannot fill a
window: at the limit, 0 x 429."""
TARGET_SHARE = 0.95
TARGET_RSS_MB = 200.0
BOT_TOKEN = "xoxb-bench-token"
TEAMS_TOKEN = "bench.teams.token"
CLIENT_ID = "00000000-0000-4000-8000-00000000b07b"
TENANT = "b28fdbfd-2b78-4f93-b0f8-8881793f0f8f"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CHILD_TIMEOUT_S = 1800


REAL_SLACK_PER_MINUTE = 300
"""Slack's workspace budget for chat.postMessage as QI Hub is configured by default
(SLACK_MESSAGES_PER_MINUTE): the scale benchmarks multiply it."""
REAL_TEAMS_PER_SECOND = 50
"""Teams' per-tenant limit (TEAMS_TENANT_REQUESTS_PER_SECOND)."""


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.0f} s"


def notify_seconds(messages: int, per_minute: int = 3000) -> float:
    """How long the sender takes over `messages` texts and emails at Notify's limit: its own
    bucket (bot.notify.platform.notify_bucket, a little inside Notify's) lets a burst go at
    once, then the refill rate. Notify's limit is never scaled here, so this is real time."""
    from bot.notify.platform import notify_bucket

    bucket = notify_bucket(per_minute)
    return max(messages - bucket.capacity, 0) / bucket.per_second


def real_time(
    slack: int, teams: int, notify: int = 0, notify_per_minute: int = 3000
) -> dict[str, str]:
    """What a broadcast of `slack` Slack DMs, `teams` Teams messages and `notify` texts and
    emails takes at the real, unscaled limits, with the chat senders at HEADROOM x them as
    configured here (the platforms send side by side, so the slowest decides). Arithmetic, not
    a measurement: the run shows the sender keeps to its budget; this says what that budget
    means in hours."""
    slack_s = slack / (REAL_SLACK_PER_MINUTE / 60 * HEADROOM)
    teams_s = teams / (REAL_TEAMS_PER_SECOND * HEADROOM)
    notify_s = notify_seconds(notify, notify_per_minute) if notify else 0.0
    everyone = slack + teams
    only_slack_s = everyone / (REAL_SLACK_PER_MINUTE / 60 * HEADROOM)
    only_teams_s = everyone / (REAL_TEAMS_PER_SECOND * HEADROOM)
    out = {
        "slack": f"{slack:,} Slack DMs at {REAL_SLACK_PER_MINUTE}/min: {_duration(slack_s)}",
        "teams": f"{teams:,} Teams messages at {REAL_TEAMS_PER_SECOND}/s: {_duration(teams_s)}",
        "last_reached_after": _duration(max(slack_s, teams_s, notify_s)),
        "all_on_slack_only": f"{everyone:,} chat users on Slack only: {_duration(only_slack_s)}",
        "all_on_teams_only": f"{everyone:,} chat users on Teams only: {_duration(only_teams_s)}",
    }
    if notify:
        out["notify"] = (
            f"{notify:,} texts and emails at {notify_per_minute:,}/min (a burst, then "
            f"{notify_per_minute / 60:g}/s; not scaled): {_duration(notify_s)}"
        )
    return out


def slack_per_minute(scale: float = SLACK_SCALE) -> int:
    """The fake's workspace limit; the sender is configured at HEADROOM x it."""
    return int(300 * scale)


def teams_per_second(scale: float = TEAMS_SCALE) -> int:
    """The fake's per-tenant limit; the sender is configured at HEADROOM x it."""
    return int(50 * scale)


# ---------------------------------------------------------------------- the sender (child)
def sender_main(spec: dict[str, Any]) -> int:
    """Run the clock's outbox loop against the fakes until nothing is pending or leased, then
    print one JSON line: what it did and its own peak RSS."""
    from bot.app import create_app
    from bot.outbox_workers import (
        OutboxLoop,
        broadcast_sender,
        connected_platforms,
        freeze_startup_heap,
        worker_name,
    )
    from bot.settings import Settings

    options: dict[str, Any] = {"database_url": spec["database_url"], "_env_file": None}
    if spec.get("slack_url"):
        options.update(
            slack_bot_token=BOT_TOKEN,
            slack_api_url=spec["slack_url"].rstrip("/") + "/",
            slack_messages_per_minute=spec["slack_per_minute"],
        )
    if spec.get("teams_url"):
        options.update(
            teams_client_id=CLIENT_ID,
            teams_tenant_id=TENANT,
            teams_service_url=spec["teams_url"],
            teams_service_hosts="127.0.0.1",  # the fake connector
            teams_tenant_requests_per_second=spec["teams_per_second"],
        )
    if spec.get("notify_url"):
        options.update(
            notify_api_key=spec["notify_key"],
            notify_api_url=spec["notify_url"],
            notify_requests_per_minute=spec["notify_per_minute"],
        )
    settings = Settings(**options)
    app = create_app(settings)
    platforms = connected_platforms(app, teams_token=TEAMS_TOKEN)
    platforms.sort(key=lambda p: p.name != "teams")  # Teams first: no lookups for Slack people
    direct: list[Any] = []
    if spec.get("notify_url"):
        from bot.notify.platform import notify_channels
        from handlers.config import NotifySettings

        templates = NotifySettings(
            sms_template_id=spec["sms_template"], email_template_id=spec["email_template"]
        )
        direct = list(notify_channels(settings, templates))
    sender = broadcast_sender(
        app,
        platforms,
        worker=worker_name("bench"),
        lease=timedelta(seconds=float(spec.get("lease_s", 120))),
        direct=direct,
    )
    loop = OutboxLoop(
        sender, app.uow_factory, app.clock, database_url=spec["database_url"], idle_poll=0.2
    )
    freeze_startup_heap()  # as `qihub clock` does
    started = time.monotonic()
    total = loop.run(until_idle=True)
    elapsed = time.monotonic() - started
    sender.close()
    app.engine.dispose()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "report": asdict(total),
                "elapsed_s": round(elapsed, 3),
                "batch": sender.batch,
                "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            }
        ),
        flush=True,
    )
    return 0


def child_command(spec: dict[str, Any]) -> list[str]:
    return [sys.executable, "-m", "bench.broadcast", "send", json.dumps(spec)]


def child_env() -> dict[str, str]:
    """The environment without anything that would point the child elsewhere."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("QIHUB_CONFIG", "DATABASE_URL", "SLACK_", "TEAMS_", "NOTIFY_"))
    }


def start_sender(spec: dict[str, Any]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        child_command(spec),
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# ---------------------------------------------------------------------- the broadcast
def reached_by(i: int, *, teams: bool, slack: bool, notify: bool) -> str:
    """How staff id `i` is reached: with `notify`, out of every 20 people 9 are on Slack, 9 on
    Teams, one has only a mobile number ("sms") and one only an email ("email"); without,
    Slack and Teams alternately (even ids on Teams), or all on the one platform given."""
    if notify:
        cycle = i % 20
        if cycle == 18:
            return "sms"
        if cycle == 19:
            return "email"
        if not teams:
            return "slack"
        return "teams" if cycle % 2 == 0 or not slack else "slack"
    return "teams" if teams and (not slack or i % 2 == 0) else "slack"


def seed(
    url: str,
    count: int,
    *,
    teams_url: str | None,
    slack: bool,
    key: str,
    notify: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Migrate, add `count` staff (Slack and Teams alternately, or all one platform; with
    `notify`, a tenth with no chat identity: see reached_by), and queue one urgent message for
    each: chat with enqueue_from_select, texts and emails with the enqueuer's
    direct_to_person (what a channel policy step queues), filled with `notify` (the template
    fields). Returns the expected destinations."""
    from messages.view import Heading, Reply, Text, reply_to_payload
    from store import migrate
    from store.db import make_engine
    from store.models import Staff, StaffContact, TeamsConversation
    from store.uow import UnitOfWorkFactory

    engine = make_engine(url)
    migrate.upgrade(engine)
    staff: list[dict[str, Any]] = []
    chats: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    slack_ids: list[str] = []
    conversations: list[str] = []
    direct: dict[str, list[int]] = {"sms": [], "email": []}
    for i in range(1, count + 1):
        way = reached_by(i, teams=teams_url is not None, slack=slack, notify=notify is not None)
        row: dict[str, Any] = {
            "id": i,
            "email": f"person{i}@bench.example",
            "display_name": f"Person {i}",
            "active": True,
            "source": "bench",
            "created_at": NOW,
            "updated_at": NOW,
            "slack_user_id": None,
            "teams_aad_id": None,
        }
        if way in direct:
            direct[way].append(i)
            contacts.append(
                {
                    "staff_id": i,
                    # Ofcom's drama range (never a real phone): 1,000 numbers, shared by
                    # several people at 100,000; the fake tells messages apart by reference
                    "mobile": f"+447700900{i % 1000:03d}" if way == "sms" else None,
                    "mobile_source": "csv" if way == "sms" else None,
                    "email": None,  # "email": the work address, as for most staff
                    "email_source": None,
                    "updated_at": NOW,
                }
            )
        elif way == "teams":
            row["teams_aad_id"] = str(uuid.UUID(int=i))
            conversation = f"a:bench-chat-{i}"
            conversations.append(conversation)
            chats.append(
                {
                    "conversation_id": conversation,
                    "kind": "personal",
                    "service_url": teams_url,
                    "tenant_id": TENANT,
                    "staff_id": i,
                    "installed": True,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
        else:
            row["slack_user_id"] = f"U{i:08d}"
            slack_ids.append(row["slack_user_id"])
        staff.append(row)
    with engine.begin() as connection:
        for start in range(0, len(staff), 5000):
            connection.execute(Staff.__table__.insert(), staff[start : start + 5000])
        for start in range(0, len(chats), 5000):
            connection.execute(TeamsConversation.__table__.insert(), chats[start : start + 5000])
        for start in range(0, len(contacts), 5000):
            connection.execute(StaffContact.__table__.insert(), contacts[start : start + 5000])
    del staff, chats, contacts
    reply = Reply(
        summary="Critical alert: check infusion pump model X before use",
        blocks=(
            Heading("Critical alert: infusion pump model X"),
            Text("Check the pump's software version before every use. Acknowledge below."),
        ),
    )
    factory = UnitOfWorkFactory(engine)
    started = time.perf_counter()
    with factory() as uow:
        queued = uow.outbox.enqueue_from_select(
            select(Staff.id).where(
                Staff.active,
                Staff.source == "bench",
                Staff.slack_user_id.is_not(None) | Staff.teams_aad_id.is_not(None),
            ),
            key=key,
            payload={"reply": reply_to_payload(reply)},
            now=datetime.now(UTC),
            urgent=True,
        )
        uow.commit()
    enqueue_s = time.perf_counter() - started
    references = _queue_direct(factory, direct, key, notify) if notify is not None else {}
    engine.dispose()
    chat = len(slack_ids) + len(conversations)
    assert queued == chat, (queued, chat)
    return {
        "slack": slack_ids,
        "teams": conversations,
        **references,
        "enqueue_s": round(enqueue_s, 3),
    }


def _queue_direct(
    factory: Any, people: dict[str, list[int]], key: str, fields: dict[str, str]
) -> dict[str, list[str]]:
    """Queue a text or an email to each person in `people` through the product's enqueuer,
    each with their own acknowledgement link; returns the Notify references expected per
    channel (the sender's reference is the row's id)."""
    from handlers.outbox.enqueue import Enqueuer
    from messages.view import Reply
    from store.models import OutboxMessage

    with factory() as uow:
        enqueue = Enqueuer(uow, _config(), datetime.now(UTC))
        for via in ("sms", "email"):
            for staff_id in people[via]:
                enqueue.direct_to_person(
                    staff_id,
                    "sms" if via == "sms" else "email",
                    Reply(summary="Critical alert BENCH-1"),
                    f"{key}:direct0",
                    personalisation={**fields, "ack_url": f"{ACK_URL}{staff_id:08x}"},
                )
        uow.commit()
        rows = uow.session.execute(
            select(OutboxMessage.id, OutboxMessage.payload).where(
                OutboxMessage.dedupe_key.startswith(f"{key}:direct0>")
            )
        ).all()
    found: dict[str, list[str]] = {"sms": [], "email": []}
    for row_id, payload in rows:
        found[str(payload["via"])].append(f"qihub-o{row_id}")
    return found


def _config() -> Any:
    from handlers.config import load_config

    return load_config()


def outbox_outcome(url: str) -> dict[str, int]:
    from store.db import make_engine
    from store.models import OutboxMessage

    engine = make_engine(url)
    with engine.connect() as connection:
        counts = dict(
            connection.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
    engine.dispose()
    return {str(k): int(v) for k, v in counts.items()}


def _database(backend: str, label: str, scratch: str) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite:///{scratch}/broadcast-{label}.db", None
    schema = f"qihub_broadcast_{uuid.uuid4().hex[:8]}"
    data._pg_admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"')
    return data.pg_schema_url(schema), schema


def steady_rate(stamps: list[float], window: float) -> float | None:
    """Messages a second after the first `window` (which the limit lets go as a burst) to the
    last message: what the ceiling bounds. None for a run too short to have a steady part."""
    if not stamps:
        return None
    ordered = sorted(stamps)
    start = ordered[0] + window
    later = [t for t in ordered if t >= start]
    if len(later) < 2 or later[-1] - start < window:
        return None
    return (len(later) - 1) / (later[-1] - start)


def platform_figures(
    tally: Any, expected: list[str], ceiling: float, wall_s: float, window: float
) -> dict[str, Any]:
    summary = tally.summary()
    span = summary["first_to_last_s"]
    overall = (summary["messages"] - 1) / span if span > 0 else None
    steady = steady_rate(tally.stamps, window)
    rate = steady if steady is not None else overall
    lost = sum(1 for key in expected if tally.delivered.get(key, 0) == 0)
    return {
        **summary,
        "expected": len(expected),
        "lost": lost,
        "ceiling_per_s": ceiling,
        "overall_per_s": round(overall, 1) if overall is not None else None,
        "steady_per_s": round(steady, 1) if steady is not None else None,
        "achieved_per_s": round(rate, 1) if rate is not None else None,
        "share_of_ceiling": round(rate / ceiling, 3) if rate is not None else None,
        "wall_s": round(wall_s, 1),
    }


def notify_figures(fake: Any, expected: dict[str, list[str]], wall_s: float) -> dict[str, Any]:
    """Notify's leg, figured against what its limit allowed: a token bucket lets a burst of
    `burst` go at once and then `rate` a second, so over a run of T seconds from the first
    message to the last it accepts at most burst + rate x T. The share of that ceiling is the
    achieved share (a rate measured "after the burst" is fragile: on a busy machine the
    sender's own bucket refills while it waits for the CPU, and spends it in small bursts).
    Below NOTIFY_MEASURED messages the run is mostly burst and is not held to the target."""
    with fake._lock:
        sent = [(s.reference, s.kind) for s in fake.sent]
        stamps = sorted(t for t, _ in fake.stamps)
    counts = Counter(reference for reference, _ in sent)
    wanted = [r for refs in expected.values() for r in refs]
    lost = sum(1 for reference in wanted if counts.get(reference, 0) == 0)
    span = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
    return {
        "texts": sum(1 for _, kind in sent if kind == "sms"),
        "emails": sum(1 for _, kind in sent if kind == "email"),
        "recipients": len(counts),
        "duplicates": fake.duplicates(),
        "answered_429": fake.answered.get(429, 0),
        "first_to_last_s": round(span, 3),
        "expected": len(wanted),
        "lost": lost,
        **bucket_figures(len(sent), span, fake.rate_limit),
        "ceiling": f"{fake.rate_limit}/min per key (a token bucket: a burst of "
        f"{notify_burst(fake.rate_limit)}, then {fake.rate_limit / 60:g}/s); daily "
        f"{fake.daily['sms']:,} texts, {fake.daily['email']:,} emails",
        "wall_s": round(wall_s, 1),
    }


def notify_burst(rate_limit: int) -> int:
    """What Notify's bucket lets go at once: min(ceil(rate / 3) + 1, 1000) tokens, refused
    under one left (tests/notify/fake_notify.py, as Notify's own script)."""
    return min(math.ceil(rate_limit / 3) + 1, 1000) - 1


def bucket_figures(messages: int, span: float, rate_limit: int) -> dict[str, Any]:
    """`messages` over `span` seconds against a bucket's ceiling over that span."""
    rate = rate_limit / 60
    allowed = notify_burst(rate_limit) + rate * span
    measured = messages > notify_burst(rate_limit)
    return {
        "messages": messages,
        "ceiling_per_s": rate,
        "ceiling_over_run": round(allowed),
        "overall_per_s": round((messages - 1) / span, 1) if span > 0 else None,
        "achieved_per_s": round((messages - 1) / span, 1) if span > 0 and measured else None,
        "share_of_ceiling": round(messages / allowed, 3) if measured else None,
    }


def reached_share_after(
    stamps: list[float], started: float, people: int, share: float
) -> float | None:
    """Seconds from `started` until `share` of `people` had their message (each person gets
    exactly one here, and duplicates are checked to be 0)."""
    needed = math.ceil(share * people)
    ordered = sorted(stamps)
    return round(ordered[needed - 1] - started, 2) if len(ordered) >= needed else None


SMS_TEMPLATE = "((org)) ((reminder))((severity)) alert ((ref)): ((title)). Acknowledge: ((ack_url))"
EMAIL_TEMPLATE = (
    "((reminder))((severity)) alert ((ref)): ((title))\n\n((instructions))\n\n"
    "Acknowledge by ((deadline)): ((ack_url))"
)
ALERT_FIELDS = {
    "org": "CCC",
    "reminder": "",
    "ref": "ALERT-2026-0001",
    "title": "Check infusion pump model X before use",
    "severity": "Critical - act now",
    "deadline": "Fri 27 Nov 09:00",
    "instructions": "Check the pump's software version before every use.",
}
"""The template fields handlers.alerts.direct fills (ack_url is added per person)."""
ACK_URL = "https://qihub.bench.example/ack/"


def broadcast(backend: str, count: int, scratch: str) -> dict[str, Any]:
    """One mixed broadcast of `count` on `backend`, measured."""
    from tests.limited_fakes import LimitedConnector, LimitedSlack
    from tests.notify.fake_notify import FakeNotify

    per_minute, per_second = slack_per_minute(), teams_per_second()
    gc.collect()
    gc.freeze()  # the fakes stand in for Slack and Teams: no collector pauses in their answers
    slack = LimitedSlack(workspace=(per_minute, 60.0))
    teams = LimitedConnector(tenant=(per_second, 1.0))
    notify = FakeNotify()  # Notify's own limits, unscaled: 3,000/min, daily 250,000 each
    notify.backlog = BACKLOG_NOTIFY
    servers = [slack.start(), teams.start(), notify.start()]
    spec_notify = {
        "notify_url": notify.url,
        "notify_key": notify.api_key(),
        "notify_per_minute": notify.rate_limit,
        "sms_template": notify.add_template("sms", SMS_TEMPLATE),
        "email_template": notify.add_template("email", EMAIL_TEMPLATE),
    }
    url, schema = _database(backend, f"{count}", scratch)
    load_before = _load()
    try:
        seeded = seed(
            url, count, teams_url=teams.url, slack=True, key=f"bench:{count}", notify=ALERT_FIELDS
        )
        spec = {
            "database_url": url,
            "slack_url": slack.url,
            "slack_per_minute": int(per_minute * HEADROOM),
            "teams_url": teams.url,
            "teams_per_second": int(per_second * HEADROOM),
            **spec_notify,
        }
        started = time.monotonic()
        own_before = resource.getrusage(resource.RUSAGE_SELF)
        child = start_sender(spec)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - started
        own = resource.getrusage(resource.RUSAGE_SELF)
        child.returncode = os.waitstatus_to_exitcode(status)
        out, err = child.communicate(timeout=10)
        if child.returncode != 0:
            raise RuntimeError(f"sender exited {child.returncode}: {err[-2000:]}")
        result = json.loads(out.strip().splitlines()[-1])
        outcome = outbox_outcome(url)
    finally:
        for server in servers:
            server.shutdown()
        if schema is not None:
            data._pg_admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    direct = {"sms": seeded["sms"], "email": seeded["email"]}
    figures = {
        "slack": platform_figures(slack.tally, seeded["slack"], per_minute / 60, wall, 1.0),
        "teams": platform_figures(teams.tally, seeded["teams"], float(per_second), wall, 1.0),
        "notify": notify_figures(notify, direct, wall),
    }
    everything = [*slack.tally.stamps, *teams.tally.stamps, *(t for t, _ in notify.stamps)]
    messages = len(everything)
    combined_ceiling = per_minute / 60 + per_second + notify.rate_limit / 60
    span = max(everything) - min(everything) if everything else 0.0
    combined = (messages - 1) / span if span > 0 else float("nan")
    peak_rss_mb = round(usage.ru_maxrss / 1024, 1)
    cpu = {
        "dispatcher_cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "fakes_cpu_s": round(
            own.ru_utime + own.ru_stime - own_before.ru_utime - own_before.ru_stime, 1
        ),
    }
    duplicates = sum(f["duplicates"] for f in figures.values())
    lost = sum(f["lost"] for f in figures.values())
    shares = [
        f["share_of_ceiling"]
        for name, f in figures.items()
        if f["expected"] and (name != "notify" or f["expected"] >= NOTIFY_MEASURED)
    ]
    meets = (
        duplicates == 0
        and lost == 0
        and outcome == {"sent": count}
        and all(s is not None and s >= TARGET_SHARE for s in shares)
        and (count < 100_000 or peak_rss_mb <= TARGET_RSS_MB)
    )
    counts = {name: f["expected"] for name, f in figures.items()}
    return {
        "recipients": count,
        "real_time": real_time(
            counts["slack"], counts["teams"], counts["notify"], notify.rate_limit
        ),
        "first_delivery_after_s": round(min(everything) - started, 2) if everything else None,
        "reached_99_percent_after_s": reached_share_after(everything, started, count, 0.99),
        "reached_all_after_s": reached_share_after(everything, started, count, 1.0),
        "enqueue_s": seeded["enqueue_s"],
        "platforms": figures,
        "combined_ceiling_per_s": combined_ceiling,
        "combined_achieved_per_s": round(combined, 1),
        "wall_s": round(wall, 1),
        "duplicates": duplicates,
        "lost": lost,
        "outbox": outcome,
        "dispatcher": result,  # the results file's key, kept so older runs still compare
        "dispatcher_peak_rss_mb": peak_rss_mb,
        "cpu": cpu,
        "load_average": {"before": load_before, "after": _load()},
        "meets_target": meets,
    }


NOTIFY_MEASURED = 5_000
"""Texts and emails from which Notify's share is held to the target: fewer are mostly its
burst (999 at once) and the seconds after it."""
BACKLOG_NOTIFY = 1024
"""The fake Notify's listen backlog, as the other fakes' (tests/limited_fakes.BACKLOG)."""


def _load() -> list[float]:
    """The 1, 5 and 15 minute load averages: the machine is shared, and the figures say so."""
    return [round(x, 2) for x in os.getloadavg()]


def run() -> dict[str, Any]:
    scale = data.scale()
    sizes = [max(100, round(size * scale)) for size in SIZES]
    chosen = data.backends()
    pg_reason = data.pg_unavailable() if "postgresql" in chosen else "not chosen"
    scratch = tempfile.mkdtemp(prefix="qihub-broadcast-")
    runs: dict[str, Any] = {}
    small, big = sizes
    for backend in chosen:
        if backend == "postgresql" and pg_reason:
            runs[f"{backend}:{small}"] = {"skipped": f"PostgreSQL unreachable: {pg_reason}"}
            continue
        runs[f"{backend}:{small}"] = broadcast(backend, small, scratch)
    big_backend = "postgresql" if "postgresql" in chosen and not pg_reason else "sqlite"
    runs[f"{big_backend}:{big}"] = broadcast(big_backend, big, scratch)
    result: dict[str, Any] = {
        "benchmark": "broadcast",
        "scale": scale,
        "time_scale": {
            "slack_workspace": f"300/min x {SLACK_SCALE} = {slack_per_minute()}/min "
            f"({slack_per_minute() / 60:g}/s)",
            "teams_tenant": f"50/s x {TEAMS_SCALE} = {teams_per_second()}/s",
            "notify": "3,000/min (a bucket of 1,000, then 50/s) x 1: not scaled",
            "sender_headroom": f"chat senders configured at {HEADROOM:g} x the fakes' limits; "
            "Notify's at its published limit (its pacer keeps inside it by itself)",
            "unscaled": "Slack per channel 1/s; Teams per conversation 7/1 s, 8/2 s, "
            "60/30 s, 1,800/h",
        },
        "recipients_split": "of every 20 staff, 9 on Slack (a DM), 9 on Teams (1:1 installed), "
        "1 with only a mobile number (a text), 1 with only their work email (an email)",
        "target_share_of_ceiling": TARGET_SHARE,
        "target_peak_rss_mb_at_100k": TARGET_RSS_MB,
        "runs": runs,
        "machine": describe(),
        "load_average_at_end": _load(),
    }
    from bench import reach

    result["trust_reach"] = reach.run()
    ran = [r for r in runs.values() if "skipped" not in r]
    result["meets_target"] = bool(ran) and all(r["meets_target"] for r in ran)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")
    return result


def report(result: dict[str, Any]) -> str:
    scales = result["time_scale"]
    lines = [
        f"broadcast (scale {result['scale']}; ceilings: Slack {scales['slack_workspace']}, "
        f"Teams {scales['teams_tenant']}; Notify {scales['notify']}; {result['recipients_split']}):"
    ]
    for name, r in result["runs"].items():
        if "skipped" in r:
            lines.append(f"  {name}: skipped ({r['skipped']})")
            continue
        parts = []
        for platform, f in r["platforms"].items():
            share = f["share_of_ceiling"]
            if platform == "notify" and share is not None:
                parts.append(
                    f"notify {f['messages']:,} texts and emails at {f['achieved_per_s']}/s "
                    f"({share:.1%} of the {f['ceiling_over_run']:,} its limit allowed in "
                    f"{f['first_to_last_s']:.0f} s), {f['answered_429']} x 429"
                )
                continue
            parts.append(
                f"{platform} {f['messages']:,} msgs at {f['achieved_per_s']}/s "
                f"({share:.1%} of {f['ceiling_per_s']:g}/s), {f['answered_429']} x 429"
                if share is not None
                else f"{platform} {f['messages']:,} msgs, all within the burst "
                f"({f['overall_per_s']}/s), {f['answered_429']} x 429"
            )
        real = r["real_time"]
        lines.append(
            f"  {name} in real time (unscaled limits): {real['slack']}; {real['teams']}; "
            f"{real.get('notify', 'no texts or emails')}; the last person reached after "
            f"{real['last_reached_after']}; {real['all_on_slack_only']}; "
            f"{real['all_on_teams_only']}"
        )
        lines.append(
            f"  {name}: {'; '.join(parts)}; combined {r['combined_achieved_per_s']}/s of "
            f"{r['combined_ceiling_per_s']:g}/s in {r['wall_s']} s; duplicates "
            f"{r['duplicates']}, lost {r['lost']}; sender peak RSS "
            f"{r['dispatcher_peak_rss_mb']} MB; queued in {r['enqueue_s']} s (INSERT ... SELECT); "
            f"CPU: sender {r['cpu']['dispatcher_cpu_s']} s, fakes {r['cpu']['fakes_cpu_s']} s; "
            f"99 % reached after {r['reached_99_percent_after_s']} s (scaled, from the "
            f"sender's start; first message after {r['first_delivery_after_s']} s); load "
            f"average {r['load_average']}"
        )
    if "trust_reach" in result:
        from bench import reach

        lines.append(reach.report(result["trust_reach"]))
    lines.append(
        f"  target >= {TARGET_SHARE:.0%} of each ceiling, 0 duplicates, 0 lost, peak RSS <= "
        f"{TARGET_RSS_MB:g} MB at 100,000: {'met' if result['meets_target'] else 'MISSED'}"
    )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "send":
        return sender_main(json.loads(argv[1]))
    print(report(run()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
