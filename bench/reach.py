"""How long until a 1,800-person trust is reached, and has acknowledged, after a critical alert.

A model, not a measurement: it combines what the broadcast benchmark measures (each channel is
sent at its paced rate: bench/broadcast.py shows the sender keeps to 95-99 % of each ceiling)
with the product's rules for who gets what and when, and an ASSUMED curve of how long people
take to acknowledge once a message reaches them. Everything is seeded, so a run repeats.

Who is reached how (the broadcast benchmark's split, STAFF): of every 20 people 9 on Slack, 9 on
Teams, one with only a mobile number, one with only their work email. Chat users have no mobile
on file (their texts are not modelled) and every person has a work email.

What is sent when:
- chat: one message to every chat user at once (the broadcast), and a reminder to each who has
  not acknowledged every `remind_every_minutes` (30 for "critical", handlers/defaults) until
  the deadline (24 h): the rule `alert_not_acknowledged`;
- texts and emails: the severity's channel policy (handlers/alerts/policy.py). The bundled
  configuration writes none, so the default critical policy applies once Notify is set up
  (POLICIES["bundled"], handlers/config.py DEFAULT_CRITICAL_POLICY); with `policy = []` or
  no Notify, people without chat are never told (POLICIES["chat_only"]); the
  policy docs/notify.md section 7 gives as its example is POLICIES["documented"]; "at_once"
  is what the broadcast benchmark sends (a text or an email at once to each person no chat
  reaches), so its measured time can be set beside the model's.

Each channel is a queue served at its paced rate: Slack's workspace budget, Teams' per-tenant
budget (both at HEADROOM x the limit, as the benchmark configures them), Notify's bucket
(a burst, then its refill rate; texts and emails share it). Messages queued at the same time
go in staff order, as the sender claims them.

The acknowledgement curve (ACK_CURVES) is an assumption, stated here so it can be argued with:
after each message that reaches a person, they acknowledge after a lognormal time (median,
spread) unless they miss that message altogether (`missed`); a later message (a reminder, a
text, an email) is a fresh chance. No data on time-to-acknowledge for QI Hub's alerts exists
yet; the figures are round guesses shaped by common experience (a text is read within minutes,
a DM within a quarter of an hour during the working day, an email within the hour, and a real
share of each is missed). The point of the model is the shape (which channels and steps
decide the tail) and the reach, which follow from the limits; replace ACK_CURVES with the
trust's own acknowledgement times (the alert ledger records `acked_at` per person) when there
are some.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from bench.broadcast import (
    HEADROOM,
    REAL_SLACK_PER_MINUTE,
    REAL_TEAMS_PER_SECOND,
    SLACK_SCALE,
    TEAMS_SCALE,
    reached_by,
)
from handlers.config import DEFAULT_CRITICAL_POLICY

STAFF = 1_800
SEED = 15
REMIND_EVERY_S = 30 * 60.0
"""Critical alerts' remind_every_minutes in the bundled configuration."""
DEADLINE_S = 24 * 3600.0
NOTIFY_PER_MINUTE = 3000


@dataclass(frozen=True)
class Curve:
    """Time from a message reaching someone to their acknowledgement: lognormal with this
    median (seconds) and sigma; `missed` of messages never lead to one."""

    median_s: float
    sigma: float
    missed: float


ACK_CURVES = {
    "chat": Curve(median_s=10 * 60, sigma=1.0, missed=0.15),
    "sms": Curve(median_s=5 * 60, sigma=1.0, missed=0.10),
    "email": Curve(median_s=45 * 60, sigma=1.0, missed=0.30),
}
"""ASSUMED (see the module's docstring), not measured."""


@dataclass(frozen=True)
class Step:
    channel: str  # "sms" or "email"
    after_s: float
    who: str  # "no_chat" or "not_acked"


POLICIES: dict[str, tuple[Step, ...]] = {
    "bundled": tuple(
        Step(step.channel, step.after_minutes * 60, step.who) for step in DEFAULT_CRITICAL_POLICY
    ),
    "chat_only": (),
    "documented": (
        Step("sms", 0, "no_chat"),
        Step("sms", 15 * 60, "not_acked"),
        Step("email", 30 * 60, "not_acked"),
    ),
    "at_once": (Step("sms", 0, "no_chat"), Step("email", 0, "no_chat")),
}


@dataclass(frozen=True)
class Rates:
    """Messages a second each channel is sent at, and Notify's burst."""

    slack: float
    teams: float
    notify: float
    notify_burst: int

    @classmethod
    def real(cls) -> Rates:
        from bot.notify.platform import notify_bucket

        bucket = notify_bucket(NOTIFY_PER_MINUTE)
        return cls(
            REAL_SLACK_PER_MINUTE / 60 * HEADROOM,
            REAL_TEAMS_PER_SECOND * HEADROOM,
            bucket.per_second,
            bucket.capacity,
        )

    @classmethod
    def scaled(cls) -> Rates:
        """The benchmark's: Slack and Teams sped up, Notify not."""
        real = cls.real()
        return cls(
            real.slack * SLACK_SCALE, real.teams * TEAMS_SCALE, real.notify, real.notify_burst
        )


class _Queue:
    """One channel's sending: a message queued at `at` leaves when the one before it has and
    the budget allows (Notify: a bucket; chat: evenly spaced)."""

    def __init__(self, rate: float, burst: int = 0) -> None:
        self._gap = 1 / rate
        self._free = 0.0
        self._burst = burst
        self._tokens = float(burst)
        self._last = 0.0

    def send(self, at: float) -> float:
        start = max(at, self._free)
        if self._burst:
            self._tokens = min(self._burst, self._tokens + (start - self._last) / self._gap)
            if self._tokens < 1:
                start += (1 - self._tokens) * self._gap
                self._tokens = 1.0
            self._tokens -= 1
            self._last = self._free = start
            return start
        self._free = start + self._gap
        return start


