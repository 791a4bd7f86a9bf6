"""A pytest plugin for bench/phases.py: pytest's own report durations, summed per phase over the
session (the first test of each module's set-up apart: it builds the module's SDK client), written as
one JSON line to $PHASES_OUT when the session ends (under pytest-xdist, one line per worker, named
by `worker`, and one for the controller, which runs no test)."""

from __future__ import annotations

import json
import os
import time
from typing import Any

_START = time.perf_counter()
_SUMS = {"setup": 0.0, "setup_first_of_module": 0.0, "call": 0.0, "teardown": 0.0}
_MARKS: dict[str, float] = {}
_MODULES: set[str] = set()


def pytest_runtest_logreport(report: Any) -> None:
    _SUMS[report.when] += report.duration
    if report.when == "setup":
        module = report.nodeid.split("::")[0]
        if module not in _MODULES:
            _MODULES.add(module)
            _SUMS["setup_first_of_module"] += report.duration


def pytest_collection_finish(session: Any) -> None:
    _MARKS["collection"] = time.perf_counter() - _START


def pytest_unconfigure(config: Any) -> None:
    out = os.environ.get("PHASES_OUT")
    if out and "collection" in _MARKS:
        with open(out, "a", encoding="utf-8") as handle:
            worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "" in a run without xdist workers
            line = {**_SUMS, **_MARKS, "session": time.perf_counter() - _START, "worker": worker}
            handle.write(json.dumps(line) + "\n")
