"""Verdicts a maintainer would sign on real traffic, alike in `lint` and in replay.

- a 401 `authentication_error` carries no `anthropic-organization-id` (the key is bad: no
  organization is known); any other answer without one is still a violation;
- the OpenAI-compatible endpoint is judged by what it sends: `x-request-id`, no organization;
- an answer recorded before the API sent a header (`anthropic-organization-id`, 2025-02-10) is
  "recorded before the header existed": reported by lint, failing neither lint nor replay.

Every cassette here is written by the test, shaped like a vcrpy recording of the real API; replay runs
a real pytest session (pytester) whose test calls the API with httpx.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Imported before any in-process pytester run (pytester restores sys.modules after each).
import anthropic  # noqa: F401
import httpx  # noqa: F401
import yaml

from pytest_claude_contract.cli import main
from pytest_claude_contract.contract.checks import check_exchange
from pytest_claude_contract.contract.exchange import (
    CapturedRequest,
    CapturedResponse,
    Exchange,
    lower_headers,
)
from pytest_claude_contract.contract.models import DEFAULT_CONTRACT

if TYPE_CHECKING:
    import pytest

API = "https://api.anthropic.com"
MESSAGES_BODY = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "Hi"}],
}
CHAT_BODY = {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "Hi"}]}
MESSAGE = {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-6",
    "content": [{"type": "text", "text": "Hello!"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 8, "output_tokens": 4},
}
CHAT_COMPLETION = {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
    "object": "chat.completion",
    "created": 1767000000,
    "model": "claude-sonnet-4-6",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 8, "completion_tokens": 4, "total_tokens": 12},
}
AUTH_ERROR = {
    "type": "error",
    "error": {"type": "authentication_error", "message": "invalid x-api-key"},
    "request_id": "req_011CWdUCbTXmhB5SBGzdPZ3c",
}
ORG = "d3b07384-d9a0-4c5b-9f3e-3c3d3a1a8f00"
REQUEST_ID = "req_011CSHoEeqs5C35K2UUqR7Fy"
BEFORE = "Sun, 07 Apr 2024 07:30:05 GMT"  # before anthropic-organization-id existed (2025-02-10)
AFTER = "Tue, 30 Dec 2025 09:12:44 GMT"


def recorded_response(
    status: int = 200,
    body: Any = None,
    *,
    date: str | None = AFTER,
    organization: bool = True,
    request_id: str | None = "request-id",
) -> dict[str, Any]:
    headers: dict[str, list[str]] = {"Content-Type": ["application/json"], "Server": ["cloudflare"]}
    if date is not None:
        headers["Date"] = [date]
    if request_id is not None:
        headers[request_id] = [REQUEST_ID]
    if organization:
        headers["anthropic-organization-id"] = [ORG]
    if status == 200 and request_id == "request-id":
        headers["anthropic-ratelimit-requests-limit"] = ["50"]
    message = {200: "OK", 401: "Unauthorized", 403: "Forbidden"}[status]
    text = json.dumps(MESSAGE if body is None else body)
    return {"status": {"code": status, "message": message}, "headers": headers, "body": {"string": text}}


def recorded_request(path: str = "/v1/messages", body: dict[str, Any] | None = None) -> dict[str, Any]:
    headers = {
        "accept": ["application/json"],
        "content-type": ["application/json"],
        "user-agent": ["python-httpx/0.28.1"],
        "x-api-key": ["redacted-by-claude-contract"],
    }
    if path == "/v1/messages":
        headers["anthropic-version"] = ["2023-06-01"]
    return {
        "body": json.dumps(body or (MESSAGES_BODY if path == "/v1/messages" else CHAT_BODY)),
        "headers": headers,
        "method": "POST",
        "uri": API + path,
    }


def write_cassette(path: Path, response: dict[str, Any], **interaction: Any) -> Path:
    """A vcrpy-format cassette of one interaction (as pytest-recording writes them)."""
    request = interaction.pop("request", None) or recorded_request()
    data = {"interactions": [{"request": request, "response": response, **interaction}], "version": 1}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# ------------------------------------------------------------------ the checks, on one exchange


def replayed(response: dict[str, Any], request: dict[str, Any] | None = None, **extra: Any) -> Exchange:
    sent = request or recorded_request()
    captured = CapturedRequest(
        sent["method"], sent["uri"], lower_headers(sent["headers"]), sent["body"].encode()
    )
    answer = CapturedResponse(
        response["status"]["code"], lower_headers(response["headers"]), response["body"]["string"].encode()
    )
    return Exchange(captured, answer, extra.pop("origin", "replayed"), 1, **extra)


def found(exchange: Exchange, notes: bool = False) -> list[tuple[str, str]]:
    return [(v.rule, v.level) for v in check_exchange(exchange, DEFAULT_CONTRACT, notes=notes)]


def test_a_401_authentication_error_needs_no_organization() -> None:
    quiet = replayed(recorded_response(401, AUTH_ERROR, organization=False))
    assert found(quiet, notes=True) == []
    # Any other answer, a 403 too, still carries it.
    denied = {"type": "error", "error": {"type": "permission_error", "message": "no"}}
    assert found(replayed(recorded_response(403, denied, organization=False))) == [
        ("response-organization-id", "violation")
    ]
    assert found(replayed(recorded_response(organization=False))) == [
        ("response-organization-id", "violation")
    ]
    # request-id is still asked of the 401: the API sends it there too.
    no_id = replayed(recorded_response(401, AUTH_ERROR, organization=False, request_id=None))
    assert found(no_id) == [("response-request-id", "violation")]


def test_the_openai_compatible_endpoint_is_judged_by_what_it_sends() -> None:
    chat = recorded_request("/v1/chat/completions")
    sent = recorded_response(body=CHAT_COMPLETION, organization=False, request_id="x-request-id")
    assert found(replayed(sent, chat)) == []
    missing = replayed(recorded_response(body=CHAT_COMPLETION, organization=False, request_id=None), chat)
    (violation,) = check_exchange(missing, DEFAULT_CONTRACT)
    assert violation.rule == "response-request-id"
    assert violation.message == "the 200 response has no `x-request-id` header"
    # The native endpoints keep their own header: x-request-id does not stand in for request-id.
    native = replayed(recorded_response(request_id="x-request-id"))
    assert found(native) == [("response-request-id", "violation")]


def test_an_answer_recorded_before_the_header_existed_is_noted_not_failed() -> None:
    before = replayed(recorded_response(date=BEFORE, organization=False))
    assert found(before) == []  # replay: nothing fails
    (note,) = check_exchange(before, DEFAULT_CONTRACT, notes=True)
    assert (note.rule, note.level) == ("response-organization-id", "recorded before")
    assert note.message == (
        "the 200 response has no `anthropic-organization-id` header (recorded before the header existed: "
        "recorded 2024-04-07; the API sends it since 2025-02-10, per the API release notes)"
    )
    # Our own cassettes say when they were recorded: recorded_at comes before the Date header.
    ours = replayed(recorded_response(date=AFTER, organization=False), recorded_at="2024-11-02T10:00:00Z")
    assert found(ours, notes=True) == [("response-organization-id", "recorded before")]
    # Recorded after the header existed, with no date at all, or live: a violation as before.
    after = replayed(recorded_response(date=AFTER, organization=False))
    assert found(after, notes=True) == [("response-organization-id", "violation")]
    undated = replayed(recorded_response(date=None, organization=False))
    assert found(undated, notes=True) == [("response-organization-id", "violation")]
    live = replayed(recorded_response(date=BEFORE, organization=False), origin="live")
    assert found(live, notes=True) == [("response-organization-id", "violation")]


# ------------------------------------------------------------------ lint


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["lint", *args])
    return code, capsys.readouterr().out


def test_lint_401_without_organization(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    denied = write_cassette(tmp_path / "denied.yaml", recorded_response(401, AUTH_ERROR, organization=False))
    code, out = lint(capsys, str(denied))
    assert code == 0, out
    assert f"{denied}: 1 interactions, 1 with a Claude host: ok" in out
    answered = write_cassette(tmp_path / "answered.yaml", recorded_response(organization=False))
    code, out = lint(capsys, str(answered))
    assert code == 1, out
    assert (
        "FAIL          [response-organization-id] the 200 response has no `anthropic-organization-id`" in out
    )


def test_lint_openai_compatible_endpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chat = recorded_request("/v1/chat/completions")
    sent = recorded_response(body=CHAT_COMPLETION, organization=False, request_id="x-request-id")
    path = write_cassette(tmp_path / "chat.yaml", sent, request=chat)
    code, out = lint(capsys, str(path))
    assert code == 0, out
    assert ": 1 interactions, 1 with a Claude host: ok" in out
    missing = recorded_response(body=CHAT_COMPLETION, organization=False, request_id=None)
    path = write_cassette(tmp_path / "chat-no-id.yaml", missing, request=chat)
    code, out = lint(capsys, "--assume-recorded", str(path))
    assert code == 1, out
    assert "FAIL          [response-request-id] the 200 response has no `x-request-id` header" in out
    assert "anthropic-organization-id" not in out


def test_lint_recorded_before_the_header_existed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = write_cassette(tmp_path / "2024.yaml", recorded_response(date=BEFORE, organization=False))
    ours = write_cassette(
        tmp_path / "ours.yaml",
        recorded_response(date=None, organization=False),
        recorded_at="2025-01-15T08:00:00Z",
    )
    code, out = lint(capsys, str(before), str(ours))
    assert code == 0, out
    assert (
        "recorded before  [response-organization-id] the 200 response has no `anthropic-organization-id` "
        "header (recorded before the header existed: recorded 2024-04-07; the API sends it since "
        "2025-02-10, per the API release notes)"
    ) in out
    assert "(recorded before the header existed: recorded 2025-01-15;" in out
    assert (
        "0 violations in 0 files, 0 not recorded, 2 recorded before the header existed, 0 unreadable" in out
    )
    assert "FAIL" not in out
    after = write_cassette(tmp_path / "2025.yaml", recorded_response(date=AFTER, organization=False))
    code, out = lint(capsys, "--format", "github", str(after), str(before))
    assert code == 1, out
    assert f"::error file={after},line=2,title=response-organization-id::" in out
    assert f"::notice file={before},line=2,title=response-organization-id (recorded before)::" in out


# ------------------------------------------------------------------ replay


REPLAYED = """
import json
import os

