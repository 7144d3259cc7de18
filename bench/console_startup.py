"""Benchmark: `qihub console` ready for input (prompt shown) in <= 1.5 s.

Measures wall time from spawning the process to the first prompt on stdout, on a fresh SQLite
file (cold: migrations run) and on an existing one (warm), beside the floor measured in the
same run: a bare interpreter that prints a prompt. Results go to bench/results/.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.machine import describe

TARGET_SECONDS = 1.5
RUNS = 10
RESULTS = Path(__file__).parent / "results" / "console_startup.json"
PROMPT = b"> "


def time_to_prompt(argv: list[str], env: dict[str, str], cwd: str) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
    )
    assert process.stdout is not None
    assert process.stdin is not None
    seen = b""
    while PROMPT not in seen:
        chunk = os.read(process.stdout.fileno(), 4096)
        if not chunk:
            raise RuntimeError(f"{argv} exited before showing a prompt: {seen[-300:]!r}")
        seen += chunk
    elapsed = time.perf_counter() - started
    process.stdin.write(b"/quit\n")
    process.stdin.close()
    process.wait(timeout=30)
    return elapsed


def summarise(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_s": round(statistics.median(ordered), 4),
        "min_s": round(ordered[0], 4),
        "max_s": round(ordered[-1], 4),
        "p90_s": round(ordered[int(0.9 * (len(ordered) - 1))], 4),
    }


def run() -> dict[str, Any]:
    console = [sys.executable, "-m", "bot", "console"]
    floor = [
        sys.executable,
        "-c",
        "import sys; sys.stdout.write('> '); sys.stdout.flush(); sys.stdin.readline()",
    ]
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("QIHUB_", "DATABASE"))}
    root = str(Path(__file__).resolve().parent.parent)
    base_env["PYTHONPATH"] = root
    cold: list[float] = []
    warm: list[float] = []
    floors: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(RUNS):
            env = {**base_env, "DATABASE_URL": f"sqlite:///{tmp}/cold-{index}.db"}
            cold.append(time_to_prompt(console, env, tmp))
            env = {**base_env, "DATABASE_URL": f"sqlite:///{tmp}/cold-0.db"}
            warm.append(time_to_prompt(console, env, tmp))
            floors.append(time_to_prompt(floor, base_env, tmp))
    result: dict[str, Any] = {
        "benchmark": "console_startup",
        "target_s": TARGET_SECONDS,
        "runs": RUNS,
        "cold_first_run": summarise(cold),
        "warm": summarise(warm),
        "floor_bare_interpreter": summarise(floors),
        "machine": describe(),
    }
    result["ratio_warm_to_floor"] = round(
        result["warm"]["median_s"] / result["floor_bare_interpreter"]["median_s"], 1
    )
    result["meets_target"] = result["cold_first_run"]["max_s"] <= TARGET_SECONDS
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return result


def report(result: dict[str, Any]) -> str:
    return (
        f"console startup to prompt: cold median {result['cold_first_run']['median_s']} s "
        f"(max {result['cold_first_run']['max_s']} s), warm median {result['warm']['median_s']} s"
        f"; bare interpreter {result['floor_bare_interpreter']['median_s']} s "
        f"(warm is {result['ratio_warm_to_floor']}x the floor); target <= {TARGET_SECONDS} s: "
        f"{'met' if result['meets_target'] else 'MISSED'}"
    )


if __name__ == "__main__":
    print(report(run()))
