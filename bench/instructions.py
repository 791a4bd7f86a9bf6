"""Replay overhead by instruction count: each arm's whole 500-test run once under
`valgrind --tool=callgrind`, which counts the instructions executed (the same for the same inputs,
whatever else the machine is doing; not a time: it does not see cache misses or how fast each
instruction runs). Two arms at a time, one per core; a run takes 2-3 minutes.

    bench/.venvs/main/bin/python bench/instructions.py [--arms abcd] [--calls two|one] [--suite DIR]

`--calls two` (default): the two-call suite in bench/out/suite; `--calls one`: the one-call suite in
bench/out/suite-one. Run bench/gen_suite.py (with the same --calls) first; needs valgrind.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT, machine, save
from gen_suite import CALLS, SUITE_DIR, calls_label, pytest_command, replay_env, suite_meta
from startup import instructions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arms", default="abcd")
    parser.add_argument("--calls", choices=tuple(CALLS), default="two")
    parser.add_argument("--suite", type=Path, help="default: bench/out/suite, or suite-one for --calls one")
    args = parser.parse_args()
    suite = args.suite or SUITE_DIR[args.calls]
    meta = suite_meta(suite)
    if meta["calls"] != args.calls:
        raise SystemExit(f"{suite} is the {meta['calls']}-call suite; pass --calls {meta['calls']}")
    folders = {arm: Path(p) for arm, p in meta["folders"].items()}
    tests = meta["modules"] * meta["per_module"]
    requests = tests * len(CALLS[args.calls])
    env = replay_env()

    def count(arm: str) -> int:
        return instructions(pytest_command(arm, "-p", "no:xdist"), folders[arm], env)

    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = dict(zip(args.arms, pool.map(count, args.arms), strict=True))
    print(f"{tests} tests x {calls_label(args.calls)}")
    for arm, found in counts.items():
        print(f"  arm {arm}: {found:,} instructions")
    for top, bottom in (("b", "c"), ("b", "d"), ("b", "a"), ("d", "c")):
        if top in counts and bottom in counts:
            print(f"  {top}/{bottom}: {counts[top] / counts[bottom]:.3f}")
    if "c" in counts:
        for arm in sorted(counts.keys() - {"c"}):
            over = counts[arm] - counts["c"]
            print(
                f"  ({arm}) over the floor: {over / tests / 1e6:.2f} M instructions a test, "
                f"{over / requests / 1e6:.2f} M a request"
            )
    name = "instructions" if suite == OUT / "suite" else f"instructions-{suite.name}"
    save(
        name, {"machine": machine(), "tests": tests, "calls": list(CALLS[args.calls]), "instructions": counts}
    )


if __name__ == "__main__":
    main()
