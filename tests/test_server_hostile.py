"""The contract server against clients that misbehave: raw sockets against a real server on
127.0.0.1, each probe of the hostile-input issue (malformed requests, slow clients, floods, large
misses and uploads) with the protection it met, and each protection shown quiet for a well-behaved
client (the SDK, a slow stream). The servers here run with short timeouts so each test is quick.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anthropic
import httpx
import pytest

from pytest_claude_contract.capture.guards import KEEP_WHOLE
from pytest_claude_contract.capture.server import ContractServer, Outcome, describe

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fake_api import FakeClaudeAPI

    from pytest_claude_contract.capture.core import ClaudeContractRecorder

from helpers import interactions, server_recorder

MODEL = "claude-sonnet-4-6"
HEAD = "x-api-key: test-key\r\nanthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n"
# What the SDK clients send too: anthropic-version is part of the match key.
VERSION = {"anthropic-version": "2023-06-01"}
QUICK: dict[str, Any] = {"header_timeout": 0.5, "idle_timeout": 1.0, "body_timeout": 0.5, "wait_timeout": 1.0}


def _recorder(cassette: Path | None, record_mode: str = "none") -> ClaudeContractRecorder:
    return server_recorder(cassette, record_mode)


def _message(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": text}], **extra}


@pytest.fixture(scope="module")
def cassette(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One recorded exchange (`Hi`), for replays that hit it and misses that diff against it."""
    from fake_api import FakeClaudeAPI

    path = tmp_path_factory.mktemp("hostile") / "one.yaml"
    recorder = _recorder(path, "once")
    with (
        FakeClaudeAPI() as api,
        ContractServer(recorder, upstream=api.url) as server,
        anthropic.Anthropic(
            base_url=server.url,
            api_key="test-key",
            max_retries=0,
            default_headers=VERSION,
        ) as client,
    ):
        client.messages.create(**_message("Hi"))
    recorder.save(test_failed=False)
    return path


@pytest.fixture
def replaying(cassette: Path) -> Iterator[ContractServer]:
    """A replaying server with short timeouts; its log lines in `server.log`."""
    log: list[str] = []
    server = ContractServer(_recorder(cassette), on_exchange=lambda o: log.append(describe(o)), **QUICK)
    server.log = log  # type: ignore[attr-defined]
    with server:
        yield server


def _connect(server: ContractServer, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)


def _exchange(server: ContractServer, data: bytes, *, shut: bool = True, timeout: float = 5.0) -> bytes:
    """Send `data` (then end the sending side), read until the server closes or `timeout` passes."""
    with _connect(server, timeout) as sock:
        sock.sendall(data)
        if shut:
            sock.shutdown(socket.SHUT_WR)
        return _read_all(sock)


def _read_all(sock: socket.socket) -> bytes:
    out = b""
    with contextlib.suppress(TimeoutError, ConnectionResetError):
        while chunk := sock.recv(65536):
            out += chunk
    return out


def _read_response(sock: socket.socket) -> bytes:
    """One response with a content-length, leaving the connection open."""
    raw = b""
    while b"\r\n\r\n" not in raw or len(raw) < len(raw.partition(b"\r\n\r\n")[0]) + 4 + _reply_length(raw):
        chunk = sock.recv(65536)
        assert chunk, raw
        raw += chunk
    return raw


def _reply_length(raw: bytes) -> int:
    found = re.search(rb"\r\ncontent-length: (\d+)\r\n", raw, re.IGNORECASE)
    assert found, raw
    return int(found.group(1))


