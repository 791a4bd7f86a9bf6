#!/usr/bin/env bash
# Profile one arm-(b) replay of the 500-test suite (this plugin, checks on) with pyinstrument.
# Writes bench/out/profile_replay.html and bench/out/profile_replay.txt (the call tree, and the
# cumulative time of the plugin's, vcrpy's, PyYAML's and pydantic's functions: profile_replay_summary.txt). Run bench/gen_suite.py (or replay_overhead.py) first.
#
# Usage (from the repository root):  bash bench/profile_replay.sh [SUITE_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH="$PWD/bench"
SUITE="${1:-$BENCH/out/suite/suite_b}"
PY="$BENCH/.venvs/main/bin/python"
OUT="$BENCH/out"
mkdir -p "$OUT"

cd "$SUITE"
env -u ANTHROPIC_API_KEY -u ANTHROPIC_AUTH_TOKEN -u PYTHONDONTWRITEBYTECODE CI=true \
    "$PY" -m pyinstrument -r session -o "$OUT/profile_replay.pyisession" \
    -m pytest -q -o addopts= -p no:recording -p no:xdist | tail -5
"$PY" -m pyinstrument --load "$OUT/profile_replay.pyisession" -r html -o "$OUT/profile_replay.html"
"$PY" -m pyinstrument --load "$OUT/profile_replay.pyisession" -r text --show-all \
    -p processor_options='{"filter_threshold": 1.0}' -o "$OUT/profile_replay.txt" 2>/dev/null \
    || "$PY" -m pyinstrument --load "$OUT/profile_replay.pyisession" -r text -o "$OUT/profile_replay.txt"
# Cumulative time of the plugin's, vcrpy's, PyYAML's and pydantic's functions.
"$PY" "$BENCH/_profile_summary.py" "$OUT/profile_replay.pyisession" > "$OUT/profile_replay_summary.txt"
head -25 "$OUT/profile_replay_summary.txt"
echo "wrote $OUT/profile_replay.html, profile_replay.txt, profile_replay_summary.txt"
