"""Helpers shared by the record/replay test modules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
    from fake_api import FakeClaudeAPI


def go_offline(api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """What CI has: the API out of reach, no key, CI set (so record mode none)."""
    api.stop()
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("CI", "1")


def interactions(path: Path) -> list[dict[str, Any]]:
    """The cassette's interactions, read with plain PyYAML."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    result: list[dict[str, Any]] = data["interactions"]
    return result
