"""`make bench`: run every benchmark, print its figures, write JSON to bench/results/.

QIHUB_BENCH_SCALE=0.1 runs the scale benchmarks on a tenth of the data (quicker, not the
target); QIHUB_BENCH_BACKENDS=sqlite skips PostgreSQL (which is skipped anyway, with the
reason, when it cannot be reached at QIHUB_BENCH_PG_URL / TEST_DATABASE_URL / localhost).
The Slack ack and Teams task/submit benchmarks run each scenario for QIHUB_BENCH_SCALE x 30 s
(at least 3 s). The ack storm sends QIHUB_BENCH_SCALE x 1,800 Acknowledge presses in 10 s
(bench/ack_storm.py). The broadcast benchmark sends QIHUB_BENCH_SCALE x 1,800 and x 100,000 messages
through fakes enforcing Slack's, Teams' (scaled) and GOV.UK Notify's limits (see
bench/broadcast.py), and adds the trust's reach model (bench/reach.py). The library benchmark
searches 100,000 x QIHUB_BENCH_SCALE lessons (bench/library.py; its PostgreSQL register is kept
between runs in the database bench_library).
"""

from __future__ import annotations

import sys

from bench import (
    ack_storm,
    broadcast,
    console_startup,
    digest,
    library,
    reminder_tick,
    slack_ack,
    teams_submit,
)

BENCHMARKS = [
    console_startup,
    reminder_tick,
    digest,
    library,
    slack_ack,
    teams_submit,
    ack_storm,
    broadcast,
]


def main() -> int:
    missed = 0
    for benchmark in BENCHMARKS:
        result = benchmark.run()
        print(benchmark.report(result), flush=True)
        missed += not result.get("meets_target", True)
    print("results written to bench/results/")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
