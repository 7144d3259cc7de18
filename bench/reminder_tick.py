"""Benchmark: a reminder tick with 100,000 open actions in <= 1 s, costing what is *due*.

One full tick (handlers.reminders.tick with every rule of handlers.catalogue.reminder_rules(),
in a unit of work, committed) on registers from bench/data.py, on SQLite and PostgreSQL:

  (a) 100k open actions (100k lessons, 300k actions), D reminders due today;
  (b) 10k open actions, the same D due (the same items): a/b near 1 if cost follows what is due;
  (c) (a)'s register with 10 x D due: c/a shows the cost per reminder raised.

Each tick's ledger and outbox rows are deleted after it, so every repetition sees the same day.
Statements are counted with a before_cursor_execute listener from the first statement after
BEGIN to the commit; one extra tick per case is timed rule by rule. QIHUB_BENCH_SCALE=0.1 runs
it on a tenth of the data; QIHUB_BENCH_PG_URL (or TEST_DATABASE_URL) picks the PostgreSQL
server, by default the local one; PostgreSQL is skipped, with the reason, when unreachable.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from bench import data
from bench.machine import describe
from bench.volumes import TRUST
from bot.app import QIHub
from handlers.config import Rule
from handlers.context import SYSTEM, Context
from handlers.reminders import Due, ReminderRule, TickReport, tick
from store.models import OutboxMessage, ReminderSent, RuleWatermark

TARGET_SECONDS = 1.0
PROPORTIONAL = 1.5
"""(a)/(b) at most this: ten times the register may not cost much more for the same work."""
RUNS = 5
RESULTS = Path(__file__).parent / "results" / "reminder_tick.json"


STEADY_INTERVAL = timedelta(seconds=60)
"""`qihub clock` ticks the reminder rules every minute."""


@dataclass
class TimedRule:
    """A rule that records the time spent in its own `due()` (its queries, building replies)."""

    inner: ReminderRule
    log: data.StatementLog
    spent: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def urgent(self) -> bool:
        return self.inner.urgent

    def due(self, ctx: Context, rule: Rule, since: datetime | None) -> Iterator[Due]:
        items = iter(self.inner.due(ctx, rule, since))
        while True:
            self.log.label = self.name
            started = time.perf_counter()
            try:
                item = next(items)
            except StopIteration:
                return
            finally:
                self.spent[self.name] = self.spent.get(self.name, 0.0) + (
                    time.perf_counter() - started
                )
                self.log.label = "claim+outbox"
            yield item


def _tops(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        ledger = connection.execute(select(func.max(ReminderSent.id))).scalar() or 0
        outbox = connection.execute(select(func.max(OutboxMessage.id))).scalar() or 0
    return ledger, outbox


def _undo(engine: Engine, tops: tuple[int, int]) -> None:
    """Delete what a tick added (and every watermark), so the next repetition sees the same
    day from the same starting point."""
    ledger, outbox = ReminderSent.__table__, OutboxMessage.__table__
    with engine.begin() as connection:
        connection.execute(outbox.delete().where(outbox.c.id > tops[1]))
        connection.execute(ledger.delete().where(ledger.c.id > tops[0]))
        connection.execute(RuleWatermark.__table__.delete())


def _set_watermarks(hub: QIHub, passed_at: datetime) -> None:
    """As if the clock last ticked at `passed_at` (a running clock ticks every minute)."""
    with hub.engine.begin() as connection:
        connection.execute(RuleWatermark.__table__.delete())
        connection.execute(
            RuleWatermark.__table__.insert(),
            [{"rule": rule.name, "passed_at": passed_at} for rule in hub.rules],
        )


def one_tick(
    hub: QIHub,
    rules: Iterable[ReminderRule] | None = None,
    log: data.StatementLog | None = None,
    *,
    steady: bool = True,
) -> tuple[float, TickReport, data.StatementLog]:
    """One committed tick at the benchmark instant; its effects are undone afterwards.

    `steady`: the previous tick was a minute ago (the normal state of a running clock);
    otherwise this is the first tick ever, with no watermark, searching everything once.
    """
    log = data.StatementLog(hub.engine) if log is None else log
    tops = _tops(hub.engine)
    if steady:
        _set_watermarks(hub, hub.clock.now() - STEADY_INTERVAL)
    try:
        with hub.uow_factory() as uow:
            started = time.perf_counter()
            uow.session.connection()  # BEGIN (IMMEDIATE on SQLite), timed but not counted
            with log:
                ctx = Context(hub.services, uow, SYSTEM, "bench")
                report = tick(ctx, hub.rules if rules is None else rules)
                uow.commit()
            elapsed = time.perf_counter() - started
    finally:
        _undo(hub.engine, tops)
    return elapsed, report, log


def measure(hub: QIHub, runs: int = RUNS, *, steady: bool = True) -> dict[str, Any]:
    one_tick(hub, steady=steady)  # warm: caches, the planner, SQLAlchemy's compiled statements
    samples, counts, raised = [], set(), set()
    for _ in range(runs):
        elapsed, report, log = one_tick(hub, steady=steady)
        samples.append(elapsed)
        counts.add(len(log))
        raised.add(report.total)
    log = data.StatementLog(hub.engine)
    timed = [TimedRule(rule, log) for rule in hub.rules]
    total, report, _ = one_tick(hub, timed, log, steady=steady)
    in_rules = sum(sum(t.spent.values()) for t in timed)
    per_rule = {name: round(s * 1000, 1) for t in timed for name, s in t.spent.items()}
    per_rule["claim+outbox"] = round((total - in_rules) * 1000, 1)
    assert len(counts) == 1, f"statement count varied between identical ticks: {counts}"
    return {
        **data.summarise(samples),
        "statements": counts.pop(),
        "raised": raised.pop(),
        "raised_by_rule": report.raised,
        "ms_by_rule": per_rule,
        "statements_by_rule": log.by_label(),
        "slowest_statements": log.slowest(),
    }


def crossing(result: dict[str, Any], a: dict[str, Any]) -> dict[str, Any]:
    """Where the 1 s target is crossed, from the straight line through (a) and (c): the due
    count at which a tick on register (a) would take TARGET_SECONDS, beside the trust's and
    the region's busiest ticks (bench/volumes.py)."""
    per_ms, fixed_ms = result["ms_per_reminder"], result["ms_fixed"]
    at = round((TARGET_SECONDS * 1000 - fixed_ms) / per_ms) if per_ms > 0 else None
    trust, region = TRUST.busiest_tick(), TRUST.busiest_tick(100_000)
    return {
        "due_at_1s": at,
        "trust_busiest_tick": trust,
        "region_busiest_tick": region,
        "predicted_ms_region_busiest": round(fixed_ms + per_ms * region),
        "region_crosses": at is not None and region >= at,
        "measured_due_max": result["c_big_10D_due"]["raised"],
        "note": "a straight line through the measured (a) and (c); beyond (c) it is a forecast",
    }


