"""No secret in any output, end to end: a pytest session's failure reports, miss report and terminal
summary; `lint` in its three formats; `diff`; `serve`'s log. Each with real files on disk and real
clients; each shown firing (the secret cut to 10 characters) and quiet (the rest still readable)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import yaml
from helpers import a_key, a_token, leaks

from pytest_claude_contract.cli import main
from pytest_claude_contract.contract.redaction import SHOWN

if TYPE_CHECKING:
    from pathlib import Path

MODEL = "claude-sonnet-4-6"
REQUEST_ID = "req_011CSHoEeqs5C35K2UUqR7Fy"


def assert_cut(text: str, *found: str) -> None:
    """Each secret is in `text` as its first 10 characters, and nowhere longer."""
    for secret in found:
        assert leaks(secret, text) == [], text
        assert secret[:SHOWN] in text, text


MESSAGE = {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
    "type": "message",
    "role": "assistant",
    "model": MODEL,
    "content": [{"type": "text", "text": "Hello!"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 8, "output_tokens": 4},
}


def interaction(
    *,
    request_headers: dict[str, str] | None = None,
    response_headers: dict[str, str] | None = None,
    uri: str = "https://api.anthropic.com/v1/messages",
    content: str = "Hi",
    status: int = 200,
    body: Any = None,
) -> dict[str, Any]:
    headers = {
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
        "user-agent": "test",
        **(request_headers or {}),
    }
    answer = {
        "content-type": "application/json",
        "request-id": REQUEST_ID,
        "anthropic-organization-id": "d3b07384-d9a0-4c5b-9f3e-3c3d3a1a8f00",
        **(response_headers or {}),
    }
    sent = {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": content}]}
    return {
        "request": {
            "method": "POST",
            "uri": uri,
            "headers": {name: [value] for name, value in headers.items()},
            "body": json.dumps(sent),
        },
        "response": {
            "status": {"code": status, "message": "OK"},
            "headers": {name: [value] for name, value in answer.items()},
            "body": {"string": json.dumps(MESSAGE if body is None else body)},
        },
    }


def write(path: Path, *interactions: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"interactions": list(interactions), "version": 1}), encoding="utf-8")
    return path


# ---------------------------------------------------------------- lint


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_lint_cuts_secrets_in_every_format(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key in `anthropic-beta` and `retry-after`, a token as the credential and in a rate-limit
    header, a configured token in a body error type: every format shows 10 characters of each. A
    value that is no secret (a bad beta name) is quoted whole."""
    beta_key, retry_key, token, configured = a_key(), a_key(), a_token(), a_token()
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", configured)
    error = {"type": "error", "error": {"type": configured, "message": "slow down"}}
    path = write(
        tmp_path / "hostile.yaml",
        interaction(
            request_headers={"x-api-key": token, "anthropic-beta": f"{beta_key}!"},
            response_headers={"retry-after": retry_key, "anthropic-ratelimit-requests-limit": token},
            status=429,
            body=error,
        ),
        interaction(request_headers={"x-api-key": "placeholder", "anthropic-beta": "bad_name!"}),
    )
    code = main(["lint", "--format", fmt, str(path)])
    out = capsys.readouterr().out
    assert code == 1
    assert_cut(out, beta_key, retry_key, token, configured)
    assert "anthropic-beta: bad_name!" in out  # quiet: not a secret, quoted as it is
    for rule in ("beta-header", "ratelimit-headers", "error-status", "secret-in-cassette"):
        assert rule in out
    if fmt == "json":
        findings = json.loads(out)["files"][0]["findings"]
        assert {f["rule"] for f in findings} >= {"beta-header", "secret-in-cassette"}


def test_lint_of_a_clean_cassette_is_unchanged_by_configured_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "clean.yaml", interaction(request_headers={"x-api-key": "placeholder"}))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    outputs = []
    for env in ({}, {"ANTHROPIC_API_KEY": a_key(), "ANTHROPIC_AUTH_TOKEN": a_token()}):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        assert main(["lint", "--format", "json", str(path)]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]


