"""The contract server (`claude_contract_server`, `pytest-claude-contract serve`), end to end: real
pytest sessions (pytester), real clients (curl, httpx, the anthropic SDK), real sockets, real files.

Recording goes through the server to the running stand-in (`api`) as upstream; replay runs with the
stand-in stopped, no key and CI=1, like CI.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

import anthropic
import pytest

from pytest_claude_contract.capture.server import ContractServer
from pytest_claude_contract.cassette.scrub import REDACTED

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from fake_api import FakeClaudeAPI

    from pytest_claude_contract.capture.core import ClaudeContractRecorder
from helpers import go_offline, interactions, server_recorder

MODEL = "claude-sonnet-4-6"
CURL = "/usr/bin/curl"
needs_curl = pytest.mark.skipif(not os.path.exists(CURL), reason=f"{CURL} is not installed")

# The inner suites' upstream is the stand-in; its host is NOT in `hosts`: the clients talk to the
# server only, and the server's own upstream leg must not be seen by vcrpy.
CONFTEST = """
import os
import pytest

@pytest.fixture(scope="module")
def claude_contract_config():
    return {"upstream": os.environ["FAKE_API_URL"]}
"""

PRELUDE = f"""
import json
import os
import subprocess

import anthropic
import httpx
import pytest

MODEL = {MODEL!r}
CURL = {CURL!r}


def message(text, **extra):
    return {{"model": MODEL, "max_tokens": 64, "messages": [{{"role": "user", "content": text}}], **extra}}


def headers():
    # In replay the plugin lends a placeholder ANTHROPIC_API_KEY; a subprocess inherits it.
    return {{
        "x-api-key": os.environ["ANTHROPIC_API_KEY"],
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
    }}


def curl(url, *args):
    return subprocess.run([CURL, "-sS", *args, url], capture_output=True, text=True, timeout=30, check=True)
"""

CURL_AND_HTTPX = (
    PRELUDE
    + """

@pytest.mark.claude_contract
def test_any_client(claude_contract_server, claude_contract):
    url = claude_contract_server.url
    text = os.environ.get("TEXT", "from curl")
    sent = [arg for name, value in headers().items() for arg in ("-H", f"{name}: {value}")]
    out = curl(f"{url}/v1/messages", "-i", *sent, "--data-binary", json.dumps(message(text)))
    head, _, body = out.stdout.partition("\\n\\n")  # text mode: CRLF read as LF
    assert head.startswith("HTTP/1.1 200"), out.stdout
    assert json.loads(body)["content"][0]["text"] == f"Echo: {text}"

    with httpx.Client(base_url=url) as client:
        reply = client.post("/v1/messages", headers=headers(), json=message("from httpx"))
        assert reply.status_code == 200
        assert reply.json()["content"][0]["text"] == "Echo: from httpx"
        with client.stream("POST", "/v1/messages", headers=headers(), json=message("a stream", stream=True)) as r:
            assert r.headers["content-type"] == "text/event-stream"
            events = r.read().decode()
    assert events.startswith("event: message_start") and events.rstrip().endswith('{"type":"message_stop"}')
    assert [e.origin for e in claude_contract.exchanges] == [os.environ["ORIGIN"]] * 3
    assert claude_contract.violations == []
"""
)

SDK = (
    PRELUDE
    + """

@pytest.mark.claude_contract
def test_sdk(claude_contract_server, claude_contract):
    with anthropic.Anthropic(base_url=claude_contract_server.url, max_retries=0) as client:
        reply = client.messages.create(**message("sync"))
        assert reply.content[0].text == "Echo: sync"
        with client.messages.stream(**message("streamed by the sdk")) as stream:
            pieces = list(stream.text_stream)
            final = stream.get_final_message()
    assert len(pieces) > 1
    assert "".join(pieces) == final.content[0].text == "Echo: streamed by the sdk"
    assert [e.origin for e in claude_contract.exchanges] == [os.environ["ORIGIN"]] * 2


@pytest.mark.claude_contract
def test_sdk_subprocess(claude_contract_server):
    # Any process: the SDK reads ANTHROPIC_BASE_URL (and the key) from the environment it is given.
    script = "import anthropic; print(anthropic.Anthropic(max_retries=0).messages.create(" + (
        f"model={MODEL!r}, max_tokens=64, messages=[{{'role': 'user', 'content': 'child'}}]).content[0].text)"
    )
    import sys

    out = subprocess.run(
        [sys.executable, "-c", script], env=claude_contract_server.env(), capture_output=True, text=True,
        timeout=60, check=True,
    )
    assert out.stdout.strip() == "Echo: child"
