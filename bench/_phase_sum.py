"""A pytest plugin for bench/phases.py: pytest's own report durations, summed per phase over the
session (the first test of each module's set-up apart: it builds the module's SDK client), written as
one JSON line to $PHASES_OUT when the session ends (under pytest-xdist, one line per worker, named
by `worker`, and one for the controller, which runs no test).

It also notes the process's user and system CPU time so far, and times the garbage collector (gc.callbacks): every collection in the session, the full ones
apart, the objects the collector tracks when the session ends, and the full collections that come
after (pytest's own at clean-up, the interpreter's at exit), each appended as one more line
{"exit_full_gc": seconds}. A full collection walks every tracked object, so what a tool keeps alive
(modules it imports, caches) costs it again at each one."""

from __future__ import annotations

import gc
import json
import os
import resource
import time
from typing import Any

_START = time.perf_counter()
_SUMS = {"setup": 0.0, "setup_first_of_module": 0.0, "call": 0.0, "teardown": 0.0}
_MARKS: dict[str, float] = {}
_MODULES: set[str] = set()
_GC = {"gc": 0.0, "full_gc": 0.0, "full_gc_count": 0}
_GC_START = [0.0]
_EXIT_OUT: list[int] = []  # after the session: a descriptor to append the exit's full collections to


def _time_gc(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _GC_START[0] = time.perf_counter()
        return
    spent = time.perf_counter() - _GC_START[0]
    if _EXIT_OUT:
        if info["generation"] == 2:
            os.write(_EXIT_OUT[0], (json.dumps({"exit_full_gc": spent}) + "\n").encode())
        return
    _GC["gc"] += spent
    if info["generation"] == 2:
        _GC["full_gc"] += spent
        _GC["full_gc_count"] += 1


gc.callbacks.append(_time_gc)


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
            usage = resource.getrusage(resource.RUSAGE_SELF)  # the kernel's share apart
            line.update(_GC, tracked_objects=len(gc.get_objects()), user=usage.ru_utime, sys=usage.ru_stime)
            handle.write(json.dumps(line) + "\n")
        _EXIT_OUT.append(os.open(out, os.O_WRONLY | os.O_APPEND))
