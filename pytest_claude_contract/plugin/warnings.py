"""Warning categories, importable from the package so that users can filter them, e.g. with the ini line
`filterwarnings = ignore::pytest_claude_contract.ClaudeCassetteExpired`.
"""

from __future__ import annotations


class ClaudeContractWarning(UserWarning):
    """Base of the plugin's warnings."""


class ClaudeCassetteExpired(ClaudeContractWarning):
    """A test replayed interactions recorded longer ago than `max_age` (with `on_expiry="warn"`)."""


class ClaudeCassetteUnplayed(ClaudeContractWarning):
    """A passing test left recorded interactions of its cassette unplayed (`--claude-unplayed=warn`)."""


class ClaudeTrafficToUnlistedHost(ClaudeContractWarning):
    """A covered test sent what looks like Claude API traffic to a host that is not in `hosts=`: it was
    recorded or replayed, but not checked against the contract."""


class ClaudeContractRuleWarning(ClaudeContractWarning):
    """A rule of severity warning fired (model-deprecated): reported, but the test does not fail."""