"""
)


@pytest.fixture
def server_suite(pytester: pytest.Pytester, api: FakeClaudeAPI) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    return pytester


# ---------------------------------------------------------------- record through the server, replay


@needs_curl
def test_curl_and_httpx_record_then_replay_offline(
    server_suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """curl (a subprocess) and httpx (plain and streamed) through the fixture record into the test's
    cassette with the stand-in as upstream (key scrubbed, the upstream URL, no host header), then the
    same test replays with the stand-in stopped; a changed body is a miss the client sees as 404 and
    the test fails with the marker's miss report."""
    server_suite.makepyfile(test_any=CURL_AND_HTTPX)
    monkeypatch.setenv("ORIGIN", "live")
    server_suite.runpytest().assert_outcomes(passed=1)
    assert [r.path for r in api.requests] == ["/v1/messages"] * 3
    assert api.requests[0].headers["x-api-key"] == api_key  # the credentials went upstream
    cassette = server_suite.path / "cassettes" / "test_any" / "test_any_client.yaml"
    text = cassette.read_text()
    assert api_key not in text
    recorded = interactions(cassette)
    assert len(recorded) == 3
    request = recorded[0]["request"]
    assert isinstance(request, dict)
    assert request["uri"] == f"{api.url}/v1/messages"
    assert request["headers"]["x-api-key"] == [REDACTED]
    assert "host" not in request["headers"]
    assert "event: content_block_delta" in text  # the whole stream is kept

    go_offline(api, monkeypatch)
    monkeypatch.setenv("ORIGIN", "replayed")
    result = server_suite.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["exchanges checked: 3 (3 replayed, 0 live)", "cassettes: 0 recorded, 1 replayed"]
    )

    monkeypatch.setenv("TEXT", "not recorded")
    result = server_suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*HTTP/1.1 404 Not Found*",
            "*- Captured claude contract server call -*",
            f"Claude contract: no recorded answer for POST {api.url}/v1/messages",
            f"  cassette: {cassette}",
        ]
    )
    assert (
        """Value of root['body']['messages'][0]['content'] changed from "from curl" to "not recorded"."""
        in (result.stdout.str())
    )


def test_sdk_sync_stream_and_subprocess_record_then_replay(
    server_suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The anthropic SDK, given the fixture's url (in process) or ANTHROPIC_BASE_URL (a subprocess),
    records create() and a stream, then replays them offline."""
    server_suite.makepyfile(test_sdk=SDK)
    monkeypatch.setenv("ORIGIN", "live")
    server_suite.runpytest().assert_outcomes(passed=2)
    assert len(api.requests) == 3
    assert api.requests[0].headers["authorization"] == f"Bearer {api_key}"  # what the 2.x SDK sends

    go_offline(api, monkeypatch)
    monkeypatch.setenv("ORIGIN", "replayed")
    result = server_suite.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["exchanges checked: 3 (3 replayed, 0 live)", "violations: 0"])


def _recorder(cassette: Path | None, record_mode: str = "once") -> ClaudeContractRecorder:
    return server_recorder(cassette, record_mode)


def test_sdk_stream_events_pass_through_before_the_upstream_finishes(
    api: FakeClaudeAPI, api_key: str, tmp_path: Path
) -> None:
    """The stand-in holds its stream after the first delta until the client has seen that delta:
    the client sees it while the upstream is still streaming (a buffering proxy would see it only
    after the gate timed out and the stream ended). The cassette still gets the whole stream."""
    gate = threading.Event()
    api.stream_gate = gate
    cassette = tmp_path / "stream.yaml"
    recorder = _recorder(cassette)
    finished_at_first_delta: int | None = None
    with (
        ContractServer(recorder, upstream=api.url) as server,
        anthropic.Anthropic(base_url=server.url, max_retries=0) as client,
        client.messages.stream(
            model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "one two three"}]
        ) as stream,
    ):
        for event in stream:
            if event.type == "content_block_delta" and finished_at_first_delta is None:
                finished_at_first_delta = api.streams_finished
                gate.set()
        final = stream.get_final_message()
    assert finished_at_first_delta == 0
    assert api.streams_finished == 1
    assert final.content[0].type == "text"
    assert final.content[0].text == "Echo: one two three"
    assert recorder.violations == []
    recorder.save(test_failed=False)
    body = interactions(cassette)[0]["response"]
    assert isinstance(body, dict)
    assert body["body"]["string"].count("event: content_block_delta") == 4


# ---------------------------------------------------------------- violations


@needs_curl
def test_a_violation_through_the_server_fails_the_test(
    server_suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str
) -> None:
    """curl without x-api-key: the stand-in answers (it does not check auth), and the test fails
    with auth-missing in the marker's report; a failed test records nothing."""
    server_suite.makepyfile(
        test_bad=PRELUDE
        + """

@pytest.mark.claude_contract
def test_no_key(claude_contract_server):
    sent = ["-H", "anthropic-version: 2023-06-01", "-H", "content-type: application/json"]
    out = curl(f"{claude_contract_server.url}/v1/messages", *sent, "--data-binary", json.dumps(message("hi")))
    assert json.loads(out.stdout)["content"][0]["text"] == "Echo: hi"
"""
    )
    result = server_suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "Claude API contract: 1 violation in 1 of 1 exchange",
            f"POST {api.url}/v1/messages -> 200 (live), exchange 1",
            "  [[]auth-missing] *",
        ]
    )
    assert not (server_suite.path / "cassettes").exists()


