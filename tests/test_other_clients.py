"""Clients other than the anthropic Python SDK, end to end: real pytest sessions (pytester), real
clients, real sockets, real files.

- The `openai` Python SDK, pointed at the Claude API's OpenAI-compatible endpoint
  (`POST /v1/chat/completions`), under the marker: it records and replays like any patched client.
- The official TypeScript SDK (`@anthropic-ai/sdk`, run with node from `tests/node/`) and a raw
  `fetch`, through the `claude_contract_server` fixture. (curl through the server is covered by
  test_server.py.)

Recording goes to the running stand-in (`api`); replay runs with it stopped, no key and CI=1.
The node tests need `npm ci --prefix tests/node`: without it they skip, or fail when CI is set.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

# Imported here, before any pytester run: in-process runs restore sys.modules afterwards, and the
# SDK is slow to import (once per session is enough).
import openai  # noqa: F401
import pytest
from helpers import go_offline, interactions

from pytest_claude_contract.cassette.scrub import REDACTED

if TYPE_CHECKING:
    from fake_api import FakeClaudeAPI

MODEL = "claude-sonnet-4-6"
NODE_DIR = Path(__file__).parent / "node"
NPM_CI = "npm ci --prefix tests/node"
# Read at import, before conftest's autouse fixture clears CI for each test.
ON_CI = bool(os.environ.get("CI"))


def require_node(node_dir: Path = NODE_DIR, *, ci: bool = ON_CI) -> str:
    """The node executable, once `npm ci` has installed the TypeScript SDK into `node_dir`. Else the
    test is skipped - or, with CI set, fails: CI must not pass by skipping the node tests."""
    node = shutil.which("node")
    if node is None:
        problem = f"node is not on PATH: install Node.js, then run `{NPM_CI}`"
    elif not (node_dir / "node_modules" / "@anthropic-ai" / "sdk" / "package.json").is_file():
        problem = f"{node_dir / 'node_modules'} is missing: run `{NPM_CI}`"
    else:
        return node
    if ci:
        pytest.fail(f"CI is set, so the TypeScript SDK tests may not be skipped: {problem}", pytrace=False)
    pytest.skip(problem)


def test_require_node_skips_locally_and_fails_on_ci(tmp_path: Path) -> None:
    """No node_modules: a skip naming the command to run, but a failure when CI is set."""
    with pytest.raises(pytest.skip.Exception, match=r"run `npm ci --prefix tests/node`"):
        require_node(tmp_path, ci=False)
    with pytest.raises(pytest.fail.Exception, match=r"CI is set, so .* may not be skipped: .*npm ci"):
        require_node(tmp_path, ci=True)
    sdk = tmp_path / "node_modules" / "@anthropic-ai" / "sdk"
    sdk.mkdir(parents=True)
    (sdk / "package.json").write_text("{}")
    if shutil.which("node") is not None:
        assert require_node(tmp_path, ci=True) == shutil.which("node")


# ---------------------------------------------------------------- the openai SDK, under the marker

OPENAI_PRELUDE = f"""
import os

import httpx
import openai
import pytest

MODEL = {MODEL!r}
URL = os.environ["FAKE_API_URL"]


def client():
    # The Claude docs' way: the Claude API key, the API's /v1/ as base_url. In replay the plugin
    # lends a placeholder ANTHROPIC_API_KEY, so no key is needed.
    return openai.OpenAI(api_key=os.environ["ANTHROPIC_API_KEY"], base_url=URL + "/v1/", max_retries=0)


def ask(text, **extra):
    return dict(model=MODEL, messages=[{{"role": "user", "content": text}}], **extra)
"""

OPENAI_RECORD_REPLAY = (
    OPENAI_PRELUDE
    + """

pytestmark = pytest.mark.claude_contract


def test_openai_create(claude_contract):
    with client() as c:
        completion = c.chat.completions.create(**ask("plain"))
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content == "Echo: plain"
    assert completion.choices[0].finish_reason == "stop"
    assert [e.origin for e in claude_contract.exchanges] == [os.environ["ORIGIN"]]
    assert claude_contract.violations == []


def test_openai_stream(claude_contract):
    with client() as c:
        chunks = list(c.chat.completions.create(**ask("one two three"), stream=True))
    pieces = [chunk.choices[0].delta.content or "" for chunk in chunks]
    assert len(chunks) > 3
    assert "".join(pieces) == "Echo: one two three"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert [e.origin for e in claude_contract.exchanges] == [os.environ["ORIGIN"]]
    assert claude_contract.violations == []
