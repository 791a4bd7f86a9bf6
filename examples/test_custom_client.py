"""A hand-written client on plain httpx: the plugin checks what it puts on the wire."""

from __future__ import annotations

import json
import os
from typing import Any

import httpx
import pytest

API = os.environ.get("ANTHROPIC_BASE_URL", "https://api.anthropic.com")


def complete(prompt: str) -> dict[str, Any]:
    """The team's own minimal client: x-api-key, the 2023-06-01 version, compact JSON."""
    body = {
        "model": "claude-sonnet-4-6",
        "max_tokens": 128,
        "messages": [{"role": "user", "content": prompt}],
    }
    response = httpx.post(
        f"{API}/v1/messages",
        headers={
            "x-api-key": os.environ["ANTHROPIC_API_KEY"],
            "anthropic-version": "2023-06-01",
            "content-type": "application/json",
        },
        content=json.dumps(body, separators=(",", ":")),
    )
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


@pytest.mark.claude_contract(auth=["x-api-key"], api_versions=["2023-06-01"])
def test_custom_client_follows_the_contract(claude_contract: Any) -> None:
    reply = complete("Where is my order?")
    assert reply["content"][0]["text"] == "Echo: Where is my order?"
    # Every exchange was checked; nothing was flagged.
    assert len(claude_contract.exchanges) == 1
    claude_contract.assert_conformant()