OVERSIZED = (
    PRELUDE
    + """
import socket


def raw(url, path, extra):
    host, port = url.removeprefix("http://").split(":")
    head = [
        f"POST {path} HTTP/1.1", f"host: {host}:{port}", "x-api-key: " + headers()["x-api-key"],
        "anthropic-version: 2023-06-01", "content-type: application/json", *extra,
    ]
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(("\\r\\n".join(head) + "\\r\\n\\r\\n").encode())
        sock.shutdown(socket.SHUT_WR)  # the headers only: no body byte is ever sent
        return sock.makefile("rb").read().decode()


@pytest.mark.claude_contract
def test_oversized(claude_contract_server):
    url = claude_contract_server.url
    for extra in (["content-length: 40000000"], ["content-length: 40000000", "expect: 100-continue"]):
        answer = raw(url, "/v1/messages", extra)
        assert answer.startswith("HTTP/1.1 413 "), answer  # no "100 Continue" first, no body read
        body = json.loads(answer.partition("\\r\\n\\r\\n")[2])
        assert body["type"] == "error" and body["error"]["type"] == "request_too_large"

    # Sent chunked, with no length to judge by: read in bounded chunks, counted, then refused.
    def chunks():
        for _ in range(33):
            yield b" " * 1_000_000
    reply = httpx.post(f"{url}/v1/messages", headers=headers(), content=chunks(), timeout=30)
    assert reply.status_code == 413
    assert reply.json()["error"]["type"] == "request_too_large"
"""
)


def test_an_oversized_upload_is_refused_before_it_is_read(
    server_suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str
) -> None:
    """content-length over 32 MB for /v1/messages: 413 request_too_large at once, with or without
    `Expect: 100-continue`, before any body byte is sent; a chunked 33 MB body is refused too. Nothing
    reaches the upstream, and the test fails with body-too-large for each."""
    server_suite.makepyfile(test_big=OVERSIZED)
    result = server_suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "Claude API contract: 3 violations in 3 of 3 exchanges",
            "POST */v1/messages (not sent), exchange 1",
            "  [[]body-too-large] the request body is 40,000,000 bytes; Messages (POST /v1/messages) accepts at "
            "most 32 MB (32,000,000 bytes)*413 request_too_large*",
            "POST */v1/messages (not sent), exchange 3",
            "  [[]body-too-large] the request body is 33,000,000 bytes*",
        ]
    )
    assert api.requests == []


