"""The headers that change what the API does (`anthropic-beta`, `anthropic-version`) are part of the
match key: two requests that differ only in them replay their own recordings, and a request whose
header was not recorded misses with a diff that names the header. `anthropic-beta` is a set of names
(order and spacing do not matter). A cassette another tool wrote, whose recorder filtered a matched
header out, matches any value of it ("not recorded", not a difference)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from helpers import go_offline

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
    from fake_api import FakeClaudeAPI

SUITE = """
import json
import os

import httpx2
import pytest

BETAS = json.loads(os.environ["BETAS"])


def send(client, beta, version="2023-06-01"):
    headers = {"x-api-key": os.environ.get("ANTHROPIC_API_KEY", "unused"), "anthropic-version": version,
               "content-type": "application/json"}
    if beta:
        headers["anthropic-beta"] = beta
    body = {"model": "claude-sonnet-4-6", "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]}
    response = client.post(os.environ["FAKE_API_URL"] + "/v1/messages", json=body, headers=headers)
    return response.json()["id"]


@pytest.mark.claude_contract
def test_betas():
    with httpx2.Client() as client:
        for beta in BETAS:
            print(f"{beta or '(none)'} -> {send(client, beta)}")
"""


def _ids(output: str) -> dict[str, str]:
    pairs = (line.split(" -> ") for line in output.splitlines() if " -> msg_" in line)
    return {beta.rsplit(" ", 1)[-1]: found for beta, found in pairs}


def test_requests_that_differ_only_in_their_beta_replay_their_own_answers(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite.makepyfile(test_betas=SUITE)
    monkeypatch.setenv("BETAS", '["files-api-2025-04-14", "", "a-2025-01-01,b-2025-01-01"]')
    recorded = suite.runpytest("-s", "--claude-record-mode=once")
    recorded.assert_outcomes(passed=1)
    first = _ids(recorded.stdout.str())
    assert len(set(first.values())) == 3  # three answers, one each

    go_offline(api, monkeypatch)
    # Another order, and the two betas of the last one the other way round: each gets its own.
    monkeypatch.setenv("BETAS", '["b-2025-01-01, a-2025-01-01", "", "files-api-2025-04-14"]')
    replayed = suite.runpytest("-s")
    replayed.assert_outcomes(passed=1)
    again = _ids(replayed.stdout.str())
    assert again["a-2025-01-01"] == first["a-2025-01-01,b-2025-01-01"]
    assert again["(none)"] == first["(none)"]
    assert again["files-api-2025-04-14"] == first["files-api-2025-04-14"]

    # A beta that was never recorded with this body: a miss, and the diff names the header.
    monkeypatch.setenv("BETAS", '["token-counting-2024-11-01"]')
    missed = suite.runpytest("-s")
    missed.assert_outcomes(failed=1)
    missed.stdout.fnmatch_lines(
        ["*no recorded answer for POST*", "*root[[]'headers'][[]'anthropic-beta'] changed from None*"]
    )


def test_a_header_another_tools_recorder_filtered_matches_any_value(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite.makepyfile(test_betas=SUITE)
    monkeypatch.setenv("BETAS", '[""]')
    suite.runpytest("--claude-record-mode=once").assert_outcomes(passed=1)
    cassette: Path = suite.path / "cassettes" / "test_betas" / "test_betas.yaml"
    # As pytest-recording would have kept it: no anthropic-version, no recorded_at (not ours).
    text = cassette.read_text()
    kept = [line for line in text.splitlines(keepends=True) if not line.lstrip().startswith("recorded_at")]
    at = next(i for i, line in enumerate(kept) if line.strip() == "anthropic-version:")
    del kept[at : at + 2]
    cassette.write_text("".join(kept))
    assert "anthropic-version" not in cassette.read_text()

    go_offline(api, monkeypatch)
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)

    cassette.write_text(text)  # ours again, with the header: another version is another request
    monkeypatch.setenv("BETAS", '[""]')
    suite.makepyfile(test_betas=SUITE.replace('version="2023-06-01"', 'version="2026-10-21"'))
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(failed=1)
