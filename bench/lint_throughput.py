"""lint throughput: `pytest-claude-contract lint` over many small cassettes and one large one.

    bench/.venvs/main/bin/python bench/lint_throughput.py [--runs 5]

Inputs (made by bench/gen_suite.py and bench/large_cassette.py, run them first):
  suite   bench/out/suite/suite_b/cassettes: 500 files, 1000 interactions (plain + streamed)
  large   bench/out/large/plugin.yaml and vcrpy.yaml: 1000 LLM-shaped interactions in one file
  tree    bench/out/lint_tree: about 200 MB of cassettes made from those (3 copies of plugin.yaml, 2 of
          vcrpy.yaml, 1 gzip-compressed .yaml.gz of it, 10 copies of the 500 small files; gzip
          bodies, SSE bodies), against the bare parse of the same files (libyaml's CSafeLoader, gzip
          undone, nothing else) in the same run: the issue's target is lint at half its speed or better
Reports wall time (process start included) min/median/max, interactions/s and MB/s of the median
(MB of cassette text, gzip undone). Exit 1 (violations found) counts as a finished run; only exit 2
is an error.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH, OUT, Series, machine, save

CLI = BENCH / ".venvs" / "main" / "bin" / "pytest-claude-contract"
PY = BENCH / ".venvs" / "main" / "bin" / "python"
BARE_PARSE = r"""
import gzip, sys, yaml
from pathlib import Path
for path in sorted(Path(sys.argv[1]).rglob("*.yaml*")):
    raw = path.read_bytes()
    yaml.load(gzip.decompress(raw) if path.suffix == ".gz" else raw, Loader=yaml.CSafeLoader)
"""


def build_tree(suite_cassettes: Path) -> tuple[Path, int, int]:
    """The ~200 MB tree (made once); returns it, its interactions and its size with gzip undone."""
    tree = OUT / "lint_tree"
    large = OUT / "large"
    if not (tree / ".done").exists():
        shutil.rmtree(tree, ignore_errors=True)
        for n in range(3):
            (tree / f"large-{n}").mkdir(parents=True)
            shutil.copy(large / "plugin.yaml", tree / f"large-{n}" / "plugin.yaml")
        for n in range(2):
            shutil.copy(large / "vcrpy.yaml", tree / f"large-{n}" / "vcrpy.yaml")
        (tree / "large-2" / "vcrpy.yaml.gz").write_bytes(gzip.compress((large / "vcrpy.yaml").read_bytes()))
        for n in range(10):
            shutil.copytree(suite_cassettes, tree / f"suite-{n}")
        (tree / ".done").write_text("")
    size = 0
    for path in tree.rglob("*.yaml*"):
        size += len(gzip.decompress(path.read_bytes())) if path.suffix == ".gz" else path.stat().st_size
    return tree, 3 * 1000 + 3 * 1000 + 10 * 1000, size


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
    tree, tree_count, tree_size = build_tree(suite_dir / "cassettes")
    inputs["tree (lint)"] = ([str(tree), "--host", host], tree_count, tree_size)
    wall = {name: Series() for name in inputs}
    bare = Series()
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
        start = time.perf_counter()
        subprocess.run([str(PY), "-c", BARE_PARSE, str(tree)], check=True)
        bare.values.append(time.perf_counter() - start)
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
    figures["tree (bare parse)"] = {"wall": bare.values, "mb_per_s": tree_size / 1e6 / bare.median}
    lines.append(
        f"  {'tree (bare parse)':<20} {tree_size / 1e6:5.1f} MB: {bare.spread()} s, "
        f"{tree_size / 1e6 / bare.median:.1f} MB/s"
    )
    ratio = bare.median / wall["tree (lint)"].median
    figures["lint speed / bare parse speed"] = {"ratio": ratio}
    lines.append(f"  lint speed / bare parse speed on the tree: {ratio:.2f} (target >= 0.5)")
    print("\n".join(lines))
    print(f"saved {save('lint_throughput', {'machine': info, 'figures': figures})}")


if __name__ == "__main__":
    main()
