"""Replay overhead: the 500-test suite under the four arms, interleaved, N rounds.

    bench/.venvs/main/bin/python bench/replay_overhead.py [--rounds 5] [--calls two|one] [--suite DIR]

`--calls two` (default): the two-call suite in bench/out/suite; `--calls one`: the one-call suite
(one plain `messages.create` a test) in bench/out/suite-one.

Generates the suites first (bench/gen_suite.py) unless --suite points at existing ones. Each round runs
one warm-up-free pass of every arm in a rotated order (a b c d, b c d a, ...), so drift in the
machine's load lands on every arm alike. Reports wall and CPU (user+sys) time per arm as
min/median/max, the ratios b/c, b/d, a/c, d/c of the medians, and the per-test overhead over the floor.
CPU time is the steadier figure on a shared machine; the targets are judged on both.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT, Series, machine, save, timed
from gen_suite import CALLS, SUITE_DIR, calls_label, generate, pytest_command, replay_env, suite_meta

NAMES = {
    "a": "pytest-recording (@pytest.mark.vcr)",
    "b": "pytest-claude-contract, checks on",
    "c": "floor: httpx2.MockTransport, no cassette",
    "d": "cassetter (@pytest.mark.vcr)",
}


def suites(path: Path, modules: int, per_module: int, calls: str = "two") -> dict[str, Path]:
    if (path / "suites.json").exists():
        data = suite_meta(path)
        if (data["modules"], data["per_module"], data["calls"]) == (modules, per_module, calls):
            return {arm: Path(p) for arm, p in data["folders"].items()}
    return generate(path, modules, per_module, calls=calls)


def warm(folder: Path) -> None:
    """Read every file of the suite once, so the page cache holds it for every arm."""
    for p in folder.rglob("*"):
        if p.is_file():
            p.read_bytes()


def check_replayed(arm: str, stdout: str, tests: int, calls: str = "two") -> None:
    if f"{tests} passed" not in stdout:
        raise RuntimeError(f"arm {arm}: expected {tests} passed:\n{stdout[-2000:]}")
    exchanges = len(CALLS[calls]) * tests
    if arm == "b" and f"exchanges checked: {exchanges} ({exchanges} replayed, 0 live)" not in stdout:
        raise RuntimeError(f"arm b did not check and replay every exchange:\n{stdout[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", choices=tuple(CALLS), default="two")
    parser.add_argument("--suite", type=Path, help="default: bench/out/suite, or suite-one for --calls one")
    parser.add_argument("--modules", type=int, default=10)
    parser.add_argument("--tests-per-module", type=int, default=50)
    parser.add_argument("--arms", default="abcd")
    args = parser.parse_args()
    info = machine()  # the load average as the run starts
    arms = tuple(args.arms)
    tests = args.modules * args.tests_per_module
    suite = args.suite or SUITE_DIR[args.calls]
    folders = suites(suite, args.modules, args.tests_per_module, args.calls)
    env = replay_env()
    for arm in arms:
        warm(folders[arm])
        check_replayed(
            arm, timed(pytest_command(arm, "-p", "no:xdist"), folders[arm], env).stdout, tests, args.calls
        )
    wall = {arm: Series() for arm in arms}
    cpu = {arm: Series() for arm in arms}
    for r in range(args.rounds):
        order = arms[r % len(arms) :] + arms[: r % len(arms)]
        for arm in order:
            run = timed(pytest_command(arm, "-p", "no:xdist"), folders[arm], env)
            check_replayed(arm, run.stdout, tests, args.calls)
            wall[arm].values.append(run.wall)
            cpu[arm].values.append(run.cpu)
            print(f"round {r + 1} arm {arm}: wall {run.wall:.2f} s, cpu {run.cpu:.2f} s", flush=True)

    result: dict[str, object] = {
        "machine": info,
        "tests": tests,
        "calls": list(CALLS[args.calls]),
        "rounds": args.rounds,
        "arms": {arm: {"name": NAMES[arm], "wall": wall[arm].values, "cpu": cpu[arm].values} for arm in arms},
        "load_avg_at_end": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    lines = [
        f"{tests} tests x {calls_label(args.calls)}, "
        f"{args.rounds} interleaved rounds, machine {result['machine']}"
    ]
    lines.append(f"{'arm':<45} {'wall s min/med/max':>22} {'cpu s min/med/max':>22}")
    for arm in arms:
        lines.append(f"({arm}) {NAMES[arm]:<41} {wall[arm].spread():>22} {cpu[arm].spread():>22}")
    ratios = {}
    for num, den in (("b", "c"), ("b", "d"), ("a", "c"), ("d", "c"), ("b", "a")):
        if num in arms and den in arms:
            for kind, series in (("wall", wall), ("cpu", cpu)):
                ratios[f"{num}/{den} {kind}"] = series[num].median / series[den].median
    for name, value in ratios.items():
        lines.append(f"  {name}: {value:.3f}")
    if "c" in arms:
        for arm in arms:
            if arm != "c":
                for kind, series in (("wall", wall), ("cpu", cpu)):
                    per_test = (series[arm].median - series["c"].median) / tests * 1000
                    lines.append(f"  ({arm}) overhead over the floor, {kind}: {per_test:.2f} ms/test")
    result["ratios"] = ratios
    print("\n".join(lines))
    name = "replay_overhead" if suite == OUT / "suite" else f"replay_overhead-{suite.name}"
    print(f"saved {save(name, result)}")


if __name__ == "__main__":
    main()