def _people() -> list[tuple[int, str]]:
    return [(i, reached_by(i, teams=True, slack=True, notify=True)) for i in range(1, STAFF + 1)]


def simulate(policy: tuple[Step, ...], rates: Rates, *, seed: int = SEED) -> dict[int, Any]:
    """Each person's first delivery and acknowledgement (seconds after the alert went out;
    None for never), under `policy` at `rates`."""
    rng = random.Random(seed)
    people = _people()
    reached: dict[int, float | None] = {i: None for i, _ in people}
    acked: dict[int, float] = {i: math.inf for i, _ in people}
    queues = {
        "slack": _Queue(rates.slack),
        "teams": _Queue(rates.teams),
        "notify": _Queue(rates.notify, rates.notify_burst),
    }
    events: list[tuple[float, int, str, str]] = []  # (when, order, what, channel)
    events += [(0.0, 0, "chat", "")]
    events += [
        (k * REMIND_EVERY_S, 0, "chat", "") for k in range(1, int(DEADLINE_S // REMIND_EVERY_S))
    ]
    events += [(step.after_s, 1 + n, step.who, step.channel) for n, step in enumerate(policy)]
    for when, _, who, channel in sorted(events):
        for i, way in people:
            if acked[i] <= when:
                continue
            if who == "chat":
                if way not in ("slack", "teams"):
                    continue
                queue, curve = queues[way], ACK_CURVES["chat"]
            else:
                if who == "no_chat" and way in ("slack", "teams"):
                    continue
                if channel == "sms" and way != "sms":
                    continue  # only they have a mobile on file
                queue, curve = queues["notify"], ACK_CURVES[channel]
            delivered = queue.send(when)
            first = reached[i]
            if first is None or delivered < first:
                reached[i] = delivered
            if rng.random() >= curve.missed:
                delay = rng.lognormvariate(math.log(curve.median_s), curve.sigma)
                acked[i] = min(acked[i], delivered + delay)
    return {i: (reached[i], acked[i] if acked[i] < DEADLINE_S else None) for i, _ in people}


def share_after(times: list[float | None], share: float) -> float | None:
    """Seconds until `share` of everyone had reached (None: never, within the deadline)."""
    known = sorted(t for t in times if t is not None)
    needed = math.ceil(share * len(times))
    return known[needed - 1] if len(known) >= needed else None


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "never (within the 24 h deadline)"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s"


def figures(policy: str, rates: Rates) -> dict[str, Any]:
    outcome = simulate(POLICIES[policy], rates)
    reached = [r for r, _ in outcome.values()]
    acked = [a for _, a in outcome.values()]
    reach_99 = share_after(reached, 0.99)
    ack_95 = share_after(acked, 0.95)
    return {
        "policy": policy,
        "reached_99_percent_s": round(reach_99, 1) if reach_99 is not None else None,
        "reached_99_percent": _duration(reach_99),
        "reached_at_most": f"{sum(r is not None for r in reached) / len(reached):.0%}",
        "acknowledged_95_percent_s": round(ack_95, 1) if ack_95 is not None else None,
        "acknowledged_95_percent": _duration(ack_95),
        "acknowledged_at_deadline": f"{sum(a is not None for a in acked) / len(acked):.1%}",
    }


def run() -> dict[str, Any]:
    """The trust's figures in real time under each policy, and the benchmark's own scenario
    ("at_once") at the benchmark's scaled rates, to set beside its measured time."""
    real, scaled = Rates.real(), Rates.scaled()
    return {
        "model": "bench/reach.py: channel queues at the paced rates, the policy's steps, chat "
        "reminders every 30 min, an ASSUMED lognormal acknowledgement curve per channel; "
        f"seed {SEED}",
        "staff": STAFF,
        "split": "of every 20: 9 Slack, 9 Teams, 1 mobile only, 1 work email only",
        "ack_curves_assumed": {
            name: {
                "median_min": curve.median_s / 60,
                "sigma": curve.sigma,
                "missed": curve.missed,
            }
            for name, curve in ACK_CURVES.items()
        },
        "policies": {
            "bundled": "the bundled configuration writes no critical policy, so with Notify's "
            "templates set the default applies (handlers/config.py DEFAULT_CRITICAL_POLICY): a "
            "text and an email at once to those no chat reaches, a text at 15 min and an email "
            "at 30 min to anyone not yet acknowledged",
            "chat_only": "a severity written with policy = [] (or Notify not set up): chat only",
            "documented": "docs/notify.md section 7: a text at once to those no chat reaches, "
            "a text at 15 min and an email at 30 min to anyone not yet acknowledged",
            "at_once": "what the broadcast benchmark sends: a text or an email at once to "
            "each person no chat reaches",
        },
        "real_time": {name: figures(name, real) for name in POLICIES},
        "scaled_at_once": figures("at_once", scaled),
    }


def report(result: dict[str, Any]) -> str:
    lines = [
        f"reach and acknowledgement of a {result['staff']:,}-person trust ({result['model']}):"
    ]
    for name, f in result["real_time"].items():
        lines.append(
            f"  {name} policy, real time: 99 % reached after {f['reached_99_percent']} (at most "
            f"{f['reached_at_most']} reached); 95 % acknowledged after "
            f"{f['acknowledged_95_percent']} ({f['acknowledged_at_deadline']} by the deadline)"
        )
    s = result["scaled_at_once"]
    lines.append(
        f"  at_once at the benchmark's scaled rates (model): 99 % reached after "
        f"{s['reached_99_percent']}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
