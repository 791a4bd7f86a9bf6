"""A pytest plugin for profiling arm (b) without a sampling profiler's distortion: the thread CPU time
spent in the plugin's entry points (the fixture's steps, cassette loading, replay, checks), summed
over the session and written to $ENTRY_TIMING_OUT (default bench/out/entry_timing.txt) at the end.
Nested entries are each counted in full (replay includes its checks).

    cd bench/out/suite/suite_b
    PYTHONPATH=../../../.. CI=true ../../../.venvs/main/bin/python -m pytest -q -o addopts= \\
        -p no:xdist -p no:recording -p bench._entry_timing
"""

from __future__ import annotations

import functools
import importlib
import os
import time
from pathlib import Path
from typing import Any

_SUMS: dict[str, int] = {}
_CALLS: dict[str, int] = {}
TARGETS = {
    "pytest_claude_contract.plugin": (
        "settings_for", "validate_overrides", "_contract_for", "cassette_path", "marker_overrides",
        "_finish",
    ),
    "pytest_claude_contract.plugin.judging": ("judge", "judge_cassette"),
    "pytest_claude_contract.capture.core": (
        "load_cassette", "ClaudeContractRecorder.__init__", "ClaudeContractRecorder.decide",
        "ClaudeContractRecorder._complete", "ClaudeContractRecorder._match_key", "match_key", "check_exchange",
    ),
    "pytest_claude_contract.capture.httpx_transport": ("_replayed", "lower_headers", "CapturedRequest"),
}  # fmt: skip


def _timed(name: str, function: Any) -> Any:
    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.thread_time_ns()
        try:
            return function(*args, **kwargs)
        finally:
            _SUMS[name] = _SUMS.get(name, 0) + time.thread_time_ns() - start
            _CALLS[name] = _CALLS.get(name, 0) + 1

    return timed


def pytest_configure(config: Any) -> None:
    # Each name is looked up where its caller finds it (a module global or a class attribute).
    for module_name, names in TARGETS.items():
        module = importlib.import_module(module_name)
        for dotted in names:
            owner: Any = module
            *path, attribute = dotted.split(".")
            for part in path:
                owner = getattr(owner, part)
            setattr(
                owner,
                attribute,
                _timed(f"{module_name.rsplit('.', 1)[1]}.{dotted}", getattr(owner, attribute)),
            )


def pytest_unconfigure(config: Any) -> None:
    out = Path(os.environ.get("ENTRY_TIMING_OUT", Path(__file__).parent / "out" / "entry_timing.txt"))
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = sorted(_SUMS.items(), key=lambda item: -item[1])
    with out.open("w", encoding="utf-8") as handle:
        for name, total in rows:
            calls = _CALLS[name]
            handle.write(
                f"{total / 1e6:9.1f} ms {calls:7d} calls {total / 1e3 / calls:8.1f} µs/call  {name}\n"
            )