import httpx
import pytest

API = "https://api.anthropic.com"


def call(path, body):
    headers = {"x-api-key": os.environ["ANTHROPIC_API_KEY"], "content-type": "application/json"}
    if path == "/v1/messages":
        headers["anthropic-version"] = "2023-06-01"
    with httpx.Client() as client:
        return client.post(API + path, headers=headers, content=json.dumps(body))


@pytest.mark.parametrize(
    "path, status",
    [pytest.param(path, status, marks=pytest.mark.claude_contract(cassette=name), id=name) for name, path, status in CASES],
)
def test_replay(path, status):
    body = MESSAGES_BODY if path == "/v1/messages" else CHAT_BODY
    assert call(path, body).status_code == status
"""


def test_replay_judges_as_lint_does(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same verdicts in a replayed test: quiet on a 401 without organization, on the
    OpenAI-compatible endpoint's own headers and on a 2024 recording; failing on a 2025 answer that
    lacks the organization and on a chat completion without `x-request-id`."""
    monkeypatch.setenv("CI", "1")  # record mode none: replay only, nothing reaches the network
    folder = pytester.path / "cassettes" / "test_replayed"
    chat = recorded_request("/v1/chat/completions")
    cases = {
        "denied": (recorded_response(401, AUTH_ERROR, organization=False), None, 401),
        "chat": (
            recorded_response(body=CHAT_COMPLETION, organization=False, request_id="x-request-id"),
            chat,
            200,
        ),
        "before": (recorded_response(date=BEFORE, organization=False), None, 200),
        "after": (recorded_response(date=AFTER, organization=False), None, 200),
        "chat-no-id": (
            recorded_response(body=CHAT_COMPLETION, organization=False, request_id=None),
            chat,
            200,
        ),
    }
    rows = []
    for name, (answer, sent, status) in cases.items():
        # chat-no-id as the plugin writes it (recorded_at): judged in full. In another tool's cassette
        # an answer with neither a request id nor an anthropic-* header is "not recorded", as in lint.
        extra = {"recorded_at": "2026-12-01T10:00:00Z"} if name == "chat-no-id" else {}
        write_cassette(folder / f"{name}.yaml", answer, request=sent, **extra)
        rows.append((name, "/v1/messages" if sent is None else "/v1/chat/completions", status))
    pytester.makepyfile(
        test_replayed=f"MESSAGES_BODY = {MESSAGES_BODY!r}\nCHAT_BODY = {CHAT_BODY!r}\nCASES = {rows!r}\n"
        + REPLAYED
    )
    result = pytester.runpytest("-p", "no:randomly", "-rA")
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines(
        [
            "PASSED test_replayed.py::test_replay[[]denied[]]",
            "PASSED test_replayed.py::test_replay[[]chat[]]",
            "PASSED test_replayed.py::test_replay[[]before[]]",
            "FAILED test_replayed.py::test_replay[[]after[]] - Failed: Claude API contract: 1 violation in 1 of 1 exchange",
            "FAILED test_replayed.py::test_replay[[]chat-no-id[]] - Failed: Claude API contract: 1 violation in 1 of 1 *",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*[[]response-organization-id[]] the 200 response has no `anthropic-organization-id` header",
            "*[[]response-request-id[]] the 200 response has no `x-request-id` header",
        ]
    )
    result.stdout.fnmatch_lines(["exchanges checked: 5 (5 replayed, 0 live)"])


