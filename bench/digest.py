"""Benchmark: a committee's digest built in <= 300 ms with 100,000 lessons and 300,000 actions.

Times `build_digest(...)` then `digest_reply(...)` (handlers/digest) for each committee, in a
unit of work as the schedule would, on the registers of bench/data.py, on SQLite and
PostgreSQL: the median of RUNS after one warm-up, beside the same on a register a tenth the
size (the ratio shows how the cost grows with the data), with the statements each digest sends
counted by a before_cursor_execute listener (they must not grow with the data).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from bench import data
from bench.machine import describe
from bot.app import QIHub
from handlers.digest.data import build_digest
from handlers.digest.views import digest_reply

TARGET_SECONDS = 0.3
RUNS = 11
RESULTS = Path(__file__).parent / "results" / "digest.json"


def one_digest(hub: QIHub, committee: str) -> tuple[float, float, data.StatementLog]:
    """(seconds to build, seconds to lay out, the statements) for one digest at data.NOW."""
    log = data.StatementLog(hub.engine)
    with hub.uow_factory() as uow:
        started = time.perf_counter()
        uow.session.connection()  # BEGIN, timed but not counted
        with log:
            found = build_digest(
                uow, hub.config, committee, data.NOW, hub.services.registry.digest_sections
            )
        built = time.perf_counter()
        reply = digest_reply(found, hub.config)
        done = time.perf_counter()
    assert reply.blocks
    return built - started, done - built, log


def measure(hub: QIHub, committee: str, runs: int = RUNS) -> dict[str, Any]:
    one_digest(hub, committee)  # warm
    totals, builds, views, counts = [], [], [], set()
    slowest: list[dict[str, Any]] = []
    for _ in range(runs):
        build, view, log = one_digest(hub, committee)
        totals.append(build + view)
        builds.append(build)
        views.append(view)
        counts.add(len(log))
        slowest = log.slowest(3)
    assert len(counts) == 1, f"statement count varied between identical digests: {counts}"
    return {
        **data.summarise(totals),
        "build_median_s": data.summarise(builds)["median_s"],
        "view_median_s": data.summarise(views)["median_s"],
        "statements": counts.pop(),
        "slowest_statements": slowest,
    }


def run_backend(backend: str, big: int, small: int) -> dict[str, Any]:
    if backend == "postgresql" and (reason := data.pg_unavailable()):
        return {"skipped": f"PostgreSQL unreachable: {reason}"}
    large = data.dataset(backend, big)
    little = data.dataset(backend, small)
    committees: dict[str, Any] = {}
    for code in large.hub.config.committees:
        a = measure(large.hub, code)
        b = measure(little.hub, code)
        committees[code] = {
            "big": a,
            "small": b,
            "ratio_big_to_small": round(a["median_s"] / b["median_s"], 2),
            "statements_equal": a["statements"] == b["statements"],
        }
    worst = max(committees, key=lambda c: committees[c]["big"]["median_s"])
    return {
        "register_big": large.summary.as_dict(),
        "register_small": little.summary.as_dict(),
        "committees": committees,
        "worst_committee": worst,
        "worst_median_s": committees[worst]["big"]["median_s"],
        "meets_target": committees[worst]["big"]["median_s"] <= TARGET_SECONDS
        and all(c["statements_equal"] for c in committees.values()),
    }


def run() -> dict[str, Any]:
    scale = data.scale()
    big = max(100, round(100_000 * scale))
    small = max(10, big // 10)
    result: dict[str, Any] = {
        "benchmark": "digest",
        "target_s": TARGET_SECONDS,
        "scale": scale,
        "lessons_big": big,
        "lessons_small": small,
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
        f"committee digest ({result['lessons_big']:,} lessons / {3 * result['lessons_big']:,} "
        f"actions vs a tenth; median of {result['runs']}; scale {result['scale']}):"
    ]
    for backend, r in result["backends"].items():
        if "skipped" in r:
            lines.append(f"  {backend}: skipped ({r['skipped']})")
            continue
        parts = []
        for code, c in r["committees"].items():
            parts.append(
                f"{code} {c['big']['median_s'] * 1000:.0f} ms "
                f"(small {c['small']['median_s'] * 1000:.0f} ms, x{c['ratio_big_to_small']}, "
                f"{c['big']['statements']}/{c['small']['statements']} statements)"
            )
        lines.append(f"  {backend}: " + "; ".join(parts))
    lines.append(
        f"  target <= {result['target_s'] * 1000:.0f} ms per committee, statements not growing: "
        f"{'met' if result['meets_target'] else 'MISSED'}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
