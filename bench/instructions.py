"""Replay overhead by instruction count: each arm's whole 500-test run once under
`valgrind --tool=callgrind`, which counts the instructions executed (the same for the same inputs,
whatever else the machine is doing; not a time: it does not see cache misses or how fast each
instruction runs). Two arms at a time, one per core; a run takes 2-3 minutes.

    bench/.venvs/main/bin/python bench/instructions.py [--arms abcd]

Run bench/gen_suite.py (or replay_overhead.py) first; needs valgrind.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT, machine, save
from gen_suite import pytest_command, replay_env
from startup import instructions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arms", default="abcd")
    parser.add_argument("--suite", type=Path, default=OUT / "suite")
    args = parser.parse_args()
    folders = {
        arm: Path(p) for arm, p in json.loads((args.suite / "suites.json").read_text())["folders"].items()
    }
    env = replay_env()

    def count(arm: str) -> int:
        return instructions(pytest_command(arm, "-p", "no:xdist"), folders[arm], env)

    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = dict(zip(args.arms, pool.map(count, args.arms), strict=True))
    for arm, found in counts.items():
        print(f"  arm {arm}: {found:,} instructions")
    for top, bottom in (("b", "c"), ("b", "d"), ("b", "a"), ("d", "c")):
        if top in counts and bottom in counts:
            print(f"  {top}/{bottom}: {counts[top] / counts[bottom]:.3f}")
    if "c" in counts:
        for arm in counts.keys() - {"c"}:
            print(
                f"  ({arm}) over the floor: {(counts[arm] - counts['c']) / 500 / 1e6:.2f} M instructions a test"
            )
    save("instructions", {"machine": machine(), "instructions": counts})


if __name__ == "__main__":
    main()
