"""`pytest-claude-contract diff OLD NEW`: volatile fields ignored, changes in the API's answers caught."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_claude_contract.cli import main
from pytest_claude_contract.cli.diff import diff_files

REAL = Path(__file__).parent / "data" / "real-cassettes"

MESSAGE: dict[str, Any] = {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-6",
    "content": [
        {"type": "text", "text": "Let me look that up."},
        {
            "type": "tool_use",
            "id": "toolu_01A09q90qw90lq917835lq9",
            "name": "get_weather",
            "input": {"city": "Paris"},
        },
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {"input_tokens": 8, "output_tokens": 4},
}
HEADERS: dict[str, list[str]] = {
    "content-type": ["application/json"],
    "content-length": ["412"],
    "date": ["Sun, 07 Apr 2024 07:29:54 GMT"],
    "request-id": ["req_011CSHoEeqs5C35K2UUqR7Fy"],
    "anthropic-organization-id": ["d3b07384-d9a0-4c5b-9f3e-3c3d3a1a8f00"],
    "anthropic-ratelimit-requests-remaining": ["49"],
    "anthropic-ratelimit-requests-reset": ["2024-04-07T07:30:54Z"],
}


def cassette(path: Path, message: dict[str, Any], headers: dict[str, list[str]], recorded_at: str) -> Path:
    interaction = {
        "request": {
            "method": "POST",
            "uri": "https://api.anthropic.com/v1/messages",
            "headers": {"anthropic-version": ["2023-06-01"], "content-type": ["application/json"]},
            "body": json.dumps({"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": []}),
        },
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": headers,
            "body": {"string": json.dumps(message)},
        },
        "recorded_at": recorded_at,
    }
    path.write_text(yaml.safe_dump({"interactions": [interaction], "version": 1}), encoding="utf-8")
    return path


@pytest.fixture
def old(tmp_path: Path) -> Path:
    return cassette(tmp_path / "old.yaml", MESSAGE, HEADERS, "2026-01-01T00:00:00Z")


def rerecorded(tmp_path: Path) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """What a second recording of the same test looks like: every volatile value different."""
    message = copy.deepcopy(MESSAGE)
    message["id"] = "msg_01Aq9w938a90dw8q"
    message["content"][0]["text"] = "Checking the weather in Paris for you."
    message["content"][1]["id"] = "toolu_01T1x1fJ34qAmk2tNTrN7Up6"
    message["usage"] = {"input_tokens": 9, "output_tokens": 17}
    headers = copy.deepcopy(HEADERS)
    headers["content-length"] = ["455"]
    headers["date"] = ["Mon, 02 Feb 2026 10:00:00 GMT"]
    headers["request-id"] = ["req_0199xyz"]
    headers["anthropic-ratelimit-requests-remaining"] = ["48"]
    headers["anthropic-ratelimit-requests-reset"] = ["2026-02-02T10:00:59Z"]
    return message, headers


def diff(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["diff", *args])
    return code, capsys.readouterr().out


def test_only_volatile_fields_changed_exits_0(
    old: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message, headers = rerecorded(tmp_path)
    new = cassette(tmp_path / "new.yaml", message, headers, "2026-02-02T10:00:00Z")
    code, out = diff(capsys, str(old), str(new))
    assert code == 0, out
    assert "No change in the API's answers (1 exchanges)." in out
    assert "Ignored as volatile: ids (msg_, req_, toolu_, ...), request-id" in out


def test_new_removed_and_retyped_fields_exit_1(
    old: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message, headers = rerecorded(tmp_path)
    message["usage"]["service_tier"] = "standard"  # new
    del message["stop_sequence"]  # removed
    message["usage"]["output_tokens"] = "17"  # int -> str
    message["stop_reason"] = "end_turn"  # an enum value changed
    headers["content-type"] = ["application/json; charset=utf-8"]  # a header changed
    headers["x-robots-tag"] = ["none"]  # transport header: ignored
    headers["anthropic-priority"] = ["standard"]  # new header
    new = cassette(tmp_path / "new.yaml", message, headers, "2026-02-02T10:00:00Z")
    code, out = diff(capsys, str(old), str(new))
    assert code == 1
    assert "#1 POST https://api.anthropic.com/v1/messages" in out
    assert "  + new field       body: usage.service_tier = 'standard'" in out
    assert "  - removed field   body: stop_sequence" in out
    assert "  ~ changed type    body: usage.output_tokens: int -> str" in out
    assert "  ~ changed value   body: stop_reason: 'tool_use' -> 'end_turn'" in out
    assert (
        "  ~ changed value   header `content-type`: 'application/json' -> 'application/json; charset=utf-8'"
    ) in out
    assert "  + new header      header `anthropic-priority` = 'standard'" in out
    assert "x-robots-tag" not in out
    assert "6 changes in 1 exchange of the API's answers" in out


def test_a_removed_header_and_a_removed_block_are_changes(old: Path, tmp_path: Path) -> None:
    message, headers = rerecorded(tmp_path)
    message["content"] = message["content"][:1]
    del headers["anthropic-organization-id"]
    new = cassette(tmp_path / "new.yaml", message, headers, "2026-02-02T10:00:00Z")
    result = diff_files(old, new)
    assert result.exit_code == 1
    assert {(c.kind, c.where) for c in result.changes} == {
        ("removed header", "header `anthropic-organization-id`"),
        ("removed item", "body: content[1]"),
    }


def test_json_format(old: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message, headers = rerecorded(tmp_path)
    message["container"] = None
    new = cassette(tmp_path / "new.json.yaml", message, headers, "2026-02-02T10:00:00Z")
    code, out = diff(capsys, "--format", "json", str(old), str(new))
    assert code == 1
    data = json.loads(out)
    assert data["exit_code"] == 1
    assert data["changes"] == [
        {
            "exchange": 1,
            "target": "POST https://api.anthropic.com/v1/messages",
            "kind": "new field",
            "where": "body: container",
            "old": None,
            "new": None,
        }
    ]


def test_real_recordings_of_streams(capsys: pytest.CaptureFixture[str]) -> None:
    """Two real recordings (gzip SSE, 2024 and 2025): new event kinds and headers are reported."""
    same = REAL / "simonw__llm-anthropic__test_stream_events_thinking.yaml"
    assert diff(capsys, str(same), str(same))[0] == 0
    older = REAL / "lint" / "traceloop__openllmetry__test_anthropic_message_create_legacy.yaml"
    newer = REAL / "lint" / "pydantic__logfire__test_async_beta_messages.yaml"
    code, out = diff(capsys, str(older), str(newer))
    assert code == 1
    assert "+ new header      header `anthropic-organization-id` = '<volatile>'" in out
    assert "~ changed value   body: model: 'claude-3-opus-20240229' -> 'claude-3-haiku-20240307'" in out
    assert "+ new field       body: usage.cache_creation_input_tokens = 0" in out


def test_extra_exchanges_and_unreadable_input(
    old: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    two = REAL / "lint" / "crewAIInc__crewAI__test_anthropic_stop_sequences_sent_to_api.yaml"
    code, out = diff(capsys, str(old), str(two))
    assert code == 1
    assert "+ only in NEW     exchange" in out
    broken = tmp_path / "broken.yaml"
    broken.write_text("interactions: [\n")
    code, out = diff(capsys, str(old), str(broken))
    assert code == 2
    assert f"{broken}:" in out
    assert "is not valid YAML" in out
    assert diff(capsys, str(old), str(tmp_path / "missing.yaml"))[0] == 2
    assert main(["diff", str(old)]) == 2  # usage error


def test_python_dash_m_runs_diff(old: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest_claude_contract", "diff", str(old), str(old)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
