"""Scale-out: the 500-test suite under pytest-xdist -n 2 against -n 0, for arms a and b.

    bench/.venvs/main/bin/python bench/scale_out.py [--rounds 3]

Uses the suites of bench/gen_suite.py (generated if missing, in bench/out/suite). Each round runs
a -n 0, a -n 2, b -n 0, b -n 2 in a rotated order. The speed-up of each arm is median(-n 0) /
median(-n 2); the plugin must not serialise workers: its speed-up within 5% of pytest-recording's.
xdist's worker start-up (each worker imports the SDK) is part of the -n 2 figure for both arms alike.

Whether the workers run side by side is also measured on its own, without xdist's start-up: each run
loads bench/_phase_sum.py, which sums each process's test time (set-up, call and teardown, as pytest
reports them); the test-phase speed-up of an arm is its -n 0 test time over its busiest worker's at
-n 2 (2.0 for two workers that share the work evenly and never wait for each other).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH, OUT, Series, machine, save, timed
from gen_suite import pytest_command, replay_env
from replay_overhead import check_replayed, suites, warm

CONFIGS = [("a", "0"), ("a", "2"), ("b", "0"), ("b", "2")]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--suite", type=Path, default=OUT / "suite")
    parser.add_argument("--modules", type=int, default=10)
    parser.add_argument("--tests-per-module", type=int, default=50)
    args = parser.parse_args()
    info = machine()  # the load average as the run starts
    tests = args.modules * args.tests_per_module
    folders = suites(args.suite, args.modules, args.tests_per_module)
    env = {**replay_env(), "PYTHONPATH": str(BENCH)}
    for arm in ("a", "b"):
        warm(folders[arm])
    wall = {config: Series() for config in CONFIGS}
    busiest = {config: Series() for config in CONFIGS}  # test time of the busiest process
    with tempfile.TemporaryDirectory(prefix="bench-scale-out-") as tmp:
        for r in range(args.rounds):
            for arm, n in CONFIGS[r % 4 :] + CONFIGS[: r % 4]:
                phases = Path(tmp) / f"{arm}-{n}-{r}.jsonl"
                command = pytest_command(arm, "-n", n, "-p", "_phase_sum")
                run = timed(command, folders[arm], {**env, "PHASES_OUT": str(phases)})
                check_replayed(arm, run.stdout, tests)
                wall[(arm, n)].values.append(run.wall)
                busiest[(arm, n)].values.append(_busiest_test_time(phases))
                print(f"round {r + 1} arm {arm} -n {n}: {run.wall:.2f} s", flush=True)
    speedup = {arm: wall[(arm, "0")].median / wall[(arm, "2")].median for arm in ("a", "b")}
    test_speedup = {arm: busiest[(arm, "0")].median / busiest[(arm, "2")].median for arm in ("a", "b")}
    lines = [f"{tests} tests, {args.rounds} interleaved rounds, s min/median/max"]
    for arm, n in CONFIGS:
        lines.append(
            f"  arm {arm} -n {n}: wall {wall[(arm, n)].spread()}, "
            f"test time of the busiest process {busiest[(arm, n)].spread()}"
        )
    for arm in ("a", "b"):
        lines.append(
            f"  arm {arm} speed-up -n 0 / -n 2: {speedup[arm]:.2f} (whole run), "
            f"{test_speedup[arm]:.2f} (test phase)"
        )
    relative = speedup["b"] / speedup["a"]
    relative_tests = test_speedup["b"] / test_speedup["a"]
    lines.append(f"  plugin's speed-up relative to pytest-recording's: {relative:.3f} (target >= 0.95)")
    lines.append(f"  the same for the test phase alone: {relative_tests:.3f}")
    print("\n".join(lines))
    result = {
        "machine": info,
        "tests": tests,
        "rounds": args.rounds,
        "wall": {f"{arm} -n {n}": wall[(arm, n)].values for arm, n in CONFIGS},
        "busiest_test_time": {f"{arm} -n {n}": busiest[(arm, n)].values for arm, n in CONFIGS},
        "speedup": speedup,
        "relative": relative,
        "test_phase_speedup": test_speedup,
        "test_phase_relative": relative_tests,
        "load_avg_at_end": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    print(f"saved {save('scale_out', result)}")


def _busiest_test_time(phases: Path) -> float:
    """The largest set-up + call + teardown sum among the run's processes (each wrote one line)."""
    lines = [json.loads(line) for line in phases.read_text().splitlines()]
    lines = [line for line in lines if "session" in line]  # not the exit's garbage collections
    return max(line["setup"] + line["call"] + line["teardown"] for line in lines)


if __name__ == "__main__":
    main()
