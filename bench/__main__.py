"""`make bench`: run every benchmark, print its figures, write JSON to bench/results/."""

from __future__ import annotations

import sys

from bench import console_startup

BENCHMARKS = [console_startup]


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
