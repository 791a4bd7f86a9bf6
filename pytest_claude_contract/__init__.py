"""pytest-claude-contract: prove that a Claude API client follows the API's HTTP contract, and replay
its traffic offline in CI. The pytest plugin lives in `pytest_claude_contract.plugin`."""

from __future__ import annotations

__version__ = "0.1.0"
