"""Which cassettes the collected tests use: for `--claude-orphans`, `--claude-cassettes-json` (what
`lint --orphans` reads) and the cassette folder pytest need not walk."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from .options import cassette_path, marker_overrides
from .state import STATIC_CASSETTE, SessionState, uses_plugin

if TYPE_CHECKING:
    from pathlib import Path


def holds_python(folder: Path) -> bool:
    return any(name.endswith(".py") for _, _, files in os.walk(folder) for name in files)


def static_cassette(item: pytest.Item, state: SessionState) -> str | None:
    """The cassette `item` would use, as the fixture computes it from markers (not from a
    claude_contract_config fixture, which only runs with the test); None for none or check only.
    Kept on the item: the fixture uses it unless claude_contract_config names another cassette."""
    if not uses_plugin(item, state):
        return None
    try:
        cassette = marker_overrides(item).get("cassette", True)
    except pytest.UsageError:
        return None
    if cassette is True or (isinstance(cassette, str) and cassette.strip()):
        path = cassette_path(state.options, item, cassette)
        item.stash[STATIC_CASSETTE] = (cassette, path)
        return str(path)
    return None


def write_cassettes_json(path: str, state: SessionState) -> None:
    """The cassette folder and the cassettes the collected tests use (deselected ones included),
    written atomically: `lint --orphans` never reads half a file."""
    import json
    from pathlib import Path

    from ..cassette.cache_files import replace_atomically

    data = {
        "cassette_dir": str(state.options.cassette_dir),
        "cassettes": sorted(state.cassettes),
        "unresolved": sorted(state.unresolved),
    }
    text = json.dumps(data, indent=2)
    replace_atomically(Path(path), lambda handle: handle.write(text.encode("utf-8")))


def write_orphans(terminalreporter: pytest.TerminalReporter, state: SessionState) -> None:
    from ..cassette.formats import CASSETTE_SUFFIXES

    folder = state.options.cassette_dir
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith(CASSETTE_SUFFIXES))
    orphans = [p for p in files if str(p) not in state.cassettes]
    terminalreporter.write_sep("=", "claude contract: orphaned cassettes")
    terminalreporter.write_line(
        f"{len(orphans)} of {len(files)} cassette(s) under {folder} are used by no collected test. "
        "Only meaningful for a full run: a run given some files or folders does not collect the "
        "others' tests; a name set in claude_contract_config counts only when its test ran."
    )
    for path in orphans:
        terminalreporter.write_line(f"  {path.relative_to(folder)}")
