#!/usr/bin/env bash
# Create the benchmark venvs under bench/.venvs/ (gitignored):
#   main:      this project (editable) + pytest-recording + anthropic + xdist + pyinstrument  (arms a, b, c)
#   cassetter: cassetter + anthropic + xdist                                                 (arm d)
# cassetter registers its own @pytest.mark.vcr plugin, so it cannot share a venv with
# pytest-recording. Both venvs are built from the same Python and pin the same SDK stack, so every
# arm runs the same interpreter and the same anthropic/httpx2 code.
#
# Usage (from the repository root):  bash bench/setup.sh [PYTHON]
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-${PYTHON:-python3}}"
VENVS=bench/.venvs

# One pin set for every arm (the SDK under test and its transport).
SDK_PINS=(anthropic==2.13.0 httpx2==2.16.2 "pytest>=8,<10" pytest-xdist==3.8.0)

"$PY" -m venv "$VENVS/main"
"$VENVS/main/bin/python" -m pip install -q --upgrade pip
"$VENVS/main/bin/python" -m pip install -q -e . "${SDK_PINS[@]}" \
    pytest-recording==0.14.1 vcrpy==9.4.2 pyinstrument

# Arm (d) gets exactly the versions arms (a)-(c) run with (pydantic, jiter, anyio, httpcore2...).
"$VENVS/main/bin/python" -m pip freeze --exclude-editable 2>/dev/null | grep -vE '^(-e|pytest-claude-contract)' \
    > "$VENVS/constraints.txt"

"$PY" -m venv "$VENVS/cassetter"
"$VENVS/cassetter/bin/python" -m pip install -q --upgrade pip
"$VENVS/cassetter/bin/python" -m pip install -q -c "$VENVS/constraints.txt" "${SDK_PINS[@]}" cassetter==0.16.1

for venv in main cassetter; do
    echo "== $venv"
    "$VENVS/$venv/bin/python" -m pip list 2>/dev/null \
        | grep -iE '^(anthropic|httpx2|httpcore2|pydantic|pydantic_core|jiter|pytest|pytest-xdist|pytest-recording|vcrpy|cassetter|pytest-claude-contract|pyinstrument) '
done
