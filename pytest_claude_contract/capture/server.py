"""A real HTTP server in front of the Claude API, for clients the vcrpy patches cannot reach.

Any client (curl, a TypeScript SDK, a subprocess) is pointed at `ContractServer.url` instead of the
API. Each request is checked as it arrives: its size from `content-length` before the body is read
(an oversized one is answered 413 `request_too_large` and drained in bounded chunks, never held),
then the whole exchange by the same checks as the marker. The answer comes from the test's cassette
(replay, same matching as the marker) or from the upstream API (record), whose response is passed
through chunk by chunk as it arrives - server-sent events are not buffered - and kept whole for the
cassette and the checks. Everything lands in one `ClaudeContractRecorder`, the test's own.

Standard library only (http.server), plus httpx for the upstream leg.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, cast

import httpcore
import httpx

from ..contract.exchange import CapturedRequest, lower_headers, media_type
from ..plugin.options import DEFAULT_UPSTREAM
from .core import Live, Refuse, Replay, grouped_headers
from .httpx_transport import BYPASS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import TracebackType

    from ..contract.checks import Violation
    from .core import ClaudeContractRecorder

READ_CHUNK = 64 * 1024
# Hop-by-hop headers (RFC 9110 7.6.1) and those the server sets itself: never forwarded either way.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "expect",
    }
)
# Not forwarded upstream (httpx sets host and content-length for the body it sends) nor kept in the
# captured request (`host` would record this server's random port).
NOT_FORWARDED = HOP_BY_HOP | {"host", "content-length"}
# Set again by this server on the way back to the client.
NOT_RETURNED = HOP_BY_HOP | {"content-length", "date", "server"}
# An SDK would retry a 5xx; an answer made by this server (a miss, an unreachable upstream) is final.
NO_RETRY = {"x-should-retry": "false"}


@dataclass(frozen=True, slots=True)
class Outcome:
    """One exchange as the server handled it, for a log line (the `serve` command)."""

    request: CapturedRequest
    status: int
    origin: str  # "replayed", "live", "refused" (413, no recording, no upstream)
    violations: list[Violation] = field(default_factory=list)
    note: str = ""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # an idle keep-alive connection must not block stop()

    def __init__(self, owner: ContractServer, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.owner = owner

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-response is the client's business; a bug here should still show.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked responses
    server_version = "pytest-claude-contract"

    @property
    def owner(self) -> ContractServer:
        return cast("_HTTPServer", self.server).owner

    def setup(self) -> None:
        super().setup()
        self.owner._track(self.connection, add=True)

    def finish(self) -> None:
        self.owner._track(self.connection, add=False)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the owner reports exchanges through on_exchange

    # ------------------------------------------------------------ the request

    def _captured(self, body: bytes) -> CapturedRequest:
        headers = lower_headers(
            (name, value) for name, value in self.headers.items() if name.lower() not in NOT_FORWARDED
        )
        declared = self.headers.get("content-length")
        if body or declared:  # as sent; a body sent chunked is recorded with its length
            headers["content-length"] = str(len(body)) if body else str(declared)
        return CapturedRequest(self.command, self.owner.upstream + self._target(), headers, body)

    def _target(self) -> str:
        target = self.path
        if "://" in target.split("?", 1)[0]:  # absolute form, as sent to a proxy
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        return target if target.startswith("/") else "/" + target

    def _declared_length(self) -> int | None:
        value = self.headers.get("content-length")
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None

    def _chunked(self) -> bool:
        return "chunked" in self.headers.get("transfer-encoding", "").lower()

    def _body_chunks(self) -> Iterator[bytes]:
        """The body as it arrives, READ_CHUNK bytes at most at a time (content-length or chunked)."""
        if not self._chunked():
            remaining = self._declared_length() or 0
            while remaining > 0 and (chunk := self.rfile.read(min(READ_CHUNK, remaining))):
                remaining -= len(chunk)
                yield chunk
            return
        while True:
            line = self.rfile.readline(1024)
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                break
            while size > 0 and (chunk := self.rfile.read(min(READ_CHUNK, size))):
                size -= len(chunk)
                yield chunk
            self.rfile.readline(1024)
        while self.rfile.readline(1024).strip():  # trailers, then the blank line
            pass

    def _read_body(self, limit: int | None) -> tuple[bytes | None, int]:
        """(body, size): the body is None when it is over `limit`, then the rest is read and dropped."""
        parts: list[bytes] | None = []
        size = 0
        for chunk in self._body_chunks():
            size += len(chunk)
            if parts is not None and limit is not None and size > limit:
                parts = None  # from here on: count and discard
            if parts is not None:
                parts.append(chunk)
        return (b"".join(parts) if parts is not None else None), size

    def _drain(self) -> None:
        for _ in self._body_chunks():
            pass

    def handle_expect_100(self) -> bool:
        # `Expect: 100-continue` (curl, for large uploads): refuse an oversized body before it is sent.
        meta = self._captured(b"")
        declared = self._declared_length()
        limit = self.owner.recorder.body_limit_for(meta)
        if limit is not None and declared is not None and declared > limit:
            self._too_large(meta, declared, limit)
            self.close_connection = True
            return False
        return super().handle_expect_100()

    def _handle(self) -> None:
        with self.owner._active():
            self._exchange()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def _exchange(self) -> None:
        recorder = self.owner.recorder
        meta = self._captured(b"")
        limit = recorder.body_limit_for(meta)
        declared = self._declared_length()
        if limit is not None and declared is not None and declared > limit:
            # Answered before the body is read; then drained in bounded chunks, or the next request
            # on this connection would start inside it.
            self._too_large(meta, declared, limit)
            self._drain()
            return
        body, size = self._read_body(limit)
        if body is None:
            self._too_large(meta, size, limit or 0)
            return
        request = self._captured(body)
        decision = recorder.decide(request, claude=True)
        if isinstance(decision, Replay):
            self._send_recorded(decision.response)
            status = decision.response["status"]["code"]
            self.owner._report(Outcome(request, status, "replayed", list(decision.violations)))
        elif isinstance(decision, Refuse):
            # A replay miss, the placeholder key on its way to the live API, or a body over the limit.
            self._send_error(decision.status, decision.error_type, decision.message)
            found = list(decision.violations) or recorder.request_verdicts(request)
            self.owner._report(Outcome(request, decision.status, "refused", found, decision.message))
        else:
            self._forward(request, decision)

    # ------------------------------------------------------------ answers

    def _too_large(self, meta: CapturedRequest, size: int, limit: int) -> None:
        refusal = self.owner.recorder.refuse_oversized(meta, size, limit)
        self._send_error(413, "request_too_large", "Request exceeds the maximum allowed number of bytes.")
        note = f"{size:,} bytes, over {limit:,}"
        self.owner._report(Outcome(meta, 413, "refused", list(refusal.violations), note))

    def _send_error(self, status: int, error_type: str, message: str) -> None:
        payload = {"type": "error", "error": {"type": error_type, "message": message}}
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.send_header("x-claude-contract", "refused")
        for name, value in NO_RETRY.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def _send_recorded(self, recorded: dict[str, Any]) -> None:
        """A recorded response: its headers (body stored decoded, so with its own length) and body."""
        body: bytes = recorded["body"]["string"]
        status = recorded["status"]
        self.send_response_only(int(status["code"]), status.get("message") or None)
        for name, values in recorded["headers"].items():
            if name.lower() not in NOT_RETURNED:
                for value in values:
                    self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def _forward(self, request: CapturedRequest, decision: Live) -> None:
        """Send upstream, pass the answer through chunk by chunk as it arrives, and let the recorder
        see each chunk (it checks and keeps the whole when the last one is through)."""
        owner = self.owner
        headers = [(name, value) for name, value in self.headers.items() if name.lower() not in NOT_FORWARDED]
        client = owner._client()
        upstream_request = client.build_request(
            request.method, request.url, headers=headers, content=request.body or None
        )
        sent = {name.lower() for name, _ in headers}
        for name in ("accept", "accept-encoding", "user-agent"):  # httpx's defaults: not the client's
            if name not in sent and name in upstream_request.headers:
                del upstream_request.headers[name]
        try:
            response = client.send(upstream_request, stream=True)
        except (httpx.HTTPError, httpcore.ConnectError, httpcore.TimeoutException, OSError) as exc:
            message = f"Claude contract server: the upstream {owner.upstream} cannot be reached ({exc!r})"
            owner.recorder.fatal.append(message)
            self._send_error(502, "api_error", message)
            owner._report(Outcome(request, 502, "refused", note=message))
            return
        kept = [(n, v) for n, v in response.headers.multi_items() if n not in HOP_BY_HOP]
        recording = owner.recorder.live(
            request, decision, response.status_code, response.reason_phrase, grouped_headers(kept)
        )
        found: list[Violation] | None = None
        try:
            self.send_response_only(response.status_code, response.reason_phrase or None)
            returned = [(n, v) for n, v in response.headers.multi_items() if n not in NOT_RETURNED]
            for name, value in returned:
                self.send_header(name, value)
            bodiless = self.command == "HEAD" or response.status_code in (204, 304)
            if not bodiless:
                self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            for chunk in response.iter_raw():
                recording.feed(chunk)
                if not bodiless and chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
            # Checked and recorded before the last chunk: once the client has its answer, the test
            # (or the next request) must find the exchange and its verdict in the recorder.
            found = recording.finish()
            if not bodiless:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
        finally:
            response.close()
            if found is None:  # the client hung up mid-stream: kept as far as it got
                found = recording.finish(complete=False)
            owner._report(Outcome(request, response.status_code, "live", found))


class ContractServer:
    """The server: `with ContractServer(recorder) as server:` then point a client at `server.url`."""

    def __init__(
        self,
        recorder: ClaudeContractRecorder,
        *,
        upstream: str = DEFAULT_UPSTREAM,
        host: str = "127.0.0.1",
        port: int = 0,
        on_exchange: Callable[[Outcome], None] | None = None,
    ) -> None:
        self.recorder = recorder
        self.upstream = upstream.rstrip("/")
        self.on_exchange = on_exchange
        self._address = (host, port)
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._http: httpx.Client | None = None
        self._lock = threading.Condition()
        self._busy = 0
        self._connections: set[socket.socket] = set()

    # ------------------------------------------------------------ public surface

    @property
    def host(self) -> str:
        if self._server is None:
            raise RuntimeError("the server is not running")
        return f"{self._address[0]}:{self._server.server_address[1]}"

    @property
    def port(self) -> int:
        return int(self.host.rpartition(":")[2])

    @property
    def url(self) -> str:
        """The base URL to give a client: `base_url=`, or ANTHROPIC_BASE_URL for a subprocess."""
        return f"http://{self.host}"

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for a subprocess client: `base` (default os.environ) with ANTHROPIC_BASE_URL."""
        return {**(os.environ if base is None else base), "ANTHROPIC_BASE_URL": self.url}

    def open(self) -> ContractServer:
        """Bind the port (the url is known from here on); `start` or `serve_forever` then serve."""
        if self._server is not None:
            raise RuntimeError("the server is already open")
        self._server = _HTTPServer(self, self._address)
        for address in self._own_addresses():
            self.recorder.pass_through(address)  # in-process clients reach it unrecorded by the patches
        return self

    def _own_addresses(self) -> list[str]:
        port = self.port
        names = (
            {self._address[0], "localhost", "127.0.0.1"}
            if self._address[0] == "127.0.0.1"
            else {self._address[0]}
        )
        return [f"{name}:{port}" for name in names]

    def start(self) -> ContractServer:
        """Serve from a background thread."""
        if self._server is None:
            self.open()
        assert self._server is not None
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="claude-contract-server", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until KeyboardInterrupt (the `serve` command); then close."""
        if self._server is None:
            self.open()
        assert self._server is not None
        try:
            self._server.serve_forever(0.2)
        finally:
            self._close()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop accepting, let exchanges in flight finish (up to `timeout`), then cut idle connections."""
        server = self._server
        if server is None:
            return
        server.shutdown()
        if self._thread is not None:
            self._thread.join()
        self._close(timeout)

    def _close(self, timeout: float = 30.0) -> None:
        if self._server is not None:
            for address in self._own_addresses():
                self.recorder.pass_through(address, on=False)
        server, self._server = self._server, None
        with self._lock:
            self._lock.wait_for(lambda: self._busy == 0, timeout)
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        if server is not None:
            server.server_close()
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> ContractServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------ what the handler asks

    def _client(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                transport = httpx.HTTPTransport()
                setattr(transport, BYPASS, True)  # this leg is the server's to record, not the patches'
                self._http = httpx.Client(
                    transport=transport,
                    timeout=httpx.Timeout(600.0, connect=10.0),
                    follow_redirects=False,
                )
            return self._http

    @contextlib.contextmanager
    def _active(self) -> Iterator[None]:
        with self._lock:
            self._busy += 1
        try:
            yield
        finally:
            with self._lock:
                self._busy -= 1
                self._lock.notify_all()

    def _track(self, connection: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _report(self, outcome: Outcome) -> None:
        if self.on_exchange is not None:
            self.on_exchange(outcome)


def describe(outcome: Outcome) -> str:
    """One log line (and the violations under it) for the `serve` command."""
    request = outcome.request
    kind = media_type(request.headers.get("content-type"))
    head = f"{request.method} {request.path} -> {outcome.status} ({outcome.origin})"
    if kind and kind != "application/json":
        head += f" [{kind}]"
    unanswered = bool(outcome.note) and outcome.status != 413  # a miss, the placeholder, no upstream
    verdicts = [f"{len(outcome.violations)} violation(s)"] if outcome.violations else []
    if unanswered:
        lines = [f"{head}: {'; '.join(['not answered from the cassette or upstream', *verdicts])}"]
    else:
        lines = [f"{head}: {verdicts[0] if verdicts else 'ok'}"]
    lines += [f"  {violation}" for violation in outcome.violations]
    if unanswered:
        lines += outcome.note.splitlines()
    return "\n".join(lines)