def _reply(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of the first response in `raw`."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert re.fullmatch(r"HTTP/1\.1 \d{3} .*", lines[0]), raw[:300]
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    length = int(headers.get("content-length", len(body)))
    return int(lines[0].split()[1]), headers, body[:length]


def _api_error(raw: bytes) -> tuple[int, str, str]:
    """A reply in the API's error shape: (status, error type, message); anything else fails."""
    status, headers, body = _reply(raw)
    assert headers["content-type"] == "application/json", raw[:300]
    payload = json.loads(body)
    assert payload["type"] == "error", payload
    assert set(payload["error"]) == {"type", "message"}, payload
    return status, payload["error"]["type"], payload["error"]["message"]


def _post(path: str, body: bytes, *extra: str) -> bytes:
    head = [f"POST {path} HTTP/1.1", "host: 127.0.0.1", *HEAD.strip().split("\r\n"), *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _chunked(*chunks: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"


def _workers() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "claude-contract-worker" and t.is_alive())


# ---------------------------------------------------------------- malformed requests


def test_a_chunk_size_that_is_not_hex_gets_400(replaying: ContractServer) -> None:
    """Probe: a chunked body whose chunk size is `zz` got no reply at all (the handler died)."""
    body = b"zz\r\n" + json.dumps(_message("Hi")).encode() + b"\r\n0\r\n\r\n"
    raw = _exchange(replaying, _post("/v1/messages", body, "transfer-encoding: chunked"))
    status, error_type, message = _api_error(raw)
    assert (status, error_type) == (400, "invalid_request_error")
    assert message == "Bad chunk size 'zz': a hexadecimal number is expected."
    assert _reply(raw)[1]["connection"] == "close"
    assert replaying.log == [f"POST /v1/messages -> 400 (rejected): {message}"]  # type: ignore[attr-defined]


MALFORMED = {
    "no request line": (b"GARBAGE\r\n\r\n", 400, "Malformed request line 'GARBAGE'"),
    "four words": (b"GET / HTTP/1.1 x\r\nhost: a\r\n\r\n", 400, "Malformed request line"),
    "a control in the target": (b"GET /\x01 HTTP/1.1\r\nhost: a\r\n\r\n", 400, "the target has spaces or"),
    "not HTTP": (b"GET / FTP/1.1\r\nhost: a\r\n\r\n", 400, "'FTP/1.1' is no HTTP version"),
    "a method that is no token": (b"G(T / HTTP/1.1\r\nhost: a\r\n\r\n", 400, "the method is not a token"),
    "a long target": (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414, "request line is longer"),
    "long headers": (b"GET / HTTP/1.1\r\nx-a: " + b"a" * 70000 + b"\r\n\r\n", 431, "headers is longer"),
    "many headers": (b"GET / HTTP/1.1\r\n" + b"x-a: 1\r\n" * 101 + b"\r\n", 431, "More than 100 headers"),
    "no colon": (b"GET / HTTP/1.1\r\nhost a\r\n\r\n", 400, "Malformed header line 'host a\\r\\n'"),
    "a folded header": (b"GET / HTTP/1.1\r\nx-a: 1\r\n 2\r\n\r\n", 400, "obsolete line folding"),
    "a NUL in a header": (b"GET / HTTP/1.1\r\nx-a: a\x00b\r\n\r\n", 400, "control characters"),
    "a space before the colon": (b"GET / HTTP/1.1\r\nhost : a\r\n\r\n", 400, "Malformed header line"),
    "the headers cut short": (b"GET / HTTP/1.1\r\nhost: a\r\n", 400, "ended inside its headers"),
    "a length that is no number": (
        _post("/v1/messages", b"{}", "content-length: 2x"),
        400,
        "Bad content-length",
    ),
    "two lengths": (
        _post("/v1/messages", b"{}", "content-length: 2", "content-length: 3"),
        400,
        "Bad content-length",
    ),
    "a negative length": (_post("/v1/messages", b"{}", "content-length: -2"), 400, "Bad content-length"),
    "length and chunked": (
        _post("/v1/messages", _chunked(b"{}"), "content-length: 2", "transfer-encoding: chunked"),
        400,
        "both content-length and transfer-encoding",
    ),
    "a body shorter than its length": (
        _post("/v1/messages", b'{"model":', "content-length: 100"),
        400,
        "The body ended after 9 of the 100 bytes",
    ),
    "a chunk not ended by CRLF": (
        _post("/v1/messages", b"2\r\n{}XX0\r\n\r\n", "transfer-encoding: chunked"),
        400,
        "not followed by CRLF",
    ),
    "a chunked body cut short": (
        _post("/v1/messages", b"10\r\n{}", "transfer-encoding: chunked"),
        400,
        "ended inside a chunk",
    ),
    "a long chunk line": (
        _post("/v1/messages", b"2;" + b"e" * 2000 + b"\r\n{}\r\n0\r\n\r\n", "transfer-encoding: chunked"),
        400,
        "chunk size line is longer",
    ),
    "an unknown expectation": (
        _post("/v1/messages", b"{}", "content-length: 2", "expect: coffee"),
        417,
        "Expect",
    ),
}


@pytest.mark.parametrize("probe", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_request_gets_a_4xx_in_the_apis_error_shape(
    replaying: ContractServer, probe: tuple[bytes, int, str]
) -> None:
    """Probe: malformed request lines got http.server's HTML error page; other malformed requests got
    no reply, or were read as something else (a bad length as no body). Each now gets its 4xx with a
    proper status line, the API's JSON error shape and `connection: close`."""
    data, expected, text = probe
    raw = _exchange(replaying, data)
    status, error_type, message = _api_error(raw)
    assert (status, error_type) == (expected, "invalid_request_error")
    assert text in message
    assert b"<html" not in raw.lower()
    assert _reply(raw)[1]["connection"] == "close"


@pytest.mark.parametrize(
    ("data", "expected", "text"),
    [
        (b"GET / HTTP/2.0\r\nhost: a\r\n\r\n", 505, "HTTP/2.0 is not supported; send HTTP/1.1"),
        (b"BREW / HTTP/1.1\r\nhost: a\r\n\r\n", 501, "Method BREW is not supported"),
        (_post("/v1/messages", _chunked(b"{}"), "transfer-encoding: gzip, chunked"), 501, "'gzip, chunked'"),
    ],
    ids=["HTTP/2.0", "an unknown method", "an unknown transfer coding"],
)
def test_what_http_says_the_server_does_not_implement_gets_its_5xx(
    replaying: ContractServer, data: bytes, expected: int, text: str
) -> None:
    """Well-formed, but not implemented (RFC 9110/9112 name 505 and 501 for these): the same JSON
    error shape, and no retry invited."""
    raw = _exchange(replaying, data)
    status, error_type, message = _api_error(raw)
    assert (status, error_type) == (expected, "invalid_request_error")
    assert text in message
    assert _reply(raw)[1]["x-should-retry"] == "false"


def test_well_formed_requests_around_the_malformed_ones_are_answered(replaying: ContractServer) -> None:
    """Quiet for a good client: a chunked body with extensions and trailers, a bare-LF request, two
    requests pipelined on one connection, empty lines before a request line."""
    body = json.dumps(_message("Hi")).encode()
    chunked = _post("/v1/messages", b"", "transfer-encoding: chunked")[:-2]
    chunked += b"\r\n" + b"%x;ext=1\r\n%s\r\n0\r\nx-trailer: 1\r\n\r\n" % (len(body), body)
    bare_lf = _post("/v1/messages", body, f"content-length: {len(body)}").replace(b"\r\n", b"\n")
    raw = _exchange(replaying, b"\r\n" + chunked + bare_lf)
    first, second = raw.split(b"HTTP/1.1 ")[1:]
    assert first.startswith(b"200 ")
    assert second.startswith(b"404 ")  # the cassette holds one Hi
    assert json.loads(_reply(b"HTTP/1.1 " + first)[2])["content"][0]["text"] == "Echo: Hi"


# ---------------------------------------------------------------- slow clients


def test_slow_header_connections_are_dropped_within_the_header_timeout(replaying: ContractServer) -> None:
    """Probe: 300 connections that send part of a request line and wait were all still held after
    30 s, a thread each. Now each is dropped (408) within the header timeout of its worker, and no
    more than `max_workers` threads ever serve them."""
    assert replaying.header_timeout == 0.5
    started = time.monotonic()
    selector = selectors.DefaultSelector()
    sockets = []
    for _ in range(300):
        sock = socket.create_connection(("127.0.0.1", replaying.port), timeout=10)
        sock.sendall(b"POST /v1/mess")
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        sockets.append(sock)
    open_ = set(sockets)
    most_workers = 0
    while open_ and time.monotonic() - started < 15:
        most_workers = max(most_workers, _workers())
        for key, _ in selector.select(0.05):
            ready = key.fileobj
            assert isinstance(ready, socket.socket)
            try:
                chunk = ready.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except ConnectionResetError:
                chunk = b""
            if not chunk:  # closed by the server (after its 408)
                selector.unregister(ready)
                open_.discard(ready)
    took = time.monotonic() - started
    selector.close()
    for sock in sockets:
        sock.close()
    assert not open_, f"{len(open_)} of 300 connections still open after {took:.1f} s"
    assert took < 10
    assert 0 < most_workers <= replaying.max_workers


def test_a_slow_header_connection_gets_408_and_an_idle_one_is_closed_quietly(
    replaying: ContractServer,
) -> None:
    with _connect(replaying) as slow:
        slow.sendall(b"POST /v1/messages HTTP/1.1\r\nhost: a\r\n")
        started = time.monotonic()
        status, error_type, message = _api_error(_read_all(slow))
        assert 0.4 < time.monotonic() - started < 2
    assert (status, error_type) == (408, "invalid_request_error")
    assert message == "The request was dropped: its request line and headers did not arrive in time (0.5 s)."
    with _connect(replaying) as silent:  # connected, sent nothing: closed, nothing to answer
        assert _read_all(silent) == b""


def test_a_stalled_body_is_dropped_after_the_body_timeout(replaying: ContractServer) -> None:
    with _connect(replaying) as sock:
        sock.sendall(_post("/v1/messages", b'{"model"', "content-length: 100"))
        started = time.monotonic()
        status, _, message = _api_error(_read_all(sock))
        assert time.monotonic() - started < 2
    assert status == 408
    assert message == "The request was dropped: its body did not arrive in time (0.5 s)."


def test_a_trickled_body_is_dropped_below_the_minimum_rate(replaying: ContractServer) -> None:
    """Probe: a byte every 0.3 s never trips the body timeout (0.5 s of silence), so it held a worker
    for as long as the client liked. Past the first body_timeout it must average body_min_rate."""
    with _connect(replaying) as sock:
        sock.sendall(_post("/v1/messages", b"", "content-length: 1000"))
        started = time.monotonic()
        for _ in range(20):
            try:
                sock.sendall(b" ")
            except OSError:
                break
            time.sleep(0.3)
            if time.monotonic() - started > 2:
                break
        status, _, message = _api_error(_read_all(sock))
        assert time.monotonic() - started < 3
    assert status == 408
    assert (
        message == "The request was dropped: its body arrived slower than 10,000 bytes a second on average."
    )


def test_a_steady_body_above_the_minimum_rate_is_not_dropped(replaying: ContractServer) -> None:
    body = json.dumps(_message("Hi")).encode()
    with _connect(replaying) as sock:
        sock.sendall(_post("/v1/messages", b"", f"content-length: {len(body) + 30_000}"))
        for _ in range(3):  # 8 KB every 0.25 s for a second: above 10 KB/s
            sock.sendall(b" " * 8_000)
            time.sleep(0.25)
        sock.sendall(b" " * 6_000 + body)
        reply = _read_all(sock)
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]


def test_a_well_behaved_sdk_is_not_cut_by_the_timeouts(cassette: Path) -> None:
    """Quiet for a good client: the SDK on a keep-alive connection, idle longer than idle_timeout
    between two requests (the server closes the idle connection; the SDK opens a new one), with
    max_retries=0 so that nothing is hidden by a retry."""
    with (
        ContractServer(_recorder(cassette), **{**QUICK, "idle_timeout": 0.3}) as server,
        anthropic.Anthropic(
            base_url=server.url, api_key="any", max_retries=0, default_headers=VERSION
        ) as client,
    ):
        assert client.messages.create(**_message("Hi")).content[0].text == "Echo: Hi"
        time.sleep(0.8)
        with pytest.raises(anthropic.NotFoundError):  # played once: the second is a miss, but answered
            client.messages.create(**_message("Hi"))


def test_a_slow_stream_is_not_cut(api: FakeClaudeAPI, tmp_path: Path) -> None:
    """Quiet for a good client: the upstream holds its stream for 1 s after the first delta, and the
    client reads each event 0.2 s late - longer than every timeout of this server (0.1 s) - and the
    stream arrives whole, and is recorded whole."""
    api.stream_gate = threading.Event()  # never set: the stream pauses for gate_timeout
    api.gate_timeout = 1.0
    recorder = _recorder(tmp_path / "slow.yaml", "once")
    with (
        ContractServer(
            recorder,
            upstream=api.url,
            header_timeout=0.1,
            idle_timeout=0.1,
            body_timeout=0.1,
            send_timeout=0.1,
        ) as server,
        anthropic.Anthropic(
            base_url=server.url,
            api_key="test-key",
            max_retries=0,
            default_headers=VERSION,
        ) as client,
        client.messages.stream(**_message("one two three")) as stream,
    ):
        for _ in stream:
            time.sleep(0.2)
        final = stream.get_final_message()
    assert final.content[0].text == "Echo: one two three"  # type: ignore[union-attr]
    assert api.streams_finished == 1
    assert recorder.violations == []
    recorder.save(test_failed=False)
    assert "event: message_stop" in interactions(tmp_path / "slow.yaml")[0]["response"]["body"]["string"]


# ---------------------------------------------------------------- the pool and the backlog


def test_the_listen_backlog_is_128(replaying: ContractServer) -> None:
    """Probe: the listen backlog was 5 (socketserver's default)."""
    assert replaying.backlog == 128
    out = subprocess.run(
        ["ss", "-ltnH", f"sport = :{replaying.port}"], capture_output=True, text=True, check=False
    )
    if out.returncode != 0 or not out.stdout.strip():
        pytest.skip("`ss` cannot show the listening socket here")
    assert out.stdout.split()[2] == "128"  # a listening socket's Send-Q is its backlog


def test_connections_beyond_the_pool_wait_and_an_idle_one_gives_its_worker_up(cassette: Path) -> None:
    """max_workers=1: a connection that waits for the worker gets it as soon as the keep-alive
    connection holding it is idle, long before idle_timeout."""
    with ContractServer(_recorder(cassette), max_workers=1, idle_timeout=30, wait_timeout=5) as server:
        body = json.dumps(_message("Hi")).encode()
        with _connect(server) as idle:
            idle.sendall(_post("/v1/messages", body, f"content-length: {len(body)}"))
            assert _read_response(idle).startswith(b"HTTP/1.1 200 ")
            started = time.monotonic()
            raw = _exchange(
                server, _post("/v1/messages", body, f"content-length: {len(body)}", "connection: close")
            )
            assert time.monotonic() - started < 1
            assert _api_error(raw)[0] == 404  # played already: a miss, answered
            assert _read_all(idle) == b""  # the idle connection was closed for it


def test_a_connection_that_waits_too_long_for_a_worker_gets_503(cassette: Path) -> None:
    """max_workers=2, both held by connections still sending their headers: the next one waits
    wait_timeout, then gets 503 overloaded_error (retryable: no x-should-retry: false)."""
    with ContractServer(_recorder(cassette), max_workers=2, header_timeout=5, wait_timeout=0.3) as server:
        held = [_connect(server) for _ in range(2)]
        for sock in held:
            sock.sendall(b"GET /v1/mo")
        time.sleep(0.2)
        raw = _exchange(server, b"GET /v1/models HTTP/1.1\r\nhost: a\r\n\r\n", shut=False)
        status, error_type, message = _api_error(raw)
        assert (status, error_type) == (503, "overloaded_error")
        assert "max_workers" in message
        assert _reply(raw)[1]["retry-after"] == "1"
        assert "x-should-retry" not in _reply(raw)[1]
        for sock in held:
            sock.close()


# ---------------------------------------------------------------- misses and memory


def test_a_miss_reply_and_its_log_line_are_cut(replaying: ContractServer) -> None:
    """Probe: a miss answered with the miss report quoted the whole request body (1 MB in, 1 MB
    out, and as much in the log). The reply and the log keep a few KB and say how much was cut."""
    body = json.dumps(_message("x" * 1_000_000)).encode()
    raw = _exchange(replaying, _post("/v1/messages", body, f"content-length: {len(body)}"))
    status, error_type, message = _api_error(raw)
    assert (status, error_type) == (404, "not_found_error")
    assert len(raw) < 5000
    assert "Value of root['body']['messages'][0]['content'] changed from \"Hi\" to \"xxx" in message
    assert re.search(r"\.\.\. \(999,\d{3} characters cut\) \.\.\. x+\"\.", message)
    (line,) = replaying.log  # type: ignore[attr-defined]
    assert len(line) < 5000
    assert "characters cut" in line


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_memory_returns_to_its_baseline_after_misses(cassette: Path, tmp_path: Path) -> None:
    """Probe: each missed request stayed in memory (1.4 GB RSS after eight 20 MB misses). The `serve`
    process after four 10 MB misses is back within 20 MB of where it was after a small one (before
    the fix: 52 MB -> 558 MB after six)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_claude_contract", "serve", "--cassette", str(cassette)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[2]
        port = int(url.rpartition(":")[2])

        def miss(size: int) -> None:
            body = json.dumps(_message("x" * size)).encode()
            with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                sock.sendall(_post("/v1/messages", body, f"content-length: {len(body)}", "connection: close"))
                assert _read_all(sock).startswith(b"HTTP/1.1 404 ")

        miss(1000)
        time.sleep(0.3)
        baseline = _rss_kb(process.pid)
        for _ in range(4):
            miss(10_000_000)
        deadline = time.monotonic() + 5  # the server gives memory back after it answered: wait for it
        while (after := _rss_kb(process.pid)) - baseline >= 20 * 1024 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (after - baseline) / 1024 < 20, f"{baseline / 1024:.0f} MB -> {after / 1024:.0f} MB"
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


# ---------------------------------------------------------------- large uploads


def _multipart(content: bytes, boundary: str) -> tuple[bytes, str]:
    head = (
        f'--{boundary}\r\ncontent-disposition: form-data; name="file"; filename="big.bin"\r\n'
        "content-type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _upload(url: str, body: bytes, content_type: str) -> httpx.Response:
    headers = {"x-api-key": "test-key", "anthropic-version": "2023-06-01", "content-type": content_type}
    return httpx.post(f"{url}/v1/files", content=body, headers=headers, timeout=30)


def test_a_large_upload_is_streamed_upstream_and_recorded_by_its_digest(
    api: FakeClaudeAPI, tmp_path: Path
) -> None:
    """Probe: four uploads under the Files limit at once took 5 GB (each held whole, and copied).
    An upload over KEEP_WHOLE to an endpoint that takes no JSON is spooled to a file and sent upstream
    from there; the cassette keeps its first bytes and its SHA-256 (boundary taken out), which replay
    matches: the same file under another boundary replays, another file misses. (Memory:
    bench/server_memory.py --scenario uploads.)"""
    content = os.urandom(KEEP_WHOLE + 1_000_000)
    body, content_type = _multipart(content, "recorded-boundary")
    path = tmp_path / "upload.yaml"
    recorder = _recorder(path, "once")
    with ContractServer(recorder, upstream=api.url) as server:
        reply = _upload(server.url, body, content_type)
    assert reply.status_code == 200, reply.text
    assert reply.json()["size_bytes"] == len(content)  # the upstream got all of it
    assert api.requests[-1].body == body
    assert recorder.violations == []
    recorder.save(test_failed=False)
    (recorded,) = interactions(path)
    kept = recorded["request"]["body"]
    assert isinstance(kept, str) or len(kept) < 2000
    text = kept if isinstance(kept, str) else kept.decode("latin-1")
    normalized = body.replace(b"recorded-boundary", b"BOUNDARY")
    assert text.startswith(normalized[:1024].decode("latin-1"))
    assert text.endswith(
        f"\n[pytest-claude-contract: a body of {len(normalized):,} bytes, its multipart boundary written "
        f"BOUNDARY; over the {KEEP_WHOLE:,} bytes the contract server keeps whole, it is kept as its first "
        f"1,024 bytes and its sha256 {hashlib.sha256(normalized).hexdigest()}]"
    )
    assert path.stat().st_size < 20_000

    replayer = _recorder(path)
    with ContractServer(replayer) as server:
        again, again_type = _multipart(content, "another-boundary")
        assert _upload(server.url, again, again_type).json()["size_bytes"] == len(content)
        other, other_type = _multipart(content[:-1] + b"!", "recorded-boundary")
        missed = _upload(server.url, other, other_type)
        assert missed.status_code == 404
        assert "no recorded answer for POST" in missed.json()["error"]["message"]


def test_a_json_body_waits_for_room_in_body_memory(api: FakeClaudeAPI, tmp_path: Path) -> None:
    """Bodies held whole share `body_memory`: with 1 MB and a 600 KB request held by a stream the
    upstream pauses, a second 600 KB request waits wait_timeout, then gets 503 overloaded_error; a
    small one goes through meanwhile."""
    api.stream_gate = threading.Event()
    api.gate_timeout = 5.0
    recorder = _recorder(tmp_path / "budget.yaml", "all")
    big = "y" * 600_000
    with ContractServer(recorder, upstream=api.url, body_memory=1_000_000, wait_timeout=0.3) as server:
        client = anthropic.Anthropic(base_url=server.url, api_key="test-key", max_retries=0)
        with client.messages.stream(**_message(big)) as stream:
            next(iter(stream))  # the stream holds its 600 KB while it is open
            with pytest.raises(anthropic.APIStatusError) as refused:
                client.messages.create(**_message(big + "z"))
            assert refused.value.status_code == 503
            assert refused.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]
            assert client.messages.create(**_message("small")).content[0].text == "Echo: small"
            api.stream_gate.set()
            assert stream.get_final_message().content[0].text.startswith("Echo: yyy")  # type: ignore[union-attr]
        assert client.messages.create(**_message(big + "z")).content[0].text.startswith("Echo: yyy")
        client.close()


def test_outcome_of_a_rejected_request_is_logged() -> None:
    """`describe` gives a rejected request its reason, cut."""
    from pytest_claude_contract.contract.exchange import CapturedRequest

    request = CapturedRequest("-", "https://api.anthropic.com/", {}, b"")
    line = describe(Outcome(request, 400, "rejected", note="x" * 10_000))
    assert line.startswith("- / -> 400 (rejected): xxx")
    assert line.endswith("... (5,904 more characters cut)")


def test_an_expect_100_continue_client_and_an_http_1_0_client_are_served(
    api: FakeClaudeAPI, tmp_path: Path
) -> None:
    """Quiet for a good client: `Expect: 100-continue` gets the go-ahead before it sends its body; an
    HTTP/1.0 client gets its streamed answer unchunked, ended by the close; a header value with a
    latin-1 character (obs-text, allowed) is forwarded as it came."""
    recorder = _recorder(tmp_path / "clients.yaml", "all")
    body = json.dumps(_message("Hi")).encode()
    with ContractServer(recorder, upstream=api.url, **QUICK) as server, _connect(server) as sock:
        head = _post(
            "/v1/messages", b"", f"content-length: {len(body)}", "expect: 100-continue", "connection: close"
        )
        sock.sendall(head)
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        answer = _read_all(sock).partition(b"\r\n\r\n")[2]  # passed through chunked: one chunk here
        assert json.loads(answer.split(b"\r\n")[1])["content"][0]["text"] == "Echo: Hi"

        streamed = json.dumps(_message("one two", stream=True)).encode()
        old = _post("/v1/messages", streamed, f"content-length: {len(streamed)}", "x-note: caf\xe9")
        raw = _exchange(server, old.replace(b"HTTP/1.1", b"HTTP/1.0", 1).replace(b"\xc3\xa9", b"\xe9"))
    head, _, events = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"transfer-encoding" not in head.lower()
    assert events.startswith(b"event: message_start")
    assert events.endswith(b'data: {"type":"message_stop"}\n\n')
    assert api.requests[-1].headers["x-note"] == "caf\xe9"