def run_backend(backend: str, big: int, small: int) -> dict[str, Any]:
    if backend == "postgresql" and (reason := data.pg_unavailable()):
        return {"skipped": f"PostgreSQL unreachable: {reason}"}
    large = data.dataset(backend, big)
    little = data.dataset(backend, small)
    a = measure(large.hub)
    b = measure(little.hub)
    first = measure(large.hub, runs=3, steady=False)
    held = data.spare_rows(large.hub.engine)
    busiest = TRUST.busiest_tick()
    data.release_spare(large.hub.engine, max(0, busiest - data.DUE))
    try:
        d = measure(large.hub)
    finally:
        data.release_spare(large.hub.engine)  # the rest too, then every one put back
        data.hold_spare(large.hub.engine, held)
    data.release_spare(large.hub.engine)
    try:
        c = measure(large.hub)
    finally:
        data.hold_spare(large.hub.engine, held)
    due = large.summary.as_dict()["due_today"]
    extra = c["raised"] - a["raised"]
    per_item = (c["median_s"] - a["median_s"]) / extra if extra else 0.0
    result = {
        "register_a": large.summary.as_dict(),
        "register_b": little.summary.as_dict(),
        "a_big_D_due": a,
        "b_small_D_due": b,
        "c_big_10D_due": c,
        "d_trust_busiest_tick": d,
        "a_first_tick_ever": {k: first[k] for k in ("median_s", "statements", "raised")},
        "ratio_a_to_b": round(a["median_s"] / b["median_s"], 2),
        "ratio_c_to_a": round(c["median_s"] / a["median_s"], 2),
        "ms_per_reminder": round(per_item * 1000, 3),
        "ms_fixed": round((a["median_s"] - per_item * a["raised"]) * 1000, 1),
        "statements_equal_a_b": a["statements"] == b["statements"],
    }
    result["crossing"] = crossing(result, a)
    assert a["raised"] == due == b["raised"], (a["raised"], b["raised"], due)
    result["meets_target"] = (
        a["median_s"] <= TARGET_SECONDS
        and result["ratio_a_to_b"] <= PROPORTIONAL
        and result["statements_equal_a_b"]
    )
    return result