"""
)


def test_openai_sdk_records_then_replays_offline(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The openai SDK (httpx2) on /v1/chat/completions, plain and `stream: true`: recorded under the
    marker with its `Authorization: Bearer` key scrubbed and no anthropic-version, the OpenAI-format
    stream kept whole (through `data: [DONE]`), then replayed with the stand-in stopped; no rule
    fires on either run, and `lint` passes the cassettes."""
    suite.makepyfile(test_oai=OPENAI_RECORD_REPLAY)
    monkeypatch.setenv("ORIGIN", "live")
    result = suite.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["exchanges checked: 2 (0 replayed, 2 live)", "violations: 0"])
    assert [r.path for r in api.requests] == ["/v1/chat/completions"] * 2
    sent = api.requests[0].headers
    assert sent["authorization"] == f"Bearer {api_key}"
    assert "anthropic-version" not in sent
    assert sent["user-agent"].startswith("OpenAI/Python ")

    folder = suite.path / "cassettes" / "test_oai"
    plain, stream = folder / "test_openai_create.yaml", folder / "test_openai_stream.yaml"
    for cassette in (plain, stream):
        assert api_key not in cassette.read_text()
        (interaction,) = interactions(cassette)
        assert interaction["request"]["uri"] == f"{api.url}/v1/chat/completions"
        assert interaction["request"]["headers"]["authorization"] == [f"Bearer {REDACTED}"]
    body = interactions(stream)[0]["response"]["body"]["string"]
    assert body.startswith("data: {")
    assert body.endswith("data: [DONE]\n\n")

    lint = subprocess.run(
        [sys.executable, "-m", "pytest_claude_contract", "lint", "--host", api.host, str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr

    go_offline(api, monkeypatch)
    monkeypatch.setenv("ORIGIN", "replayed")
    result = suite.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "exchanges checked: 2 (2 replayed, 0 live)",
            "violations: 0",
            "cassettes: 0 recorded, 2 replayed",
        ]
    )


OPENAI_CHECKS = (
    OPENAI_PRELUDE
    + """

@pytest.mark.claude_contract
def test_openai_needs_no_version(claude_contract):
    with client() as c:
        assert c.chat.completions.create(**ask("hi")).choices[0].message.content == "Echo: hi"
    (exchange,) = claude_contract.exchanges
    assert "anthropic-version" not in exchange.request.headers
    assert exchange.request.headers["authorization"].startswith("Bearer ")


@pytest.mark.claude_contract
def test_messages_needs_a_version():
    # The same client code, hand-rolled, on /v1/messages: there anthropic-version is required.
    headers = {"authorization": "Bearer " + os.environ["ANTHROPIC_API_KEY"]}
    body = dict(ask("hi"), max_tokens=64)
    with httpx.Client(base_url=URL) as http:
        assert http.post("/v1/messages", headers=headers, json=body).status_code == 200


@pytest.mark.claude_contract(auth=["x-api-key"])
def test_openai_where_only_x_api_key_is_accepted():
    with client() as c:
        c.chat.completions.create(**ask("hi"))
"""
)


def test_openai_sdk_traffic_under_the_checks(
    suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str
) -> None:
    """What the rules say about the openai SDK's traffic: nothing when all is well (no
    anthropic-version needed on this endpoint, Bearer accepted), while the same request without a
    version on /v1/messages is version-missing; a test that accepts only x-api-key flags its Bearer
    (auth-scheme); and an answer without `x-request-id` (its request id) is flagged on this endpoint."""
    suite.makepyfile(test_oai_checks=OPENAI_CHECKS)
    api.misbehave = {"no-request-id"}
    result = suite.runpytest("-k", "needs_no_version")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "Claude API contract: 1 violation in 1 of 1 exchange",
            f"POST {api.url}/v1/chat/completions -> 200 (live), exchange 1",
            "  [[]response-request-id] the 200 response has no `x-request-id` header",
        ]
    )

    api.misbehave = set()
    result = suite.runpytest()
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*_ test_messages_needs_a_version _*",
            "Claude API contract: 1 violation in 1 of 1 exchange",
            f"POST {api.url}/v1/messages -> 200 (live), exchange 1",
            "  [[]version-missing] no `anthropic-version` header is sent",
            "*_ test_openai_where_only_x_api_key_is_accepted _*",
            "Claude API contract: 1 violation in 1 of 1 exchange",
            f"POST {api.url}/v1/chat/completions -> 200 (live), exchange 1",
            "  [[]auth-scheme] `Authorization: Bearer` is sent, but this test accepts only `x-api-key`",
        ]
    )


# ---------------------------------------------------------------- the TypeScript SDK, through the server

# The inner suites' upstream is the stand-in, whose host is NOT in `hosts`: node talks to the server
# only, and the server's own upstream leg is not vcrpy's business.
SERVER_CONFTEST = """
import os
import pytest

@pytest.fixture(scope="module")
def claude_contract_config():
    return {"upstream": os.environ["FAKE_API_URL"]}
"""

NODE_SUITE = """
import os
import subprocess

import pytest


def node(server, script, text):
    # server.env(): os.environ (in replay: the plugin's placeholder ANTHROPIC_API_KEY) with
    # ANTHROPIC_BASE_URL pointing at the contract server.
    return subprocess.run(
        [os.environ["NODE"], os.path.join(os.environ["NODE_DIR"], script), text],
        env=server.env(), capture_output=True, text=True, timeout=60,
    )


@pytest.mark.claude_contract
def test_create(claude_contract_server, claude_contract):
    out = node(claude_contract_server, os.environ.get("SCRIPT", "chat.mjs"), "Hi from TypeScript")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "Echo: Hi from TypeScript\\n"
    assert [e.origin for e in claude_contract.exchanges] == [os.environ["ORIGIN"]]


@pytest.mark.claude_contract
def test_stream(claude_contract_server, claude_contract):
    out = node(claude_contract_server, "stream.mjs", "streamed to node")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "Echo: streamed to node\\n"
    assert out.stderr == "deltas: 4, stop_reason: end_turn\\n"
    assert [e.origin for e in claude_contract.exchanges] == [os.environ["ORIGIN"]]
"""


