"""Helpers shared by the record/replay test modules."""

from __future__ import annotations

import secrets as random_secrets
import string
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
    from fake_api import FakeClaudeAPI

    from pytest_claude_contract.capture.core import ClaudeContractRecorder


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


def server_recorder(cassette: Path | None, record_mode: str) -> ClaudeContractRecorder:
    """A recorder for a ContractServer run outside a pytest session (the default hosts, strict)."""
    from pytest_claude_contract.capture.core import ClaudeContractRecorder
    from pytest_claude_contract.contract.models import DEFAULT_CONTRACT
    from pytest_claude_contract.plugin.options import DEFAULT_HOSTS, ContractSettings

    settings = ContractSettings(
        cassette=cassette is not None,
        record_mode=record_mode,
        allow=frozenset(),
        api_versions=None,
        auth=None,
        hosts=DEFAULT_HOSTS,
        profiles={},
    )
    return ClaudeContractRecorder(settings, DEFAULT_CONTRACT, "strict", cassette)


KEY_PREFIX = "sk-" + "ant-"  # built at run time: no file holds a key-shaped literal


def a_key() -> str:
    return KEY_PREFIX + "api03-" + random_secrets.token_urlsafe(40)


def a_token() -> str:
    """An opaque bearer token: nothing in its shape says it is one."""
    return "tok" + "".join(random_secrets.choice(string.ascii_letters + string.digits) for _ in range(40))


def leaks(secret: str, text: str) -> list[str]:
    """Every piece of `secret` longer than what a report may show found in `text` (in any case)."""
    from pytest_claude_contract.contract.redaction import SHOWN

    low, secret = text.lower(), secret.lower()
    return [secret[i : i + SHOWN + 1] for i in range(len(secret) - SHOWN) if secret[i : i + SHOWN + 1] in low]