def run() -> dict[str, Any]:
    scale = data.scale()
    big = max(100, round(100_000 * scale))
    small = max(10, big // 10)
    result: dict[str, Any] = {
        "benchmark": "reminder_tick",
        "target_s": TARGET_SECONDS,
        "proportional_max_ratio_a_to_b": PROPORTIONAL,
        "scale": scale,
        "open_actions_a": big,
        "open_actions_b": small,
        "due_d": data.DUE,
        "volumes": TRUST.as_dict(),
        "runs": RUNS,
        "now": data.NOW.isoformat(),
        "backends": {backend: run_backend(backend, big, small) for backend in data.backends()},
        "machine": describe(),
    }
    ran = [r for r in result["backends"].values() if "skipped" not in r]
    result["meets_target"] = bool(ran) and all(r["meets_target"] for r in ran)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")
    return result


def report(result: dict[str, Any]) -> str:
    lines = [
        f"reminder tick ({result['open_actions_a']:,} vs {result['open_actions_b']:,} open "
        f"actions, D={result['due_d']} due; scale {result['scale']}):"
    ]
    for backend, r in result["backends"].items():
        if "skipped" in r:
            lines.append(f"  {backend}: skipped ({r['skipped']})")
            continue
        a, b, c = r["a_big_D_due"], r["b_small_D_due"], r["c_big_10D_due"]
        slowest = max(a["ms_by_rule"], key=a["ms_by_rule"].__getitem__)
        lines.append(
            f"  {backend}: (a) {a['median_s'] * 1000:.0f} ms, {a['statements']} statements, "
            f"{a['raised']} raised; (b) {b['median_s'] * 1000:.0f} ms, {b['statements']} "
            f"statements; (c) {c['median_s'] * 1000:.0f} ms, {c['statements']} statements, "
            f"{c['raised']} raised; a/b {r['ratio_a_to_b']}, c/a {r['ratio_c_to_a']}, "
            f"{r['ms_per_reminder']} ms per reminder + {r['ms_fixed']} ms fixed; "
            f"slowest part of (a): {slowest} {a['ms_by_rule'][slowest]} ms; the first tick ever "
            f"(no watermark, searching everything once): "
            f"{r['a_first_tick_ever']['median_s'] * 1000:.0f} ms"
        )
        d, cross = r["d_trust_busiest_tick"], r["crossing"]
        where = (
            f"forecast beyond the {cross['measured_due_max']} measured"
            if cross["due_at_1s"] > cross["measured_due_max"]
            else f"within the {cross['measured_due_max']} measured"
        )
        lines.append(
            f"    a trust's busiest tick ({cross['trust_busiest_tick']} due, bench/volumes.py): "
            f"{d['median_s'] * 1000:.0f} ms, {d['raised']} raised; 1 s is crossed at about "
            f"{cross['due_at_1s']:,} due in one tick ({where}); a 100,000-staff region's "
            f"busiest tick ({cross['region_busiest_tick']:,}"
            f" due) would take about {cross['predicted_ms_region_busiest']:,} ms"
            f"{' and crosses it' if cross['region_crosses'] else ''}"
        )
    ratio = result["proportional_max_ratio_a_to_b"]
    lines.append(
        f"  target <= {result['target_s']} s at (a), a/b <= {ratio}, same statements (a) and (b): "
        f"{'met' if result['meets_target'] else 'MISSED'}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
