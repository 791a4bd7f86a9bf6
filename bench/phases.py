"""Where each arm's time goes: the 500-test suite run N rounds per arm with bench/_phase_sum.py, which
sums pytest's own report durations per phase (collection, set-up of the first test of each module,
set-up of the others, call, teardown) and times the garbage collector: all of it in the session, its
full collections, and the full collections after the session ends; and the process's user and
system CPU time up to the end of the session. Prints the medians in ms and the
per-test difference of each arm to the floor (c), then the counts of full collections and of the
objects the collector tracks at the end of the session.

    bench/.venvs/main/bin/python bench/phases.py [--rounds 3] [--arms bcd]

Run bench/gen_suite.py (or replay_overhead.py) first.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH, OUT
from gen_suite import pytest_command, replay_env

PHASES = ("collection", "setup_first_of_module", "setup", "call", "teardown", "session")
# The garbage collector's share (see _phase_sum): in the session (inside the phases above), its full
# collections among that, and the full collections after the session (pytest's and the interpreter's).
GC_ROWS = ("gc", "full_gc", "exit_full_gc")
# The process's CPU time up to the end of the session, the kernel's share (file reads, page faults) apart.
CPU_ROWS = ("user", "sys")


def _read_run(out: Path) -> dict[str, float]:
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    run: dict[str, float] = next(line for line in lines if "session" in line)
    run["exit_full_gc"] = sum(line["exit_full_gc"] for line in lines if "exit_full_gc" in line)
    run["exit_full_gc_count"] = sum(1 for line in lines if "exit_full_gc" in line)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--arms", default="bcd")
    parser.add_argument("--suite", type=Path, default=OUT / "suite")
    args = parser.parse_args()
    folders = {
        arm: Path(p) for arm, p in json.loads((args.suite / "suites.json").read_text())["folders"].items()
    }
    arms = sorted(set(args.arms) | {"c"})
    env = {**replay_env(), "PYTHONPATH": str(BENCH)}
    found: dict[str, list[dict[str, float]]] = {arm: [] for arm in arms}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds + 1):  # round 0 is a warm-up, not counted
            for arm in arms:
                out = Path(tmp) / f"{arm}-{round_}.jsonl"
                command = pytest_command(arm, "-p", "no:xdist", "-p", "_phase_sum")
                subprocess.run(command, cwd=folders[arm], env={**env, "PHASES_OUT": str(out)}, check=True,
                               capture_output=True)  # fmt: skip
                if round_:
                    found[arm].append(_read_run(out))
    tests = 500
    medians = {
        arm: {p: statistics.median(r[p] for r in runs) * 1000 for p in PHASES + GC_ROWS + CPU_ROWS}
        for arm, runs in found.items()
    }
    for med in medians.values():
        med["setup"] -= med["setup_first_of_module"]  # the other tests' set-up
    print(f"{args.rounds} rounds, medians in ms; last column: (arm - c) per test, ms")
    print(
        f"{'phase':24}"
        + "".join(f"{arm:>10}" for arm in arms)
        + "".join(f"{arm + '-c /test':>12}" for arm in arms if arm != "c")
    )
    for phase in PHASES + GC_ROWS + CPU_ROWS:
        row = f"{phase:24}" + "".join(f"{medians[arm][phase]:10.0f}" for arm in arms)
        row += "".join(
            f"{(medians[arm][phase] - medians['c'][phase]) / tests:12.3f}" for arm in arms if arm != "c"
        )
        print(row)
    for count in ("full_gc_count", "exit_full_gc_count", "tracked_objects"):
        print(
            f"{count:24}"
            + "".join(f"{statistics.median(r[count] for r in found[arm]):10.0f}" for arm in arms)
        )


if __name__ == "__main__":
    main()
