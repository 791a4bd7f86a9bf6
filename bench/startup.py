"""Start-up: `pytest --collect-only -q` on a 1-test suite with and without the plugin.

    bench/.venvs/main/bin/python bench/startup.py [--runs 20]

Both arms run in bench/.venvs/main with pytest-recording switched off (`-p no:recording`), so the only
difference is the plugin (`-p no:claude_contract` for the arm without it). Runs are interleaved
(with, without, with, ...). The 1-test suite uses @pytest.mark.claude_contract, as a real suite
would, so the plugin's collection hooks run. Then `python -X importtime` of the plugin's entry
module, to show where its import time goes.

Wall time on a shared VM moves by tens of milliseconds from run to run, more than the difference to
measure. With valgrind installed, each arm also runs under `valgrind --tool=callgrind` (--callgrind
runs each, default 2): the instruction count is the same from run to run whatever else the machine
does, and the difference in instructions, converted at the rate the arm without the plugin runs at
(its instructions over its median wall time), is the plugin's cost in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH, Series, machine, save, timed
from gen_suite import replay_env

PY = BENCH / ".venvs" / "main" / "bin" / "python"
SUITE = """import pytest


@pytest.mark.claude_contract
def test_one():
    pass
"""
BASE = [
    str(PY),
    "-m",
    "pytest",
    "--collect-only",
    "-q",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:recording",
    "-o",
    "addopts=",
]
ARMS = {"with": BASE, "without": [*BASE, "-p", "no:claude_contract"]}


def importtime(module: str) -> list[tuple[int, int, str]]:
    """(self us, cumulative us, name) of each module `import module` loads, pytest already imported
    (the plugin is imported by a running pytest)."""
    result = subprocess.run(
        [str(PY), "-X", "importtime", "-c", f"import pytest, _pytest.python; import {module}"],
        capture_output=True,
        text=True,
        check=True,
    )
    # -X importtime prints a module's imports before the module, indented one more; a top-level
    # import (indent 1) closes a block. The block closed by the top package is the plugin's import.
    block: list[tuple[int, int, str, str]] = []
    rows: list[tuple[int, int, str, str]] = []
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S.*)", line)
        if not match:
            continue
        block.append((int(match.group(1)), int(match.group(2)), match.group(3), match.group(4).strip()))
        if len(match.group(3)) == 1:
            if match.group(4).strip() in (module, module.split(".", maxsplit=1)[0]):
                rows = block
            block = []
    return [(s, c, name) for s, c, _, name in rows]


def instructions(command: list[str], folder: Path, env: dict[str, str]) -> int:
    """Instructions the command executes, counted by callgrind (deterministic for the same inputs)."""
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", result.stderr)
    assert found is not None, result.stderr[-2000:]
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--callgrind", type=int, default=2, help="runs per arm under callgrind (0: none)")
    args = parser.parse_args()
    counted: dict[str, list[int]] = {arm: [] for arm in ARMS}
    info = machine()  # the load average as the run starts
    env = replay_env()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        folder = Path(tmp)
        (folder / "pytest.ini").write_text("[pytest]\n")
        (folder / "test_one.py").write_text(SUITE)
        for command in ARMS.values():  # warm-up (bytecode, page cache)
            timed(command, folder, env)
        wall = {arm: Series() for arm in ARMS}
        for r in range(args.runs):
            order = list(ARMS) if r % 2 == 0 else list(reversed(ARMS))
            for arm in order:
                run = timed(ARMS[arm], folder, env)
                assert "test_one" in run.stdout, run.stdout
                wall[arm].values.append(run.wall)
        if args.callgrind and shutil.which("valgrind"):
            for _ in range(args.callgrind):
                for arm, command in ARMS.items():
                    counted[arm].append(instructions(command, folder, env))
    added = (wall["with"].median - wall["without"].median) * 1000
    lines = [f"pytest --collect-only -q, 1 test, {args.runs} interleaved runs each (ms min/median/max)"]
    for arm in ARMS:
        lines.append(f"  {arm} the plugin: {wall[arm].spread(1000, '{:.0f}')}")
    lines.append(f"  the plugin adds {added:.1f} ms (median difference of wall times)")
    added_by_count = None
    if counted["with"]:
        with_, without = min(counted["with"]), min(counted["without"])
        per_ms = without / (wall["without"].median * 1000)
        added_by_count = (with_ - without) / per_ms
        lines.append(
            f"  callgrind: {with_:,} instructions with the plugin, {without:,} without "
            f"(+{with_ - without:,}, {100 * (with_ - without) / without:.1f}%); at {per_ms / 1e6:.2f}M "
            f"instructions/ms the plugin adds {added_by_count:.1f} ms; target <= 15 ms"
        )
    rows = importtime("pytest_claude_contract.plugin")
    total = rows[-1][1] if rows else 0
    lines.append(
        f"import pytest_claude_contract.plugin (after pytest): {total / 1000:.1f} ms cumulative; "
        "largest self times:"
    )
    for self_us, cum_us, name in sorted(rows, key=lambda row: -row[0])[:10]:
        lines.append(f"  {self_us / 1000:7.2f} ms self {cum_us / 1000:7.2f} ms cum  {name}")
    print("\n".join(lines))
    result = {
        "machine": info,
        "runs": args.runs,
        "wall": {arm: s.values for arm, s in wall.items()},
        "added_ms": added,
        "instructions": counted,
        "added_ms_by_instructions": added_by_count,
        "plugin_import_ms": total / 1000,
        "importtime": rows,
        "load_avg_at_end": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    print(f"saved {save('startup', result)}")


if __name__ == "__main__":
    main()
