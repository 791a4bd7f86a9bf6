"""`python -m pytest_claude_contract`: the same command as `pytest-claude-contract`."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