# ------------------------------------------------------------------ no Claude exchange at all


def other_host(path: Path) -> Path:
    """A cassette of a suite whose client calls a gateway, not api.anthropic.com."""
    request = recorded_request()
    request["uri"] = "https://llm-gateway.internal.example/v1/messages"
    return write_cassette(path, recorded_response(), request=request)


NO_CLAUDE = (
    "no Claude exchange found in {where}: no request went to a Claude host (api.anthropic.com), so "
    "nothing was checked; pass --host NAME if your client calls another host"
)


def test_lint_with_no_claude_exchange_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gateway = other_host(tmp_path / "gateway.yaml")
    code, out = lint(capsys, str(gateway))
    assert code == 2, out
    assert f"{gateway}: 1 interactions, 0 with a Claude host: nothing checked" in out
    assert NO_CLAUDE.format(where="1 cassette (1 interaction)") in out
    code, out = lint(capsys, "--format", "json", str(gateway))
    assert code == 2
    assert json.loads(out)["error"] == NO_CLAUDE.format(where="1 cassette (1 interaction)")
    code, out = lint(capsys, "--format", "github", str(gateway))
    assert code == 2
    assert "::error title=no Claude exchange::no Claude exchange found in 1 cassette" in out
    # Named with --host, the gateway is checked.
    code, out = lint(capsys, "--host", "llm-gateway.internal.example", str(gateway))
    assert code == 0, out
    assert f"{gateway}: 1 interactions, 1 with a Claude host: ok" in out
    assert "no Claude exchange" not in out
    # Beside a cassette with a Claude exchange, a cassette of other hosts is simply read.
    claude = write_cassette(tmp_path / "claude.yaml", recorded_response())
    code, out = lint(capsys, str(gateway), str(claude))
    assert code == 0, out
    assert f"{claude}: 1 interactions, 1 with a Claude host: ok" in out
    assert "no Claude exchange" not in out