def test_upstream_is_validated(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import pytest

@pytest.mark.claude_contract(upstream="api.anthropic.com")
def test_it(claude_contract_server):
    pass
"""
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*upstream='api.anthropic.com'; give the API's base URL, e.g. *"])


# ---------------------------------------------------------------- the serve command


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _serve(started: list[subprocess.Popen[str]], *args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_claude_contract", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started.append(process)
    assert process.stdout is not None
    assert process.stderr is not None
    first = process.stdout.readline()
    assert first.startswith("pytest-claude-contract serve: http://127.0.0.1:"), first + process.stderr.read()
    return process, first.split()[2]


def _curl(url: str, key: str | None, text: str) -> subprocess.CompletedProcess[str]:
    body = json.dumps({"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": text}]})
    sent = ["-H", "anthropic-version: 2023-06-01", "-H", "content-type: application/json"]
    if key is not None:
        sent += ["-H", f"x-api-key: {key}"]
    return subprocess.run(
        [CURL, "-sS", *sent, "--data-binary", body, f"{url}/v1/messages"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )


@needs_curl
def test_serve_command_records_then_replays(
    serve: list[subprocess.Popen[str]], api: FakeClaudeAPI, api_key: str, tmp_path: Path
) -> None:
    """`serve --record-mode once --upstream` records curl's exchange and saves on SIGTERM; plain
    `serve --cassette` (replay) answers it again with the stand-in stopped, logging each exchange
    with its verdict, and a request without a key is logged with auth-missing (exit code 1)."""
    cassette = tmp_path / "manual.yaml"
    process, url = _serve(serve, "--cassette", str(cassette), "--record-mode", "once", "--upstream", api.url)
    recorded = [json.loads(_curl(url, api_key, "by hand").stdout) for _ in range(2)]
    assert recorded[0]["id"] != recorded[1]["id"]
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, out + err
    assert out.count("POST /v1/messages -> 200 (live): ok") == 2
    assert f"saved {cassette}" in out
    assert api_key not in cassette.read_text()

    api.stop()
    process, url = _serve(serve, "--cassette", str(cassette), "--port", "0")
    assert json.loads(_curl(url, "any-key-will-do", "by hand").stdout) == recorded[0]
    # The second recording, asked for with no credentials: answered, and flagged.
    assert json.loads(_curl(url, None, "by hand").stdout) == recorded[1]
    missed = _curl(url, api_key, "never recorded")
    assert json.loads(missed.stdout)["error"]["type"] == "not_found_error"
    process.terminate()
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 1
    # The line after the url's may or may not be left in the pipe: _serve's readline can buffer it,
    # and communicate() reads the pipe itself. Judge the exchange lines only.
    lines = [line for line in out.splitlines() if line and not line.startswith("  point a client at it")]
    assert lines[0] == "POST /v1/messages -> 200 (replayed): ok", out
    assert lines[1] == "POST /v1/messages -> 200 (replayed): 1 violation(s)"
    assert lines[2].startswith("  [auth-missing] ")
    assert lines[3] == "POST /v1/messages -> 404 (refused): not answered from the cassette or upstream"
    assert lines[4] == "Claude contract: no recorded answer for POST https://api.anthropic.com/v1/messages"
    assert lines[-1].endswith("stopped after 2 exchange(s), 1 violation(s), 0 warning(s), 1 unanswered")


@needs_curl
def test_serve_replays_to_any_number_of_clients_and_logs_a_refused_requests_verdicts(
    serve: list[subprocess.Popen[str]], api: FakeClaudeAPI, api_key: str, tmp_path: Path
) -> None:
    """Three clients ask `serve --cassette` the same question: each gets the recording (identical
    requests start over when their recordings run out). `--once` plays it once, as a test does. A
    miss sent without a key is logged with its own verdict (auth-missing)."""
    cassette = tmp_path / "manual.yaml"
    process, url = _serve(serve, "--cassette", str(cassette), "--record-mode", "once", "--upstream", api.url)
    recorded = json.loads(_curl(url, api_key, "asked by all").stdout)
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)
    api.stop()

    process, url = _serve(serve, "--cassette", str(cassette))
    answers = [json.loads(_curl(url, api_key, "asked by all").stdout) for _ in range(3)]
    assert answers == [recorded] * 3
    missed = json.loads(_curl(url, None, "never asked").stdout)
    assert missed["error"]["type"] == "not_found_error"
    process.terminate()
    out, _ = process.communicate(timeout=30)
    lines = [line for line in out.splitlines() if line and not line.startswith("  point a client at it")]
    assert lines[:3] == ["POST /v1/messages -> 200 (replayed): ok"] * 3, out
    assert lines[3] == (
        "POST /v1/messages -> 404 (refused): not answered from the cassette or upstream; 1 violation(s)"
    )
    assert lines[4].startswith("  [auth-missing] ")
    assert lines[5] == "Claude contract: no recorded answer for POST https://api.anthropic.com/v1/messages"

    process, url = _serve(serve, "--cassette", str(cassette), "--once")
    assert json.loads(_curl(url, api_key, "asked by all").stdout) == recorded
    again = json.loads(_curl(url, api_key, "asked by all").stdout)
    assert again["error"]["type"] == "not_found_error"
    assert "every recording was already played" in again["error"]["message"]
    process.terminate()
    process.communicate(timeout=30)


@needs_curl
def test_serve_verify_reports_drift_on_exit(
    serve: list[subprocess.Popen[str]], api: FakeClaudeAPI, api_key: str, tmp_path: Path
) -> None:
    """`serve --record-mode verify` sends each request upstream and, on exit, says whether the answers
    drifted from the cassette (exit 0 when only volatile values changed, 1 with the differences)."""
    cassette = tmp_path / "manual.yaml"
    process, url = _serve(serve, "--cassette", str(cassette), "--record-mode", "once", "--upstream", api.url)
    _curl(url, api_key, "by hand")
    process.send_signal(signal.SIGTERM)
    assert process.communicate(timeout=30)[0].count("(live): ok") == 1
    recorded = cassette.read_bytes()

    process, url = _serve(
        serve, "--cassette", str(cassette), "--record-mode", "verify", "--upstream", api.url
    )
    _curl(url, api_key, "by hand")
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, out + err
    assert f"verified against {api.url}: no drift from the cassette" in out

    api.misbehave.add("new-field")
    process, url = _serve(
        serve, "--cassette", str(cassette), "--record-mode", "verify", "--upstream", api.url
    )
    _curl(url, api_key, "by hand")
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 1, out + err
    assert (
        "the live API's answers drifted from the cassette (record mode verify): 1 interaction differ" in out
    )
    assert f"serve --cassette {cassette} --record-mode rewrite --upstream {api.url}" in out
    assert cassette.read_bytes() == recorded  # verify never writes


def test_serve_takes_the_server_limits_as_flags(serve: list[subprocess.Popen[str]], tmp_path: Path) -> None:
    """--body-timeout reaches the server: a stalled body is dropped after 0.3 s, not the default 10."""
    process, url = _serve(serve, "--cassette", str(tmp_path / "none.yaml"), "--body-timeout", "0.3")
    host, _, port = url.removeprefix("http://").partition(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /v1/messages HTTP/1.1\r\nhost: a\r\ncontent-length: 100\r\n\r\n{")
        started = time.monotonic()
        reply = b""
        while chunk := sock.recv(65536):  # the server closes after its 408
            reply += chunk
        assert time.monotonic() - started < 3
    assert reply.startswith(b"HTTP/1.1 408 "), reply
    assert b"did not arrive in time (0.3 s)" in reply
    process.terminate()
    process.communicate(timeout=30)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--body-timeout", "soon"], "argument --body-timeout: 'soon' is not a number of seconds above 0"),
        (["--max-workers", "0"], "argument --max-workers: '0' is not a whole number above 0"),
        (["--body-memory", "lots"], "argument --body-memory: 'lots' is not a size: use a whole number"),
    ],
)
def test_bad_server_limit_flags_are_usage_errors(
    args: list[str], error: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from pytest_claude_contract.cli import main

    assert main(["serve", "--cassette", str(tmp_path / "x.yaml"), *args]) == 2
    assert error in capsys.readouterr().err


def test_the_server_limit_flags_name_the_servers_own_defaults() -> None:
    import inspect
    import re

    from pytest_claude_contract.cli import SERVER_LIMIT_FLAGS
    from pytest_claude_contract.contract.limits import parse_size

    defaults = inspect.signature(ContractServer.__init__).parameters
    for flag, kind, help_text in SERVER_LIMIT_FLAGS:
        found = re.search(r"\(default (\S+)\)$", help_text)
        assert found, help_text
        shown = parse_size(found.group(1)) if kind == "size" else float(found.group(1))
        assert shown == defaults[flag.removeprefix("--").replace("-", "_")].default, flag