@pytest.fixture
def node_suite(
    pytester: pytest.Pytester, api: FakeClaudeAPI, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    monkeypatch.setenv("NODE", require_node())
    monkeypatch.setenv("NODE_DIR", str(NODE_DIR))
    pytester.makeconftest(SERVER_CONFTEST)
    pytester.makepyfile(test_ts=NODE_SUITE)
    return pytester


def test_typescript_sdk_records_then_replays_offline(
    node_suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`node chat.mjs` (messages.create) and `node stream.mjs` (messages.stream), given
    ANTHROPIC_BASE_URL by `server.env()`, record through the server with the stand-in as upstream
    (gzip answers included): the cassettes hold the TS SDK's own headers, its Bearer key replaced
    by the placeholder, and the whole stream; then both replay with the stand-in stopped, quietly."""
    api.gzip_responses = True  # the TS SDK asks for gzip; the stand-in then compresses JSON answers
    monkeypatch.setenv("ORIGIN", "live")
    result = node_suite.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["exchanges checked: 2 (0 replayed, 2 live)", "violations: 0"])
    assert [r.headers["authorization"] for r in api.requests] == [f"Bearer {api_key}"] * 2
    sent = api.requests[0].body
    assert sent == json.dumps(json.loads(sent), separators=(",", ":")).encode()  # JSON.stringify's, as sent

    folder = node_suite.path / "cassettes" / "test_ts"
    for name in ("test_create", "test_stream"):
        cassette = folder / f"{name}.yaml"
        assert api_key not in cassette.read_text()
        (interaction,) = interactions(cassette)
        request = interaction["request"]
        assert request["uri"] == f"{api.url}/v1/messages"
        headers = request["headers"]
        assert headers["authorization"] == [f"Bearer {REDACTED}"]
        assert headers["anthropic-version"] == ["2026-10-21"]
        assert headers["user-agent"] == ["Anthropic/JS 1.13.0"]
        assert headers["x-stainless-lang"] == ["js"]
        assert headers["accept-encoding"] == ["gzip, deflate"]
        assert "host" not in headers
        assert json.loads(request["body"])["model"] == MODEL
    plain = interactions(folder / "test_create.yaml")[0]["response"]
    assert "content-encoding" not in plain["headers"]  # the gzip answer is stored decoded
    assert json.loads(plain["body"]["string"])["content"][0]["text"] == "Echo: Hi from TypeScript"
    events = interactions(folder / "test_stream.yaml")[0]["response"]["body"]["string"]
    assert events.startswith("event: message_start")
    assert events.count("event: content_block_delta") == 4

    go_offline(api, monkeypatch)
    monkeypatch.setenv("ORIGIN", "replayed")
    result = node_suite.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["exchanges checked: 2 (2 replayed, 0 live)", "violations: 0", "cassettes: 0 recorded, 2 replayed"]
    )


def test_a_raw_fetch_without_anthropic_version_is_caught_live_and_in_replay(
    node_suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`node raw_fetch.mjs` (fetch with x-api-key, no anthropic-version) fails its test with
    version-missing while the SDK's test passes; after the SDK's exchange is recorded, swapping the
    SDK for the raw fetch is caught offline too: anthropic-version is part of the match key, so the
    request finds no recording, and the miss report says the header is what differs."""
    monkeypatch.setenv("ORIGIN", "live")
    monkeypatch.setenv("SCRIPT", "raw_fetch.mjs")
    result = node_suite.runpytest("-k", "test_create")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "Claude API contract: 1 violation in 1 of 1 exchange",
            f"POST {api.url}/v1/messages -> 200 (live), exchange 1",
            "  [[]version-missing] no `anthropic-version` header is sent",
            "    fix: *",
        ]
    )
    assert api.requests[0].headers["user-agent"] == "node"
    assert not (node_suite.path / "cassettes").exists()  # a failed test records nothing

    monkeypatch.setenv("SCRIPT", "chat.mjs")
    node_suite.runpytest("-k", "test_create").assert_outcomes(passed=1)

    go_offline(api, monkeypatch)
    monkeypatch.setenv("ORIGIN", "replayed")
    node_suite.runpytest("-k", "test_create").assert_outcomes(passed=1)
    monkeypatch.setenv("SCRIPT", "raw_fetch.mjs")
    result = node_suite.runpytest("-k", "test_create")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*no recorded answer for POST {api.url}/v1/messages*",
            "*root[[]'headers'][[]'anthropic-version'] changed from str to NoneType*",
        ]
    )
