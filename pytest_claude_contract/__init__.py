"""pytest-claude-contract: prove that a Claude API client follows the API's HTTP contract, and replay
its traffic offline in CI. The pytest plugin lives in `pytest_claude_contract.plugin`.

The contract models are exported here for configuration (`profiles=`); they are imported on first use,
so that importing the package (as pytest does for every session) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .unrewritten import skip_assertion_rewriting

skip_assertion_rewriting()  # before any other module of the package is imported (see unrewritten.py)

from .plugin.warnings import (  # noqa: E402
    ClaudeCassetteExpired,
    ClaudeCassetteUnplayed,
    ClaudeContractRuleWarning,
    ClaudeContractWarning,
    ClaudeTrafficToUnlistedHost,
)

__version__ = "0.1.0"
__all__ = [
    "DEFAULT_CONTRACT",
    "DEFAULT_ENDPOINTS",
    "ClaudeCassetteExpired",
    "ClaudeCassetteUnplayed",
    "ClaudeContractRuleWarning",
    "ClaudeContractWarning",
    "ClaudeTrafficToUnlistedHost",
    "Contract",
    "Endpoint",
    "Profile",
    "__version__",
]
_CONTRACT_NAMES = ("DEFAULT_CONTRACT", "DEFAULT_ENDPOINTS", "Contract", "Endpoint", "Profile")

if TYPE_CHECKING:
    from .contract.models import DEFAULT_CONTRACT, DEFAULT_ENDPOINTS, Contract, Endpoint, Profile


def __getattr__(name: str) -> Any:
    if name in _CONTRACT_NAMES:
        from .contract import models as _contract

        return getattr(_contract, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