def test_diff_with_no_claude_exchange_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = other_host(tmp_path / "old.yaml"), other_host(tmp_path / "new.yaml")
    code = main(["diff", str(old), str(new)])
    out = capsys.readouterr().out
    assert code == 2, out
    assert out == "diff: " + NO_CLAUDE.format(where="either cassette (OLD: 1, NEW: 1 interactions)") + "\n"
    code = main(["diff", "--format", "json", str(old), str(new)])
    data = json.loads(capsys.readouterr().out)
    assert (code, data["exit_code"]) == (2, 2)
    assert data["error"].startswith("no Claude exchange found in either cassette")
    code = main(["diff", "--host", "llm-gateway.internal.example", str(old), str(new)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "No change in the API's answers (1 exchanges)." in out
    # A Claude exchange on one side only is a change, as before.
    claude = write_cassette(tmp_path / "claude.yaml", recorded_response())
    code = main(["diff", str(old), str(claude)])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "+ only in NEW     exchange" in out


# ------------------------------------------------------------------ a real 2024 recording, replayed

REAL_2024 = (
    Path(__file__).parent
    / "data"
    / "real-cassettes"
    / "lint"
    / "traceloop__openllmetry__test_anthropic_message_streaming_legacy.yaml"
)

STREAMED = """
import anthropic
import pytest


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.claude_contract(cassette=name), id=name)
    for name in ("recorded-2024", "dated-2025")
])
def test_joke(name):
    # The recording's SDK sent anthropic-version 2023-06-01 (part of the match key).
    client = anthropic.Anthropic(max_retries=0, default_headers={"anthropic-version": "2023-06-01"})
    stream = client.messages.create(
        model="claude-3-haiku-20240307",
        max_tokens=1024,
        messages=[{"role": "user", "content": "Tell me a joke about OpenTelemetry"}],
        stream=True,
    )
    kinds = [event.type for event in stream]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
"""


def test_a_real_2024_stream_replays_without_failing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """traceloop's stream, recorded on 2024-10-20 without anthropic-organization-id, replayed to the
    anthropic SDK: it passes. The same answer dated 2025-03-01 fails: the header existed then."""
    monkeypatch.setenv("CI", "1")
    folder = pytester.path / "cassettes" / "test_streamed"
    folder.mkdir(parents=True)
    text = REAL_2024.read_text(encoding="utf-8")
    assert "Sun, 20 Oct 2024 22:47:56 GMT" in text
    (folder / "recorded-2024.yaml").write_text(text, encoding="utf-8")
    dated = text.replace("Sun, 20 Oct 2024 22:47:56 GMT", "Sat, 01 Mar 2025 10:00:00 GMT")
    (folder / "dated-2025.yaml").write_text(dated, encoding="utf-8")
    pytester.makepyfile(test_streamed=STREAMED)
    result = pytester.runpytest("-p", "no:randomly", "-rA", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "PASSED test_streamed.py::test_joke[[]recorded-2024[]]",
            "FAILED test_streamed.py::test_joke[[]dated-2025[]] - Failed: Claude API contract: 1 violation*",
        ]
    )
    result.stdout.fnmatch_lines(
        ["*[[]response-organization-id[]] the 200 response has no `anthropic-organization-id` header"]
    )
    # The session's summary counts what it did not fail.
    result.stdout.fnmatch_lines(
        [
            "recorded before the header existed: 1 (replayed answers recorded before the API sent a "
            "header they lack, as lint reports them; not failing)",
            "  response-organization-id: 1",
        ]
    )
