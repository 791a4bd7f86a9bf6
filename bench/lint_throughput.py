"""lint throughput: `pytest-claude-contract lint` over many small cassettes and one large one.

    bench/.venvs/main/bin/python bench/lint_throughput.py [--runs 5]

Inputs (made by bench/gen_suite.py and bench/large_cassette.py, run them first):
  suite   bench/out/suite/suite_b/cassettes: 500 files, 1000 interactions (plain + streamed)
  large   bench/out/large/plugin.yaml and vcrpy.yaml: 1000 LLM-shaped interactions in one file
Reports wall time (process start included) min/median/max, interactions/s and MB/s of the median.
Exit 1 (violations found) counts as a finished run; only exit 2 is an error.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH, OUT, Series, machine, save

CLI = BENCH / ".venvs" / "main" / "bin" / "pytest-claude-contract"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    info = machine()  # the load average as the run starts
    suite_dir = OUT / "suite" / "suite_b"
    conftest = (suite_dir / "conftest.py").read_text()
    host = conftest.split("BASE_URL = '", 1)[1].split("'", 1)[0].split("://", 1)[1]
    inputs = {
        "suite (500 files)": (
            [str(suite_dir / "cassettes"), "--host", host],
            1000,
            sum(p.stat().st_size for p in (suite_dir / "cassettes").rglob("*.yaml")),
        ),
        "large plugin.yaml": (
            [str(OUT / "large" / "plugin.yaml")],
            1000,
            (OUT / "large" / "plugin.yaml").stat().st_size,
        ),
        "large vcrpy.yaml": (
            [str(OUT / "large" / "vcrpy.yaml")],
            1000,
            (OUT / "large" / "vcrpy.yaml").stat().st_size,
        ),
    }
    wall = {name: Series() for name in inputs}
    codes = {}
    for _ in range(args.runs):
        for name, (argv, _, _) in inputs.items():
            start = time.perf_counter()
            result = subprocess.run(
                [str(CLI), "lint", "--format", "json", *argv], capture_output=True, text=True, check=False
            )
            wall[name].values.append(time.perf_counter() - start)
            if result.returncode not in (0, 1):
                raise RuntimeError(f"lint {name} exited {result.returncode}: {result.stderr[-2000:]}")
            codes[name] = result.returncode
    lines = [f"pytest-claude-contract lint, {args.runs} interleaved runs, wall s min/median/max"]
    figures = {}
    for name, (_, count, size) in inputs.items():
        median = wall[name].median
        figures[name] = {
            "wall": wall[name].values,
            "interactions_per_s": count / median,
            "mb_per_s": size / 1e6 / median,
            "exit": codes[name],
        }
        lines.append(
            f"  {name:<20} {size / 1e6:5.1f} MB: {wall[name].spread()} s, "
            f"{count / median:,.0f} interactions/s, {size / 1e6 / median:.1f} MB/s (exit {codes[name]})"
        )
    print("\n".join(lines))
    print(f"saved {save('lint_throughput', {'machine': info, 'figures': figures})}")


if __name__ == "__main__":
    main()
