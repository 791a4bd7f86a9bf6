"""End to end: a stand-in on 127.0.0.1 echoes the client's key in every encoding the first probe
used; a marked test records it through httpx and the anthropic SDK's key; the cassette on disk holds
no trace of the key (read back with an independent reader), or the test fails with the refusal
naming the file and the place. Then `lint` passes the cassette the plugin wrote."""

from __future__ import annotations

import gzip
import json
import secrets
import string
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest
from secret_encodings import b64, entities, json_u, percent, sse, views

from pytest_claude_contract.cli import main
from pytest_claude_contract.cli.lint import lint_paths

if TYPE_CHECKING:
    from collections.abc import Iterator


def _answer(mode: str, key: str) -> tuple[dict[str, str], bytes]:
    """(headers, body) of the echo in `mode`."""
    text = {"content-type": "text/plain"}
    stream = {"content-type": "text/event-stream"}
    if mode == "percent":
        return {**text, "x-echo": percent(key)}, b"ok"
    if mode == "json-u-sse":
        return stream, sse("your key: ", json_u(key)).encode()
    if mode == "split-sse":
        return stream, sse("your key: ", key[:14], key[14:]).encode()
    if mode == "base64":
        return text, b64(key).encode()
    if mode == "gzip-gzip":
        return {**text, "content-encoding": "gzip, gzip"}, gzip.compress(gzip.compress(key.encode()))
    if mode == "utf-16":
        return {"content-type": "application/json; charset=utf-16"}, json.dumps({"k": key}).encode("utf-16")
    if mode == "html":
        return {"content-type": "text/html"}, f"<p>{entities(key)}</p>".encode()
    return text, b"ok"


class _Echo(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        key = self.headers.get("x-api-key") or self.headers.get("authorization", "").removeprefix("Bearer ")
        headers, body = _answer(self.path.rsplit("/", 1)[-1], key)
        self.send_response(200)
        for name, value in {**headers, "content-length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echo(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("ECHO_URL", url)
    yield url
    server.shutdown()
    server.server_close()
    thread.join()


MODES = ("percent", "json-u-sse", "split-sse", "base64", "gzip-gzip", "utf-16", "html")

ECHOED = f"""
import gzip, os
import httpx, pytest

MODES = {MODES!r}

@pytest.mark.claude_contract
def test_echo():
    with httpx.Client() as client:
        for mode in MODES:
            r = client.post(os.environ["ECHO_URL"] + "/echo/" + mode,
                            headers={{"x-api-key": os.environ["ANTHROPIC_API_KEY"]}}, content=b"{{}}")
            assert r.status_code == 200
        r = client.post(os.environ["ECHO_URL"] + "/echo/base64",
                        headers={{"authorization": "Bearer " + os.environ["ANTHROPIC_API_KEY"]}})
        assert r.status_code == 200

@pytest.mark.claude_contract
def test_gzip_request():
    body = gzip.compress(('{{"note": "' + os.environ["ANTHROPIC_API_KEY"] + '"}}').encode())
    r = httpx.post(os.environ["ECHO_URL"] + "/echo/none", content=body,
                   headers={{"content-encoding": "gzip", "content-type": "application/json",
                            "x-api-key": "redacted"}})
    assert r.status_code == 200
"""


@pytest.mark.parametrize("shape", ["key", "opaque"])
def test_a_key_echoed_in_any_encoding_never_reaches_disk(
    pytester: pytest.Pytester, echo: str, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    tail = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(48))
    key = ("sk-" + "ant-" + "api03-" + tail) if shape == "key" else tail  # opaque: the configured value only
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    pytester.makepyfile(test_echo=ECHOED)
    result = pytester.runpytest("--claude-record-mode", "once")
    result.assert_outcomes(passed=2, errors=1)  # the refusal: an error at teardown, when it is saved
    refused = pytester.path / "cassettes" / "test_echo" / "test_gzip_request.yaml"
    result.stdout.fnmatch_lines(
        [
            f"*Claude contract: {refused}: not written: interaction 1, request body would hold a credential "
            f"({key[:10]}... (content-encoding gzip)); the file on disk is as it was*"
        ]
    )
    assert not refused.exists()
    assert key not in result.stdout.str()

    cassette = pytester.path / "cassettes" / "test_echo" / "test_echo.yaml"
    text = cassette.read_bytes().decode("utf-8")
    assert text.count("interactions:") == 1
    assert "/echo/utf-16" in text
    for view in views(text):
        assert key not in view
        assert key[-16:] not in view
    # No secret found; the echo server is no Claude host, so the contract had nothing to check (exit 2).
    verdict = lint_paths([cassette])
    assert verdict.files[0].findings == []
    assert verdict.no_claude_exchange
    assert main(["lint", str(cassette)]) == 2

    # and what was written replays, offline
    pytester.runpytest("--claude-record-mode", "none", "-k", "not gzip").assert_outcomes(passed=1)


BRIDGED = """
import os
import httpx, pytest

@pytest.fixture(scope="module")
def vcr_config():
    return {"filter_headers": []}  # a suite that filters nothing: the bridge's scrubbing is all there is

@pytest.mark.vcr
@pytest.mark.parametrize("mode", MODES)
def test_echo(mode):
    r = httpx.post(os.environ["ECHO_URL"] + "/echo/" + mode,
                   headers={"x-api-key": os.environ["ANTHROPIC_API_KEY"]}, content=b"{}")
    assert r.status_code == 200
"""


def test_what_pytest_recording_writes_under_the_bridge_holds_no_key_in_any_encoding(
    pytester: pytest.Pytester, echo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """claude_contract_vcr: pytest-recording writes the cassette, from what the bridge scrubbed. A key
    left in a form the scrubber does not rewrite (base64, percent-encoded, compressed twice...) is
    refused there: the interaction is not stored and the test fails, naming file and place."""
    tail = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(48))
    key = "sk-" + "ant-" + "api03-" + tail
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    pytester.makepyfile(test_bridged=f"MODES = {MODES!r}\n" + BRIDGED)
    result = pytester.runpytest("--record-mode=once", "--claude-contract-vcr", "-p", "no:randomly")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) == len(MODES)
    assert outcomes.get("failed", 0) >= 1, result.stdout.str()  # base64 at least: not rewritten in place
    result.stdout.fnmatch_lines(
        ["*Claude contract: a credential is left in what pytest-recording would write*"]
    )
    assert key not in result.stdout.str()
    written = list((pytester.path / "cassettes").rglob("*.yaml"))
    assert written, "the modes the scrubber rewrites are still recorded"
    for cassette in written:
        for view in views(cassette.read_bytes().decode("utf-8", "replace")):
            assert key not in view, cassette
            assert key[-16:] not in view, cassette