# ---------------------------------------------------------------- diff


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_diff_cuts_changed_header_values(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A header whose value changed is shown, but a key or the request's token in it is cut; the
    changed stop reason and the model id stay readable."""
    key, token = a_key(), a_token()
    old = write(tmp_path / "old.yaml", interaction(response_headers={"x-echo": "plain"}))
    changed = dict(MESSAGE, stop_reason="max_tokens")
    new = write(
        tmp_path / "new.yaml",
        interaction(
            request_headers={"authorization": f"Bearer {token}"},
            response_headers={"x-echo": key, "x-seen": token},
            body=changed,
        ),
    )
    assert main(["diff", "--format", fmt, str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert_cut(out, key, token)
    assert "max_tokens" in out
    assert "end_turn" in out
    assert "x-echo" in out
    assert "plain" in out


# ---------------------------------------------------------------- a pytest session

INNER = """
import json, os
import httpx
import pytest

URL = "https://api.anthropic.com/v1/messages"
HEADERS = {"anthropic-version": "2023-06-01", "content-type": "application/json", "user-agent": "test"}


def body(content):
    return json.dumps({"model": "claude-sonnet-4-6", "max_tokens": 64,
                       "messages": [{"role": "user", "content": content}]})


@pytest.mark.claude_contract(cassette="story")
def test_beta():
    headers = {**HEADERS, "x-api-key": os.environ["LEAK_TOKEN"],
               "anthropic-beta": os.environ["LEAK_KEY"] + "!"}
    assert httpx.post(URL, headers=headers, content=body("Hi")).status_code == 200


@pytest.mark.claude_contract(cassette="story")
def test_miss():
    headers = {**HEADERS, "authorization": "Bearer " + os.environ["ANTHROPIC_AUTH_TOKEN"]}
    url = URL + "?api_key=" + os.environ["LEAK_KEY"] + "&beta=true"
    httpx.post(url, headers=headers, content=body("my key is " + os.environ["LEAK_BODY"]))
"""


def test_a_session_cuts_secrets_in_reports_the_miss_and_the_summary(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, token, configured, in_body = a_key(), a_token(), a_token(), a_key()
    monkeypatch.setenv("LEAK_KEY", key)
    monkeypatch.setenv("LEAK_TOKEN", token)
    monkeypatch.setenv("LEAK_BODY", in_body)
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", configured)
    pytester.makepyfile(test_inner=INNER)
    write(pytester.path / "cassettes" / "test_inner" / "story.yaml", interaction())

    strict = pytester.runpytest_inprocess("-p", "no:randomly", "--claude-record-mode=none")
    out = strict.stdout.str()
    strict.assert_outcomes(failed=2)
    strict.stdout.fnmatch_lines(
        [
            "*[[]beta-header[]] `anthropic-beta: sk-ant-api...!` is not a beta name*",
            "*no recorded answer for POST https://api.anthropic.com/v1/messages?api_key=redacted&beta=true*",
            "*nearest recorded request: interaction 1*",
        ]
    )
    assert_cut(out, key, in_body)
    assert leaks(token, out) == []
    assert leaks(configured, out) == []
    assert "'Hi'" in out or '"Hi"' in out  # quiet: the recorded side of the diff is readable

    warn = pytester.runpytest_inprocess(
        "-p", "no:randomly", "--claude-record-mode=none", "--claude-contract=warn"
    )
    warn.stdout.fnmatch_lines(
        ["*violations (warn mode):*", "*test_beta: [[]beta-header[]] `anthropic-beta: sk-ant-api...!`*"]
    )
    assert leaks(key, warn.stdout.str()) == []


# ---------------------------------------------------------------- serve


def test_serve_log_cuts_secrets(tmp_path: Path) -> None:
    """`serve`'s log quotes each request's verdicts and misses: the key in a header, the token sent as
    the credential, a key in the URL query and the body are cut there and in the miss answered."""
    key, token, in_body = a_key(), a_token(), a_key()
    cassette = write(tmp_path / "served.yaml", interaction())
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_claude_contract", "serve", "--cassette", str(cassette)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        url = first.split()[2]
        base = {"anthropic-version": "2023-06-01", "content-type": "application/json", "user-agent": "test"}
        sent = {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]}
        with httpx.Client(timeout=30) as client:
            replayed = client.post(
                f"{url}/v1/messages",
                headers={**base, "x-api-key": token, "anthropic-beta": f"{key}!"},
                content=json.dumps(sent),
            )
            assert replayed.json()["id"] == MESSAGE["id"]
            sent["messages"] = [{"role": "user", "content": f"my key is {in_body}"}]
            missed = client.post(
                f"{url}/v1/messages?api_key={key}",
                headers={**base, "authorization": f"Bearer {token}"},
                content=json.dumps(sent),
            )
        assert missed.status_code == 404
        assert_cut(missed.text, in_body)
        assert leaks(key, missed.text) == []
        assert leaks(token, missed.text) == []
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    log = first + out + err
    assert "[beta-header] `anthropic-beta: sk-ant-api...!` is not a beta name" in log, log
    assert "[auth-scheme] `Authorization: " not in log  # quiet: a rule that does not fire is not made up
    assert_cut(log, key, in_body)
    assert leaks(token, log) == []
    assert "POST /v1/messages -> 200 (replayed)" in log
    assert "api_key=redacted" in log


# ---------------------------------------------------------------- verify's drift report


def test_verify_drift_report_cuts_secrets(tmp_path: Path) -> None:
    """Record mode verify quotes a live answer's changed header: a key in it, or the token the request
    was sent with, is cut in the report and in the summary lines; the header name stays readable."""
    from pytest_claude_contract.capture.verify import Verifier
    from pytest_claude_contract.cassette.store import load_cassette
    from pytest_claude_contract.contract.exchange import CapturedRequest
    from pytest_claude_contract.contract.report import SessionStats

    key, token = a_key(), a_token()
    path = write(
        tmp_path / "verified.yaml", interaction(response_headers={"x-echo": "plain", "x-seen": "none"})
    )
    loaded = load_cassette(path)
    assert loaded is not None
    recorded = loaded[0].request
    live = CapturedRequest(
        recorded.method, recorded.url, {**recorded.headers, "authorization": f"Bearer {token}"}, recorded.body
    )
    answer = interaction(response_headers={"x-echo": key, "x-seen": token})["response"]
    answer["body"]["string"] = answer["body"]["string"].encode()
    verifier = Verifier(path, loaded, True, SessionStats())
    assert verifier.check(live, answer, loaded[0].key) is not None
    report = verifier.take_report()
    assert report is not None
    text = "\n".join([report.text("test_x.py::test_y"), *report.summary_lines("test_x.py::test_y")])
    assert_cut(text, key, token)
    assert "header `x-echo`: 'plain' -> " in text
